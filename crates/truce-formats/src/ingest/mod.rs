//! Observation files for `truce ingest`: CSV (truce's own columns, a generic event file with a `date`
//! column, or ACLED and UCDP GED exports as published and as re-saved by a spreadsheet), NDJSON and
//! GeoJSON. Each record comes out with its location in the file (line, or feature index) and an
//! observation, every field error, or why it was skipped; reading goes on after a bad record. The
//! column mappings are documented in `docs/ingest.md`. A CSV row with more non-empty cells than the
//! header, or a short last row without a line end (a file cut short), is a bad record, as for
//! `truce classify` (see [`crate::records`]).
//!
//! A CSV file is read twice: a first pass looks at the header, checks that the bytes are UTF-8 (else
//! they are read as Windows-1252, with a notice) and collects what the date cells say about their
//! day/month order, which is decided for the whole file ([`dates`]); the second pass reads the records.
//! Hence `Seek`: a file is read from disk twice rather than held in memory.

pub mod dates;
mod dialect;
pub mod encoding;

use std::collections::BTreeSet;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde_json::{Map, Value};
use truce_core::{Means, Observation};

pub use dates::DateOrder;
pub use dialect::{ACLED_CATEGORIES, ACLED_COLUMNS, Dialect, UCDP_COLUMNS, disrupted_weapons_use};
pub use encoding::Encoding;

use crate::observation::{FIELDS, FieldError, MAX_PLACE, MAX_TEXT, Options, from_json};
use crate::records::{MAX_RECORD_BYTES, Watched, ragged, read_line_bounded};
use dialect::{Header, Mapped, nearest};

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

/// What the user told about a file that its bytes cannot say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The order of numeric dates (`--date-order`); `None`: inferred from the whole file, or asked for.
    pub date_order: Option<DateOrder>,
    /// The CSV encoding (`--encoding`); `None`: UTF-8 if the file is, else Windows-1252 with a notice.
    /// JSON is UTF-8 by its standard.
    pub encoding: Option<Encoding>,
}

/// What became of one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// An observation.
    Observation(Box<Observation>),
    /// Nothing a ceasefire monitor observes (an ACLED protest): why. Not an error.
    Skipped(String),
    /// Every problem with the record.
    Bad(Vec<FieldError>),
}

/// One record read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestRecord {
    /// 1-based line (CSV, NDJSON) or 0-based feature index (GeoJSON).
    pub position: u64,
    /// The observation, why it was skipped, or every problem with it.
    pub outcome: Outcome,
    /// What was changed to keep the record (a text cut to the longest kept), by column or field.
    pub warnings: Vec<String>,
}

impl IngestRecord {
    /// The observation, if the record is one.
    pub fn observation(&self) -> Option<&Observation> {
        match &self.outcome {
            Outcome::Observation(o) => Some(o),
            _ => None,
        }
    }

    /// The record's problems (none when it is good or skipped).
    pub fn errors(&self) -> &[FieldError] {
        match &self.outcome {
            Outcome::Bad(e) => e,
            _ => &[],
        }
    }
}

/// An error as the user should read it: a CSV's by its column, JSON's by its field.
pub fn describe(e: &FieldError, format: FileFormat) -> String {
    match (e.field.as_str(), format) {
        ("record", _) => e.message.clone(),
        (f, FileFormat::Csv) => format!("column `{f}`: {}", e.message),
        _ => e.to_string(),
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Why a whole file cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading failed.
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not what its format says (or is empty, or lacks a column it needs).
    #[error("{0}")]
    Format(String),
}

const FILE_OPTIONS: Options = Options { reject_unknown: false, default_means: Means::Import };

/// A reader of one file's records.
pub struct FileReader<R: Read> {
    inner: Inner<R>,
    /// The CSV dialect detected (None for other formats).
    pub dialect: Option<Dialect>,
    notices: Vec<String>,
}

enum Inner<R: Read> {
    Csv {
        reader: csv::Reader<Watched<R>>,
        header: Header,
        record: csv::ByteRecord,
        encoding: Encoding,
        order: Option<DateOrder>,
        crlf: bool,
    },
    Ndjson {
        reader: std::io::BufReader<R>,
        buf: Vec<u8>,
        line: u64,
        records: u64,
        unknown: BTreeSet<String>,
    },
    GeoJson {
        features: std::vec::IntoIter<Value>,
        index: u64,
        unknown: BTreeSet<String>,
    },
}

fn csv_reader<R: Read>(input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(input)
}

/// A spreadsheet's trailing `,,,,` rows are not records.
fn blank(record: &csv::ByteRecord) -> bool {
    record.iter().all(|f| f.trim_ascii().is_empty())
}

fn decode(field: &[u8], encoding: Encoding) -> Option<String> {
    match encoding {
        Encoding::Utf8 => std::str::from_utf8(field).ok().map(str::to_owned),
        Encoding::Windows1252 => Some(encoding::windows_1252(field)),
    }
}

impl<R: Read + Seek> FileReader<R> {
    /// Starts reading `input` as `format`, with what the bytes cannot say left to be inferred.
    ///
    /// # Errors
    /// See [`FileReader::with_options`].
    pub fn new(input: R, format: FileFormat) -> Result<Self, FileError> {
        Self::with_options(input, format, &ReadOptions::default())
    }

    /// Starts reading `input` as `format`.
    ///
    /// # Errors
    /// When the file is empty; when a CSV header cannot be read or lacks a column the file needs, or the
    /// order of its dates cannot be told; when the GeoJSON document cannot be read.
    pub fn with_options(mut input: R, format: FileFormat, options: &ReadOptions) -> Result<Self, FileError> {
        match format {
            FileFormat::Csv => {
                let (inner, dialect, notices) = open_csv(input, options)?;
                Ok(Self { inner, dialect: Some(dialect), notices })
            }
            FileFormat::Ndjson => Ok(Self {
                inner: Inner::Ndjson {
                    reader: std::io::BufReader::with_capacity(1 << 16, input),
                    buf: Vec::new(),
                    line: 0,
                    records: 0,
                    unknown: BTreeSet::new(),
                },
                dialect: None,
                notices: Vec::new(),
            }),
            FileFormat::GeoJson => {
                let mut text = Vec::new();
                input.read_to_end(&mut text)?;
                if text.trim_ascii().is_empty() {
                    return Err(FileError::Format("the file is empty".into()));
                }
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
                if features.is_empty() {
                    return Err(FileError::Format("the FeatureCollection has no features".into()));
                }
                Ok(Self {
                    inner: Inner::GeoJson { features: features.into_iter(), index: 0, unknown: BTreeSet::new() },
                    dialect: None,
                    notices: Vec::new(),
                })
            }
        }
    }
}

fn open_csv<R: Read + Seek>(
    mut input: R,
    options: &ReadOptions,
) -> Result<(Inner<R>, Dialect, Vec<String>), FileError> {
    let start = input.stream_position()?;
    let mut head = Vec::new();
    (&mut input).take(1 << 16).read_to_end(&mut head)?;
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Err(FileError::Format(
            "the file is UTF-16 (a spreadsheet's \"Unicode text\"): save it as \"CSV UTF-8\"".into(),
        ));
    }
    let crlf = head.iter().position(|&b| b == b'\n').is_some_and(|i| i > 0 && head[i - 1] == b'\r');
    input.seek(SeekFrom::Start(start))?;

    // First pass: the header, whether the bytes are UTF-8, and what the dates say of their order.
    let mut notices = Vec::new();
    let mut header: Option<Header> = None;
    let (mut rows, mut not_utf8) = (0u64, None);
    let mut evidence = dates::OrderEvidence::default();
    {
        let mut first = csv_reader(&mut input);
        let mut record = csv::ByteRecord::new();
        loop {
            match first.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => return Err(FileError::Format(e.to_string())),
                // Malformed records are reported, with their line, by the second pass.
                Err(_) => continue,
            }
            let line = record.position().map_or(0, |p| line_of(p, crlf));
            if not_utf8.is_none() && std::str::from_utf8(record.as_slice()).is_err() {
                not_utf8 = Some(line);
            }
            match &header {
                None => {
                    let names = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                    let (h, notice) = Header::new(names).map_err(FileError::Format)?;
                    notices.extend(notice);
                    header = Some(h);
                }
                Some(_) if blank(&record) => {}
                Some(h) => {
                    rows += 1;
                    for &i in &h.date_columns {
                        if let Some(v) = record.get(i) {
                            evidence.see(&h.original[i], line, &String::from_utf8_lossy(v));
                        }
                    }
                }
            }
        }
    }
    if header.is_none() {
        return Err(FileError::Format("the file is empty".into()));
    }
    if rows == 0 {
        return Err(FileError::Format("the file has a header (line 1) but no rows".into()));
    }
    let encoding = match (options.encoding, not_utf8) {
        (Some(e), _) => e,
        (None, None) => Encoding::Utf8,
        (None, Some(line)) => {
            notices.insert(
                0,
                format!(
                    "the file is not UTF-8 (line {line}); read as Windows-1252; use --encoding utf-8|windows-1252|latin1 to choose"
                ),
            );
            Encoding::Windows1252
        }
    };
    let order = evidence.decide(options.date_order).map_err(FileError::Format)?;

    // Second pass: the records, from the start again.
    input.seek(SeekFrom::Start(start))?;
    let mut reader = csv_reader(Watched::new(input));
    let mut record = csv::ByteRecord::new();
    reader.read_byte_record(&mut record).map_err(|e| FileError::Format(e.to_string()))?;
    let names =
        record.iter().map(|f| decode(f, encoding).unwrap_or_else(|| String::from_utf8_lossy(f).into())).collect();
    let (header, _) = Header::new(names).map_err(FileError::Format)?;
    let dialect = header.dialect;
    Ok((Inner::Csv { reader, header, record, encoding, order, crlf }, dialect, notices))
}

/// The 1-based line where a record starts. The csv crate counts a CRLF's `\n` as part of the next record,
/// so in a CRLF file (every spreadsheet's) its line is one short for every record but the first.
fn line_of(p: &csv::Position, crlf: bool) -> u64 {
    p.line() + u64::from(crlf && p.byte() > 0)
}

impl<R: Read> FileReader<R> {
    /// What concerns the whole file (its encoding, columns or members not used), to tell the user once.
    /// Taken after opening and again at the end (JSON members are known only then).
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    /// The next record, or `None` at the end.
    ///
    /// # Errors
    /// When reading fails (not for a bad record); for NDJSON, at the end of a file without records.
    pub fn next_record(&mut self) -> Result<Option<IngestRecord>, FileError> {
        match &mut self.inner {
            Inner::Csv { reader, header, record, encoding, order, crlf } => loop {
                // Where the next record starts (csv's lines are 1-based); an error carries its own position.
                let line = reader.position().line();
                match reader.read_byte_record(record) {
                    Ok(false) => return Ok(None),
                    Ok(true) => {
                        let line = record.position().map_or(line, |p| line_of(p, *crlf));
                        if blank(record) {
                            continue;
                        }
                        if let Some(why) = ragged(reader, record, header.original.len()) {
                            return Ok(Some(bad(line, "record", "invalid_value", why)));
                        }
                        let mut cells = Vec::with_capacity(record.len());
                        for (i, field) in record.iter().enumerate() {
                            match decode(field, *encoding) {
                                Some(c) => cells.push(c),
                                None => {
                                    let column = header.original.get(i).map_or("?", String::as_str);
                                    return Ok(Some(bad(
                                        line,
                                        column,
                                        "invalid_value",
                                        "not valid UTF-8 (if the file is Windows-1252, say so with --encoding windows-1252)"
                                            .into(),
                                    )));
                                }
                            }
                        }
                        return Ok(Some(csv_row(header, &cells, *order, line)));
                    }
                    Err(e) => {
                        let line = e.position().map_or(line, |p| line_of(p, *crlf));
                        return match e.kind() {
                            csv::ErrorKind::Io(_) => Err(FileError::Format(e.to_string())),
                            _ => Ok(Some(bad(line, "record", "invalid_value", format!("malformed CSV: {e}")))),
                        };
                    }
                }
            },
            Inner::Ndjson { reader, buf, line, records, unknown } => loop {
                buf.clear();
                let n = read_line_bounded(reader, buf)?;
                if n == 0 {
                    if *records == 0 {
                        return Err(FileError::Format("the file is empty: no records".into()));
                    }
                    self.notices.extend(unknown_members(unknown));
                    return Ok(None);
                }
                *line += 1;
                if n > MAX_RECORD_BYTES {
                    *records += 1;
                    return Ok(Some(bad(
                        *line,
                        "record",
                        "out_of_range",
                        format!("longer than {} bytes", thousands(MAX_RECORD_BYTES as u64)),
                    )));
                }
                let text = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf).trim_ascii();
                if text.is_empty() {
                    continue;
                }
                *records += 1;
                let result = match serde_json::from_slice::<Value>(text) {
                    Ok(Value::Object(mut m)) => {
                        note_unknown(&m, unknown);
                        let warnings = shorten(&mut m, |f| format!("field `{f}`"));
                        return Ok(Some(IngestRecord {
                            position: *line,
                            outcome: outcome(from_json(&m, FILE_OPTIONS)),
                            warnings,
                        }));
                    }
                    Ok(_) => vec![FieldError {
                        field: "record".into(),
                        code: "invalid_type",
                        message: "expected a JSON object".into(),
                    }],
                    Err(e) => vec![FieldError {
                        field: "record".into(),
                        code: "malformed_json",
                        message: format!("invalid JSON: {e}"),
                    }],
                };
                return Ok(Some(IngestRecord { position: *line, outcome: Outcome::Bad(result), warnings: Vec::new() }));
            },
            Inner::GeoJson { features, index, unknown } => {
                let Some(f) = features.next() else {
                    self.notices.extend(unknown_members(unknown));
                    return Ok(None);
                };
                let position = *index;
                *index += 1;
                let (result, warnings) = geojson_feature(&f, unknown);
                Ok(Some(IngestRecord { position, outcome: outcome(result), warnings }))
            }
        }
    }
}

fn outcome(r: Result<Observation, Vec<FieldError>>) -> Outcome {
    match r {
        Ok(o) => Outcome::Observation(Box::new(o)),
        Err(e) => Outcome::Bad(e),
    }
}

fn csv_row(header: &Header, cells: &[String], order: Option<DateOrder>, line: u64) -> IngestRecord {
    let (mut m, mut errors) = match dialect::map(header, cells, order) {
        Mapped::Skip(why) => {
            return IngestRecord { position: line, outcome: Outcome::Skipped(why), warnings: Vec::new() };
        }
        Mapped::Row(m, errors) => (m, errors),
    };
    let warnings = shorten(&mut m, |f| format!("column `{}`", header.column_of(f).unwrap_or(f)));
    match from_json(&m, FILE_OPTIONS) {
        Ok(o) if errors.is_empty() => {
            return IngestRecord { position: line, outcome: Outcome::Observation(Box::new(o)), warnings };
        }
        Ok(_) => {}
        Err(more) => {
            for mut e in more {
                if let Some(column) = header.column_of(&e.field) {
                    e.field = column.to_owned();
                    if e.code == "missing_field" {
                        e.message = "empty: a value is required".into();
                    }
                }
                // A cell already refused while mapping is not reported again as missing.
                if !errors.iter().any(|x| x.field == e.field) {
                    errors.push(e);
                }
            }
        }
    }
    IngestRecord { position: line, outcome: Outcome::Bad(errors), warnings }
}

/// Texts longer than kept are cut (at a character), each with a warning: a long UCDP `source_article`
/// or an ACLED `notes` must not cost the event.
fn shorten(m: &mut Map<String, Value>, name: impl Fn(&str) -> String) -> Vec<String> {
    let mut warnings = Vec::new();
    for (field, max) in [("text", MAX_TEXT), ("reason", MAX_TEXT), ("source_ref", MAX_TEXT), ("place", MAX_PLACE)] {
        if let Some(Value::String(s)) = m.get_mut(field) {
            let n = s.chars().count();
            if n > max {
                let cut = s.char_indices().nth(max).map_or(s.len(), |(i, _)| i);
                s.truncate(cut);
                warnings.push(format!(
                    "{}: {} characters, cut to the first {}",
                    name(field),
                    thousands(n as u64),
                    thousands(max as u64)
                ));
            }
        }
    }
    warnings
}

/// At most this many unknown member names are remembered per file.
const MAX_UNKNOWN: usize = 20;

fn note_unknown(m: &Map<String, Value>, unknown: &mut BTreeSet<String>) {
    for k in m.keys() {
        if unknown.len() < MAX_UNKNOWN && !FIELDS.contains(&k.as_str()) && !unknown.contains(k) {
            unknown.insert(k.clone());
        }
    }
}

fn unknown_members(unknown: &BTreeSet<String>) -> Option<String> {
    (!unknown.is_empty()).then(|| {
        let listed: Vec<String> = unknown
            .iter()
            .map(|u| match nearest(u, FIELDS.iter().copied()) {
                Some(n) => format!("`{u}` (did you mean `{n}`?)"),
                None => format!("`{u}`"),
            })
            .collect();
        format!("members not used: {}", listed.join(", "))
    })
}

fn bad(position: u64, field: &str, code: &'static str, message: String) -> IngestRecord {
    IngestRecord {
        position,
        outcome: Outcome::Bad(vec![FieldError { field: field.into(), code, message }]),
        warnings: Vec::new(),
    }
}

fn geojson_feature(f: &Value, unknown: &mut BTreeSet<String>) -> (Result<Observation, Vec<FieldError>>, Vec<String>) {
    let err = |field: &str, code: &'static str, message: &str| {
        (Err(vec![FieldError { field: field.into(), code, message: message.into() }]), Vec::new())
    };
    let mut props = match f.get("properties") {
        Some(Value::Object(p)) => p.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return err("properties", "invalid_type", "expected an object"),
    };
    note_unknown(&props, unknown);
    match f.get("geometry") {
        Some(g) if g.get("type").and_then(Value::as_str) == Some("Point") => {
            match g.get("coordinates").and_then(Value::as_array).map(Vec::as_slice) {
                Some([lon, lat, ..]) => {
                    props.insert("lon".into(), lon.clone());
                    props.insert("lat".into(), lat.clone());
                }
                _ => return err("geometry.coordinates", "invalid_type", "a Point needs [lon, lat]"),
            }
        }
        Some(Value::Null) | None => {}
        Some(_) => return err("geometry", "invalid_type", "only Point geometries are observations"),
    }
    if let (None, Some(id)) = (props.get("id"), f.get("id")) {
        props.insert("id".into(), id.clone());
    }
    let warnings = shorten(&mut props, |f| format!("property `{f}`"));
    (from_json(&props, FILE_OPTIONS), warnings)
}

#[cfg(test)]
mod tests;
