use std::path::Path;
#[test]
fn loads() {
    let t = std::time::Instant::now();
    let a = truce_engine::Agreement::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/agreements/illustrative.toml"));
    match &a { Ok(a) => eprintln!("ok {} lines {} zones in {:?}", a.lines.len(), a.zones.len(), t.elapsed()), Err(e) => eprintln!("{e}") }
    assert!(a.is_ok());
}
