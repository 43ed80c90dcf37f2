//! The server's certificate: the configured one, or a self-signed one generated into the
//! data directory on first start and reused after, so the fingerprint agents pinned at
//! enrollment stays valid across restarts.

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
    pub(crate) sha256: String,
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
            if !cert.exists() {
                generate(&cert, &key)?;
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
    })
}

/// A self-signed certificate for `localhost` and the loopback addresses; agents trust it
/// by its pinned fingerprint, not by name.
fn generate(cert_path: &Path, key_path: &Path) -> Result<()> {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let generated = self_signed(names, chrono::Utc::now().date_naive())
        .map_err(|e| Error::Tls(e.to_string()))?;
    let key = pem("PRIVATE KEY", &generated.signing_key.serialize_der());
    std::fs::write(key_path, key).map_err(io(key_path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(key_path, std::fs::Permissions::from_mode(0o600))
            .map_err(io(key_path))?;
    }
    // The certificate is written last: its presence says the pair is complete.
    std::fs::write(cert_path, pem("CERTIFICATE", generated.cert.der())).map_err(io(cert_path))?;
    Ok(())
}

/// How long a generated certificate is valid: 397 days, the longest a browser accepts
/// for a server certificate, so an operator who trusts it in their browser is not
/// refused for its length. Agents pin its SHA-256 and do not read its dates, so its
/// expiry never stops them; the README says how to replace it.
const GENERATED_VALID_DAYS: u64 = 397;

/// A self-signed certificate for `names`, valid from the day before `today` (a client
/// whose clock is a little behind still accepts it) for [`GENERATED_VALID_DAYS`].
fn self_signed(
    names: Vec<String>,
    today: chrono::NaiveDate,
) -> std::result::Result<rcgen::CertifiedKey<rcgen::KeyPair>, rcgen::Error> {
    use chrono::Datelike as _;
    let mut params = rcgen::CertificateParams::new(names)?;
    let start = today.pred_opt().unwrap_or(today);
    let month = u8::try_from(start.month()).expect("a month fits a byte");
    let day = u8::try_from(start.day()).expect("a day fits a byte");
    params.not_before = rcgen::date_time_ymd(start.year(), month, day);
    params.not_after =
        params.not_before + std::time::Duration::from_secs(GENERATED_VALID_DAYS * 24 * 3600);
    let signing_key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&signing_key)?;
    Ok(rcgen::CertifiedKey { cert, signing_key })
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
