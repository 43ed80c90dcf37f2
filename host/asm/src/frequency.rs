//! Alerts frequency: "after the user approves alerts, the actions will be invoked only
//! after the frequency interval has elapsed from the last time the same type of actions
//! have been invoked for the same account". Due actions of one (account, result type)
//! wait in a pool and are released together; with no interval set they are invoked as
//! soon as they are due.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::definitions::Interval;
use crate::ids::AccountId;

/// What actions are pooled by.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub struct PoolKey {
    /// The device's account.
    pub account: AccountId,
    /// The action's result type, shared with the action definition it comes from.
    #[schema(value_type = String)]
    pub result_type: Arc<str>,
}

/// Whether due actions of a pool may be invoked at `now`, given its interval and when
/// that pool was last invoked. Every action of the pool is judged against the same last
/// invocation (the one before this tick), so the pooled ones go together.
pub fn is_released(
    interval: Option<Interval>,
    last_invoked_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    match (interval, last_invoked_at) {
        (Some(interval), Some(last)) => now >= last + interval.duration(),
        _ => true,
    }
}
