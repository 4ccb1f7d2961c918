//! A seeded scenario on the north-western Black Sea with the truth of what happens when.
//!
//! # What happens
//!
//! Times are from the scenario start; the events need about 8 hours (with a going-dark gap of 2 h;
//! with the default 12 h gap the dark ship is found after 14.5 h).
//!
//! - **Grain corridor**: cargo ships leave Odesa, Chornomorsk and Pivdennyi for the Bosphorus, others
//!   are already on the way south or coming north to the three ports, and one lies moored at
//!   Chornomorsk. Class A rates: every 10 s underway, every 3 minutes moored or drifting. South of
//!   42.6° N reception is satellite only: one fix every 25–35 minutes.
//! - **Patrols and mine countermeasures**: Ukrainian, Romanian and Turkish patrol vessels go back and
//!   forth; two mine-countermeasure vessels sweep the approaches to Odesa at 5 kn.
//! - **Going dark** (truth): a tanker sailing east along 44.88° N, west of Crimea, stops transmitting
//!   at 2.5 h near 32.6° E. Three other ships cross that cell, so reception there is learned good.
//!   Two silences are *not* truth: a ship moored in Chornomorsk falls silent at 1 h (in port), and a
//!   ship in the satellite-only south falls silent at 1.5 h (poor reception).
//! - **Spoofing cluster** (truth): at 3.5 h, within three minutes, two outbound grain ships and the two
//!   mine-countermeasure vessels all "jump" to Odesa airport, on land, and stay there 20 minutes
//!   before jumping back: four impossible jumps each way and one cluster.
//! - **Circle** (truth): from 1 h to 3 h a tanker south of the corridor reports positions on a 1.5 km
//!   circle at 8 kn (the crop-circle pattern).
//! - **Encounter** (truth): two tankers meet at 45.45° N 30.95° E, inside the maritime exclusion zone,
//!   and drift 150 m apart from 1.5 h to 4.5 h.
//! - **Loitering** (truth): a vessel drifts below 1 kn at 45.1° N 31.3° E, in the zone, from 0.5 h to
//!   6.5 h.
//! - **Aircraft**: airliners every 30 minutes on four routes (Warsaw–Rzeszów, Kraków–Gdańsk,
//!   Bucharest–Iași, Istanbul–Constanța), fixes every 5 s; twelve patrol aircraft orbit in two groups of
//!   six, near the line of contact (46.75° N 33.75° E) and over the sea west of Crimea (44.75° N
//!   32.25° E).
//! - **GNSS interference** (truth): the patrol aircraft near the line report degraded NIC/NACp from
//!   1 h to 3 h, those west of Crimea from 4 h to 5.5 h.
//! - **Emergency** (truth): the TAROM flight leaving Bucharest for Iași after 2 h squawks 7700 from
//!   eight minutes after departure until it lands.
//!
//! Identities are realistic in form: MMSIs start with the flag's MID (272 Ukraine, 271 Türkiye, 264
//! Romania, 207 Bulgaria, 229 Malta, 538 Marshall Islands, 636 Liberia), IMO numbers carry a valid
//! check digit, ICAO addresses come from the national blocks. Names are invented.
//!
//! The same seed gives the same fixes, byte for byte; the seed moves phases, noise and the details of
//! each track, not the events.

use time::{Duration, OffsetDateTime};
use truce_geo::fixtures::Rng;
use truce_geo::{LonLat, ZonePolygon};

use crate::grid::{approx_distance_m, from_local_m, local_m};
use crate::{Detector, Fix, Geography, Kind, Port};

/// Static data of a ship, as AIS message 5 carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipInfo {
    /// MMSI.
    pub mmsi: u32,
    /// IMO number (merchant ships).
    pub imo: Option<u32>,
    /// Name, at most 20 characters.
    pub name: String,
    /// Call sign, at most 7 characters.
    pub callsign: String,
    /// AIS ship type code (30 fishing, 35 military operations, 70 cargo, 80 tanker...).
    pub ship_type: u8,
    /// Length overall, metres.
    pub length_m: u16,
    /// Beam, metres.
    pub beam_m: u16,
    /// Destination as the crew types it.
    pub destination: String,
    /// What the ship does in the scenario.
    pub role: String,
}

/// Static data of an aircraft.
#[derive(Debug, Clone, PartialEq)]
pub struct AircraftInfo {
    /// 24-bit ICAO address.
    pub icao: u32,
    /// Flight identification (callsign), at most 8 characters.
    pub callsign: String,
    /// ICAO type designator.
    pub type_designator: String,
    /// What the aircraft does in the scenario.
    pub role: String,
}

/// Something that happens and that a detector should find.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// The detector that should find it.
    pub detector: Detector,
    /// The tracks involved.
    pub tracks: Vec<(Kind, u32)>,
    /// When it starts (for going dark: the last message before the silence).
    pub from: OffsetDateTime,
    /// Alerts up to this time still belong to it.
    pub until: OffsetDateTime,
    /// What happens.
    pub note: String,
}

/// A generated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Start.
    pub start: OffsetDateTime,
    /// Length.
    pub duration: Duration,
    /// Every fix, sorted by time.
    pub fixes: Vec<Fix>,
    /// Ships.
    pub ships: Vec<ShipInfo>,
    /// Aircraft.
    pub aircraft: Vec<AircraftInfo>,
    /// What happens when (events starting within the duration).
    pub truth: Vec<Truth>,
    /// Ports.
    pub ports: Vec<Port>,
    /// Maritime zones: the illustrative maritime exclusion zone `mez_northwest`.
    pub maritime_zones: Vec<(String, ZonePolygon)>,
}

impl Scenario {
    /// The geography for [`crate::Detectors::new`].
    pub fn geography(&self) -> Geography {
        Geography { ports: self.ports.clone(), maritime_zones: self.maritime_zones.clone() }
    }
}

/// The shipped illustrative zones file (the agreement's maritime exclusion zone is one feature).
const ZONES_GEOJSON: &str = include_str!("../../../data/geo/illustrative_zones.geojson");

/// The maritime exclusion zone `mez_northwest` of the shipped illustrative agreement (29.6–31.6° E,
/// 44.9–46.4° N clipped to the sea, Zmiinyi island a hole), read from
/// `data/geo/illustrative_zones.geojson`; its bounding box if the file cannot be read.
pub fn mez_northwest() -> ZonePolygon {
    parse_zone(ZONES_GEOJSON, "mez_northwest").unwrap_or_else(|| {
        let ring = vec![
            LonLat::new(29.6, 44.9),
            LonLat::new(31.6, 44.9),
            LonLat::new(31.6, 46.4),
            LonLat::new(29.6, 46.4),
            LonLat::new(29.6, 44.9),
        ];
        ZonePolygon { polygons: vec![vec![ring]] }
    })
}

fn parse_zone(text: &str, id: &str) -> Option<ZonePolygon> {
    let doc: serde_json::Value = serde_json::from_str(text).ok()?;
    let feature = doc.get("features")?.as_array()?.iter().find(|f| f.get("id").and_then(|v| v.as_str()) == Some(id))?;
    let geometry = feature.get("geometry")?;
    let ring = |r: &serde_json::Value| -> Option<Vec<LonLat>> {
        r.as_array()?
            .iter()
            .map(|c| {
                let c = c.as_array()?;
                Some(LonLat::new(c.first()?.as_f64()?, c.get(1)?.as_f64()?))
            })
            .collect()
    };
    let polygon = |p: &serde_json::Value| -> Option<Vec<Vec<LonLat>>> { p.as_array()?.iter().map(ring).collect() };
    let coordinates = geometry.get("coordinates")?;
    let polygons = match geometry.get("type")?.as_str()? {
        "Polygon" => vec![polygon(coordinates)?],
        "MultiPolygon" => coordinates.as_array()?.iter().map(polygon).collect::<Option<Vec<_>>>()?,
        _ => return None,
    };
    Some(ZonePolygon { polygons })
}

/// The ports of the scenario.
pub fn ports() -> Vec<Port> {
    let port = |name: &str, lon, lat, radius_m| Port { name: name.into(), position: LonLat::new(lon, lat), radius_m };
    vec![
        port("Odesa", 30.74, 46.49, 4000.0),
        port("Chornomorsk", 30.65, 46.30, 4000.0),
        port("Pivdennyi", 31.02, 46.62, 4000.0),
        port("Constanta", 28.65, 44.17, 5000.0),
        port("Istanbul (Bosphorus)", 29.1, 41.2, 12_000.0),
    ]
}

const ODESA: LonLat = LonLat::new(30.74, 46.49);
const CHORNOMORSK: LonLat = LonLat::new(30.65, 46.30);
const PIVDENNYI: LonLat = LonLat::new(31.02, 46.62);
const ODESA_AIRPORT: LonLat = LonLat::new(30.6765, 46.4268);
/// South of this latitude ships are heard by satellite only.
const POOR_RECEPTION_SOUTH_OF: f64 = 42.6;

/// The grain corridor from off Odesa to the Bosphorus.
fn corridor() -> Vec<LonLat> {
    [
        (30.85, 46.30),
        (30.5, 45.85),
        (30.0, 45.3),
        (29.9, 44.8),
        (29.2, 44.1),
        (28.7, 43.2),
        (28.6, 42.3),
        (29.1, 41.3),
        (29.1, 41.2),
    ]
    .iter()
    .map(|&(lon, lat)| LonLat::new(lon, lat))
    .collect()
}

/// The way out of a port onto the corridor.
fn departure(port: LonLat) -> Vec<LonLat> {
    let mut way = vec![port];
    if port == CHORNOMORSK {
        way.push(LonLat::new(30.80, 46.22));
        way.push(LonLat::new(30.5, 45.85));
        way.extend(corridor().into_iter().skip(2));
        return way;
    }
    if port == PIVDENNYI {
        way.push(LonLat::new(31.05, 46.45));
    }
    way.extend(corridor());
    way
}

/// The point at `fraction` of the length of a polyline, and the rest of the polyline from there.
fn along(path: &[LonLat], fraction: f64) -> Vec<LonLat> {
    let lengths: Vec<f64> = path.windows(2).map(|w| approx_distance_m(w[0], w[1])).collect();
    let mut target = lengths.iter().sum::<f64>() * fraction.clamp(0.0, 1.0);
    for (i, len) in lengths.iter().enumerate() {
        if target <= *len {
            let f = if *len > 0.0 { target / len } else { 0.0 };
            let (a, b) = (path[i], path[i + 1]);
            let mut rest = vec![LonLat::new(a.lon + (b.lon - a.lon) * f, a.lat + (b.lat - a.lat) * f)];
            rest.extend_from_slice(&path[i + 1..]);
            return rest;
        }
        target -= len;
    }
    path.last().map(|p| vec![*p]).unwrap_or_default()
}

/// One part of a ship's plan.
#[derive(Debug, Clone)]
enum Leg {
    /// Alongside (0 kn, every 3 minutes) until the time.
    Moored { until_s: f64 },
    /// Along waypoints at a speed.
    Sail { way: Vec<LonLat>, speed_kn: f64 },
    /// Drifting slowly around the current point until the time (every 3 minutes).
    Drift { until_s: f64, speed_kn: f64 },
    /// Around a circle whose easternmost point is the current position, until the time.
    Circle { radius_m: f64, speed_kn: f64, until_s: f64 },
}

/// A ship: identity, where it starts, what it does, and what goes wrong.
#[derive(Debug, Clone)]
struct Plan {
    info: ShipInfo,
    start: LonLat,
    legs: Vec<Leg>,
    /// Stops transmitting from this time.
    silent_from_s: Option<f64>,
    /// From, to, spoofed position: positions replaced by the spoofed one.
    spoof: Option<(f64, f64, LonLat)>,
}

/// What the simulation of one ship produced besides fixes: when each leg started, its last fix.
#[derive(Debug, Default)]
struct Track {
    leg_starts_s: Vec<f64>,
    last_s: Option<f64>,
    /// Time of the first spoofed fix.
    first_spoofed_s: Option<f64>,
    fixes: Vec<Fix>,
}

struct Clock {
    start: OffsetDateTime,
    end_s: f64,
}

impl Clock {
    fn at(&self, t_s: f64) -> OffsetDateTime {
        self.start + Duration::milliseconds((t_s * 1000.0).round() as i64)
    }
}

fn bearing_deg(a: LonLat, b: LonLat) -> f64 {
    let (x, y) = local_m(a, b);
    x.atan2(y).to_degrees().rem_euclid(360.0)
}

/// Moves `d_m` metres from `p` towards `to`; the remaining distance after the move.
fn advance(p: LonLat, to: LonLat, d_m: f64) -> (LonLat, f64) {
    let dist = approx_distance_m(p, to);
    if dist <= d_m {
        return (to, 0.0);
    }
    let f = d_m / dist;
    (LonLat::new(p.lon + (to.lon - p.lon) * f, p.lat + (to.lat - p.lat) * f), dist - d_m)
}

fn simulate(plan: &Plan, rng: &mut Rng, clock: &Clock) -> Track {
    let mut out = Track::default();
    let mut t = rng.uniform(0.0, 10.0);
    let mut pos = plan.start;
    let mut course = 0.0;
    let mut next_poor_s = 0.0;
    let receiver = |p: LonLat| -> u32 {
        if p.lat < POOR_RECEPTION_SOUTH_OF {
            900 // satellite
        } else if p.lat > 45.5 {
            101 // Odesa
        } else if p.lon > 31.5 {
            102 // patrol ship relay west of Crimea
        } else {
            103 // Constanta
        }
    };
    'legs: for leg in &plan.legs {
        out.leg_starts_s.push(t);
        // Circle state: centre and angle.
        let mut circle: Option<(LonLat, f64)> = None;
        let drift_centre = pos;
        loop {
            if t >= clock.end_s {
                break 'legs;
            }
            // Where the ship is and what it reports now; how long until the next report.
            let (report, speed_kn, step_s, done) = match leg {
                Leg::Moored { until_s } => (pos, 0.0, 180.0, t >= *until_s),
                Leg::Drift { until_s, speed_kn } => {
                    let w = t / 1500.0;
                    let p = from_local_m(drift_centre, 60.0 * w.sin(), 40.0 * (1.7 * w).sin());
                    pos = p;
                    (p, (speed_kn + rng.uniform(-0.2, 0.2)).max(0.0), 180.0, t >= *until_s)
                }
                Leg::Sail { .. } => (pos, 0.0, 10.0, false),
                Leg::Circle { radius_m, until_s, .. } => {
                    let (centre, angle) = *circle.get_or_insert_with(|| (from_local_m(pos, -radius_m, 0.0), 0.0));
                    let p = from_local_m(centre, radius_m * angle.cos(), radius_m * angle.sin());
                    pos = p;
                    (p, 0.0, 10.0, t >= *until_s)
                }
            };
            if done {
                continue 'legs;
            }
            // Sailing: the speed and course of the leg.
            let (speed_kn, course_now) = match leg {
                Leg::Sail { way, speed_kn } => {
                    let Some(next) = way.iter().find(|w| approx_distance_m(pos, **w) > 1.0) else { continue 'legs };
                    course = bearing_deg(pos, *next);
                    (speed_kn + rng.uniform(-0.3, 0.3), course)
                }
                Leg::Circle { speed_kn, .. } => {
                    let (_, angle) = circle.unwrap_or((pos, 0.0));
                    // Counter-clockwise: the course is the angle plus 90 degrees, as a compass bearing.
                    course = (90.0 - (angle.to_degrees() + 90.0)).rem_euclid(360.0);
                    (speed_kn + rng.uniform(-0.2, 0.2), course)
                }
                _ => (speed_kn, course),
            };
            let silent = plan.silent_from_s.is_some_and(|s| t >= s);
            let poor = report.lat < POOR_RECEPTION_SOUTH_OF;
            let heard = !silent && (!poor || t >= next_poor_s);
            if heard {
                if poor {
                    next_poor_s = t + rng.uniform(1500.0, 2100.0);
                }
                let spoofed = plan.spoof.filter(|(a, b, _)| t >= *a && t < *b);
                let shown = match spoofed {
                    Some((_, _, at)) => {
                        out.first_spoofed_s.get_or_insert(t);
                        from_local_m(at, rng.uniform(-150.0, 150.0), rng.uniform(-150.0, 150.0))
                    }
                    None => from_local_m(report, rng.uniform(-4.0, 4.0), rng.uniform(-4.0, 4.0)),
                };
                out.fixes.push(Fix {
                    speed_kn: Some((speed_kn * 10.0).round() / 10.0),
                    course_deg: Some((course_now * 10.0).round() / 10.0),
                    receiver: Some(receiver(report)),
                    ..Fix::new(Kind::Vessel, plan.info.mmsi, clock.at(t), shown)
                });
                out.last_s = Some(t);
            }
            // Move on.
            let step = step_s + rng.uniform(-0.5, 0.5);
            match leg {
                Leg::Sail { way, speed_kn } => {
                    let mut d = speed_kn * 1852.0 / 3600.0 * step;
                    for w in way {
                        if d <= 0.0 {
                            break;
                        }
                        let before = approx_distance_m(pos, *w);
                        if before <= 1.0 {
                            continue;
                        }
                        let (p, _) = advance(pos, *w, d);
                        d -= before.min(d);
                        pos = p;
                    }
                }
                Leg::Circle { radius_m, speed_kn, .. } => {
                    if let Some((_, angle)) = circle.as_mut() {
                        *angle += speed_kn * 1852.0 / 3600.0 * step / radius_m;
                    }
                }
                _ => {}
            }
            t += step;
        }
    }
    out
}

/// An IMO number with a valid check digit from six digits.
fn imo(six: u32) -> u32 {
    let digits: Vec<u32> = format!("{six:06}").bytes().map(|b| u32::from(b - b'0')).collect();
    let check = digits.iter().zip((2..=7).rev()).map(|(d, w)| d * w).sum::<u32>() % 10;
    six * 10 + check
}

#[expect(
    clippy::too_many_arguments,
    reason = "one row of the ship table; a struct literal per ship would bury the data"
)]
fn ship(
    mmsi: u32,
    imo_six: Option<u32>,
    name: &str,
    callsign: &str,
    ship_type: u8,
    size: (u16, u16),
    dest: &str,
    role: &str,
) -> ShipInfo {
    ShipInfo {
        mmsi,
        imo: imo_six.map(imo),
        name: name.into(),
        callsign: callsign.into(),
        ship_type,
        length_m: size.0,
        beam_m: size.1,
        destination: dest.into(),
        role: role.into(),
    }
}

/// A back-and-forth patrol between two points, repeated to fill the duration.
fn patrol(a: LonLat, b: LonLat, speed_kn: f64) -> Vec<Leg> {
    (0..40).map(|k| Leg::Sail { way: vec![if k % 2 == 0 { b } else { a }], speed_kn }).collect()
}

/// A mine-countermeasure sweep: parallel legs 6 km long, 500 m apart, around `centre`.
fn sweep(centre: LonLat, speed_kn: f64) -> Vec<Leg> {
    let mut way = Vec::new();
    for k in 0..24 {
        let x = -3000.0 + f64::from(k % 12) * 500.0;
        let (y0, y1) = if k % 2 == 0 { (-3000.0, 3000.0) } else { (3000.0, -3000.0) };
        way.push(from_local_m(centre, x, y0));
        way.push(from_local_m(centre, x, y1));
    }
    vec![Leg::Sail { way, speed_kn }]
}

/// The point `distance_m` from `p` on compass bearing `bearing_deg`.
fn offset(p: LonLat, bearing_deg: f64, distance_m: f64) -> LonLat {
    let b = bearing_deg.to_radians();
    from_local_m(p, distance_m * b.sin(), distance_m * b.cos())
}

const H: f64 = 3600.0;

/// Generates the scenario. See the module documentation for what happens.
pub fn scenario(seed: u64, start: OffsetDateTime, duration: Duration) -> Scenario {
    // Decorrelate nearby seeds (0 and 1 would otherwise start the generator alike).
    let mut rng = Rng::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03);
    let clock = Clock { start, end_s: duration.as_seconds_f64().max(0.0) };
    let mut plans = Vec::new();
    let mut truth = Vec::new();
    let corridor = corridor();
    let northbound = |fraction: f64, port: LonLat| {
        let mut back: Vec<LonLat> = corridor.iter().rev().copied().collect();
        back = along(&back, fraction);
        back.push(port);
        back
    };
    let grain = |mmsi, imo6, name: &str, call: &str, dest: &str| {
        ship(mmsi, Some(imo6), name, call, 70, (190, 32), dest, "grain carrier")
    };

    // Outbound from the three ports.
    let outbound = [
        (grain(229_418_000, 931_245, "ANNA MARIA", "9HA4123", "ISTANBUL"), ODESA, 0.5),
        (grain(538_009_112, 948_120, "BLUE HORIZON", "V7XQ3", "TRBOS"), ODESA, 2.0),
        (grain(636_021_554, 953_377, "LIBERTY GRAIN", "D5KL7", "EG DAM"), CHORNOMORSK, 1.0),
        (grain(271_044_380, 940_211, "KARADENIZ YILDIZI", "TCA2214", "TR TEK"), CHORNOMORSK, 3.2),
        (grain(272_118_900, 920_514, "ZOLOTA NYVA", "URFX4", "BOSPHORUS"), PIVDENNYI, 1.5),
    ];
    for (info, port, leave_h) in outbound {
        let legs = vec![
            Leg::Moored { until_s: leave_h * H + rng.uniform(0.0, 120.0) },
            Leg::Sail { way: departure(port), speed_kn: 12.0 },
        ];
        plans.push(Plan { info, start: port, legs, silent_from_s: None, spoof: None });
    }
    // Moored in Chornomorsk, falls silent in port: not dark.
    plans.push(Plan {
        info: grain(272_007_715, 915_882, "SLOBIDKA", "URAB7", "CHORNOMORSK"),
        start: LonLat::new(30.655, 46.305),
        legs: vec![Leg::Moored { until_s: f64::INFINITY }],
        silent_from_s: Some(1.0 * H),
        spoof: None,
    });
    // Already on the way south.
    let en_route = [
        (grain(229_771_000, 950_014, "MARE NOSTRUM", "9HB2201", "ISTANBUL"), 0.35, None),
        (grain(636_019_880, 937_702, "DELTA GRAIN", "A8QT5", "TRIST"), 0.55, None),
        (grain(538_007_340, 926_443, "OCEAN PEARL", "V7PL9", "ISTANBUL"), 0.80, None),
        // Heard by satellite only, falls silent: poor reception, not dark.
        (grain(271_000_912, 912_650, "EGE", "TCZK5", "ISTANBUL"), 0.90, Some(1.5 * H)),
    ];
    for (info, fraction, silent_from_s) in en_route {
        let way = along(&corridor, fraction);
        let start_at = way[0];
        plans.push(Plan {
            info,
            start: start_at,
            legs: vec![Leg::Sail { way, speed_kn: 12.0 }],
            silent_from_s,
            spoof: None,
        });
    }
    // Coming north to the ports, then alongside.
    let inbound = [
        (grain(207_817_000, 918_334, "VARNA TRADER", "LZVT1", "UA ODS"), 0.25, ODESA),
        (grain(264_163_000, 941_096, "DUNAREA", "YQDN2", "UA CHO"), 0.55, CHORNOMORSK),
        (grain(636_020_771, 944_580, "AFRICAN GRAIN", "D5AG3", "UA YUZ"), 0.80, PIVDENNYI),
    ];
    for (info, fraction, port) in inbound {
        let way = northbound(fraction, port);
        plans.push(Plan {
            info,
            start: way[0],
            legs: vec![Leg::Sail { way, speed_kn: 12.0 }, Leg::Moored { until_s: f64::INFINITY }],
            silent_from_s: None,
            spoof: None,
        });
    }
    // Patrols.
    let navy = |mmsi, name: &str, call: &str, role: &str| ship(mmsi, None, name, call, 35, (60, 10), "", role);
    plans.push(Plan {
        info: navy(272_000_110, "UKR NAVY P190", "UNP190", "patrol vessel"),
        start: LonLat::new(30.95, 46.15),
        legs: patrol(LonLat::new(30.95, 46.15), LonLat::new(31.40, 45.70), 14.0),
        silent_from_s: None,
        spoof: None,
    });
    plans.push(Plan {
        info: navy(264_900_123, "RO NAVY 264", "YQNV4", "patrol vessel"),
        start: LonLat::new(29.5, 44.5),
        legs: patrol(LonLat::new(29.5, 44.5), LonLat::new(30.2, 44.1), 12.0),
        silent_from_s: None,
        spoof: None,
    });
    plans.push(Plan {
        info: navy(271_900_045, "TCG PATROL 45", "TCNP45", "patrol vessel"),
        start: LonLat::new(29.3, 41.6),
        legs: patrol(LonLat::new(29.3, 41.6), LonLat::new(29.9, 41.9), 12.0),
        silent_from_s: None,
        spoof: None,
    });
    // Mine countermeasures off Odesa, and the spoofing cluster at 3.5 h.
    let spoof_at = 3.5 * H;
    let spoof_len = 20.0 * 60.0;
    let spoofed = [(538_009_112u32, 0.0), (271_044_380, 50.0), (271_900_301, 100.0), (264_900_029, 160.0)];
    plans.push(Plan {
        info: ship(271_900_301, None, "TCG MCM 301", "TCNM31", 35, (52, 9), "", "mine countermeasures"),
        start: LonLat::new(31.00, 46.40),
        legs: sweep(LonLat::new(31.00, 46.40), 5.0),
        silent_from_s: None,
        spoof: None,
    });
    plans.push(Plan {
        info: ship(264_900_029, None, "RO MCM 29", "YQNM29", 35, (60, 10), "", "mine countermeasures"),
        start: LonLat::new(30.98, 46.18),
        legs: sweep(LonLat::new(30.98, 46.18), 5.0),
        silent_from_s: None,
        spoof: None,
    });
    for (mmsi, delay_s) in spoofed {
        if let Some(p) = plans.iter_mut().find(|p| p.info.mmsi == mmsi) {
            let from = spoof_at + delay_s;
            p.spoof = Some((from, from + spoof_len, ODESA_AIRPORT));
        }
    }
    // Going dark west of Crimea, and the traffic that teaches the reception model the cell is good.
    let dark_mmsi = 538_008_451;
    plans.push(Plan {
        info: ship(dark_mmsi, Some(933_610), "NORTHERN STAR", "V7NS2", 80, (228, 42), "FOR ORDERS", "tanker"),
        start: LonLat::new(32.0, 44.88),
        legs: vec![Leg::Sail { way: vec![LonLat::new(33.2, 44.88)], speed_kn: 10.0 }],
        silent_from_s: Some(2.5 * H),
        spoof: None,
    });
    let crimea_traffic = [
        (
            ship(271_045_600, Some(921_337), "BOSPHORUS STAR", "TCBS6", 70, (150, 24), "TR IST", "cargo"),
            33.2,
            31.5,
            44.93,
        ),
        (ship(229_552_000, Some(947_005), "MELITA", "9HMT2", 80, (183, 32), "BG VAR", "tanker"), 31.3, 33.2, 44.82),
        (ship(271_045_601, Some(930_118), "ANADOLU", "TCAN8", 70, (140, 22), "RO CND", "cargo"), 33.25, 31.5, 44.80),
    ];
    for (info, from_lon, to_lon, lat) in crimea_traffic {
        plans.push(Plan {
            info,
            start: LonLat::new(from_lon, lat),
            legs: vec![Leg::Sail { way: vec![LonLat::new(to_lon, lat)], speed_kn: 12.0 }],
            silent_from_s: None,
            spoof: None,
        });
    }
    // Circling (spoofed crop circle) from 1 h to 3 h.
    let circle_mmsi = 636_022_190;
    let circle_entry = LonLat::new(31.32, 44.55);
    plans.push(Plan {
        info: ship(circle_mmsi, Some(955_201), "SEA FALCON", "D5SF4", 80, (244, 42), "FOR ORDERS", "tanker"),
        start: from_local_m(circle_entry, -8.0 * 1852.0, 0.0),
        legs: vec![
            Leg::Sail { way: vec![circle_entry], speed_kn: 8.0 },
            Leg::Circle { radius_m: 1500.0, speed_kn: 8.0, until_s: 3.0 * H },
            Leg::Sail { way: vec![LonLat::new(32.3, 44.3)], speed_kn: 10.0 },
        ],
        silent_from_s: None,
        spoof: None,
    });
    // The encounter: two tankers meet in the exclusion zone and drift together from 1.5 h to 4.5 h.
    let meet = LonLat::new(30.95, 45.45);
    let meet_b = from_local_m(meet, 150.0, 0.0);
    let approach_m = 10.0 * 1852.0 * 1.5;
    let encounter = [
        (
            ship(636_023_001, Some(929_877), "STELLA MARIS", "D5SM9", 80, (250, 44), "FOR ORDERS", "tanker"),
            meet,
            45.0,
            LonLat::new(31.6, 44.95),
        ),
        (
            ship(271_046_777, Some(936_452), "DENIZ", "TCDZ3", 80, (110, 18), "TR SAM", "bunker tanker"),
            meet_b,
            225.0,
            LonLat::new(30.2, 44.9),
        ),
    ];
    for (info, at, from_bearing, away) in encounter {
        plans.push(Plan {
            info,
            start: offset(at, from_bearing, approach_m),
            legs: vec![
                Leg::Sail { way: vec![at], speed_kn: 10.0 },
                Leg::Drift { until_s: 4.5 * H, speed_kn: 0.5 },
                Leg::Sail { way: vec![away], speed_kn: 10.0 },
            ],
            silent_from_s: None,
            spoof: None,
        });
    }
    // The loiterer: drifts from 0.5 h to 6.5 h.
    let loiter_at = LonLat::new(31.3, 45.1);
    plans.push(Plan {
        info: ship(207_806_330, Some(908_731), "SHABLA", "LZSH4", 30, (42, 9), "", "fishing vessel"),
        start: offset(loiter_at, 45.0, 10.0 * 1852.0 * 0.5),
        legs: vec![
            Leg::Sail { way: vec![loiter_at], speed_kn: 10.0 },
            Leg::Drift { until_s: 6.5 * H, speed_kn: 0.8 },
            Leg::Sail { way: vec![LonLat::new(31.6, 44.6)], speed_kn: 9.0 },
        ],
        silent_from_s: None,
        spoof: None,
    });

    // Simulate the ships.
    let loiterer = 207_806_330;
    let encounter_pair = [271_046_777, 636_023_001];
    let mut met = Vec::new();
    let mut cluster_from = f64::INFINITY;
    let mut fixes = Vec::new();
    let mut ships = Vec::new();
    for plan in &plans {
        let track = simulate(plan, &mut rng, &clock);
        let mmsi = plan.info.mmsi;
        let vessel = vec![(Kind::Vessel, mmsi)];
        if mmsi == dark_mmsi
            && let Some(last) = track.last_s
            && plan.silent_from_s.is_some_and(|s| s <= clock.end_s)
        {
            truth.push(Truth {
                detector: Detector::GoingDark,
                tracks: vessel.clone(),
                from: clock.at(last),
                until: clock.at(clock.end_s + 48.0 * H),
                note: "a tanker west of Crimea stops transmitting where reception is good".into(),
            });
        }
        if let Some((_, to, _)) = plan.spoof
            && let Some(from) = track.first_spoofed_s
        {
            cluster_from = cluster_from.min(from);
            truth.push(Truth {
                detector: Detector::SpoofJump,
                tracks: vessel.clone(),
                from: clock.at(from),
                until: clock.at(to + 30.0),
                note: "jumps to Odesa airport and back".into(),
            });
        }
        if mmsi == circle_mmsi
            && let Some(&from) = track.leg_starts_s.get(1)
        {
            truth.push(Truth {
                detector: Detector::SpoofCircle,
                tracks: vessel.clone(),
                from: clock.at(from),
                until: clock.at(3.0 * H + H),
                note: "reports positions on a 1.5 km circle".into(),
            });
        }
        if let Some(&arrived) = track.leg_starts_s.get(1) {
            if mmsi == loiterer {
                truth.push(Truth {
                    detector: Detector::Loitering,
                    tracks: vessel.clone(),
                    from: clock.at(arrived),
                    until: clock.at(6.5 * H + 1800.0),
                    note: "a fishing vessel drifts for six hours in the exclusion zone".into(),
                });
            }
            if encounter_pair.contains(&mmsi) {
                met.push(arrived);
            }
        }
        fixes.extend(track.fixes);
        ships.push(plan.info.clone());
    }
    if met.len() == 2 {
        truth.push(Truth {
            detector: Detector::Encounter,
            tracks: encounter_pair.iter().map(|&m| (Kind::Vessel, m)).collect(),
            from: clock.at(met[0].max(met[1])),
            until: clock.at(4.5 * H + 1800.0),
            note: "two tankers drift 150 m apart for three hours in the exclusion zone".into(),
        });
    }
    if cluster_from.is_finite() {
        let mut tracks: Vec<(Kind, u32)> = spoofed.iter().map(|(m, _)| (Kind::Vessel, *m)).collect();
        tracks.sort_unstable();
        truth.push(Truth {
            detector: Detector::SpoofCluster,
            tracks,
            from: clock.at(cluster_from),
            until: clock.at(cluster_from + 600.0),
            note: "four vessels jump to Odesa airport within three minutes".into(),
        });
    }
    let aircraft = aircraft(&mut rng, &clock, &mut fixes, &mut truth);
    fixes.sort_by(|a, b| a.time.cmp(&b.time).then(a.kind.cmp(&b.kind)).then(a.id.cmp(&b.id)));
    truth.sort_by(|a, b| a.from.cmp(&b.from).then(a.detector.cmp(&b.detector)));
    Scenario {
        start,
        duration,
        fixes,
        ships,
        aircraft,
        truth,
        ports: ports(),
        maritime_zones: vec![("mez_northwest".into(), mez_northwest())],
    }
}

/// An ordinary Mode A code: four octal digits, never an emergency code.
fn ordinary_squawk(rng: &mut Rng) -> u16 {
    let d = |rng: &mut Rng, lo: f64| rng.uniform(lo, 8.0).floor() as u16;
    let first = rng.uniform(1.0, 7.0).floor() as u16;
    first * 1000 + d(rng, 0.0) * 100 + d(rng, 0.0) * 10 + d(rng, 0.0)
}

fn aircraft(rng: &mut Rng, clock: &Clock, fixes: &mut Vec<Fix>, truth: &mut Vec<Truth>) -> Vec<AircraftInfo> {
    let mut infos = Vec::new();
    // Airliners: a departure every 30 minutes on each route, alternating direction.
    struct Route {
        a: LonLat,
        b: LonLat,
        icao_base: u32,
        airline: &'static str,
        types: &'static str,
    }
    let routes = [
        Route {
            a: LonLat::new(20.97, 52.17),
            b: LonLat::new(22.02, 50.11),
            icao_base: 0x489100,
            airline: "LOT",
            types: "E195",
        },
        Route {
            a: LonLat::new(19.78, 50.08),
            b: LonLat::new(18.47, 54.38),
            icao_base: 0x48A200,
            airline: "LOT",
            types: "B738",
        },
        Route {
            a: LonLat::new(26.08, 44.57),
            b: LonLat::new(27.62, 47.18),
            icao_base: 0x4A0300,
            airline: "ROT",
            types: "A318",
        },
        Route {
            a: LonLat::new(28.74, 41.26),
            b: LonLat::new(28.49, 44.36),
            icao_base: 0x4B8400,
            airline: "THY",
            types: "A321",
        },
    ];
    let step_s = 5.0;
    let emergency_route = 2;
    let mut emergency_done = false;
    for (r, route) in routes.iter().enumerate() {
        let mut k = 0u32;
        loop {
            let dep_s = f64::from(k) * 1800.0 + r as f64 * 420.0 + rng.uniform(0.0, 60.0);
            if dep_s >= clock.end_s {
                break;
            }
            let (from, to) = if k.is_multiple_of(2) { (route.a, route.b) } else { (route.b, route.a) };
            let icao = route.icao_base + k;
            let callsign = format!("{}{}", route.airline, 300 + r as u32 * 100 + k);
            let squawk = ordinary_squawk(rng);
            let emergency = r == emergency_route && k.is_multiple_of(2) && !emergency_done && dep_s >= 2.0 * H;
            emergency_done |= emergency;
            let speed_kn = 440.0 + rng.uniform(-20.0, 20.0);
            let course = bearing_deg(from, to);
            let mut pos = from;
            let mut t = dep_s;
            let mut first_emergency = None;
            while t < clock.end_s {
                let (p, rest) = advance(pos, to, speed_kn * 1852.0 / 3600.0 * step_s);
                let code = if emergency && t >= dep_s + 480.0 { 7700 } else { squawk };
                if code == 7700 && first_emergency.is_none() {
                    first_emergency = Some(t);
                }
                fixes.push(Fix {
                    speed_kn: Some(speed_kn.round()),
                    course_deg: Some(course.round()),
                    altitude_ft: Some(35_000),
                    nic: Some(8),
                    nacp: Some(if rng.uniform(0.0, 1.0) < 0.5 { 9 } else { 10 }),
                    squawk: Some(code),
                    receiver: Some(200 + r as u32),
                    ..Fix::new(
                        Kind::Aircraft,
                        icao,
                        clock.at(t),
                        from_local_m(pos, rng.uniform(-5.0, 5.0), rng.uniform(-5.0, 5.0)),
                    )
                });
                if rest <= 0.0 {
                    break;
                }
                pos = p;
                t += step_s + rng.uniform(-0.2, 0.2);
            }
            if let Some(t) = first_emergency {
                truth.push(Truth {
                    detector: Detector::EmergencySquawk,
                    tracks: vec![(Kind::Aircraft, icao)],
                    from: clock.at(t),
                    until: clock.at(t + 2.0 * H),
                    note: format!("{callsign} squawks 7700 after leaving Bucharest"),
                });
            }
            infos.push(AircraftInfo { icao, callsign, type_designator: route.types.into(), role: "airliner".into() });
            k += 1;
        }
    }
    // Patrol aircraft orbiting in two groups of six; GNSS interference over each group for a while.
    let groups = [
        (
            LonLat::new(33.75, 46.75),
            (1.0 * H, 3.0 * H),
            "near the line of contact",
            [
                (0x50A123, "UAF201", "AN26"),
                (0x50A124, "UAF202", "AN26"),
                (0x43C6F1, "RRR7211", "R135"),
                (0xAE1234, "FORTE12", "GLHK"),
                (0x3B7A11, "FAF2001", "FA50"),
                (0x48D812, "PLF105", "C295"),
            ],
        ),
        (
            LonLat::new(32.25, 44.75),
            (4.0 * H, 5.5 * H),
            "over the sea west of Crimea",
            [
                (0x4B8F21, "TUAF51", "B737"),
                (0x4A7E10, "ROF21", "C27J"),
                (0xAE5678, "JAKE21", "P8"),
                (0x43C7A2, "RFR7233", "P8"),
                (0x33FF12, "IAM1450", "G550"),
                (0x457012, "BGF11", "C27J"),
            ],
        ),
    ];
    for (centre, (jam_from, jam_to), where_, members) in groups {
        for (i, (icao, callsign, types)) in members.iter().enumerate() {
            let c = from_local_m(centre, rng.uniform(-2000.0, 2000.0), rng.uniform(-2000.0, 2000.0));
            let radius_m = 12_000.0;
            let speed_kn = 250.0;
            let omega = speed_kn * 1852.0 / 3600.0 / radius_m;
            let phase = i as f64 * std::f64::consts::TAU / 6.0;
            let squawk = ordinary_squawk(rng);
            let mut t = rng.uniform(0.0, step_s);
            while t < clock.end_s {
                let a = phase + omega * t;
                let p = from_local_m(c, radius_m * a.cos(), radius_m * a.sin());
                let jammed = t >= jam_from && t < jam_to;
                let (nic, nacp) = if jammed {
                    (rng.uniform(0.0, 5.0).floor() as u8, rng.uniform(0.0, 6.0).floor() as u8)
                } else {
                    (8, if rng.uniform(0.0, 1.0) < 0.5 { 9 } else { 10 })
                };
                fixes.push(Fix {
                    speed_kn: Some(speed_kn),
                    course_deg: Some((90.0 - (a.to_degrees() + 90.0)).rem_euclid(360.0).round()),
                    altitude_ft: Some(24_000 + 1000 * i as i32),
                    nic: Some(nic),
                    nacp: Some(nacp),
                    squawk: Some(squawk),
                    receiver: Some(300),
                    ..Fix::new(Kind::Aircraft, *icao, clock.at(t), p)
                });
                t += step_s + rng.uniform(-0.2, 0.2);
            }
            infos.push(AircraftInfo {
                icao: *icao,
                callsign: (*callsign).into(),
                type_designator: (*types).into(),
                role: format!("patrol aircraft orbiting {where_}"),
            });
        }
        if jam_from < clock.end_s {
            let mut tracks: Vec<(Kind, u32)> = members.iter().map(|m| (Kind::Aircraft, m.0)).collect();
            tracks.sort_unstable();
            truth.push(Truth {
                detector: Detector::GnssInterference,
                tracks,
                from: clock.at(jam_from),
                until: clock.at(jam_to + 600.0),
                note: format!("GNSS jamming degrades NIC/NACp of the patrol aircraft {where_}"),
            });
        }
    }
    infos
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use truce_geo::ZoneIndex;

    #[test]
    fn imo_check_digit() {
        // IMO 9074729 is the textbook example.
        assert_eq!(imo(907_472), 9_074_729);
    }

    #[test]
    fn the_zone_is_read_and_holds_the_encounter_and_the_loiterer() {
        let zone = mez_northwest();
        assert!(zone.polygons[0][0].len() > 50, "the clipped polygon, not the box");
        let index = ZoneIndex::new(&[zone]).unwrap();
        for p in [LonLat::new(30.95, 45.45), LonLat::new(31.3, 45.1)] {
            assert!(index.covers(0, p), "{p:?}");
        }
        assert!(!index.covers(0, ODESA_AIRPORT));
    }

    #[test]
    fn deterministic_sorted_and_realistic() {
        let start = datetime!(2026-10-01 06:00 UTC);
        let a = scenario(7, start, Duration::hours(2));
        let b = scenario(7, start, Duration::hours(2));
        assert_eq!(a.fixes, b.fixes);
        assert!(a.fixes.windows(2).all(|w| w[0].time <= w[1].time));
        assert!(
            a.fixes.iter().all(|f| f.position.is_valid() && f.time >= start && f.time < start + Duration::hours(2))
        );
        let c = scenario(8, start, Duration::hours(2));
        assert_ne!(a.fixes, c.fixes);
        let mids = [272, 271, 264, 207, 229, 538, 636];
        assert!(a.ships.iter().all(|s| mids.contains(&(s.mmsi / 1_000_000))));
        assert!(a.aircraft.iter().all(|x| x.icao < 1 << 24));
        // Vessel rates: every 10 s underway.
        let underway: Vec<_> = a.fixes.iter().filter(|f| f.id == 229_771_000).collect();
        assert!(underway.len() > 650 && underway.len() < 750, "{}", underway.len());
    }
}
