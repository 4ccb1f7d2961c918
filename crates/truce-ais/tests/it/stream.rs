//! The line layer and the assembler: tag blocks, checksums, fragments (interleaved, timed out,
//! missing), and every kind of malformed input giving an error that names the reason.

use crate::{decode_lines, err, msg, tagged, with_sum};
use truce_ais::{Body, Config, Decoder, SourceKey, Timestamp};

const T5A: &str = "!AIVDM,2,1,1,A,538CQ>02A;h?D9QC800pu8@T>0P4l9E8L0000017Ah:;;5r50Ahm5;C0,0*07";
const T5B: &str = "!AIVDM,2,2,1,A,F@V@00000000000,2*35";
const T1: &str = "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C";

/// The same fragments with another sequence id / channel (checksums recomputed).
fn refrag(s: &str, seq: &str, ch: &str) -> String {
    let body = s.split('*').next().expect("body");
    let f: Vec<&str> = body.split(',').collect();
    with_sum(&format!("{},{},{},{seq},{ch},{},{}", f[0], f[1], f[2], f[5], f[6]))
}

#[test]
fn tag_block_time_station_and_group() {
    let line = tagged("c:1503079517,s:station1", T1);
    let m = msg(&[&line]);
    assert_eq!(m.time.map(|t| t.to_string()).as_deref(), Some("2017-08-18T18:05:17Z"));
    assert_eq!(m.station.map(|s| s.to_string()).as_deref(), Some("station1"));
    // Milliseconds are accepted when the value is above 10^11.
    let m = msg(&[&tagged("c:1503079517250", T1)]);
    assert_eq!(m.time, Some(Timestamp::from_unix_millis(1_503_079_517_250)));
    // A multi-sentence message takes the first fragment's time and station.
    let a = tagged("g:1-2-1234,s:r1,c:1503079517", T5A);
    let b = tagged("g:2-2-1234", T5B);
    let m = msg(&[&a, &b]);
    assert_eq!((m.msg_type, m.station.map(|s| s.to_string())), (5, Some("r1".to_string())));
    assert_eq!(m.time, Some(Timestamp::from_unix_seconds(1_503_079_517)));
}

#[test]
fn tag_block_errors() {
    assert_eq!(
        err(&[r"\c:1503079517,s:station1*5B\!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C"]),
        "tag block checksum *5B does not match the tag block (computed *7D)"
    );
    assert_eq!(
        err(&[r"\c:1503079517!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C"]),
        "tag block has no closing '\\'"
    );
    assert_eq!(err(&[&format!("\\c:15*1\\{}", &T1)]), "tag block checksum is not two hex digits after '*'");
    assert_eq!(err(&[&tagged("c:abc", T1)]), "tag block field 'c': time is not a decimal number");
    assert_eq!(err(&[&tagged("g:1-2", T1)]), "tag block field 'g': group is not number-total-id");
    assert_eq!(
        err(&[&tagged(&format!("s:{}", "x".repeat(33)), T1)]),
        "tag block field 's': station is longer than 32 bytes"
    );
    assert_eq!(err(&[&tagged("c:1", "")]), "tag block is not followed by a sentence");
}

#[test]
fn sentence_checksum_errors_name_both_values() {
    assert_eq!(
        err(&["!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*3F"]),
        "checksum *3F does not match the sentence (computed *5C)"
    );
    assert_eq!(err(&["!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0"]), "sentence has no *hh checksum at its end");
    assert_eq!(
        err(&["!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*G1"]),
        "sentence checksum is not two hex digits after '*'"
    );
    // Lower-case hex is accepted.
    assert!(decode_lines(&["!AIVDM,1,1,,A,35NSH95001G?wopE`beasVk@0E5:,0*6f"]).is_ok());
}

#[test]
fn any_talker_and_vdo() {
    for talker in ["BS", "AB", "SA", "AN"] {
        let m = msg(&[&with_sum(&format!("!{talker}VDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0"))]);
        assert_eq!(m.mmsi, 366_053_209);
    }
    let m = msg(&[&with_sum("!AIVDO,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0")]);
    assert!(m.own);
    assert_eq!(
        err(&[&with_sum("$GPGGA,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0")]),
        "sentence type is not VDM or VDO (AIS); address field is not of the form ttVDM"
    );
}

#[test]
fn malformed_sentences() {
    assert_eq!(
        err(&[&with_sum("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa")]),
        "AIS sentence needs 7 comma-separated fields, got 6"
    );
    assert_eq!(
        err(&[&with_sum("!AIVDM,1,1,,B,15M67FC000G?uf~E`FepT@3n00Sa,0")]),
        "payload character '~' is not 6-bit ASCII"
    );
    assert_eq!(
        err(&[&with_sum("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n0,0")]),
        "message type 1 needs 168 bits, got 150"
    );
    assert_eq!(
        err(&[&with_sum("!AIVDM,0,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0")]),
        "sentence field fragment count: digit out of range"
    );
    assert_eq!(
        err(&[&with_sum("!AIVDM,1,2,,B,15M67FC000G?ufbE`FepT@3n00Sa,0")]),
        "sentence field fragment number: greater than the fragment count"
    );
    assert_eq!(
        err(&[&with_sum("!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,6")]),
        "sentence field fill bits: digit out of range"
    );
    assert_eq!(
        err(&[&with_sum("!AIVDM,1,1,,X,15M67FC000G?ufbE`FepT@3n00Sa,0")]),
        "sentence field channel: not A, B, 1 or 2"
    );
    assert_eq!(err(&[&with_sum("!AIVDM,1,1,,B,,0")]), "payload is empty");
    assert_eq!(err(&["AIVDM,1,1"]), "line starts with 'A', not '!' or '$' (or a '\\' tag block)");
    assert_eq!(
        err(&[&with_sum(&format!("!AIVDM,1,1,,B,{},0", "w".repeat(171)))]),
        "assembled payload is longer than 170 characters"
    );
}

#[test]
fn oversized_and_wrong_encoding_lines() {
    let long = format!("!AIVDM,1,1,,B,{}", "0".repeat(600));
    assert_eq!(err(&[&long]), "line of 614 bytes is longer than the 512-byte cap on a sentence");
    let mut dec = Decoder::default();
    let e = dec.push_line(SourceKey(0), b"!AIVDM,1,1,,B,15M\xc3\xa967FC,0*00", None).expect_err("not ASCII");
    assert_eq!(e.to_string(), "byte 0xC3 at column 18 is not printable ASCII (NMEA 0183 sentences are ASCII)");
    let e = dec.push_line(SourceKey(0), b"!AIVDM,1,1,,B,\xff\xfe,0*00", None).expect_err("not ASCII");
    assert!(e.to_string().starts_with("byte 0xFF at column 15"));
    // Blank lines, CRLF endings and comments are fine.
    assert!(matches!(dec.push_line(SourceKey(0), b"\r\n", None), Ok(None)));
    assert!(matches!(dec.push_line(SourceKey(0), b"# a comment", None), Ok(None)));
    assert!(matches!(dec.push_line(SourceKey(0), format!("{T1}\r\n").as_bytes(), None), Ok(Some(_))));
}

#[test]
fn fragments_interleaved_by_sequence_id_channel_and_source() {
    let a1 = refrag(T5A, "3", "A");
    let a2 = refrag(T5B, "3", "A");
    let b1 = refrag(T5A, "3", "B");
    let b2 = refrag(T5B, "3", "B");
    let c1 = refrag(T5A, "4", "A");
    let c2 = refrag(T5B, "4", "A");
    let mut dec = Decoder::default();
    let src = SourceKey(7);
    let mut out = Vec::new();
    for l in [&a1, &b1, &c1, &T1.to_string(), &c2, &a2, &b2] {
        if let Some(m) = dec.push_line(src, l.as_bytes(), None).expect("decodes") {
            out.push((m.msg_type, m.channel));
        }
    }
    assert_eq!(out, vec![(1, b'B'), (5, b'A'), (5, b'A'), (5, b'B')]);
    assert_eq!((dec.pending(), dec.fragments_dropped()), (0, 0));

    // Two sources with the same sequence id and channel do not mix.
    let mut dec = Decoder::default();
    assert!(dec.push_line(SourceKey(1), T5A.as_bytes(), None).expect("ok").is_none());
    let e = dec.push_line(SourceKey(2), T5B.as_bytes(), None).expect_err("other source");
    assert_eq!(e.to_string(), "fragment 2 of 2 without fragment 1");
    assert!(dec.push_line(SourceKey(1), T5B.as_bytes(), None).expect("ok").is_some());

    // Tag block groups keep apart messages that share sequence id and channel.
    let mut dec = Decoder::default();
    let g1a = tagged("g:1-2-10", T5A);
    let g2a = tagged("g:1-2-11", T5A);
    let g2b = tagged("g:2-2-11", T5B);
    let g1b = tagged("g:2-2-10", T5B);
    for l in [&g1a, &g2a] {
        assert!(dec.push_line(SourceKey(0), l.as_bytes(), None).expect("ok").is_none());
    }
    assert!(dec.push_line(SourceKey(0), g2b.as_bytes(), None).expect("ok").is_some());
    assert!(dec.push_line(SourceKey(0), g1b.as_bytes(), None).expect("ok").is_some());
}

#[test]
fn missing_and_out_of_order_fragments() {
    assert_eq!(err(&[T5B]), "fragment 2 of 2 without fragment 1");
    let three = |n: u8| with_sum(&format!("!AIVDM,3,{n},5,A,55NH7,0"));
    let (f1, f3) = (three(1), three(3));
    assert_eq!(err(&[&f1, &f3]), "fragment 3 of 3 after fragment 1 (fragment 2 missing)");
    let other_total = with_sum("!AIVDM,3,2,1,A,F@V@00000000000,0");
    assert_eq!(err(&[T5A, &other_total]), "fragment 2 says 3 fragments, fragment 1 said 2");
    // A repeated fragment 1 restarts the message: the first copy is dropped and counted.
    let mut dec = Decoder::default();
    for l in [T5A, T5A, T5B] {
        let _ = dec.push_line(SourceKey(0), l.as_bytes(), None);
    }
    assert_eq!(dec.fragments_dropped(), 1);
}

#[test]
fn fragments_time_out_by_feed_time_and_by_count() {
    let cfg = Config { timeout_ms: 5_000, window: 3, max_pending: 4 };
    // Feed time from the caller's clock: 6 s later the first fragment is gone.
    let mut dec = Decoder::new(cfg);
    let t0 = Timestamp::from_unix_seconds(1_000);
    assert!(dec.push_line(SourceKey(0), T5A.as_bytes(), Some(t0)).expect("ok").is_none());
    let late = Timestamp::from_unix_seconds(1_006);
    assert_eq!(
        dec.push_line(SourceKey(0), T5B.as_bytes(), Some(late)).expect_err("timed out").to_string(),
        "fragment 2 of 2 without fragment 1"
    );
    assert_eq!(dec.fragments_dropped(), 2);
    // Within the timeout it completes; tag block time counts as feed time too.
    let mut dec = Decoder::new(cfg);
    let a = tagged("c:1000", T5A);
    let b = tagged("c:1004", T5B);
    assert!(dec.push_line(SourceKey(0), a.as_bytes(), None).expect("ok").is_none());
    assert!(dec.push_line(SourceKey(0), b.as_bytes(), None).expect("ok").is_some());
    let b = tagged("c:1006", T5B);
    assert!(dec.push_line(SourceKey(0), a.as_bytes(), None).expect("ok").is_none());
    assert!(dec.push_line(SourceKey(0), b.as_bytes(), None).is_err());
    // By count: more than `window` sentences later.
    let mut dec = Decoder::new(cfg);
    assert!(dec.push_line(SourceKey(0), T5A.as_bytes(), None).expect("ok").is_none());
    for _ in 0..3 {
        assert!(dec.push_line(SourceKey(0), T1.as_bytes(), None).expect("ok").is_some());
    }
    assert!(dec.push_line(SourceKey(0), T5B.as_bytes(), None).is_err());
    assert_eq!((dec.fragments_dropped(), dec.pending()), (2, 0));
    // The pool is bounded: the oldest pending message makes room.
    let mut dec = Decoder::new(Config { window: 100, ..cfg });
    for seq in 0..6 {
        let l = refrag(T5A, &seq.to_string(), "A");
        assert!(dec.push_line(SourceKey(0), l.as_bytes(), None).expect("ok").is_none());
    }
    assert_eq!((dec.pending(), dec.fragments_dropped()), (4, 2), "4 slots: the first two are pushed out");
    let last = refrag(T5B, "0", "A");
    assert!(dec.push_line(SourceKey(0), last.as_bytes(), None).is_err(), "seq 0 was the oldest");
    let last = refrag(T5B, "5", "A");
    assert!(dec.push_line(SourceKey(0), last.as_bytes(), None).expect("ok").is_some());
}

#[test]
fn flush_counts_pending_fragments() {
    let mut dec = Decoder::default();
    assert!(dec.push_line(SourceKey(0), T5A.as_bytes(), None).expect("ok").is_none());
    dec.flush();
    assert_eq!((dec.pending(), dec.fragments_dropped()), (0, 1));
    assert!(matches!(msg(&[T1]).body, Body::Position(_)));
}
