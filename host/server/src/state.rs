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
}

impl AppState {
    /// State over an open store, answering agents with this certificate fingerprint and
    /// handing out the strategies of `depot`.
    pub fn new(store: Store, certificate_sha256: &str, depot: Depot) -> AppState {
        AppState {
            store,
            certificate_sha256: certificate_sha256.into(),
            depot,
        }
    }
}
