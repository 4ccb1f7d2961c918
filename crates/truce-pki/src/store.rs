//! The certificate directory: the CA, the server certificate and one certificate per callsign.
//!
//! Layout (default `<data-dir>/certs`): `ca.pem` + `ca.key`, `server.pem` + `server.key`,
//! `clients/<callsign>.pem` + `clients/<callsign>.key`, `issued.tsv` (serial, callsign, not-after and
//! the truce user the certificate is bound to, one certificate a line, in issue order; files written
//! before the user column have three columns and still read) and `revoked.tsv` (see [`crate::revoke`]).
//! Keys are PKCS#8 PEM with mode 0600, the directory 0700.
//!
//! Each file is written to a temporary file beside it and renamed, the key before its certificate, so a
//! certificate on disk always has its key and a failure leaves the previous state. The two registers
//! are read, extended and rewritten under an exclusive lock on `registers.lock`, so that enrolments
//! served concurrently and a `truce certs` command running beside the server never lose a line.
//! Serial numbers are 128 random bits (positive, as RFC 5280 asks) checked against `issued.tsv`. A
//! re-initialised CA moves the old `clients/`, `issued.tsv` and `revoked.tsv` aside, because
//! certificates of the old CA no longer connect.

use std::fs;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SerialNumber,
};
use ring::rand::SecureRandom;
use time::{Duration, OffsetDateTime, format_description::well_known::Rfc3339};

use crate::revoke::{REVOKED_FILE, read_revoked};
use crate::{Error, USER_OU_PREFIX, validate_callsign};

const ISSUED_FILE: &str = "issued.tsv";
const ISSUED_HEADER: &str = "serial\tcallsign\tnot_after\tuser\n";
/// The header of `issued.tsv` before the user column.
const ISSUED_HEADER_V1: &str = "serial\tcallsign\tnot_after\n";
const LOCK_FILE: &str = "registers.lock";

/// How `init` makes the CA and the server certificate.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// Host names and IP addresses of the server: its subjectAltNames (the first is also its CN).
    pub hosts: Vec<String>,
    /// The organisation (O) of the CA and server subjects.
    pub organization: String,
    /// Validity of the CA in days.
    pub ca_days: u32,
    /// Validity of the server certificate in days.
    pub server_days: u32,
    /// Replace an existing CA (and move the old clients aside).
    pub force: bool,
}

impl Default for InitOptions {
    fn default() -> Self {
        Self {
            hosts: vec!["127.0.0.1".into(), "localhost".into()],
            organization: "truce".into(),
            ca_days: 3650,
            server_days: 730,
            force: false,
        }
    }
}

/// How `issue` makes a client certificate.
#[derive(Debug, Clone)]
pub struct IssueOptions {
    /// Validity in days (TAK Server's `makeCert.sh` uses 730).
    pub days: u32,
    /// The organisation (O) of the subject; the CA's when `None`.
    pub organization: Option<String>,
    /// The organisational unit (OU) of the subject, if any.
    pub unit: Option<String>,
    /// Replace an existing certificate for the callsign.
    pub replace: bool,
}

impl Default for IssueOptions {
    fn default() -> Self {
        Self { days: 730, organization: None, unit: None, replace: false }
    }
}

/// A client certificate with its key.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The callsign (the subject CN).
    pub callsign: String,
    /// The serial number, upper-case hex.
    pub serial: String,
    /// The end of validity.
    pub not_after: OffsetDateTime,
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    /// The private key, PKCS#8 DER.
    pub key_der: Vec<u8>,
    /// Where the certificate is stored.
    pub cert_path: PathBuf,
}

/// One line of `issued.tsv`, with its revocation from `revoked.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRecord {
    /// Serial number, upper-case hex.
    pub serial: String,
    /// The callsign.
    pub callsign: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// The truce user the certificate is bound to (its subject OU `truce-user:NAME`), if any.
    pub user: Option<String>,
    /// When the certificate was revoked, RFC 3339 (from `revoked.tsv`, never stored in `issued.tsv`).
    pub revoked_at: Option<String>,
}

/// What a TLS server needs: the CA to verify clients against and its own certificate and key.
#[derive(Debug, Clone)]
pub struct TrustMaterial {
    /// The CA certificate, DER.
    pub ca_cert_der: Vec<u8>,
    /// The server certificate, DER.
    pub server_cert_der: Vec<u8>,
    /// The server's private key, PKCS#8 DER.
    pub server_key_der: Vec<u8>,
}

/// A certificate directory.
#[derive(Debug, Clone)]
pub struct CertStore {
    dir: PathBuf,
}

impl CertStore {
    /// The store in `dir` (nothing is read or created yet).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The CA certificate file.
    pub fn ca_cert_path(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    fn ca_key_path(&self) -> PathBuf {
        self.dir.join("ca.key")
    }

    /// The server certificate file.
    pub fn server_cert_path(&self) -> PathBuf {
        self.dir.join("server.pem")
    }

    /// The server key file.
    pub fn server_key_path(&self) -> PathBuf {
        self.dir.join("server.key")
    }

    /// The register of issued certificates.
    pub(crate) fn issued_path(&self) -> PathBuf {
        self.dir.join(ISSUED_FILE)
    }

    /// The register of revoked certificates.
    pub fn revoked_path(&self) -> PathBuf {
        self.dir.join(REVOKED_FILE)
    }

    fn clients_dir(&self) -> PathBuf {
        self.dir.join("clients")
    }

    /// The certificate file of a callsign.
    pub fn client_cert_path(&self, callsign: &str) -> PathBuf {
        self.clients_dir().join(format!("{callsign}.pem"))
    }

    fn client_key_path(&self, callsign: &str) -> PathBuf {
        self.clients_dir().join(format!("{callsign}.key"))
    }

    /// Makes the CA and the server certificate. Refuses to replace an existing CA unless `force`.
    pub fn init(&self, opts: &InitOptions) -> Result<(), Error> {
        if opts.hosts.is_empty() {
            return Err(Error::BadOption("--host: at least one host name or IP address is needed".into()));
        }
        for host in &opts.hosts {
            check_host(host)?;
        }
        check_days("CA validity", opts.ca_days)?;
        check_days("server validity", opts.server_days)?;
        let ca_path = self.ca_cert_path();
        if ca_path.exists() && !opts.force {
            return Err(Error::CaExists(ca_path));
        }
        create_private_dir(&self.dir)?;
        if ca_path.exists() {
            self.move_old_clients_aside()?;
        }
        let now = OffsetDateTime::now_utc();

        let ca_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut ca = CertificateParams::default();
        // A name of its own for each CA, so that two truce installations (or a re-initialised one) are
        // told apart by name, and no client callsign can equal the CA's name (TAK Server refuses that).
        let ca_name = format!("truce CA {}", &hex(&random_serial()?)[..8]);
        ca.distinguished_name = dn(&ca_name, Some(&opts.organization), None);
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        ca.serial_number = Some(SerialNumber::from_slice(&random_serial()?));
        validity(&mut ca, now, opts.ca_days);
        let ca_cert = ca.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca, &ca_key);

        let server_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut server = CertificateParams::new(opts.hosts.clone())?;
        server.distinguished_name = dn(&opts.hosts[0], Some(&opts.organization), None);
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        server.serial_number = Some(SerialNumber::from_slice(&random_serial()?));
        validity(&mut server, now, opts.server_days);
        let server_cert = server.signed_by(&server_key, &issuer)?;

        write_atomic(&self.server_key_path(), server_key.serialize_pem().as_bytes(), 0o600)?;
        write_atomic(&self.server_cert_path(), server_cert.pem().as_bytes(), 0o644)?;
        write_atomic(&self.ca_key_path(), ca_key.serialize_pem().as_bytes(), 0o600)?;
        write_atomic(&ca_path, ca_cert.pem().as_bytes(), 0o644)?;
        Ok(())
    }

    fn move_old_clients_aside(&self) -> Result<(), Error> {
        let stamp = OffsetDateTime::now_utc().unix_timestamp();
        for (from, to) in [
            (self.clients_dir(), self.dir.join(format!("clients.replaced-{stamp}"))),
            (self.issued_path(), self.dir.join(format!("issued.replaced-{stamp}.tsv"))),
            (self.revoked_path(), self.dir.join(format!("revoked.replaced-{stamp}.tsv"))),
        ] {
            if from.exists() {
                fs::rename(&from, &to).map_err(|source| Error::Io { path: from.clone(), source })?;
            }
        }
        Ok(())
    }

    /// Issues a client certificate for `callsign` (the subject CN), signed by the CA.
    pub fn issue(&self, callsign: &str, opts: &IssueOptions) -> Result<Issued, Error> {
        validate_callsign(callsign)?;
        check_days("--days", opts.days)?;
        let cert_path = self.client_cert_path(callsign);
        if cert_path.exists() && !opts.replace {
            return Err(Error::ClientExists(cert_path));
        }
        let (ca_pem, ca_key) = self.ca()?;
        let issuer = Issuer::from_ca_cert_pem(&ca_pem, &ca_key)?;
        let organization = match &opts.organization {
            Some(o) => Some(o.clone()),
            None => ca_organization(&ca_pem, &self.ca_cert_path())?,
        };
        let _lock = self.lock_registers()?;
        let serial = self.fresh_serial()?;
        let now = OffsetDateTime::now_utc();
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = dn(callsign, organization.as_deref(), opts.unit.as_deref());
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let not_after = validity(&mut params, now, opts.days);
        let cert = params.signed_by(&key, &issuer)?;

        create_private_dir(&self.clients_dir())?;
        write_atomic(&self.client_key_path(callsign), key.serialize_pem().as_bytes(), 0o600)?;
        write_atomic(&cert_path, cert.pem().as_bytes(), 0o644)?;
        let record = IssuedRecord {
            serial: hex(&serial),
            callsign: callsign.to_owned(),
            not_after: rfc3339(not_after)?,
            user: opts.unit.as_deref().and_then(|u| u.strip_prefix(USER_OU_PREFIX)).map(str::to_owned),
            revoked_at: None,
        };
        self.append_record(&record)?;
        Ok(Issued {
            callsign: callsign.to_owned(),
            serial: record.serial,
            not_after,
            cert_der: cert.der().to_vec(),
            key_der: key.serialize_der(),
            cert_path,
        })
    }

    /// A serial number `issued.tsv` does not hold yet (call with the registers locked).
    pub(crate) fn fresh_serial(&self) -> Result<[u8; 16], Error> {
        let taken: Vec<String> = self.read_issued()?.into_iter().map(|r| r.serial).collect();
        loop {
            let candidate = random_serial()?;
            if !taken.contains(&hex(&candidate)) {
                return Ok(candidate);
            }
        }
    }

    /// The CA's certificate (PEM), its issuer for signing and its organisation (O).
    pub(crate) fn issuer(&self) -> Result<(Issuer<'static, KeyPair>, Option<String>), Error> {
        let (ca_pem, ca_key) = self.ca()?;
        let organization = ca_organization(&ca_pem, &self.ca_cert_path())?;
        Ok((Issuer::from_ca_cert_pem(&ca_pem, ca_key)?, organization))
    }

    /// Holds the exclusive lock on the registers (`issued.tsv`, `revoked.tsv`) until dropped: across
    /// threads and processes.
    pub(crate) fn lock_registers(&self) -> Result<fs::File, Error> {
        let path = self.dir.join(LOCK_FILE);
        let io = |source| Error::Io { path: path.clone(), source };
        let mut options = fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&path).map_err(io)?;
        file.lock().map_err(io)?;
        Ok(file)
    }

    /// The stored certificate of `callsign`, if one was issued.
    pub fn client(&self, callsign: &str) -> Result<Option<Issued>, Error> {
        validate_callsign(callsign)?;
        let cert_path = self.client_cert_path(callsign);
        if !cert_path.exists() {
            return Ok(None);
        }
        let cert_der = read_cert_der(&cert_path)?;
        let key_path = self.client_key_path(callsign);
        let key = read_key(&key_path)?;
        let (_, x509) = x509_parser::parse_x509_certificate(&cert_der)
            .map_err(|e| Error::Corrupt { path: cert_path.clone(), reason: e.to_string() })?;
        Ok(Some(Issued {
            callsign: callsign.to_owned(),
            serial: hex(x509.raw_serial()),
            not_after: x509.validity().not_after.to_datetime(),
            cert_der,
            key_der: key.serialize_der(),
            cert_path,
        }))
    }

    /// The CA certificate, DER.
    pub fn ca_cert_der(&self) -> Result<Vec<u8>, Error> {
        let path = self.ca_cert_path();
        if !path.exists() {
            return Err(Error::NoCa(path));
        }
        read_cert_der(&path)
    }

    /// The CA and the server certificate and key, for a TLS server.
    pub fn trust_material(&self) -> Result<TrustMaterial, Error> {
        Ok(TrustMaterial {
            ca_cert_der: self.ca_cert_der()?,
            server_cert_der: read_cert_der(&self.server_cert_path())?,
            server_key_der: read_key(&self.server_key_path())?.serialize_der(),
        })
    }

    /// The server certificate's DNS names and IP addresses (its subjectAltNames).
    pub fn server_names(&self) -> Result<Vec<String>, Error> {
        let path = self.server_cert_path();
        let der = read_cert_der(&path)?;
        let (_, x509) = x509_parser::parse_x509_certificate(&der)
            .map_err(|e| Error::Corrupt { path: path.clone(), reason: e.to_string() })?;
        let sans = x509.subject_alternative_name().map_err(|e| Error::Corrupt { path, reason: e.to_string() })?;
        let mut names = Vec::new();
        for name in sans.map(|s| &s.value.general_names[..]).unwrap_or_default() {
            match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => names.push((*dns).to_owned()),
                x509_parser::extensions::GeneralName::IPAddress(ip) => match ip.len() {
                    4 => names.push(IpAddr::from(<[u8; 4]>::try_from(*ip).unwrap_or_default()).to_string()),
                    16 => names.push(IpAddr::from(<[u8; 16]>::try_from(*ip).unwrap_or_default()).to_string()),
                    _ => {}
                },
                _ => {}
            }
        }
        Ok(names)
    }

    /// The issued certificates, in issue order (empty before the first), each with its revocation.
    pub fn list(&self) -> Result<Vec<IssuedRecord>, Error> {
        let mut records = self.read_issued()?;
        let revoked = read_revoked(&self.revoked_path())?;
        for r in &mut records {
            r.revoked_at = revoked.iter().find(|v| v.serial == r.serial).map(|v| v.revoked_at.clone());
        }
        Ok(records)
    }

    /// The lines of `issued.tsv`, without their revocations.
    pub(crate) fn read_issued(&self) -> Result<Vec<IssuedRecord>, Error> {
        let path = self.issued_path();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(Error::Io { path, source }),
        };
        let mut records = Vec::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            let fields: Vec<&str> = line.split('\t').collect();
            let (serial, callsign, not_after, user) = match fields[..] {
                [serial, callsign, not_after] => (serial, callsign, not_after, ""),
                [serial, callsign, not_after, user] => (serial, callsign, not_after, user),
                _ => {
                    return Err(Error::Corrupt {
                        path,
                        reason: format!("line {}: expected 3 or 4 tab-separated fields, found {}", i + 1, fields.len()),
                    });
                }
            };
            records.push(IssuedRecord {
                serial: serial.to_owned(),
                callsign: callsign.to_owned(),
                not_after: not_after.to_owned(),
                user: (!user.is_empty()).then(|| user.to_owned()),
                revoked_at: None,
            });
        }
        Ok(records)
    }

    /// Appends `record` to `issued.tsv` (call with the registers locked); a file of the three-column
    /// format gets the four-column header.
    pub(crate) fn append_record(&self, record: &IssuedRecord) -> Result<(), Error> {
        let path = self.issued_path();
        let mut text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => ISSUED_HEADER.to_owned(),
            Err(source) => return Err(Error::Io { path, source }),
        };
        if let Some(rest) = text.strip_prefix(ISSUED_HEADER_V1) {
            text = format!("{ISSUED_HEADER}{rest}");
        }
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            record.serial,
            record.callsign,
            record.not_after,
            record.user.as_deref().unwrap_or("")
        ));
        write_atomic(&path, text.as_bytes(), 0o644)
    }

    fn ca(&self) -> Result<(String, KeyPair), Error> {
        let path = self.ca_cert_path();
        let pem = match fs::read_to_string(&path) {
            Ok(p) => p,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Error::NoCa(path)),
            Err(source) => return Err(Error::Io { path, source }),
        };
        Ok((pem, read_key(&self.ca_key_path())?))
    }
}

/// `at` in UTC as RFC 3339.
pub(crate) fn rfc3339(at: OffsetDateTime) -> Result<String, Error> {
    at.to_offset(time::UtcOffset::UTC).format(&Rfc3339).map_err(|e| Error::BadOption(e.to_string()))
}

pub(crate) fn dn(cn: &str, organization: Option<&str>, unit: Option<&str>) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    if let Some(o) = organization {
        dn.push(DnType::OrganizationName, o);
    }
    if let Some(ou) = unit {
        dn.push(DnType::OrganizationalUnitName, ou);
    }
    dn.push(DnType::CommonName, cn);
    dn
}

/// Valid from an hour ago (devices' clocks drift) for `days` days; returns the end.
pub(crate) fn validity(params: &mut CertificateParams, now: OffsetDateTime, days: u32) -> OffsetDateTime {
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(i64::from(days));
    params.not_after
}

pub(crate) fn check_days(what: &str, days: u32) -> Result<(), Error> {
    if (1..=36500).contains(&days) {
        Ok(())
    } else {
        Err(Error::BadOption(format!("{what}: {days} days is outside 1..=36500")))
    }
}

fn check_host(host: &str) -> Result<(), Error> {
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if host.len() <= 253 && host.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(Error::BadOption(format!("--host {host:?}: not an IP address or a DNS name")))
    }
}

fn ca_organization(ca_pem: &str, path: &Path) -> Result<Option<String>, Error> {
    let der = pem_to_der(ca_pem.as_bytes(), path)?;
    let (_, x509) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| Error::Corrupt { path: path.to_owned(), reason: e.to_string() })?;
    Ok(x509.subject().iter_organization().next().and_then(|o| o.as_str().ok()).map(str::to_owned))
}

fn random_serial() -> Result<[u8; 16], Error> {
    let mut serial = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut serial).map_err(|_| Error::Random)?;
    // Positive and of a fixed length: a clear top bit, a set second bit.
    serial[0] = (serial[0] & 0x7f) | 0x40;
    Ok(serial)
}

/// Upper-case hex without separators.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn pem_to_der(pem: &[u8], path: &Path) -> Result<Vec<u8>, Error> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem)
        .map_err(|e| Error::Corrupt { path: path.to_owned(), reason: format!("not a PEM certificate: {e}") })?;
    Ok(pem.contents)
}

fn read_cert_der(path: &Path) -> Result<Vec<u8>, Error> {
    let bytes = fs::read(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    pem_to_der(&bytes, path)
}

fn read_key(path: &Path) -> Result<KeyPair, Error> {
    let pem = fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_owned(), source })?;
    KeyPair::from_pem(&pem).map_err(|e| Error::Corrupt { path: path.to_owned(), reason: e.to_string() })
}

pub(crate) fn create_private_dir(dir: &Path) -> Result<(), Error> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|source| Error::Io { path: dir.to_owned(), source })
}

/// Writes `bytes` to a temporary file beside `path` with `mode`, syncs it and renames it over `path`:
/// `path` holds either its old content or all of the new.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Error> {
    let io = |source| Error::Io { path: path.to_owned(), source };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Unique within the process too: two threads may write beside each other.
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()));
    let result = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(io)
}
