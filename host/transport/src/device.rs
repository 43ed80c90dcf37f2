//! How a reader reaches its device: a [`DeviceTransport`] scoped to one
//! device, so a strategy (or the host's IPP reader) can only ever name OIDs,
//! ports and paths, never addresses.
//!
//! The plugin sandbox checks every request before it reaches the transport
//! (varbind caps, paths without a host), so a transport only has to talk to
//! its device.

use std::time::Duration;

use async_trait::async_trait;
use quire_snmp::{Oid, Value};

/// Why an exchange with the device failed, as the plugin sees it (WIT `transport-error`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The device did not answer in time.
    #[error("timed out")]
    Timeout,
    /// The device could not be reached.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The device answered with something malformed.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The host refused the request: the plugin asked for something it may not have.
    #[error("denied: {0}")]
    Denied(String),
    /// Replay: the recording holds no answer for this request.
    #[error("not recorded: {0}")]
    NotRecorded(String),
}

/// NPAP's ports, HTTP's methods and the device's HTTP answer are the exchange
/// log's own plain types, so what the host exchanges is what its log records
/// (see `exchange_log`).
pub use quire_plugins_sdk::exchange_log::{
    Method as HttpMethod, Port as NpapPort, Response as HttpResponse,
};

/// A request to the device's own web server. `path` has been checked to be a
/// path (starting with one `/`), never a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// GET or POST.
    pub method: HttpMethod,
    /// HTTPS when true (certificates unchecked: printers ship self-signed ones).
    pub tls: bool,
    /// The port, defaulting to 80 / 443.
    pub port: Option<u16>,
    /// Absolute path with query.
    pub path: String,
    /// Request headers.
    pub headers: Vec<(String, String)>,
    /// Request body.
    pub body: Option<Vec<u8>>,
}

impl HttpRequest {
    /// A GET of `path` over plain HTTP on the default port, with no headers
    /// and no body: the plain page request strategies make, as the SDK's
    /// `HttpRequest::get` writes it.
    pub fn get(path: &str) -> HttpRequest {
        HttpRequest {
            method: HttpMethod::Get,
            tls: false,
            port: None,
            path: path.into(),
            headers: Vec::new(),
            body: None,
        }
    }
}

/// An SNMP request is the SNMP client's own, as an HTTP one is [`HttpRequest`]:
/// what [`DeviceTransport::snmp`] takes.
pub use quire_snmp::client::Request as SnmpRequest;

/// One NPAP exchange: the bytes to send, the port they go to, and how long
/// the answer may take. One value, as [`SnmpRequest`] is, so every transport
/// passes it on whole.
#[derive(Clone, Copy, Debug)]
pub struct NpapRequest<'a> {
    /// UDP 9300 or TCP 9500.
    pub port: NpapPort,
    /// The request as the strategy wrote it.
    pub bytes: &'a [u8],
    /// How long the device may take to answer.
    pub timeout: Duration,
}

/// The device one plugin call may talk to. Live SNMP, a recording and a test
/// harness implement it; the plugin cannot tell them apart.
///
/// NPAP and HTTP default to "not recorded", so an SNMP-only transport needs
/// only [`DeviceTransport::snmp`].
#[async_trait]
pub trait DeviceTransport: Send + Sync {
    /// One SNMP request; the varbinds answered, in order.
    async fn snmp(&self, request: SnmpRequest<'_>) -> Result<Vec<(Oid, Value)>, TransportError>;

    /// One SNMP request whose varbinds are lent to `answer`, in order, once the
    /// whole answer is in; on failure none is. By default [`DeviceTransport::snmp`]'s
    /// answer is lent. A transport that already holds its answers (a recording)
    /// lends them instead, so a walk the host makes for a plugin copies only
    /// what it hands over; a wrapper that only passes requests on passes this
    /// on too.
    async fn snmp_each(
        &self,
        request: SnmpRequest<'_>,
        answer: &mut (dyn for<'v> FnMut(&'v Oid, &'v Value) + Send),
    ) -> Result<(), TransportError> {
        for (oid, value) in self.snmp(request).await? {
            answer(&oid, &value);
        }
        Ok(())
    }

    /// One NPAP request/response exchange.
    async fn npap_exchange(&self, request: NpapRequest<'_>) -> Result<Vec<u8>, TransportError> {
        let _ = request;
        Err(TransportError::NotRecorded(
            "this device's session has no NPAP exchanges".into(),
        ))
    }

    /// One request to the device's embedded web server.
    async fn http_send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let _ = request;
        Err(TransportError::NotRecorded(
            "this device's session has no HTTP exchanges".into(),
        ))
    }
}

/// A transport that denies every request: what a plugin call without a device
/// (`describe`, `map-error`) gets, so a plugin cannot reach anything while it
/// describes itself, and the SNMP side of a device read without SNMP (an IPP
/// printer: `WithExchanges::new(NoDevice, exchanges)`).
#[derive(Debug, Clone, Copy)]
pub struct NoDevice;

#[async_trait]
impl DeviceTransport for NoDevice {
    async fn snmp(&self, _: SnmpRequest<'_>) -> Result<Vec<(Oid, Value)>, TransportError> {
        Err(TransportError::Denied("this call has no device".into()))
    }
}
