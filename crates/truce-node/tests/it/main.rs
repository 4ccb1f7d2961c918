//! Integration tests of the running node: the pipeline, the bus and the feeds, on a real SQLite store
//! and real sockets. One test binary, a module per area.

#![allow(clippy::unwrap_used)]

mod bus;
mod envelope;
mod files;
mod kept;
#[cfg(feature = "nats")]
mod nats;
mod pipeline;
mod sea_air;
mod shipped_agreement;
mod tak;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use truce_node::{LocalBus, Node, data_dir};

/// A file of the repository's `data/`.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(rel)
}

/// A node on a fresh SQLite store in `dir` with the illustrative agreement and an in-process bus.
pub fn node(dir: &Path) -> Arc<Node> {
    let (store, agreement, _) =
        data_dir::open_or_create(dir, None, Some(&data("agreements/illustrative.toml"))).unwrap();
    let sectors = data_dir::load_sectors(None, &agreement).unwrap();
    Arc::new(Node::new(
        store,
        Arc::new(truce_access::Policy::shipped()),
        Arc::new(agreement),
        Arc::new(sectors),
        Arc::new(LocalBus::new()),
    ))
}

/// An observation as the API would parse it.
pub fn observation(
    id: &str,
    lat: f64,
    lon: f64,
    category: &str,
    weapon_class: Option<&str>,
) -> truce_core::Observation {
    let mut v = serde_json::json!({"id": id, "time": "2026-11-25T01:00:00Z", "lat": lat, "lon": lon, "category": category,
        "observer": {"means": "patrol", "team": "MT-1"}, "marking": "NATO RESTRICTED", "releasable_to": ["GBR", "FRA"]});
    if let Some(w) = weapon_class {
        v["weapon_class"] = w.into();
    }
    let options =
        truce_formats::observation::Options { reject_unknown: true, default_means: truce_core::Means::Patrol };
    truce_formats::observation::from_json(v.as_object().unwrap(), options).unwrap()
}

#[test]
fn the_anonymous_viewer_is_configured_and_checked_against_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(dir.path());
    let mut node = Arc::try_unwrap(n).expect("the only handle");
    let mission = truce_core::Label { releasable_to: vec!["MNFU".into()], ..truce_core::Label::default() };
    let at = time::OffsetDateTime::now_utc();
    // By default: no nation, so only what is released to everyone.
    assert!(!node.tak_party(None).access.permits(&mission, at));
    assert!(node.tak_party(None).access.permits(&node.anonymous_label(), at));
    let err = node.set_anonymous(Some("XYZ".into()), truce_core::Marking::NatoUnclassified).unwrap_err();
    assert!(err.to_string().contains("tak.anonymous_nation"), "{err}");
    node.set_anonymous(Some("UKR".into()), truce_core::Marking::NatoUnclassified).unwrap();
    assert!(node.tak_party(None).access.permits(&mission, at), "Ukraine is in the mission's group");
    let secret = truce_core::Label { marking: truce_core::Marking::NatoSecret, ..mission };
    assert!(!node.tak_party(None).access.permits(&secret, at));
}

/// The join of observations' labels passes over one labelled and dated as the one before it: the
/// same label as the join of every observation's own label on its day.
#[test]
fn the_join_of_observations_is_the_join_of_each_ones_label() {
    let policy = truce_access::Policy::shipped();
    let mut all = Vec::new();
    for (k, (time, marking, release)) in [
        ("2020-01-30T12:00:00Z", "NATO UNCLASSIFIED", vec!["FRA", "GBR"]),
        ("2020-01-30T13:00:00Z", "NATO UNCLASSIFIED", vec!["EU"]),
        ("2020-01-30T14:00:00Z", "NATO UNCLASSIFIED", vec!["EU"]),
        ("2020-02-01T12:00:00Z", "NATO RESTRICTED", vec!["EU"]),
        ("2020-02-01T13:00:00Z", "NATO RESTRICTED", vec!["EU"]),
    ]
    .into_iter()
    .enumerate()
    {
        let mut o = observation(&format!("o{k}"), 48.0, 37.0, "explosion_impact", None);
        o.time = time::OffsetDateTime::parse(time, &time::format_description::well_known::Rfc3339).unwrap();
        o.marking = marking.parse().unwrap();
        o.releasable_to = release.into_iter().map(str::to_owned).collect();
        all.push(o);
    }
    let labels: Vec<(truce_core::Label, time::Date)> =
        all.iter().map(|o| (truce_core::Label::of(o), o.time.date())).collect();
    let expected = policy.join(labels.iter().map(|(l, d)| (l, *d))).unwrap();
    let joined = policy.join_observations(&all).unwrap();
    assert_eq!(joined, expected);
    // The United Kingdom left the EU on 31 January 2020: "EU" on the 1st of February is not released
    // to it, although "EU" the day before was.
    assert_eq!(joined.releasable_to, ["FRA"]);
    assert_eq!(joined.marking, truce_core::Marking::NatoRestricted);
}

/// `Joins` lends each distinct set of labels' join made once; every answer is the join of the set's
/// own labels one by one, whatever labels and days recur in it or in the sets before it.
#[test]
fn joins_of_many_sets_are_the_joins_of_each_sets_labels() {
    let policy = truce_access::Policy::shipped();
    let days = ["2020-01-30T12:00:00Z", "2020-02-01T12:00:00Z", "2023-04-03T12:00:00Z", "2023-04-05T12:00:00Z"];
    let releases: [&[&str]; 5] = [&["EU"], &["NATO"], &["FRA", "GBR", "FIN"], &[], &["PUBLIC"]];
    let markings = ["NATO UNCLASSIFIED", "NATO RESTRICTED", "NATO SECRET"];
    let cats: [&[&str]; 3] = [&[], &["SOURCES"], &["MONITOR-LOCATIONS", "SOURCES"]];
    let mut seed = 7u64;
    let mut pick = |n: usize| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize % n
    };
    let all: Vec<_> = (0..60)
        .map(|k| {
            let mut o = observation(&format!("o{k}"), 48.0, 37.0, "explosion_impact", None);
            let day = days[pick(days.len())];
            o.time = time::OffsetDateTime::parse(day, &time::format_description::well_known::Rfc3339).unwrap();
            o.marking = markings[pick(markings.len())].parse().unwrap();
            o.releasable_to = releases[pick(releases.len())].iter().map(|c| (*c).to_owned()).collect();
            o.categories = cats[pick(cats.len())].iter().map(|c| (*c).to_owned()).collect();
            o
        })
        .collect();
    let one_by_one = |set: &[&truce_core::Observation]| {
        let each: Vec<_> = set.iter().map(|o| policy.join([(&truce_core::Label::of(o), o.time.date())])).collect();
        policy.rejoin(each.iter().map(Option::as_ref))
    };
    let mut joins = truce_access::Joins::new(&policy);
    let mut sets = 0;
    // Sets of one to five, taken twice (the second time from what was made), and sets sharing labels.
    for _ in 0..2 {
        for size in 1..=5 {
            for start in (0..all.len() - size).step_by(3) {
                let set: Vec<_> = all[start..start + size].iter().collect();
                assert_eq!(joins.of(set.iter().copied()).cloned(), one_by_one(&set), "{set:?}");
                sets += 1;
            }
        }
    }
    assert!(sets > 100);
    let everything: Vec<_> = all.iter().collect();
    assert_eq!(policy.join_observations(&all), one_by_one(&everything));
    assert_eq!(joins.of(std::iter::empty()), None);
}

#[test]
fn an_incident_carries_the_join_of_its_observations_labels() {
    use time::macros::datetime;
    let dir = tempfile::tempdir().unwrap();
    let n = node(dir.path());
    let all = truce_access::Access::all();
    let at = datetime!(2026-11-25 02:00 UTC);
    // The same explosion seen by two teams: one report for the United Kingdom and France (NATO
    // RESTRICTED), one with the policy's default release (the mission's group, NATO UNCLASSIFIED).
    let a = observation("a", 48.73, 37.55, "explosion_impact", None);
    let mut b = observation("b", 48.7301, 37.5501, "explosion_impact", None);
    b.observer.team = Some("MT-2".into());
    b.marking = truce_core::Marking::NatoUnclassified;
    b.releasable_to = Vec::new();
    let batch = vec![n.prepare(a, at, &all).unwrap(), n.prepare(b, at, &all).unwrap()];
    n.commit("test", batch).unwrap();
    let list = truce_node::watch::incidents(
        &*n.store,
        &n.policy,
        &n.sectors,
        datetime!(2026-11-25 00:00 UTC),
        datetime!(2026-11-26 00:00 UTC),
    )
    .unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    let i = &list[0];
    assert_eq!(i.observations.len(), 2);
    assert_eq!(i.marking, truce_core::Marking::NatoRestricted, "the highest");
    assert_eq!(i.releasable_to[..], ["FRA", "GBR"], "the intersection, the default release expanded");
}
