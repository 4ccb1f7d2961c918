//! Mode S frame decoding and the per-aircraft state it needs.
//!
//! [`Decoder::frame`] takes one 7- or 14-byte frame and returns a [`Message`], a flat `Copy`
//! struct of optional fields, so decoding allocates nothing. The CRC decides what a frame is:
//! - DF17/18 (extended squitter) must have a zero residual; their ME field is decoded by type
//!   code (identification, surface and airborne position, velocity, status, target state,
//!   operational status).
//! - DF11 (all-call reply) may leave only an interrogator code (≤ 0x7f) in the residual.
//! - DF0/4/5/16/20/21 carry Address/Parity: the residual *is* the ICAO address. Any corrupted
//!   frame therefore yields some address, so, as dump1090 does, such a frame is accepted only
//!   when its address was seen in a DF11/17/18 within the state's lifetime; the others are
//!   returned as [`Error::UnknownAddress`] for the caller to count.
//!
//! Per aircraft (a `HashMap` keyed by address with a cheap multiplicative hash) the decoder
//! keeps the last even and odd CPR fractions, the last position, the ADS-B version and the NIC
//! supplements; entries silent for longer than [`Config::max_age`] are pruned. A global CPR
//! result implausibly far from the aircraft's recent position is dropped (see `position`).
//! Times are seconds on any monotonic scale chosen by the caller ([`Time`]).

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use crate::country::{self, Country};
use crate::{cpr, crc};

/// Seconds on a monotonic scale chosen by the caller (Unix time, MLAT ticks / 12e6, …).
pub type Time = f64;

/// A callsign of up to 8 characters, stored inline (`Copy`, no allocation).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Callsign {
    bytes: [u8; 8],
    len: u8,
}

impl Callsign {
    /// The empty callsign.
    pub const EMPTY: Self = Self { bytes: [b' '; 8], len: 0 };

    /// A callsign from text: trimmed, 1 to 8 printable ASCII characters, else `None`.
    #[must_use]
    pub fn new(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() || text.len() > 8 || !text.bytes().all(|b| b.is_ascii_graphic() || b == b' ') {
            return None;
        }
        let mut bytes = [b' '; 8];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        Some(Self { bytes, len: text.len() as u8 })
    }

    /// The callsign without trailing spaces.
    #[must_use]
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }
}

impl fmt::Display for Callsign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Callsign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// A Mode A code: four octal digits, one per nibble (squawk 7700 is `Squawk(0x7700)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Squawk(pub u16);

impl Squawk {
    /// From the 13-bit ID field of DF5/21 or ES type 28 (bits C1 A1 C2 A2 C4 A4 X B1 D1 B2 D2 B4 D4).
    #[must_use]
    pub fn from_id13(id13: u32) -> Self {
        Self(id13_to_hex(id13) as u16)
    }

    /// From four octal digits, e.g. `"7500"`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 4 || !text.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return None;
        }
        u16::from_str_radix(text, 16).ok().map(Self)
    }
}

impl fmt::Display for Squawk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04x}", self.0)
    }
}

/// Emergency / priority status (ES type 28 subtype 1; readsb's names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emergency {
    /// No emergency.
    None,
    /// General emergency (7700).
    General,
    /// Lifeguard / medical.
    Lifeguard,
    /// Minimum fuel.
    MinimumFuel,
    /// No communications (7600).
    NoCommunications,
    /// Unlawful interference (7500).
    UnlawfulInterference,
    /// Downed aircraft.
    Downed,
    /// Reserved code 7.
    Reserved,
}

impl Emergency {
    /// From the 3-bit code.
    #[must_use]
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::None,
            1 => Self::General,
            2 => Self::Lifeguard,
            3 => Self::MinimumFuel,
            4 => Self::NoCommunications,
            5 => Self::UnlawfulInterference,
            6 => Self::Downed,
            _ => Self::Reserved,
        }
    }

    /// The 3-bit code (0 none … 7 reserved).
    #[must_use]
    pub fn code(self) -> u8 {
        self as u8
    }

    /// readsb's name: `none`, `general`, `lifeguard`, `minfuel`, `nordo`, `unlawful`, `downed`, `reserved`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::General => "general",
            Self::Lifeguard => "lifeguard",
            Self::MinimumFuel => "minfuel",
            Self::NoCommunications => "nordo",
            Self::UnlawfulInterference => "unlawful",
            Self::Downed => "downed",
            Self::Reserved => "reserved",
        }
    }

    /// The inverse of [`Emergency::as_str`].
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        (0..8).map(Self::from_code).find(|e| e.as_str() == text)
    }
}

/// Emitter category: set `A`–`D` (type codes 4–1) and code 0–7, e.g. `A3` (large aircraft).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Category {
    /// `b'A'` to `b'D'`.
    pub set: u8,
    /// 0 (no information) to 7.
    pub code: u8,
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", char::from(self.set), self.code)
    }
}

/// How a position was obtained from CPR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PositionMethod {
    /// Even/odd pair, no reference needed (surface: reference only to pick a quadrant).
    Global,
    /// One message relative to the aircraft's last position.
    LocalAircraft,
    /// One message relative to the receiver position given in [`Config::reference`].
    LocalReceiver,
}

impl PositionMethod {
    /// `global`, `local_aircraft` or `local_receiver`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::LocalAircraft => "local_aircraft",
            Self::LocalReceiver => "local_receiver",
        }
    }
}

/// A decoded position, WGS84 degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Position {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east, −180 to 180.
    pub lon: f64,
    /// Global or local decoding.
    pub method: PositionMethod,
}

/// The raw CPR fields of a position message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cpr {
    /// Odd (F = 1) or even format.
    pub odd: bool,
    /// 17-bit latitude fraction.
    pub lat: u32,
    /// 17-bit longitude fraction.
    pub lon: u32,
    /// Surface (type codes 5–8) rather than airborne.
    pub surface: bool,
}

/// Barometric or geometric (GNSS) source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Barometric.
    Baro,
    /// GNSS.
    Gnss,
}

impl Source {
    /// `baro` or `gnss`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Baro => "baro",
            Self::Gnss => "gnss",
        }
    }
}

/// Which airspeed a velocity message (subtypes 3, 4) carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AirspeedKind {
    /// Indicated airspeed.
    Indicated,
    /// True airspeed.
    True,
}

impl AirspeedKind {
    /// `ias` or `tas`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Indicated => "ias",
            Self::True => "tas",
        }
    }
}

/// Source of a selected altitude (ES type 29).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelectedAltitudeSource {
    /// Mode control panel / flight control unit.
    McpFcu,
    /// Flight management system.
    Fms,
}

impl SelectedAltitudeSource {
    /// `mcp` or `fms`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::McpFcu => "mcp",
            Self::Fms => "fms",
        }
    }
}

/// One decoded Mode S message. Fields a message does not carry are `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Message {
    /// Downlink format (0–24; 24 stands for every DF beginning with bits `11`).
    pub df: u8,
    /// ICAO 24-bit address (or a non-ICAO address, see `non_icao`).
    pub icao: u32,
    /// DF18 with a non-ICAO (anonymous or ground-assigned) address.
    pub non_icao: bool,
    /// CA (capability) of DF11/17, CF (control field) of DF18.
    pub capability: Option<u8>,
    /// ES type code (DF17/18).
    pub tc: Option<u8>,
    /// ES subtype where the type code has one (19, 28, 29, 31).
    pub subtype: Option<u8>,
    /// Callsign (type codes 1–4).
    pub callsign: Option<Callsign>,
    /// Emitter category (type codes 1–4).
    pub category: Option<Category>,
    /// Barometric altitude, feet.
    pub altitude: Option<i32>,
    /// GNSS height (type codes 20–22), feet.
    pub gnss_altitude: Option<i32>,
    /// On the ground (surface position, DF0 VS, flight status).
    pub on_ground: Option<bool>,
    /// Raw CPR fields of a position message.
    pub cpr: Option<Cpr>,
    /// Decoded position, when the CPR rules allowed one.
    pub position: Option<Position>,
    /// Ground speed, knots.
    pub groundspeed: Option<f64>,
    /// Track over ground, degrees clockwise from true north.
    pub track: Option<f64>,
    /// Airspeed, knots (velocity subtypes 3, 4).
    pub airspeed: Option<f64>,
    /// Indicated or true airspeed.
    pub airspeed_kind: Option<AirspeedKind>,
    /// Heading, degrees (velocity subtypes 3, 4: magnetic unless the operational status says true).
    pub heading: Option<f64>,
    /// Vertical rate, ft/min (positive up).
    pub vertical_rate: Option<i32>,
    /// Source of the vertical rate.
    pub vertical_rate_source: Option<Source>,
    /// GNSS height minus barometric altitude, feet.
    pub gnss_baro_diff: Option<i32>,
    /// Mode A code.
    pub squawk: Option<Squawk>,
    /// Emergency / priority status.
    pub emergency: Option<Emergency>,
    /// Alert (flight status of DF4/5/20/21).
    pub alert: Option<bool>,
    /// Special position identification.
    pub spi: Option<bool>,
    /// Selected altitude, feet (type code 29).
    pub selected_altitude: Option<i32>,
    /// MCP/FCU or FMS.
    pub selected_altitude_source: Option<SelectedAltitudeSource>,
    /// Barometric pressure setting, hPa.
    pub baro_setting: Option<f64>,
    /// Selected heading, degrees.
    pub selected_heading: Option<f64>,
    /// Autopilot engaged.
    pub autopilot: Option<bool>,
    /// VNAV mode engaged.
    pub vnav: Option<bool>,
    /// Altitude hold engaged.
    pub altitude_hold: Option<bool>,
    /// Approach mode engaged.
    pub approach: Option<bool>,
    /// LNAV mode engaged.
    pub lnav: Option<bool>,
    /// TCAS/ACAS operational.
    pub tcas: Option<bool>,
    /// Navigation integrity category (from type code and NIC supplements, DO-260B).
    pub nic: Option<u8>,
    /// Navigation accuracy category for position.
    pub nacp: Option<u8>,
    /// Navigation accuracy category for velocity.
    pub nacv: Option<u8>,
    /// Source integrity level.
    pub sil: Option<u8>,
    /// Barometric altitude integrity (NICbaro).
    pub nic_baro: Option<bool>,
    /// ADS-B version (type code 31).
    pub version: Option<u8>,
    /// NIC supplement A (type code 31).
    pub nic_a: Option<bool>,
    /// NIC supplement B (airborne position, version 2).
    pub nic_b: Option<bool>,
    /// NIC supplement C (surface operational status, version 2).
    pub nic_c: Option<bool>,
}

impl Message {
    fn new(df: u8, icao: u32) -> Self {
        Self { df, icao, ..Self::default() }
    }

    /// State of registry of the address (none for non-ICAO addresses).
    #[must_use]
    pub fn country(&self) -> Option<Country> {
        if self.non_icao { None } else { country::country(self.icao) }
    }
}

/// Why a frame gave no message. [`Error::is_bad`] tells corrupt input from frames that are
/// merely not decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Not 7 or 14 bytes.
    Length {
        /// The length given.
        len: usize,
    },
    /// The length does not match the DF (DF0–15 are 7 bytes, DF16–24 are 14).
    DfLength {
        /// Downlink format.
        df: u8,
        /// The length given.
        len: usize,
    },
    /// The CRC does not check (DF17/18: residual not 0; DF11: more than an interrogator code).
    Crc {
        /// Downlink format.
        df: u8,
        /// CRC residual.
        residual: u32,
    },
    /// An Address/Parity frame whose recovered address was not seen in a DF11/17/18.
    UnknownAddress {
        /// Downlink format.
        df: u8,
        /// The address recovered from the parity.
        address: u32,
    },
    /// A DF this decoder does not handle (DF18 TIS-B coarse/management counts as such too).
    Unsupported {
        /// Downlink format.
        df: u8,
    },
}

impl Error {
    /// Whether the frame is corrupt (wrong length, CRC); `false` for unknown addresses and
    /// unsupported formats, which are normal on a live feed.
    #[must_use]
    pub fn is_bad(&self) -> bool {
        matches!(self, Self::Length { .. } | Self::DfLength { .. } | Self::Crc { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Length { len } => write!(f, "Mode S frame of {len} bytes: a Mode S frame has 7 or 14"),
            Self::DfLength { df, len } => {
                let want = if df >= 16 { 14 } else { 7 };
                write!(f, "DF{df} frame of {len} bytes: DF{df} has {want}")
            }
            Self::Crc { df, residual } => write!(f, "CRC mismatch (residual 0x{residual:06x}) in a DF{df} frame"),
            Self::UnknownAddress { df, address } => {
                write!(f, "DF{df} from address {address:06x} (recovered from the parity) not seen in a DF11/17/18")
            }
            Self::Unsupported { df } => write!(f, "DF{df} is not decoded"),
        }
    }
}

impl std::error::Error for Error {}

/// Decoder settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Receiver position (lat, lon), for local CPR decoding of an aircraft without a recent
    /// position and to choose among surface solutions. It must be within ~180 NM of every
    /// airborne aircraft decoded this way (45 NM for surface).
    pub reference: Option<(f64, f64)>,
    /// Largest time between an even and an odd message for global decoding, seconds (10).
    pub pair_window: f64,
    /// Silence after which an aircraft's state is dropped, seconds (60); its last position is
    /// used for local decoding only while younger than this.
    pub max_age: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self { reference: None, pair_window: 10.0, max_age: 60.0 }
    }
}

#[derive(Clone, Copy, Debug)]
struct CprSlot {
    lat: u32,
    lon: u32,
    t: Time,
    surface: bool,
}

#[derive(Clone, Copy, Debug, Default)]
struct Aircraft {
    last_seen: Time,
    /// Seen in a DF11/17/18 with an ICAO address: Address/Parity frames are accepted.
    icao_seen: bool,
    even: Option<CprSlot>,
    odd: Option<CprSlot>,
    last_pos: Option<(f64, f64, Time)>,
    version: u8,
    nic_a: bool,
    nic_c: bool,
}

/// A multiplicative (Fibonacci) hash: addresses are already well spread and the default
/// SipHash costs more than the rest of a DF11 decode.
#[derive(Default)]
struct AddressHasher(u64);

impl Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Decodes Mode S frames, keeping the per-aircraft state that CPR and the AP rule need.
#[derive(Default)]
pub struct Decoder {
    config: Config,
    aircraft: HashMap<u32, Aircraft, BuildHasherDefault<AddressHasher>>,
    last_prune: Time,
}

impl fmt::Debug for Decoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder").field("config", &self.config).field("aircraft", &self.aircraft.len()).finish()
    }
}

/// The 6-bit character set of identification messages (`#` marks codes with no character).
const CHARSET: &[u8; 64] = b"#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######";

/// Bits `start..start+len` (1-based, as the standards number them) of the 56-bit ME field.
#[inline]
fn me_bits(me: u64, start: u32, len: u32) -> u32 {
    ((me >> (57 - start - len)) & ((1u64 << len) - 1)) as u32
}

#[inline]
fn me_bit(me: u64, n: u32) -> bool {
    me_bits(me, n, 1) != 0
}

impl Decoder {
    /// A decoder with the given settings and no aircraft.
    #[must_use]
    pub fn new(config: Config) -> Self {
        Self { config, aircraft: HashMap::default(), last_prune: 0.0 }
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Number of aircraft in the state.
    #[must_use]
    pub fn aircraft_count(&self) -> usize {
        self.aircraft.len()
    }

    /// Whether Address/Parity frames from `icao` would be accepted now.
    #[must_use]
    pub fn is_known(&self, icao: u32, now: Time) -> bool {
        self.aircraft.get(&icao).is_some_and(|a| a.icao_seen && (now - a.last_seen).abs() <= self.config.max_age)
    }

    /// Drops aircraft silent for longer than `max_age` (also done every 10 s of `now` by
    /// [`Decoder::frame`]). Ages are taken both ways, so a clock that jumps back (a receiver's
    /// MLAT counter restarting) does not keep stale state alive.
    pub fn prune(&mut self, now: Time) {
        let max_age = self.config.max_age;
        self.aircraft.retain(|_, a| (now - a.last_seen).abs() <= max_age);
        self.last_prune = now;
    }

    /// Decodes one Mode S frame received at `now`.
    ///
    /// # Errors
    /// [`Error`]: wrong length or CRC (bad input), or an unknown AP address / unsupported DF
    /// (see [`Error::is_bad`]).
    pub fn frame(&mut self, frame: &[u8], now: Time) -> Result<Message, Error> {
        let len = frame.len();
        if len != 7 && len != 14 {
            return Err(Error::Length { len });
        }
        let df = (frame[0] >> 3).min(24);
        if len != if df >= 16 { 14 } else { 7 } {
            return Err(Error::DfLength { df, len });
        }
        if now - self.last_prune >= 10.0 || now < self.last_prune {
            self.prune(now);
        }
        let residual = crc::residual(frame);
        let aa = (u32::from(frame[1]) << 16) | (u32::from(frame[2]) << 8) | u32::from(frame[3]);
        match df {
            17 | 18 => {
                if residual != 0 {
                    return Err(Error::Crc { df, residual });
                }
                let cf = frame[0] & 7;
                let mut msg = Message::new(df, aa);
                msg.capability = Some(cf);
                // DF18: CF 0 ADS-B with ICAO address, 1 non-ICAO, 2 TIS-B fine, 5 TIS-B with
                // other address, 6 ADS-R; 3 (TIS-B coarse), 4 (management) and 7 differ in layout.
                if df == 18 {
                    match cf {
                        0 | 2 | 6 => {}
                        1 | 5 => msg.non_icao = true,
                        _ => return Err(Error::Unsupported { df }),
                    }
                }
                let config = self.config;
                let ac = self.entry(aa, now);
                // Only an address that is really an ICAO address makes AP frames acceptable.
                ac.icao_seen |= df == 17 || (df == 18 && cf == 0);
                let me = frame[4..11].iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
                decode_es(&mut msg, me, ac, &config, now);
                Ok(msg)
            }
            11 => {
                if residual & !0x7F != 0 {
                    return Err(Error::Crc { df, residual });
                }
                let mut msg = Message::new(df, aa);
                msg.capability = Some(frame[0] & 7);
                self.entry(aa, now).icao_seen = true;
                Ok(msg)
            }
            0 | 4 | 5 | 16 | 20 | 21 => {
                let address = residual;
                let max_age = self.config.max_age;
                let Some(ac) =
                    self.aircraft.get_mut(&address).filter(|a| a.icao_seen && (now - a.last_seen).abs() <= max_age)
                else {
                    return Err(Error::UnknownAddress { df, address });
                };
                ac.last_seen = ac.last_seen.max(now);
                let head = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
                let field13 = head & 0x1FFF;
                let mut msg = Message::new(df, address);
                match df {
                    0 | 16 => {
                        // VS (vertical status), bit 6: 1 = on the ground.
                        msg.on_ground = Some(frame[0] & 0x04 != 0);
                        msg.altitude = ac13(field13);
                    }
                    _ => {
                        flight_status(&mut msg, frame[0] & 7);
                        if df == 4 || df == 20 {
                            msg.altitude = ac13(field13);
                        } else {
                            msg.squawk = Some(Squawk::from_id13(field13));
                        }
                        // Comm-B: only BDS 2,0 (aircraft identification) is read, recognised as
                        // dump1090 and pyModeS do: first MB byte 0x20 and eight valid characters.
                        // It gives callsigns of aircraft that send no ADS-B.
                        if df >= 20 && frame[4] == 0x20 {
                            let bits = frame[5..11].iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
                            msg.callsign = callsign_from_bits(bits, true).filter(|c| c.len > 0);
                        }
                    }
                }
                Ok(msg)
            }
            _ => Err(Error::Unsupported { df }),
        }
    }

    /// The state of `icao`, created or restarted when absent or older than `max_age`.
    fn entry(&mut self, icao: u32, now: Time) -> &mut Aircraft {
        let max_age = self.config.max_age;
        let ac = self.aircraft.entry(icao).or_insert_with(|| Aircraft { last_seen: now, ..Aircraft::default() });
        if (now - ac.last_seen).abs() > max_age {
            *ac = Aircraft { last_seen: now, ..Aircraft::default() };
        }
        ac.last_seen = ac.last_seen.max(now);
        ac
    }
}

/// Eight 6-bit characters (the high bits of `bits`' low 48 first), without leading and trailing
/// spaces. With `strict`, `None` when a code has no character.
fn callsign_from_bits(bits: u64, strict: bool) -> Option<Callsign> {
    let mut chars = [b' '; 8];
    for (i, c) in chars.iter_mut().enumerate() {
        let code = ((bits >> (42 - 6 * i)) & 0x3F) as usize;
        *c = CHARSET[code];
        if strict && *c == b'#' {
            return None;
        }
    }
    let start = chars.iter().position(|&b| b != b' ').unwrap_or(8);
    let end = chars.iter().rposition(|&b| b != b' ').map_or(start, |i| i + 1);
    let mut bytes = [b' '; 8];
    bytes[..end - start].copy_from_slice(&chars[start..end]);
    Some(Callsign { bytes, len: (end - start) as u8 })
}

fn flight_status(msg: &mut Message, fs: u8) {
    let (alert, spi, ground) = match fs {
        0 => (false, false, Some(false)),
        1 => (false, false, Some(true)),
        2 => (true, false, Some(false)),
        3 => (true, false, Some(true)),
        4 => (true, true, None),
        5 => (false, true, None),
        _ => return,
    };
    msg.alert = Some(alert);
    msg.spi = Some(spi);
    msg.on_ground = ground;
}

fn decode_es(msg: &mut Message, me: u64, ac: &mut Aircraft, config: &Config, now: Time) {
    let tc = me_bits(me, 1, 5) as u8;
    msg.tc = Some(tc);
    match tc {
        1..=4 => {
            msg.category = Some(Category { set: b"?DCBA"[usize::from(tc)], code: me_bits(me, 6, 3) as u8 });
            // 48 bits of characters; an invalid code is kept as '#' so a bad payload shows.
            msg.callsign = Some(callsign_from_bits(me & 0xFFFF_FFFF_FFFF, false).unwrap_or(Callsign::EMPTY));
        }
        5..=8 => {
            msg.on_ground = Some(true);
            msg.groundspeed = movement(me_bits(me, 6, 7));
            if me_bit(me, 13) {
                msg.track = Some(f64::from(me_bits(me, 14, 7)) * 360.0 / 128.0);
            }
            msg.nic = Some(nic(tc, ac.version, ac.nic_a, false, ac.nic_c));
            position(msg, me, true, ac, config, now);
        }
        9..=18 | 20..=22 => {
            msg.on_ground = Some(false);
            let nic_b = me_bit(me, 8);
            if ac.version == 2 {
                msg.nic_b = Some(nic_b);
            }
            let alt = me_bits(me, 9, 12);
            if tc <= 18 {
                msg.altitude = ac12(alt);
            } else if alt != 0 {
                // GNSS height (HAE) in metres.
                msg.gnss_altitude = Some((f64::from(alt) * 3.280_84).round() as i32);
            }
            msg.nic = Some(nic(tc, ac.version, ac.nic_a, nic_b, ac.nic_c));
            position(msg, me, false, ac, config, now);
        }
        19 => velocity(msg, me),
        28 => {
            let st = me_bits(me, 6, 3) as u8;
            msg.subtype = Some(st);
            if st == 1 {
                msg.emergency = Some(Emergency::from_code(me_bits(me, 9, 3)));
                msg.squawk = Some(Squawk::from_id13(me_bits(me, 12, 13)));
            }
        }
        29 => {
            let st = me_bits(me, 6, 2) as u8;
            msg.subtype = Some(st);
            if st == 1 {
                target_state(msg, me);
            }
        }
        31 => {
            let st = me_bits(me, 6, 3) as u8;
            msg.subtype = Some(st);
            let version = me_bits(me, 41, 3) as u8;
            msg.version = Some(version);
            ac.version = version;
            if version >= 1 && st <= 1 {
                let nic_a = me_bit(me, 44);
                ac.nic_a = nic_a;
                msg.nic_a = Some(nic_a);
                msg.nacp = Some(me_bits(me, 45, 4) as u8);
                msg.sil = Some(me_bits(me, 51, 2) as u8);
                if st == 0 {
                    msg.nic_baro = Some(me_bit(me, 53));
                } else if version == 2 {
                    // Surface capability class, ME bit 20: NIC supplement C.
                    let nic_c = me_bit(me, 20);
                    ac.nic_c = nic_c;
                    msg.nic_c = Some(nic_c);
                }
            }
        }
        _ => {}
    }
}

/// Surface movement field to knots (DO-260B Table 2-13); `None` when unavailable or reserved.
fn movement(m: u32) -> Option<f64> {
    let m = f64::from(m);
    Some(match m as u32 {
        1 => 0.0,
        2..=8 => 0.125 + (m - 2.0) * 0.125,
        9..=12 => 1.0 + (m - 9.0) * 0.25,
        13..=38 => 2.0 + (m - 13.0) * 0.5,
        39..=93 => 15.0 + (m - 39.0),
        94..=108 => 70.0 + (m - 94.0) * 2.0,
        109..=123 => 100.0 + (m - 109.0) * 5.0,
        124 => 175.0,
        _ => return None,
    })
}

/// NIC from the position type code and the supplements (DO-260B Tables 2-14 and 2-15, as
/// dump1090-fa's `compute_nic`): version 0 knows no supplements, version 1 only NIC-A.
fn nic(tc: u8, version: u8, a: bool, b: bool, c: bool) -> u8 {
    match tc {
        5 | 9 | 20 => 11,
        6 | 10 | 21 => 10,
        7 => match version {
            2 if a && !c => 9,
            1 if a => 9,
            _ => 8,
        },
        8 => match version {
            2 if a && c => 7,
            2 if a != c => 6,
            _ => 0,
        },
        11 => match version {
            2 if a && b => 9,
            1 if a => 9,
            _ => 8,
        },
        12 => 7,
        13 => 6,
        14 => 5,
        15 => 4,
        16 => {
            if a && b {
                3
            } else {
                2
            }
        }
        17 => 1,
        _ => 0,
    }
}

fn position(msg: &mut Message, me: u64, surface: bool, ac: &mut Aircraft, config: &Config, now: Time) {
    let odd = me_bit(me, 22);
    let (lat, lon) = (me_bits(me, 23, 17), me_bits(me, 40, 17));
    msg.cpr = Some(Cpr { odd, lat, lon, surface });
    let slot = CprSlot { lat, lon, t: now, surface };
    let other = if odd {
        ac.odd = Some(slot);
        ac.even
    } else {
        ac.even = Some(slot);
        ac.odd
    };
    let last = ac.last_pos.filter(|p| (now - p.2).abs() <= config.max_age).map(|p| (p.0, p.1));
    let mut found = None;
    if let Some(o) = other.filter(|o| o.surface == surface && (now - o.t).abs() <= config.pair_window) {
        let (even, oddf) = if odd { ((o.lat, o.lon), (lat, lon)) } else { ((lat, lon), (o.lat, o.lon)) };
        let global = if surface {
            last.or(config.reference).and_then(|r| cpr::global_surface(even, oddf, odd, r))
        } else {
            cpr::global_airborne(even, oddf, odd)
        };
        found = global.map(|p| (p, PositionMethod::Global));
        // Plausibility, as dump1090 does: a global result farther from the aircraft's recent
        // position than it could have flown (1,000 kt, plus 100 km of slack for the time the
        // caller's clock may not show) comes from a bad pair. It is dropped, with the last
        // position, so that the next pair starts afresh instead of decoding locally against a
        // position that may itself be the wrong one.
        if let (Some(((lat, lon), _)), Some((la, lo, t))) =
            (found, ac.last_pos.filter(|p| (now - p.2).abs() <= config.max_age))
        {
            let allowed = 100_000.0 + (now - t).abs() * 514.4;
            if cpr::distance_m((lat, lon), (la, lo)) > allowed {
                ac.last_pos = None;
                return;
            }
        }
    }
    if found.is_none() {
        if let Some(r) = last {
            found = Some((cpr::local((lat, lon), odd, surface, r), PositionMethod::LocalAircraft));
        } else if let Some(r) = config.reference {
            found = Some((cpr::local((lat, lon), odd, surface, r), PositionMethod::LocalReceiver));
        }
    }
    if let Some(((lat, lon), method)) = found {
        ac.last_pos = Some((lat, lon, now));
        msg.position = Some(Position { lat, lon, method });
    }
}

fn velocity(msg: &mut Message, me: u64) {
    let st = me_bits(me, 6, 3) as u8;
    msg.subtype = Some(st);
    msg.nacv = Some(me_bits(me, 11, 3) as u8);
    let factor = if st == 2 || st == 4 { 4.0 } else { 1.0 };
    match st {
        1 | 2 => {
            let (vew, vns) = (me_bits(me, 15, 10), me_bits(me, 26, 10));
            if vew != 0 && vns != 0 {
                let vx = f64::from(vew - 1) * factor * if me_bit(me, 14) { -1.0 } else { 1.0 };
                let vy = f64::from(vns - 1) * factor * if me_bit(me, 25) { -1.0 } else { 1.0 };
                msg.groundspeed = Some(vx.hypot(vy));
                let track = vx.atan2(vy).to_degrees();
                msg.track = Some(if track < 0.0 { track + 360.0 } else { track });
            }
        }
        3 | 4 => {
            if me_bit(me, 14) {
                msg.heading = Some(f64::from(me_bits(me, 15, 10)) * 360.0 / 1024.0);
            }
            let airspeed = me_bits(me, 26, 10);
            if airspeed != 0 {
                msg.airspeed = Some(f64::from(airspeed - 1) * factor);
                msg.airspeed_kind = Some(if me_bit(me, 25) { AirspeedKind::True } else { AirspeedKind::Indicated });
            }
        }
        _ => return,
    }
    let vr = me_bits(me, 38, 9);
    if vr != 0 {
        let rate = (vr as i32 - 1) * 64;
        msg.vertical_rate = Some(if me_bit(me, 37) { -rate } else { rate });
        msg.vertical_rate_source = Some(if me_bit(me, 36) { Source::Baro } else { Source::Gnss });
    }
    let diff = me_bits(me, 50, 7);
    if diff != 0 {
        let d = (diff as i32 - 1) * 25;
        msg.gnss_baro_diff = Some(if me_bit(me, 49) { -d } else { d });
    }
}

/// Target state and status, version 2 layout (subtype 1, DO-260B §2.2.3.2.7.1).
fn target_state(msg: &mut Message, me: u64) {
    let alt = me_bits(me, 10, 11);
    if alt != 0 {
        msg.selected_altitude = Some((alt as i32 - 1) * 32);
        msg.selected_altitude_source =
            Some(if me_bit(me, 9) { SelectedAltitudeSource::Fms } else { SelectedAltitudeSource::McpFcu });
    }
    let qnh = me_bits(me, 21, 9);
    if qnh != 0 {
        msg.baro_setting = Some(800.0 + f64::from(qnh - 1) * 0.8);
    }
    if me_bit(me, 30) {
        msg.selected_heading = Some(f64::from(me_bits(me, 31, 9)) * 180.0 / 256.0);
    }
    msg.nacp = Some(me_bits(me, 40, 4) as u8);
    msg.nic_baro = Some(me_bit(me, 44));
    msg.sil = Some(me_bits(me, 45, 2) as u8);
    if me_bit(me, 47) {
        msg.autopilot = Some(me_bit(me, 48));
        msg.vnav = Some(me_bit(me, 49));
        msg.altitude_hold = Some(me_bit(me, 50));
        msg.approach = Some(me_bit(me, 52));
        msg.lnav = Some(me_bit(me, 54));
    }
    msg.tcas = Some(me_bit(me, 53));
}

/// AC12 (ES airborne position) to feet: AC13 without its M bit.
fn ac12(code: u32) -> Option<i32> {
    ac13(((code & 0xFC0) << 1) | (code & 0x3F))
}

/// AC13 (DF0/4/16/20) to feet: M bit 0x40 set means metres (not decoded); Q bit 0x10 set means 25 ft steps;
/// otherwise Gillham (Gray) code in 100 ft steps. `None` when absent (0) or invalid.
#[must_use]
pub fn ac13(code: u32) -> Option<i32> {
    if code == 0 {
        return None;
    }
    if code & 0x40 != 0 {
        // Metric altitude: unused in practice and, as in dump1090 and pyModeS, not decoded;
        // on a live feed it mostly comes from a corrupted AP frame.
        return None;
    }
    if code & 0x10 != 0 {
        let n = ((code & 0x1F80) >> 2) | ((code & 0x20) >> 1) | (code & 0x0F);
        return Some(n as i32 * 25 - 1000);
    }
    mode_a_to_mode_c(id13_to_hex(code)).map(|h| h * 100)
}

/// Reorders the 13 interleaved ID/AC bits into the Mode A nibbles A B C D (dump1090's
/// `decodeID13Field`).
fn id13_to_hex(id13: u32) -> u32 {
    const MAP: [(u32, u32); 12] = [
        (0x1000, 0x0010), // C1
        (0x0800, 0x1000), // A1
        (0x0400, 0x0020), // C2
        (0x0200, 0x2000), // A2
        (0x0100, 0x0040), // C4
        (0x0080, 0x4000), // A4
        (0x0020, 0x0100), // B1
        (0x0010, 0x0001), // D1 (or Q)
        (0x0008, 0x0200), // B2
        (0x0004, 0x0002), // D2
        (0x0002, 0x0400), // B4
        (0x0001, 0x0004), // D4
    ];
    MAP.iter().filter(|(from, _)| id13 & from != 0).fold(0, |acc, (_, to)| acc | to)
}

/// Gillham code (Mode A nibble layout) to altitude in 100 ft units (dump1090's `ModeAToModeC`).
fn mode_a_to_mode_c(code: u32) -> Option<i32> {
    if code & 0xFFFF_8889 != 0 || code & 0xF0 == 0 {
        return None;
    }
    let mut hundreds = 0u32;
    if code & 0x0010 != 0 {
        hundreds ^= 7;
    }
    if code & 0x0020 != 0 {
        hundreds ^= 3;
    }
    if code & 0x0040 != 0 {
        hundreds ^= 1;
    }
    if hundreds & 5 == 5 {
        hundreds ^= 2;
    }
    if hundreds > 5 {
        return None;
    }
    let mut five_hundreds = 0u32;
    for (bit, x) in [
        (0x0002, 0xFF),
        (0x0004, 0x7F),
        (0x1000, 0x3F),
        (0x2000, 0x1F),
        (0x4000, 0x0F),
        (0x0100, 7),
        (0x0200, 3),
        (0x0400, 1),
    ] {
        if code & bit != 0 {
            five_hundreds ^= x;
        }
    }
    if five_hundreds & 1 != 0 {
        hundreds = 6 - hundreds;
    }
    Some((five_hundreds * 5 + hundreds) as i32 - 13)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
    }

    #[test]
    fn identification() {
        let mut d = Decoder::default();
        let m = d.frame(&hex("8D4840D6202CC371C32CE0576098"), 0.0).expect("decodes");
        assert_eq!(m.icao, 0x4840D6);
        assert_eq!(m.tc, Some(4));
        assert_eq!(m.callsign.map(|c| c.to_string()).as_deref(), Some("KLM1023"));
        assert_eq!(m.category.map(|c| c.to_string()).as_deref(), Some("A0"));
    }

    #[test]
    fn gillham_and_q_bit() {
        // Q bit set: 0x...; 38,000 ft style check via round trip of known DF4 from literature.
        assert_eq!(ac12(0xC38), Some(38000));
        // Gillham: Mode C code for 2,500 ft has C bits; spot check the invalid all-zero-C case.
        assert_eq!(mode_a_to_mode_c(0x0002), None);
    }

    #[test]
    fn squawk_digits() {
        assert_eq!(Squawk::parse("7700"), Some(Squawk(0x7700)));
        assert_eq!(Squawk::parse("7800"), None);
        assert_eq!(Squawk(0x1200).to_string(), "1200");
    }
}
