//! What a CoT type says: the affiliation of an atom, and whether it marks a weapon the agreement
//! limits.
//!
//! CoT atom types are `a-<affiliation>-<battle dimension>-<function...>`, where the function atoms
//! are the MIL-STD-2525B symbol hierarchy written letter by letter (`a-h-G-E-W-H` is a hostile
//! ground / equipment / weapon / howitzer). The function codes below were checked against MITRE's
//! `CoTtypes.xml` (revision 1.80, 2009-06-10, as republished in github.com/dB-SPL/cot-types from Esri's
//! solutions-geoevent-java), whose entries `a-.-G-E-W-...` list, for every affiliation:
//!
//! | function | CoTtypes.xml `full` | weapon class |
//! |---|---|---|
//! | `G-E-W-H`, `-H-H`, `-H-M`, `-H-L` (`-S` self-propelled) | Weapon/Howitzer | `artillery_100mm` |
//! | `G-E-W-X`, `-X-L`, `-X-M` | Weapon/RocketLauncher/Multiple (light, medium) | `mlrs` |
//! | `G-E-W-X-H` | Weapon/RocketLauncher/Multiple/Heavy | `heavy_mlrs` |
//! | `G-E-W-M-S` (`-S`, `-I`, `-L`) | Weapon/MissileLauncher/Surface-to-surface | `heavy_mlrs` |
//! | `G-E-W-O` (`-L`, `-M`, `-H`) | Weapon/Mortar | `light_artillery_mortars` |
//! | `G-E-V-A-T` (`-L`, `-M`, `-H`) | Vehic/Armor/Tank | `tanks` |
//! | any other `G-E-W...` | air defence, anti-tank, direct-fire guns, rifles, single rocket launchers... | none |
//!
//! Tank recovery vehicles (`G-E-V-A-T-x-R`) are not weapons. Anything else under `G-E-W` is still a
//! weapon sighting, without a class: 2525 does not give the calibre the agreement's classes turn on
//! (an anti-tank gun may be 100 mm or 125 mm), so the monitor's report is kept and an analyst
//! assigns the class. Note `G-E-W-R` is a rifle or machine gun in 2525B, not a rocket launcher.
//!
//! Only hostile-looking affiliations make a sighting: hostile `h` (confidence probable), unknown
//! `u`, suspect `s`, joker `j` and faker `k` (possible). Friend `f`, assumed friend `a`, neutral `n`
//! and pending `p` do not.

use truce_core::Confidence;

/// The affiliation letter of an atom type (`a-<affiliation>-...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Affiliation {
    /// `p`: not yet assessed.
    Pending,
    /// `u`: unknown.
    Unknown,
    /// `a`: assumed friend.
    AssumedFriend,
    /// `f`: friend.
    Friend,
    /// `n`: neutral.
    Neutral,
    /// `s`: suspect.
    Suspect,
    /// `h`: hostile.
    Hostile,
    /// `j`: joker (friendly acting as hostile in an exercise).
    Joker,
    /// `k`: faker.
    Faker,
    /// `o`: none specified; `x`: other; anything else.
    Other,
}

impl Affiliation {
    /// The affiliation of `type_` if it is an atom (`a-x-...`).
    pub fn of(type_: &str) -> Option<Self> {
        let mut atoms = type_.split('-');
        if atoms.next() != Some("a") {
            return None;
        }
        Some(match atoms.next()? {
            "p" => Affiliation::Pending,
            "u" => Affiliation::Unknown,
            "a" => Affiliation::AssumedFriend,
            "f" => Affiliation::Friend,
            "n" => Affiliation::Neutral,
            "s" => Affiliation::Suspect,
            "h" => Affiliation::Hostile,
            "j" => Affiliation::Joker,
            "k" => Affiliation::Faker,
            _ => Affiliation::Other,
        })
    }

    /// Whether the track is ours (friend or assumed friend): the reassurance force's stand-off
    /// applies to these.
    pub fn is_friendly(self) -> bool {
        matches!(self, Affiliation::Friend | Affiliation::AssumedFriend)
    }

    /// The confidence of a weapon sighting marked with this affiliation, or `None` when a mark of
    /// this affiliation is not a sighting.
    pub fn sighting_confidence(self) -> Option<Confidence> {
        match self {
            Affiliation::Hostile => Some(Confidence::Probable),
            Affiliation::Unknown | Affiliation::Suspect | Affiliation::Joker | Affiliation::Faker => {
                Some(Confidence::Possible)
            }
            _ => None,
        }
    }
}

/// The 2525B function prefixes (atoms after the affiliation) that name a weapon class; the longest
/// matching prefix wins. See the module documentation for the source.
pub const WEAPON_CLASSES: &[(&str, &str)] = &[
    ("G-E-W-H", "artillery_100mm"),
    ("G-E-W-X", "mlrs"),
    ("G-E-W-X-L", "mlrs"),
    ("G-E-W-X-M", "mlrs"),
    ("G-E-W-X-H", "heavy_mlrs"),
    ("G-E-W-M-S", "heavy_mlrs"),
    ("G-E-W-O", "light_artillery_mortars"),
    ("G-E-V-A-T", "tanks"),
];

/// A weapon marked on a TAK device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeaponMark {
    /// The weapon class id the type maps to (whether or not the agreement has it).
    pub class: Option<&'static str>,
    /// The confidence its affiliation gives.
    pub confidence: Confidence,
}

/// Whether `prefix` (dash-separated atoms) is a prefix of `atoms`, atom by atom.
fn starts_with_atoms(function: &str, prefix: &str) -> bool {
    function == prefix || function.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('-'))
}

/// The weapon a CoT type marks, if it is a hostile-looking atom of ground equipment that is a
/// weapon (`G-E-W...`) or a tank (`G-E-V-A-T...`, recovery vehicles excepted).
///
/// # Examples
/// ```
/// use truce_track::cot_type::weapon_mark;
/// assert_eq!(weapon_mark("a-h-G-E-W-H-H-S").and_then(|m| m.class), Some("artillery_100mm"));
/// assert_eq!(weapon_mark("a-u-G-E-W-A").map(|m| m.class), Some(None));
/// assert_eq!(weapon_mark("a-f-G-E-W-H"), None);
/// ```
pub fn weapon_mark(type_: &str) -> Option<WeaponMark> {
    let confidence = Affiliation::of(type_)?.sighting_confidence()?;
    // `a-h-` is four bytes: the function atoms follow.
    let function = type_.get(4..)?;
    let is_tank = starts_with_atoms(function, "G-E-V-A-T");
    if is_tank {
        let atoms: Vec<&str> = function.split('-').collect();
        if atoms.len() >= 7 && atoms[6] == "R" {
            return None;
        }
    } else if !starts_with_atoms(function, "G-E-W") {
        return None;
    }
    let class = WEAPON_CLASSES
        .iter()
        .filter(|(prefix, _)| starts_with_atoms(function, prefix))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|&(_, class)| class);
    Some(WeaponMark { class, confidence })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(t: &str) -> Option<Option<&'static str>> {
        weapon_mark(t).map(|m| m.class)
    }

    #[test]
    fn the_2525_function_codes_map_to_the_agreement_classes() {
        assert_eq!(class("a-h-G-E-W-H"), Some(Some("artillery_100mm")));
        assert_eq!(class("a-h-G-E-W-H-M-S"), Some(Some("artillery_100mm")));
        assert_eq!(class("a-h-G-E-W-X"), Some(Some("mlrs")));
        assert_eq!(class("a-h-G-E-W-X-M"), Some(Some("mlrs")));
        assert_eq!(class("a-h-G-E-W-X-H"), Some(Some("heavy_mlrs")));
        assert_eq!(class("a-h-G-E-W-M-S-S"), Some(Some("heavy_mlrs")));
        assert_eq!(class("a-h-G-E-W-O-H"), Some(Some("light_artillery_mortars")));
        assert_eq!(class("a-h-G-E-V-A-T"), Some(Some("tanks")));
        assert_eq!(class("a-h-G-E-V-A-T-M"), Some(Some("tanks")));
        // Weapons without a class.
        assert_eq!(class("a-h-G-E-W"), Some(None));
        assert_eq!(class("a-h-G-E-W-R-H"), Some(None), "a heavy machine gun, not a rocket launcher");
        assert_eq!(class("a-h-G-E-W-M-A-L"), Some(None), "an air-defence missile launcher");
        assert_eq!(class("a-h-G-E-W-S"), Some(None), "a single rocket launcher");
        assert_eq!(class("a-h-G-E-W-HX"), Some(None), "atoms are compared whole");
        // Not weapons.
        assert_eq!(class("a-h-G-E-V-A-T-H-R"), None, "tank recovery vehicle");
        assert_eq!(class("a-h-G-E-V-A"), None, "an armoured vehicle that is not a tank");
        assert_eq!(class("a-h-G-U-C"), None);
        assert_eq!(class("a-h-G-E-WX"), None);
        assert_eq!(class("b-m-p-s-m"), None);
    }

    #[test]
    fn only_hostile_looking_affiliations_make_a_sighting() {
        for (a, c) in [
            ("h", Some(Confidence::Probable)),
            ("u", Some(Confidence::Possible)),
            ("s", Some(Confidence::Possible)),
            ("j", Some(Confidence::Possible)),
            ("k", Some(Confidence::Possible)),
            ("f", None),
            ("a", None),
            ("n", None),
            ("p", None),
            ("o", None),
        ] {
            assert_eq!(weapon_mark(&format!("a-{a}-G-E-W-H")).map(|m| m.confidence), c, "{a}");
        }
        assert!(Affiliation::of("a-a-G-U-C").is_some_and(Affiliation::is_friendly));
        assert!(!Affiliation::of("a-h-G").is_some_and(Affiliation::is_friendly));
        assert_eq!(Affiliation::of("b-t-f"), None);
    }
}
