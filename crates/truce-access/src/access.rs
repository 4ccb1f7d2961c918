//! The one access rule: a viewer sees a record when its clearance dominates the record's
//! classification, its nation is in the record's release set expanded on the record's day, and it
//! holds every restrictive category the record carries.
//!
//! [`Access`] is a viewer compiled against a policy: its clearance rank, the categories it lacks, and
//! for each release code the spans of days during which the code includes its nation. The same
//! compiled form answers [`Access::permits`] in Rust (the bus, in-memory results) and writes the SQL
//! predicate the stores add to every query ([`Access::sql`]), so the two cannot drift apart; a
//! property test checks they agree. [`Access::all`] is the operator's (filesystem access to the data
//! directory is full access).

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use truce_core::{Label, Marking};

use crate::policy::{Policy, Span};
use crate::role::{Action, Role};

/// A user as the access rule sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    /// The user name (`-` for anonymous viewers).
    pub name: String,
    /// ISO 3166 alpha-3; `None` for a viewer without a nation (anonymous TAK clients by default).
    pub nation: Option<String>,
    /// The role.
    pub role: Role,
    /// The highest classification the viewer may see.
    pub clearance: Marking,
    /// The restrictive categories held.
    pub categories: BTreeSet<String>,
}

impl Viewer {
    /// Whether the viewer's role allows `action`.
    pub fn may(&self, action: Action) -> bool {
        self.role.may(action)
    }
}

/// Days during which a release code includes the viewer's nation, as Unix milliseconds
/// (`[from, until)`, open ends `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Window {
    code: String,
    from_ms: Option<i64>,
    until_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    All,
    Viewer {
        audience: String,
        clearance: u8,
        held: BTreeSet<String>,
        lacking: Vec<String>,
        windows: Vec<Window>,
        default: Vec<Window>,
        observer: bool,
    },
}

/// A viewer compiled against a policy. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    rule: Rule,
}

fn day_ms(d: Date) -> i64 {
    (d.midnight().assume_utc().unix_timestamp()) * 1000
}

fn windows(policy: &Policy, nation: Option<&str>, codes: impl IntoIterator<Item = String>) -> Vec<Window> {
    let mut out = Vec::new();
    for code in codes {
        let spans = match nation {
            Some(n) => policy.spans(&code, n),
            None if code == policy.public => vec![Span::ALWAYS],
            None => Vec::new(),
        };
        for s in spans {
            out.push(Window { code: code.clone(), from_ms: s.from.map(day_ms), until_ms: s.until.map(day_ms) });
        }
    }
    out
}

impl Access {
    /// Everything (the operator at the data directory, internal tasks).
    pub fn all() -> Self {
        Self { rule: Rule::All }
    }

    /// `viewer` under `policy`.
    pub fn new(policy: &Policy, viewer: &Viewer) -> Self {
        let nation = viewer.nation.as_deref();
        let mut codes: BTreeSet<String> = policy.groups.keys().cloned().collect();
        codes.insert(policy.public.clone());
        if let Some(n) = nation {
            codes.insert(n.to_owned());
        }
        let windows = windows(policy, nation, codes);
        let default = windows_for(policy, nation, &policy.default_release);
        let lacking: Vec<String> =
            policy.categories.iter().filter(|c| !viewer.categories.contains(*c)).cloned().collect();
        let observer = viewer.clearance.rank() >= policy.observer.marking.rank()
            && policy.observer.categories.iter().all(|c| viewer.categories.contains(c));
        let effective: Vec<&str> =
            policy.categories.iter().filter(|c| viewer.categories.contains(*c)).map(String::as_str).collect();
        let audience = format!("{}/{}/{}", nation.unwrap_or("-"), viewer.clearance.rank(), effective.join(","));
        Self {
            rule: Rule::Viewer {
                audience,
                clearance: viewer.clearance.rank(),
                held: viewer.categories.clone(),
                lacking,
                windows,
                default,
                observer,
            },
        }
    }

    /// The viewer's audience: a key that two viewers share exactly when the rule lets them see the
    /// same records (same nation, clearance and held categories of the policy; the role does not
    /// change what is visible). Derived results that are computed per audience, such as stored
    /// alerts, carry it; [`Access::all`]'s is `*`.
    pub fn audience(&self) -> &str {
        match &self.rule {
            Rule::All => "*",
            Rule::Viewer { audience, .. } => audience,
        }
    }

    /// Whether this is [`Access::all`].
    pub fn is_all(&self) -> bool {
        matches!(self.rule, Rule::All)
    }

    /// Whether the viewer may see a record labelled `label` whose time is `at`.
    pub fn permits(&self, label: &Label, at: OffsetDateTime) -> bool {
        let Rule::Viewer { clearance, held, windows, default, .. } = &self.rule else {
            return true;
        };
        if label.marking.rank() > *clearance || !label.categories.iter().all(|c| held.contains(c)) {
            return false;
        }
        let ms = (at.unix_timestamp_nanos() / 1_000_000) as i64;
        let inside = |w: &Window| w.from_ms.is_none_or(|f| ms >= f) && w.until_ms.is_none_or(|u| ms < u);
        if label.releasable_to.is_empty() {
            default.iter().any(inside)
        } else {
            windows.iter().any(|w| inside(w) && label.releasable_to.contains(&w.code))
        }
    }

    /// Whether a writer with this access may give a record `label`: its clearance must dominate the
    /// classification and it must hold every category (a writer cannot label above itself). `None`
    /// when it may; otherwise the field at fault (`marking` or `categories`) and why.
    pub fn may_label(&self, label: &Label) -> Option<(&'static str, String)> {
        let Rule::Viewer { clearance, held, .. } = &self.rule else { return None };
        if label.marking.rank() > *clearance {
            return Some(("marking", format!("{} is above your clearance", label.marking)));
        }
        label
            .categories
            .iter()
            .find(|c| !held.contains(*c))
            .map(|c| ("categories", format!("you do not hold the category {c:?}")))
    }

    /// Whether the viewer may also see the observer's fields of a record it may see.
    pub fn sees_observer(&self) -> bool {
        match &self.rule {
            Rule::All => true,
            Rule::Viewer { observer, .. } => *observer,
        }
    }

    /// The SQL predicate (SQLite and PostgreSQL) of [`Access::permits`] over a table's label columns:
    /// `rank` (the classification's rank, an integer), `rel` (`|CODE|CODE|`, or empty for the default
    /// release), `cats` (`|CAT|CAT|` or empty) and `time_ms` (the record's time, Unix ms). Codes are
    /// checked by the policy (capitals, digits and '-'), so they are written as literals.
    pub fn sql(&self, rank: &str, rel: &str, cats: &str, time_ms: &str) -> String {
        let Rule::Viewer { clearance, lacking, windows, default, .. } = &self.rule else {
            return "1=1".to_owned();
        };
        let mut s = format!("({rank} <= {clearance}");
        for c in lacking {
            debug_assert!(c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
            let _ = write!(s, " AND instr({cats}, '|{c}|') = 0");
        }
        let span = |w: &Window| {
            let mut t = String::new();
            if let Some(f) = w.from_ms {
                let _ = write!(t, " AND {time_ms} >= {f}");
            }
            if let Some(u) = w.until_ms {
                let _ = write!(t, " AND {time_ms} < {u}");
            }
            t
        };
        s.push_str(" AND (");
        let mut any = false;
        for w in windows {
            debug_assert!(w.code.bytes().all(|b| b.is_ascii_alphanumeric()));
            if any {
                s.push_str(" OR ");
            }
            any = true;
            let _ = write!(s, "(instr({rel}, '|{}|') > 0{})", w.code, span(w));
        }
        let mut default_sql = String::new();
        for w in default {
            if !default_sql.is_empty() {
                default_sql.push_str(" OR ");
            }
            let _ = write!(default_sql, "(1=1{})", span(w));
        }
        if !default_sql.is_empty() {
            if any {
                s.push_str(" OR ");
            }
            any = true;
            let _ = write!(s, "({rel} = '' AND ({default_sql}))");
        }
        if !any {
            s.push_str("1=0");
        }
        s.push_str("))");
        s
    }
}

fn windows_for(policy: &Policy, nation: Option<&str>, codes: &[String]) -> Vec<Window> {
    windows(policy, nation, codes.iter().cloned())
}

/// The label columns of a stored record (see [`Access::sql`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelColumns {
    /// The classification's rank.
    pub rank: i64,
    /// `|CODE|CODE|` or empty.
    pub rel: String,
    /// `|CAT|CAT|` or empty.
    pub cats: String,
}

impl LabelColumns {
    /// The columns of `label`.
    pub fn of(label: &Label) -> Self {
        let join = |v: &[String]| if v.is_empty() { String::new() } else { format!("|{}|", v.join("|")) };
        Self { rank: i64::from(label.marking.rank()), rel: join(&label.releasable_to), cats: join(&label.categories) }
    }
}

/// Leaves out the fields that locate the monitors (the observer's team, callsign, position, bearing
/// and range), for a viewer below the policy's observer label.
pub fn redact_observer(o: &mut truce_core::Observation) {
    let ob = &mut o.observer;
    ob.team = None;
    ob.callsign = None;
    ob.lat = None;
    ob.lon = None;
    ob.bearing_deg = None;
    ob.range_m = None;
}

impl LabelColumns {
    /// The label back from its columns; `None` when they do not describe one (a rank out of range).
    pub fn label(rank: i64, rel: &str, cats: &str) -> Option<Label> {
        let marking = *Marking::ALL.iter().find(|m| i64::from(m.rank()) == rank)?;
        let split = |s: &str| s.split('|').filter(|c| !c.is_empty()).map(str::to_owned).collect();
        Some(Label { marking, releasable_to: split(rel), categories: split(cats) })
    }
}
