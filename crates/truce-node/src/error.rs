//! Why a node could not start or a service failed: one error type for the crate, with every problem
//! of an invalid file kept so the command line can print them all.

use std::path::PathBuf;

use truce_engine::AgreementErrors;
use truce_store::StoreError;
use truce_watch::SectorErrors;

/// A node error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The agreement file is invalid (every problem is in `errors`).
    #[error("the agreement {} is invalid ({} error{})", path.display(), errors.0.len(), if errors.0.len() == 1 { "" } else { "s" })]
    Agreement {
        /// The file.
        path: PathBuf,
        /// Every problem.
        errors: AgreementErrors,
    },
    /// The sectors file is invalid (every problem is in `errors`).
    #[error("the sectors {what} is invalid ({} error{})", errors.0.len(), if errors.0.len() == 1 { "" } else { "s" })]
    Sectors {
        /// The file, or how the sectors were made.
        what: String,
        /// Every problem.
        errors: SectorErrors,
    },
    /// The store failed.
    #[error("the store failed: {0}")]
    Store(#[from] StoreError),
    /// A file or directory could not be used.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, naming the path.
        what: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The TAK listeners could not start.
    #[error(transparent)]
    Tak(#[from] truce_tak::Error),
    /// The certificates could not be made or read.
    #[error(transparent)]
    Pki(#[from] truce_pki::Error),
    /// The coalition could not be imported or read.
    #[error(transparent)]
    Coalition(#[from] truce_coalition::store::CoalitionError),
    /// The label policy file is invalid.
    #[error("the label policy {0}")]
    Policy(#[from] truce_access::PolicyError),
    /// A setting or request does not fit what the node has (names what to fix).
    #[error("{0}")]
    Invalid(String),
}

impl NodeError {
    /// Every problem behind the error, one line each (`FILE: field: reason`), for errors about a file
    /// with several; empty for the others.
    pub fn problems(&self) -> Vec<String> {
        match self {
            NodeError::Agreement { errors, .. } => errors.0.iter().map(ToString::to_string).collect(),
            NodeError::Sectors { errors, .. } => errors.0.iter().map(ToString::to_string).collect(),
            NodeError::Coalition(truce_coalition::store::CoalitionError::Invalid(p)) => {
                p.0.iter().map(ToString::to_string).collect()
            }
            _ => Vec::new(),
        }
    }

    /// An I/O error with what was being done.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        NodeError::Io { what: what.into(), source }
    }
}
