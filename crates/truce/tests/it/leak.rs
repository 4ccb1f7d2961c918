//! The leak harness: every surface of `truce serve`, called as every viewer, against an oracle.
//!
//! Randomised viewers (nation × role × clearance × categories) and labelled observations whose text
//! and observer team carry a unique canary string. Every route of the router (a census of the server's
//! sources fails when one is not exercised here) and the WebSocket stream are called as every viewer;
//! the ids an answer returns must be exactly the oracle's visible set, and no canary of a hidden record
//! (nor the observer's canary of a record whose observer fields the viewer may not see) may appear in
//! any byte of any answer, error, count or stream message. The oracle is written here, independently
//! of `truce-access`: it reads only the policy's data (group membership spans).
//!
//! The coalition gets the same treatment: labelled nations, pledges and their history entries,
//! requirements, units, places, plans, milestones, regeneration targets and progress points, each a
//! record of the oracle (an entity dated by its import, an entry by its own date) whose words carry its
//! canary. Every coalition route must list exactly what the viewer may see (a pledge's history and a
//! target's progress only with their pledge and target; a plan's deployments only with their unit and
//! place), show no hidden canary or unit id, and answer a hidden plan or nation like a missing one.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use time::macros::datetime;
use time::{Date, Duration, OffsetDateTime};
use truce_access::Policy;

use crate::util::{PASSWORD, Server, add_user, serve_plain};

#[path = "leak_marti.rs"]
mod marti;

/// Records in the first batch (stored before the viewers look) and in the streamed batch.
const RECORDS: usize = 400;
const STREAMED: usize = 60;
/// Viewers besides the admin.
const VIEWERS: usize = 16;

const NATIONS: &[&str] = &["GBR", "FRA", "POL", "FIN", "SWE", "UKR", "USA", "AUS", "JPN", "DEU", "ITA", "TUR", "IRL"];
const CODES: &[&str] =
    &["GBR", "FRA", "POL", "FIN", "SWE", "UKR", "USA", "DEU", "NATO", "EU", "FVEY", "MNFU", "PUBLIC", "JPN"];
const CATEGORIES: &[&str] = &["MONITOR-LOCATIONS", "SOURCES", "SIGINT", "COMMISSION"];
const MARKINGS: &[&str] =
    &["NATO UNCLASSIFIED", "NATO RESTRICTED", "NATO CONFIDENTIAL", "NATO SECRET", "COSMIC TOP SECRET"];
const ROLES: &[&str] =
    &["monitor", "watch_officer", "analyst", "commission", "planner", "national_rep", "auditor", "admin"];

/// The window most records fall in (incidents, series and reports are asked over it).
const SINCE: OffsetDateTime = datetime!(2026-11-05 00:00 UTC);
const UNTIL: OffsetDateTime = datetime!(2026-12-01 00:00 UTC);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
    fn subset<'a>(&mut self, from: &[&'a str], p: f64) -> Vec<&'a str> {
        from.iter().copied().filter(|_| self.chance(p)).collect()
    }
}

#[derive(Debug, Clone)]
struct Viewer {
    name: String,
    nation: &'static str,
    role: &'static str,
    clearance: usize,
    categories: BTreeSet<&'static str>,
    token: String,
}

#[derive(Debug, Clone)]
struct Record {
    /// The observation as posted.
    body: Value,
    id: String,
    time: OffsetDateTime,
    marking: usize,
    releasable_to: Vec<&'static str>,
    categories: Vec<&'static str>,
}

impl Record {
    fn canary(&self) -> String {
        format!("CANARY{}TEXT", self.id)
    }
    fn observer_canary(&self) -> String {
        format!("CANARY{}TEAM", self.id)
    }
    fn make_body(&mut self, rng: &mut Rng) {
        let lat = 46.5 + rng.below(20_000) as f64 / 10_000.0;
        let lon = 35.0 + rng.below(40_000) as f64 / 10_000.0;
        let category = ["explosion_impact", "muzzle_flash", "bursts_and_shots", "weapon_sighting"][rng.below(3)];
        self.body = json!({
            "id": self.id,
            "time": self.time.format(&time::format_description::well_known::Rfc3339).unwrap(),
            "category": category,
            "lat": lat, "lon": lon,
            "observer": {"means": "patrol", "team": self.observer_canary()},
            "text": self.canary(),
            "marking": MARKINGS[self.marking],
            "releasable_to": self.releasable_to,
            "categories": self.categories,
        });
    }
}

/// The independent oracle: clearance, categories, and the nation in the release set expanded on the
/// record's day (groups from the policy's membership data; the public code releases to everyone; no
/// code means the policy's default release).
struct Oracle {
    policy: Policy,
}

impl Oracle {
    fn member(&self, code: &str, nation: &str, day: Date) -> bool {
        if code == nation || code == self.policy.public {
            return true;
        }
        self.policy.groups.get(code).and_then(|g| g.members.get(nation)).is_some_and(|spans| {
            spans.iter().any(|s| s.from.is_none_or(|f| day >= f) && s.until.is_none_or(|u| day < u))
        })
    }

    fn visible(&self, v: &Viewer, r: &Record) -> bool {
        let codes: Vec<&str> = if r.releasable_to.is_empty() {
            self.policy.default_release.iter().map(String::as_str).collect()
        } else {
            r.releasable_to.clone()
        };
        r.marking <= v.clearance
            && r.categories.iter().all(|c| v.categories.contains(c))
            && codes.iter().any(|c| self.member(c, v.nation, r.time.date()))
    }

    /// The observer's fields need NATO RESTRICTED (the shipped policy's observer label).
    fn sees_observer(&self, v: &Viewer, r: &Record) -> bool {
        self.visible(v, r) && v.clearance >= 1
    }
}

/// Counts the checks and collects what failed.
#[derive(Default)]
struct Checks {
    done: u64,
    failures: Vec<String>,
}

impl Checks {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        self.done += 1;
        if !ok && self.failures.len() < 50 {
            self.failures.push(what());
        }
    }

    /// No canary the viewer may not see in `text`: one check per record.
    fn no_leak(&mut self, oracle: &Oracle, v: &Viewer, records: &[Record], surface: &str, text: &str) {
        let seen: BTreeSet<&str> =
            text.match_indices("CANARY").map(|(i, _)| &text[i..(i + 40).min(text.len())]).collect();
        for r in records {
            let hidden_text = !oracle.visible(v, r) && seen.iter().any(|s| s.starts_with(&r.canary()));
            let hidden_team = !oracle.sees_observer(v, r) && seen.iter().any(|s| s.starts_with(&r.observer_canary()));
            self.check(!hidden_text && !hidden_team, || {
                format!("{surface}: {} (as {} {} {}) shows {} ", v.name, v.nation, v.role, MARKINGS[v.clearance], r.id)
            });
        }
    }

    /// The ids an answer lists are exactly the visible ones among `records`: one check per record.
    fn exactly(&mut self, oracle: &Oracle, v: &Viewer, records: &[Record], surface: &str, ids: &BTreeSet<String>) {
        for r in records {
            let shown = ids.contains(&r.id);
            self.check(shown == oracle.visible(v, r), || {
                format!(
                    "{surface}: {} ({} {}) {} {}",
                    v.name,
                    v.nation,
                    MARKINGS[v.clearance],
                    if shown { "sees" } else { "misses" },
                    r.id
                )
            });
        }
    }
}

fn get(s: &Server, v: &Viewer, path: &str) -> (u16, String) {
    let reply = s.request_as(Some(&v.token), "GET", path, b"");
    (reply.status, String::from_utf8_lossy(&reply.body).into_owned())
}

fn ids_in(list: &Value, key: &str) -> BTreeSet<String> {
    list[key]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Every route the server's sources declare (`.route("PATH"`), for the census: every file under
/// `src/server`, its folders (the Marti API's) included.
fn declared_routes() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(path).unwrap();
            for (i, _) in text.match_indices(".route(\"") {
                let rest = &text[i + 8..];
                out.insert(rest[..rest.find('"').unwrap()].to_owned());
            }
        }
    }
    out
}

fn viewers(rng: &mut Rng) -> Vec<Viewer> {
    let mut out = Vec::new();
    for i in 0..VIEWERS {
        out.push(Viewer {
            name: format!("viewer-{i:02}"),
            nation: NATIONS[rng.below(NATIONS.len())],
            role: ROLES[rng.below(ROLES.len() - 1)],
            clearance: rng.below(MARKINGS.len()),
            categories: rng.subset(CATEGORIES, 0.5).into_iter().collect(),
            token: String::new(),
        });
    }
    // Fixed corners: a Finnish and a Swedish viewer (dated NATO membership), a viewer of a nation
    // outside every group but its own, and one who sees everything but holds no category.
    out[0].nation = "FIN";
    out[1].nation = "SWE";
    // The Swedish viewer sees the burst that raises alerts: it may acknowledge them.
    out[1].role = "watch_officer";
    out[2].nation = "JPN";
    out[3].clearance = 4;
    out[3].categories.clear();
    out
}

fn records(rng: &mut Rng, n: usize, prefix: &str) -> Vec<Record> {
    (0..n)
        .map(|i| {
            // Most in the recent window; one in five between 2019 and 2026, across Finland's and
            // Sweden's accession days and the United Kingdom's exit from the EU.
            let time = if rng.chance(0.8) {
                SINCE + Duration::minutes(rng.below(25 * 24 * 60) as i64)
            } else {
                datetime!(2019-06-01 00:00 UTC) + Duration::days(rng.below(2_700) as i64)
            };
            let releasable_to = if rng.chance(0.15) { Vec::new() } else { rng.subset(CODES, 0.2) };
            let mut r = Record {
                body: Value::Null,
                id: format!("{prefix}{i:04}"),
                time,
                marking: rng.below(MARKINGS.len()),
                releasable_to,
                categories: if rng.chance(0.3) { rng.subset(CATEGORIES, 0.4) } else { Vec::new() },
            };
            r.make_body(rng);
            r
        })
        .collect()
}

/// A random label for a coalition record (the records' distribution), dated `time`.
fn coalition_record(rng: &mut Rng, id: String, time: OffsetDateTime) -> Record {
    Record {
        body: Value::Null,
        id,
        time,
        marking: rng.below(MARKINGS.len()),
        releasable_to: if rng.chance(0.15) { Vec::new() } else { rng.subset(CODES, 0.25) },
        categories: if rng.chance(0.3) { rng.subset(CATEGORIES, 0.4) } else { Vec::new() },
    }
}

/// A record's label as coalition file lines.
fn label_toml(r: &Record) -> String {
    let list = |v: &[&str]| v.iter().map(|c| format!("{c:?}")).collect::<Vec<_>>().join(", ");
    let mut out = format!("marking = {:?}\n", MARKINGS[r.marking]);
    if !r.releasable_to.is_empty() {
        out.push_str(&format!("releasable_to = [{}]\n", list(&r.releasable_to)));
    }
    if !r.categories.is_empty() {
        out.push_str(&format!("categories = [{}]\n", list(&r.categories)));
    }
    out
}

/// The labelled coalition of the harness and the file that holds it.
struct LeakCoalition {
    /// Nations with a label (their names are canaries); the pledges' nations are public.
    nations: Vec<Record>,
    /// (pledge, its nation, its labelled history entry).
    pledges: Vec<(Record, &'static str, Record)>,
    requirements: Vec<Record>,
    milestones: Vec<Record>,
    units: Vec<Record>,
    places: Vec<Record>,
    /// (plan, its deployments as (unit, place); `pub-unit` and `pub-base` are public).
    plans: Vec<(Record, Vec<(String, String)>)>,
    /// (target, its progress points).
    targets: Vec<(Record, Vec<Record>)>,
    toml: String,
}

/// The nations every viewer may see, which the labelled pledges belong to.
const PUBLIC_NATIONS: &[&str] = &["GBR", "FRA", "POL", "UKR"];

fn leak_coalition(rng: &mut Rng, imported: OffsetDateTime) -> LeakCoalition {
    let public = "releasable_to = [\"PUBLIC\"]\n";
    let mut t = String::new();
    for n in PUBLIC_NATIONS {
        t.push_str(&format!("[[nations]]\nid = \"{n}\"\nname = \"Nation {n}\"\n{public}\n"));
    }
    t.push_str(&format!("[[measures]]\nid = \"personnel\"\nname = \"personnel\"\n{public}\n"));
    t.push_str(&format!(
        "[[places]]\nid = \"pub-base\"\nname = \"Public base\"\nkind = \"base\"\nposition = [22.57, 51.25]\n{public}\n"
    ));
    t.push_str(&format!(
        "[[units]]\nid = \"pub-unit\"\nname = \"Public unit\"\nnation = \"GBR\"\ndomain = \"land\"\ntype = \"infantry company\"\nsidc = \"10031000151211000000\"\nstrength = 150\n{public}\n"
    ));
    let nations: Vec<Record> = ["NOR", "DNK", "NLD", "BEL", "ESP", "PRT", "CZE", "ROU"]
        .iter()
        .map(|n| coalition_record(rng, (*n).to_owned(), imported))
        .collect();
    for r in &nations {
        t.push_str(&format!("[[nations]]\nid = \"{}\"\nname = \"{}\"\n{}\n", r.id, r.canary(), label_toml(r)));
    }
    let dated = |rng: &mut Rng| datetime!(2019-06-01 00:00 UTC) + Duration::days(rng.below(2_700) as i64);
    let mut pledges = Vec::new();
    for i in 0..30 {
        let p = coalition_record(rng, format!("cpledge-{i:03}"), imported);
        let nation = PUBLIC_NATIONS[i % PUBLIC_NATIONS.len()];
        let day = dated(rng);
        let entry = coalition_record(rng, format!("chist-{i:03}"), day);
        t.push_str(&format!(
            "[[pledges]]\nid = \"{}\"\nnation = \"{nation}\"\ndomain = \"land\"\ncapability = \"{}\"\nquantity = 100\nmeasure = \"personnel\"\n{}\n",
            p.id,
            p.canary(),
            label_toml(&p)
        ));
        t.push_str(&format!(
            "[[pledges.history]]\ndate = \"2019-01-01\"\nstatus = \"undecided\"\nsource = \"public\"\nquote = \"open to it\"\n{public}\n"
        ));
        t.push_str(&format!(
            "[[pledges.history]]\ndate = \"{}\"\nstatus = \"committed\"\nsource = \"src-{i:03}\"\nquote = \"{}\"\n{}\n",
            entry.time.date(),
            entry.canary(),
            label_toml(&entry)
        ));
        pledges.push((p, nation, entry));
    }
    let requirements: Vec<Record> = (0..6).map(|i| coalition_record(rng, format!("creq-{i:02}"), imported)).collect();
    for r in &requirements {
        t.push_str(&format!(
            "[[requirements]]\nid = \"{}\"\ncomponent = \"land\"\nphase = \"initial\"\ncapability = \"{}\"\nquantity = 1000\nmeasure = \"personnel\"\n{}\n",
            r.id,
            r.canary(),
            label_toml(r)
        ));
    }
    let milestones: Vec<Record> = (0..6).map(|i| coalition_record(rng, format!("cmile-{i:02}"), imported)).collect();
    for r in &milestones {
        t.push_str(&format!(
            "[[milestones]]\nid = \"{}\"\ndate = \"2025-09-04\"\ntitle = \"{}\"\nquote = \"words\"\nsource = \"a source\"\n{}\n",
            r.id,
            r.canary(),
            label_toml(r)
        ));
    }
    let units: Vec<Record> = (0..20).map(|i| coalition_record(rng, format!("cunit-{i:02}"), imported)).collect();
    for (i, r) in units.iter().enumerate() {
        t.push_str(&format!(
            "[[units]]\nid = \"{}\"\nname = \"{}\"\nnation = \"{}\"\ndomain = \"land\"\ntype = \"infantry company\"\nsidc = \"10031000151211000000\"\nstrength = 150\n{}\n",
            r.id,
            r.canary(),
            PUBLIC_NATIONS[i % PUBLIC_NATIONS.len()],
            label_toml(r)
        ));
    }
    let places: Vec<Record> = (0..6).map(|i| coalition_record(rng, format!("cplace-{i:02}"), imported)).collect();
    for (i, r) in places.iter().enumerate() {
        t.push_str(&format!(
            "[[places]]\nid = \"{}\"\nname = \"{}\"\nkind = \"base\"\nposition = [{}, 51.0]\n{}\n",
            r.id,
            r.canary(),
            22.2 + 0.1 * i as f64,
            label_toml(r)
        ));
    }
    let mut plans = Vec::new();
    for i in 0..10 {
        let p = coalition_record(rng, format!("cplan-{i:02}"), imported);
        let mut deployments = vec![("pub-unit".to_owned(), "pub-base".to_owned())];
        for k in 0..3 {
            let unit = units[(i * 3 + k) % units.len()].id.clone();
            let place =
                if rng.chance(0.5) { "pub-base".to_owned() } else { places[rng.below(places.len())].id.clone() };
            deployments.push((unit, place));
        }
        t.push_str(&format!(
            "[[plans]]\nid = \"{}\"\nname = \"{}\"\nnotes = \"{}\"\n{}\n",
            p.id,
            p.canary(),
            p.canary(),
            label_toml(&p)
        ));
        for (unit, place) in &deployments {
            t.push_str(&format!(
                "[[plans.deployments]]\nunit = \"{unit}\"\nplace = \"{place}\"\nfrom = \"2027-01-01\"\n\n"
            ));
        }
        plans.push((p, deployments));
    }
    let mut targets = Vec::new();
    for i in 0..5 {
        let target = coalition_record(rng, format!("ctarget-{i:02}"), imported);
        t.push_str(&format!(
            "[[targets]]\nid = \"{}\"\nname = \"{}\"\nmetric = \"trained\"\ntarget = 1000\nsource = \"a plan\"\ndate = \"2019-01-01\"\n{}\n",
            target.id,
            target.canary(),
            label_toml(&target)
        ));
        let mut points = Vec::new();
        for k in 0..4 {
            let time = datetime!(2019-06-01 00:00 UTC) + Duration::days((k * 700 + rng.below(600)) as i64);
            let p = coalition_record(rng, format!("cprog-{i:02}-{k}"), time);
            t.push_str(&format!(
                "[[progress]]\ntarget = \"{}\"\ndate = \"{}\"\nvalue = {}\nsource = \"a count\"\nnote = \"{}\"\n{}\n",
                target.id,
                time.date(),
                100 * (k + 1),
                p.canary(),
                label_toml(&p)
            ));
            points.push(p);
        }
        targets.push((target, points));
    }
    LeakCoalition { nations, pledges, requirements, milestones, units, places, plans, targets, toml: t }
}

impl LeakCoalition {
    /// Every labelled record.
    fn all(&self) -> Vec<Record> {
        let mut out: Vec<Record> = self.nations.clone();
        for (p, _, e) in &self.pledges {
            out.extend([p.clone(), e.clone()]);
        }
        out.extend(self.requirements.iter().chain(&self.milestones).chain(&self.units).chain(&self.places).cloned());
        out.extend(self.plans.iter().map(|(p, _)| p.clone()));
        for (target, points) in &self.targets {
            out.push(target.clone());
            out.extend(points.iter().cloned());
        }
        out
    }

    /// The records among `records` whose canary `text` shows.
    fn shown(records: &[Record], text: &str) -> BTreeSet<String> {
        records.iter().filter(|r| text.contains(&r.canary())).map(|r| r.id.clone()).collect()
    }

    /// Checks every coalition route as `v`.
    #[allow(clippy::too_many_lines)]
    fn check(&self, s: &Server, oracle: &Oracle, v: &Viewer, checks: &mut Checks) {
        let all = self.all();
        let visible = |r: &Record| oracle.visible(v, r);
        let visible_id =
            |id: &str, records: &[Record]| records.iter().find(|r| r.id == id).is_none_or(|r| oracle.visible(v, r));
        // A pledge's entry shows with its pledge only; a target's progress with its target only.
        let entries: Vec<Record> = self.pledges.iter().map(|(_, _, e)| e.clone()).collect();
        let shown_entries = |nation: Option<&str>| -> Vec<Record> {
            self.pledges
                .iter()
                .filter(|(p, n, _)| nation.is_none_or(|x| x == *n) && visible(p))
                .map(|(_, _, e)| e.clone())
                .collect()
        };
        let pledges: Vec<Record> = self.pledges.iter().map(|(p, _, _)| p.clone()).collect();

        let (status, body) = get(s, v, "/api/v1/coalition/summary");
        checks.check(status == 200, || format!("summary: {} → {status}", v.name));
        checks.no_leak(oracle, v, &all, "coalition summary", &body);
        let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let listed: BTreeSet<String> = json["nations"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|n| n["cells"].as_array().into_iter().flatten())
            .flat_map(|c| c["pledges"].as_array().into_iter().flatten())
            .filter_map(|p| p["id"].as_str().map(str::to_owned))
            .collect();
        checks.exactly(oracle, v, &pledges, "coalition summary pledges", &listed);
        checks.exactly(oracle, v, &self.milestones, "coalition summary milestones", &ids_in(&json, "milestones"));

        let (status, body) = get(s, v, "/api/v1/coalition/gaps");
        checks.check(status == 200, || format!("gaps: {} → {status}", v.name));
        checks.no_leak(oracle, v, &all, "coalition gaps", &body);
        let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let rows: BTreeSet<String> = json["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["requirement"].as_str().map(str::to_owned))
            .collect();
        checks.exactly(oracle, v, &self.requirements, "coalition gaps", &rows);

        for nation in PUBLIC_NATIONS {
            let (status, body) = get(s, v, &format!("/api/v1/coalition/nations/{nation}/history"));
            checks.check(status == 200, || format!("history {nation}: {} → {status}", v.name));
            checks.no_leak(oracle, v, &all, "nation history", &body);
            let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let listed: BTreeSet<String> = json["pledges"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["pledge"]["id"].as_str().map(str::to_owned))
                .collect();
            let mine: Vec<Record> =
                self.pledges.iter().filter(|(_, n, _)| n == nation).map(|(p, _, _)| p.clone()).collect();
            checks.exactly(oracle, v, &mine, "nation history pledges", &listed);
            // Exactly the visible entries of the visible pledges.
            let expect: BTreeSet<String> =
                shown_entries(Some(nation)).iter().filter(|e| visible(e)).map(|e| e.id.clone()).collect();
            let got = Self::shown(&entries, &body);
            checks.check(got == expect, || format!("history {nation}: {} sees {got:?}, expected {expect:?}", v.name));
        }
        for r in &self.nations {
            let (status, body) = get(s, v, &format!("/api/v1/coalition/nations/{}/history", r.id));
            let missing =
                format!(r#"{{"error":{{"code":"not_found","message":"no nation \"{}\"","field":"nation"}}}}"#, r.id);
            let ok =
                if visible(r) { status == 200 && body.contains(&r.canary()) } else { status == 404 && body == missing };
            checks.check(ok, || format!("nation {}: {} → {status} {body}", r.id, v.name));
        }

        let (status, body) = get(s, v, "/api/v1/plans");
        checks.check(status == 200, || format!("plans: {} → {status}", v.name));
        checks.no_leak(oracle, v, &all, "plans", &body);
        let plans: Vec<Record> = self.plans.iter().map(|(p, _)| p.clone()).collect();
        checks.exactly(
            oracle,
            v,
            &plans,
            "plans",
            &ids_in(&serde_json::from_str(&body).unwrap_or(Value::Null), "plans"),
        );
        for (plan, deployments) in &self.plans {
            let missing =
                format!(r#"{{"error":{{"code":"not_found","message":"no plan \"{}\"","field":"id"}}}}"#, plan.id);
            let (status, body) = get(s, v, &format!("/api/v1/plans/{}", plan.id));
            checks.no_leak(oracle, v, &all, "plan", &body);
            let (check_status, check_body) = get(s, v, &format!("/api/v1/plans/{}/check", plan.id));
            checks.no_leak(oracle, v, &all, "plan check", &check_body);
            if !visible(plan) {
                checks.check(status == 404 && body == missing, || {
                    format!("plan {}: {} → {status} {body}", plan.id, v.name)
                });
                checks.check(check_status == 404 && check_body == missing, || {
                    format!("plan check {}: {} → {check_status} {check_body}", plan.id, v.name)
                });
                continue;
            }
            checks.check(status == 200 && check_status == 200, || {
                format!("plan {}: {} → {status}, check {check_status}", plan.id, v.name)
            });
            let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            let got: BTreeSet<String> = json["features"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|f| f["properties"]["layer"] == "deployment")
                .filter_map(|f| f["properties"]["unit"].as_str().map(str::to_owned))
                .collect();
            let expect: BTreeSet<String> = deployments
                .iter()
                .filter(|(u, p)| visible_id(u, &self.units) && visible_id(p, &self.places))
                .map(|(u, _)| u.clone())
                .collect();
            checks.check(got == expect, || {
                format!("plan {}: {} sees units {got:?}, expected {expect:?}", plan.id, v.name)
            });
            // No id of a unit or place it may not see, in the plan or its check.
            for r in self.units.iter().chain(&self.places).filter(|r| !visible(r)) {
                let quoted = format!("\"{}\"", r.id);
                checks.check(!body.contains(&quoted) && !check_body.contains(&quoted), || {
                    format!("plan {}: {} sees the id of {}", plan.id, v.name, r.id)
                });
            }
        }

        let (status, body) = get(s, v, "/api/v1/regeneration");
        checks.check(status == 200, || format!("regeneration: {} → {status}", v.name));
        checks.no_leak(oracle, v, &all, "regeneration", &body);
        let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let listed: BTreeSet<String> = json["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["target"]["id"].as_str().map(str::to_owned))
            .collect();
        let targets: Vec<Record> = self.targets.iter().map(|(t, _)| t.clone()).collect();
        checks.exactly(oracle, v, &targets, "regeneration targets", &listed);
        let points: Vec<Record> = self.targets.iter().flat_map(|(_, p)| p.iter().cloned()).collect();
        let expect: BTreeSet<String> = self
            .targets
            .iter()
            .filter(|(t, _)| visible(t))
            .flat_map(|(_, p)| p.iter().filter(|p| visible(p)).map(|p| p.id.clone()))
            .collect();
        let got = Self::shown(&points, &body);
        checks.check(got == expect, || format!("regeneration: {} sees {got:?}, expected {expect:?}", v.name));
    }
}

#[test]
fn no_surface_shows_a_viewer_what_it_may_not_see() {
    harness(false);
}

/// The same harness with the records in PostgreSQL (`TRUCE_TEST_POSTGRES`): the access rule is the
/// store's SQL there, and must answer as the embedded store's. And with a second node on the same
/// store, joined over a three-server NATS JetStream cluster: the viewers' streams are opened on the
/// second node, so every event the first one makes reaches them through the cluster's bus, and must
/// be filtered there exactly as on the node that made it.
#[test]
fn on_postgres_and_a_second_node_no_surface_shows_a_viewer_what_it_may_not_see() {
    crate::util::on_store(&crate::postgres::store_url(), || harness(true));
}

#[allow(clippy::too_many_lines)]
fn harness(cluster: bool) {
    let oracle = Oracle { policy: Policy::shipped() };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let dir = tempfile::tempdir().unwrap();
    add_user(dir.path(), "admin", "GBR", "admin", "COSMIC TOP SECRET", CATEGORIES);
    let mut viewers = viewers(&mut rng);
    for v in &viewers {
        let cats: Vec<&str> = v.categories.iter().copied().collect();
        add_user(dir.path(), &v.name, v.nation, v.role, MARKINGS[v.clearance], &cats);
    }
    // The labelled coalition, imported by the operator.
    let coalition = leak_coalition(&mut Rng(0x2545_f491_4f6c_dd1d), OffsetDateTime::now_utc());
    let file = dir.path().join("coalition.toml");
    std::fs::write(&file, &coalition.toml).unwrap();
    let run = crate::util::truce(
        &["coalition", "import", file.to_str().unwrap(), "--data-dir", dir.path().to_str().unwrap()],
        b"",
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // A vessel from an AIS feed labelled NATO SECRET REL GBR, SWE jumps 150 km in 10 s: its track and its
    // spoofing detection are for those who may see that label, and nobody else sees its MMSI anywhere.
    let vessel_at = |lat: f64, lon: f64, t: i64| {
        let p = truce_ais::encode::Position {
            mmsi: 273_999_001,
            status: 0,
            lat,
            lon,
            speed_kn: Some(12.0),
            course_deg: Some(135.0),
            heading_deg: None,
            second: 0,
        };
        truce_ais::encode::position(&p, truce_ais::encode::Tag { time: Some(t), station: None })
    };
    let t = OffsetDateTime::now_utc().unix_timestamp();
    let nmea = dir.path().join("ais.nmea");
    std::fs::write(&nmea, format!("{}\n{}\n", vessel_at(46.0, 30.9, t - 60), vessel_at(45.0, 32.0, t - 50))).unwrap();
    let config = dir.path().join("truce.toml");
    std::fs::write(
        &config,
        format!(
            "[ais]\nfiles = [{:?}]\nmarking = \"NATO SECRET\"\nreleasable_to = [\"GBR\", \"SWE\"]\n",
            nmea.display().to_string()
        ),
    )
    .unwrap();
    let feed = Record {
        body: Value::Null,
        id: "ais-feed".into(),
        time: OffsetDateTime::now_utc(),
        marking: 3,
        releasable_to: vec!["GBR", "SWE"],
        categories: Vec::new(),
    };
    // A certificate for every user: the Marti API (the devices' REST side) is called as each of them.
    let users: Vec<String> =
        marti::uploaders(dir.path()).into_iter().chain(viewers.iter().map(|v| v.name.clone())).collect();
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    let (ca, certs) = marti::certificates(dir.path(), &users);
    // The watch assesses every 5 s (not every minute), so the burst's alerts are stored while the viewers
    // look; more often slows the harness on two cores.
    let mut args = vec!["--config", config.to_str().unwrap(), "--watch-every", "5"];
    args.extend(marti::SERVE_ARGS);
    let nats = cluster.then(|| crate::cluster::Nats::start(&dir.path().join("nats"), 3));
    let nats_args: Vec<&str> =
        nats.as_ref().map(|n| vec!["--nats", n.urls.as_str(), "--nats-replicas", "3"]).unwrap_or_default();
    args.extend(&nats_args);
    let s = serve_plain(dir.path(), &args);
    // The node the streams are read from: the second node of the cluster, or this one.
    let second_dir = dir.path().join("second");
    let mut second_args = vec!["--watch-every", "5"];
    second_args.extend(&nats_args);
    let second = nats.as_ref().map(|_| serve_plain(&second_dir, &second_args));
    let live = second.as_ref().unwrap_or(&s);
    let admin = s.login("admin", PASSWORD);
    for v in &mut viewers {
        v.token = s.login(&v.name, PASSWORD);
    }

    // The labelled records, stored by the admin (who may give any label), and a burst of GPS jamming
    // on the line in the last hours, released to Sweden only: it raises the early-warning level for
    // those who may see it, and must not for anyone else.
    let mut stored = records(&mut rng, RECORDS, "leak");
    let now = OffsetDateTime::now_utc();
    for i in 0..6i32 {
        let mut r = Record {
            body: Value::Null,
            id: format!("surge{i:04}"),
            time: now - Duration::minutes(i64::from(30 + 10 * i)),
            marking: 0,
            releasable_to: vec!["SWE"],
            categories: Vec::new(),
        };
        r.make_body(&mut rng);
        r.body["category"] = json!("gps_jamming");
        r.body["lat"] = json!(48.28 + f64::from(i) * 0.001);
        r.body["lon"] = json!(37.18);
        stored.push(r);
    }
    let body = Value::Array(stored.iter().map(|r| r.body.clone()).collect()).to_string();
    let reply = s.request_as(Some(&admin), "POST", "/api/v1/observations", body.as_bytes());
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));

    // A case on each of the first incidents, whatever their labels (the case carries their join).
    let admin_view = Viewer {
        name: "admin".into(),
        nation: "GBR",
        role: "admin",
        clearance: 4,
        categories: CATEGORIES.iter().copied().collect(),
        token: admin.clone(),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !get(&s, &admin_view, "/api/v1/detections").1.contains("273999001") {
        assert!(std::time::Instant::now() < deadline, "the AIS feed's spoofing detection within 30 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let window = format!("since={}&until={}", SINCE.date(), UNTIL.date());
    let (_, incidents) = get(&s, &admin_view, &format!("/api/v1/incidents?{window}"));
    let incidents: Value = serde_json::from_str(&incidents).unwrap();
    let mut cases: Vec<(String, Vec<String>)> = Vec::new();
    for inc in incidents["incidents"].as_array().unwrap().iter().take(40) {
        let body = json!({"title": format!("case on {}", inc["id"].as_str().unwrap()), "incidents": [inc["id"]]});
        let reply = s.request_as(Some(&admin), "POST", "/api/v1/cases", body.to_string().as_bytes());
        assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
        let case: Value = serde_json::from_slice(&reply.body).unwrap();
        let parts = inc["observations"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_owned()).collect();
        cases.push((case["id"].as_str().unwrap().to_owned(), parts));
    }
    let by_id: BTreeMap<&str, &Record> = stored.iter().map(|r| (r.id.as_str(), r)).collect();
    let uploader = |nation: &str| marti::cert_of(&users, &certs, &format!("up-{}", nation.to_ascii_lowercase()));
    let devices = marti::Leak::populate(&s, ca, &oracle, uploader, &mut Rng(0x5851_f42d_4c95_7f2d));
    let recent: Vec<Record> = stored.iter().filter(|r| r.time >= SINCE && r.time < UNTIL).cloned().collect();

    // Viewers subscribe to the stream before the second batch, in both forms: one message per event,
    // and batched (`?batch=1`), whose batches must hold only what the viewer may see too.
    let mut streams: Vec<_> = viewers
        .iter()
        .map(|v| {
            let plain = live.stream_as(Some(&v.token)).expect("websocket");
            let batched = live.stream_query_as(Some(&v.token), "batch=1").expect("batched websocket");
            (plain, batched)
        })
        .collect();
    let streamed = records(&mut rng, STREAMED, "live");
    let body = Value::Array(streamed.iter().map(|r| r.body.clone()).collect()).to_string();
    assert_eq!(s.request_as(Some(&admin), "POST", "/api/v1/observations", body.as_bytes()).status, 201);
    // A last, public record marks the end of the batch on every stream (the bus keeps order).
    let end = json!({"id": "end-of-batch", "time": "2026-11-30T12:00:00Z", "category": "muzzle_flash", "lat": 47.9,
        "lon": 37.5, "releasable_to": ["PUBLIC"]});
    assert_eq!(s.request_as(Some(&admin), "POST", "/api/v1/observations", end.to_string().as_bytes()).status, 201);

    let mut checks = Checks::default();
    let mut exercised: BTreeSet<&str> = BTreeSet::new();
    // Viewers that may acknowledge and list an alert among those probed, and those whose
    // acknowledgement of a listed alert was accepted: the probe is not only ever refused.
    let (mut acks_expected, mut acks_accepted) = (0usize, 0usize);
    // The Swedish viewer's alerts (the burst) are stored within a few of the watch's rounds.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !get(&s, &viewers[1], "/api/v1/alerts").1.contains("\"seq\"") {
        assert!(std::time::Instant::now() < deadline, "the Swedish viewer's alert within 60 s");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    // Every alert sequence number some viewer lists, and a few beyond: each viewer probes them all.
    let listed_alerts: BTreeSet<i64> = viewers
        .iter()
        .flat_map(|v| {
            let (_, body) = get(&s, v, "/api/v1/alerts?limit=10000");
            serde_json::from_str::<Value>(&body).unwrap_or(Value::Null)["alerts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["seq"].as_i64())
                .collect::<Vec<_>>()
        })
        .collect();
    let probed = 1..=listed_alerts.last().copied().unwrap_or(0).clamp(0, 200) + 3;
    let all: Vec<Record> = stored.iter().chain(&streamed).cloned().collect();
    let missing_body = |id: &str| {
        format!(r#"{{"error":{{"code":"not_found","message":"no observation with id \"{id}\"","field":"id"}}}}"#)
    };
    for (v, (ws, batched)) in viewers.iter().zip(&mut streams) {
        // The stream: exactly the visible records of the second batch, then the marker.
        let mut got = BTreeSet::new();
        loop {
            let msg = ws.read().expect("a stream message");
            let text = msg.to_text().unwrap_or("").to_owned();
            checks.no_leak(&oracle, v, &streamed, "stream", &text);
            let m: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let id = m["observation"]["id"].as_str().unwrap_or("").to_owned();
            if id == "end-of-batch" {
                break;
            }
            got.insert(id);
        }
        checks.exactly(&oracle, v, &streamed, "stream", &got);
        // The batched stream: the same, however the server grouped it.
        let mut got = BTreeSet::new();
        'batches: loop {
            let msg = batched.read().expect("a batched stream message");
            let text = msg.to_text().unwrap_or("").to_owned();
            checks.no_leak(&oracle, v, &streamed, "batched stream", &text);
            let m: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            checks.check(m["type"] == "batch", || format!("batched stream: {text}"));
            for inner in m["messages"].as_array().into_iter().flatten() {
                let id = inner["observation"]["id"].as_str().unwrap_or("").to_owned();
                if id == "end-of-batch" {
                    break 'batches;
                }
                got.insert(id);
            }
        }
        checks.exactly(&oracle, v, &streamed, "batched stream", &got);
        exercised.insert("/api/v1/stream");

        // Lists and exports.
        let (status, list) = get(&s, v, "/api/v1/observations?limit=10000");
        assert_eq!(status, 200);
        checks.no_leak(&oracle, v, &all, "list", &list);
        checks.exactly(&oracle, v, &all, "list", &ids_in(&serde_json::from_str(&list).unwrap(), "observations"));
        let (_, geo) = get(&s, v, "/api/v1/observations?limit=10000&format=geojson");
        checks.no_leak(&oracle, v, &all, "geojson", &geo);
        let geo: Value = serde_json::from_str(&geo).unwrap();
        let geo_ids: BTreeSet<String> = geo["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["properties"]["id"].as_str().or(f["id"].as_str()).map(str::to_owned))
            .collect();
        checks.exactly(&oracle, v, &all, "geojson", &geo_ids);
        let (_, brief) = get(&s, v, "/api/v1/observations?limit=10000&format=brief");
        checks.no_leak(&oracle, v, &all, "brief", &brief);
        checks.exactly(&oracle, v, &all, "brief", &ids_in(&serde_json::from_str(&brief).unwrap(), "observations"));
        exercised.insert("/api/v1/observations");

        // The list filters against the oracle: a marking list and a nation, read as a viewer of that
        // nation with this viewer's own clearance and categories; the counts of the same filter agree.
        let nation = CODES[v.name.bytes().map(usize::from).sum::<usize>() % 8];
        let as_nation = Viewer { nation, ..v.clone() };
        let selected = |r: &Record| oracle.visible(v, r) && r.marking <= 2 && oracle.visible(&as_nation, r);
        let filter = format!("marking=0,1,NATO%20CONFIDENTIAL&nation={nation}");
        // A list of `query` as this viewer: answered, nothing it may not see, and exactly the records
        // `wanted` selects.
        let mut lists_exactly = |what: &str, query: &str, wanted: &dyn Fn(&Record) -> bool| {
            let (status, list) = get(&s, v, &format!("/api/v1/observations?limit=10000&{query}"));
            checks.check(status == 200, || format!("{what}: {} → {status} {list}", v.name));
            checks.no_leak(&oracle, v, &all, what, &list);
            let listed = ids_in(&serde_json::from_str(&list).unwrap_or(Value::Null), "observations");
            for r in &all {
                checks.check(listed.contains(&r.id) == wanted(r), || {
                    let seen = if listed.contains(&r.id) { "sees" } else { "misses" };
                    format!("{what} ({query}): {} ({} {}) {seen} {}", v.name, v.nation, MARKINGS[v.clearance], r.id)
                });
            }
        };
        lists_exactly("filtered list", &filter, &selected);
        // The spatial filter with a time window (the store's index by day, then cell, and the walk of
        // the time index, beside the access rule): exactly the visible records in the box and the window.
        let (from, to) = (SINCE + Duration::days(5), SINCE + Duration::days(15));
        let spatial = format!("bbox=34,46,37,49&since={}&until={}", from.date(), to.date());
        let in_spatial = |r: &Record| {
            oracle.visible(v, r) && r.body["lon"].as_f64().is_some_and(|x| x <= 37.0) && r.time >= from && r.time < to
        };
        lists_exactly("spatial list", &spatial, &in_spatial);
        let (_, stats) = get(&s, v, &format!("/api/v1/stats?{filter}"));
        let expect = all.iter().filter(|r| selected(r)).count() as u64 + 1;
        let total = serde_json::from_str::<Value>(&stats).unwrap_or(Value::Null)["total"].as_u64();
        checks.check(total == Some(expect), || format!("filtered stats ({filter}): {} {total:?} != {expect}", v.name));
        checks.no_leak(&oracle, v, &all, "filtered stats", &stats);

        // The export, in every format: exactly the visible records for a role that may export, a
        // refusal that shows nothing for the others.
        let exports = ["admin", "watch_officer", "analyst", "commission", "planner", "national_rep"].contains(&v.role);
        for format in ["geojson", "csv", "kml"] {
            let (status, body) = get(&s, v, &format!("/api/v1/export?format={format}"));
            checks.no_leak(&oracle, v, &all, "export", &body);
            if !exports {
                checks.check(status == 403, || format!("export {format}: {} ({}) → {status}", v.name, v.role));
                continue;
            }
            checks.check(status == 200, || format!("export {format}: {} → {status} {body}", v.name));
            let exported: BTreeSet<String> = match format {
                "geojson" => serde_json::from_str::<Value>(&body).unwrap_or(Value::Null)["features"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f["id"].as_str().map(str::to_owned))
                    .collect(),
                "csv" => body.split("\r\n").skip(2).filter_map(|l| l.split(',').next()).map(str::to_owned).collect(),
                _ => body
                    .split("<Data name=\"id\"><value>")
                    .skip(1)
                    .filter_map(|rest| rest.split('<').next())
                    .map(str::to_owned)
                    .collect(),
            };
            checks.exactly(&oracle, v, &all, &format!("export {format}"), &exported);
        }
        exercised.insert("/api/v1/export");

        // One by one: a hidden record answers exactly like a missing one.
        for r in &stored {
            let (status, body) = get(&s, v, &format!("/api/v1/observations/{}", r.id));
            let ok = if oracle.visible(v, r) {
                status == 200
                    && body.contains(&r.canary())
                    && body.contains(&r.observer_canary()) == oracle.sees_observer(v, r)
            } else {
                status == 404 && body == missing_body(&r.id)
            };
            checks.check(ok, || format!("get: {} {} → {status} {body}", v.name, r.id));
        }
        exercised.insert("/api/v1/observations/{id}");

        // Histories: as the record itself; a correction of a hidden record answers like a missing one
        // (or the role's refusal), never with its version or state, and changes nothing.
        for r in &stored {
            let (status, body) = get(&s, v, &format!("/api/v1/observations/{}/history", r.id));
            let ok = if oracle.visible(v, r) {
                status == 200
                    && body.contains(&r.canary())
                    && body.contains(&r.observer_canary()) == oracle.sees_observer(v, r)
            } else {
                status == 404 && body == missing_body(&r.id)
            };
            checks.check(ok, || format!("history: {} {} → {status} {body}", v.name, r.id));
            if !oracle.visible(v, r) {
                let probe = br#"{"version": 1, "reason": "probe", "withdraw": true}"#;
                let reply = s.request_as(Some(&v.token), "PUT", &format!("/api/v1/observations/{}", r.id), probe);
                let body = String::from_utf8_lossy(&reply.body).into_owned();
                let ok = reply.status == 403 || (reply.status == 404 && body == missing_body(&r.id));
                checks.check(ok, || format!("put: {} {} → {} {body}", v.name, r.id, reply.status));
            }
        }
        exercised.insert("/api/v1/observations/{id}/history");

        // Counts.
        let (_, stats) = get(&s, v, "/api/v1/stats");
        let stats: Value = serde_json::from_str(&stats).unwrap();
        // Every viewer sees the public end-of-batch marker too.
        let visible = all.iter().filter(|r| oracle.visible(v, r)).count() as u64 + 1;
        checks
            .check(stats["total"].as_u64() == Some(visible), || format!("stats: {} total {}", v.name, stats["total"]));
        checks.no_leak(&oracle, v, &all, "stats", &stats.to_string());
        exercised.insert("/api/v1/stats");

        // Incidents: made of visible observations only, and every visible one in exactly one.
        let in_window: Vec<Record> = recent.clone();
        for (form, query) in [("incidents", ""), ("brief incidents", "&format=brief")] {
            let (_, inc) = get(&s, v, &format!("/api/v1/incidents?{window}{query}"));
            checks.no_leak(&oracle, v, &all, form, &inc);
            let inc: Value = serde_json::from_str(&inc).unwrap();
            let members: BTreeSet<String> = inc["incidents"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|i| i["observations"].as_array().unwrap().iter().map(|o| o.as_str().unwrap().to_owned()))
                .collect();
            checks.exactly(&oracle, v, &in_window, form, &members);
        }
        exercised.insert("/api/v1/incidents");
        for r in &stored {
            let (status, body) = get(&s, v, &format!("/api/v1/incidents/inc-{}", r.id));
            checks.no_leak(&oracle, v, std::slice::from_ref(r), "incident", &body);
            checks.check(oracle.visible(v, r) || status == 404, || {
                format!("incident: {} inc-{} → {status}", v.name, r.id)
            });
        }
        exercised.insert("/api/v1/incidents/{id}");

        // Derived: series, warning, alerts, reports.
        for (path, route) in [
            (format!("/api/v1/series?{window}"), "/api/v1/series"),
            ("/api/v1/warning".to_owned(), "/api/v1/warning"),
            ("/api/v1/alerts".to_owned(), "/api/v1/alerts"),
            (
                "/api/v1/reports/daily?date=2026-11-20&format=json&edition=restricted".to_owned(),
                "/api/v1/reports/daily",
            ),
            ("/api/v1/reports/daily?date=2026-11-21&format=html&edition=public".to_owned(), "/api/v1/reports/daily"),
            (
                "/api/v1/reports/status?from=2026-11-10&to=2026-11-24&format=json&edition=restricted".to_owned(),
                "/api/v1/reports/status",
            ),
        ] {
            let (status, body) = get(&s, v, &path);
            checks.check(status == 200, || format!("{path}: {} → {status} {body}", v.name));
            checks.no_leak(&oracle, v, &all, route, &body);
            if path.contains("edition=public") {
                // The public edition never locates the monitors, whoever reads it.
                let team =
                    body.match_indices("CANARY").any(|(i, _)| body[i..(i + 24).min(body.len())].contains("TEAM"));
                checks.check(!team, || format!("{path}: {} sees an observer's team", v.name));
            }
            exercised.insert(route);
        }
        for r in stored.iter().take(60) {
            let (status, body) =
                get(&s, v, &format!("/api/v1/reports/spot/inc-{}?format=json&edition=restricted", r.id));
            checks.no_leak(&oracle, v, std::slice::from_ref(r), "spot", &body);
            checks.check(oracle.visible(v, r) || status == 404, || format!("spot: {} {} → {status}", v.name, r.id));
        }
        exercised.insert("/api/v1/reports/spot/{incident}");

        // Cases: visible exactly when every observation behind them is.
        let (_, list) = get(&s, v, "/api/v1/cases");
        checks.no_leak(&oracle, v, &all, "cases", &list);
        let listed = ids_in(&serde_json::from_str(&list).unwrap(), "cases");
        for (id, parts) in &cases {
            let expect = parts.iter().all(|p| by_id.get(p.as_str()).is_some_and(|r| oracle.visible(v, r)));
            checks.check(listed.contains(id) == expect, || format!("cases: {} {id} expected {expect}", v.name));
            let (status, body) = get(&s, v, &format!("/api/v1/cases/{id}"));
            checks.check((status == 200) == expect, || format!("case: {} {id} → {status}", v.name));
            checks.no_leak(&oracle, v, &all, "case", &body);
        }
        exercised.extend(["/api/v1/cases", "/api/v1/cases/{id}"]);

        // The coalition: its lists exactly, hidden plans and nations like missing ones, no hidden canary.
        coalition.check(&s, &oracle, v, &mut checks);

        // The Marti API with the viewer's device certificate.
        exercised.extend(devices.check(&oracle, v, marti::cert_of(&users, &certs, &v.name), &feed, &mut checks));

        // Writes a viewer may not make are refused before anything is read.
        let probe = &cases[0].0;
        let reply = s.request_as(Some(&v.token), "POST", &format!("/api/v1/cases/{probe}/actions"), br#"{"note":"x"}"#);
        let body = String::from_utf8_lossy(&reply.body).into_owned();
        checks.no_leak(&oracle, v, &all, "case action", &body);
        exercised.insert("/api/v1/cases/{id}/actions");

        // The sea and the air: the labelled vessel's detection and track, exactly for those who may see
        // its feed's label; the interference layer (no aircraft here) is empty for everyone.
        let sees = oracle.visible(v, &feed);
        for (path, route, shows) in [
            ("/api/v1/detections", "/api/v1/detections", "273999001"),
            ("/api/v1/tracks", "/api/v1/tracks", "ais-273999001"),
            ("/api/v1/tracks/ais-273999001", "/api/v1/tracks/{uid}", "273999001"),
            ("/api/v1/interference", "/api/v1/interference", "273999001"),
        ] {
            let (status, body) = get(&s, v, path);
            let expect = sees && route != "/api/v1/interference";
            // The history of a hidden track is a 404 that names the uid asked for, as for a missing one.
            let shown = if route == "/api/v1/tracks/{uid}" { status == 200 } else { body.contains(shows) };
            checks.check(shown == expect, || {
                format!(
                    "{path}: {} ({} {}) {status} {}",
                    v.name,
                    v.nation,
                    MARKINGS[v.clearance],
                    if expect { "misses the vessel" } else { "sees the vessel" }
                )
            });
            checks.no_leak(&oracle, v, &all, path, &body);
            exercised.insert(route);
        }

        // The live picture as a file: the vessel exactly for those who may see it, in every format, for a
        // role that may export; a refusal that shows nothing for the others.
        let exports = ["admin", "watch_officer", "analyst", "commission", "planner", "national_rep"].contains(&v.role);
        for format in ["geojson", "csv", "kml"] {
            let (status, body) = get(&s, v, &format!("/api/v1/export/tracks?format={format}"));
            checks.no_leak(&oracle, v, &all, "export/tracks", &body);
            let ok = if exports { status == 200 && body.contains("ais-273999001") == sees } else { status == 403 };
            checks.check(ok, || {
                format!(
                    "export/tracks {format}: {} ({} {} {}) {status}, expected the vessel: {sees}",
                    v.name, v.role, v.nation, MARKINGS[v.clearance]
                )
            });
        }
        exercised.insert("/api/v1/export/tracks");

        // The live picture's filters narrow and never widen: released to Sweden and at NATO SECRET, the
        // vessel exactly for those who may see it; released to Poland or at a lower level, for nobody.
        for (query, narrowed_to) in
            [("nation=SWE", sees), ("marking=3", sees), ("nation=POL", false), ("marking=0,1", false)]
        {
            let (status, body) = get(&s, v, &format!("/api/v1/tracks?{query}"));
            checks.check(status == 200 && body.contains("ais-273999001") == narrowed_to, || {
                format!(
                    "/api/v1/tracks?{query}: {} ({} {}) {status}, expected the vessel: {narrowed_to}",
                    v.name, v.nation, MARKINGS[v.clearance]
                )
            });
            checks.no_leak(&oracle, v, &all, "/api/v1/tracks?filter", &body);
        }

        // The replay window: the labelled vessel's points exactly for those who may see its feed.
        let now = OffsetDateTime::now_utc();
        let window = format!("since={}&until={}", (now - Duration::days(1)).date(), (now + Duration::days(1)).date());
        let (status, body) = get(&s, v, &format!("/api/v1/tracks/history?{window}&limit=10000"));
        let expect = oracle.visible(v, &feed);
        checks.check(status == 200 && body.contains("ais-273999001") == expect, || {
            format!(
                "tracks/history: {} ({} {}) {status}, expected the vessel: {expect}",
                v.name, v.nation, MARKINGS[v.clearance]
            )
        });
        checks.no_leak(&oracle, v, &all, "tracks/history", &body);
        exercised.insert("/api/v1/tracks/history");

        // Acknowledging alerts: a role that may not is refused whatever the alert; for one that may,
        // an alert it does not list answers exactly like a missing one, and nothing is shown.
        let alert_seqs = |v: &Viewer| -> BTreeSet<i64> {
            let (_, body) = get(&s, v, "/api/v1/alerts?limit=10000");
            serde_json::from_str::<Value>(&body).unwrap_or(Value::Null)["alerts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| a["seq"].as_i64())
                .collect()
        };
        let acks = ["admin", "monitor", "watch_officer", "analyst", "commission"].contains(&v.role);
        let before = alert_seqs(v);
        let mut replies = Vec::new();
        for seq in probed.clone() {
            let reply =
                s.request_as(Some(&v.token), "POST", &format!("/api/v1/alerts/{seq}/ack"), br#"{"note":"leak probe"}"#);
            replies.push((seq, reply.status, String::from_utf8_lossy(&reply.body).into_owned()));
        }
        // Alerts raised meanwhile may join the list: a 200 must be listed after, a 404 not before.
        let after = alert_seqs(v);
        if acks && before.iter().any(|seq| probed.contains(seq)) {
            acks_expected += 1;
            acks_accepted += usize::from(replies.iter().any(|(seq, status, _)| *status == 200 && before.contains(seq)));
        }
        for (seq, status, body) in replies {
            checks.no_leak(&oracle, v, &all, "alert ack", &body);
            let missing = format!(r#"{{"error":{{"code":"not_found","message":"no alert \"{seq}\"","field":"seq"}}}}"#);
            let ok = if !acks {
                status == 403
            } else if status == 200 {
                after.contains(&seq)
            } else {
                status == 404 && body == missing && !before.contains(&seq)
            };
            checks.check(ok, || format!("ack {seq}: {} ({}) → {status} {body}", v.name, v.role));
        }
        exercised.insert("/api/v1/alerts/{seq}/ack");

        // Everything else: no canary in any byte.
        for (path, route) in [
            ("/api/v1/tracks", "/api/v1/tracks"),
            ("/api/v1/tracks/leak0001", "/api/v1/tracks/{uid}"),
            ("/api/v1/geofence", "/api/v1/geofence"),
            ("/api/v1/tak/status", "/api/v1/tak/status"),
            ("/api/v1/coalition/summary", "/api/v1/coalition/summary"),
            ("/api/v1/coalition/gaps", "/api/v1/coalition/gaps"),
            ("/api/v1/coalition/nations/GBR/history", "/api/v1/coalition/nations/{nation}/history"),
            ("/api/v1/plans", "/api/v1/plans"),
            ("/api/v1/plans/leak0001", "/api/v1/plans/{id}"),
            ("/api/v1/plans/leak0001/check", "/api/v1/plans/{id}/check"),
            ("/api/v1/regeneration", "/api/v1/regeneration"),
            ("/api/v1/agreement", "/api/v1/agreement"),
            ("/api/v1/agreement/geometry", "/api/v1/agreement/geometry"),
            ("/api/v1/sectors", "/api/v1/sectors"),
            ("/api/v1/vocabulary", "/api/v1/vocabulary"),
            ("/api/v1/basemap", "/api/v1/basemap"),
            ("/api/v1/basemap/places", "/api/v1/basemap/{layer}"),
            ("/api/v1/basemap/roads", "/api/v1/basemap/{layer}"),
            ("/api/v1/openapi.json", "/api/v1/openapi.json"),
            ("/api/v1/me", "/api/v1/me"),
            ("/api/v1/audit", "/api/v1/audit"),
            ("/metrics", "/metrics"),
            ("/healthz", "/healthz"),
        ] {
            let (_, body) = get(&s, v, path);
            checks.no_leak(&oracle, v, &all, path, &body);
            exercised.insert(route);
        }
    }

    // No session, a forged token, and a session after logout: the same 401, nothing else.
    let v = &viewers[0];
    for token in [None, Some("truce_forged0000000000000000000000000000000000000000"), Some(v.token.as_str())] {
        if token == Some(v.token.as_str()) {
            let reply = s.request_as(token, "POST", "/api/v1/logout", b"");
            assert_eq!(reply.status, 204, "logout");
        }
        for path in [
            "/api/v1/observations",
            "/api/v1/stats",
            "/api/v1/cases",
            "/api/v1/warning",
            "/api/v1/detections",
            "/api/v1/interference",
            "/api/v1/tracks/ais-273999001",
            "/api/v1/export?format=csv",
            "/api/v1/tracks/history?since=2026-11-01&until=2026-11-30",
            "/api/v1/observations?nation=POL&polygon=30,44;40,44;40,52",
        ] {
            let reply = s.request_as(token, "GET", path, b"");
            let body = String::from_utf8_lossy(&reply.body).into_owned();
            checks.check(reply.status == 401, || format!("{path} with {token:?} → {}", reply.status));
            checks.no_leak(&oracle, v, &[], path, &body);
            assert!(!body.contains("CANARY"), "{path} without a valid session: {body}");
            assert!(!body.contains("46.0") && !body.contains("spoof"), "{path} without a valid session: {body}");
        }
        checks.check(s.stream_as(token).is_err(), || format!("stream with {token:?} opened"));
        checks.check(s.stream_query_as(token, "batch=1").is_err(), || format!("batched stream with {token:?} opened"));
    }
    exercised.extend(["/api/v1/login", "/api/v1/logout"]);
    exercised.extend(devices.unauthenticated(&mut checks));

    // The burst shows in the warning of the Swedish viewer, and only there.
    let level = |v: &Viewer| {
        let w: Value = serde_json::from_str(&get(&s, v, "/api/v1/warning").1).unwrap();
        w["level"].as_str().unwrap_or("").to_owned()
    };
    assert_ne!(level(&viewers[1]), "normal", "the burst released to Sweden raises the Swedish viewer's level");
    assert_eq!(level(&viewers[2]), "normal", "the Japanese viewer does not see the burst");

    // Derived answers (counts, incidents, series, the warning, a report) must be exactly what a
    // twin server holding only the viewer's visible records answers the same viewer: then nothing
    // hidden contributed to them.
    for v in viewers.iter().skip(1).take(4) {
        let twin_dir = tempfile::tempdir().unwrap();
        add_user(twin_dir.path(), "admin", "GBR", "admin", "COSMIC TOP SECRET", CATEGORIES);
        let cats: Vec<&str> = v.categories.iter().copied().collect();
        add_user(twin_dir.path(), &v.name, v.nation, v.role, MARKINGS[v.clearance], &cats);
        let twin = serve_plain(twin_dir.path(), &[]);
        let twin_admin = twin.login("admin", PASSWORD);
        let twin_viewer = Viewer { token: twin.login(&v.name, PASSWORD), ..v.clone() };
        let mut visible: Vec<Value> = all.iter().filter(|r| oracle.visible(v, r)).map(|r| r.body.clone()).collect();
        visible.push(end.clone());
        let r = twin.request_as(
            Some(&twin_admin),
            "POST",
            "/api/v1/observations",
            Value::Array(visible).to_string().as_bytes(),
        );
        assert_eq!(r.status, 201);
        for path in [
            "/api/v1/stats".to_owned(),
            format!("/api/v1/incidents?{window}"),
            format!("/api/v1/series?{window}&bucket=day"),
            "/api/v1/warning".to_owned(),
            "/api/v1/reports/daily?date=2026-11-20&format=json&edition=restricted".to_owned(),
            "/api/v1/reports/status?from=2026-11-10&to=2026-11-24&format=json&edition=public".to_owned(),
        ] {
            let strip = |text: String| {
                let mut v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.remove("at");
                }
                v
            };
            let here = strip(get(&s, v, &path).1);
            let there = strip(get(&twin, &twin_viewer, &path).1);
            checks.check(here == there, || {
                format!("{path}: {} differs from a store of only what it may see:\n{here}\n{there}", v.name)
            });
        }
    }

    assert_eq!(acks_accepted, acks_expected, "every viewer that may acknowledge a listed alert could");
    eprintln!(
        "leak harness: {acks_accepted} viewer(s) acknowledged one of their alerts; {} alert(s) probed",
        probed.clone().count()
    );

    // The census: every route the server declares was called above.
    let missing: Vec<String> = declared_routes()
        .into_iter()
        .filter(|r| !exercised.contains(r.as_str()) && !r.starts_with("/vendor") && r != "/")
        .collect();
    assert!(missing.is_empty(), "routes the leak harness does not exercise: {missing:?}");
    assert!(
        checks.failures.is_empty(),
        "{} of {} checks failed:\n{}",
        checks.failures.len(),
        checks.done,
        checks.failures.join("\n")
    );
    assert!(checks.done >= 100_000, "only {} checks", checks.done);
    eprintln!("leak harness: {} (viewer, record, surface) checks passed", checks.done);
}
