use std::io::Cursor;

use truce_core::{Category, LocationPrecision, TimePrecision};

use super::*;

fn read(bytes: &[u8], format: FileFormat, options: ReadOptions) -> Result<(Vec<IngestRecord>, Vec<String>), FileError> {
    let mut r = FileReader::with_options(Cursor::new(bytes), format, &options)?;
    let mut notices = r.take_notices();
    let mut out = Vec::new();
    while let Some(rec) = r.next_record()? {
        out.push(rec);
    }
    notices.extend(r.take_notices());
    Ok((out, notices))
}

fn all(bytes: &[u8], format: FileFormat) -> Vec<IngestRecord> {
    read(bytes, format, ReadOptions::default()).unwrap().0
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn obs(r: &IngestRecord) -> &Observation {
    r.observation().unwrap_or_else(|| panic!("line {}: {:?}", r.position, r.outcome))
}

#[test]
fn acled_rows_map_onto_observations() {
    let csv = "event_id_cnty,event_date,time_precision,event_type,sub_event_type,actor1,location,latitude,longitude,geo_precision,source,notes,fatalities\n\
               UKR1,2024-01-15,1,Explosions/Remote violence,Shelling/artillery/missile attack,Military Forces of Russia,Huliaipole,47.6639,36.2531,2,Ukrinform,\"On 15 January, shelling hit Huliaipole.\",0\n\
               UKR2,15 February 2024,2,Battles,Armed clash,X,Robotyne,47.4431,35.8261,1,Y,notes,3\n\
               UKR3,2024-02-30,1,Protests,Shelling/artilery/missile attack,X,Kyiv,50.45,30.52,1,Y,notes,0\n\
               UKR4,2024-02-03,1,Protests,Peaceful protest,X,Kyiv,50.45,30.52,1,Y,notes,0\n";
    let recs = all(csv.as_bytes(), FileFormat::Csv);
    let a = obs(&recs[0]);
    assert_eq!(a.id, "acled-UKR1");
    assert_eq!(a.category, Category::ExplosionImpact);
    assert_eq!(a.location_precision, LocationPrecision::NearSettlement);
    assert_eq!(a.place.as_deref(), Some("Huliaipole"));
    assert_eq!(a.source_ref.as_deref(), Some("Ukrinform"));
    let b = obs(&recs[1]);
    assert_eq!((b.time.day(), b.time_precision), (15, TimePrecision::Week));
    let errs = recs[2].errors();
    assert_eq!(recs[2].position, 4);
    assert!(errs.iter().any(|e| e.field == "event_date"), "{errs:?}");
    assert!(
        errs.iter().any(|e| e.field == "sub_event_type"
            && e.message.contains("did you mean \"Shelling/artillery/missile attack\"?")),
        "an unknown type names the nearest: {errs:?}"
    );
    assert_eq!(errs.iter().filter(|e| e.field == "event_date").count(), 1, "not again as a missing time: {errs:?}");
    assert!(matches!(&recs[3].outcome, Outcome::Skipped(why) if why.contains("Peaceful protest")), "{:?}", recs[3]);
}

/// The published ACLED layout, all 31 columns: nothing reported as unknown, every row read.
#[test]
fn acled_export_as_published() {
    let (recs, notices) = read(&fixture("acled.csv"), FileFormat::Csv, ReadOptions::default()).unwrap();
    assert_eq!(notices, Vec::<String>::new(), "ACLED's own columns are known");
    let cats: Vec<Option<Category>> = recs.iter().map(|r| r.observation().map(|o| o.category)).collect();
    assert_eq!(
        cats,
        [
            Some(Category::ExplosionImpact),
            Some(Category::BurstsAndShots),
            Some(Category::ExplosionAirburst),
            Some(Category::CivilianCasualty),
            None
        ],
        "{recs:?}"
    );
    assert_eq!(obs(&recs[0]).time.to_string(), "2020-08-14 0:00:00.0 +00:00:00");
}

/// The same export saved by a spreadsheet: day-first dates with a time, Windows-1252, CRLF.
#[test]
fn acled_export_resaved_by_a_spreadsheet() {
    let (recs, notices) = read(&fixture("acled-spreadsheet-dmy.csv"), FileFormat::Csv, ReadOptions::default()).unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].starts_with("the file is not UTF-8 (line 2); read as Windows-1252; use --encoding"),
        "{notices:?}"
    );
    let a = obs(&recs[0]);
    assert_eq!(a.place.as_deref(), Some("Huliaipole – Café “Ukraina”"));
    assert_eq!((a.time.year(), a.time.month() as u8, a.time.day()), (2020, 8, 14));
    assert_eq!(obs(&recs[3]).time.day(), 16);
    assert_eq!(recs[1].position, 3);

    // Told it is UTF-8, the one row with other bytes is bad, naming its column.
    let (recs, notices) = read(
        &fixture("acled-spreadsheet-dmy.csv"),
        FileFormat::Csv,
        ReadOptions { encoding: Some(Encoding::Utf8), ..Default::default() },
    )
    .unwrap();
    assert!(notices.is_empty());
    assert_eq!(recs[0].errors()[0].field, "location", "{:?}", recs[0]);
    assert!(recs[1].observation().is_some());

    // Told the wrong order, every numeric date fails with a hint at the right one.
    let (recs, _) = read(
        &fixture("acled-spreadsheet-dmy.csv"),
        FileFormat::Csv,
        ReadOptions { date_order: Some(DateOrder::Mdy), ..Default::default() },
    )
    .unwrap();
    let e = &recs[0].errors()[0];
    assert_eq!(e.field, "event_date");
    assert!(e.message.ends_with("is not a date in month/day/year order; try --date-order dmy"), "{e:?}");
}

/// UCDP GED as published: long `source_article` and `where_description` are kept whole.
#[test]
fn ucdp_export_as_published_keeps_long_text() {
    let (recs, notices) = read(&fixture("ucdp-ged.csv"), FileFormat::Csv, ReadOptions::default()).unwrap();
    assert_eq!(notices, Vec::<String>::new(), "UCDP's own columns are known");
    let a = obs(&recs[0]);
    assert_eq!(a.source_ref.as_deref().map(|s| s.chars().count()), Some(1_001));
    assert!(
        a.place.as_deref().is_some_and(|p| p.len() > 1_000 && p.ends_with("village number 29 of Riverside district"))
    );
    assert!(recs[0].warnings.is_empty());
    assert_eq!(
        (a.id.as_str(), a.category, a.location_precision),
        ("ucdp-1001", Category::BurstsAndShots, LocationPrecision::Exact)
    );
    assert_eq!(obs(&recs[1]).category, Category::CivilianCasualty);
    assert_eq!(a.time_end.map(|t| t.day()), Some(23));
}

/// The same saved by a US spreadsheet: `1/22/2014 12:00:00 AM`; `2/3/2014` alone would be ambiguous,
/// the column's `1/22/2014` settles it.
#[test]
fn ucdp_export_resaved_by_a_spreadsheet() {
    let (recs, _) = read(&fixture("ucdp-ged-spreadsheet-mdy.csv"), FileFormat::Csv, ReadOptions::default()).unwrap();
    let a = obs(&recs[0]);
    assert_eq!((a.time.month() as u8, a.time.day(), a.time.hour()), (1, 22, 0));
    let b = obs(&recs[1]);
    assert_eq!((b.time.month() as u8, b.time.day()), (2, 3), "read month first, as the column says");
}

#[test]
fn ambiguous_dates_are_asked_for_not_guessed() {
    let err = read(&fixture("ambiguous-dates.csv"), FileFormat::Csv, ReadOptions::default()).err().unwrap().to_string();
    assert!(err.contains("column `date`") && err.contains("line 2") && err.contains("--date-order dmy|mdy"), "{err}");
    assert_eq!(err.lines().count(), 1);
    let (recs, _) = read(
        &fixture("ambiguous-dates.csv"),
        FileFormat::Csv,
        ReadOptions { date_order: Some(DateOrder::Dmy), ..Default::default() },
    )
    .unwrap();
    let o = obs(&recs[0]);
    assert_eq!((o.time.day(), o.time.month() as u8, o.time_precision), (3, 4, TimePrecision::Day));
}

#[test]
fn a_generic_event_file_with_a_date_column() {
    let (recs, notices) = read(&fixture("generic-events.csv"), FileFormat::Csv, ReadOptions::default()).unwrap();
    assert!(notices.is_empty(), "{notices:?}");
    assert_eq!(obs(&recs[0]).time_precision, TimePrecision::Day);
    let b = obs(&recs[1]);
    assert_eq!((b.time.hour(), b.time.minute(), b.time_precision), (21, 30, TimePrecision::Exact));
    let err = FileReader::new(Cursor::new(b"when,where,what\n1,2,3\n"), FileFormat::Csv).err().unwrap().to_string();
    assert!(err.starts_with("no time column: expected one of time, date, event_date, date_start"), "{err}");
}

#[test]
fn long_text_beyond_the_limit_is_cut_with_a_warning() {
    let long = "y".repeat(MAX_TEXT + 5);
    let csv =
        format!("id,date_start,latitude,longitude,type_of_violence,source_article\n1,2022-03-01,47.1,37.5,1,{long}\n");
    let recs = all(csv.as_bytes(), FileFormat::Csv);
    assert_eq!(obs(&recs[0]).source_ref.as_ref().map(String::len), Some(MAX_TEXT));
    assert_eq!(recs[0].warnings, ["column `source_article`: 20,005 characters, cut to the first 20,000"]);
}

#[test]
fn errors_name_the_users_column() {
    let csv = "id,date_start,latitude,longitude,type_of_violence,where_prec\n1,2022-03-01,91,37.5,1,9\n2,2022-03-01,,37.5,1,1\n";
    let recs = all(csv.as_bytes(), FileFormat::Csv);
    let fields: Vec<&str> = recs[0].errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["where_prec", "latitude"], "{:?}", recs[0]);
    assert_eq!(describe(&recs[0].errors()[1], FileFormat::Csv), "column `latitude`: 91 is outside -90..=90");
    assert_eq!(describe(&recs[1].errors()[0], FileFormat::Csv), "column `latitude`: empty: a value is required");
}

#[test]
fn empty_files_are_errors() {
    for (bytes, format, want) in [
        (&b""[..], FileFormat::Csv, "the file is empty"),
        (b"id,time,lat,lon,category\n", FileFormat::Csv, "a header (line 1) but no rows"),
        (b"id,time,lat,lon,category\r\n,,,,\r\n", FileFormat::Csv, "no rows"),
        (b"", FileFormat::GeoJson, "the file is empty"),
        (b"{\"type\":\"FeatureCollection\",\"features\":[]}", FileFormat::GeoJson, "no features"),
        (b"\n\n", FileFormat::Ndjson, "the file is empty"),
    ] {
        let err = read(bytes, format, ReadOptions::default()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains(want), "{format:?} {bytes:?}: {err:?}");
    }
}

#[test]
fn unknown_members_of_json_files_are_reported_once() {
    let nd =
        b"{\"time\":\"2026-11-20T01:00:00Z\",\"lat\":\"48.5\",\"lon\":37,\"category\":\"gps_jamming\",\"catgory\":1}\n\
               {\"time\":\"2026-11-20T01:00:00Z\",\"lat\":48,\"lon\":37,\"category\":\"gps_jamming\",\"catgory\":1}\n";
    let (recs, notices) = read(nd, FileFormat::Ndjson, ReadOptions::default()).unwrap();
    assert!(recs.iter().all(|r| r.observation().is_some()), "a string holding a number is a number: {recs:?}");
    assert_eq!(notices, ["members not used: `catgory` (did you mean `category`?)"]);
}

#[test]
fn truce_csv_geojson_and_ndjson() {
    let csv = "id,time,lat,lon,category,observer_means,observer_team,bearing_deg,range_m,killed\n\
               c1,2026-11-20T01:00:00Z,48.5,37.5,civilian_casualty,patrol,MT-1,,,2\n";
    let c = all(csv.as_bytes(), FileFormat::Csv);
    let o = obs(&c[0]);
    assert_eq!((o.observer.team.as_deref(), o.casualties.map(|c| c.killed)), (Some("MT-1"), Some(2)));

    let gj = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","id":"g1","geometry":{"type":"Point","coordinates":[37.5,48.5]},"properties":{"time":"2026-11-20T01:00:00Z","category":"muzzle_flash"}},
        {"type":"Feature","geometry":{"type":"LineString","coordinates":[[37.5,48.5],[37.6,48.6]]},"properties":{}}]}"#;
    let g = all(gj.as_bytes(), FileFormat::GeoJson);
    assert_eq!(obs(&g[0]).id, "g1");
    assert_eq!((g[1].position, g[1].errors()[0].field.as_str()), (1, "geometry"));

    let nd = b"{\"id\":\"n1\",\"time\":\"2026-11-20T01:00:00Z\",\"lat\":48,\"lon\":37,\"category\":\"gps_jamming\"}\n[1,2]\n{\"id\": \n";
    let n = all(nd, FileFormat::Ndjson);
    assert!(n[0].observation().is_some());
    assert_eq!(n[1].errors()[0].code, "invalid_type");
    assert_eq!((n[2].position, n[2].errors()[0].code), (3, "malformed_json"));
}

#[test]
fn a_bad_row_is_reported_on_its_own_line() {
    let csv = b"id,time,lat,lon,category\n\"a\nb\",2026-11-20T01:00:00Z,48.5,37.5,muzzle_flash\nbad,2026-11-20T01:00:00Z,48.5,37.5,shelling\nok,2026-11-20T01:00:00Z,48.5,37.5,muzzle_flash\n";
    let recs = all(csv, FileFormat::Csv);
    assert_eq!(recs[0].position, 2, "{recs:?}");
    assert_eq!((recs[1].position, recs[1].errors()[0].field.as_str()), (4, "category"));
    assert_eq!(recs[2].position, 5);
    assert!(recs[2].observation().is_some());
}

/// A decimal comma left unquoted moves every value after it; a file cut inside its last row would give a
/// wrong value that still parses (`37.5` cut to `3`): both are refused, trailing empty cells are not.
#[test]
fn rows_wider_than_the_header_or_cut_short_are_refused() {
    let head = "id,time,category,lat,lon,killed\n";
    let wide = format!(
        "{head}a,2026-11-20T01:00:00Z,muzzle_flash,48,5,37.5,1\nb,2026-11-20T01:00:00Z,muzzle_flash,48.5,37.5,,,\n"
    );
    let recs = all(wide.as_bytes(), FileFormat::Csv);
    assert_eq!((recs[0].position, recs[0].errors()[0].field.as_str()), (2, "record"));
    assert!(recs[0].errors()[0].message.contains("7 cells where the header has 6 columns"), "{:?}", recs[0]);
    assert!(recs[1].observation().is_some(), "trailing empty cells: {:?}", recs[1]);

    let good = "c,2026-11-20T01:00:00Z,muzzle_flash,48.5,37.5\n";
    for crlf in [false, true] {
        let nl = |s: &str| if crlf { s.replace('\n', "\r\n") } else { s.to_owned() };
        let cut = nl(&format!("{head}{good}d,2026-11-20T01:00:00Z,muzzle_flash,48.5,3"));
        let recs = all(cut.as_bytes(), FileFormat::Csv);
        assert!(recs[0].observation().is_some(), "a short row that ends its line: {:?}", recs[0]);
        assert_eq!((recs[1].position, recs[1].errors()[0].field.as_str()), (3, "record"), "{recs:?}");
        assert!(recs[1].errors()[0].message.contains("cut short"), "{:?}", recs[1]);
        let ended = format!("{cut}{}", nl("\n"));
        assert_eq!(obs(&all(ended.as_bytes(), FileFormat::Csv)[1]).lon, 3.0, "a line end says the row is whole");
        let whole = nl(&format!("{head}{good}e,2026-11-20T01:00:00Z,muzzle_flash,48.5,37.5,1"));
        assert!(all(whole.as_bytes(), FileFormat::Csv)[1].observation().is_some(), "every column, no line end");
    }
}

#[test]
fn utf16_is_refused_with_a_hint() {
    let err = FileReader::new(Cursor::new(b"\xff\xfei\x00d\x00"), FileFormat::Csv).err().unwrap().to_string();
    assert!(err.contains("UTF-16") && err.contains("CSV UTF-8"), "{err}");
}

#[test]
fn garbage_geojson_is_a_file_error() {
    assert!(FileReader::new(Cursor::new(b"{\"type\": \"Feature"), FileFormat::GeoJson).is_err());
    assert!(FileReader::new(Cursor::new(b"[1, 2]"), FileFormat::GeoJson).is_err());
}

#[test]
fn thousands_separators() {
    assert_eq!(
        (thousands(0), thousands(999), thousands(1_000), thousands(1_234_567)),
        ("0".into(), "999".into(), "1,000".into(), "1,234,567".into())
    );
}
