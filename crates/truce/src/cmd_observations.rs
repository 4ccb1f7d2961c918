//! `truce observations`: stored observations, filtered, streamed page by page.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use time::format_description::well_known::Rfc3339;
use truce_node::query::Filters;
use truce_node::wire;

use crate::cli::{ListFormat, ObservationsArgs};

pub fn run(args: &ObservationsArgs) -> anyhow::Result<ExitCode> {
    // A missing or mistyped data directory is one error of its own, not a store that cannot open.
    truce_node::data_dir::require(&args.data_dir, args.store.get())?;
    let (store, agreement) = truce_node::data_dir::open(&args.data_dir, args.store.get(), None)
        .with_context(|| format!("cannot open the store in {}", args.data_dir.display()))?;
    let filters = Filters {
        bbox: args.bbox.as_deref(),
        near: args.near.as_deref(),
        category: args.category.as_deref(),
        violation: args.violation.as_deref(),
        zone: args.zone.as_deref(),
        polygon: args.polygon.as_deref(),
        means: args.means.as_deref(),
        party: args.party.as_deref(),
        marking: args.marking.as_deref(),
        ..Filters::default()
    };
    // The agreement the data directory uses knows its parties and zones: an unknown one is an error,
    // not an empty list.
    let parties: Vec<&str> = agreement.parties.iter().map(|p| p.id.as_str()).collect();
    let zones: Vec<&str> = agreement.zones.iter().map(|z| z.id.as_str()).collect();
    let known = truce_node::query::Known { parties: &parties, zones: Some(&zones), ..Default::default() };
    let mut q = filters.query(&known).map_err(|(field, reason)| anyhow::anyhow!("--{field}: {reason}"))?;
    // The times were parsed by clap (`truce_formats::when`), like every time flag.
    q.since = args.since;
    q.until = args.until;
    q.received_since = args.received_since;
    q.limit = truce_store::MAX_PAGE;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut first = true;
    if let ListFormat::Geojson = args.format {
        out.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[\n")?;
    }
    if let ListFormat::Csv = args.format {
        out.write_all(b"id,time,lat,lon,category,weapon_class,count,means,team,place,zones,violations\n")?;
    }
    loop {
        let page = store.query(&q)?;
        for s in &page.items {
            match args.format {
                ListFormat::Ndjson => {
                    serde_json::to_writer(&mut out, &wire::observation(s))?;
                    out.write_all(b"\n")?;
                }
                ListFormat::Geojson => {
                    if !first {
                        out.write_all(b",\n")?;
                    }
                    serde_json::to_writer(&mut out, &wire::feature(s))?;
                }
                ListFormat::Csv => {
                    let o = &s.observation;
                    let c = &s.classification;
                    let violations: Vec<&str> = c.violations.iter().map(|v| v.code.as_str()).collect();
                    let row = [
                        o.id.clone(),
                        o.time.format(&Rfc3339).unwrap_or_default(),
                        o.lat.to_string(),
                        o.lon.to_string(),
                        o.category.id().to_owned(),
                        o.weapon_class.clone().unwrap_or_default(),
                        o.count.map(|c| c.to_string()).unwrap_or_default(),
                        o.observer.means.id().to_owned(),
                        o.observer.team.clone().unwrap_or_default(),
                        o.place.clone().unwrap_or_default(),
                        c.zones.join(";"),
                        violations.join(";"),
                    ];
                    let cells: Vec<String> = row.iter().map(|cell| csv_cell(cell)).collect();
                    writeln!(out, "{}", cells.join(","))?;
                }
            }
            first = false;
        }
        match page.next {
            Some(next) => q.cursor = Some(next),
            None => break,
        }
    }
    if let ListFormat::Geojson = args.format {
        out.write_all(b"\n]}\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_owned() }
}
