//! What is logged, and the exact bytes of a line of `audit.log`.
//!
//! A line is one JSON object with these members in this order, then `\n`:
//!
//! ```text
//! {"index":0,"time":"2026-05-01T09:12:03.123Z","actor":"alice","nation":"FRA","kind":"login",
//!  "action":"POST /api/v1/login","target":"","outcome":"ok","detail":"","root":"<64 hex digits>"}
//! ```
//!
//! (on one line). The writer produces it with `serde_json` (compact, no spaces), so `root` is always the
//! last member and the line always ends with `,"root":"` + 64 lower-case hex digits + `"}`: 75 bytes.
//! The **leaf data** of the entry is the line without that suffix, closed by `}`: the bytes of the JSON
//! object as it was before `root` was known. So `leaf = SHA-256(0x00 || line[..len-75] || "}")`, and
//! `root` is the tree's root after this leaf was appended. Hashing these bytes rather than a
//! re-serialisation means the check needs no canonical form: any change to a line changes its leaf.
//!
//! [`parse_line`] is the hot path of verification: it checks the suffix, parses the object with
//! borrowed strings (every member required, no unknown one, no duplicate), checks the fields and hashes
//! the leaf. [`Record`] is the owned form the API and `truce audit list` hand out.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::merkle::{self, Hash};

/// What kind of event an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Kind {
    /// A successful login.
    Login,
    /// A failed login (bad password, unknown user, locked account).
    LoginFailed,
    /// A request refused by authorization.
    Denied,
    /// A write: an observation, a case, a plan, a configuration change.
    Write,
    /// An export of data (files, GeoJSON, CSV, data packages).
    Export,
    /// A report issued (daily, spot, status).
    Report,
    /// A user created, changed, disabled or given other roles.
    UserChange,
    /// The system itself: start, stop, a key created.
    System,
}

/// How the action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Done.
    Ok,
    /// Refused: not authenticated or not authorized.
    Denied,
    /// Tried and failed (bad input, an error).
    Failed,
}

/// Longest `detail` accepted, in bytes; the other text fields are limited to [`MAX_FIELD`].
pub const MAX_DETAIL: usize = 4096;
/// Longest `actor`, `action` or `target`, in bytes.
pub const MAX_FIELD: usize = 512;

/// An event to log. The log adds its index, its time and the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Who: a user name, or `-` for nobody known (a failed login names the name tried in `target`).
    pub actor: String,
    /// The actor's nation, ISO 3166-1 alpha-3 (`FRA`), or empty.
    pub nation: String,
    /// What kind of event.
    pub kind: Kind,
    /// What was done, e.g. `POST /api/v1/observations` or `report daily`.
    pub action: String,
    /// What it was done to: an id, or empty.
    pub target: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Free text.
    pub detail: String,
}

impl Entry {
    /// An entry of `kind` by `actor` doing `action`, with the kind's usual outcome (`login_failed`:
    /// failed, `denied`: denied, else ok) and no nation, target or detail.
    pub fn new(kind: Kind, actor: impl Into<String>, action: impl Into<String>) -> Entry {
        let outcome = match kind {
            Kind::LoginFailed => Outcome::Failed,
            Kind::Denied => Outcome::Denied,
            _ => Outcome::Ok,
        };
        Entry {
            actor: actor.into(),
            nation: String::new(),
            kind,
            action: action.into(),
            target: String::new(),
            outcome,
            detail: String::new(),
        }
    }

    /// With the actor's nation (ISO 3166-1 alpha-3).
    pub fn nation(mut self, nation: impl Into<String>) -> Entry {
        self.nation = nation.into();
        self
    }

    /// With a target.
    pub fn target(mut self, target: impl Into<String>) -> Entry {
        self.target = target.into();
        self
    }

    /// With an outcome.
    pub fn outcome(mut self, outcome: Outcome) -> Entry {
        self.outcome = outcome;
        self
    }

    /// With a detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Entry {
        self.detail = detail.into();
        self
    }

    /// Checks the fields: returns the first bad one and why.
    pub fn check(&self) -> Result<(), LineError> {
        check_fields(&self.actor, &self.nation, &self.action, &self.target, &self.detail)
    }
}

fn check_fields(actor: &str, nation: &str, action: &str, target: &str, detail: &str) -> Result<(), LineError> {
    if actor.is_empty() {
        return Err(LineError::field("actor", "is empty (use `-` for nobody known)"));
    }
    for (name, value, max) in [
        ("actor", actor, MAX_FIELD),
        ("action", action, MAX_FIELD),
        ("target", target, MAX_FIELD),
        ("detail", detail, MAX_DETAIL),
    ] {
        if value.len() > max {
            return Err(LineError::field(name, format!("is {} bytes long, more than {max}", value.len())));
        }
    }
    if !(nation.is_empty() || (nation.len() == 3 && nation.bytes().all(|b| b.is_ascii_uppercase()))) {
        return Err(LineError::field(
            "nation",
            format!("`{nation}` is not three capital letters (ISO 3166-1 alpha-3) or empty"),
        ));
    }
    if action.is_empty() {
        return Err(LineError::field("action", "is empty"));
    }
    Ok(())
}

/// One line of the log, as stored: the entry, its index, its time and the root after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The entry's index, from 0: its leaf index in the tree.
    pub index: u64,
    /// When the log appended it, RFC 3339 in UTC.
    pub time: String,
    /// Who.
    pub actor: String,
    /// The actor's nation, or empty.
    pub nation: String,
    /// What kind of event.
    pub kind: Kind,
    /// What was done.
    pub action: String,
    /// What it was done to, or empty.
    pub target: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Free text.
    pub detail: String,
    /// The tree's root after this entry, hex.
    pub root: String,
}

impl Record {
    /// Parses one line (without its `\n`), checking it as [`parse_line`] does.
    pub fn parse(line: &[u8]) -> Result<Record, LineError> {
        let (r, _) = parse_ref(line)?;
        Ok(Record {
            index: r.index,
            time: r.time.into_owned(),
            actor: r.actor.into_owned(),
            nation: r.nation.into_owned(),
            kind: r.kind,
            action: r.action.into_owned(),
            target: r.target.into_owned(),
            outcome: r.outcome,
            detail: r.detail.into_owned(),
            root: r.root.into_owned(),
        })
    }

    /// The entry this record holds.
    pub fn entry(&self) -> Entry {
        Entry {
            actor: self.actor.clone(),
            nation: self.nation.clone(),
            kind: self.kind,
            action: self.action.clone(),
            target: self.target.clone(),
            outcome: self.outcome,
            detail: self.detail.clone(),
        }
    }
}

/// Why a line is not a valid entry: the field at fault, when there is one, and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{reason}", field.map(|f| format!("field `{f}`: ")).unwrap_or_default())]
pub struct LineError {
    /// The field at fault.
    pub field: Option<&'static str>,
    /// Why.
    pub reason: String,
}

impl LineError {
    fn field(field: &'static str, reason: impl Into<String>) -> LineError {
        LineError { field: Some(field), reason: reason.into() }
    }

    fn line(reason: impl Into<String>) -> LineError {
        LineError { field: None, reason: reason.into() }
    }
}

/// What verification needs of a line: its index, its leaf hash and the root it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedLine {
    /// The `index` member.
    pub index: u64,
    /// The leaf hash of the line's leaf data (see the module documentation).
    pub leaf: Hash,
    /// The `root` member.
    pub root: Hash,
}

/// The bytes after the leaf data: `,"root":"` + 64 hex digits + `"}`.
pub const ROOT_SUFFIX_LEN: usize = 75;
const ROOT_KEY: &[u8] = b",\"root\":\"";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordRef<'a> {
    index: u64,
    #[serde(borrow)]
    time: Cow<'a, str>,
    #[serde(borrow)]
    actor: Cow<'a, str>,
    #[serde(borrow)]
    nation: Cow<'a, str>,
    kind: Kind,
    #[serde(borrow)]
    action: Cow<'a, str>,
    #[serde(borrow)]
    target: Cow<'a, str>,
    outcome: Outcome,
    #[serde(borrow)]
    detail: Cow<'a, str>,
    #[serde(borrow)]
    root: Cow<'a, str>,
}

/// The longest line the writer can produce, with room for JSON escapes (`\u00XX` is six bytes a byte).
pub const MAX_LINE: usize = 6 * (3 * MAX_FIELD + MAX_DETAIL) + 512;

fn parse_ref(line: &[u8]) -> Result<(RecordRef<'_>, Hash), LineError> {
    if line.len() > MAX_LINE {
        return Err(LineError::line(format!("is {} bytes long, more than {MAX_LINE}", line.len())));
    }
    let n = line.len();
    if n < ROOT_SUFFIX_LEN + 2 || !line.ends_with(b"\"}") || &line[n - ROOT_SUFFIX_LEN..n - 66] != ROOT_KEY {
        return Err(LineError::field("root", "the line does not end with `,\"root\":\"<64 hex digits>\"}`"));
    }
    let Some(root) = merkle::from_hex(&line[n - 66..n - 2]) else {
        return Err(LineError::field("root", "is not 64 lower-case hex digits"));
    };
    let r: RecordRef<'_> = serde_json::from_slice(line).map_err(|e| {
        let msg = e.to_string();
        let msg = msg.rfind(" at line ").map_or(msg.as_str(), |p| &msg[..p]).to_owned();
        LineError::line(format!("not a valid entry: {msg} (byte {})", e.column()))
    })?;
    if OffsetDateTime::parse(&r.time, &Rfc3339).is_err() {
        return Err(LineError::field("time", format!("`{}` is not an RFC 3339 time", r.time)));
    }
    check_fields(&r.actor, &r.nation, &r.action, &r.target, &r.detail)?;
    Ok((r, root))
}

/// Parses one line of `audit.log` (without its `\n`) and hashes its leaf data.
pub fn parse_line(line: &[u8]) -> Result<ParsedLine, LineError> {
    let (r, root) = parse_ref(line)?;
    let leaf = leaf_of_line(line);
    Ok(ParsedLine { index: r.index, leaf, root })
}

/// The leaf hash of a line whose layout [`parse_line`] has checked.
fn leaf_of_line(line: &[u8]) -> Hash {
    merkle::leaf_hash_parts(&[&line[..line.len() - ROOT_SUFFIX_LEN], b"}"])
}

#[derive(Serialize)]
struct Body<'a> {
    index: u64,
    time: &'a str,
    actor: &'a str,
    nation: &'a str,
    kind: Kind,
    action: &'a str,
    target: &'a str,
    outcome: Outcome,
    detail: &'a str,
}

/// The leaf data of an entry (the JSON object without `root`) and its leaf hash.
pub(crate) fn leaf_data(index: u64, time: &str, e: &Entry) -> (Vec<u8>, Hash) {
    let body = Body {
        index,
        time,
        actor: &e.actor,
        nation: &e.nation,
        kind: e.kind,
        action: &e.action,
        target: &e.target,
        outcome: e.outcome,
        detail: &e.detail,
    };
    // Serialising a struct of strings and unit enums into a Vec cannot fail.
    let data = serde_json::to_vec(&body).unwrap_or_default();
    let leaf = merkle::leaf_hash(&data);
    (data, leaf)
}

/// Appends the full line (leaf data with `root`, then `\n`) to `out`.
pub(crate) fn write_line(data: &[u8], root: &Hash, out: &mut Vec<u8>) {
    out.extend_from_slice(&data[..data.len() - 1]);
    out.extend_from_slice(ROOT_KEY);
    out.extend_from_slice(merkle::to_hex(root).as_bytes());
    out.extend_from_slice(b"\"}\n");
}

/// The time the log stamps on an entry: now, UTC, RFC 3339 to the microsecond.
pub(crate) fn now() -> String {
    let t = OffsetDateTime::now_utc();
    let t = t.replace_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t);
    t.format(&Rfc3339).unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn line_of(index: u64, e: &Entry) -> Vec<u8> {
        let (data, leaf) = leaf_data(index, "2026-05-01T09:12:03.123456Z", e);
        let mut out = Vec::new();
        write_line(&data, &leaf, &mut out);
        out.pop();
        out
    }

    #[test]
    fn a_written_line_parses_back_with_its_leaf() {
        let e = Entry::new(Kind::Write, "alice", "POST /api/v1/observations")
            .nation("FRA")
            .target("obs-1")
            .detail("quote \" and newline \n and é");
        let line = line_of(7, &e);
        let p = parse_line(&line).unwrap();
        let (data, leaf) = leaf_data(7, "2026-05-01T09:12:03.123456Z", &e);
        assert_eq!(p.index, 7);
        assert_eq!(p.leaf, leaf);
        assert_eq!(p.root, leaf, "this test wrote the leaf as the root");
        assert_eq!([&line[..line.len() - ROOT_SUFFIX_LEN], b"}"].concat(), data);
        let r = Record::parse(&line).unwrap();
        assert_eq!(r.entry(), e);
        assert!(!line.contains(&b'\n'));
    }

    #[test]
    fn kinds_and_outcomes_are_snake_case() {
        assert_eq!(serde_json::to_string(&Kind::LoginFailed).unwrap(), "\"login_failed\"");
        assert_eq!(serde_json::to_string(&Kind::UserChange).unwrap(), "\"user_change\"");
        assert_eq!(serde_json::to_string(&Outcome::Denied).unwrap(), "\"denied\"");
        assert_eq!(Entry::new(Kind::Denied, "-", "GET /x").outcome, Outcome::Denied);
    }

    #[test]
    fn bad_lines_name_the_field() {
        let e = Entry::new(Kind::Login, "bob", "POST /api/v1/login");
        let good = String::from_utf8(line_of(0, &e)).unwrap();
        let cases = [
            (good.replace("\"kind\":\"login\"", "\"kind\":\"dance\""), "unknown variant `dance`"),
            (good.replace(",\"nation\":\"\"", ""), "missing field `nation`"),
            (good.replace("\"nation\":\"\"", "\"nation\":\"fr\""), "field `nation`"),
            (good.replace("\"time\":\"2026", "\"time\":\"x026"), "field `time`"),
            (good.replace("\"actor\":\"bob\"", "\"actor\":\"\""), "field `actor`"),
            (good[..good.len() - 3].to_owned(), "field `root`"),
            (good.replace("\"}", "X\"}"), "field `root`"),
            (good.replacen("{", "{\"extra\":1,", 1), "unknown field `extra`"),
            (good.replacen("\"index\":0", "\"index\":-1", 1), "not a valid entry"),
        ];
        for (line, want) in cases {
            let err = parse_line(line.as_bytes()).unwrap_err().to_string();
            assert!(err.contains(want), "{line}\n  gave {err}, wanted {want}");
        }
        let mut hex_upper = good.clone().into_bytes();
        let n = hex_upper.len();
        hex_upper[n - 3] = b'A';
        assert!(parse_line(&hex_upper).unwrap_err().to_string().contains("hex"));
    }

    #[test]
    fn entries_are_checked() {
        assert!(Entry::new(Kind::Login, "", "x").check().is_err());
        assert!(Entry::new(Kind::Login, "a", "").check().is_err());
        assert!(Entry::new(Kind::Login, "a", "x").nation("France").check().is_err());
        assert!(Entry::new(Kind::Login, "a", "x").detail("d".repeat(MAX_DETAIL + 1)).check().is_err());
        Entry::new(Kind::Login, "a", "x").nation("UKR").check().unwrap();
    }
}
