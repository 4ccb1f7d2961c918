//! Every plan rule on small plans at real places, with the illustrative agreement (a 50 km force
//! stand-off band and a 15 km no-fly band along the line of contact `loc`) and the shipped theatre.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use truce_access::Policy;
use truce_coalition::plan::{Finding, PlanCheck, Severity};
use truce_coalition::{Coalition, file, plan};
use truce_engine::Agreement;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(rel)
}

fn agreement() -> &'static Agreement {
    static A: std::sync::OnceLock<Agreement> = std::sync::OnceLock::new();
    A.get_or_init(|| Agreement::load(&data("agreements/illustrative.toml")).unwrap())
}

/// Nations, a theatre and a few pledges; each test adds units and a plan.
const BASE: &str = r#"
[[measures]]
id = "company"
name = "company"
[[measures]]
id = "personnel"
name = "personnel"
[[nations]]
id = "UKR"
name = "Ukraine"
[[nations]]
id = "DEU"
name = "Germany"
[[nations]]
id = "EST"
name = "Estonia"
[[nations]]
id = "GBR"
name = "United Kingdom"
[[nations]]
id = "ITA"
name = "Italy"

[theatre]
host = "UKR"
neighbours = ["POL", "SVK", "HUN", "ROU"]
forbidden = ["RUS", "BLR"]
airspace = ["POL", "SVK", "HUN", "ROU"]
countries = "../geo/ukraine_and_neighbours_land_10km.geojson"
seas = ["../geo/black_sea_10m.geojson"]

[[pledges]]
id = "deu-land"
nation = "DEU"
domain = "land"
capability = "A contribution from NATO territory neighbouring Ukraine"
measure = "personnel"
where = ["neighbouring"]
conditions = ["us_backstop"]
[[pledges.history]]
date = "2026-01-06"
dated = "by"
status = "conditional"
source = "stern.de (national statement)"
quote = "later: a contribution from NATO territory neighbouring Ukraine, conditional on a binding US guarantee and backstop"

[[pledges]]
id = "est-company"
nation = "EST"
domain = "land"
capability = "A company-sized unit"
quantity = 1
measure = "company"
[[pledges.history]]
date = "2026-01-06"
status = "committed"
source = "test"
quote = "a company-sized unit"

[[pledges]]
id = "gbr-land"
nation = "GBR"
domain = "land"
capability = "Troops"
quantity = 1000
measure = "personnel"
[[pledges.history]]
date = "2026-01-06"
status = "committed"
source = "test"
quote = "troops"

[[pledges]]
id = "gbr-sea"
nation = "GBR"
domain = "sea"
capability = "Ships"
[[pledges.history]]
date = "2026-01-06"
status = "committed"
source = "test"
quote = "ships"

[[pledges]]
id = "gbr-air"
nation = "GBR"
domain = "air"
capability = "Aircraft"
[[pledges.history]]
date = "2026-01-06"
status = "committed"
source = "test"
quote = "aircraft"

[[pledges]]
id = "ita-troops"
nation = "ITA"
domain = "land"
capability = "Troops"
[[pledges.history]]
date = "2026-01-06"
status = "declined"
source = "test"
quote = "no troops"

[[units]]
id = "deu-bn"
name = "German battalion"
nation = "DEU"
domain = "land"
type = "battalion"
sidc = "10031000161211000000"
strength = 700
pledge = "deu-land"

[[units]]
id = "est-1"
name = "Estonian company"
nation = "EST"
domain = "land"
type = "company"
sidc = "10031000151211000000"
strength = 150
pledge = "est-company"

[[units]]
id = "est-2"
name = "Estonian company (second)"
nation = "EST"
domain = "land"
type = "company"
sidc = "10031000151211000000"
strength = 150
pledge = "est-company"

[[units]]
id = "gbr-a"
name = "UK battalion A"
nation = "GBR"
domain = "land"
type = "battalion"
sidc = "10031000161211000000"
strength = 600
pledge = "gbr-land"

[[units]]
id = "gbr-b"
name = "UK battalion B"
nation = "GBR"
domain = "land"
type = "battalion"
sidc = "10031000161211000000"
strength = 600
pledge = "gbr-land"

[[units]]
id = "gbr-ship"
name = "UK frigate"
nation = "GBR"
domain = "sea"
type = "frigate"
sidc = "10033000001202040000"
strength = 180
pledge = "gbr-sea"

[[units]]
id = "gbr-jets"
name = "UK fighters"
nation = "GBR"
domain = "air"
type = "fighter flight"
sidc = "10030100001101040000"
strength = 60
pledge = "gbr-air"

[[units]]
id = "ita-coy"
name = "Italian company"
nation = "ITA"
domain = "land"
type = "company"
sidc = "10031000151211000000"
strength = 150

[[places]]
id = "odesa-port"
name = "Odesa port"
kind = "port"
position = [30.74, 46.49]
"#;

/// Checks a plan written as TOML (the `[[plans]]` table and its entries) on top of [`BASE`].
fn check(plan_toml: &str) -> PlanCheck {
    let text = format!("{BASE}\n{plan_toml}");
    // A path in data/coalition/ so that the theatre's relative geometry paths resolve.
    let path = data("coalition/test-plan.toml");
    let loaded = match file::load_texts(&[(path, text)], &Coalition::default(), &Policy::shipped()) {
        Ok(l) => l,
        Err(e) => panic!("the test plan does not load:\n{e}"),
    };
    let c = loaded.merged;
    plan::check(agreement(), &c, &c.plans[0]).unwrap()
}

fn one(unit: &str, at: [f64; 2], from: &str, until: Option<&str>) -> String {
    let until = until.map(|u| format!("until = \"{u}\"\n")).unwrap_or_default();
    format!(
        "[[plans]]\nid = \"p\"\nname = \"P\"\n[[plans.deployments]]\nunit = \"{unit}\"\nposition = [{}, {}]\nfrom = \"{from}\"\n{until}",
        at[0], at[1]
    )
}

fn rules(c: &PlanCheck) -> Vec<&'static str> {
    c.findings.iter().map(|f| f.rule).collect()
}

fn find<'a>(c: &'a PlanCheck, rule: &str) -> &'a Finding {
    c.findings.iter().find(|f| f.rule == rule).unwrap_or_else(|| panic!("no {rule} finding in {:#?}", c.findings))
}

/// A point on Ukraine's side of `loc`, `km` from it: along the ray from the line's vertex at Chasiv Yar
/// towards Kramatorsk (north-west), where the distance grows steadily.
fn at_km_from_loc(km: f64) -> [f64; 2] {
    let line = &agreement().lines[0];
    let start = line.parts[0][5];
    assert!(line.index().query(start).distance_m < 1.0);
    let d = |t: f64| {
        let p = truce_geo::geodesic::destination(start, 300.0, t);
        (p, line.index().query(p).distance_m)
    };
    let (mut lo, mut hi) = (0.0, 300_000.0);
    for _ in 0..80 {
        let mid = (lo + hi) / 2.0;
        if d(mid).1 < km * 1000.0 { lo = mid } else { hi = mid }
    }
    let (p, m) = d((lo + hi) / 2.0);
    assert!((m - km * 1000.0).abs() < 1.0, "{m}");
    [p.lon, p.lat]
}

#[test]
fn a_unit_10_km_from_the_line_is_inside_the_50_km_standoff_and_at_60_km_it_is_not() {
    let c = check(&one("gbr-a", at_km_from_loc(10.0), "2026-12-01", None));
    let f = find(&c, "standoff");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.unit, "gbr-a");
    assert_eq!(f.measured, Some(10.0));
    assert_eq!(f.limit, Some(50.0));
    assert_eq!(
        f.message,
        "unit gbr-a (GBR) is 10.0 km from loc; the force's minimum stand-off is 50 km (agreement zone force_standoff)"
    );
    let c = check(&one("gbr-a", at_km_from_loc(60.0), "2026-12-01", None));
    assert!(!rules(&c).contains(&"standoff"), "{:#?}", c.findings);
    assert_eq!(c.errors, 0, "{:#?}", c.findings);
}

#[test]
fn the_plans_own_standoff_applies_when_it_is_larger() {
    let plan = one("gbr-a", at_km_from_loc(60.0), "2026-12-01", None)
        .replace("name = \"P\"", "name = \"P\"\nstandoff_km = 70");
    let c = check(&plan);
    let f = find(&c, "standoff");
    assert_eq!(f.message, "unit gbr-a (GBR) is 60.0 km from loc; the force's minimum stand-off is 70 km (plan p)");
    // A smaller plan stand-off does not weaken the agreement's.
    let plan = one("gbr-a", at_km_from_loc(30.0), "2026-12-01", None)
        .replace("name = \"P\"", "name = \"P\"\nstandoff_km = 20");
    assert_eq!(find(&check(&plan), "standoff").limit, Some(50.0));
}

#[test]
fn a_german_unit_inside_ukraine_is_flagged_with_the_pledges_caveat_quoted() {
    // Lviv: inside Ukraine, 660 km from the line.
    let c = check(&one("deu-bn", [24.03, 49.84], "2026-12-01", None));
    let f = find(&c, "caveat");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(f.unit, "deu-bn");
    assert!(
        f.message.starts_with(
            "unit deu-bn (DEU) is inside Ukraine; Germany's pledge deu-land allows only on neighbouring territory"
        ),
        "{}",
        f.message
    );
    assert!(
        f.message.contains("\"later: a contribution from NATO territory neighbouring Ukraine, conditional on a binding US guarantee and backstop\" (stern.de (national statement), by 06 Jan 2026)"),
        "{}",
        f.message
    );
    assert!(f.quote.as_deref().unwrap().contains("binding US guarantee"));
    // In Poland (Lublin) it is where the pledge allows.
    let c = check(&one("deu-bn", [22.57, 51.25], "2026-12-01", None));
    assert!(!rules(&c).contains(&"caveat"), "{:#?}", c.findings);
    // Conditional pledge: a warning naming the condition.
    assert!(find(&c, "pledge_status").message.contains("conditional on us_backstop"));
}

#[test]
fn ground_held_by_the_other_party_and_forbidden_territory() {
    // Donetsk: inside Ukraine's borders, on Russia's side of the line.
    let c = check(&one("gbr-a", [37.80, 48.00], "2026-12-01", None));
    let f = find(&c, "beyond_line");
    assert!(f.message.contains("held by rus") && f.message.contains("41.2 km beyond loc"), "{}", f.message);
    // Simferopol, Crimea: in both the UKR and the RUS polygon of the OSM-derived file.
    let c = check(&one("gbr-a", [34.10, 44.95], "2026-12-01", None));
    assert!(find(&c, "beyond_line").message.contains("(Crimea)"));
    assert!(!rules(&c).contains(&"forbidden_territory"));
    // Odesa lies beyond the south-western end of the line, where its side is an extrapolation: no finding.
    let c = check(&one("gbr-a", [30.72, 46.48], "2026-12-01", None));
    assert!(!rules(&c).contains(&"beyond_line"), "{:#?}", c.findings);
    // Belgorod, Russia; Minsk, Belarus.
    for at in [[36.60, 50.60], [27.56, 53.90]] {
        let c = check(&one("gbr-a", at, "2026-12-01", None));
        assert!(rules(&c).contains(&"forbidden_territory"), "{at:?}: {:#?}", c.findings);
    }
}

#[test]
fn ships_on_land_outside_the_sea_at_sea_and_in_port() {
    // Kyiv.
    let c = check(&one("gbr-ship", [30.52, 50.45], "2026-12-01", None));
    assert_eq!(find(&c, "ship_on_land").message, "unit gbr-ship (GBR) is a ship placed on land (inside UKR)");
    // The Caspian Sea is not the theatre's maritime area.
    let c = check(&one("gbr-ship", [50.5, 42.0], "2026-12-01", None));
    assert!(find(&c, "ship_outside_sea").message.contains("outside the maritime area (Black Sea)"));
    // The open Black Sea, away from the exclusion zone.
    let c = check(&one("gbr-ship", [33.0, 43.5], "2026-12-01", None));
    assert_eq!(c.findings, vec![], "{:#?}", c.findings);
    // Inside the agreement's maritime exclusion zone: a warning.
    let c = check(&one("gbr-ship", [30.9, 45.9], "2026-12-01", None));
    assert_eq!(find(&c, "in_maritime_exclusion").severity, Severity::Warning);
    // In Odesa port (a place of kind port): on the coast, not on land.
    let plan = "[[plans]]\nid = \"p\"\nname = \"P\"\n[[plans.deployments]]\nunit = \"gbr-ship\"\nplace = \"odesa-port\"\nfrom = \"2026-12-01\"\n";
    let c = check(plan);
    assert!(!rules(&c).contains(&"ship_on_land") && !rules(&c).contains(&"ship_outside_sea"), "{:#?}", c.findings);
}

fn area(unit: &str, ring: &str) -> String {
    format!(
        "[[plans]]\nid = \"p\"\nname = \"P\"\n[[plans.deployments]]\nunit = \"{unit}\"\narea = {ring}\nfrom = \"2026-12-01\"\n"
    )
}

#[test]
fn air_patrol_areas_crossing_a_no_fly_zone_or_leaving_the_airspace() {
    // Western Ukraine: allowed.
    let c = check(&area("gbr-jets", "[[24.5, 50.5], [27.5, 50.5], [27.5, 49.0], [24.5, 49.0], [24.5, 50.5]]"));
    assert_eq!(c.findings, vec![], "{:#?}", c.findings);
    // East of Dnipro up to 10 km short of the line: inside the 15 km no-fly band and the stand-off.
    let east = at_km_from_loc(10.0);
    let ring =
        format!("[[35.0, 48.9], [{x}, 48.9], [{x}, {y}], [35.0, {y}], [35.0, 48.9]]", x = east[0], y = east[1] - 0.05);
    let c = check(&area("gbr-jets", &ring));
    let f = find(&c, "area_no_fly");
    assert!(
        f.message.contains("crosses the no-fly zone no_fly: it comes") && f.message.contains("km from loc"),
        "{}",
        f.message
    );
    assert!(f.measured.unwrap() < 15.0);
    assert!(rules(&c).contains(&"standoff"));
    // Over Belarus.
    let c = check(&area("gbr-jets", "[[27.0, 51.3], [28.5, 51.3], [28.5, 52.3], [27.0, 52.3], [27.0, 51.3]]"));
    assert!(find(&c, "area_outside_airspace").message.contains("over BLR"), "{:#?}", c.findings);
    // A sea patrol area that runs onto land.
    let c = check(&area("gbr-ship", "[[32.0, 44.0], [34.0, 44.0], [34.0, 45.5], [32.0, 45.5], [32.0, 44.0]]"));
    assert!(rules(&c).contains(&"area_outside_sea"), "{:#?}", c.findings);
}

#[test]
fn more_deployed_than_pledged() {
    let plan = "[[plans]]\nid = \"p\"\nname = \"P\"\n\
        [[plans.deployments]]\nunit = \"est-1\"\nposition = [24.03, 49.84]\nfrom = \"2027-01-01\"\nuntil = \"2027-03-31\"\n\
        [[plans.deployments]]\nunit = \"est-2\"\nposition = [28.47, 49.23]\nfrom = \"2027-03-15\"\nuntil = \"2027-06-30\"\n";
    let c = check(plan);
    let f = find(&c, "over_pledge");
    assert_eq!((f.measured, f.limit), (Some(2.0), Some(1.0)));
    assert_eq!(
        f.message,
        "EST pledged 1 (company) under est-company; the plan deploys 2 at once from 2027-03-15 (est-1, est-2)"
    );
    // One after the other (a handover on the same day counts once).
    let plan = plan.replace("2027-03-15", "2027-04-01");
    assert!(!rules(&check(&plan)).contains(&"over_pledge"));
    // Personnel: two 600-strong battalions against 1,000 pledged.
    let plan = "[[plans]]\nid = \"p\"\nname = \"P\"\n\
        [[plans.deployments]]\nunit = \"gbr-a\"\nposition = [24.03, 49.84]\nfrom = \"2027-01-01\"\n\
        [[plans.deployments]]\nunit = \"gbr-b\"\nposition = [28.47, 49.23]\nfrom = \"2027-02-01\"\n";
    let f = find(&check(plan), "over_pledge").clone();
    assert_eq!((f.measured, f.limit), (Some(1200.0), Some(1000.0)));
}

#[test]
fn rotations_gaps_tours_and_double_bookings() {
    let plan = |gap_until: &str| {
        format!(
            "[[plans]]\nid = \"p\"\nname = \"P\"\n\
            [[plans.tasks]]\nid = \"t\"\nname = \"T\"\nfrom = \"2027-01-01\"\nuntil = \"2027-12-31\"\nmax_gap_days = 3\nmax_tour_days = 200\n\
            [[plans.deployments]]\nunit = \"gbr-a\"\nposition = [24.03, 49.84]\nfrom = \"2027-01-01\"\nuntil = \"{gap_until}\"\ntask = \"t\"\n\
            [[plans.deployments]]\nunit = \"gbr-b\"\nposition = [24.03, 49.84]\nfrom = \"2027-07-01\"\nuntil = \"2027-12-31\"\ntask = \"t\"\n"
        )
    };
    // Relief on 1 July after a tour ending 25 June: 5 days uncovered, 3 tolerated.
    let c = check(&plan("2027-06-25"));
    let f = find(&c, "rotation_gap");
    assert_eq!(f.unit, "gbr-b");
    assert_eq!(f.measured, Some(5.0));
    assert_eq!(
        f.message,
        "task t is uncovered for 5 days from 2027-06-26 to 2027-06-30 between gbr-a and gbr-b; it tolerates 3 days"
    );
    // Two days: within tolerance.
    assert!(!rules(&check(&plan("2027-06-28"))).contains(&"rotation_gap"));
    // The last tour ends before the task does: the end is uncovered.
    let long = plan("2027-06-30").replace("until = \"2027-12-31\"\ntask", "until = \"2027-12-20\"\ntask");
    let c = check(&long);
    assert!(find(&c, "rotation_gap").message.contains("from 2027-12-21 to 2027-12-31 after gbr-b"));
    // A unit in two places at once.
    let twice = "[[plans]]\nid = \"p\"\nname = \"P\"\n\
        [[plans.deployments]]\nunit = \"gbr-a\"\nposition = [24.03, 49.84]\nfrom = \"2027-01-01\"\nuntil = \"2027-03-31\"\n\
        [[plans.deployments]]\nunit = \"gbr-a\"\nposition = [28.47, 49.23]\nfrom = \"2027-03-01\"\n";
    assert!(find(&check(twice), "double_booked").message.contains("overlapping from 2027-03-01"));
    // A tour over the task's limit.
    let tour = plan("2027-06-30").replace("max_tour_days = 200", "max_tour_days = 150");
    assert_eq!(find(&check(&tour), "tour_too_long").severity, Severity::Warning);
}

#[test]
fn pledge_status_and_unpledged_units() {
    // Italy declined troops: an Italian company without a pledge of its own is an error.
    let c = check(&one("ita-coy", [24.03, 49.84], "2026-12-01", None));
    let f = find(&c, "unpledged");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.message.contains("declined or withdrawn every land pledge (ita-troops)"), "{}", f.message);
    // Before the agreement enters into force (10 Nov 2026), inside Ukraine: a warning.
    let c = check(&one("gbr-a", [24.03, 49.84], "2026-11-01", None));
    assert_eq!(find(&c, "before_effective").severity, Severity::Warning);
    assert_eq!(c.errors, 0);
}
