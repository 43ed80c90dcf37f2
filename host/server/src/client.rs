//! A small HTTPS client pinned to the server's certificate fingerprint, for the tests,
//! `quire plugin`, `quire demo` and the benchmarks: it trusts exactly the certificate an
//! agent would have pinned at enrollment, and nothing else. The connection is
//! `quire-https`'s, the agent's too; this adds the REST API's JSON and login.

use std::net::SocketAddr;

use http_body_util::Full;
use hyper::Method;
use hyper::body::Bytes;
use quire_https::Server;
use serde::Serialize;

use crate::rest::LOGIN_PATH;
use crate::rest::sessions::{Login, Session};
use serde::de::DeserializeOwned;

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

/// Largest answer read: the tools and tests read whole lists and exports, which a
/// server of any size keeps well under this.
const MAX_ANSWER_BYTES: usize = 1 << 30;

/// A client for one server.
#[derive(Clone)]
pub struct Client {
    address: SocketAddr,
    server: Server,
    pin: String,
}

impl Client {
    /// A client trusting only the certificate whose SHA-256 (hex) is `certificate_sha256`.
    pub fn new(address: SocketAddr, certificate_sha256: &str) -> Client {
        Client {
            address,
            server: Server::from(address),
            pin: certificate_sha256.to_ascii_lowercase(),
        }
    }

    /// Connects with nothing pinned and returns the SHA-256 (hex) of the certificate the
    /// server at `address` shows: what a tool pins on first contact when its operator
    /// gave no fingerprint, as an agent does at enrollment.
    pub async fn presented(address: SocketAddr) -> Result<String, ClientError> {
        let connection =
            Server::from(address)
                .connect(None)
                .await
                .map_err(|e| ClientError::Transport {
                    address,
                    message: e.to_string(),
                })?;
        Ok(connection.presented().to_owned())
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
        let connection = self
            .server
            .connect(Some(&self.pin))
            .await
            .map_err(|e| fail(e.to_string()))?;
        let mut request = self.server.request(method, path);
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
        let answer = connection
            .send(request, MAX_ANSWER_BYTES)
            .await
            .map_err(|e| fail(e.to_string()))?;
        Ok(Answer {
            status: answer.status.as_u16(),
            body: answer.body.to_vec(),
        })
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
        let login = Login {
            name: name.to_owned(),
            password: password.to_owned(),
        };
        let session: Session = self
            .json(Method::POST, LOGIN_PATH, None, Some(&login))
            .await?;
        Ok(session.token)
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
