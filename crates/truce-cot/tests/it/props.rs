//! Property tests: Event -> XML -> Event and Event -> protobuf -> Event are the identity, the
//! stream decoders give the same results however the bytes are chunked, and no input panics.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use time::OffsetDateTime;
use truce_cot::event::{Contact, Group, Link, Marti, MartiDest, PrecisionLocation, Remarks, Status, Takv, Track};
use truce_cot::frame::{DEFAULT_MAX_MESSAGE, FrameDecoder, decode_datagram, encode_stream_frame};
use truce_cot::tak::{decode_message, encode_message, event_from_message, event_to_message};
use truce_cot::xml::{XmlLimits, XmlStreamDecoder, parse_event, to_xml};
use truce_cot::{Detail, Event, Point};

/// Text XML can carry, with the characters that need escaping and some beyond ASCII.
fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 &<>\"'\t\r\n.,:;/=_é✓-]{0,12}"
}

fn opt_text() -> impl Strategy<Value = Option<String>> {
    option::of(text())
}

fn time_ms() -> impl Strategy<Value = OffsetDateTime> {
    // 2000-01-01 to 2100-01-01, whole milliseconds (the protobuf resolution).
    (946_684_800_000i64..4_102_444_800_000)
        .prop_map(|ms| OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).expect("in range"))
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![-1e7..1e7f64, Just(0.0), Just(9_999_999.0), any::<f64>().prop_filter("finite", |f| f.is_finite())]
}

/// Unknown elements, none of which is a typed shape (a parser would type those).
fn unknown() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#"<uid Droid="ALPHA"/>"#.to_owned()),
        Just("<__chat parent='RootContactGroup'>\n  <chatgrp uid0=\"a\" id=\"b\"/>\n</__chat>".to_owned()),
        Just("<_flow-tags_ TAK-Server-1=\"2024-01-01T00:00:00Z\">x &amp; y &#x41;</_flow-tags_>".to_owned()),
        Just(r#"<status readiness="true"/>"#.to_owned()),
        Just("<shape><ellipse major=\"1\" minor=\"2\"/><link uid=\"s\" x=\"1\"><Style/></link></shape>".to_owned()),
        Just("<vendor:x xmlns:vendor=\"urn:v\"><![CDATA[a < b]]><!-- note --></vendor:x>".to_owned()),
        "[a-z]{1,8}".prop_map(|n| format!("<{n}_x a=\"1\">{n}</{n}_x>")),
    ]
}

fn detail() -> impl Strategy<Value = Detail> {
    let typed1 = (
        option::of((opt_text(), opt_text(), opt_text()).prop_map(|(callsign, endpoint, phone)| Contact {
            callsign,
            endpoint,
            phone,
        })),
        option::of((opt_text(), opt_text()).prop_map(|(name, role)| Group { name, role })),
        option::of((opt_text(), opt_text(), opt_text(), opt_text()).prop_map(|(device, platform, os, version)| Takv {
            device,
            platform,
            os,
            version,
        })),
        option::of(
            (opt_text(), opt_text()).prop_map(|(geopointsrc, altsrc)| PrecisionLocation { geopointsrc, altsrc }),
        ),
        option::of(option::of(any::<u32>()).prop_map(|battery| Status { battery })),
        option::of((option::of(finite()), option::of(finite())).prop_map(|(course, speed)| Track { course, speed })),
    );
    let typed2 = (
        option::of((text(), opt_text(), opt_text(), opt_text()).prop_map(|(text, source, to, time)| Remarks {
            text,
            source,
            to,
            time,
        })),
        vec(
            (opt_text(), opt_text(), opt_text(), opt_text(), opt_text()).prop_map(
                |(uid, type_, relation, callsign, point)| Link {
                    uid,
                    type_,
                    relation,
                    callsign,
                    point,
                    ..Link::default()
                },
            ),
            0..4,
        ),
        option::of(
            vec(
                (opt_text(), opt_text(), opt_text()).prop_map(|(callsign, uid, mission)| MartiDest {
                    callsign,
                    uid,
                    mission,
                }),
                0..3,
            )
            .prop_map(|dests| Marti { dests }),
        ),
        any::<bool>(),
        vec(unknown(), 0..4),
    );
    (typed1, typed2).prop_map(
        |((contact, group, takv, precision_location, status, track), (remarks, links, marti, archive, unknown))| {
            Detail { contact, group, takv, precision_location, status, track, remarks, links, marti, archive, unknown }
        },
    )
}

fn event() -> impl Strategy<Value = Event> {
    (
        "[A-Za-z0-9][A-Za-z0-9 ._:-]{0,40}",
        "[abtu](-[a-zA-Z0-9]{1,4}){0,5}",
        "[hm]-[a-z](-[a-z]){0,3}",
        time_ms(),
        0i64..10_000_000,
        (option::of("[A-Za-z]{1,9}"), option::of("[0-9a-z-]{1,6}"), option::of("[a-z]{1,5}")),
        (-90.0..=90.0f64, -180.0..=180.0f64, finite(), 0.0..1e7f64, prop_oneof![Just(9_999_999.0), 0.0..1e4f64]),
        detail(),
    )
        .prop_map(|(uid, type_, how, time, stale_ms, (access, qos, opex), (lat, lon, hae, ce, le), detail)| {
            Event {
                version: "2.0".to_owned(),
                uid,
                type_,
                how,
                time,
                start: time,
                stale: time + time::Duration::milliseconds(stale_ms),
                access,
                qos,
                opex,
                point: Point { lat, lon, hae, ce, le },
                detail,
            }
        })
}

/// Splits `bytes` at the given cut points (taken modulo the length).
fn chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = cuts.iter().map(|c| if bytes.is_empty() { 0 } else { c % bytes.len() }).collect();
    at.push(0);
    at.push(bytes.len());
    at.sort_unstable();
    at.dedup();
    at.windows(2).map(|w| bytes[w[0]..w[1]].to_vec()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn xml_round_trip(ev in event()) {
        prop_assert!(ev.validate().is_ok());
        let xml = to_xml(&ev);
        let back = parse_event(xml.as_bytes());
        prop_assert_eq!(back.as_ref(), Ok(&ev), "{}", xml);
    }

    #[test]
    fn protobuf_round_trip(ev in event()) {
        let bytes = encode_message(&event_to_message(&ev).expect("converts"));
        let back = event_from_message(&decode_message(&bytes).expect("decodes"), &XmlLimits::default());
        prop_assert_eq!(back, Ok(Some(ev)));
    }

    #[test]
    fn xml_stream_decoder_ignores_chunking(
        evs in vec(event(), 1..4),
        prolog in any::<bool>(),
        cuts in vec(any::<usize>(), 0..12),
    ) {
        let mut stream = Vec::new();
        for ev in &evs {
            if prolog {
                stream.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
            }
            stream.extend_from_slice(to_xml(ev).as_bytes());
            stream.extend_from_slice(b"\n");
        }
        let mut dec = XmlStreamDecoder::new(XmlLimits::default());
        let mut got = Vec::new();
        for chunk in chunks(&stream, &cuts) {
            dec.push(&chunk);
            while let Some(r) = dec.next_event() {
                got.push(r);
            }
        }
        let expected: Vec<_> = evs.into_iter().map(Ok).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn oversized_events_are_skipped_the_same_way_whatever_the_chunking(
        sizes in vec(0usize..3000, 1..6),
        cuts in vec(any::<usize>(), 0..12),
    ) {
        let limits = XmlLimits { max_bytes: 1500, max_depth: 32 };
        let base = to_xml(&Event {
            version: "2.0".into(), uid: "u".into(), type_: "a-f-G".into(), how: "m-g".into(),
            time: OffsetDateTime::UNIX_EPOCH, start: OffsetDateTime::UNIX_EPOCH, stale: OffsetDateTime::UNIX_EPOCH,
            access: None, qos: None, opex: None,
            point: Point { lat: 0.0, lon: 0.0, hae: 0.0, ce: 0.0, le: 0.0 },
            detail: Detail { unknown: vec!["<pad>PAD</pad>".into()], ..Detail::default() },
        });
        let mut stream = Vec::new();
        let mut expected = Vec::new();
        for n in &sizes {
            let one = base.replace("PAD", &"p".repeat(*n));
            expected.push(one.len() <= limits.max_bytes);
            stream.extend_from_slice(one.as_bytes());
        }
        let mut dec = XmlStreamDecoder::new(limits);
        let mut got = Vec::new();
        for chunk in chunks(&stream, &cuts) {
            dec.push(&chunk);
            while let Some(r) = dec.next_event() {
                got.push(r.is_ok());
            }
        }
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn frame_decoder_ignores_chunking(evs in vec(event(), 1..4), cuts in vec(any::<usize>(), 0..12)) {
        let mut stream = Vec::new();
        for ev in &evs {
            stream.extend(encode_stream_frame(&event_to_message(ev).expect("converts")));
        }
        let mut dec = FrameDecoder::new(DEFAULT_MAX_MESSAGE);
        let mut got = Vec::new();
        for chunk in chunks(&stream, &cuts) {
            dec.push(&chunk);
            while let Some(m) = dec.next_message() {
                got.push(event_from_message(&m.expect("valid frame"), &XmlLimits::default()).expect("valid event"));
            }
        }
        let expected: Vec<_> = evs.into_iter().map(Some).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..512)) {
        let _ = parse_event(&bytes);
        let _ = decode_datagram(&bytes, 1024);
        let _ = decode_message(&bytes);
        let mut x = XmlStreamDecoder::new(XmlLimits { max_bytes: 256, max_depth: 8 });
        x.push(&bytes);
        while x.next_event().is_some() {}
        let mut f = FrameDecoder::new(256);
        f.push(&bytes);
        for _ in 0..4 {
            let _ = f.next_message();
        }
    }

    #[test]
    fn mutated_events_never_panic(ev in event(), at in any::<usize>(), byte in any::<u8>()) {
        let mut xml = to_xml(&ev).into_bytes();
        let i = at % xml.len();
        xml[i] = byte;
        let _ = parse_event(&xml);
        let mut pb = encode_message(&event_to_message(&ev).expect("converts"));
        if !pb.is_empty() {
            let i = at % pb.len();
            pb[i] = byte;
            if let Ok(m) = decode_message(&pb) {
                let _ = event_from_message(&m, &XmlLimits::default());
            }
        }
    }
}
