//! Alerts and compliance cases as stored: rows with a JSON body whose shape belongs to `truce-watch`,
//! and the columns that queries filter on beside it.

use time::OffsetDateTime;

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    /// Sequence number (assigned by the store; 0 before).
    pub seq: i64,
    /// When the level changed.
    pub at: OffsetDateTime,
    /// Sector id, or `line`.
    pub scope: String,
    /// New level.
    pub level: String,
    /// Level before.
    pub previous: String,
    /// JSON body.
    pub body: String,
    /// The security label: the aggregate of what the assessment read.
    pub label: crate::Label,
    /// Whose assessment raised it: the audience key of the viewers it was assessed for
    /// (`truce_access::Access::audience`; `*` for the assessment of everything). A level is a fact
    /// about what one class of viewer may see, so each class has its own alerts and reads only them.
    pub audience: String,
}

/// A stored case (without its actions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    /// Identifier (`case-3f9a0c12de`: random, assigned by the store).
    pub id: String,
    /// When it was opened.
    pub opened_at: OffsetDateTime,
    /// Title.
    pub title: String,
    /// Current stage.
    pub stage: String,
    /// JSON body.
    pub body: String,
    /// The security label of the case and its actions (at least its incident's).
    pub label: crate::Label,
}

/// One action on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionRow {
    /// Order within the case, from 1.
    pub seq: i64,
    /// When.
    pub at: OffsetDateTime,
    /// Who.
    pub actor: String,
    /// JSON body.
    pub body: String,
}
