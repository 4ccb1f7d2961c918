//! The batched stream (`GET /api/v1/stream?batch=1`) against the plain one, on one server: the same
//! events, grouped into `{"type": "batch", "messages": [...]}`, with at most one position of a track
//! uid per batch, the latest one always delivered, and every observation and geofence event kept, in
//! order.

use std::io::Write;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::util::serve;

type Ws = tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>;

/// A friendly SA of `uid` at `lat`, 35.6 E (30 km from the line at 47.76: inside the stand-off).
fn sa(uid: &str, lat: f64) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    let now = OffsetDateTime::now_utc();
    let t = now.format(&f).unwrap();
    let stale = (now + time::Duration::minutes(5)).format(&f).unwrap();
    format!(
        "<event version=\"2.0\" uid=\"{uid}\" type=\"a-f-G-U-C\" how=\"m-g\" time=\"{t}\" start=\"{t}\" stale=\"{stale}\">\
         <point lat=\"{lat}\" lon=\"35.6\" hae=\"50\" ce=\"5\" le=\"5\"/><detail><contact callsign=\"{uid}\" endpoint=\"*:-1:stcp\"/>\
         <__group name=\"Cyan\" role=\"Team Member\"/></detail></event>"
    )
}

fn with_timeout(ws: Ws) -> Ws {
    if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = ws.get_ref() {
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
    }
    ws
}

/// Reads the batched stream until `done` holds for the messages so far; returns the batches.
fn batches_until(ws: &mut Ws, done: impl Fn(&[Value]) -> bool) -> Vec<Vec<Value>> {
    let mut batches = Vec::new();
    let mut all = Vec::new();
    while !done(&all) {
        let text = ws.read().unwrap_or_else(|e| panic!("a batch ({e}); so far {all:?}")).into_text().unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["type"], "batch", "{text}");
        let messages = v["messages"].as_array().unwrap().clone();
        assert!(!messages.is_empty(), "an empty batch: {text}");
        all.extend(messages.iter().cloned());
        batches.push(messages);
    }
    batches
}

/// Reads the plain stream until `done` holds for the messages so far; returns them.
fn messages_until(ws: &mut Ws, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut all = Vec::new();
    while !done(&all) {
        let text = ws.read().unwrap_or_else(|e| panic!("a message ({e}); so far {all:?}")).into_text().unwrap();
        all.push(serde_json::from_str(&text).unwrap());
    }
    all
}

/// The live picture (`GET /api/v1/tracks`), its tracks.
fn get_live(s: &crate::util::Server) -> Vec<Value> {
    let (status, v) = s.json("GET", "/api/v1/tracks", b"");
    assert_eq!(status, 200, "{v}");
    v["tracks"].as_array().unwrap().clone()
}

#[test]
fn a_batched_stream_carries_every_event_and_the_latest_position_of_each_track() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(dir.path(), &["--tak-tcp", "127.0.0.1:0", "--tak-udp", "off"]);
    let token = s.token();
    let mut plain = with_timeout(s.stream_as(token.as_deref()).unwrap());
    let mut batched = with_timeout(s.stream_query_as(token.as_deref(), "batch=1").unwrap());
    assert!(with_timeout(s.stream_query_as(token.as_deref(), "batch=0").unwrap()).can_read());
    for bad in ["batch=2", "batch=yes", "batch="] {
        match s.stream_query_as(token.as_deref(), bad) {
            Err(tungstenite::Error::Http(r)) => assert_eq!(r.status(), 400, "{bad}"),
            other => panic!("{bad}: {:?}", other.map(|_| "opened")),
        }
    }

    // Observations and positions of one track interleaved, then a last position.
    let mut tak = std::net::TcpStream::connect(s.tak_addr("tcp")).unwrap();
    let time = (OffsetDateTime::now_utc() - time::Duration::minutes(1)).format(&Rfc3339).unwrap();
    const N: usize = 20;
    // Three decimals, as a device would send them (the server keeps what it was sent, not our float noise).
    let lat = |i: usize| format!("{:.3}", 47.76 + i as f64 * 0.001).parse::<f64>().unwrap();
    for i in 0..N {
        let obs = json!({"id": format!("obs-{i}"), "time": time, "category": "muzzle_flash", "lat": 47.9,
            "lon": 37.5, "releasable_to": ["PUBLIC"]});
        assert_eq!(s.http("POST", "/api/v1/observations", obs.to_string().as_bytes()).0, 201);
        tak.write_all(sa("mover", lat(i)).as_bytes()).unwrap();
    }
    let last = lat(N - 1);
    let ids = |ms: &[Value]| -> Vec<String> {
        ms.iter().filter_map(|m| m["observation"]["id"].as_str()).map(str::to_owned).collect()
    };
    let has_last = |ms: &[Value]| ms.iter().any(|m| m["track"]["uid"] == "mover" && m["track"]["lat"] == last);
    let complete = |ms: &[Value]| ids(ms).len() == N && has_last(ms);

    let batches = batches_until(&mut batched, complete);
    let flat: Vec<Value> = batches.iter().flatten().cloned().collect();
    let expected: Vec<String> = (0..N).map(|i| format!("obs-{i}")).collect();
    assert_eq!(ids(&flat), expected, "every observation, in order");
    for b in &batches {
        let movers = b.iter().filter(|m| m["track"]["uid"] == "mover").count();
        assert!(movers <= 1, "one position of a uid per batch: {b:?}");
        assert!(b.iter().all(|m| m["type"] != "batch"), "no batch inside a batch");
    }
    let geofence = |ms: &[Value]| ms.iter().filter(|m| m["type"] == "geofence").cloned().collect::<Vec<_>>();
    let fenced = geofence(&flat);
    assert_eq!(fenced.len(), 1, "the track's first sighting inside the stand-off: {flat:?}");
    assert_eq!(
        (fenced[0]["geofence"]["uid"].as_str(), fenced[0]["geofence"]["kind"].as_str()),
        (Some("mover"), Some("inside"))
    );
    // Each position and geofence event carries its label (an anonymous device's: public) and the
    // early-warning sector of its position, as the live picture's REST form does, so that a page
    // filters what arrives live as a reload would.
    let sectors = crate::util::shipped_sectors();
    let mut sectored = 0;
    for m in flat.iter().filter(|m| m["type"] == "track" || m["type"] == "geofence") {
        let e = &m[m["type"].as_str().unwrap()];
        assert_eq!((&e["marking"], &e["releasable_to"]), (&json!("NATO UNCLASSIFIED"), &json!(["PUBLIC"])), "{m}");
        let expected = crate::util::sector_of(&sectors, e["lat"].as_f64().unwrap(), e["lon"].as_f64().unwrap());
        assert_eq!(e["sector"].as_str(), expected.as_deref(), "{m}");
        sectored += usize::from(expected.is_some());
    }
    assert!(sectored > 0, "the mover is in a sector: {flat:?}");
    let live = get_live(&s);
    let mover = live.iter().find(|t| t["uid"] == "mover").unwrap_or_else(|| panic!("the mover in {live:?}"));
    let sector = mover["sector"].as_str().expect("the live picture gives the mover's sector").to_owned();
    assert_eq!(Some(sector.clone()), crate::util::sector_of(&sectors, last, 35.6));
    assert_eq!((&mover["marking"], &mover["releasable_to"]), (&json!("NATO UNCLASSIFIED"), &json!(["PUBLIC"])));
    // The live picture's filters: the sector, the area, the classification and releasability.
    let other = sectors.sectors.iter().find(|x| x.id != sector).unwrap().id.clone();
    for (query, kept) in [
        (format!("sector={sector}"), true),
        (format!("sector={other}"), false),
        ("bbox=35.5,47.7,35.7,47.9".to_owned(), true),
        ("bbox=36,47.7,37,47.9".to_owned(), false),
        ("polygon=35.5,47.7;35.7,47.7;35.7,47.9".to_owned(), true),
        (format!("near={last},35.6,1"), true),
        ("near=47.0,35.6,1".to_owned(), false),
        ("marking=0".to_owned(), true),
        ("marking=1,2".to_owned(), false),
        ("nation=JPN".to_owned(), true),
        ("nation=JPN&marking=1".to_owned(), false),
        ("means=tak_device".to_owned(), true),
        ("means=ship,aircraft".to_owned(), false),
    ] {
        let (status, v) = s.json("GET", &format!("/api/v1/tracks?{query}"), b"");
        assert_eq!(status, 200, "{query}: {v}");
        let has = v["tracks"].as_array().unwrap().iter().any(|t| t["uid"] == "mover");
        assert_eq!(has, kept, "{query}: {v}");
    }
    // Positions arrive in the order they were published: none older than one before it.
    let lats: Vec<f64> =
        flat.iter().filter(|m| m["type"] == "track").map(|m| m["track"]["lat"].as_f64().unwrap()).collect();
    assert!(lats.windows(2).all(|w| w[0] < w[1]), "{lats:?}");

    // The plain stream is unchanged: one message per event, the same observations and geofence event,
    // and every published position (the batched form has a subset of them, ending at the same one).
    let all = messages_until(&mut plain, complete);
    assert!(all.iter().all(|m| m["type"] != "batch"));
    assert_eq!(ids(&all), expected);
    assert_eq!(geofence(&all), fenced);
    let plain_lats: Vec<f64> =
        all.iter().filter(|m| m["type"] == "track").map(|m| m["track"]["lat"].as_f64().unwrap()).collect();
    assert!(lats.iter().all(|l| plain_lats.contains(l)) && plain_lats.len() >= lats.len(), "{plain_lats:?} ⊇ {lats:?}");
}
