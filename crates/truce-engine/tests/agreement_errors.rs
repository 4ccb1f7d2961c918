//! Invalid agreement files: every error reported at once, each with file, field and reason.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use truce_engine::Agreement;

fn errors(toml: &str, dir: &Path) -> Vec<String> {
    let path = dir.join("bad.toml");
    std::fs::write(&path, toml).unwrap();
    match Agreement::load(&path) {
        Ok(_) => panic!("accepted an invalid agreement"),
        Err(e) => {
            e.0.iter()
                .map(|p| {
                    assert_eq!(p.file, path, "every problem names the file");
                    format!("{}: {}", p.field, p.message)
                })
                .collect()
        }
    }
}

#[test]
fn many_errors_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("line.geojson"), r#"{"type":"LineString","coordinates":[[36,47],[36,48]]}"#)
        .unwrap();
    std::fs::write(dir.path().join("pt.geojson"), r#"{"type":"Point","coordinates":[36,47]}"#).unwrap();
    let toml = r#"
[agreement]
id = "x"
title = "t"
version = "1"
effective = "tomorrow"

[[parties]]
id = "ukr"
name = "Ukraine"
iso3 = "UA"

[[parties]]
id = "ukr"
name = "Duplicate"

[[lines]]
id = "loc"
geometry = "line.geojson"
left = "rus"
right = "ukr"

[[lines]]
id = "other"
geometry = "pt.geojson"
left = "ukr"
right = "ukr"

[[weapon_classes]]
id = "tanks"
description = "Tanks"
withdrawal = [ { party = "ukr", line = "nowhere", distance_km = -3 } ]

[[zones]]
id = "sz"
kind = "security_zone"
band = { line = "loc", width_km = 0, side = "both" }
violated_by = ["cfv", "shelling"]

[[zones]]
id = "store"
kind = "storage_site"
geometry = "missing.geojson"
violated_by = ["cfv"]

[[zones]]
id = "typo"
kind = "no_fly_zone"
band = { line = "loc", widht_km = 5 }

[[phases]]
id = "p1"
start = "2026-01-10T00:00:00Z"
end = "2026-01-05T00:00:00Z"
"#;
    let errs = errors(toml, dir.path());
    let expect = [
        "agreement.effective: \"tomorrow\" is not an RFC 3339",
        "parties[0].iso3: \"UA\" is not an ISO 3166 alpha-3",
        "parties[1].id: duplicate id \"ukr\"",
        "lines[0].left: unknown party \"rus\"",
        "lines[1].right: left and right must be different",
        "lines[1].geometry:",
        "weapon_classes[0].withdrawal[0].line: unknown line \"nowhere\"",
        "weapon_classes[0].withdrawal[0].distance_km: -3 km is out of range",
        "zones[0].violated_by[1]: unknown category \"shelling\"",
        "zones[0].band.width_km: a band must be wider than 0 km",
        "zones[1].violated_by: a storage_site zone is never violated",
        "zones[1].geometry:",
        "zones[2].band.widht_km: unknown field `widht_km`",
        "phases[0].end: the phase must end after it starts",
    ];
    for e in expect {
        assert!(errs.iter().any(|got| got.starts_with(e) || got.contains(e)), "missing {e:?} in:\n{}", errs.join("\n"));
    }
    assert!(errs.iter().any(|e| e.contains("missing.geojson") && e.contains("cannot read")), "{errs:#?}");
    assert!(
        errs.iter().any(|e| e.contains("pt.geojson: expected a LineString") && e.contains("found \"Point\"")),
        "{errs:#?}"
    );
    // Reported in the order of the file's sections.
    let first: Vec<&str> = errs.iter().map(|e| e.split(['.', '[']).next().unwrap()).collect();
    let mut sorted = first.clone();
    let rank =
        |s: &&str| ["agreement", "parties", "lines", "weapon_classes", "zones", "phases"].iter().position(|k| k == s);
    sorted.sort_by_key(rank);
    assert_eq!(first, sorted);
}

/// The head of a minimal agreement: metadata and two parties, `a` and `b`.
const TWO_PARTIES: &str = r#"
[agreement]
id = "x"
title = "t"
version = "1"
[[parties]]
id = "a"
name = "A"
[[parties]]
id = "b"
name = "B"
"#;

#[test]
fn phase_dates_and_overlaps() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("line.geojson"), r#"{"type":"LineString","coordinates":[[36,47],[36,48]]}"#)
        .unwrap();
    let toml = TWO_PARTIES.to_owned()
        + r#"
[[lines]]
id = "l"
geometry = "line.geojson"
left = "a"
right = "b"
[[phases]]
id = "p1"
start = "2026-01-10T00:00:00Z"
end = "2026-01-05T00:00:00Z"
[[phases]]
id = "p2"
start = "2026-01-01T00:00:00Z"
end = "2026-01-20T00:00:00Z"
withdrawal = [ { class = "nope", party = "a", distance_km = 1 } ]
"#;
    let errs = errors(&toml, dir.path());
    assert!(errs.iter().any(|e| e.starts_with("phases[0].end: the phase must end after it starts")), "{errs:#?}");
    assert!(errs.iter().any(|e| e.contains("overlaps")), "{errs:#?}");
    assert!(
        errs.iter().any(|e| e.starts_with("phases[1].withdrawal[0].class: unknown weapon class \"nope\"")),
        "{errs:#?}"
    );
}

#[test]
fn toml_syntax_error_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let errs = errors("[agreement]\nid = \"x\"\ntitle = \n", dir.path());
    assert_eq!(errs.len(), 1);
    assert!(errs[0].starts_with("line 3, column"), "{errs:?}");
}

#[test]
fn geojson_problems_name_the_geojson_location() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("z.geojson"), r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":"a","properties":{},"geometry":{"type":"Polygon","coordinates":[[[30,45],[31,45],[31,46],[30,45.5]]]}}]}"#).unwrap();
    std::fs::write(dir.path().join("bad.geojson"), "{\"type\": \"LineString\", \"coordinates\": [[36, 47], [36, 95]]}")
        .unwrap();
    std::fs::write(dir.path().join("trunc.geojson"), "{\"type\": \"LineString\", \"coordin").unwrap();
    let toml = TWO_PARTIES.to_owned()
        + r#"
[[lines]]
id = "l"
geometry = "bad.geojson"
left = "a"
right = "b"
[[lines]]
id = "m"
geometry = "trunc.geojson"
left = "a"
right = "b"
[[zones]]
id = "z"
kind = "no_fly"
geometry = "z.geojson"
feature = "a"
violated_by = ["aircraft"]
[[zones]]
id = "y"
kind = "no_fly"
geometry = "z.geojson"
feature = "nope"
"#;
    let errs = errors(&toml, dir.path());
    assert!(
        errs.iter()
            .any(|e| e.starts_with("lines[0].geometry:") && e.contains("coordinates[1]") && e.contains("out of range")),
        "{errs:#?}"
    );
    assert!(errs.iter().any(|e| e.starts_with("lines[1].geometry:") && e.contains("invalid JSON")), "{errs:#?}");
    assert!(errs.iter().any(|e| e.starts_with("zones[0].geometry:") && e.contains("not closed")), "{errs:#?}");
    assert!(
        errs.iter().any(|e| e.starts_with("zones[1].geometry:") && e.contains("no feature with id \"nope\"")),
        "{errs:#?}"
    );
}

#[test]
fn the_shipped_agreement_is_valid() {
    let a = Agreement::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/agreements/illustrative.toml"))
        .unwrap();
    assert!(a.illustrative);
    assert_eq!(a.zones.iter().filter(|z| z.kind == truce_core::ZoneKind::DisengagementArea).count(), 3);
    assert!(a.zones.iter().filter(|z| z.kind == truce_core::ZoneKind::StorageSite).count() >= 2);
    assert_eq!(a.lines.len(), 2);
}

#[test]
fn the_complete_example_in_the_docs_is_valid() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/agreement.md")).unwrap();
    let example = doc.split("## A complete minimal example").nth(1).unwrap();
    let toml = example.split("```toml").nth(1).unwrap().split("```").next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("line.geojson"), r#"{"type": "LineString", "coordinates": [[36, 47], [36, 49]]}"#)
        .unwrap();
    let path = dir.path().join("example.toml");
    std::fs::write(&path, toml).unwrap();
    let a = Agreement::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((a.parties.len(), a.lines.len(), a.classes.len(), a.zones.len(), a.phases.len()), (2, 1, 1, 1, 1));
}
