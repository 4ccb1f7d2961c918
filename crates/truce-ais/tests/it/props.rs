//! Random input never panics, and random valid sentences round-trip their checksum.

use proptest::prelude::*;
use truce_ais::{Config, Decoder, SourceKey, Timestamp, decode_ndjson};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..700)) {
        let mut dec = Decoder::new(Config { timeout_ms: 1000, window: 5, max_pending: 3 });
        for line in data.split(|&b| b == b'\n') {
            let _ = dec.push_line(SourceKey(u64::from(line.len() as u8 % 3)), line, Some(Timestamp(0)));
        }
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let _ = decode_ndjson(&data[..], "x", &mut out, &mut err);
    }

    #[test]
    fn random_payloads_never_panic(
        payload in "[0-9:;<=>?@A-W`a-w]{0,100}",
        fill in 0_u8..6,
        total in 1_u8..4,
        tag in proptest::option::of("[a-z]:[ -~&&[^*\\\\]]{0,20}"),
    ) {
        let mut dec = Decoder::default();
        for n in 1..=total {
            let body = format!("AIVDM,{total},{n},1,A,{payload},{fill}");
            let sum = body.bytes().fold(0, |a, b| a ^ b);
            let mut line = format!("!{body}*{sum:02X}");
            if let Some(t) = &tag {
                let ts = t.bytes().fold(0, |a, b| a ^ b);
                line = format!("\\{t}*{ts:02X}\\{line}");
            }
            let _ = dec.push_line(SourceKey(0), line.as_bytes(), None);
        }
    }
}
