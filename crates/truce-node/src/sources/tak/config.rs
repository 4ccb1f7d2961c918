//! The TAK feed's configuration: the listeners and how clients are served.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::sources::Listen;

/// `[tak]`: Cursor on Target from TAK devices (docs/tak.md).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TakConfig {
    /// CoT over TCP, XML and TAK protocol v1 (TAK's port is 8087), or `off`.
    pub tcp: Listen,
    /// CoT over TLS with client certificates (TAK's port is 8089), or `off`; when absent, 0.0.0.0:8089
    /// if the certificate directory holds a server certificate, else off.
    pub tls: Option<Listen>,
    /// CoT over UDP: mesh TAK protocol and XML datagrams (TAK's port is 6969), or `off`.
    pub udp: Listen,
    /// The Marti REST API devices use (data packages, missions, contacts) over HTTPS with client
    /// certificates (TAK's port is 8443), or `off`; when absent, the TLS listener's host, port 8443,
    /// if the certificate directory holds a server certificate, else off.
    pub api: Option<Listen>,
    /// Certificate enrolment over HTTPS with a user name and password (TAK's port is 8446), or `off`;
    /// when absent, the TLS listener's host, port 8446, if there is a server certificate, else off.
    pub enrol: Option<Listen>,
    /// The largest file a device may upload, in MiB (1 to 4,096).
    #[serde(deserialize_with = "max_upload_mib")]
    pub max_upload_mib: u64,
    /// Also join this multicast group on the UDP port (TAK's SA group is 239.2.3.1).
    pub multicast: Option<Ipv4Addr>,
    /// The certificate directory for TLS (default: `certs` in the data directory).
    pub certs_dir: Option<PathBuf>,
    /// Route only between clients of the same `__group` team (a team is a channel); `false` routes
    /// between all clients.
    pub channels: bool,
    /// Messages queued per client before older positions are dropped (1 to 1,000,000).
    #[serde(deserialize_with = "queue")]
    pub queue: usize,
    /// A client's writes are coalesced over this many milliseconds (0 to 1,000).
    #[serde(deserialize_with = "flush_ms")]
    pub flush_ms: u64,
    /// The nation of the anonymous viewer (plain TCP and UDP clients, certificates without a user):
    /// none by default, so they receive only what is released to everyone (docs/security.md).
    #[serde(deserialize_with = "anonymous_nation")]
    pub anonymous_nation: Option<String>,
    /// The anonymous viewer's clearance (default NATO UNCLASSIFIED).
    pub anonymous_clearance: truce_core::Marking,
}

fn anonymous_nation<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let n = Option::<String>::deserialize(d)?;
    match n {
        Some(code) if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) => {
            Err(serde::de::Error::custom(format!("{code:?} is not an ISO 3166 alpha-3 code (e.g. UKR)")))
        }
        other => Ok(other),
    }
}

impl Default for TakConfig {
    fn default() -> Self {
        Self {
            tcp: Listen::At(([0, 0, 0, 0], 8087).into()),
            tls: None,
            udp: Listen::At(([0, 0, 0, 0], 6969).into()),
            api: None,
            enrol: None,
            max_upload_mib: 400,
            multicast: None,
            certs_dir: None,
            channels: true,
            queue: 8192,
            flush_ms: 20,
            anonymous_nation: None,
            anonymous_clearance: truce_core::Marking::NatoUnclassified,
        }
    }
}

/// Checks `--tak-queue` and `tak.queue`.
pub fn check_queue(n: u64) -> Result<usize, String> {
    if (1..=1_000_000).contains(&n) { Ok(n as usize) } else { Err(format!("{n} is not from 1 to 1,000,000")) }
}

/// Checks `--tak-flush-ms` and `tak.flush_ms`.
pub fn check_flush_ms(n: u64) -> Result<u64, String> {
    if n <= 1_000 { Ok(n) } else { Err(format!("{n} is not from 0 to 1,000")) }
}

/// Checks `--tak-max-upload-mib` and `tak.max_upload_mib`.
pub fn check_max_upload_mib(n: u64) -> Result<u64, String> {
    if (1..=4096).contains(&n) { Ok(n) } else { Err(format!("{n} is not from 1 to 4,096")) }
}

fn max_upload_mib<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    check_max_upload_mib(u64::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn queue<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    check_queue(u64::deserialize(d)?).map_err(serde::de::Error::custom)
}

fn flush_ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    check_flush_ms(u64::deserialize(d)?).map_err(serde::de::Error::custom)
}

impl TakConfig {
    /// The demo's listeners: on loopback only, and on free ports when `any_port` (the web server
    /// takes one, `--port 0`, as the tests do) unless an address other than TAK's default was given.
    pub fn for_demo(&self, any_port: bool) -> Self {
        let defaults = Self::default();
        let local = |l: Listen, default: Listen| -> Listen {
            let Listen::At(mut a) = l else { return l };
            if any_port && l == default {
                a.set_port(0);
            }
            if a.ip().is_unspecified() {
                a.set_ip(Ipv4Addr::LOCALHOST.into());
            }
            Listen::At(a)
        };
        let tls_default = Listen::At(([0, 0, 0, 0], 8089).into());
        let api_default = Listen::At(([0, 0, 0, 0], 8443).into());
        let enrol_default = Listen::At(([0, 0, 0, 0], 8446).into());
        Self {
            tcp: local(self.tcp, defaults.tcp),
            udp: local(self.udp, defaults.udp),
            tls: Some(local(self.tls.unwrap_or(tls_default), tls_default)),
            api: Some(local(self.api.unwrap_or(api_default), api_default)),
            enrol: Some(local(self.enrol.unwrap_or(enrol_default), enrol_default)),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(s: &str) -> Listen {
        s.parse().expect("an address")
    }

    #[test]
    fn the_demo_listens_on_loopback_and_on_free_ports_with_port_0() {
        let d = TakConfig::default().for_demo(false);
        assert_eq!(
            (d.tcp, d.udp, d.tls),
            (listen("127.0.0.1:8087"), listen("127.0.0.1:6969"), Some(listen("127.0.0.1:8089")))
        );
        let d = TakConfig { udp: Listen::Off, ..TakConfig::default() }.for_demo(true);
        assert_eq!((d.tcp, d.udp, d.tls), (listen("127.0.0.1:0"), Listen::Off, Some(listen("127.0.0.1:0"))));
        let given =
            TakConfig { tcp: listen("0.0.0.0:9000"), tls: Some(listen("192.0.2.1:9001")), ..TakConfig::default() };
        let d = given.for_demo(true);
        assert_eq!(d.tcp, listen("127.0.0.1:9000"), "an address given keeps its port, on loopback");
        assert_eq!(d.tls, Some(listen("192.0.2.1:9001")));
    }

    #[test]
    fn out_of_range_values_are_refused_when_read() {
        let err = toml::from_str::<TakConfig>("flush_ms = 5000").expect_err("out of range");
        assert!(err.message().contains("5000 is not from 0 to 1,000"), "{err}");
        let err = toml::from_str::<TakConfig>("tcp = \"8087\"").expect_err("not an address");
        assert!(err.message().contains("is not an address like 0.0.0.0:8087, or off"), "{err}");
        let ok: TakConfig = toml::from_str("tcp = \"off\"\nqueue = 16").expect("valid");
        assert_eq!((ok.tcp, ok.queue, ok.flush_ms), (Listen::Off, 16, 20));
    }
}
