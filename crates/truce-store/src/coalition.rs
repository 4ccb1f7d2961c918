//! The coalition's tables: entities as JSON bodies, and the two series that only ever grow — pledge
//! history and regeneration progress.
//!
//! # Design
//!
//! The shapes belong to `truce-coalition`; the store keeps each entity as a row `(kind, id, body)` and
//! compares bodies to know what an import changed. History entries are keyed by (pledge, date, status,
//! source) and progress points by (target, date): an import adds the ones it does not have and updates
//! the words of the ones it has, and **never deletes** any, so a pledge's history accumulates across
//! imports whatever each file holds. Where an entry was read from (file and line) and the import that
//! first recorded it are kept beside the body and are not part of the comparison, so importing the
//! same file again, from anywhere, changes nothing — and writes nothing: an import that would change
//! nothing is not even logged. A whole import is one transaction.
//!
//! # Labels
//!
//! Every row carries a security label (columns beside the body, compared with it: an import that
//! only relabels a row changes it), and every read answers only what the handle's viewer may see
//! ([`Scope`](crate::Scope)). The day a row's release codes are expanded on is a history entry's or
//! progress point's own date, and for an entity the time it was **first recorded** (the import that
//! added it; a later import that changes it keeps that time), so Finland sees an entity released to
//! `NATO` only when it was first recorded on or after 4 April 2023. Hidden rows answer like missing
//! ones, and the import log ([`CoalitionStore::coalition_imports`]), whose counts cover every row, is
//! the operator's alone.

use time::OffsetDateTime;
use truce_access::Access;
use truce_core::Label;

use crate::StoreError;
use crate::observations::to_ms;

/// One entity: a nation, pledge, requirement, unit, place, plan, theatre, measure, target or milestone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoalitionItem {
    /// What it is, e.g. `pledge`.
    pub kind: String,
    /// Its id within the kind.
    pub id: String,
    /// JSON body.
    pub body: String,
    /// The file it was read from.
    pub file: String,
    /// The line in the file.
    pub line: i64,
    /// The security label.
    pub label: Label,
}

/// One step of a pledge's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PledgeEvent {
    /// The pledge.
    pub pledge: String,
    /// The date, `YYYY-MM-DD`.
    pub date: String,
    /// The status reported.
    pub status: String,
    /// The source.
    pub source: String,
    /// JSON body.
    pub body: String,
    /// The file it was read from.
    pub file: String,
    /// The line in the file.
    pub line: i64,
    /// The security label.
    pub label: Label,
}

/// One measurement of regeneration progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressPoint {
    /// The target.
    pub target: String,
    /// The date, `YYYY-MM-DD`.
    pub date: String,
    /// JSON body.
    pub body: String,
    /// The file it was read from.
    pub file: String,
    /// The line in the file.
    pub line: i64,
    /// The security label.
    pub label: Label,
}

/// What one import brings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoalitionBatch {
    /// The files imported, as given.
    pub files: Vec<String>,
    /// Entities.
    pub items: Vec<CoalitionItem>,
    /// History entries.
    pub history: Vec<PledgeEvent>,
    /// Progress points.
    pub progress: Vec<ProgressPoint>,
}

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CoalitionImportReport {
    /// The import's sequence number, when it changed anything.
    pub import: Option<i64>,
    /// Entities stored for the first time.
    pub items_added: u64,
    /// Entities whose body changed.
    pub items_changed: u64,
    /// History entries added.
    pub history_added: u64,
    /// History entries whose words changed.
    pub history_changed: u64,
    /// Progress points added.
    pub progress_added: u64,
    /// Progress points whose value or words changed.
    pub progress_changed: u64,
}

impl CoalitionImportReport {
    /// True when the import changed nothing.
    pub fn is_empty(&self) -> bool {
        self.items_added
            + self.items_changed
            + self.history_added
            + self.history_changed
            + self.progress_added
            + self.progress_changed
            == 0
    }
}

/// A stored row with when and by which import it was first recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored<T> {
    /// The row.
    pub row: T,
    /// The import that first recorded it.
    pub import: i64,
    /// When that import ran.
    pub imported_at: OffsetDateTime,
}

/// One import, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoalitionImportRow {
    /// Sequence number.
    pub seq: i64,
    /// When.
    pub at: OffsetDateTime,
    /// The files, one per line.
    pub files: String,
    /// What it changed (JSON).
    pub summary: String,
}

/// Persistence for the coalition. See the module documentation.
pub trait CoalitionStore: Send + Sync {
    /// Stores an import in one transaction: entities added or replaced, history and progress added to
    /// (never removed). Nothing is written when nothing would change.
    ///
    /// # Errors
    /// When the database fails, or a history entry's or progress point's date is not `YYYY-MM-DD`;
    /// nothing of the import is stored then.
    fn import_coalition(&self, batch: &CoalitionBatch, at: OffsetDateTime)
    -> Result<CoalitionImportReport, StoreError>;

    /// Every stored entity the handle's viewer may see, by kind then id.
    ///
    /// # Errors
    /// When the database fails.
    fn coalition_items(&self) -> Result<Vec<Stored<CoalitionItem>>, StoreError>;

    /// Every history entry the handle's viewer may see, by pledge, date and the order recorded.
    ///
    /// # Errors
    /// When the database fails.
    fn pledge_history(&self) -> Result<Vec<Stored<PledgeEvent>>, StoreError>;

    /// Every progress point the handle's viewer may see, by target and date.
    ///
    /// # Errors
    /// When the database fails.
    fn regeneration_progress(&self) -> Result<Vec<Stored<ProgressPoint>>, StoreError>;

    /// The imports that changed something, oldest first; nothing for a handle that reads as a viewer
    /// (an import's files and counts cover rows the viewer may not see).
    ///
    /// # Errors
    /// When the database fails.
    fn coalition_imports(&self) -> Result<Vec<CoalitionImportRow>, StoreError>;
}

/// Midnight UTC of a `YYYY-MM-DD` date, Unix ms: the time a dated row's release codes expand on.
pub(crate) fn date_ms(id: &str, date: &str) -> Result<i64, StoreError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(date, format)
        .map(|d| to_ms(d.midnight().assume_utc()))
        .map_err(|e| StoreError::Invalid { id: id.to_owned(), reason: format!("date {date:?}: {e}") })
}

/// A coalition table as both backends read it: a row's keys, then the columns every such table ends
/// with (see [`Table::select`]).
pub(crate) struct Table {
    /// The table's name.
    name: &'static str,
    /// The key columns.
    keys: &'static str,
    /// The column of the time the access rule reads a row's label on.
    time: &'static str,
    /// The order of the rows.
    order: &'static str,
}

/// Entities: keyed by kind and id, read on the time they were first recorded.
pub(crate) const ITEMS: Table =
    Table { name: "coalition_items", keys: "t.kind, t.id", time: "t.recorded_ms", order: "t.kind, t.id" };

/// History entries: keyed by pledge, date, status and source, read on their date; a pledge's entries
/// of a date in the order they were recorded.
pub(crate) const HISTORY: Table = Table {
    name: "pledge_history",
    keys: "t.pledge, t.date, t.status, t.source",
    time: "t.time_ms",
    order: "t.pledge, t.date, t.import_seq, t.rowid",
};

/// Progress points: keyed by target and date, read on their date.
pub(crate) const PROGRESS: Table =
    Table { name: "regeneration_progress", keys: "t.target, t.date", time: "t.time_ms", order: "t.target, t.date" };

impl Table {
    /// The statement reading the rows that `access` may see (the table as `t`, joined to its import as
    /// `m`): the keys, then `body, file, line`, the import and its time (0 when it is not logged), and
    /// the label's three columns.
    pub(crate) fn select(&self, access: &Access) -> String {
        let Table { name, keys, time, order } = self;
        let visible = access.sql("t.rank", "t.rel", "t.cats", time);
        format!(
            "SELECT {keys}, t.body, t.file, t.line, t.import_seq, COALESCE(m.at_ms, 0), t.rank, t.rel, t.cats \
             FROM {name} t LEFT JOIN coalition_imports m ON m.seq = t.import_seq WHERE {visible} ORDER BY {order}"
        )
    }
}
