//! One error type for the plugin host.
//!
//! A strategy's own [`StrategyError`] (the device was unreachable, answered in a
//! way the strategy does not support) is a *reading that failed*: it is recorded
//! against the device and the plugin is fine. A [`Stop`] is the host ending a
//! call because the plugin broke a rule (trapped, ran out of time or memory,
//! returned too much, reached for something that is not its device): the
//! instance is dropped. Every message names the plugin.

use std::fmt;
use std::time::Duration;

/// `Result` with [`PluginError`].
pub type Result<T, E = PluginError> = std::result::Result<T, E>;

/// Why the host could not load a plugin or get an answer from it.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The bytes are not a plugin Quire can run.
    #[error("{plugin} cannot be loaded: {reason}")]
    Invalid {
        /// `name@version`, or `sha256:<prefix>` before the plugin could describe itself.
        plugin: String,
        /// What is missing or wrong.
        reason: String,
    },
    /// The strategy ran and reported that it could not read the device.
    #[error("{plugin} could not read the device: {error}")]
    Strategy {
        /// `name@version`.
        plugin: String,
        /// The strategy's own error.
        error: StrategyError,
    },
    /// The host stopped the plugin and dropped its instance.
    #[error("{plugin} {cause}")]
    Stopped {
        /// `name@version`, or `sha256:<prefix>` while loading.
        plugin: String,
        /// What rule it broke.
        cause: Stop,
    },
    /// No strategy claims the device and the fallback is not loaded.
    #[error(
        "no strategy claims the device (sysObjectID {sys_object_id:?}, sysDescr {sys_descr:?}) and the fallback {fallback} is not loaded"
    )]
    NoStrategy {
        /// The probe's sysObjectID.
        sys_object_id: String,
        /// The probe's sysDescr.
        sys_descr: String,
        /// The strategy that would have been the fallback.
        fallback: &'static str,
    },
    /// A registry insert that would not move the version forward.
    #[error("{plugin} is not newer than the loaded {loaded}; remove it first to go back")]
    NotNewer {
        /// `name@version` being inserted.
        plugin: String,
        /// `name@version` already loaded.
        loaded: String,
    },
}

impl PluginError {
    /// Whether the host dropped the plugin's instance (a trap or a broken limit),
    /// as opposed to a reading that failed for a device reason.
    pub fn is_stop(&self) -> bool {
        matches!(self, PluginError::Stopped { .. })
    }
}

/// A strategy's own error: the WIT `strategy-error`, a reading that failed for
/// a device reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrategyError {
    /// The device did not answer in time or refused the strategy.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The device answered, but not as the strategy expects.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// Something in the strategy itself went wrong.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why the host stopped a plugin. Displayed after the plugin's name, so each
/// reads as a sentence: "hostile@1.0.0 ran past its 2 s deadline".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// It computed past the deadline.
    Deadline(Duration),
    /// The whole call, device waits included, ran past the read timeout.
    ReadTimeout(Duration),
    /// It tried to grow its memory past the cap (bytes).
    Memory(usize),
    /// It recursed past the stack limit.
    Stack,
    /// It trapped (a panic, `unreachable`, an out-of-bounds access …).
    Trap(String),
    /// It returned more than the output cap allows.
    Output {
        /// The estimated size of what it returned.
        bytes: usize,
        /// The cap.
        cap: usize,
    },
    /// It returned more rows in one list than [`crate::MAX_ROWS`].
    Rows {
        /// Which list (`supplies`, `alerts`, `counters`).
        list: &'static str,
        /// How many it returned.
        count: usize,
    },
    /// It asked for something outside its device (an HTTP URL with a host).
    Escape(String),
    /// An action plugin asked for an endpoint it was not granted, or a path that
    /// leaves its endpoint's base URL.
    Endpoint(String),
    /// It returned something the host cannot use (a version that is not semver …).
    Malformed(String),
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Deadline(d) => write!(f, "ran past its {} deadline", duration(*d)),
            Stop::ReadTimeout(d) => write!(
                f,
                "took longer than its {} read timeout, device waits included",
                duration(*d)
            ),
            Stop::Memory(cap) => write!(f, "tried to grow memory past its {} cap", size(*cap)),
            Stop::Stack => f.write_str("overflowed its stack"),
            Stop::Trap(why) => write!(f, "trapped: {why}"),
            Stop::Output { bytes, cap } => write!(
                f,
                "returned {}, over the {} output cap",
                size(*bytes),
                size(*cap)
            ),
            Stop::Rows { list, count } => write!(
                f,
                "returned {count} {list}, over the cap of {}",
                crate::MAX_ROWS
            ),
            Stop::Escape(asked) => write!(
                f,
                "asked for {asked} — only paths on its own device are allowed"
            ),
            Stop::Endpoint(asked) => write!(
                f,
                "asked for {asked} — only the endpoints its dealer configured for it are allowed"
            ),
            Stop::Malformed(what) => write!(f, "returned {what}"),
        }
    }
}

/// `2 s`, `250 ms`.
fn duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// `64 MiB`, `20.5 MiB`, `900 KiB`, `12 bytes`.
fn size(bytes: usize) -> String {
    const MIB: usize = 1 << 20;
    const KIB: usize = 1 << 10;
    if bytes >= MIB {
        if bytes.is_multiple_of(MIB) {
            format!("{} MiB", bytes / MIB)
        } else {
            format!("{:.1} MiB", bytes as f64 / MIB as f64)
        }
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_read_as_sentences_after_the_plugin_name() {
        let stopped = |cause| PluginError::Stopped {
            plugin: "hostile@1.0.0".into(),
            cause,
        };
        assert_eq!(
            stopped(Stop::Deadline(Duration::from_secs(2))).to_string(),
            "hostile@1.0.0 ran past its 2 s deadline"
        );
        assert_eq!(
            stopped(Stop::Memory(64 << 20)).to_string(),
            "hostile@1.0.0 tried to grow memory past its 64 MiB cap"
        );
        assert_eq!(
            stopped(Stop::Output {
                bytes: 70 << 20,
                cap: 8 << 20
            })
            .to_string(),
            "hostile@1.0.0 returned 70 MiB, over the 8 MiB output cap"
        );
    }
}
