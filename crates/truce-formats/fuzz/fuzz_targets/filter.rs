//! The list and polygon values of query filters (`truce_formats::filter`), as a hostile query string
//! sends them: parsing never panics; an accepted list has no empty item, no repeat and at most
//! `MAX_ITEMS`; accepted levels are known ones; an accepted polygon has 3 to `MAX_VERTICES` vertices,
//! all valid positions inside its box, every vertex covered (edges count in) and the box's outside not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_formats::filter::{MAX_ITEMS, MAX_VERTICES, items, markings, polygon, words};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(list) = items(s) {
        assert!(!list.is_empty() && list.len() <= MAX_ITEMS);
        assert!(list.iter().all(|i| !i.is_empty() && i.trim() == *i));
        let mut sorted = list.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), list.len(), "no repeats");
    }
    if let Ok(levels) = markings(s) {
        assert!(!levels.is_empty() && levels.len() <= truce_core::Marking::ALL.len());
    }
    let _ = words(s, |w| w.parse::<truce_core::Means>());
    if let Ok(p) = polygon(s) {
        let v = p.vertices();
        assert!((3..=MAX_VERTICES).contains(&v.len()));
        let [w, south, e, n] = p.bbox();
        for x in v {
            assert!(x.is_valid());
            assert!(x.lon >= w && x.lon <= e && x.lat >= south && x.lat <= n);
            assert!(p.covers(*x), "a vertex is on the boundary, hence covered");
        }
        if e < 180.0 {
            assert!(!p.covers(truce_geo::LonLat::new(e + (180.0 - e) / 2.0, n)), "east of the box");
        }
    }
});
