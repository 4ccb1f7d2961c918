//! Violation codes: stable identifiers for what an observation breaks.

/// A kind of violation. The string codes are stable: reports, alerts and clients key on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ViolationCode {
    /// A weapon of a class closer to its party's reference line than the class's withdrawal distance,
    /// or beyond that line.
    WeaponForwardOfWithdrawalLine,
    /// A weapon whose class must be stored, behind its withdrawal line but outside every storage site.
    WeaponOutsideStorageSite,
    /// A ceasefire violation inside the security zone.
    CfvInSecurityZone,
    /// A forbidden category inside a disengagement area.
    InDisengagementArea,
    /// A flight inside a no-fly zone.
    InNoFlyZone,
    /// Mine laying inside a no-mine zone.
    InNoMineZone,
    /// A vessel (or other forbidden category) inside a maritime exclusion zone.
    InMaritimeExclusionZone,
    /// A unit of the reassurance force inside its minimum stand-off from the line.
    ForceInsideStandoff,
}

impl ViolationCode {
    /// Every code.
    pub const ALL: &'static [ViolationCode] = &[
        ViolationCode::WeaponForwardOfWithdrawalLine,
        ViolationCode::WeaponOutsideStorageSite,
        ViolationCode::CfvInSecurityZone,
        ViolationCode::InDisengagementArea,
        ViolationCode::InNoFlyZone,
        ViolationCode::InNoMineZone,
        ViolationCode::InMaritimeExclusionZone,
        ViolationCode::ForceInsideStandoff,
    ];

    /// The stable string code.
    pub const fn code(self) -> &'static str {
        match self {
            ViolationCode::WeaponForwardOfWithdrawalLine => "weapon_forward_of_withdrawal_line",
            ViolationCode::WeaponOutsideStorageSite => "weapon_outside_storage_site",
            ViolationCode::CfvInSecurityZone => "cfv_in_security_zone",
            ViolationCode::InDisengagementArea => "in_disengagement_area",
            ViolationCode::InNoFlyZone => "in_no_fly_zone",
            ViolationCode::InNoMineZone => "in_no_mine_zone",
            ViolationCode::InMaritimeExclusionZone => "in_maritime_exclusion_zone",
            ViolationCode::ForceInsideStandoff => "force_inside_standoff",
        }
    }
}

impl std::fmt::Display for ViolationCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}
