use std::fmt;
use std::net::SocketAddr;

/// A request to a device that failed, naming the device.
///
/// Kept beside the client rather than in the crate's `error.rs` because the
/// recording errors there are about files and lines, these about addresses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ClientError {
    /// The device's address.
    pub address: SocketAddr,
    /// What went wrong.
    pub kind: ClientErrorKind,
}

impl ClientError {
    pub(crate) fn new(address: SocketAddr, kind: ClientErrorKind) -> Self {
        ClientError { address, kind }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.address, self.kind)
    }
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientErrorKind {
    /// No answer after every attempt.
    #[error("no answer after {attempts} attempt(s) (timed out)")]
    Timeout {
        /// Requests sent, the first plus retries.
        attempts: u32,
    },
    /// The address refused the packets (ICMP port unreachable) or the socket failed.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The agent refused the v3 user: a USM report or a failed digest.
    #[error("authentication failed: {0}")]
    Authentication(String),
    /// The credentials cannot be used at all (checked before sending).
    #[error("bad credentials: {0}")]
    Credentials(String),
    /// The agent answered with an error status (RFC 3416), 1-based index.
    #[error("the agent answered {name} (error-status {status}) at varbind {index}")]
    ErrorStatus {
        /// error-status.
        status: u32,
        /// Its RFC 3416 name.
        name: &'static str,
        /// error-index.
        index: u32,
    },
    /// The answer is not a well-formed response to the request.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// Something Quire was asked to send cannot be encoded (an OID SNMP cannot carry).
    #[error("cannot encode the request: {0}")]
    Encode(String),
}

/// RFC 3416 error-status names, so messages say `noSuchName` rather than 2.
pub(crate) fn status_name(status: u32) -> &'static str {
    match status {
        0 => "noError",
        1 => "tooBig",
        2 => "noSuchName",
        3 => "badValue",
        4 => "readOnly",
        5 => "genErr",
        6 => "noAccess",
        7 => "wrongType",
        8 => "wrongLength",
        9 => "wrongEncoding",
        10 => "wrongValue",
        11 => "noCreation",
        12 => "inconsistentValue",
        13 => "resourceUnavailable",
        14 => "commitFailed",
        15 => "undoFailed",
        16 => "authorizationError",
        17 => "notWritable",
        18 => "inconsistentName",
        _ => "an unknown error-status",
    }
}
