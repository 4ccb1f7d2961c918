//! `decode_ndjson`: the output objects, the error lines and the summary.

use serde_json::Value;
use truce_ais::decode_ndjson;

fn run(input: &[u8]) -> (Vec<Value>, String, truce_ais::Summary) {
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    let s = decode_ndjson(input, "feed.nmea", &mut out, &mut errors).expect("io");
    let values = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("JSON"))
        .collect();
    (values, String::from_utf8(errors).expect("utf8"), s)
}

#[test]
fn objects_errors_and_summary() {
    let input = b"# a comment\n\
\\c:1503079517,s:station1*7D\\!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C\n\
\n\
!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*3F\n\
!AIVDM,2,1,1,A,538CQ>02A;h?D9QC800pu8@T>0P4l9E8L0000017Ah:;;5r50Ahm5;C0,0*07\n\
!AIVDM,2,2,1,A,F@V@00000000000,2*35\n\
!AIVDM,1,1,,B,91b55wi;hbOS@OdQAC062Ch2089h,0*30\n\
!AIVDM,2,2,3,A,F@V@00000000000,2*37\n\
!AIVDM,2,1,4,A,538CQ>02A;h?D9QC800pu8@T>0P4l9E8L0000017Ah:;;5r50Ahm5;C0,0*02\n";
    let (v, errors, s) = run(input);
    assert_eq!(v.len(), 2);
    let p = &v[0];
    assert_eq!(p["msg_type"], 1);
    assert_eq!(p["mmsi"], 366_053_209);
    assert_eq!(p["flag"], "US");
    assert_eq!(p["time"], "2017-08-18T18:05:17Z");
    assert_eq!(p["station"], "station1");
    assert_eq!(p["speed"], 0.0);
    assert_eq!(p["course"], 219.3);
    assert_eq!(p["heading"], 1);
    assert!((p["lat"].as_f64().expect("lat") - 37.802118).abs() < 1e-6);
    assert!(p.get("shipname").is_none(), "absent values are omitted");
    let s5 = &v[1];
    assert_eq!(s5["shipname"], "NORDIC HAMBURG");
    assert_eq!(s5["callsign"], "5BXT2");
    assert_eq!(s5["destination"], "CTT-LAYBY");
    assert_eq!(
        (s5["imo"].as_u64(), s5["ship_type"].as_u64(), s5["draught"].as_f64()),
        (Some(9_514_755), Some(71), Some(7.1))
    );
    assert_eq!(
        (s5["to_bow"].as_u64(), s5["eta_month"].as_u64(), s5["eta_day"].as_u64()),
        (Some(142), Some(7), Some(20))
    );
    assert!(s5.get("time").is_none());
    assert_eq!(
        errors,
        "feed.nmea:4: checksum *3F does not match the sentence (computed *5C)\n\
feed.nmea:8: fragment 2 of 2 without fragment 1\n"
    );
    assert_eq!((s.lines, s.sentences, s.messages, s.bad, s.fragments_dropped), (9, 6, 2, 2, 2));
    assert_eq!(s.unsupported.get(&9), Some(&1));
    assert_eq!(
        s.to_string(),
        "9 lines, 6 sentences, 2 messages decoded, 2 bad lines, 1 unsupported (type 9: 1), 2 fragments dropped"
    );
}

#[test]
fn non_utf8_and_oversized_lines_are_line_errors() {
    let mut input = b"!AIVDM,1,1,,B,\xff\xfe,0*00\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 100_000));
    input.extend(b"\n!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C");
    let (v, errors, s) = run(&input);
    assert_eq!(v.len(), 1, "the last line, without a newline, still counts");
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(lines[0], "feed.nmea:1: byte 0xFF at column 15 is not printable ASCII (NMEA 0183 sentences are ASCII)");
    assert_eq!(lines[1], "feed.nmea:2: line of 100000 bytes is longer than the 512-byte cap on a sentence");
    assert_eq!((s.lines, s.bad), (3, 2));
}

#[test]
fn the_corpora_decode_with_few_bad_lines() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/pyais_tests_mit.nmea");
    let data = std::fs::read(dir).expect("corpus");
    let (v, _, s) = run(&data);
    assert_eq!(v.len() as u64, s.messages);
    // The pyais corpus holds deliberately broken lines (bad checksums, short payloads, lone fragments).
    assert!(s.messages > 1000, "{s}");
    assert!(s.bad < 100, "{s}");
}
