//! The server over real sockets: routing, picture, negotiation, robustness, UDP and TLS.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use truce_cot::Event;
use truce_cot::frame::{self, FrameDecoder};
use truce_cot::xml::{XmlLimits, XmlStreamDecoder, parse_event, to_xml};
use truce_tak::{Config, Limits, Received, StatsSnapshot, TakHandle, TakServer};

const WAIT: Duration = Duration::from_secs(10);

fn iso(t: OffsetDateTime) -> String {
    truce_cot::event::format_time(t)
}

/// A CoT event of `type_` from `uid`, stale in `stale_s` seconds, with optional extra detail.
fn event(uid: &str, type_: &str, callsign: &str, group: &str, stale_s: i64, extra: &str) -> String {
    event_at(OffsetDateTime::now_utc(), uid, type_, callsign, group, stale_s, extra)
}

/// Like [`event`], generated at `now`.
fn event_at(
    now: OffsetDateTime,
    uid: &str,
    type_: &str,
    callsign: &str,
    group: &str,
    stale_s: i64,
    extra: &str,
) -> String {
    let stale = now + time::Duration::seconds(stale_s);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><event version=\"2.0\" uid=\"{uid}\" type=\"{type_}\" how=\"m-g\" \
         time=\"{t}\" start=\"{t}\" stale=\"{s}\"><point lat=\"48.5\" lon=\"35.1\" hae=\"10\" ce=\"5\" le=\"5\"/>\
         <detail><contact callsign=\"{callsign}\" endpoint=\"*:-1:stcp\"/><__group name=\"{group}\" role=\"Team Member\"/>{extra}</detail></event>",
        t = iso(now),
        s = iso(stale)
    )
}

fn sa(uid: &str, callsign: &str, group: &str) -> String {
    event(uid, "a-f-G-U-C", callsign, group, 120, "")
}

struct Server {
    server: TakServer,
    received: mpsc::Receiver<Received>,
}

impl Server {
    async fn start(limits: Limits) -> Server {
        let (tx, received) = mpsc::channel(100_000);
        let config = Config {
            tcp: Some("127.0.0.1:0".parse().unwrap()),
            udp: Some("127.0.0.1:0".parse().unwrap()),
            limits,
            server_uid: "truce-test".into(),
            ..Config::default()
        };
        Server { server: TakServer::start(config, tx).await.unwrap(), received }
    }

    fn handle(&self) -> TakHandle {
        self.server.handle()
    }

    async fn client(&self) -> Client {
        Client::connect(self.server.tcp_addr.unwrap()).await
    }

    /// Waits until the counters satisfy `ok`.
    async fn until(&self, what: &str, ok: impl Fn(&StatsSnapshot) -> bool) -> StatsSnapshot {
        let h = self.handle();
        tokio::time::timeout(WAIT, async {
            loop {
                let s = h.stats();
                if ok(&s) {
                    return s;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("waiting for {what}: {:?}", h.stats()))
    }
}

/// A raw CoT client: XML until it negotiates TAK protocol v1.
struct Client {
    stream: TcpStream,
    xml: XmlStreamDecoder,
    tak: Option<FrameDecoder>,
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut c = Client { stream, xml: XmlStreamDecoder::new(XmlLimits::default()), tak: None };
        let offer = c.next().await.expect("the server's offer");
        assert_eq!(offer.type_, frame::OFFER_TYPE);
        c
    }

    async fn send(&mut self, xml: &str) {
        self.stream.write_all(xml.as_bytes()).await.unwrap();
    }

    /// The next event, or `None` when the server closed the connection.
    async fn next(&mut self) -> Option<Event> {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(t) = &mut self.tak {
                if let Some(m) = t.next_message() {
                    let m = m.unwrap();
                    if let Some(ev) = truce_cot::tak::event_from_message(&m, &XmlLimits::default()).unwrap() {
                        return Some(ev);
                    }
                    continue;
                }
            } else if let Some(ev) = self.xml.next_event() {
                return Some(ev.unwrap());
            }
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut buf)).await.expect("an event in time").ok()?;
            if n == 0 {
                return None;
            }
            match &mut self.tak {
                Some(t) => t.push(&buf[..n]),
                None => self.xml.push(&buf[..n]),
            }
        }
    }

    /// The next event of `type_`, skipping others.
    async fn next_of(&mut self, type_: &str) -> Event {
        loop {
            let ev = self.next().await.expect("connection open");
            if ev.type_ == type_ {
                return ev;
            }
        }
    }

    /// Negotiates TAK protocol v1 (after the offer was read).
    async fn negotiate(&mut self) {
        let req = frame::request_event("neg", OffsetDateTime::now_utc(), 1);
        self.send(&to_xml(&req)).await;
        let resp = self.next_of(frame::RESPONSE_TYPE).await;
        assert_eq!(frame::parse_response(&resp), Some(Ok(true)));
        let rest = std::mem::replace(&mut self.xml, XmlStreamDecoder::new(XmlLimits::default())).into_remaining();
        self.tak = Some(FrameDecoder::with_initial(64 * 1024, rest));
    }

    async fn send_tak(&mut self, xml: &str) {
        let ev = parse_event(xml.as_bytes()).unwrap();
        let m = truce_cot::tak::event_to_message(&ev).unwrap();
        self.stream.write_all(&frame::encode_stream_frame(&m)).await.unwrap();
    }
}

#[tokio::test]
async fn broadcast_reaches_everyone_else_and_never_the_sender() {
    let s = Server::start(Limits::default()).await;
    let mut a = s.client().await;
    let mut b = s.client().await;
    let mut c = s.client().await;
    s.until("3 clients", |st| st.clients == 3).await;
    a.send(&sa("A", "ALPHA", "Cyan")).await;
    assert_eq!(b.next().await.unwrap().uid, "A");
    assert_eq!(c.next().await.unwrap().uid, "A");
    // B answers; A's next event must be B's, not an echo of its own.
    b.send(&sa("B", "BRAVO", "Cyan")).await;
    assert_eq!(a.next().await.unwrap().uid, "B");
    assert_eq!(c.next().await.unwrap().uid, "B");
    let st = s.handle().stats();
    assert_eq!(st.events_in, 2);
    let mut received = s.received;
    let first = received.recv().await.unwrap();
    assert_eq!(first.event.uid, "A");
    assert_eq!(first.source.identity, "ALPHA");
    assert_eq!(first.source.group.as_deref(), Some("Cyan"));
}

#[tokio::test]
async fn a_client_that_joins_gets_the_picture_without_stale_or_chat() {
    let s = Server::start(Limits::default()).await;
    let mut a = s.client().await;
    a.send(&sa("A", "ALPHA", "Cyan")).await;
    a.send(&event("M-1", "a-h-G-E-W-H", "ALPHA", "Cyan", 600, "")).await;
    let an_hour_ago = OffsetDateTime::now_utc() - time::Duration::hours(1);
    a.send(&event_at(an_hour_ago, "OLD", "a-u-G", "ALPHA", "Cyan", 60, "")).await;
    a.send(&event("GeoChat.A.All.1", "b-t-f", "ALPHA", "Cyan", 600, "<remarks>hello</remarks>")).await;
    a.send(&sa("A", "ALPHA", "Cyan").replace("lat=\"48.5\"", "lat=\"48.6\"")).await;
    s.until("5 events", |st| st.events_in == 5).await;
    let mut late = s.client().await;
    let first = late.next().await.unwrap();
    let second = late.next().await.unwrap();
    let mut uids = [first.uid.clone(), second.uid.clone()];
    uids.sort();
    assert_eq!(uids, ["A", "M-1"]);
    let a_now = if first.uid == "A" { first } else { second };
    assert_eq!(a_now.point.lat, 48.6, "the latest event of each uid");
    // Nothing else follows: the next thing the late client sees is new traffic.
    a.send(&event("M-2", "a-h-G", "ALPHA", "Cyan", 600, "")).await;
    assert_eq!(late.next().await.unwrap().uid, "M-2");
}

#[tokio::test]
async fn directed_messages_reach_only_the_named_callsign_or_uid() {
    let s = Server::start(Limits::default()).await;
    let mut a = s.client().await;
    let mut b = s.client().await;
    let mut c = s.client().await;
    a.send(&sa("A", "ALPHA", "Cyan")).await;
    b.send(&sa("B", "BRAVO", "Cyan")).await;
    c.send(&sa("C", "CHARLIE", "Cyan")).await;
    s.until("3 SAs", |st| st.events_in == 3).await;
    let chat = event(
        "GeoChat.A.BRAVO.1",
        "b-t-f",
        "ALPHA",
        "Cyan",
        600,
        "<remarks>to bravo</remarks><marti><dest callsign=\"BRAVO\"/></marti>",
    );
    a.send(&chat).await;
    let by_uid = event("D-2", "a-u-G", "ALPHA", "Cyan", 600, "<marti><dest uid=\"C\"/></marti>");
    a.send(&by_uid).await;
    let broadcast = event("M-3", "a-h-G", "ALPHA", "Cyan", 600, "");
    a.send(&broadcast).await;
    // B: its chat, then the broadcast; C: the uid-directed one, then the broadcast.
    assert_eq!(b.next_of("b-t-f").await.detail.remarks.unwrap().text, "to bravo");
    assert_eq!(b.next_of("a-h-G").await.uid, "M-3");
    let c_next = c.next_of("a-u-G").await;
    assert_eq!(c_next.uid, "D-2");
    let c_after = loop {
        let ev = c.next().await.unwrap();
        assert_ne!(ev.type_, "b-t-f", "C must not see B's chat");
        if ev.uid == "M-3" {
            break ev;
        }
    };
    assert_eq!(c_after.uid, "M-3");
}

#[tokio::test]
async fn group_channels_separate_teams() {
    let s = Server::start(Limits::default()).await;
    let mut cyan1 = s.client().await;
    let mut cyan2 = s.client().await;
    let mut red = s.client().await;
    cyan1.send(&sa("C1", "C1", "Cyan")).await;
    cyan2.send(&sa("C2", "C2", "Cyan")).await;
    red.send(&sa("R1", "R1", "Red")).await;
    s.until("3 SAs", |st| st.events_in == 3).await;
    cyan1.send(&event("CM", "a-h-G", "C1", "Cyan", 600, "")).await;
    red.send(&event("RM", "a-h-G", "R1", "Red", 600, "")).await;
    s.until("5 events", |st| st.events_in == 5).await;
    // A server event reaches everyone: it is the sentinel after which nothing else may have come.
    s.handle()
        .publish(parse_event(event("SENTINEL", "b-a-g", "truce", "", 600, "").as_bytes()).unwrap(), Default::default());
    // Cyan 2 saw C1's SA and marker, never Red's; Red saw none of Cyan's.
    let mut cyan2_saw = Vec::new();
    loop {
        let ev = cyan2.next().await.unwrap();
        if ev.uid == "SENTINEL" {
            break;
        }
        cyan2_saw.push(ev.uid);
    }
    assert!(cyan2_saw.contains(&"CM".to_owned()), "{cyan2_saw:?}");
    assert!(!cyan2_saw.iter().any(|u| u.starts_with('R')), "{cyan2_saw:?}");
    let mut red_saw = Vec::new();
    loop {
        let ev = red.next().await.unwrap();
        if ev.uid == "SENTINEL" {
            break;
        }
        red_saw.push(ev.uid);
    }
    // (Red may have seen the Cyan SAs sent before its own SA told the server its team.)
    assert!(!red_saw.contains(&"CM".to_owned()), "{red_saw:?}");
}

/// What a server's `routed` hook was told: (the XML, the label, the team).
type Relayed = (Vec<u8>, truce_core::Label, Option<String>);

#[tokio::test]
async fn what_one_server_routes_another_relays_as_a_local_clients_message() {
    // Server A tells its hook of every routed message; server B is handed them (as a cluster's node
    // would be) and has a hook of its own, which must hear nothing of what it relays.
    let (tx, mut from_a) = mpsc::unbounded_channel::<Relayed>();
    let hook = |tx: mpsc::UnboundedSender<Relayed>| -> truce_tak::RoutedHook {
        Arc::new(move |r: truce_tak::Routed<'_>| {
            let _ = tx.send((r.xml.to_vec(), r.label.clone(), r.group.map(str::to_owned)));
        })
    };
    let start = |routed: truce_tak::RoutedHook| async move {
        let (received_tx, received) = mpsc::channel(100);
        let config = Config {
            tcp: Some("127.0.0.1:0".parse().unwrap()),
            server_uid: "truce-test".into(),
            routed: Some(routed),
            ..Config::default()
        };
        Server { server: TakServer::start(config, received_tx).await.unwrap(), received }
    };
    let a = start(hook(tx)).await;
    let (b_tx, mut from_b) = mpsc::unbounded_channel::<Relayed>();
    let mut b = start(hook(b_tx)).await;
    let mut alpha = a.client().await;
    let (mut bravo, mut charlie, mut red) = (b.client().await, b.client().await, b.client().await);
    bravo.send(&sa("B", "BRAVO", "Cyan")).await;
    charlie.send(&sa("C", "CHARLIE", "Cyan")).await;
    red.send(&sa("R", "ROMEO", "Red")).await;
    b.until("3 SAs", |st| st.events_in == 3).await;
    for _ in 0..3 {
        from_b.recv().await.unwrap();
    }
    let mut relay = async || {
        let (xml, label, group) = from_a.recv().await.unwrap();
        b.handle().relay(parse_event(&xml).unwrap(), label, group);
    };
    // A position, a chat to BRAVO and a marker from ALPHA (Cyan) on A.
    alpha.send(&sa("A", "ALPHA", "Cyan")).await;
    alpha
        .send(&event("GeoChat.A.BRAVO.1", "b-t-f", "ALPHA", "Cyan", 600, "<marti><dest callsign=\"BRAVO\"/></marti>"))
        .await;
    alpha.send(&event("M-1", "a-h-G", "ALPHA", "Cyan", 600, "")).await;
    for _ in 0..3 {
        relay().await;
    }
    // A server event reaches everyone: the sentinel after which nothing else may come.
    b.handle()
        .publish(parse_event(event("SENTINEL", "b-a-g", "truce", "", 600, "").as_bytes()).unwrap(), Default::default());
    // BRAVO: ALPHA's position, the chat, the marker; CHARLIE the same without the chat; ROMEO of the
    // Red team none of it.
    // (Each may have heard the SAs on B sent before its own told the server its team.)
    let from_alpha = |uids: Vec<String>| -> Vec<String> {
        uids.into_iter().filter(|u| !["B", "C", "R"].contains(&u.as_str())).collect()
    };
    assert_eq!(from_alpha(uids_until_sentinel(&mut bravo).await), ["A", "GeoChat.A.BRAVO.1", "M-1"]);
    assert_eq!(from_alpha(uids_until_sentinel(&mut charlie).await), ["A", "M-1"]);
    assert_eq!(from_alpha(uids_until_sentinel(&mut red).await), Vec::<String>::new());
    // A client that joins B gets the relayed position and marker in its picture (with B's own three
    // SAs and the sentinel).
    let mut late = b.client().await;
    let mut picture = Vec::new();
    for _ in 0..6 {
        picture.push(late.next().await.unwrap().uid);
    }
    picture.sort();
    assert_eq!(picture, ["A", "B", "C", "M-1", "R", "SENTINEL"]);
    // What B relayed was not routed there by a client: neither its hook nor its application heard it.
    assert_eq!(b.handle().stats().relayed_in, 3);
    assert!(from_b.try_recv().is_err(), "B's hook is told only of its own clients' messages");
    let mut uids = Vec::new();
    while let Ok(r) = b.received.try_recv() {
        uids.push(r.event.uid.clone());
    }
    assert_eq!(uids, ["B", "C", "R"], "B's application gets only its own clients' messages");
}

/// The uids of the events a client receives up to the server's `SENTINEL`.
async fn uids_until_sentinel(c: &mut Client) -> Vec<String> {
    let mut uids = Vec::new();
    loop {
        let ev = c.next().await.unwrap();
        if ev.uid == "SENTINEL" {
            return uids;
        }
        uids.push(ev.uid);
    }
}

#[tokio::test]
async fn tak_protocol_v1_clients_and_xml_clients_talk_to_each_other() {
    let s = Server::start(Limits::default()).await;
    let mut xml = s.client().await;
    let mut tak = s.client().await;
    tak.negotiate().await;
    s.until("negotiated", |st| st.negotiated_tak1 == 1).await;
    let remarks = "<remarks>über &amp; more</remarks><vendor:x xmlns:vendor=\"urn:v\" k=\"1\"><y/></vendor:x>";
    tak.send_tak(&event("T", "a-f-G-U-C", "TANGO", "Cyan", 120, remarks)).await;
    let got = xml.next().await.unwrap();
    assert_eq!(got.uid, "T");
    assert_eq!(got.detail.remarks.unwrap().text, "über & more");
    assert_eq!(
        got.detail.unknown,
        ["<vendor:x xmlns:vendor=\"urn:v\" k=\"1\"><y/></vendor:x>"],
        "unknown detail untouched"
    );
    xml.send(&event("X", "a-f-G-U-C", "XRAY", "Cyan", 120, remarks)).await;
    let got = tak.next().await.unwrap();
    assert_eq!(got.uid, "X");
    assert_eq!(got.detail.unknown, ["<vendor:x xmlns:vendor=\"urn:v\" k=\"1\"><y/></vendor:x>"]);
}

#[tokio::test]
async fn a_refused_version_keeps_the_client_on_xml() {
    let s = Server::start(Limits::default()).await;
    let mut c = s.client().await;
    c.send(&to_xml(&frame::request_event("neg", OffsetDateTime::now_utc(), 7))).await;
    let resp = c.next_of(frame::RESPONSE_TYPE).await;
    assert_eq!(frame::parse_response(&resp), Some(Ok(false)));
    let mut other = s.client().await;
    c.send(&sa("C", "CHARLIE", "Cyan")).await;
    assert_eq!(other.next().await.unwrap().uid, "C", "still XML after a refused request");
}

#[tokio::test]
async fn pings_are_answered_not_routed() {
    let s = Server::start(Limits::default()).await;
    let mut a = s.client().await;
    let mut b = s.client().await;
    a.send(&event("A-ping", "t-x-c-t", "ALPHA", "Cyan", 20, "")).await;
    assert_eq!(a.next().await.unwrap().type_, "t-x-c-t-r");
    a.send(&sa("A", "ALPHA", "Cyan")).await;
    assert_eq!(b.next().await.unwrap().uid, "A", "B never saw the ping");
    assert_eq!(s.handle().stats().events_in, 1);
}

/// What real clients send and TAK Server routes is routed unchanged: an event without `how` (iTAK's
/// UAS telemetry), `NaN` for an unknown height and errors (ATAK's file-transfer acknowledgements), an
/// empty `access`; a message addressed to a mission reaches no device and is counted.
#[tokio::test]
async fn real_clients_quirks_are_routed_and_mission_traffic_is_not_broadcast() {
    let s = Server::start(Limits::default()).await;
    let mut a = s.client().await;
    let mut b = s.client().await;
    let quirky = event("UAS-1", "a-f-A-M-F-Q", "UAS", "Cyan", 60, "<vendor:x xmlns:vendor=\"urn:x\"/>")
        .replace(" how=\"m-g\"", " access=\"\"")
        .replace("hae=\"10\" ce=\"5\" le=\"5\"", "hae=\"NaN\" ce=\"NaN\" le=\"NaN\"");
    a.send(&quirky).await;
    let got = b.next().await.unwrap();
    assert_eq!((got.uid.as_str(), got.how.as_str(), got.access.as_deref()), ("UAS-1", "", Some("")));
    let unknown = truce_cot::event::UNKNOWN_ERROR;
    assert_eq!((got.point.hae, got.point.ce, got.point.le), (unknown, unknown, unknown));
    assert_eq!(got.detail.unknown, ["<vendor:x xmlns:vendor=\"urn:x\"/>"], "the detail as sent");
    // Addressed to a mission: nobody gets it; the next broadcast is what B reads next.
    a.send(&event("MSN-1", "b-t-f", "ALPHA", "Cyan", 60, "<marti><dest mission=\"ops\"/></marti>")).await;
    a.send(&event("ALL-1", "a-h-G", "ALPHA", "Cyan", 60, "")).await;
    assert_eq!(b.next().await.unwrap().uid, "ALL-1", "the mission message was not broadcast");
    let st = s.until("the mission message counted", |st| st.undelivered_mission == 1).await;
    assert_eq!(st.events_in, 3);
}

/// An event addressed to a mission reaches the devices subscribed to it and nobody else; a mission
/// change sent to a set of uids reaches exactly those devices; the contacts list shows who announced
/// themselves.
#[tokio::test]
async fn mission_traffic_reaches_the_subscribers_only() {
    let s = Server::start(Limits::default()).await;
    let mut a = s.client().await;
    let mut b = s.client().await;
    let mut c = s.client().await;
    b.send(&sa("B", "BRAVO", "Cyan")).await;
    c.send(&sa("C", "CHARLIE", "Cyan")).await;
    // A hears both announcements, so the server has learnt both uids.
    let mut heard = vec![a.next().await.unwrap().uid, a.next().await.unwrap().uid];
    heard.sort();
    assert_eq!(heard, ["B", "C"]);
    assert_eq!(b.next().await.unwrap().uid, "C");
    assert_eq!(c.next().await.unwrap().uid, "B");
    s.handle().set_subscribed("ops", "B", true);
    a.send(&event("MSN-2", "b-t-f", "ALPHA", "Cyan", 60, "<marti><dest mission=\"ops\"/></marti>")).await;
    a.send(&event("ALL-2", "a-h-G", "ALPHA", "Cyan", 60, "")).await;
    assert_eq!(b.next().await.unwrap().uid, "MSN-2", "the subscriber gets the mission's message");
    assert_eq!(b.next().await.unwrap().uid, "ALL-2");
    assert_eq!(c.next().await.unwrap().uid, "ALL-2", "a device not subscribed does not");
    let st = s.until("one mission event", |st| st.mission_events == 1).await;
    assert_eq!(st.undelivered_mission, 0);
    // Unsubscribed: the next one reaches nobody.
    s.handle().set_subscribed("ops", "B", false);
    a.send(&event("MSN-3", "b-t-f", "ALPHA", "Cyan", 60, "<marti><dest mission=\"ops\"/></marti>")).await;
    a.send(&event("ALL-3", "a-h-G", "ALPHA", "Cyan", 60, "")).await;
    assert_eq!(b.next().await.unwrap().uid, "ALL-3");
    assert_eq!(c.next().await.unwrap().uid, "ALL-3");
    s.until("one undelivered", |st| st.undelivered_mission == 1).await;

    let change = parse_event(event("CHG-1", "t-x-m-c", "server", "Cyan", 20, "").as_bytes()).unwrap();
    let only_c: std::collections::HashSet<String> = ["C".to_owned()].into();
    assert_eq!(s.handle().send_to_uids(change, truce_core::Label::unclassified(), &only_c), 1);
    assert_eq!(c.next().await.unwrap().uid, "CHG-1");
    let contacts = s.handle().contacts(&truce_access::Access::all());
    let listed: Vec<(&str, &str)> = contacts.iter().map(|c| (c.uid.as_str(), c.callsign.as_str())).collect();
    // A announced itself last as ALL-3 (an atom with a contact endpoint).
    assert_eq!(listed, [("ALL-3", "ALPHA"), ("B", "BRAVO"), ("C", "CHARLIE")]);
}

/// Rejections are counted by reason and by the field at fault (an unknown attribute's name, the
/// sender's choice, is not shown).
#[tokio::test]
async fn rejections_are_counted_by_reason_and_field() {
    let s = Server::start(Limits { max_errors: 100, ..Limits::default() }).await;
    let mut bad = s.client().await;
    let out_of_range = sa("R", "R", "Cyan").replace("lat=\"48.5\"", "lat=\"91\"");
    bad.send(&out_of_range).await;
    bad.send(&out_of_range).await;
    bad.send(&sa("S", "S", "Cyan").replace("uid=\"S\"", "uid=\"S\" color=\"red\"")).await;
    s.until("three rejections", |st| st.rejected_malformed == 3).await;
    let by: Vec<(String, String, u64)> =
        s.handle().rejections().into_iter().map(|r| (r.reason.to_owned(), r.field, r.count)).collect();
    assert_eq!(
        by,
        [("malformed".to_owned(), "point@lat".to_owned(), 2), ("malformed".to_owned(), "event@*".to_owned(), 1)]
    );
}

#[tokio::test]
async fn bad_input_is_counted_and_too_much_of_it_closes_the_connection() {
    let limits = Limits { max_message: 2048, max_errors: 3, ..Limits::default() };
    let s = Server::start(limits).await;
    let mut bad = s.client().await;
    let mut good = s.client().await;
    bad.send("<event version=\"2.0\" uid=\"x\"><point lat=\"91\"/></event>").await;
    s.until("malformed", |st| st.rejected_malformed == 1).await;
    bad.send(&format!("<event>{}</event>", "x".repeat(5000))).await;
    s.until("oversized", |st| st.rejected_oversized == 1).await;
    // Still connected and still heard after two bad messages.
    bad.send(&sa("B", "BAD", "Cyan")).await;
    assert_eq!(good.next().await.unwrap().uid, "B");
    for _ in 0..2 {
        bad.send("<event version=\"2.0\" uid=\"\u{1}\"></event>").await;
    }
    assert!(bad.next().await.is_none(), "closed after the fourth bad message");
    let st = s.until("closed", |st| st.closed_errors == 1 && st.clients == 1).await;
    assert_eq!(st.rejected_malformed, 3);
}

#[tokio::test]
async fn an_invalid_frame_after_negotiation_closes_only_that_connection() {
    let s = Server::start(Limits::default()).await;
    let mut tak = s.client().await;
    let mut other = s.client().await;
    tak.negotiate().await;
    tak.stream.write_all(&[0xBF, 0x05, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).await.unwrap();
    s.until("invalid protobuf", |st| st.rejected_invalid_protobuf == 1).await;
    tak.stream.write_all(&[0x00, 0x01]).await.unwrap();
    assert!(tak.next().await.is_none());
    s.until("closed", |st| st.clients == 1).await;
    let mut third = s.client().await;
    third.send(&sa("T", "T", "Cyan")).await;
    assert_eq!(other.next().await.unwrap().uid, "T");
}

#[tokio::test]
async fn a_client_that_stops_reading_never_delays_the_others_and_loses_only_old_positions() {
    let limits = Limits { queue_capacity: 256, rate_per_second: 1e6, burst: 1e6, ..Limits::default() };
    let s = Server::start(limits).await;
    // The stalled client never reads; its socket buffers fill, then its queue.
    let stalled = TcpStream::connect(s.server.tcp_addr.unwrap()).await.unwrap();
    let mut sender = s.client().await;
    let mut reader = s.client().await;
    s.until("3 clients", |st| st.clients == 3).await;
    // 18 MB in all: more than the stalled client's socket buffers and queue can hold. The sender
    // goes in rounds of 100 and the reader must get each round in full before the next is sent.
    let big = format!("<remarks>{}</remarks>", "p".repeat(3000));
    for round in 0..60 {
        let mut chunk = String::new();
        for i in 0..100 {
            chunk.push_str(&event(&format!("U{}", i % 10), "a-f-G-U-C", "S", "Cyan", 120, &big));
        }
        chunk.push_str(&event(&format!("CHAT-{round}"), "b-t-f", "S", "Cyan", 120, "<remarks>end of round</remarks>"));
        sender.stream.write_all(chunk.as_bytes()).await.unwrap();
        let mut positions = 0;
        loop {
            let ev = reader.next().await.unwrap();
            if ev.type_ == "b-t-f" {
                assert_eq!(ev.uid, format!("CHAT-{round}"));
                break;
            }
            positions += 1;
        }
        assert_eq!(positions, 100, "round {round}: the reading client got every position");
    }
    let st = s.until("drops", |st| st.dropped_same_uid > 0).await;
    assert_eq!(st.dropped_new + st.closed_stalled_queue, 0, "{st:?}");
    drop(stalled);
}

#[tokio::test]
async fn idle_connections_are_reaped() {
    let limits = Limits { idle_timeout: Duration::from_millis(300), ..Limits::default() };
    let s = Server::start(limits).await;
    let mut idle = s.client().await;
    s.until("connected", |st| st.clients == 1).await;
    assert!(idle.next().await.is_none(), "the server closed the idle connection");
    let st = s.until("reaped", |st| st.clients == 0).await;
    assert_eq!(st.closed_idle, 1);
}

#[tokio::test]
async fn floods_are_cut_and_the_connection_closed_when_they_go_on() {
    let limits = Limits { rate_per_second: 20.0, burst: 20.0, max_flood_drops: 100, ..Limits::default() };
    let s = Server::start(limits).await;
    let mut flood = s.client().await;
    let mut all = String::new();
    for i in 0..500 {
        all.push_str(&event(&format!("F{i}"), "a-h-G", "F", "Cyan", 120, ""));
    }
    flood.send(&all).await;
    assert!(flood.next().await.is_none(), "closed for flooding");
    let st = s.until("closed", |st| st.closed_flood == 1).await;
    assert!(st.events_in <= 25, "{st:?}");
    assert!(st.rejected_flood > 100, "{st:?}");
}

#[tokio::test]
async fn a_reconnect_storm_from_one_device_leaves_one_session() {
    let s = Server::start(Limits::default()).await;
    let mut kept = Vec::new();
    for _ in 0..50 {
        let mut c = s.client().await;
        c.send(&sa("PHONE-1", "ALPHA", "Cyan")).await;
        kept.push(c);
    }
    // Each new announcement of PHONE-1 replaced the previous session.
    let st = s.until("one session", |st| st.clients == 1).await;
    assert_eq!(st.closed_replaced, 49);
    for _ in 0..100 {
        let c = s.client().await;
        drop(c);
    }
    drop(kept);
    s.until("no session left", |st| st.clients == 0).await;
}

#[tokio::test]
async fn udp_mesh_and_xml_datagrams_reach_streaming_clients() {
    let s = Server::start(Limits::default()).await;
    let mut c = s.client().await;
    s.until("connected", |st| st.clients == 1).await;
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let to = s.server.udp_addr.unwrap();
    udp.send_to(sa("U-XML", "UX", "Cyan").as_bytes(), to).await.unwrap();
    let ev = parse_event(sa("U-MESH", "UM", "Cyan").as_bytes()).unwrap();
    let mesh = frame::encode_mesh(&truce_cot::tak::event_to_message(&ev).unwrap());
    udp.send_to(&mesh, to).await.unwrap();
    udp.send_to(b"\xBF\x01\xBF\xFF\xFF", to).await.unwrap();
    let mut uids = [c.next().await.unwrap().uid, c.next().await.unwrap().uid];
    uids.sort();
    assert_eq!(uids, ["U-MESH", "U-XML"]);
    s.until("rejected datagram", |st| st.rejected_invalid_protobuf == 1).await;
    let mut received = s.received;
    assert_eq!(received.recv().await.unwrap().source.transport, truce_tak::Transport::Udp);
}

#[tokio::test]
async fn tls_clients_are_known_by_their_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let certs = truce_pki::CertStore::new(dir.path());
    certs.init(&truce_pki::InitOptions::default()).unwrap();
    let alpha = certs.issue("ALPHA-1", &truce_pki::IssueOptions::default()).unwrap();
    let trust = certs.trust_material().unwrap();
    let revocations = certs.revocations().unwrap();
    let tls =
        truce_tak::tls_config(&trust.ca_cert_der, &trust.server_cert_der, &trust.server_key_der, revocations).unwrap();
    let (tx, mut received) = mpsc::channel(16);
    let config = Config {
        tls: Some(("127.0.0.1:0".parse().unwrap(), tls)),
        server_uid: "truce-test".into(),
        ..Config::default()
    };
    let server = TakServer::start(config, tx).await.unwrap();
    let addr = server.tls_addr.unwrap();
    let connector = client_tls(&trust.ca_cert_der, Some((&alpha.cert_der, &alpha.key_der)));
    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut stream = connector.connect("localhost".try_into().unwrap(), tcp).await.unwrap();
    stream.write_all(sa("A", "CONTACT-SAYS-SOMETHING-ELSE", "Cyan").as_bytes()).await.unwrap();
    let got = tokio::time::timeout(WAIT, received.recv()).await.unwrap().unwrap();
    assert_eq!(got.source.identity, "ALPHA-1", "the certificate's subject is the identity");
    assert_eq!(got.source.transport, truce_tak::Transport::Tls);
    // Without a certificate the handshake fails and nothing is served.
    let anonymous = client_tls(&trust.ca_cert_der, None);
    let tcp = TcpStream::connect(addr).await.unwrap();
    let outcome = async {
        let mut s = anonymous.connect("localhost".try_into().unwrap(), tcp).await?;
        let mut b = [0u8; 64];
        s.read(&mut b).await
    };
    let r = tokio::time::timeout(WAIT, outcome).await.unwrap();
    assert!(matches!(r, Err(_) | Ok(0)), "{r:?}");
    let h = server.handle();
    tokio::time::timeout(WAIT, async {
        while h.stats().tls_failed == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
}

fn client_tls(ca: &[u8], cert: Option<(&[u8], &[u8])>) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(ca.to_vec())).unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let config = match cert {
        Some((c, k)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(c.to_vec())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(k.to_vec())),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn a_client_that_sends_frames_without_negotiating_is_spoken_to_in_frames() {
    let s = Server::start(Limits::default()).await;
    let mut xml = s.client().await;
    let mut raw = s.client().await;
    // pytak with TAK_PROTO=1 streams frames straight away.
    raw.send_tak(&sa("P", "PYTAK", "Cyan")).await;
    assert_eq!(xml.next().await.unwrap().uid, "P");
    raw.tak = Some(FrameDecoder::with_initial(64 * 1024, Vec::new()));
    xml.send(&sa("X", "XRAY", "Cyan")).await;
    assert_eq!(raw.next().await.unwrap().uid, "X", "answered in frames");
    assert_eq!(s.handle().stats().negotiated_tak1, 1);
}

#[tokio::test]
async fn random_bytes_on_many_connections_never_take_the_server_down() {
    let s = Server::start(Limits { max_errors: 1_000_000, ..Limits::default() }).await;
    // A deterministic generator: garbage, truncated events, stray magic bytes and huge varints.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let valid = sa("G", "G", "Cyan");
    for conn in 0..40 {
        let mut c = TcpStream::connect(s.server.tcp_addr.unwrap()).await.unwrap();
        let mut bytes = Vec::new();
        for _ in 0..50 {
            match next() % 4 {
                0 => bytes.extend((0..next() % 300).map(|_| next() as u8)),
                1 => bytes.extend_from_slice(&valid.as_bytes()[..(next() as usize) % valid.len()]),
                2 => bytes.extend_from_slice(&[0xBF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
                _ => bytes.extend_from_slice(b"<event><detail><a><b><c></c></b></a></detail></event>"),
            }
        }
        if conn % 2 == 0 {
            bytes.insert(0, 0xBF);
        }
        // The server may close the connection part-way; that is fine.
        let _ = c.write_all(&bytes).await;
    }
    // Still serving: a fresh pair of clients talk.
    let mut a = s.client().await;
    let mut b = s.client().await;
    a.send(&sa("AFTER", "AFTER", "Cyan")).await;
    while b.next().await.expect("the server is still up").uid != "AFTER" {}
}

/// Corpus files whose events are addressed (`<marti><dest …>`) to a callsign, uid or mission the
/// receiving client does not have: the server routes them to nobody here, as TAK Server would.
const CORPUS_NOT_FOR_THE_RECEIVER: &[(&str, &str)] = &[
    ("atak-file-transfer-ack-nan.xml", "<dest callsign=\"KEPD Jensen KE600\"/>"),
    ("atak-geochat-to-callsign.xml", "<dest callsign=\"JOKER MAN\"/>"),
];

/// Corpus files the parser refuses, with the field its error names. Empty: every event real
/// clients sent in the corpus is accepted. (An entry here documents a refusal; see SOURCES.md.)
const CORPUS_REFUSED: &[(&str, &str)] = &[];

/// Real events from other projects' public test suites (see `tests/corpus/SOURCES.md`) go through the
/// server as sent: each complete event reaches another client with its uid, type and detail (typed
/// fields and the exact bytes of unknown elements) unchanged; events addressed to someone else reach
/// nobody here; refused events are listed in [`CORPUS_REFUSED`].
///
/// The events are sent exactly as stored, times included: many are long stale, but the server routes
/// every event whatever its stale time (only the picture a joining client gets keeps non-stale
/// ones), so no time is replaced.
#[tokio::test]
async fn a_corpus_of_real_client_events_is_routed_with_its_detail_unchanged() {
    let s = Server::start(Limits { max_errors: 1000, ..Limits::default() }).await;
    let mut receiver = s.client().await;
    let mut sender = s.client().await;
    s.until("2 clients", |st| st.clients == 2).await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    files.sort();
    let (mut routed, mut not_for_receiver, mut refused) = (0, 0, 0);
    for (i, path) in files.iter().enumerate() {
        let name = path.file_name().unwrap().to_str().unwrap();
        let original = std::fs::read_to_string(path).unwrap();
        let parsed = parse_event(original.as_bytes());
        let refusal = CORPUS_REFUSED.iter().find(|(f, _)| *f == name);
        let addressed = CORPUS_NOT_FOR_THE_RECEIVER.iter().any(|(f, _)| *f == name);
        match (&parsed, refusal) {
            (Ok(_), None) => {}
            (Err(e), Some((_, field))) => assert_eq!(&e.field, field, "{name}: refused for another reason: {e}"),
            (Ok(_), Some(_)) => panic!("{name} is listed as refused but parses"),
            (Err(e), None) => panic!("{name} is refused: {e}"),
        }
        sender.send(&original).await;
        // A marker after each file: the next thing the receiver reads is the corpus event, then the
        // marker, or the marker alone when the event was not for it or was refused.
        let marker = format!("CORPUS-MARKER-{i}");
        sender
            .send(
                &event(&marker, "b-m-p-s-m", "", "", 600, "")
                    .replace("<contact callsign=\"\" endpoint=\"*:-1:stcp\"/>", ""),
            )
            .await;
        let first = receiver.next().await.unwrap_or_else(|| panic!("{name}: connection closed"));
        match parsed {
            Ok(expected) if !addressed => {
                assert_eq!(
                    (first.uid.as_str(), first.type_.as_str()),
                    (expected.uid.as_str(), expected.type_.as_str()),
                    "{name}"
                );
                assert_eq!(first.detail, expected.detail, "{name}: detail changed on the way");
                assert_eq!(first, expected, "{name}: event changed on the way");
                assert_eq!(receiver.next().await.unwrap().uid, marker, "{name}: then the marker");
                routed += 1;
            }
            Ok(_) => {
                assert_eq!(first.uid, marker, "{name} was addressed to someone else, yet the receiver got it");
                not_for_receiver += 1;
            }
            Err(_) => {
                assert_eq!(first.uid, marker, "{name}");
                refused += 1;
            }
        }
    }
    assert_eq!(not_for_receiver, CORPUS_NOT_FOR_THE_RECEIVER.len());
    assert_eq!(refused, CORPUS_REFUSED.len());
    assert!(routed >= 20, "only {routed} corpus events routed");
    let st = s.handle().stats();
    assert_eq!(st.rejected_malformed, refused as u64, "{:?}", s.handle().rejections());
    assert_eq!(st.events_in, 2 * files.len() as u64 - refused as u64);
}
