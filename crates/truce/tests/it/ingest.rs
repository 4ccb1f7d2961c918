//! `truce ingest` and `truce observations` on a real SQLite file.

use std::path::PathBuf;

use crate::util::{Run, agreement, data, truce};

/// The export fixtures of truce-formats (see their README for the layouts' sources).
fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../truce-formats/tests/fixtures").join(name)
}

fn ingest(dir: &std::path::Path, files: &[PathBuf], extra: &[&str]) -> Run {
    let store = dir.join("store");
    let a = agreement();
    let mut args = vec!["ingest", "--data-dir", store.to_str().unwrap(), "--agreement", a.to_str().unwrap()];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    args.extend(extra);
    truce(&args, b"")
}

/// ACLED and UCDP exports as published and as a spreadsheet re-saves them (day-first dates with a time,
/// Windows-1252, CRLF; US dates with AM/PM), and a generic event file: all load without a mapping file.
#[test]
fn exports_load_as_published_and_as_resaved_by_a_spreadsheet() {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = [
        "acled.csv",
        "acled-spreadsheet-dmy.csv",
        "ucdp-ged.csv",
        "ucdp-ged-spreadsheet-mdy.csv",
        "generic-events.csv",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect();
    let run = ingest(dir.path(), &files, &[]);
    assert_eq!(run.code, 1, "one re-saved event differs from the published one: {}", run.stderr);
    // Re-saved, the same events have the same ids: stored once; the one whose place the spreadsheet
    // file writes otherwise is a conflict, named, and not stored over the first.
    assert!(
        run.stderr.contains(
            "8 new observations stored, 5 already stored, 1 in conflict with what is stored, 0 bad, 2 skipped"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "acled-spreadsheet-dmy.csv:2: observation \"acled-XYZ1\" is already stored with other content (differs in: place)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "acled-spreadsheet-dmy.csv: the file is not UTF-8 (line 2); read as Windows-1252; use --encoding utf-8|windows-1252|latin1 to choose"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("not used"), "the published columns are all known: {}", run.stderr);
    let list = truce(&["observations", "--data-dir", dir.path().join("store").to_str().unwrap()], b"");
    let airburst = list.stdout.lines().filter(|l| l.contains("\"explosion_airburst\"")).count();
    assert_eq!(airburst, 1, "the air-defence interception is kept: {}", list.stdout);
}

#[test]
fn the_encoding_can_be_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let run = ingest(dir.path(), &[fixture("acled-spreadsheet-dmy.csv")], &["--encoding", "utf-8"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("acled-spreadsheet-dmy.csv:2: column `location`: not valid UTF-8"), "{}", run.stderr);
    let run = ingest(dir.path(), &[fixture("acled-spreadsheet-dmy.csv")], &["--encoding", "latin1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("not UTF-8"), "chosen, not guessed: {}", run.stderr);
    assert_eq!(ingest(dir.path(), &[PathBuf::from("x.csv")], &["--encoding", "utf-16"]).code, 2);
}

#[test]
fn ambiguous_dates_are_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let run = ingest(dir.path(), &[fixture("ambiguous-dates.csv")], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let line = run.stderr.lines().find(|l| l.contains("ambiguous-dates.csv")).unwrap_or_default();
    assert!(
        line.contains("column `date`")
            && line.contains("line 2")
            && line.ends_with("say which with --date-order dmy|mdy"),
        "{}",
        run.stderr
    );
    let run = ingest(dir.path(), &[fixture("ambiguous-dates.csv")], &["--date-order", "dmy"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("2 new observations stored"), "{}", run.stderr);
}

/// A thousand rows failing alike are one line, with a hint, not a thousand.
#[test]
fn many_rows_failing_alike_make_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("acled-uk.csv");
    let mut csv = String::from("event_id_cnty,event_date,sub_event_type,latitude,longitude\n");
    for i in 0..1_000 {
        csv.push_str(&format!("T{i},{}/08/2020,Armed clash,47.44,35.82\n", 13 + i % 15));
    }
    std::fs::write(&file, csv).unwrap();
    let run = ingest(dir.path(), std::slice::from_ref(&file), &["--date-order", "mdy"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "acled-uk.csv: 1,000 rows: column `event_date`: \"13/08/2020\" is not a date in month/day/year order, first at line 2; try --date-order dmy"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.lines().count() <= 6, "{}", run.stderr);
    let run = ingest(dir.path(), &[file], &[]);
    assert_eq!(run.code, 0, "inferred from the column: {}", run.stderr);
}

#[test]
fn an_empty_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let header = dir.path().join("header.csv");
    std::fs::write(&header, "event_id_cnty,event_date,sub_event_type,latitude,longitude\r\n").unwrap();
    let run = ingest(dir.path(), &[empty, header], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("empty.csv: the file is empty"), "{}", run.stderr);
    assert!(run.stderr.contains("header.csv: the file has a header (line 1) but no rows"), "{}", run.stderr);
    assert!(run.stderr.contains("2 unreadable files"), "{}", run.stderr);
}

#[test]
fn unknown_columns_are_reported_once_and_missing_ones_named() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("typo.csv");
    std::fs::write(
        &typo,
        "event_id_cnty,event_date,sub_event_type,latitude,longitude,fatalties,colour\n\
         A1,2020-08-14,Armed clash,47.44,35.82,0,red\nA2,2020-08-15,Armed clash,47.44,35.82,0,red\n",
    )
    .unwrap();
    let generic = dir.path().join("generic.csv");
    std::fs::write(&generic, "when,lat,lon,category\n2020-08-14,47.44,35.82,muzzle_flash\n").unwrap();
    let run = ingest(dir.path(), &[typo, generic], &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let notices: Vec<&str> = run.stderr.lines().filter(|l| l.contains("not used")).collect();
    assert_eq!(
        notices,
        [format!(
            "{}: columns not used (ACLED layout): `fatalties` (did you mean `fatalities`?), `colour`",
            dir.path().join("typo.csv").display()
        )],
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("generic.csv: no time column: expected one of time, date, event_date, date_start"),
        "{}",
        run.stderr
    );
}

#[test]
fn ingest_then_query() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let a = agreement();
    let acled = dir.path().join("acled.csv");
    std::fs::write(
        &acled,
        "event_id_cnty,event_date,time_precision,sub_event_type,location,latitude,longitude,geo_precision,source,notes\n\
         UKR1,2026-11-20,1,Shelling/artillery/missile attack,Huliaipole,47.6639,36.2531,1,Ukrinform,shelling\n\
         UKR2,2026-11-21,1,Peaceful protest,Kyiv,50.45,30.52,1,X,protest\n\
         UKR3,2026-11-21,1,Armed clash,Robotyne,47.4431,35.8261,2,X,clash\n\
         UKR4,2026-11-21,1,Armed clsh,Robotyne,47.4431,35.8261,2,X,clash\n",
    )
    .unwrap();
    let samples = data("samples/observations.csv");
    let run = truce(
        &[
            "ingest",
            samples.to_str().unwrap(),
            acled.to_str().unwrap(),
            "--data-dir",
            d,
            "--agreement",
            a.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(run.code, 1, "one bad record: {}", run.stderr);
    assert!(
        run.stderr.contains(
            "acled.csv:5: column `sub_event_type`: \"Armed clsh\" is not an ACLED sub-event type (did you mean \"Armed clash\"?"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "acled.csv: 1 row skipped: ACLED sub_event_type \"Peaceful protest\" is not a ceasefire event (1)"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("18 new observations stored, 0 already stored, 1 bad, 1 skipped"), "{}", run.stderr);

    let again = truce(&["ingest", samples.to_str().unwrap(), "--data-dir", d], b"");
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("0 new observations stored, 16 already stored"), "idempotent: {}", again.stderr);

    let list = truce(
        &["observations", "--data-dir", d, "--violation", "weapon_forward_of_withdrawal_line", "--format", "csv"],
        b"",
    );
    assert_eq!(list.code, 0, "{}", list.stderr);
    let rows: Vec<&str> = list.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{}", list.stdout);
    assert!(rows[0].starts_with("artillery-final,"));
    let near = truce(&["observations", "--data-dir", d, "--near", "47.6639,36.2531,1", "--format", "geojson"], b"");
    let fc: serde_json::Value = serde_json::from_str(&near.stdout).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), 1);
    assert_eq!(fc["features"][0]["properties"]["id"], "acled-UKR1");
    let zone = truce(&["observations", "--data-dir", d, "--zone", "mez_northwest"], b"");
    assert_eq!(zone.stdout.lines().count(), 1, "{}", zone.stdout);
    let bad = truce(&["observations", "--data-dir", d, "--violation", "nonsense"], b"");
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--violation"), "{}", bad.stderr);
}

#[test]
fn stored_classifications_follow_a_changed_agreement() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("store");
    let d = d.to_str().unwrap();
    let samples = data("samples/observations.csv");
    let run = truce(
        &["ingest", samples.to_str().unwrap(), "--data-dir", d, "--agreement", agreement().to_str().unwrap()],
        b"",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let in_zone = |d: &str| {
        let out = truce(&["observations", "--data-dir", d, "--zone", "security_zone", "--format", "csv"], b"");
        out.stdout.lines().skip(1).map(|l| l.split(',').next().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert!(in_zone(d).contains(&"kherson-outgoing".to_owned()));

    // The same agreement with a 1 km security zone: Kherson (1.4 km from the line) falls out of it.
    let text = std::fs::read_to_string(agreement()).unwrap();
    let geo = data("geo").canonicalize().unwrap();
    let narrow = text.replace("../geo/", &format!("{}/", geo.display())).replacen(
        "band = { line = \"loc\", width_km = 15, side = \"both\" }\nviolated_by = [\"cfv\"]",
        "band = { line = \"loc\", width_km = 1, side = \"both\" }\nviolated_by = [\"cfv\"]",
        1,
    );
    assert_ne!(narrow, text);
    let changed = dir.path().join("narrow.toml");
    std::fs::write(&changed, narrow).unwrap();
    let one = dir.path().join("one.csv");
    let first_row: Vec<String> =
        std::fs::read_to_string(&samples).unwrap().lines().take(2).map(str::to_owned).collect();
    std::fs::write(&one, first_row.join("\n")).unwrap();
    let run = truce(&["ingest", one.to_str().unwrap(), "--data-dir", d, "--agreement", changed.to_str().unwrap()], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("classifying the 16 stored observations again"), "{}", run.stderr);
    let now = in_zone(d);
    assert!(!now.contains(&"kherson-outgoing".to_owned()), "{now:?}");
    assert!(now.contains(&"siversk-vertex".to_owned()), "a point on the line stays in any band");
}

#[test]
fn an_ingest_killed_midway_leaves_whole_batches_and_a_rerun_completes_it() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let file = dir.path().join("many.csv");
    let rows = 70_000;
    let mut csv = String::from("id,time,lat,lon,category\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "k{i:06},2026-11-20T{:02}:{:02}:00Z,{:.5},{:.5},muzzle_flash\n",
            (i / 60) % 24,
            i % 60,
            47.0 + (i % 300) as f64 * 0.01,
            35.0 + (i % 500) as f64 * 0.01
        ));
    }
    std::fs::write(&file, csv).unwrap();
    let (s, f, a) = (store.to_str().unwrap(), file.to_str().unwrap(), agreement());
    let mut child = Command::new(env!("CARGO_BIN_EXE_truce"))
        .args(["ingest", f, "--data-dir", s, "--agreement", a.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once its write-ahead log passes 10 MiB (here: after the first 20,000-row commit, in the
    // middle of the second), or whenever it ends by itself: either way only whole batches may be stored.
    let wal = store.join("truce.sqlite-wal");
    while child.try_wait().unwrap().is_none() && std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0) < 10 << 20 {
        std::thread::yield_now();
    }
    let _ = child.kill();
    child.wait().unwrap();

    let count = |s: &str| truce(&["observations", "--data-dir", s, "--format", "csv"], b"").stdout.lines().count() - 1;
    let partial = count(s);
    eprintln!("killed after {partial} of {rows} observations were committed");
    assert_eq!(
        partial % 20_000,
        0,
        "a killed ingest leaves whole transactions of whole batches of 20,000 only, found {partial}"
    );
    let rerun = truce(&["ingest", f, "--data-dir", s], b"");
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert!(
        rerun.stderr.contains(&format!("{} new observations stored, {partial} already stored", rows - partial)),
        "{}",
        rerun.stderr
    );
    assert_eq!(count(s), rows);
}
