//! A message from another node (`truce_node::envelope`): decoding never panics, and a message that
//! decodes encodes back to one that decodes to the same event (same wire form, label and id).
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_node::envelope;

fuzz_target!(|data: &[u8]| {
    // The first line is the subject, the second the label header, the rest the body.
    let mut parts = data.splitn(3, |&b| b == b'\n');
    let (Some(subject), Some(label), Some(body)) = (parts.next(), parts.next(), parts.next()) else { return };
    let Ok(subject) = std::str::from_utf8(subject) else { return };
    if let Ok(e) = envelope::decode(subject, Some(label), body, "fuzz") {
        let m = envelope::encode(&e);
        let again = envelope::decode(&m.subject, Some(m.label.as_bytes()), &m.body, "fuzz").expect("decodes again");
        assert_eq!(again.label, e.label);
        assert_eq!(again.to_json(), e.to_json());
        assert_eq!(envelope::encode(&again), m);
    }
});
