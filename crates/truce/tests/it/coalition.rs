//! The coalition through the real binary and a real SQLite file: `truce coalition import|summary|gaps|
//! history`, `truce plan check`, `truce regeneration status`, and the same over HTTP.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{Server, agreement, data, truce};

fn shipped() -> Vec<String> {
    ["positions.toml", "force.toml", "regeneration.toml"]
        .iter()
        .map(|f| data(&format!("coalition/{f}")).display().to_string())
        .collect()
}

fn dir_arg(d: &Path) -> String {
    d.display().to_string()
}

/// `truce <cmd...> --data-dir D [extra...]`.
fn run(cmd: &[&str], d: &Path, extra: &[&str]) -> crate::util::Run {
    let dd = dir_arg(d);
    let mut args: Vec<&str> = cmd.to_vec();
    args.extend(["--data-dir", &dd]);
    args.extend(extra);
    truce(&args, b"")
}

fn import_shipped(d: &Path) -> crate::util::Run {
    let files = shipped();
    let mut args: Vec<&str> = vec!["coalition", "import"];
    args.extend(files.iter().map(String::as_str));
    run(&args, d, &[])
}

fn count(d: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(d.join("truce.sqlite")).unwrap();
    conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

#[test]
fn import_then_summary_gaps_history_and_regeneration() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let r = import_shipped(d);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("truce: import 1: 116 added and 0 changed entities, 37 history entries added"),
        "{}",
        r.stdout
    );
    assert_eq!(count(d, "pledge_history"), 37);
    // Again: nothing changes, nothing is logged.
    let r = import_shipped(d);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("nothing changed"), "{}", r.stdout);
    assert_eq!(count(d, "coalition_imports"), 1);

    let r = run(&["coalition", "summary"], d, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let deu = r.stdout.lines().find(|l| l.starts_with("DEU Germany")).unwrap();
    assert!(deu.contains("conditional*") && deu.contains("committed"), "{deu}");
    assert!(r.stdout.contains("Paris summit: 26 of 35 nations formally committed — news reports of 4 Sept 2025 (AFP)"));
    let json: Value = serde_json::from_str(&run(&["coalition", "summary"], d, &["--format", "json"]).stdout).unwrap();
    assert_eq!(json["nations"].as_array().unwrap().len(), 15);

    let r = run(&["coalition", "gaps"], d, &["--assume", "conditional"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("assumed          150   shortfall 11,850   (+150 if conditional come in)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("? EST est-company 150 (conditional) on parliamentary_vote [1 company = 150 personnel]"));
    let r = run(&["coalition", "gaps"], d, &["--assume", "committed"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("committed pledges are always counted"), "{}", r.stderr);

    let r = run(&["coalition", "history", "DEU"], d, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("by 06 Jan 2026  undecided -> conditional"), "{}", r.stdout);
    assert!(r.stdout.contains("source: stern.de (national statement)"));
    assert!(r.stdout.contains("recorded: import 1 ("));
    let r = run(&["coalition", "history", "Narnia"], d, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no nation \"Narnia\""), "{}", r.stderr);

    let r = run(&["regeneration", "status"], d, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("army-strength — Ukraine's post-war army: target 800,000 personnel"), "{}", r.stdout);
    assert!(r.stdout.contains("latest ~60,000 (80%), by 30 Sep 2024"));
    let r = run(&["regeneration", "status"], d, &["--at", "2027-01-31", "--format", "json"]);
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    let brigades = json["targets"].as_array().unwrap().iter().find(|t| t["target"]["id"] == "brigades-ready").unwrap();
    assert_eq!(brigades["progress"].as_array().unwrap().len(), 1, "measurements after --at are ignored");
}

#[test]
fn a_file_with_many_errors_is_reported_whole_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = d.join("bad.toml");
    std::fs::write(
        &bad,
        "[[nations]]\nid = \"NOR\"\nname = \"Norway\"\n\n[[pledges]]\nid = \"nor-x\"\nnation = \"NOR\"\ndomain = \"navy\"\ncapability = \"Ships\"\n[[pledges.history]]\ndate = \"yesterday\"\nstatus = \"committed\"\nsource = \"test\"\nquote = \"ships\"\n\n[[units]]\nid = \"nor-ship\"\nname = \"Ship\"\nnation = \"SWE\"\ndomain = \"sea\"\ntype = \"frigate\"\nsidc = \"10033000001202040000\"\nstrength = 0\n",
    )
    .unwrap();
    let r = run(&["coalition", "import", bad.to_str().unwrap()], d, &[]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let f = bad.display().to_string();
    let want = [
        format!("error: {f}:8: pledges[0].domain: unknown domain \"navy\""),
        format!("error: {f}:11: pledges[0].history[0].date: \"yesterday\" is not a date YYYY-MM-DD"),
        format!("error: {f}:19: units[0].nation: unknown nation \"SWE\" (define it in [[nations]])"),
        format!("error: {f}:23: units[0].strength: a unit has at least one person"),
    ];
    for w in &want {
        assert!(r.stderr.lines().any(|l| l.starts_with(w.as_str())), "missing {w}\n{}", r.stderr);
    }
    assert!(r.stderr.trim_end().ends_with("truce: 4 problems found; nothing was imported"), "{}", r.stderr);
    assert_eq!(count(d, "coalition_items"), 0, "the valid nation was not stored either");
}

#[test]
fn a_release_code_the_policy_does_not_know_is_refused_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = d.join("labels.toml");
    std::fs::write(
        &bad,
        "[[nations]]\nid = \"NOR\"\nname = \"Norway\"\nmarking = \"NATO RESTRICTED\"\nreleasable_to = [\"NATO\", \"NORDIC\"]\n",
    )
    .unwrap();
    let r = run(&["coalition", "import", bad.to_str().unwrap()], d, &[]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let want = format!(
        "error: {}:5: nations[0].releasable_to: \"NORDIC\" is not a nation or group of the NATO policy",
        bad.display()
    );
    assert!(r.stderr.lines().any(|l| l == want), "missing {want}\n{}", r.stderr);
    assert_eq!(count(d, "coalition_items"), 0);
}

fn plan_check(d: &Path, plan: &str) -> crate::util::Run {
    let a = agreement().display().to_string();
    run(&["plan", "check", plan], d, &["--agreement", &a])
}

#[test]
fn plan_check_exits_1_on_errors_and_0_on_a_sound_plan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert_eq!(import_shipped(d).code, 0);
    let r = plan_check(d, "draft-2027");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("force.toml:492: unit deu-engr-coy (DEU) is inside Ukraine; Germany's pledge deu-land allows only on neighbouring territory"), "{}", r.stdout);
    assert!(r.stdout.contains("force.toml:480: unit fra-armd-coy (FRA) is 25.0 km from loc; the force's minimum stand-off is 50 km (agreement zone force_standoff)"));
    assert!(r.stdout.trim_end().ends_with("6 errors, 13 warnings"), "{}", r.stdout);
    let json: Value = serde_json::from_str(
        &run(
            &["plan", "check", "draft-2027"],
            d,
            &["--format", "json", "--agreement", &agreement().display().to_string()],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(json["errors"], 6);

    // A plan file, checked on top of the store without importing it: units from the store.
    let sound = d.join("sound.toml");
    std::fs::write(
        &sound,
        "[[plans]]\nid = \"sound\"\nname = \"Sound\"\n[[plans.deployments]]\nunit = \"deu-mech-bn\"\nplace = \"base-lublin\"\nfrom = \"2026-12-01\"\n[[plans.deployments]]\nunit = \"ltu-coy\"\nplace = \"hub-vinnytsia\"\nfrom = \"2026-12-01\"\n",
    )
    .unwrap();
    let r = plan_check(d, sound.to_str().unwrap());
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("0 errors, 1 warning"), "{}", r.stdout);
    let plans = count(d, "coalition_items");
    // The same unit 10 km from the line: an error.
    let near = d.join("near.toml");
    std::fs::write(
        &near,
        "[[plans]]\nid = \"near\"\nname = \"Near\"\n[[plans.deployments]]\nunit = \"ltu-coy\"\nposition = [37.70, 48.63]\nfrom = \"2026-12-01\"\n",
    )
    .unwrap();
    let r = plan_check(d, near.to_str().unwrap());
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!("error[standoff]: {}:4: unit ltu-coy (LTU) is ", near.display())),
        "{}",
        r.stdout
    );
    assert_eq!(count(d, "coalition_items"), plans, "checking a file imports nothing");

    let r = plan_check(d, "nope");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no plan \"nope\" in the store and no such file (imported plans: draft-2027, reserve-2027)"),
        "{}",
        r.stderr
    );
}

fn get(s: &Server, path: &str) -> (u16, Value) {
    s.json("GET", path, b"")
}

#[test]
fn the_api_serves_the_coalition_plans_and_regeneration() {
    let dir = tempfile::tempdir().unwrap();
    let d: PathBuf = dir.path().to_path_buf();
    assert_eq!(import_shipped(&d).code, 0);
    crate::util::add_user(&d, "ita", "ITA", "analyst", "NATO CONFIDENTIAL", &[]);
    crate::util::add_user(&d, "pol", "POL", "national_rep", "NATO RESTRICTED", &[]);
    let s = crate::util::serve(&d, &[]);
    let (status, summary) = get(&s, "/api/v1/coalition/summary");
    assert_eq!(status, 200);
    let deu = summary["nations"].as_array().unwrap().iter().find(|n| n["nation"] == "DEU").unwrap();
    assert_eq!(deu["cells"][0]["status"], "conditional");
    assert_eq!(deu["cells"][0]["pledges"][0]["source"], "stern.de (national statement)");

    let (status, g) = get(&s, "/api/v1/coalition/gaps?assume=conditional");
    assert_eq!(status, 200);
    let hubs = g["rows"].as_array().unwrap().iter().find(|r| r["requirement"] == "land-hubs").unwrap();
    assert_eq!((hubs["firm"].as_f64(), hubs["assumed"].as_f64()), (Some(0.0), Some(150.0)));
    let (status, e) = get(&s, "/api/v1/coalition/gaps?assume=declined");
    assert_eq!(
        (status, e["error"]["code"].as_str(), e["error"]["field"].as_str()),
        (400, Some("invalid_parameter"), Some("assume"))
    );

    let (status, h) = get(&s, "/api/v1/coalition/nations/deu/history");
    assert_eq!(status, 200);
    let steps = h["pledges"][0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!((steps[0]["status"].as_str(), steps[1]["from"].as_str()), (Some("undecided"), Some("undecided")));
    let (status, e) = get(&s, "/api/v1/coalition/nations/NOR/history");
    assert_eq!((status, e["error"]["code"].as_str()), (404, Some("not_found")));

    let (status, plans) = get(&s, "/api/v1/plans");
    assert_eq!(status, 200);
    assert_eq!(plans["plans"][0]["id"], "draft-2027");
    let (status, fc) = get(&s, "/api/v1/plans/draft-2027");
    assert_eq!(status, 200);
    let features = fc["features"].as_array().unwrap();
    let points: Vec<&Value> = features.iter().filter(|f| f["properties"]["layer"] == "deployment").collect();
    assert_eq!(points.len(), 20);
    assert_eq!(features.iter().filter(|f| f["properties"]["layer"] == "area").count(), 3);
    let deu = points.iter().find(|f| f["properties"]["unit"] == "deu-engr-coy").unwrap();
    assert_eq!(deu["properties"]["sidc"], "10031000151407000000");
    assert_eq!(deu["geometry"]["coordinates"], serde_json::json!([24.03, 49.84]));
    let (status, check) = get(&s, "/api/v1/plans/draft-2027/check");
    assert_eq!(status, 200);
    assert_eq!(check["errors"], 6);
    let caveat = check["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "caveat").unwrap();
    assert_eq!(caveat["unit"], "deu-engr-coy");
    assert!(caveat["quote"].as_str().unwrap().contains("binding US guarantee and backstop"));
    let (status, _) = get(&s, "/api/v1/plans/nope/check");
    assert_eq!(status, 404);

    // The shipped labelled entries: the NATO CONFIDENTIAL reserve plan is Italy's to see without the
    // UK–French liaison team, and Poland's representative (NATO RESTRICTED) gets what a missing plan
    // gets.
    let (status, fc) = get(&s, "/api/v1/plans/reserve-2027");
    assert_eq!(status, 200);
    assert_eq!(fc["properties"]["label"]["marking"], "NATO CONFIDENTIAL");
    assert_eq!(fc["features"].as_array().unwrap().len(), 2, "as the admin: both deployments");
    let ita = s.login("ita", crate::util::PASSWORD);
    let reply = s.request_as(Some(&ita), "GET", "/api/v1/plans/reserve-2027", b"");
    assert_eq!(reply.status, 200);
    let fc: Value = serde_json::from_slice(&reply.body).unwrap();
    let units: Vec<&str> =
        fc["features"].as_array().unwrap().iter().filter_map(|f| f["properties"]["unit"].as_str()).collect();
    assert_eq!(units, ["deu-mech-bn"]);
    assert!(!String::from_utf8_lossy(&reply.body).contains("liaison"), "nothing of the team reaches Italy");
    let pol = s.login("pol", crate::util::PASSWORD);
    let hidden = s.request_as(Some(&pol), "GET", "/api/v1/plans/reserve-2027", b"");
    let missing = s.request_as(Some(&pol), "GET", "/api/v1/plans/reserve-2028", b"");
    assert_eq!(hidden.status, 404);
    assert_eq!(
        String::from_utf8_lossy(&hidden.body).replace("2027", "2028"),
        String::from_utf8_lossy(&missing.body),
        "a hidden plan answers like a missing one"
    );
    let reply = s.request_as(Some(&pol), "GET", "/api/v1/plans", b"");
    let plans: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(plans["plans"].as_array().unwrap().len(), 1, "Poland's representative lists the draft plan only");

    let (status, r) = get(&s, "/api/v1/regeneration");
    assert_eq!(status, 200);
    assert!(r["targets"].as_array().unwrap().iter().any(|t| t["target"]["target"] == 800000.0));
    let (status, e) = get(&s, "/api/v1/regeneration?at=soon");
    assert_eq!((status, e["error"]["field"].as_str()), (400, Some("at")));

    let (_, doc) = get(&s, "/api/v1/openapi.json");
    for p in ["/api/v1/coalition/summary", "/api/v1/coalition/gaps", "/api/v1/plans/{id}/check", "/api/v1/regeneration"]
    {
        assert!(doc["paths"].get(p).is_some(), "{p} not in the OpenAPI document");
    }
}

#[test]
fn plan_check_without_an_imported_coalition_checks_against_the_shipped_one_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let sample = data("samples/observations.csv").display().to_string();
    assert_eq!(run(&["ingest", &sample], d, &[]).code, 0, "a fresh data directory with observations only");
    // The words: `truce plan check data/coalition/force.toml` answered "unknown measure".
    let force = data("coalition/force.toml").display().to_string();
    let r = run(&["plan", "check", &force], d, &[]);
    assert_eq!(r.code, 1, "the shipped plans have errors to find\n{}\n{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("unknown") && !r.stdout.contains("unknown measure"), "{}", r.stderr);
    assert!(r.stdout.contains("unit gbr-fra-liaison (GBR) is on neighbouring territory"), "{}", r.stdout);
    assert!(r.stderr.contains("checking against the coalition shipped with truce"), "{}", r.stderr);
    assert!(r.stderr.contains("truce coalition import FILE... --data-dir"), "{}", r.stderr);
    // An imported plan's id works the same way, and nothing was imported by checking.
    let r = run(&["plan", "check", "draft-2027"], d, &[]);
    assert!(r.stdout.trim_end().ends_with("6 errors, 13 warnings"), "{}", r.stdout);
    assert_eq!(count(d, "coalition_items"), 0);
}
