//! `cargo run -p truce-adsb --example decode -- FORMAT FILE|-`: what `truce decode adsb` will do.

use std::io::{self, Read};

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let format = match args.get(1).map(String::as_str) {
        Some("beast") => truce_adsb::Format::Beast,
        Some("sbs") => truce_adsb::Format::Sbs,
        Some("raw") => truce_adsb::Format::Raw,
        Some("aircraft-json") => truce_adsb::Format::AircraftJson,
        _ => {
            eprintln!("usage: decode beast|sbs|raw|aircraft-json FILE|-");
            std::process::exit(2);
        }
    };
    let path = args.get(2).map_or("-", String::as_str);
    let input: Box<dyn Read> = if path == "-" { Box::new(io::stdin()) } else { Box::new(std::fs::File::open(path)?) };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut err = io::BufWriter::new(io::stderr());
    let summary = truce_adsb::decode_ndjson(input, format, path, &mut out, &mut err)?;
    drop(out);
    drop(err);
    eprintln!("{summary}");
    std::process::exit(i32::from(summary.bad > 0));
}
