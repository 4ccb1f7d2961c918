//! `truce decode ais|adsb`: the public corpora decode to NDJSON with the fields, a bad line is
//! named on stderr with its line and the exit code says so, and a wrong input is one clear error.

use serde_json::Value;

use crate::util::truce;

fn corpus(krate: &str, file: &str) -> String {
    format!("{}/../{krate}/tests/corpus/{file}", env!("CARGO_MANIFEST_DIR"))
}

fn objects(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

#[test]
fn ais_from_a_file_and_from_stdin_with_a_bad_line_named() {
    let file = corpus("truce-ais", "pyais_tests_mit.nmea");
    let run = truce(&["decode", "ais", &file], b"");
    let out = objects(&run.stdout);
    assert!(out.len() > 1_000, "{} messages", out.len());
    let first = out.iter().find(|o| o["msg_type"] == 1).expect("a position report");
    for field in ["mmsi", "lat", "lon", "speed", "course"] {
        assert!(first.get(field).is_some(), "{field} in {first}");
    }
    assert!(run.stderr.contains("truce decode ais:"), "{}", run.stderr);

    // A good sentence, then one with its checksum changed, from standard input.
    let good = "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C";
    let bad = good.replace("*5C", "*5D");
    let run = truce(&["decode", "ais", "-"], format!("{good}\n{bad}\n").as_bytes());
    assert_eq!(run.code, 1, "a bad line makes the exit code 1");
    let out = objects(&run.stdout);
    assert_eq!((out.len(), out[0]["mmsi"].as_u64()), (1, Some(366_053_209)));
    assert!(run.stderr.contains("<stdin>:2: ") && run.stderr.contains("checksum"), "{}", run.stderr);
    assert!(run.stderr.contains("1 bad lines"), "{}", run.stderr);
}

#[test]
fn adsb_in_each_format_and_the_errors_of_a_wrong_input() {
    let raw = corpus("truce-adsb", "lax_raw_frames_20k.txt");
    let run = truce(&["decode", "adsb", &raw, "--format", "raw"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = objects(&run.stdout);
    assert!(out.len() > 19_000, "{} messages", out.len());
    let placed = out.iter().find(|o| o["lat"].is_number()).expect("a position");
    assert!(placed["icao"].as_str().is_some_and(|s| s.len() == 6 && s == s.to_lowercase()), "{placed}");
    assert!(out.iter().any(|o| o["callsign"].is_string() && o["altitude"].is_number() || o["groundspeed"].is_number()));

    let sbs = corpus("truce-adsb", "dump1090_replay_sbs1.csv");
    let run = truce(&["decode", "adsb", &sbs, "--format", "sbs"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(objects(&run.stdout).len() > 5_000);
    let json = corpus("truce-adsb", "dump1090_replay_aircraft.json");
    let run = truce(&["decode", "adsb", &json, "--format", "aircraft-json"], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(objects(&run.stdout).len(), 101, "one object per aircraft");

    // A raw frame with a wrong CRC is named with its line; --reference is checked.
    let run = truce(&["decode", "adsb", "-", "--format", "raw"], b"*8D4840D6202CC371C32CE0576099;\n");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("<stdin>:1: ") && run.stderr.contains("CRC"), "{}", run.stderr);
    let run = truce(&["decode", "adsb", "-", "--format", "raw", "--reference", "91,0"], b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("not a position"), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let run = truce(&["decode", "ais", dir.path().to_str().unwrap()], b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("is a directory"), "{}", run.stderr);
}
