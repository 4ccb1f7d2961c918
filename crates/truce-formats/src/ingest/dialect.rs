//! CSV dialects: which columns each layout has, which of them feed which observation field, and how a
//! row of each becomes an observation's JSON. The tables here are the ones `docs/ingest.md` documents.
//!
//! The header is looked at once: the dialect, the column that feeds each field (so that an error names
//! the user's column, `source_article`, not truce's field, `source_ref`), the columns that are missing
//! and the ones that are not used (with a "did you mean" for a near miss).

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

use super::dates::{self, DateOrder};
use crate::observation::FieldError;

/// The dialect of a CSV file, told from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// truce's own column names; a `date` column instead of `time` makes it a generic event file.
    Truce,
    /// ACLED: `event_date`, `latitude`, `longitude`, `sub_event_type`, ...
    Acled,
    /// UCDP GED: `date_start`, `latitude`, `longitude`, `where_prec`, ...
    Ucdp,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Self::Truce => "truce",
            Self::Acled => "ACLED",
            Self::Ucdp => "UCDP GED",
        }
    }

    /// Each observation field this dialect fills, and the columns it is taken from (the first present).
    fn sources(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Self::Truce => TRUCE_SOURCES,
            Self::Acled => ACLED_SOURCES,
            Self::Ucdp => UCDP_SOURCES,
        }
    }

    /// Every column this dialect knows, used or not.
    fn known(self) -> &'static [&'static str] {
        match self {
            Self::Truce => TRUCE_IGNORED,
            Self::Acled => ACLED_COLUMNS,
            Self::Ucdp => UCDP_COLUMNS,
        }
    }
}

const TRUCE_SOURCES: &[(&str, &[&str])] = &[
    ("id", &["id"]),
    ("time", &["time", "date"]),
    ("time_end", &["time_end"]),
    ("time_precision", &["time_precision"]),
    ("lat", &["lat", "latitude"]),
    ("lon", &["lon", "longitude", "lng"]),
    ("location_precision", &["location_precision"]),
    ("place", &["place"]),
    ("category", &["category"]),
    ("weapon_class", &["weapon_class"]),
    ("count", &["count"]),
    ("direction", &["direction"]),
    ("party", &["party"]),
    ("confidence", &["confidence"]),
    ("reason", &["reason"]),
    ("text", &["text"]),
    ("source_ref", &["source_ref"]),
    ("marking", &["marking"]),
    ("releasable_to", &["releasable_to"]),
    ("categories", &["categories"]),
    ("observer.means", &["observer_means", "means"]),
    ("observer.team", &["observer_team", "team"]),
    ("observer.callsign", &["observer_callsign"]),
    ("observer.lat", &["observer_lat"]),
    ("observer.lon", &["observer_lon"]),
    ("observer.bearing_deg", &["bearing_deg"]),
    ("observer.range_m", &["range_m"]),
    ("casualties.killed", &["killed"]),
    ("casualties.injured", &["injured"]),
];
/// Columns of truce's own listing (`truce observations --format csv`) that ingest recomputes.
const TRUCE_IGNORED: &[&str] = &["zones", "violations"];

const ACLED_SOURCES: &[(&str, &[&str])] = &[
    ("id", &["event_id_cnty"]),
    ("time", &["event_date"]),
    ("time_precision", &["time_precision"]),
    ("lat", &["latitude"]),
    ("lon", &["longitude"]),
    ("location_precision", &["geo_precision"]),
    ("place", &["location"]),
    ("text", &["notes"]),
    ("source_ref", &["source"]),
    ("category", &["category", "sub_event_type"]),
];
/// ACLED's export columns in its codebook's order (2023 onwards), then older ones (`data_id`, `iso3`,
/// `event_id_no_cnty`), and `category` (an analyst's override).
pub const ACLED_COLUMNS: &[&str] = &[
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
    "data_id",
    "iso3",
    "event_id_no_cnty",
    "category",
];

const UCDP_SOURCES: &[(&str, &[&str])] = &[
    ("id", &["id"]),
    ("time", &["date_start"]),
    ("time_end", &["date_end"]),
    ("time_precision", &["date_prec"]),
    ("location_precision", &["where_prec"]),
    ("lat", &["latitude"]),
    ("lon", &["longitude"]),
    ("place", &["where_description"]),
    ("source_ref", &["source_article"]),
    ("category", &["category", "type_of_violence"]),
];
/// UCDP GED's columns in its codebook's order (GED 23.1 onwards), and `category`.
pub const UCDP_COLUMNS: &[&str] = &[
    "id",
    "relid",
    "year",
    "active_year",
    "code_status",
    "type_of_violence",
    "conflict_dset_id",
    "conflict_new_id",
    "conflict_name",
    "dyad_dset_id",
    "dyad_new_id",
    "dyad_name",
    "side_a_dset_id",
    "side_a_new_id",
    "side_a",
    "side_b_dset_id",
    "side_b_new_id",
    "side_b",
    "number_of_sources",
    "source_article",
    "source_office",
    "source_date",
    "source_headline",
    "source_original",
    "where_prec",
    "where_coordinates",
    "where_description",
    "adm_1",
    "adm_2",
    "latitude",
    "longitude",
    "geom_wkt",
    "priogrid_gid",
    "country",
    "country_id",
    "region",
    "event_clarity",
    "date_prec",
    "date_start",
    "date_end",
    "deaths_a",
    "deaths_b",
    "deaths_civilians",
    "deaths_unknown",
    "best",
    "high",
    "low",
    "gwnoa",
    "gwnob",
    "category",
];

/// ACLED's whole taxonomy: (`event_type`, `sub_event_type`, truce category). `None`: not something a
/// ceasefire monitor observes (protests, arrests, agreements ...): such rows are skipped and counted,
/// not refused. `Disrupted weapons use` is an air-defence interception (`explosion_airburst`) when its
/// notes say so (see [`disrupted_weapons_use`]), otherwise a seizure or defusal (`weapon_sighting`).
pub const ACLED_CATEGORIES: &[(&str, &str, Option<&str>)] = &[
    ("Battles", "Armed clash", Some("bursts_and_shots")),
    ("Battles", "Government regains territory", Some("bursts_and_shots")),
    ("Battles", "Non-state actor overtakes territory", Some("bursts_and_shots")),
    ("Explosions/Remote violence", "Chemical weapon", Some("explosion_undetermined")),
    ("Explosions/Remote violence", "Air/drone strike", Some("explosion_impact")),
    ("Explosions/Remote violence", "Suicide bomb", Some("explosion_undetermined")),
    ("Explosions/Remote violence", "Shelling/artillery/missile attack", Some("explosion_impact")),
    ("Explosions/Remote violence", "Remote explosive/landmine/IED", Some("explosion_undetermined")),
    ("Explosions/Remote violence", "Grenade", Some("explosion_impact")),
    ("Violence against civilians", "Sexual violence", Some("civilian_casualty")),
    ("Violence against civilians", "Attack", Some("civilian_casualty")),
    ("Violence against civilians", "Abduction/forced disappearance", Some("civilian_casualty")),
    ("Protests", "Peaceful protest", None),
    ("Protests", "Protest with intervention", None),
    ("Protests", "Excessive force against protesters", Some("civilian_casualty")),
    ("Riots", "Violent demonstration", None),
    ("Riots", "Mob violence", None),
    ("Strategic developments", "Agreement", None),
    ("Strategic developments", "Arrests", None),
    ("Strategic developments", "Change to group/activity", None),
    ("Strategic developments", "Disrupted weapons use", Some("explosion_airburst")),
    ("Strategic developments", "Headquarters or base established", Some("engineering_works")),
    ("Strategic developments", "Looting/property destruction", None),
    ("Strategic developments", "Non-violent transfer of territory", None),
    ("Strategic developments", "Other", None),
];

/// Words in ACLED's notes that make a "Disrupted weapons use" event an interception.
const INTERCEPTION_WORDS: &[&str] = &["intercept", "shot down", "downed", "air defen"];

/// The category of a "Disrupted weapons use" event from its notes: an interception is an airburst
/// (something was fired); a seizure of weapons or a defused explosive is a weapon sighting.
pub fn disrupted_weapons_use(notes: &str) -> &'static str {
    let notes = notes.to_lowercase();
    if INTERCEPTION_WORDS.iter().any(|w| notes.contains(w)) { "explosion_airburst" } else { "weapon_sighting" }
}

/// A CSV header, understood.
#[derive(Debug)]
pub struct Header {
    /// Lower-case, trimmed names, by position.
    pub lower: Vec<String>,
    /// The names as the file spells them, by position.
    pub original: Vec<String>,
    /// The dialect.
    pub dialect: Dialect,
    /// For each field filled, the column it comes from (as the file spells it).
    fields: Vec<(&'static str, usize)>,
    /// Positions of the date columns.
    pub date_columns: Vec<usize>,
}

impl Header {
    /// Understands a header, or says what it lacks.
    ///
    /// # Errors
    /// One line naming what is missing (with a "did you mean" when a column is a near miss).
    pub fn new(original: Vec<String>) -> Result<(Self, Option<String>), String> {
        let original: Vec<String> =
            original.into_iter().map(|h| h.trim_start_matches('\u{feff}').trim().to_owned()).collect();
        let lower: Vec<String> = original.iter().map(|h| h.to_lowercase()).collect();
        let has = |n: &str| lower.iter().any(|h| h == n);
        let dialect = if has("event_date") {
            Dialect::Acled
        } else if has("date_start") {
            Dialect::Ucdp
        } else {
            Dialect::Truce
        };
        let position = |names: &[&str]| names.iter().find_map(|n| lower.iter().position(|h| h == n));
        let fields: Vec<(&'static str, usize)> =
            dialect.sources().iter().filter_map(|(f, cols)| position(cols).map(|i| (*f, i))).collect();
        let known: Vec<&str> = dialect
            .sources()
            .iter()
            .flat_map(|(_, c)| c.iter().copied())
            .chain(dialect.known().iter().copied())
            .collect();
        let unknown: Vec<&str> =
            lower.iter().map(String::as_str).filter(|h| !h.is_empty() && !known.contains(h)).collect();
        let suggest = |h: &str| nearest(h, known.iter().copied()).map(|k| format!(" (did you mean `{k}`?)"));

        // What a file of this dialect cannot do without.
        let needs: &[(&str, &[&str])] = match dialect {
            Dialect::Truce => &[
                ("time", &["time", "date", "event_date", "date_start"]),
                ("latitude", &["lat", "latitude", "observer_lat"]),
                ("longitude", &["lon", "longitude", "lng", "observer_lon"]),
                ("category", &["category"]),
            ],
            Dialect::Acled => &[
                ("latitude", &["latitude"]),
                ("longitude", &["longitude"]),
                ("event type", &["sub_event_type", "category"]),
            ],
            Dialect::Ucdp => &[
                ("latitude", &["latitude"]),
                ("longitude", &["longitude"]),
                ("event type", &["type_of_violence", "category"]),
            ],
        };
        let mut lacks = Vec::new();
        for (what, names) in needs {
            if position(names).is_none() {
                let typo = unknown.iter().find_map(|u| nearest(u, names.iter().copied()).map(|n| (u, n)));
                let hint = typo.map(|(u, n)| format!(" (is `{u}` meant to be `{n}`?)")).unwrap_or_default();
                let layout = if dialect == Dialect::Truce {
                    String::new()
                } else {
                    format!(" for the {} layout", dialect.name())
                };
                lacks.push(format!("no {what} column{layout}: expected one of {}{hint}", names.join(", ")));
            }
        }
        if !lacks.is_empty() {
            return Err(lacks.join("; "));
        }
        let notice = (!unknown.is_empty()).then(|| {
            let listed: Vec<String> =
                unknown.iter().map(|u| format!("`{u}`{}", suggest(u).unwrap_or_default())).collect();
            format!("columns not used ({} layout): {}", dialect.name(), listed.join(", "))
        });
        let date_columns = lower
            .iter()
            .enumerate()
            .filter(|(_, h)| match dialect {
                Dialect::Truce => h.as_str() == "time" || h.as_str() == "date" || h.as_str() == "time_end",
                Dialect::Acled => h.as_str() == "event_date",
                Dialect::Ucdp => h.as_str() == "date_start" || h.as_str() == "date_end",
            })
            .map(|(i, _)| i)
            .collect();
        Ok((Self { lower, original, dialect, fields, date_columns }, notice))
    }

    /// The user's column that feeds `field` (a field path such as `observer.team`).
    pub fn column_of(&self, field: &str) -> Option<&str> {
        self.fields.iter().find(|(f, _)| *f == field).map(|(_, i)| self.original[*i].as_str())
    }
}

/// The closest of `candidates` to `word`, if it is a near miss (a typo, not another word).
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// A row mapped onto an observation's JSON.
pub enum Mapped {
    /// The observation's members, and the problems found while mapping (named by column).
    Row(Map<String, Value>, Vec<FieldError>),
    /// Not something to observe (an ACLED protest): why.
    Skip(String),
}

/// Maps one row (cells by position, decoded) onto an observation's JSON.
pub fn map(header: &Header, cells: &[String], order: Option<DateOrder>) -> Mapped {
    let cell = |i: usize| cells.get(i).map(|c| c.trim()).filter(|c| !c.is_empty());
    let mut out = Map::new();
    let mut errors = Vec::new();
    let mut err = |column: &str, code: &'static str, message: String| {
        errors.push(FieldError { field: column.to_owned(), code, message });
    };
    for &(field, i) in &header.fields {
        let Some(v) = cell(i) else { continue };
        let column = header.original[i].as_str();
        let lower = header.lower[i].as_str();
        let value = match (header.dialect, field) {
            (Dialect::Acled, "id") => Value::String(format!("acled-{v}")),
            (Dialect::Ucdp, "id") => Value::String(format!("ucdp-{v}")),
            (Dialect::Truce, "time" | "time_end") if time::OffsetDateTime::parse(v, &Rfc3339).is_ok() => v.into(),
            (_, "time" | "time_end") => match dates::parse(v, order) {
                Ok((day, at)) => {
                    let at = at.unwrap_or(time::Time::MIDNIGHT);
                    let t = day.with_time(at).assume_utc();
                    if field == "time"
                        && header.column_of("time_precision").is_none()
                        && header.dialect == Dialect::Truce
                    {
                        out.insert(
                            "time_precision".into(),
                            if at == time::Time::MIDNIGHT { "day" } else { "exact" }.into(),
                        );
                    }
                    t.format(&Rfc3339).map_or(Value::Null, Value::String)
                }
                Err(e) => {
                    err(column, "invalid_value", e);
                    continue;
                }
            },
            (Dialect::Acled, "time_precision") => match v {
                "1" => "day".into(),
                "2" => "week".into(),
                "3" => "month".into(),
                other => {
                    err(column, "invalid_value", format!("{other:?} is not 1, 2 or 3"));
                    continue;
                }
            },
            (Dialect::Ucdp, "time_precision") => match v {
                "1" => "day".into(),
                "2" | "3" => "week".into(),
                "4" | "5" => "month".into(),
                other => {
                    err(column, "invalid_value", format!("{other:?} is not 1 to 5"));
                    continue;
                }
            },
            (Dialect::Acled, "location_precision") => match v {
                "1" => "settlement".into(),
                "2" => "near_settlement".into(),
                "3" => "region".into(),
                other => {
                    err(column, "invalid_value", format!("{other:?} is not 1, 2 or 3"));
                    continue;
                }
            },
            (Dialect::Ucdp, "location_precision") => match v {
                "1" => "exact".into(),
                "2" => "near_settlement".into(),
                "3" | "4" | "5" | "6" | "7" => "region".into(),
                other => {
                    err(column, "invalid_value", format!("{other:?} is not 1 to 7"));
                    continue;
                }
            },
            (Dialect::Acled, "category") if lower == "sub_event_type" => {
                match ACLED_CATEGORIES.iter().find(|(_, s, _)| s.eq_ignore_ascii_case(v)) {
                    Some((_, "Disrupted weapons use", _)) => {
                        let notes = header.fields.iter().find(|(f, _)| *f == "text").and_then(|(_, i)| cell(*i));
                        disrupted_weapons_use(notes.unwrap_or("")).into()
                    }
                    Some((_, _, Some(c))) => (*c).into(),
                    Some((_, s, None)) => {
                        return Mapped::Skip(format!("ACLED sub_event_type {s:?} is not a ceasefire event"));
                    }
                    None => {
                        let near = nearest(v, ACLED_CATEGORIES.iter().map(|(_, s, _)| *s))
                            .map(|n| format!("did you mean {n:?}? "))
                            .unwrap_or_default();
                        err(
                            column,
                            "invalid_value",
                            format!(
                                "{v:?} is not an ACLED sub-event type ({near}the 25 are listed in docs/ingest.md; or give a `category` column)"
                            ),
                        );
                        continue;
                    }
                }
            }
            (Dialect::Ucdp, "category") if lower == "type_of_violence" => match v {
                "1" | "2" => "bursts_and_shots".into(),
                "3" => "civilian_casualty".into(),
                other => {
                    err(column, "invalid_value", format!("{other:?} is not 1, 2 or 3"));
                    continue;
                }
            },
            _ => Value::String(v.to_owned()),
        };
        put(&mut out, field, value);
    }
    match header.dialect {
        Dialect::Acled => drop(out.insert("observer".into(), serde_json::json!({"means": "import", "team": "ACLED"}))),
        Dialect::Ucdp => drop(out.insert("observer".into(), serde_json::json!({"means": "import", "team": "UCDP"}))),
        Dialect::Truce => {}
    }
    Mapped::Row(out, errors)
}

/// Puts `value` at a field path (`lat`, `observer.team`).
fn put(out: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            out.insert(path.to_owned(), value);
        }
        Some((outer, inner)) => {
            if let Value::Object(o) = out.entry(outer).or_insert_with(|| Value::Object(Map::new())) {
                o.insert(inner.to_owned(), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cols: &str) -> Result<(Header, Option<String>), String> {
        Header::new(cols.split(',').map(str::to_owned).collect())
    }

    #[test]
    fn every_acled_sub_event_type_is_mapped() {
        assert_eq!(ACLED_CATEGORIES.len(), 25);
        for (_, _, c) in ACLED_CATEGORIES {
            if let Some(c) = c {
                assert!(c.parse::<truce_core::Category>().is_ok(), "{c}");
            }
        }
        assert_eq!(disrupted_weapons_use("Air defence intercepted 12 drones over Kyiv."), "explosion_airburst");
        assert_eq!(disrupted_weapons_use("Police seized a weapons cache."), "weapon_sighting");
    }

    #[test]
    fn known_columns_are_not_reported_and_typos_are() {
        let all = ACLED_COLUMNS.join(",");
        let (h, notice) = header(&all).unwrap();
        assert_eq!((h.dialect, notice), (Dialect::Acled, None));
        let (_, notice) = header(&UCDP_COLUMNS.join(",")).unwrap();
        assert_eq!(notice, None);
        let (_, notice) = header("id,time,lat,lon,category,zones,violations,catgory,colour").unwrap();
        let notice = notice.unwrap();
        assert!(notice.contains("`catgory` (did you mean `category`?)"), "{notice}");
        assert!(notice.ends_with("`colour`"), "{notice}");
        let e = header("id,date,lattitude,lon,category").unwrap_err();
        assert!(e.contains("no latitude column") && e.contains("`lattitude` meant to be `latitude`"), "{e}");
        let e = header("id,when,lat,lon,category").unwrap_err();
        assert!(e.starts_with("no time column: expected one of time, date, event_date, date_start"), "{e}");
        assert_eq!(header("id,date,lat,lon,category").unwrap().0.date_columns, [1]);
    }
}
