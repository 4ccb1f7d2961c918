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
