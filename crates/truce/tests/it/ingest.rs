//! `truce ingest` and `truce observations` on a real SQLite file.

use crate::util::{agreement, data, truce};

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
         UKR3,2026-11-21,1,Armed clash,Robotyne,47.4431,35.8261,2,X,clash\n",
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
        run.stderr.contains("acled.csv:3: field `sub_event_type`: \"Peaceful protest\" has no truce category"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("18 new observations stored, 0 already stored, 1 bad"), "{}", run.stderr);

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
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "id,time,lat,lon,category\n").unwrap();
    let run =
        truce(&["ingest", empty.to_str().unwrap(), "--data-dir", d, "--agreement", changed.to_str().unwrap()], b"");
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
    assert_eq!(partial % 20_000, 0, "a killed ingest leaves whole transactions of 20,000 only, found {partial}");
    let rerun = truce(&["ingest", f, "--data-dir", s], b"");
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert!(
        rerun.stderr.contains(&format!("{} new observations stored, {partial} already stored", rows - partial)),
        "{}",
        rerun.stderr
    );
    assert_eq!(count(s), rows);
}
