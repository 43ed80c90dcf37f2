//! A small HTTPS client pinned to the server's certificate fingerprint, for the tests,
//! `quire bench ingest` and `quire demo`: it trusts exactly the certificate an agent
//! would have pinned at enrollment, and nothing else.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// Why a call did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connecting, the TLS handshake (a certificate that is not the pinned one) or HTTP failed.
    #[error("{address}: {message}")]
    Transport {
        /// The server.
        address: SocketAddr,
        /// What failed.
        message: String,
    },
    /// The answer was not the JSON expected.
    #[error("{path}: status {status}, unexpected body: {message}")]
    Body {
        /// The path asked.
        path: String,
        /// The status answered.
        status: u16,
        /// Why the body did not parse.
        message: String,
    },
}

/// An answer: status and body.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body's bytes.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A client for one server.
#[derive(Clone)]
pub struct Client {
    address: SocketAddr,
    connector: tokio_rustls::TlsConnector,
}

impl Client {
    /// A client trusting only the certificate whose SHA-256 (hex) is `certificate_sha256`.
    pub fn new(address: SocketAddr, certificate_sha256: &str) -> Client {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = Arc::new(Pinned {
            sha256: certificate_sha256.to_ascii_lowercase(),
            provider: provider.clone(),
        });
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Client {
            address,
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        }
    }

    /// Sends one request on a fresh connection and reads the whole answer.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Answer, ClientError> {
        self.send_with(method, path, bearer, &[], body).await
    }

    /// As [`Client::send`], with extra headers (a strategy's signature).
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Answer, ClientError> {
        let fail = |message: String| ClientError::Transport {
            address: self.address,
            message,
        };
        let tcp = tokio::net::TcpStream::connect(self.address)
            .await
            .map_err(|e| fail(format!("connecting: {e}")))?;
        tcp.set_nodelay(true).ok();
        let name = ServerName::IpAddress(self.address.ip().into());
        let tls = self
            .connector
            .connect(name, tcp)
            .await
            .map_err(|e| fail(format!("TLS: {e}")))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| fail(format!("HTTP: {e}")))?;
        tokio::spawn(connection);
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", self.address.to_string());
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (content_type, bytes) = body.unwrap_or(("application/json", Vec::new()));
        let request = request
            .header("content-type", content_type)
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| fail(format!("building the request: {e}")))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| fail(format!("HTTP: {e}")))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| fail(format!("reading the answer: {e}")))?
            .to_bytes()
            .to_vec();
        Ok(Answer { status, body })
    }

    /// Sends `body` as JSON (or nothing) and returns the answer whatever its status.
    pub async fn call<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&B>,
    ) -> Result<Answer, ClientError> {
        let body = body.map(|b| {
            (
                "application/json",
                serde_json::to_vec(b).expect("request bodies serialise"),
            )
        });
        self.send(method, path, bearer, body).await
    }

    /// Logs in as `name` and returns the session token for later calls' bearer.
    pub async fn login(&self, name: &str, password: &str) -> Result<String, ClientError> {
        let path = "/api/v1/login";
        let session: serde_json::Value = self
            .json(
                Method::POST,
                path,
                None,
                Some(&serde_json::json!({"name": name, "password": password})),
            )
            .await?;
        session["token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| ClientError::Body {
                path: path.to_owned(),
                status: 200,
                message: "the answer holds no token".to_owned(),
            })
    }

    /// Like [`Client::call`], and parses a 2xx answer as `R`; any other status is an error
    /// carrying the server's message.
    pub async fn json<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&B>,
    ) -> Result<R, ClientError> {
        let answer = self.call(method, path, bearer, body).await?;
        let error = |message: String| ClientError::Body {
            path: path.to_owned(),
            status: answer.status,
            message,
        };
        if !(200..300).contains(&answer.status) {
            return Err(error(answer.text()));
        }
        serde_json::from_slice(&answer.body).map_err(|e| error(e.to_string()))
    }
}

/// Accepts exactly one certificate, by fingerprint; signatures are still checked, so
/// only the holder of its key can answer.
#[derive(Debug)]
struct Pinned {
    sha256: String,
    provider: Arc<CryptoProvider>,
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
        let seen = hex::encode(Sha256::digest(end_entity.as_ref()));
        if seen == self.sha256 {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server's certificate {seen} is not the pinned {}",
                self.sha256
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
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
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
