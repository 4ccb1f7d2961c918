//! The Cursor on Target event model and its validation.
//!
//! An [`Event`] is what every wire format in this crate decodes to and encodes from: the `<event>`
//! attributes, its `<point>` and a [`Detail`]. The detail keeps the elements this project reads as
//! typed values (contact, group, takv, track, status, remarks, links, marti, archive,
//! precisionlocation) and every other element *verbatim*, as the exact bytes it arrived as, in
//! order, so that a server can forward what it does not understand untouched.
//!
//! An element becomes typed only when the typed value says everything the element said: only the
//! attributes the type knows, no unexpected children or text, values that parse, and the first
//! occurrence of a single-valued element. Anything else stays verbatim. This is the rule TAK's own
//! protobuf mapping uses ("whole elements must be converted"), and it means no input is ever
//! partially understood and partially dropped.
//!
//! [`Event::validate`] holds the checks every decoder applies: uid, type and how syntax, latitude and
//! longitude ranges, finite numbers, error estimates, and text that XML 1.0 can carry. Errors are
//! [`CotError`]s naming the attribute or element and the reason.

use std::fmt;

use time::OffsetDateTime;

/// The `ce`/`le` value CoT uses for "unknown" (some clients write 999999).
pub const UNKNOWN_ERROR: f64 = 9_999_999.0;

/// A `hae`, `ce` or `le` as read: a number that is not finite is "unknown" ([`UNKNOWN_ERROR`]), as
/// TAK's convention has it. ATAK writes `hae="NaN" ce="NaN" le="NaN"` in some events (file-transfer
/// acknowledgements), and TAK Server routes them.
pub fn or_unknown(v: f64) -> f64 {
    if v.is_finite() { v } else { UNKNOWN_ERROR }
}

/// The longest `uid` accepted, in characters.
pub const MAX_UID_CHARS: usize = 256;

/// A decoding or validation failure: which attribute or element, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct CotError {
    /// The attribute (`event@uid`, `point@lat`), element (`detail/contact`) or layer (`xml`, `frame`).
    pub field: String,
    /// What is wrong, in words.
    pub reason: String,
    /// Whether the input broke a size limit rather than the format (servers count these apart).
    pub too_large: bool,
}

impl CotError {
    /// An error on `field` for `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CotError { field: field.into(), reason: reason.into(), too_large: false }
    }

    /// An input longer than a limit allows.
    pub fn too_large(field: impl Into<String>, reason: impl Into<String>) -> Self {
        CotError { too_large: true, ..CotError::new(field, reason) }
    }

    /// Whether the failure is in the TAK protocol layer (framing or protobuf) rather than in XML or
    /// the event itself.
    pub fn is_binary(&self) -> bool {
        self.field == "frame" || self.field == "protobuf"
    }
}

/// One CoT `<event>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `version`, "2.0" for every current client.
    pub version: String,
    /// `uid`: the identity of the thing described (1 to 256 characters).
    pub uid: String,
    /// `type`, such as `a-f-G-U-C` (friendly ground unit) or `b-t-f` (chat).
    pub type_: String,
    /// `how`, such as `m-g` (machine, GPS) or `h-e` (human, estimated).
    pub how: String,
    /// `time`: when the event was generated.
    pub time: OffsetDateTime,
    /// `start`: when it begins to be valid.
    pub start: OffsetDateTime,
    /// `stale`: when it stops being valid.
    pub stale: OffsetDateTime,
    /// `access`, optional.
    pub access: Option<String>,
    /// `qos`, optional.
    pub qos: Option<String>,
    /// `opex`, optional.
    pub opex: Option<String>,
    /// `<point>`.
    pub point: Point,
    /// `<detail>`.
    pub detail: Detail,
}

/// `<point>`: a WGS84 position with its error estimates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Latitude in degrees, -90 to 90.
    pub lat: f64,
    /// Longitude in degrees, -180 to 180.
    pub lon: f64,
    /// Height above the WGS84 ellipsoid in metres (9999999 for unknown).
    pub hae: f64,
    /// Circular error (horizontal, 1 sigma) in metres, 9999999 for unknown.
    pub ce: f64,
    /// Linear error (vertical, 1 sigma) in metres, 9999999 for unknown.
    pub le: f64,
}

/// `<detail>`: the typed elements and, verbatim and in order, everything else.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Detail {
    /// `<contact>`.
    pub contact: Option<Contact>,
    /// `<__group>`.
    pub group: Option<Group>,
    /// `<takv>`.
    pub takv: Option<Takv>,
    /// `<precisionlocation>`.
    pub precision_location: Option<PrecisionLocation>,
    /// `<status>`.
    pub status: Option<Status>,
    /// `<track>`.
    pub track: Option<Track>,
    /// `<remarks>`.
    pub remarks: Option<Remarks>,
    /// Every `<link>`, in order.
    pub links: Vec<Link>,
    /// `<marti>`: the explicit destinations.
    pub marti: Option<Marti>,
    /// Whether `<archive/>` is present (the receiver should keep the event).
    pub archive: bool,
    /// Every other child of `<detail>`, each the exact XML text it arrived as, in order.
    pub unknown: Vec<String>,
}

impl Detail {
    /// Whether the detail holds nothing at all.
    pub fn is_empty(&self) -> bool {
        *self == Detail::default()
    }
}

/// `<contact callsign endpoint phone/>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Contact {
    /// `callsign`.
    pub callsign: Option<String>,
    /// `endpoint`, such as `*:-1:stcp` or `192.168.1.5:4242:tcp`.
    pub endpoint: Option<String>,
    /// `phone`.
    pub phone: Option<String>,
}

/// `<__group name role/>`: the team colour and role.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group {
    /// `name`, such as `Cyan`.
    pub name: Option<String>,
    /// `role`, such as `Team Member`.
    pub role: Option<String>,
}

/// `<takv device platform os version/>`: the client software.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Takv {
    /// `device`.
    pub device: Option<String>,
    /// `platform`, such as `ATAK-CIV`, `WinTAK-CIV`, `iTAK`.
    pub platform: Option<String>,
    /// `os`.
    pub os: Option<String>,
    /// `version`.
    pub version: Option<String>,
}

/// `<precisionlocation geopointsrc altsrc/>`: where the position came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PrecisionLocation {
    /// `geopointsrc`, such as `GPS` or `USER`.
    pub geopointsrc: Option<String>,
    /// `altsrc`, such as `GPS`, `DTED0` or `???`.
    pub altsrc: Option<String>,
}

/// `<status battery/>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    /// `battery`, percent.
    pub battery: Option<u32>,
}

/// `<track course speed/>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Track {
    /// `course`, degrees clockwise from true north.
    pub course: Option<f64>,
    /// `speed`, metres per second.
    pub speed: Option<f64>,
}

/// `<remarks source to time>text</remarks>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Remarks {
    /// The text, unescaped and exactly as sent (whitespace kept).
    pub text: String,
    /// `source`, such as `BAO.F.ATAK.<uid>` on chat messages.
    pub source: Option<String>,
    /// `to`: the chat room or recipient.
    pub to: Option<String>,
    /// `time`, kept as written.
    pub time: Option<String>,
}

/// `<link .../>`: a relation to another event (a route's points, a chat's sender, a marker's parent).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Link {
    /// `uid` of the linked event.
    pub uid: Option<String>,
    /// `type` of the linked event.
    pub type_: Option<String>,
    /// `relation`, such as `p-p` (parent) or `c` (child).
    pub relation: Option<String>,
    /// `callsign`.
    pub callsign: Option<String>,
    /// `point`, `lat,lon[,hae]` as written.
    pub point: Option<String>,
    /// `remarks`.
    pub remarks: Option<String>,
    /// `production_time`, as written.
    pub production_time: Option<String>,
    /// `parent_callsign`.
    pub parent_callsign: Option<String>,
}

/// `<marti><dest .../>...</marti>`: send only to these.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Marti {
    /// The `<dest>` children, in order.
    pub dests: Vec<MartiDest>,
}

/// `<dest callsign uid/>` inside `<marti>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MartiDest {
    /// `callsign`.
    pub callsign: Option<String>,
    /// `uid`.
    pub uid: Option<String>,
    /// `mission`: addressed to a mission's subscribers (TAK Server's Data Sync), not to a device.
    pub mission: Option<String>,
}

impl Event {
    /// Checks everything a decoder promises about an event; the first problem found is returned.
    pub fn validate(&self) -> Result<(), CotError> {
        check_uid(&self.uid)?;
        check_type("event@type", &self.type_)?;
        // Some clients omit `how` (iTAK's UAS telemetry): empty is "not given".
        if !self.how.is_empty() {
            check_type("event@how", &self.how)?;
        }
        check_text("event@version", &self.version)?;
        if self.version.is_empty() {
            return Err(CotError::new("event@version", "is empty"));
        }
        for (field, value) in [("event@access", &self.access), ("event@qos", &self.qos), ("event@opex", &self.opex)] {
            if let Some(v) = value {
                check_text(field, v)?;
            }
        }
        check_time("event@time", self.time)?;
        check_time("event@start", self.start)?;
        check_time("event@stale", self.stale)?;
        if self.stale < self.start {
            return Err(CotError::new("event@stale", "is before start"));
        }
        self.point.validate()?;
        self.detail.validate()
    }
}

impl Point {
    /// Checks ranges and finiteness.
    pub fn validate(&self) -> Result<(), CotError> {
        check_number("point@lat", self.lat)?;
        check_number("point@lon", self.lon)?;
        check_number("point@hae", self.hae)?;
        check_number("point@ce", self.ce)?;
        check_number("point@le", self.le)?;
        if !(-90.0..=90.0).contains(&self.lat) {
            return Err(CotError::new("point@lat", format!("{} is outside -90..90", self.lat)));
        }
        if !(-180.0..=180.0).contains(&self.lon) {
            return Err(CotError::new("point@lon", format!("{} is outside -180..180", self.lon)));
        }
        if self.ce < 0.0 {
            return Err(CotError::new(
                "point@ce",
                format!("{} is negative (use {UNKNOWN_ERROR} for unknown)", self.ce),
            ));
        }
        if self.le < 0.0 {
            return Err(CotError::new(
                "point@le",
                format!("{} is negative (use {UNKNOWN_ERROR} for unknown)", self.le),
            ));
        }
        Ok(())
    }
}

impl Detail {
    /// Checks that every typed string can be written as XML 1.0 and every number is finite.
    pub fn validate(&self) -> Result<(), CotError> {
        let opt = |field: &str, v: &Option<String>| v.as_deref().map_or(Ok(()), |s| check_text(field, s));
        if let Some(c) = &self.contact {
            opt("detail/contact@callsign", &c.callsign)?;
            opt("detail/contact@endpoint", &c.endpoint)?;
            opt("detail/contact@phone", &c.phone)?;
        }
        if let Some(g) = &self.group {
            opt("detail/__group@name", &g.name)?;
            opt("detail/__group@role", &g.role)?;
        }
        if let Some(t) = &self.takv {
            opt("detail/takv@device", &t.device)?;
            opt("detail/takv@platform", &t.platform)?;
            opt("detail/takv@os", &t.os)?;
            opt("detail/takv@version", &t.version)?;
        }
        if let Some(p) = &self.precision_location {
            opt("detail/precisionlocation@geopointsrc", &p.geopointsrc)?;
            opt("detail/precisionlocation@altsrc", &p.altsrc)?;
        }
        if let Some(t) = &self.track {
            if let Some(c) = t.course {
                check_number("detail/track@course", c)?;
            }
            if let Some(s) = t.speed {
                check_number("detail/track@speed", s)?;
            }
        }
        if let Some(r) = &self.remarks {
            check_text("detail/remarks", &r.text)?;
            opt("detail/remarks@source", &r.source)?;
            opt("detail/remarks@to", &r.to)?;
            opt("detail/remarks@time", &r.time)?;
        }
        for l in &self.links {
            for v in [&l.uid, &l.type_, &l.relation, &l.callsign, &l.point, &l.remarks, &l.production_time] {
                opt("detail/link", v)?;
            }
            opt("detail/link@parent_callsign", &l.parent_callsign)?;
        }
        if let Some(m) = &self.marti {
            for d in &m.dests {
                opt("detail/marti/dest@callsign", &d.callsign)?;
                opt("detail/marti/dest@uid", &d.uid)?;
            }
        }
        Ok(())
    }
}

fn check_uid(uid: &str) -> Result<(), CotError> {
    if uid.is_empty() {
        return Err(CotError::new("event@uid", "is empty"));
    }
    let n = uid.chars().count();
    if n > MAX_UID_CHARS {
        return Err(CotError::new("event@uid", format!("has {n} characters, more than {MAX_UID_CHARS}")));
    }
    if let Some(c) = uid.chars().find(|c| c.is_control()) {
        return Err(CotError::new("event@uid", format!("contains the control character U+{:04X}", c as u32)));
    }
    Ok(())
}

/// Checks CoT `type`/`how` syntax: dash-separated atoms of letters, digits, `_` or `.`
/// (`a-f-G-U-C`, `b-t-f`, `t-x-takp-v`, `h-g-i-g-o`), at most 256 characters.
pub fn check_type(field: &str, value: &str) -> Result<(), CotError> {
    if value.is_empty() {
        return Err(CotError::new(field, "is empty"));
    }
    if value.len() > 256 {
        return Err(CotError::new(field, "is longer than 256 characters"));
    }
    for atom in value.split('-') {
        if atom.is_empty() {
            return Err(CotError::new(field, format!("{value:?} has an empty part (expected e.g. a-f-G-U-C)")));
        }
        if let Some(c) = atom.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '.')) {
            return Err(CotError::new(field, format!("{value:?} contains {c:?} (expected e.g. a-f-G-U-C)")));
        }
    }
    Ok(())
}

fn check_number(field: &str, v: f64) -> Result<(), CotError> {
    if v.is_finite() { Ok(()) } else { Err(CotError::new(field, format!("{v} is not a finite number"))) }
}

/// Whether `c` may appear in an XML 1.0 document.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Checks that `value` holds only characters XML 1.0 can carry.
pub(crate) fn check_text(field: &str, value: &str) -> Result<(), CotError> {
    match value.chars().find(|c| !is_xml_char(*c)) {
        Some(c) => Err(CotError::new(field, format!("contains U+{:04X}, which XML 1.0 cannot carry", c as u32))),
        None => Ok(()),
    }
}

/// Parses a CoT time: RFC 3339 (`2023-07-18T15:23:09.00Z`, any number of fractional digits, `Z` or an
/// offset), returned in UTC.
pub fn parse_time(field: &str, value: &str) -> Result<OffsetDateTime, CotError> {
    let t = OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map_err(|e| CotError::new(field, format!("{value:?} is not an RFC 3339 time ({e})")))?;
    let utc = t
        .checked_to_offset(time::UtcOffset::UTC)
        .ok_or_else(|| CotError::new(field, format!("{value:?} is outside the years 0000 to 9999 in UTC")))?;
    check_time(field, utc)?;
    Ok(utc)
}

/// Checks that a time is in UTC and within the years 0000 to 9999 (what RFC 3339 can write).
fn check_time(field: &str, t: OffsetDateTime) -> Result<(), CotError> {
    if !t.offset().is_utc() {
        return Err(CotError::new(field, "is not in UTC"));
    }
    if !(0..=9999).contains(&t.year()) {
        return Err(CotError::new(field, format!("year {} is outside 0000 to 9999", t.year())));
    }
    Ok(())
}

/// Formats a time as CoT clients write it: UTC, `Z`, milliseconds (more digits only when needed).
/// The time should be in UTC, as every decoder in this crate returns it and [`Event::validate`]
/// requires; a time in another offset is converted when it can be.
pub fn format_time(t: OffsetDateTime) -> String {
    let t = t.checked_to_offset(time::UtcOffset::UTC).unwrap_or(t);
    let nanos = t.nanosecond();
    let frac = if nanos.is_multiple_of(1_000_000) {
        format!("{:03}", nanos / 1_000_000)
    } else if nanos.is_multiple_of(1_000) {
        format!("{:06}", nanos / 1_000)
    } else {
        format!("{nanos:09}")
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        frac
    )
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::xml::to_xml(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_the_cot_syntax() {
        for ok in ["a-f-G-U-C", "b-t-f", "t-x-takp-v", "h-g-i-g-o", "a-h-G-E-W-M-A", "u-d-c-c", "x"] {
            assert!(check_type("event@type", ok).is_ok(), "{ok}");
        }
        for bad in ["", "a--f", "-a", "a-", "a f", "a-f-<", "a-é"] {
            let e = check_type("event@type", bad).unwrap_err();
            assert_eq!(e.field, "event@type", "{bad}");
        }
    }

    #[test]
    fn times_are_rfc3339_and_written_in_milliseconds() {
        let t = parse_time("event@time", "2023-07-18T15:23:09.00Z").unwrap();
        assert_eq!(format_time(t), "2023-07-18T15:23:09.000Z");
        let t = parse_time("event@time", "2023-07-18T17:23:09.5+02:00").unwrap();
        assert_eq!(format_time(t), "2023-07-18T15:23:09.500Z");
        let t = parse_time("event@time", "2023-07-18T15:23:09.123456Z").unwrap();
        assert_eq!(format_time(t), "2023-07-18T15:23:09.123456Z");
        let e = parse_time("event@stale", "yesterday").unwrap_err();
        assert_eq!(e.field, "event@stale");
        assert!(parse_time("event@time", "2023-07-18T15:23:09").is_err(), "an offset or Z is required");
        let e = parse_time("event@time", "9999-12-31T23:59:59-23:59").unwrap_err();
        assert!(e.reason.contains("outside"), "{e}");
        assert!(parse_time("event@time", "0000-01-01T00:30:00+01:00").is_err());
    }

    #[test]
    fn uids_are_bounded() {
        assert!(check_uid("ANDROID-1").is_ok());
        assert_eq!(check_uid("").unwrap_err().reason, "is empty");
        assert!(check_uid(&"x".repeat(256)).is_ok());
        assert!(check_uid(&"x".repeat(257)).unwrap_err().reason.contains("257"));
        assert!(check_uid("a\u{1}b").is_err());
    }

    #[test]
    fn text_must_be_xml() {
        assert!(check_text("f", "tab\tnew\nline").is_ok());
        assert!(check_text("f", "bell\u{7}").unwrap_err().reason.contains("U+0007"));
        assert!(check_text("f", "\u{FFFE}").is_err());
    }
}
