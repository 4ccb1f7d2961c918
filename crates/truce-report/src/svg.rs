//! Hand-written inline SVG: bar charts and maps, with no script and nothing fetched.
//!
//! Charts are plain `<rect>`s and `<text>`s sized from the data. Maps use an equirectangular
//! projection scaled by cos(latitude) at the middle of the view (x = Δlon·cos φ₀, y = −Δlat): at the
//! scale of a front a few hundred kilometres long the distortion is a few per cent, and the output
//! stays a few kilobytes. Under everything lie land and sea ([`crate::coast`]), clipped to the frame and
//! simplified to the map's scale. Every label goes through [`crate::html::esc`]; numbers are formatted here.

use std::fmt::Write as _;

use crate::coast;
use crate::html::esc;
use crate::model::Geometry;

/// The colour of a category's dots and bars.
pub fn category_colour(id: &str) -> &'static str {
    match id {
        "explosion_impact" => "#d62728",
        "explosion_airburst" => "#ff7f0e",
        "explosion_outgoing" => "#8c564b",
        "explosion_undetermined" => "#9467bd",
        "projectile_in_flight" => "#e377c2",
        "muzzle_flash" => "#bcbd22",
        "illumination_flare" => "#17becf",
        "bursts_and_shots" => "#7f7f7f",
        "weapon_sighting" => "#1f77b4",
        "restriction_of_movement" => "#2ca02c",
        "gps_jamming" => "#006d6f",
        "civilian_casualty" => "#000000",
        _ => "#555555",
    }
}

/// One series of a bar chart: its name and colour.
pub struct Series<'a> {
    /// Name (legend).
    pub name: &'a str,
    /// Fill colour.
    pub colour: &'a str,
}

/// A horizontal grouped bar chart: one group of bars per row, one bar per series.
pub fn bars(title: &str, series: &[Series<'_>], rows: &[(String, Vec<u64>)]) -> String {
    let label_w = 190.0;
    let width = 680.0;
    let bar_h = 11.0;
    let gap = 7.0;
    let legend_h = 22.0;
    let plot_w = width - label_w - 50.0;
    let max = rows.iter().flat_map(|r| r.1.iter().copied()).max().unwrap_or(0).max(1) as f64;
    let group_h = bar_h * series.len() as f64 + gap;
    let height = legend_h + group_h * rows.len() as f64 + 6.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0}" width="{width}" height="{height:.0}" role="img" aria-label="{}" class="chart">"#,
        esc(title)
    );
    let _ = write!(s, "<title>{}</title>", esc(title));
    let mut x = label_w;
    for se in series {
        let _ = write!(
            s,
            r#"<rect x="{x}" y="4" width="10" height="10" fill="{}"/><text x="{}" y="13" font-size="11">{}</text>"#,
            esc(se.colour),
            x + 14.0,
            esc(se.name)
        );
        x += 24.0 + 7.0 * se.name.chars().count() as f64;
    }
    for (i, (label, values)) in rows.iter().enumerate() {
        let y0 = legend_h + group_h * i as f64;
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" font-size="11" text-anchor="end">{}</text>"#,
            label_w - 6.0,
            y0 + group_h / 2.0,
            esc(label)
        );
        for (k, v) in values.iter().enumerate() {
            let y = y0 + bar_h * k as f64;
            let w = plot_w * *v as f64 / max;
            let colour = series.get(k).map_or("#555", |se| se.colour);
            let _ = write!(
                s,
                r#"<rect x="{label_w}" y="{y:.1}" width="{w:.1}" height="{:.1}" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="10">{v}</text>"#,
                bar_h - 1.0,
                esc(colour),
                label_w + w + 3.0,
                y + bar_h - 2.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A vertical column chart (one column per label), e.g. CFVs per day.
pub fn columns(title: &str, colour: &str, rows: &[(String, u64)]) -> String {
    let width = 680.0;
    let height = 220.0;
    let (left, bottom, top) = (40.0, 34.0, 14.0);
    let plot_h = height - bottom - top;
    let n = rows.len().max(1) as f64;
    let slot = (width - left - 10.0) / n;
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{}" class="chart"><title>{}</title>"#,
        esc(title),
        esc(title)
    );
    let _ = write!(
        s,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{:.1}" stroke="#333"/><line x1="{left}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#333"/>"##,
        height - bottom,
        height - bottom,
        width - 10.0,
        height - bottom
    );
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" font-size="10" text-anchor="end">{}</text>"#,
        left - 4.0,
        top + 4.0,
        max as u64
    );
    for (i, (label, v)) in rows.iter().enumerate() {
        let h = plot_h * *v as f64 / max;
        let x = left + slot * i as f64 + slot * 0.15;
        let w = slot * 0.7;
        let y = height - bottom - h;
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{}"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{v}</text><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{}</text>"#,
            esc(colour),
            x + w / 2.0,
            (y - 3.0).max(10.0),
            x + w / 2.0,
            height - bottom + 14.0,
            esc(label)
        );
    }
    s.push_str("</svg>");
    s
}

/// Something drawn on a map.
#[derive(Debug, Clone)]
pub enum Mark {
    /// A filled circle, radius in pixels.
    Dot {
        /// Longitude.
        lon: f64,
        /// Latitude.
        lat: f64,
        /// Radius, pixels.
        r: f64,
        /// Fill.
        colour: String,
        /// Tooltip.
        label: String,
    },
    /// A circle of a radius in metres (an uncertainty).
    Ring {
        /// Longitude.
        lon: f64,
        /// Latitude.
        lat: f64,
        /// Radius, metres.
        radius_m: f64,
        /// Stroke.
        colour: String,
    },
    /// A line from one position to another (an observer's bearing).
    Segment {
        /// From `[lon, lat]`.
        from: [f64; 2],
        /// To `[lon, lat]`.
        to: [f64; 2],
        /// Stroke.
        colour: String,
    },
    /// A square with a label (an observer).
    Square {
        /// Longitude.
        lon: f64,
        /// Latitude.
        lat: f64,
        /// Text beside it.
        label: String,
    },
}

/// The view of a map: west, south, east, north in degrees.
pub type Bounds = [f64; 4];

/// The bounds of some points, padded by `pad` of their size and at least `min_deg` across.
pub fn bounds_of(points: impl IntoIterator<Item = [f64; 2]>, pad: f64, min_deg: f64) -> Option<Bounds> {
    let mut b: Option<Bounds> = None;
    for [lon, lat] in points {
        if !(lon.is_finite() && lat.is_finite()) {
            continue;
        }
        b = Some(match b {
            None => [lon, lat, lon, lat],
            Some([w, s, e, n]) => [w.min(lon), s.min(lat), e.max(lon), n.max(lat)],
        });
    }
    b.map(|[w, s, e, n]| {
        let (cx, cy) = ((w + e) / 2.0, (s + n) / 2.0);
        let dx = ((e - w) * (1.0 + 2.0 * pad)).max(min_deg) / 2.0;
        let dy = ((n - s) * (1.0 + 2.0 * pad)).max(min_deg * 0.66) / 2.0;
        [cx - dx, cy - dy, cx + dx, cy + dy]
    })
}

struct Projection {
    west: f64,
    north: f64,
    kx: f64,
    scale: f64,
}

impl Projection {
    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        ((lon - self.west) * self.kx * self.scale, (self.north - lat) * self.scale)
    }

    fn path(&self, pts: &[[f64; 2]]) -> String {
        let mut d = String::new();
        for (i, [lon, lat]) in pts.iter().enumerate() {
            let (x, y) = self.xy(*lon, *lat);
            let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { " L" });
        }
        d
    }
}

/// Land, then the seas over it, as much as the view `[west, south, east, north]` shows: one path per
/// polygon (countries overlap, Crimea is in two, so they cannot share an even-odd path), its holes
/// cut out; the land's holes (the Dnipro's reservoirs) are then filled as water. Land has the map's
/// background colour: where the coarse land outline falls short of the fine coast, or beyond the
/// countries the file has, the map still shows land. See [`crate::coast`].
fn coast(s: &mut String, p: &Projection, view: Bounds) {
    const SEA: &str = "#cddff0";
    let [west, south, east, north] = view;
    // Two pixels beyond the frame, so the seams clipping leaves are out of sight.
    let (mx, my) = (2.0 / (p.scale * p.kx), 2.0 / p.scale);
    let frame = [west - mx, south - my, east + mx, north + my];
    let seen = |poly: &&coast::Polygon| {
        let [w, so, e, n] = poly.bounds;
        w <= frame[2] && e >= frame[0] && so <= frame[3] && n >= frame[1]
    };
    let layers = coast::layers();
    let mut lakes = String::new();
    for poly in layers.land.iter().filter(seen) {
        let d = rings_path(p, &poly.rings, frame);
        if !d.is_empty() {
            let _ = write!(
                s,
                r##"<path class="land" d="{d}" fill="#f4f1ea" fill-rule="evenodd" stroke="#b5aa94" stroke-width="0.7"/>"##
            );
            lakes.push_str(&rings_path(p, &poly.rings[1..], frame));
        }
    }
    if !lakes.is_empty() {
        let _ = write!(s, r##"<path class="lake" d="{lakes}" fill="{SEA}" stroke="#5b88b3" stroke-width="0.4"/>"##);
    }
    for poly in layers.sea.iter().filter(seen) {
        let d = rings_path(p, &poly.rings, frame);
        if !d.is_empty() {
            let _ = write!(
                s,
                r##"<path class="coast" d="{d}" fill="{SEA}" fill-rule="evenodd" stroke="#5b88b3" stroke-width="0.7"/>"##
            );
        }
    }
}

/// The SVG path of rings clipped to `frame`, projected and simplified to [`COAST_TOLERANCE_PX`], rings
/// smaller than two pixels left out. Positions are rounded to a tenth of a pixel and written relative
/// to the previous one (`m`, `l`): short numbers, and rounding errors do not add up because the deltas
/// are taken between rounded positions.
fn rings_path(p: &Projection, rings: &[Vec<[f64; 2]>], frame: Bounds) -> String {
    let mut d = String::new();
    // The pen, in tenths of a pixel (a path's `m` after a `z` is relative to the closed subpath's start).
    let mut pen = (0i64, 0i64);
    for ring in rings {
        let mut px: Vec<(f64, f64)> = coast::clip(ring, frame).iter().map(|q| p.xy(q[0], q[1])).collect();
        let Some(&first) = px.first() else { continue };
        px.push(first);
        let kept = coast::simplify(&px, COAST_TOLERANCE_PX);
        let (x0, x1) = kept.iter().fold((f64::MAX, f64::MIN), |(a, b), q| (a.min(q.0), b.max(q.0)));
        let (y0, y1) = kept.iter().fold((f64::MAX, f64::MIN), |(a, b), q| (a.min(q.1), b.max(q.1)));
        if kept.len() < 4 || (x1 - x0).max(y1 - y0) < 2.0 {
            continue;
        }
        let mut tenths: Vec<(i64, i64)> = kept[..kept.len() - 1]
            .iter()
            .map(|(x, y)| ((x * 10.0).round() as i64, (y * 10.0).round() as i64))
            .collect();
        tenths.dedup();
        let start = tenths[0];
        let _ = write!(d, "m{},{}", tenth(start.0 - pen.0), tenth(start.1 - pen.1));
        if tenths.len() > 1 {
            d.push('l');
        }
        for (k, w) in tenths.windows(2).enumerate() {
            let sep = if k == 0 { "" } else { " " };
            let _ = write!(d, "{sep}{},{}", tenth(w[1].0 - w[0].0), tenth(w[1].1 - w[0].1));
        }
        d.push('z');
        pen = start;
    }
    d
}

/// How far the drawn coast may be from the data's, pixels.
const COAST_TOLERANCE_PX: f64 = 0.7;

/// A whole number of tenths as a decimal: `-12` is `-1.2`, `30` is `3`.
fn tenth(v: i64) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let (units, frac) = (v.abs() / 10, v.abs() % 10);
    if frac == 0 { format!("{sign}{units}") } else { format!("{sign}{units}.{frac}") }
}

/// A map of `bounds`, `width` pixels wide: land and sea, the agreement's lines, the sectors (each
/// labelled), the areas, then the marks on top.
pub fn map(title: &str, geometry: &Geometry, marks: &[Mark], bounds: Bounds, width: f64) -> String {
    let [west, south, east, north] = bounds;
    let kx = ((south + north) / 2.0).to_radians().cos();
    let scale = width / ((east - west) * kx).max(1e-9);
    let height = ((north - south) * scale).clamp(120.0, 1_400.0);
    let p = Projection { west, north, kx, scale };
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" width="{width:.0}" height="{height:.0}" role="img" aria-label="{}" class="map" style="overflow:hidden;background:#f4f1ea"><title>{}</title>"#,
        esc(title),
        esc(title)
    );
    coast(&mut s, &p, [west, north - height / scale, east, north]);
    // Sectors: alternating shades under the lines, labelled at their middle vertex.
    let shades = ["#c9d8ea", "#e3d3b8"];
    for (i, (name, path)) in geometry.sectors.iter().enumerate() {
        if path.len() < 2 {
            continue;
        }
        let closed = path.first() == path.last() && path.len() > 3;
        let _ = write!(
            s,
            r#"<path d="{}{}" fill="{}" fill-opacity="{}" stroke="{}" stroke-width="{}" stroke-linecap="butt"><title>{}</title></path>"#,
            p.path(path),
            if closed { " Z" } else { "" },
            if closed { shades[i % 2] } else { "none" },
            if closed { "0.4" } else { "0" },
            shades[i % 2],
            if closed { 1 } else { 14 },
            esc(name)
        );
    }
    for (name, ring) in &geometry.areas {
        let _ = write!(
            s,
            r##"<path d="{} Z" fill="#ffd54f" fill-opacity="0.5" stroke="#a67c00" stroke-width="0.8"><title>{}</title></path>"##,
            p.path(ring),
            esc(name)
        );
    }
    for (k, (name, parts)) in geometry.lines.iter().enumerate() {
        for part in parts {
            let _ = write!(
                s,
                r#"<path d="{}" fill="none" stroke="{}" stroke-width="{}" {}><title>{}</title></path>"#,
                p.path(part),
                if k == 0 { "#b00020" } else { "#6d4c41" },
                if k == 0 { 1.8 } else { 1.2 },
                if k == 0 { "" } else { r#"stroke-dasharray="5 3""# },
                esc(name)
            );
        }
    }
    for (name, path) in &geometry.sectors {
        if let Some([lon, lat]) = path.get(path.len() / 2) {
            let (x, y) = p.xy(*lon, *lat);
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="#234" stroke="#f4f1ea" stroke-width="3" paint-order="stroke">{}</text>"##,
                x + 10.0,
                y - 8.0,
                esc(name)
            );
        }
    }
    for m in marks {
        match m {
            Mark::Ring { lon, lat, radius_m, colour } => {
                let (x, y) = p.xy(*lon, *lat);
                let r = radius_m / 111_320.0 * scale;
                let _ = write!(
                    s,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="{}" fill-opacity="0.12" stroke="{}" stroke-dasharray="3 2"/>"#,
                    esc(colour),
                    esc(colour)
                );
            }
            Mark::Segment { from, to, colour } => {
                let (x1, y1) = p.xy(from[0], from[1]);
                let (x2, y2) = p.xy(to[0], to[1]);
                let _ = write!(
                    s,
                    r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{}" stroke-width="1.2"/>"#,
                    esc(colour)
                );
            }
            Mark::Square { lon, lat, label } => {
                let (x, y) = p.xy(*lon, *lat);
                let _ = write!(
                    s,
                    r##"<rect x="{:.1}" y="{:.1}" width="8" height="8" fill="#1f3b73"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#1f3b73">{}</text>"##,
                    x - 4.0,
                    y - 4.0,
                    x + 7.0,
                    y + 4.0,
                    esc(label)
                );
            }
            Mark::Dot { .. } => {}
        }
    }
    for m in marks {
        if let Mark::Dot { lon, lat, r, colour, label } = m {
            let (x, y) = p.xy(*lon, *lat);
            let _ = write!(
                s,
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="{}" fill-opacity="0.85" stroke="#fff" stroke-width="0.6"><title>{}</title></circle>"##,
                esc(colour),
                esc(label)
            );
        }
    }
    scale_bar(&mut s, scale, height);
    let _ = write!(
        s,
        r##"<text x="{:.0}" y="18" font-size="13" font-weight="bold" text-anchor="middle" fill="#333">N ↑</text>"##,
        width - 22.0
    );
    s.push_str("</svg>");
    s
}

fn scale_bar(s: &mut String, px_per_deg_lat: f64, height: f64) {
    let km_per_px = 111.32 / px_per_deg_lat;
    let target = km_per_px * 120.0;
    let nice = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];
    let km = nice.iter().copied().rfind(|&k| k <= target).unwrap_or(0.1);
    let w = km / km_per_px;
    let y = height - 12.0;
    let label = if km < 1.0 { format!("{:.0} m", km * 1000.0) } else { format!("{km:.0} km") };
    let _ = write!(
        s,
        r##"<rect x="10" y="{:.1}" width="{:.1}" height="4" fill="#333"/><text x="10" y="{:.1}" font-size="10">{label}</text>"##,
        y,
        w,
        y - 3.0
    );
}
