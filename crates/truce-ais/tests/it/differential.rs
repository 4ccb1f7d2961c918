//! Differential test against pyais 3.3.1 on the four public corpora in `tests/corpus/`.
//!
//! Every message both decoders produce from the same line is compared field by field (ours is the
//! NDJSON of [`truce_ais::write_json`], theirs is `tests/decoders/pyais_dump.py` in the same names and
//! units). The lines where they disagree for a known reason are listed in [`EXCEPTIONS`] with it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};
use truce_ais::{Body, Decoder, SourceKey, write_json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("TRUCE_PYTHON") {
        return PathBuf::from(p);
    }
    let p = root().join("target/venv-tak/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/test, which installs pyais (or set TRUCE_PYTHON to a python with pyais 3.3.1)",
        p.display()
    );
    p
}

/// (file, line, reason): lines where the two decoders are expected to disagree.
/// Most are pyais accepting what we refuse on purpose (bad checksums, short messages).
const EXCEPTIONS: &[(&str, usize, &str)] = &[
    (
        "ggencoder_aishub_sample_apache2.nmea",
        54,
        "type 5 with 418 of its 420 bits: pyais reads the missing bits as zero",
    ),
    ("libais_tests_apache2.nmea", 67, "pyais strips the space between the name and its extension"),
    (
        "libais_tests_apache2.nmea",
        68,
        "type 21 of 268 bits: pyais leaves the missing raim/virtual/assigned bits out, we read false",
    ),
    (
        "libais_tests_apache2.nmea",
        74,
        "we end a text at its first '@' (ITU-R M.1371 table 47); pyais keeps '@' in this field",
    ),
    (
        "libais_tests_apache2.nmea",
        76,
        "we end a text at its first '@' (ITU-R M.1371 table 47); pyais keeps '@' in this field",
    ),
    ("libais_tests_apache2.nmea", 137, "type 1 with 163 of its 168 bits: pyais reads the missing bits as zero"),
    ("libais_tests_apache2.nmea", 142, "bad sentence checksum: pyais does not verify checksums"),
    ("libais_tests_apache2.nmea", 257, "type 27 with 88 of its 96 bits: pyais reads the missing bits as zero"),
    ("libais_tests_apache2.nmea", 5, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 6, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 164, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 166, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 167, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 177, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 178, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 179, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 180, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 181, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 182, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 183, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 184, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 185, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 195, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 196, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 200, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 201, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 204, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 205, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 206, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 211, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 215, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 216, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 218, "pyais refuses this tag block, or the first fragment's"),
    ("libais_tests_apache2.nmea", 220, "pyais refuses this tag block, or the first fragment's"),
    ("nmea_parser_crate_tests_apache2.nmea", 1, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 6, "type 1 with 84 of its 168 bits: pyais reads the missing bits as zero"),
    ("pyais_tests_mit.nmea", 7, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 8, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 16, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 17, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 20, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 75, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 76, "bad sentence checksum: pyais does not verify checksums"),
    (
        "pyais_tests_mit.nmea",
        78,
        "type 21 of 268 bits: pyais leaves the missing raim/virtual/assigned bits out, we read false",
    ),
    ("pyais_tests_mit.nmea", 79, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 80, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 111, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 112, "bad sentence checksum: pyais does not verify checksums"),
    (
        "pyais_tests_mit.nmea",
        207,
        "type 21 of 268 bits: pyais leaves the missing raim/virtual/assigned bits out, we read false",
    ),
    ("pyais_tests_mit.nmea", 213, "type 24 with 24 of its 38 bits: pyais reads the missing bits as zero"),
    ("pyais_tests_mit.nmea", 238, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 240, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 245, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 256, "type 1 with 156 of its 168 bits: pyais reads the missing bits as zero"),
    ("pyais_tests_mit.nmea", 318, "one-digit tag block checksum: pyais does not read it"),
    ("pyais_tests_mit.nmea", 1133, "type 1 with 84 of its 168 bits: pyais reads the missing bits as zero"),
    ("pyais_tests_mit.nmea", 1134, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 1135, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 1139, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 1187, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 1188, "bad sentence checksum: pyais does not verify checksums"),
    (
        "pyais_tests_mit.nmea",
        1190,
        "type 21 of 268 bits: pyais leaves the missing raim/virtual/assigned bits out, we read false",
    ),
    ("pyais_tests_mit.nmea", 1191, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 1192, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 1221, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 1222, "bad sentence checksum: pyais does not verify checksums"),
    (
        "pyais_tests_mit.nmea",
        1292,
        "fragment 2 before fragment 1: pyais_dump.py joins it with a stale fragment 1 from far earlier; we had timed that out",
    ),
    (
        "pyais_tests_mit.nmea",
        1294,
        "fragment 2 before fragment 1: pyais_dump.py joins it with a stale fragment 1 from far earlier; we had timed that out",
    ),
    ("pyais_tests_mit.nmea", 1307, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 1309, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 1310, "bad sentence checksum: pyais does not verify checksums"),
    ("pyais_tests_mit.nmea", 1320, "type 1 with 156 of its 168 bits: pyais reads the missing bits as zero"),
    ("pyais_tests_mit.nmea", 317, "pyais refuses this tag block, or the first fragment's"),
];

fn ours(path: &Path) -> (BTreeMap<usize, Map<String, Value>>, BTreeMap<usize, String>) {
    let text = std::fs::read(path).expect("corpus file");
    let mut dec = Decoder::default();
    let (mut msgs, mut errs) = (BTreeMap::new(), BTreeMap::new());
    let mut buf = Vec::new();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        match dec.push_line(SourceKey(0), line, None) {
            Ok(Some(m)) if m.body != Body::Unsupported => {
                buf.clear();
                write_json(&mut buf, &m).expect("json");
                let v: Value = serde_json::from_slice(&buf).expect("our JSON parses");
                let Value::Object(o) = v else { panic!("not an object") };
                msgs.insert(i + 1, o);
            }
            Ok(_) => {}
            Err(e) => {
                errs.insert(i + 1, e.to_string());
            }
        }
    }
    (msgs, errs)
}

fn theirs(path: &Path) -> BTreeMap<usize, Map<String, Value>> {
    let script = root().join("tests/decoders/pyais_dump.py");
    let out = Command::new(python()).arg(&script).arg(path).output().expect("python runs");
    assert!(out.status.success(), "pyais_dump.py failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut m = BTreeMap::new();
    for line in out.stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let Value::Object(o) = serde_json::from_slice(line).expect("pyais JSON") else { panic!("not an object") };
        let n = o["line"].as_u64().expect("line") as usize;
        if !o.contains_key("error") {
            m.insert(n, o);
        }
    }
    m
}

/// Compares one field; returns a description of the difference.
fn differs(key: &str, a: Option<&Value>, b: Option<&Value>) -> Option<String> {
    let zero = Value::from(0);
    let (a, b) = match key {
        // Dimensions: 0 means "not available"; we leave it out, pyais writes 0.
        "to_bow" | "to_stern" | "to_port" | "to_starboard" | "imo" | "ship_type" => {
            (a.or(Some(&zero)), b.or(Some(&zero)))
        }
        _ => (a, b),
    };
    // pyais maps values outside its enums to 0: EPFD 9-14 (reserved) and ship types above 99.
    if let (Some(Value::Number(x)), Some(Value::Number(y))) = (a, b) {
        let (x, y) = (x.as_u64().unwrap_or(0), y.as_u64().unwrap_or(0));
        if (key == "epfd" && (9..=14).contains(&x) || key == "ship_type" && x > 99) && y == 0 {
            return None;
        }
    }
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => {
            let (x, y) = (x.as_f64()?, y.as_f64()?);
            let ok = match key {
                "lat" | "lon" => (x - y).abs() <= 1e-6,
                // pyais rounds the rate of turn to whole degrees per minute.
                "turn" => (x.round() - y).abs() < 1e-9 || (x - y).abs() <= 0.5 + 1e-9,
                _ => (x - y).abs() < 1e-9,
            };
            (!ok).then(|| format!("{key}: ours {x}, pyais {y}"))
        }
        (a, b) if a == b => None,
        (a, b) => Some(format!("{key}: ours {a:?}, pyais {b:?}")),
    }
}

const COMPARED: &[&str] = &[
    "msg_type",
    "repeat",
    "mmsi",
    "lat",
    "lon",
    "speed",
    "course",
    "heading",
    "turn",
    "status",
    "accuracy",
    "raim",
    "maneuver",
    "second",
    "shipname",
    "callsign",
    "destination",
    "ship_type",
    "imo",
    "to_bow",
    "to_stern",
    "to_port",
    "to_starboard",
    "draught",
    "epfd",
    "ais_version",
    "dte",
    "eta_month",
    "eta_day",
    "eta_hour",
    "eta_minute",
    "cs",
    "display",
    "dsc",
    "band",
    "msg22",
    "assigned",
    "aid_type",
    "name",
    "off_position",
    "virtual_aid",
    "partno",
    "vendorid",
    "model",
    "serial",
    "mothership_mmsi",
    "gnss",
    "station",
];

#[test]
fn agrees_with_pyais_on_the_corpora() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "nmea"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 4);
    let mut compared = 0;
    let mut problems = Vec::new();
    let mut used = vec![false; EXCEPTIONS.len()];
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).expect("name");
        let (ours, our_errors) = ours(f);
        let theirs = theirs(f);
        let exception = |line: usize| EXCEPTIONS.iter().position(|&(n, l, _)| n == name && l == line);
        for (line, t) in &theirs {
            let ty = t["msg_type"].as_u64().expect("type") as u8;
            if !matches!(ty, 1..=5 | 18 | 19 | 21 | 24 | 27) {
                continue;
            }
            let Some(o) = ours.get(line) else {
                if let Some(i) = exception(*line) {
                    used[i] = true;
                } else {
                    let why = our_errors.get(line).map_or("nothing", String::as_str);
                    problems.push(format!("{name}:{line}: pyais decodes type {ty}, we gave {why}"));
                }
                continue;
            };
            let diffs: Vec<String> = COMPARED.iter().filter_map(|k| differs(k, o.get(*k), t.get(*k))).collect();
            if let Some(i) = exception(*line) {
                used[i] = true;
                continue;
            }
            if !diffs.is_empty() {
                problems.push(format!("{name}:{line}: {}", diffs.join("; ")));
            }
            compared += 1;
        }
        for line in ours.keys().filter(|l| !theirs.contains_key(l)) {
            match exception(*line) {
                Some(i) => used[i] = true,
                None => problems.push(format!("{name}:{line}: we decode a message pyais refuses")),
            }
        }
    }
    assert!(problems.is_empty(), "{} disagreements:\n{}", problems.len(), problems.join("\n"));
    let unused: Vec<_> = EXCEPTIONS.iter().zip(&used).filter(|(_, u)| !**u).map(|(e, _)| e).collect();
    assert!(unused.is_empty(), "exceptions no longer needed: {unused:?}");
    // 1,180 when written: the four corpora hold ~1,300 messages of the decoded types.
    assert!(compared >= 1150, "only {compared} messages compared");
    eprintln!("compared {compared} messages with pyais");
}
