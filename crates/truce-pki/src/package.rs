//! The ATAK data package that enrols a device in one import.
//!
//! A zip (deflate) laid out as TAK Server's and OpenTAKServer's enrolment packages are:
//!
//! ```text
//! MANIFEST/manifest.xml          MissionPackageManifest version 2: uid, name, onReceiveDelete, contents
//! certs/truce.pref               preferences: the TLS stream and where the certificates are
//! certs/truststore-truce.p12     the CA (pkcs12::truststore)
//! certs/<callsign>.p12           the device's key and chain (pkcs12::keystore)
//! ```
//!
//! ATAK's Import Manager reads the manifest, copies the `.p12` files into `/storage/emulated/0/atak/cert/`
//! and applies the `.pref` file: `cot_streams` adds the connection `HOST:PORT:ssl`, and
//! `com.atakmap.app_preferences` points `caLocation`/`certificateLocation` at the copied files with
//! their passwords. `onReceiveDelete` removes the package (which holds a private key) after import.
//! The keys and layout follow TAK Server's configuration guide and the packages OpenTAKServer and
//! FreeTAKServer generate (see `docs/tak.md`).

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

use ring::rand::SecureRandom;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::{Error, Issued, pkcs12};

/// Where ATAK keeps imported certificates on Android.
pub const ATAK_CERT_DIR: &str = "/storage/emulated/0/atak/cert";

/// The truststore's file name in the package and on the device.
pub const TRUSTSTORE_FILE: &str = "truststore-truce.p12";

/// The preferences file's path in the package.
pub const PREF_ENTRY: &str = "certs/truce.pref";

/// The manifest's path in the package.
pub const MANIFEST_ENTRY: &str = "MANIFEST/manifest.xml";

/// What goes into a data package besides the certificates.
#[derive(Debug, Clone)]
pub struct PackageOptions {
    /// The server's host name or address, as the device reaches it.
    pub host: String,
    /// The TLS streaming port (8089).
    pub port: u16,
    /// The password of both PKCS#12 files.
    pub password: String,
    /// The connection's name on the device.
    pub description: String,
}

/// The zip entry of a callsign's keystore.
pub fn keystore_entry(callsign: &str) -> String {
    format!("certs/{callsign}.p12")
}

/// The connect string ATAK stores for the stream: `HOST:PORT:ssl`.
pub fn connect_string(host: &str, port: u16) -> String {
    format!("{host}:{port}:ssl")
}

/// Builds the data package for `client`, trusting `ca_cert_der`.
pub fn build(client: &Issued, ca_cert_der: &[u8], opts: &PackageOptions) -> Result<Vec<u8>, Error> {
    let keystore_name = format!("{}.p12", client.callsign);
    let truststore = pkcs12::truststore(ca_cert_der, &opts.password)?;
    let keystore = pkcs12::keystore(&client.callsign, &client.cert_der, &client.key_der, ca_cert_der, &opts.password)?;
    let pref = preferences(opts, &keystore_name);
    let truststore_entry = format!("certs/{TRUSTSTORE_FILE}");
    let keystore_entry = keystore_entry(&client.callsign);
    let manifest =
        manifest(&uuid_v4()?, &format!("truce-{}", client.callsign), &[PREF_ENTRY, &truststore_entry, &keystore_entry]);

    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, bytes) in [
        (MANIFEST_ENTRY, manifest.as_bytes()),
        (PREF_ENTRY, pref.as_bytes()),
        (truststore_entry.as_str(), truststore.as_slice()),
        (keystore_entry.as_str(), keystore.as_slice()),
    ] {
        zip.start_file(name, options)?;
        zip.write_all(bytes).map_err(zip::result::ZipError::Io)?;
    }
    Ok(zip.finish()?.into_inner())
}

/// The preferences file: one TLS stream and the certificate locations and passwords.
pub fn preferences(opts: &PackageOptions, keystore_name: &str) -> String {
    let entry = |key: &str, class: &str, value: &str| {
        format!("    <entry key=\"{key}\" class=\"class java.lang.{class}\">{}</entry>\n", xml_escape(value))
    };
    let mut xml = String::from("<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n<preferences>\n");
    xml.push_str("  <preference version=\"1\" name=\"cot_streams\">\n");
    xml.push_str(&entry("count", "Integer", "1"));
    xml.push_str(&entry("description0", "String", &opts.description));
    xml.push_str(&entry("enabled0", "Boolean", "true"));
    xml.push_str(&entry("connectString0", "String", &connect_string(&opts.host, opts.port)));
    xml.push_str("  </preference>\n  <preference version=\"1\" name=\"com.atakmap.app_preferences\">\n");
    xml.push_str(&entry("displayServerConnectionWidget", "Boolean", "true"));
    xml.push_str(&entry("caLocation", "String", &format!("{ATAK_CERT_DIR}/{TRUSTSTORE_FILE}")));
    xml.push_str(&entry("caPassword", "String", &opts.password));
    xml.push_str(&entry("clientPassword", "String", &opts.password));
    xml.push_str(&entry("certificateLocation", "String", &format!("{ATAK_CERT_DIR}/{keystore_name}")));
    xml.push_str("  </preference>\n</preferences>\n");
    xml
}

/// The MissionPackageManifest (version 2) listing `entries`.
pub fn manifest(uid: &str, name: &str, entries: &[&str]) -> String {
    let mut xml = String::from("<MissionPackageManifest version=\"2\">\n  <Configuration>\n");
    for (key, value) in [("uid", uid), ("name", name), ("onReceiveDelete", "true")] {
        xml.push_str(&format!("    <Parameter name=\"{key}\" value=\"{}\"/>\n", xml_escape(value)));
    }
    xml.push_str("  </Configuration>\n  <Contents>\n");
    for entry in entries {
        xml.push_str(&format!("    <Content ignore=\"false\" zipEntry=\"{}\"/>\n", xml_escape(entry)));
    }
    xml.push_str("  </Contents>\n</MissionPackageManifest>\n");
    xml
}

/// Every entry of a zip by name (for checks and tests).
pub fn read_entries(zip: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, Error> {
    let mut archive = ZipArchive::new(Cursor::new(zip))?;
    let mut entries = BTreeMap::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i)?;
        let name = file.name()?.into_owned();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(zip::result::ZipError::Io)?;
        entries.insert(name, bytes);
    }
    Ok(entries)
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

fn uuid_v4() -> Result<String, Error> {
    let mut b = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut b).map_err(|_| Error::Random)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::store::hex(&b).to_lowercase();
    Ok(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]))
}
