//! Observation files for `truce ingest`: CSV (truce's own columns, or ACLED- and UCDP-style event data),
//! NDJSON and GeoJSON. Each record comes out with its location in the file (line, or feature index) and
//! either an observation or every field error; reading goes on after a bad record. The column mappings
//! are documented in `docs/ingest.md`.

use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};
use truce_core::{Means, Observation};

use crate::observation::{FieldError, Options, from_json};
use crate::records::{MAX_RECORD_BYTES, read_line_bounded};

/// A file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// CSV with a header.
    Csv,
    /// One JSON observation per line.
    Ndjson,
    /// A GeoJSON FeatureCollection of Point features.
    GeoJson,
}

impl FileFormat {
    /// From the file's extension.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "ndjson" | "jsonl" => Some(Self::Ndjson),
            "geojson" | "json" => Some(Self::GeoJson),
            _ => None,
        }
    }
}

/// The dialect of a CSV file, told from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// truce's own column names.
    Truce,
    /// ACLED: `event_date`, `latitude`, `longitude`, `sub_event_type`, ...
    Acled,
    /// UCDP GED: `date_start`, `latitude`, `longitude`, `where_prec`, ...
    Ucdp,
}

/// One record read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestRecord {
    /// 1-based line (CSV, NDJSON) or 0-based feature index (GeoJSON).
    pub position: u64,
    /// The observation, or every problem with it.
    pub result: Result<Observation, Vec<FieldError>>,
}

/// Why a whole file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading failed.
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not what its format says.
    #[error("{0}")]
    Format(String),
}

const FILE_OPTIONS: Options = Options { reject_unknown: false, default_means: Means::Import };

/// A reader of one file's records.
pub struct FileReader<R: Read> {
    inner: Inner<R>,
    /// The CSV dialect detected (None for other formats).
    pub dialect: Option<Dialect>,
}

enum Inner<R: Read> {
    Csv { reader: csv::Reader<R>, header: Vec<String>, record: csv::StringRecord },
    Ndjson { reader: std::io::BufReader<R>, buf: Vec<u8>, line: u64 },
    GeoJson { features: std::vec::IntoIter<Value>, index: u64 },
}

impl<R: Read> FileReader<R> {
    /// Starts reading `input` as `format`.
    ///
    /// # Errors
    /// When a CSV header or the GeoJSON document cannot be read.
    pub fn new(mut input: R, format: FileFormat) -> Result<Self, FileError> {
        match format {
            FileFormat::Csv => {
                let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(input);
                let header: Vec<String> = reader
                    .headers()
                    .map_err(|e| FileError::Format(format!("line 1: the CSV header cannot be read: {e}")))?
                    .iter()
                    .map(|h| h.trim_start_matches('\u{feff}').trim().to_ascii_lowercase())
                    .collect();
                let has = |n: &str| header.iter().any(|h| h == n);
                let dialect = if has("event_date") && has("latitude") && has("longitude") {
                    Dialect::Acled
                } else if has("date_start") && has("latitude") && has("longitude") {
                    Dialect::Ucdp
                } else {
                    Dialect::Truce
                };
                Ok(Self {
                    inner: Inner::Csv { reader, header, record: csv::StringRecord::new() },
                    dialect: Some(dialect),
                })
            }
            FileFormat::Ndjson => Ok(Self {
                inner: Inner::Ndjson {
                    reader: std::io::BufReader::with_capacity(1 << 16, input),
                    buf: Vec::new(),
                    line: 0,
                },
                dialect: None,
            }),
            FileFormat::GeoJson => {
                let mut text = Vec::new();
                input.read_to_end(&mut text)?;
                let doc: Value = serde_json::from_slice(&text).map_err(|e| {
                    FileError::Format(format!("line {}, column {}: invalid JSON: {e}", e.line(), e.column()))
                })?;
                let features = match (doc.get("type").and_then(Value::as_str), doc.get("features")) {
                    (Some("FeatureCollection"), Some(Value::Array(f))) => f.clone(),
                    (Some("Feature"), _) => vec![doc],
                    _ => {
                        return Err(FileError::Format("expected a GeoJSON FeatureCollection of Point features".into()));
                    }
                };
                Ok(Self { inner: Inner::GeoJson { features: features.into_iter(), index: 0 }, dialect: None })
            }
        }
    }

    /// The next record, or `None` at the end.
    ///
    /// # Errors
    /// When reading fails (not for a bad record).
    pub fn next_record(&mut self) -> Result<Option<IngestRecord>, FileError> {
        match &mut self.inner {
            Inner::Csv { reader, header, record } => {
                // Where the next record starts (csv's lines are 1-based); an error carries its own position.
                let line = reader.position().line();
                match reader.read_record(record) {
                    Ok(false) => Ok(None),
                    Ok(true) => {
                        let line = record.position().map_or(line, csv::Position::line);
                        let row: Map<String, Value> = header
                            .iter()
                            .zip(record.iter())
                            .filter(|(_, v)| !v.trim().is_empty())
                            .map(|(h, v)| (h.clone(), Value::String(v.to_owned())))
                            .collect();
                        let mapped = match self.dialect {
                            Some(Dialect::Acled) => acled(row),
                            Some(Dialect::Ucdp) => ucdp(row),
                            _ => Ok(truce_columns(row)),
                        };
                        let result = mapped.and_then(|m| from_json(&m, FILE_OPTIONS));
                        Ok(Some(IngestRecord { position: line, result }))
                    }
                    Err(e) => {
                        let line = e.position().map_or(line, csv::Position::line);
                        match e.kind() {
                            csv::ErrorKind::Io(_) => Err(FileError::Format(e.to_string())),
                            csv::ErrorKind::Utf8 { .. } => {
                                Ok(Some(bad(line, "record", "invalid_value", "not valid UTF-8".into())))
                            }
                            _ => Ok(Some(bad(line, "record", "invalid_value", format!("malformed CSV: {e}")))),
                        }
                    }
                }
            }
            Inner::Ndjson { reader, buf, line } => loop {
                buf.clear();
                let n = read_line_bounded(reader, buf)?;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                if n > MAX_RECORD_BYTES {
                    return Ok(Some(bad(
                        *line,
                        "record",
                        "out_of_range",
                        format!("longer than {MAX_RECORD_BYTES} bytes"),
                    )));
                }
                if buf.trim_ascii().is_empty() {
                    continue;
                }
                let result = match serde_json::from_slice::<Value>(buf.trim_ascii()) {
                    Ok(Value::Object(m)) => from_json(&m, FILE_OPTIONS),
                    Ok(_) => Err(vec![FieldError {
                        field: "record".into(),
                        code: "invalid_type",
                        message: "expected a JSON object".into(),
                    }]),
                    Err(e) => Err(vec![FieldError {
                        field: "record".into(),
                        code: "malformed_json",
                        message: format!("invalid JSON: {e}"),
                    }]),
                };
                return Ok(Some(IngestRecord { position: *line, result }));
            },
            Inner::GeoJson { features, index } => {
                let Some(f) = features.next() else { return Ok(None) };
                let position = *index;
                *index += 1;
                Ok(Some(IngestRecord { position, result: geojson_feature(&f) }))
            }
        }
    }
}

fn bad(position: u64, field: &str, code: &'static str, message: String) -> IngestRecord {
    IngestRecord { position, result: Err(vec![FieldError { field: field.into(), code, message }]) }
}

fn geojson_feature(f: &Value) -> Result<Observation, Vec<FieldError>> {
    let err = |field: &str, code: &'static str, message: &str| {
        vec![FieldError { field: field.into(), code, message: message.into() }]
    };
    let mut props = match f.get("properties") {
        Some(Value::Object(p)) => p.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err(err("properties", "invalid_type", "expected an object")),
    };
    match f.get("geometry") {
        Some(g) if g.get("type").and_then(Value::as_str) == Some("Point") => {
            match g.get("coordinates").and_then(Value::as_array).map(Vec::as_slice) {
                Some([lon, lat, ..]) => {
                    props.insert("lon".into(), lon.clone());
                    props.insert("lat".into(), lat.clone());
                }
                _ => return Err(err("geometry.coordinates", "invalid_type", "a Point needs [lon, lat]")),
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => return Err(err("geometry", "invalid_type", "only Point geometries are observations")),
    }
    if let (None, Some(id)) = (props.get("id"), f.get("id")) {
        props.insert("id".into(), id.clone());
    }
    from_json(&props, FILE_OPTIONS)
}

/// truce's own CSV columns: the JSON field names, with the observer's and the casualties' fields
/// flattened (`observer_means`, `observer_team`, `observer_callsign`, `observer_lat`, `observer_lon`,
/// `bearing_deg`, `range_m`, `killed`, `injured`); `latitude`/`longitude` are accepted for `lat`/`lon`.
fn truce_columns(mut row: Map<String, Value>) -> Map<String, Value> {
    for (alias, name) in [("latitude", "lat"), ("longitude", "lon")] {
        if let Some(v) = row.remove(alias) {
            row.entry(name).or_insert(v);
        }
    }
    let mut observer = Map::new();
    for (col, field) in [
        ("observer_means", "means"),
        ("means", "means"),
        ("observer_team", "team"),
        ("team", "team"),
        ("observer_callsign", "callsign"),
        ("observer_lat", "lat"),
        ("observer_lon", "lon"),
        ("bearing_deg", "bearing_deg"),
        ("range_m", "range_m"),
    ] {
        if let Some(v) = row.remove(col) {
            observer.entry(field).or_insert(v);
        }
    }
    if !observer.is_empty() {
        row.insert("observer".into(), Value::Object(observer));
    }
    let mut casualties = Map::new();
    for c in ["killed", "injured"] {
        if let Some(v) = row.remove(c) {
            casualties.insert(c.into(), v);
        }
    }
    if !casualties.is_empty() {
        row.insert("casualties".into(), Value::Object(casualties));
    }
    row
}

fn take(row: &mut Map<String, Value>, k: &str) -> Option<String> {
    row.remove(k).and_then(|v| v.as_str().map(str::to_owned))
}

/// ACLED `sub_event_type` → truce category. Types with no ceasefire-monitoring meaning are refused.
pub const ACLED_CATEGORIES: &[(&str, &str)] = &[
    ("Shelling/artillery/missile attack", "explosion_impact"),
    ("Air/drone strike", "explosion_impact"),
    ("Grenade", "explosion_impact"),
    ("Remote explosive/landmine/IED", "explosion_undetermined"),
    ("Suicide bomb", "explosion_undetermined"),
    ("Armed clash", "bursts_and_shots"),
    ("Attack", "bursts_and_shots"),
    ("Government regains territory", "bursts_and_shots"),
    ("Non-state actor overtakes territory", "bursts_and_shots"),
    ("Headquarters or base established", "engineering_works"),
];

fn acled(mut row: Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    if let Some(id) = take(&mut row, "event_id_cnty") {
        out.insert("id".into(), Value::String(format!("acled-{id}")));
    }
    match take(&mut row, "event_date").map(|d| (parse_day(&d), d)) {
        Some((Some(day), _)) => {
            out.insert("time".into(), Value::String(format!("{day}T00:00:00Z")));
        }
        Some((None, d)) => errors.push(FieldError {
            field: "event_date".into(),
            code: "invalid_value",
            message: format!("{d:?} is not a date (YYYY-MM-DD or \"15 January 2024\")"),
        }),
        None => {
            errors.push(FieldError { field: "event_date".into(), code: "missing_field", message: "required".into() })
        }
    }
    let precision = match take(&mut row, "time_precision").as_deref().map(str::trim) {
        None | Some("1") => "day",
        Some("2") => "week",
        Some("3") => "month",
        Some(other) => {
            errors.push(FieldError {
                field: "time_precision".into(),
                code: "invalid_value",
                message: format!("{other:?} is not 1, 2 or 3"),
            });
            "day"
        }
    };
    out.insert("time_precision".into(), Value::String(precision.into()));
    for (from, to) in
        [("latitude", "lat"), ("longitude", "lon"), ("notes", "text"), ("source", "source_ref"), ("location", "place")]
    {
        if let Some(v) = row.remove(from) {
            out.insert(to.into(), v);
        }
    }
    match take(&mut row, "geo_precision").as_deref().map(str::trim) {
        None => {}
        Some(p) => match p {
            "1" => drop(out.insert("location_precision".into(), "settlement".into())),
            "2" => drop(out.insert("location_precision".into(), "near_settlement".into())),
            "3" => drop(out.insert("location_precision".into(), "region".into())),
            other => errors.push(FieldError {
                field: "geo_precision".into(),
                code: "invalid_value",
                message: format!("{other:?} is not 1, 2 or 3"),
            }),
        },
    }
    if let Some(c) = row.remove("category") {
        out.insert("category".into(), c);
    } else {
        match take(&mut row, "sub_event_type") {
            Some(t) => match ACLED_CATEGORIES.iter().find(|(k, _)| k.eq_ignore_ascii_case(t.trim())) {
                Some((_, c)) => drop(out.insert("category".into(), Value::String((*c).into()))),
                None => errors.push(FieldError {
                    field: "sub_event_type".into(),
                    code: "invalid_value",
                    message: format!("{t:?} has no truce category (mapped types are listed in docs/ingest.md; or give a `category` column)"),
                }),
            },
            None => errors.push(FieldError { field: "sub_event_type".into(), code: "missing_field", message: "required (or a `category` column)".into() }),
        }
    }
    out.insert("observer".into(), serde_json::json!({"means": "import", "team": "ACLED"}));
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

fn ucdp(mut row: Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    if let Some(id) = take(&mut row, "id") {
        out.insert("id".into(), Value::String(format!("ucdp-{id}")));
    }
    for (from, to) in [("date_start", "time"), ("date_end", "time_end")] {
        if let Some(d) = take(&mut row, from) {
            let day = d.get(..10).and_then(parse_day);
            match day {
                Some(day) => drop(out.insert(to.into(), Value::String(format!("{day}T00:00:00Z")))),
                None => errors.push(FieldError {
                    field: from.into(),
                    code: "invalid_value",
                    message: format!("{d:?} is not a date"),
                }),
            }
        }
    }
    let precision = match take(&mut row, "date_prec").as_deref().map(str::trim) {
        None | Some("1") => "day",
        Some("2" | "3") => "week",
        Some(_) => "month",
    };
    out.insert("time_precision".into(), Value::String(precision.into()));
    let location = match take(&mut row, "where_prec").as_deref().map(str::trim) {
        Some("1") => "exact",
        Some("2") => "near_settlement",
        _ => "region",
    };
    out.insert("location_precision".into(), Value::String(location.into()));
    for (from, to) in
        [("latitude", "lat"), ("longitude", "lon"), ("where_description", "place"), ("source_article", "source_ref")]
    {
        if let Some(v) = row.remove(from) {
            out.insert(to.into(), v);
        }
    }
    match (row.remove("category"), take(&mut row, "type_of_violence").as_deref().map(str::trim)) {
        (Some(c), _) => drop(out.insert("category".into(), c)),
        (None, Some("1" | "2")) => drop(out.insert("category".into(), "bursts_and_shots".into())),
        (None, Some("3")) => drop(out.insert("category".into(), "civilian_casualty".into())),
        (None, _) => errors.push(FieldError {
            field: "type_of_violence".into(),
            code: "missing_field",
            message: "required (1, 2 or 3), or a `category` column".into(),
        }),
    }
    out.insert("observer".into(), serde_json::json!({"means": "import", "team": "UCDP"}));
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// `YYYY-MM-DD` or `15 January 2024` → `YYYY-MM-DD`.
fn parse_day(s: &str) -> Option<String> {
    let s = s.trim();
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(s, &fmt) {
        return Some(d.to_string());
    }
    let mut parts = s.split_whitespace();
    let day: u8 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?.to_ascii_lowercase();
    let year: i32 = parts.next()?.parse().ok()?;
    let month = time::Month::January.nth_next(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ]
        .iter()
        .position(|m| m.starts_with(&month_name) && month_name.len() >= 3)? as u8,
    );
    time::Date::from_calendar_date(year, month, day).ok().map(|d| d.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8], format: FileFormat) -> Vec<IngestRecord> {
        let mut r = FileReader::new(bytes, format).unwrap();
        let mut out = Vec::new();
        while let Some(rec) = r.next_record().unwrap() {
            out.push(rec);
        }
        out
    }

    #[test]
    fn acled_rows_map_onto_observations() {
        let csv = "event_id_cnty,event_date,time_precision,event_type,sub_event_type,actor1,location,latitude,longitude,geo_precision,source,notes,fatalities\n\
                   UKR1,2024-01-15,1,Explosions/Remote violence,Shelling/artillery/missile attack,Military Forces of Russia,Huliaipole,47.6639,36.2531,2,Ukrinform,\"On 15 January, shelling hit Huliaipole.\",0\n\
                   UKR2,15 February 2024,2,Battles,Armed clash,X,Robotyne,47.4431,35.8261,1,Y,notes,3\n\
                   UKR3,2024-02-30,1,Protests,Peaceful protest,X,Kyiv,50.45,30.52,1,Y,notes,0\n";
        let recs = all(csv.as_bytes(), FileFormat::Csv);
        let a = recs[0].result.as_ref().unwrap();
        assert_eq!(a.id, "acled-UKR1");
        assert_eq!(a.category, truce_core::Category::ExplosionImpact);
        assert_eq!(a.location_precision, truce_core::LocationPrecision::NearSettlement);
        assert_eq!(a.place.as_deref(), Some("Huliaipole"));
        assert_eq!(a.source_ref.as_deref(), Some("Ukrinform"));
        let b = recs[1].result.as_ref().unwrap();
        assert_eq!((b.time.day(), b.time_precision), (15, truce_core::TimePrecision::Week));
        let errs = recs[2].result.as_ref().unwrap_err();
        assert_eq!(recs[2].position, 4);
        assert!(errs.iter().any(|e| e.field == "event_date"), "{errs:?}");
        assert!(errs.iter().any(|e| e.field == "sub_event_type" && e.message.contains("Peaceful protest")), "{errs:?}");
    }

    #[test]
    fn truce_csv_geojson_and_ndjson() {
        let csv = "id,time,lat,lon,category,observer_means,observer_team,bearing_deg,range_m,killed\n\
                   c1,2026-11-20T01:00:00Z,48.5,37.5,civilian_casualty,patrol,MT-1,,,2\n";
        let c = all(csv.as_bytes(), FileFormat::Csv);
        let o = c[0].result.as_ref().unwrap();
        assert_eq!((o.observer.team.as_deref(), o.casualties.map(|c| c.killed)), (Some("MT-1"), Some(2)));

        let gj = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":"g1","geometry":{"type":"Point","coordinates":[37.5,48.5]},"properties":{"time":"2026-11-20T01:00:00Z","category":"muzzle_flash"}},
            {"type":"Feature","geometry":{"type":"LineString","coordinates":[[37.5,48.5],[37.6,48.6]]},"properties":{}}]}"#;
        let g = all(gj.as_bytes(), FileFormat::GeoJson);
        assert_eq!(g[0].result.as_ref().unwrap().id, "g1");
        assert_eq!((g[1].position, g[1].result.as_ref().unwrap_err()[0].field.as_str()), (1, "geometry"));

        let nd = b"{\"id\":\"n1\",\"time\":\"2026-11-20T01:00:00Z\",\"lat\":48,\"lon\":37,\"category\":\"gps_jamming\"}\n[1,2]\n{\"id\": \n";
        let n = all(nd, FileFormat::Ndjson);
        assert!(n[0].result.is_ok());
        assert_eq!(n[1].result.as_ref().unwrap_err()[0].code, "invalid_type");
        assert_eq!((n[2].position, n[2].result.as_ref().unwrap_err()[0].code), (3, "malformed_json"));
    }

    #[test]
    fn ucdp_rows() {
        let csv = "id,date_start,date_end,date_prec,where_prec,latitude,longitude,type_of_violence\n7,2022-03-01 00:00:00.000,2022-03-02 00:00:00.000,1,1,47.1,37.5,1\n";
        let r = all(csv.as_bytes(), FileFormat::Csv);
        let o = r[0].result.as_ref().unwrap();
        assert_eq!((o.id.as_str(), o.category), ("ucdp-7", truce_core::Category::BurstsAndShots));
        assert!(o.time_end.is_some());
    }

    #[test]
    fn a_bad_row_is_reported_on_its_own_line() {
        let csv = b"id,time,lat,lon,category\n\xff\xfe,2026-11-20T01:00:00Z,48.5,37.5,muzzle_flash\nok,2026-11-20T01:00:00Z,48.5,37.5,muzzle_flash\n";
        let recs = all(csv, FileFormat::Csv);
        assert_eq!(recs[0].position, 2, "{recs:?}");
        assert!(recs[0].result.as_ref().unwrap_err()[0].message.contains("UTF-8"));
        assert_eq!(recs[1].position, 3);
        assert!(recs[1].result.is_ok());
    }

    #[test]
    fn garbage_geojson_is_a_file_error() {
        assert!(FileReader::new(&b"{\"type\": \"Feature"[..], FileFormat::GeoJson).is_err());
        assert!(FileReader::new(&b"[1, 2]"[..], FileFormat::GeoJson).is_err());
    }
}
