//! Webhooks: ASM's webhook actions POST a signed JSON body describing the alert to an
//! endpoint the dealer configured (`quire_store`'s `asm_webhook_endpoints`), through a
//! queue of deliveries in the database, by a job in one server process at a time.
//!
//! Carrying out a webhook action queues a delivery under its ASM decision's idempotency
//! key (so a crash-repeat queues one); this module's job takes the due deliveries every
//! few seconds and tries them side by side, so a slow endpoint holds up no other:
//!
//! - a 2xx answer: `delivered`, with when;
//! - any other answer (3xx too), no answer within [`WebhookPolicy::timeout`], or no
//!   connection: the attempt is counted with the HTTP status or the error, and the
//!   delivery stays `queued` until its next attempt, later after each failure
//!   ([`WebhookPolicy::backoff`]); after [`WebhookPolicy::max_attempts`] it is `failed`;
//! - its endpoint deleted meanwhile: `failed` at once, untried.
//!
//! ASM then hears succeeded or failed as for an e-mail. Redirects are never followed, so a
//! delivery cannot be steered to another host: a 3xx is a failed attempt naming where it
//! pointed. Answers are read up to [`MAX_ANSWER_BYTES`], for the error text only.
//!
//! # What a receiver gets, and how to check it came from Quire
//!
//! `POST` to the endpoint's URL with `Content-Type: application/json`, the alert as the
//! body (`asm::carry::WebhookBody`: the event, its definition, device and account, the
//! trigger with its level or error state, the status, first and last trigger times, and
//! the action with its attempt), and these headers:
//!
//! - `Quire-Webhook-Id`: the delivery's id, the same on every attempt: a receiver that
//!   saw it already has the alert (deliveries are at least once).
//! - `Quire-Webhook-Timestamp`: when this attempt was signed, in Unix seconds.
//! - `Quire-Webhook-Attempt`: which attempt this is, from 1.
//! - `Quire-Webhook-Signature`: `v1=` and the lower-case hex HMAC-SHA256 of the
//!   timestamp header's digits, a full stop, and the body's bytes exactly as received
//!   (`{timestamp}.{body}`), keyed with the endpoint's secret (its UTF-8 text as shown
//!   when it was created or rotated, `whsec_…`).
//!
//! - the endpoint's static headers, as the dealer set them (an API key the receiving
//!   system asks for; see [`checked_header_name`] for which names Quire keeps to itself).
//!
//! A receiver recomputes the HMAC over the raw body, compares it with the header's in
//! constant time, and refuses a timestamp more than a few minutes from its own clock, so a
//! captured delivery cannot be replayed later. The scheme is Stripe's and Standard
//! Webhooks' in substance; the signed timestamp is what keeps an old body from passing.
//!
//! # The HTTP client
//!
//! One POST per connection over hyper's own HTTP/1.1 client connection, on TCP for `http`
//! and on tokio-rustls for `https` with certificates checked as usual (chain and name)
//! against the operating system's trusted CAs (`rustls-native-certs`, as the mailer's
//! lettre does: a dealer's system may sit behind an internal CA). The server already
//! carries hyper, rustls and tokio-rustls; a client crate such as reqwest would bring a
//! second HTTP stack for what it does not need here (pooling, cookies, and redirects,
//! which must not be followed anyway). `hmac` signs, with the workspace's `sha2`; `url`
//! reads endpoint URLs as browsers do.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HOST, LOCATION, USER_AGENT};
use hyper::{HeaderMap, Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use quire_plugins::{OutboundHttp, OutboundRequest};
use quire_store::{AttemptOutcome, Store, WebhookDelivery, WebhookEndpoint};
use quire_transport::{HttpMethod, HttpResponse, TransportError};
use rustls::pki_types::ServerName;
use sha2::Sha256;
use tokio::net::TcpStream;
use url::{Host, Position, Url};

use crate::periodic::{Attempt, Periodic};
use crate::retry;

/// The job's name: its hold across server processes is derived from it.
pub const WEBHOOKS_JOB: &str = "webhooks";

/// How much of an answer is read, for the error text of a failed attempt.
pub const MAX_ANSWER_BYTES: usize = 4096;

/// The longest URL an endpoint may have.
pub const MAX_URL_BYTES: usize = 2048;

/// How the deliveries are worked through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// How often the job looks for due deliveries.
    pub every: Duration,
    /// Attempts before a delivery is given up.
    pub max_attempts: u32,
    /// The wait after the first failed attempt, the second, …; the last repeats.
    pub backoff: Vec<Duration>,
    /// Deliveries tried per look, side by side.
    pub batch: u32,
    /// How long one attempt may take, from connecting to the answer's status.
    pub timeout: Duration,
}

impl Default for WebhookPolicy {
    /// Every 10 s, on the shared retry schedule ([`crate::retry`]), as for e-mails; 10 s
    /// per attempt.
    fn default() -> WebhookPolicy {
        WebhookPolicy {
            every: Duration::from_secs(10),
            max_attempts: retry::DEFAULT_MAX_ATTEMPTS,
            backoff: retry::default_backoff(),
            batch: 100,
            timeout: Duration::from_secs(10),
        }
    }
}

impl WebhookPolicy {
    /// The wait after a delivery's `attempts`-th failed attempt (from 1).
    fn wait_after(&self, attempts: u32) -> Duration {
        retry::wait_after(&self.backoff, attempts, self.every)
    }
}

/// An endpoint URL checked: `http` or `https`, with a host and no user or password (a
/// delivery carries its proof in its signature). The error says what is wrong.
pub fn checked_url(text: &str) -> Result<Url, String> {
    if text.len() > MAX_URL_BYTES {
        return Err(format!("is longer than {MAX_URL_BYTES} bytes"));
    }
    let url = Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "`{text}` is a {} URL; a webhook is http or https",
            url.scheme()
        ));
    }
    if url.host().is_none() {
        return Err(format!("`{text}` names no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "`{text}` carries a user or password; deliveries are signed instead"
        ));
    }
    Ok(url)
}

/// Most static headers one endpoint carries.
pub const MAX_HEADERS: usize = 20;

/// The longest static header name.
pub const MAX_HEADER_NAME_BYTES: usize = 100;

/// The longest static header value: a signed bearer token (a JWT) fits.
pub const MAX_HEADER_VALUE_BYTES: usize = 4096;

/// Most bytes of one endpoint's static headers, names and values together: well inside
/// the 8 to 16 KiB of headers that common HTTP servers accept in all.
pub const MAX_HEADERS_BYTES: usize = 6 << 10;

/// The headers that frame an HTTP/1.1 message: the client sets them, and an action
/// plugin's own of these names would make its request mean something else on the wire.
const FRAMING: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
    "expect",
];

/// Besides [`FRAMING`], the headers Quire sets on its requests itself: a static header
/// of one of these names would forge the body's type, the client or the key that makes
/// a retried order one order.
const SET_BY_QUIRE: &[&str] = &["content-type", "user-agent", "idempotency-key"];

/// A static header's name checked: an RFC 9110 token (letters, digits and
/// ``!#$%&'*+-.^_`|~``), not one Quire sets itself ([`FRAMING`], [`SET_BY_QUIRE`], and every `Quire-…`
/// name, the webhook signature's among them). The error says what is wrong.
pub fn checked_header_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("is empty".into());
    }
    if name.len() > MAX_HEADER_NAME_BYTES {
        return Err(format!("is longer than {MAX_HEADER_NAME_BYTES} bytes"));
    }
    if let Some(bad) = name.chars().find(|&c| !is_token_char(c)) {
        return Err(format!(
            "`{}` holds {bad:?}; a header name is letters, digits and !#$%&'*+-.^_`|~ (RFC 9110 token)",
            name.escape_debug()
        ));
    }
    let lower = name.to_ascii_lowercase();
    if FRAMING.contains(&lower.as_str())
        || SET_BY_QUIRE.contains(&lower.as_str())
        || lower.starts_with("quire-")
    {
        return Err(format!(
            "`{name}` is set by Quire itself on every request and cannot be a static header"
        ));
    }
    Ok(name.to_owned())
}

/// A static header's value checked: visible ASCII, spaces and tabs, without the spaces
/// around it; never a line break, which would end the header and start another. The
/// error never quotes the value: it is usually a secret.
pub fn checked_header_value(value: &str) -> Result<String, String> {
    let value = value.trim_matches([' ', '\t']);
    if value.is_empty() {
        return Err("is empty".into());
    }
    if value.len() > MAX_HEADER_VALUE_BYTES {
        return Err(format!("is longer than {MAX_HEADER_VALUE_BYTES} bytes"));
    }
    if value.contains(['\r', '\n']) {
        return Err("holds a line break (CR or LF), which would end the header".into());
    }
    if value.chars().any(|c| c.is_ascii_control() && c != '\t') {
        return Err("holds a control character".into());
    }
    if !value.is_ascii() {
        return Err("holds a character outside ASCII; header values are ASCII".into());
    }
    Ok(value.to_owned())
}

/// RFC 9110 §5.6.2's `tchar`.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// A new endpoint secret: 256 random bits, `whsec_` and 64 hex digits.
pub(crate) fn new_secret() -> String {
    format!("whsec_{}", crate::secrets::token())
}

/// The `Quire-Webhook-Signature` of `body` sent at `timestamp` (see the module doc).
fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// What one look at the queue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Answered 2xx.
    pub delivered: usize,
    /// Refused for now; queued for a later attempt.
    pub deferred: usize,
    /// Given up.
    pub failed: usize,
}

/// Why one attempt failed.
struct Refusal {
    /// The HTTP status, when an answer came.
    status: Option<u16>,
    /// What to keep as the delivery's last error.
    error: String,
}

/// The webhook deliverer of one server: its policy and TLS trust.
#[derive(Clone)]
pub struct Webhooks {
    policy: WebhookPolicy,
    tls: Arc<rustls::ClientConfig>,
}

impl Webhooks {
    /// A deliverer trusting the operating system's CAs.
    pub fn new(policy: WebhookPolicy) -> Webhooks {
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::warn!(%error, "a trusted CA of the system could not be read; https webhooks signed by it will fail");
        }
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(found.certs);
        let mut tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports rustls' default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Webhooks {
            policy,
            tls: Arc::new(tls),
        }
    }

    /// Tries every delivery due at `now`, one batch, side by side; a failure to reach the
    /// store stops the look (the next one tries again), a failed delivery does not.
    pub async fn deliver_due(
        &self,
        store: &Store,
        now: DateTime<Utc>,
    ) -> quire_store::Result<Delivered> {
        let mut done = Delivered::default();
        let mut attempts = tokio::task::JoinSet::new();
        for (delivery, endpoint) in store.due_webhook_deliveries(now, self.policy.batch).await? {
            if endpoint.deleted_at.is_some() {
                let outcome = AttemptOutcome {
                    status: None,
                    error: Some("its webhook endpoint was deleted"),
                };
                store
                    .webhook_given_up(delivery.id, outcome, false, Utc::now())
                    .await?;
                done.failed += 1;
                continue;
            }
            let this = self.clone();
            attempts.spawn(async move {
                let tried = this.attempt(&delivery, &endpoint).await;
                (delivery, tried)
            });
        }
        while let Some(joined) = attempts.join_next().await {
            let Ok((delivery, tried)) = joined else {
                continue;
            };
            self.record(store, &delivery, tried, &mut done).await?;
        }
        Ok(done)
    }

    async fn record(
        &self,
        store: &Store,
        delivery: &WebhookDelivery,
        tried: Result<u16, Refusal>,
        done: &mut Delivered,
    ) -> quire_store::Result<()> {
        let id = delivery.id;
        match tried {
            Ok(status) => {
                let outcome = AttemptOutcome {
                    status: Some(status),
                    error: None,
                };
                store.webhook_delivered(id, outcome, Utc::now()).await?;
                done.delivered += 1;
            }
            Err(refusal) => {
                let attempts = delivery.attempts + 1;
                let outcome = AttemptOutcome {
                    status: refusal.status,
                    error: Some(&refusal.error),
                };
                if attempts >= self.policy.max_attempts {
                    tracing::warn!(delivery = %id, attempts, error = %refusal.error, "webhook delivery given up");
                    store
                        .webhook_given_up(id, outcome, true, Utc::now())
                        .await?;
                    done.failed += 1;
                } else {
                    let wait = self.policy.wait_after(attempts);
                    let next = Utc::now()
                        + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX);
                    tracing::info!(delivery = %id, attempts, error = %refusal.error, %next, "webhook delivery deferred");
                    store.webhook_failed_attempt(id, outcome, next).await?;
                    done.deferred += 1;
                }
            }
        }
        Ok(())
    }

    /// One attempt: the 2xx status answered, or why it failed.
    async fn attempt(
        &self,
        delivery: &WebhookDelivery,
        endpoint: &WebhookEndpoint,
    ) -> Result<u16, Refusal> {
        let refused = |error: String| Refusal {
            status: None,
            error,
        };
        let url = checked_url(&endpoint.url).map_err(|e| refused(format!("url: {e}")))?;
        let timestamp = Utc::now().timestamp();
        let request = Request::builder()
            .method(Method::POST)
            .uri(&url[Position::BeforePath..Position::AfterQuery])
            .header(HOST, &url[Position::BeforeHost..Position::AfterPort])
            .header(CONTENT_TYPE, "application/json")
            .header(
                USER_AGENT,
                concat!("Quire-Webhook/", env!("CARGO_PKG_VERSION")),
            )
            .header("quire-webhook-id", delivery.id.0.to_string())
            .header("quire-webhook-timestamp", timestamp.to_string())
            .header("quire-webhook-attempt", (delivery.attempts + 1).to_string())
            .header(
                "quire-webhook-signature",
                signature(&endpoint.secret, timestamp, &delivery.body),
            );
        let request = with_static_headers(request, &endpoint.headers)
            .map_err(refused)?
            .body(Full::new(Bytes::from(delivery.body.clone())))
            .map_err(|e| refused(format!("building the request: {e}")))?;
        let where_to = url[..Position::AfterPath].to_owned();
        let answer = tokio::time::timeout(
            self.policy.timeout,
            self.exchange(&url, request, MAX_ANSWER_BYTES),
        )
        .await
        .map_err(|_| {
            refused(format!(
                "{where_to}: no answer within {:?}",
                self.policy.timeout
            ))
        })?
        .map_err(|e| refused(format!("{where_to}: {e}")))?;
        let (status, headers, body) = answer;
        let location = headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = String::from_utf8_lossy(&body);
        if status.is_success() {
            return Ok(status.as_u16());
        }
        let mut error = format!("{where_to} answered {status}");
        if status.is_redirection() {
            error.push_str(&format!(
                "; redirects are not followed (Location: {})",
                location.as_deref().unwrap_or("none")
            ));
        }
        let text = text.trim();
        if !text.is_empty() {
            let cut: String = text.chars().take(200).collect();
            error.push_str(&format!(": {cut}"));
        }
        Err(Refusal {
            status: Some(status.as_u16()),
            error,
        })
    }

    /// Connects to `url`'s host (over TLS for https), sends `request` and reads the
    /// answer's status, headers and up to `limit` bytes of its body.
    async fn exchange(
        &self,
        url: &Url,
        request: Request<Full<Bytes>>,
        limit: usize,
    ) -> Result<Answer, String> {
        let port = url
            .port_or_known_default()
            .ok_or_else(|| "no port".to_owned())?;
        let (tcp, name) = match url.host() {
            Some(Host::Domain(domain)) => (
                TcpStream::connect((domain, port)).await,
                ServerName::try_from(domain.to_owned())
                    .map_err(|e| format!("`{domain}` cannot be a TLS name: {e}"))?,
            ),
            Some(Host::Ipv4(ip)) => (
                TcpStream::connect((ip, port)).await,
                ServerName::IpAddress(std::net::IpAddr::V4(ip).into()),
            ),
            Some(Host::Ipv6(ip)) => (
                TcpStream::connect((ip, port)).await,
                ServerName::IpAddress(std::net::IpAddr::V6(ip).into()),
            ),
            None => return Err("no host".to_owned()),
        };
        let tcp = tcp.map_err(|e| format!("connecting: {e}"))?;
        tcp.set_nodelay(true).ok();
        if url.scheme() == "https" {
            let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS: {e}"))?;
            send(TokioIo::new(tls), request, limit).await
        } else {
            send(TokioIo::new(tcp), request, limit).await
        }
    }

    /// Runs the job every [`WebhookPolicy::every`] while the returned task lives,
    /// logging each look that did something and each that failed.
    pub fn spawn(self, store: Store) -> tokio::task::JoinHandle<()> {
        let job = Periodic {
            name: WEBHOOKS_JOB,
            every: self.policy.every,
        };
        tokio::spawn(async move {
            let mut ticks =
                tokio::time::interval_at(tokio::time::Instant::now() + job.every, job.every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match job
                    .run_once(&store, || self.deliver_due(&store, Utc::now()))
                    .await
                {
                    Ok(Attempt::Ran(done)) if done != Delivered::default() => {
                        tracing::info!(job = WEBHOOKS_JOB, ?done, "webhook deliveries tried")
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(job = WEBHOOKS_JOB, %error, "webhook deliveries failed")
                    }
                }
            }
        })
    }
}

/// An answer's status, headers and (the start of) its body.
type Answer = (StatusCode, HeaderMap, Bytes);

/// Most bytes of an answer an action plugin is handed: an ERP's confirmation is a few
/// hundred bytes.
pub const MAX_ACTION_ANSWER_BYTES: usize = 64 << 10;

/// Action plugins reach the endpoints their dealer configured through the webhook
/// client: the same TLS trust, timeout and refusal to follow redirects (a 3xx is handed
/// to the plugin as it came). The host has already resolved the endpoint's URL.
#[async_trait::async_trait]
impl OutboundHttp for Webhooks {
    async fn send(&self, request: OutboundRequest) -> Result<HttpResponse, TransportError> {
        let endpoint = &request.endpoint;
        let url = checked_url(&request.url)
            .map_err(|e| TransportError::Denied(format!("endpoint {endpoint:?}: url {e}")))?;
        if let Some((name, _)) = request
            .headers
            .iter()
            .find(|(name, _)| FRAMING.contains(&name.to_ascii_lowercase().as_str()))
        {
            return Err(TransportError::Denied(format!(
                "endpoint {endpoint:?}: the header {name:?} is the client's to set"
            )));
        }
        let mut built = Request::builder()
            .method(match request.method {
                HttpMethod::Get => Method::GET,
                HttpMethod::Post => Method::POST,
            })
            .uri(&url[Position::BeforePath..Position::AfterQuery])
            .header(HOST, &url[Position::BeforeHost..Position::AfterPort])
            .header(
                USER_AGENT,
                concat!("Quire-Action/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in &request.headers {
            built = built.header(name, value);
        }
        let built = built
            .body(Full::new(Bytes::from(request.body.unwrap_or_default())))
            .map_err(|e| TransportError::Protocol(format!("endpoint {endpoint:?}: {e}")))?;
        let (status, headers, body) = tokio::time::timeout(
            self.policy.timeout,
            self.exchange(&url, built, MAX_ACTION_ANSWER_BYTES),
        )
        .await
        .map_err(|_| TransportError::Timeout)?
        .map_err(|e| TransportError::Unreachable(format!("endpoint {endpoint:?}: {e}")))?;
        Ok(HttpResponse {
            status: status.as_u16(),
            headers: headers
                .iter()
                .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_owned())))
                .collect(),
            body: body.to_vec(),
        })
    }
}

/// `request` with an endpoint's static headers added. They were checked when the dealer
/// set them; one that still does not pass is named, its value never shown.
fn with_static_headers(
    mut request: hyper::http::request::Builder,
    headers: &[(String, String)],
) -> Result<hyper::http::request::Builder, String> {
    for (name, value) in headers {
        let name = hyper::header::HeaderName::try_from(name.as_str())
            .map_err(|_| format!("the static header {:?} is not a header name", name))?;
        let value = hyper::header::HeaderValue::try_from(value.as_str())
            .map_err(|_| format!("the static header {name} has a value that cannot be sent"))?;
        request = request.header(name, value);
    }
    Ok(request)
}

/// One request on a fresh HTTP/1.1 connection over `io`; the answer's body is read up
/// to `limit` bytes, and an answer that breaks off or runs longer loses it.
async fn send<IO>(io: IO, request: Request<Full<Bytes>>, limit: usize) -> Result<Answer, String>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("HTTP: {e}"))?;
    let driver = tokio::spawn(async move {
        // Its errors reach the request through the response.
        let _ = connection.await;
    });
    let outcome = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, limit)
            .collect()
            .await
            .map(|body| body.to_bytes())
            .unwrap_or_default();
        Ok((parts.status, parts.headers, body))
    }
    .await;
    driver.abort();
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_url_is_http_or_https_with_a_host_and_no_credentials() {
        assert!(checked_url("https://erp.dealer.example/hooks/quire?x=1").is_ok());
        assert!(checked_url("http://127.0.0.1:8080/").is_ok());
        assert!(
            checked_url("ftp://erp.dealer.example/")
                .unwrap_err()
                .contains("ftp")
        );
        assert!(checked_url("not a url").unwrap_err().contains("not a URL"));
        assert!(
            checked_url("https://me:pw@erp.dealer.example/")
                .unwrap_err()
                .contains("password")
        );
        assert!(checked_url(&format!("https://a.example/{}", "x".repeat(3000))).is_err());
    }

    #[test]
    fn a_static_header_name_is_a_token_that_quire_does_not_set_itself() {
        assert_eq!(checked_header_name(" X-Api-Key ").unwrap(), "X-Api-Key");
        assert_eq!(
            checked_header_name("Authorization").unwrap(),
            "Authorization"
        );
        for (bad, why) in [
            ("", "empty"),
            ("X Api", "' '"),
            ("X-Api:", "':'"),
            ("X\r\nInjected", "'\\r'"),
            ("Host", "set by Quire"),
            ("content-length", "set by Quire"),
            ("Idempotency-Key", "set by Quire"),
            ("Quire-Webhook-Signature", "set by Quire"),
            ("quire-webhook-timestamp", "set by Quire"),
        ] {
            let error = checked_header_name(bad).unwrap_err();
            assert!(error.contains(why), "{bad:?}: {error}");
        }
        assert!(checked_header_name(&"x".repeat(MAX_HEADER_NAME_BYTES + 1)).is_err());
    }

    #[test]
    fn a_static_header_value_is_one_line_of_ascii_and_its_error_never_quotes_it() {
        assert_eq!(
            checked_header_value("  Bearer abc.def \t").unwrap(),
            "Bearer abc.def"
        );
        for (bad, why) in [
            ("", "empty"),
            ("   ", "empty"),
            ("secret-1\r\nX-Evil: 1", "line break"),
            ("secret-2\n", "line break"),
            ("secret-3\u{0}", "control"),
            ("secret-4\u{7f}", "control"),
            ("sécret-5", "ASCII"),
        ] {
            let error = checked_header_value(bad).unwrap_err();
            assert!(error.contains(why), "{bad:?}: {error}");
            assert!(
                !error.contains("secret") && !error.contains("sécret"),
                "{error}"
            );
        }
        assert!(checked_header_value(&"x".repeat(MAX_HEADER_VALUE_BYTES + 1)).is_err());
    }

    #[tokio::test]
    async fn an_action_plugins_framing_header_is_refused_before_anything_is_sent() {
        let client = Webhooks::new(WebhookPolicy::default());
        for name in ["Host", "content-length", "Transfer-Encoding", "Connection"] {
            let request = OutboundRequest {
                endpoint: "erp".into(),
                url: "http://127.0.0.1:9/erp".into(),
                method: HttpMethod::Post,
                headers: vec![(name.into(), "evil.example".into())],
                body: Some(b"<Order/>".to_vec()),
            };
            match client.send(request).await {
                Err(TransportError::Denied(why)) => {
                    assert!(why.contains(name) && why.contains("erp"), "{why}")
                }
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_signature_is_the_hmac_of_timestamp_dot_body_keyed_with_the_secret() {
        // As Python's `hmac.new(b"whsec_test", b'1700000000.{"alert":1}', sha256)` has it.
        assert_eq!(
            signature("whsec_test", 1_700_000_000, r#"{"alert":1}"#),
            "v1=b44134669f23fd34fb279377642d65edb3d7d8af5b18baa8f68d8650bbbb801a"
        );
    }

    #[test]
    fn the_wait_grows_with_each_failed_attempt_and_then_repeats_the_last() {
        let policy = WebhookPolicy::default();
        let minutes = |m: u64| Duration::from_secs(60 * m);
        assert_eq!(policy.wait_after(1), minutes(1));
        assert_eq!(policy.wait_after(2), minutes(5));
        assert_eq!(policy.wait_after(7), minutes(240));
    }
}
