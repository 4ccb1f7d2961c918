//! The label algebra and the access rule: the shipped policy, dated groups, dominance, aggregates,
//! and the SQL predicate against the Rust rule in a real SQLite database.

use std::collections::BTreeSet;

use proptest::prelude::*;
use time::macros::date;
use time::{Date, OffsetDateTime};
use truce_access::{Access, Action, LabelColumns, Policy, Role, Viewer};
use truce_core::{Label, Marking};

fn viewer(nation: Option<&str>, clearance: Marking, cats: &[&str]) -> Viewer {
    Viewer {
        name: "v".into(),
        nation: nation.map(str::to_owned),
        role: Role::NationalRep,
        clearance,
        categories: cats.iter().map(|c| (*c).to_owned()).collect(),
    }
}

fn label(marking: Marking, rel: &[&str], cats: &[&str]) -> Label {
    Label {
        marking,
        releasable_to: rel.iter().map(|c| (*c).to_owned()).collect(),
        categories: cats.iter().map(|c| (*c).to_owned()).collect(),
    }
}

fn at(d: Date) -> OffsetDateTime {
    d.with_hms(12, 0, 0).map(|t| t.assume_utc()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[test]
fn the_shipped_policy_loads_and_knows_its_groups() {
    let p = Policy::shipped();
    assert_eq!(p.id, "NATO");
    assert_eq!(p.default_release, ["MNFU"]);
    assert!(p.groups.contains_key("NATO") && p.groups.contains_key("EU"));
    assert_eq!(p.groups["NATO"].members.len(), 32);
    assert_eq!(p.groups["EU"].members.len(), 28, "27 members and the United Kingdom until 2020");
}

#[test]
fn finland_and_sweden_are_nato_from_their_accession_days() {
    let p = Policy::shipped();
    let nato = label(Marking::NatoUnclassified, &["NATO"], &[]);
    let fin = Access::new(&p, &viewer(Some("FIN"), Marking::NatoSecret, &[]));
    let swe = Access::new(&p, &viewer(Some("SWE"), Marking::NatoSecret, &[]));
    assert!(!fin.permits(&nato, at(date!(2023 - 04 - 03))));
    assert!(fin.permits(&nato, at(date!(2023 - 04 - 04))));
    assert!(!swe.permits(&nato, at(date!(2024 - 03 - 06))));
    assert!(swe.permits(&nato, at(date!(2024 - 03 - 07))));
    let exp = |d| p.expand(&nato, d).unwrap_or_default();
    assert!(exp(date!(2024 - 03 - 07)).contains("SWE"));
    assert!(!exp(date!(2023 - 12 - 31)).contains("SWE"));
}

#[test]
fn the_united_kingdom_left_the_eu_on_31_january_2020() {
    let p = Policy::shipped();
    let eu = label(Marking::NatoUnclassified, &["EU"], &[]);
    let gbr = Access::new(&p, &viewer(Some("GBR"), Marking::NatoSecret, &[]));
    assert!(gbr.permits(&eu, at(date!(2020 - 01 - 31))));
    assert!(!gbr.permits(&eu, at(date!(2020 - 02 - 01))));
}

#[test]
fn clearance_categories_and_release_each_decide() {
    let p = Policy::shipped();
    let pol = Access::new(&p, &viewer(Some("POL"), Marking::NatoConfidential, &["SOURCES"]));
    let t = at(date!(2026 - 11 - 20));
    assert!(pol.permits(&label(Marking::NatoConfidential, &["POL"], &["SOURCES"]), t));
    assert!(!pol.permits(&label(Marking::NatoSecret, &["POL"], &[]), t), "above clearance");
    assert!(!pol.permits(&label(Marking::NatoUnclassified, &["POL"], &["SIGINT"]), t), "a category not held");
    assert!(!pol.permits(&label(Marking::NatoUnclassified, &["GBR", "FRA"], &[]), t), "not released to POL");
    assert!(pol.permits(&label(Marking::NatoUnclassified, &[], &[]), t), "the default release (MNFU) holds POL");
    let anon = Access::new(&p, &viewer(None, Marking::NatoUnclassified, &[]));
    assert!(!anon.permits(&label(Marking::NatoUnclassified, &[], &[]), t));
    assert!(anon.permits(&label(Marking::NatoUnclassified, &["PUBLIC"], &[]), t));
    assert!(Access::all().permits(&label(Marking::CosmicTopSecret, &["NONE"], &["SIGINT"]), t));
}

#[test]
fn unknown_codes_are_named() {
    let p = Policy::shipped();
    let e = p.check(&label(Marking::NatoUnclassified, &["XYZ"], &[])).unwrap_err();
    assert_eq!(e.field, "releasable_to");
    assert!(e.reason.contains("\"XYZ\""), "{e}");
    let e = p.check(&label(Marking::NatoUnclassified, &["GBR"], &["SECRETSAUCE"])).unwrap_err();
    assert_eq!(e.field, "categories");
}

#[test]
fn a_bad_policy_names_its_key() {
    let bad = truce_access::SHIPPED
        .replace("{ nation = \"FIN\", from = \"2023-04-04\" }", "{ nation = \"FIN\", from = \"2023-13-04\" }");
    let e = Policy::parse(&bad).unwrap_err();
    assert_eq!(e.field, "groups.NATO.members[30].from", "{e}");
    let e = Policy::parse("policy = \"X\"\n").unwrap_err();
    assert!(e.to_string().contains("missing field"), "{e}");
}

#[test]
fn the_permission_table_separates_the_roles() {
    assert!(Role::Monitor.may(Action::SubmitObservation));
    assert!(!Role::NationalRep.may(Action::SubmitObservation));
    assert!(Role::Commission.may(Action::DecideCase) && !Role::Analyst.may(Action::DecideCase));
    assert!(Role::Auditor.may(Action::ReadAudit) && !Role::Analyst.may(Action::ReadAudit));
    assert!(Role::Planner.may(Action::EditCoalition) && !Role::Monitor.may(Action::EditCoalition));
    for r in Role::ALL {
        assert!(r.may(Action::Read));
        assert_eq!(r.id().parse::<Role>(), Ok(*r));
    }
}

const NATIONS: &[&str] = &["GBR", "FRA", "POL", "FIN", "SWE", "UKR", "USA", "AUS", "JPN", "RUS"];
const CODES: &[&str] =
    &["GBR", "FRA", "POL", "FIN", "SWE", "UKR", "USA", "AUS", "NATO", "EU", "FVEY", "MNFU", "PUBLIC"];
const CATS: &[&str] = &["MONITOR-LOCATIONS", "SOURCES", "SIGINT", "COMMISSION"];

fn arb_marking() -> impl Strategy<Value = Marking> {
    (0..Marking::ALL.len()).prop_map(|i| Marking::ALL[i])
}

fn arb_label() -> impl Strategy<Value = Label> {
    (arb_marking(), proptest::sample::subsequence(CODES, 0..4), proptest::sample::subsequence(CATS, 0..3))
        .prop_map(|(m, r, c)| label(m, &r, &c))
}

fn arb_viewer() -> impl Strategy<Value = Viewer> {
    (proptest::option::of(proptest::sample::select(NATIONS)), arb_marking(), proptest::sample::subsequence(CATS, 0..5))
        .prop_map(|(n, m, c)| viewer(n, m, &c))
}

fn arb_day() -> impl Strategy<Value = Date> {
    (0i64..(30 * 365)).prop_map(|d| date!(2000 - 01 - 01) + time::Duration::days(d))
}

/// A label among a few, so that parts released alike follow each other often.
fn arb_alike_label() -> impl Strategy<Value = Label> {
    let releases: [&[&str]; 4] = [&["EU"], &["NATO"], &["EU", "NATO"], &[]];
    (arb_marking(), 0..releases.len()).prop_map(move |(m, r)| label(m, releases[r], &[]))
}

/// A day either side of a change of the groups' members: the United Kingdom leaving the EU, Finland
/// joining NATO.
fn arb_membership_day() -> impl Strategy<Value = Date> {
    proptest::sample::select(vec![
        date!(2020 - 01 - 30),
        date!(2020 - 02 - 01),
        date!(2023 - 04 - 03),
        date!(2023 - 04 - 05),
    ])
}

/// `a` dominates `b` on `day`: higher or equal classification, every category of `b`, and a release
/// set inside `b`'s.
fn dominates(p: &Policy, a: &Label, b: &Label, day: Date) -> bool {
    let sub = match (p.expand(a, day), p.expand(b, day)) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(x), Some(y)) => x.is_subset(&y),
    };
    let ca: BTreeSet<_> = a.categories.iter().collect();
    a.marking.rank() >= b.marking.rank() && b.categories.iter().all(|c| ca.contains(c)) && sub
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn dominance_is_a_partial_order(a in arb_label(), b in arb_label(), c in arb_label(), day in arb_day()) {
        let p = Policy::shipped();
        prop_assert!(dominates(&p, &a, &a, day));
        if dominates(&p, &a, &b, day) && dominates(&p, &b, &c, day) {
            prop_assert!(dominates(&p, &a, &c, day));
        }
        if dominates(&p, &a, &b, day) && dominates(&p, &b, &a, day) {
            prop_assert_eq!(a.marking, b.marking);
            prop_assert_eq!(p.expand(&a, day), p.expand(&b, day));
        }
    }

    /// The join passes over a part released and dated as the one before it; the answer is the one
    /// part by part: the intersection of each part's own join.
    #[test]
    fn a_join_of_parts_released_alike_is_the_join_part_by_part(
        parts in proptest::collection::vec((arb_alike_label(), arb_membership_day(), 1usize..4), 1..6),
    ) {
        let p = Policy::shipped();
        let repeated: Vec<(Label, Date)> =
            parts.iter().flat_map(|(l, d, n)| std::iter::repeat_n((l.clone(), *d), *n)).collect();
        let joined = p.join(repeated.iter().map(|(l, d)| (l, *d)));
        let each: Vec<Option<Label>> = parts.iter().map(|(l, d, _)| p.join([(l, *d)])).collect();
        let by_part = p.rejoin(each.iter().map(Option::as_ref));
        prop_assert_eq!(joined, by_part);
    }

    /// A part that recurs anywhere in the list, not only right after itself, changes nothing: the
    /// join expands each release list and day once and the answer is still the one part by part.
    #[test]
    fn a_join_of_parts_that_recur_anywhere_is_the_join_part_by_part(
        parts in proptest::collection::vec(
            (arb_alike_label(), proptest::sample::subsequence(CATS, 0..2), arb_membership_day()),
            1..5,
        ),
        order in proptest::collection::vec(any::<proptest::sample::Index>(), 1..16),
    ) {
        let p = Policy::shipped();
        let parts: Vec<(Label, Date)> =
            parts.into_iter().map(|(l, c, d)| (Label { categories: c.into_iter().map(str::to_owned).collect(), ..l }, d)).collect();
        let listed: Vec<&(Label, Date)> = order.iter().map(|i| &parts[i.index(parts.len())]).collect();
        let joined = p.join(listed.iter().map(|(l, d)| (l, *d)));
        let each: Vec<Option<Label>> = listed.iter().map(|(l, d)| p.join([(l, *d)])).collect();
        prop_assert_eq!(joined, p.rejoin(each.iter().map(Option::as_ref)));
    }

    #[test]
    fn an_aggregate_released_to_a_viewer_is_releasable_for_each_part(
        parts in proptest::collection::vec((arb_label(), arb_day()), 1..5),
        v in arb_viewer(),
        day in arb_day(),
    ) {
        let p = Policy::shipped();
        let joined = p.join(parts.iter().map(|(l, d)| (l, *d))).unwrap_or_default();
        let access = Access::new(&p, &v);
        for (l, d) in &parts {
            prop_assert!(dominates(&p, &joined, l, *d), "the join dominates every part");
        }
        if access.permits(&joined, at(day)) {
            for (l, d) in &parts {
                prop_assert!(access.permits(l, at(*d)), "a part the viewer may not see: {l:?} on {d}");
            }
        }
    }

    #[test]
    fn viewers_of_one_audience_see_the_same_records(
        a in arb_viewer(),
        b in arb_viewer(),
        labels in proptest::collection::vec((arb_label(), arb_day()), 1..20),
    ) {
        let p = Policy::shipped();
        let (x, y) = (Access::new(&p, &a), Access::new(&p, &b));
        let same_view = a.nation == b.nation && a.clearance.rank() == b.clearance.rank() && a.categories == b.categories;
        prop_assert_eq!(x.audience() == y.audience(), same_view, "{} vs {}", x.audience(), y.audience());
        if x.audience() == y.audience() {
            prop_assert_eq!(x.sees_observer(), y.sees_observer());
            for (l, d) in &labels {
                prop_assert_eq!(x.permits(l, at(*d)), y.permits(l, at(*d)));
            }
        }
        prop_assert_ne!(x.audience(), "*");
    }

    #[test]
    fn group_expansion_depends_on_the_day(nation in proptest::sample::select(NATIONS), day in arb_day()) {
        let p = Policy::shipped();
        let nato = label(Marking::NatoUnclassified, &["NATO"], &[]);
        let member = p.groups["NATO"].members.get(nation).is_some_and(|s| s.iter().any(|s| s.contains(day)));
        let access = Access::new(&p, &viewer(Some(nation), Marking::CosmicTopSecret, CATS));
        prop_assert_eq!(access.permits(&nato, at(day)), member);
    }

    #[test]
    fn the_sql_predicate_is_the_rust_rule(
        rows in proptest::collection::vec((arb_label(), arb_day()), 1..40),
        v in arb_viewer(),
    ) {
        let p = Policy::shipped();
        let access = Access::new(&p, &v);
        let db = rusqlite::Connection::open_in_memory().map_err(|e| TestCaseError::fail(e.to_string()))?;
        db.execute_batch("CREATE TABLE t (id INTEGER, rank INTEGER, rel TEXT, cats TEXT, time_ms INTEGER)")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut expected = Vec::new();
        for (i, (l, d)) in rows.iter().enumerate() {
            let c = LabelColumns::of(l);
            let t = at(*d);
            db.execute(
                "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![i as i64, c.rank, c.rel, c.cats, (t.unix_timestamp() * 1000)],
            ).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if access.permits(l, t) {
                expected.push(i as i64);
            }
        }
        let sql = format!("SELECT id FROM t WHERE {} ORDER BY id", access.sql("rank", "rel", "cats", "time_ms"));
        let mut stmt = db.prepare(&sql).map_err(|e| TestCaseError::fail(format!("{e}: {sql}")))?;
        let got: Vec<i64> = stmt.query_map([], |r| r.get(0)).and_then(Iterator::collect)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got, expected);
    }
}

#[test]
fn a_viewer_sees_the_observer_only_above_the_policy_label() {
    let p = Policy::shipped();
    assert!(!Access::new(&p, &viewer(Some("POL"), Marking::NatoUnclassified, &[])).sees_observer());
    assert!(Access::new(&p, &viewer(Some("POL"), Marking::NatoRestricted, &[])).sees_observer());
}

#[test]
fn the_permission_table_in_the_docs_is_the_code() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/security.md")).unwrap();
    let mut rows = doc.lines().skip_while(|l| !l.starts_with("| action |"));
    let header: Vec<&str> = rows.next().unwrap().split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
    let roles: Vec<Role> = header[1..].iter().map(|r| r.parse().unwrap()).collect();
    assert_eq!(roles, Role::ALL, "one column per role, in order");
    let mut seen = Vec::new();
    for line in rows.skip(1).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).filter(|c| !c.is_empty()).collect();
        let action = *Action::ALL.iter().find(|a| a.id() == cells[0]).unwrap_or_else(|| panic!("{}", cells[0]));
        for (role, cell) in roles.iter().zip(&cells[1..]) {
            assert_eq!(*cell == "yes", role.may(action), "docs/security.md: {role} {action}");
        }
        seen.push(action);
    }
    assert_eq!(seen, Action::ALL, "one row per action, in order");
}

#[test]
fn a_banner_states_classification_categories_and_release() {
    let p = Policy::shipped();
    let day = date!(2026 - 11 - 20);
    let secret = label(Marking::NatoSecret, &["GBR", "FRA"], &["SOURCES"]);
    assert_eq!(p.banner(&secret, day), "NATO SECRET // SOURCES // REL TO FRA, GBR");
    // A join of parts released to NATO is the member nations; the banner names the group again.
    let nato = label(Marking::NatoRestricted, &["NATO"], &[]);
    let joined = p.join([(&nato, day), (&nato, date!(2025 - 01 - 01))]).unwrap();
    assert_ne!(joined.releasable_to, ["NATO"]);
    assert_eq!(p.banner(&joined, day), "NATO RESTRICTED // REL TO NATO");
    // Before Sweden joined, NATO's members on that day name it.
    let before = p.join([(&nato, date!(2024 - 01 - 01))]).unwrap();
    assert_eq!(p.banner(&before, date!(2024 - 01 - 01)), "NATO RESTRICTED // REL TO NATO");
    assert_eq!(p.banner(&label(Marking::NatoUnclassified, &["PUBLIC"], &[]), day), "NATO UNCLASSIFIED");
    assert_eq!(p.banner(&label(Marking::NatoUnclassified, &[], &[]), day), "NATO UNCLASSIFIED // REL TO MNFU");
    let disjoint = p.join([(&label(Marking::NatoUnclassified, &["UKR"], &[]), day), (&secret, day)]).unwrap();
    assert_eq!(p.banner(&disjoint, day), "NATO SECRET // SOURCES // REL TO NONE");
}
