//! Every decoded message type against the values pyais 3.3.1 gives for the same sentence (the
//! sentences are from the pyais corpus, `tests/corpus/pyais_tests_mit.nmea`).

use crate::msg;
use truce_ais::{Body, Hull};

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("a value");
    assert!((a - b).abs() <= 1e-6, "{a} vs {b}");
}

#[test]
fn type_1_position_report() {
    let m = msg(&["!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C"]);
    assert_eq!((m.msg_type, m.repeat, m.mmsi), (1, 0, 366_053_209));
    let Body::Position(p) = m.body else { panic!("{m:?}") };
    close(p.lon, -122.341618);
    close(p.lat, 37.802118);
    assert_eq!(p.speed, Some(0.0));
    assert_eq!(p.course, Some(219.3));
    assert_eq!(p.heading, Some(1));
    assert_eq!((p.status, p.second, p.accuracy, p.raim, p.turn), (3, Some(59), false, false, Some(0.0)));
    assert_eq!(m.channel, b'B');
    assert!(!m.own);
    assert_eq!(m.position().map(|(lat, _)| (lat * 1e6).round()), Some(37_802_118.0));
}

#[test]
fn type_1_not_available_values() {
    // pyais: no course (3600), no heading (511), rate of turn -128 (not available).
    let m = msg(&["!AIVDM,1,1,,A,15NPOOPP00o?b=bE`UNv4?w428D;,0*24"]);
    let Body::Position(p) = m.body else { panic!() };
    assert_eq!(m.mmsi, 367_533_950);
    assert_eq!((p.course, p.heading, p.turn, p.rot), (None, None, None, -128));
    assert_eq!(p.speed, Some(0.0));
}

#[test]
fn type_3_position_report() {
    let m = msg(&["!AIVDM,1,1,,A,35NSH95001G?wopE`beasVk@0E5:,0*6F"]);
    assert_eq!((m.msg_type, m.mmsi), (3, 367_581_220));
    let Body::Position(p) = m.body else { panic!() };
    close(p.lon, -122.3343);
    close(p.lat, 37.81065);
    assert_eq!((p.speed, p.course, p.heading, p.status, p.second), (Some(0.1), Some(254.2), Some(217), 5, Some(40)));
}

#[test]
fn type_4_base_station_with_its_time() {
    let m = msg(&["!AIVDM,1,1,,A,403OviQuMGCqWrRO9>E6fE700@GO,0*4D"]);
    assert_eq!((m.msg_type, m.mmsi), (4, 3_669_702));
    let Body::BaseStation(b) = m.body else { panic!() };
    assert_eq!(
        (b.year, b.month, b.day, b.hour, b.minute, b.second),
        (Some(2007), Some(5), Some(14), Some(19), Some(57), Some(39))
    );
    assert_eq!(b.utc().map(|t| t.to_string()).as_deref(), Some("2007-05-14T19:57:39Z"));
    close(b.lon, -76.352362);
    close(b.lat, 36.883767);
    assert_eq!((b.epfd, b.accuracy), (7, true));
}

#[test]
fn type_5_static_and_voyage_over_two_sentences() {
    let m = msg(&[
        "!AIVDM,2,1,1,A,538CQ>02A;h?D9QC800pu8@T>0P4l9E8L0000017Ah:;;5r50Ahm5;C0,0*07",
        "!AIVDM,2,2,1,A,F@V@00000000000,2*35",
    ]);
    assert_eq!((m.msg_type, m.mmsi), (5, 210_035_000));
    let Body::StaticVoyage(s) = m.body else { panic!() };
    assert_eq!(s.shipname, "NORDIC HAMBURG");
    assert_eq!(s.callsign, "5BXT2");
    assert_eq!(s.destination, "CTT-LAYBY");
    assert_eq!((s.imo, s.ship_type, s.draught), (Some(9_514_755), Some(71), Some(7.1)));
    let d = s.dimensions;
    assert_eq!((d.to_bow, d.to_stern, d.to_port, d.to_starboard), (142, 10, 11, 11));
    assert_eq!((s.eta.month, s.eta.day, s.eta.hour, s.eta.minute), (Some(7), Some(20), Some(5), Some(0)));
    assert_eq!((s.epfd, s.ais_version, s.dte), (1, 0, false));
}

#[test]
fn type_18_class_b() {
    let m = msg(&["!AIVDM,1,1,,A,B5NJ;PP005l4ot5Isbl03wsUkP06,0*76"]);
    assert_eq!((m.msg_type, m.mmsi), (18, 367_430_530));
    let Body::ClassB(p) = m.body else { panic!() };
    close(p.lon, -122.26732);
    close(p.lat, 37.785035);
    assert_eq!((p.speed, p.course, p.heading, p.second), (Some(0.0), Some(0.0), None, Some(55)));
    assert_eq!(
        (p.cs, p.display, p.dsc, p.band, p.msg22, p.assigned, p.raim),
        (true, false, true, true, true, false, false)
    );
}

#[test]
fn type_19_extended_class_b() {
    let m = msg(&["!AIVDM,1,1,,B,C5N3SRgPEnJGEBT>NhWAwwo862PaLELTBJ:V00000000S0D:R220,0*0B"]);
    assert_eq!((m.msg_type, m.mmsi), (19, 367_059_850));
    let Body::ClassBExtended(p) = m.body else { panic!() };
    close(p.lon, -88.810392);
    close(p.lat, 29.543695);
    assert_eq!((p.speed, p.course, p.heading), (Some(8.7), Some(335.9), None));
    assert_eq!(p.shipname, "CAPT.J.RIMES");
    assert_eq!(p.ship_type, Some(70));
    assert_eq!(
        (p.dimensions.to_bow, p.dimensions.to_stern, p.dimensions.to_port, p.dimensions.to_starboard),
        (5, 21, 4, 4)
    );
}

#[test]
fn type_21_aid_to_navigation_with_fill_bits() {
    let m = msg(&["!AIVDM,2,1,7,B,E4eHJhPR37q0000000000000000KUOSc=rq4h00000a,0*4A", "!AIVDM,2,2,7,B,@20,4*54"]);
    assert_eq!((m.msg_type, m.mmsi), (21, 316_021_442));
    let Body::AidToNavigation(a) = m.body else { panic!() };
    assert_eq!(a.name, "DFO2");
    close(a.lon, -123.429155);
    close(a.lat, 48.65457);
    assert_eq!(
        (a.aid_type, a.off_position, a.virtual_aid, a.accuracy, a.raim, a.second),
        (1, true, false, true, true, Some(18))
    );
}

#[test]
fn type_21_name_extension() {
    // libais corpus: the 20-character name (ending in a space) continues in the extension.
    let m = msg(&["!AIVDM,2,1,9,A,ENk`sO70VQ97aRh1T0W72V@611@=FVj<;V5d@00003v,0*50", "!AIVDM,2,2,9,A,P0<M0,0*3E"]);
    let Body::AidToNavigation(a) = m.body else { panic!() };
    assert_eq!(a.name, "AMBROSE CHANNEL LBB 14");
}

#[test]
fn type_24_part_a_and_b() {
    let m = msg(&["!AIVDO,1,1,,A,H1mg=5@EP4m0hF1<PU000000000,2*77"]);
    assert!(m.own, "VDO is own ship");
    let Body::StaticPartA(a) = m.body else { panic!() };
    assert_eq!((m.mmsi, a.shipname.as_str()), (123_456_789, "EXAMPLE SHIP"));

    let m = msg(&["!AIVDM,1,1,,A,H52KMeDU653hhhi0000000000000,0*1A"]);
    let Body::StaticPartB(b) = m.body else { panic!() };
    assert_eq!(m.mmsi, 338_091_445);
    assert_eq!((b.ship_type, b.vendor_id.as_str(), b.model, b.serial), (Some(37), "FEC", 12, 199_729));
    assert!(matches!(b.hull, Hull::Dimensions(_)));
}

#[test]
fn type_24_part_b_auxiliary_craft_has_a_mothership() {
    let m = msg(&["!AIVDO,1,1,,A,H>W@vFTe6??406t2??21J0Wg8Jb0,0*6F"]);
    let Body::StaticPartB(b) = m.body else { panic!() };
    assert_eq!(m.mmsi, 980_696_666);
    assert_eq!(b.hull, Hull::Mothership(666_666_666));
    assert_eq!(
        (b.callsign.as_str(), b.vendor_id.as_str(), b.ship_type, b.model, b.serial),
        ("BOOBAZ", "FOO", Some(45), 1, 444)
    );
}

#[test]
fn type_27_long_range() {
    let m = msg(&["!AIVDM,1,1,,B,KC5E2b@U19PFdLbMuc5=ROv62<7m,0*16"]);
    assert_eq!((m.msg_type, m.repeat, m.mmsi), (27, 1, 206_914_217));
    let Body::LongRange(l) = m.body else { panic!() };
    close(l.lon, 137.023333);
    close(l.lat, 4.84);
    assert_eq!((l.speed, l.course, l.status, l.gnss), (Some(57), Some(167), 2, false));
}

#[test]
fn other_types_are_unsupported_not_errors() {
    // Type 9 (SAR aircraft), type 6 (binary addressed).
    let m = msg(&["!AIVDM,1,1,,B,91b55wi;hbOS@OdQAC062Ch2089h,0*30"]);
    assert_eq!((m.msg_type, m.body), (9, Body::Unsupported));
    let m = msg(&["!AIVDM,1,1,,B,6B?n;be:cbapalgc;i6?Ow4,2*4A"]);
    assert_eq!((m.msg_type, m.body), (6, Body::Unsupported));
}

#[test]
fn text_fields_trim_at_and_spaces() {
    // Type 24 A whose name is "AB" then '@' padding: the name stops at the first '@'.
    // 24 = "H", repeat 0 + mmsi bits... built from a known message by replacing the name characters.
    let m = msg(&["!AIVDO,1,1,,A,H1mg=5@EP4m0hF1<PU000000000,2*77"]);
    let Body::StaticPartA(a) = m.body else { panic!() };
    assert!(!a.shipname.as_str().ends_with(' ') && !a.shipname.as_str().contains('@'));
}

#[test]
fn a_message_is_small_and_copy() {
    fn is_copy<T: Copy>() {}
    is_copy::<truce_ais::Message>();
    let size = size_of::<truce_ais::Message>();
    eprintln!("Message: {size} bytes");
    assert!(size <= 192, "Message is {size} bytes (168 when written)");
}

#[test]
fn accessors_give_one_view_of_every_type() {
    let m = msg(&["!AIVDM,1,1,,B,KC5E2b@U19PFdLbMuc5=ROv62<7m,0*16"]);
    assert_eq!((m.speed(), m.course(), m.heading()), (Some(57.0), Some(167.0), None));
    let m = msg(&["!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C"]);
    assert_eq!((m.speed(), m.course(), m.heading(), m.name()), (Some(0.0), Some(219.3), Some(1), None));
    assert_eq!(m.flag().map(|f| f.code), Some("US"));
    let m = msg(&[
        "!AIVDM,2,1,1,A,538CQ>02A;h?D9QC800pu8@T>0P4l9E8L0000017Ah:;;5r50Ahm5;C0,0*07",
        "!AIVDM,2,2,1,A,F@V@00000000000,2*35",
    ]);
    assert_eq!(
        (m.name(), m.callsign(), m.ship_type(), m.position()),
        (Some("NORDIC HAMBURG"), Some("5BXT2"), Some(71), None)
    );
    let m = msg(&["!AIVDM,2,1,7,B,E4eHJhPR37q0000000000000000KUOSc=rq4h00000a,0*4A", "!AIVDM,2,2,7,B,@20,4*54"]);
    assert_eq!(m.name(), Some("DFO2"));
}
