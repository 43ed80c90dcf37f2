//! One question to many devices: the client side of discovery.
//!
//! Each device gets a [`Session`] over a few [`SharedSockets`], so thousands
//! can be asked at once, and the configured credentials are tried on it in
//! order until one is answered. The question is the caller's (one GETNEXT);
//! the session does the rest as it does for reads: v3 engine discovery,
//! retries, v1 `noSuchName`, and telling a refused user from silence.

use std::net::SocketAddr;

use super::{
    ClientConfig, ClientError, ClientErrorKind, Credentials, PreparedCredentials, Session,
    SharedSockets, Version,
};
use crate::{Oid, Value};

/// IPv4 sockets a sweep shares: several, so a burst of answers is spread over
/// several kernel receive buffers instead of overflowing one.
const V4_SOCKETS: usize = 4;

/// IPv6 sockets a sweep shares (IPv6 ranges are small and rare).
const V6_SOCKETS: usize = 1;

/// The credentials of a sweep and the sockets it asks over.
#[derive(Debug)]
pub struct Sweep {
    sockets: SharedSockets,
    /// In the order given; `None` where the credentials are unusable.
    credentials: Vec<Option<PreparedCredentials>>,
    config: ClientConfig,
}

/// What one device made of a sweep's question.
#[derive(Debug, Clone, PartialEq)]
pub enum Probed {
    /// Answered with these credentials (an index into those the sweep was given).
    Answered {
        /// Which credentials worked.
        credentials: usize,
        /// The answer, in the order asked; what a v1 agent called
        /// `noSuchName` is `endOfMibView`, as in v2.
        varbinds: Vec<(Oid, Value)>,
    },
    /// Its SNMP engine answered but refused every v3 user tried (unknown
    /// user, wrong password): worth a look at the credentials.
    Refused,
    /// No credentials were answered.
    Silent,
    /// It answered, but not with an answer (garbage, an error status, a
    /// message of another version): something else listens there.
    Failed(ClientError),
}

impl Sweep {
    /// A sweep with `credentials`, tried in that order on each device.
    /// Credentials no agent could accept are logged and skipped, so they cost
    /// nothing; a v3 user's passwords are hashed here, once.
    pub async fn new(credentials: &[Credentials], config: ClientConfig) -> Sweep {
        let credentials = credentials
            .iter()
            .enumerate()
            .map(|(i, c)| match PreparedCredentials::new(c.clone()) {
                Ok(prepared) => Some(prepared),
                Err(e) => {
                    tracing::warn!(credentials = i, error = %e, "the sweep skips unusable credentials");
                    None
                }
            })
            .collect();
        Sweep {
            sockets: SharedSockets::bind(V4_SOCKETS, V6_SOCKETS).await,
            credentials,
            config,
        }
    }

    /// A GETNEXT of `oids` to `address`, with each usable credentials in turn
    /// until one is answered. An engine that never answered a v3 user's
    /// discovery is not asked with the next v3 user: it would not answer
    /// that one either.
    pub async fn get_next(&self, address: SocketAddr, oids: &[Oid]) -> Probed {
        let mut refused = false;
        let mut engine_silent = false;
        for (index, prepared) in self.credentials.iter().enumerate() {
            let Some(prepared) = prepared else {
                continue;
            };
            let v3 = prepared.credentials().version() == Version::V3;
            if v3 && engine_silent {
                continue;
            }
            let answered = match Session::shared(
                &self.sockets,
                address,
                prepared.clone(),
                self.config.clone(),
            ) {
                Ok(session) => session.get_next(oids).await,
                Err(e) => Err(e),
            };
            let e = match answered {
                Ok(varbinds) => {
                    return Probed::Answered {
                        credentials: index,
                        varbinds,
                    };
                }
                Err(e) => e,
            };
            tracing::debug!(device = %address, credentials = index, error = %e, "sweep question not answered");
            match e.kind {
                ClientErrorKind::Timeout { .. } | ClientErrorKind::Unreachable(_) => {
                    engine_silent |= v3;
                }
                ClientErrorKind::Authentication(_) | ClientErrorKind::Credentials(_) => {
                    refused = true;
                }
                _ => return Probed::Failed(e),
            }
        }
        if refused {
            Probed::Refused
        } else {
            Probed::Silent
        }
    }
}
