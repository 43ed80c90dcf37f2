//! The SNMP client: v1, v2c and v3 (USM) over UDP on tokio.
//!
//! Built on the crate's own BER/SNMP codec and USM ([`crate::wire`], the
//! same code the fleet simulator answers with), plus what a client needs on
//! top: one UDP socket per [`Session`] connected to the device (or a few
//! [`SharedSockets`] for a [`Sweep`] of thousands of devices), request-ids
//! from a counter, timeouts and retries with backoff, a receive loop that
//! discards stale answers and garbage instead of failing on them, walks that
//! fall back to GETNEXT, v1 `noSuchName` turned into v2 exceptions, v3 engine
//! discovery and time synchronisation, credential sets, and errors that name
//! the device and say what to fix.
//!
//! Why our own codec rather than the `snmp2` crate this module first used:
//! snmp2's v3 decoder zeroed the digest in the received buffer through a
//! shared reference (undefined behaviour); it reported every USM report as
//! one "not authenticated", so a wrong password, an unknown user and a
//! forbidden security level all read the same (here each usmStats report has
//! its own message); it sent one OID per GETNEXT, a round trip per OID; and
//! it could not keep listening past an answer with the wrong request-id, so
//! every stale answer cost a new socket and, in v3, a new engine discovery.

mod credentials;
mod error;
mod session;
mod shared;
mod sweep;
mod walk;

use std::time::Duration;

pub use credentials::{
    AuthProtocol, CredentialSet, Credentials, MIN_V3_PASSWORD_LEN, PrivProtocol, V3User, Version,
};
pub use error::{ClientError, ClientErrorKind};
pub use session::{PreparedCredentials, Request, Session};
pub use shared::SharedSockets;
pub use sweep::{Probed, Sweep};

/// The receive buffer: the largest UDP payload, and one byte more to notice
/// a datagram that was cut.
const RECEIVE_BUFFER: usize = 65536;

/// How patient and how greedy a [`Session`] is.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// How long the first attempt of a request waits for its answer.
    pub timeout: Duration,
    /// Attempts after the first, each with a new request-id on the same
    /// socket (a late answer to an earlier attempt is still taken).
    pub retries: u32,
    /// Each retry waits this many times longer than the attempt before it
    /// (values below 1 count as 1), so a device that is merely slow gets time.
    pub backoff: f64,
    /// Varbinds per GET PDU: larger GETs are split, so no answer outgrows a
    /// printer's buffer (`tooBig`).
    pub max_varbinds: usize,
    /// max-repetitions of the GETBULKs a walk sends.
    pub max_repetitions: u32,
}

impl ClientConfig {
    /// How long attempt `attempt` (0 the first) of a request waits for its
    /// answer: [`ClientConfig::timeout`], longer by [`ClientConfig::backoff`]
    /// each time, so a session and a sweep retry alike.
    pub(crate) fn wait(&self, attempt: u32) -> Duration {
        let backoff = if self.backoff.is_finite() {
            self.backoff.max(1.0)
        } else {
            1.0
        };
        let factor = backoff.powi(i32::try_from(attempt).unwrap_or(i32::MAX));
        Duration::try_from_secs_f64(self.timeout.as_secs_f64() * factor)
            .unwrap_or(Duration::from_secs(86_400))
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            timeout: session::DEFAULT_TIMEOUT,
            retries: 2,
            backoff: 2.0,
            max_varbinds: 32,
            max_repetitions: 24,
        }
    }
}
