//! A small HTTPS peer speaking the agent API of `quire-protocol` as the server does: it
//! enrolls with one key, hands out a configuration, and files uploads exactly once by
//! sequence number. It can be stopped and restarted on the same address (the server going
//! down and coming back), given another certificate, made to lie about its certificate at
//! enrollment, or to lose the answer to an upload it filed.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use quire_agent::uplink::certificate_sha256;
use quire_protocol::{
    AgentConfig, AgentToken, ApiError, CONFIG_PATH, ENROLL_PATH, EnrollRequest, EnrollResponse,
    READINGS_PATH, ReadingUpload, UploadAck, UploadItem,
};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub const KEY: &str = "enroll-me-once";
const AGENT_ID: &str = "ag_1";
const SECRET: &str = "s3cret";

/// What the peer has seen and files.
#[derive(Default)]
pub struct Filed {
    /// Items by seq, as filed (once each).
    pub items: Mutex<BTreeMap<u64, UploadItem>>,
    /// Items received again after they were filed.
    pub duplicates: AtomicUsize,
    /// Uploads received.
    pub uploads: AtomicUsize,
    /// Check-ins received.
    pub check_ins: AtomicUsize,
    /// When set, the next upload is filed but answered with a 503, as if the answer was lost.
    pub lose_next_answer: AtomicBool,
    /// When set, enrollment names another certificate than the one shown.
    pub lie_at_enrollment: AtomicBool,
}

impl Filed {
    pub fn items(&self) -> Vec<UploadItem> {
        self.items.lock().unwrap().values().cloned().collect()
    }
}

pub struct Peer {
    pub addr: SocketAddr,
    pub sha256: String,
    pub filed: Arc<Filed>,
    config: Arc<AgentConfig>,
    tls: tokio_rustls::TlsAcceptor,
    task: Option<JoinHandle<()>>,
}

impl Peer {
    /// Starts on `ip`, any free port, with a fresh self-signed certificate.
    pub async fn start(ip: &str, config: AgentConfig) -> Peer {
        let (tls, sha256) = certificate(ip);
        let mut peer = Peer {
            addr: SocketAddr::new(ip.parse().unwrap(), 0),
            sha256,
            filed: Arc::new(Filed::default()),
            config: Arc::new(config),
            tls,
            task: None,
        };
        peer.listen().await;
        peer
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Stops answering: the port is closed, connections dropped.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    /// Starts again on the same address, with what it filed.
    pub async fn restart(&mut self) {
        self.stop();
        // The aborted task drops its listener when the runtime next polls it.
        tokio::task::yield_now().await;
        self.listen().await;
    }

    /// Starts again on the same address with another certificate.
    pub async fn replace_certificate(&mut self) {
        let (tls, sha256) = certificate(&self.addr.ip().to_string());
        self.tls = tls;
        self.sha256 = sha256;
        self.restart().await;
    }

    async fn listen(&mut self) {
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot bind {}: {e}", self.addr),
            }
        };
        self.addr = listener.local_addr().unwrap();
        let tls = self.tls.clone();
        let filed = self.filed.clone();
        let config = self.config.clone();
        let sha256 = self.sha256.clone();
        self.task = Some(tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let tls = tls.clone();
                let filed = filed.clone();
                let config = config.clone();
                let sha256 = sha256.clone();
                connections.spawn(async move {
                    let Ok(stream) = tls.accept(stream).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |request| {
                        let filed = filed.clone();
                        let config = config.clone();
                        let sha256 = sha256.clone();
                        async move {
                            Ok::<_, Infallible>(answer(request, &filed, &config, &sha256).await)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        }));
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn certificate(ip: &str) -> (tokio_rustls::TlsAcceptor, String) {
    let certified = rcgen::generate_simple_self_signed(vec![ip.to_owned()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let der = certified.cert.der().clone();
    let sha256 = certificate_sha256(&der);
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![der], key)
    .unwrap();
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), sha256)
}

fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(serde_json::to_vec(body).unwrap())))
        .unwrap()
}

fn refuse(status: StatusCode, message: &str, field: Option<&str>) -> Response<Full<Bytes>> {
    json(
        status,
        &ApiError {
            message: message.into(),
            field: field.map(str::to_owned),
        },
    )
}

async fn answer(
    request: Request<Incoming>,
    filed: &Filed,
    config: &AgentConfig,
    sha256: &str,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    let authorized = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(AgentToken::from_header_value)
        .is_some_and(|t| t.agent_id == AGENT_ID && t.secret == SECRET);
    let body = request.into_body().collect().await.unwrap().to_bytes();
    match path.as_str() {
        ENROLL_PATH => {
            let Ok(enroll) = serde_json::from_slice::<EnrollRequest>(&body) else {
                return refuse(StatusCode::BAD_REQUEST, "not an enrollment", None);
            };
            if enroll.key != KEY {
                return refuse(
                    StatusCode::FORBIDDEN,
                    "the enrollment key is not valid",
                    Some("key"),
                );
            }
            let claimed = if filed.lie_at_enrollment.load(Ordering::SeqCst) {
                "00".repeat(32)
            } else {
                sha256.to_owned()
            };
            json(
                StatusCode::OK,
                &EnrollResponse {
                    agent_id: AGENT_ID.into(),
                    secret: SECRET.into(),
                    account_id: 1,
                    certificate_sha256: claimed,
                    key_sha256: None,
                },
            )
        }
        _ if !authorized => refuse(StatusCode::UNAUTHORIZED, "unknown agent", None),
        CONFIG_PATH => {
            filed.check_ins.fetch_add(1, Ordering::SeqCst);
            json(StatusCode::OK, config)
        }
        READINGS_PATH => {
            let upload: ReadingUpload = match serde_json::from_slice(&body) {
                Ok(upload) => upload,
                Err(e) => return refuse(StatusCode::BAD_REQUEST, &e.to_string(), None),
            };
            filed.uploads.fetch_add(1, Ordering::SeqCst);
            let mut items = filed.items.lock().unwrap();
            let (mut new, mut again) = (0, 0);
            for item in upload.items {
                match items.entry(item.seq) {
                    std::collections::btree_map::Entry::Occupied(_) => again += 1,
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        new += 1;
                        slot.insert(item);
                    }
                }
            }
            filed.duplicates.fetch_add(again as usize, Ordering::SeqCst);
            let acked_through = items.keys().next_back().copied().unwrap_or_default();
            drop(items);
            if filed.lose_next_answer.swap(false, Ordering::SeqCst) {
                return refuse(StatusCode::SERVICE_UNAVAILABLE, "answer lost", None);
            }
            json(
                StatusCode::OK,
                &UploadAck {
                    acked_through,
                    filed: new,
                    duplicates: again,
                    rejected: Vec::new(),
                },
            )
        }
        _ => refuse(StatusCode::NOT_FOUND, "no such path", None),
    }
}
