//! Real client CoT (tests/samples, sources in tests/samples/README.md): each parses, survives
//! XML -> Event -> XML and Event -> protobuf -> Event unchanged, and keeps every unknown element
//! byte for byte as it appears in the capture.

use truce_cot::Event;
use truce_cot::frame::{
    DEFAULT_MAX_MESSAGE, Datagram, FrameDecoder, decode_datagram, encode_mesh, encode_stream_frame,
};
use truce_cot::tak::{decode_message, encode_message, event_from_message, event_to_message};
use truce_cot::xml::{XmlLimits, XmlStreamDecoder, parse_event, to_xml};

const SAMPLES: &[(&str, &str)] = &[
    ("atak-sa.xml", include_str!("../samples/atak-sa.xml")),
    ("itak-sa.xml", include_str!("../samples/itak-sa.xml")),
    ("atak-geochat.xml", include_str!("../samples/atak-geochat.xml")),
    ("wintak-chat-receipt.xml", include_str!("../samples/wintak-chat-receipt.xml")),
    ("itak-marker.xml", include_str!("../samples/itak-marker.xml")),
    ("atak-spot-marker.xml", include_str!("../samples/atak-spot-marker.xml")),
    ("atak-route.xml", include_str!("../samples/atak-route.xml")),
    ("atak-circle.xml", include_str!("../samples/atak-circle.xml")),
];

fn sample(name: &str) -> Event {
    let (_, text) = SAMPLES.iter().find(|(n, _)| *n == name).expect("known sample");
    parse_event(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_sample_round_trips_through_xml_and_protobuf_keeping_unknown_elements_verbatim() {
    for (name, text) in SAMPLES {
        let ev = parse_event(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        for raw in &ev.detail.unknown {
            assert!(text.contains(raw.as_str()), "{name}: {raw} is not verbatim");
        }
        let xml = to_xml(&ev);
        let again = parse_event(xml.as_bytes()).unwrap_or_else(|e| panic!("{name} re-parsed: {e}\n{xml}"));
        assert_eq!(again, ev, "{name}: XML round trip");

        let bytes = encode_message(&event_to_message(&ev).unwrap());
        let back = event_from_message(&decode_message(&bytes).unwrap(), &XmlLimits::default()).unwrap().unwrap();
        assert_eq!(back, ev, "{name}: protobuf round trip");
        assert_eq!(back.detail.unknown, ev.detail.unknown, "{name}: unknown elements through protobuf");

        let mut frames = FrameDecoder::new(DEFAULT_MAX_MESSAGE);
        frames.push(&encode_stream_frame(&event_to_message(&ev).unwrap()));
        let framed = frames.next_message().unwrap().unwrap();
        assert_eq!(event_from_message(&framed, &XmlLimits::default()).unwrap().unwrap(), ev, "{name}: stream frame");
        match decode_datagram(&encode_mesh(&framed), DEFAULT_MAX_MESSAGE).unwrap() {
            Datagram::Tak(m) => assert_eq!(m, framed, "{name}: mesh"),
            Datagram::Xml(_) => panic!("{name}: mesh decoded as XML"),
        }
        assert_eq!(decode_datagram(text.as_bytes(), DEFAULT_MAX_MESSAGE).unwrap(), Datagram::Xml(ev.clone()));
    }
}

#[test]
fn all_samples_back_to_back_on_one_stream() {
    let stream: String =
        SAMPLES.iter().map(|(_, t)| format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{t}")).collect();
    let mut dec = XmlStreamDecoder::new(XmlLimits::default());
    let mut uids = Vec::new();
    for chunk in stream.as_bytes().chunks(97) {
        dec.push(chunk);
        while let Some(ev) = dec.next_event() {
            uids.push(ev.unwrap().uid);
        }
    }
    let expected: Vec<String> = SAMPLES.iter().map(|(n, _)| sample(n).uid).collect();
    assert_eq!(uids, expected);
}

#[test]
fn atak_sa_is_typed_where_it_is_exactly_a_typed_shape() {
    let ev = sample("atak-sa.xml");
    assert_eq!((ev.type_.as_str(), ev.how.as_str()), ("a-f-G-U-C", "m-g"));
    let d = &ev.detail;
    assert_eq!(d.takv.as_ref().unwrap().platform.as_deref(), Some("ATAK-CIV"));
    assert_eq!(d.group.as_ref().unwrap().name.as_deref(), Some("Cyan"));
    assert_eq!(d.status.as_ref().unwrap().battery, Some(78));
    assert_eq!(d.track.as_ref().unwrap().course, Some(80.24833892285461));
    assert_eq!(d.precision_location.as_ref().unwrap().altsrc.as_deref(), Some("GPS"));
    // xmppUsername is not a typed contact attribute, so the whole contact passes through.
    assert!(d.contact.is_none());
    assert_eq!(
        d.unknown,
        [r#"<contact xmppUsername="xmpp@host.com" endpoint="*:-1:stcp" callsign="JENNY"/>"#, r#"<uid Droid="JENNY"/>"#]
    );
}

#[test]
fn itak_sa_contact_with_a_phone_is_typed_in_xml_but_travels_as_xml_detail() {
    let ev = sample("itak-sa.xml");
    let c = ev.detail.contact.as_ref().unwrap();
    assert_eq!((c.callsign.as_deref(), c.phone.as_deref()), (Some("DFPC-iSchmidt"), Some("7204258729")));
    assert_eq!(ev.detail.takv.as_ref().unwrap().platform.as_deref(), Some("iTAK"));
    assert_eq!(ev.detail.track.as_ref().unwrap().speed, Some(0.0));
    let p = truce_cot::tak::event_to_proto(&ev).unwrap();
    let d = p.detail.unwrap();
    assert!(d.contact.is_none(), "protobuf Contact has no phone");
    assert!(d.xml_detail.contains("phone=\"7204258729\""));
    assert_eq!(d.takv.unwrap().device, "iPhone");
}

#[test]
fn geochat_keeps_chat_link_remarks_and_marti() {
    let ev = sample("atak-geochat.xml");
    assert_eq!(ev.type_, "b-t-f");
    let d = &ev.detail;
    let r = d.remarks.as_ref().unwrap();
    assert_eq!(r.text, "test");
    assert_eq!(r.source.as_deref(), Some("BAO.F.ATAK.ANDROID-deadbeef"));
    assert_eq!(r.to.as_deref(), Some("ANDROID-cafebabe"));
    assert_eq!(d.links.len(), 1);
    assert_eq!(d.links[0].relation.as_deref(), Some("p-p"));
    assert_eq!(d.marti.as_ref().unwrap().dests[0].callsign.as_deref(), Some("JOKER MAN"));
    assert!(d.unknown[0].starts_with("<__chat parent=\"RootContactGroup\""));
    assert!(d.unknown[0].ends_with("</__chat>"));
    assert!(d.unknown[1].starts_with("<__serverdestination"));
}

#[test]
fn markers_keep_what_is_not_typed() {
    let ev = sample("atak-spot-marker.xml");
    assert!(ev.detail.archive);
    assert_eq!(ev.detail.contact.as_ref().unwrap().callsign.as_deref(), Some("O/Z Entry"));
    assert_eq!(ev.detail.remarks.as_ref().unwrap().text, "");
    assert_eq!(ev.detail.links[0].parent_callsign.as_deref(), Some("NG-CA_95CST_OPSNCO_Kem"));
    // status readiness is not a typed shape; the second <archive/> is kept as sent.
    assert!(ev.detail.status.is_none());
    assert!(ev.detail.unknown.contains(&"<status readiness='true'/>".to_owned()));
    assert!(ev.detail.unknown.contains(&"<archive/>".to_owned()));

    let ev = sample("itak-marker.xml");
    assert!(ev.detail.marti.as_ref().unwrap().dests.is_empty());
    assert_eq!(ev.detail.links[0].production_time.as_deref(), Some("2023-01-12T09:53:31Z"));
}

#[test]
fn route_and_shape_keep_their_nested_unknown_elements() {
    let ev = sample("atak-route.xml");
    assert_eq!(ev.detail.links.len(), 10);
    assert_eq!(ev.detail.links[9].callsign.as_deref(), Some("TGT"));
    assert_eq!(ev.detail.links[0].point.as_deref(), Some("39.739824,-108.6214369,2294.137"));
    assert!(ev.detail.unknown.iter().any(|u| u.starts_with("<__routeinfo>") && u.contains("Stay Right")));
    assert!(ev.detail.unknown.iter().any(|u| u.starts_with("<link_attr ")));

    let ev = sample("atak-circle.xml");
    assert_eq!(ev.detail.contact.as_ref().unwrap().callsign.as_deref(), Some("R&B Circle 1"));
    assert!(ev.detail.links.is_empty(), "the style link is inside <shape>, which passes through whole");
    let shape = ev.detail.unknown.iter().find(|u| u.starts_with("<shape>")).unwrap();
    assert!(shape.contains("<color>ffff7700</color>"));
    assert!(ev.detail.precision_location.as_ref().unwrap().geopointsrc.is_none());
}
