//! `truce classify`: observations in (CSV or NDJSON), one NDJSON classification per good record out,
//! in input order. Bad records are reported on stderr with their line and skipped; the exit code is 1
//! if there was any (with `--strict`, reading stops at the first).

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use truce_engine::output::write_json_string;
use truce_engine::{Agreement, Classification, Observation};
use truce_formats::{InputFormat, InputRecord, RecordError, RecordId, RecordReader};
use truce_geo::LonLat;

use crate::cli::{ClassifyArgs, Format};

/// Output is flushed to the writer in blocks of about this size.
const OUTPUT_BLOCK: usize = 1 << 16;

pub fn run(args: &ClassifyArgs) -> anyhow::Result<ExitCode> {
    let agreement = match Agreement::load(&args.agreement) {
        Ok(a) => a,
        Err(errors) => {
            for p in &errors.0 {
                eprintln!("error: {p}");
            }
            anyhow::bail!("the agreement {} is invalid ({} errors)", args.agreement.display(), errors.0.len());
        }
    };
    let stdin = args.input == Path::new("-");
    let input_name = if stdin { "<stdin>".to_owned() } else { args.input.display().to_string() };
    let (input, total_bytes): (Box<dyn BufRead>, Option<u64>) = if stdin {
        (Box::new(BufReader::with_capacity(1 << 16, std::io::stdin().lock())), None)
    } else {
        let f = File::open(&args.input).with_context(|| format!("cannot open the input {input_name}"))?;
        let len = f.metadata().ok().map(|m| m.len());
        (Box::new(BufReader::with_capacity(1 << 16, f)), len)
    };
    let mut input = input;
    let format = match (args.format, InputFormat::from_extension(&args.input)) {
        (Some(Format::Csv), _) => InputFormat::Csv,
        (Some(Format::Ndjson), _) => InputFormat::Ndjson,
        (None, Some(f)) if !stdin => f,
        (None, _) if stdin => {
            let first = input
                .fill_buf()
                .context("cannot read standard input")?
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .copied();
            if first == Some(b'{') { InputFormat::Ndjson } else { InputFormat::Csv }
        }
        (None, _) => anyhow::bail!(
            "cannot tell the format of {input_name} from its extension; pass --format csv or --format ndjson"
        ),
    };
    let mut reader = RecordReader::new(input, format).with_context(|| input_name.to_string())?;
    let mut out: Box<dyn Write> = if args.output == Path::new("-") {
        Box::new(std::io::stdout().lock())
    } else {
        Box::new(
            File::create(&args.output)
                .with_context(|| format!("cannot create the output {}", args.output.display()))?,
        )
    };

    let bar = match total_bytes {
        Some(len) if std::io::stderr().is_terminal() && len > 1 << 20 => {
            let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} classifying [{bar:40}] {bytes}/{total_bytes} {msg} ({eta} left)",
                )
                .map_err(|e| anyhow::anyhow!("progress template: {e}"))?
                .progress_chars("=> "),
            );
            bar
        }
        _ => ProgressBar::hidden(),
    };

    let started = Instant::now();
    let (mut good, mut bad) = (0u64, 0u64);
    let mut buf = Vec::with_capacity(OUTPUT_BLOCK + 4096);
    let mut id_json = Vec::with_capacity(64);
    let mut classification = Classification::default();
    let write_out = |out: &mut Box<dyn Write>, buf: &mut Vec<u8>| -> anyhow::Result<()> {
        out.write_all(buf).with_context(|| format!("cannot write the output {}", args.output.display()))?;
        buf.clear();
        Ok(())
    };
    while let Some(record) = reader.next_record().with_context(|| input_name.clone())? {
        let observation = record.and_then(|r| observation(&agreement, &r).map(|o| (r, o)));
        match observation {
            Ok((record, obs)) => {
                agreement.classify_into(&obs, &mut classification);
                id_json.clear();
                match &record.id {
                    RecordId::Text(s) => write_json_string(&mut id_json, s),
                    RecordId::Number(n) => id_json.extend_from_slice(n.as_bytes()),
                }
                classification.write_ndjson(&agreement, &id_json, &mut buf);
                good += 1;
                if buf.len() >= OUTPUT_BLOCK {
                    write_out(&mut out, &mut buf)?;
                    bar.set_position(reader.bytes_read());
                }
            }
            Err(e) => {
                bad += 1;
                bar.suspend(|| eprintln!("{input_name}:{}: {}", e.line, e.reason));
                if args.strict {
                    break;
                }
            }
        }
    }
    write_out(&mut out, &mut buf)?;
    out.flush().with_context(|| format!("cannot write the output {}", args.output.display()))?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "truce classify: {good} record{} classified, {bad} bad{}, in {secs:.2} s ({:.0} records/s)",
        if good == 1 { "" } else { "s" },
        if args.strict && bad > 0 { " (stopped at the first: --strict)" } else { "" },
        (good + bad) as f64 / secs.max(1e-9)
    );
    Ok(if bad > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// The classifier's view of a record, checking the ids that only the agreement knows.
fn observation(agreement: &Agreement, r: &InputRecord) -> Result<Observation, RecordError> {
    let unknown = |e: truce_engine::record::UnknownReference| RecordError {
        line: r.line,
        reason: format!("field `{}`: {}", e.field, e.message),
    };
    let weapon_class = agreement.weapon_class_ref(r.weapon_class.as_deref()).map_err(unknown)?;
    let party = agreement.party_ref(r.party.as_deref()).map_err(unknown)?;
    Ok(Observation {
        time: r.time,
        position: LonLat::new(r.lon, r.lat),
        category: r.category,
        weapon_class,
        count: r.count,
        party,
    })
}
