//! Live NPAP and HTTP to the one device being read: the host opens every
//! connection itself, to the device's own address, and bounds each exchange in
//! size and time, so a plugin names a port and a path, never a peer.
//!
//! Decisions, with reasons:
//!
//! - **One connection per exchange, no pooling.** A read makes a handful of
//!   exchanges; a fresh connection keeps one exchange's failure (a half-read
//!   body, a device that stopped answering) from leaking into the next.
//! - **Redirects are never followed.** A 3xx goes back to the plugin as it came:
//!   following it would let the device send the host anywhere, and the plugin
//!   can only ever ask for paths on its own device anyway.
//! - **TLS without certificate checks.** Printers ship self-signed certificates
//!   for their own IP address and nobody replaces them; refusing them would make
//!   HTTPS unusable. The handshake signatures are still verified, so the session
//!   is encrypted, only not authenticated: what HTTPS to a printer can offer.
//!   The verifier is `quire-https`'s, the one place that checks certificates.
//!   rustls speaks TLS 1.2 and 1.3 only; a device that offers only TLS 1.0 fails
//!   the handshake with a protocol error.
//! - **NPAP framing is the plugin's.** UDP is one datagram each way. Over TCP
//!   the host cannot know where an answer ends, so it returns what arrived when
//!   the device closes the connection, when the answer has been quiet for
//!   [`NPAP_TCP_QUIET`] after its first bytes, or when the plugin's timeout
//!   passes with some bytes in hand. Waiting for the timeout alone would make
//!   every exchange with a device that keeps the connection open (most do) cost
//!   the whole timeout; an answer split by a longer pause than the quiet gap
//!   comes back short, which the plugin sees from its own length fields.
//! - **Too large is an error, not a truncation.** A cut body parses as
//!   something else; the plugin gets a protocol error naming the cap instead.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Body as _, Bytes};
use hyper::header::{HeaderName, HeaderValue};
use hyper_util::rt::TokioIo;
use quire_snmp::{Oid, Value};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, timeout_at};

use crate::device::{
    DeviceTransport, HttpMethod, HttpRequest, HttpResponse, NpapPort, NpapRequest, SnmpRequest,
    TransportError,
};

/// Default cap on one NPAP answer. NPAP answers are a few hundred bytes; 64 KiB
/// is the most one UDP datagram can carry, so both ports share one cap.
pub const DEFAULT_MAX_NPAP_RESPONSE: usize = 64 << 10;

/// Default cap on one HTTP response body. Status pages of embedded web servers
/// are tens of KiB; 4 MiB leaves room for a large MFP's XML counter dump and
/// still stops a device (or a plugin fetching firmware) from filling the host.
pub const DEFAULT_MAX_HTTP_BODY: usize = 4 << 20;

/// Default bound on one HTTP exchange, connect to last body byte. Embedded web
/// servers are slow, but one that needs more than 10 s for a page is better
/// read on the next cycle than waited for.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a TCP NPAP answer may be quiet after its first bytes before the
/// host takes it as complete (see the module doc). A device on a LAN sends one
/// answer in one burst; a quarter second is long past any gap inside it.
pub const NPAP_TCP_QUIET: Duration = Duration::from_millis(250);

/// Where the device's services listen and how large and slow an exchange may
/// be; builds [`DeviceExchanges`]. The ports are the standard ones except in
/// tests, where peers listen on unprivileged ports.
#[derive(Debug, Clone)]
pub struct DeviceExchangesConfig {
    /// The web server's HTTP port, when the plugin names none.
    pub http_port: u16,
    /// The web server's HTTPS port, when the plugin names none.
    pub https_port: u16,
    /// NPAP over UDP.
    pub npap_udp_port: u16,
    /// NPAP over TCP.
    pub npap_tcp_port: u16,
    /// See [`DEFAULT_HTTP_TIMEOUT`].
    pub http_timeout: Duration,
    /// See [`DEFAULT_MAX_HTTP_BODY`].
    pub max_http_body: usize,
    /// See [`DEFAULT_MAX_NPAP_RESPONSE`].
    pub max_npap_response: usize,
}

impl Default for DeviceExchangesConfig {
    fn default() -> Self {
        DeviceExchangesConfig {
            http_port: 80,
            https_port: 443,
            npap_udp_port: 9300,
            npap_tcp_port: 9500,
            http_timeout: DEFAULT_HTTP_TIMEOUT,
            max_http_body: DEFAULT_MAX_HTTP_BODY,
            max_npap_response: DEFAULT_MAX_NPAP_RESPONSE,
        }
    }
}

/// Live NPAP and HTTP exchanges with one device's address. The SNMP side of a
/// live read is another transport; [`WithExchanges`] joins the two.
#[derive(Clone)]
pub struct DeviceExchanges {
    addr: IpAddr,
    config: DeviceExchangesConfig,
    tls: tokio_rustls::TlsConnector,
}

impl std::fmt::Debug for DeviceExchanges {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceExchanges")
            .field("addr", &self.addr)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl DeviceExchanges {
    /// Exchanges with the device at `addr` only.
    pub fn new(addr: IpAddr, config: DeviceExchangesConfig) -> Self {
        DeviceExchanges {
            addr,
            config,
            tls: tokio_rustls::TlsConnector::from(Arc::new(quire_https::any_certificate_tls())),
        }
    }

    /// The device's address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// One NPAP request and its answer, within `timeout` and the response cap.
    pub async fn npap(&self, request: NpapRequest<'_>) -> Result<Vec<u8>, TransportError> {
        let deadline = Instant::now() + request.timeout;
        let cap = self.config.max_npap_response;
        match request.port {
            NpapPort::Udp9300 => {
                let peer = SocketAddr::new(self.addr, self.config.npap_udp_port);
                npap_udp(peer, request.bytes, deadline, cap).await
            }
            NpapPort::Tcp9500 => {
                let peer = SocketAddr::new(self.addr, self.config.npap_tcp_port);
                npap_tcp(peer, request.bytes, deadline, cap).await
            }
        }
    }

    /// One request to the device's web server; a redirect is returned, not followed.
    pub async fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let port = request.port.unwrap_or(if request.tls {
            self.config.https_port
        } else {
            self.config.http_port
        });
        let peer = SocketAddr::new(self.addr, port);
        let deadline = Instant::now() + self.config.http_timeout;
        let outgoing = outgoing(peer, request)?;
        let exchange = async {
            let stream = TcpStream::connect(peer)
                .await
                .map_err(|e| unreachable(peer, &e))?;
            let cap = self.config.max_http_body;
            if request.tls {
                let stream = self
                    .tls
                    .connect(ServerName::from(self.addr), stream)
                    .await
                    .map_err(|e| {
                        TransportError::Protocol(format!("TLS handshake with {peer}: {e}"))
                    })?;
                http_over(stream, outgoing, peer, cap).await
            } else {
                http_over(stream, outgoing, peer, cap).await
            }
        };
        timeout_at(deadline, exchange)
            .await
            .map_err(|_| TransportError::Timeout)?
    }
}

fn unreachable(peer: SocketAddr, e: &std::io::Error) -> TransportError {
    TransportError::Unreachable(format!("{peer}: {e}"))
}

fn too_large(what: &str, peer: SocketAddr, cap: usize) -> TransportError {
    TransportError::Protocol(format!(
        "{what} from {peer} is larger than the {} cap",
        size(cap)
    ))
}

/// `4 MiB`, `64 KiB`, `300 bytes`: caps as people set them.
fn size(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

async fn npap_udp(
    peer: SocketAddr,
    request: &[u8],
    deadline: Instant,
    cap: usize,
) -> Result<Vec<u8>, TransportError> {
    let local: SocketAddr = match peer.ip() {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| unreachable(peer, &e))?;
    // A connected socket drops datagrams from any other address, so only the
    // device can answer.
    socket
        .connect(peer)
        .await
        .map_err(|e| unreachable(peer, &e))?;
    socket
        .send(request)
        .await
        .map_err(|e| unreachable(peer, &e))?;
    // One byte more than the cap tells an answer at the cap from one past it,
    // which the kernel would otherwise cut silently.
    let mut answer = vec![0; cap.saturating_add(1).min(u16::MAX as usize + 1)];
    let n = timeout_at(deadline, socket.recv(&mut answer))
        .await
        .map_err(|_| TransportError::Timeout)?
        .map_err(|e| unreachable(peer, &e))?;
    if n > cap {
        return Err(too_large("an NPAP answer", peer, cap));
    }
    answer.truncate(n);
    Ok(answer)
}

async fn npap_tcp(
    peer: SocketAddr,
    request: &[u8],
    deadline: Instant,
    cap: usize,
) -> Result<Vec<u8>, TransportError> {
    let mut stream = timeout_at(deadline, TcpStream::connect(peer))
        .await
        .map_err(|_| TransportError::Timeout)?
        .map_err(|e| unreachable(peer, &e))?;
    timeout_at(deadline, stream.write_all(request))
        .await
        .map_err(|_| TransportError::Timeout)?
        .map_err(|e| unreachable(peer, &e))?;
    let mut answer = Vec::new();
    let mut chunk = vec![0; 16 << 10];
    loop {
        let until = if answer.is_empty() {
            deadline
        } else {
            deadline.min(Instant::now() + NPAP_TCP_QUIET)
        };
        match timeout_at(until, stream.read(&mut chunk)).await {
            Err(_) if answer.is_empty() => return Err(TransportError::Timeout),
            Err(_) | Ok(Ok(0)) => return Ok(answer),
            Ok(Ok(n)) => {
                if answer.len() + n > cap {
                    return Err(too_large("an NPAP answer", peer, cap));
                }
                answer.extend_from_slice(&chunk[..n]);
            }
            Ok(Err(e)) => return Err(unreachable(peer, &e)),
        }
    }
}

/// Headers the host sets itself: the message's framing and its target are the
/// host's, so a plugin cannot smuggle a second request or name another host.
const HOST_OWNED_HEADERS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// The request as it goes on the wire. A header or path that is not valid HTTP
/// is the plugin's mistake, so it is denied rather than sent.
fn outgoing(
    peer: SocketAddr,
    request: &HttpRequest,
) -> Result<hyper::Request<Full<Bytes>>, TransportError> {
    let mut out = hyper::Request::new(Full::new(Bytes::from(
        request.body.clone().unwrap_or_default(),
    )));
    *out.method_mut() = match request.method {
        HttpMethod::Get => hyper::Method::GET,
        HttpMethod::Post => hyper::Method::POST,
    };
    *out.uri_mut() = request.path.parse().map_err(|e| {
        TransportError::Denied(format!("{:?} is not a valid path: {e}", request.path))
    })?;
    let headers = out.headers_mut();
    for (name, value) in &request.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| TransportError::Denied(format!("{name:?} is not a header name")))?;
        if HOST_OWNED_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value = HeaderValue::from_str(value).map_err(|_| {
            TransportError::Denied(format!("{value:?} is not a valid value for {name}"))
        })?;
        headers.append(name, value);
    }
    let host = HeaderValue::from_str(&peer.to_string())
        .map_err(|e| TransportError::Denied(format!("{peer} cannot be a Host header: {e}")))?;
    headers.insert(hyper::header::HOST, host);
    Ok(out)
}

/// Aborts the spawned connection driver when the exchange ends or is cancelled
/// by its timeout, so a device that never closes holds no task.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn http_over<S>(
    stream: S,
    request: hyper::Request<Full<Bytes>>,
    peer: SocketAddr,
    cap: usize,
) -> Result<HttpResponse, TransportError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let protocol = |e: hyper::Error| TransportError::Protocol(format!("HTTP from {peer}: {e}"));
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(protocol)?;
    let _driver = AbortOnDrop(tokio::spawn(async move {
        // Its errors reach the exchange through the response or the body.
        let _ = connection.await;
    }));
    let response = sender.send_request(request).await.map_err(protocol)?;
    let (parts, mut body) = response.into_parts();
    if body.size_hint().lower() > cap as u64 {
        return Err(too_large("a response body", peer, cap));
    }
    let mut received = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(protocol)?.into_data() else {
            continue;
        };
        if received.len() + data.len() > cap {
            return Err(too_large("a response body", peer, cap));
        }
        received.extend_from_slice(&data);
    }
    Ok(HttpResponse {
        status: parts.status.as_u16(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: received,
    })
}

/// Any SNMP transport joined with live NPAP and HTTP to the same device: how a
/// live read gets all three imports.
#[derive(Debug)]
pub struct WithExchanges<T> {
    snmp: T,
    exchanges: DeviceExchanges,
}

impl<T: DeviceTransport> WithExchanges<T> {
    /// SNMP through `snmp`; NPAP and HTTP through `exchanges`.
    pub fn new(snmp: T, exchanges: DeviceExchanges) -> Self {
        WithExchanges { snmp, exchanges }
    }
}

#[async_trait]
impl<T: DeviceTransport> DeviceTransport for WithExchanges<T> {
    async fn snmp(&self, request: SnmpRequest<'_>) -> Result<Vec<(Oid, Value)>, TransportError> {
        self.snmp.snmp(request).await
    }

    async fn snmp_each(
        &self,
        request: SnmpRequest<'_>,
        answer: &mut (dyn for<'v> FnMut(&'v Oid, &'v Value) + Send),
    ) -> Result<(), TransportError> {
        self.snmp.snmp_each(request, answer).await
    }

    async fn npap_exchange(&self, request: NpapRequest<'_>) -> Result<Vec<u8>, TransportError> {
        self.exchanges.npap(request).await
    }

    async fn http_send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.exchanges.http(request).await
    }
}
