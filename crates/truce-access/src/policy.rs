//! The label policy: which codes a label may carry and what they expand to on a given day.
//!
//! A policy names its classifications (the ordered NATO levels of [`Marking`]), the release codes
//! (nations, ISO 3166 alpha-3, and groups such as NATO and EU whose membership is **dated**), the code
//! that releases to everyone, the default release of a record that names none, the restrictive
//! categories, and the stricter label of the observer's fields. It is data: truce ships
//! `data/access/policy.toml` and a deployment replaces it with its own file.
//!
//! Membership is a set of half-open day ranges `[from, until)`, so expansion on a record's date is a
//! lookup and the same ranges become the SQL predicate of [`crate::Access`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use time::Date;
use time::macros::format_description;
use truce_core::{Label, Marking, Observation};

/// The policy truce ships (`data/access/policy.toml`).
pub const SHIPPED: &str = include_str!("../../../data/access/policy.toml");

/// Largest policy file read, bytes.
pub const MAX_POLICY_BYTES: u64 = 1 << 20;

/// One membership of a group: from a day (inclusive) until a day (exclusive), either open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First day of membership; `None`: always was.
    pub from: Option<Date>,
    /// First day no longer a member; `None`: still is.
    pub until: Option<Date>,
}

impl Span {
    /// Always.
    pub const ALWAYS: Span = Span { from: None, until: None };

    /// Whether `day` is inside.
    pub fn contains(&self, day: Date) -> bool {
        self.from.is_none_or(|f| day >= f) && self.until.is_none_or(|u| day < u)
    }
}

/// A release group (a tetragraph such as NATO, or EU).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its full name.
    pub name: String,
    /// Each member's spans.
    pub members: BTreeMap<String, Vec<Span>>,
}

/// The label policy. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The policy identifier (STANAG 4774 PolicyIdentifier).
    pub id: String,
    /// What a record naming no release code is releasable to.
    pub default_release: Vec<String>,
    /// The code releasing to everyone.
    pub public: String,
    /// The restrictive categories.
    pub categories: BTreeSet<String>,
    /// Nations known (group members included).
    pub nations: BTreeSet<String>,
    /// Groups by code.
    pub groups: BTreeMap<String, Group>,
    /// The stricter label of an observation's observer fields (position, team, callsign).
    pub observer: Label,
}

/// What is wrong with a policy file or a label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct PolicyError {
    /// The key or field at fault (`groups.NATO.members[3].from`, `releasable_to`).
    pub field: String,
    /// Why.
    pub reason: String,
}

impl PolicyError {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { field: field.into(), reason: reason.into() }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    policy: String,
    default_release: Vec<String>,
    public: String,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    nations: Vec<String>,
    observer: ObserverFile,
    #[serde(default)]
    groups: BTreeMap<String, GroupFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObserverFile {
    classification: String,
    #[serde(default)]
    categories: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    name: String,
    members: Vec<MemberFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MemberFile {
    nation: String,
    from: Option<String>,
    until: Option<String>,
}

fn is_nation(code: &str) -> bool {
    code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase())
}

fn is_group(code: &str) -> bool {
    (2..=8).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && !is_nation(code)
}

fn is_category(code: &str) -> bool {
    (1..=40).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

fn day(field: &str, s: &str) -> Result<Date, PolicyError> {
    Date::parse(s, format_description!("[year]-[month]-[day]"))
        .map_err(|e| PolicyError::new(field, format!("{s:?} is not a date YYYY-MM-DD ({e})")))
}

impl Policy {
    /// The shipped policy.
    ///
    /// # Panics
    /// Never: the shipped file is checked by a test.
    #[allow(clippy::missing_panics_doc)]
    pub fn shipped() -> Self {
        #[allow(clippy::expect_used)]
        Self::parse(SHIPPED).expect("the shipped policy is valid")
    }

    /// Reads a policy file; errors name the file and key.
    ///
    /// # Errors
    /// When the file cannot be read, is too large, or is not a valid policy.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let name = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| PolicyError::new(&name, e.to_string()))?;
        if meta.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::new(
                &name,
                format!("{} bytes is over the limit of {MAX_POLICY_BYTES}", meta.len()),
            ));
        }
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::new(&name, e.to_string()))?;
        Self::parse(&text).map_err(|e| PolicyError::new(format!("{name}: {}", e.field), e.reason))
    }

    /// Parses a policy from TOML text.
    ///
    /// # Errors
    /// The first problem, naming its key.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let file: PolicyFile = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            let field = at.map_or_else(|| "policy".to_owned(), |l| format!("line {l}"));
            PolicyError::new(field, e.message().to_owned())
        })?;
        if file.policy.trim().is_empty() {
            return Err(PolicyError::new("policy", "must not be empty"));
        }
        let mut nations = BTreeSet::new();
        for (i, n) in file.nations.iter().enumerate() {
            if !is_nation(n) {
                return Err(PolicyError::new(
                    format!("nations[{i}]"),
                    format!("{n:?} is not an ISO 3166 alpha-3 code"),
                ));
            }
            nations.insert(n.clone());
        }
        let mut groups = BTreeMap::new();
        for (code, g) in file.groups {
            if !is_group(&code) || code == NOBODY {
                return Err(PolicyError::new(
                    format!("groups.{code}"),
                    "a group code has 2 to 8 capital letters or digits and is not three letters (those are nations)",
                ));
            }
            let mut members: BTreeMap<String, Vec<Span>> = BTreeMap::new();
            for (i, m) in g.members.iter().enumerate() {
                let field = format!("groups.{code}.members[{i}]");
                if !is_nation(&m.nation) {
                    return Err(PolicyError::new(
                        format!("{field}.nation"),
                        format!("{:?} is not an ISO 3166 alpha-3 code", m.nation),
                    ));
                }
                let from = m.from.as_deref().map(|s| day(&format!("{field}.from"), s)).transpose()?;
                let until = m.until.as_deref().map(|s| day(&format!("{field}.until"), s)).transpose()?;
                if let (Some(f), Some(u)) = (from, until)
                    && u <= f
                {
                    return Err(PolicyError::new(format!("{field}.until"), "must be after from"));
                }
                nations.insert(m.nation.clone());
                members.entry(m.nation.clone()).or_default().push(Span { from, until });
            }
            groups.insert(code, Group { name: g.name, members });
        }
        if !is_group(&file.public) || groups.contains_key(&file.public) {
            return Err(PolicyError::new(
                "public",
                format!("{:?} must be a code of its own (2 to 8 capitals)", file.public),
            ));
        }
        let mut categories = BTreeSet::new();
        for (i, c) in file.categories.iter().enumerate() {
            if !is_category(c) {
                return Err(PolicyError::new(
                    format!("categories[{i}]"),
                    format!("{c:?}: a category has 1 to 40 capitals, digits or '-'"),
                ));
            }
            categories.insert(c.clone());
        }
        let mut policy = Policy {
            id: file.policy,
            default_release: Vec::new(),
            public: file.public,
            categories,
            nations,
            groups,
            observer: Label::unclassified(),
        };
        policy.default_release =
            policy.release_codes("default_release", &file.default_release).map_err(|e| PolicyError { ..e })?;
        if policy.default_release.is_empty() {
            return Err(PolicyError::new("default_release", "must name at least one code"));
        }
        let marking = file
            .observer
            .classification
            .parse::<Marking>()
            .map_err(|e| PolicyError::new("observer.classification", e))?;
        let cats = policy.category_codes("observer.categories", &file.observer.categories)?;
        policy.observer = Label { marking, releasable_to: Vec::new(), categories: cats };
        Ok(policy)
    }

    /// Whether `code` is a release code of this policy (a nation, a group or the public code).
    pub fn knows(&self, code: &str) -> bool {
        self.nations.contains(code) || self.groups.contains_key(code) || code == self.public
    }

    /// Checks release codes, returning them sorted and without duplicates.
    ///
    /// # Errors
    /// The first unknown code, naming `field`.
    pub fn release_codes(&self, field: &str, codes: &[String]) -> Result<Vec<String>, PolicyError> {
        let mut out = BTreeSet::new();
        for c in codes {
            if !self.knows(c) {
                return Err(PolicyError::new(
                    field,
                    format!("{c:?} is not a nation or group of the {} policy", self.id),
                ));
            }
            out.insert(c.clone());
        }
        Ok(out.into_iter().collect())
    }

    /// Checks restrictive categories, returning them sorted and without duplicates.
    ///
    /// # Errors
    /// The first unknown category, naming `field`.
    pub fn category_codes(&self, field: &str, codes: &[String]) -> Result<Vec<String>, PolicyError> {
        let mut out = BTreeSet::new();
        for c in codes {
            if !self.categories.contains(c) {
                return Err(PolicyError::new(field, format!("{c:?} is not a category of the {} policy", self.id)));
            }
            out.insert(c.clone());
        }
        Ok(out.into_iter().collect())
    }

    /// Checks a label's codes (422 material): every release code and category must be known.
    ///
    /// # Errors
    /// The first unknown code, naming `releasable_to` or `categories`.
    pub fn check(&self, label: &Label) -> Result<Label, PolicyError> {
        Ok(Label {
            marking: label.marking,
            releasable_to: self.release_codes("releasable_to", &label.releasable_to)?,
            categories: self.category_codes("categories", &label.categories)?,
        })
    }

    /// The release codes in force for a label: its own, or the default release when it names none.
    pub fn effective_release<'a>(&'a self, label: &'a Label) -> &'a [String] {
        if label.releasable_to.is_empty() { &self.default_release } else { &label.releasable_to }
    }

    /// The nations `label` is releasable to on `day`; `None` means everyone (the public code).
    pub fn expand(&self, label: &Label, day: Date) -> Option<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for code in self.effective_release(label) {
            if *code == self.public {
                return None;
            }
            match self.groups.get(code) {
                Some(g) => {
                    for (nation, spans) in &g.members {
                        if spans.iter().any(|s| s.contains(day)) {
                            out.insert(nation.clone());
                        }
                    }
                }
                None if code == NOBODY => {}
                None => {
                    out.insert(code.clone());
                }
            }
        }
        Some(out)
    }

    /// The spans during which `code` includes `nation` (a nation includes itself always; the public
    /// code includes everyone always).
    pub fn spans(&self, code: &str, nation: &str) -> Vec<Span> {
        if code == self.public || code == nation {
            return vec![Span::ALWAYS];
        }
        self.groups.get(code).and_then(|g| g.members.get(nation)).cloned().unwrap_or_default()
    }

    /// The least upper bound of labels (an aggregate's label): the highest classification, the
    /// release set the intersection of each part's expanded set on its own day (as nations, sorted;
    /// the public code when every part is public), the union of the categories. `None` for no parts.
    pub fn join<'a>(&self, parts: impl IntoIterator<Item = (&'a Label, Date)>) -> Option<Label> {
        let mut marking: Option<Marking> = None;
        let mut release: Option<Option<BTreeSet<String>>> = None;
        let mut categories = BTreeSet::new();
        // The release lists and days already intersected: the same again changes nothing (an
        // intersection is idempotent, and most parts of an aggregate are released alike), so each is
        // expanded once, wherever it recurs (a group such as NATO is thirty-odd nations to copy).
        let mut intersected: HashSet<(&[String], Date)> = HashSet::new();
        for (label, day) in parts {
            marking = Some(
                marking.map_or(label.marking, |m| if label.marking.rank() > m.rank() { label.marking } else { m }),
            );
            for c in &label.categories {
                if !categories.contains(c) {
                    categories.insert(c.clone());
                }
            }
            if !intersected.insert((self.effective_release(label), day)) {
                continue;
            }
            let set = self.expand(label, day);
            release = Some(match (release, set) {
                (None, s) => s,
                (Some(None), s) => s,
                (Some(Some(a)), None) => Some(a),
                (Some(Some(a)), Some(b)) => Some(a.intersection(&b).cloned().collect()),
            });
        }
        let releasable_to = match release? {
            None => vec![self.public.clone()],
            Some(set) if set.is_empty() => vec![NOBODY.to_owned()],
            Some(set) => set.into_iter().collect(),
        };
        Some(Label { marking: marking?, releasable_to, categories: categories.into_iter().collect() })
    }

    /// The join of observations' own labels, each on the day it was observed (what anything derived
    /// from them carries; see [`Policy::join`]). The join depends only on which labels and days occur,
    /// not how often or in which order: each distinct one is copied and joined once (a day of a busy
    /// front is tens of thousands of observations under a few dozen labels). `None` for none.
    pub fn join_observations<'a>(&self, observations: impl IntoIterator<Item = &'a Observation>) -> Option<Label> {
        self.join_label_days(&label_days(observations))
    }

    /// The join of label-days.
    fn join_label_days(&self, parts: &[LabelDay<'_>]) -> Option<Label> {
        let labels: Vec<(Label, Date)> = parts
            .iter()
            .map(|&(day, marking, releasable_to, categories)| {
                let label = Label { marking, releasable_to: releasable_to.to_vec(), categories: categories.to_vec() };
                (label, day)
            })
            .collect();
        self.join(labels.iter().map(|(l, d)| (l, *d)))
    }

    /// The join of aggregates, each already a [`Policy::join`] (or `None`, nothing): their release sets
    /// are nations, the public code or nobody, whatever the day, so no day is needed. `None` when every
    /// part is.
    pub fn rejoin<'a>(&self, parts: impl IntoIterator<Item = Option<&'a Label>>) -> Option<Label> {
        self.join(parts.into_iter().flatten().map(|l| (l, Date::MIN)))
    }

    /// How `label` reads on a banner on `day`: the classification, then the restrictive categories,
    /// then the release set, each after ` // `, as in `NATO SECRET // SOURCES // REL TO FRA, GBR`. A
    /// release set that is exactly one group's membership on `day` is named by the group
    /// (`REL TO NATO`); the public code adds nothing; the default release is spelled out.
    pub fn banner(&self, label: &Label, day: Date) -> String {
        let mut out = label.marking.to_string();
        if !label.categories.is_empty() {
            out.push_str(" // ");
            out.push_str(&label.categories.join(", "));
        }
        let Some(set) = self.expand(label, day) else { return out };
        let group = self.groups.iter().find(|(_, g)| {
            let members: BTreeSet<&String> =
                g.members.iter().filter(|(_, spans)| spans.iter().any(|s| s.contains(day))).map(|(n, _)| n).collect();
            !members.is_empty() && members.len() == set.len() && set.iter().all(|n| members.contains(n))
        });
        out.push_str(" // REL TO ");
        match group {
            Some((code, _)) => out.push_str(code),
            None if set.is_empty() => out.push_str(NOBODY),
            None => out.push_str(&set.into_iter().collect::<Vec<_>>().join(", ")),
        }
        out
    }
}

/// The release code of an aggregate whose parts share no nation: releasable to nobody. It is not a
/// code of any policy, so no viewer's nation is in it.
pub const NOBODY: &str = "NONE";

/// An observation's label and day, borrowed from it: the day, the marking, the release codes and the
/// restrictive categories (what [`Policy::join`] reads of it).
type LabelDay<'a> = (Date, Marking, &'a [String], &'a [String]);

/// The distinct label-days of `observations`, in the order first seen. Runs of alike observations cost
/// one comparison each; a label-day seen before, one lookup.
fn label_days<'a>(observations: impl IntoIterator<Item = &'a Observation>) -> Vec<LabelDay<'a>> {
    let mut parts: Vec<LabelDay<'a>> = Vec::new();
    let mut seen: HashSet<LabelDay<'a>> = HashSet::new();
    for o in observations {
        let part = (o.time.date(), o.marking, o.releasable_to.as_slice(), o.categories.as_slice());
        if parts.last() != Some(&part) && seen.insert(part) {
            parts.push(part);
        }
    }
    parts
}

/// Joins of the labels of many small sets of observations (each incident's reports): the join of each
/// distinct list of label-days is made once and lent out after, so ten thousand incidents labelled
/// alike cost ten thousand lookups and one join, not ten thousand joins (each copying a group's
/// nations). Each answer is [`Policy::join_observations`] of its set.
pub struct Joins<'p, 'a> {
    policy: &'p Policy,
    made: HashMap<Vec<LabelDay<'a>>, Option<Label>>,
}

impl std::fmt::Debug for Joins<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Joins").field("policy", &self.policy.id).field("made", &self.made.len()).finish()
    }
}

impl<'p, 'a> Joins<'p, 'a> {
    /// No joins made yet, under `policy`.
    pub fn new(policy: &'p Policy) -> Self {
        Self { policy, made: HashMap::new() }
    }

    /// [`Policy::join_observations`] of `observations`.
    pub fn of(&mut self, observations: impl IntoIterator<Item = &'a Observation>) -> Option<&Label> {
        let policy = self.policy;
        self.made.entry(label_days(observations)).or_insert_with_key(|parts| policy.join_label_days(parts)).as_ref()
    }
}
