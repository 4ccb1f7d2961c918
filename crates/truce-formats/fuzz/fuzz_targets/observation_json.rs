//! One observation's JSON, as the API receives it: parsing never panics, and what parses serialises
//! back into JSON that parses to the same observation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_formats::observation::{Options, from_json};

fuzz_target!(|data: &[u8]| {
    let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let options = Options { reject_unknown: true, default_means: truce_core::Means::Patrol };
    if let Ok(obs) = from_json(&o, options) {
        let again = serde_json::to_value(&obs).expect("an observation serialises");
        let back = from_json(again.as_object().expect("an object"), options).expect("what was read reads again");
        assert_eq!(back, obs);
    }
});
