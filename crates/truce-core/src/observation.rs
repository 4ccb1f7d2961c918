//! An observation: what a monitor, camera, UAV, sensor or import reported, with its classification
//! against the agreement.
//!
//! The stored form is fully validated: a position always exists (computed from the observer's
//! position, bearing and range when the report gave those instead), times are UTC, enumerations are
//! closed. The JSON form (serde) is the API's and the store's.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::Category;

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $id:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $id)] $variant,)*
        }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The stable identifier.
            pub const fn id(self) -> &'static str {
                match self { $($name::$variant => $id,)* }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL.iter().copied().find(|v| v.id() == s).ok_or_else(|| {
                    let ids: Vec<&str> = $name::ALL.iter().map(|v| v.id()).collect();
                    format!("{s:?} is not one of: {}", ids.join(", "))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.id())
            }
        }
    };
}

vocabulary! {
    /// How precisely the time is known (OSCE reports give windows such as "evening and night").
    TimePrecision {
        /// To the second.
        Exact = "exact",
        /// To the minute.
        Minute = "minute",
        /// To the hour.
        Hour = "hour",
        /// To the day (ACLED `time_precision` 1).
        Day = "day",
        /// To the week (ACLED 2).
        Week = "week",
        /// To the month (ACLED 3).
        Month = "month",
    }
}

vocabulary! {
    /// How precisely the position is known.
    LocationPrecision {
        /// Measured (GPS, a surveyed camera).
        Exact = "exact",
        /// Assessed from the observer's position, a bearing and a range.
        Estimated = "estimated",
        /// A settlement (ACLED `geo_precision` 1).
        Settlement = "settlement",
        /// Near a settlement or part of a region (ACLED 2).
        NearSettlement = "near_settlement",
        /// A larger region (ACLED 3).
        Region = "region",
    }
}

vocabulary! {
    /// The means of observation.
    Means {
        /// A patrol that saw or heard it.
        Patrol = "patrol",
        /// A fixed camera.
        FixedCamera = "fixed_camera",
        /// An unmanned aerial vehicle.
        Uav = "uav",
        /// An acoustic, thermal or other sensor.
        Sensor = "sensor",
        /// A TAK device (ATAK, WinTAK, iTAK).
        TakDevice = "tak_device",
        /// A ship.
        Ship = "ship",
        /// An aircraft.
        Aircraft = "aircraft",
        /// An import from a file or another database.
        Import = "import",
    }
}

vocabulary! {
    /// The assessed confidence in the report.
    Confidence {
        /// Confirmed (e.g. seen by the monitors themselves, or corroborated).
        Confirmed = "confirmed",
        /// Probable.
        Probable = "probable",
        /// Possible.
        Possible = "possible",
    }
}

vocabulary! {
    /// The classification marking (NATO levels).
    Marking {
        /// NATO UNCLASSIFIED.
        NatoUnclassified = "NATO UNCLASSIFIED",
        /// NATO RESTRICTED.
        NatoRestricted = "NATO RESTRICTED",
        /// NATO CONFIDENTIAL.
        NatoConfidential = "NATO CONFIDENTIAL",
        /// NATO SECRET.
        NatoSecret = "NATO SECRET",
        /// COSMIC TOP SECRET.
        CosmicTopSecret = "COSMIC TOP SECRET",
    }
}

impl Marking {
    /// The level's rank: 0 for NATO UNCLASSIFIED up to 4 for COSMIC TOP SECRET.
    pub const fn rank(self) -> u8 {
        match self {
            Marking::NatoUnclassified => 0,
            Marking::NatoRestricted => 1,
            Marking::NatoConfidential => 2,
            Marking::NatoSecret => 3,
            Marking::CosmicTopSecret => 4,
        }
    }
}

/// Who or what observed, and from where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observer {
    /// The means.
    pub means: Means,
    /// The reporting team (e.g. a monitoring team's call name).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub team: Option<String>,
    /// Callsign or device name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub callsign: Option<String>,
    /// Observer's latitude, degrees.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lat: Option<f64>,
    /// Observer's longitude, degrees.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lon: Option<f64>,
    /// Bearing from the observer to what was observed, degrees clockwise from true north.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bearing_deg: Option<f64>,
    /// Range from the observer, metres.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub range_m: Option<f64>,
}

/// Civilian casualties reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Casualties {
    /// Killed.
    pub killed: u32,
    /// Injured.
    pub injured: u32,
}

/// A validated observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Unique identifier (the client's, or assigned by the server).
    pub id: String,
    /// Start of the observation's time window (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// End of the window, when it is a window.
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none", default)]
    pub time_end: Option<OffsetDateTime>,
    /// How precisely the time is known.
    pub time_precision: TimePrecision,
    /// Latitude, degrees.
    pub lat: f64,
    /// Longitude, degrees.
    pub lon: f64,
    /// How precisely the position is known.
    pub location_precision: LocationPrecision,
    /// Named place.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub place: Option<String>,
    /// Who observed.
    pub observer: Observer,
    /// What.
    pub category: Category,
    /// Weapon class id (for weapon sightings).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub weapon_class: Option<String>,
    /// Count (rounds, weapons, ...).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub count: Option<u32>,
    /// Direction (of fire or flight), e.g. `ESE` or `110°`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub direction: Option<String>,
    /// The party the activity or weapon is attributed to, when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub party: Option<String>,
    /// Assessed confidence.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub confidence: Option<Confidence>,
    /// Reason cited (restrictions of freedom of movement).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    /// Civilian casualties.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub casualties: Option<Casualties>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub text: Option<String>,
    /// Source reference (report number, URL, file and line).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub source_ref: Option<String>,
    /// Classification marking.
    pub marking: Marking,
    /// Releasability: ISO 3166 alpha-3 codes (`REL TO`).
    pub releasable_to: Vec<String>,
    /// Restrictive categories of the label (a viewer must hold every one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
