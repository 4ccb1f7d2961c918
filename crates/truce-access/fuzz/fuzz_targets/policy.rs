//! A label policy file: parsing never panics; a policy that parses has sane membership spans, and the
//! access rule over it never panics for a label made of its own codes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use truce_access::{Access, Policy, Role, Viewer};
use truce_core::{Label, Marking};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(policy) = Policy::parse(text) else { return };
    for group in policy.groups.values() {
        for spans in group.members.values() {
            for s in spans {
                if let (Some(f), Some(u)) = (s.from, s.until) {
                    assert!(f < u);
                }
            }
        }
    }
    let codes: Vec<String> = policy.groups.keys().chain(policy.nations.iter()).take(4).cloned().collect();
    let label = Label { marking: Marking::NatoSecret, releasable_to: codes, categories: Vec::new() };
    assert!(policy.check(&label).is_ok());
    for nation in policy.nations.iter().take(3) {
        let viewer = Viewer {
            name: "f".into(),
            nation: Some(nation.clone()),
            role: Role::NationalRep,
            clearance: Marking::CosmicTopSecret,
            categories: policy.categories.clone(),
        };
        let access = Access::new(&policy, &viewer);
        let _ = access.permits(&label, time::OffsetDateTime::UNIX_EPOCH);
        let _ = access.sql("rank", "rel", "cats", "time_ms");
    }
});
