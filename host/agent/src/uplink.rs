//! The agent's connection to its server: enrollment, fetching the configuration, uploading
//! readings — HTTPS with the server's certificate **pinned**, through `quire-https`
//! (which says why pinning and one connection per call).
//!
//! Decisions, with reasons:
//!
//! - **Enrollment pins what the server says it is.** At enrollment the agent accepts the
//!   certificate only if its DER's SHA-256 equals what the server says its certificate is
//!   (and, when the operator gave `--fingerprint`, that value too: the one check a machine
//!   in the middle cannot forge); from then on it talks to the holder of that
//!   certificate's **key** and no other. The server renews its certificate with the same
//!   key, so renewal needs nothing of the agents; a server with a new key must have its
//!   agents enrolled again, which is the point. Agents enrolled before key pinning hold the
//!   certificate's hash: their first call that passes it pins the key it carries, and
//!   keeps it.
//! - **Errors say what to do.** "Unreachable" means keep the readings and try later;
//!   a refused call carries the server's message and field; a certificate that is not the
//!   pinned one says which was expected and which was shown.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, StatusCode, Uri};
use quire_https::{HttpsError, Server, normalize_fingerprint};
use quire_protocol::{
    AgentConfig, AgentToken, ApiError, CONFIG_PATH, ENROLL_PATH, EnrollRequest, EnrollResponse,
    READINGS_PATH, ReadingUpload, STRATEGIES_PATH, StrategyListing, UploadAck,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// How long connecting (TCP and TLS) may take before the server counts as unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one call may take in all. An upload batch is filed in well under a second;
/// a server that needs a minute is overloaded, and the readings are safer in the queue.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Largest answer read from the server: a configuration lists ranges and credentials,
/// tens of KiB even for a large site.
const MAX_ANSWER_BYTES: usize = 16 << 20;

/// What enrollment gave the agent, kept in its database. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Enrollment {
    /// The server's base URL, `https://host:port`.
    pub server: String,
    /// The agent's id on that server.
    pub agent_id: String,
    /// The agent's secret.
    pub secret: String,
    /// The account the agent reads for.
    pub account_id: i64,
    /// SHA-256 of the server certificate's DER at enrollment, lower-case hex: what the
    /// operator compared, and the pin until the key is known.
    pub certificate_sha256: String,
    /// SHA-256 of the server's public key, lower-case hex: the one key the agent accepts.
    /// Absent in enrollments kept before key pinning, until their next call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_sha256: Option<String>,
}

impl std::fmt::Debug for Enrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment")
            .field("server", &self.server)
            .field("agent_id", &self.agent_id)
            .field("secret", &"***")
            .field("account_id", &self.account_id)
            .field("certificate_sha256", &self.certificate_sha256)
            .field("key_sha256", &self.key_sha256)
            .finish()
    }
}

/// Why a call to the server failed.
#[derive(Debug, thiserror::Error)]
pub enum UplinkError {
    /// The server URL cannot be used.
    #[error("server URL {url:?}: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--fingerprint` that is not a SHA-256 in hex.
    #[error("fingerprint {given:?} is not a SHA-256 in hex (64 hex digits, colons allowed)")]
    BadFingerprint {
        /// The value as given.
        given: String,
    },
    /// No connection, or it broke: the server is down or the network is cut. Readings stay
    /// queued and go with a later call.
    #[error("cannot reach the server {server}: {reason}")]
    Unreachable {
        /// The server's URL.
        server: String,
        /// What failed.
        reason: String,
    },
    /// The server showed a certificate other than the one pinned at enrollment.
    #[error(
        "the server {server} showed certificate {presented}; neither it nor its key is the \
         pinned {pinned}: refusing to talk to it (if the server's key was replaced on \
         purpose, enroll this agent again)"
    )]
    CertificateMismatch {
        /// The server's URL.
        server: String,
        /// The key (or certificate) the agent pinned, or the operator's `--fingerprint`.
        pinned: String,
        /// The one it showed.
        presented: String,
    },
    /// At enrollment, the server's answer names a certificate other than the one it
    /// showed: something between agent and server is presenting its own.
    #[error(
        "the server {server} showed certificate {presented} but says its certificate is \
         {claimed}: something between this agent and the server is intercepting the \
         connection; enrollment refused"
    )]
    EnrollmentMismatch {
        /// The server's URL.
        server: String,
        /// The certificate shown in the handshake.
        presented: String,
        /// The certificate the answer names.
        claimed: String,
    },
    /// The server answered with an error.
    #[error("the server refused {path} ({status}): {message}{}", field.as_ref().map(|f| format!(" (field {f})")).unwrap_or_default())]
    Refused {
        /// The call's path.
        path: String,
        /// The HTTP status.
        status: u16,
        /// The server's message.
        message: String,
        /// The field it blames.
        field: Option<String>,
    },
    /// The server answered something that is not the protocol's answer.
    #[error("the server's answer to {path} is not understood: {reason}")]
    BadAnswer {
        /// The call's path.
        path: String,
        /// Why.
        reason: String,
    },
}

impl UplinkError {
    /// Whether the call may succeed later unchanged: the server or the network is down.
    /// Anything else needs a person (a revoked agent, a replaced certificate, …).
    pub fn is_transient(&self) -> bool {
        match self {
            UplinkError::Unreachable { .. } => true,
            UplinkError::Refused { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// Enrolls with the server at `server` (`https://host:port`) using the enrollment `key`
/// a dealer issued. `fingerprint`, when the operator has it from the server's console or
/// log, must match the certificate the server shows. Returns what to keep.
pub async fn enroll(
    server: &str,
    key: &str,
    fingerprint: Option<&str>,
    hostname: &str,
) -> Result<Enrollment, UplinkError> {
    let endpoint = Endpoint::parse(server)?;
    let expected = fingerprint
        .map(|given| {
            normalize_fingerprint(given).ok_or_else(|| UplinkError::BadFingerprint {
                given: given.to_owned(),
            })
        })
        .transpose()?;
    let request = EnrollRequest {
        key: key.to_owned(),
        hostname: hostname.to_owned(),
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let (answer, shown): (EnrollResponse, Shown) = endpoint
        .call(
            expected.as_deref(),
            Method::POST,
            ENROLL_PATH,
            None,
            Some(&request),
        )
        .await?;
    let claimed = normalize_fingerprint(&answer.certificate_sha256).ok_or_else(|| {
        UplinkError::BadAnswer {
            path: ENROLL_PATH.to_owned(),
            reason: format!(
                "certificate-sha256 {:?} is not a SHA-256",
                answer.certificate_sha256
            ),
        }
    })?;
    if claimed != shown.certificate {
        return Err(UplinkError::EnrollmentMismatch {
            server: endpoint.url.clone(),
            presented: shown.certificate,
            claimed,
        });
    }
    // A server older than key pinning names no key; the certificate it named carries it.
    if let Some(key) = &answer.key_sha256
        && normalize_fingerprint(key).as_deref() != Some(shown.key.as_str())
    {
        return Err(UplinkError::EnrollmentMismatch {
            server: endpoint.url.clone(),
            presented: format!("{} (key {})", shown.certificate, shown.key),
            claimed: format!("{claimed} (key {key})"),
        });
    }
    Ok(Enrollment {
        server: endpoint.url,
        agent_id: answer.agent_id,
        secret: answer.secret,
        account_id: answer.account_id,
        certificate_sha256: shown.certificate,
        key_sha256: Some(shown.key),
    })
}

/// An enrolled agent's calls to its server.
#[derive(Debug, Clone)]
pub struct Uplink {
    endpoint: Endpoint,
    pin: Arc<Mutex<Pin>>,
    token: AgentToken,
}

/// What the uplink accepts, and whether it learned the key since the enrollment was kept.
#[derive(Debug)]
struct Pin {
    /// The key's SHA-256, or the certificate's until a call shows the key.
    hash: String,
    is_key: bool,
    learned: bool,
}

impl Uplink {
    /// Calls the server `enrollment` names, accepting only its pinned key (or certificate,
    /// for an enrollment kept before key pinning).
    pub fn new(enrollment: &Enrollment) -> Result<Uplink, UplinkError> {
        let given = enrollment
            .key_sha256
            .as_ref()
            .unwrap_or(&enrollment.certificate_sha256);
        let hash = normalize_fingerprint(given).ok_or_else(|| UplinkError::BadFingerprint {
            given: given.clone(),
        })?;
        Ok(Uplink {
            endpoint: Endpoint::parse(&enrollment.server)?,
            pin: Arc::new(Mutex::new(Pin {
                hash,
                is_key: enrollment.key_sha256.is_some(),
                learned: false,
            })),
            token: AgentToken {
                agent_id: enrollment.agent_id.clone(),
                secret: enrollment.secret.clone(),
            },
        })
    }

    /// The key this uplink learned from a certificate pinned before key pinning, once:
    /// the caller keeps it in the enrollment, so a renewed certificate keeps the agent.
    pub fn take_learned_key(&self) -> Option<String> {
        let mut pin = self.pin.lock().unwrap_or_else(PoisonError::into_inner);
        std::mem::take(&mut pin.learned).then(|| pin.hash.clone())
    }

    fn pinned(&self) -> String {
        self.pin
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .hash
            .clone()
    }

    /// After a call passed a certificate pin, pins the key that certificate carries.
    fn passed(&self, shown: Shown) {
        let mut pin = self.pin.lock().unwrap_or_else(PoisonError::into_inner);
        if !pin.is_key && pin.hash == shown.certificate {
            *pin = Pin {
                hash: shown.key,
                is_key: true,
                learned: true,
            };
        }
    }

    /// One pinned, authenticated call; see [`Endpoint::call_bytes`].
    async fn pinned_call<B: Serialize>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Bytes, UplinkError> {
        let pin = self.pinned();
        let (answer, shown) = self
            .endpoint
            .call_bytes(Some(&pin), method, path, Some(&self.token), body)
            .await?;
        self.passed(shown);
        Ok(answer)
    }

    /// The server's URL.
    pub fn server(&self) -> &str {
        &self.endpoint.url
    }

    /// Checks in: fetches the agent's configuration.
    pub async fn fetch_config(&self) -> Result<AgentConfig, UplinkError> {
        let answer = self
            .pinned_call::<()>(Method::GET, CONFIG_PATH, None)
            .await?;
        decode(CONFIG_PATH, &answer)
    }

    /// Uploads a batch of queued readings; the acknowledgement says which the queue may
    /// delete.
    pub async fn upload(&self, batch: &ReadingUpload) -> Result<UploadAck, UplinkError> {
        let answer = self
            .pinned_call(Method::POST, READINGS_PATH, Some(batch))
            .await?;
        decode(READINGS_PATH, &answer)
    }
}

impl Uplink {
    /// Downloads a strategy the server lists; the caller checks its SHA-256.
    pub async fn download_strategy(
        &self,
        listing: &StrategyListing,
    ) -> Result<Vec<u8>, UplinkError> {
        let path = format!("{STRATEGIES_PATH}/{}/{}", listing.name, listing.version);
        let bytes = self.pinned_call::<()>(Method::GET, &path, None).await?;
        Ok(bytes.to_vec())
    }
}

/// The hashes of what a server showed in a handshake.
#[derive(Debug)]
struct Shown {
    certificate: String,
    key: String,
}

/// An answer's JSON as `T`.
fn decode<T: DeserializeOwned>(path: &str, answer: &[u8]) -> Result<T, UplinkError> {
    serde_json::from_slice(answer).map_err(|e| UplinkError::BadAnswer {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

/// Where the server is.
#[derive(Debug, Clone)]
struct Endpoint {
    /// `https://host:port`, as shown in messages and kept in the enrollment.
    url: String,
    server: Server,
}

impl Endpoint {
    fn parse(url: &str) -> Result<Endpoint, UplinkError> {
        let bad = |reason: &str| UplinkError::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let uri: Uri = url
            .trim()
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| bad(&e.to_string()))?;
        if uri.scheme_str() != Some("https") {
            return Err(bad(
                "must start with https:// (the agent speaks only HTTPS)",
            ));
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(bad("must be just https://host:port, without a path"));
        }
        let host = uri
            .host()
            .ok_or_else(|| bad("names no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(443);
        let server =
            Server::new(&host, port).map_err(|_| bad("the host is not a valid DNS name"))?;
        Ok(Endpoint {
            url: format!("https://{}", server.authority()),
            server,
        })
    }

    /// One call: connects, checks the certificate against `pin` (any certificate when
    /// `None`), sends `body` as JSON, and reads the answer as `T`. Returns what the server
    /// showed, for enrollment to pin.
    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        pin: Option<&str>,
        method: Method,
        path: &str,
        token: Option<&AgentToken>,
        body: Option<&B>,
    ) -> Result<(T, Shown), UplinkError> {
        let (answer, shown) = self.call_bytes(pin, method, path, token, body).await?;
        Ok((decode(path, &answer)?, shown))
    }

    /// As [`Endpoint::call`], returning the answer's bytes as they came.
    async fn call_bytes<B: Serialize>(
        &self,
        pin: Option<&str>,
        method: Method,
        path: &str,
        token: Option<&AgentToken>,
        body: Option<&B>,
    ) -> Result<(Bytes, Shown), UplinkError> {
        let work = self.exchange(pin, method, path, token, body);
        let (status, answer, shown) = tokio::time::timeout(CALL_TIMEOUT, work)
            .await
            .map_err(|_| self.unreachable(format!("no answer within {CALL_TIMEOUT:?}")))??;
        if !status.is_success() {
            let error: ApiError = serde_json::from_slice(&answer).unwrap_or_else(|_| ApiError {
                message: String::from_utf8_lossy(&answer).chars().take(500).collect(),
                field: None,
            });
            return Err(UplinkError::Refused {
                path: path.to_owned(),
                status: status.as_u16(),
                message: error.message,
                field: error.field,
            });
        }
        Ok((answer, shown))
    }

    async fn exchange<B: Serialize>(
        &self,
        pin: Option<&str>,
        method: Method,
        path: &str,
        token: Option<&AgentToken>,
        body: Option<&B>,
    ) -> Result<(StatusCode, Bytes, Shown), UplinkError> {
        let body =
            body.map(serde_json::to_vec)
                .transpose()
                .map_err(|e| UplinkError::BadAnswer {
                    path: path.to_owned(),
                    reason: format!("cannot encode the request: {e}"),
                })?;
        let connection = tokio::time::timeout(CONNECT_TIMEOUT, self.server.connect(pin))
            .await
            .map_err(|_| self.unreachable(format!("no connection within {CONNECT_TIMEOUT:?}")))?
            .map_err(|e| self.failed(e))?;
        let shown = Shown {
            certificate: connection.presented().to_owned(),
            key: connection.presented_key().to_owned(),
        };
        let mut request = self.server.request(method, path);
        if let Some(token) = token {
            let value = HeaderValue::from_str(&token.header_value()).map_err(|_| {
                UplinkError::BadAnswer {
                    path: path.to_owned(),
                    reason: "the agent token cannot be a header".to_owned(),
                }
            })?;
            request = request.header(AUTHORIZATION, value);
        }
        if body.is_some() {
            request = request.header(CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| UplinkError::BadUrl {
                url: self.url.clone(),
                reason: e.to_string(),
            })?;
        let answer = connection
            .send(request, MAX_ANSWER_BYTES)
            .await
            .map_err(|e| self.failed(e))?;
        Ok((answer.status, answer.body, shown))
    }

    /// What a connection's failure means to the agent: a certificate other than the
    /// pinned one needs a person; anything else is the server being out of reach.
    fn failed(&self, error: HttpsError) -> UplinkError {
        match error {
            HttpsError::CertificateMismatch { pinned, presented } => {
                UplinkError::CertificateMismatch {
                    server: self.url.clone(),
                    pinned,
                    presented,
                }
            }
            HttpsError::Connect(e) => self.unreachable(e.to_string()),
            other => self.unreachable(other.to_string()),
        }
    }

    fn unreachable(&self, reason: String) -> UplinkError {
        UplinkError::Unreachable {
            server: self.url.clone(),
            reason,
        }
    }
}

/// SHA-256 of a certificate's DER, lower-case hex.
pub use quire_https::certificate_sha256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_must_be_https_host_and_port() {
        let endpoint = Endpoint::parse("https://127.80.9.1:8443/").unwrap();
        assert_eq!(endpoint.url, "https://127.80.9.1:8443");
        assert_eq!(
            Endpoint::parse("https://quire.example").unwrap().url,
            "https://quire.example:443"
        );
        for (bad, says) in [
            ("http://127.80.9.1:8443", "https://"),
            ("https://127.80.9.1:8443/api", "without a path"),
            ("127.80.9.1:8443", "https://"),
        ] {
            let error = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(error.contains(says) && error.contains(bad), "{error}");
        }
    }
}
