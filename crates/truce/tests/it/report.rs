//! `truce report` and `/api/v1/reports`: every number of the daily report's model checked against counts
//! made here, independently, from the SQLite file (the schema of `crates/truce-store/src/migrations`),
//! on the demo's simulated week (2026-11-17 to 2026-11-23, escalation in Pokrovsk on day 6 = 11-22).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::util::{Run, Server, agreement, data, truce};

/// Day 6 of the week; with the 19:30 Kyiv (17:30 UTC in November) cutoff its period is 11-21T17:30Z to
/// 11-22T17:30Z.
const DAY6: &str = "2026-11-22";
const START_MS: i64 = 1_795_282_200_000; // 2026-11-21T17:30:00Z
const END_MS: i64 = START_MS + 86_400_000;
const CFV: [&str; 8] = [
    "explosion_impact",
    "explosion_airburst",
    "explosion_outgoing",
    "explosion_undetermined",
    "projectile_in_flight",
    "muzzle_flash",
    "illumination_flare",
    "bursts_and_shots",
];

struct Week {
    _dir: tempfile::TempDir,
    data: PathBuf,
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The demo week, exported and ingested into a fresh data directory (plus `extra` NDJSON lines).
fn week(extra: &[Value]) -> Week {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("week.ndjson");
    let data = dir.path().join("data");
    let agreement = agreement();
    let run = truce(
        &[
            "demo",
            "--export",
            path(&file),
            "--start",
            "2026-11-17T00:00:00Z",
            "--days",
            "7",
            "--agreement",
            path(&agreement),
        ],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The demo labels its week for several nations; these tests are about the reports' arithmetic
    // over one unclassified week, so the labels are taken off (the leak harness tests labels).
    let unlabelled: String = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: Value = serde_json::from_str(l).unwrap();
            for k in ["marking", "releasable_to", "categories"] {
                v.as_object_mut().unwrap().remove(k);
            }
            format!("{v}\n")
        })
        .collect();
    std::fs::write(&file, unlabelled).unwrap();
    let mut files = vec![file];
    if !extra.is_empty() {
        let more = dir.path().join("extra.ndjson");
        let text: String = extra.iter().map(|v| format!("{v}\n")).collect();
        std::fs::write(&more, text).unwrap();
        files.push(more);
    }
    let mut args = vec!["ingest", "--data-dir", path(&data)];
    args.extend(["--agreement", path(&agreement)]);
    args.extend(files.iter().map(|f| path(f)));
    let run = truce(&args, b"");
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    Week { _dir: dir, data }
}

/// `n` reports on 2026-11-21 (from midnight, six a minute) with 4,000 characters of text each: about
/// 4 KB of JSON report apiece.
fn wordy_day(n: i32) -> Vec<Value> {
    let text = "shelling heard from the north-east, ".repeat(112);
    (0..n)
        .map(|k| {
            json!({"id": format!("bulk-{k}"), "time": format!("2026-11-21T{:02}:{:02}:{:02}Z", k / 360, k / 6 % 60, k % 6 * 10),
                   "lat": 47.0 + f64::from(k % 100) * 0.02, "lon": 35.0 + f64::from(k / 100) * 0.06,
                   "category": "explosion_impact", "text": text, "observer": {"means": "patrol", "team": "MT-1"}})
        })
        .collect()
}

fn report(w: &Week, args: &[&str]) -> Run {
    let sectors = data("warning/sectors.toml");
    let agreement = agreement();
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.extend(["--data-dir", path(&w.data), "--agreement", path(&agreement), "--sectors", path(&sectors)]);
    truce(&all, b"")
}

fn daily_json(w: &Week, date: &str, extra: &[&str]) -> Value {
    let mut args = vec!["daily", "--date", date, "--format", "json"];
    args.extend_from_slice(extra);
    let run = report(w, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

/// [`daily_json`] with nothing kept in the store (every period read): the reference a kept tally is
/// compared with.
fn fresh_daily_json(w: &Week, date: &str, extra: &[&str]) -> Value {
    let db = rusqlite::Connection::open(w.data.join("truce.sqlite")).unwrap();
    db.execute("DELETE FROM kept_days", []).unwrap();
    daily_json(w, date, extra)
}

/// A stored row, read straight from SQLite.
struct Row {
    id: String,
    time_ms: i64,
    category: String,
    body: Value,
    violations: String,
}

fn rows(w: &Week, since_ms: i64, until_ms: i64) -> Vec<Row> {
    let db =
        rusqlite::Connection::open_with_flags(w.data.join("truce.sqlite"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut stmt = db
        .prepare(
            "SELECT id, time_ms, category, body, violations FROM observations \
             WHERE time_ms >= ?1 AND time_ms < ?2 ORDER BY time_ms, seq",
        )
        .unwrap();
    stmt.query_map([since_ms, until_ms], |r| {
        Ok(Row {
            id: r.get(0)?,
            time_ms: r.get(1)?,
            category: r.get(2)?,
            body: serde_json::from_str(&r.get::<_, String>(3)?).unwrap(),
            violations: r.get(4)?,
        })
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a count: {v}"))
}

fn is_explosion(c: &str) -> bool {
    c.starts_with("explosion_")
}

/// An incident's member may be its category, or an undetermined explosion under a more specific one.
fn compatible(incident: &str, member: &str) -> bool {
    incident == member || (is_explosion(incident) && member == "explosion_undetermined")
}

#[test]
fn daily_json_counts_match_the_store() {
    let w = week(&[]);
    let m = daily_json(&w, DAY6, &[]);
    assert_eq!(m["report"], "daily");
    assert_eq!(m["period"]["start"], "2026-11-21T17:30:00Z");
    assert_eq!(m["period"]["end"], "2026-11-22T17:30:00Z");
    assert_eq!(m["period"]["start_local"], "2026-11-21 19:30 EET");
    assert_eq!(m["previous_period"]["start"], "2026-11-20T17:30:00Z");
    assert_eq!(m["classification"], "NATO UNCLASSIFIED");

    let period = rows(&w, START_MS, END_MS);
    let by_id: HashMap<&str, &Row> = period.iter().map(|r| (r.id.as_str(), r)).collect();
    assert!(period.len() > 200, "the escalation day has hundreds of reports ({})", period.len());

    // Observation totals are SQL counts; the annex is exactly the period's rows.
    assert_eq!(u(&m["summary"]["observations"]), period.len() as u64);
    assert_eq!(u(&m["withheld"]["observations"]), 0);
    let annex: Vec<&str> = m["annex"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    let mut sql_ids: Vec<&str> = period.iter().map(|r| r.id.as_str()).collect();
    let mut annex_sorted = annex.clone();
    annex_sorted.sort_unstable();
    sql_ids.sort_unstable();
    assert_eq!(annex_sorted, sql_ids);
    for a in m["annex"].as_array().unwrap() {
        let r = by_id[a["id"].as_str().unwrap()];
        assert_eq!(a["category"], r.category.as_str());
        assert_eq!(a["text"], r.body.get("text").cloned().unwrap_or(Value::Null));
        assert!(a["mgrs"].as_str().unwrap().starts_with("3"), "{a}");
    }

    // Incidents partition the period's observations; each is consistent with its members.
    let incidents = m["incidents"].as_array().unwrap();
    let mut seen = HashSet::new();
    for i in incidents {
        let cat = i["category"].as_str().unwrap();
        let members: Vec<&Row> = i["observations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| *by_id.get(o.as_str().unwrap()).unwrap_or_else(|| panic!("{o} is not in the period")))
            .collect();
        for r in &members {
            assert!(seen.insert(r.id.clone()), "{} is in two incidents", r.id);
            assert!(compatible(cat, &r.category), "{cat} incident with a {} report", r.category);
        }
        let max_count = members.iter().map(|r| r.body.get("count").and_then(Value::as_u64).unwrap_or(1)).max();
        assert_eq!(Some(u(&i["count"])), max_count, "{}", i["id"]);
        assert_eq!(i["id"], format!("inc-{}", members[0].id));
        assert_eq!(i["time"].as_str().unwrap(), members[0].body["time"].as_str().unwrap());
        assert!(members.iter().all(|r| r.time_ms >= members[0].time_ms));
    }
    assert_eq!(seen.len(), period.len(), "every observation of the period is in an incident");
    assert_eq!(u(&m["summary"]["all_incidents"]), incidents.len() as u64);
    assert!(
        incidents.iter().any(|i| i["observations"].as_array().unwrap().len() >= 3),
        "some events were seen by three monitors"
    );

    // CFVs per category: Σ count over the category's incidents; reports: the observations behind them.
    let mut want: BTreeMap<&str, (u64, u64, u64)> = CFV.iter().map(|c| (*c, (0, 0, 0))).collect();
    for i in incidents {
        if let Some(e) = want.get_mut(i["category"].as_str().unwrap()) {
            e.0 += u(&i["count"]);
            e.1 += 1;
            e.2 += i["observations"].as_array().unwrap().len() as u64;
        }
    }
    let rows_by_cat: Vec<&Value> = m["ceasefire_violations"]["by_category"].as_array().unwrap().iter().collect();
    assert_eq!(rows_by_cat.iter().map(|r| r["category"].as_str().unwrap()).collect::<Vec<_>>(), CFV);
    for r in &rows_by_cat {
        let (cfv, inc, rep) = want[r["category"].as_str().unwrap()];
        assert_eq!((u(&r["cfv"]), u(&r["incidents"]), u(&r["reports"])), (cfv, inc, rep), "{r}");
    }
    let total = &m["ceasefire_violations"]["total"];
    let cfv_total: u64 = want.values().map(|v| v.0).sum();
    assert_eq!(u(&total["cfv"]), cfv_total);
    assert_eq!(u(&m["summary"]["cfv"]), cfv_total);
    let sql_cfv_reports = period.iter().filter(|r| CFV.contains(&r.category.as_str())).count() as u64;
    assert_eq!(u(&total["reports"]), sql_cfv_reports, "every CFV report is behind exactly one CFV incident");
    assert!(cfv_total > sql_cfv_reports, "counts (rounds) exceed reports on the escalation day");
    let explosions: u64 = CFV[..4].iter().map(|c| want[c].0).sum();
    assert_eq!(u(&m["summary"]["explosions"]), explosions);

    // Per sector: by the incident's sector; the rows add up to the total.
    let sectors = m["ceasefire_violations"]["by_sector"].as_array().unwrap();
    let names: Vec<&str> = sectors.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names[..6], ["Kupiansk", "Siversk-Lyman", "Toretsk", "Pokrovsk", "Zaporizhzhia", "Kherson"]);
    for s in sectors {
        let name = if s["id"].is_null() { None } else { s["name"].as_str() };
        let (cfv, n): (u64, u64) = incidents
            .iter()
            .filter(|i| CFV.contains(&i["category"].as_str().unwrap()) && i["sector"].as_str() == name)
            .fold((0, 0), |(c, n), i| (c + u(&i["count"]), n + 1));
        assert_eq!((u(&s["cfv"]), u(&s["incidents"])), (cfv, n), "{s}");
    }
    assert_eq!(sectors.iter().map(|s| u(&s["cfv"])).sum::<u64>(), cfv_total);
    let pokrovsk = sectors.iter().find(|s| s["name"] == "Pokrovsk").unwrap();
    assert!(sectors.iter().all(|s| u(&s["cfv"]) <= u(&pokrovsk["cfv"])), "the escalation is the largest");

    // The previous period is the report of the day before, counted the same way.
    let before = daily_json(&w, "2026-11-21", &[]);
    for (r, b) in rows_by_cat.iter().zip(before["ceasefire_violations"]["by_category"].as_array().unwrap()) {
        assert_eq!(r["previous_cfv"], b["cfv"]);
        assert_eq!(r["change"].as_i64().unwrap(), u(&r["cfv"]) as i64 - u(&b["cfv"]) as i64);
    }
    for (s, b) in sectors.iter().zip(before["ceasefire_violations"]["by_sector"].as_array().unwrap()) {
        assert_eq!((&s["name"], &s["previous_cfv"]), (&b["name"], &b["cfv"]));
    }
    assert_eq!(m["summary"]["cfv_previous"], before["summary"]["cfv"]);

    // Cumulative since the agreement took effect (2026-11-10T00:00Z): nothing is stored before the
    // week, so it is the sum of the week's daily reports up to this one; their CFV reports add up to
    // the SQL count of CFV observations from the effective date to the end of this period.
    assert_eq!(m["cumulative_since"], "2026-11-10T00:00:00Z");
    let effective_ms = 1_794_268_800_000; // 2026-11-10T00:00:00Z
    assert!(rows(&w, effective_ms, START_MS - 5 * 86_400_000).is_empty(), "nothing before 11-16T17:30Z");
    let mut sum: BTreeMap<String, u64> = BTreeMap::new();
    let mut reports = 0;
    for date in ["2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", DAY6] {
        let d = if date == DAY6 { m.clone() } else { daily_json(&w, date, &[]) };
        for r in d["ceasefire_violations"]["by_category"].as_array().unwrap() {
            *sum.entry(r["category"].as_str().unwrap().to_owned()).or_default() += u(&r["cfv"]);
        }
        reports += u(&d["ceasefire_violations"]["total"]["reports"]);
    }
    for r in &rows_by_cat {
        assert_eq!(u(&r["cumulative_cfv"]), sum[r["category"].as_str().unwrap()], "{r}");
    }
    assert_eq!(u(&total["cumulative_cfv"]), sum.values().sum::<u64>());
    let since = rows(&w, effective_ms, END_MS);
    assert_eq!(reports, since.iter().filter(|r| CFV.contains(&r.category.as_str())).count() as u64);

    // Weapons: incidents with a member whose stored violations carry the code; Σ count.
    let has = |i: &Value, code: &str| {
        i["observations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| by_id[o.as_str().unwrap()].violations.contains(&format!(",{code},")))
    };
    for (key, code) in [
        ("forward_of_withdrawal_line", "weapon_forward_of_withdrawal_line"),
        ("outside_storage_site", "weapon_outside_storage_site"),
    ] {
        let with: Vec<&Value> = incidents.iter().filter(|i| has(i, code)).collect();
        assert_eq!(u(&m["weapons"][key]), with.iter().map(|i| u(&i["count"])).sum::<u64>(), "{key}");
        let listed: Vec<&str> = m["weapons"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["code"] == code)
            .map(|r| r["incident"].as_str().unwrap())
            .collect();
        assert_eq!(listed, with.iter().map(|i| i["id"].as_str().unwrap()).collect::<Vec<_>>());
        assert!(!with.is_empty(), "the escalation brings {code}");
    }
    assert_eq!(
        u(&m["summary"]["weapons_in_violation"]),
        u(&m["weapons"]["forward_of_withdrawal_line"]) + u(&m["weapons"]["outside_storage_site"])
    );
    for r in m["weapons"]["rows"].as_array().unwrap() {
        if r["code"] == "weapon_forward_of_withdrawal_line" {
            assert!(r["actual_m"].as_f64().unwrap() < r["required_m"].as_f64().unwrap(), "{r}");
        }
    }
    let luhansk = m["storage_sites"].as_array().unwrap().iter().find(|s| s["site"] == "ss_rus_luhansk").unwrap();
    assert_eq!((u(&luhansk["count"]), luhansk["text"].as_str().unwrap().contains("3 missing")), (9, true));

    // Disengagement areas.
    let dis: Vec<&str> =
        incidents.iter().filter(|i| has(i, "in_disengagement_area")).map(|i| i["id"].as_str().unwrap()).collect();
    let listed: Vec<&str> =
        m["disengagement_areas"].as_array().unwrap().iter().map(|z| z["incident"].as_str().unwrap()).collect();
    assert_eq!(listed, dis);

    // Freedom of movement: incidents of the category, with the reason and party of their reports.
    for (key, cat) in [("restrictions", "restriction_of_movement"), ("gps_jamming", "gps_jamming")] {
        let listed = m["freedom_of_movement"][key].as_array().unwrap();
        let n = incidents.iter().filter(|i| i["category"] == cat).count();
        assert_eq!(listed.len(), n);
        assert_eq!(u(&m["summary"][key]), n as u64);
        assert!(n >= 1 && n <= period.iter().filter(|r| r.category == cat).count(), "{key}");
        for r in listed {
            let i = incidents.iter().find(|i| i["id"] == r["incident"]).unwrap();
            let body = &by_id[i["observations"][0].as_str().unwrap()].body;
            assert_eq!(r["reason"], body.get("reason").cloned().unwrap_or(Value::Null));
            assert_eq!(r["party"], body.get("party").cloned().unwrap_or(Value::Null));
        }
    }
    assert_eq!(m["freedom_of_movement"]["restrictions"][0]["reason"], "superiors were not informed");

    // Civilian casualties: the largest reported per incident, added up.
    let (mut killed, mut injured) = (0, 0);
    for i in incidents {
        let worst = i["observations"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|o| by_id[o.as_str().unwrap()].body.get("casualties"))
            .map(|c| (u(&c["killed"]), u(&c["injured"])))
            .max();
        if let Some((k, j)) = worst {
            killed += k;
            injured += j;
        }
    }
    assert_eq!((u(&m["civilian_casualties"]["killed"]), u(&m["civilian_casualties"]["injured"])), (killed, injured));
    assert_eq!(injured, 1, "day 6 has a casualty (every third day)");
}

fn restricted_and_hostile() -> Vec<Value> {
    vec![
        json!({"id": "secret-1", "time": "2026-11-22T03:00:00Z", "lat": 48.3, "lon": 37.3, "category": "explosion_impact",
               "count": 40, "marking": "NATO RESTRICTED", "releasable_to": ["GBR", "FRA"], "categories": ["SOURCES"],
               "text": "a sensitive source saw forty impacts",
               "observer": {"means": "sensor", "team": "SIGINT-1"}}),
        json!({"id": "hostile-1", "time": "2026-11-22T04:00:00Z", "lat": 47.5, "lon": 35.9, "category": "bursts_and_shots",
               "text": "<script>alert('x')</script> & <b>bold</b>", "observer": {"means": "patrol", "team": "MT-<i>X</i>"}}),
    ]
}

#[test]
fn the_public_edition_withholds_what_is_not_releasable_and_says_so() {
    let w = week(&restricted_and_hostile());
    let public = daily_json(&w, DAY6, &[]);
    let restricted = daily_json(&w, DAY6, &["--edition", "restricted"]);
    let all = rows(&w, START_MS, END_MS).len() as u64;
    assert_eq!(u(&restricted["summary"]["observations"]), all);
    assert_eq!(u(&public["summary"]["observations"]), all - 1);
    assert_eq!(u(&public["withheld"]["observations"]), 1);
    assert!(public["withheld"]["note"].as_str().unwrap().contains("1 observation of this period was withheld"));
    assert_eq!(public["classification"], "NATO UNCLASSIFIED");
    assert_eq!(restricted["classification"], "NATO RESTRICTED");
    // The banner states the whole label of what each edition contains: the join of its parts.
    assert_eq!(public["banner"], "NATO UNCLASSIFIED // REL TO MNFU");
    let public_release = public["label"]["releasable_to"].as_array().unwrap();
    assert!(public_release.len() > 20 && public_release.contains(&json!("UKR")), "MNFU's nations: {public_release:?}");
    assert_eq!(restricted["banner"], "NATO RESTRICTED // SOURCES // REL TO FRA, GBR");
    assert_eq!(
        restricted["label"],
        json!({"marking": "NATO RESTRICTED", "releasable_to": ["FRA", "GBR"], "categories": ["SOURCES"]})
    );
    let ids = |m: &Value| -> Vec<String> {
        m["annex"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect()
    };
    assert!(!ids(&public).contains(&"secret-1".to_owned()) && ids(&restricted).contains(&"secret-1".to_owned()));
    // The withheld report counts nowhere: the restricted edition has its 40 impacts more (it is an
    // incident of its own: nothing else was reported at that place and time by a sensor).
    let impact = |m: &Value, k: &str| u(&m["ceasefire_violations"]["by_category"][0][k]);
    assert_eq!(impact(&restricted, "cfv"), impact(&public, "cfv") + 40);
    assert_eq!(impact(&restricted, "cumulative_cfv"), impact(&public, "cumulative_cfv") + 40);

    let html = report(&w, &["daily", "--date", DAY6]).stdout;
    assert!(!html.contains("secret-1") && !html.contains("sensitive source"));
    assert!(html.contains("1 observation of this period was withheld"));
    let html = report(&w, &["daily", "--date", DAY6, "--edition", "restricted"]).stdout;
    assert_eq!(html.matches(">NATO RESTRICTED // SOURCES // REL TO FRA, GBR</div>").count(), 2, "banners");
    assert!(html.contains("sensitive source"));
}

#[test]
fn html_is_one_self_contained_file_with_banners_numbers_and_escaped_text() {
    let w = week(&restricted_and_hostile());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("daily.html");
    let run = report(&w, &["daily", "--date", DAY6, "--out", path(&out)]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    let html = std::fs::read_to_string(&out).unwrap();
    let m = daily_json(&w, DAY6, &[]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for external in ["src=\"http", "href=\"http", "src='http", "url(http", "@import", "<link", "<script"] {
        assert!(!html.contains(external), "{external} in the report");
    }
    assert_eq!(html.matches(">NATO UNCLASSIFIED // REL TO MNFU</div>").count(), 2, "banner top and bottom");
    assert!(html.contains("position: fixed") && html.contains("break-before: page"), "print CSS");
    assert!(html.contains("<svg") && html.contains("class=\"map\""), "inline charts and map");
    // The period's map lies on land and sea (the front reaches the Dnipro's mouth and the Black Sea),
    // with the data's credit under it.
    let map = html.split("class=\"map\"").nth(1).and_then(|m| m.split("</svg>").next()).unwrap();
    assert!(map.contains("<path class=\"coast\" d=\"m") && map.contains("<path class=\"land\" d=\"m"));
    assert!(html.contains("</svg><p class=\"credit\">Land and sea: © OpenStreetMap contributors</p>"));
    for n in [&m["summary"]["cfv"], &m["summary"]["cfv_cumulative"], &m["ceasefire_violations"]["by_sector"][3]["cfv"]]
    {
        assert!(html.contains(&format!(">{n}<")), "{n} missing");
    }
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"));
    // The public edition never names the monitoring team; the restricted one does, escaped.
    assert!(!html.contains("MT-&lt;i&gt;X") && !html.contains("<i>X</i>"));
    let restricted = report(&w, &["daily", "--date", DAY6, "--edition", "restricted"]).stdout;
    assert!(restricted.contains("MT-&lt;i&gt;X&lt;/i&gt;") && !restricted.contains("<i>X</i>"));

    let md = report(&w, &["daily", "--date", DAY6, "--format", "md"]);
    assert_eq!(md.code, 0, "{}", md.stderr);
    assert!(md.stdout.starts_with("**NATO UNCLASSIFIED // REL TO MNFU**"));
    assert!(md.stdout.contains("## 2. Ceasefire violations"));
    assert!(md.stdout.contains(&format!("| **Total** | **{}** |", m["summary"]["cfv"])));
    assert!(md.stdout.contains("&lt;script&gt;") && !md.stdout.contains("<script"));
}

/// A busy day's JSON report, whose incidents and annex are serialised on two threads and put in their
/// place in the rest, is byte for byte one indented serialisation of its model, in both editions.
#[test]
fn a_busy_days_json_report_is_one_indented_serialisation_of_its_model() {
    let bulk: Vec<Value> = (0..2_500)
        .map(|k| {
            json!({"id": format!("bulk-{k}"), "time": format!("2026-11-21T{:02}:{:02}:{:02}Z", k / 360, k / 6 % 60, k % 6 * 10),
                   "lat": 47.0 + f64::from(k % 100) * 0.02, "lon": 35.0 + f64::from(k / 100) * 0.06,
                   "category": "explosion_impact", "text": format!("report {k}: \"quoted\" \u{2014} é\n"),
                   "observer": {"means": "patrol", "team": "MT-1"}})
        })
        .collect();
    let w = week(&bulk);
    for edition in ["public", "restricted"] {
        let run = report(&w, &["daily", "--date", "2026-11-21", "--format", "json", "--edition", edition]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let m: Value = serde_json::from_str(&run.stdout).unwrap();
        let annex: Vec<&str> = m["annex"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
        assert!(
            (0..2_500).all(|k| annex.contains(&format!("bulk-{k}").as_str())),
            "{edition}: every report in the annex"
        );
        assert!(!m["incidents"].as_array().unwrap().is_empty(), "{edition}: no incidents");
        assert!(m["corrections"].is_array() && m["summary"].is_object());
        assert!(
            run.stdout == serde_json::to_string_pretty(&m).unwrap() + "\n",
            "{edition}: the text is not one indented serialisation of the model"
        );
    }
}

/// `truce report --out FILE` killed while it writes leaves the report that was there whole under FILE
/// (it writes `.FILE.partial` and renames it once whole); the next run replaces it and leaves no
/// partial file.
#[test]
fn a_report_killed_while_it_is_written_leaves_the_previous_file_whole() {
    use std::process::{Command, Stdio};
    // 2,000 reports with 4,000 characters of text: a JSON report of about 9 MB, written for long
    // enough (debug build) that the run is killed while its partial file grows.
    let w = week(&wordy_day(2_000));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("daily.json");
    let partial = dir.path().join(".daily.json.partial");
    let args = ["daily", "--date", "2026-11-21", "--format", "json", "--out", path(&out)];
    let run = report(&w, &args);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    let before = std::fs::read(&out).unwrap();
    assert!(before.len() > 8_000_000 && before.ends_with(b"}\n"), "{} bytes", before.len());

    let (sectors, agreement) = (data("warning/sectors.toml"), agreement());
    let mut child = Command::new(env!("CARGO_BIN_EXE_truce"))
        .arg("report")
        .args(["daily", "--date", "2026-11-21", "--format", "json", "--edition", "restricted", "--out", path(&out)])
        .args(["--data-dir", path(&w.data), "--agreement", path(&agreement), "--sectors", path(&sectors)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut grown = false;
    while child.try_wait().unwrap().is_none() {
        if std::fs::metadata(&partial).is_ok_and(|m| m.len() > 0) {
            child.kill().unwrap();
            grown = true;
            break;
        }
        std::thread::yield_now();
    }
    child.wait().unwrap();
    assert!(grown, "the run ended before its partial file was seen growing");
    assert!(std::fs::read(&out).unwrap() == before, "the killed run changed the previous report");

    let run = report(&w, &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(std::fs::read(&out).unwrap() == before, "the same report again, whole");
    assert!(!partial.exists(), "a finished run leaves no partial file");
}

/// `--out` naming something that is not a file (a named pipe here, `/dev/null` in a benchmark) writes
/// the report into it: it is not replaced by a file of that name.
#[test]
fn a_report_written_to_a_named_pipe_goes_through_it() {
    let w = week(&[]);
    let dir = tempfile::tempdir().unwrap();
    let (run, text) = crate::util::through_a_pipe(dir.path(), |fifo| {
        report(&w, &["daily", "--date", "2026-11-21", "--format", "json", "--out", fifo])
    });
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    let model: Value = serde_json::from_slice(&text).expect("the report, whole, through the pipe");
    assert_eq!(model["report"], "daily");
}

#[test]
fn bad_parameters_name_the_flag_and_exit_2() {
    let w = week(&[]);
    for (args, flag) in [
        (vec!["daily", "--date", "2026-11-31"], "--date"),
        (vec!["daily", "--date", "22.11.2026"], "--date"),
        (vec!["daily", "--date", DAY6, "--tz", "Europe/Atlantis"], "--tz"),
        (vec!["daily", "--date", DAY6, "--cutoff", "24:30"], "--cutoff"),
        (vec!["daily", "--date", DAY6, "--format", "pdf"], "--format"),
        (vec!["daily", "--date", DAY6, "--edition", "secret"], "--edition"),
        (vec!["status", "--from", "2026-11-23", "--to", "2026-11-17"], "--to"),
        (vec!["daily", "--date", "2200-01-01"], "--date"),
        (vec!["status", "--from", "2026-11-23", "--to", "2199-12-31"], "--to"),
    ] {
        let run = report(&w, &args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(flag) && run.stderr.contains(args[args.len() - 1]), "{args:?}: {}", run.stderr);
        if ["2200-01-01", "2199-12-31"].contains(&args[args.len() - 1]) {
            assert!(run.stderr.contains("is after today"), "like the API: {}", run.stderr);
        }
    }
    let run = report(&w, &["spot", "inc-nothing", "--format", "json"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("inc-nothing"), "{}", run.stderr);
}

#[test]
fn spot_report_on_an_incident_of_the_daily_report() {
    let w = week(&[]);
    let m = daily_json(&w, DAY6, &[]);
    let incident = m["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["observations"].as_array().unwrap().len() >= 2 && !i["violations"].as_array().unwrap().is_empty())
        .unwrap();
    let id = incident["id"].as_str().unwrap();
    let run = report(&w, &["spot", id, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(&s["incident"], incident, "the same incident as in the daily report");
    let ids: Vec<&Value> = s["observations"].as_array().unwrap().iter().map(|o| &o["id"]).collect();
    assert_eq!(ids, incident["observations"].as_array().unwrap().iter().collect::<Vec<_>>());
    // The public edition leaves out where the observers were; the restricted one has their bearings.
    assert!(
        s["observations"].as_array().unwrap().iter().all(|o| o["bearing_deg"].is_null() && o["observer"].is_null())
    );
    let run = report(&w, &["spot", id, "--format", "json", "--edition", "restricted"]);
    let r: Value = serde_json::from_str(&run.stdout).unwrap();
    assert!(r["observations"].as_array().unwrap().iter().any(|o| o["bearing_deg"].is_number()));
    assert_eq!(s["violations"], incident["violations"]);
    let html = report(&w, &["spot", id]).stdout;
    assert!(html.contains(id) && html.contains("class=\"map\"") && !html.contains("<script"));
    assert_eq!(html.matches(">NATO UNCLASSIFIED // REL TO MNFU</div>").count(), 2);
}

#[test]
fn status_report_over_the_week_adds_up_the_daily_reports() {
    let w = week(&[]);
    let run = report(&w, &["status", "--from", "2026-11-17", "--to", "2026-11-23", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s: Value = serde_json::from_str(&run.stdout).unwrap();
    let days = s["by_day"].as_array().unwrap();
    assert_eq!(days.len(), 7);
    let (mut cfv, mut weapons, mut restrictions, mut injured) = (0, 0, 0, 0);
    for d in days {
        let daily = daily_json(&w, d["date"].as_str().unwrap(), &[]);
        assert_eq!(d["cfv"], daily["summary"]["cfv"], "{}", d["date"]);
        assert_eq!(d["observations"], daily["summary"]["observations"]);
        cfv += u(&d["cfv"]);
        weapons += u(&daily["summary"]["weapons_in_violation"]);
        restrictions += u(&daily["summary"]["restrictions"]);
        injured += u(&daily["summary"]["injured"]);
    }
    let t = &s["totals"];
    assert_eq!(
        (u(&t["cfv"]), u(&t["weapons_in_violation"]), u(&t["restrictions"]), u(&t["injured"])),
        (cfv, weapons, restrictions, injured)
    );
    assert_eq!(s["by_sector"].as_array().unwrap().iter().map(|r| u(&r["cfv"])).sum::<u64>(), cfv);
    // 2026-11-16T17:30Z to 2026-11-23T17:30Z holds the whole week but its last 6.5 hours.
    let sql = rows(&w, START_MS - 5 * 86_400_000, END_MS + 86_400_000).len() as u64;
    assert_eq!(u(&t["observations"]), sql);
    let busiest = days.iter().max_by_key(|d| u(&d["cfv"])).unwrap();
    // The escalation (day 6, 11-22 UTC) falls in the periods dated 11-22 and 11-23 (from 17:30 UTC on).
    assert!(busiest["date"] == DAY6 || busiest["date"] == "2026-11-23", "{busiest}");
    let html = report(&w, &["status", "--from", "2026-11-17", "--to", "2026-11-23"]).stdout;
    assert!(html.contains("Per day") && html.contains(&format!(">{cfv}<")));
}

/// GET returning (status, content type, body).
fn get(server: &Server, path: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(&server.addr).unwrap();
    let auth = server.token().map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {}\r\n{auth}Connection: close\r\n\r\n", server.addr).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let ctype = head
        .lines()
        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-type: ").map(str::to_owned))
        .unwrap_or_default();
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 || tail.len() < n {
                break;
            }
            out.push_str(&tail[..n]);
            rest = tail[n..].trim_start_matches("\r\n");
        }
        out
    } else {
        body.to_owned()
    };
    (status, ctype, body)
}

/// A client that stops reading a report being streamed to it is cut off after `--http-stall` seconds:
/// the server counts it and frees the report's thread and memory instead of waiting for ever, the next
/// client gets the whole report, and the stalled client, when it reads again, gets a response that
/// stops short (no last chunk), not one that looks complete.
#[test]
fn a_client_that_stops_reading_a_report_is_cut_off_and_the_next_is_served() {
    use std::io::{Read, Write};
    // 5,000 reports of one day with 4,000 characters of text each: a JSON report of about 20 MB, more
    // than the sockets' buffers and the chunks in flight hold.
    let w = week(&wordy_day(5_000));
    let sectors = data("warning/sectors.toml");
    let server = crate::util::serve(&w.data, &["--sectors", path(&sectors), "--http-stall", "1"]);
    let query = "/api/v1/reports/daily?date=2026-11-21&format=json";

    let mut stalled = std::net::TcpStream::connect(&server.addr).unwrap();
    let token = server.token().unwrap();
    write!(stalled, "GET {query} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\r\n", server.addr).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stalled.read(&mut byte).unwrap(), 1, "the headers end");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(
        head.starts_with("HTTP/1.1 200") && head.to_ascii_lowercase().contains("transfer-encoding: chunked"),
        "{head}"
    );

    // The client reads nothing more; the server gives up on it after a second.
    let cut = r#"truce_http_responses_cut_total{reason="stalled"} 1"#;
    server.wait_for_metric(cut, "the stalled report was not cut");

    let (status, _, body) = get(&server, query);
    assert_eq!(status, 200);
    let whole: Value = serde_json::from_str(&body).unwrap();
    let annex = whole["annex"].as_array().unwrap();
    assert!(annex.len() >= 5_000 && body.len() > 20_000_000, "{} rows, {} bytes", annex.len(), body.len());

    // Reading again, the stalled client gets what was already on its way, then the connection ends
    // without the last chunk.
    let mut rest = Vec::new();
    let _ = stalled.read_to_end(&mut rest);
    assert!(rest.len() < body.len(), "{} bytes came of {}", rest.len(), body.len());
    assert!(!rest.ends_with(b"0\r\n\r\n"), "the cut response must not end as if complete");
    assert!(server.has_metric(cut), "one report cut, the second served whole");
}

#[test]
fn report_api_serves_html_md_json_and_rejects_bad_parameters() {
    let w = week(&[]);
    let sectors = data("warning/sectors.toml");
    let server = crate::util::serve(&w.data, &["--sectors", path(&sectors)]);
    let (status, ctype, html) = get(&server, "/api/v1/reports/daily?date=2026-11-22&format=html");
    assert_eq!((status, ctype.as_str()), (200, "text/html; charset=utf-8"));
    assert_eq!(html.matches(">NATO UNCLASSIFIED // REL TO MNFU</div>").count(), 2);
    let (status, ctype, md) = get(&server, "/api/v1/reports/daily?date=2026-11-22&format=md&edition=restricted");
    assert_eq!((status, ctype.as_str()), (200, "text/markdown; charset=utf-8"));
    assert!(md.contains("## 2. Ceasefire violations"));
    let (status, ctype, body) = get(&server, "/api/v1/reports/daily?date=2026-11-22&format=json");
    assert_eq!((status, ctype.as_str()), (200, "application/json"));
    let api: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(api, daily_json(&w, DAY6, &[]), "the API and the command line give the same model");
    assert!(body.len() > 1 << 16, "the model ({} bytes) is streamed in several chunks of 64 KiB", body.len());

    for (query, field) in [
        ("/api/v1/reports/daily?date=2026-02-30", "date"),
        ("/api/v1/reports/daily", "date"),
        ("/api/v1/reports/daily?date=2026-11-22&tz=Nowhere/Else", "tz"),
        ("/api/v1/reports/daily?date=2026-11-22&cutoff=7pm", "cutoff"),
        ("/api/v1/reports/daily?date=2026-11-22&format=pdf", "format"),
        ("/api/v1/reports/status?from=2026-11-17", "to"),
    ] {
        let (status, ctype, body) = get(&server, query);
        assert_eq!((status, ctype.as_str()), (400, "application/json"), "{query}");
        let e: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (e["error"]["code"].as_str(), e["error"]["field"].as_str()),
            (Some("invalid_parameter"), Some(field))
        );
    }

    let id = api["incidents"][0]["id"].as_str().unwrap().to_owned();
    let (status, ctype, spot) = get(&server, &format!("/api/v1/reports/spot/{id}"));
    assert_eq!((status, ctype.as_str()), (200, "text/html; charset=utf-8"));
    assert!(spot.contains(&id));
    let (status, _, body) = get(&server, "/api/v1/reports/spot/inc-nothing?format=json");
    assert_eq!(status, 404, "{body}");
    let (status, _, body) = get(&server, "/api/v1/reports/status?from=2026-11-17&to=2026-11-23&format=json");
    assert_eq!(status, 200);
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["by_day"].as_array().unwrap().len(), 7);

    let (status, _, page) = get(&server, "/reports.html");
    assert!(status == 200 && page.contains("reports.js") && page.contains("id=\"report\""));
    let (status, ctype, _) = get(&server, "/reports.js");
    assert_eq!((status, ctype.as_str()), (200, "text/javascript; charset=utf-8"));
    let (_, _, openapi) = get(&server, "/api/v1/openapi.json");
    let openapi: Value = serde_json::from_str(&openapi).unwrap();
    for p in ["/api/v1/reports/daily", "/api/v1/reports/spot/{incident}", "/api/v1/reports/status"] {
        assert!(openapi["paths"][p].is_object(), "{p} missing from the OpenAPI document");
    }
}

#[test]
fn report_api_refuses_a_date_after_today_naming_the_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::util::serve(dir.path(), &[]);
    let today = time::OffsetDateTime::now_utc().date();
    // The day after tomorrow, so that the test cannot straddle midnight (the unit test in
    // truce-report's period.rs pins the boundary itself: today is served, tomorrow refused).
    let (yesterday, later) = (today.previous_day().unwrap(), today.next_day().unwrap().next_day().unwrap());
    for (query, field) in [
        (format!("/api/v1/reports/daily?date={later}"), "date"),
        (format!("/api/v1/reports/status?from={yesterday}&to={later}"), "to"),
        (format!("/api/v1/reports/status?from={later}&to={later}"), "from"),
    ] {
        let (status, ctype, body) = get(&server, &query);
        assert_eq!((status, ctype.as_str()), (400, "application/json"), "{query}: {body}");
        let e: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (e["error"]["code"].as_str(), e["error"]["field"].as_str()),
            (Some("invalid_parameter"), Some(field)),
            "{query}: {body}"
        );
        assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains("is after today")), "{body}");
    }
    // Today's report (its period under way) and the days before it are served.
    for query in [
        format!("/api/v1/reports/daily?date={today}&format=json"),
        format!("/api/v1/reports/status?from={yesterday}&to={today}&format=json"),
    ] {
        let (status, _, body) = get(&server, &query);
        assert_eq!(status, 200, "{query}: {body}");
    }
}

#[test]
fn the_servers_kept_report_periods_follow_a_late_report_into_a_past_period() {
    let w = week(&[]);
    let sectors = data("warning/sectors.toml");
    let server = crate::util::serve(&w.data, &["--sectors", path(&sectors)]);
    let restricted = ["--edition", "restricted"];
    let api = || {
        let (status, _, body) = get(&server, "/api/v1/reports/daily?date=2026-11-23&format=json&edition=restricted");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()
    };
    let status_api = || {
        let (code, _, body) =
            get(&server, "/api/v1/reports/status?from=2026-11-17&to=2026-11-23&format=json&edition=restricted");
        assert_eq!(code, 200, "{body}");
        serde_json::from_str::<Value>(&body).unwrap()
    };
    let status_cli = || {
        let args =
            ["status", "--from", "2026-11-17", "--to", "2026-11-23", "--format", "json", "--edition", "restricted"];
        let run = report(&w, &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        serde_json::from_str::<Value>(&run.stdout).unwrap()
    };
    let status_first = status_api();
    assert_eq!(status_first, status_cli(), "the server's kept periods make the status report a fresh reading does");
    assert_eq!(status_api(), status_first, "asked again, with the periods kept");
    let first = api();
    assert_eq!(
        first,
        fresh_daily_json(&w, "2026-11-23", &restricted),
        "the server's kept tallies count as a fresh reading"
    );
    assert_eq!(api(), first, "asked again, with the periods kept");
    // A late report of three explosions on 11-18, inside a period the server has kept.
    let late = json!({"id": "late-1", "time": "2026-11-18T03:00:00Z", "lat": 48.3, "lon": 37.5,
        "category": "explosion_impact", "count": 3, "observer": {"means": "patrol", "team": "MT-LATE"}});
    let (status, body) = server.json("POST", "/api/v1/observations", late.to_string().as_bytes());
    assert_eq!(status, 201, "{body}");
    let after = api();
    assert_eq!(after, fresh_daily_json(&w, "2026-11-23", &restricted), "the changed period was read again");
    assert_eq!(
        u(&after["summary"]["cfv_cumulative"]),
        u(&first["summary"]["cfv_cumulative"]) + 3,
        "the late report counts since the agreement"
    );
    assert_eq!(after["summary"]["cfv"], first["summary"]["cfv"], "not in the report's own period");
    let status_after = status_api();
    assert_eq!(status_after, status_cli(), "the changed period of the status report was read again");
    assert_eq!(u(&status_after["totals"]["cfv"]), u(&status_first["totals"]["cfv"]) + 3);
}

/// The tallies the command line keeps in the store (`kept_days`), as (day, stamp, value) of `name`.
fn kept_tallies(w: &Week, name: &str) -> Vec<(i64, String, Vec<u8>)> {
    let db = rusqlite::Connection::open(w.data.join("truce.sqlite")).unwrap();
    let mut stmt =
        db.prepare("SELECT day, stamp, value FROM kept_days WHERE name = ?1 AND audience = '*' ORDER BY day").unwrap();
    stmt.query_map([name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap()
}

fn set_kept_value(w: &Week, name: &str, day: i64, value: &[u8]) {
    let db = rusqlite::Connection::open(w.data.join("truce.sqlite")).unwrap();
    let n = db
        .execute("UPDATE kept_days SET value = ?3 WHERE name = ?1 AND day = ?2", rusqlite::params![name, day, value])
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn the_command_lines_daily_report_reads_its_kept_tallies_back_and_follows_a_late_report() {
    let w = week(&[]);
    let restricted = ["--edition", "restricted"];
    let name = "report-tally/restricted";
    assert!(kept_tallies(&w, name).is_empty(), "nothing kept before the first report");
    let first = daily_json(&w, "2026-11-23", &restricted);
    let kept = kept_tallies(&w, name);
    // The agreement took effect on 11-17: the periods of 11-17 to 11-22 are past, the previous one too.
    assert!(kept.len() >= 6, "the past periods are kept: {}", kept.len());
    assert_eq!(daily_json(&w, "2026-11-23", &restricted), first, "the second run, from the kept tallies");

    // Read back, not made again: a kept tally with 1,000 more CFVs shows in the cumulative count.
    let (day, _, value) = &kept[2];
    let mut tally: Value = serde_json::from_slice(value).unwrap();
    tally[0]["total"]["cfv"] = json!(u(&tally[0]["total"]["cfv"]) + 1_000);
    set_kept_value(&w, name, *day, tally.to_string().as_bytes());
    let tampered = daily_json(&w, "2026-11-23", &restricted);
    assert_eq!(u(&tampered["summary"]["cfv_cumulative"]), u(&first["summary"]["cfv_cumulative"]) + 1_000);

    // A kept tally that does not decode is made again and kept again.
    set_kept_value(&w, name, *day, b"[not a tally");
    assert_eq!(daily_json(&w, "2026-11-23", &restricted), first, "an undecodable tally is made again");
    assert_eq!(kept_tallies(&w, name)[2], kept[2], "and kept again");

    // A late report of three explosions on 11-18 changes that period's days: it is read again.
    let late = w.data.parent().unwrap().join("late.ndjson");
    let line = json!({"id": "late-1", "time": "2026-11-18T03:00:00Z", "lat": 48.3, "lon": 37.5,
        "category": "explosion_impact", "count": 3, "observer": {"means": "patrol", "team": "MT-LATE"}});
    std::fs::write(&late, format!("{line}\n")).unwrap();
    let agreement = agreement();
    let run = truce(&["ingest", "--data-dir", path(&w.data), "--agreement", path(&agreement), path(&late)], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let after = daily_json(&w, "2026-11-23", &restricted);
    assert_eq!(u(&after["summary"]["cfv_cumulative"]), u(&first["summary"]["cfv_cumulative"]) + 3);
    assert_eq!(after["summary"]["cfv"], first["summary"]["cfv"], "not in the report's own period");
    let changed: Vec<i64> = kept_tallies(&w, name)
        .iter()
        .zip(&kept)
        .filter(|(now, before)| now.1 != before.1)
        .map(|(now, _)| now.0)
        .collect();
    // Periods run 17:30 to 17:30 UTC: two of them touch the UTC day 11-18, whose counter moved.
    assert_eq!(changed.len(), 2, "only the periods touching 11-18 were made again: {changed:?}");
    assert_eq!(fresh_daily_json(&w, "2026-11-23", &restricted), after, "the same as a reading with nothing kept");
}
