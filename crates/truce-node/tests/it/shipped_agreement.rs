//! Opening a data directory without naming an agreement: the shipped one, which follows the binary.

use truce_node::{data_dir, shipped};

#[test]
fn a_data_directory_on_the_shipped_agreement_follows_the_binarys_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (_, first, made) = data_dir::open_or_create(dir.path(), None, None).unwrap();
    assert!(!made, "the directory existed");
    let copy = dir.path().join(shipped::FOLDER).join(shipped::AGREEMENT);
    assert!(copy.is_file(), "written into the data directory");
    // An older binary's copy, or a hand edit, is replaced by this binary's at the next open.
    std::fs::write(&copy, "[agreement]\nid = \"edited\"\n").unwrap();
    let (_, again) = data_dir::open(dir.path(), None, None).unwrap();
    assert_eq!(again.fingerprint, first.fingerprint);
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), shipped::text(shipped::AGREEMENT).unwrap());
    // An agreement named once is remembered, and the shipped copy is left alone then.
    let named = data_dir::open(dir.path(), None, Some(&crate::data("agreements/illustrative.toml"))).unwrap().1;
    std::fs::write(&copy, "edited again").unwrap();
    let remembered = data_dir::open(dir.path(), None, None).unwrap().1;
    assert_eq!(remembered.fingerprint, named.fingerprint);
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), "edited again");
}
