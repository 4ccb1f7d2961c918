//! Golden tests on the shipped coalition files (`data/coalition/`) and the illustrative agreement: the
//! summary, the gaps with and without the conditional pledges, Germany's history, the draft plan's
//! check and the regeneration status, each compared with a file in `tests/golden/`. Run with
//! `TRUCE_BLESS=1` to rewrite the files after a deliberate change, then read the diff.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use truce_access::Policy;
use truce_coalition::model::Status;
use truce_coalition::{Coalition, file, gaps, history, plan, regeneration, summary, text};
use truce_engine::Agreement;

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(rel)
}

fn shipped() -> Coalition {
    let files: Vec<PathBuf> =
        ["positions.toml", "force.toml", "regeneration.toml"].iter().map(|f| data(&format!("coalition/{f}"))).collect();
    match file::load(&files, &Coalition::default(), &Policy::shipped()) {
        Ok(l) => l.merged,
        Err(e) => panic!("the shipped coalition files do not load:\n{e}"),
    }
}

fn agreement() -> Agreement {
    Agreement::load(&data("agreements/illustrative.toml")).unwrap()
}

/// Compares with `tests/golden/<name>`, or writes it when blessing.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name);
    // Paths differ between machines: show them relative to the repository.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../");
    let actual = actual.replace(&root.display().to_string(), "");
    if std::env::var_os("TRUCE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with TRUCE_BLESS=1 to create it)", path.display()));
    if want != actual {
        let first = want.lines().zip(actual.lines()).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{name} differs from the golden file at line {}:\n  want: {:?}\n  got:  {:?}\n--- got in full:\n{actual}",
            first + 1,
            want.lines().nth(first),
            actual.lines().nth(first)
        );
    }
}

#[test]
fn summary_of_the_shipped_coalition() {
    let c = shipped();
    let s = summary::summary(&c);
    golden("summary.txt", &text::summary(&s));
    // Every public position carries a date and a source; none is illustrative.
    for h in c.history.iter() {
        assert!(!h.source.trim().is_empty() && !h.quote.trim().is_empty(), "{h:?}");
        assert!(!h.illustrative, "a shipped public position is marked illustrative: {h:?}");
    }
    // The table shows what DOMAIN.md says of Germany and Italy.
    let deu = s.nations.iter().find(|n| n.nation == "DEU").unwrap();
    assert_eq!(deu.cells[0].status, Some(Status::Conditional));
    let ita = s.nations.iter().find(|n| n.nation == "ITA").unwrap();
    assert_eq!(ita.cells[3].status, Some(Status::Committed), "Italy: monitoring");
}

#[test]
fn gaps_with_and_without_the_conditional_pledges() {
    let c = shipped();
    let firm = gaps::gaps(&c, &[], None);
    golden("gaps.txt", &text::gaps(&firm));
    let assumed = gaps::gaps(&c, &[Status::Conditional], None);
    golden("gaps_conditional.txt", &text::gaps(&assumed));
    let row = |g: &gaps::Gaps, id: &str| g.rows.iter().find(|r| r.requirement == id).cloned().unwrap();
    // The HQ's two framework nations are committed (UK, France).
    assert_eq!(row(&firm, "hq-framework").shortfall, 0.0);
    // Estonia's company (conditional) fills 150 personnel of the hubs only when assumed.
    assert_eq!(row(&firm, "land-hubs").firm, 0.0);
    assert_eq!(row(&assumed, "land-hubs").assumed, 150.0);
    assert_eq!(row(&assumed, "land-hubs").assumed_shortfall, 11_850.0);
    // Bulgaria's naval support is committed but gives no number.
    assert!(row(&firm, "maritime-mcm").unquantified.iter().any(|u| u.pledge == "bgr-naval"));
}

#[test]
fn germanys_history_moves_from_undecided_to_conditional() {
    let c = shipped();
    let h = history::history(&c, "deu").unwrap();
    golden("history_deu.txt", &text::history(&h));
    let land = h.pledges.iter().find(|p| p.pledge.id == "deu-land").unwrap();
    let statuses: Vec<Status> = land.steps.iter().map(|s| s.entry.status).collect();
    assert_eq!(statuses, [Status::Undecided, Status::Conditional]);
    assert!(history::history(&c, "Germany").is_some());
    assert!(history::history(&c, "NOR").is_none(), "Norway is a nation with no recorded position");
}

#[test]
fn the_draft_plan_shows_each_deliberate_error() {
    let c = shipped();
    let a = agreement();
    let p = c.plans.iter().find(|p| p.id == "draft-2027").unwrap();
    let check = plan::check(&a, &c, p).unwrap();
    golden("plan_check.txt", &text::plan_check(&check));
    let rules: Vec<(&str, &str)> = check
        .findings
        .iter()
        .filter(|f| f.severity == plan::Severity::Error)
        .map(|f| (f.rule, f.unit.as_str()))
        .collect();
    for want in [
        ("standoff", "fra-armd-coy"),
        ("caveat", "deu-engr-coy"),
        ("rotation_gap", "fra-inf-2"),
        ("over_pledge", "est-coy-2"),
        ("area_no_fly", "swe-fighters"),
    ] {
        assert!(rules.contains(&want), "{want:?} not among the errors {rules:?}");
    }
    // Nothing else is an error: the rest of the plan is sound.
    let expected_units = ["fra-armd-coy", "deu-engr-coy", "fra-inf-2", "est-coy-2", "swe-fighters"];
    for (rule, unit) in &rules {
        assert!(expected_units.contains(unit), "unexpected error {rule} on {unit}");
    }
}

#[test]
fn regeneration_status_of_the_shipped_targets() {
    let c = shipped();
    let r = regeneration::status(&c, None);
    golden("regeneration.txt", &text::regeneration(&r));
}
