//! A ceasefire agreement, loaded from a TOML file that references GeoJSON geometry.
//!
//! # Design
//!
//! Loading follows "parse, then compile": the TOML is parsed into loosely typed values, each section
//! entry is deserialised on its own into a raw structure (so one bad entry does not hide the next), and
//! the compile step checks every reference, range and date. Every problem found is collected with the
//! file, the field path (`zones[3].band.width_km`) and the reason, and returned together, so an author
//! fixes a file in one pass. A compiled [`Agreement`] has its spatial indexes built and is immutable.
//!
//! The file format is documented with a complete example in `docs/agreement.md`.

mod geojson;
mod raw;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use truce_core::{CategorySet, ZoneKind};
use truce_geo::{FenceTable, LineIndex, LineOptions, LineParts, LonLat, SideBeyondEnds, ZoneIndex, ZonePolygon};

use geojson::{GeoFiles, Geometry, Want};

use crate::classify::SideOf;
use raw::{RawClass, RawLine, RawMeta, RawParty, RawPhase, RawZone};

/// One problem in an agreement file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file at fault (the TOML file, or a GeoJSON file it references, named in the message).
    pub file: PathBuf,
    /// Path of the field, e.g. `zones[3].band.width_km`; empty for file-level problems.
    pub field: String,
    /// Why it is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}: {}: {}", self.file.display(), self.field, self.message)
        }
    }
}

/// Every problem found in an agreement file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementErrors(pub Vec<Problem>);

impl fmt::Display for AgreementErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for AgreementErrors {}

/// Index of a party in [`Agreement::parties`].
pub type PartyIdx = usize;
/// Index of a line in [`Agreement::lines`].
pub type LineIdx = usize;
/// Index of a weapon class in [`Agreement::classes`].
pub type ClassIdx = usize;
/// Index of a zone in [`Agreement::zones`].
pub type ZoneIdx = usize;
/// Index of a phase in [`Agreement::phases`].
pub type PhaseIdx = usize;

/// Who the agreement binds.
#[derive(Debug, Clone)]
pub struct Party {
    /// Stable identifier, e.g. `ukr`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// ISO 3166 alpha-3 code, where the party is a state.
    pub iso3: Option<String>,
}

/// A reference line with its index.
#[derive(Debug, Clone)]
pub struct Line {
    /// Stable identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The party holding the ground left of the line's direction.
    pub left: PartyIdx,
    /// The party holding the ground right of it.
    pub right: PartyIdx,
    /// The line's parts as loaded.
    pub parts: Vec<Vec<LonLat>>,
    /// Geodesic length, metres.
    pub length_m: f64,
    /// The parts as checked when the agreement was loaded, and the options the index is built with.
    checked: LineParts,
    options: LineOptions,
    /// The distance/side index, built on first use ([`Line::index`]).
    index: std::sync::OnceLock<LineIndex>,
    /// What the index's sides mean for this line: left, right, on the line, undetermined (the
    /// classifier picks it by index; a `match` compiled to a mispredicted jump).
    pub(crate) sides: [SideOf; 4],
}

impl Line {
    /// The distance/side index, built on first use: it takes tens of milliseconds, which the commands
    /// that only read (warnings, reports, listings) need not pay. Classification builds it (with the
    /// fence table, [`Agreement::fences`]); a server builds both at start.
    pub fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::of(&self.checked, self.options))
    }
}

/// How far a party must keep a weapon class from a line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Withdrawal {
    /// The party bound.
    pub party: PartyIdx,
    /// The line measured from.
    pub line: LineIdx,
    /// Minimum distance, metres; 0 means no requirement.
    pub distance_m: f64,
}

/// A class of weapons with its withdrawal distances.
#[derive(Debug, Clone)]
pub struct WeaponClass {
    /// Stable identifier, e.g. `artillery_100mm`.
    pub id: String,
    /// What the class covers.
    pub description: String,
    /// Example systems.
    pub examples: Vec<String>,
    /// Whether weapons of this class must be held in a designated storage site.
    pub storage_required: bool,
    /// The base withdrawal rules (phases may override the distances).
    pub withdrawal: Vec<Withdrawal>,
}

/// A zone's geometry.
#[derive(Debug, Clone)]
pub enum ZoneShape {
    /// Polygons from a file; `slot` is the zone's index in [`Agreement::polygon_index`].
    Polygons {
        /// The polygons as loaded.
        polygons: Vec<Vec<Vec<LonLat>>>,
        /// Index in the polygon index.
        slot: usize,
    },
    /// A band along a line.
    Band {
        /// The line.
        line: LineIdx,
        /// Width from the line, metres.
        width_m: f64,
        /// Only the ground of this party, or both sides when `None`.
        side: Option<PartyIdx>,
    },
}

/// A band zone as the classifier tests it (see [`ZoneShape::Band`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BandZone {
    pub(crate) zone: ZoneIdx,
    pub(crate) line: LineIdx,
    pub(crate) width_m: f64,
    pub(crate) side: Option<PartyIdx>,
}

/// A zone and what violates it.
#[derive(Debug, Clone)]
pub struct Zone {
    /// Stable identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the zone is for.
    pub kind: ZoneKind,
    /// Its geometry.
    pub shape: ZoneShape,
    /// Categories of observation that violate it.
    pub violated_by: CategorySet,
    /// When set, only weapon sightings of these classes violate it (other categories unaffected).
    pub weapon_classes: Option<Vec<ClassIdx>>,
    /// When set, the zone is in force only during these phases.
    pub phases: Option<Vec<PhaseIdx>>,
}

/// A period with its own withdrawal distances and zones.
#[derive(Debug, Clone)]
pub struct Phase {
    /// Stable identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Start, inclusive (UTC).
    pub start: OffsetDateTime,
    /// End, exclusive (UTC).
    pub end: OffsetDateTime,
    /// Overridden distances: (class, party, metres).
    pub withdrawal: Vec<(ClassIdx, PartyIdx, f64)>,
}

/// A compiled agreement. See the module documentation.
#[derive(Debug, Clone)]
pub struct Agreement {
    /// The file it was loaded from.
    pub source: PathBuf,
    /// Identifier.
    pub id: String,
    /// Title.
    pub title: String,
    /// Version string.
    pub version: String,
    /// Whether it is an invented example.
    pub illustrative: bool,
    /// When it enters into force; observations before are not violations of it.
    pub effective: Option<OffsetDateTime>,
    /// Free notes.
    pub notes: Option<String>,
    /// Parties.
    pub parties: Vec<Party>,
    /// Reference lines.
    pub lines: Vec<Line>,
    /// Weapon classes.
    pub classes: Vec<WeaponClass>,
    /// Zones.
    pub zones: Vec<Zone>,
    /// Phases, sorted by start.
    pub phases: Vec<Phase>,
    /// Index over the polygon zones; slot `k` is the zone `polygon_zones[k]`.
    pub polygon_index: ZoneIndex,
    /// Zone index of each polygon slot.
    pub polygon_zones: Vec<ZoneIdx>,
    /// The band zones, in the agreement's order: the classifier tests these against the lines'
    /// answers without walking every zone.
    pub(crate) bands: Vec<BandZone>,
    /// The cell table over `lines` (in their order) and `polygon_index` that answers most
    /// classifications without walking the indexes; valid only with them. Built on the first
    /// classification ([`Agreement::fences`]): it takes a few tenths of a second, which the commands
    /// that only read (reports, warnings, listings) need not pay.
    fences: std::sync::OnceLock<FenceTable>,
    /// Start and end of every phase as [`instant_key`]s, in the order of `phases`.
    phase_spans: Vec<(i128, i128)>,
    /// `effective` as an [`instant_key`] (the classifier compares integers).
    pub(crate) effective_key: Option<i128>,
    /// A hash of the file and every geometry file it read (FNV-1a, hex): stored classifications
    /// computed against another fingerprint are recomputed.
    pub fingerprint: String,
}

/// An instant as an integer that orders as time does: the UTC date's year and day of the year, then
/// the time of day's fields, each in its own bits. An observation's time parsed from RFC 3339 `Z` is
/// in UTC already, so this reads packed fields, where nanoseconds since the epoch took calendar
/// arithmetic for each point (52 of the 794 instructions the classifier spent on a point; this takes
/// about 30).
#[inline]
pub(crate) fn instant_key(t: OffsetDateTime) -> i128 {
    let t = if t.offset().is_utc() { t } else { t.to_offset(time::UtcOffset::UTC) };
    let (date, time) = (t.date(), t.time());
    let day = i128::from(date.year()) * 512 + i128::from(date.ordinal());
    let of_day = u64::from(time.hour()) << 48
        | u64::from(time.minute()) << 40
        | u64::from(time.second()) << 32
        | u64::from(time.nanosecond());
    (day << 64) + i128::from(of_day)
}

/// Largest distance accepted anywhere in a file, km.
const MAX_DISTANCE_KM: f64 = 1_000.0;

impl Agreement {
    /// The cell table that answers most classifications (see the field's documentation), built on
    /// first use. A server builds it at start, off the request path (`truce serve` warms it).
    pub fn fences(&self) -> &FenceTable {
        self.fences.get_or_init(|| {
            FenceTable::new(&self.lines.iter().map(Line::index).collect::<Vec<_>>(), &self.polygon_index)
        })
    }

    /// Loads and compiles an agreement file.
    ///
    /// # Errors
    /// Every problem found, each with file, field and reason.
    pub fn load(path: &Path) -> Result<Self, AgreementErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AgreementErrors(vec![Problem {
                file: path.to_path_buf(),
                field: String::new(),
                message: format!("cannot read: {e}"),
            }])
        })?;
        Self::from_toml(&text, path)
    }

    /// Compiles an agreement from TOML text; `path` names it in errors and anchors relative geometry
    /// paths.
    ///
    /// # Errors
    /// Every problem found, each with file, field and reason.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, AgreementErrors> {
        let mut c = Compiler {
            file: path.to_path_buf(),
            base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
            problems: Vec::new(),
            geo: GeoFiles::new(text.as_bytes()),
        };
        let doc: toml::Table = match text.parse() {
            Ok(t) => t,
            Err(e) => {
                let e: toml::de::Error = e;
                let at = e
                    .span()
                    .map(|s| line_col(text, s.start))
                    .map(|(l, c)| format!("line {l}, column {c}"))
                    .unwrap_or_default();
                return Err(AgreementErrors(vec![Problem {
                    file: c.file,
                    field: at,
                    message: format!("invalid TOML: {}", e.message()),
                }]));
            }
        };
        let agreement = c.compile(&doc);
        // Report in the order of the file's sections, whatever order they were checked in.
        let rank = |p: &Problem| {
            let section = p.field.split(['.', '[']).next().unwrap_or("");
            ["agreement", "parties", "lines", "weapon_classes", "zones", "phases"].iter().position(|s| *s == section)
        };
        c.problems.sort_by_key(rank);
        match agreement {
            Some(a) if c.problems.is_empty() => Ok(a),
            _ => Err(AgreementErrors(c.problems)),
        }
    }

    /// The phase in force at `t`, if any.
    pub fn phase_at(&self, t: OffsetDateTime) -> Option<PhaseIdx> {
        self.phase_at_key(instant_key(t))
    }

    /// [`Agreement::phase_at`] for an instant as an [`instant_key`]: the classifier converts an
    /// observation's time once, then compares integers (comparing `OffsetDateTime`s normalises both
    /// sides to UTC every time).
    pub(crate) fn phase_at_key(&self, t: i128) -> Option<PhaseIdx> {
        self.phase_spans.iter().position(|&(start, end)| start <= t && t < end)
    }

    /// The withdrawal distance (metres) for `class` and `party` during `phase` (or the base rule).
    pub fn withdrawal_distance_m(&self, class: ClassIdx, rule: &Withdrawal, phase: Option<PhaseIdx>) -> f64 {
        phase
            .and_then(|p| self.phases[p].withdrawal.iter().find(|(c, party, _)| *c == class && *party == rule.party))
            .map_or(rule.distance_m, |&(_, _, d)| d)
    }

    /// Looks up a party by id.
    pub fn party(&self, id: &str) -> Option<PartyIdx> {
        self.parties.iter().position(|p| p.id == id)
    }

    /// Looks up a weapon class by id.
    pub fn class(&self, id: &str) -> Option<ClassIdx> {
        self.classes.iter().position(|c| c.id == id)
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Compiler {
    file: PathBuf,
    base: PathBuf,
    problems: Vec<Problem>,
    geo: GeoFiles,
}

impl Compiler {
    fn problem(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem { file: self.file.clone(), field: field.into(), message: message.into() });
    }

    /// Deserialises one entry, reporting a type error at its exact path.
    fn entry<T: DeserializeOwned>(&mut self, at: &str, v: &toml::Value) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(v.clone()) {
            Ok(t) => Some(t),
            Err(e) => {
                let inner = e.path().to_string();
                let field = if inner == "." || inner.is_empty() { at.to_owned() } else { format!("{at}.{inner}") };
                self.problem(field, e.into_inner().message().to_owned());
                None
            }
        }
    }

    /// The entries of an array-of-tables section, each deserialised on its own.
    fn section<T: DeserializeOwned>(&mut self, doc: &toml::Table, key: &str, required: bool) -> Vec<(String, T)> {
        match doc.get(key) {
            None if required => {
                self.problem(key, format!("missing: at least one [[{key}]] entry is required"));
                Vec::new()
            }
            None => Vec::new(),
            Some(toml::Value::Array(items)) => items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    let at = format!("{key}[{i}]");
                    self.entry::<T>(&at, v).map(|t| (at, t))
                })
                .collect(),
            Some(_) => {
                self.problem(key, format!("expected an array of tables ([[{key}]])"));
                Vec::new()
            }
        }
    }

    fn unique_id(&mut self, seen: &mut HashSet<String>, at: &str, id: &str) {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-') {
            self.problem(
                format!("{at}.id"),
                format!("{id:?} is not a valid id (lowercase letters, digits, '_' and '-')"),
            );
        }
        if !seen.insert(id.to_owned()) {
            self.problem(format!("{at}.id"), format!("duplicate id {id:?}"));
        }
    }

    fn time(&mut self, field: String, s: &str) -> Option<OffsetDateTime> {
        match OffsetDateTime::parse(s, &Rfc3339) {
            Ok(t) => Some(t.to_offset(time::UtcOffset::UTC)),
            Err(e) => {
                self.problem(field, format!("{s:?} is not an RFC 3339 date-time ({e})"));
                None
            }
        }
    }

    fn distance_m(&mut self, field: String, km: f64) -> f64 {
        if !km.is_finite() || !(0.0..=MAX_DISTANCE_KM).contains(&km) {
            self.problem(field, format!("{km} km is out of range (0 to {MAX_DISTANCE_KM} km)"));
        }
        km * 1_000.0
    }

    fn compile(&mut self, doc: &toml::Table) -> Option<Agreement> {
        for key in doc.keys() {
            if !["agreement", "parties", "lines", "weapon_classes", "zones", "phases"].contains(&key.as_str()) {
                self.problem(
                    key.clone(),
                    "unknown section (expected agreement, parties, lines, weapon_classes, zones, phases)",
                );
            }
        }
        let meta: Option<RawMeta> = match doc.get("agreement") {
            Some(v) => self.entry("agreement", v),
            None => {
                self.problem("agreement", "missing: the [agreement] table (id, title, version) is required");
                None
            }
        };
        if let Some(m) = &meta {
            self.unique_id(&mut HashSet::new(), "agreement", &m.id);
        }
        let effective =
            meta.as_ref().and_then(|m| m.effective.clone()).and_then(|s| self.time("agreement.effective".into(), &s));

        // Parties.
        let raw_parties: Vec<(String, RawParty)> = self.section(doc, "parties", true);
        let mut seen = HashSet::new();
        let mut parties = Vec::new();
        for (at, p) in raw_parties {
            self.unique_id(&mut seen, &at, &p.id);
            if let Some(iso) = &p.iso3
                && (iso.len() != 3 || !iso.chars().all(|c| c.is_ascii_uppercase()))
            {
                self.problem(
                    format!("{at}.iso3"),
                    format!("{iso:?} is not an ISO 3166 alpha-3 code (three capital letters)"),
                );
            }
            parties.push(Party { id: p.id, name: p.name, iso3: p.iso3 });
        }
        let party_ids: HashMap<String, PartyIdx> = parties.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        let party = |c: &mut Self, field: String, id: &str| -> Option<PartyIdx> {
            let found = party_ids.get(id).copied();
            if found.is_none() {
                c.problem(field, format!("unknown party {id:?}"));
            }
            found
        };

        // Lines.
        let raw_lines: Vec<(String, RawLine)> = self.section(doc, "lines", true);
        let mut seen = HashSet::new();
        let mut lines = Vec::new();
        let mut line_ids: HashMap<String, Option<LineIdx>> = HashMap::new();
        for (at, l) in raw_lines {
            self.unique_id(&mut seen, &at, &l.id);
            let left = party(self, format!("{at}.left"), &l.left);
            let right = party(self, format!("{at}.right"), &l.right);
            if left.is_some() && left == right {
                self.problem(format!("{at}.right"), "left and right must be different parties");
            }
            let beyond_ends = match l.beyond_ends.as_deref() {
                None | Some("extend") => SideBeyondEnds::Extend,
                Some("undetermined") => SideBeyondEnds::Undetermined,
                Some(other) => {
                    self.problem(
                        format!("{at}.beyond_ends"),
                        format!("{other:?} is not \"extend\" or \"undetermined\""),
                    );
                    SideBeyondEnds::Extend
                }
            };
            let parts = match self.geo.load(&self.base.join(&l.geometry), l.feature.as_deref(), Want::Line) {
                Ok(Geometry::Line(parts)) => Some(parts),
                Ok(Geometry::Area(_)) => None,
                Err(e) => {
                    self.problem(format!("{at}.geometry"), e);
                    None
                }
            };
            let checked = parts.as_ref().and_then(|parts| match LineParts::new(parts) {
                Ok(checked) => Some(checked),
                Err(e) => {
                    self.problem(format!("{at}.geometry"), format!("{}: {e}", l.geometry));
                    None
                }
            });
            let built = match (left, right, parts, checked) {
                (Some(left), Some(right), Some(parts), Some(checked)) => {
                    let length_m = truce_geo::geodesic::polyline_length_m(&parts);
                    lines.push(Line {
                        id: l.id.clone(),
                        name: l.name.unwrap_or_else(|| l.id.clone()),
                        left,
                        right,
                        parts,
                        length_m,
                        checked,
                        options: LineOptions { beyond_ends, ..LineOptions::default() },
                        index: std::sync::OnceLock::new(),
                        sides: [SideOf::Party(left), SideOf::Party(right), SideOf::On, SideOf::Undetermined],
                    });
                    Some(lines.len() - 1)
                }
                _ => None,
            };
            line_ids.insert(l.id, built);
        }
        // A reference to a line that exists but failed to build is not reported again.
        let line = |c: &mut Self, field: String, id: &str| -> Option<LineIdx> {
            match line_ids.get(id) {
                Some(l) => *l,
                None => {
                    c.problem(field, format!("unknown line {id:?}"));
                    None
                }
            }
        };

        // Weapon classes.
        let raw_classes: Vec<(String, RawClass)> = self.section(doc, "weapon_classes", false);
        let mut seen = HashSet::new();
        let mut classes = Vec::new();
        for (at, k) in raw_classes {
            self.unique_id(&mut seen, &at, &k.id);
            let mut withdrawal = Vec::new();
            let mut bound = HashSet::new();
            for (i, w) in k.withdrawal.iter().enumerate() {
                let wat = format!("{at}.withdrawal[{i}]");
                let p = party(self, format!("{wat}.party"), &w.party);
                let l = line(self, format!("{wat}.line"), &w.line);
                let d = self.distance_m(format!("{wat}.distance_km"), w.distance_km);
                if p.is_some() && !bound.insert(p) {
                    self.problem(
                        format!("{wat}.party"),
                        format!("a second rule for party {:?} in the same class", w.party),
                    );
                }
                if let (Some(party), Some(line)) = (p, l) {
                    if lines[line].left != party && lines[line].right != party {
                        self.problem(
                            format!("{wat}.line"),
                            format!("party {:?} holds neither side of line {:?}", w.party, w.line),
                        );
                    }
                    withdrawal.push(Withdrawal { party, line, distance_m: d });
                }
            }
            classes.push(WeaponClass {
                id: k.id,
                description: k.description,
                examples: k.examples,
                storage_required: k.storage_required,
                withdrawal,
            });
        }
        let class_ids: HashMap<String, ClassIdx> = classes.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();

        // Phases.
        let raw_phases: Vec<(String, RawPhase)> = self.section(doc, "phases", false);
        let mut seen = HashSet::new();
        let mut phases: Vec<(String, Phase)> = Vec::new();
        for (at, ph) in raw_phases {
            self.unique_id(&mut seen, &at, &ph.id);
            let start = self.time(format!("{at}.start"), &ph.start);
            let end = self.time(format!("{at}.end"), &ph.end);
            let mut withdrawal = Vec::new();
            for (i, w) in ph.withdrawal.iter().enumerate() {
                let wat = format!("{at}.withdrawal[{i}]");
                let c = class_ids.get(&w.class).copied();
                if c.is_none() {
                    self.problem(format!("{wat}.class"), format!("unknown weapon class {:?}", w.class));
                }
                let p = party(self, format!("{wat}.party"), &w.party);
                let d = self.distance_m(format!("{wat}.distance_km"), w.distance_km);
                if let (Some(c), Some(p)) = (c, p) {
                    if !classes[c].withdrawal.iter().any(|r| r.party == p) {
                        self.problem(
                            wat.clone(),
                            format!(
                                "class {:?} has no base withdrawal rule for party {:?} to override",
                                w.class, w.party
                            ),
                        );
                    }
                    withdrawal.push((c, p, d));
                }
            }
            if let (Some(start), Some(end)) = (start, end) {
                if end <= start {
                    self.problem(format!("{at}.end"), "the phase must end after it starts");
                }
                phases.push((at, Phase { id: ph.id, name: ph.name.unwrap_or_default(), start, end, withdrawal }));
            }
        }
        phases.sort_by_key(|(_, p)| p.start);
        for w in phases.windows(2) {
            if w[1].1.start < w[0].1.end {
                self.problem(
                    format!("{}.start", w[1].0),
                    format!("phase {:?} overlaps phase {:?}", w[1].1.id, w[0].1.id),
                );
            }
        }
        let phases: Vec<Phase> = phases.into_iter().map(|(_, p)| p).collect();
        let phase_ids: HashMap<String, PhaseIdx> = phases.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();

        // Zones.
        let raw_zones: Vec<(String, RawZone)> = self.section(doc, "zones", false);
        let mut seen = HashSet::new();
        let mut zones = Vec::new();
        let mut polygons_for_index = Vec::new();
        let mut polygon_zones = Vec::new();
        for (at, z) in raw_zones {
            self.unique_id(&mut seen, &at, &z.id);
            let kind = match z.kind.parse::<ZoneKind>() {
                Ok(k) => Some(k),
                Err(e) => {
                    self.problem(format!("{at}.kind"), e);
                    None
                }
            };
            let mut violated_by = CategorySet::EMPTY;
            for (i, word) in z.violated_by.iter().enumerate() {
                match CategorySet::parse_entry(word) {
                    Ok(s) => violated_by = violated_by.union(s),
                    Err(e) => {
                        self.problem(format!("{at}.violated_by[{i}]"), format!("{e}; or the groups \"cfv\", \"all\""))
                    }
                }
            }
            if let Some(k) = kind
                && k.violation().is_none()
                && !violated_by.is_empty()
            {
                self.problem(
                    format!("{at}.violated_by"),
                    format!("a {} zone is never violated; leave violated_by empty", k.id()),
                );
            }
            let weapon_classes = z.weapon_classes.as_ref().map(|ids| {
                ids.iter()
                    .enumerate()
                    .filter_map(|(i, id)| {
                        let c = class_ids.get(id).copied();
                        if c.is_none() {
                            self.problem(format!("{at}.weapon_classes[{i}]"), format!("unknown weapon class {id:?}"));
                        }
                        c
                    })
                    .collect::<Vec<_>>()
            });
            let zone_phases = z.phases.as_ref().map(|ids| {
                ids.iter()
                    .enumerate()
                    .filter_map(|(i, id)| {
                        let p = phase_ids.get(id).copied();
                        if p.is_none() {
                            self.problem(format!("{at}.phases[{i}]"), format!("unknown phase {id:?}"));
                        }
                        p
                    })
                    .collect::<Vec<_>>()
            });
            let shape = match (&z.geometry, &z.band) {
                (Some(_), Some(_)) => {
                    self.problem(at.clone(), "a zone has either `geometry` or `band`, not both");
                    None
                }
                (None, None) => {
                    self.problem(
                        at.clone(),
                        "a zone needs `geometry` (a GeoJSON file) or `band` (a band along a line)",
                    );
                    None
                }
                (Some(file), None) => match self.geo.load(&self.base.join(file), z.feature.as_deref(), Want::Area) {
                    Ok(Geometry::Area(polygons)) => Some(ZoneShape::Polygons { polygons, slot: 0 }),
                    Ok(Geometry::Line(_)) => None,
                    Err(e) => {
                        self.problem(format!("{at}.geometry"), e);
                        None
                    }
                },
                (None, Some(band)) => {
                    if z.feature.is_some() {
                        self.problem(
                            format!("{at}.feature"),
                            "`feature` selects from a `geometry` file; a band has none",
                        );
                    }
                    let l = line(self, format!("{at}.band.line"), &band.line);
                    let width_m = self.distance_m(format!("{at}.band.width_km"), band.width_km);
                    if band.width_km == 0.0 {
                        self.problem(format!("{at}.band.width_km"), "a band must be wider than 0 km");
                    }
                    let side = match band.side.as_str() {
                        "both" => Some(None),
                        id => match (party_ids.get(id), l) {
                            (Some(&p), Some(l)) if lines[l].left == p || lines[l].right == p => Some(Some(p)),
                            _ => {
                                self.problem(
                                    format!("{at}.band.side"),
                                    format!("{id:?} is not \"both\" or a party holding a side of line {:?}", band.line),
                                );
                                None
                            }
                        },
                    };
                    match (l, side) {
                        (Some(line), Some(side)) => Some(ZoneShape::Band { line, width_m, side }),
                        _ => None,
                    }
                }
            };
            if let (Some(kind), Some(mut shape)) = (kind, shape) {
                if let ZoneShape::Polygons { polygons, slot } = &mut shape {
                    *slot = polygons_for_index.len();
                    polygons_for_index.push(ZonePolygon { polygons: polygons.clone() });
                    polygon_zones.push(zones.len());
                }
                zones.push(Zone {
                    id: z.id,
                    name: z.name.unwrap_or_default(),
                    kind,
                    shape,
                    violated_by,
                    weapon_classes,
                    phases: zone_phases,
                });
            }
        }
        let polygon_index = match ZoneIndex::new(&polygons_for_index) {
            Ok(ix) => ix,
            Err(e) => {
                self.problem("zones", e.to_string());
                return None;
            }
        };
        let meta = meta?;
        let bands = (zones.iter().enumerate())
            .filter_map(|(zone, z)| match z.shape {
                ZoneShape::Band { line, width_m, side } => Some(BandZone { zone, line, width_m, side }),
                ZoneShape::Polygons { .. } => None,
            })
            .collect();
        let phase_spans = phases.iter().map(|p| (instant_key(p.start), instant_key(p.end))).collect();
        Some(Agreement {
            source: self.file.clone(),
            id: meta.id,
            title: meta.title,
            version: meta.version,
            illustrative: meta.illustrative,
            effective,
            notes: meta.notes,
            parties,
            lines,
            classes,
            zones,
            phases,
            polygon_index,
            polygon_zones,
            bands,
            fences: std::sync::OnceLock::new(),
            phase_spans,
            effective_key: effective.map(instant_key),
            fingerprint: format!("{:016x}", self.geo.fingerprint()),
        })
    }
}

/// How a zone's area was obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Area {
    /// Exact geodesic area of the polygons, m².
    Exact(f64),
    /// Numerical estimate (bands): m², with the grid step used in degrees.
    Estimated {
        /// Area, m².
        m2: f64,
        /// Grid step, degrees.
        step_deg: f64,
    },
}

impl Agreement {
    /// The area of a zone: exact for polygons; for bands, the sum over a fine longitude/latitude grid
    /// of the cells whose centre the band covers (within about 1% for bands wider than 10 km).
    pub fn zone_area(&self, zone: ZoneIdx) -> Area {
        match &self.zones[zone].shape {
            ZoneShape::Polygons { polygons, .. } => {
                Area::Exact(polygons.iter().map(|p| truce_geo::geodesic::polygon_area_m2(p)).sum())
            }
            &ZoneShape::Band { line, width_m, side } => {
                let l = &self.lines[line];
                let pts = l.parts.iter().flatten();
                let (lon0, lon1) = pts.clone().fold((180.0f64, -180.0f64), |(a, b), p| (a.min(p.lon), b.max(p.lon)));
                let (lat0, lat1) = pts.fold((90.0f64, -90.0f64), |(a, b), p| (a.min(p.lat), b.max(p.lat)));
                let dlat = width_m / 110_000.0 + 0.02;
                let (lat0, lat1) = ((lat0 - dlat).max(-90.0), (lat1 + dlat).min(90.0));
                let coslat = lat0.abs().max(lat1.abs()).min(89.0).to_radians().cos();
                let dlon = width_m / (111_000.0 * coslat) + 0.02;
                let (lon0, lon1) = ((lon0 - dlon).max(-180.0), (lon1 + dlon).min(180.0));
                // About 500,000 probes whatever the size.
                let step = (((lon1 - lon0) * (lat1 - lat0)) / 500_000.0).sqrt().max(1e-4);
                // Authalic radius: cells of equal area on the sphere of the same surface as WGS84.
                let r = 6_371_007.2f64;
                let mut m2 = 0.0;
                let mut lat = lat0;
                while lat < lat1 {
                    let cell = r * r * step.to_radians() * ((lat + step).to_radians().sin() - lat.to_radians().sin());
                    let mut lon = lon0;
                    while lon < lon1 {
                        let d = l.index().query(LonLat::new(lon + step / 2.0, lat + step / 2.0));
                        let on_side = match (side, d.side) {
                            (None, _) | (_, truce_geo::Side::On) => true,
                            (Some(p), truce_geo::Side::Left) => p == l.left,
                            (Some(p), truce_geo::Side::Right) => p == l.right,
                            (Some(_), truce_geo::Side::Undetermined) => false,
                        };
                        if d.distance_m <= width_m && on_side {
                            m2 += cell;
                        }
                        lon += step;
                    }
                    lat += step;
                }
                Area::Estimated { m2, step_deg: step }
            }
        }
    }
}
