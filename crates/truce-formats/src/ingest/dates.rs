//! Dates as ACLED and UCDP publish them (`2020-08-14`, `14 August 2020`, `2022-03-01 00:00:00.000`) and
//! as spreadsheets rewrite them (`14/08/2020 00:00:00`, `1/22/2014 12:00:00 AM`, `14.08.2020`,
//! `14-Aug-2020`).
//!
//! A numeric date such as `03/04/2020` says nothing of its order by itself, so the order is decided
//! once for the whole file ([`OrderEvidence`]): a value whose first part is above 12 makes it day first,
//! one whose second part is above 12 month first; if none tells, or they contradict each other, the
//! user is asked (`--date-order dmy|mdy`). A row is never guessed on its own.

use time::{Date, Month, Time};

/// The order of day and month in numeric dates (`dmy` or `mdy` in a configuration file too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    /// Day, month, year (`14/08/2020`): most of the world.
    Dmy,
    /// Month, day, year (`8/14/2020`): the United States.
    Mdy,
}

impl DateOrder {
    fn name(self) -> &'static str {
        match self {
            Self::Dmy => "day/month/year",
            Self::Mdy => "month/day/year",
        }
    }
    fn flag(self) -> &'static str {
        match self {
            Self::Dmy => "dmy",
            Self::Mdy => "mdy",
        }
    }
    fn other(self) -> Self {
        match self {
            Self::Dmy => Self::Mdy,
            Self::Mdy => Self::Dmy,
        }
    }
}

impl std::str::FromStr for DateOrder {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "dmy" => Ok(Self::Dmy),
            "mdy" => Ok(Self::Mdy),
            _ => Err(format!("{s:?} is not a date order: expected dmy or mdy")),
        }
    }
}

/// A date cell, read as far as it can be without knowing the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// A form that needs no order (ISO, or with the month's name).
    Known(Date),
    /// `a/b/year`: which of `a` and `b` is the day depends on the order.
    Numeric { a: u8, b: u8, year: i32 },
}

/// A date and the time of day, if the cell had one.
pub type DateTime = (Date, Option<Time>);

const MONTHS: [&str; 12] = [
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
];

fn shape(s: &str) -> Option<(Shape, Option<Time>)> {
    let s = s.trim();
    let (date, rest) = split_date(s)?;
    let time = match rest.trim() {
        "" => None,
        t => Some(parse_time(t)?),
    };
    Some((date, time))
}

/// The date part and what follows it.
fn split_date(s: &str) -> Option<(Shape, &str)> {
    let b = s.as_bytes();
    // ISO: 2020-08-14, then nothing, " 00:00:00.000" or "T00:00:00Z".
    if b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b[..4].iter().chain(&b[5..7]).chain(&b[8..10]).all(u8::is_ascii_digit)
    {
        let rest = &s[10..];
        if !(rest.is_empty() || rest.starts_with([' ', 'T', 't'])) {
            return None;
        }
        let year: i32 = s[..4].parse().ok()?;
        let month: u8 = s[5..7].parse().ok()?;
        let day: u8 = s[8..10].parse().ok()?;
        let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
        return Some((Shape::Known(date), rest.strip_prefix(['T', 't']).unwrap_or(rest)));
    }
    // Numeric with separators: 14/08/2020, 1/22/2014, 14.08.2020, 14-08-2020.
    let sep = b.iter().position(|c| !c.is_ascii_digit())?;
    let first = &s[..sep];
    if first.is_empty() || first.len() > 2 {
        return None;
    }
    let sep_char = b[sep];
    if matches!(sep_char, b'/' | b'.' | b'-') {
        let after = &s[sep + 1..];
        if let Some(i) = after.bytes().position(|c| c == sep_char) {
            let second = &after[..i];
            let tail = &after[i + 1..];
            let year_len = tail.bytes().take_while(u8::is_ascii_digit).count();
            if (1..=2).contains(&second.len()) && second.bytes().all(|c| c.is_ascii_digit()) && year_len == 4 {
                let rest = &tail[4..];
                if !(rest.is_empty() || rest.starts_with(' ')) {
                    return None;
                }
                return Some((
                    Shape::Numeric { a: first.parse().ok()?, b: second.parse().ok()?, year: tail[..4].parse().ok()? },
                    rest,
                ));
            }
        }
    }
    // With the month's name: 14 August 2020 (ACLED), 14-Aug-2020 (a spreadsheet).
    let mut parts = s.splitn(4, [' ', '-']);
    let day: u8 = parts.next()?.parse().ok()?;
    let name = parts.next()?.to_ascii_lowercase();
    let year_text = parts.next()?;
    let year: i32 = if year_text.len() == 4 { year_text.parse().ok()? } else { return None };
    let rest = parts.next().unwrap_or("");
    if name.len() < 3 {
        return None;
    }
    let month = MONTHS.iter().position(|m| m.starts_with(&name))? as u8 + 1;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    Some((Shape::Known(date), rest))
}

/// `0:00`, `00:00:00`, `00:00:00.000`, `12:00:00 AM`, `13:05:00Z`.
fn parse_time(t: &str) -> Option<Time> {
    let t = t.trim();
    let (t, meridiem) = match t.get(t.len().saturating_sub(2)..).map(str::to_ascii_uppercase).as_deref() {
        Some("AM") => (t[..t.len() - 2].trim_end(), Some(false)),
        Some("PM") => (t[..t.len() - 2].trim_end(), Some(true)),
        _ => (t.strip_suffix(['Z', 'z']).unwrap_or(t), None),
    };
    let mut parts = t.split(':');
    let hour: u8 = parts.next()?.parse().ok()?;
    let minute: u8 = parts.next()?.parse().ok()?;
    let (second, milli) = match parts.next() {
        None => (0, 0),
        Some(s) => {
            let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
            let frac: String = frac.chars().chain("000".chars()).take(3).collect();
            (whole.parse::<u8>().ok()?, frac.parse::<u16>().ok()?)
        }
    };
    if parts.next().is_some() {
        return None;
    }
    let hour = match meridiem {
        None => hour,
        Some(_) if hour == 0 || hour > 12 => return None,
        Some(false) => hour % 12,
        Some(true) => hour % 12 + 12,
    };
    Time::from_hms_milli(hour, minute, second, milli).ok()
}

fn numeric(a: u8, b: u8, year: i32, order: DateOrder) -> Option<Date> {
    let (day, month) = match order {
        DateOrder::Dmy => (a, b),
        DateOrder::Mdy => (b, a),
    };
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// Reads one date cell with the file's order (`None` when the file gave no reason to need one).
///
/// # Errors
/// Why it is not a date, with a hint when the other order would read it.
pub fn parse(s: &str, order: Option<DateOrder>) -> Result<DateTime, String> {
    let Some((shape, time)) = shape(s) else {
        return Err(format!(
            "{s:?} is not a date (expected 2020-08-14, 14 August 2020, 14/08/2020 or 8/14/2020, optionally with a time)"
        ));
    };
    match (shape, order) {
        (Shape::Known(d), _) => Ok((d, time)),
        (Shape::Numeric { a, b, year }, _) if a == b => {
            numeric(a, b, year, DateOrder::Dmy).map(|d| (d, time)).ok_or_else(|| format!("{s:?} is not a date"))
        }
        (Shape::Numeric { a, b, year }, Some(order)) => match numeric(a, b, year, order) {
            Some(d) => Ok((d, time)),
            None if numeric(a, b, year, order.other()).is_some() => {
                Err(format!("{s:?} is not a date in {} order; try --date-order {}", order.name(), order.other().flag()))
            }
            None => Err(format!("{s:?} is not a date in {} order", order.name())),
        },
        (Shape::Numeric { .. }, None) => {
            Err(format!("{s:?} could be day/month or month/day; say which with --date-order dmy|mdy"))
        }
    }
}

/// What the date cells of a file say about their order.
#[derive(Debug, Default)]
pub struct OrderEvidence {
    dmy: Option<Seen>,
    mdy: Option<Seen>,
    ambiguous: Option<Seen>,
}

#[derive(Debug)]
struct Seen {
    column: String,
    line: u64,
    value: String,
}

impl OrderEvidence {
    /// Takes one cell into account.
    pub fn see(&mut self, column: &str, line: u64, value: &str) {
        // ISO dates (and RFC 3339 times), most cells of most files, say nothing of the order.
        let b = value.as_bytes();
        if b.len() > 4 && b[4] == b'-' && b[..4].iter().all(u8::is_ascii_digit) {
            return;
        }
        let Some((Shape::Numeric { a, b, year }, _)) = shape(value) else { return };
        let slot = match (numeric(a, b, year, DateOrder::Dmy).is_some(), numeric(a, b, year, DateOrder::Mdy).is_some())
        {
            _ if a == b => return,
            (true, true) => &mut self.ambiguous,
            (true, false) => &mut self.dmy,
            (false, true) => &mut self.mdy,
            (false, false) => return,
        };
        if slot.is_none() {
            *slot = Some(Seen { column: column.to_owned(), line, value: value.trim().to_owned() });
        }
    }

    /// The order to read the file with: the one given, else the one its cells show.
    ///
    /// # Errors
    /// One line saying why the order cannot be told and how to give it.
    pub fn decide(&self, given: Option<DateOrder>) -> Result<Option<DateOrder>, String> {
        if given.is_some() {
            return Ok(given);
        }
        match (&self.dmy, &self.mdy, &self.ambiguous) {
            (Some(d), Some(m), _) => Err(format!(
                "column `{}`: dates are day first at line {} ({:?}) but month first at line {} ({:?}); \
                 choose with --date-order dmy|mdy (rows in the other order are then reported)",
                d.column, d.line, d.value, m.line, m.value
            )),
            (Some(_), None, _) => Ok(Some(DateOrder::Dmy)),
            (None, Some(_), _) => Ok(Some(DateOrder::Mdy)),
            (None, None, Some(a)) => Err(format!(
                "column `{}`: no date tells whether it is day/month or month/day (none has a part above 12; \
                 first at line {}: {:?}); say which with --date-order dmy|mdy",
                a.column, a.line, a.value
            )),
            (None, None, None) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str, order: Option<DateOrder>) -> String {
        parse(s, order).map(|(d, _)| d.to_string()).unwrap_or_else(|e| e)
    }

    #[test]
    fn published_and_spreadsheet_forms() {
        assert_eq!(day("2020-08-14", None), "2020-08-14");
        assert_eq!(day("2022-03-01 00:00:00.000", None), "2022-03-01");
        assert_eq!(day("14 August 2020", None), "2020-08-14");
        assert_eq!(day("14-Aug-2020", None), "2020-08-14");
        assert_eq!(day("14/08/2020 00:00:00", Some(DateOrder::Dmy)), "2020-08-14");
        assert_eq!(day("1/22/2014 12:00:00 AM", Some(DateOrder::Mdy)), "2014-01-22");
        assert_eq!(day("22.01.2014", Some(DateOrder::Dmy)), "2014-01-22");
        assert_eq!(day("5/5/2020", None), "2020-05-05", "the same either way");
        let (_, t) = parse("1/22/2014 1:30:00 PM", Some(DateOrder::Mdy)).unwrap();
        assert_eq!(t, Some(Time::from_hms(13, 30, 0).unwrap()));
        assert_eq!(parse("1/22/2014 12:00:00 AM", Some(DateOrder::Mdy)).unwrap().1, Some(Time::MIDNIGHT));
        for bad in ["yesterday", "2020-13-01", "14/08/20", "31/31/2020", "14/08/2020 25:00", "2020-08-14x"] {
            assert!(parse(bad, Some(DateOrder::Dmy)).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_wrong_order_hints_at_the_other() {
        let e = parse("14/08/2020", Some(DateOrder::Mdy)).unwrap_err();
        assert!(e.ends_with("not a date in month/day/year order; try --date-order dmy"), "{e}");
        assert!(parse("03/04/2020", None).unwrap_err().contains("--date-order"));
    }

    #[test]
    fn the_order_is_decided_by_the_whole_column() {
        let mut e = OrderEvidence::default();
        e.see("event_date", 2, "03/04/2020");
        e.see("event_date", 3, "2020-08-14");
        let err = e.decide(None).unwrap_err();
        assert!(err.contains("column `event_date`") && err.contains("line 2") && err.contains("--date-order"), "{err}");
        assert_eq!(e.decide(Some(DateOrder::Mdy)), Ok(Some(DateOrder::Mdy)));
        e.see("event_date", 900, "14/08/2020 00:00:00");
        assert_eq!(e.decide(None), Ok(Some(DateOrder::Dmy)), "one value above 12 settles it for all");
        let mut dashes = OrderEvidence::default();
        dashes.see("date", 7, "13-1-2014");
        dashes.see("date", 8, "1-22-2014");
        assert!(dashes.decide(None).unwrap_err().contains("line 8"), "dashes count as much as slashes");
        e.see("event_date", 901, "1/22/2014 12:00:00 AM");
        let err = e.decide(None).unwrap_err();
        assert!(err.contains("line 900") && err.contains("line 901"), "{err}");
        assert_eq!(OrderEvidence::default().decide(None), Ok(None));
    }
}
