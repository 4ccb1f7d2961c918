//! Times as people type and read them: the one parser behind every flag, configuration field and query
//! parameter that takes a time, and the one way the command line prints a time.
//!
//! An instant is accepted as an RFC 3339 time with `Z` or an offset, a date `YYYY-MM-DD` (midnight UTC),
//! or a military date-time group `DDHHMMZMONYY` (`251400ZNOV26`; the web map's clock shows the same
//! DTG). A flag that names a day takes only `YYYY-MM-DD`, and says so when given a time. Every error
//! lists the accepted forms, so a user never has to guess them; the caller (clap, the API) names the
//! flag or parameter.
//!
//! Printed, a time is RFC 3339 in UTC with whole seconds (`2026-11-25T14:00:00Z`): [`show`].

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// The forms an instant may take, for help texts and errors.
pub const INSTANT_FORMS: &str = "an RFC 3339 time (2026-11-25T14:00:00Z, or with an offset: \
                                 2026-11-25T16:00:00+02:00), a date YYYY-MM-DD (midnight UTC) or a DTG \
                                 DDHHMMZMONYY (251400ZNOV26)";

/// The form a day may take.
pub const DATE_FORMS: &str = "a date YYYY-MM-DD (2026-11-25)";

/// Years accepted: wide enough for any record, narrow enough for every time library truce uses.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/// Parses an instant in any of the [`INSTANT_FORMS`].
///
/// # Errors
/// Not one of the forms (the message lists them), or a year outside 1900 to 2200.
///
/// # Examples
/// ```
/// use truce_formats::when::instant;
/// let t = instant("2026-11-25T16:00:00+02:00").unwrap();
/// assert_eq!(instant("251400ZNOV26").unwrap(), t);
/// assert_eq!(instant("2026-11-25").unwrap(), instant("2026-11-25T00:00:00Z").unwrap());
/// assert!(instant("yesterday").unwrap_err().contains("DDHHMMZMONYY"));
/// ```
pub fn instant(s: &str) -> Result<OffsetDateTime, String> {
    let t = OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .or_else(|| iso_date(s).map(|d| d.midnight().assume_utc()))
        .or_else(|| dtg(s))
        .ok_or_else(|| format!("{s:?} is not a time: give {INSTANT_FORMS}"))?;
    in_years(s, t.year())?;
    Ok(t.to_offset(UtcOffset::UTC))
}

/// Parses a day: only `YYYY-MM-DD`.
///
/// # Errors
/// Not a date of that form (a time is refused as such, saying the flag takes a day), or a year outside
/// 1900 to 2200.
pub fn date(s: &str) -> Result<Date, String> {
    match iso_date(s) {
        Some(d) => in_years(s, d.year()).map(|()| d),
        None if instant(s).is_ok() => Err(format!("{s:?} is a time, but this takes a day: give {DATE_FORMS}")),
        None => Err(format!("{s:?} is not a date: give {DATE_FORMS}")),
    }
}

/// A time as the command line prints it: RFC 3339 in UTC with whole seconds, `2026-11-25T14:00:00Z`.
pub fn show(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn in_years(s: &str, year: i32) -> Result<(), String> {
    if YEARS.contains(&year) { Ok(()) } else { Err(format!("{s:?} is outside the years 1900 to 2200")) }
}

fn iso_date(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// `DDHHMMZMONYY`, letters in either case, spaces allowed between the parts (`251400Z NOV 26`, as the
/// map shows it). Only the zone `Z` (UTC): other zone letters are too easily misread.
fn dtg(s: &str) -> Option<OffsetDateTime> {
    let compact: String = s.chars().filter(|c| *c != ' ').collect::<String>().to_ascii_uppercase();
    let b = compact.as_bytes();
    if b.len() != 12 || b[6] != b'Z' || !b[..6].iter().chain(&b[10..]).all(u8::is_ascii_digit) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| compact[r].parse::<u8>().ok();
    let month = MONTHS.iter().position(|m| *m == &compact[7..10])?;
    let month = Month::try_from(u8::try_from(month + 1).ok()?).ok()?;
    let date = Date::from_calendar_date(2000 + i32::from(num(10..12)?), month, num(0..2)?).ok()?;
    let time = Time::from_hms(num(2..4)?, num(4..6)?, 0).ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_one_instant_is_the_same_instant() {
        let t = instant("2026-11-25T14:00:00Z").unwrap();
        for s in ["2026-11-25T16:00:00+02:00", "251400ZNOV26", "251400znov26", "251400Z NOV 26"] {
            assert_eq!(instant(s).unwrap(), t, "{s}");
        }
        assert_eq!(instant("2026-11-25").unwrap(), instant("250000ZNOV26").unwrap());
        assert_eq!(instant("2026-11-25T16:00:00+02:00").unwrap().offset(), UtcOffset::UTC);
    }

    #[test]
    fn a_bad_instant_lists_the_forms() {
        for s in ["", "yesterday", "2026-11-25 14:00", "251400ANOV26", "321400ZNOV26", "252400ZNOV26", "251400ZNON26"] {
            let e = instant(s).unwrap_err();
            assert!(e.contains("RFC 3339") && e.contains("YYYY-MM-DD") && e.contains("DDHHMMZMONYY"), "{s}: {e}");
        }
        assert!(instant("1800-01-01").unwrap_err().contains("1900 to 2200"));
    }

    #[test]
    fn a_day_is_only_a_date_and_a_time_is_refused_as_such() {
        assert_eq!(date("2026-11-25").unwrap(), time::macros::date!(2026 - 11 - 25));
        assert!(date("2026-11-25T00:00:00Z").unwrap_err().contains("is a time, but this takes a day"));
        assert!(date("251400ZNOV26").unwrap_err().contains("takes a day"));
        assert!(date("2026-11-31").unwrap_err().contains("is not a date: give a date YYYY-MM-DD"));
        assert!(date("2300-01-01").unwrap_err().contains("1900 to 2200"));
    }

    #[test]
    fn a_time_prints_in_utc_with_whole_seconds() {
        let t = instant("2026-11-25T16:00:00.123456+02:00").unwrap();
        assert_eq!(show(t), "2026-11-25T14:00:00Z");
    }
}
