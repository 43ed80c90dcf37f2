use std::collections::BTreeSet;

use quire_schedule::{Day, Schedule};

use crate::{at, runs, zone};

fn weekly(days: &[Day], hours: &[u8]) -> Schedule {
    Schedule::Weekly {
        days: days.iter().copied().collect(),
        hours: hours.iter().copied().collect::<BTreeSet<_>>(),
    }
}

fn every_hours(n: u8, starting_at: u8) -> Schedule {
    Schedule::EveryHours { n, starting_at }
}

#[test]
fn weekly_runs_on_its_days_and_hours_and_wraps_into_next_week() {
    let tz = zone("Europe/Berlin");
    let schedule = weekly(&[Day::Monday, Day::Friday, Day::Sunday], &[6, 18]);
    // Friday 2026-06-05 19:00: Friday's runs are past, so Sunday, then next week's Monday.
    assert_eq!(
        runs(&schedule, &tz, at(&tz, "2026-06-05T19:00"), 5),
        [
            "Sun 2026-06-07 06:00 +02:00",
            "Sun 2026-06-07 18:00 +02:00",
            "Mon 2026-06-08 06:00 +02:00",
            "Mon 2026-06-08 18:00 +02:00",
            "Fri 2026-06-12 06:00 +02:00",
        ]
    );
}

#[test]
fn a_run_exactly_at_the_instant_given_is_not_next() {
    let tz = zone("America/New_York");
    let schedule = weekly(&[Day::Tuesday], &[9]);
    assert_eq!(
        runs(&schedule, &tz, at(&tz, "2026-06-02T09:00"), 1),
        ["Tue 2026-06-09 09:00 -04:00"]
    );
    assert_eq!(
        runs(&schedule, &tz, at(&tz, "2026-06-02T08:59:59"), 1),
        ["Tue 2026-06-02 09:00 -04:00"]
    );
}

#[test]
fn every_four_hours_from_midnight_is_aligned_to_the_wall_clock() {
    let tz = zone("Europe/Berlin");
    let schedule = every_hours(4, 0);
    assert_eq!(
        runs(&schedule, &tz, at(&tz, "2026-06-01T13:10"), 4),
        [
            "Mon 2026-06-01 16:00 +02:00",
            "Mon 2026-06-01 20:00 +02:00",
            "Tue 2026-06-02 00:00 +02:00",
            "Tue 2026-06-02 04:00 +02:00",
        ]
    );
}

#[test]
fn every_n_hours_not_dividing_the_day_restarts_at_midnight() {
    let tz = zone("Europe/Berlin");
    let schedule = every_hours(5, 3);
    // The day's hours are 03, 08, 13, 18, 23, the same every day.
    assert_eq!(
        runs(&schedule, &tz, at(&tz, "2026-06-01T19:00"), 3),
        [
            "Mon 2026-06-01 23:00 +02:00",
            "Tue 2026-06-02 03:00 +02:00",
            "Tue 2026-06-02 08:00 +02:00",
        ]
    );
}

#[test]
fn once_runs_at_its_hour_and_never_again() {
    let tz = zone("America/New_York");
    let schedule = Schedule::Once {
        date: "2026-07-04".parse().unwrap(),
        hour: 10,
    };
    assert_eq!(
        runs(&schedule, &tz, at(&tz, "2026-06-01T00:00"), 3),
        ["Sat 2026-07-04 10:00 -04:00"]
    );
    assert_eq!(schedule.next_after(at(&tz, "2026-07-04T10:00"), &tz), None);
}

#[test]
fn disabled_never_runs() {
    let tz = zone("Europe/Berlin");
    assert_eq!(
        Schedule::Disabled.next_after(at(&tz, "2026-06-01T00:00"), &tz),
        None
    );
}

#[test]
fn every_thirty_minutes_falls_on_the_hour_and_half_hour() {
    let tz = zone("Europe/Berlin");
    let schedule = Schedule::EveryMinutes { n: 30 };
    assert_eq!(
        runs(&schedule, &tz, at(&tz, "2026-06-01T09:05"), 3),
        [
            "Mon 2026-06-01 09:30 +02:00",
            "Mon 2026-06-01 10:00 +02:00",
            "Mon 2026-06-01 10:30 +02:00",
        ]
    );
}
