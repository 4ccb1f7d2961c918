//! A configuration file: loading never panics, every problem names a line of the text, and a file
//! without problems deserializes exactly as toml itself reads it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
struct Tak {
    tcp: Option<String>,
    port: Option<Spanned<u64>>,
    channels: bool,
    mode: Mode,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Mode {
    #[default]
    Normal,
    Slow,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
struct Source {
    kind: String,
    rate: f64,
    paths: Vec<String>,
}

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
struct File {
    name: String,
    tak: Tak,
    sources: Vec<Source>,
    every_s: Option<u32>,
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (value, problems) = truce_formats::config::load::<File>(text, "fuzz.toml");
    let lines = text.lines().count().max(1) + 1;
    for p in &problems {
        assert!(p.line >= 1 && p.line <= lines, "{p} outside the text's {lines} lines");
        assert!(!p.reason.is_empty());
    }
    if problems.is_empty() {
        assert_eq!(value, toml::from_str::<File>(text).ok(), "a clean file reads as toml reads it");
    }
});
