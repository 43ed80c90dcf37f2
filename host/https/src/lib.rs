//! The one HTTPS client that talks to a Quire server: the agent's uplink, the
//! server's own client (for `quire plugin`, `quire demo`, the benchmarks and the
//! tests) all connect through here.
//!
//! Decisions, with reasons:
//!
//! - **Pinning instead of a CA.** The server generates a self-signed certificate on
//!   its first start, and agents run on customer networks where nobody installs CAs.
//!   A connection accepts the server whose certificate's DER, or whose public key's
//!   (its SubjectPublicKeyInfo DER, as HTTP public-key pinning hashed it, RFC 7469), has
//!   the pinned SHA-256, and no other, whatever its name or expiry; the handshake's
//!   signatures are still checked against that certificate's key, so only its holder
//!   passes. Enrollment connects with nothing pinned yet and learns what the server
//!   showed ([`Connection::presented`], [`Connection::presented_key`]) to pin it. Agents
//!   pin the key: it outlives the certificate, so a certificate renewed with the same
//!   key keeps every agent enrolled. A certificate's own hash is still accepted, as
//!   agents enrolled before key pinning hold one.
//! - **One connection per call.** Callers talk to the server every few minutes or in
//!   a test; a fresh connection (and pin check) per call keeps a half-dead
//!   connection from outliving a server restart, at the price of a handshake.
//! - **No timeouts, no JSON here.** What a call may take and what its answer means
//!   differ per caller (an agent's upload, an administrator's publish), so callers
//!   wrap [`Server::connect`] and [`Connection::send`] in their own.
//!
//! It is also the one place that checks certificates: HTTPS to a printer
//! (`quire-transport`) takes [`any_certificate_tls`], the same verifier with nothing
//! pinned.
//!
//! It owns no I/O policy beyond one connection: retries, queues and error wording
//! for operators stay with the agent and the tools.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::HOST;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest as _, Sha256};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// Why a call got no answer.
#[derive(Debug, thiserror::Error)]
pub enum HttpsError {
    /// No TCP connection: the server is down or the network is cut.
    #[error("connecting: {0}")]
    Connect(std::io::Error),
    /// The server showed a certificate other than the pinned one.
    #[error("the server showed certificate {presented}, not the pinned {pinned}")]
    CertificateMismatch {
        /// The certificate pinned.
        pinned: String,
        /// The one shown.
        presented: String,
    },
    /// The TLS handshake failed for another reason.
    #[error("TLS handshake: {0}")]
    Tls(std::io::Error),
    /// The handshake finished without a certificate to pin.
    #[error("the server showed no certificate")]
    NoCertificate,
    /// HTTP failed on the connection.
    #[error("HTTP: {0}")]
    Http(#[from] hyper::Error),
    /// The answer's body broke off or was larger than the caller accepts.
    #[error("reading the answer: {0}")]
    Answer(String),
}

/// A host name or address that cannot be a TLS server name.
#[derive(Debug, thiserror::Error)]
#[error("{host:?} is neither an IP address nor a valid DNS name")]
pub struct InvalidHost {
    /// The host as given.
    pub host: String,
}

/// Where a server is: what to connect to and the names TLS and HTTP use for it.
#[derive(Debug, Clone)]
pub struct Server {
    host: String,
    port: u16,
    server_name: ServerName<'static>,
    authority: String,
}

impl Server {
    /// The server at `host` (a DNS name or an IP address, IPv6 without brackets)
    /// and `port`.
    pub fn new(host: &str, port: u16) -> Result<Server, InvalidHost> {
        let server_name = match host.parse::<IpAddr>() {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => ServerName::try_from(host.to_owned()).map_err(|_| InvalidHost {
                host: host.to_owned(),
            })?,
        };
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(Server {
            host: host.to_owned(),
            port,
            server_name,
            authority,
        })
    }

    /// `host:port` (IPv6 in brackets), as the `Host` header and URLs write it.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// A request for `path` on this server, its `Host` header set.
    pub fn request(&self, method: Method, path: &str) -> hyper::http::request::Builder {
        Request::builder()
            .method(method)
            .uri(path)
            .header(HOST, &self.authority)
    }

    /// Connects and checks the certificate against `pin`, the SHA-256 of its DER or of
    /// its public key in lower-case hex (see [`normalize_fingerprint`]); with `None`,
    /// any certificate is accepted and [`Connection::presented`] says which it was.
    pub async fn connect(&self, pin: Option<&str>) -> Result<Connection, HttpsError> {
        let verifier = Arc::new(Pinned::new(pin.map(str::to_owned)));
        let config = verified_by(verifier.clone());
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(HttpsError::Connect)?;
        tcp.set_nodelay(true).ok();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(self.server_name.clone(), tcp)
            .await
            .map_err(|e| match (pin, verifier.presented()) {
                (Some(pinned), Some(presented)) if !presented.matches(pinned) => {
                    HttpsError::CertificateMismatch {
                        pinned: pinned.to_owned(),
                        presented: presented.certificate,
                    }
                }
                _ => HttpsError::Tls(e),
            })?;
        let presented = verifier.presented().ok_or(HttpsError::NoCertificate)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
        let driver = tokio::spawn(async move {
            // Its errors reach the call through the response.
            let _ = connection.await;
        });
        Ok(Connection {
            sender,
            driver,
            presented,
        })
    }
}

impl From<SocketAddr> for Server {
    fn from(address: SocketAddr) -> Server {
        Server::new(&address.ip().to_string(), address.port())
            .expect("an IP address is always a server name")
    }
}

/// A connection whose certificate passed the pin, ready for one request.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
    presented: Presented,
}

/// What a server showed: the hashes a pin may name.
#[derive(Debug, Clone)]
struct Presented {
    certificate: String,
    key: String,
}

impl Presented {
    fn matches(&self, pin: &str) -> bool {
        self.key == pin || self.certificate == pin
    }
}

/// An answer: status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body's bytes.
    pub body: Bytes,
}

impl Connection {
    /// SHA-256 of the certificate the server showed, lower-case hex: what
    /// enrollment pins.
    pub fn presented(&self) -> &str {
        &self.presented.certificate
    }

    /// SHA-256 of the public key the server showed (see [`key_sha256`]), lower-case
    /// hex: what enrollment pins since key pinning, so that a renewed certificate keeps
    /// the agent.
    pub fn presented_key(&self) -> &str {
        &self.presented.key
    }

    /// Sends `request` and reads the whole answer, refusing a body larger than
    /// `max_answer_bytes`; the connection closes after.
    pub async fn send(
        mut self,
        request: Request<Full<Bytes>>,
        max_answer_bytes: usize,
    ) -> Result<Answer, HttpsError> {
        let outcome = async {
            let response = self.sender.send_request(request).await?;
            let status = response.status();
            let body = Limited::new(response.into_body(), max_answer_bytes)
                .collect()
                .await
                .map_err(|e| HttpsError::Answer(e.to_string()))?
                .to_bytes();
            Ok(Answer { status, body })
        }
        .await;
        self.driver.abort();
        outcome
    }
}

/// Lower-case hex of a SHA-256 written with or without colons and in either case;
/// `None` when it is not one.
pub fn normalize_fingerprint(given: &str) -> Option<String> {
    let hex: String = given
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

/// SHA-256 of a certificate's DER, lower-case hex: the fingerprint pinned.
pub fn certificate_sha256(der: &[u8]) -> String {
    hex(&Sha256::digest(der))
}

/// SHA-256 of a certificate's public key, its SubjectPublicKeyInfo DER, lower-case hex;
/// `None` when `der` is not a certificate.
pub fn key_sha256(der: &[u8]) -> Option<String> {
    let der = CertificateDer::from(der);
    let certificate = webpki::EndEntityCert::try_from(&der).ok()?;
    Some(hex(&Sha256::digest(
        certificate.subject_public_key_info().as_ref(),
    )))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// TLS that accepts whatever certificate the peer shows, still checking that the
/// handshake was signed by its key: encrypted but not authenticated, what HTTPS to a
/// printer can offer, since printers ship self-signed certificates nobody pins
/// (`quire-transport`'s exchanges with a device's web server).
pub fn any_certificate_tls() -> rustls::ClientConfig {
    verified_by(Arc::new(Pinned::new(None)))
}

/// rustls with ring, its certificates checked by `verifier` alone.
fn verified_by(verifier: Arc<Pinned>) -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(verifier.provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports rustls' default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

/// Accepts the server's certificate when its SHA-256 or its key's is the pinned one (or
/// any, when nothing is pinned yet), and remembers which it saw; the handshake's signatures are
/// checked against that certificate's key as usual, so only its holder passes.
#[derive(Debug)]
struct Pinned {
    pin: Option<String>,
    presented: Mutex<Option<Presented>>,
    provider: Arc<CryptoProvider>,
}

impl Pinned {
    fn new(pin: Option<String>) -> Pinned {
        Pinned {
            pin,
            presented: Mutex::new(None),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        }
    }

    fn presented(&self) -> Option<Presented> {
        self.presented
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let key = key_sha256(end_entity).ok_or(rustls::Error::InvalidCertificate(
            rustls::CertificateError::BadEncoding,
        ))?;
        let presented = Presented {
            certificate: certificate_sha256(end_entity),
            key,
        };
        *self
            .presented
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(presented.clone());
        match &self.pin {
            Some(pin) if !presented.matches(pin) => Err(rustls::Error::General(format!(
                "certificate {} (key {}) is not the pinned {pin}",
                presented.certificate, presented.key
            ))),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_read_as_operators_copy_them() {
        let plain = "ab".repeat(32);
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(normalize_fingerprint(&plain), Some(plain.clone()));
        assert_eq!(normalize_fingerprint(&colons), Some(plain));
        assert_eq!(normalize_fingerprint("abcd"), None);
        assert_eq!(normalize_fingerprint(&"zz".repeat(32)), None);
    }

    #[test]
    fn ipv6_authorities_are_bracketed() {
        let server = Server::from("[::1]:8443".parse::<SocketAddr>().unwrap());
        assert_eq!(server.authority(), "[::1]:8443");
        assert_eq!(
            Server::new("quire.example", 443).unwrap().authority(),
            "quire.example:443"
        );
        assert!(Server::new("not a name", 443).is_err());
    }
}
