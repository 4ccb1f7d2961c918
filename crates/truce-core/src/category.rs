//! Observation categories and sets of them.

use std::fmt;

macro_rules! categories {
    ($($variant:ident = $id:literal, $cfv:literal, $doc:literal;)*) => {
        /// What was observed, in the OSCE monitoring vocabulary.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Category {
            $(#[doc = $doc] $variant,)*
        }

        impl Category {
            /// Every category, in a stable order.
            pub const ALL: &'static [Category] = &[$(Category::$variant,)*];

            /// The stable identifier used in files and the API.
            pub const fn id(self) -> &'static str {
                match self { $(Category::$variant => $id,)* }
            }

            /// True for the categories that count as ceasefire violations.
            pub const fn is_ceasefire_violation(self) -> bool {
                match self { $(Category::$variant => $cfv,)* }
            }

            /// One-line description.
            pub const fn description(self) -> &'static str {
                match self { $(Category::$variant => $doc,)* }
            }
        }
    };
}

categories! {
    ExplosionImpact = "explosion_impact", true, "Explosion: impact of a round.";
    ExplosionAirburst = "explosion_airburst", true, "Explosion: airburst.";
    ExplosionOutgoing = "explosion_outgoing", true, "Explosion: outgoing fire (a round leaving a weapon).";
    ExplosionUndetermined = "explosion_undetermined", true, "Explosion of undetermined type.";
    ProjectileInFlight = "projectile_in_flight", true, "Projectile in flight (with direction of flight).";
    MuzzleFlash = "muzzle_flash", true, "Muzzle flash.";
    IlluminationFlare = "illumination_flare", true, "Illumination flare.";
    BurstsAndShots = "bursts_and_shots", true, "Bursts and shots of heavy-machine-gun and small-arms fire.";
    WeaponSighting = "weapon_sighting", false, "Weapon sighting, with weapon class and count.";
    RestrictionOfMovement = "restriction_of_movement", false, "Restriction of the monitors' freedom of movement.";
    CivilianCasualty = "civilian_casualty", false, "Civilian casualty.";
    EngineeringWorks = "engineering_works", false, "Engineering works: trenches, fortifications, new positions.";
    GpsJamming = "gps_jamming", false, "GPS jamming or spoofing (e.g. of a monitoring UAV).";
    MineLaying = "mine_laying", false, "Mines laid or minefield marked.";
    Aircraft = "aircraft", false, "Military aircraft or UAV (other than the monitors' own) in flight.";
    Vessel = "vessel", false, "Military vessel.";
    ForcePosition = "force_position", false, "Position of a unit of the reassurance force.";
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A category identifier that is not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCategory(pub String);

impl fmt::Display for UnknownCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown category {:?} (expected one of: ", self.0)?;
        for (i, c) in Category::ALL.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(c.id())?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownCategory {}

impl std::str::FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL.iter().copied().find(|c| c.id() == s).ok_or_else(|| UnknownCategory(s.to_owned()))
    }
}

/// A set of categories, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct CategorySet(u32);

impl CategorySet {
    /// No category.
    pub const EMPTY: CategorySet = CategorySet(0);

    /// Every ceasefire-violation category.
    pub fn ceasefire_violations() -> Self {
        Category::ALL.iter().filter(|c| c.is_ceasefire_violation()).fold(Self::EMPTY, |s, &c| s.with(c))
    }

    /// Every category.
    pub fn all() -> Self {
        Category::ALL.iter().fold(Self::EMPTY, |s, &c| s.with(c))
    }

    /// This set plus `c`.
    #[must_use]
    pub const fn with(self, c: Category) -> Self {
        CategorySet(self.0 | 1 << c as u8)
    }

    /// This set plus every category of `other`.
    #[must_use]
    pub const fn union(self, other: CategorySet) -> Self {
        CategorySet(self.0 | other.0)
    }

    /// True when `c` is in the set.
    pub const fn contains(self, c: Category) -> bool {
        self.0 & (1 << c as u8) != 0
    }

    /// True when the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Parses one entry of a `violated_by` list: a category id, `cfv` (every ceasefire-violation
    /// category) or `all`.
    ///
    /// # Errors
    /// When the word is neither a category nor a group.
    pub fn parse_entry(word: &str) -> Result<Self, UnknownCategory> {
        match word {
            "cfv" => Ok(Self::ceasefire_violations()),
            "all" => Ok(Self::all()),
            _ => word.parse::<Category>().map(|c| Self::EMPTY.with(c)),
        }
    }

    /// The categories in the set, in the vocabulary's order.
    pub fn iter(self) -> impl Iterator<Item = Category> {
        Category::ALL.iter().copied().filter(move |&c| self.contains(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        for &c in Category::ALL {
            assert_eq!(c.id().parse::<Category>(), Ok(c));
        }
        let mut ids: Vec<_> = Category::ALL.iter().map(|c| c.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Category::ALL.len());
        assert!(Category::ALL.len() <= 32, "CategorySet is a u32");
    }

    #[test]
    fn ceasefire_violations_are_the_osce_eight() {
        let cfv = CategorySet::ceasefire_violations();
        assert_eq!(cfv.iter().count(), 8);
        assert!(cfv.contains(Category::ExplosionAirburst));
        assert!(cfv.contains(Category::BurstsAndShots));
        assert!(!cfv.contains(Category::WeaponSighting));
    }

    #[test]
    fn unknown_category_lists_the_vocabulary() {
        let err = "explosion".parse::<Category>().unwrap_err().to_string();
        assert!(err.contains("\"explosion\"") && err.contains("explosion_impact"), "{err}");
        assert!(CategorySet::parse_entry("cfv").is_ok());
        assert!(CategorySet::parse_entry("nope").is_err());
    }
}
