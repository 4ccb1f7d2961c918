//! `cargo run -p truce-ais --example decode_ais < FILE`: what `truce decode ais -` will do.

use std::io::{BufWriter, Write};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut err = std::io::stderr().lock();
    let summary = truce_ais::decode_ndjson(stdin, "-", &mut out, &mut err)?;
    out.flush()?;
    writeln!(err, "{summary}")?;
    std::process::exit(i32::from(summary.bad > 0));
}
