//! Device I/O for Quire: everything that talks to a printer, or answers in its
//! place.
//!
//! A reader (a strategy in the plugin sandbox, or the host's own IPP reader)
//! sees one device through a [`DeviceTransport`]: SNMP through the SNMP
//! client's [`Session`](quire_snmp::client::Session) ([`LiveTransport`]), NPAP
//! and HTTP (IPP travels as HTTP POSTs) through bounded connections to the
//! device's own address ([`DeviceExchanges`]), joined by [`WithExchanges`].
//! Every exchange can be recorded ([`RecordingTransport`] for SNMP,
//! [`ExchangeRecorder`] for the rest, kept as an [`ExchangeLog`]) and replayed
//! ([`ReplayTransport`]), so the same reader runs live, in replay and on the
//! server.
//!
//! It does not own the SNMP wire format or client (`quire-snmp`), what the
//! answers mean (strategies, `quire-ipp`) or the sandbox (`quire-plugins`).

mod device;
mod exchange;
mod exchange_log;
mod live;
mod replay;

pub use device::{
    DeviceTransport, HttpMethod, HttpRequest, HttpResponse, NoDevice, NpapPort, NpapRequest,
    SnmpRequest, TransportError,
};
pub use exchange::{
    DEFAULT_HTTP_TIMEOUT, DEFAULT_MAX_HTTP_BODY, DEFAULT_MAX_NPAP_RESPONSE, DeviceExchanges,
    DeviceExchangesConfig, NPAP_TCP_QUIET, WithExchanges,
};
pub use exchange_log::{
    ExchangeLog, ExchangeLogError, ExchangeRecorder, LoadedExchangeLog, exchanges_beside,
};
pub use live::{LiveTransport, RecordingTransport};
/// One exchange as the log keeps it (the SDK's, see `exchange_log`).
pub use quire_plugins_sdk::exchange_log::Exchange;
pub use replay::ReplayTransport;
