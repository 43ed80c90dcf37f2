//! The retry schedule the server's outbound queues share: e-mails in the outbox and
//! webhook deliveries wait the same way after a failed attempt, so an operator learns
//! one schedule.

use std::time::Duration;

/// Attempts before a queued item is given up, unless configured.
pub(crate) const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// The waits after the first failed attempt, the second, …, the last repeating: 1 min,
/// 5 min, 15 min, 1 h, then every 4 h; with [`DEFAULT_MAX_ATTEMPTS`] about 17 hours,
/// long enough to outlast a relay's or a receiver's maintenance night.
pub(crate) fn default_backoff() -> Vec<Duration> {
    [1, 5, 15, 60, 240]
        .into_iter()
        .map(|minutes| Duration::from_secs(60 * minutes))
        .collect()
}

/// The wait after an item's `attempts`-th failed attempt (from 1) on `backoff`, the last
/// wait repeating; `otherwise` where no wait is configured.
pub(crate) fn wait_after(backoff: &[Duration], attempts: u32, otherwise: Duration) -> Duration {
    let index = usize::try_from(attempts.saturating_sub(1)).unwrap_or(usize::MAX);
    backoff
        .get(index)
        .or(backoff.last())
        .copied()
        .unwrap_or(otherwise)
}
