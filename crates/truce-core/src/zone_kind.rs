//! Kinds of zones an agreement defines, and the violation each one gives rise to.

use crate::ViolationCode;

/// What a zone is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZoneKind {
    /// The security zone along the line, where ceasefire violations are counted.
    SecurityZone,
    /// A disengagement area: no forces, no weapons, no fire.
    DisengagementArea,
    /// A designated storage site for withdrawn weapons (never violated; weapons belong here).
    StorageSite,
    /// No military flights.
    NoFly,
    /// No new mines.
    NoMine,
    /// Maritime exclusion zone.
    MaritimeExclusion,
    /// The reassurance force's minimum stand-off from the line.
    ForceStandoff,
    /// A territory for reference (e.g. internationally recognised borders); never violated.
    Territory,
}

impl ZoneKind {
    /// Every kind.
    pub const ALL: &'static [ZoneKind] = &[
        ZoneKind::SecurityZone,
        ZoneKind::DisengagementArea,
        ZoneKind::StorageSite,
        ZoneKind::NoFly,
        ZoneKind::NoMine,
        ZoneKind::MaritimeExclusion,
        ZoneKind::ForceStandoff,
        ZoneKind::Territory,
    ];

    /// The stable identifier used in agreement files.
    pub const fn id(self) -> &'static str {
        match self {
            ZoneKind::SecurityZone => "security_zone",
            ZoneKind::DisengagementArea => "disengagement_area",
            ZoneKind::StorageSite => "storage_site",
            ZoneKind::NoFly => "no_fly",
            ZoneKind::NoMine => "no_mine",
            ZoneKind::MaritimeExclusion => "maritime_exclusion",
            ZoneKind::ForceStandoff => "force_standoff",
            ZoneKind::Territory => "territory",
        }
    }

    /// The violation an observation of a forbidden category inside this zone constitutes, or `None`
    /// for kinds that are never violated.
    pub const fn violation(self) -> Option<ViolationCode> {
        match self {
            ZoneKind::SecurityZone => Some(ViolationCode::CfvInSecurityZone),
            ZoneKind::DisengagementArea => Some(ViolationCode::InDisengagementArea),
            ZoneKind::NoFly => Some(ViolationCode::InNoFlyZone),
            ZoneKind::NoMine => Some(ViolationCode::InNoMineZone),
            ZoneKind::MaritimeExclusion => Some(ViolationCode::InMaritimeExclusionZone),
            ZoneKind::ForceStandoff => Some(ViolationCode::ForceInsideStandoff),
            ZoneKind::StorageSite | ZoneKind::Territory => None,
        }
    }
}

impl std::str::FromStr for ZoneKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ZoneKind::ALL.iter().copied().find(|k| k.id() == s).ok_or_else(|| {
            let ids: Vec<_> = ZoneKind::ALL.iter().map(|k| k.id()).collect();
            format!("unknown zone kind {s:?} (expected one of: {})", ids.join(", "))
        })
    }
}
