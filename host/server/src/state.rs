//! What every handler shares: the store, the certificate and key agents pin, the strategy
//! depot.

use std::collections::BTreeSet;
use std::sync::Arc;

use quire_store::Store;

use crate::depot::Depot;
use crate::logins::{LoginLimits, Logins};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub(crate) store: Store,
    pub(crate) certificate_sha256: Arc<str>,
    pub(crate) key_sha256: Arc<str>,
    pub(crate) depot: Depot,
    /// Whether an SMTP server is configured: ASM's preconditions report it.
    pub(crate) smtp_enabled: bool,
    /// The action plugins the server runs of its own (built in or from files); the
    /// depot's published ones come on top.
    pub(crate) actions: Arc<BTreeSet<String>>,
    /// The login throttle and the password checks' bound.
    pub(crate) logins: Arc<Logins>,
    /// How far ahead of the server's clock a reading may be dated before it is refused.
    pub(crate) future_tolerance: chrono::Duration,
}

/// A day: an agent's clock that far ahead is wrong, not merely drifting.
pub(crate) const DEFAULT_FUTURE_TOLERANCE: std::time::Duration =
    std::time::Duration::from_secs(24 * 3600);

impl AppState {
    /// State over an open store, answering agents with the fingerprints of this
    /// certificate and its key and handing out the strategies of `depot`.
    pub fn new(
        store: Store,
        (certificate_sha256, key_sha256): (&str, &str),
        depot: Depot,
    ) -> AppState {
        AppState {
            store,
            certificate_sha256: certificate_sha256.into(),
            key_sha256: key_sha256.into(),
            depot,
            smtp_enabled: false,
            actions: Arc::default(),
            logins: Arc::new(Logins::new(LoginLimits::default())),
            future_tolerance: chrono::Duration::from_std(DEFAULT_FUTURE_TOLERANCE)
                .expect("a day is a valid duration"),
        }
    }

    /// The same state, saying whether an SMTP server is configured.
    pub fn with_smtp(self, smtp_enabled: bool) -> AppState {
        AppState {
            smtp_enabled,
            ..self
        }
    }

    /// The same state, refusing readings dated more than `tolerance` ahead of the clock.
    pub fn with_future_tolerance(self, tolerance: std::time::Duration) -> AppState {
        AppState {
            future_tolerance: chrono::Duration::from_std(tolerance)
                .unwrap_or(chrono::Duration::MAX),
            ..self
        }
    }

    /// The same state, knowing the action plugins the server runs of its own, so an
    /// alert definition naming one it runs neither of these nor a published one is
    /// refused.
    pub fn with_actions<'a>(self, names: impl IntoIterator<Item = &'a str>) -> AppState {
        AppState {
            actions: Arc::new(names.into_iter().map(str::to_owned).collect()),
            ..self
        }
    }

    /// The same state, throttling logins and bounding password checks by `limits`.
    pub fn with_logins(self, limits: LoginLimits) -> AppState {
        AppState {
            logins: Arc::new(Logins::new(limits)),
            ..self
        }
    }
}
