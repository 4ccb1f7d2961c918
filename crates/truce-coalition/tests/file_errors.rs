//! Bad coalition files: every problem is reported at once, each with file, line, field and reason.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use truce_access::Policy;
use truce_coalition::{Coalition, Problems, file};

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(rel)
}

fn problems(name: &str, text: &str) -> Vec<String> {
    let path = data(&format!("coalition/{name}"));
    match file::load_texts(&[(path.clone(), text.to_owned())], &Coalition::default(), &Policy::shipped()) {
        Ok(_) => panic!("{name} loaded"),
        Err(Problems(ps)) => {
            let dir = format!("{}/", data("coalition").display());
            ps.iter().map(|p| p.to_string().replace(&dir, "")).collect()
        }
    }
}

const MANY: &str = r#"[file]
illustrative = true

[[nations]]
id = "DEU"
name = "Germany"

[[nations]]
id = "Germany"
name = "Germany again"

[[pledges]]
id = "deu-land"
nation = "DEU"
domain = "lnd"
capability = "Troops"
quantity = 5
[[pledges.history]]
date = "2026-13-01"
status = "comitted"
source = "stern.de"
quote = "words"
[[pledges.history]]
date = "2026-01-06"
status = "conditional"
source = ""
quote = "words"
colour = "red"

[[pledges]]
id = "fra-land"
nation = "FRA"
domain = "land"
capability = "Troops"

[[pledges]]
id = "deu-air"
nation = "DEU"
domain = "air"
capability = "Aircraft"
[[pledges.history]]
date = "2026-01-06"
status = "undecided"
source = "stern.de"
quote = "words"

[[units]]
id = "deu-bn"
name = "German battalion"
nation = "DEU"
domain = "land"
type = "battalion"
sidc = "10031000161211000000"
strength = "many"

[[units]]
id = "deu-coy"
name = "German company"
nation = "DEU"
domain = "sea"
type = "company"
sidc = "SFGPUCI"
strength = 150
pledge = "deu-air"

[[plans]]
id = "p"
name = "Plan"
[[plans.deployments]]
unit = "nobody"
position = [200, 95]
from = "2027-01-01"
until = "2026-01-01"
task = "missing"

[whatever]
x = 1
"#;

#[test]
fn a_file_with_many_errors_reports_them_all_with_their_lines() {
    let got = problems("many.toml", MANY);
    let want = [
        "many.toml:9: nations[1].id: \"Germany\" is not a valid nation id: an ISO 3166 alpha-3 code (three capital letters)",
        "many.toml:15: pledges[0].domain: unknown domain \"lnd\" (expected one of: land, sea, air, monitoring, training, logistics, cyber, backstop)",
        "many.toml:17: pledges[0].measure: a quantity needs its measure (e.g. measure = \"personnel\")",
        "many.toml:19: pledges[0].history[0].date: \"2026-13-01\" is not a date YYYY-MM-DD",
        "many.toml:20: pledges[0].history[0].status: unknown status \"comitted\" (expected one of: undecided, conditional, committed, approved, deployed, declined, withdrawn)",
        "many.toml:28: pledges[0].history[1].colour: unknown field `colour`, expected one of `date`, `dated`, `status`, `source`, `quote`, `quantity`, `relay`, `note`, `illustrative`, `marking`, `releasable_to`, `categories`",
        "many.toml:30: pledges[1].history: a pledge needs at least one [[pledges.history]] entry (date, status, source, quote)",
        "many.toml:32: pledges[1].nation: unknown nation \"FRA\" (define it in [[nations]])",
        "many.toml:54: units[0].strength: invalid type: string \"many\", expected u32",
        "many.toml:60: units[1].domain: the unit's domain is sea, its pledge \"deu-air\" is for air",
        "many.toml:62: units[1].sidc: \"SFGPUCI\" is not a symbol identification code: 20 digits (MIL-STD-2525D/E, APP-6 D) or 15 characters (2525C)",
        "many.toml:70: plans[0].deployments[0].unit: unknown unit \"nobody\" (define it in [[units]])",
        "many.toml:71: plans[0].deployments[0].position: [200, 95] is not a valid [longitude, latitude]",
        "many.toml:73: plans[0].deployments[0].until: the deployment ends before it starts",
        "many.toml:74: plans[0].deployments[0].task: unknown task \"missing\" (define it in this plan's [[plans.tasks]])",
        "many.toml:76: whatever: unknown section (expected one of: file, milestones, nations, measures, pledges, requirements, theatre, places, units, plans, targets, progress)",
    ];
    for w in &want {
        assert!(got.contains(&w.to_string()), "missing:\n  {w}\ngot:\n  {}", got.join("\n  "));
    }
    // Nothing else: an entry that does not deserialise (history[1], units[0]) is reported once, and a
    // reference to an entry that failed (the pledge deu-land) is not reported again.
    assert_eq!(got.len(), want.len(), "got:\n  {}", got.join("\n  "));
    // Sorted by line.
    let lines: Vec<usize> = got.iter().map(|g| g.split(':').nth(1).unwrap().parse().unwrap()).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

#[test]
fn a_toml_syntax_error_names_its_line() {
    let got = problems("broken.toml", "[[nations]]\nid = \"DEU\"\nname = \"Germany\n");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("broken.toml:3: invalid TOML:"), "{got:?}");
}

#[test]
fn an_id_defined_twice_and_a_missing_geometry_file() {
    let text = r#"
[[nations]]
id = "UKR"
name = "Ukraine"
[[nations]]
id = "UKR"
name = "Ukraine"
[theatre]
host = "UKR"
countries = "../geo/nowhere.geojson"
"#;
    let got = problems("twice.toml", text);
    assert!(
        got.iter().any(|g| g.starts_with("twice.toml:6: nations[1].id: nation \"UKR\" is defined twice (first at ")),
        "{got:?}"
    );
    assert!(
        got.iter()
            .any(|g| g.starts_with("twice.toml:10: theatre.countries: ") && g.contains("nowhere.geojson: cannot read")),
        "{got:?}"
    );
}

#[test]
fn references_resolve_against_what_the_store_already_holds() {
    let base_text = "[[nations]]\nid = \"EST\"\nname = \"Estonia\"\n";
    let base = file::load_texts(
        &[(data("coalition/a.toml"), base_text.to_owned())],
        &Coalition::default(),
        &Policy::shipped(),
    )
    .unwrap()
    .merged;
    let text = r#"
[[pledges]]
id = "est-x"
nation = "EST"
domain = "land"
capability = "A company"
[[pledges.history]]
date = "2026-01-06"
status = "conditional"
source = "err.ee"
quote = "a company-sized unit"
"#;
    let l = file::load_texts(&[(data("coalition/b.toml"), text.to_owned())], &base, &Policy::shipped()).unwrap();
    assert_eq!(l.new.pledges.len(), 1);
    assert_eq!(l.new.nations.len(), 0);
    assert_eq!(l.merged.nations.len(), 1);
    // Without the base, the nation is unknown.
    assert!(
        file::load_texts(&[(data("coalition/b.toml"), text.to_owned())], &Coalition::default(), &Policy::shipped())
            .is_err()
    );
}

const LABELLED: &str = r#"[[nations]]
id = "GBR"
name = "United Kingdom"
releasable_to = ["GBR", "FRA", "GBR"]

[[nations]]
id = "FRA"
name = "France"
marking = "NATO CONFIDENTIAL"
releasable_to = "NATO, EU"
categories = ["SOURCES"]

[[pledges]]
id = "gbr-x"
nation = "GBR"
domain = "land"
capability = "Troops"
releasable_to = ["GBR", "XYZ"]
[[pledges.history]]
date = "2026-01-06"
status = "conditional"
source = "gov.uk"
quote = "troops"
marking = "NATO SEKRET"
categories = ["GOSSIP"]

[[units]]
id = "fra-x"
name = "Company"
nation = "FRA"
domain = "land"
type = "infantry company"
sidc = "10031000151211000000"
strength = 150
releasable_to = 7
"#;

#[test]
fn labels_are_read_like_an_observations_and_checked_against_the_policy() {
    let got = problems("labelled.toml", LABELLED);
    let want = [
        "labelled.toml:18: pledges[0].releasable_to: \"XYZ\" is not a nation or group of the NATO policy",
        "labelled.toml:24: pledges[0].history[0].marking: \"NATO SEKRET\" is not one of: NATO UNCLASSIFIED, NATO RESTRICTED, NATO CONFIDENTIAL, NATO SECRET, COSMIC TOP SECRET",
        "labelled.toml:25: pledges[0].history[0].categories: \"GOSSIP\" is not a category of the NATO policy",
    ];
    for w in &want {
        assert!(got.contains(&w.to_string()), "missing:\n  {w}\ngot:\n  {}", got.join("\n  "));
    }
    assert!(got.iter().any(|g| g.starts_with("labelled.toml:35: units[0].releasable_to: ")), "{got:?}");
    let wrong_type = got.iter().find(|g| g.starts_with("labelled.toml:35:")).unwrap();
    assert!(wrong_type.contains("integer `7`, expected a list of codes such as"), "{wrong_type}");
    assert_eq!(got.len(), want.len() + 1, "got:\n  {}", got.join("\n  "));

    // Without the faults, the labels are read: codes sorted without duplicates, from a list or a string.
    let good = LABELLED
        .replace(", \"XYZ\"]", "]")
        .replace("marking = \"NATO SEKRET\"\n", "")
        .replace("categories = [\"GOSSIP\"]\n", "")
        .replace("releasable_to = 7\n", "");
    let l = file::load_texts(&[(data("coalition/labelled.toml"), good)], &Coalition::default(), &Policy::shipped())
        .unwrap_or_else(|e| panic!("{e}"));
    let gbr = l.new.nations.iter().find(|n| n.id == "GBR").unwrap();
    assert_eq!(gbr.label.releasable_to, ["FRA", "GBR"]);
    assert_eq!(gbr.label.marking, truce_core::Marking::NatoUnclassified);
    let fra = l.new.nations.iter().find(|n| n.id == "FRA").unwrap();
    assert_eq!(fra.label.releasable_to, ["EU", "NATO"]);
    assert_eq!(fra.label.marking, truce_core::Marking::NatoConfidential);
    assert_eq!(fra.label.categories, ["SOURCES"]);
    assert_eq!(l.new.pledges[0].label.releasable_to, ["GBR"]);
    assert_eq!(l.new.history[0].label, truce_core::Label::default(), "an entry without a label gets the default");
    assert_eq!(l.new.units[0].label, truce_core::Label::default());
}
