//! The server's certificate: the configured one, or a self-signed one generated into the
//! data directory on first start and reused after.
//!
//! Agents pin the certificate's **key** (see `quire-https`), so the key is what must last:
//! the generated key is kept for good, and the certificate around it is renewed on start
//! when it has less than [`RENEW_WITHIN_DAYS`] left, or made again when the operator
//! deleted it. Neither asks any agent to enroll again. A configured certificate renewed
//! with the same key (`certbot --reuse-key`, or the CA's equivalent) keeps them as well.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The generated certificate's file in the data directory.
pub(crate) const GENERATED_CERT: &str = "server-cert.pem";
/// The generated key's file in the data directory.
pub(crate) const GENERATED_KEY: &str = "server-key.pem";

/// What the listener needs and what agents pin.
pub(crate) struct Identity {
    pub(crate) config: Arc<rustls::ServerConfig>,
    /// SHA-256 of the certificate's DER: what an operator compares by eye.
    pub(crate) sha256: String,
    /// SHA-256 of its public key: what agents pin.
    pub(crate) key_sha256: String,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Loads `cert`/`key` when given, else the generated pair in `data_dir` (generating it
/// when absent).
pub(crate) fn identity(data_dir: &Path, configured: Option<(&Path, &Path)>) -> Result<Identity> {
    let (cert_path, key_path): (PathBuf, PathBuf) = match configured {
        Some((cert, key)) => (cert.to_owned(), key.to_owned()),
        None => {
            let cert = data_dir.join(GENERATED_CERT);
            let key = data_dir.join(GENERATED_KEY);
            let today = chrono::Utc::now().date_naive();
            if !key.exists() {
                generate(&cert, &key, today)?;
            } else if !cert.exists() || expires_within(&cert, today, RENEW_WITHIN_DAYS)? {
                renew(&cert, &key, today)?;
            }
            (cert, key)
        }
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert_path)
        .and_then(|certs| certs.collect())
        .map_err(|e| Error::Tls(format!("{}: {e}", cert_path.display())))?;
    let leaf = chain
        .first()
        .ok_or_else(|| Error::Tls(format!("{}: holds no certificate", cert_path.display())))?;
    let sha256 = hex::encode(Sha256::digest(leaf.as_ref()));
    let key_sha256 = quire_https::key_sha256(leaf.as_ref()).ok_or_else(|| {
        Error::Tls(format!(
            "{}: its first certificate cannot be read",
            cert_path.display()
        ))
    })?;
    let key = PrivateKeyDer::from_pem_file(&key_path)
        .map_err(|e| Error::Tls(format!("{}: {e}", key_path.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            Error::Tls(format!(
                "{} and {} do not make a usable pair: {e}",
                cert_path.display(),
                key_path.display()
            ))
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Identity {
        config: Arc::new(config),
        sha256,
        key_sha256,
    })
}

/// The names a generated certificate is for: `localhost` and the loopback addresses.
/// Agents trust it by its pinned key, not by name.
fn generated_names() -> Vec<String> {
    vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ]
}

/// A new key, then a self-signed certificate for it.
fn generate(cert_path: &Path, key_path: &Path, today: chrono::NaiveDate) -> Result<()> {
    let signing_key = rcgen::KeyPair::generate().map_err(|e| Error::Tls(e.to_string()))?;
    let key = pem("PRIVATE KEY", &signing_key.serialize_der());
    std::fs::write(key_path, key).map_err(io(key_path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(key_path, std::fs::Permissions::from_mode(0o600))
            .map_err(io(key_path))?;
    }
    write_certificate(cert_path, &signing_key, today)
}

/// A new certificate for the key agents already pin.
fn renew(cert_path: &Path, key_path: &Path, today: chrono::NaiveDate) -> Result<()> {
    let der = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| Error::Tls(format!("{}: {e}", key_path.display())))?;
    let signing_key = rcgen::KeyPair::try_from(&der)
        .map_err(|e| Error::Tls(format!("{}: {e}", key_path.display())))?;
    write_certificate(cert_path, &signing_key, today)?;
    tracing::info!(
        certificate = %cert_path.display(),
        days = GENERATED_VALID_DAYS,
        "renewed the generated certificate with the same key; enrolled agents keep working"
    );
    Ok(())
}

/// The certificate is written last: its presence says the pair is complete.
fn write_certificate(
    cert_path: &Path,
    signing_key: &rcgen::KeyPair,
    today: chrono::NaiveDate,
) -> Result<()> {
    let cert = self_signed(generated_names(), signing_key, today)
        .map_err(|e| Error::Tls(e.to_string()))?;
    std::fs::write(cert_path, pem("CERTIFICATE", cert.der())).map_err(io(cert_path))
}

/// How many days before its end a generated certificate is renewed on start: a server
/// restarted at least monthly never shows an expired one.
const RENEW_WITHIN_DAYS: i64 = 30;

/// Whether the certificate in `path` ends within `days` of `today` (or has ended).
fn expires_within(path: &Path, today: chrono::NaiveDate, days: i64) -> Result<bool> {
    let unreadable = |reason: String| Error::Tls(format!("{}: {reason}", path.display()));
    let leaf = CertificateDer::pem_file_iter(path)
        .map_err(|e| unreadable(e.to_string()))?
        .next()
        .ok_or_else(|| unreadable("holds no certificate".to_owned()))?
        .map_err(|e| unreadable(e.to_string()))?;
    let (_, parsed) = x509_parser::parse_x509_certificate(leaf.as_ref())
        .map_err(|e| unreadable(e.to_string()))?;
    let end = parsed.validity().not_after.timestamp();
    let horizon = (today + chrono::Duration::days(days))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp();
    Ok(end <= horizon)
}

/// How long a generated certificate is valid: 397 days, the longest a browser accepts
/// for a server certificate, so an operator who trusts it in their browser is not
/// refused for its length. Agents pin its SHA-256 and do not read its dates, so its
/// expiry never stops them; the README says how to replace it.
const GENERATED_VALID_DAYS: u64 = 397;

/// A self-signed certificate of `signing_key` for `names`, valid from the day before
/// `today` (a client whose clock is a little behind still accepts it) for
/// [`GENERATED_VALID_DAYS`].
fn self_signed(
    names: Vec<String>,
    signing_key: &rcgen::KeyPair,
    today: chrono::NaiveDate,
) -> std::result::Result<rcgen::Certificate, rcgen::Error> {
    use chrono::Datelike as _;
    let mut params = rcgen::CertificateParams::new(names)?;
    let start = today.pred_opt().unwrap_or(today);
    let month = u8::try_from(start.month()).expect("a month fits a byte");
    let day = u8::try_from(start.day()).expect("a day fits a byte");
    params.not_before = rcgen::date_time_ymd(start.year(), month, day);
    params.not_after =
        params.not_before + std::time::Duration::from_secs(GENERATED_VALID_DAYS * 24 * 3600);
    params.self_signed(signing_key)
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
