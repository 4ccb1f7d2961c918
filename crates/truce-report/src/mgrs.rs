//! MGRS references for the annex and the spot report, beside latitude and longitude.
//!
//! WGS84 → UTM by the transverse Mercator series of Snyder ("Map Projections: A Working Manual",
//! USGS 1987, eqs. 8-9 to 8-10), good to well under a metre within a zone; then the zone, the
//! latitude band, the 100 km square letters (the AA scheme of WGS84) and the digits, **truncated**
//! (not rounded) as the NATO convention requires, so the reference names the square the point is in.
//! The polar regions (UPS) are outside what a ceasefire along this line needs: `None` there.

/// The MGRS reference of a position with `digits` digits per coordinate (4: 10 m, 5: 1 m), e.g.
/// `37U DP 1234 5678`; `None` outside 80°S–84°N or for an invalid position.
pub fn to_mgrs(lat: f64, lon: f64, digits: usize) -> Option<String> {
    if !(lat.is_finite() && lon.is_finite() && (-80.0..=84.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
        return None;
    }
    let digits = digits.clamp(1, 5);
    let lon = if lon >= 180.0 { lon - 360.0 } else { lon };
    let mut zone = ((lon + 180.0) / 6.0).floor() as i32 + 1;
    // Norway and Svalbard exceptions.
    if (56.0..64.0).contains(&lat) && (3.0..12.0).contains(&lon) {
        zone = 32;
    }
    if (72.0..=84.0).contains(&lat) && (0.0..42.0).contains(&lon) {
        zone = if lon < 9.0 {
            31
        } else if lon < 21.0 {
            33
        } else if lon < 33.0 {
            35
        } else {
            37
        };
    }
    let bands = b"CDEFGHJKLMNPQRSTUVWX";
    let band = bands[(((lat + 80.0) / 8.0).floor() as usize).min(bands.len() - 1)] as char;
    let (easting, northing) = utm(lat, lon, zone);
    let set = (zone - 1) % 6 + 1;
    let columns: &[u8] = match set {
        1 | 4 => b"ABCDEFGH",
        2 | 5 => b"JKLMNPQR",
        _ => b"STUVWXYZ",
    };
    let col = (easting / 100_000.0).floor() as i64 - 1;
    let column = *columns.get(usize::try_from(col).ok()?)? as char;
    let rows = b"ABCDEFGHJKLMNPQRSTUV";
    let row_index = ((northing / 100_000.0).floor() as i64 + if zone % 2 == 0 { 5 } else { 0 }).rem_euclid(20);
    let row = rows[usize::try_from(row_index).ok()?] as char;
    let scale = 10f64.powi(5 - digits as i32);
    let e = ((easting.rem_euclid(100_000.0)) / scale).floor() as u64;
    let n = ((northing.rem_euclid(100_000.0)) / scale).floor() as u64;
    Some(format!("{zone}{band} {column}{row} {e:0digits$} {n:0digits$}"))
}

/// UTM easting and northing (metres, northing with the 10,000 km false northing south of the
/// equator) of a position in `zone`.
fn utm(lat: f64, lon: f64, zone: i32) -> (f64, f64) {
    const A: f64 = 6_378_137.0;
    const F: f64 = 1.0 / 298.257_223_563;
    const K0: f64 = 0.9996;
    let e2 = F * (2.0 - F);
    let e4 = e2 * e2;
    let e6 = e4 * e2;
    let ep2 = e2 / (1.0 - e2);
    let phi = lat.to_radians();
    let lon0 = f64::from((zone - 1) * 6 - 180 + 3).to_radians();
    let (s, c) = phi.sin_cos();
    let n = A / (1.0 - e2 * s * s).sqrt();
    let t = phi.tan() * phi.tan();
    let cc = ep2 * c * c;
    let a = c * (lon.to_radians() - lon0);
    let m = A
        * ((1.0 - e2 / 4.0 - 3.0 * e4 / 64.0 - 5.0 * e6 / 256.0) * phi
            - (3.0 * e2 / 8.0 + 3.0 * e4 / 32.0 + 45.0 * e6 / 1024.0) * (2.0 * phi).sin()
            + (15.0 * e4 / 256.0 + 45.0 * e6 / 1024.0) * (4.0 * phi).sin()
            - (35.0 * e6 / 3072.0) * (6.0 * phi).sin());
    let x = K0
        * n
        * (a + (1.0 - t + cc) * a.powi(3) / 6.0
            + (5.0 - 18.0 * t + t * t + 72.0 * cc - 58.0 * ep2) * a.powi(5) / 120.0)
        + 500_000.0;
    let mut y = K0
        * (m + n
            * phi.tan()
            * (a * a / 2.0
                + (5.0 - t + 9.0 * cc + 4.0 * cc * cc) * a.powi(4) / 24.0
                + (61.0 - 58.0 * t + t * t + 600.0 * cc - 330.0 * ep2) * a.powi(6) / 720.0));
    if lat < 0.0 {
        y += 10_000_000.0;
    }
    (x, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_match_the_mgrs_package_of_the_map_page() {
        // Expected values from the npm package `mgrs` 2.x (web/node_modules), `forward([lon, lat], 5)`.
        for (lat, lon, want) in [
            (50.4501, 30.5234, "36U UA 24182 91607"),
            (48.0159, 37.8028, "37U DP 10722 18760"),
            (46.6354, 32.6169, "36T VS 70677 64720"),
            (48.45, 39.2, "37U EP 14788 66337"),
            (-33.8688, 151.2093, "56H LH 34368 50948"),
            (59.9, 10.7, "32V NM 95101 41495"),
        ] {
            assert_eq!(to_mgrs(lat, lon, 5).as_deref(), Some(want), "{lat},{lon}");
        }
        assert_eq!(to_mgrs(50.4501, 30.5234, 4).as_deref(), Some("36U UA 2418 9160"), "truncated, not rounded");
        assert_eq!(to_mgrs(85.0, 0.0, 5), None);
        assert_eq!(to_mgrs(f64::NAN, 0.0, 5), None);
    }
}
