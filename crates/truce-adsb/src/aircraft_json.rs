//! readsb / dump1090 `aircraft.json`: `{"now": …, "aircraft": [{"hex": "4840d6", …}, …]}`.
//!
//! Both generations of field names are read: readsb/dump1090-fa (`alt_baro`, `alt_geom`, `gs`,
//! `baro_rate`, `geom_rate`, `nac_p`, `nav_altitude_mcp`, …) and the older dump1090 /
//! dump1090-mutability ones (`altitude`, `speed`, `vert_rate`, `nucp`). The document is parsed
//! with `serde_json` into a `Value` once and each aircraft object is then checked field by field,
//! so one bad aircraft is reported (with its index and hex) without losing the others. A `hex`
//! beginning with `~` is a non-ICAO address (TIS-B / anonymous).

use std::fmt;

use serde_json::{Map, Value};

use crate::modes::{Callsign, Category, Emergency, Squawk};

/// One aircraft of the document.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AircraftRecord {
    /// 24-bit address.
    pub icao: u32,
    /// `hex` began with `~`: not an ICAO address.
    pub non_icao: bool,
    /// Callsign (`flight`).
    pub callsign: Option<Callsign>,
    /// Barometric altitude, feet (`alt_baro` or `altitude`).
    pub altitude: Option<i32>,
    /// On the ground (`alt_baro: "ground"`).
    pub on_ground: Option<bool>,
    /// Geometric altitude, feet (`alt_geom`).
    pub gnss_altitude: Option<i32>,
    /// Ground speed, knots (`gs` or `speed`).
    pub groundspeed: Option<f64>,
    /// Track, degrees.
    pub track: Option<f64>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Vertical rate, ft/min (`baro_rate`, else `geom_rate`, else `vert_rate`).
    pub vertical_rate: Option<i32>,
    /// Mode A code.
    pub squawk: Option<Squawk>,
    /// Emitter category.
    pub category: Option<Category>,
    /// Emergency status.
    pub emergency: Option<Emergency>,
    /// Indicated airspeed, knots.
    pub ias: Option<f64>,
    /// True airspeed, knots.
    pub tas: Option<f64>,
    /// Heading (`true_heading`, else `mag_heading`), degrees.
    pub heading: Option<f64>,
    /// Selected altitude (`nav_altitude_mcp`, else `nav_altitude_fms`), feet.
    pub selected_altitude: Option<i32>,
    /// QNH setting (`nav_qnh`), hPa.
    pub baro_setting: Option<f64>,
    /// Selected heading (`nav_heading`), degrees.
    pub selected_heading: Option<f64>,
    /// NIC.
    pub nic: Option<u8>,
    /// NACp (`nac_p`).
    pub nacp: Option<u8>,
    /// SIL.
    pub sil: Option<u8>,
    /// ADS-B version.
    pub version: Option<u8>,
    /// NUCp of old dump1090 (`nucp`).
    pub nucp: Option<u8>,
    /// Seconds since the last message.
    pub seen: Option<f64>,
    /// Seconds since the last position.
    pub seen_pos: Option<f64>,
    /// Signal level, dBFS.
    pub rssi: Option<f64>,
    /// Messages received.
    pub messages: Option<u64>,
}

/// A parsed document: its `now` and each aircraft or the reason it was rejected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    /// `now`, Unix seconds.
    pub now: Option<f64>,
    /// Aircraft in document order.
    pub aircraft: Vec<Result<AircraftRecord, AircraftError>>,
}

/// Why one aircraft object was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AircraftError {
    /// 0-based index in the `aircraft` array.
    pub index: usize,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for AircraftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "aircraft[{}]: {}", self.index, self.reason)
    }
}

impl std::error::Error for AircraftError {}

/// Why a whole document was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocumentError {
    /// Not JSON.
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's message.
        message: String,
    },
    /// JSON, but not an object with an `aircraft` array.
    Shape(String),
}

impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json { line, column, message } => write!(f, "not JSON at line {line} column {column}: {message}"),
            Self::Shape(s) => f.write_str(s),
        }
    }
}

impl std::error::Error for DocumentError {}

/// Parses one document.
///
/// # Errors
/// [`DocumentError`] when the text is not JSON or has no `aircraft` array; a wrong aircraft
/// is reported inside [`Document::aircraft`] instead.
pub fn parse_document(text: &str) -> Result<Document, DocumentError> {
    let value: Value = serde_json::from_str(text).map_err(|e| DocumentError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    from_value(&value)
}

/// Interprets an already parsed document.
///
/// # Errors
/// [`DocumentError::Shape`] when it is not an object with an `aircraft` array.
pub fn from_value(value: &Value) -> Result<Document, DocumentError> {
    let Some(obj) = value.as_object() else {
        return Err(DocumentError::Shape(format!("the document is {}, not an object", kind(value))));
    };
    let now = match obj.get("now") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_f64().ok_or_else(|| DocumentError::Shape(format!("`now` is {}, not a number", kind(v))))?),
    };
    let list = match obj.get("aircraft") {
        Some(Value::Array(list)) => list,
        Some(v) => return Err(DocumentError::Shape(format!("`aircraft` is {}, not an array", kind(v)))),
        None => return Err(DocumentError::Shape("no `aircraft` array".to_string())),
    };
    let aircraft = list
        .iter()
        .enumerate()
        .map(|(index, v)| aircraft(v).map_err(|reason| AircraftError { index, reason }))
        .collect();
    Ok(Document { now, aircraft })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn shown(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        let mut end = 40;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    } else {
        s
    }
}

fn num(o: &Map<String, Value>, key: &str) -> Result<Option<f64>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or_else(|| format!("`{key}` is not a number: {}", shown(v))),
    }
}

fn first_num(o: &Map<String, Value>, keys: &[&str]) -> Result<Option<f64>, String> {
    for k in keys {
        if let Some(v) = num(o, k)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

fn small(o: &Map<String, Value>, key: &str) -> Result<Option<u8>, String> {
    match num(o, key)? {
        None => Ok(None),
        Some(v) if (0.0..=255.0).contains(&v) && v.fract() == 0.0 => Ok(Some(v as u8)),
        Some(v) => Err(format!("`{key}` is not a small whole number: {v}")),
    }
}

fn string<'a>(o: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(format!("`{key}` is not a string: {}", shown(v))),
    }
}

fn aircraft(v: &Value) -> Result<AircraftRecord, String> {
    let Some(o) = v.as_object() else {
        return Err(format!("is {}, not an object", kind(v)));
    };
    let hex = string(o, "hex")?.ok_or("no `hex`")?;
    let (non_icao, digits) = match hex.strip_prefix('~') {
        Some(d) => (true, d),
        None => (false, hex),
    };
    let icao = match u32::from_str_radix(digits, 16) {
        Ok(v) if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_hexdigit()) => v,
        _ => return Err(format!("`hex` is not 6 hex digits: {:?}", hex)),
    };
    let mut r = AircraftRecord { icao, non_icao, ..AircraftRecord::default() };
    if let Some(f) = string(o, "flight")?.filter(|f| !f.trim().is_empty()) {
        r.callsign =
            Some(Callsign::new(f).ok_or_else(|| format!("`flight` is not a callsign of 1 to 8 characters: {f:?}"))?);
    }
    for key in ["alt_baro", "altitude"] {
        match o.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) if s == "ground" => {
                r.on_ground = Some(true);
            }
            Some(v) => {
                let a = v.as_f64().ok_or_else(|| format!("`{key}` is not a number or \"ground\": {}", shown(v)))?;
                r.altitude = Some(a.round() as i32);
                r.on_ground = Some(false);
            }
        }
        break;
    }
    r.gnss_altitude = num(o, "alt_geom")?.map(|a| a.round() as i32);
    r.groundspeed = first_num(o, &["gs", "speed"])?;
    r.track = num(o, "track")?;
    r.lat = num(o, "lat")?;
    if let Some(lat) = r.lat.filter(|v| !(-90.0..=90.0).contains(v)) {
        return Err(format!("`lat` {lat} is out of range (-90 to 90)"));
    }
    r.lon = num(o, "lon")?;
    if let Some(lon) = r.lon.filter(|v| !(-180.0..=180.0).contains(v)) {
        return Err(format!("`lon` {lon} is out of range (-180 to 180)"));
    }
    if r.lat.is_some() != r.lon.is_some() {
        return Err("`lat` without `lon` or `lon` without `lat`".to_string());
    }
    r.vertical_rate = first_num(o, &["baro_rate", "geom_rate", "vert_rate"])?.map(|v| v.round() as i32);
    if let Some(s) = string(o, "squawk")? {
        r.squawk = Some(Squawk::parse(s).ok_or_else(|| format!("`squawk` is not 4 octal digits: {s:?}"))?);
    }
    if let Some(c) = string(o, "category")? {
        let b = c.as_bytes();
        if b.len() != 2 || !(b'A'..=b'D').contains(&b[0]) || !(b'0'..=b'7').contains(&b[1]) {
            return Err(format!("`category` is not A0 to D7: {c:?}"));
        }
        r.category = Some(Category { set: b[0], code: b[1] - b'0' });
    }
    if let Some(e) = string(o, "emergency")? {
        r.emergency =
            Some(Emergency::parse(e).ok_or_else(|| format!("`emergency` is not a readsb emergency name: {e:?}"))?);
    }
    r.ias = num(o, "ias")?;
    r.tas = num(o, "tas")?;
    r.heading = first_num(o, &["true_heading", "mag_heading"])?;
    r.selected_altitude = first_num(o, &["nav_altitude_mcp", "nav_altitude_fms"])?.map(|v| v.round() as i32);
    r.baro_setting = num(o, "nav_qnh")?;
    r.selected_heading = num(o, "nav_heading")?;
    r.nic = small(o, "nic")?;
    r.nacp = small(o, "nac_p")?;
    r.sil = small(o, "sil")?;
    r.version = small(o, "version")?;
    r.nucp = small(o, "nucp")?;
    r.seen = num(o, "seen")?;
    r.seen_pos = num(o, "seen_pos")?;
    r.rssi = num(o, "rssi")?;
    r.messages = match num(o, "messages")? {
        Some(m) if m >= 0.0 && m.fract() == 0.0 => Some(m as u64),
        Some(m) => return Err(format!("`messages` is not a count: {m}")),
        None => None,
    };
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_and_new_names() {
        let doc = parse_document(
            r#"{"now":1.5,"aircraft":[{"hex":"a1311e","altitude":4825,"speed":216,"vert_rate":-64},
            {"hex":"~298965","alt_baro":"ground","gs":3.2,"flight":"KLM1023 "},{"hex":"zz"}]}"#,
        )
        .expect("parses");
        assert_eq!(doc.now, Some(1.5));
        let a = doc.aircraft[0].as_ref().expect("ok");
        assert_eq!((a.altitude, a.groundspeed, a.vertical_rate), (Some(4825), Some(216.0), Some(-64)));
        let b = doc.aircraft[1].as_ref().expect("ok");
        assert!(b.non_icao && b.on_ground == Some(true));
        assert_eq!(b.callsign.map(|c| c.to_string()).as_deref(), Some("KLM1023"));
        assert_eq!(
            doc.aircraft[2].as_ref().map_err(|e| e.to_string()),
            Err("aircraft[2]: `hex` is not 6 hex digits: \"zz\"".to_string())
        );
    }
}
