//! Files of observations, or of the live picture's tracks, for people outside truce: GeoJSON, CSV and
//! KML, each carrying every record's security label and, as a whole, the highest classification of what
//! it holds.
//!
//! A file leaves the access rule behind, so the label travels with each record in full: the
//! classification, the release set **in force** (the record's own codes, or the policy's default
//! release when it names none: an empty list would read as "no restriction" to whoever opens the file)
//! and the restrictive categories. The file's own classification is the highest marking among its
//! records (NATO UNCLASSIFIED for an empty file): GeoJSON a top-level `classification`, CSV a first
//! comment line, KML the document's name and description.
//!
//! CSV follows RFC 4180 (CRLF line ends, fields with a comma, quote or line break quoted, quotes
//! doubled). A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with
//! `'`, so a spreadsheet shows it instead of evaluating it (CSV formula injection); coordinates are
//! numbers truce writes itself and are left as they are.

use std::fmt::Write as _;

use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use truce_access::Policy;
use truce_core::{Marking, StoredObservation, TrackRow};

/// The formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A GeoJSON FeatureCollection.
    Geojson,
    /// CSV with a classification comment line and a header row.
    Csv,
    /// A KML document of placemarks.
    Kml,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Geojson, Format::Csv, Format::Kml];

    /// The stable id, which is also the file extension: `geojson`, `csv`, `kml`.
    pub const fn id(self) -> &'static str {
        match self {
            Format::Geojson => "geojson",
            Format::Csv => "csv",
            Format::Kml => "kml",
        }
    }

    /// The media type.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Geojson => "application/geo+json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Kml => "application/vnd.google-earth.kml+xml",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL.into_iter().find(|f| f.id() == s).ok_or_else(|| format!("{s:?} is not geojson, csv or kml"))
    }
}

/// The classification of a file holding `records`: the highest marking among them, NATO UNCLASSIFIED
/// when there is none.
pub fn classification(records: &[StoredObservation]) -> Marking {
    records.iter().map(|r| r.observation.marking).max_by_key(|m| m.rank()).unwrap_or(Marking::NatoUnclassified)
}

/// The file of `records` in `format` (see the module documentation).
pub fn write(format: Format, records: &[StoredObservation], policy: &Policy) -> String {
    match format {
        Format::Geojson => geojson(records, policy),
        Format::Csv => csv(records, policy),
        Format::Kml => kml(records, policy),
    }
}

/// A record's label as exported: `marking`, `releasable_to` (in force), `categories`.
fn label(r: &StoredObservation, policy: &Policy) -> (Marking, Vec<String>, Vec<String>) {
    let o = &r.observation;
    let release = if o.releasable_to.is_empty() { policy.default_release.clone() } else { o.releasable_to.clone() };
    (o.marking, release, o.categories.clone())
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn violations(r: &StoredObservation) -> Vec<&str> {
    r.classification.violations.iter().map(|v| v.code.as_str()).collect()
}

fn geojson(records: &[StoredObservation], policy: &Policy) -> String {
    let features: Vec<Value> = records
        .iter()
        .map(|r| {
            let mut f = crate::wire::feature(r);
            let (marking, release, categories) = label(r, policy);
            f["properties"]["marking"] = json!(marking.id());
            f["properties"]["releasable_to"] = json!(release);
            f["properties"]["categories"] = json!(categories);
            f
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "classification": classification(records).id(),
        "features": features,
    })
    .to_string()
}

/// The CSV header row.
pub const CSV_COLUMNS: &str = "id,time,lat,lon,category,violations,means,party,place,marking,releasable_to,text";

/// One CSV text cell: guarded against formula injection, then quoted as RFC 4180 asks.
fn cell(out: &mut String, s: &str) {
    let guarded = matches!(s.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r'));
    if guarded || s.contains([',', '"', '\r', '\n']) {
        out.push('"');
        if guarded {
            out.push('\'');
        }
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

fn csv(records: &[StoredObservation], policy: &Policy) -> String {
    let mut out = String::new();
    out.push_str("# classification: ");
    out.push_str(classification(records).id());
    out.push_str("\r\n");
    out.push_str(CSV_COLUMNS);
    out.push_str("\r\n");
    for r in records {
        let o = &r.observation;
        let (marking, release, _) = label(r, policy);
        cell(&mut out, &o.id);
        out.push(',');
        cell(&mut out, &rfc3339(o.time));
        let _ = write!(out, ",{},{},", o.lat, o.lon);
        for (i, text) in [
            o.category.id(),
            &violations(r).join(";"),
            o.observer.means.id(),
            o.party.as_deref().unwrap_or(""),
            o.place.as_deref().unwrap_or(""),
            marking.id(),
            &release.join(";"),
            o.text.as_deref().unwrap_or(""),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            cell(&mut out, text);
        }
        out.push_str("\r\n");
    }
    out
}

/// XML text: escaped, and without the control characters XML 1.0 cannot carry at all.
fn xml(out: &mut String, s: &str) {
    let clean: String =
        s.chars().map(|c| if c.is_control() && !matches!(c, '\t' | '\n' | '\r') { ' ' } else { c }).collect();
    truce_cot::xml::escape_into(out, &clean);
}

fn kml(records: &[StoredObservation], policy: &Policy) -> String {
    let mut out = kml_head(classification(records), records.len(), "observations");
    for r in records {
        let o = &r.observation;
        let (marking, release, categories) = label(r, policy);
        placemark(
            &mut out,
            &format!("{} {}", o.category.id(), o.id),
            Some(o.text.as_deref().unwrap_or("")),
            o.time,
            &[
                ("id", o.id.clone()),
                ("category", o.category.id().to_owned()),
                ("violations", violations(r).join(";")),
                ("means", o.observer.means.id().to_owned()),
                ("party", o.party.clone().unwrap_or_default()),
                ("marking", marking.id().to_owned()),
                ("releasable_to", release.join(";")),
                ("categories", categories.join(";")),
            ],
            (o.lon, o.lat),
        );
    }
    out.push_str("</Document>\n</kml>\n");
    out
}

/// A KML document's opening: its name and description say the file's classification and what it holds.
fn kml_head(level: Marking, n: usize, what: &str) -> String {
    let level = level.id();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n",
    );
    let _ = write!(
        out,
        "<name>{level}: truce export ({n} {what})</name>\n<description>Classification: {level}. Every placemark carries its own label (marking, releasable_to, categories).</description>\n"
    );
    out
}

/// One placemark: its name, description, time, data (escaped) and point.
fn placemark(
    out: &mut String,
    name: &str,
    description: Option<&str>,
    when: time::OffsetDateTime,
    data: &[(&str, String)],
    (lon, lat): (f64, f64),
) {
    out.push_str("<Placemark>\n<name>");
    xml(out, name);
    out.push_str("</name>\n");
    if let Some(d) = description {
        out.push_str("<description>");
        xml(out, d);
        out.push_str("</description>\n");
    }
    out.push_str("<TimeStamp><when>");
    out.push_str(&rfc3339(when));
    out.push_str("</when></TimeStamp>\n<ExtendedData>\n");
    for (name, value) in data {
        let _ = write!(out, "<Data name=\"{name}\"><value>");
        xml(out, value);
        out.push_str("</value></Data>\n");
    }
    let _ = write!(out, "</ExtendedData>\n<Point><coordinates>{lon},{lat}</coordinates></Point>\n</Placemark>\n");
}

/// The file of the tracks `rows` (the latest report of each) in `format`: as for observations, each
/// with its label in force and the file with the highest marking; a track is its uid, time, position,
/// CoT type, callsign, means (`tak_device`, `ship`, `aircraft`), course (degrees), speed (m/s) and height
/// (m, absent when unknown).
pub fn write_tracks(format: Format, rows: &[TrackRow], policy: &Policy) -> String {
    let level = rows.iter().map(|r| r.label.marking).max_by_key(|m| m.rank()).unwrap_or(Marking::NatoUnclassified);
    let release = |r: &TrackRow| policy.effective_release(&r.label).join(";");
    let num = |v: Option<f64>| v.filter(|v| v.is_finite()).map(|v| v.to_string()).unwrap_or_default();
    let hae = |r: &TrackRow| (r.hae < 9_999_999.0).then_some(r.hae);
    match format {
        Format::Geojson => {
            let features: Vec<Value> = rows
                .iter()
                .map(|r| {
                    json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                        "properties": {"uid": r.uid, "time": rfc3339(r.time), "type": r.type_, "callsign": r.callsign,
                            "means": r.means().id(), "course": r.course, "speed": r.speed, "hae": hae(r),
                            "marking": r.label.marking.id(), "releasable_to": policy.effective_release(&r.label),
                            "categories": r.label.categories}})
                })
                .collect();
            json!({"type": "FeatureCollection", "classification": level.id(), "features": features}).to_string()
        }
        Format::Csv => {
            let mut out = format!("# classification: {}\r\n{TRACK_CSV_COLUMNS}\r\n", level.id());
            for r in rows {
                cell(&mut out, &r.uid);
                out.push(',');
                cell(&mut out, &rfc3339(r.time));
                let _ = write!(out, ",{},{},", r.lat, r.lon);
                let cells = [
                    r.type_.clone(),
                    r.callsign.clone().unwrap_or_default(),
                    r.means().id().to_owned(),
                    num(r.course),
                    num(r.speed),
                    num(hae(r)),
                    r.label.marking.id().to_owned(),
                    release(r),
                ];
                for (i, text) in cells.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    cell(&mut out, text);
                }
                out.push_str("\r\n");
            }
            out
        }
        Format::Kml => {
            let mut out = kml_head(level, rows.len(), "tracks");
            for r in rows {
                placemark(
                    &mut out,
                    r.callsign.as_deref().unwrap_or(&r.uid),
                    None,
                    r.time,
                    &[
                        ("uid", r.uid.clone()),
                        ("type", r.type_.clone()),
                        ("means", r.means().id().to_owned()),
                        ("course", num(r.course)),
                        ("speed", num(r.speed)),
                        ("marking", r.label.marking.id().to_owned()),
                        ("releasable_to", release(r)),
                        ("categories", r.label.categories.join(";")),
                    ],
                    (r.lon, r.lat),
                );
            }
            out.push_str("</Document>\n</kml>\n");
            out
        }
    }
}

/// The CSV header row of a file of tracks.
pub const TRACK_CSV_COLUMNS: &str = "uid,time,lat,lon,type,callsign,means,course,speed,hae,marking,releasable_to";

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, marking: Marking, release: &[&str], text: &str) -> StoredObservation {
        let observation = serde_json::from_value(json!({
            "id": id, "time": "2026-11-20T10:00:00Z", "time_precision": "minute", "lat": 48.5, "lon": -37.25,
            "location_precision": "exact", "observer": {"means": "patrol"}, "category": "muzzle_flash",
            "marking": marking.id(), "releasable_to": release, "text": text,
        }))
        .unwrap();
        StoredObservation {
            observation,
            classification: Default::default(),
            received_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn csv_quotes_guards_and_labels() {
        let policy = Policy::shipped();
        let rows = [
            record("a", Marking::NatoRestricted, &[], "=HYPERLINK(\"x\"), said \"he\"\nnext"),
            record("b", Marking::NatoSecret, &["GBR", "FRA"], "@cmd"),
        ];
        let text = csv(&rows, &policy);
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], "# classification: NATO SECRET");
        assert_eq!(lines[1], CSV_COLUMNS);
        assert!(lines[2].contains(",NATO RESTRICTED,MNFU,\"'=HYPERLINK(\"\"x\"\"), said \"\"he\"\"\nnext\""), "{text}");
        assert!(text.contains(",NATO SECRET,GBR;FRA,\"'@cmd\""), "{text}");
        assert_eq!(csv(&[], &policy), format!("# classification: NATO UNCLASSIFIED\r\n{CSV_COLUMNS}\r\n"));
    }

    fn track(uid: &str, marking: Marking, release: &[&str], callsign: &str) -> TrackRow {
        let t = time::macros::datetime!(2026-11-20 10:00 UTC);
        TrackRow {
            uid: uid.into(),
            type_: "a-n-A-C-F".into(),
            how: "m-g".into(),
            callsign: Some(callsign.into()),
            group: None,
            source: "adsb".into(),
            peer: "test".into(),
            time: t,
            start: t,
            stale: t,
            received_at: t,
            lat: 48.5,
            lon: 37.25,
            hae: 9_999_999.0,
            ce: 10.0,
            course: Some(90.0),
            speed: None,
            classification: None,
            xml: String::new(),
            label: truce_core::Label {
                marking,
                releasable_to: release.iter().map(|s| (*s).to_owned()).collect(),
                categories: Vec::new(),
            },
        }
    }

    #[test]
    fn a_file_of_tracks_carries_each_label_in_force_and_the_highest() {
        let policy = Policy::shipped();
        let rows = [
            track("icao-4ca7b1", Marking::NatoRestricted, &["NATO"], "=SUM(A1)"),
            track("ais-273456789", Marking::NatoUnclassified, &[], "MV <ONE>"),
        ];
        let g: Value = serde_json::from_str(&write_tracks(Format::Geojson, &rows, &policy)).unwrap();
        assert_eq!(g["classification"], "NATO RESTRICTED");
        assert_eq!(g["features"][0]["properties"]["means"], "aircraft");
        assert_eq!(g["features"][1]["properties"]["means"], "ship");
        assert_eq!(g["features"][1]["properties"]["releasable_to"], json!(["MNFU"]), "the default release in force");
        assert_eq!(g["features"][0]["properties"]["hae"], Value::Null, "an unknown height is null");
        let csv = write_tracks(Format::Csv, &rows, &policy);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[..2], ["# classification: NATO RESTRICTED", TRACK_CSV_COLUMNS]);
        assert!(lines[2].contains(",\"'=SUM(A1)\",aircraft,90,,,NATO RESTRICTED,NATO"), "{csv}");
        let kml = write_tracks(Format::Kml, &rows, &policy);
        assert!(kml.contains("<name>NATO RESTRICTED: truce export (2 tracks)</name>"), "{kml}");
        assert!(kml.contains("<name>MV &lt;ONE&gt;</name>"), "{kml}");
        assert_eq!(
            write_tracks(Format::Csv, &[], &policy),
            format!("# classification: NATO UNCLASSIFIED\r\n{TRACK_CSV_COLUMNS}\r\n")
        );
    }

    #[test]
    fn kml_and_geojson_carry_each_label_and_the_highest() {
        let policy = Policy::shipped();
        let rows = [
            record("a", Marking::NatoConfidential, &["POL"], "<b>&"),
            record("b", Marking::NatoRestricted, &[], "x\u{1}y"),
        ];
        let k = kml(&rows, &policy);
        assert!(k.contains("<name>NATO CONFIDENTIAL: truce export (2 observations)</name>"), "{k}");
        assert!(k.contains("&lt;b&gt;&amp;") && k.contains("x y"), "{k}");
        assert_eq!(k.matches("<Data name=\"marking\">").count(), 2);
        assert!(k.contains("<Data name=\"releasable_to\"><value>MNFU</value>"), "the default release spelled out");
        let g: Value = serde_json::from_str(&geojson(&rows, &policy)).unwrap();
        assert_eq!(g["classification"], "NATO CONFIDENTIAL");
        assert_eq!(g["features"][0]["properties"]["releasable_to"], json!(["POL"]));
        assert_eq!(g["features"][1]["properties"]["categories"], json!([]));
    }
}
