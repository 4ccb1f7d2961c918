//! The codec on a typical ATAK SA (position) event: XML parse and serialise, protobuf encode and
//! decode (with the Event mapping), and stream framing. Throughput is reported in events per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use truce_cot::frame::{DEFAULT_MAX_MESSAGE, FrameDecoder, encode_stream_frame};
use truce_cot::tak::{decode_message, encode_message, event_from_message, event_to_message};
use truce_cot::xml::{XmlLimits, parse_event, to_xml};

/// An ATAK-CIV SA event in the shape ATAK sends (the values are invented).
const SA: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="ANDROID-4f1c2b9e7d3a5c81" type="a-f-G-U-C" time="2026-11-25T03:00:00.117Z" start="2026-11-25T03:00:00.117Z" stale="2026-11-25T03:06:15.117Z" how="m-g"><point lat="48.5874322" lon="37.9989451" hae="187.3" ce="4.8" le="9999999.0"/><detail><takv os="34" version="5.2.0.11 (4e2c7f3b)[playstore].1726681623-CIV" device="SAMSUNG SM-G991B" platform="ATAK-CIV"/><contact endpoint="*:-1:stcp" phone="+380000000000" callsign="KESTREL-21"/><uid Droid="KESTREL-21"/><precisionlocation altsrc="GPS" geopointsrc="GPS"/><__group role="Team Member" name="Cyan"/><status battery="83"/><track course="212.63" speed="1.42"/><_flow-tags_ TAK-Server-8e0d2c4f="2026-11-25T03:00:00Z"/></detail></event>"#;

fn codec(c: &mut Criterion) {
    let event = parse_event(SA.as_bytes()).expect("the sample parses");
    let message = event_to_message(&event).expect("the sample converts");
    let bytes = encode_message(&message);
    let frames: Vec<u8> = (0..100).flat_map(|_| encode_stream_frame(&message)).collect();
    let limits = XmlLimits::default();

    let mut g = c.benchmark_group("atak_sa");
    g.throughput(Throughput::Elements(1));
    g.bench_function("xml_parse", |b| b.iter(|| parse_event(black_box(SA.as_bytes()))));
    g.bench_function("xml_serialize", |b| b.iter(|| to_xml(black_box(&event))));
    g.bench_function("proto_encode", |b| {
        b.iter(|| encode_message(&event_to_message(black_box(&event)).expect("converts")))
    });
    g.bench_function("proto_decode", |b| {
        b.iter(|| event_from_message(&decode_message(black_box(&bytes)).expect("decodes"), &limits))
    });
    g.finish();

    let mut g = c.benchmark_group("stream");
    g.throughput(Throughput::Elements(100));
    g.bench_function("frames_100", |b| {
        b.iter(|| {
            let mut dec = FrameDecoder::new(DEFAULT_MAX_MESSAGE);
            dec.push(black_box(&frames));
            let mut n = 0;
            while let Some(m) = dec.next_message() {
                n += usize::from(m.is_ok());
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
