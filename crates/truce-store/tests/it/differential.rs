//! The two backends side by side: the same random sequence of operations on an embedded store and on
//! a PostgreSQL store, every answer compared (values exactly; errors by kind and, for conflicts, by the
//! fields named). Several seeds; a failure names the seed and the step, so it can be replayed.

use std::fmt::Debug;
use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use truce_access::{Access, Policy, Role, Viewer};
use truce_core::{AlertRow, Category, GeofenceKind, Marking, Means, StoredObservation};
use truce_store::conformance::observations::{T0, observation};
use truce_store::conformance::tracks::{fence, point};
use truce_store::{EncodedRow, Query, Revise, SqliteStore, Store, StoreError, TrackWindow};

/// Operations per seed.
const STEPS: usize = 400;

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
    fn float(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (self.next() % 1_000_000) as f64 / 1_000_000.0 * (hi - lo)
    }
    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len())]
    }
}

const CODES: &[&str] = &["GBR", "FRA", "FIN", "NATO", "EU", "PUBLIC", "UKR"];
const NATIONS: &[&str] = &["GBR", "FRA", "FIN", "UKR", "JPN"];
const CATEGORIES: &[Category] =
    &[Category::ExplosionImpact, Category::MuzzleFlash, Category::BurstsAndShots, Category::WeaponSighting];

/// A random observation: a small pool of ids (so repeats and conflicts happen), a region around the
/// line, a month of times, random labels.
fn random_observation(rng: &mut Rng) -> StoredObservation {
    let id = format!("o{}", rng.below(120));
    let mut o = observation(
        &id,
        rng.below(60 * 24 * 30) as i64,
        rng.float(46.5, 50.5),
        rng.float(33.0, 39.0),
        *rng.pick(CATEGORIES),
    );
    o.observation.marking = *rng.pick(Marking::ALL);
    o.observation.releasable_to = (0..rng.below(3)).map(|_| (*rng.pick(CODES)).to_owned()).collect();
    o.observation.releasable_to.sort();
    o.observation.releasable_to.dedup();
    if rng.below(4) == 0 {
        o.observation.categories = vec!["SOURCES".into()];
    }
    if rng.below(3) == 0 {
        o.observation.observer.means = Means::Uav;
    }
    o
}

fn viewer(rng: &mut Rng) -> Access {
    let v = Viewer {
        name: "v".into(),
        nation: Some((*rng.pick(NATIONS)).into()),
        role: Role::Analyst,
        clearance: *rng.pick(Marking::ALL),
        categories: if rng.below(2) == 0 { ["SOURCES".to_owned()].into() } else { Default::default() },
    };
    Access::new(&Policy::shipped(), &v)
}

/// A random query: each filter present or not.
fn random_query(rng: &mut Rng) -> Query {
    let mut q = Query { limit: 1 + rng.below(40), ..Query::default() };
    if rng.below(3) == 0 {
        let from = T0 + Duration::hours(rng.below(24 * 30) as i64);
        q.since = Some(from);
        q.until = Some(from + Duration::hours(1 + rng.below(24 * 10) as i64));
    }
    match rng.below(5) {
        0 => {
            let (w, s) = (rng.float(33.0, 38.0), rng.float(46.5, 50.0));
            q.bbox = Some([w, s, w + rng.float(0.1, 3.0), s + rng.float(0.1, 2.0)]);
        }
        1 => q.near = Some((rng.float(46.5, 50.5), rng.float(33.0, 39.0), rng.float(1.0, 150.0))),
        2 => {
            let (lon, lat) = (rng.float(33.0, 37.0), rng.float(46.5, 49.5));
            let ring =
                vec![(lon, lat), (lon + 2.0, lat), (lon + 1.0, lat + 0.5), (lon + 2.0, lat + 1.0), (lon, lat + 1.0)];
            q.polygon = Some(
                truce_geo::Polygon::new(ring.into_iter().map(|(x, y)| truce_geo::LonLat::new(x, y)).collect()).unwrap(),
            );
        }
        _ => {}
    }
    if rng.below(3) == 0 {
        q.category = vec![*rng.pick(CATEGORIES)];
    }
    if rng.below(5) == 0 {
        q.violation = vec!["cfv_in_security_zone".into()];
    }
    if rng.below(5) == 0 {
        q.zone = Some("security_zone".into());
    }
    if rng.below(5) == 0 {
        q.means = vec![Means::Uav];
    }
    if rng.below(5) == 0 {
        q.marking = vec![*rng.pick(Marking::ALL)];
    }
    if rng.below(4) == 0 {
        q.releasable = Some(viewer(rng));
    }
    q
}

/// An answer in the form both backends must give: the value's debug form, or the error's kind.
fn answer<T: Debug>(r: Result<T, StoreError>) -> String {
    match r {
        Ok(v) => format!("{v:?}"),
        Err(StoreError::Conflict(c)) => format!("conflict {c:?}"),
        Err(StoreError::Stale { expected, current, .. }) => format!("stale {expected} {current}"),
        Err(StoreError::Withdrawn { version, .. }) => format!("withdrawn {version}"),
        Err(StoreError::NotFound(what)) => format!("not found {what}"),
        Err(StoreError::Invalid { id, .. }) => format!("invalid {id}"),
        Err(StoreError::BadCursor(c)) => format!("bad cursor {c}"),
        Err(e) => panic!("a backend failed: {e}"),
    }
}

/// Every page of a query, items and whether there was a next page; cursors themselves are each
/// backend's own.
fn all_pages(store: &dyn Store, q: &Query) -> String {
    let mut q = q.clone();
    let mut out = String::new();
    for _ in 0..1_000 {
        match store.query(&q) {
            Ok(page) => {
                out.push_str(&format!("{:?}|", page.items));
                match page.next {
                    Some(c) => q.cursor = Some(c),
                    None => return out,
                }
            }
            Err(e) => return answer::<()>(Err(e)),
        }
    }
    panic!("more than 1,000 pages");
}

/// One random operation on `store`; the answer.
fn step(rng: &mut Rng, store: &dyn Store, now: OffsetDateTime) -> String {
    match rng.below(12) {
        0..=2 => {
            let batch: Vec<_> = (0..1 + rng.below(12)).map(|_| random_observation(rng)).collect();
            answer(store.insert(&batch))
        }
        3 => {
            let id = format!("o{}", rng.below(120));
            let amended = random_observation(rng);
            let mut amended = amended.clone();
            amended.observation.id = id.clone();
            let row = EncodedRow::new(&amended).expect("an encodable row");
            let r = Revise {
                id: &id,
                expected: 1 + rng.below(3) as u32,
                by: "differ",
                reason: "a random correction",
                at: now,
                amended: if rng.below(3) == 0 { None } else { Some(&row) },
            };
            answer(store.revise(&r))
        }
        4..=5 => all_pages(store, &random_query(rng)),
        6 => {
            let scoped = store.scoped(viewer(rng));
            all_pages(scoped.as_ref(), &random_query(rng))
        }
        7 => {
            let q = random_query(rng);
            answer(store.stats(&q)) + &answer(store.scoped(viewer(rng)).stats(&q))
        }
        8 => {
            let id = format!("o{}", rng.below(120));
            let scoped = store.scoped(viewer(rng));
            answer(store.history(&id)) + &answer(scoped.history(&id)) + &answer(scoped.get(&id))
        }
        9 => {
            let q = random_query(rng);
            answer(store.revisions_since(&q, T0)) + &answer(store.count())
        }
        10 => {
            let uid = format!("T{}", rng.below(10));
            let second = rng.below(3_600) as i64;
            let points = vec![point(&uid, "a-f-G-U-C", second, 1 + rng.below(30) as i64)];
            let kind = *rng.pick(&[GeofenceKind::Enter, GeofenceKind::Exit, GeofenceKind::Inside]);
            let fences = if rng.below(3) == 0 { vec![fence(&uid, second, kind)] } else { Vec::new() };
            // The suite's tracks start at 2026-11-22 08:00 UTC.
            let t0 = point("x", "a", 0, 0).time;
            let at = t0 + Duration::seconds(rng.below(3_600) as i64);
            let w =
                TrackWindow { since: Some(t0), until: Some(at), limit: 1 + rng.below(20), ..TrackWindow::default() };
            answer(store.insert_tracks(&points, &fences))
                + &answer(store.latest_tracks(at))
                + &answer(store.track_history(&uid, 1 + rng.below(5)))
                + &answer(store.track_window(&w))
                + &answer(store.geofence_events(rng.below(5) as i64, 10))
        }
        _ => {
            let alert = AlertRow {
                seq: 0,
                at: now + Duration::minutes(rng.below(100) as i64),
                scope: format!("s{}", rng.below(3)),
                level: (*rng.pick(&["normal", "elevated", "high"])).into(),
                previous: "normal".into(),
                body: "{}".into(),
                label: Default::default(),
                audience: (*rng.pick(&["*", "GBR", "FRA"])).into(),
            };
            let scoped = store.scoped(viewer(rng));
            answer(store.record_alert(&alert))
                + &answer(store.latest_alerts())
                + &answer(scoped.alerts(None, None, 50))
                + &answer(scoped.latest_alerts())
        }
    }
}

fn run(seed: u64) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    let (_schema, pg) = super::postgres::open();
    let pg: Arc<dyn Store> = Arc::new(pg);
    let now = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
    for i in 0..STEPS {
        // Each backend gets its own copy of the generator at the same state: the same operation.
        let state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(i as u64 + 1) | 1;
        let want = step(&mut Rng(state), sqlite.as_ref(), now);
        let got = step(&mut Rng(state), pg.as_ref(), now);
        if want != got {
            let at = want.bytes().zip(got.bytes()).take_while(|(a, b)| a == b).count();
            let from = want[..at].char_indices().rev().nth(200).map_or(0, |(k, _)| k);
            let around = |s: &str| s[from..].chars().take(500).collect::<String>();
            panic!(
                "seed {seed}, step {i}: the backends answer differently from byte {at}\nsqlite:   …{}\npostgres: …{}",
                around(&want),
                around(&got)
            );
        }
    }
    // The same store at the end, whole.
    let everything = Query { limit: 10_000, ..Query::default() };
    assert_eq!(all_pages(sqlite.as_ref(), &everything), all_pages(pg.as_ref(), &everything), "seed {seed}: at the end");
}

#[test]
fn the_backends_answer_alike_seed_1() {
    run(1);
}

#[test]
fn the_backends_answer_alike_seed_2() {
    run(2);
}

#[test]
fn the_backends_answer_alike_seed_3() {
    run(3);
}
