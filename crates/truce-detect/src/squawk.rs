//! Emergency squawks: 7500 (unlawful interference), 7600 (radio failure), 7700 (general emergency).
//!
//! An aircraft squawking an emergency code repeats it in every reply, several times a second. The
//! alert is per *episode*: raised by the first fix carrying the code, again only if the code changes to
//! another emergency code, or after the aircraft has squawked an ordinary code (or been forgotten after
//! a long silence) and starts again. Fixes without a squawk do not end an episode: ADS-B position
//! messages do not carry the code, which comes in separate replies.
//!
//! Codes are the four octal digits read as a decimal number (`7700`), see [`crate::Fix::squawk`].

use crate::{Alert, Area, Detector, Figure, Fix};

/// Unlawful interference (hijacking).
pub const HIJACK: u16 = 7500;
/// Radio communication failure.
pub const RADIO_FAILURE: u16 = 7600;
/// General emergency.
pub const EMERGENCY: u16 = 7700;

/// The meaning of an emergency code, `None` for any other code.
pub fn meaning(code: u16) -> Option<&'static str> {
    match code {
        HIJACK => Some("unlawful interference (hijack)"),
        RADIO_FAILURE => Some("radio failure"),
        EMERGENCY => Some("general emergency"),
        _ => None,
    }
}

/// The code as we store it (four octal digits read as decimal, `7700`) from the 12-bit Mode A value
/// with the digits A, B, C, D as consecutive 3-bit groups (A in the top bits: `0o7700` gives `7700`).
/// The interleaved bit order of the raw reply must be undone by the decoder first.
pub fn from_octal_bits(bits: u16) -> u16 {
    let d = |shift: u16| (bits >> shift) & 7;
    d(9) * 1000 + d(6) * 100 + d(3) * 10 + d(0)
}

/// Updates an aircraft's emergency state with its fix; an alert when an episode starts.
pub(crate) fn update(state: &mut Option<u16>, fix: &Fix) -> Option<Alert> {
    let code = fix.squawk?;
    let Some(what) = meaning(code) else {
        *state = None;
        return None;
    };
    if *state == Some(code) {
        return None;
    }
    *state = Some(code);
    Some(Alert {
        detector: Detector::EmergencySquawk,
        time: fix.time,
        tracks: vec![fix.track()],
        evidence: vec![fix.clone()],
        area: Some(Area::Point(fix.position)),
        figures: vec![Figure { name: "squawk", value: f64::from(code) }],
        summary: format!(
            "Aircraft {:06X} squawks {code} ({what}) at {:.3}N {:.3}E{}.",
            fix.id,
            fix.position.lat,
            fix.position.lon,
            fix.altitude_ft.map(|a| format!(", {a} ft")).unwrap_or_default()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::{aircraft, at};
    use crate::{Config, Detectors, Geography, LonLat};

    fn squawking(s: i64, code: Option<u16>) -> Fix {
        Fix { squawk: code, ..aircraft(0x4A0042, s, LonLat::new(26.5, 45.5)) }
    }

    #[test]
    fn octal_digits_read_as_decimal() {
        assert_eq!(from_octal_bits(0o7700), 7700);
        assert_eq!(from_octal_bits(0o1200), 1200);
        assert_eq!(from_octal_bits(0o0017), 17);
    }

    #[test]
    fn a_squawk_repeated_a_hundred_times_gives_one_alert() {
        let mut d = Detectors::new(Config::default(), Geography::default()).unwrap();
        assert!(d.push(&squawking(0, Some(2000))).is_empty());
        let mut alerts = vec![];
        for k in 1..=100 {
            alerts.extend(d.push(&squawking(k, Some(7700))));
            // Position messages without the code in between do not end the episode.
            alerts.extend(d.push(&Fix { time: at(k) + time::Duration::milliseconds(500), ..squawking(k, None) }));
        }
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].time, at(1));
        assert_eq!(alerts[0].detector, Detector::EmergencySquawk);
        let json = alerts[0].to_json();
        assert_eq!(json["detector"], "emergency_squawk");
        assert_eq!(json["evidence"][0]["squawk"], "7700");
        assert_eq!(json["tracks"][0]["id"], 0x4A0042);
        assert_eq!(json["area"]["point"][1], 45.5);
        // Another emergency code is a new alert; back to normal and 7700 again is a new episode.
        assert_eq!(d.push(&squawking(101, Some(7600))).len(), 1);
        assert!(d.push(&squawking(102, Some(4521))).is_empty());
        assert_eq!(d.push(&squawking(103, Some(7700))).len(), 1);
    }
}
