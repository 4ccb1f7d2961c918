//! The effective configuration of `truce serve` and `truce demo`: the built-in defaults, then the
//! configuration file (`--config` or `TRUCE_CONFIG`), then the `TRUCE_*` variables and the flags
//! (clap reads a flag's variable when the flag is absent, so a flag wins over its variable).

use std::path::Path;

use truce_node::config::ConfigFile;

use crate::args::{DemoArgs, ServeArgs};

/// The file, or the defaults when there is none.
fn file(path: Option<&Path>) -> anyhow::Result<ConfigFile> {
    Ok(match path {
        Some(p) => ConfigFile::load(p)?,
        None => ConfigFile::default(),
    })
}

/// `truce serve`'s configuration.
pub fn serve(args: &ServeArgs) -> anyhow::Result<ConfigFile> {
    let mut c = file(args.config.as_deref())?;
    apply_serve(args, &mut c);
    c.tak_on_http_host();
    Ok(c)
}

/// Sets what `truce serve`'s flags (and variables) give over `c`.
pub fn apply_serve(args: &ServeArgs, c: &mut ConfigFile) {
    if let Some(d) = &args.store.data_dir {
        c.store.data_dir.clone_from(d);
    }
    if let Some(a) = &args.store.agreement {
        c.store.agreement = Some(a.clone());
    }
    if let Some(s) = &args.store.sectors {
        c.store.sectors = Some(s.clone());
    }
    if let Some(u) = &args.store.store.url {
        c.store.url = Some(u.clone());
    }
    if let Some(l) = &args.listen {
        c.http.listen.clone_from(l);
    }
    if args.insecure_http {
        c.http.insecure_http = true;
    }
    if args.tls || args.tls_cert.is_some() {
        c.http.tls = true;
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        c.http.tls_cert = Some(cert.clone());
        c.http.tls_key = Some(key.clone());
    }
    if let Some(w) = &args.web_dir {
        c.http.web_dir = Some(w.clone());
    }
    if let Some(n) = args.watch_every {
        c.watch.every_s = n;
    }
    if let Some(n) = args.http_stall {
        c.http.stall_s = n;
    }
    if let Some(n) = args.http_idle {
        c.http.idle_s = n;
    }
    if !args.nats.is_empty() {
        c.bus.nats.clone_from(&args.nats);
    }
    if let Some(n) = args.nats_replicas {
        c.bus.replicas = usize::try_from(n).unwrap_or(1);
    }
    args.tak.apply(&mut c.tak);
    c.tak_given.tcp |= args.tak.tak_tcp.is_some();
    c.tak_given.udp |= args.tak.tak_udp.is_some();
}

/// `truce demo`'s configuration.
pub fn demo(args: &DemoArgs) -> anyhow::Result<ConfigFile> {
    let mut c = file(args.config.as_deref())?;
    apply_demo(args, &mut c);
    Ok(c)
}

/// Sets what `truce demo`'s flags (and variables) give over `c`.
pub fn apply_demo(args: &DemoArgs, c: &mut ConfigFile) {
    if let Some(p) = args.port {
        c.demo.port = p;
    }
    if let Some(d) = &args.data_dir {
        c.demo.data_dir = Some(d.clone());
    }
    if let Some(a) = &args.agreement {
        c.store.agreement = Some(a.clone());
    }
    if let Some(s) = &args.sectors {
        c.store.sectors = Some(s.clone());
    }
    if let Some(s) = args.seed {
        c.demo.seed = s;
    }
    if let Some(d) = args.days {
        c.demo.days = d;
    }
    if let Some(s) = args.speed {
        c.demo.speed = s;
    }
    if let Some(t) = args.start {
        c.demo.start = Some(t);
    }
    if let Some(w) = &args.web_dir {
        c.http.web_dir = Some(w.clone());
    }
    args.tak.apply(&mut c.tak);
}
