//! The HTTP feed's configuration: where the API, the stream and the map page listen.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[http]`: the REST API (observations are posted here), the WebSocket stream and the web page.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// The address to listen on, `HOST:PORT` (`127.0.0.1:8080`, `localhost:8080`, `[::1]:8080`; port 0:
    /// any free port). `truce demo` always listens on 127.0.0.1, on `demo.port`.
    #[serde(deserialize_with = "listen")]
    pub listen: String,
    /// Serve the web page from this folder (and its packages from its `node_modules`) instead of the
    /// copy built into the binary: for working on the page without rebuilding.
    pub web_dir: Option<PathBuf>,
    /// Serve plain HTTP (without `tls`) on an address other than loopback. Without this, `truce serve`
    /// refuses such an address: sessions and passwords would cross the network in clear.
    pub insecure_http: bool,
    /// Serve HTTPS: with `tls_cert` and `tls_key` (PEM files) when given, else with the server
    /// certificate `truce certs init` made (`certs` in the data directory, or `[tak] certs_dir`).
    pub tls: bool,
    /// The server's certificate chain, PEM (with `tls`).
    pub tls_cert: Option<PathBuf>,
    /// The server's private key, PEM (with `tls`).
    pub tls_key: Option<PathBuf>,
    /// Seconds a client may read nothing of an answer being sent to it (any answer: a page of
    /// observations, a streamed report, the WebSocket stream) before its connection is cut (1 to
    /// 3,600): what the answer held (a report's thread and memory) is then freed, not held for a
    /// client that stopped reading. A client that reads slowly but keeps reading is not cut.
    #[serde(deserialize_with = "stall_s")]
    pub stall_s: u64,
    /// Seconds a client may take to send a request's headers, may keep a connection open without
    /// sending a request, and may pause between two pieces of a request's body (1 to 3,600); the
    /// connection is then closed. Answers being sent and the WebSocket stream are not cut by it
    /// (`stall_s` is their limit).
    #[serde(deserialize_with = "stall_s")]
    pub idle_s: u64,
}

/// Checks `--http-stall` and `http.stall_s`, `--http-idle` and `http.idle_s`.
pub fn check_stall_s(n: u64) -> Result<u64, String> {
    if (1..=3_600).contains(&n) { Ok(n) } else { Err(format!("{n} is not from 1 to 3,600")) }
}

fn stall_s<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    check_stall_s(u64::deserialize(d)?).map_err(serde::de::Error::custom)
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".to_owned(),
            web_dir: None,
            insecure_http: false,
            tls: false,
            tls_cert: None,
            tls_key: None,
            stall_s: 60,
            idle_s: 30,
        }
    }
}

/// Checks `--listen` and `http.listen`: a host (a name, an IPv4 address, or an IPv6 address in
/// brackets) and a port.
pub fn check_listen(s: &str) -> Result<String, String> {
    let bad = || format!("{s:?} is not HOST:PORT, like 127.0.0.1:8080, localhost:8080 or [::1]:8080");
    let (host, port) = s.rsplit_once(':').ok_or_else(bad)?;
    port.parse::<u16>().map_err(|_| bad())?;
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
    };
    if host_ok { Ok(s.to_owned()) } else { Err(bad()) }
}

fn listen<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    check_listen(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::check_listen;

    #[test]
    fn a_listening_address_is_a_host_and_a_port() {
        for ok in ["127.0.0.1:0", "localhost:8080", "[::1]:8080", "0.0.0.0:80", "truce-hq.example:443"] {
            assert_eq!(check_listen(ok).as_deref(), Ok(ok));
        }
        for bad in ["8080", "localhost", ":8080", "127.0.0.1:99999", "[::1:8080", "a b:80", "[zz]:80"] {
            assert!(check_listen(bad).is_err(), "{bad}");
        }
    }
}
