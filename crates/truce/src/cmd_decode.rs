//! `truce decode ais|adsb FILE|-`: a recording or a live capture decoded to NDJSON, one object per
//! message on stdout, every bad line on stderr as `FILE:LINE: reason`, a one-line summary at the end,
//! exit 1 if any line was bad (docs/sea-air.md). The decoding is the crates' (`truce-ais`,
//! `truce-adsb`); this module opens the input and reports.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

/// `truce decode`.
#[derive(Debug, clap::Subcommand)]
pub enum DecodeCommand {
    /// AIS: NMEA 0183 `!AIVDM`/`!AIVDO` sentences, with or without NMEA 4.10 tag blocks.
    Ais(DecodeArgs),
    /// ADS-B and Mode S: Beast binary, SBS-1 text, raw `*…;` frames or an `aircraft.json`.
    Adsb(AdsbArgs),
}

/// What to decode, and how it is written.
#[derive(Debug, clap::Args)]
pub struct AdsbArgs {
    /// The file, or `-` for standard input.
    pub input: PathBuf,
    /// The input's format.
    #[arg(long, value_enum)]
    pub format: AdsbFormat,
    /// The receiver's position `LAT,LON`, to place an aircraft from one position message (within
    /// about 180 NM).
    #[arg(long, value_parser = parse_reference)]
    pub reference: Option<(f64, f64)>,
}

/// `--format`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AdsbFormat {
    /// Beast binary (port 30005).
    Beast,
    /// SBS-1 BaseStation text (port 30003).
    Sbs,
    /// Raw frames, `*8D…;` or `@…;` per line.
    Raw,
    /// A readsb/dump1090 `aircraft.json`.
    AircraftJson,
}

fn parse_reference(s: &str) -> Result<(f64, f64), String> {
    let (lat, lon) = s.split_once(',').ok_or_else(|| format!("{s:?} is not LAT,LON"))?;
    let (lat, lon): (f64, f64) = (
        lat.trim().parse().map_err(|_| format!("latitude {lat:?} is not a number"))?,
        lon.trim().parse().map_err(|_| format!("longitude {lon:?} is not a number"))?,
    );
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(format!("{lat},{lon} is not a position (latitude -90 to 90, longitude -180 to 180)"));
    }
    Ok((lat, lon))
}

/// What to decode.
#[derive(Debug, clap::Args)]
pub struct DecodeArgs {
    /// The file, or `-` for standard input.
    pub input: PathBuf,
}

pub fn run(command: &DecodeCommand) -> anyhow::Result<ExitCode> {
    match command {
        DecodeCommand::Ais(args) => {
            let (name, input) = open(&args.input)?;
            let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let mut err = std::io::stderr().lock();
            let summary = truce_ais::decode_ndjson(BufReader::with_capacity(1 << 16, input), &name, &mut out, &mut err)
                .with_context(|| format!("cannot decode {name}"))?;
            out.flush()?;
            eprintln!("truce decode ais: {name}: {summary}");
            Ok(if summary.bad > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        DecodeCommand::Adsb(args) => {
            let (name, input) = open(&args.input)?;
            let format = match args.format {
                AdsbFormat::Beast => truce_adsb::Format::Beast,
                AdsbFormat::Sbs => truce_adsb::Format::Sbs,
                AdsbFormat::Raw => truce_adsb::Format::Raw,
                AdsbFormat::AircraftJson => truce_adsb::Format::AircraftJson,
            };
            let config = truce_adsb::Config { reference: args.reference, ..truce_adsb::Config::default() };
            let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let mut err = std::io::stderr().lock();
            let summary = truce_adsb::decode_ndjson_with(
                BufReader::with_capacity(1 << 16, input),
                format,
                &name,
                &config,
                &mut out,
                &mut err,
            )
            .with_context(|| format!("cannot decode {name}"))?;
            out.flush()?;
            eprintln!("truce decode adsb: {name}: {summary}");
            Ok(if summary.bad > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
    }
}

/// The input's name for messages and its reader.
fn open(path: &Path) -> anyhow::Result<(String, Box<dyn std::io::Read>)> {
    if path == Path::new("-") {
        return Ok(("<stdin>".to_owned(), Box::new(std::io::stdin().lock())));
    }
    let name = path.display().to_string();
    anyhow::ensure!(!path.is_dir(), "{name} is a directory, not a file to decode");
    let f = File::open(path).with_context(|| format!("cannot open {name}"))?;
    Ok((name, Box::new(f)))
}
