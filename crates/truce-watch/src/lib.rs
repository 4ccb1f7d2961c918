//! What the monitors' observations add up to: incidents, compliance cases and early warning.
//!
//! - [`incident`]: observations of one event by several monitors merged into one incident, with a
//!   best location, its uncertainty and a confidence.
//! - [`sector`]: the areas along the line that counts are made in.
//! - [`series`]: incidents per sector, category and hour or day.
//! - [`warning`]: count series per sector and category, explainable detectors (surge rule, Poisson
//!   CUSUM, EWMA) and the domain indicators monitors trust, fused into a level per sector.
//! - [`case`]: compliance cases opened on incidents, moving through evidence → attribution → remedy.

pub mod case;
pub mod incident;
pub mod sector;
pub mod series;
pub mod warning;

pub use incident::{Correlator, Incident, Located, Rule, correlate, incidents_in_sectors};
pub use sector::{Sector, SectorArea, SectorErrors, SectorProblem, Sectors};
pub use warning::{Assessment, Config, Detector, Level, Reason, SectorAssessment, Watch};
