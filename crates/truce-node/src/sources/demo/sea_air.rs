//! The demo's ships and aircraft, sent over the protocols real receivers use into the node's real AIS
//! and ADS-B feeds, as its TAK units join over TCP.
//!
//! The vessels and aircraft are `truce-detect`'s scenario (grain ships from Odesa, Chornomorsk and
//! Pivdennyi towards the Bosphorus, patrols and mine countermeasures, a tanker going dark west of
//! Crimea, a spoofing cluster, airliners over Poland and Romania, patrol aircraft near the line and
//! over the sea, GNSS interference, a 7700), in real time whatever the demo's `--speed`, as the TAK
//! units are:
//!
//! - **AIS**: a TCP server on 127.0.0.1 speaks NMEA as AIS-catcher or an aggregator does: every
//!   position as a type 1 sentence behind a tag block (`s:demo`, `c:` its time), each ship's type 5
//!   static and voyage data first and every six minutes. The vessel scenario starts
//!   [`SEA_CATCH_UP`] before the demo: a connecting feed first receives those hours at once (their
//!   tag-block times keep them in the past, so the tanker has already gone dark and the cluster has
//!   jumped when the map opens), then each position when its time comes.
//! - **ADS-B**: an `aircraft.json` file rewritten every second, as readsb writes one for tar1090: each
//!   aircraft's latest position with its callsign, altitude, speed, squawk, NIC and NACp, dated by
//!   the document's `now` and `seen_pos`. The aircraft scenario starts [`AIR_LEAD`] before the demo, so
//!   the patrol aircraft near the line are inside the GNSS interference from the first minute. One more
//!   aircraft is the demo's own: an unmanned aircraft (category B6) flying back and forth along 33.6° E
//!   across the line of contact near Kherson, through the no-fly band, so that its entries are
//!   observations of a violation by the sensor; the Global Hawk among the patrols is unmanned too.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::{Duration, OffsetDateTime};
use tokio::io::AsyncWriteExt;
use truce_ais::encode::{self, Position, Tag, Voyage};
use truce_detect::scenario::{AircraftInfo, Scenario, ShipInfo};
use truce_detect::{Fix, Kind};

/// How long before the demo starts its vessels' history begins.
pub const SEA_CATCH_UP: Duration = Duration::hours(5);
/// How long the vessels' scenario runs after the catch-up.
const SEA_AHEAD: Duration = Duration::hours(3);
/// How long before the demo starts the aircraft's scenario begins (no history is sent for them).
pub const AIR_LEAD: Duration = Duration::minutes(90);
/// How long the aircraft's scenario runs after the demo starts.
const AIR_AHEAD: Duration = Duration::hours(6);
/// How often the `aircraft.json` is rewritten.
const WRITE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// An aircraft not heard for this long is left out of the document.
const AIRCRAFT_GONE_S: f64 = 60.0;
/// The demo's drone: its address (in Russia's block), callsign, and path.
const DRONE_ICAO: u32 = 0x15_0D_0A;
const DRONE_SOUTH: f64 = 46.55;
const DRONE_NORTH: f64 = 47.15;
const DRONE_LON: f64 = 33.6;
const DRONE_KN: f64 = 90.0;

/// The drone's report at `t`: back and forth along 33.6° E between 46.55° N and 47.15° N, a fix every
/// 5 s.
fn drone(t: OffsetDateTime) -> Fix {
    let t = t.replace_nanosecond(0).unwrap_or(t);
    let t = t - Duration::seconds(i64::from(t.second() % 5));
    let span_deg = DRONE_NORTH - DRONE_SOUTH;
    let leg_s = span_deg * 60.0 * 3600.0 / DRONE_KN;
    let phase = (t.unix_timestamp() as f64).rem_euclid(2.0 * leg_s);
    let (lat, course) = if phase < leg_s {
        (DRONE_SOUTH + span_deg * phase / leg_s, 0.0)
    } else {
        (DRONE_NORTH - span_deg * (phase - leg_s) / leg_s, 180.0)
    };
    Fix {
        speed_kn: Some(DRONE_KN),
        course_deg: Some(course),
        altitude_ft: Some(9_000),
        nic: Some(8),
        nacp: Some(9),
        squawk: None,
        ..Fix::new(Kind::Aircraft, DRONE_ICAO, t, truce_geo::LonLat::new(DRONE_LON, lat))
    }
}

/// Seconds between two static and voyage reports of a ship.
const STATIC_EVERY_S: i64 = 360;

/// The running ships and aircraft; dropping it stops them.
pub struct DemoSeaAir {
    /// Where the NMEA server listens.
    pub ais: SocketAddr,
    /// The `aircraft.json` the demo rewrites.
    pub aircraft_json: PathBuf,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for DemoSeaAir {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the NMEA server and the `aircraft.json` writer (in `dir`) for the scenario of `seed`. The
/// file is there when this returns (a receiver that has heard nothing yet), so a poller started next
/// finds it.
///
/// # Errors
/// The NMEA server cannot bind on 127.0.0.1, or the file cannot be written.
pub async fn start(seed: u64, dir: &Path) -> std::io::Result<DemoSeaAir> {
    let now = OffsetDateTime::now_utc();
    let sea = Arc::new(truce_detect::scenario::scenario(seed, now - SEA_CATCH_UP, SEA_CATCH_UP + SEA_AHEAD));
    let air = truce_detect::scenario::scenario(seed, now - AIR_LEAD, AIR_LEAD + AIR_AHEAD);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let ais = listener.local_addr()?;
    let aircraft_json = dir.join("readsb").join("aircraft.json");
    std::fs::create_dir_all(aircraft_json.parent().unwrap_or(dir))?;
    let now_s = now.unix_timestamp_nanos() as f64 / 1e9;
    write_document(
        &aircraft_json,
        &serde_json::json!({"now": (now_s * 10.0).round() / 10.0, "messages": 0, "aircraft": []}),
    )?;
    let serve = tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    tracing::debug!("demo AIS: {peer} connected");
                    tokio::spawn(nmea(stream, sea.clone()));
                }
                Err(e) => tracing::warn!("demo AIS: {e}"),
            }
        }
    });
    let writer = tokio::spawn(write_aircraft(air, aircraft_json.clone()));
    Ok(DemoSeaAir { ais, aircraft_json, tasks: vec![serve, writer] })
}

/// Sends the vessels' sentences to one connection: the past at once, then each when its time comes.
async fn nmea(mut stream: tokio::net::TcpStream, scenario: Arc<Scenario>) {
    let ships: HashMap<u32, &ShipInfo> = scenario.ships.iter().map(|s| (s.mmsi, s)).collect();
    let mut last_static: HashMap<u32, i64> = HashMap::new();
    let mut buf = String::new();
    let mut seq = 0u8;
    for f in scenario.fixes.iter().filter(|f| f.kind == Kind::Vessel) {
        let t = f.time.unix_timestamp();
        if let Some(ship) = ships.get(&f.id)
            && last_static.get(&f.id).is_none_or(|s| t - s >= STATIC_EVERY_S)
        {
            last_static.insert(f.id, t);
            seq = (seq + 1) % 10;
            for line in encode::voyage(&voyage(ship), seq, Tag { time: Some(t), station: Some("demo") }) {
                buf.push_str(&line);
                buf.push_str("\r\n");
            }
        }
        buf.push_str(&encode::position(&position(f), Tag { time: Some(t), station: Some("demo") }));
        buf.push_str("\r\n");
        let wait = f.time - OffsetDateTime::now_utc();
        if wait.is_positive() || buf.len() > 64 * 1024 {
            if stream.write_all(buf.as_bytes()).await.is_err() {
                return;
            }
            buf.clear();
        }
        if wait.is_positive() {
            tokio::time::sleep(std::time::Duration::try_from(wait).unwrap_or_default()).await;
        }
    }
    let _ = stream.write_all(buf.as_bytes()).await;
}

fn voyage(s: &ShipInfo) -> Voyage {
    Voyage {
        mmsi: s.mmsi,
        imo: s.imo,
        callsign: s.callsign.clone(),
        name: s.name.clone(),
        ship_type: s.ship_type,
        length_m: s.length_m,
        beam_m: u8::try_from(s.beam_m).unwrap_or(u8::MAX),
        destination: s.destination.clone(),
    }
}

fn position(f: &Fix) -> Position {
    let moving = f.speed_kn.is_some_and(|s| s >= 0.5);
    Position {
        mmsi: f.id,
        status: if moving { 0 } else { 5 },
        lat: f.position.lat,
        lon: f.position.lon,
        speed_kn: f.speed_kn,
        course_deg: f.course_deg,
        heading_deg: f.course_deg.map(|c| (c.rem_euclid(360.0) as u16) % 360),
        second: f.time.second(),
    }
}

/// Rewrites the `aircraft.json` every second with each aircraft's latest position.
/// Writes `doc` to `path` whole, as readsb does: into a file beside it, then renamed over it, so a
/// reader never sees half a document.
fn write_document(path: &Path, doc: &serde_json::Value) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, doc.to_string())?;
    std::fs::rename(&tmp, path)
}

async fn write_aircraft(scenario: Scenario, path: PathBuf) {
    let drone_info = AircraftInfo {
        icao: DRONE_ICAO,
        callsign: "UAV1207".into(),
        type_designator: "UAV".into(),
        role: "unmanned aircraft crossing the line".into(),
    };
    let mut infos: HashMap<u32, &AircraftInfo> = scenario.aircraft.iter().map(|a| (a.icao, a)).collect();
    infos.insert(DRONE_ICAO, &drone_info);
    let fixes: Vec<&Fix> = scenario.fixes.iter().filter(|f| f.kind == Kind::Aircraft).collect();
    let mut next = 0;
    let mut latest: HashMap<u32, &Fix> = HashMap::new();
    let mut ticker = tokio::time::interval(WRITE_EVERY);
    let mut messages = 0u64;
    loop {
        ticker.tick().await;
        let now = OffsetDateTime::now_utc();
        while next < fixes.len() && fixes[next].time <= now {
            latest.insert(fixes[next].id, fixes[next]);
            next += 1;
            messages += 1;
        }
        let now_s = now.unix_timestamp_nanos() as f64 / 1e9;
        let uav = drone(now);
        let aircraft: Vec<serde_json::Value> = latest
            .values()
            .copied()
            .chain(std::iter::once(&uav))
            .filter_map(|f| {
                let seen = now_s - f.time.unix_timestamp_nanos() as f64 / 1e9;
                (seen <= AIRCRAFT_GONE_S).then(|| document_entry(f, infos.get(&f.id).copied(), seen))
            })
            .collect();
        let doc = serde_json::json!({"now": (now_s * 10.0).round() / 10.0, "messages": messages, "aircraft": aircraft});
        if let Err(e) = write_document(&path, &doc) {
            tracing::warn!("demo ADS-B: cannot write {}: {e}", path.display());
        }
    }
}

/// One aircraft as readsb writes it.
fn document_entry(f: &Fix, info: Option<&AircraftInfo>, seen_s: f64) -> serde_json::Value {
    let mut o = serde_json::Map::new();
    o.insert("hex".into(), format!("{:06x}", f.id).into());
    if let Some(i) = info {
        o.insert("flight".into(), format!("{:<8}", i.callsign).into());
        o.insert("t".into(), i.type_designator.clone().into());
        // The Global Hawk is unmanned (B6); airliners are large (A3), the other patrol aircraft medium.
        let category = match i.type_designator.as_str() {
            "GLHK" | "UAV" => "B6",
            _ if i.role == "airliner" => "A3",
            _ => "A2",
        };
        o.insert("category".into(), category.into());
    }
    o.insert("lat".into(), ((f.position.lat * 1e6).round() / 1e6).into());
    o.insert("lon".into(), ((f.position.lon * 1e6).round() / 1e6).into());
    if let Some(a) = f.altitude_ft {
        o.insert("alt_baro".into(), a.into());
    }
    if let Some(s) = f.speed_kn {
        o.insert("gs".into(), ((s * 10.0).round() / 10.0).into());
    }
    if let Some(c) = f.course_deg {
        o.insert("track".into(), ((c * 10.0).round() / 10.0).into());
    }
    if let Some(s) = f.squawk {
        o.insert("squawk".into(), format!("{s:04}").into());
        if s == 7700 {
            o.insert("emergency".into(), "general".into());
        }
    }
    if let Some(n) = f.nic {
        o.insert("nic".into(), n.into());
    }
    if let Some(n) = f.nacp {
        o.insert("nac_p".into(), n.into());
    }
    o.insert("version".into(), 2.into());
    let seen = (seen_s.max(0.0) * 10.0).round() / 10.0;
    o.insert("seen_pos".into(), seen.into());
    o.insert("seen".into(), seen.into());
    serde_json::Value::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_receivers_file_is_there_when_the_demo_has_started() {
        // On this test's one thread the writer task has not run yet when `start` returns: what a
        // poller started next reads is the first document `start` wrote itself.
        let dir = tempfile::tempdir().expect("temp dir");
        let demo = start(1, dir.path()).await.expect("the demo's ships and aircraft");
        let text = std::fs::read_to_string(&demo.aircraft_json).expect("aircraft.json is there");
        let doc = truce_adsb::aircraft_json::parse_document(&text).expect("readsb's format");
        assert!(doc.aircraft.is_empty(), "nothing heard yet: {text}");
    }

    #[test]
    fn an_aircraft_entry_reads_back_as_readsb_would_have_written_it() {
        let scenario = truce_detect::scenario::scenario(1, OffsetDateTime::UNIX_EPOCH, Duration::hours(3));
        let hawk = scenario.aircraft.iter().find(|a| a.type_designator == "GLHK").expect("a Global Hawk");
        let fix = scenario.fixes.iter().find(|f| f.id == hawk.icao).expect("its fixes");
        let doc = serde_json::json!({"now": 100.0, "aircraft": [document_entry(fix, Some(hawk), 0.4)]});
        let parsed = truce_adsb::aircraft_json::parse_document(&doc.to_string()).expect("readsb's format");
        let r = parsed.aircraft[0].as_ref().expect("a record");
        assert_eq!(r.icao, hawk.icao);
        assert_eq!(r.callsign.map(|c| c.as_str().trim().to_owned()).as_deref(), Some("FORTE12"));
        assert_eq!(r.category.map(|c| c.to_string()).as_deref(), Some("B6"));
        assert_eq!((r.nic, r.nacp), (fix.nic, fix.nacp));
        assert_eq!(r.seen_pos, Some(0.4));
    }
}
