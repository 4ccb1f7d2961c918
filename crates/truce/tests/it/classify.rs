//! `truce classify`: the exact batch interface.

use serde_json::Value;

use crate::util::{agreement, data, truce};

fn lines(stdout: &str) -> Vec<Value> {
    stdout.lines().map(|l| serde_json::from_str(l).expect("each output line is JSON")).collect()
}

#[test]
fn csv_in_ndjson_out_in_input_order() {
    let input = data("samples/observations.csv");
    let run =
        truce(&["classify", "--agreement", agreement().to_str().unwrap(), "--input", input.to_str().unwrap()], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = lines(&run.stdout);
    let csv = std::fs::read_to_string(&input).unwrap();
    let ids: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(out.iter().map(|o| o["id"].as_str().unwrap()).collect::<Vec<_>>(), ids);
    for raw in run.stdout.lines() {
        let at = |k: &str| raw.find(&format!("\"{k}\":")).unwrap_or_else(|| panic!("no {k} in {raw}"));
        assert!(raw.starts_with("{\"id\":") && at("lines") < at("zones") && at("zones") < at("violations"), "{raw}");
    }
    for o in &out {
        assert_eq!(o.as_object().unwrap().len(), 4);
        for line in ["loc", "loc_rus"] {
            assert!(o["lines"][line]["distance_m"].is_number());
            assert!(o["lines"][line]["side"].is_string() || o["lines"][line]["side"].is_null());
        }
    }
    let kherson = out.iter().find(|o| o["id"] == "kherson-outgoing").unwrap();
    assert_eq!(kherson["lines"]["loc"]["side"], "ukr");
    assert_eq!(kherson["violations"][0]["code"], "cfv_in_security_zone");
    let art = out.iter().find(|o| o["id"] == "artillery-final").unwrap();
    let v = &art["violations"][0];
    assert_eq!(v["code"], "weapon_forward_of_withdrawal_line");
    assert_eq!(
        (v["class"].as_str(), v["line"].as_str(), v["required_m"].as_f64()),
        (Some("artillery_100mm"), Some("loc"), Some(25_000.0))
    );
    assert_eq!(v["actual_m"], art["lines"]["loc"]["distance_m"]);
    let vertex = out.iter().find(|o| o["id"] == "siversk-vertex").unwrap();
    assert_eq!(vertex["lines"]["loc"]["side"], Value::Null);
    assert!(run.stderr.contains("16 records classified, 0 bad"), "{}", run.stderr);
}

#[test]
fn bad_records_are_reported_with_their_line_and_skipped() {
    let input = "id,lat,lon,category,weapon_class\n\
                 ok1,48.5,37.5,,\n\
                 north,90.5,37.5,,\n\
                 east,48.5,180.01,,\n\
                 word,forty,37.5,,\n\
                 cat,48.5,37.5,shelling,\n\
                 cls,48.5,37.5,weapon_sighting,howitzer\n\
                 ,48.5,37.5,,\n\
                 ok2,48.6,37.6,,\n";
    let run = truce(&["classify", "--agreement", agreement().to_str().unwrap(), "--format", "csv"], input.as_bytes());
    assert_eq!(run.code, 1);
    let out = lines(&run.stdout);
    assert_eq!(out.iter().map(|o| o["id"].as_str().unwrap()).collect::<Vec<_>>(), ["ok1", "ok2"]);
    let err: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("<stdin>:")).collect();
    assert_eq!(err.len(), 6, "{}", run.stderr);
    for (line, reason) in [
        (3, "`lat`"),
        (4, "`lon`"),
        (5, "not a number"),
        (6, "unknown category \"shelling\""),
        (7, "unknown class \"howitzer\""),
        (8, "missing field `id`"),
    ] {
        assert!(
            err.iter().any(|e| e.starts_with(&format!("<stdin>:{line}: ")) && e.contains(reason)),
            "line {line}: {}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("2 records classified, 6 bad"), "{}", run.stderr);
}

#[test]
fn strict_stops_at_the_first_bad_record() {
    let input = "id,lat,lon\na,48.5,37.5\nb,99,37.5\nc,48.5,37.5\n";
    let run = truce(&["classify", "--agreement", agreement().to_str().unwrap(), "--strict"], input.as_bytes());
    assert_eq!(run.code, 1);
    assert_eq!(lines(&run.stdout).len(), 1);
    assert!(run.stderr.contains("<stdin>:3:"), "{}", run.stderr);
    assert!(run.stderr.contains("--strict"));
}

#[test]
fn ndjson_in_from_a_file_with_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("obs.ndjson");
    std::fs::write(
        &input,
        "{\"id\": 1, \"lat\": 47.6, \"lon\": 36.0, \"time\": \"2026-11-25T01:00:00Z\", \"category\": \"weapon_sighting\", \"weapon_class\": \"tanks\", \"count\": 3}\n\
         {\"id\": \"two\", \"lat\": 47.6}\n\
         {\"id\": \"three\", \"lat\": 45.2, \"lon\": 30.25, \"category\": \"vessel\"}\n",
    )
    .unwrap();
    let output = dir.path().join("out.ndjson");
    let run = truce(
        &[
            "classify",
            "--agreement",
            agreement().to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("obs.ndjson:2: missing field `lon`"), "{}", run.stderr);
    let out = lines(&std::fs::read_to_string(&output).unwrap());
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["id"], 1, "numeric ids stay numbers");
    assert_eq!(out[0]["violations"][0]["count"], 3);
    assert_eq!(out[1]["zones"], serde_json::json!(["mez_northwest"]));
}

#[test]
fn garbage_never_panics() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..20 {
        let bytes: Vec<u8> = (0..2_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                if round % 2 == 0 {
                    (state % 256) as u8
                } else {
                    b"0123456789,.-\n\"{}:id,lat,lon"[(state % 28) as usize]
                }
            })
            .collect();
        for format in ["csv", "ndjson"] {
            let run = truce(&["classify", "--agreement", agreement().to_str().unwrap(), "--format", format], &bytes);
            assert!(run.code == 0 || run.code == 1 || run.code == 2, "{}", run.stderr);
        }
    }
}

#[test]
fn missing_input_and_unknown_extension_are_clear() {
    let run = truce(&["classify", "--agreement", agreement().to_str().unwrap(), "--input", "/nonexistent.csv"], b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot open the input /nonexistent.csv"), "{}", run.stderr);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("obs.txt");
    std::fs::write(&f, "id,lat,lon\n").unwrap();
    let run = truce(&["classify", "--agreement", agreement().to_str().unwrap(), "--input", f.to_str().unwrap()], b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--format"), "{}", run.stderr);
    let run = truce(
        &["classify", "--agreement", agreement().to_str().unwrap(), "--format", "csv"],
        b"id,latitude,lon\n1,2,3\n",
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no \"lat\" column"), "{}", run.stderr);
}
