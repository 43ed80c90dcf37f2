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

/// Lexmark NPAP's two ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NpapPort {
    /// UDP 9300.
    Udp9300,
    /// TCP 9500.
    Tcp9500,
}

/// The HTTP methods a plugin may use on the device's embedded web server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
}

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

/// The device's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Response body.
    pub body: Vec<u8>,
}

/// The device one plugin call may talk to. Live SNMP, a recording and a test
/// harness implement it; the plugin cannot tell them apart.
///
/// NPAP and HTTP default to "not recorded", so an SNMP-only transport needs
/// only the three SNMP operations.
#[async_trait]
pub trait DeviceTransport: Send + Sync {
    /// SNMP GET.
    async fn snmp_get(&self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>, TransportError>;

    /// SNMP GETNEXT.
    async fn snmp_get_next(&self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>, TransportError>;

    /// SNMP GETBULK (RFC 3416 4.2.3).
    async fn snmp_get_bulk(
        &self,
        non_repeaters: usize,
        max_repetitions: usize,
        oids: &[Oid],
    ) -> Result<Vec<(Oid, Value)>, TransportError>;

    /// One NPAP request/response exchange.
    async fn npap_exchange(
        &self,
        port: NpapPort,
        request: &[u8],
        timeout: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        let _ = (port, request, timeout);
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
    async fn snmp_get(&self, _: &[Oid]) -> Result<Vec<(Oid, Value)>, TransportError> {
        Err(no_device())
    }

    async fn snmp_get_next(&self, _: &[Oid]) -> Result<Vec<(Oid, Value)>, TransportError> {
        Err(no_device())
    }

    async fn snmp_get_bulk(
        &self,
        _: usize,
        _: usize,
        _: &[Oid],
    ) -> Result<Vec<(Oid, Value)>, TransportError> {
        Err(no_device())
    }
}

fn no_device() -> TransportError {
    TransportError::Denied("this call has no device".into())
}
