//! A dealer's own HTTP system (an ERP, a webhook receiver): a real HTTP/1.1 server on a
//! loopback address that keeps every request it is sent and answers from a script.
//!
//! The server's webhook and action-plugin suites and the end-to-end ASM suite all need
//! one; this is its one home.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::{HeaderMap, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// One answer of the script.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: &'static str,
    /// A `Location` header, for a redirect.
    pub location: Option<String>,
    /// How long the receiver takes before it answers: a slow ERP.
    pub delay: Duration,
}

impl Answer {
    /// `status` with a body that says it is the receiver's own.
    pub fn status(status: u16) -> Answer {
        Answer::with_body(status, "the receiver's own words")
    }

    /// `status` with `body`.
    pub fn with_body(status: u16, body: &'static str) -> Answer {
        Answer {
            status,
            body,
            location: None,
            delay: Duration::ZERO,
        }
    }

    /// This answer given `delay` after the request came.
    pub fn after(self, delay: Duration) -> Answer {
        Answer { delay, ..self }
    }

    /// This answer pointing at `location`.
    pub fn redirecting(self, location: String) -> Answer {
        Answer {
            location: Some(location),
            ..self
        }
    }
}

/// One request as the receiver took it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The path and query.
    pub path: String,
    /// Its headers.
    pub headers: HeaderMap,
    /// Its body.
    pub body: Bytes,
    /// When it came.
    pub at: Instant,
    /// When it was answered (after the answer's delay).
    pub answered_at: Option<Instant>,
}

impl Received {
    /// The header `name` as text; panics naming it when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header: {:?}", self.headers))
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// The receiver, stopped when dropped. It answers the script's answers in turn, the
/// last one from then on.
pub struct Receiver {
    address: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Listens on `address` (port 0 for any) and answers `script` in turn.
    pub async fn start(address: SocketAddr, script: Vec<Answer>) -> Receiver {
        assert!(!script.is_empty(), "a receiver needs at least one answer");
        let listener = tokio::net::TcpListener::bind(address).await.unwrap();
        let address = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = received.clone();
        let script = Arc::new(script);
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let (kept, script) = (kept.clone(), script.clone());
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let (kept, script) = (kept.clone(), script.clone());
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body.collect().await?.to_bytes();
                            let (index, answer) = {
                                let mut all = kept.lock().unwrap_or_else(PoisonError::into_inner);
                                let answer = script[all.len().min(script.len() - 1)].clone();
                                all.push(Received {
                                    path: parts.uri.to_string(),
                                    headers: parts.headers,
                                    body,
                                    at: Instant::now(),
                                    answered_at: None,
                                });
                                (all.len() - 1, answer)
                            };
                            tokio::time::sleep(answer.delay).await;
                            kept.lock().unwrap_or_else(PoisonError::into_inner)[index]
                                .answered_at = Some(Instant::now());
                            let mut response = Response::new(Full::new(Bytes::from_static(
                                answer.body.as_bytes(),
                            )));
                            *response.status_mut() = StatusCode::from_u16(answer.status).unwrap();
                            if let Some(location) = &answer.location {
                                response
                                    .headers_mut()
                                    .insert(hyper::header::LOCATION, location.parse().unwrap());
                            }
                            Ok::<_, hyper::Error>(response)
                        }
                    },
                );
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service),
                );
            }
        });
        Receiver {
            address,
            received,
            task,
        }
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every request taken so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
