use chrono::DateTime;
use proptest::prelude::*;
use quire_schedule::{Day, Schedule};

use crate::zone;

fn schedule() -> impl Strategy<Value = Schedule> {
    prop_oneof![
        (
            proptest::collection::btree_set(proptest::sample::select(&Day::ALL[..]), 1..=7),
            proptest::collection::btree_set(0u8..24, 1..=24),
        )
            .prop_map(|(days, hours)| Schedule::Weekly { days, hours }),
        (1u8..=24, 0u8..24).prop_map(|(n, starting_at)| Schedule::EveryHours { n, starting_at }),
        proptest::sample::select(&[5u8, 10, 15, 20, 30, 60][..])
            .prop_map(|n| Schedule::EveryMinutes { n }),
    ]
}

proptest! {
    /// Any valid repeating schedule keeps firing, each run strictly after the last and within
    /// a week and a day of it, whatever the zone and instant (2000–2040, DST nights included).
    #[test]
    fn runs_strictly_increase_and_keep_coming(
        schedule in schedule(),
        zone_name in proptest::sample::select(
            &["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"][..]
        ),
        second in 946_684_800i64..2_208_988_800,
    ) {
        prop_assert!(schedule.validate("schedule").is_ok());
        let tz = zone(zone_name);
        let mut after = DateTime::from_timestamp_secs(second).unwrap();
        for _ in 0..30 {
            let next = schedule.next_after(after, &tz).unwrap();
            prop_assert!(next > after);
            prop_assert!(next.timestamp() - after.timestamp() <= 8 * 24 * 3600);
            after = next;
        }
    }
}

proptest! {
    /// Asking again from any instant before the next run gives the same run, so an agent
    /// that wakes early, or restarts, neither skips nor repeats a run.
    #[test]
    fn asking_again_before_the_next_run_gives_the_same_run(
        schedule in schedule(),
        zone_name in proptest::sample::select(&["Europe/Berlin", "America/New_York"][..]),
        second in 946_684_800i64..2_208_988_800,
        fraction in 0u32..1000,
    ) {
        let tz = zone(zone_name);
        let after = DateTime::from_timestamp_secs(second).unwrap();
        let next = schedule.next_after(after, &tz).unwrap();
        let wait = next.timestamp() - after.timestamp();
        let early = DateTime::from_timestamp_secs(after.timestamp() + wait * i64::from(fraction) / 1000)
            .unwrap();
        prop_assert_eq!(schedule.next_after(early, &tz), Some(next));
    }

    /// Hourly runs are never more than two real hours apart: only the hour repeated when
    /// clocks fall back is left out.
    #[test]
    fn hourly_runs_leave_out_at_most_the_repeated_hour(
        zone_name in proptest::sample::select(&["Europe/Berlin", "America/New_York"][..]),
        second in 946_684_800i64..2_208_988_800,
    ) {
        let tz = zone(zone_name);
        let hourly = Schedule::EveryHours { n: 1, starting_at: 0 };
        let after = DateTime::from_timestamp_secs(second).unwrap();
        let next = hourly.next_after(after, &tz).unwrap();
        let then = hourly.next_after(next, &tz).unwrap();
        prop_assert!((3600..=7200).contains(&(then.timestamp() - next.timestamp())));
    }
}
