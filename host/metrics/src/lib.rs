//! The Prometheus metrics a Quire process exposes: the process's recorder, and the
//! plain-HTTP listener that serves what it recorded at `/metrics`.
//!
//! # Why `metrics` and its Prometheus exporter
//!
//! The crates that do the work (the server's ingest, the agent's reader) record through
//! the [`metrics`] facade where the work happens, with no registry threaded through their
//! calls; only a process that serves `/metrics` installs a recorder ([`install`]), so a
//! `quire replay` or a test that serves none pays an atomic load per macro and nothing
//! else. `metrics-exporter-prometheus` renders the text exposition format, histograms
//! included, and is the facade's own exporter; `prometheus-client` would have asked for a
//! registry in every call path. Its HTTP listener is left out: this one has the limits a
//! listener open to a network needs (see [`serve`]).
//!
//! # Why a listener of its own
//!
//! Metrics are served in plain HTTP on an address of their own, off unless asked for
//! (`--metrics-listen`), rather than on the server's HTTPS port: Prometheus scrapes
//! without a client certificate or a session, and what it reads (how many agents, how
//! busy the database) is for the operator, not for every client that can reach the API.
//! The operator binds it where only the monitoring host reaches it.
//!
//! A recorder is per process, so when one process runs a server and an agent (a test),
//! each `/metrics` shows both; the names tell them apart (`quire_server_…`,
//! `quire_agent_…`).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The path metrics are served at, as Prometheus expects by default.
pub const PATH: &str = "/metrics";

/// Buckets of every `…_seconds` histogram: from a millisecond (a strategy's computing, a
/// small upload) to half a minute (a read that waited out its retries).
pub const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Scrapers served at once; more connections are closed on accept. Prometheus uses one,
/// a few people with `curl` a few more.
const MAX_CONNECTIONS: usize = 8;

/// How long a scraper may take to send its request's head.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one connection may last in all; it serves one request.
const CONNECTION_TIMEOUT: Duration = Duration::from_secs(30);

/// The least time between two refreshes of the values read at scrape time (counts in
/// the database): scrapes in a loop cost one refresh a second, not one each.
const MIN_REFRESH: Duration = Duration::from_secs(1);

/// How often the recorder drains its histograms' samples into their buckets between
/// scrapes, so a process nobody scrapes does not keep every sample.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Brings the values read at scrape time up to date (gauges set from the database or the
/// queue) before they are rendered.
pub type Refresh = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs this process's recorder, once; later calls return the same handle. Until it is
/// installed, what the crates record goes nowhere.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS_BUCKETS)
                .expect("the buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!(
                    "another metrics recorder was installed first; /metrics shows nothing"
                );
            }
            handle
        })
        .clone()
}

/// A running `/metrics` listener; dropping it stops it.
pub struct Endpoint {
    address: SocketAddr,
    tasks: [JoinHandle<()>; 2],
}

impl Endpoint {
    /// The bound address (port 0 in the listen address picks a free one).
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Installs the recorder, then calls `describe` (which names the metrics and sets their
/// first values: before the recorder is installed they would go nowhere), and serves it
/// at `/metrics` on `listener` (bound by the caller, so a taken address is refused in the
/// caller's words, before anything else starts), calling `refresh` before a scrape
/// renders (at most once a second). Each connection serves one request, its head within
/// 5 s and the whole within 30 s; at most 8 are open at once. Any other path is 404, any
/// method but GET and HEAD 405.
pub fn serve(
    listener: tokio::net::TcpListener,
    describe: impl FnOnce(),
    refresh: Refresh,
) -> std::io::Result<Endpoint> {
    let handle = install();
    describe();
    let address = listener.local_addr()?;
    let upkeep = {
        let handle = handle.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(UPKEEP_EVERY);
            loop {
                every.tick().await;
                handle.run_upkeep();
            }
        })
    };
    let scrape = Arc::new(Scrape {
        handle,
        refresh,
        refreshed: Mutex::new(None),
    });
    let accept = tokio::spawn(accept(listener, scrape));
    tracing::info!(%address, "metrics served at http://{address}{PATH}");
    Ok(Endpoint {
        address,
        tasks: [accept, upkeep],
    })
}

/// What a scrape needs: the recorder, and what refreshes it.
struct Scrape {
    handle: PrometheusHandle,
    refresh: Refresh,
    /// When the last refresh began; held while one runs, so scrapes wait for it.
    refreshed: Mutex<Option<Instant>>,
}

impl Scrape {
    async fn render(&self) -> String {
        let mut refreshed = self.refreshed.lock().await;
        if refreshed.is_none_or(|at| at.elapsed() >= MIN_REFRESH) {
            *refreshed = Some(Instant::now());
            (self.refresh)().await;
        }
        drop(refreshed);
        self.handle.render()
    }
}

async fn accept(listener: tokio::net::TcpListener, scrape: Arc<Scrape>) {
    let open = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accepting a metrics connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "metrics connection closed: as many as allowed are open");
            continue;
        };
        let scrape = scrape.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |request| {
                let scrape = scrape.clone();
                async move { Ok::<_, Infallible>(answer(&scrape, request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .keep_alive(false)
                .serve_connection(TokioIo::new(tcp), service);
            match tokio::time::timeout(CONNECTION_TIMEOUT, connection).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::debug!(%peer, %error, "metrics connection failed"),
                Err(_) => tracing::debug!(%peer, "metrics connection closed: too slow"),
            }
        });
    }
}

async fn answer(scrape: &Scrape, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let plain = |status, text: String| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(Full::new(Bytes::from(text)))
            .expect("a valid response")
    };
    if request.uri().path() != PATH {
        return plain(
            StatusCode::NOT_FOUND,
            format!("not found: metrics are served at {PATH}\n"),
        );
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut refused = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{PATH} answers GET only\n"),
        );
        refused
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("GET, HEAD"));
        return refused;
    }
    let text = scrape.render().await;
    Response::builder()
        .header(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )
        .body(Full::new(Bytes::from(text)))
        .expect("a valid response")
}
