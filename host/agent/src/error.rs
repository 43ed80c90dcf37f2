//! Why one device could not be read. Typed, so a cycle's report tells a printer that
//! is off from credentials it refuses and from a strategy that failed on it, and the
//! rest of the sweep goes on either way.

use std::net::{IpAddr, SocketAddr};

use quire_plugins::PluginError;
use quire_snmp::client::ClientError;
use quire_transport::TransportError;

/// Why a read of one device failed. Every message names the device.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The site configures no SNMP credentials to ask with.
    #[error("{address}: no SNMP credentials are configured")]
    NoCredentials {
        /// The device.
        address: SocketAddr,
    },
    /// No credentials were answered: the last one's failure (silence, an
    /// unreachable address, a refused v3 user).
    #[error(transparent)]
    Snmp(ClientError),
    /// The device answered its credentials but not the objects that identify it.
    #[error("{address}: cannot identify the device: {source}")]
    Identify {
        /// The device.
        address: IpAddr,
        /// What the transport said.
        source: TransportError,
    },
    /// No strategy takes the device, or the one chosen failed or was stopped.
    #[error("{address}: {source}")]
    Strategy {
        /// The device.
        address: IpAddr,
        /// What the plugin host said.
        source: PluginError,
    },
    /// An IPP printer or CUPS server could not be read; the message names its URI.
    #[error("{0}")]
    Ipp(String),
    /// The read's task ended without an answer (a panic: a bug, logged).
    #[error("{address}: the read stopped unexpectedly: {reason}")]
    Aborted {
        /// The device.
        address: IpAddr,
        /// The runtime's account of it.
        reason: String,
    },
}
