//! Counts and series summed from kept days (`truce_node::kept`) are exactly what reading the store
//! whole gives, for each viewer, after every kind of write.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use truce_access::{Access, Role, Viewer};
use truce_core::{Marking, StoredObservation};
use truce_node::kept::{KEPT_SUMMARY, summary_basis};
use truce_store::{EncodedRow, KeptDay, Query, Revise, Store};
use truce_watch::series::{Bucket, series};

use crate::{node, observation};

const START: OffsetDateTime = datetime!(2026-11-20 00:00 UTC);

/// Observations over six days, some every hour around midnight (so incidents straddle days), half
/// of them NATO SECRET, in and out of the security zone.
fn batch(node: &truce_node::Node, from: usize, n: usize) -> Vec<StoredObservation> {
    (from..from + n)
        .map(|k| {
            let cats = ["explosion_impact", "bursts_and_shots", "weapon_sighting", "explosion_undetermined"];
            let cat = cats[k % cats.len()];
            let mut o = observation(
                &format!("k{k:04}"),
                47.0 + (k % 13) as f64 * 0.12,
                35.5 + (k % 7) as f64 * 0.15,
                cat,
                (cat == "weapon_sighting").then_some("tanks"),
            );
            o.time = START + Duration::minutes((k as i64 * 97) % (6 * 24 * 60));
            o.observer.team = Some(format!("MT-{}", k % 3));
            if k % 2 == 0 {
                o.marking = Marking::NatoSecret;
            }
            node.prepare(o, START, &Access::all()).unwrap()
        })
        .collect()
}

fn viewer(nation: &str, clearance: Marking) -> Access {
    Access::new(
        &truce_access::Policy::shipped(),
        &Viewer {
            name: nation.to_lowercase(),
            nation: Some(nation.into()),
            role: Role::Analyst,
            clearance,
            categories: Default::default(),
        },
    )
}

/// When the data `store` may see begins: its first observation in time order.
fn first_time(store: &dyn Store) -> Option<OffsetDateTime> {
    let first = store.query(&Query { limit: 1, ..Query::default() }).unwrap();
    first.items.first().map(|s| s.observation.time)
}

/// The reference picture: every observation of the look-back read and correlated at once.
fn whole_reading(node: &truce_node::Node, store: &dyn Store, at: OffsetDateTime) -> truce_watch::Assessment {
    let observations = truce_node::watch::load(store, at - Duration::days(36), at).unwrap();
    let incidents = truce_watch::incidents_in_sectors(&observations, &node.sectors, &truce_watch::Rule::default());
    let mut watch = truce_watch::Watch::new(&node.agreement, &node.sectors, truce_watch::Config::default());
    watch.assess(&incidents, first_time(store).unwrap_or(at), at)
}

/// Ten quiet days of reports, then a surge of impacts around Pokrovsk from the eleventh on.
fn quiet_then_surge(node: &truce_node::Node) -> Vec<StoredObservation> {
    let mut all = batch(node, 0, 300);
    all.extend((0..160).map(|k| {
        let mut o = observation(
            &format!("s{k:03}"),
            48.20 + (k % 8) as f64 * 0.02,
            37.05 + (k / 8 % 5) as f64 * 0.05,
            "explosion_impact",
            None,
        );
        o.time = START + Duration::days(10) + Duration::minutes(k * 11);
        o.marking = if k % 3 == 0 { Marking::NatoSecret } else { Marking::NatoRestricted };
        node.prepare(o, START, &Access::all()).unwrap()
    }));
    all
}

/// For each viewer: the kept stats and series equal the store's own, over whole and partial days.
fn check(node: &truce_node::Node, what: &str) {
    for access in [Access::all(), viewer("GBR", Marking::NatoRestricted), viewer("RUS", Marking::NatoUnclassified)] {
        let store = node.view(&access);
        let audience = access.audience();
        for (since, until) in [
            (None, None),
            (Some(START + Duration::days(1)), Some(START + Duration::days(3))),
            (Some(START + Duration::hours(30)), Some(START + Duration::hours(75))),
        ] {
            let q = Query { since, until, ..Query::default() };
            assert_eq!(
                node.kept.stats(&*store, audience, &q).unwrap(),
                store.stats(&q).unwrap(),
                "{what}: stats of {audience} over {since:?}..{until:?}"
            );
        }
        for (since, bucket, buckets) in [
            (START, Bucket::Day, 7),
            (START + Duration::hours(20), Bucket::Hour, 40),
            (START + Duration::days(2), Bucket::Day, 1),
        ] {
            let until = since + bucket.length() * buckets as u32;
            let incidents = truce_node::watch::incidents(&*store, &node.policy, &node.sectors, since, until).unwrap();
            assert_eq!(
                node.kept
                    .incident_list(&*store, &node.policy, &node.sectors, audience, since, until)
                    .unwrap()
                    .iter()
                    .map(|i| &**i)
                    .collect::<Vec<_>>(),
                incidents.iter().collect::<Vec<_>>(),
                "{what}: incidents of {audience} from {since}"
            );
            assert_eq!(
                node.kept
                    .series(&*store, &node.policy, &node.sectors, audience, since, until, bucket, buckets)
                    .unwrap(),
                series(&incidents, &node.sectors, since, bucket, buckets),
                "{what}: series of {audience} from {since}"
            );
        }
    }
}

#[test]
fn kept_counts_and_series_equal_a_fresh_reading_after_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    check(&node, "an empty store");
    node.commit("test", batch(&node, 0, 300)).unwrap();
    check(&node, "stored");
    let (hits_before, _) = node.kept.hits_and_misses();
    check(&node, "again");
    assert!(node.kept.hits_and_misses().0 > hits_before, "the second reading used kept days");
    // A late report into a past day, an amendment that moves one to another day, a withdrawal.
    node.commit("test", batch(&node, 300, 40)).unwrap();
    check(&node, "late reports");
    let store: &dyn Store = &*node.store;
    let mut moved = store.get("k0007").unwrap().unwrap();
    moved.observation.time = START + Duration::days(4) + Duration::minutes(5);
    let row = EncodedRow::new(&moved).unwrap();
    let at = datetime!(2026-11-28 10:00 UTC);
    node.revise(store, &Revise { id: "k0007", expected: 1, by: "t", reason: "date", at, amended: Some(&row) }).unwrap();
    check(&node, "an amendment that moved a day");
    node.revise(store, &Revise { id: "k0010", expected: 1, by: "t", reason: "gone", at, amended: None }).unwrap();
    check(&node, "a withdrawal");
}

/// The picture from kept days of incidents is the picture from reading the whole look-back, for each
/// viewer, and follows a late report into a past day (every observation is before the assessment).
#[test]
fn the_watch_from_kept_days_assesses_as_a_whole_reading_does() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    let all = quiet_then_surge(&node);
    node.commit("test", all).unwrap();
    let check = |what: &str| {
        for access in [Access::all(), viewer("GBR", Marking::NatoRestricted), viewer("RUS", Marking::NatoUnclassified)]
        {
            let store = node.view(&access);
            assert_eq!(
                node.kept.history_start(&*store, access.audience()).unwrap(),
                first_time(&*store),
                "{what}: where the data {} may see begins",
                access.audience()
            );
            for at in [START + Duration::days(11) + Duration::hours(8), START + Duration::days(12)] {
                let mut watch = truce_watch::Watch::new(&node.agreement, &node.sectors, truce_watch::Config::default());
                let (kept, label) = truce_node::watch::assess_kept(
                    &node.kept,
                    &mut watch,
                    &*store,
                    &node.policy,
                    &node.sectors,
                    access.audience(),
                    at,
                )
                .unwrap();
                let whole = whole_reading(&node, &*store, at);
                assert_eq!(kept, whole, "{what}: the picture of {} at {at}", access.audience());
                let stored = truce_node::watch::assess_store(&*store, &node.agreement, &node.policy, &node.sectors, at);
                assert_eq!(stored.unwrap(), whole, "{what}: the command line's picture of {}", access.audience());
                if access.is_all() {
                    assert!(whole.level > truce_watch::Level::Normal, "{what}: the surge is seen: {whole:?}");
                }
                let observations = truce_node::watch::load(&*store, at - Duration::days(36), at).unwrap();
                let expected = truce_node::watch::label_of(&node.policy, &observations).unwrap_or_default();
                assert_eq!(label, expected, "{what}: the label of what {} read", access.audience());
            }
        }
    };
    check("stored");
    assert!(node.kept.hits_and_misses().0 > 0, "the second time and viewer read kept days");
    node.commit("test", batch(&node, 700, 60)).unwrap();
    check("late reports into past days");
}

/// The command line keeps nothing between runs but the day summaries it leaves in the store: a second
/// run reads them back instead of correlating those days again, a summary whose days changed or that
/// does not decode is made again, and each audience has its own.
#[test]
fn the_command_line_reads_day_summaries_back_from_the_store_while_their_days_are_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    node.commit("test", quiet_then_surge(&node)).unwrap();
    let at = START + Duration::days(12) + Duration::hours(3);
    let store = node.view(&Access::all());
    let assess = |store: &dyn Store| {
        truce_node::watch::assess_store(store, &node.agreement, &node.policy, &node.sectors, at).unwrap()
    };
    let whole = whole_reading(&node, &*store, at);
    assert!(whole.level > truce_watch::Level::Normal, "the surge is seen: {whole:?}");
    assert_eq!(assess(&*store), whole, "the first run, which makes the summaries");
    let day = |t: OffsetDateTime| t.unix_timestamp().div_euclid(86_400);
    let (first, surge) = (day(START), day(START + Duration::days(10)));
    let watch = truce_watch::Watch::new(&node.agreement, &node.sectors, truce_watch::Config::default());
    let basis = summary_basis(&node.policy, &node.sectors, &watch);
    for d in (first..first + 6).chain([surge]) {
        let kept = store.kept_day(KEPT_SUMMARY, d).unwrap().unwrap_or_else(|| panic!("day {d} kept"));
        assert!(kept.stamp.starts_with(&format!("{basis};")), "day {d}: {}", kept.stamp);
    }
    assert_eq!(store.kept_day(KEPT_SUMMARY, first + 8).unwrap(), None, "a day with none either side has no summary");
    assert_eq!(store.kept_day(KEPT_SUMMARY, day(at) - 1).unwrap(), None, "yesterday is read whole");
    assert_eq!(assess(&*store), whole, "the second run, from the kept summaries");

    // Read back, not made again: the surge day's summary replaced by a quiet day's (under the surge
    // day's stamp) hides the surge.
    let kept_surge = store.kept_day(KEPT_SUMMARY, surge).unwrap().unwrap();
    let quiet = store.kept_day(KEPT_SUMMARY, first + 3).unwrap().unwrap();
    store.keep_days(KEPT_SUMMARY, &[KeptDay { value: quiet.value, ..kept_surge.clone() }]).unwrap();
    assert_ne!(assess(&*store), whole, "the picture came from the kept summary");

    // A kept value that does not decode is made again and replaced.
    store.keep_days(KEPT_SUMMARY, &[KeptDay { value: b"{not a summary".to_vec(), ..kept_surge.clone() }]).unwrap();
    assert_eq!(assess(&*store), whole, "a summary that does not decode is made again");
    assert_eq!(store.kept_day(KEPT_SUMMARY, surge).unwrap().unwrap(), kept_surge, "and kept again");

    // A late report into a past day changes its counters: that day (and its neighbours) are made again.
    let mut late = observation("late-1", 48.3, 37.1, "explosion_impact", None);
    late.time = START + Duration::days(4) + Duration::hours(23) + Duration::minutes(30);
    node.commit("test", vec![node.prepare(late, START, &Access::all()).unwrap()]).unwrap();
    let before = store.kept_day(KEPT_SUMMARY, first + 5).unwrap().unwrap();
    let whole = whole_reading(&node, &*store, at);
    assert_eq!(assess(&*store), whole, "after a late report");
    let after = store.kept_day(KEPT_SUMMARY, first + 5).unwrap().unwrap();
    assert_ne!(after.stamp, before.stamp, "the neighbour of the changed day was made again");

    // Another audience has its own summaries, made from what it may see.
    let gbr = node.view(&viewer("GBR", Marking::NatoRestricted));
    assert_eq!(gbr.kept_day(KEPT_SUMMARY, surge).unwrap(), None, "nothing kept for GBR yet");
    assert_eq!(assess(&*gbr), whole_reading(&node, &*gbr, at), "GBR's picture");
    let theirs = gbr.kept_day(KEPT_SUMMARY, surge).unwrap().unwrap();
    assert_ne!(theirs.value, store.kept_day(KEPT_SUMMARY, surge).unwrap().unwrap().value, "GBR sees less");
}

/// The CUSUM boundaries of an assessment are kept in the store for its day: a later process reads them
/// back instead of simulating them, but only those made by a watch alike (the stamp) for the very
/// baseline a sector asks about (the key); others are simulated and kept in their place.
#[test]
fn the_command_line_reads_cusum_boundaries_back_from_the_store() {
    use truce_node::kept::KEPT_BOUNDARIES;
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    node.commit("test", quiet_then_surge(&node)).unwrap();
    let at = START + Duration::days(10) + Duration::hours(18);
    let store = node.view(&Access::all());
    let assess = || truce_node::watch::assess_store(&*store, &node.agreement, &node.policy, &node.sectors, at).unwrap();
    let whole = whole_reading(&node, &*store, at);
    let cusum = |a: &truce_watch::Assessment| {
        a.sectors.iter().flat_map(|s| &s.reasons).any(|r| r.detector == truce_watch::Detector::Cusum)
    };
    assert!(cusum(&whole), "the surge raises a CUSUM alarm: {whole:?}");
    assert_eq!(assess(), whole, "the first run, which simulates the boundaries");
    let day = at.unix_timestamp().div_euclid(86_400);
    let kept = store.kept_day(KEPT_BOUNDARIES, day).unwrap().expect("the day's boundaries are kept");
    let watch = truce_watch::Watch::new(&node.agreement, &node.sectors, truce_watch::Config::default());
    assert_eq!(kept.stamp, summary_basis(&node.policy, &node.sectors, &watch));
    let boundaries: Vec<(usize, u64, u64)> = serde_json::from_slice(&kept.value).unwrap();
    assert_eq!(boundaries.len(), node.sectors.sectors.len(), "one a sector");
    assert_eq!(assess(), whole, "the second run, from the kept boundaries");
    assert_eq!(store.kept_day(KEPT_BOUNDARIES, day).unwrap().unwrap(), kept, "nothing new to keep");

    // Read back, not simulated again: boundaries no count can reach, kept under the same keys and
    // stamp, silence every CUSUM.
    let high: Vec<(usize, u64, u64)> = boundaries.iter().map(|&(k, key, _)| (k, key, 1e12f64.to_bits())).collect();
    let value = serde_json::to_vec(&high).unwrap();
    store.keep_days(KEPT_BOUNDARIES, &[KeptDay { value: value.clone(), ..kept.clone() }]).unwrap();
    let read_back = assess();
    assert!(!cusum(&read_back), "the kept boundaries were used: {read_back:?}");

    // Made for other baselines (other keys), or by a watch made otherwise (another stamp): not used,
    // simulated, and the right ones kept in their place.
    let other_keys: Vec<(usize, u64, u64)> = high.iter().map(|&(k, key, h)| (k, key ^ 1, h)).collect();
    for (value, stamp) in [(serde_json::to_vec(&other_keys).unwrap(), kept.stamp.clone()), (value, "another".into())] {
        store.keep_days(KEPT_BOUNDARIES, &[KeptDay { day, stamp, value }]).unwrap();
        assert_eq!(assess(), whole, "boundaries made for something else are simulated again");
    }
    assert_eq!(store.kept_day(KEPT_BOUNDARIES, day).unwrap().unwrap(), kept, "and kept again");

    // A value that does not decode, or more than one a sector (damaged), is not used either; what is
    // kept in its place is one a sector again.
    let mut too_many = high.clone();
    too_many.extend((0..1_000).map(|i| (i % 6, i as u64, 1e12f64.to_bits())));
    for value in [b"[[0,1,".to_vec(), serde_json::to_vec(&too_many).unwrap()] {
        store.keep_days(KEPT_BOUNDARIES, &[KeptDay { value, ..kept.clone() }]).unwrap();
        assert_eq!(assess(), whole, "a damaged value is simulated again");
        assert_eq!(store.kept_day(KEPT_BOUNDARIES, day).unwrap().unwrap(), kept, "and replaced");
    }
}

/// A day's counts are kept in the store as well: a node started later (a fresh `Kept`) reads them back,
/// makes again one that does not decode, and renews one whose day changed.
#[test]
fn a_later_node_reads_each_days_counts_back_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    node.commit("test", batch(&node, 0, 200)).unwrap();
    let store = node.view(&Access::all());
    let whole = store.stats(&Query::default()).unwrap();
    assert_eq!(node.kept.stats(&*store, "*", &Query::default()).unwrap(), whole, "the first reading");
    let day = START.unix_timestamp().div_euclid(86_400) + 2;
    let kept = store.kept_day(truce_node::kept::KEPT_STATS, day).unwrap().expect("the day's counts are kept");
    let later = || truce_node::kept::Kept::default().stats(&*store, "*", &Query::default()).unwrap();
    assert_eq!(later(), whole, "a later node");

    let mut counts: truce_store::Stats = serde_json::from_slice(&kept.value).unwrap();
    counts.total += 1_000;
    let value = serde_json::to_vec(&counts).unwrap();
    store.keep_days(truce_node::kept::KEPT_STATS, &[KeptDay { value, ..kept.clone() }]).unwrap();
    assert_eq!(later().total, whole.total + 1_000, "read back, not counted again");
    store.keep_days(truce_node::kept::KEPT_STATS, &[KeptDay { value: b"{".to_vec(), ..kept.clone() }]).unwrap();
    assert_eq!(later(), whole, "a value that does not decode is counted again");
    assert_eq!(store.kept_day(truce_node::kept::KEPT_STATS, day).unwrap().unwrap(), kept, "and kept again");

    let mut late = observation("late-1", 48.3, 37.1, "explosion_impact", None);
    late.time = START + Duration::days(2) + Duration::hours(5);
    node.commit("test", vec![node.prepare(late, START, &Access::all()).unwrap()]).unwrap();
    let whole = store.stats(&Query::default()).unwrap();
    assert_eq!(later(), whole, "after a late report into that day");
    assert_ne!(store.kept_day(truce_node::kept::KEPT_STATS, day).unwrap().unwrap().stamp, kept.stamp);
}

/// Where the data each viewer may see begins is kept in the store day by day: a node started later
/// reads it back instead of reading each day (for a viewer who sees nothing, every row of the store),
/// finds it again where a kept value does not decode, and follows a late report into an earlier day.
#[test]
fn a_later_node_reads_where_each_viewers_data_begins_back_from_the_store() {
    use truce_node::kept::{KEPT_FIRST, Kept};
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    node.commit("test", batch(&node, 0, 200)).unwrap();
    // A viewer who may see none of it: its answer is every day's `null`.
    let nobody = Access::new(
        &truce_access::Policy::shipped(),
        &Viewer {
            name: "nobody".into(),
            nation: Some("RUS".into()),
            role: Role::Analyst,
            clearance: Marking::NatoUnclassified,
            categories: Default::default(),
        },
    );
    assert_eq!(first_time(&*node.view(&nobody)), None, "a viewer who sees nothing");
    let day0 = START.unix_timestamp().div_euclid(86_400);
    for access in [Access::all(), viewer("GBR", Marking::NatoRestricted), nobody.clone()] {
        let store = node.view(&access);
        let start = node.kept.history_start(&*store, access.audience()).unwrap();
        assert_eq!(start, first_time(&*store), "the first reading, {}", access.audience());
        let later = || Kept::default().history_start(&*store, access.audience()).unwrap();
        assert_eq!(later(), start, "a later node, {}", access.audience());
        let kept = store.kept_day(KEPT_FIRST, day0).unwrap().expect("the first day's answer is kept");
        if start.is_none() {
            assert_eq!(kept.value, b"null", "{} sees none of the first day", access.audience());
            for day in day0..day0 + 6 {
                assert!(store.kept_day(KEPT_FIRST, day).unwrap().is_some(), "day {day} kept for {}", access.audience());
            }
            continue;
        }
        // Read back, not read again: a kept value says where the data begins.
        let earlier = START - Duration::hours(30);
        let value = serde_json::to_vec(&(earlier.unix_timestamp(), 0)).unwrap();
        store.keep_days(KEPT_FIRST, &[KeptDay { value, ..kept.clone() }]).unwrap();
        assert_eq!(later(), Some(earlier), "read back, {}", access.audience());
        store.keep_days(KEPT_FIRST, &[KeptDay { value: b"[1,2000000000]".to_vec(), ..kept.clone() }]).unwrap();
        assert_eq!(later(), start, "a value that does not decode is read again, {}", access.audience());
        assert_eq!(store.kept_day(KEPT_FIRST, day0).unwrap().unwrap(), kept, "and kept again");
    }
    // A late report into the first day: its counter moves, so the day is read and kept anew (the
    // answer the same); then one into the day before, which becomes where the data begins.
    let store = node.view(&Access::all());
    let kept_before = store.kept_day(KEPT_FIRST, day0).unwrap().unwrap();
    for (id, time, start) in [
        ("late-0", START + Duration::hours(3), START),
        ("late-1", START - Duration::hours(5), START - Duration::hours(5)),
    ] {
        let mut late = observation(id, 48.3, 37.1, "explosion_impact", None);
        late.time = time;
        node.commit("test", vec![node.prepare(late, START, &Access::all()).unwrap()]).unwrap();
        assert_eq!(Kept::default().history_start(&*store, "*").unwrap(), Some(start), "after {id}");
    }
    assert_ne!(store.kept_day(KEPT_FIRST, day0).unwrap().unwrap().stamp, kept_before.stamp, "kept anew");
}

/// A day's series points and its counts per hour are kept in the store as well: a node started later
/// reads them back instead of correlating the day (the hours alone for a week from midnight, the points
/// for a period that starts between hours), makes again those that do not decode, and renews a day
/// that changed.
#[test]
fn a_later_node_reads_each_days_series_hours_and_points_back_from_the_store() {
    use truce_node::kept::{KEPT_HOURS, KEPT_SERIES, Kept};
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    node.commit("test", batch(&node, 0, 200)).unwrap();
    let store = node.view(&Access::all());
    // The week from midnight, counted from the days' hours, and from a second later, from their points.
    let until = START + Duration::days(7);
    let between = START + Duration::seconds(1);
    let week = |kept: &Kept, since: OffsetDateTime| {
        kept.series(&*store, &node.policy, &node.sectors, "*", since, until, Bucket::Day, 7).unwrap()
    };
    let fresh = |since: OffsetDateTime| {
        let incidents = truce_node::watch::incidents(&*store, &node.policy, &node.sectors, since, until).unwrap();
        series(&incidents, &node.sectors, since, Bucket::Day, 7)
    };
    let (whole, whole_between) = (fresh(START), fresh(between));
    assert_eq!(week(&node.kept, START), whole, "the first reading");
    assert_eq!(week(&node.kept, between), whole_between, "the first reading from between two hours");
    let day = START.unix_timestamp().div_euclid(86_400) + 2;
    let points = store.kept_day(KEPT_SERIES, day).unwrap().expect("the day's points are kept");
    let hours = store.kept_day(KEPT_HOURS, day).unwrap().expect("the day's hours are kept");
    assert_eq!(week(&Kept::default(), START), whole, "a later node");
    assert_eq!(week(&Kept::default(), between), whole_between, "a later node, from between two hours");

    let total = |s: &truce_watch::series::Series| -> u64 {
        serde_json::to_value(s).unwrap()["sectors"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|c| c.as_object().unwrap().values())
            .flat_map(|c| c["count"].as_array().unwrap().iter().map(|n| n.as_u64().unwrap()))
            .sum()
    };
    // A count added to each kept value shows where that value is read, and only there: the day was
    // read back, not correlated again, and the week from midnight did not read the points.
    for (name, kept) in [(KEPT_SERIES, &points), (KEPT_HOURS, &hours)] {
        let mut values: Vec<serde_json::Value> = serde_json::from_slice(&kept.value).unwrap();
        assert!(!values.is_empty());
        let mut extra = values[0].clone();
        let mut removed = 0;
        if name == KEPT_HOURS {
            // Kept in order, each hour, sector and category once: the day's last hour is replaced.
            removed = values.iter().filter(|v| v[0] == 23).map(|v| v[4].as_u64().unwrap()).sum();
            values.retain(|v| v[0] != 23);
            (extra[0], extra[1], extra[2]) = (23.into(), serde_json::Value::Null, "gps_jamming".into());
        }
        extra[4] = 1_000.into();
        values.push(extra);
        store.keep_days(name, &[KeptDay { value: serde_json::to_vec(&values).unwrap(), ..kept.clone() }]).unwrap();
        let (by_hours, by_points) = (total(&week(&Kept::default(), START)), total(&week(&Kept::default(), between)));
        if name == KEPT_SERIES {
            assert_eq!((by_hours, by_points), (total(&whole), total(&whole_between) + 1_000), "points read back");
        } else {
            assert_eq!(
                (by_hours, by_points),
                (total(&whole) - removed + 1_000, total(&whole_between)),
                "hours read back"
            );
        }
        store.keep_days(name, std::slice::from_ref(kept)).unwrap();
    }
    // The points are not read for the week from midnight: a damaged value stays as it is until a
    // series needs the day's points, which makes it again.
    let broken = KeptDay { value: b"{".to_vec(), ..points.clone() };
    store.keep_days(KEPT_SERIES, std::slice::from_ref(&broken)).unwrap();
    assert_eq!(week(&Kept::default(), START), whole, "from the hours");
    assert_eq!(store.kept_day(KEPT_SERIES, day).unwrap().unwrap().value, broken.value, "the points were not read");
    assert_eq!(week(&Kept::default(), between), whole_between, "a value that does not decode is made again");
    assert_eq!(store.kept_day(KEPT_SERIES, day).unwrap().unwrap().value, points.value, "made again and kept");
    for broken in [&b"{"[..], br#"[[0, 0, null, "no_such_category", 1]]"#] {
        store.keep_days(KEPT_SERIES, &[KeptDay { value: broken.to_vec(), ..points.clone() }]).unwrap();
        assert_eq!(week(&Kept::default(), between), whole_between, "points that do not decode are made again");
        assert_eq!(store.kept_day(KEPT_SERIES, day).unwrap().unwrap().value, points.value, "and kept");
    }
    for broken in [
        &b"{"[..],
        br#"[[0, null, "no_such_category", 1, 1]]"#,
        br#"[[24, null, "gps_jamming", 1, 1]]"#,
        br#"[[3, null, "gps_jamming", 1, 1], [2, null, "gps_jamming", 1, 1]]"#,
    ] {
        store.keep_days(KEPT_HOURS, &[KeptDay { value: broken.to_vec(), ..hours.clone() }]).unwrap();
        assert_eq!(week(&Kept::default(), START), whole, "hours that do not decode are made again");
        assert_eq!(store.kept_day(KEPT_HOURS, day).unwrap().unwrap().value, hours.value, "and kept");
    }

    let mut late = observation("late-1", 48.3, 37.1, "explosion_impact", None);
    late.time = START + Duration::days(2) + Duration::hours(5);
    node.commit("test", vec![node.prepare(late, START, &Access::all()).unwrap()]).unwrap();
    let (whole, whole_between) = (fresh(START), fresh(between));
    assert_eq!(week(&Kept::default(), START), whole, "after a late report into that day");
    assert_eq!(week(&Kept::default(), between), whole_between, "after a late report into that day");
    assert_ne!(store.kept_day(KEPT_SERIES, day).unwrap().unwrap().stamp, points.stamp, "points renewed");
    assert_ne!(store.kept_day(KEPT_HOURS, day).unwrap().unwrap().stamp, hours.stamp, "hours renewed");
}

#[test]
fn audiences_that_see_the_same_incident_hold_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let node = node(dir.path());
    node.commit("test", batch(&node, 0, 300)).unwrap();
    let day = |access: &Access| {
        let store = node.view(access);
        let (since, until) = (START + Duration::days(2), START + Duration::days(3));
        let (days, _) =
            node.kept.incidents(&*store, &node.policy, &node.sectors, access.audience(), since, until).unwrap();
        assert_eq!(days.len(), 1);
        // What was kept is what a fresh reading gives, shared or not.
        let fresh = truce_node::watch::incidents(&*store, &node.policy, &node.sectors, since, until).unwrap();
        assert_eq!(days[0].incidents.iter().map(|i| (**i).clone()).collect::<Vec<_>>(), fresh);
        days[0].clone()
    };
    let gbr = day(&viewer("GBR", Marking::NatoRestricted));
    // Another nation with the same clearance sees the same reports: every incident is GBR's.
    let fra = day(&viewer("FRA", Marking::NatoRestricted));
    assert!(!fra.incidents.is_empty());
    assert!(fra.incidents.iter().zip(&gbr.incidents).all(|(a, b)| std::sync::Arc::ptr_eq(a, b)), "held once");
    // An incident is shared exactly when an incident of the same id kept for another audience is
    // equal to it; the others are the day's own. (shared, own) of a day.
    let sharing = |day: &truce_node::kept::DayIncidents, others: &[&truce_node::kept::DayIncidents]| {
        let (mut shared, mut own) = (0, 0);
        for i in &day.incidents {
            let kept = others.iter().flat_map(|d| &d.incidents);
            match kept.clone().find(|k| k.id == i.id && ***k == **i) {
                Some(k) => {
                    assert!(std::sync::Arc::ptr_eq(k, i), "{} is equal to one kept and not shared", i.id);
                    shared += 1;
                }
                None => {
                    assert!(kept.clone().all(|k| !std::sync::Arc::ptr_eq(k, i)));
                    own += 1;
                }
            }
        }
        (shared, own)
    };
    // A viewer cleared higher sees the secret half too: GBR's incidents where they are alike, its own
    // for the rest.
    let secret = day(&viewer("GBR", Marking::NatoSecret));
    let (shared, own) = sharing(&secret, &[&gbr]);
    assert!(shared > 0 && own > 0, "{shared} shared, {own} its own");
    // Everything sees what that viewer sees: each incident is found in one of two different lists.
    let everything = day(&Access::all());
    assert_eq!(sharing(&everything, &[&gbr, &secret]), (secret.incidents.len(), 0));
}
