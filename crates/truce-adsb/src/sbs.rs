//! SBS-1 BaseStation text (dump1090 port 30003): comma-separated lines
//! `MSG,<type 1-8>,<session>,<aircraft>,<hex>,<flight>,<date gen>,<time gen>,<date log>,
//! <time log>,<callsign>,<altitude>,<ground speed>,<track>,<lat>,<lon>,<vertical rate>,
//! <squawk>,<alert>,<emergency>,<spi>,<on ground>`.
//!
//! Every field is checked and a wrong one is named by its 1-based column and name, with the
//! text found. Empty fields are absent values; flags accept `0`, `1` and BaseStation's `-1`
//! (true). Other record types (`SEL`, `ID`, `AIR`, `STA`, `CLK`) carry no position or
//! kinematics and are returned as [`SbsLine::Other`], to be counted rather than rejected.
//! A line with fewer than 22 fields is read as if the missing trailing ones were empty.

use std::fmt;

use crate::modes::{Callsign, Squawk};

/// Column names, 1-based column = index + 1.
pub const COLUMNS: [&str; 22] = [
    "message type",
    "transmission type",
    "session id",
    "aircraft id",
    "hex ident",
    "flight id",
    "date generated",
    "time generated",
    "date logged",
    "time logged",
    "callsign",
    "altitude",
    "ground speed",
    "track",
    "latitude",
    "longitude",
    "vertical rate",
    "squawk",
    "alert",
    "emergency",
    "spi",
    "on ground",
];

/// A date and time as BaseStation writes it (local time of the writer, no zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SbsTime {
    /// Year.
    pub year: u16,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
    /// Hour 0–23.
    pub hour: u8,
    /// Minute 0–59.
    pub minute: u8,
    /// Second 0–60.
    pub second: u8,
    /// Milliseconds.
    pub millis: u16,
}

impl fmt::Display for SbsTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
            self.year, self.month, self.day, self.hour, self.minute, self.second, self.millis
        )
    }
}

/// One `MSG` line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SbsMessage {
    /// Transmission type 1–8.
    pub transmission: u8,
    /// ICAO address.
    pub icao: u32,
    /// Date and time generated.
    pub generated: Option<SbsTime>,
    /// Callsign.
    pub callsign: Option<Callsign>,
    /// Altitude, feet.
    pub altitude: Option<i32>,
    /// Ground speed, knots.
    pub groundspeed: Option<f64>,
    /// Track, degrees.
    pub track: Option<f64>,
    /// Latitude, degrees.
    pub lat: Option<f64>,
    /// Longitude, degrees.
    pub lon: Option<f64>,
    /// Vertical rate, ft/min.
    pub vertical_rate: Option<i32>,
    /// Mode A code.
    pub squawk: Option<Squawk>,
    /// Squawk changed.
    pub alert: Option<bool>,
    /// Emergency squawk.
    pub emergency: Option<bool>,
    /// Ident (SPI).
    pub spi: Option<bool>,
    /// On the ground.
    pub on_ground: Option<bool>,
}

/// A parsed line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SbsLine {
    /// A `MSG` line.
    Msg(SbsMessage),
    /// `SEL`, `ID`, `AIR`, `STA` or `CLK`: valid but not decoded.
    Other(&'static str),
}

/// A problem in a line: the column (1-based) when one field is at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SbsError {
    /// 1-based column, if one field is at fault.
    pub column: Option<usize>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for SbsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "column {c} (`{}`) {}", COLUMNS.get(c - 1).copied().unwrap_or("?"), self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for SbsError {}

fn err(column: usize, reason: String) -> SbsError {
    SbsError { column: Some(column), reason }
}

/// Parses one line (a trailing `\r` is ignored).
///
/// # Errors
/// [`SbsError`] naming the first wrong field.
pub fn parse_line(line: &str) -> Result<SbsLine, SbsError> {
    let line = line.trim_end_matches(['\r', '\n']);
    let mut fields = [""; 22];
    for (n, f) in line.split(',').enumerate() {
        if n == 22 {
            let count = line.split(',').count();
            return Err(SbsError { column: None, reason: format!("{count} fields: an SBS-1 line has 22") });
        }
        fields[n] = f;
    }
    match fields[0] {
        "MSG" => {}
        "SEL" => return Ok(SbsLine::Other("SEL")),
        "ID" => return Ok(SbsLine::Other("ID")),
        "AIR" => return Ok(SbsLine::Other("AIR")),
        "STA" => return Ok(SbsLine::Other("STA")),
        "CLK" => return Ok(SbsLine::Other("CLK")),
        other => {
            return Err(err(1, format!("is {:?}, not MSG, SEL, ID, AIR, STA or CLK", clip(other))));
        }
    }
    let transmission = match fields[1].parse::<u8>() {
        Ok(t @ 1..=8) => t,
        _ => return Err(err(2, format!("is not a transmission type 1 to 8: {:?}", clip(fields[1])))),
    };
    let hex = fields[4];
    let icao = match (hex.len(), u32::from_str_radix(hex, 16)) {
        (6, Ok(v)) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => v,
        _ => return Err(err(5, format!("is not 6 hex digits: {:?}", clip(hex)))),
    };
    let generated = time(fields[6], fields[7])?;
    let callsign = match fields[10].trim() {
        "" => None,
        text => Some(
            Callsign::new(text)
                .ok_or_else(|| err(11, format!("is not a callsign of 1 to 8 characters: {:?}", clip(text))))?,
        ),
    };
    let squawk = match fields[17] {
        "" => None,
        text => Some(Squawk::parse(text).ok_or_else(|| err(18, format!("is not 4 octal digits: {:?}", clip(text))))?),
    };
    let lat = float(fields, 15)?;
    if let Some(v) = lat.filter(|v| !(-90.0..=90.0).contains(v)) {
        return Err(err(15, format!("{v} is out of range (-90 to 90)")));
    }
    let lon = float(fields, 16)?;
    if let Some(v) = lon.filter(|v| !(-180.0..=180.0).contains(v)) {
        return Err(err(16, format!("{v} is out of range (-180 to 180)")));
    }
    Ok(SbsLine::Msg(SbsMessage {
        transmission,
        icao,
        generated,
        callsign,
        altitude: int(fields, 12)?,
        groundspeed: float(fields, 13)?,
        track: float(fields, 14)?,
        lat,
        lon,
        vertical_rate: int(fields, 17)?,
        squawk,
        alert: flag(fields, 19)?,
        emergency: flag(fields, 20)?,
        spi: flag(fields, 21)?,
        on_ground: flag(fields, 22)?,
    }))
}

/// At most 40 characters of a wrong field, so an error line stays short.
fn clip(text: &str) -> &str {
    match text.char_indices().nth(40) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

fn float(fields: [&str; 22], column: usize) -> Result<Option<f64>, SbsError> {
    let text = fields[column - 1].trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Some(v)),
        _ => Err(err(column, format!("is not a number: {:?}", clip(text)))),
    }
}

fn int(fields: [&str; 22], column: usize) -> Result<Option<i32>, SbsError> {
    let text = fields[column - 1].trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i32>() {
        Ok(v) => Ok(Some(v)),
        // Some writers put a decimal point on integral fields.
        Err(_) => match text.parse::<f64>() {
            Ok(v) if v.is_finite() && v.abs() < 1e9 => Ok(Some(v.round() as i32)),
            _ => Err(err(column, format!("is not a number: {:?}", clip(text)))),
        },
    }
}

fn flag(fields: [&str; 22], column: usize) -> Result<Option<bool>, SbsError> {
    match fields[column - 1].trim() {
        "" => Ok(None),
        "0" => Ok(Some(false)),
        "1" | "-1" => Ok(Some(true)),
        other => Err(err(column, format!("is not a flag (0, 1 or -1): {:?}", clip(other)))),
    }
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn time(date: &str, time: &str) -> Result<Option<SbsTime>, SbsError> {
    if date.is_empty() && time.is_empty() {
        return Ok(None);
    }
    let bad_date = || err(7, format!("is not a date YYYY/MM/DD: {:?}", clip(date)));
    let mut d = date.split('/');
    let (Some(y), Some(m), Some(dd), None) = (d.next(), d.next(), d.next(), d.next()) else {
        return Err(bad_date());
    };
    let (Some(year), Some(month), Some(day)) = (digits(y), digits(m), digits(dd)) else {
        return Err(bad_date());
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || year > 9999 {
        return Err(bad_date());
    }
    let bad_time = || err(8, format!("is not a time HH:MM:SS.sss: {:?}", clip(time)));
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let mut t = hms.split(':');
    let (Some(h), Some(mi), Some(s), None) = (t.next(), t.next(), t.next(), t.next()) else {
        return Err(bad_time());
    };
    let (Some(hour), Some(minute), Some(second)) = (digits(h), digits(mi), digits(s)) else {
        return Err(bad_time());
    };
    if hour > 23 || minute > 59 || second > 60 {
        return Err(bad_time());
    }
    // Checked before slicing: a multi-byte character must not be cut.
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_time());
    }
    let millis = if frac.is_empty() {
        0
    } else {
        let Some(v) = digits(&frac[..frac.len().min(3)]) else {
            return Err(bad_time());
        };
        // ".5" is 500 ms, ".05" 50 ms.
        v * 10u32.pow(3 - frac.len().min(3) as u32)
    };
    Ok(Some(SbsTime {
        year: year as u16,
        month: month as u8,
        day: day as u8,
        hour: hour as u8,
        minute: minute as u8,
        second: second as u8,
        millis: millis as u16,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump1090_line() {
        let l =
            "MSG,3,1,1,A1311E,1,2026/11/24,21:50:57.092,2026/11/24,21:50:57.093,,4825,,,33.63959,-118.04871,,,0,,0,0";
        let SbsLine::Msg(m) = parse_line(l).expect("parses") else { panic!("not MSG") };
        assert_eq!(m.icao, 0xA1311E);
        assert_eq!(m.altitude, Some(4825));
        assert_eq!(m.lat, Some(33.63959));
        assert_eq!(m.generated.map(|t| t.to_string()).as_deref(), Some("2026-11-24T21:50:57.092"));
        assert_eq!(m.on_ground, Some(false));
    }

    #[test]
    fn errors_name_the_column() {
        let e = parse_line("MSG,3,,,4B1908,,,,,,,abc,,,,,,,,,,").expect_err("bad");
        assert_eq!(e.to_string(), "column 12 (`altitude`) is not a number: \"abc\"");
        let e = parse_line("MSG,9,,,4B1908,,,,,,,,,,,,,,,,,").expect_err("bad");
        assert_eq!(e.column, Some(2));
        let e = parse_line("MSG,3,,,4B19,,,,,,,,,,,,,,,,,").expect_err("bad");
        assert_eq!(e.column, Some(5));
        let e = parse_line("MSG,3,,,4B1908,,2026/11/24,21:50:57.0é,,,,,,,,,,,,,,").expect_err("bad");
        assert_eq!(e.to_string(), "column 8 (`time generated`) is not a time HH:MM:SS.sss: \"21:50:57.0é\"");
    }
}
