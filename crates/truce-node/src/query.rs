//! The filters of an observation listing, as people write them (the command line's flags and the
//! API's query parameters alike), checked and compiled into a store [`Query`].
//!
//! Every value is checked before anything is read; a bad one is named with the reason, so the command
//! line says `--bbox: ...` and the API answers `invalid_parameter` with `field: "bbox"`.

use time::OffsetDateTime;
use truce_store::Query;

/// Parses a time in any of the forms of [`truce_formats::when::instant`] (RFC 3339, `YYYY-MM-DD`, a DTG).
pub fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    truce_formats::when::instant(s)
}

fn numbers<const N: usize>(s: &str, what: &str) -> Result<[f64; N], String> {
    let v: Vec<f64> = s
        .split(',')
        .map(|x| x.trim().parse::<f64>().ok().filter(|v| v.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| format!("{what}: {s:?} is not {N} comma-separated numbers"))?;
    v.try_into().map_err(|_| format!("{what}: {s:?} is not {N} comma-separated numbers"))
}

/// The filters as given (each optional); [`Filters::query`] checks them.
#[derive(Debug, Default, Clone, Copy)]
pub struct Filters<'a> {
    /// At or after this time (RFC 3339 or `YYYY-MM-DD`).
    pub since: Option<&'a str>,
    /// Received by the store at or after this time.
    pub received_since: Option<&'a str>,
    /// Before this time.
    pub until: Option<&'a str>,
    /// `W,S,E,N` in degrees.
    pub bbox: Option<&'a str>,
    /// `LAT,LON,KM`.
    pub near: Option<&'a str>,
    /// An OSCE category id.
    pub category: Option<&'a str>,
    /// A violation code.
    pub violation: Option<&'a str>,
    /// A zone id.
    pub zone: Option<&'a str>,
}

impl Filters<'_> {
    /// The query, or the first filter at fault (name, reason).
    pub fn query(&self) -> Result<Query, (&'static str, String)> {
        let mut q = Query {
            since: self.since.map(parse_time).transpose().map_err(|e| ("since", e))?,
            until: self.until.map(parse_time).transpose().map_err(|e| ("until", e))?,
            received_since: self.received_since.map(parse_time).transpose().map_err(|e| ("received_since", e))?,
            ..Query::default()
        };
        if let Some(b) = self.bbox {
            let [w, s, e, n] = numbers::<4>(b, "bbox").map_err(|e| ("bbox", e))?;
            if !(-180.0..=180.0).contains(&w)
                || !(-180.0..=180.0).contains(&e)
                || !(-90.0..=90.0).contains(&s)
                || !(-90.0..=90.0).contains(&n)
                || w > e
                || s > n
            {
                return Err((
                    "bbox",
                    format!(
                        "{b:?}: expected W,S,E,N with W <= E, S <= N, longitudes in -180..180 and latitudes in -90..90"
                    ),
                ));
            }
            q.bbox = Some([w, s, e, n]);
        }
        if let Some(near) = self.near {
            let [lat, lon, km] = numbers::<3>(near, "near").map_err(|e| ("near", e))?;
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) || !(0.0..=20_000.0).contains(&km) {
                return Err((
                    "near",
                    format!("{near:?}: expected LAT,LON,KM with lat in -90..90, lon in -180..180, km in 0..20000"),
                ));
            }
            q.near = Some((lat, lon, km));
        }
        if let Some(c) = self.category {
            q.category = Some(c.parse().map_err(|e: truce_core::UnknownCategory| ("category", e.to_string()))?);
        }
        if let Some(v) = self.violation {
            if !truce_core::ViolationCode::ALL.iter().any(|c| c.code() == v) {
                let codes: Vec<&str> = truce_core::ViolationCode::ALL.iter().map(|c| c.code()).collect();
                return Err(("violation", format!("unknown violation code {v:?} (codes: {})", codes.join(", "))));
            }
            q.violation = Some(v.to_owned());
        }
        q.zone = self.zone.map(str::to_owned);
        Ok(q)
    }
}
