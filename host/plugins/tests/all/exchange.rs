//! NPAP and HTTP through the host, against real peers on loopback: a web
//! server and NPAP sockets started here, each test on its own 127.61.x.1
//! address. A strategy (the `ews` guest) reads through the live transport,
//! the caps hold, and a recorded read replays with the peers gone.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use quire_model::{Cycle, Reading};
use quire_plugins::{Plugin, PluginError};
use quire_snmp::Recording;
use quire_transport::{
    DeviceExchanges, DeviceExchangesConfig, DeviceTransport, ExchangeLog, ExchangeRecorder,
    HttpRequest, NpapPort, NpapRequest, ReplayTransport, TransportError, WithExchanges,
    exchanges_beside,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

use crate::{guest, host, recording};

/// What the device's web server answers on every path.
#[derive(Clone)]
enum Page {
    /// 200 with this text.
    Text(&'static str),
    /// 200 with this many bytes.
    Huge(usize),
    /// 200 after this long.
    Slow(Duration),
    /// 302 to this URL.
    Redirect(String),
}

/// A peer listening on loopback, stopped when dropped; counts what reached it.
struct Peer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn web_server(ip: &str, page: Page) -> Peer {
    serve(ip, page, None).await
}

/// A web server on HTTPS with a self-signed certificate for `ip`, as printers ship.
async fn self_signed_web_server(ip: &str, page: Page) -> Peer {
    let certified = rcgen::generate_simple_self_signed(vec![ip.to_owned()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    serve(
        ip,
        page,
        Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))),
    )
    .await
}

async fn serve(ip: &str, page: Page, tls: Option<tokio_rustls::TlsAcceptor>) -> Peer {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        while let Ok((stream, _)) = listener.accept().await {
            let page = page.clone();
            let counted = counted.clone();
            let service = hyper::service::service_fn(move |_request| {
                counted.fetch_add(1, Ordering::SeqCst);
                let page = page.clone();
                async move {
                    let response = match page {
                        Page::Text(text) => hyper::Response::new(Full::new(Bytes::from(text))),
                        Page::Huge(len) => {
                            hyper::Response::new(Full::new(Bytes::from(vec![b'x'; len])))
                        }
                        Page::Slow(delay) => {
                            tokio::time::sleep(delay).await;
                            hyper::Response::new(Full::new(Bytes::from("total=1\n")))
                        }
                        Page::Redirect(to) => hyper::Response::builder()
                            .status(302)
                            .header("location", to)
                            .body(Full::new(Bytes::new()))
                            .unwrap(),
                    };
                    Ok::<_, Infallible>(response)
                }
            });
            let tls = tls.clone();
            connections.spawn(async move {
                let http = hyper::server::conn::http1::Builder::new();
                // A failed handshake or connection is the client's to report.
                let _ = match tls {
                    Some(tls) => match tls.accept(stream).await {
                        Ok(stream) => http.serve_connection(TokioIo::new(stream), service).await,
                        Err(_) => return,
                    },
                    None => http.serve_connection(TokioIo::new(stream), service).await,
                };
            });
        }
    });
    Peer { addr, hits, task }
}

/// An NPAP peer on UDP that answers `SERIAL?` with `answer`, and nothing else.
async fn npap_udp_peer(ip: &str, answer: &'static [u8]) -> Peer {
    let socket = UdpSocket::bind((ip, 0)).await.unwrap();
    let addr = socket.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let task = tokio::spawn(async move {
        let mut buf = [0; 1500];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            counted.fetch_add(1, Ordering::SeqCst);
            if &buf[..n] == b"SERIAL?" {
                let _ = socket.send_to(answer, from).await;
            }
        }
    });
    Peer { addr, hits, task }
}

/// A one-byte NPAP query to TCP 9500, allowed a second.
const TCP_QUERY: NpapRequest<'static> = NpapRequest {
    port: NpapPort::Tcp9500,
    bytes: b"Q",
    timeout: Duration::from_secs(1),
};

/// An NPAP peer on TCP that reads one request, writes `chunks` with `pause`
/// between them, then closes or, like most devices, keeps the connection open.
async fn npap_tcp_peer(ip: &str, chunks: Vec<Vec<u8>>, pause: Duration, close: bool) -> Peer {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let task = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut request = [0; 64];
            let _ = stream.read(&mut request).await;
            for chunk in &chunks {
                let _ = stream.write_all(chunk).await;
                tokio::time::sleep(pause).await;
            }
            if close {
                drop(stream);
            } else {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }
    });
    Peer { addr, hits, task }
}

/// The device at `ip`, its services on the ports the peers got.
fn exchanges(ip: &str, web: Option<&Peer>, npap: Option<&Peer>) -> DeviceExchanges {
    let mut config = DeviceExchangesConfig::default();
    if let Some(web) = web {
        config.http_port = web.addr.port();
    }
    if let Some(npap) = npap {
        config.npap_udp_port = npap.addr.port();
        config.npap_tcp_port = npap.addr.port();
    }
    DeviceExchanges::new(ip.parse::<IpAddr>().unwrap(), config)
}

async fn ews() -> Plugin {
    host().load(&guest("quire_guest_ews")).await.unwrap()
}

fn live(exchanges: DeviceExchanges) -> Arc<dyn DeviceTransport> {
    Arc::new(WithExchanges::new(
        ReplayTransport::new(Arc::new(recording("ews"))),
        exchanges,
    ))
}

async fn collect(
    plugin: &Plugin,
    device: Arc<dyn DeviceTransport>,
) -> Result<Reading, PluginError> {
    plugin.collect(device, Cycle::MetersAndSupplies).await
}

fn get(path: &str) -> HttpRequest {
    HttpRequest::get(path)
}

#[tokio::test]
async fn a_strategy_reads_the_web_page_and_npap_of_a_live_device() {
    let ip = "127.61.1.1";
    let web = web_server(ip, Page::Text("model=X1\ntotal=1234\n")).await;
    let npap = npap_udp_peer(ip, b"ZZ12345").await;
    let reading = collect(&ews().await, live(exchanges(ip, Some(&web), Some(&npap))))
        .await
        .unwrap();
    assert_eq!(reading.counters.get("total"), Some(&1234));
    assert_eq!(reading.identity.serial.as_deref(), Some("ZZ12345"));
    assert_eq!(web.hits.load(Ordering::SeqCst), 1);
    assert_eq!(npap.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_body_past_the_cap_is_refused_with_the_cap_named() {
    let ip = "127.61.2.1";
    let web = web_server(ip, Page::Huge(10 << 20)).await;
    let err = collect(&ews().await, live(exchanges(ip, Some(&web), None)))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&format!(
            "a response body from {} is larger than the 4 MiB cap",
            web.addr
        )),
        "{message}"
    );
}

#[tokio::test]
async fn a_slow_web_server_hits_the_timeout() {
    let ip = "127.61.3.1";
    let web = web_server(ip, Page::Slow(Duration::from_secs(20))).await;
    let config = DeviceExchangesConfig {
        http_timeout: Duration::from_millis(300),
        http_port: web.addr.port(),
        ..DeviceExchangesConfig::default()
    };
    let device = DeviceExchanges::new(web.addr.ip(), config);
    let asked = Instant::now();
    let err = collect(&ews().await, live(device)).await.unwrap_err();
    // The server would answer after 20 s; ending well before proves the timeout cut it
    // short, with room for a machine busy compiling.
    assert!(
        asked.elapsed() < Duration::from_secs(15),
        "{:?}",
        asked.elapsed()
    );
    assert!(
        err.to_string()
            .contains("GET /counters: TransportError::Timeout"),
        "{err}"
    );
}

#[tokio::test]
async fn a_redirect_to_another_host_reaches_the_plugin_and_is_not_followed() {
    let ip = "127.61.4.1";
    let elsewhere = web_server("127.61.4.2", Page::Text("total=99\n")).await;
    let web = web_server(
        ip,
        Page::Redirect(format!("http://{}/counters", elsewhere.addr)),
    )
    .await;
    let device = exchanges(ip, Some(&web), None);
    let response = device.http(&get("/counters")).await.unwrap();
    assert_eq!(response.status, 302);
    assert!(response.headers.contains(&(
        "location".into(),
        format!("http://{}/counters", elsewhere.addr)
    )));
    let err = collect(&ews().await, live(device)).await.unwrap_err();
    assert!(
        err.to_string().contains("GET /counters answered 302"),
        "{err}"
    );
    assert_eq!(elsewhere.hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_recorded_read_replays_the_same_with_the_device_gone() {
    let ip = "127.61.5.1";
    let web = web_server(ip, Page::Text("total=1234\n")).await;
    let npap = npap_udp_peer(ip, b"ZZ12345").await;
    let dir = tempfile::tempdir().unwrap();
    let snmprec = dir.path().join("printer.snmprec");
    std::fs::write(&snmprec, recording("ews").to_snmprec()).unwrap();

    let plugin = ews().await;
    let recorder = Arc::new(ExchangeRecorder::new(WithExchanges::new(
        ReplayTransport::new(Arc::new(recording("ews"))),
        exchanges(ip, Some(&web), Some(&npap)),
    )));
    let live_reading = collect(&plugin, recorder.clone()).await.unwrap();
    let log_file = exchanges_beside(&snmprec);
    recorder.log().save(&log_file).unwrap();
    let text = std::fs::read_to_string(&log_file).unwrap();
    let kinds: Vec<_> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["kind"].clone())
        .collect();
    assert_eq!(kinds, ["http", "npap"]);

    let device = exchanges(ip, Some(&web), Some(&npap));
    drop((web, npap));
    assert!(
        collect(&plugin, live(device)).await.is_err(),
        "the peers are stopped"
    );

    let loaded = ExchangeLog::load_lenient(&log_file).unwrap();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let replay = ReplayTransport::with_exchanges(
        Arc::new(Recording::load(&snmprec).unwrap()),
        Arc::new(loaded.log),
    );
    let replayed = collect(&plugin, Arc::new(replay)).await.unwrap();
    assert_eq!(replayed, live_reading);
}

#[tokio::test]
async fn replay_without_the_exchange_names_what_was_asked() {
    let replay = ReplayTransport::with_exchanges(
        Arc::new(recording("ews")),
        Arc::new(ExchangeLog::default()),
    );
    let err = collect(&ews().await, Arc::new(replay)).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("no HTTP exchange for GET /counters"),
        "{err}"
    );
}

#[tokio::test]
async fn tcp_npap_returns_the_answer_when_the_device_goes_quiet() {
    let ip = "127.61.6.1";
    let peer = npap_tcp_peer(
        ip,
        vec![b"ANS".to_vec(), b"WER".to_vec()],
        Duration::from_millis(20),
        false,
    )
    .await;
    let device = exchanges(ip, None, Some(&peer));
    let asked = Instant::now();
    let answer = device.npap(TCP_QUERY).await.unwrap();
    assert_eq!(answer, b"ANSWER");
    assert!(
        asked.elapsed() < Duration::from_millis(900),
        "{:?}",
        asked.elapsed()
    );
}

#[tokio::test]
async fn tcp_npap_returns_the_answer_when_the_device_closes() {
    let ip = "127.61.7.1";
    let peer = npap_tcp_peer(ip, vec![b"DONE".to_vec()], Duration::ZERO, true).await;
    let device = exchanges(ip, None, Some(&peer));
    let answer = device.npap(TCP_QUERY).await.unwrap();
    assert_eq!(answer, b"DONE");
}

#[tokio::test]
async fn an_npap_answer_past_the_cap_is_refused() {
    let ip = "127.61.8.1";
    let peer = npap_tcp_peer(ip, vec![vec![0; 100 << 10]], Duration::ZERO, true).await;
    let device = exchanges(ip, None, Some(&peer));
    let err = device.npap(TCP_QUERY).await.unwrap_err();
    assert_eq!(
        err,
        TransportError::Protocol(format!(
            "an NPAP answer from {} is larger than the 64 KiB cap",
            peer.addr
        ))
    );
}

#[tokio::test]
async fn a_silent_npap_device_times_out() {
    let ip = "127.61.9.1";
    let peer = npap_udp_peer(ip, b"never asked").await;
    let device = exchanges(ip, None, Some(&peer));
    let err = device
        .npap(NpapRequest {
            port: NpapPort::Udp9300,
            bytes: b"STATUS?",
            timeout: Duration::from_millis(200),
        })
        .await
        .unwrap_err();
    assert_eq!(err, TransportError::Timeout);
    assert_eq!(peer.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn https_accepts_the_printers_self_signed_certificate() {
    let ip = "127.61.10.1";
    let web = self_signed_web_server(ip, Page::Text("total=77\n")).await;
    let device = DeviceExchanges::new(
        web.addr.ip(),
        DeviceExchangesConfig {
            https_port: web.addr.port(),
            ..DeviceExchangesConfig::default()
        },
    );
    let response = device
        .http(&HttpRequest {
            tls: true,
            ..get("/counters")
        })
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body, b"total=77\n");
    assert_eq!(web.hits.load(Ordering::SeqCst), 1);
}
