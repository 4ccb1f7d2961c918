//! A listening address in configuration: `ADDR:PORT` or `off`.

use std::net::SocketAddr;

/// Where a listener binds, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listen {
    /// No listener.
    Off,
    /// Bind this address (port 0: any free port).
    At(SocketAddr),
}

impl Listen {
    /// The address, when on.
    pub fn addr(self) -> Option<SocketAddr> {
        match self {
            Listen::Off => None,
            Listen::At(a) => Some(a),
        }
    }
}

impl std::str::FromStr for Listen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "off" {
            return Ok(Listen::Off);
        }
        s.parse().map(Listen::At).map_err(|_| format!("{s:?} is not an address like 0.0.0.0:8087, or off"))
    }
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listen::Off => f.write_str("off"),
            Listen::At(a) => write!(f, "{a}"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Listen {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Listen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
