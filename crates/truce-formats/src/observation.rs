//! Observations from JSON values: the API's request bodies, NDJSON and GeoJSON files, and CSV rows
//! (turned into JSON objects of strings first). Every problem is collected as a [`FieldError`] naming
//! the field and a stable code, so a client or an import report can say exactly what to fix.
//!
//! Positions: either `lat`/`lon`, or the observer's position with a bearing and a range, from which the
//! position is computed on the ellipsoid (and the location precision defaults to `estimated`).
//! Numbers may be given as JSON numbers or as strings holding a plain decimal number ([`plain_number`]).
//!
//! An observation without an `id` gets one derived from its content (time, position, category, observer,
//! text, source), so the same report imported twice is stored once.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use truce_core::{
    Casualties, Category, Confidence, LocationPrecision, Marking, Means, Observation, Observer, TimePrecision,
};
use truce_geo::LonLat;
use truce_geo::geodesic::destination;

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Path of the field, e.g. `observer.bearing_deg`.
    pub field: String,
    /// Stable code: `missing_field`, `invalid_type`, `out_of_range`, `invalid_value`, `unknown_field`.
    pub code: &'static str,
    /// Human explanation.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.message)
    }
}

/// How lenient to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Reject members that are not fields of an observation (the API); files ignore extra columns.
    pub reject_unknown: bool,
    /// Means assumed when the observer's means is not given.
    pub default_means: Means,
}

/// The members of an observation.
pub(crate) const FIELDS: &[&str] = &[
    "id",
    "time",
    "time_end",
    "time_precision",
    "lat",
    "lon",
    "location_precision",
    "place",
    "observer",
    "category",
    "weapon_class",
    "count",
    "direction",
    "party",
    "confidence",
    "reason",
    "casualties",
    "text",
    "source_ref",
    "marking",
    "releasable_to",
    "categories",
];
const OBSERVER_FIELDS: &[&str] = &["means", "team", "callsign", "lat", "lon", "bearing_deg", "range_m"];

/// Longest accepted free text (`text`, `reason`, `source_ref`), characters: sized for real event data,
/// where a UCDP `source_article` lists several articles in a few thousand characters and ACLED's `notes`
/// run to a few thousand too. Files cut a longer text with a warning; the API refuses it.
pub const MAX_TEXT: usize = 20_000;
/// Longest accepted `place`, characters: a UCDP `where_description` can list many settlements.
pub const MAX_PLACE: usize = 2_000;
/// Longest accepted id, bytes.
pub const MAX_ID: usize = 200;

struct Reader<'a> {
    obj: &'a Map<String, Value>,
    prefix: &'a str,
    errors: &'a mut Vec<FieldError>,
}

impl<'a> Reader<'a> {
    fn err(&mut self, name: &str, code: &'static str, message: String) {
        self.errors.push(FieldError { field: format!("{}{name}", self.prefix), code, message });
    }

    fn present(&self, name: &str) -> Option<&'a Value> {
        present(self.obj, name)
    }
    fn string(&mut self, name: &str, max: usize) -> Option<String> {
        match self.present(name)? {
            Value::String(s) if s.chars().count() <= max => Some(s.trim().to_owned()),
            Value::String(_) => {
                self.err(name, "out_of_range", format!("longer than {max} characters"));
                None
            }
            Value::Number(n) => Some(n.to_string()),
            other => {
                let t = type_name(other);
                self.err(name, "invalid_type", format!("expected a string, found {t}"));
                None
            }
        }
    }

    fn number(&mut self, name: &str, lo: f64, hi: f64) -> Option<f64> {
        let v = match self.present(name)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => match plain_number(s) {
                Ok(v) => Some(v),
                Err(why) => {
                    self.err(name, "invalid_type", why);
                    return None;
                }
            },
            other => {
                let t = type_name(other);
                self.err(name, "invalid_type", format!("expected a number, found {t}"));
                return None;
            }
        };
        match v {
            Some(v) if v.is_finite() && (lo..=hi).contains(&v) => Some(v),
            Some(v) => {
                self.err(name, "out_of_range", format!("{v} is outside {lo}..={hi}"));
                None
            }
            None => {
                self.err(name, "out_of_range", "not a finite number".into());
                None
            }
        }
    }

    fn count(&mut self, name: &str) -> Option<u32> {
        let v = self.number(name, 0.0, f64::from(u32::MAX))?;
        if v.fract() != 0.0 {
            self.err(name, "invalid_type", format!("{v} is not a whole number"));
            return None;
        }
        Some(v as u32)
    }

    fn time(&mut self, name: &str) -> Option<OffsetDateTime> {
        let s = self.string(name, 64)?;
        match OffsetDateTime::parse(&s, &Rfc3339) {
            Ok(t) => Some(t.to_offset(time::UtcOffset::UTC)),
            Err(e) => {
                self.err(name, "invalid_value", format!("{s:?} is not an RFC 3339 date-time ({e})"));
                None
            }
        }
    }

    fn parsed<T: std::str::FromStr<Err = String>>(&mut self, name: &str) -> Option<T> {
        let s = self.string(name, 64)?;
        match s.parse() {
            Ok(v) => Some(v),
            Err(e) => {
                self.err(name, "invalid_value", e);
                None
            }
        }
    }

    fn unknown(&mut self, known: &[&str]) {
        let extra: Vec<String> = self.obj.keys().filter(|k| !known.contains(&k.as_str())).cloned().collect();
        for k in extra {
            self.err(&k, "unknown_field", format!("not a field of an observation (fields: {})", known.join(", ")));
        }
    }
}

/// The one rule for numbers written as text (CSV cells, and JSON strings such as `"lat": "48.5"`): a plain
/// decimal number, `-48.5`, `1234`, `1.5e3`, with spaces around it ignored. Thousands separators
/// (`1,234`), decimal commas (`48,5`), units and `NaN`/`inf` are refused, saying why: `1,234` could be
/// 1234 or 1.234 depending on who wrote it.
///
/// # Errors
/// Why the text is not such a number.
pub fn plain_number(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    let plain = !(whole.is_empty() && fraction.is_empty())
        && digits(whole)
        && digits(fraction)
        && exponent.is_none_or(|e| {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits(e)
        });
    if plain
        && let Ok(v) = t.parse::<f64>()
        && v.is_finite()
    {
        return Ok(v);
    }
    if t.contains(',') {
        Err(format!(
            "{s:?} is not a number: write it without thousands separators and with a point for decimals (1234, 48.5)"
        ))
    } else {
        Err(format!("{s:?} is not a number"))
    }
}

/// A member that is present and not null or blank.
fn present<'o>(obj: &'o Map<String, Value>, name: &str) -> Option<&'o Value> {
    match obj.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(v) => Some(v),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Validates one observation. See the module documentation.
///
/// # Errors
/// Every problem found, one per field.
pub fn from_json(obj: &Map<String, Value>, options: Options) -> Result<Observation, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut r = Reader { obj, prefix: "", errors: &mut errors };
    if options.reject_unknown {
        r.unknown(FIELDS);
    }
    let id = r.string("id", MAX_ID);
    if id.as_deref().is_some_and(|s| s.chars().any(char::is_control)) {
        r.err("id", "invalid_value", "control characters are not allowed in an id".into());
    }
    let time = r.time("time");
    if r.present("time").is_none() {
        r.err(
            "time",
            "missing_field",
            "required: the RFC 3339 date-time of the observation (start of its window)".into(),
        );
    }
    let time_end = r.time("time_end");
    if let (Some(t), Some(e)) = (time, time_end)
        && e < t
    {
        r.err("time_end", "out_of_range", "the window ends before it starts".into());
    }
    let time_precision = r.parsed::<TimePrecision>("time_precision");
    let category = match r.string("category", 64) {
        Some(s) => match s.parse::<Category>() {
            Ok(c) => Some(c),
            Err(e) => {
                r.err("category", "invalid_value", e.to_string());
                None
            }
        },
        None => {
            r.err("category", "missing_field", "required: what was observed (an OSCE category id)".into());
            None
        }
    };
    let lat = r.number("lat", -90.0, 90.0);
    let lon = r.number("lon", -180.0, 180.0);
    let location_precision = r.parsed::<LocationPrecision>("location_precision");
    let place = r.string("place", MAX_PLACE);
    let weapon_class = r.string("weapon_class", 64);
    let count = r.count("count");
    let direction = r.string("direction", 64);
    let party = r.string("party", 64);
    let confidence = r.parsed::<Confidence>("confidence");
    let reason = r.string("reason", MAX_TEXT);
    let text = r.string("text", MAX_TEXT);
    let source_ref = r.string("source_ref", MAX_TEXT);
    let marking = r.parsed::<Marking>("marking");
    let releasable_to = codes(&mut r, "releasable_to");
    let categories = codes(&mut r, "categories");
    let casualties = match present(obj, "casualties") {
        None => None,
        Some(Value::Object(c)) => {
            let mut cr = Reader { obj: c, prefix: "casualties.", errors: r.errors };
            if options.reject_unknown {
                cr.unknown(&["killed", "injured"]);
            }
            let killed = cr.count("killed").unwrap_or(0);
            let injured = cr.count("injured").unwrap_or(0);
            Some(Casualties { killed, injured })
        }
        Some(other) => {
            let t = type_name(other);
            r.err("casualties", "invalid_type", format!("expected an object {{\"killed\", \"injured\"}}, found {t}"));
            None
        }
    };
    let empty = Map::new();
    let observer_obj = match present(obj, "observer") {
        None => &empty,
        Some(Value::Object(o)) => o,
        Some(other) => {
            let t = type_name(other);
            r.err("observer", "invalid_type", format!("expected an object, found {t}"));
            &empty
        }
    };
    let mut or = Reader { obj: observer_obj, prefix: "observer.", errors: &mut errors };
    if options.reject_unknown {
        or.unknown(OBSERVER_FIELDS);
    }
    let means = or.parsed::<Means>("means").unwrap_or(options.default_means);
    let team = or.string("team", 200);
    let callsign = or.string("callsign", 200);
    let olat = or.number("lat", -90.0, 90.0);
    let olon = or.number("lon", -180.0, 180.0);
    let bearing = or.number("bearing_deg", 0.0, 360.0);
    let range = or.number("range_m", 0.0, 1_000_000.0);
    let observer = Observer { means, team, callsign, lat: olat, lon: olon, bearing_deg: bearing, range_m: range };

    let (lat, lon, estimated) = match (lat, lon) {
        (Some(lat), Some(lon)) => (Some(lat), Some(lon), false),
        (None, None) if obj.get("lat").is_none() && obj.get("lon").is_none() => match (olat, olon, bearing, range) {
            (Some(a), Some(o), Some(b), Some(m)) => {
                let p = destination(LonLat::new(o, a), b, m);
                (Some(p.lat), Some(p.lon), true)
            }
            _ => {
                errors.push(FieldError {
                    field: "lat".into(),
                    code: "missing_field",
                    message: "required: lat and lon, or observer.lat, observer.lon, observer.bearing_deg and observer.range_m".into(),
                });
                (None, None, false)
            }
        },
        (a, o) => {
            if a.is_none() && obj.get("lat").is_none() {
                errors.push(FieldError {
                    field: "lat".into(),
                    code: "missing_field",
                    message: "required with lon".into(),
                });
            }
            if o.is_none() && obj.get("lon").is_none() {
                errors.push(FieldError {
                    field: "lon".into(),
                    code: "missing_field",
                    message: "required with lat".into(),
                });
            }
            (None, None, false)
        }
    };

    match (errors.is_empty(), time, category, lat, lon) {
        (true, Some(time), Some(category), Some(lat), Some(lon)) => {
            let mut o = Observation {
                id: String::new(),
                time,
                time_end,
                time_precision: time_precision.unwrap_or(TimePrecision::Exact),
                lat,
                lon,
                location_precision: location_precision.unwrap_or(if estimated {
                    LocationPrecision::Estimated
                } else {
                    LocationPrecision::Exact
                }),
                place,
                observer,
                category,
                weapon_class,
                count,
                direction,
                party,
                confidence,
                reason,
                casualties,
                text,
                source_ref,
                marking: marking.unwrap_or(Marking::NatoUnclassified),
                releasable_to,
                categories,
            };
            o.id = id.unwrap_or_else(|| content_id(&o));
            Ok(o)
        }
        _ => Err(errors),
    }
}

/// A label's codes: `releasable_to` (ISO 3166 alpha-3 nations and groups such as NATO or EU) or
/// `categories` (restrictive categories). Only their shape is checked here; whether the node's label
/// policy knows them is the pipeline's check.
fn codes(r: &mut Reader<'_>, field: &str) -> Vec<String> {
    let (what, allowed): (&str, fn(u8) -> bool) = if field == "releasable_to" {
        ("a nation (ISO 3166 alpha-3, e.g. GBR) or group (e.g. NATO)", |b| b.is_ascii_uppercase() || b.is_ascii_digit())
    } else {
        ("a category (capitals, digits and '-')", |b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
    };
    let codes: Vec<String> = match r.present(field) {
        None => return Vec::new(),
        Some(Value::Array(items)) => items.iter().map(|v| v.as_str().unwrap_or("").to_owned()).collect(),
        Some(Value::String(s)) => s.split([',', ';', ' ']).filter(|c| !c.is_empty()).map(str::to_owned).collect(),
        Some(other) => {
            let t = type_name(other);
            r.err(field, "invalid_type", format!("expected an array of codes, each {what}, found {t}"));
            return Vec::new();
        }
    };
    let mut out = Vec::with_capacity(codes.len());
    for c in codes {
        let c = c.trim().to_owned();
        if (2..=40).contains(&c.len()) && c.bytes().all(allowed) {
            if !out.contains(&c) {
                out.push(c);
            }
        } else {
            r.err(field, "invalid_value", format!("{c:?} is not {what}"));
        }
    }
    out
}

/// An id from the observation's content: the same report, imported again, gets the same id.
pub fn content_id(o: &Observation) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(&o.time.unix_timestamp_nanos().to_string());
    feed(&format!("{:.7},{:.7}", o.lat, o.lon));
    feed(o.category.id());
    feed(o.observer.means.id());
    feed(o.observer.team.as_deref().unwrap_or(""));
    feed(o.text.as_deref().unwrap_or(""));
    feed(o.source_ref.as_deref().unwrap_or(""));
    feed(o.weapon_class.as_deref().unwrap_or(""));
    feed(&o.count.map(|c| c.to_string()).unwrap_or_default());
    format!("obs-{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const API: Options = Options { reject_unknown: true, default_means: Means::Patrol };

    fn parse(v: Value) -> Result<Observation, Vec<FieldError>> {
        from_json(v.as_object().unwrap(), API)
    }

    #[test]
    fn a_full_observation() {
        let o = parse(serde_json::json!({
            "id": "a1", "time": "2026-11-20T01:10:00+02:00", "time_precision": "minute", "lat": 48.7, "lon": "37.5",
            "category": "weapon_sighting", "weapon_class": "tanks", "count": 3, "confidence": "probable",
            "observer": {"means": "uav", "team": "MT-3"}, "marking": "NATO RESTRICTED", "releasable_to": "GBR, FRA",
            "casualties": {"killed": 0, "injured": 2}
        }))
        .unwrap();
        assert_eq!(o.time.hour(), 23, "converted to UTC");
        assert_eq!((o.lon, o.count, o.observer.means), (37.5, Some(3), Means::Uav));
        assert_eq!(o.releasable_to, ["GBR", "FRA"]);
        assert_eq!(o.marking, Marking::NatoRestricted);
    }

    #[test]
    fn position_from_bearing_and_range() {
        let o = parse(serde_json::json!({
            "time": "2026-11-20T01:10:00Z", "category": "explosion_impact",
            "observer": {"lat": 48.0, "lon": 37.0, "bearing_deg": 90.0, "range_m": 3000.0}
        }))
        .unwrap();
        assert!((o.lat - 48.0).abs() < 0.001 && o.lon > 37.03 && o.lon < 37.05, "{o:?}");
        assert_eq!(o.location_precision, LocationPrecision::Estimated);
        assert!(o.id.starts_with("obs-"));
        let again = parse(serde_json::json!({
            "time": "2026-11-20T01:10:00Z", "category": "explosion_impact",
            "observer": {"lat": 48.0, "lon": 37.0, "bearing_deg": 90.0, "range_m": 3000.0}
        }))
        .unwrap();
        assert_eq!(o.id, again.id, "content ids are deterministic");
    }

    #[test]
    fn every_error_named() {
        let errs = parse(serde_json::json!({
            "lat": 91, "lon": "east", "category": "shelling", "count": -1, "time_end": "soon",
            "observer": {"means": "pigeon", "bearing_deg": 400}, "releasable_to": ["gb"], "colour": "red"
        }))
        .unwrap_err();
        let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        for want in [
            ("colour", "unknown_field"),
            ("time", "missing_field"),
            ("time_end", "invalid_value"),
            ("category", "invalid_value"),
            ("lat", "out_of_range"),
            ("lon", "invalid_type"),
            ("count", "out_of_range"),
            ("releasable_to", "invalid_value"),
            ("observer.means", "invalid_value"),
            ("observer.bearing_deg", "out_of_range"),
        ] {
            assert!(got.contains(&want), "missing {want:?} in {got:?}");
        }
    }

    #[test]
    fn numbers_as_text_follow_one_rule() {
        for (text, want) in
            [("48.5", 48.5), (" -48.5 ", -48.5), ("+3", 3.0), (".5", 0.5), ("5.", 5.0), ("1.5e3", 1500.0)]
        {
            assert_eq!(plain_number(text), Ok(want), "{text}");
        }
        for text in ["1,234", "48,5", "NaN", "inf", "12 km", "0x10", "", "-", "1e", "1.2.3"] {
            assert!(plain_number(text).is_err(), "{text}");
        }
        assert!(plain_number("1,234").unwrap_err().contains("thousands separators"));
        let errs = parse(serde_json::json!({"time": "2026-11-20T01:10:00Z", "lat": "48.5", "lon": "1,234", "category": "muzzle_flash"}))
            .unwrap_err();
        assert_eq!(
            (errs[0].field.as_str(), errs.len()),
            ("lon", 1),
            "a string holding a plain number is accepted: {errs:?}"
        );
    }

    #[test]
    fn long_texts_of_real_event_data_fit() {
        let article = "x".repeat(5_000);
        let place = "Donetsk, Horlivka, Makiivka, Yasynuvata, Avdiivka; ".repeat(10);
        let o =
            parse(serde_json::json!({"time": "2026-11-20T01:10:00Z", "lat": 48, "lon": 37, "category": "muzzle_flash",
            "source_ref": article, "place": place}))
            .unwrap();
        assert_eq!(o.source_ref.map(|s| s.len()), Some(5_000));
    }

    #[test]
    fn files_ignore_extra_columns() {
        let v = serde_json::json!({"time": "2026-11-20T01:10:00Z", "lat": "48", "lon": "37", "category": "muzzle_flash", "extra": "x"});
        let o =
            from_json(v.as_object().unwrap(), Options { reject_unknown: false, default_means: Means::Import }).unwrap();
        assert_eq!(o.observer.means, Means::Import);
    }
}
