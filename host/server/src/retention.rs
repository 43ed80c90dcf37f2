//! How long a reading's raw exchange is kept. It is what a newer strategy would re-read,
//! and the bulk of a reading (kilobytes, where the reading itself takes tens of bytes), so
//! it is kept for a period (30 days unless configured) and then removed by a job every
//! hour; readings, their versions and the daily summaries are kept for ever.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use quire_store::{RawRemoved, Store};

use crate::periodic::Periodic;

/// The retention job: hourly, by one server process at a time.
pub const RAW_RETENTION_JOB: Periodic = Periodic {
    name: "raw-retention",
    every: Duration::from_secs(60 * 60),
};

/// The most days a period can say: what the store marks a reading with (a small integer).
const MAX_DAYS: u32 = i16::MAX as u32;

/// How long raw exchanges are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawRetention {
    /// Removed once older than this many days (0: at the next run).
    Days(u32),
    /// Never removed.
    Never,
}

impl Default for RawRetention {
    /// A month: long enough to re-read last month's readings with a fixed strategy.
    fn default() -> RawRetention {
        RawRetention::Days(30)
    }
}

impl FromStr for RawRetention {
    type Err = String;

    /// `30` (days, 0 to 32767) or `never`.
    fn from_str(text: &str) -> Result<RawRetention, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("never") {
            return Ok(RawRetention::Never);
        }
        match text.parse::<u32>() {
            Ok(days) if days <= MAX_DAYS => Ok(RawRetention::Days(days)),
            _ => Err(format!(
                "`{text}` is not a raw retention period: give days (0 to {MAX_DAYS}) or `never`"
            )),
        }
    }
}

impl fmt::Display for RawRetention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawRetention::Days(days) => write!(f, "{days} days"),
            RawRetention::Never => f.write_str("never"),
        }
    }
}

/// Removes the raw exchanges older than `retention` as of `now`; nothing when it is
/// [`RawRetention::Never`].
pub async fn remove_old_raw(
    store: &Store,
    retention: RawRetention,
    now: DateTime<Utc>,
) -> quire_store::Result<RawRemoved> {
    match retention {
        RawRetention::Days(days) => store.remove_raw_older_than(days, now).await,
        RawRetention::Never => Ok(RawRemoved::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::RawRetention;

    #[test]
    fn a_period_is_days_or_never() {
        let cases = [
            ("30", Ok(RawRetention::Days(30))),
            ("0", Ok(RawRetention::Days(0))),
            ("never", Ok(RawRetention::Never)),
            ("Never", Ok(RawRetention::Never)),
            ("32767", Ok(RawRetention::Days(32767))),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<RawRetention>(), expected, "{text}");
        }
        for bad in ["32768", "-1", "30d", ""] {
            let error = bad.parse::<RawRetention>().unwrap_err();
            assert!(
                error.contains("days (0 to 32767) or `never`"),
                "{bad}: {error}"
            );
        }
    }
}
