//! Observation records for `truce classify`: CSV with a header, or NDJSON.
//!
//! Fields: `id`, `lat`, `lon` (WGS84 degrees) are required; `time` (RFC 3339), `category` (an OSCE
//! category id), `weapon_class` (a class id of the agreement, checked by the caller), `count` and
//! `party` (a party id of the agreement, checked by the caller) are optional; other CSV columns and
//! JSON members are ignored. Empty CSV cells are absent values.
//!
//! A record that cannot be used is returned as a [`RecordError`] naming its line and the reason, and
//! reading goes on with the next one. A CSV row may leave out trailing optional cells, but not when it
//! is the last line and has no line end (the file was cut short, perhaps inside the last value), and it
//! may not have more non-empty cells than the header (an unquoted comma, often a decimal comma, would
//! otherwise move every value after it into the wrong column). Problems that concern the whole input
//! (it cannot be read, the CSV header lacks a required column) are fatal errors of the reader.

use std::io::{BufRead, Read};

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use truce_core::Category;

/// The input's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

impl InputFormat {
    /// The format a file name suggests (`.csv`, `.ndjson`, `.jsonl`, `.json`).
    pub fn from_extension(path: &std::path::Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "ndjson" | "jsonl" | "json" => Some(Self::Ndjson),
            _ => None,
        }
    }
}

/// A record's identifier, echoed in the output with its JSON type.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordId {
    /// A string (always, for CSV).
    Text(String),
    /// A JSON number, kept as written.
    Number(String),
}

/// One good input record.
#[derive(Debug, Clone, PartialEq)]
pub struct InputRecord {
    /// 1-based line of the input where the record starts.
    pub line: u64,
    /// Identifier.
    pub id: RecordId,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Time of the observation.
    pub time: Option<OffsetDateTime>,
    /// OSCE category.
    pub category: Option<Category>,
    /// Weapon class id (unchecked here).
    pub weapon_class: Option<String>,
    /// Count.
    pub count: Option<u32>,
    /// Party id (unchecked here).
    pub party: Option<String>,
}

/// A record that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    /// 1-based line of the input.
    pub line: u64,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

/// A problem with the whole input.
#[derive(Debug, thiserror::Error)]
pub enum FatalError {
    /// Reading failed.
    #[error("cannot read the input: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV header lacks a required column.
    #[error("the CSV header (line 1) has no {0:?} column; required: id, lat, lon")]
    MissingColumn(&'static str),
    /// The CSV header could not be read.
    #[error("the CSV header (line 1) cannot be read: {0}")]
    BadHeader(String),
}

/// Largest accepted record, bytes: anything longer is reported and skipped.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;

/// Reads records one at a time. See the module documentation.
pub struct RecordReader<R: Read> {
    inner: Inner<R>,
}

enum Inner<R: Read> {
    Csv { reader: csv::Reader<Watched<R>>, columns: Columns, record: csv::ByteRecord, width: usize },
    Ndjson { reader: std::io::BufReader<R>, buf: Vec<u8>, line: u64, consumed: u64 },
}

#[derive(Debug, Clone, Copy)]
struct Columns {
    id: usize,
    lat: usize,
    lon: usize,
    time: Option<usize>,
    category: Option<usize>,
    weapon_class: Option<usize>,
    count: Option<usize>,
    party: Option<usize>,
}

impl<R: Read> RecordReader<R> {
    /// A reader of `format` over `input`.
    ///
    /// # Errors
    /// For CSV, when the header cannot be read or lacks a required column.
    pub fn new(input: R, format: InputFormat) -> Result<Self, FatalError> {
        let inner = match format {
            InputFormat::Csv => {
                let mut reader =
                    csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(Watched::new(input));
                let header = reader.byte_headers().map_err(|e| FatalError::BadHeader(e.to_string()))?.clone();
                let find = |name: &str| header.iter().position(|h| trim_bom(h).eq_ignore_ascii_case(name.as_bytes()));
                let need = |name: &'static str| find(name).ok_or(FatalError::MissingColumn(name));
                let columns = Columns {
                    id: need("id")?,
                    lat: need("lat")?,
                    lon: need("lon")?,
                    time: find("time"),
                    category: find("category"),
                    weapon_class: find("weapon_class"),
                    count: find("count"),
                    party: find("party"),
                };
                Inner::Csv { reader, columns, record: csv::ByteRecord::new(), width: header.len() }
            }
            InputFormat::Ndjson => Inner::Ndjson {
                reader: std::io::BufReader::with_capacity(1 << 16, input),
                buf: Vec::new(),
                line: 0,
                consumed: 0,
            },
        };
        Ok(Self { inner })
    }

    /// Bytes of input consumed so far (for progress reporting).
    pub fn bytes_read(&self) -> u64 {
        match &self.inner {
            Inner::Csv { reader, .. } => reader.position().byte(),
            Inner::Ndjson { consumed, .. } => *consumed,
        }
    }

    /// The next record, a bad record, or `None` at the end.
    ///
    /// # Errors
    /// When reading the input fails (a fatal I/O error, not a bad record).
    pub fn next_record(&mut self) -> Result<Option<Result<InputRecord, RecordError>>, FatalError> {
        match &mut self.inner {
            Inner::Csv { reader, columns, record, width } => {
                // Where the next record starts (csv's lines are 1-based); an error carries its own position.
                let line = reader.position().line();
                match reader.read_byte_record(record) {
                    Ok(false) => Ok(None),
                    Ok(true) => {
                        let line = record.position().map_or(line, csv::Position::line);
                        if let Some(reason) = ragged(reader, record, *width) {
                            return Ok(Some(Err(RecordError { line, reason })));
                        }
                        Ok(Some(csv_record(record, columns, line)))
                    }
                    Err(e) => {
                        let line = e.position().map_or(line, csv::Position::line);
                        match e.kind() {
                            csv::ErrorKind::Io(_) => Err(FatalError::Io(std::io::Error::other(e.to_string()))),
                            _ => Ok(Some(Err(RecordError { line, reason: format!("malformed CSV: {e}") }))),
                        }
                    }
                }
            }
            Inner::Ndjson { reader, buf, line, consumed } => loop {
                buf.clear();
                let n = read_line_bounded(reader, buf)?;
                *consumed += n as u64;
                if n == 0 {
                    return Ok(None);
                }
                *line += 1;
                if n > MAX_RECORD_BYTES {
                    return Ok(Some(Err(RecordError {
                        line: *line,
                        reason: format!("record longer than {MAX_RECORD_BYTES} bytes"),
                    })));
                }
                let text = trim_ascii(buf);
                if text.is_empty() {
                    continue;
                }
                return Ok(Some(json_record(text, *line)));
            },
        }
    }
}

/// The input of a CSV reader, watched for how it ends: whether a record ends the input without a line
/// end can only be told from the bytes read.
pub(crate) struct Watched<R> {
    inner: R,
    last: Option<u8>,
    ended: bool,
}

impl<R> Watched<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self { inner, last: None, ended: false }
    }

    /// Whether the input has ended without a line end. The CSV reader reads again only when it has
    /// parsed every byte it holds, so once the input has ended, the record it returns is the last, and
    /// it ended without a line end exactly when this says so.
    fn cut(&self) -> bool {
        self.ended && !matches!(self.last, None | Some(b'\n' | b'\r'))
    }
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        match n.checked_sub(1) {
            None => self.ended = true,
            Some(last) => self.last = Some(buf[last]),
        }
        Ok(n)
    }
}

/// Why the CSV row `reader` has just read into `record` does not fit a header of `width` columns, if it
/// does not: more non-empty cells than columns (an unquoted comma moved the values after it), or fewer
/// cells on a last line that has no line end (the file was cut short, perhaps inside the last value,
/// which would then be wrong but valid). Trailing empty cells and short rows that end their line are
/// accepted.
pub(crate) fn ragged<R: Read>(
    reader: &csv::Reader<Watched<R>>,
    record: &csv::ByteRecord,
    width: usize,
) -> Option<String> {
    let n = record.len();
    if n > width && record.iter().skip(width).any(|f| !f.trim_ascii().is_empty()) {
        return Some(format!(
            "{n} cells where the header has {width} columns: an unquoted comma (a decimal comma?) moves the values after it into other columns; quote that value or write it with a decimal point"
        ));
    }
    if n < width && reader.get_ref().cut() {
        return Some(format!(
            "the file ends inside this row, after {n} of the header's {width} columns and without a line end: it looks cut short"
        ));
    }
    None
}

/// Reads one line into `buf`, keeping at most `MAX_RECORD_BYTES + 1` bytes of it; returns the line's
/// full length (0 at the end of input).
pub(crate) fn read_line_bounded<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(total);
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let room = (MAX_RECORD_BYTES + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let used = chunk.len();
        total += used;
        reader.consume(used);
        if done {
            return Ok(total);
        }
    }
}

fn trim_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    trim_bom(b).trim_ascii()
}

fn field<'a>(
    record: &'a csv::ByteRecord,
    index: Option<usize>,
    name: &str,
    line: u64,
) -> Result<Option<&'a str>, RecordError> {
    let Some(raw) = index.and_then(|i| record.get(i)) else { return Ok(None) };
    let text = std::str::from_utf8(raw)
        .map_err(|_| RecordError { line, reason: format!("field `{name}` is not valid UTF-8") })?;
    let text = text.trim();
    Ok(if text.is_empty() { None } else { Some(text) })
}

fn csv_record(record: &csv::ByteRecord, c: &Columns, line: u64) -> Result<InputRecord, RecordError> {
    let required = |index: usize, name: &str| -> Result<&str, RecordError> {
        field(record, Some(index), name, line)?
            .ok_or_else(|| RecordError { line, reason: format!("missing field `{name}`") })
    };
    let id = required(c.id, "id")?;
    let lat = parse_coordinate(required(c.lat, "lat")?, "lat", 90.0, line)?;
    let lon = parse_coordinate(required(c.lon, "lon")?, "lon", 180.0, line)?;
    let time = field(record, c.time, "time", line)?.map(|t| parse_time(t, line)).transpose()?;
    let category = field(record, c.category, "category", line)?.map(|t| parse_category(t, line)).transpose()?;
    let count = field(record, c.count, "count", line)?
        .map(|t| {
            t.parse::<u32>().map_err(|_| RecordError {
                line,
                reason: format!("field `count`: {t:?} is not a whole number 0..=4294967295"),
            })
        })
        .transpose()?;
    Ok(InputRecord {
        line,
        id: RecordId::Text(id.to_owned()),
        lat,
        lon,
        time,
        category,
        weapon_class: field(record, c.weapon_class, "weapon_class", line)?.map(str::to_owned),
        count,
        party: field(record, c.party, "party", line)?.map(str::to_owned),
    })
}

fn parse_coordinate(text: &str, name: &str, limit: f64, line: u64) -> Result<f64, RecordError> {
    let v: f64 =
        text.parse().map_err(|_| RecordError { line, reason: format!("field `{name}`: {text:?} is not a number") })?;
    check_coordinate(v, name, limit, line)
}

fn check_coordinate(v: f64, name: &str, limit: f64, line: u64) -> Result<f64, RecordError> {
    if v.is_finite() && (-limit..=limit).contains(&v) {
        Ok(v)
    } else {
        Err(RecordError { line, reason: format!("field `{name}`: {v} is outside -{limit}..={limit}") })
    }
}

fn parse_time(text: &str, line: u64) -> Result<OffsetDateTime, RecordError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| RecordError { line, reason: format!("field `time`: {text:?} is not an RFC 3339 date-time ({e})") })
}

fn parse_category(text: &str, line: u64) -> Result<Category, RecordError> {
    text.parse().map_err(|e| RecordError { line, reason: format!("field `category`: {e}") })
}

#[derive(Deserialize)]
struct JsonRecord<'a> {
    #[serde(borrow)]
    id: Option<&'a serde_json::value::RawValue>,
    lat: Option<serde_json::Value>,
    lon: Option<serde_json::Value>,
    #[serde(borrow)]
    time: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    category: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    weapon_class: Option<std::borrow::Cow<'a, str>>,
    count: Option<serde_json::Value>,
    #[serde(borrow)]
    party: Option<std::borrow::Cow<'a, str>>,
}

fn json_record(text: &[u8], line: u64) -> Result<InputRecord, RecordError> {
    let text = std::str::from_utf8(text)
        .map_err(|e| RecordError { line, reason: format!("not valid UTF-8 (byte {})", e.valid_up_to()) })?;
    let r: JsonRecord<'_> =
        serde_json::from_str(text).map_err(|e| RecordError { line, reason: format!("invalid JSON: {e}") })?;
    let missing = |name: &str| RecordError { line, reason: format!("missing field `{name}`") };
    let raw_id = r.id.ok_or_else(|| missing("id"))?.get();
    let id = match serde_json::from_str::<serde_json::Value>(raw_id) {
        Ok(serde_json::Value::String(s)) if !s.is_empty() => RecordId::Text(s),
        Ok(serde_json::Value::Number(_)) => RecordId::Number(raw_id.to_owned()),
        _ => return Err(RecordError { line, reason: "field `id` must be a non-empty string or a number".into() }),
    };
    let number = |v: Option<serde_json::Value>, name: &str, limit: f64| -> Result<f64, RecordError> {
        match v {
            None | Some(serde_json::Value::Null) => Err(missing(name)),
            Some(serde_json::Value::Number(n)) => check_coordinate(n.as_f64().unwrap_or(f64::NAN), name, limit, line),
            Some(serde_json::Value::String(s)) => parse_coordinate(s.trim(), name, limit, line),
            Some(other) => Err(RecordError { line, reason: format!("field `{name}`: {other} is not a number") }),
        }
    };
    let lat = number(r.lat, "lat", 90.0)?;
    let lon = number(r.lon, "lon", 180.0)?;
    let time = r.time.as_deref().map(|t| parse_time(t, line)).transpose()?;
    let category = r.category.as_deref().map(|t| parse_category(t, line)).transpose()?;
    let count = match r.count {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => {
            Some(n.as_u64().and_then(|c| u32::try_from(c).ok()).ok_or_else(|| RecordError {
                line,
                reason: format!("field `count`: {n} is not a whole number 0..=4294967295"),
            })?)
        }
        Some(other) => return Err(RecordError { line, reason: format!("field `count`: {other} is not a number") }),
    };
    Ok(InputRecord {
        line,
        id,
        lat,
        lon,
        time,
        category,
        weapon_class: r.weapon_class.map(|s| s.into_owned()),
        count,
        party: r.party.map(|s| s.into_owned()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read_all(bytes: &[u8], format: InputFormat) -> Result<Vec<Result<InputRecord, RecordError>>, FatalError> {
        let mut r = RecordReader::new(bytes, format)?;
        let mut out = Vec::new();
        while let Some(rec) = r.next_record()? {
            out.push(rec);
        }
        Ok(out)
    }

    #[test]
    fn csv_good_and_bad_records_keep_their_line_numbers() {
        let input = "id,lat,lon,time,category,weapon_class,count\n\
                     a,48.5,37.5,2026-11-20T01:00:00Z,explosion_impact,,3\n\
                     b,91,37.5,,,,\n\
                     c,48.5,abc,,,,\n\
                     d,48.5,37.5,yesterday,,,\n\
                     e,48.5,37.5,,explosion,,\n\
                     ,48.5,37.5,,,,\n\
                     f,48.5,37.5\n\
                     g,48.5,37.5,,weapon_sighting,tanks,-1\n";
        let recs = read_all(input.as_bytes(), InputFormat::Csv).unwrap();
        assert_eq!(recs.len(), 8);
        let a = recs[0].as_ref().unwrap();
        assert_eq!((a.line, a.count, a.category), (2, Some(3), Some(Category::ExplosionImpact)));
        let errs: Vec<_> = recs.iter().filter_map(|r| r.as_ref().err()).map(|e| (e.line, e.reason.clone())).collect();
        assert_eq!(errs[0].0, 3);
        assert!(errs[0].1.contains("`lat`") && errs[0].1.contains("91"), "{errs:?}");
        assert!(errs[1].1.contains("`lon`") && errs[1].1.contains("not a number"));
        assert!(errs[2].1.contains("`time`"));
        assert!(errs[3].1.contains("unknown category"));
        assert!(errs[4].1.contains("missing field `id`"));
        assert_eq!(errs[5].0, 9);
        assert!(errs[5].1.contains("`count`"));
        assert!(recs[6].as_ref().is_ok(), "short rows only lack optional fields");
    }

    #[test]
    fn csv_rows_wider_than_the_header_or_cut_short_are_refused() {
        let head = "\u{feff}id,lat,lon,count\n";
        let recs =
            read_all(format!("{head}a,48,5,37,5\nb,48.5,37.5,,,\nc,48.5,37.5\nd,48.5,3").as_bytes(), InputFormat::Csv)
                .unwrap();
        let reason = |i: usize| recs[i].as_ref().err().map(|e| (e.line, e.reason.clone()));
        assert!(reason(0).is_some_and(|(l, r)| l == 2 && r.contains("5 cells where the header has 4")), "{recs:?}");
        assert!(recs[1].is_ok() && recs[2].is_ok(), "trailing empty cells, a short row that ends its line: {recs:?}");
        assert!(reason(3).is_some_and(|(l, r)| l == 5 && r.contains("cut short")), "{recs:?}");
        let ended = read_all(format!("{head}d,48.5,3\r\n").as_bytes(), InputFormat::Csv).unwrap();
        assert_eq!(ended[0].as_ref().map(|r| r.lon), Ok(3.0));
        assert!(read_all(format!("{head}d,48.5,37.5,1").as_bytes(), InputFormat::Csv).unwrap()[0].is_ok());
        // Across the reader's buffer refills, only the last row is the one without a line end.
        let long: String = (0..3000).map(|i| format!("r{i},48.5,37.5\n")).collect();
        let recs = read_all(format!("{head}{long}z,48.5,3").as_bytes(), InputFormat::Csv).unwrap();
        let bad: Vec<_> = recs.iter().filter_map(|r| r.as_ref().err()).map(|e| e.line).collect();
        assert_eq!((recs.len(), bad), (3001, vec![3002]));
    }

    #[test]
    fn csv_header_must_name_the_required_columns() {
        let err = read_all(b"id,latitude,lon\n1,2,3\n", InputFormat::Csv).err().unwrap();
        assert!(err.to_string().contains("\"lat\""), "{err}");
        assert!(read_all(b"\xEF\xBB\xBFID,Lat,Lon\n1,2,3\n", InputFormat::Csv).unwrap()[0].is_ok());
    }

    #[test]
    fn ndjson_records() {
        let input = b"{\"id\": 7, \"lat\": 48.1, \"lon\": 37.2, \"category\": \"weapon_sighting\", \"weapon_class\": \"tanks\", \"count\": 2}\n\
                      \n\
                      {\"id\": \"x\", \"lat\": 48.1}\n\
                      not json\n\
                      {\"id\": \"y\", \"lat\": 48.1, \"lon\": 181}\n\
                      {\"id\": \"z\", \"lat\": 48.1, \"lon\": 30, \"count\": 1.5}\n\
                      \xff\xfe\n";
        let recs = read_all(input, InputFormat::Ndjson).unwrap();
        let a = recs[0].as_ref().unwrap();
        assert_eq!(a.id, RecordId::Number("7".into()));
        assert_eq!(a.weapon_class.as_deref(), Some("tanks"));
        let errs: Vec<_> = recs.iter().filter_map(|r| r.as_ref().err()).collect();
        assert_eq!(errs.iter().map(|e| e.line).collect::<Vec<_>>(), vec![3, 4, 5, 6, 7]);
        assert!(errs[0].reason.contains("missing field `lon`"));
        assert!(errs[1].reason.contains("invalid JSON"));
        assert!(errs[2].reason.contains("`lon`"));
        assert!(errs[3].reason.contains("`count`"));
        assert!(errs[4].reason.contains("UTF-8"));
    }

    #[test]
    fn oversized_ndjson_line_is_one_bad_record() {
        let mut input = b"{\"id\": \"big\", \"notes\": \"".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_RECORD_BYTES * 2));
        input.extend_from_slice(b"\"}\n{\"id\": \"ok\", \"lat\": 1, \"lon\": 2}\n");
        let recs = read_all(&input, InputFormat::Ndjson).unwrap();
        assert_eq!(recs.len(), 2);
        assert!(recs[0].as_ref().unwrap_err().reason.contains("longer than"));
        assert_eq!(recs[1].as_ref().unwrap().line, 2);
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512), csv in any::<bool>()) {
            let format = if csv { InputFormat::Csv } else { InputFormat::Ndjson };
            let _ = read_all(&bytes, format);
        }

        #[test]
        fn never_panics_on_mangled_records(s in "[a-z0-9,\\.\\-\"{}:\\[\\] \n]{0,200}") {
            let _ = read_all(format!("id,lat,lon,time,category,count\n{s}").as_bytes(), InputFormat::Csv);
            let _ = read_all(s.as_bytes(), InputFormat::Ndjson);
        }
    }
}
