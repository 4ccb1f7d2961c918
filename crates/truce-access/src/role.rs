//! Roles and what each may do: the permission table of `docs/security.md`, as code.
//!
//! A role grants actions; reading is governed by labels (every role reads what its clearance, nation
//! and categories allow), writing and administering by this table. The table is one `match`, so adding
//! a role or an action is a compile error until every pair is decided.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Administers users and the node; may do everything except write the audit log.
    Admin,
    /// Submits observations.
    Monitor,
    /// Works the live picture and acknowledges alerts.
    WatchOfficer,
    /// Incidents, cases and reports.
    Analyst,
    /// The Special Commission: attribution and remedy of cases.
    Commission,
    /// The coalition and its plans.
    Planner,
    /// Reads what is releasable to the nation.
    NationalRep,
    /// Reads the audit log.
    Auditor,
}

impl Role {
    /// Every role.
    pub const ALL: &'static [Role] = &[
        Role::Admin,
        Role::Monitor,
        Role::WatchOfficer,
        Role::Analyst,
        Role::Commission,
        Role::Planner,
        Role::NationalRep,
        Role::Auditor,
    ];

    /// The stable identifier (`watch_officer`).
    pub const fn id(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Monitor => "monitor",
            Role::WatchOfficer => "watch_officer",
            Role::Analyst => "analyst",
            Role::Commission => "commission",
            Role::Planner => "planner",
            Role::NationalRep => "national_rep",
            Role::Auditor => "auditor",
        }
    }

    /// Whether this role may do `action`.
    // The permission table reads as a table, one row per role: `matches!` would fold it into one line.
    #[allow(clippy::match_like_matches_macro)]
    pub const fn may(self, action: Action) -> bool {
        use Action::*;
        use Role::*;
        match (self, action) {
            (_, Read) => true,
            (Admin, _) => true,
            (Monitor, SubmitObservation | SendTak | AcknowledgeAlert) => true,
            (WatchOfficer, SubmitObservation | SendTak | AcknowledgeAlert | OpenCase | Export) => true,
            (Analyst, AcknowledgeAlert | OpenCase | ReviewCase | IssueReport | Export) => true,
            (Commission, AcknowledgeAlert | OpenCase | ReviewCase | DecideCase | IssueReport | Export) => true,
            (Planner, EditCoalition | Export) => true,
            (NationalRep, Export) => true,
            (Auditor, ReadAudit) => true,
            _ => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.iter().copied().find(|r| r.id() == s).ok_or_else(|| {
            let ids: Vec<&str> = Role::ALL.iter().map(|r| r.id()).collect();
            format!("{s:?} is not a role; one of: {}", ids.join(", "))
        })
    }
}

/// Something a user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read what the labels allow (every role).
    Read,
    /// Submit observations (API, files).
    SubmitObservation,
    /// Send CoT into the TAK picture.
    SendTak,
    /// Acknowledge an alert (every role that writes observations or works cases: whoever acts on the
    /// picture).
    AcknowledgeAlert,
    /// Open a compliance case.
    OpenCase,
    /// Move a case through review (assign, request information, review).
    ReviewCase,
    /// Attribute and remedy a case (the Special Commission's steps).
    DecideCase,
    /// Issue a report.
    IssueReport,
    /// Export records (files, report downloads).
    Export,
    /// Change the coalition and its plans.
    EditCoalition,
    /// Read the audit log.
    ReadAudit,
    /// Manage users.
    ManageUsers,
    /// Read the node's operating figures (`/metrics`: counters of everything received).
    ReadMetrics,
}

impl Action {
    /// Every action.
    pub const ALL: &'static [Action] = &[
        Action::Read,
        Action::SubmitObservation,
        Action::SendTak,
        Action::AcknowledgeAlert,
        Action::OpenCase,
        Action::ReviewCase,
        Action::DecideCase,
        Action::IssueReport,
        Action::Export,
        Action::EditCoalition,
        Action::ReadAudit,
        Action::ManageUsers,
        Action::ReadMetrics,
    ];

    /// The stable identifier.
    pub const fn id(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::SubmitObservation => "submit_observation",
            Action::SendTak => "send_tak",
            Action::AcknowledgeAlert => "acknowledge_alert",
            Action::OpenCase => "open_case",
            Action::ReviewCase => "review_case",
            Action::DecideCase => "decide_case",
            Action::IssueReport => "issue_report",
            Action::Export => "export",
            Action::EditCoalition => "edit_coalition",
            Action::ReadAudit => "read_audit",
            Action::ManageUsers => "manage_users",
            Action::ReadMetrics => "read_metrics",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}
