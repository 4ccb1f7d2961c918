//! The coalition's data: nations, pledges with their history, requirements, units, places, plans,
//! the theatre's geography and Ukraine's regeneration targets.
//!
//! # Design
//!
//! These are the validated, compiled values: every id resolves, every date parsed, every enumeration
//! known. They are built by [`mod@crate::file`] from the files a planner writes, and stored by
//! [`crate::store`] as one JSON body per entity (serde below), so the store keeps no schema of its own
//! beyond the keys. A pledge's *status* is not a field: it is the latest entry of its history, which
//! accumulates across imports (see [`Lookup::status`]). Ids are short lowercase words; nations are
//! ISO 3166 alpha-3 codes. Every entity says whether it is `illustrative` (invented for planning and
//! the demo) or a public fact with its source.
//!
//! Every entity, history entry and progress point carries a security [`Label`]. A [`Coalition`] read
//! through a viewer's store holds only what that viewer may see, and
//! [`Coalition::drop_unresolved`] then removes every reference to what it may not: no id of a hidden
//! entity reaches the viewer through one it may see.

use std::collections::HashMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;
pub use truce_core::Label;

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $id:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in the order used in tables.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The identifier used in files and the API.
            pub const fn id(self) -> &'static str {
                match self {
                    $($name::$variant => $id),+
                }
            }

            /// Parses an identifier, or says which ones exist.
            ///
            /// # Errors
            /// The word is not one of [`Self::ALL`].
            pub fn parse(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.id() == s).ok_or_else(|| {
                    let ids: Vec<&str> = Self::ALL.iter().map(|v| v.id()).collect();
                    format!("unknown {} {s:?} (expected one of: {})", stringify!($name).to_lowercase(), ids.join(", "))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.id())
            }
        }
    };
}

word_enum! {
    /// What a pledge contributes.
    Domain {
        /// Troops on the ground.
        Land = "land",
        /// Ships.
        Sea = "sea",
        /// Aircraft.
        Air = "air",
        /// Ceasefire monitoring and verification.
        Monitoring = "monitoring",
        /// Training Ukraine's forces (regeneration).
        Training = "training",
        /// Logistics and sustainment.
        Logistics = "logistics",
        /// Cyberspace.
        Cyber = "cyber",
        /// A security guarantee behind the force (the US "backstop").
        Backstop = "backstop",
    }
}

word_enum! {
    /// Where a pledge's contribution may be: its caveat on location.
    Location {
        /// On the host nation's territory (Ukraine, within its recognised borders).
        InsideUkraine = "inside_ukraine",
        /// On the territory of a neighbouring nation named by the theatre (e.g. NATO territory next to
        /// Ukraine).
        Neighbouring = "neighbouring",
        /// At sea, in the theatre's maritime area.
        AtSea = "at_sea",
        /// In the air: an air patrol area.
        InAir = "in_air",
        /// Anywhere else: outside the theatre (e.g. training at home, the HQ in Paris).
        OutsideTheatre = "outside_theatre",
    }
}

impl Location {
    /// The words of a location, for messages.
    pub const fn words(self) -> &'static str {
        match self {
            Location::InsideUkraine => "inside Ukraine",
            Location::Neighbouring => "on neighbouring territory",
            Location::AtSea => "at sea",
            Location::InAir => "in the air",
            Location::OutsideTheatre => "outside the theatre",
        }
    }
}

word_enum! {
    /// What a pledge depends on.
    Condition {
        /// A vote (or mandate) of the national parliament.
        ParliamentaryVote = "parliamentary_vote",
        /// A binding US guarantee and backstop, or a US role.
        UsBackstop = "us_backstop",
        /// An international or legal mandate for the force.
        Mandate = "mandate",
        /// A ceasefire (a credible cessation of hostilities) in force.
        CeasefireInForce = "ceasefire_in_force",
        /// A request of the host nation.
        HostRequest = "host_request",
    }
}

word_enum! {
    /// Where a pledge stands. The order is from weakest to strongest for display; see [`Status::rank`].
    Status {
        /// Considering, open to it, or reported only by a relay.
        Undecided = "undecided",
        /// Offered, subject to named conditions.
        Conditional = "conditional",
        /// Offered, no condition stated.
        Committed = "committed",
        /// Formally approved (by parliament or government).
        Approved = "approved",
        /// In place.
        Deployed = "deployed",
        /// Refused.
        Declined = "declined",
        /// Offered once, then withdrawn.
        Withdrawn = "withdrawn",
    }
}

impl Status {
    /// Firm: counted in gaps without assumptions.
    pub const fn is_firm(self) -> bool {
        matches!(self, Status::Committed | Status::Approved | Status::Deployed)
    }

    /// Strength of a position, for picking the strongest of several pledges in a table cell.
    pub const fn rank(self) -> u8 {
        match self {
            Status::Declined => 0,
            Status::Withdrawn => 1,
            Status::Undecided => 2,
            Status::Conditional => 3,
            Status::Committed => 4,
            Status::Approved => 5,
            Status::Deployed => 6,
        }
    }
}

word_enum! {
    /// A component of the force, for requirements.
    Component {
        /// Air policing and surveillance.
        Air = "air",
        /// Maritime safety, mine countermeasures.
        Maritime = "maritime",
        /// Forces on land.
        Land = "land",
        /// Monitoring and verification.
        Monitoring = "monitoring",
        /// Training and regeneration of Ukraine's forces.
        Training = "training",
        /// Logistics.
        Logistics = "logistics",
        /// Headquarters.
        Hq = "hq",
    }
}

impl Component {
    /// The pledge domains that can fill a requirement of this component, unless it names its own.
    pub fn default_domains(self) -> Vec<Domain> {
        match self {
            Component::Air => vec![Domain::Air],
            Component::Maritime => vec![Domain::Sea],
            Component::Land => vec![Domain::Land],
            Component::Monitoring => vec![Domain::Monitoring],
            Component::Training => vec![Domain::Training],
            Component::Logistics => vec![Domain::Logistics],
            Component::Hq => Domain::ALL.to_vec(),
        }
    }
}

word_enum! {
    /// What a place is.
    PlaceKind {
        /// A headquarters.
        Hq = "hq",
        /// A coordination cell.
        CoordinationCell = "coordination_cell",
        /// A military hub.
        Hub = "hub",
        /// A base.
        Base = "base",
        /// A port (ships there may be on the coast).
        Port = "port",
        /// An airbase.
        Airbase = "airbase",
        /// A logistics hub.
        LogisticsHub = "logistics_hub",
    }
}

word_enum! {
    /// How exact a date is.
    Dated {
        /// On that day.
        On = "on",
        /// Reported no later than that day: the source gives no day, the date is that of the source.
        By = "by",
    }
}

/// A calendar day (UTC), written `YYYY-MM-DD` in files and JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Day(pub Date);

const ISO_DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");
const HUMAN_DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[day] [month repr:short] [year]");

impl Day {
    /// Parses `YYYY-MM-DD`.
    ///
    /// # Errors
    /// Not a date of that form.
    pub fn parse(s: &str) -> Result<Self, String> {
        Date::parse(s, ISO_DAY).map(Day).map_err(|_| format!("{s:?} is not a date YYYY-MM-DD"))
    }

    /// `04 Sep 2025`.
    pub fn human(self) -> String {
        self.0.format(HUMAN_DAY).unwrap_or_default()
    }

    /// Days since 1970-01-01.
    pub fn ordinal(self) -> i64 {
        i64::from(self.0.to_julian_day()) - 2_440_588
    }

    /// The day `n` days since 1970-01-01.
    pub fn from_ordinal(n: i64) -> Option<Self> {
        i32::try_from(n + 2_440_588).ok().and_then(|j| Date::from_julian_day(j).ok()).map(Day)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.format(ISO_DAY).unwrap_or_default())
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Day::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A nation of the coalition (or the host, or a nation that declined).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Nation {
    /// ISO 3166 alpha-3 code, e.g. `DEU`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Free notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
}

/// A nation's offer (or refusal) of one contribution. Its status is its history's latest entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pledge {
    /// Identifier, e.g. `est-mcm`.
    pub id: String,
    /// The nation (ISO alpha-3).
    pub nation: String,
    /// What it contributes.
    pub domain: Domain,
    /// In words, e.g. "mine-countermeasures vessel".
    pub capability: String,
    /// How much, in `measure`; `None` when the position gives no number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    /// The measure of `quantity` (a measure id, e.g. `company`, `personnel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<String>,
    /// Where the contribution may be; empty when the position does not say.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    /// What it depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Free notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
}

/// Where an entry was read from and when it was first recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Recorded {
    /// The file (as given to the import) and line.
    pub file: String,
    /// Line in the file.
    pub line: usize,
    /// The import that first recorded it (sequence number; 0 before it is stored).
    pub import: i64,
    /// When that import ran (RFC 3339; empty before it is stored).
    #[serde(default)]
    pub at: String,
}

/// One step of a pledge's history: on a date, a source reported this status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The pledge.
    pub pledge: String,
    /// When.
    pub date: Day,
    /// How exact the date is.
    pub dated: Dated,
    /// The status reported.
    pub status: Status,
    /// The source: a URL or a document's name.
    pub source: String,
    /// The words quoted from (or summarising) the source.
    pub quote: String,
    /// A changed quantity, if the position changed the number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    /// Reported by a relay (a lead, not settled fact).
    #[serde(default)]
    pub relay: bool,
    /// Free note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
    /// Where it came from (filled by the store).
    #[serde(default, skip_serializing)]
    pub recorded: Recorded,
}

/// A unit of measure, optionally convertible to a base measure by a planning factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measure {
    /// Identifier, e.g. `company`.
    pub id: String,
    /// Name, e.g. "company (about 150 personnel)".
    pub name: String,
    /// The base measure this converts to, and how many of it one of this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<(String, f64)>,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
}

/// What the force needs: a quantity of something, for a component, in a phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    /// Identifier.
    pub id: String,
    /// The force component.
    pub component: Component,
    /// The planning phase, e.g. `initial`.
    pub phase: String,
    /// In words.
    pub capability: String,
    /// How much.
    pub quantity: f64,
    /// In which measure.
    pub measure: String,
    /// Pledge domains that can fill it.
    pub domains: Vec<Domain>,
    /// Where it is needed; a pledge fills it only if allowed there (empty: anywhere).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    /// Free notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
}

/// A hub, HQ, base or port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Place {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// What it is.
    pub kind: PlaceKind,
    /// Longitude, latitude (degrees, WGS84).
    pub position: [f64; 2],
    /// The nation running it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nation: Option<String>,
    /// Free notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
}

/// A unit a nation provides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// The nation (ISO alpha-3).
    pub nation: String,
    /// What it does.
    pub domain: Domain,
    /// Its type in words, e.g. "mechanised infantry company".
    #[serde(rename = "type")]
    pub kind: String,
    /// APP-6 / MIL-STD-2525 symbol identification code (20-digit 2525D/E or 15-character 2525C).
    pub sidc: String,
    /// Personnel.
    pub strength: u32,
    /// The pledge it fills, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pledge: Option<String>,
    /// How much of its pledge's measure it is (default: its strength when the measure is personnel,
    /// else 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
}

/// One country of the theatre's geography.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Country {
    /// ISO alpha-3.
    pub a3: String,
    /// Name.
    pub name: String,
    /// Polygons, each an exterior ring then holes, `[lon, lat]` positions.
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

/// A sea of the theatre's maritime area.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sea {
    /// Name.
    pub name: String,
    /// Polygons, each an exterior ring then holes.
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

/// The theatre: the geography plans are checked on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Theatre {
    /// The host nation (ISO alpha-3): its territory is "inside Ukraine".
    pub host: String,
    /// Neighbouring territory (ISO alpha-3 codes).
    pub neighbours: Vec<String>,
    /// Territory where no unit of the force may be.
    pub forbidden: Vec<String>,
    /// Countries whose airspace air patrols may use (besides the sea).
    pub airspace: Vec<String>,
    /// How far a position may lie outside the land and sea polygons and still count as the coast, km
    /// (the land file is generalised to 10 km).
    pub coast_tolerance_km: f64,
    /// The countries' polygons.
    pub countries: Vec<Country>,
    /// The maritime area.
    pub seas: Vec<Sea>,
    /// The geometry files it was read from.
    pub sources: Vec<String>,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
}

/// A presence to hold continuously, filled by rotating units.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Identifier within the plan.
    pub id: String,
    /// Name.
    pub name: String,
    /// First day to cover.
    pub from: Day,
    /// Last day to cover (inclusive).
    pub until: Day,
    /// Longest tolerated gap between rotations, days.
    #[serde(default)]
    pub max_gap_days: u32,
    /// Longest tour of one unit, days, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tour_days: Option<u32>,
}

/// A unit at a place (or position, or over an area) for a period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// The unit.
    pub unit: String,
    /// The place, if at one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<String>,
    /// Longitude, latitude: the place's position, or where the deployment says.
    pub position: [f64; 2],
    /// A patrol area (a closed ring of `[lon, lat]`), for air and sea patrols.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<Vec<[f64; 2]>>,
    /// First day.
    pub from: Day,
    /// Last day (inclusive); open-ended when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Day>,
    /// The task it fills, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Line in the plan's file (0 when unknown).
    #[serde(default)]
    pub line: usize,
}

/// A deployment plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// The plan's own minimum distance from the line, km (the agreement's force stand-off applies in
    /// any case; the larger one counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standoff_km: Option<f64>,
    /// The agreement line the plan's stand-off is measured from (default: the line of the agreement's
    /// force stand-off zone, else its first line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standoff_line: Option<String>,
    /// Free notes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Continuous tasks.
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// The deployments.
    pub deployments: Vec<Deployment>,
    /// The file it was read from (kept beside the stored body, not in it).
    #[serde(default, skip_serializing)]
    pub file: String,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
}

/// A regeneration target for Ukraine's forces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// What is counted, e.g. `personnel`, `brigades`, `trained`.
    pub metric: String,
    /// The number to reach; `None` when no target is published (progress is still tracked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// The date it should be reached by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Day>,
    /// The partner programme, e.g. "EUMAM".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programme: Option<String>,
    /// Partner nations.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<String>,
    /// Where the target comes from.
    pub source: String,
    /// When it was set.
    pub date: Day,
    /// How exact that date is.
    pub dated: Dated,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
}

/// One measurement of progress toward a target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The target.
    pub target: String,
    /// When.
    pub date: Day,
    /// How exact the date is.
    pub dated: Dated,
    /// The value reached.
    pub value: f64,
    /// The source gives it as approximate ("~60,000").
    #[serde(default)]
    pub approx: bool,
    /// Where it comes from.
    pub source: String,
    /// Free note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
    /// Where it came from (filled by the store).
    #[serde(default, skip_serializing)]
    pub recorded: Recorded,
}

/// A dated event of the coalition as a whole.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Milestone {
    /// Identifier.
    pub id: String,
    /// When.
    pub date: Day,
    /// How exact the date is.
    pub dated: Dated,
    /// In a few words.
    pub title: String,
    /// The words of the source.
    pub quote: String,
    /// The source.
    pub source: String,
    /// Invented for planning and the demo.
    #[serde(default)]
    pub illustrative: bool,
    /// The security label (docs/security.md); NATO UNCLASSIFIED to the default release when the file
    /// gives none.
    #[serde(default, skip_serializing_if = "is_unlabelled")]
    pub label: Label,
}

/// Everything known about the coalition. Built from the store (or from files); ids are unique within
/// each kind and every reference resolves.
#[derive(Debug, Clone, Default)]
pub struct Coalition {
    /// Nations, by id.
    pub nations: Vec<Nation>,
    /// Pledges.
    pub pledges: Vec<Pledge>,
    /// Every history entry of every pledge, oldest first (date, then when recorded).
    pub history: Vec<HistoryEntry>,
    /// Measures.
    pub measures: Vec<Measure>,
    /// Requirements.
    pub requirements: Vec<Requirement>,
    /// Places.
    pub places: Vec<Place>,
    /// Units.
    pub units: Vec<Unit>,
    /// The theatre, if one was imported.
    pub theatre: Option<Theatre>,
    /// Plans.
    pub plans: Vec<Plan>,
    /// Regeneration targets.
    pub targets: Vec<Target>,
    /// Progress, oldest first.
    pub progress: Vec<Progress>,
    /// Milestones, oldest first.
    pub milestones: Vec<Milestone>,
}

/// True for the default label, which bodies leave out (so that a store written before labels reads
/// the same).
fn is_unlabelled(l: &Label) -> bool {
    *l == Label::default()
}

/// Id → position lookups over a [`Coalition`].
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    nations: HashMap<String, usize>,
    pledges: HashMap<String, usize>,
    measures: HashMap<String, usize>,
    places: HashMap<String, usize>,
    units: HashMap<String, usize>,
    /// History entry indexes of each pledge, oldest first.
    history: HashMap<String, Vec<usize>>,
}

impl Coalition {
    /// Sorts the series (history, progress, milestones) and everything else by id, so that output is
    /// deterministic whatever order the store returned.
    pub fn normalise(&mut self) {
        self.nations.sort_by(|a, b| a.id.cmp(&b.id));
        // Same date: the order recorded (import, then file and line).
        // Not yet stored (import 0) sorts after everything stored.
        let import = |i: i64| if i == 0 { i64::MAX } else { i };
        self.history.sort_by(|a, b| {
            (a.date, import(a.recorded.import), &a.recorded.file, a.recorded.line, &a.pledge).cmp(&(
                b.date,
                import(b.recorded.import),
                &b.recorded.file,
                b.recorded.line,
                &b.pledge,
            ))
        });
        self.pledges.sort_by(|a, b| (&a.nation, a.domain, &a.id).cmp(&(&b.nation, b.domain, &b.id)));
        self.requirements.sort_by(|a, b| (&a.phase, a.component, &a.id).cmp(&(&b.phase, b.component, &b.id)));
        self.measures.sort_by(|a, b| a.id.cmp(&b.id));
        self.places.sort_by(|a, b| a.id.cmp(&b.id));
        self.units.sort_by(|a, b| a.id.cmp(&b.id));
        self.plans.sort_by(|a, b| a.id.cmp(&b.id));
        self.targets.sort_by(|a, b| a.id.cmp(&b.id));
        self.progress.sort_by(|a, b| (&a.target, a.date).cmp(&(&b.target, b.date)));
        self.milestones.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    }

    /// Removes what refers to an entity this coalition does not hold (one a viewer may not see, when
    /// the coalition was read through the viewer's store), so that no id of it shows:
    ///
    /// - an entry that cannot stand without it is left out: a pledge of a missing nation or measure, a
    ///   history entry of a missing pledge, a requirement in a missing measure, a unit of a missing
    ///   nation, a plan's deployment of a missing unit or at a missing place, a progress point of a
    ///   missing target;
    /// - an optional reference is cleared: a unit's pledge (and its quantity, which counts against
    ///   the pledge), a place's nation, a measure's conversion, a target's partner.
    ///
    /// A coalition read whole (the operator's, or loaded from files) resolves everything already and
    /// is left as it is.
    pub fn drop_unresolved(&mut self) {
        use std::collections::HashSet;
        fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> HashSet<String> {
            items.iter().map(|t| id(t).to_owned()).collect()
        }
        let nations = ids(&self.nations, |n| &n.id);
        let measures = ids(&self.measures, |m| &m.id);
        for m in &mut self.measures {
            if m.equals.as_ref().is_some_and(|(base, _)| !measures.contains(base)) {
                m.equals = None;
            }
        }
        self.pledges.retain(|p| nations.contains(&p.nation) && p.measure.as_ref().is_none_or(|m| measures.contains(m)));
        let pledges = ids(&self.pledges, |p| &p.id);
        self.history.retain(|h| pledges.contains(&h.pledge));
        self.requirements.retain(|r| measures.contains(&r.measure));
        for p in &mut self.places {
            if p.nation.as_ref().is_some_and(|n| !nations.contains(n)) {
                p.nation = None;
            }
        }
        self.units.retain(|u| nations.contains(&u.nation));
        for u in &mut self.units {
            if u.pledge.as_ref().is_some_and(|p| !pledges.contains(p)) {
                u.pledge = None;
                u.quantity = None;
            }
        }
        let units = ids(&self.units, |u| &u.id);
        let places = ids(&self.places, |p| &p.id);
        for plan in &mut self.plans {
            plan.deployments.retain(|d| units.contains(&d.unit) && d.place.as_ref().is_none_or(|p| places.contains(p)));
        }
        for t in &mut self.targets {
            t.partners.retain(|n| nations.contains(n));
        }
        let targets = ids(&self.targets, |t| &t.id);
        self.progress.retain(|p| targets.contains(&p.target));
    }

    /// The lookups.
    pub fn lookup(&self) -> Lookup {
        fn ix<T>(items: &[T], id: impl Fn(&T) -> &str) -> HashMap<String, usize> {
            items.iter().enumerate().map(|(i, t)| (id(t).to_owned(), i)).collect()
        }
        let mut history: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, h) in self.history.iter().enumerate() {
            history.entry(h.pledge.clone()).or_default().push(i);
        }
        Lookup {
            nations: ix(&self.nations, |n| &n.id),
            pledges: ix(&self.pledges, |p| &p.id),
            measures: ix(&self.measures, |m| &m.id),
            places: ix(&self.places, |p| &p.id),
            units: ix(&self.units, |u| &u.id),
            history,
        }
    }
}

impl Lookup {
    /// A nation by id.
    pub fn nation<'a>(&self, c: &'a Coalition, id: &str) -> Option<&'a Nation> {
        self.nations.get(id).map(|&i| &c.nations[i])
    }

    /// A pledge by id.
    pub fn pledge<'a>(&self, c: &'a Coalition, id: &str) -> Option<&'a Pledge> {
        self.pledges.get(id).map(|&i| &c.pledges[i])
    }

    /// A measure by id.
    pub fn measure<'a>(&self, c: &'a Coalition, id: &str) -> Option<&'a Measure> {
        self.measures.get(id).map(|&i| &c.measures[i])
    }

    /// A place by id.
    pub fn place<'a>(&self, c: &'a Coalition, id: &str) -> Option<&'a Place> {
        self.places.get(id).map(|&i| &c.places[i])
    }

    /// A unit by id.
    pub fn unit<'a>(&self, c: &'a Coalition, id: &str) -> Option<&'a Unit> {
        self.units.get(id).map(|&i| &c.units[i])
    }

    /// A pledge's history, oldest first.
    pub fn history<'a>(&self, c: &'a Coalition, pledge: &str) -> Vec<&'a HistoryEntry> {
        self.history.get(pledge).map(|ix| ix.iter().map(|&i| &c.history[i]).collect()).unwrap_or_default()
    }

    /// The entry that set a pledge's current status: its latest.
    pub fn current<'a>(&self, c: &'a Coalition, pledge: &str) -> Option<&'a HistoryEntry> {
        self.history.get(pledge).and_then(|ix| ix.last()).map(|&i| &c.history[i])
    }

    /// A pledge's current status.
    pub fn status(&self, c: &Coalition, pledge: &str) -> Option<Status> {
        self.current(c, pledge).map(|h| h.status)
    }

    /// A pledge's current quantity: the latest history entry that gave one, else the pledge's.
    pub fn quantity(&self, c: &Coalition, pledge: &Pledge) -> Option<f64> {
        self.history
            .get(&pledge.id)
            .and_then(|ix| ix.iter().rev().find_map(|&i| c.history[i].quantity))
            .or(pledge.quantity)
    }

    /// The pledges of a nation, in file order.
    pub fn pledges_of<'a>(&self, c: &'a Coalition, nation: &str) -> Vec<&'a Pledge> {
        c.pledges.iter().filter(|p| p.nation == nation).collect()
    }
}

/// A number as people write it: no decimals when whole, thousands separated by commas.
pub fn number(x: f64) -> String {
    if x.fract().abs() > 1e-9 {
        return format!("{x:.1}");
    }
    let digits = format!("{}", x.abs().round() as u64);
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_report() {
        assert_eq!(number(800_000.0), "800,000");
        assert_eq!(number(150.0), "150");
        assert_eq!(number(1_234.5), "1234.5");
        assert_eq!(number(-12_000.0), "-12,000");
    }

    #[test]
    fn days_round_trip_and_read() {
        let d = Day::parse("2025-09-04").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(d.to_string(), "2025-09-04");
        assert_eq!(d.human(), "04 Sep 2025");
        assert_eq!(Day::from_ordinal(d.ordinal()), Some(d));
        assert!(Day::parse("2025-13-01").is_err());
    }

    #[test]
    fn enums_name_the_allowed_words() {
        assert_eq!(Status::parse("conditional"), Ok(Status::Conditional));
        let e = Status::parse("comitted").unwrap_err();
        assert!(e.contains("unknown status \"comitted\"") && e.contains("committed"), "{e}");
    }
}
