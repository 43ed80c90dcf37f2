//! The instant a reading is stamped with.
//!
//! Readings are stamped by the agent, not by the server, and everything the server
//! works out over time (daily meters, cartridge lives, run-out forecasts) follows those
//! stamps. Tests and replays need weeks of readings in seconds, so the stamp comes from
//! a [`Clock`] the agent is given: the system's by default, or a manual one the caller
//! sets. Only the stamps follow it; the scheduler and every timeout keep real time.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

/// Where readings' `taken_at` comes from. Cheap to clone: clones of a manual clock share
/// its time, so a test keeps one and moves the agent's time with it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None` is the system clock.
    manual: Option<Arc<Mutex<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that stands at `at` until it is set or advanced.
    pub fn manual(at: DateTime<Utc>) -> Clock {
        Clock {
            manual: Some(Arc::new(Mutex::new(at))),
        }
    }

    /// The time now, by this clock.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.manual {
            Some(at) => *at.lock().unwrap_or_else(|e| e.into_inner()),
            None => Utc::now(),
        }
    }

    /// Moves a manual clock to `at`, forwards or back.
    ///
    /// # Panics
    ///
    /// On the system clock, which nothing may set.
    pub fn set(&self, at: DateTime<Utc>) {
        let manual = self
            .manual
            .as_ref()
            .expect("only a manual clock can be set");
        *manual.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }

    /// Moves a manual clock on by `by`.
    ///
    /// # Panics
    ///
    /// On the system clock, as [`Clock::set`].
    pub fn advance(&self, by: TimeDelta) {
        self.set(self.now() + by);
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told_and_its_clones_move_with_it() {
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap();
        let clock = Clock::manual(start);
        let agents = clock.clone();
        assert_eq!(agents.now(), start);
        clock.advance(TimeDelta::hours(9));
        assert_eq!(agents.now(), start + TimeDelta::hours(9));
        clock.set(start - TimeDelta::days(1));
        assert_eq!(agents.now(), start - TimeDelta::days(1));
    }

    #[test]
    fn the_system_clock_follows_real_time() {
        let before = Utc::now();
        let now = Clock::system().now();
        assert!(before <= now && now <= Utc::now(), "{now}");
    }

    #[test]
    #[should_panic(expected = "only a manual clock can be set")]
    fn the_system_clock_cannot_be_set() {
        Clock::system().set(Utc::now());
    }
}
