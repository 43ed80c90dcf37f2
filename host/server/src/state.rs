//! What every handler shares: the store, the certificate agents pin, the strategy depot.

use std::sync::Arc;

use quire_store::Store;

use crate::depot::Depot;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Store,
    pub(crate) certificate_sha256: Arc<str>,
    pub(crate) depot: Depot,
    /// Whether an SMTP server is configured: ASM's preconditions report it.
    pub(crate) smtp_enabled: bool,
}

impl AppState {
    /// State over an open store, answering agents with this certificate fingerprint and
    /// handing out the strategies of `depot`.
    pub fn new(store: Store, certificate_sha256: &str, depot: Depot) -> AppState {
        AppState {
            store,
            certificate_sha256: certificate_sha256.into(),
            depot,
            smtp_enabled: false,
        }
    }

    /// The same state, saying whether an SMTP server is configured.
    pub fn with_smtp(self, smtp_enabled: bool) -> AppState {
        AppState {
            smtp_enabled,
            ..self
        }
    }
}
