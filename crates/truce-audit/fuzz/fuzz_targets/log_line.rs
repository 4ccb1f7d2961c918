//! One line of `audit.log`: parsing never panics; a line that parses as a record parses as a leaf too,
//! with the same index, and its leaf hash is that of its bytes less the root member.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_audit::entry::{ROOT_SUFFIX_LEN, parse_line};
use truce_audit::{Record, merkle};

fuzz_target!(|data: &[u8]| {
    let parsed = parse_line(data);
    let record = Record::parse(data);
    assert_eq!(parsed.is_ok(), record.is_ok());
    if let (Ok(p), Ok(r)) = (parsed, record) {
        assert_eq!(p.index, r.index);
        assert_eq!(merkle::to_hex(&p.root), r.root);
        let leaf = merkle::leaf_hash(&[&data[..data.len() - ROOT_SUFFIX_LEN], b"}"].concat());
        assert_eq!(p.leaf, leaf);
        r.entry().check().expect("a parsed entry is valid");
    }
});
