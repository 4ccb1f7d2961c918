//! The MID table and the MMSI structures.

use truce_ais::mid::{MIDS, MmsiKind, classify, flag, flag_of_mid};

fn code(mmsi: u32) -> Option<&'static str> {
    flag(mmsi).map(|f| f.code)
}

#[test]
fn black_sea_and_nato_states() {
    for (mid, iso, name) in [
        (272, "UA", "Ukraine"),
        (273, "RU", "Russian Federation"),
        (271, "TR", "Türkiye"),
        (264, "RO", "Romania"),
        (207, "BG", "Bulgaria"),
        (213, "GE", "Georgia"),
        (214, "MD", "Moldova"),
        (211, "DE", "Germany"),
        (218, "DE", "Germany"),
        (226, "FR", "France"),
        (232, "GB", "United Kingdom"),
        (338, "US", "United States"),
        (366, "US", "United States"),
        (261, "PL", "Poland"),
        (244, "NL", "Netherlands"),
        (257, "NO", "Norway"),
        (230, "FI", "Finland"),
        (265, "SE", "Sweden"),
        (237, "GR", "Greece"),
        (247, "IT", "Italy"),
        (316, "CA", "Canada"),
        (219, "DK", "Denmark"),
    ] {
        let f = flag_of_mid(mid).unwrap_or_else(|| panic!("MID {mid}"));
        assert_eq!((f.code, f.name), (iso, name), "MID {mid}");
    }
    // Flags of convenience common in the Black Sea.
    assert_eq!(flag_of_mid(351).map(|f| f.code), Some("PA"));
    assert_eq!(flag_of_mid(636).map(|f| f.code), Some("LR"));
    assert_eq!(flag_of_mid(538).map(|f| f.code), Some("MH"));
    assert_eq!(flag_of_mid(620).map(|f| f.code), Some("KM"));
    assert!(MIDS.len() >= 280);
    assert_eq!(flag_of_mid(200), None);
    assert_eq!(flag_of_mid(217), None);
}

#[test]
fn mmsi_structures() {
    assert_eq!(classify(272_544_000), MmsiKind::Ship(272));
    assert_eq!(code(272_544_000), Some("UA"));
    assert_eq!(code(273_123_456), Some("RU"));
    assert_eq!(classify(2_723_456), MmsiKind::Coast(272));
    assert_eq!(code(2_713_456), Some("TR"));
    assert_eq!(classify(27_312_345), MmsiKind::Group(273));
    assert_eq!(classify(111_272_123), MmsiKind::SarAircraft(272));
    assert_eq!(code(111_264_123), Some("RO"));
    assert_eq!(classify(992_071_234), MmsiKind::AidToNavigation(207));
    assert_eq!(code(992_071_234), Some("BG"));
    assert_eq!(classify(982_131_234), MmsiKind::Auxiliary(213));
    assert_eq!(code(982_131_234), Some("GE"));
    assert_eq!(classify(827_212_345), MmsiKind::Handheld(272));
    for device in [970_123_456, 972_123_456, 974_123_456] {
        assert_eq!(classify(device), MmsiKind::Device);
        assert_eq!(flag(device), None);
    }
    assert_eq!(flag(123_456_789), None);
    assert_eq!(flag(0), None);
}
