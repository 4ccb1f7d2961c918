//! The filters of an observation listing, as people write them (the command line's flags and the
//! API's query parameters alike), checked and compiled into a store [`Query`].
//!
//! Every value is checked before anything is read; a bad one is named with the reason, so the command
//! line says `--bbox: ...` and the API answers `invalid_parameter` with `field: "bbox"`.
//!
//! List filters (`category`, `violation`, `means`, `party`, `marking`) take comma-separated values and
//! select any of them; their words and the polygon are read by [`truce_formats::filter`]. Words are
//! checked against their vocabulary, an unknown one is an error and never an empty list: the fixed
//! vocabularies of `truce-core`, and two that are data, given in [`Known`]: the agreement's parties
//! and the label policy's nations. `nation=POL` selects what is releasable to Poland, read as a viewer
//! of Poland holding the caller's own clearance and categories would by the access rule of
//! `truce-access` (release groups expanded on each **observation's** day, the policy's default release
//! for a record that names none); the store applies it on top of the caller's own access, so it
//! narrows and never widens. `sector=pokrovsk` selects what the node's early-warning sectors assign to
//! that sector (the nearest stretch of the line within its distance, or the polygon), exactly as the
//! warning counts it: the store narrows the rows by the sector's box and asks the sector of each.

use time::OffsetDateTime;
use truce_formats::filter;
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
    /// `LON,LAT;LON,LAT;LON,LAT[;...]`: inside the polygon or on its edge.
    pub polygon: Option<&'a str>,
    /// Observers' means, comma-separated (any of them).
    pub means: Option<&'a str>,
    /// Parties (agreement party ids, `none` for no party), comma-separated (any of them).
    pub party: Option<&'a str>,
    /// Classification ranks (`0`..`4`) or names, comma-separated (any of them).
    pub marking: Option<&'a str>,
    /// A nation (ISO 3166 alpha-3): only what is releasable to it (see the module documentation).
    pub nation: Option<&'a str>,
    /// An early-warning sector's id: only what the sectors assign to it (`truce_watch::Sectors::assign`).
    pub sector: Option<&'a str>,
}

/// What the filters that name data are checked against. A filter whose vocabulary is not given here
/// is refused as unavailable (the command line has no caller to read `nation` as).
#[derive(Debug, Default, Clone, Copy)]
pub struct Known<'a> {
    /// The agreement's party ids (`party`).
    pub parties: &'a [&'a str],
    /// The agreement's zone ids (`zone`); `None`: not checked here (the command line checks it against
    /// the data directory's agreement once it is open).
    pub zones: Option<&'a [&'a str]>,
    /// The label policy and the caller (`nation`: the caller's clearance and categories are kept).
    pub releasability: Option<(&'a truce_access::Policy, &'a truce_access::Viewer)>,
    /// The early-warning sectors (`sector`).
    pub sectors: Option<&'a std::sync::Arc<truce_watch::Sectors>>,
}

impl Filters<'_> {
    /// The query, or the first filter at fault (name, reason).
    pub fn query(&self, known: &Known<'_>) -> Result<Query, (&'static str, String)> {
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
            q.category = filter::words(c, |w| w.parse::<truce_core::Category>()).map_err(|e| ("category", e))?;
        }
        if let Some(v) = self.violation {
            q.violation = filter::words(v, |w| {
                truce_core::ViolationCode::ALL.iter().find(|c| c.code() == w).map(|c| c.code().to_owned()).ok_or_else(
                    || {
                        let codes: Vec<&str> = truce_core::ViolationCode::ALL.iter().map(|c| c.code()).collect();
                        format!("unknown violation code {w:?} (codes: {})", codes.join(", "))
                    },
                )
            })
            .map_err(|e| ("violation", e))?;
        }
        if let Some(p) = self.polygon {
            q.polygon = Some(filter::polygon(p).map_err(|e| ("polygon", e))?);
        }
        if let Some(m) = self.means {
            q.means = filter::words(m, |w| w.parse::<truce_core::Means>()).map_err(|e| ("means", e))?;
        }
        if let Some(p) = self.party {
            q.party = filter::words(p, |w| match w {
                "none" => Ok(None),
                _ if known.parties.contains(&w) => Ok(Some(w.to_owned())),
                _ => Err(format!(
                    "{w:?} is not a party of the agreement nor none (one of: {}, none)",
                    known.parties.join(", ")
                )),
            })
            .map_err(|e| ("party", e))?;
        }
        if let Some(m) = self.marking {
            q.marking = filter::markings(m).map_err(|e| ("marking", e))?;
        }
        if let Some(n) = self.nation {
            let Some((policy, caller)) = known.releasability else {
                return Err(("nation", "not available here (it reads as the caller)".to_owned()));
            };
            if !policy.nations.contains(n) {
                return Err((
                    "nation",
                    format!("{n:?} is not a nation (ISO 3166 alpha-3) of the {} policy", policy.id),
                ));
            }
            let viewer = truce_access::Viewer { nation: Some(n.to_owned()), ..caller.clone() };
            q.releasable = Some(truce_access::Access::new(policy, &viewer));
        }
        if let Some(id) = self.sector {
            let Some(sectors) = known.sectors else {
                return Err(("sector", "not available here (the sectors are the running node's)".to_owned()));
            };
            let area = truce_watch::SectorArea::new(sectors, id).ok_or_else(|| {
                let ids: Vec<&str> = sectors.sectors.iter().map(|s| s.id.as_str()).collect();
                ("sector", format!("unknown sector {id:?} (sectors: {})", ids.join(", ")))
            })?;
            q.within = Some(truce_store::Within { name: id.to_owned(), area: std::sync::Arc::new(area) });
        }
        if let (Some(z), Some(zones)) = (self.zone, known.zones)
            && !zones.contains(&z)
        {
            return Err(("zone", format!("unknown zone {z:?} (zones: {})", zones.join(", "))));
        }
        q.zone = self.zone.map(str::to_owned);
        Ok(q)
    }
}
