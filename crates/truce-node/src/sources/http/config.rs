//! The HTTP feed's configuration: where the API, the stream and the map page listen.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[http]`: the REST API (observations are posted here), the WebSocket stream and the web page.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// The address to listen on (`truce demo` always listens on 127.0.0.1, on `demo.port`).
    pub listen: SocketAddr,
    /// Serve the web page from this folder (and its packages from its `node_modules`) instead of the
    /// copy built into the binary: for working on the page without rebuilding.
    pub web_dir: Option<PathBuf>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self { listen: SocketAddr::from(([127, 0, 0, 1], 8080)), web_dir: None }
    }
}
