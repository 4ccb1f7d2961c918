//! Golden tests on the shipped illustrative agreement at real places: distances against Karney's
//! geodesics, sides against who holds the ground, zones and violations against the agreement's text.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use time::macros::datetime;
use truce_core::{Category, ViolationCode};
use truce_engine::agreement::Agreement;
use truce_engine::{Classification, Observation, SideOf};
use truce_geo::LonLat;
use truce_geo::geodesic::reference_distance_to_line_m;

fn agreement() -> &'static Agreement {
    static A: std::sync::OnceLock<Agreement> = std::sync::OnceLock::new();
    A.get_or_init(|| Agreement::load(&data("agreements/illustrative.toml")).unwrap())
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data").join(rel)
}

struct Case {
    obs: Observation,
    c: Classification,
}

fn at(lat: f64, lon: f64) -> Case {
    obs(Observation::at(LonLat::new(lon, lat)))
}

fn obs(obs: Observation) -> Case {
    let c = agreement().classify(&obs);
    Case { obs, c }
}

fn with(lat: f64, lon: f64, category: Category, class: Option<&str>, time: time::OffsetDateTime) -> Case {
    let a = agreement();
    obs(Observation {
        time: Some(time),
        position: LonLat::new(lon, lat),
        category: Some(category),
        weapon_class: class.map(|c| a.class(c).unwrap()),
        count: Some(1),
        party: None,
    })
}

impl Case {
    fn line(&self, id: &str) -> (f64, SideOf) {
        let a = agreement();
        let i = a.lines.iter().position(|l| l.id == id).unwrap();
        (self.c.lines[i].distance_m, self.c.lines[i].side)
    }

    /// Distance to every line agrees with Karney within 0.1% / 1 m; returns the distance to `loc`.
    fn km_from_loc(&self) -> f64 {
        for (line, r) in agreement().lines.iter().zip(&self.c.lines) {
            let want = reference_distance_to_line_m(self.obs.position, &line.parts);
            assert!(
                (r.distance_m - want).abs() <= (want * 0.001).max(1.0),
                "{}: {} vs Karney {want}",
                line.id,
                r.distance_m
            );
        }
        self.line("loc").0 / 1000.0
    }

    fn side(&self) -> &str {
        match self.line("loc").1 {
            SideOf::Party(p) => &agreement().parties[p].id,
            SideOf::On => "on",
            SideOf::Undetermined => "undetermined",
        }
    }

    fn zones(&self) -> Vec<&str> {
        self.c.zones.iter().map(|&z| agreement().zones[z].id.as_str()).collect()
    }

    fn codes(&self) -> Vec<&str> {
        self.c.violations.iter().map(|v| v.code.code()).collect()
    }
}

const FINAL: time::OffsetDateTime = datetime!(2026-11-25 01:00 UTC);

#[test]
fn kramatorsk_is_ukrainian_held_and_inside_the_force_standoff() {
    let k = at(48.7305, 37.5557);
    assert!((20.0..35.0).contains(&k.km_from_loc()));
    assert_eq!(k.side(), "ukr");
    assert_eq!(k.zones(), ["force_standoff"]);
}

#[test]
fn donetsk_is_russian_held() {
    let d = at(48.0159, 37.8028);
    assert!((25.0..50.0).contains(&d.km_from_loc()));
    assert_eq!(d.side(), "rus");
}

#[test]
fn zaporizhzhia_force_unit_violates_the_standoff() {
    let z = with(47.8388, 35.1396, Category::ForcePosition, None, FINAL);
    assert_eq!(z.side(), "ukr");
    assert_eq!(z.codes(), ["force_inside_standoff"]);
    let v = z.c.violations[0];
    assert_eq!(v.required_m, Some(50_000.0));
    assert_eq!(v.actual_m, Some(z.line("loc").0));
}

#[test]
fn kherson_fire_is_a_ceasefire_violation_in_the_security_zone() {
    let k = with(46.6354, 32.6169, Category::ExplosionOutgoing, None, FINAL);
    assert!(k.km_from_loc() < 5.0);
    assert_eq!(k.side(), "ukr");
    assert_eq!(k.zones(), ["security_zone", "no_fly", "no_mine", "force_standoff"]);
    assert_eq!(k.codes(), ["cfv_in_security_zone"]);
}

#[test]
fn crimea_is_beyond_the_line_and_heavy_mlrs_there_must_be_stored() {
    // Simferopol: inside Ukraine's recognised borders, Russian-held, ~200 km from the line.
    let c = with(44.9521, 34.1024, Category::WeaponSighting, Some("heavy_mlrs"), FINAL);
    assert!((150.0..260.0).contains(&c.km_from_loc()));
    assert_eq!(c.side(), "rus");
    assert!(c.zones().is_empty());
    assert_eq!(c.codes(), ["weapon_outside_storage_site"]);
    assert_eq!(agreement().parties[c.c.violations[0].party.unwrap()].id, "rus");
}

#[test]
fn zmiinyi_island_is_a_hole_in_the_maritime_zone() {
    let island = with(45.2550, 30.2040, Category::Vessel, None, FINAL);
    assert!(island.zones().is_empty(), "{:?}", island.zones());
    assert!(island.codes().is_empty());
    let sea = with(45.2000, 30.2500, Category::Vessel, None, FINAL);
    assert_eq!(sea.zones(), ["mez_northwest"]);
    assert_eq!(sea.codes(), ["in_maritime_exclusion_zone"]);
    island.km_from_loc();
}

#[test]
fn kinburn_spit_is_russian_held_next_to_the_end_of_the_line() {
    let k = at(46.575959, 31.513488);
    assert!(k.km_from_loc() < 5.0);
    assert_eq!(k.side(), "rus");
    // Ochakiv, across the estuary mouth, is Ukrainian-held.
    assert_eq!(at(46.6186, 31.5392).side(), "ukr");
}

#[test]
fn a_vertex_is_on_the_line() {
    let v = at(48.86306, 38.09722);
    assert!(v.line("loc").0 < 0.01);
    assert_eq!(v.line("loc").1, SideOf::On);
    assert!(v.zones().contains(&"security_zone"));
}

#[test]
fn a_disengagement_area_edge_is_inside() {
    let edge = with(49.6300, 37.5698, Category::BurstsAndShots, None, FINAL);
    assert!(edge.zones().contains(&"da_kupiansk"));
    assert_eq!(edge.codes(), ["cfv_in_security_zone", "in_disengagement_area"]);
    let outside = with(49.6300, 37.5697, Category::BurstsAndShots, None, FINAL);
    assert!(!outside.zones().contains(&"da_kupiansk"));
}

#[test]
fn storage_site_with_a_hole() {
    let a = agreement();
    let ukr = a.party("ukr");
    let mut stored =
        Observation { party: ukr, ..with(48.3270, 35.2450, Category::WeaponSighting, Some("heavy_mlrs"), FINAL).obs };
    assert!(a.classify(&stored).violations.is_empty());
    stored.position = LonLat::new(35.25, 48.33); // the hole
    let c = a.classify(&stored);
    assert_eq!(c.violations.iter().map(|v| v.code).collect::<Vec<_>>(), [ViolationCode::WeaponOutsideStorageSite]);
}

#[test]
fn withdrawal_distance_follows_the_phase() {
    let place = (48.70, 37.65); // ~18 km from the line, Ukrainian side
    let during =
        with(place.0, place.1, Category::WeaponSighting, Some("artillery_100mm"), datetime!(2026-11-15 10:00 UTC));
    assert!(during.codes().is_empty(), "12.5 km required during the withdrawal phase");
    let ceasefire = with(place.0, place.1, Category::WeaponSighting, Some("tanks"), datetime!(2026-11-11 10:00 UTC));
    assert!(ceasefire.codes().is_empty(), "no requirement before withdrawal starts");
    let after = with(place.0, place.1, Category::WeaponSighting, Some("artillery_100mm"), FINAL);
    assert_eq!(after.codes(), ["weapon_forward_of_withdrawal_line"]);
    let v = after.c.violations[0];
    assert_eq!((v.required_m, v.actual_m), (Some(25_000.0), Some(after.line("loc").0)));
    let before =
        with(place.0, place.1, Category::WeaponSighting, Some("artillery_100mm"), datetime!(2026-11-01 10:00 UTC));
    assert!(!before.c.in_force && before.codes().is_empty());
    let untimed = obs(Observation { time: None, ..after.obs });
    assert_eq!(untimed.codes(), ["weapon_forward_of_withdrawal_line"], "no time: base rules");
}

#[test]
fn each_party_is_measured_from_its_own_line() {
    // Between the two lines near Orikhiv: loc_rus runs 5 km further north-west there.
    let p = with(47.60, 36.00, Category::WeaponSighting, Some("tanks"), FINAL);
    let (d_loc, s_loc) = p.line("loc");
    let (d_rus, s_rus) = p.line("loc_rus");
    assert!(d_rus < d_loc, "{d_rus} {d_loc}");
    assert_eq!(
        (s_loc, s_rus),
        (SideOf::Party(agreement().party("ukr").unwrap()), SideOf::Party(agreement().party("ukr").unwrap()))
    );
    // A Ukrainian tank there is 5.8 km from Ukraine's line: forward of its 15 km line.
    assert_eq!(p.codes(), ["weapon_forward_of_withdrawal_line"]);
    assert_eq!(p.c.violations[0].line, Some(0));
    // A Russian tank named as such is beyond Russia's own line: negative distance.
    let a = agreement();
    let rus_tank = a.classify(&Observation { party: a.party("rus"), ..p.obs });
    let v = rus_tank.violations.iter().find(|v| v.party == a.party("rus")).unwrap();
    assert_eq!(a.lines[v.line.unwrap()].id, "loc_rus");
    assert!(v.actual_m.unwrap() < 0.0);
}

#[test]
fn no_fly_band_only_for_aircraft() {
    let uav = with(47.60, 36.00, Category::Aircraft, None, FINAL);
    assert!(uav.codes().contains(&"in_no_fly_zone"));
    let flare = with(47.60, 36.00, Category::IlluminationFlare, None, FINAL);
    assert_eq!(flare.codes(), ["cfv_in_security_zone"]);
}
