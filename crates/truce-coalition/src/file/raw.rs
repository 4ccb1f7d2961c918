//! The coalition files as written: serde structures with every field a plain type, nothing validated
//! beyond types. Nested arrays of tables (a pledge's `history`, a plan's `deployments` and `tasks`) are
//! skipped here and read entry by entry, so one bad history entry hides nothing else. Every entry that
//! stands on its own may carry a label: `marking`, `releasable_to` and `categories`.

use serde::Deserialize;
use serde::de::IgnoredAny;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFileMeta {
    /// For people reading the file.
    #[allow(dead_code)]
    pub title: Option<String>,
    pub illustrative: Option<bool>,
    /// For people reading the file.
    #[allow(dead_code)]
    pub notes: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMilestone {
    pub id: String,
    pub date: String,
    pub dated: Option<String>,
    pub title: String,
    pub quote: String,
    pub source: String,
    pub illustrative: Option<bool>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNation {
    pub id: String,
    pub name: String,
    pub notes: Option<String>,
    pub illustrative: Option<bool>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeasure {
    pub id: String,
    pub name: String,
    pub equals: Option<RawEquals>,
    pub illustrative: Option<bool>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEquals {
    pub measure: String,
    pub quantity: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPledge {
    pub id: String,
    pub nation: String,
    pub domain: String,
    pub capability: String,
    pub quantity: Option<f64>,
    pub measure: Option<String>,
    #[serde(rename = "where")]
    pub locations: Option<Vec<String>>,
    pub conditions: Option<Vec<String>>,
    pub notes: Option<String>,
    pub illustrative: Option<bool>,
    #[allow(dead_code)]
    pub history: Option<IgnoredAny>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHistory {
    pub date: String,
    pub dated: Option<String>,
    pub status: String,
    pub source: String,
    pub quote: String,
    pub quantity: Option<f64>,
    pub relay: Option<bool>,
    pub note: Option<String>,
    pub illustrative: Option<bool>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRequirement {
    pub id: String,
    pub component: String,
    pub phase: String,
    pub capability: String,
    pub quantity: f64,
    pub measure: String,
    pub domains: Option<Vec<String>>,
    #[serde(rename = "where")]
    pub locations: Option<Vec<String>>,
    pub notes: Option<String>,
    pub illustrative: Option<bool>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTheatre {
    pub host: String,
    #[serde(default)]
    pub neighbours: Vec<String>,
    #[serde(default)]
    pub forbidden: Vec<String>,
    #[serde(default)]
    pub airspace: Vec<String>,
    pub coast_tolerance_km: Option<f64>,
    pub countries: String,
    pub country_property: Option<String>,
    #[serde(default)]
    pub seas: Vec<String>,
    pub illustrative: Option<bool>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlace {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub position: [f64; 2],
    pub nation: Option<String>,
    pub notes: Option<String>,
    pub illustrative: Option<bool>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawUnit {
    pub id: String,
    pub name: String,
    pub nation: String,
    pub domain: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub sidc: String,
    pub strength: u32,
    pub pledge: Option<String>,
    pub quantity: Option<f64>,
    pub illustrative: Option<bool>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlan {
    pub id: String,
    pub name: String,
    pub standoff_km: Option<f64>,
    pub standoff_line: Option<String>,
    pub notes: Option<String>,
    pub illustrative: Option<bool>,
    #[allow(dead_code)]
    pub tasks: Option<IgnoredAny>,
    #[allow(dead_code)]
    pub deployments: Option<IgnoredAny>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTask {
    pub id: String,
    pub name: String,
    pub from: String,
    pub until: String,
    pub max_gap_days: Option<u32>,
    pub max_tour_days: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDeployment {
    pub unit: String,
    pub place: Option<String>,
    pub position: Option<[f64; 2]>,
    pub area: Option<Vec<[f64; 2]>>,
    pub from: String,
    pub until: Option<String>,
    pub task: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTarget {
    pub id: String,
    pub name: String,
    pub metric: String,
    pub target: Option<f64>,
    pub by: Option<String>,
    pub programme: Option<String>,
    #[serde(default)]
    pub partners: Vec<String>,
    pub source: String,
    pub date: String,
    pub dated: Option<String>,
    pub illustrative: Option<bool>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProgress {
    pub target: String,
    pub date: String,
    pub dated: Option<String>,
    pub value: f64,
    pub approx: Option<bool>,
    pub source: String,
    pub note: Option<String>,
    pub illustrative: Option<bool>,
    pub marking: Option<String>,
    pub releasable_to: Option<Codes>,
    pub categories: Option<Codes>,
}

/// A label's codes as observations give them: a list, or one string separated by commas, semicolons
/// or spaces (`"GBR, FRA"`). Anything else is refused saying what was expected.
#[derive(Debug)]
pub(super) enum Codes {
    List(Vec<String>),
    Text(String),
}

impl<'de> Deserialize<'de> for Codes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Codes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(r#"a list of codes such as ["GBR", "FRA"] or a text such as "GBR, FRA""#)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Codes, E> {
                Ok(Codes::Text(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Codes, A::Error> {
                let mut out = Vec::new();
                while let Some(code) = seq.next_element::<String>()? {
                    out.push(code);
                }
                Ok(Codes::List(out))
            }
        }
        d.deserialize_any(Visit)
    }
}

impl Codes {
    pub fn codes(&self) -> Vec<String> {
        match self {
            Codes::List(v) => v.iter().map(|c| c.trim().to_owned()).collect(),
            Codes::Text(t) => t.split([',', ';', ' ']).filter(|c| !c.is_empty()).map(str::to_owned).collect(),
        }
    }
}
