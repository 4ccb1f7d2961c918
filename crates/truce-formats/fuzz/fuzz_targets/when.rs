//! A time as a user types it (`truce_formats::when`): parsing never panics, an instant it accepts is
//! UTC within the years it allows, and what it prints reads back as the same instant (to the second).
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_formats::when::{date, instant, show};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(t) = instant(s) {
        assert_eq!(t.offset(), time::UtcOffset::UTC);
        assert!((1900..=2200).contains(&t.year()));
        let printed = show(t);
        let back = instant(&printed).expect("what is printed reads again");
        assert_eq!(back.unix_timestamp(), t.unix_timestamp(), "{printed}");
    }
    if let Ok(d) = date(s) {
        assert!((1900..=2200).contains(&d.year()));
        assert_eq!(date(&d.to_string()).expect("a printed date reads again"), d);
    }
});
