//! `truce agreement check`.

use crate::util::{agreement, truce};

#[test]
fn summary_of_the_shipped_agreement() {
    let run = truce(&["agreement", "check", agreement().to_str().unwrap()], b"");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let s = &run.stdout;
    assert!(s.contains("ILLUSTRATIVE"));
    // The line's geodesic length (811.2 km in the source file's own metadata).
    assert!(s.lines().any(|l| l.trim_start().starts_with("loc ") && l.contains("811.2 km")), "{s}");
    assert!(
        s.lines().any(|l| l.contains("artillery_100mm")
            && l.contains("ukr 25 km from loc")
            && l.contains("rus 25 km from loc_rus")),
        "{s}"
    );
    assert!(s.lines().any(|l| l.contains("da_kupiansk") && l.contains("15.95 km²")), "{s}");
    assert!(
        s.lines()
            .any(|l| l.contains("security_zone") && l.contains("band 15 km both sides of loc") && l.contains("km²")),
        "{s}"
    );
    assert!(s.contains("withdrawal   2026-11-12T00:00:00Z → 2026-11-24T00:00:00Z"), "{s}");
}

#[test]
fn every_error_at_once_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(
        &file,
        r#"
[agreement]
id = "Bad Id"
title = "t"
version = "1"
[[parties]]
id = "ukr"
name = "Ukraine"
[[lines]]
id = "loc"
geometry = "nowhere.geojson"
left = "ukr"
right = "rus"
[[zones]]
id = "z"
kind = "moat"
band = { line = "loc", width_km = 2000 }
"#,
    )
    .unwrap();
    let run = truce(&["agreement", "check", file.to_str().unwrap()], b"");
    assert_eq!(run.code, 2);
    let errors: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 5, "{}", run.stderr);
    for (field, reason) in [
        ("agreement.id", "not a valid id"),
        ("lines[0].right", "unknown party \"rus\""),
        ("lines[0].geometry", "nowhere.geojson: cannot read"),
        ("zones[0].kind", "unknown zone kind \"moat\""),
        ("zones[0].band.width_km", "out of range"),
    ] {
        assert!(
            errors.iter().any(|e| e.contains(&format!("broken.toml: {field}: ")) && e.contains(reason)),
            "{field}: {}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("5 errors found"));
}

#[test]
fn missing_file_is_a_clear_error() {
    let run = truce(&["agreement", "check", "/nonexistent/agreement.toml"], b"");
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("/nonexistent/agreement.toml: cannot read"), "{}", run.stderr);
}
