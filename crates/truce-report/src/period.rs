//! Reporting periods: the 24 hours ending at a cutoff on a date in a time zone.
//!
//! The OSCE SMM's daily reports were "based on information from the monitoring teams as of 19:30"
//! local time, so a report dated D covers the period from D−1 at the cutoff to D at the cutoff, local
//! time. The period is fixed in local time, not as 24 hours of UTC: on the day the clocks change it is
//! 23 or 25 hours long, and the next report starts exactly where this one ended, so consecutive
//! reports neither overlap nor leave a gap. A cutoff that falls in a gap of the local clock (spring
//! forward) is moved forward by the gap's length, one that falls in a fold (fall back) takes the
//! earlier of its two instants (jiff's "compatible" rule, as RFC 5545 does).
//!
//! `time` has no time-zone database, so [`Clock`] uses jiff with its bundled copy of the IANA database
//! (the same answers on every machine, with or without `/usr/share/zoneinfo`) for the two conversions
//! the reports need: (date, cutoff, zone) → UTC instant, and UTC instant → local wall time. Everything
//! else works on `time::OffsetDateTime` in UTC, like the rest of truce.

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use time::OffsetDateTime;

use crate::ReportError;

/// The default cutoff, as in the OSCE's "as of 19:30".
pub const DEFAULT_CUTOFF: &str = "19:30";
/// The default time zone (Eastern European (Summer) Time, as the OSCE reported in).
pub const DEFAULT_TZ: &str = "Europe/Kyiv";

/// A cutoff time in a time zone: what turns a date into a reporting period.
#[derive(Debug, Clone)]
pub struct Clock {
    tz: TimeZone,
    tz_name: String,
    cutoff: Time,
}

/// One reporting period, `[start, end)` in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// The local date the period ends on (the report's date).
    pub date: Date,
    /// Start, inclusive.
    pub start: OffsetDateTime,
    /// End, exclusive.
    pub end: OffsetDateTime,
}

impl Period {
    /// Length in hours (23, 24 or 25 around clock changes).
    pub fn hours(&self) -> f64 {
        (self.end - self.start).as_seconds_f64() / 3_600.0
    }

    /// True when `t` is in the period.
    pub fn contains(&self, t: OffsetDateTime) -> bool {
        self.start <= t && t < self.end
    }
}

/// A report date from a `time` date (the command line parses its date flags as the rest of truce does).
///
/// # Errors
/// [`ReportError::Parameter`] naming the flag, for a date outside the years 1900 to 2200.
pub fn report_date(flag: &'static str, d: time::Date) -> Result<Date, ReportError> {
    let bad =
        || ReportError::Parameter { flag, value: d.to_string(), reason: "is outside the years 1900 to 2200".into() };
    if !(1900..=2200).contains(&d.year()) {
        return Err(bad());
    }
    Date::new(i16::try_from(d.year()).map_err(|_| bad())?, d.month() as i8, d.day() as i8).map_err(|_| bad())
}

/// Parses a `YYYY-MM-DD` date given with the flag (or API parameter) `flag`.
///
/// # Errors
/// [`ReportError::Parameter`] naming the flag and the value.
pub fn parse_date(flag: &'static str, value: &str) -> Result<Date, ReportError> {
    let bad = |reason: &str| ReportError::Parameter { flag, value: value.to_owned(), reason: reason.to_owned() };
    let b = value.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad("is not a date YYYY-MM-DD (e.g. 2026-11-22)"));
    }
    let date: Date = value.parse().map_err(|_| bad("is not a date YYYY-MM-DD (e.g. 2026-11-22)"))?;
    if !(1900..=2200).contains(&date.year()) {
        return Err(bad("is outside the years 1900 to 2200"));
    }
    Ok(date)
}

/// Today's date in UTC, the date after which a report is refused ([`not_after`]).
pub fn today_utc() -> Date {
    Timestamp::now().to_zoned(TimeZone::UTC).date()
}

/// Refuses a report date after `today`: such a report would cover a period that is not over (or not
/// begun), so its counts would be incomplete and would change when asked again.
///
/// # Errors
/// [`ReportError::Parameter`] naming the flag, the date and today's date.
pub fn not_after(flag: &'static str, date: Date, today: Date) -> Result<Date, ReportError> {
    if date > today {
        return Err(ReportError::Parameter {
            flag,
            value: date.to_string(),
            reason: format!(
                "is after today ({today}, UTC): a report covers only periods that have ended or are under way"
            ),
        });
    }
    Ok(date)
}

fn to_time(ts: Timestamp) -> OffsetDateTime {
    // jiff's and time's ranges both cover the years 1900–2200 that dates are checked to lie in.
    OffsetDateTime::from_unix_timestamp_nanos(ts.as_nanosecond()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The latest answer of [`Clock::local_in_order`] and what it depends on.
#[derive(Debug, Clone)]
pub struct LocalMinute {
    minute: i64,
    offset: i32,
    abbreviation: String,
    text: String,
}

fn to_jiff(t: OffsetDateTime) -> Timestamp {
    Timestamp::from_nanosecond(t.unix_timestamp_nanos()).unwrap_or(Timestamp::UNIX_EPOCH)
}

impl Clock {
    /// A clock from a cutoff (`HH:MM`) and an IANA time zone name.
    ///
    /// # Errors
    /// [`ReportError::Parameter`] naming `cutoff` or `tz` and the bad value.
    pub fn new(cutoff: &str, tz: &str) -> Result<Self, ReportError> {
        let bad_cutoff = || ReportError::Parameter {
            flag: "cutoff",
            value: cutoff.to_owned(),
            reason: "is not a time of day HH:MM (e.g. 19:30)".to_owned(),
        };
        let b = cutoff.as_bytes();
        if b.len() != 5 || b[2] != b':' || !b.iter().enumerate().all(|(i, c)| i == 2 || c.is_ascii_digit()) {
            return Err(bad_cutoff());
        }
        let cutoff_time: Time = format!("{cutoff}:00").parse().map_err(|_| bad_cutoff())?;
        let zone = TimeZone::get(tz).map_err(|_| ReportError::Parameter {
            flag: "tz",
            value: tz.to_owned(),
            reason: "is not a time zone of the IANA database (e.g. Europe/Kyiv, UTC)".to_owned(),
        })?;
        Ok(Self { tz: zone, tz_name: tz.to_owned(), cutoff: cutoff_time })
    }

    /// The default clock: 19:30 Europe/Kyiv.
    ///
    /// # Errors
    /// Never in practice (the bundled database has Europe/Kyiv); an error names the zone.
    pub fn default_clock() -> Result<Self, ReportError> {
        Self::new(DEFAULT_CUTOFF, DEFAULT_TZ)
    }

    /// The time zone's name as given.
    pub fn tz_name(&self) -> &str {
        &self.tz_name
    }

    /// The cutoff as `HH:MM`.
    pub fn cutoff(&self) -> String {
        format!("{:02}:{:02}", self.cutoff.hour(), self.cutoff.minute())
    }

    /// The instant of the cutoff on a local date.
    fn cutoff_on(&self, date: Date) -> Result<OffsetDateTime, ReportError> {
        let zoned = date.to_datetime(self.cutoff).to_zoned(self.tz.clone()).map_err(|e| ReportError::Parameter {
            flag: "date",
            value: date.to_string(),
            reason: format!("has no {} in {}: {e}", self.cutoff(), self.tz_name),
        })?;
        Ok(to_time(zoned.timestamp()))
    }

    /// The period of the report dated `date`: from the cutoff on the day before to the cutoff on `date`.
    ///
    /// # Errors
    /// When the date is out of range.
    pub fn period(&self, date: Date) -> Result<Period, ReportError> {
        let before = date.checked_sub(1.day()).map_err(|e| ReportError::Parameter {
            flag: "date",
            value: date.to_string(),
            reason: e.to_string(),
        })?;
        Ok(Period { date, start: self.cutoff_on(before)?, end: self.cutoff_on(date)? })
    }

    /// The period that contains `t`.
    ///
    /// # Errors
    /// When `t` is out of range.
    pub fn period_containing(&self, t: OffsetDateTime) -> Result<Period, ReportError> {
        let local = to_jiff(t).to_zoned(self.tz.clone()).date();
        let p = self.period(local)?;
        if t < p.end {
            return Ok(p);
        }
        let next = local.checked_add(1.day()).map_err(|e| ReportError::Parameter {
            flag: "date",
            value: local.to_string(),
            reason: e.to_string(),
        })?;
        self.period(next)
    }

    /// The periods of the reports dated `from` to `to`, inclusive.
    ///
    /// # Errors
    /// When a date is out of range.
    pub fn periods(&self, from: Date, to: Date) -> Result<Vec<Period>, ReportError> {
        let mut out = Vec::new();
        let mut d = from;
        while d <= to {
            out.push(self.period(d)?);
            d = match d.checked_add(1.day()) {
                Ok(n) => n,
                Err(_) => break,
            };
        }
        Ok(out)
    }

    /// `t` as local wall time with the zone's abbreviation: `2026-11-22 19:30 EET`.
    pub fn local(&self, t: OffsetDateTime) -> String {
        to_jiff(t).to_zoned(self.tz.clone()).strftime("%Y-%m-%d %H:%M %Z").to_string()
    }

    /// [`Clock::local`] for many times in order: `last` keeps the latest answer with its UTC minute
    /// and the zone's offset and abbreviation then, and is answered again while they are the same. The
    /// text shows whole minutes, so with an offset of whole minutes the same UTC minute, offset and
    /// abbreviation always give the same text; an offset with seconds (local mean time before 1900) is
    /// formatted every time. A busy day's annex has about twenty reports a minute.
    pub fn local_in_order(&self, t: OffsetDateTime, last: &mut Option<LocalMinute>) -> String {
        let ts = to_jiff(t);
        let info = self.tz.to_offset_info(ts);
        let (minute, offset) = (ts.as_second().div_euclid(60), info.offset().seconds());
        if offset % 60 != 0 {
            return self.local(t);
        }
        if let Some(l) =
            last.as_ref().filter(|l| l.minute == minute && l.offset == offset && l.abbreviation == info.abbreviation())
        {
            return l.text.clone();
        }
        let text = self.local(t);
        *last = Some(LocalMinute { minute, offset, abbreviation: info.abbreviation().to_owned(), text: text.clone() });
        text
    }

    /// `t` as local time of day: `19:30`.
    pub fn local_hm(&self, t: OffsetDateTime) -> String {
        to_jiff(t).to_zoned(self.tz.clone()).strftime("%H:%M").to_string()
    }
}

/// `t` as RFC 3339 (UTC, `Z`).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_default_period_is_19_30_kyiv_in_winter() {
        let c = Clock::default_clock().unwrap();
        let p = c.period(parse_date("date", "2026-11-22").unwrap()).unwrap();
        assert_eq!(p.start, datetime!(2026-11-21 17:30 UTC));
        assert_eq!(p.end, datetime!(2026-11-22 17:30 UTC));
        assert_eq!(p.hours(), 24.0);
        assert_eq!(c.local(p.end), "2026-11-22 19:30 EET");
    }

    #[test]
    fn summer_time_is_utc_plus_3() {
        let c = Clock::default_clock().unwrap();
        let p = c.period(parse_date("date", "2026-07-01").unwrap()).unwrap();
        assert_eq!(p.end, datetime!(2026-07-01 16:30 UTC));
        assert_eq!(c.local(p.end), "2026-07-01 19:30 EEST");
    }

    #[test]
    fn the_period_of_the_autumn_clock_change_is_25_hours() {
        // 2026-10-25 04:00 EEST → 03:00 EET in Kyiv.
        let c = Clock::default_clock().unwrap();
        let p = c.period(parse_date("date", "2026-10-25").unwrap()).unwrap();
        assert_eq!(p.start, datetime!(2026-10-24 16:30 UTC), "19:30 EEST");
        assert_eq!(p.end, datetime!(2026-10-25 17:30 UTC), "19:30 EET");
        assert_eq!(p.hours(), 25.0);
        let next = c.period(parse_date("date", "2026-10-26").unwrap()).unwrap();
        assert_eq!(next.start, p.end, "consecutive periods meet");
        assert_eq!(next.hours(), 24.0);
        // The spring change (2026-03-29 03:00 EET → 04:00 EEST) gives a 23-hour period.
        let spring = c.period(parse_date("date", "2026-03-29").unwrap()).unwrap();
        assert_eq!(spring.hours(), 23.0);
    }

    #[test]
    fn a_cutoff_inside_the_repeated_hour_takes_the_earlier_instant() {
        let c = Clock::new("03:30", "Europe/Kyiv").unwrap();
        let p = c.period(parse_date("date", "2026-10-25").unwrap()).unwrap();
        assert_eq!(p.end, datetime!(2026-10-25 00:30 UTC), "03:30 EEST, the first of the two");
    }

    #[test]
    fn local_times_in_order_are_the_same_text_as_one_by_one() {
        // Every 7 s across the autumn change in Kyiv (2026-10-25 01:00 UTC), across the spring one
        // (2026-03-29 01:00 UTC), and in 1880, when Kyiv kept local mean time (+2:02:04, with seconds).
        let kyiv = Clock::default_clock().unwrap();
        let starts =
            [datetime!(2026-10-25 00:50 UTC), datetime!(2026-03-29 00:50 UTC), datetime!(1880-06-01 10:00 UTC)];
        for start in starts {
            let mut last = None;
            for k in 0..200 {
                let t = start + time::Duration::seconds(7 * k);
                assert_eq!(kyiv.local_in_order(t, &mut last), kyiv.local(t), "{t}");
            }
        }
        let mut last = None;
        let change = datetime!(2026-10-25 01:00 UTC);
        assert_eq!(kyiv.local_in_order(change - time::Duration::SECOND, &mut last), "2026-10-25 03:59 EEST");
        assert_eq!(kyiv.local_in_order(change, &mut last), "2026-10-25 03:00 EET");
    }

    #[test]
    fn the_period_containing_an_instant() {
        let c = Clock::default_clock().unwrap();
        let p = c.period_containing(datetime!(2026-11-22 17:29:59 UTC)).unwrap();
        assert_eq!(p.date.to_string(), "2026-11-22");
        let p = c.period_containing(datetime!(2026-11-22 17:30 UTC)).unwrap();
        assert_eq!(p.date.to_string(), "2026-11-23", "the end is exclusive");
        let p = c.period_containing(datetime!(2026-11-22 00:10 UTC)).unwrap();
        assert_eq!(p.date.to_string(), "2026-11-22");
        assert_eq!(c.periods(p.date, parse_date("to", "2026-11-24").unwrap()).unwrap().len(), 3);
    }

    #[test]
    fn a_date_after_today_is_refused_naming_its_flag_and_today_is_not() {
        let today = parse_date("to", "2026-12-03").unwrap();
        assert_eq!(not_after("to", today, today).unwrap(), today);
        assert!(not_after("from", parse_date("from", "2026-12-02").unwrap(), today).is_ok());
        let e = not_after("to", parse_date("to", "2026-12-04").unwrap(), today).unwrap_err().to_string();
        assert!(e.starts_with("--to: \"2026-12-04\" is after today (2026-12-03, UTC)"), "{e}");
    }

    #[test]
    fn bad_values_name_their_flag() {
        for (flag, value, result) in [
            ("date", "2026-13-01", parse_date("date", "2026-13-01").map(|_| ())),
            ("date", "22/11/2026", parse_date("date", "22/11/2026").map(|_| ())),
            ("cutoff", "25:00", Clock::new("25:00", "UTC").map(|_| ())),
            ("cutoff", "7pm", Clock::new("7pm", "UTC").map(|_| ())),
            ("tz", "Mars/Olympus", Clock::new("19:30", "Mars/Olympus").map(|_| ())),
        ] {
            let e = result.unwrap_err().to_string();
            assert!(e.starts_with(&format!("--{flag}: ")) && e.contains(value), "{e}");
        }
    }
}
