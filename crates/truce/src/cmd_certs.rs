//! `truce certs`: the certificates TAK devices (ATAK, WinTAK, iTAK) join the TAK server with.
//!
//! A thin layer over [`truce_pki`]: `init` makes the CA and the server certificate, `issue` a client
//! certificate for a callsign, `package` the ATAK data package that enrols a device in one import
//! (issuing its certificate first if there is none), `revoke` certificates by serial, callsign or
//! user (a running server refuses them within a second), `list` what was issued and whether it was
//! revoked. Everything lives in one directory, by default `<data-dir>/certs`. A bad callsign is refused by the argument parser (exit 2,
//! naming `--callsign`); the library's errors name the file or flag at fault. Every file, the package
//! included, is written to a temporary file and renamed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use time::format_description::well_known::Rfc3339;
use truce_pki::package::{self, PackageOptions};
use truce_pki::{CertStore, DEFAULT_P12_PASSWORD, DEFAULT_TLS_PORT, InitOptions, IssueOptions, Revoke};

/// `truce certs ...`.
#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Make the CA and the server certificate (refuses to replace an existing CA without --force).
    Init(InitArgs),
    /// Issue a client certificate whose subject CN is the callsign.
    Issue(IssueArgs),
    /// Write the ATAK data package (zip) that enrols a device: connection, truststore and keystore.
    Package(PackageArgs),
    /// Revoke certificates: the TLS listener refuses them from then on, a running one within a second.
    Revoke(RevokeArgs),
    /// List the issued certificates: serial, callsign, user, not-after, and when revoked.
    List(DirArgs),
}

/// Where the certificates are.
#[derive(Debug, Args)]
pub struct DirArgs {
    /// The certificate directory [default: DATA_DIR/certs].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The data directory (the certificates go in its `certs` folder unless --dir is given).
    #[arg(long, default_value = "./truce-data", env = "TRUCE_DATA_DIR")]
    pub data_dir: PathBuf,
    /// Where the users are (for --user).
    #[command(flatten)]
    pub store: crate::args::StoreUrl,
}

impl DirArgs {
    fn store(&self) -> CertStore {
        CertStore::new(self.dir.clone().unwrap_or_else(|| self.data_dir.join("certs")))
    }
}

/// `truce certs init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Where the certificates are.
    #[command(flatten)]
    pub dir: DirArgs,
    /// A host name or IP address devices reach the server by (repeatable; the first is also its CN).
    #[arg(long = "host", value_name = "NAME", default_values_t = ["127.0.0.1".to_owned(), "localhost".to_owned()])]
    pub hosts: Vec<String>,
    /// The organisation (O) of the certificates' subjects.
    #[arg(long, default_value = "truce")]
    pub org: String,
    /// Replace an existing CA: certificates it issued stop working and are moved aside.
    #[arg(long)]
    pub force: bool,
}

/// `truce certs issue`.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// Where the certificates are.
    #[command(flatten)]
    pub dir: DirArgs,
    /// The device's callsign: the certificate's subject CN and the client's identity.
    #[arg(long, value_name = "NAME", value_parser = parse_callsign)]
    pub callsign: String,
    /// Validity in days.
    #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: u32,
    /// The organisation (O) of the subject [default: the CA's].
    #[arg(long)]
    pub org: Option<String>,
    /// The organisational unit (OU) of the subject.
    #[arg(long, conflicts_with = "user")]
    pub unit: Option<String>,
    /// The truce user the device acts as (its nation, role and clearance decide what it receives and
    /// label what it sends): a user of the data directory, written into the certificate's subject
    /// as OU `truce-user:NAME`.
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Replace an existing certificate for the callsign (the old one stays valid until it expires).
    #[arg(long)]
    pub force: bool,
}

/// `truce certs package`.
#[derive(Debug, Args)]
pub struct PackageArgs {
    /// Where the certificates are.
    #[command(flatten)]
    pub dir: DirArgs,
    /// The device's callsign; its certificate is issued first if there is none.
    #[arg(long, value_name = "NAME", value_parser = parse_callsign)]
    pub callsign: String,
    /// The server's host name or IP address as the device reaches it [default: the server certificate's first name].
    #[arg(long, value_parser = parse_host)]
    pub host: Option<String>,
    /// The TLS streaming port.
    #[arg(long, default_value_t = DEFAULT_TLS_PORT)]
    pub port: u16,
    /// The password of the two PKCS#12 files in the package.
    #[arg(long, env = "TRUCE_P12_PASSWORD", default_value = DEFAULT_P12_PASSWORD, hide_env_values = true)]
    pub password: String,
    /// Validity in days of a certificate issued for the package.
    #[arg(long, default_value_t = 730, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: u32,
    /// The zip to write [default: ./CALLSIGN.zip].
    #[arg(long, value_name = "FILE.zip")]
    pub out: Option<PathBuf>,
}

/// `truce certs revoke`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["serial", "callsign", "user"])))]
pub struct RevokeArgs {
    /// Where the certificates are.
    #[command(flatten)]
    pub dir: DirArgs,
    /// The certificate with this serial number (hex as `truce certs list` shows it; any case).
    #[arg(long, value_name = "HEX")]
    pub serial: Option<String>,
    /// Every certificate issued for this callsign.
    #[arg(long, value_name = "NAME")]
    pub callsign: Option<String>,
    /// Every certificate bound to this truce user (`issue --user`, or enrolled with the user's password).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,
    /// Why, recorded in revoked.tsv.
    #[arg(long, default_value = "unspecified")]
    pub reason: String,
}

fn parse_callsign(s: &str) -> Result<String, String> {
    truce_pki::validate_callsign(s).map(|()| s.to_owned()).map_err(|e| e.to_string())
}

fn parse_host(s: &str) -> Result<String, String> {
    if s.is_empty() || s.contains(|c: char| c == ':' || c.is_whitespace() || c.is_control() || c == '<' || c == '&') {
        Err(format!("{s:?}: a host name or IPv4 address (the connect string HOST:PORT:ssl has no room for ':')"))
    } else {
        Ok(s.to_owned())
    }
}

/// Runs a `truce certs` command.
pub fn run(command: &CertsCommand) -> anyhow::Result<ExitCode> {
    match command {
        CertsCommand::Init(args) => init(args),
        CertsCommand::Issue(args) => issue(args),
        CertsCommand::Package(args) => package(args),
        CertsCommand::Revoke(args) => revoke(args),
        CertsCommand::List(args) => list(args),
    }
}

fn init(args: &InitArgs) -> anyhow::Result<ExitCode> {
    let store = args.dir.store();
    let opts = InitOptions {
        hosts: args.hosts.clone(),
        organization: args.org.clone(),
        force: args.force,
        ..InitOptions::default()
    };
    store.init(&opts)?;
    outln!("CA:     {}", store.ca_cert_path().display());
    outln!("server: {} (names: {})", store.server_cert_path().display(), args.hosts.join(", "));
    outln!("next:   truce certs package --callsign NAME --host HOST");
    Ok(ExitCode::SUCCESS)
}

fn issue(args: &IssueArgs) -> anyhow::Result<ExitCode> {
    let store = args.dir.store();
    let unit = match &args.user {
        Some(name) => {
            let users = crate::args::records(&args.dir.data_dir, args.dir.store.get(), false)
                .with_context(|| format!("--user {name:?}"))?;
            match users.user(name)? {
                Some(u) if !u.disabled => Some(format!("{}{name}", truce_pki::USER_OU_PREFIX)),
                Some(_) => anyhow::bail!("--user {name:?}: the user is disabled"),
                None => anyhow::bail!("--user {name:?}: no such user in {}", args.dir.data_dir.display()),
            }
        }
        None => args.unit.clone(),
    };
    let opts = IssueOptions { days: args.days, organization: args.org.clone(), unit, replace: args.force };
    let issued = store.issue(&args.callsign, &opts)?;
    outln!(
        "issued {} serial {} valid until {}: {}",
        issued.callsign,
        issued.serial,
        truce_formats::when::show(issued.not_after),
        issued.cert_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn package(args: &PackageArgs) -> anyhow::Result<ExitCode> {
    let store = args.dir.store();
    let ca = store.ca_cert_der()?;
    let names = store.server_names()?;
    let host = match &args.host {
        Some(h) => h.clone(),
        None => names.first().cloned().context("the server certificate has no names; give --host")?,
    };
    if !names.contains(&host) {
        eprintln!(
            "truce: warning: --host {host} is not among the server certificate's names ({}); devices that check \
             the name will refuse it: `truce certs init --force --host {host}` makes one that has it",
            names.join(", ")
        );
    }
    let (client, fresh) = match store.client(&args.callsign)? {
        Some(c) => (c, false),
        None => (store.issue(&args.callsign, &IssueOptions { days: args.days, ..IssueOptions::default() })?, true),
    };
    let opts = PackageOptions {
        host: host.clone(),
        port: args.port,
        password: args.password.clone(),
        description: format!("truce {host}"),
    };
    let zip = package::build(&client, &ca, &opts)?;
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(format!("{}.zip", args.callsign)));
    write_package(&out, &zip)?;
    if fresh {
        outln!("issued {} serial {}", client.callsign, client.serial);
    }
    outln!(
        "{}: data package for {} ({}); import it in ATAK (Import Manager), WinTAK or iTAK",
        out.display(),
        client.callsign,
        package::connect_string(&host, args.port)
    );
    Ok(ExitCode::SUCCESS)
}

/// The package holds a private key: a file is written with mode 0600, whole or not at all; a device or
/// a pipe is written into (`crate::outfile`).
fn write_package(out: &Path, zip: &[u8]) -> anyhow::Result<()> {
    if out.is_dir() {
        anyhow::bail!("--out {}: is a directory", out.display());
    }
    match crate::outfile::special(out).with_context(|| format!("--out {}", out.display()))? {
        Some(mut device) => {
            std::io::Write::write_all(&mut device, zip).with_context(|| format!("--out {}", out.display()))
        }
        None => truce_pki::write_atomic(out, zip, 0o600).with_context(|| format!("--out {}", out.display())),
    }
}

fn revoke(args: &RevokeArgs) -> anyhow::Result<ExitCode> {
    let store = args.dir.store();
    store.ca_cert_der()?;
    let which = match (&args.serial, &args.callsign, &args.user) {
        (Some(serial), _, _) => Revoke::Serial(serial.clone()),
        (_, Some(callsign), _) => Revoke::Callsign(callsign.clone()),
        (_, _, Some(user)) => Revoke::User(user.clone()),
        // The argument group requires exactly one of them.
        (None, None, None) => anyhow::bail!("give --serial, --callsign or --user"),
    };
    let revoked = store.revoke(&which, &args.reason, time::OffsetDateTime::now_utc())?;
    if revoked.is_empty() {
        outln!("nothing to revoke: every certificate matching {which} is revoked already");
    }
    for r in &revoked {
        outln!("revoked {} {}", r.serial, r.callsign);
    }
    Ok(ExitCode::SUCCESS)
}

fn list(args: &DirArgs) -> anyhow::Result<ExitCode> {
    let store = args.store();
    store.ca_cert_der()?;
    let records = store.list()?;
    // The registers hold RFC 3339 as it was written; print it as every time is printed.
    let show =
        |at: &str| time::OffsetDateTime::parse(at, &Rfc3339).map_or_else(|_| at.to_owned(), truce_formats::when::show);
    outln!("{:<34} {:<24} {:<16} {:<20} revoked", "serial", "callsign", "user", "not_after");
    for r in &records {
        let revoked = r.revoked_at.as_deref().map_or_else(|| "-".to_owned(), |at| format!("REVOKED {}", show(at)));
        outln!(
            "{:<34} {:<24} {:<16} {:<20} {}",
            r.serial,
            r.callsign,
            r.user.as_deref().unwrap_or("-"),
            show(&r.not_after),
            revoked
        );
    }
    Ok(ExitCode::SUCCESS)
}
