//! Geodesy and spatial indexes for truce.
//!
//! Everything here answers one of two questions about a point on the WGS84 ellipsoid, fast enough to be
//! asked millions of times per second per core:
//!
//! - [`LineIndex`]: how far is the point from a reference line (in metres, along the ellipsoid), and on
//!   which side of it does it lie?
//! - [`ZoneIndex`]: which of a set of polygons (with holes, multipolygons) contain it?
//!
//! Both follow the same design: the fences change rarely and the points are many, so all the work that
//! can be done once is done when the index is built. A quadtree over longitude/latitude cells stores, for
//! every leaf, the few items (line segments, polygon edges) that can matter for any point in that leaf;
//! a query walks a handful of tree levels and then looks at those few items only. The cost per point
//! therefore depends on how crowded the neighbourhood of the point is, not on the total number of
//! vertices or zones (see `benches/` and the README for the figures).
//!
//! A caller that asks the same questions of several lines and a zone index for every point (the
//! classifier) builds a [`FenceTable`] over them: a flat grid whose cells name the one chord piece per
//! line and the zone set that hold for the whole cell, so most points cost one small table read and
//! one chord per line, with the quadtree walks as the exact fallback on cells that straddle a boundary.
//! Its answers are the walks' answers, bit for bit. A [`QueryPoint`] carries a point's ECEF
//! coordinates so that the trigonometry is done once per point, not once per line.
//!
//! [`geodesic`] holds the exact (Karney) reference used to check the fast paths, and the geodesic length
//! and area used in summaries.

mod ecef;
mod fences;
pub mod fixtures;
pub mod geodesic;
mod line;
mod quadtree;
mod table;
mod zone;

pub use ecef::Ecef;
pub use fences::{FenceCell, FenceTable, FenceTableStats};
pub use line::{
    LineDistance, LineIndex, LineIndexError, LineIndexStats, LineOptions, LineParts, QueryPoint, Side, SideBeyondEnds,
};
pub use zone::{Polygon, ZoneIndex, ZoneIndexError, ZonePolygon};

/// A region a query can be narrowed to when no box or polygon expresses it exactly (an early-warning
/// sector: the points nearer to one stretch of the line than to any other, within a distance). A
/// store narrows its rows with the box (an index can serve it), then asks [`Area::covers`] of each.
pub trait Area: std::fmt::Debug + Send + Sync {
    /// West, south, east, north, degrees: a box that holds every point the area covers.
    fn bbox(&self) -> [f64; 4];
    /// Whether the point is in the area.
    fn covers(&self, p: LonLat) -> bool;
}

/// A position in WGS84 degrees: longitude east, latitude north (the GeoJSON axis order).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLat {
    /// Longitude in degrees, -180..=180.
    pub lon: f64,
    /// Latitude in degrees, -90..=90.
    pub lat: f64,
}

impl LonLat {
    /// A position from longitude and latitude in degrees.
    pub const fn new(lon: f64, lat: f64) -> Self {
        Self { lon, lat }
    }

    /// True when both coordinates are finite and within their ranges.
    pub fn is_valid(&self) -> bool {
        self.lon.is_finite()
            && self.lat.is_finite()
            && (-180.0..=180.0).contains(&self.lon)
            && (-90.0..=90.0).contains(&self.lat)
    }
}
