//! The AIS feed on real sockets: sentences from a receiver truce connects to (and from a UDP port)
//! become vessel tracks on the bus with the static data joined to the positions, a vessel entering the
//! maritime exclusion zone raises the geofence event TAK devices see and, a military vessel being
//! barred there, an observation by the sensor; a garbled line is counted without stopping the feed.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use truce_ais::encode::{self, Position, Tag, Voyage};
use truce_node::sources::Listen;
use truce_node::sources::ais::{self, AisConfig};
use truce_node::sources::sea_air::SeaAir;
use truce_node::sources::tracks::Tracks;
use truce_node::{Delivery, EventKind};

use crate::node;

const MMSI: u32 = 273_456_789;

fn at(lat: f64, lon: f64, t: i64) -> String {
    let p = Position {
        mmsi: MMSI,
        status: 0,
        lat,
        lon,
        speed_kn: Some(12.0),
        course_deg: Some(270.0),
        heading_deg: Some(270),
        second: 0,
    };
    encode::position(&p, Tag { time: Some(t), station: Some("test-rx") })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receivers_sentences_become_a_named_vessel_track_and_its_entry_into_the_maritime_exclusion_zone() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(&dir.path().join("store"));
    let mut events = n.bus.subscribe(truce_access::Access::all());
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = AisConfig { connect: vec![receiver.local_addr().unwrap().to_string()], ..AisConfig::default() };
    let tracks = Tracks::start(&n);
    let sea_air = SeaAir::start(&n, &tracks, None, truce_detect::Config::default()).unwrap();
    let _feed = ais::start(&config, &sea_air).await.unwrap().expect("an input");

    let (mut s, _) = receiver.accept().await.unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let voyage = Voyage {
        mmsi: MMSI,
        imo: None,
        callsign: "UBXY7".into(),
        name: "VITYAZ".into(),
        ship_type: 35,
        length_m: 100,
        beam_m: 14,
        destination: "SEVASTOPOL".into(),
    };
    let mut text = encode::voyage(&voyage, 1, Tag::default()).join("\r\n") + "\r\n";
    // East of the zone (31.9 E), a garbled line, then inside it (31.0 E), each line cut across writes.
    text += &at(45.5, 31.9, now - 60);
    text += "\r\n!AIVDM,1,1,,A,not a payload,0*00\r\n";
    text += &at(45.5, 31.0, now);
    text += "\r\n";
    for part in text.as_bytes().chunks(37) {
        s.write_all(part).await.unwrap();
        s.flush().await.unwrap();
    }

    let (mut named, mut entered, mut observed) = (false, false, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !(named && entered && observed) {
        let got = tokio::time::timeout_at(deadline, events.recv()).await.expect("the track and the zone entry in 20 s");
        let Delivery::Event(e) = got else { continue };
        match &e.event.kind {
            EventKind::Track(t) if t.uid == format!("ais-{MMSI}") => {
                assert_eq!(t.type_, "a-u-S-C", "ship type 35 (military operations) is a combatant");
                assert_eq!(t.callsign.as_deref(), Some("VITYAZ"), "the name from the type 5 message");
                assert_eq!((t.source.as_str(), t.how.as_str()), ("ais", "m-g"));
                assert!((t.speed.unwrap() - 12.0 * 1852.0 / 3600.0).abs() < 0.01);
                named = true;
            }
            EventKind::Geofence(g) if g.uid == format!("ais-{MMSI}") => {
                assert_eq!(g.fence_id, "mez_northwest", "{g:?}");
                assert_eq!(g.kind, truce_core::GeofenceKind::Enter);
                entered = true;
            }
            EventKind::Observation(o) => {
                // A military vessel in the maritime exclusion zone is a violation the sensor observed.
                let ob = &o.observation;
                assert_eq!(ob.category, truce_core::Category::Vessel);
                assert_eq!(
                    (ob.observer.means, ob.observer.callsign.as_deref()),
                    (truce_core::Means::Sensor, Some("ais"))
                );
                assert!(ob.text.as_deref().unwrap_or_default().contains("VITYAZ"), "{:?}", ob.text);
                let v = &o.classification.violations;
                assert!(v.iter().any(|v| v.zone.as_deref() == Some("mez_northwest")), "{v:?}");
                observed = true;
            }
            _ => {}
        }
    }
    // Both positions are in the history, the garbled line between them did not stop the feed.
    let store = n.store.clone();
    let since = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let s = store.clone();
        let rows = tokio::task::spawn_blocking(move || s.latest_tracks(since)).await.unwrap().unwrap();
        if rows.iter().any(|r| r.uid == format!("ais-{MMSI}") && (r.lon - 31.0).abs() < 1e-4) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the second position was not stored");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_datagram_on_the_udp_port_becomes_a_track() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(&dir.path().join("store"));
    let mut events = n.bus.subscribe(truce_access::Access::all());
    let config = AisConfig { udp: Listen::At("127.0.0.1:0".parse().unwrap()), ..AisConfig::default() };
    let tracks = Tracks::start(&n);
    let sea_air = SeaAir::start(&n, &tracks, None, truce_detect::Config::default()).unwrap();
    let feed = ais::start(&config, &sea_air).await.unwrap().expect("an input");
    let addr = feed.udp_addr().expect("bound");
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    // A datagram without its line end, as some receivers send them.
    let line = at(46.3, 30.7, time::OffsetDateTime::now_utc().unix_timestamp());
    sender.send_to(line.as_bytes(), addr).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = tokio::time::timeout_at(deadline, events.recv()).await.expect("the track in 20 s");
        if let Delivery::Event(e) = got
            && let EventKind::Track(t) = &e.event.kind
            && t.uid == format!("ais-{MMSI}")
        {
            assert_eq!((t.type_.as_str(), t.callsign.as_deref()), ("a-n-S-X", Some("273456789")));
            assert!(t.peer.starts_with("udp:127.0.0.1:"), "{}", t.peer);
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_file_with_an_impossible_jump_gives_a_spoofing_detection_with_its_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let n = node(&dir.path().join("store"));
    let mut events = n.bus.subscribe(truce_access::Access::all());
    // Off Odesa, then 10 s later 150 km south-east: 29,000 knots.
    let t = 1_795_000_000;
    let file = dir.path().join("recorded.nmea");
    std::fs::write(&file, format!("{}\n{}\n", at(46.0, 30.9, t), at(45.0, 32.0, t + 10))).unwrap();
    let config = AisConfig { files: vec![file], ..AisConfig::default() };
    let tracks = Tracks::start(&n);
    let sea_air = SeaAir::start(&n, &tracks, None, truce_detect::Config::default()).unwrap();
    let _feed = ais::start(&config, &sea_air).await.unwrap().expect("an input");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = tokio::time::timeout_at(deadline, events.recv()).await.expect("a detection in 20 s");
        if let Delivery::Event(e) = got
            && let EventKind::Detection(d) = &e.event.kind
        {
            assert_eq!(d.detector, truce_detect::Detector::SpoofJump, "{}", d.summary);
            assert_eq!(d.tracks, [(truce_detect::Kind::Vessel, MMSI)]);
            assert_eq!(d.evidence.len(), 2, "the two fixes of the jump");
            let wire: serde_json::Value = serde_json::from_str(&e.event.to_json()).unwrap();
            assert_eq!(wire["type"], "detection");
            assert_eq!(wire["detection"]["detector"], "spoof_jump", "{wire}");
            return;
        }
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beast_frames_and_sbs_lines_from_receivers_become_aircraft_and_a_7700_a_detection() {
    use truce_node::sources::adsb::{self, AdsbConfig};
    let dir = tempfile::tempdir().unwrap();
    let n = node(&dir.path().join("store"));
    let mut events = n.bus.subscribe(truce_access::Access::all());
    let beast = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sbs = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = AdsbConfig {
        beast: vec![beast.local_addr().unwrap().to_string()],
        sbs: vec![sbs.local_addr().unwrap().to_string()],
        ..AdsbConfig::default()
    };
    let tracks = Tracks::start(&n);
    let sea_air = SeaAir::start(&n, &tracks, None, truce_detect::Config::default()).unwrap();
    let _feed = adsb::start(&config, &sea_air).await.unwrap().expect("inputs");

    // Beast: "The 1090 MHz Riddle"'s even/odd pair of 40621D, framed with an escaped 0x1a inside.
    let (mut b, _) = beast.accept().await.unwrap();
    let mut stream = Vec::new();
    for frame in ["8D40621D58C382D690C8AC2863A7", "8D40621D58C386435CC412692AD6"] {
        truce_adsb::beast::encode(truce_adsb::BeastKind::ModeSLong, 0x1a1a_0000_0001, 0x1a, &hex(frame), &mut stream);
    }
    for part in stream.chunks(5) {
        b.write_all(part).await.unwrap();
    }
    // SBS: a Polish airliner squawks 7700, then reports a position over the Black Sea.
    let (mut s, _) = sbs.accept().await.unwrap();
    let day = "2026/11/24,10:00:00.000,2026/11/24,10:00:00.000";
    let text = format!(
        "MSG,1,1,1,48AE21,1,{day},LOT3YK,,,,,,,,,,,\r\nMSG,6,1,1,48AE21,1,{day},,,,,,,,7700,0,1,0,0\r\n\
         MSG,3,1,1,48AE21,1,{day},,36000,,,44.5,31.2,,,0,1,0,0\r\n"
    );
    s.write_all(text.as_bytes()).await.unwrap();

    let (mut placed, mut squawked, mut detected) = (false, false, false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !(placed && squawked && detected) {
        let got = tokio::time::timeout_at(deadline, events.recv()).await.expect("both aircraft and the detection");
        let Delivery::Event(e) = got else { continue };
        match &e.event.kind {
            EventKind::Track(t) if t.uid == "icao-40621d" => {
                assert!((t.lat - 52.2658).abs() < 1e-3 && (t.lon - 3.9389).abs() < 1e-3, "{t:?}");
                assert_eq!((t.type_.as_str(), t.source.as_str()), ("a-n-A-C-F", "adsb"));
                assert!((t.hae - 38_000.0 * 0.3048).abs() < 1.0);
                placed = true;
            }
            EventKind::Track(t) if t.uid == "icao-48ae21" => {
                assert_eq!(t.callsign.as_deref(), Some("LOT3YK"));
                assert!(t.xml.contains("squawk 7700") && t.xml.contains("registered PL"), "{}", t.xml);
                squawked = true;
            }
            EventKind::Detection(d) => {
                assert_eq!(d.detector, truce_detect::Detector::EmergencySquawk, "{}", d.summary);
                assert_eq!(d.tracks, [(truce_detect::Kind::Aircraft, 0x48ae21)]);
                detected = true;
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tak_device_gets_a_vessel_as_cot_at_most_once_per_interval() {
    use tokio::io::AsyncReadExt;
    use truce_node::sources::tak::{self, TakConfig};
    let dir = tempfile::tempdir().unwrap();
    let n = node(&dir.path().join("store"));
    let tak_config = TakConfig {
        tcp: Listen::At("127.0.0.1:0".parse().unwrap()),
        udp: Listen::Off,
        tls: Some(Listen::Off),
        ..TakConfig::default()
    };
    let tracks = Tracks::start(&n);
    let tak = tak::start(&n, &tak_config, dir.path(), &tracks).await.unwrap().expect("a listener");
    let mut device = tokio::net::TcpStream::connect(tak.tcp_addr().expect("tcp")).await.unwrap();
    let sea_air = SeaAir::start(&n, &tracks, Some(tak.handle()), truce_detect::Config::default()).unwrap();
    let receiver = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let config = AisConfig { connect: vec![receiver.local_addr().unwrap().to_string()], ..AisConfig::default() };
    let _feed = ais::start(&config, &sea_air).await.unwrap().expect("an input");
    let (mut s, _) = receiver.accept().await.unwrap();
    // Five reports of the vessel a second apart, then another vessel: the device gets the first report of
    // each and none of the four that follow within the interval.
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut text = String::new();
    for i in 0..5 {
        text += &at(46.0 + f64::from(i) * 0.001, 30.9, now - 5 + i64::from(i));
        text += "\n";
    }
    let other = Position {
        mmsi: 272_000_001,
        status: 0,
        lat: 46.2,
        lon: 30.8,
        speed_kn: None,
        course_deg: None,
        heading_deg: None,
        second: 0,
    };
    text += &encode::position(&other, Tag { time: Some(now), station: None });
    text += "\n";
    s.write_all(text.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65_536];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !String::from_utf8_lossy(&got).contains("uid=\"ais-272000001\"") {
        let read =
            tokio::time::timeout_at(deadline, device.read(&mut buf)).await.expect("both vessels within 20 s").unwrap();
        assert!(read > 0, "the server closed the connection");
        got.extend_from_slice(&buf[..read]);
    }
    let text = String::from_utf8_lossy(&got);
    assert_eq!(text.matches(&format!("<event version=\"2.0\" uid=\"ais-{MMSI}\"")).count(), 1, "{text}");
    assert!(text.contains("type=\"a-n-S-X\"") && text.contains("how=\"m-g\""), "{text}");
    assert!(text.contains(&format!("MMSI {MMSI}, flag RU")), "the remarks: {text}");
}
