//! Coalition files: TOML, parsed and then compiled, with every problem reported at once.
//!
//! # Design
//!
//! A planner writes one or more TOML files (format and a complete example in `docs/coalition.md`):
//! nations, pledges with their history, measures, requirements, the theatre, places, units, plans,
//! regeneration targets and progress, milestones. Any file may hold any section, so the public
//! positions, an illustrative force and a plan can live apart and be imported together or one after
//! the other.
//!
//! Loading follows "parse, then compile", like the agreement: each file is parsed into a spanned TOML
//! document; each entry of each section (and each nested history entry, task and deployment) is
//! deserialised on its own into a raw structure, so one bad entry hides nothing else; the compile step
//! then checks every id, reference, enumeration, date, number and geometry file. References resolve
//! against the entries of these files **and** what the store already holds (`base`), so a plan file
//! can use units imported last week. Every problem carries the file, the line (from the TOML spans) and
//! the field path, `pledges[3].history[1].status`, and all are returned together, sorted by file and
//! line. Nothing is returned for storing unless there is no problem at all.
//!
//! Labels: every entry that stands on its own (an entity, a history entry, a progress point) may say
//! `marking`, `releasable_to` and `categories`, as an observation does; each code must be known to
//! the deployment's label policy (an unknown one is a problem naming the file, line and field), and an
//! entry that gives none gets the default label (NATO UNCLASSIFIED, the policy's default release).
//! A plan's tasks and deployments are the plan's and carry its label.

mod raw;
mod spans;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use truce_access::Policy;
use truce_core::{Label, Marking};
use truce_geo::LonLat;

use crate::model::{
    Coalition, Component, Condition, Country, Dated, Day, Deployment, Domain, HistoryEntry, Location, Measure,
    Milestone, Nation, Place, PlaceKind, Plan, Pledge, Progress, Recorded, Requirement, Sea, Status, Target, Task,
    Theatre, Unit,
};
use raw::{
    Codes, RawDeployment, RawFileMeta, RawHistory, RawMeasure, RawMilestone, RawNation, RawPlace, RawPlan, RawPledge,
    RawProgress, RawRequirement, RawTarget, RawTask, RawTheatre, RawUnit,
};
use spans::{Lines, span_at};

/// One problem in a coalition file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file at fault.
    pub file: PathBuf,
    /// The line (1-based), when known.
    pub line: Option<usize>,
    /// The field path, e.g. `pledges[3].history[1].status`; empty for file-level problems.
    pub field: String,
    /// Why it is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in a set of coalition files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
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

impl std::error::Error for Problems {}

/// The result of loading files: what they define, and the whole picture with the base.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// What the files define (to be stored).
    pub new: Coalition,
    /// The base with the files' entities on top (what the store will hold afterwards).
    pub merged: Coalition,
    /// The files, as given.
    pub files: Vec<String>,
    /// Where each entity of `new` was defined: (kind, id) → (file, line).
    pub origins: HashMap<(String, String), (String, usize)>,
}

/// Loads coalition files on top of `base` (what the store holds), checking their labels' codes
/// against `policy`.
///
/// # Errors
/// Every problem found in every file, each with file, line, field and reason.
pub fn load(paths: &[PathBuf], base: &Coalition, policy: &Policy) -> Result<Loaded, Problems> {
    let mut texts = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match std::fs::read_to_string(p) {
            Ok(t) => texts.push((p.clone(), t)),
            Err(e) => problems.push(Problem {
                file: p.clone(),
                line: None,
                field: String::new(),
                message: format!("cannot read: {e}"),
            }),
        }
    }
    let loaded = load_texts(&texts, base, policy);
    match loaded {
        Ok(l) if problems.is_empty() => Ok(l),
        Ok(_) => Err(Problems(problems)),
        Err(Problems(more)) => {
            problems.extend(more);
            Err(Problems(problems))
        }
    }
}

/// Loads coalition files given as (path, text); the paths name the files in problems and anchor
/// relative geometry paths. Labels are checked against `policy`.
///
/// # Errors
/// Every problem found, each with file, line, field and reason.
pub fn load_texts(files: &[(PathBuf, String)], base: &Coalition, policy: &Policy) -> Result<Loaded, Problems> {
    let mut problems = Vec::new();
    let mut sources = Vec::new();
    for (path, text) in files {
        let lines = Lines::new(text);
        match DeTable::parse(text) {
            Ok(table) => sources.push(Source {
                path: path.clone(),
                dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
                lines,
                table,
            }),
            Err(e) => problems.push(Problem {
                file: path.clone(),
                line: e.span().map(|s| lines.line(s.start)),
                field: String::new(),
                message: format!("invalid TOML: {}", e.message().trim()),
            }),
        }
    }
    let mut c = Compiler {
        sources: &sources,
        policy,
        problems,
        seen: HashMap::new(),
        file_illustrative: vec![false; sources.len()],
        declared: HashSet::new(),
    };
    let mut loaded = c.compile(base);
    loaded.origins = c
        .seen
        .iter()
        .map(|((kind, id), &(file, line))| {
            ((kind.to_string(), id.clone()), (sources[file].path.display().to_string(), line))
        })
        .collect();
    let mut problems = c.problems;
    if problems.is_empty() {
        return Ok(loaded);
    }
    problems.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    problems.dedup();
    Err(Problems(problems))
}

struct Source<'t> {
    path: PathBuf,
    dir: PathBuf,
    lines: Lines,
    table: Spanned<DeTable<'t>>,
}

/// One entry of a section: where it is and its value.
#[derive(Clone, Copy)]
struct Entry<'a, 't> {
    file: usize,
    value: &'a Spanned<DeValue<'t>>,
}

/// An entry with its field path, e.g. `pledges[3]`.
struct At<'a, 't> {
    entry: Entry<'a, 't>,
    field: String,
}

impl At<'_, '_> {
    fn sub(&self, name: &str) -> String {
        format!("{}.{name}", self.field)
    }
}

const SECTIONS: &[&str] = &[
    "file",
    "milestones",
    "nations",
    "measures",
    "pledges",
    "requirements",
    "theatre",
    "places",
    "units",
    "plans",
    "targets",
    "progress",
];

/// A policy's rule for one field of a label (`Policy::release_codes`, `Policy::category_codes`).
type CodeCheck = fn(&Policy, &str, &[String]) -> Result<Vec<String>, truce_access::PolicyError>;

struct Compiler<'s, 't> {
    sources: &'s [Source<'t>],
    /// The label policy the codes must belong to.
    policy: &'s Policy,
    problems: Vec<Problem>,
    /// (kind, id) → where first defined in these files.
    seen: HashMap<(&'static str, String), (usize, usize)>,
    /// Each file's `[file] illustrative` default.
    file_illustrative: Vec<bool>,
    /// (section, id) of every entry of these files that has an id, valid or not: a reference to one
    /// that failed to compile is not reported again.
    declared: HashSet<(String, String)>,
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && s.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
}

fn is_iso3(s: &str) -> bool {
    s.len() == 3 && s.chars().all(|c| c.is_ascii_uppercase())
}

/// APP-6 D / MIL-STD-2525D/E: 20 digits; 2525C / APP-6 C: 15 characters of letters, digits, `-` and `*`.
pub fn sidc_problem(s: &str) -> Option<String> {
    let ok20 = s.len() == 20 && s.chars().all(|c| c.is_ascii_digit());
    let ok15 = s.len() == 15 && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '*');
    if !(ok20 || ok15) {
        return Some(format!(
            "{s:?} is not a symbol identification code: 20 digits (MIL-STD-2525D/E, APP-6 D) or 15 characters (2525C)"
        ));
    }
    if ok20 && &s[3..4] != "3" {
        return Some(format!(
            "{s:?}: the standard identity (4th digit) is {:?}; the force's own units are friendly (3)",
            &s[3..4]
        ));
    }
    if ok15 && &s[1..2] != "F" {
        return Some(format!("{s:?}: the standard identity (2nd character) must be F (friend)"));
    }
    None
}

impl<'s, 't> Compiler<'s, 't> {
    fn line_of(&self, entry: Entry<'_, 't>, path: &str) -> usize {
        self.sources[entry.file].lines.line(span_at(entry.value, path).start)
    }

    fn problem_at(&mut self, entry: Entry<'_, 't>, inner: &str, field: String, message: impl Into<String>) {
        let line = self.line_of(entry, inner);
        self.problems.push(Problem {
            file: self.sources[entry.file].path.clone(),
            line: Some(line),
            field,
            message: message.into(),
        });
    }

    /// A problem with `name`, a field of the entry.
    fn problem(&mut self, at: &At<'_, 't>, name: &str, message: impl Into<String>) {
        let field = if name.is_empty() { at.field.clone() } else { at.sub(name) };
        self.problem_at(at.entry, name, field, message);
    }

    /// Deserialises an entry into its raw structure, reporting a type error at its path and line.
    fn raw<T: DeserializeOwned>(&mut self, at: &At<'_, 't>) -> Option<T> {
        let de = ValueDeserializer::from(at.entry.value.clone());
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(t) => Some(t),
            Err(e) => {
                let inner = e.path().to_string();
                let inner = if inner == "." { String::new() } else { inner };
                let err = e.into_inner();
                let line = match err.span() {
                    Some(s) if s != at.entry.value.span() || inner.is_empty() => {
                        self.sources[at.entry.file].lines.line(s.start)
                    }
                    _ => self.line_of(at.entry, &inner),
                };
                let field = if inner.is_empty() { at.field.clone() } else { format!("{}.{inner}", at.field) };
                self.problems.push(Problem {
                    file: self.sources[at.entry.file].path.clone(),
                    line: Some(line),
                    field,
                    message: err.message().trim().to_owned(),
                });
                None
            }
        }
    }

    /// Checks an id's form and that it is defined once in these files.
    fn unique(&mut self, kind: &'static str, at: &At<'_, 't>, id: &str) {
        let ok = if kind == "nation" { is_iso3(id) } else { is_id(id) };
        if !ok {
            let want = if kind == "nation" {
                "an ISO 3166 alpha-3 code (three capital letters)"
            } else {
                "lowercase letters, digits, '-' and '_' (at most 64)"
            };
            self.problem(at, "id", format!("{id:?} is not a valid {kind} id: {want}"));
            return;
        }
        let here = (at.entry.file, self.line_of(at.entry, "id"));
        if let Some(&(file, line)) = self.seen.get(&(kind, id.to_owned())) {
            self.problem(
                at,
                "id",
                format!("{kind} {id:?} is defined twice (first at {}:{line})", self.sources[file].path.display()),
            );
        } else {
            self.seen.insert((kind, id.to_owned()), here);
        }
    }

    /// Every entry of an array-of-tables section, in file order.
    fn section(&mut self, key: &str) -> Vec<At<'s, 't>> {
        let mut out = Vec::new();
        let sources = self.sources;
        for (file, src) in sources.iter().enumerate() {
            let Some(v) = src.table.get_ref().get(key) else { continue };
            match v.get_ref() {
                DeValue::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let entry = Entry { file, value: item };
                        if item.get_ref().is_table() {
                            out.push(At { entry, field: format!("{key}[{i}]") });
                        } else {
                            self.problem_at(entry, "", format!("{key}[{i}]"), format!("expected a [[{key}]] table"));
                        }
                    }
                }
                _ => {
                    let line = src.lines.line(v.span().start);
                    self.problems.push(Problem {
                        file: src.path.clone(),
                        line: Some(line),
                        field: key.to_owned(),
                        message: format!("expected [[{key}]] entries (an array of tables)"),
                    });
                }
            }
        }
        out
    }

    /// The entries of a nested array of tables (`history`, `deployments`, `tasks`).
    fn nested(&mut self, at: &At<'s, 't>, key: &str) -> Vec<At<'s, 't>> {
        let Some(v) = at.entry.value.get_ref().get(key) else { return Vec::new() };
        let mut out = Vec::new();
        match v.get_ref() {
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let entry = Entry { file: at.entry.file, value: item };
                    let field = format!("{}.{key}[{i}]", at.field);
                    if item.get_ref().is_table() {
                        out.push(At { entry, field });
                    } else {
                        self.problem_at(entry, "", field, "expected a table");
                    }
                }
            }
            _ => self.problem(at, key, "expected an array of tables"),
        }
        out
    }

    /// An entry's own `illustrative`, else its file's default.
    fn illustrative(&self, at: &At<'_, 't>, own: Option<bool>) -> bool {
        own.unwrap_or(self.file_illustrative[at.entry.file])
    }

    fn recorded(&self, at: &At<'_, 't>) -> Recorded {
        Recorded {
            file: self.sources[at.entry.file].path.display().to_string(),
            line: self.line_of(at.entry, ""),
            import: 0,
            at: String::new(),
        }
    }

    /// An entry's label from its `marking`, `releasable_to` and `categories`: every code known to the
    /// policy, sorted and without duplicates; the default label for what it does not give.
    fn label(&mut self, at: &At<'_, 't>, marking: Option<&str>, rel: Option<&Codes>, cats: Option<&Codes>) -> Label {
        let mut label = Label::default();
        if let Some(m) = marking {
            match m.parse::<Marking>() {
                Ok(m) => label.marking = m,
                Err(e) => self.problem(at, "marking", e),
            }
        }
        label.releasable_to = self.known(at, "releasable_to", rel, Policy::release_codes);
        label.categories = self.known(at, "categories", cats, Policy::category_codes);
        label
    }

    /// The codes of `field` that the policy knows (by `check`, its rule for the field), sorted and
    /// without duplicates; a problem for each one it does not.
    fn known(&mut self, at: &At<'_, 't>, field: &'static str, codes: Option<&Codes>, check: CodeCheck) -> Vec<String> {
        let mut out = BTreeSet::new();
        for code in codes.map(Codes::codes).unwrap_or_default() {
            match check(self.policy, field, std::slice::from_ref(&code)) {
                Ok(_) => {
                    out.insert(code);
                }
                Err(e) => self.problem(at, field, e.reason),
            }
        }
        out.into_iter().collect()
    }

    fn day(&mut self, at: &At<'_, 't>, name: &str, s: &str) -> Option<Day> {
        match Day::parse(s) {
            Ok(d) => Some(d),
            Err(e) => {
                self.problem(at, name, e);
                None
            }
        }
    }

    fn dated(&mut self, at: &At<'_, 't>, s: Option<&str>) -> Option<Dated> {
        match s.map(Dated::parse).unwrap_or(Ok(Dated::On)) {
            Ok(d) => Some(d),
            Err(e) => {
                self.problem(at, "dated", format!("{e}: \"on\" the day, or \"by\" that day at the latest"));
                None
            }
        }
    }

    fn word<T>(&mut self, at: &At<'_, 't>, name: &str, s: &str, parse: fn(&str) -> Result<T, String>) -> Option<T> {
        match parse(s) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(at, name, e);
                None
            }
        }
    }

    fn text(&mut self, at: &At<'_, 't>, name: &str, s: &str) {
        if s.trim().is_empty() {
            self.problem(at, name, "must not be empty");
        }
    }

    fn locations(&mut self, at: &At<'_, 't>, words: Option<&[String]>) -> Vec<Location> {
        let mut out = Vec::new();
        for (i, w) in words.unwrap_or_default().iter().enumerate() {
            if w == "outside_ukraine" {
                out.extend([Location::Neighbouring, Location::AtSea, Location::InAir, Location::OutsideTheatre]);
                continue;
            }
            match Location::parse(w) {
                Ok(l) => out.push(l),
                Err(e) => self.problem(at, &format!("where[{i}]"), format!("{e}, or outside_ukraine")),
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn quantity(&mut self, at: &At<'_, 't>, name: &str, q: f64, positive: bool) {
        if !q.is_finite() || q < 0.0 || (positive && q == 0.0) {
            let want = if positive { "a number above 0" } else { "a number, 0 or more" };
            self.problem(at, name, format!("{q} is not {want}"));
        }
    }

    fn position(&mut self, at: &At<'_, 't>, name: &str, p: [f64; 2]) -> bool {
        if LonLat::new(p[0], p[1]).is_valid() {
            true
        } else {
            self.problem(at, name, format!("[{}, {}] is not a valid [longitude, latitude]", p[0], p[1]));
            false
        }
    }

    /// True when `id` is an entry of `section` in these files (whether or not it compiled).
    fn declared(&self, section: &str, id: &str) -> bool {
        self.declared.contains(&(section.to_owned(), id.to_owned()))
    }

    fn compile(&mut self, base: &Coalition) -> Loaded {
        let mut new = Coalition::default();
        let mut m = base.clone();
        for src in self.sources {
            for (k, v) in src.table.get_ref().iter() {
                if let DeValue::Array(items) = v.get_ref() {
                    for item in items {
                        if let Some(id) = item.get_ref().get("id").and_then(|i| i.get_ref().as_str()) {
                            self.declared.insert((k.get_ref().to_string(), id.to_owned()));
                        }
                    }
                }
            }
        }

        // Unknown top-level keys, and the [file] table.
        let sources = self.sources;
        for (file, src) in sources.iter().enumerate() {
            for (k, v) in src.table.get_ref().iter() {
                if !SECTIONS.contains(&k.get_ref().as_ref()) {
                    let line = src.lines.line(k.span().start);
                    self.problems.push(Problem {
                        file: src.path.clone(),
                        line: Some(line),
                        field: k.get_ref().to_string(),
                        message: format!("unknown section (expected one of: {})", SECTIONS.join(", ")),
                    });
                }
                if k.get_ref() == "file" {
                    let at = At { entry: Entry { file, value: v }, field: "file".to_owned() };
                    if let Some(meta) = self.raw::<RawFileMeta>(&at) {
                        self.file_illustrative[file] = meta.illustrative.unwrap_or(false);
                    }
                }
            }
        }

        // Measures.
        let mut raw_measures = Vec::new();
        for at in self.section("measures") {
            if let Some(r) = self.raw::<RawMeasure>(&at) {
                self.unique("measure", &at, &r.id);
                self.text(&at, "name", &r.name);
                raw_measures.push((at, r));
            }
        }
        let measure_ids: HashSet<String> =
            base.measures.iter().map(|x| x.id.clone()).chain(raw_measures.iter().map(|(_, r)| r.id.clone())).collect();
        for (at, r) in raw_measures {
            let equals = match r.equals {
                Some(eq) => {
                    if !measure_ids.contains(&eq.measure) {
                        self.problem(&at, "equals.measure", format!("unknown measure {:?}", eq.measure));
                    } else if eq.measure == r.id {
                        self.problem(&at, "equals.measure", "a measure cannot be defined by itself");
                    }
                    self.quantity(&at, "equals.quantity", eq.quantity, true);
                    Some((eq.measure, eq.quantity))
                }
                None => None,
            };
            let illustrative = self.illustrative(&at, r.illustrative);
            let label = self.label(&at, r.marking.as_deref(), r.releasable_to.as_ref(), r.categories.as_ref());
            upsert(&mut new.measures, Measure { id: r.id, name: r.name, equals, illustrative, label }, |x| &x.id);
        }
        for x in &new.measures {
            upsert(&mut m.measures, x.clone(), |x| &x.id);
        }
        // A base measure must not itself convert (one level only).
        let converts: HashSet<&str> = m.measures.iter().filter(|x| x.equals.is_some()).map(|x| x.id.as_str()).collect();
        let bad: Vec<(String, String)> = new
            .measures
            .iter()
            .filter_map(|x| {
                x.equals.as_ref().filter(|(b, _)| converts.contains(b.as_str())).map(|(b, _)| (x.id.clone(), b.clone()))
            })
            .collect();
        for (id, b) in bad {
            for at in self.section("measures") {
                if at.entry.value.get_ref().get("id").and_then(|v| v.get_ref().as_str()) == Some(id.as_str()) {
                    self.problem(
                        &at,
                        "equals.measure",
                        format!("{b:?} converts to another measure itself; convert to a base measure"),
                    );
                }
            }
        }

        // Nations.
        for at in self.section("nations") {
            if let Some(r) = self.raw::<RawNation>(&at) {
                self.unique("nation", &at, &r.id);
                self.text(&at, "name", &r.name);
                let illustrative = self.illustrative(&at, r.illustrative);
                let label = self.label(&at, r.marking.as_deref(), r.releasable_to.as_ref(), r.categories.as_ref());
                upsert(&mut new.nations, Nation { id: r.id, name: r.name, notes: r.notes, illustrative, label }, |x| {
                    &x.id
                });
            }
        }
        for x in &new.nations {
            upsert(&mut m.nations, x.clone(), |x| &x.id);
        }
        let nations: HashSet<String> = m.nations.iter().map(|n| n.id.clone()).collect();
        let nation_ref = |c: &mut Self, at: &At<'_, 't>, name: &str, id: &str| {
            if !nations.contains(id) && !c.declared("nations", id) {
                c.problem(at, name, format!("unknown nation {id:?} (define it in [[nations]])"));
            }
        };

        // Milestones.
        for at in self.section("milestones") {
            let Some(r) = self.raw::<RawMilestone>(&at) else { continue };
            self.unique("milestone", &at, &r.id);
            let date = self.day(&at, "date", &r.date);
            let dated = self.dated(&at, r.dated.as_deref());
            self.text(&at, "title", &r.title);
            self.text(&at, "quote", &r.quote);
            self.text(&at, "source", &r.source);
            let illustrative = self.illustrative(&at, r.illustrative);
            let label = self.label(&at, r.marking.as_deref(), r.releasable_to.as_ref(), r.categories.as_ref());
            if let (Some(date), Some(dated)) = (date, dated) {
                new.milestones.push(Milestone {
                    id: r.id,
                    date,
                    dated,
                    title: r.title,
                    quote: r.quote,
                    source: r.source,
                    illustrative,
                    label,
                });
            }
        }
        for x in &new.milestones {
            upsert(&mut m.milestones, x.clone(), |x| &x.id);
        }

        // Pledges and their history.
        let mut pledges_here: Vec<(At<'s, 't>, String, usize)> = Vec::new();
        for at in self.section("pledges") {
            let history = self.nested(&at, "history");
            let Some(r) = self.raw::<RawPledge>(&at) else {
                // Still check the history entries of a pledge whose own fields are wrong.
                for h in &history {
                    let _: Option<RawHistory> = self.raw(h);
                }
                continue;
            };
            self.unique("pledge", &at, &r.id);
            nation_ref(self, &at, "nation", &r.nation);
            let domain = self.word(&at, "domain", &r.domain, Domain::parse);
            self.text(&at, "capability", &r.capability);
            if let Some(q) = r.quantity {
                self.quantity(&at, "quantity", q, false);
                if r.measure.is_none() {
                    let field = at.sub("measure");
                    self.problem_at(
                        at.entry,
                        "quantity",
                        field,
                        "a quantity needs its measure (e.g. measure = \"personnel\")",
                    );
                }
            }
            if let Some(ms) = &r.measure
                && !measure_ids.contains(ms)
            {
                self.problem(&at, "measure", format!("unknown measure {ms:?} (define it in [[measures]])"));
            }
            let locations = self.locations(&at, r.locations.as_deref());
            let mut conditions = Vec::new();
            for (i, w) in r.conditions.as_deref().unwrap_or_default().iter().enumerate() {
                if let Some(c) = self.word(&at, &format!("conditions[{i}]"), w, Condition::parse) {
                    conditions.push(c);
                }
            }
            let illustrative = self.illustrative(&at, r.illustrative);
            let label = self.label(&at, r.marking.as_deref(), r.releasable_to.as_ref(), r.categories.as_ref());
            let mut n_history = 0;
            for h in &history {
                let Some(rh) = self.raw::<RawHistory>(h) else { continue };
                let date = self.day(h, "date", &rh.date);
                let dated = self.dated(h, rh.dated.as_deref());
                let status = self.word(h, "status", &rh.status, Status::parse);
                self.text(h, "source", &rh.source);
                self.text(h, "quote", &rh.quote);
                if let Some(q) = rh.quantity {
                    self.quantity(h, "quantity", q, false);
                }
                let entry_label =
                    self.label(h, rh.marking.as_deref(), rh.releasable_to.as_ref(), rh.categories.as_ref());
                n_history += 1;
                if let (Some(date), Some(dated), Some(status)) = (date, dated, status) {
                    let entry = HistoryEntry {
                        pledge: r.id.clone(),
                        date,
                        dated,
                        status,
                        source: r_trim(rh.source),
                        quote: rh.quote,
                        quantity: rh.quantity,
                        relay: rh.relay.unwrap_or(false),
                        note: rh.note,
                        illustrative: rh.illustrative.unwrap_or(illustrative),
                        label: entry_label,
                        recorded: self.recorded(h),
                    };
                    if let Some(prev) = new.history.iter().find(|x| same_history(x, &entry)) {
                        let first = format!("{}:{}", prev.recorded.file, prev.recorded.line);
                        self.problem(h, "", format!("the same date, status and source twice (first at {first})"));
                    } else {
                        new.history.push(entry);
                    }
                }
            }
            pledges_here.push((at, r.id.clone(), n_history));
            if let Some(domain) = domain {
                upsert(
                    &mut new.pledges,
                    Pledge {
                        id: r.id,
                        nation: r.nation,
                        domain,
                        capability: r.capability,
                        quantity: r.quantity,
                        measure: r.measure,
                        locations,
                        conditions,
                        notes: r.notes,
                        illustrative,
                        label,
                    },
                    |x| &x.id,
                );
            }
        }
        for (at, id, n) in &pledges_here {
            if *n == 0 && !base.history.iter().any(|h| &h.pledge == id) {
                self.problem(
                    at,
                    "history",
                    "a pledge needs at least one [[pledges.history]] entry (date, status, source, quote)",
                );
            }
        }
        for x in &new.pledges {
            upsert(&mut m.pledges, x.clone(), |x| &x.id);
        }
        for h in &new.history {
            match m.history.iter_mut().find(|x| same_history(x, h)) {
                Some(x) => *x = HistoryEntry { recorded: x.recorded.clone(), ..h.clone() },
                None => m.history.push(h.clone()),
            }
        }

        // Requirements.
        for at in self.section("requirements") {
            let Some(r) = self.raw::<RawRequirement>(&at) else { continue };
            self.unique("requirement", &at, &r.id);
            let component = self.word(&at, "component", &r.component, Component::parse);
            if !is_id(&r.phase) {
                self.problem(
                    &at,
                    "phase",
                    format!("{:?} is not a phase id (lowercase letters, digits, '-', '_')", r.phase),
                );
            }
            self.text(&at, "capability", &r.capability);
            self.quantity(&at, "quantity", r.quantity, true);
            if !measure_ids.contains(&r.measure) {
                self.problem(&at, "measure", format!("unknown measure {:?} (define it in [[measures]])", r.measure));
            }
            let mut domains = Vec::new();
            for (i, w) in r.domains.as_deref().unwrap_or_default().iter().enumerate() {
                if let Some(d) = self.word(&at, &format!("domains[{i}]"), w, Domain::parse) {
                    domains.push(d);
                }
            }
            let locations = self.locations(&at, r.locations.as_deref());
            let illustrative = self.illustrative(&at, r.illustrative);
            let label = self.label(&at, r.marking.as_deref(), r.releasable_to.as_ref(), r.categories.as_ref());
            if let Some(component) = component {
                if domains.is_empty() {
                    domains = component.default_domains();
                }
                upsert(
                    &mut new.requirements,
                    Requirement {
                        id: r.id,
                        component,
                        phase: r.phase,
                        capability: r.capability,
                        quantity: r.quantity,
                        measure: r.measure,
                        domains,
                        locations,
                        notes: r.notes,
                        illustrative,
                        label,
                    },
                    |x| &x.id,
                );
            }
        }
        for x in &new.requirements {
            upsert(&mut m.requirements, x.clone(), |x| &x.id);
        }

        // The theatre.
        let mut theatres = 0;
        let sources = self.sources;
        for (file, src) in sources.iter().enumerate() {
            let Some(v) = src.table.get_ref().get("theatre") else { continue };
            let at = At { entry: Entry { file, value: v }, field: "theatre".to_owned() };
            theatres += 1;
            if theatres > 1 {
                self.problem(&at, "", "a second [theatre]: give the theatre once");
                continue;
            }
            self.seen.insert(("theatre", "theatre".to_owned()), (file, src.lines.line(v.span().start)));
            if let Some(t) = self.theatre(&at, &nations) {
                new.theatre = Some(t);
            }
        }
        if new.theatre.is_some() {
            m.theatre = new.theatre.clone();
        }

        // Places.
        for at in self.section("places") {
            let Some(r) = self.raw::<RawPlace>(&at) else { continue };
            self.unique("place", &at, &r.id);
            self.text(&at, "name", &r.name);
            let kind = self.word(&at, "kind", &r.kind, PlaceKind::parse);
            self.position(&at, "position", r.position);
            if let Some(n) = &r.nation {
                nation_ref(self, &at, "nation", n);
            }
            let illustrative = self.illustrative(&at, r.illustrative);
            let label = self.label(&at, r.marking.as_deref(), r.releasable_to.as_ref(), r.categories.as_ref());
            if let Some(kind) = kind {
                upsert(
                    &mut new.places,
                    Place {
                        id: r.id,
                        name: r.name,
                        kind,
                        position: r.position,
                        nation: r.nation,
                        notes: r.notes,
                        illustrative,
                        label,
                    },
                    |x| &x.id,
                );
            }
        }
        for x in &new.places {
            upsert(&mut m.places, x.clone(), |x| &x.id);
        }

        // Units.
        let lookup = m.lookup();
        for at in self.section("units") {
            let Some(r) = self.raw::<RawUnit>(&at) else { continue };
            self.unique("unit", &at, &r.id);
            self.text(&at, "name", &r.name);
            nation_ref(self, &at, "nation", &r.nation);
            let domain = self.word(&at, "domain", &r.domain, Domain::parse);
            self.text(&at, "type", &r.kind);
            if let Some(e) = sidc_problem(&r.sidc) {
                self.problem(&at, "sidc", e);
            }
            if r.strength == 0 {
                self.problem(&at, "strength", "a unit has at least one person");
            }
            if let Some(q) = r.quantity {
                self.quantity(&at, "quantity", q, true);
            }
            if let Some(pid) = &r.pledge {
                match lookup.pledge(&m, pid) {
                    None if self.declared("pledges", pid) => {}
                    None => self.problem(&at, "pledge", format!("unknown pledge {pid:?}")),
                    Some(p) => {
                        if p.nation != r.nation {
                            self.problem(
                                &at,
                                "pledge",
                                format!("pledge {pid:?} is {}'s, not {}'s", p.nation, r.nation),
                            );
                        }
                        if domain.is_some_and(|d| d != p.domain) {
                            self.problem(
                                &at,
                                "domain",
                                format!("the unit's domain is {}, its pledge {pid:?} is for {}", r.domain, p.domain),
                            );
                        }
                    }
                }
            } else if r.quantity.is_some() {
                self.problem(&at, "quantity", "a quantity counts against a pledge: name the pledge");
            }
            let illustrative = self.illustrative(&at, r.illustrative);
            let label = self.label(&at, r.marking.as_deref(), r.releasable_to.as_ref(), r.categories.as_ref());
            if let Some(domain) = domain {
                upsert(
                    &mut new.units,
                    Unit {
                        id: r.id,
                        name: r.name,
                        nation: r.nation,
                        domain,
                        kind: r.kind,
                        sidc: r.sidc,
                        strength: r.strength,
                        pledge: r.pledge,
                        quantity: r.quantity,
                        illustrative,
                        label,
                    },
                    |x| &x.id,
                );
            }
        }
        for x in &new.units {
            upsert(&mut m.units, x.clone(), |x| &x.id);
        }

        // Plans.
        let lookup = m.lookup();
        for at in self.section("plans") {
            let tasks = self.nested(&at, "tasks");
            let deployments = self.nested(&at, "deployments");
            let plan = self.raw::<RawPlan>(&at);
            if let Some(r) = &plan {
                self.unique("plan", &at, &r.id);
                self.text(&at, "name", &r.name);
                if let Some(s) = r.standoff_km
                    && (!s.is_finite() || !(0.0..=1000.0).contains(&s))
                {
                    self.problem(&at, "standoff_km", format!("{s} is not a distance from 0 to 1,000 km"));
                }
                if let Some(l) = &r.standoff_line
                    && !is_id(l)
                {
                    self.problem(&at, "standoff_line", format!("{l:?} is not a line id"));
                }
            }
            let mut task_list = Vec::new();
            let mut task_ids = HashSet::new();
            for t in &tasks {
                let Some(rt) = self.raw::<RawTask>(t) else { continue };
                if !is_id(&rt.id) {
                    self.problem(t, "id", format!("{:?} is not a valid task id", rt.id));
                } else if !task_ids.insert(rt.id.clone()) {
                    self.problem(t, "id", format!("task {:?} is defined twice in this plan", rt.id));
                }
                let from = self.day(t, "from", &rt.from);
                let until = self.day(t, "until", &rt.until);
                if let (Some(from), Some(until)) = (from, until) {
                    if until < from {
                        self.problem(t, "until", "the task ends before it starts");
                    }
                    task_list.push(Task {
                        id: rt.id,
                        name: rt.name,
                        from,
                        until,
                        max_gap_days: rt.max_gap_days.unwrap_or(0),
                        max_tour_days: rt.max_tour_days,
                    });
                }
            }
            let mut list = Vec::new();
            for d in &deployments {
                if let Some(dep) = self.deployment(d, &m, &lookup, &task_ids) {
                    list.push(dep);
                }
            }
            if let Some(r) = plan {
                let illustrative = self.illustrative(&at, r.illustrative);
                let label = self.label(&at, r.marking.as_deref(), r.releasable_to.as_ref(), r.categories.as_ref());
                if deployments.is_empty() {
                    self.problem(&at, "deployments", "a plan needs at least one [[plans.deployments]] entry");
                }
                upsert(
                    &mut new.plans,
                    Plan {
                        id: r.id,
                        name: r.name,
                        standoff_km: r.standoff_km,
                        standoff_line: r.standoff_line,
                        notes: r.notes,
                        tasks: task_list,
                        deployments: list,
                        file: self.sources[at.entry.file].path.display().to_string(),
                        illustrative,
                        label,
                    },
                    |x| &x.id,
                );
            }
        }
        for x in &new.plans {
            upsert(&mut m.plans, x.clone(), |x| &x.id);
        }

        // Regeneration targets and progress.
        for at in self.section("targets") {
            let Some(r) = self.raw::<RawTarget>(&at) else { continue };
            self.unique("target", &at, &r.id);
            self.text(&at, "name", &r.name);
            self.text(&at, "metric", &r.metric);
            self.text(&at, "source", &r.source);
            if let Some(t) = r.target {
                self.quantity(&at, "target", t, true);
            }
            let by = r.by.as_deref().and_then(|b| self.day(&at, "by", b));
            for (i, p) in r.partners.iter().enumerate() {
                nation_ref(self, &at, &format!("partners[{i}]"), p);
            }
            let date = self.day(&at, "date", &r.date);
            let dated = self.dated(&at, r.dated.as_deref());
            let illustrative = self.illustrative(&at, r.illustrative);
            let label = self.label(&at, r.marking.as_deref(), r.releasable_to.as_ref(), r.categories.as_ref());
            if let (Some(date), Some(dated)) = (date, dated) {
                upsert(
                    &mut new.targets,
                    Target {
                        id: r.id,
                        name: r.name,
                        metric: r.metric,
                        target: r.target,
                        by,
                        programme: r.programme,
                        partners: r.partners,
                        source: r.source,
                        date,
                        dated,
                        illustrative,
                        label,
                    },
                    |x| &x.id,
                );
            }
        }
        for x in &new.targets {
            upsert(&mut m.targets, x.clone(), |x| &x.id);
        }
        let targets: HashSet<String> = m.targets.iter().map(|t| t.id.clone()).collect();
        for at in self.section("progress") {
            let Some(r) = self.raw::<RawProgress>(&at) else { continue };
            if !targets.contains(&r.target) && !self.declared("targets", &r.target) {
                self.problem(&at, "target", format!("unknown target {:?} (define it in [[targets]])", r.target));
            }
            let date = self.day(&at, "date", &r.date);
            let dated = self.dated(&at, r.dated.as_deref());
            self.quantity(&at, "value", r.value, false);
            self.text(&at, "source", &r.source);
            let illustrative = self.illustrative(&at, r.illustrative);
            let label = self.label(&at, r.marking.as_deref(), r.releasable_to.as_ref(), r.categories.as_ref());
            if let (Some(date), Some(dated)) = (date, dated) {
                let p = Progress {
                    target: r.target,
                    date,
                    dated,
                    value: r.value,
                    approx: r.approx.unwrap_or(false),
                    source: r.source,
                    note: r.note,
                    illustrative,
                    label,
                    recorded: self.recorded(&at),
                };
                if let Some(prev) = new.progress.iter().find(|x| x.target == p.target && x.date == p.date) {
                    let first = format!("{}:{}", prev.recorded.file, prev.recorded.line);
                    self.problem(
                        &at,
                        "date",
                        format!("a second value for {} on {} (first at {first})", p.target, p.date),
                    );
                } else {
                    new.progress.push(p);
                }
            }
        }
        for p in &new.progress {
            match m.progress.iter_mut().find(|x| x.target == p.target && x.date == p.date) {
                Some(x) => *x = Progress { recorded: x.recorded.clone(), ..p.clone() },
                None => m.progress.push(p.clone()),
            }
        }

        m.normalise();
        new.normalise();
        Loaded {
            new,
            merged: m,
            files: self.sources.iter().map(|s| s.path.display().to_string()).collect(),
            origins: HashMap::new(),
        }
    }

    fn theatre(&mut self, at: &At<'_, 't>, nations: &HashSet<String>) -> Option<Theatre> {
        let r = self.raw::<RawTheatre>(at)?;
        let mut ok = true;
        let mut codes = |c: &mut Self, name: &str, list: &[String]| {
            for (i, a3) in list.iter().enumerate() {
                if !is_iso3(a3) {
                    c.problem(at, &format!("{name}[{i}]"), format!("{a3:?} is not an ISO 3166 alpha-3 code"));
                    ok = false;
                }
            }
        };
        codes(self, "host", std::slice::from_ref(&r.host));
        codes(self, "neighbours", &r.neighbours);
        codes(self, "forbidden", &r.forbidden);
        codes(self, "airspace", &r.airspace);
        if !nations.contains(&r.host) && is_iso3(&r.host) {
            self.problem(at, "host", format!("unknown nation {:?} (define it in [[nations]])", r.host));
        }
        let tolerance = r.coast_tolerance_km.unwrap_or(10.0);
        if !(0.0..=100.0).contains(&tolerance) {
            self.problem(at, "coast_tolerance_km", format!("{tolerance} is not a distance from 0 to 100 km"));
            ok = false;
        }
        let dir = self.sources[at.entry.file].dir.clone();
        let property = r.country_property.clone().unwrap_or_else(|| "a3".to_owned());
        let mut countries = Vec::new();
        match crate::geo::read_areas(&dir.join(&r.countries), &property) {
            Ok(features) => {
                for f in features {
                    match f.key {
                        Some(a3) if is_iso3(&a3) => countries.push(Country {
                            name: f.name.unwrap_or_else(|| a3.clone()),
                            a3,
                            polygons: f.polygons,
                        }),
                        other => {
                            self.problem(
                                at,
                                "countries",
                                format!(
                                    "{}: a feature's property {property:?} is {other:?}, not an ISO alpha-3 code",
                                    r.countries
                                ),
                            );
                            ok = false;
                        }
                    }
                }
            }
            Err(e) => {
                self.problem(at, "countries", e);
                ok = false;
            }
        }
        let mut all: Vec<&String> = vec![&r.host];
        all.extend(r.neighbours.iter().chain(&r.forbidden).chain(&r.airspace));
        for a3 in all {
            if is_iso3(a3) && !countries.is_empty() && !countries.iter().any(|c| &c.a3 == a3) {
                self.problem(at, "countries", format!("{} has no polygon for {a3}", r.countries));
                ok = false;
            }
        }
        let mut seas = Vec::new();
        for (i, s) in r.seas.iter().enumerate() {
            match crate::geo::read_areas(&dir.join(s), "name") {
                Ok(features) => seas.extend(
                    features
                        .into_iter()
                        .map(|f| Sea { name: f.name.unwrap_or_else(|| s.clone()), polygons: f.polygons }),
                ),
                Err(e) => {
                    self.problem(at, &format!("seas[{i}]"), e);
                    ok = false;
                }
            }
        }
        let illustrative = self.illustrative(at, r.illustrative);
        let label = self.label(at, r.marking.as_deref(), r.releasable_to.as_ref(), r.categories.as_ref());
        ok.then(|| Theatre {
            host: r.host,
            neighbours: r.neighbours,
            forbidden: r.forbidden,
            airspace: r.airspace,
            coast_tolerance_km: tolerance,
            countries,
            seas,
            sources: std::iter::once(r.countries).chain(r.seas).collect(),
            illustrative,
            label,
        })
    }

    fn deployment(
        &mut self,
        d: &At<'_, 't>,
        m: &Coalition,
        lookup: &crate::model::Lookup,
        tasks: &HashSet<String>,
    ) -> Option<Deployment> {
        let r = self.raw::<RawDeployment>(d)?;
        let unit = lookup.unit(m, &r.unit);
        if unit.is_none() && !self.declared("units", &r.unit) {
            self.problem(d, "unit", format!("unknown unit {:?} (define it in [[units]])", r.unit));
        }
        let from = self.day(d, "from", &r.from);
        let until = r.until.as_deref().and_then(|u| self.day(d, "until", u));
        if let (Some(f), Some(u)) = (from, until)
            && u < f
        {
            self.problem(d, "until", "the deployment ends before it starts");
        }
        if let Some(t) = &r.task
            && !tasks.contains(t)
        {
            self.problem(d, "task", format!("unknown task {t:?} (define it in this plan's [[plans.tasks]])"));
        }
        let mut position = None;
        match (&r.place, r.position) {
            (Some(_), Some(_)) => self.problem(d, "position", "give `place` or `position`, not both"),
            (Some(pid), None) => match lookup.place(m, pid) {
                Some(p) => position = Some(p.position),
                None if self.declared("places", pid) => {}
                None => self.problem(d, "place", format!("unknown place {pid:?} (define it in [[places]])")),
            },
            (None, Some(p)) => {
                if self.position(d, "position", p) {
                    position = Some(p);
                }
            }
            (None, None) => {}
        }
        if let Some(area) = &r.area {
            let valid = area.iter().enumerate().all(|(i, &p)| self.position(d, &format!("area[{i}]"), p));
            if valid && (area.len() < 4 || area.first() != area.last()) {
                self.problem(d, "area", "an area is a closed ring: at least 4 positions, the last repeating the first");
            } else if valid && position.is_none() {
                let n = (area.len() - 1) as f64;
                let (x, y) = area[..area.len() - 1].iter().fold((0.0, 0.0), |(x, y), p| (x + p[0], y + p[1]));
                position = Some([x / n, y / n]);
            }
            if let Some(u) = unit
                && !matches!(u.domain, Domain::Air | Domain::Sea)
            {
                self.problem(
                    d,
                    "area",
                    format!("only air and sea units patrol an area; {} is a {} unit", u.id, u.domain),
                );
            }
        }
        if r.place.is_none() && r.position.is_none() && r.area.is_none() {
            self.problem(d, "", "a deployment needs `place`, `position` or `area`");
        }
        Some(Deployment {
            unit: r.unit,
            place: r.place,
            position: position?,
            area: r.area,
            from: from?,
            until,
            task: r.task,
            line: self.line_of(d.entry, ""),
        })
    }
}

fn r_trim(s: String) -> String {
    s.trim().to_owned()
}

/// The key of a history entry: the same pledge, date, status and source are the same report.
pub(crate) fn same_history(a: &HistoryEntry, b: &HistoryEntry) -> bool {
    a.pledge == b.pledge && a.date == b.date && a.status == b.status && a.source == b.source
}

fn upsert<T>(list: &mut Vec<T>, item: T, id: impl Fn(&T) -> &String) {
    match list.iter().position(|x| id(x) == id(&item)) {
        Some(i) => list[i] = item,
        None => list.push(item),
    }
}
