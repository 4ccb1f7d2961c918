//! Files of observations for people outside truce: GeoJSON, CSV and KML, each carrying every record's
//! security label and, as a whole, the highest classification of what it holds.
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
use truce_core::{Marking, StoredObservation};

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
    let level = classification(records).id();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n",
    );
    let _ = write!(
        out,
        "<name>{level}: truce export ({} observations)</name>\n<description>Classification: {level}. Every placemark carries its own label (marking, releasable_to, categories).</description>\n",
        records.len()
    );
    for r in records {
        let o = &r.observation;
        let (marking, release, categories) = label(r, policy);
        out.push_str("<Placemark>\n<name>");
        xml(&mut out, &format!("{} {}", o.category.id(), o.id));
        out.push_str("</name>\n<description>");
        xml(&mut out, o.text.as_deref().unwrap_or(""));
        out.push_str("</description>\n<TimeStamp><when>");
        out.push_str(&rfc3339(o.time));
        out.push_str("</when></TimeStamp>\n<ExtendedData>\n");
        for (name, value) in [
            ("id", o.id.clone()),
            ("category", o.category.id().to_owned()),
            ("violations", violations(r).join(";")),
            ("means", o.observer.means.id().to_owned()),
            ("party", o.party.clone().unwrap_or_default()),
            ("marking", marking.id().to_owned()),
            ("releasable_to", release.join(";")),
            ("categories", categories.join(";")),
        ] {
            let _ = write!(out, "<Data name=\"{name}\"><value>");
            xml(&mut out, &value);
            out.push_str("</value></Data>\n");
        }
        let _ = write!(
            out,
            "</ExtendedData>\n<Point><coordinates>{},{}</coordinates></Point>\n</Placemark>\n",
            o.lon, o.lat
        );
    }
    out.push_str("</Document>\n</kml>\n");
    out
}

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
