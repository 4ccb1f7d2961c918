//! `truce observations`: stored observations, filtered, streamed page by page.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use truce_store::{ObservationStore, Query, SqliteStore};

use crate::cli::{ListFormat, ObservationsArgs};
use crate::json;

/// Parses an RFC 3339 time or a `YYYY-MM-DD` date (midnight UTC).
pub fn parse_time(s: &str) -> anyhow::Result<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &fmt)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| anyhow::anyhow!("{s:?} is not an RFC 3339 time or a YYYY-MM-DD date"))
}

fn numbers<const N: usize>(s: &str, what: &str) -> anyhow::Result<[f64; N]> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| anyhow::anyhow!("{what}: {s:?} is not {N} comma-separated numbers"))?;
    v.try_into().map_err(|_| anyhow::anyhow!("{what}: {s:?} is not {N} comma-separated numbers"))
}

/// The store query for the command-line (and API) filters; every value checked.
pub struct Filters<'a> {
    pub since: Option<&'a str>,
    pub received_since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub bbox: Option<&'a str>,
    pub near: Option<&'a str>,
    pub category: Option<&'a str>,
    pub violation: Option<&'a str>,
    pub zone: Option<&'a str>,
}

impl Filters<'_> {
    /// The query, or the first filter at fault (name, reason).
    pub fn query(&self) -> Result<Query, (&'static str, String)> {
        let mut q = Query {
            since: self.since.map(parse_time).transpose().map_err(|e| ("since", e.to_string()))?,
            until: self.until.map(parse_time).transpose().map_err(|e| ("until", e.to_string()))?,
            received_since: self
                .received_since
                .map(parse_time)
                .transpose()
                .map_err(|e| ("received_since", e.to_string()))?,
            ..Query::default()
        };
        if let Some(b) = self.bbox {
            let [w, s, e, n] = numbers::<4>(b, "bbox").map_err(|e| ("bbox", e.to_string()))?;
            if !(-180.0..=180.0).contains(&w)
                || !(-180.0..=180.0).contains(&e)
                || !(-90.0..=90.0).contains(&s)
                || !(-90.0..=90.0).contains(&n)
                || w > e
                || s > n
            {
                return Err((
                    "bbox",
                    format!(
                        "{b:?}: expected W,S,E,N with W <= E, S <= N, longitudes in -180..180 and latitudes in -90..90"
                    ),
                ));
            }
            q.bbox = Some([w, s, e, n]);
        }
        if let Some(near) = self.near {
            let [lat, lon, km] = numbers::<3>(near, "near").map_err(|e| ("near", e.to_string()))?;
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) || !(0.0..=20_000.0).contains(&km) {
                return Err((
                    "near",
                    format!("{near:?}: expected LAT,LON,KM with lat in -90..90, lon in -180..180, km in 0..20000"),
                ));
            }
            q.near = Some((lat, lon, km));
        }
        if let Some(c) = self.category {
            q.category = Some(c.parse().map_err(|e: truce_core::UnknownCategory| ("category", e.to_string()))?);
        }
        if let Some(v) = self.violation {
            if !truce_core::ViolationCode::ALL.iter().any(|c| c.code() == v) {
                let codes: Vec<&str> = truce_core::ViolationCode::ALL.iter().map(|c| c.code()).collect();
                return Err(("violation", format!("unknown violation code {v:?} (codes: {})", codes.join(", "))));
            }
            q.violation = Some(v.to_owned());
        }
        q.zone = self.zone.map(str::to_owned);
        Ok(q)
    }
}

pub fn run(args: &ObservationsArgs) -> anyhow::Result<ExitCode> {
    let filters = Filters {
        since: args.since.as_deref(),
        received_since: args.received_since.as_deref(),
        until: args.until.as_deref(),
        bbox: args.bbox.as_deref(),
        near: args.near.as_deref(),
        category: args.category.as_deref(),
        violation: args.violation.as_deref(),
        zone: args.zone.as_deref(),
    };
    let mut q = filters.query().map_err(|(field, reason)| anyhow::anyhow!("--{field}: {reason}"))?;
    if !args.data_dir.join(truce_store::DATABASE_FILE).exists() {
        anyhow::bail!("no store in {} (ingest or serve first, or pass --data-dir)", args.data_dir.display());
    }
    let store = SqliteStore::open(&args.data_dir)
        .with_context(|| format!("cannot open the store in {}", args.data_dir.display()))?;
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
                    serde_json::to_writer(&mut out, &json::observation(s))?;
                    out.write_all(b"\n")?;
                }
                ListFormat::Geojson => {
                    if !first {
                        out.write_all(b",\n")?;
                    }
                    serde_json::to_writer(&mut out, &json::feature(s))?;
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
