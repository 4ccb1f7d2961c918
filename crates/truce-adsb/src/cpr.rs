//! Compact Position Reporting (CPR) decoding, DO-260B §A.1.7.
//!
//! An airborne or surface position message carries 17-bit fractions of a latitude zone and of a
//! longitude zone, alternately in the even (60 zones) and odd (59 zones) format.
//! - **Global** decoding needs one even and one odd message close in time (the decoder allows
//!   10 s): the zone index follows from the difference of the two fractions. It is rejected
//!   when the two latitudes fall in different longitude-zone counts (`NL`), which means the
//!   aircraft crossed a zone boundary between the two messages and the pair is unusable.
//!   Surface messages have zones four times smaller (90° instead of 360°), so the result is one
//!   of several candidates and a reference position picks the nearest.
//! - **Local** decoding needs one message and a reference within half a zone (airborne
//!   ~180 NM, surface ~45 NM): the aircraft's last position or the receiver's.

/// Number of longitude zones at a latitude (DO-260B §A.1.7.2.d), 1 to 59.
#[must_use]
pub fn nl(lat: f64) -> u32 {
    let lat = lat.abs();
    if lat >= 87.0 {
        return if lat > 87.0 { 1 } else { 2 };
    }
    if lat == 0.0 {
        return 59;
    }
    const NZ: f64 = 15.0;
    let a = 1.0 - (std::f64::consts::PI / (2.0 * NZ)).cos();
    let b = (std::f64::consts::PI / 180.0 * lat).cos().powi(2);
    let nl = 2.0 * std::f64::consts::PI / (1.0 - a / b).acos();
    nl.floor() as u32
}

/// `a mod b` with a non-negative result for positive `b`.
fn modulo(a: f64, b: f64) -> f64 {
    a - b * (a / b).floor()
}

const SCALE: f64 = 131_072.0; // 2^17

/// Global decoding of an airborne even/odd pair. `latest_odd` tells which of the two came last
/// (its zone is used). Returns `(lat, lon)` in degrees, or `None` when the pair straddles a
/// latitude zone boundary (`NL` differs) or gives a latitude beyond ±90°.
#[must_use]
pub fn global_airborne(even: (u32, u32), odd: (u32, u32), latest_odd: bool) -> Option<(f64, f64)> {
    global(even, odd, latest_odd, 360.0).map(|(lat, lon)| (lat, wrap_lon(lon)))
}

/// Global decoding of a surface even/odd pair, choosing among the candidate solutions the one
/// nearest to the reference position.
#[must_use]
pub fn global_surface(
    even: (u32, u32),
    odd: (u32, u32),
    latest_odd: bool,
    reference: (f64, f64),
) -> Option<(f64, f64)> {
    let (lat_n, lon0) = global(even, odd, latest_odd, 90.0)?;
    // Latitude: the northern solution or the southern one (lat − 90°), nearest the reference.
    let lat_s = lat_n - 90.0;
    let lat = if (lat_n - reference.0).abs() <= (lat_s - reference.0).abs() { lat_n } else { lat_s };
    // The longitude zones follow the northern solution, as in pyModeS and dump1090.
    // Longitude: four candidates 90° apart.
    let mut best = lon0;
    let mut best_d = f64::INFINITY;
    for k in 0..4 {
        let cand = wrap_lon(lon0 + 90.0 * f64::from(k));
        let d = angular_diff(cand, reference.1);
        if d < best_d {
            best_d = d;
            best = cand;
        }
    }
    Some((lat, best))
}

fn angular_diff(a: f64, b: f64) -> f64 {
    let d = modulo(a - b, 360.0);
    d.min(360.0 - d)
}

fn wrap_lon(lon: f64) -> f64 {
    let lon = modulo(lon + 180.0, 360.0) - 180.0;
    if lon == -180.0 { 180.0 } else { lon }
}

fn global(even: (u32, u32), odd: (u32, u32), latest_odd: bool, span: f64) -> Option<(f64, f64)> {
    let (lat_e, lon_e) = (f64::from(even.0) / SCALE, f64::from(even.1) / SCALE);
    let (lat_o, lon_o) = (f64::from(odd.0) / SCALE, f64::from(odd.1) / SCALE);
    let dlat_e = span / 60.0;
    let dlat_o = span / 59.0;
    let j = (59.0 * lat_e - 60.0 * lat_o + 0.5).floor();
    let mut lat_even = dlat_e * (modulo(j, 60.0) + lat_e);
    let mut lat_odd = dlat_o * (modulo(j, 59.0) + lat_o);
    if span == 360.0 {
        if lat_even >= 270.0 {
            lat_even -= 360.0;
        }
        if lat_odd >= 270.0 {
            lat_odd -= 360.0;
        }
    }
    if !(-90.0..=90.0).contains(&lat_even) || !(-90.0..=90.0).contains(&lat_odd) {
        return None;
    }
    let nl_even = nl(lat_even);
    if nl_even != nl(lat_odd) {
        return None;
    }
    let (lat, ni, frac) =
        if latest_odd { (lat_odd, nl_even.saturating_sub(1).max(1), lon_o) } else { (lat_even, nl_even.max(1), lon_e) };
    let nl_f = f64::from(nl_even);
    let m = (lon_e * (nl_f - 1.0) - lon_o * nl_f + 0.5).floor();
    let ni = f64::from(ni);
    let lon = (span / ni) * (modulo(m, ni) + frac);
    Some((lat, lon))
}

/// Local decoding of one message against a reference position (the aircraft's last position
/// or the receiver's), valid when the aircraft is within half a zone of the reference.
#[must_use]
pub fn local(cpr: (u32, u32), odd: bool, surface: bool, reference: (f64, f64)) -> (f64, f64) {
    let span = if surface { 90.0 } else { 360.0 };
    let i = if odd { 1.0 } else { 0.0 };
    let (lat_c, lon_c) = (f64::from(cpr.0) / SCALE, f64::from(cpr.1) / SCALE);
    let dlat = span / (60.0 - i);
    let j = (reference.0 / dlat).floor() + (0.5 + modulo(reference.0, dlat) / dlat - lat_c).floor();
    let lat = dlat * (j + lat_c);
    let zones = (f64::from(nl(lat)) - i).max(1.0);
    let dlon = span / zones;
    let m = (reference.1 / dlon).floor() + (0.5 + modulo(reference.1, dlon) / dlon - lon_c).floor();
    let lon = dlon * (m + lon_c);
    (lat, wrap_lon(lon))
}

/// Great-circle distance in metres (haversine on a 6,371 km sphere), for plausibility checks.
#[must_use]
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dla = la2 - la1;
    let dlo = (b.1 - a.1).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn riddle_pair() {
        // "The 1090 MHz Riddle": 8D40621D58C382D690C8AC2863A7 (even), 8D40621D58C386435CC412692AD6 (odd).
        let even = (93000, 51372);
        let odd = (74158, 50194);
        let (lat, lon) = global_airborne(even, odd, false).expect("decodes");
        assert!((lat - 52.25720).abs() < 1e-4, "{lat}");
        assert!((lon - 3.91937).abs() < 1e-4, "{lon}");
        let (lat, lon) = local(even, false, false, (52.258, 3.918));
        assert!((lat - 52.25720).abs() < 1e-4 && (lon - 3.91937).abs() < 1e-4, "{lat} {lon}");
    }

    #[test]
    fn nl_edges() {
        assert_eq!(nl(0.0), 59);
        assert_eq!(nl(10.0), 59);
        assert_eq!(nl(10.48), 58);
        assert_eq!(nl(52.2572), 36);
        assert_eq!(nl(87.0), 2);
        assert_eq!(nl(88.0), 1);
        assert_eq!(nl(-52.2572), 36);
    }
}
