//! Both daylight-saving transitions in Europe/Berlin and America/New_York (2026):
//! Berlin springs forward on Sun 29 March (02:00 → 03:00) and falls back on Sun 25 October
//! (03:00 → 02:00); New York springs forward on Sun 8 March and falls back on Sun 1 November
//! (02:00 → 01:00). Then two gaps of another size: Lord Howe's half hour and the day Apia
//! skipped.

use chrono::{NaiveDateTime, SecondsFormat};
use quire_schedule::{Day, Schedule, Timestamp};

use crate::{at, runs, zone};

fn weekly(days: &[Day], hours: &[u8]) -> Schedule {
    Schedule::Weekly {
        days: days.iter().copied().collect(),
        hours: hours.iter().copied().collect(),
    }
}

fn weekly_sunday(hour: u8) -> Schedule {
    weekly(&[Day::Sunday], &[hour])
}

/// The next two runs in `zone_name` after the local time `from`.
fn two_runs(zone_name: &str, schedule: &Schedule, from: &str) -> Vec<String> {
    let tz = zone(zone_name);
    runs(schedule, &tz, at(&tz, from), 2)
}

fn hourly() -> Schedule {
    Schedule::EveryHours {
        n: 1,
        starting_at: 0,
    }
}

/// A UTC instant such as `2026-11-01T06:30Z`.
fn utc(instant: &str) -> Timestamp {
    NaiveDateTime::parse_from_str(instant, "%Y-%m-%dT%H:%MZ")
        .unwrap()
        .and_utc()
}

#[test]
fn berlin_spring_forward_a_0200_job_runs_at_0300_once() {
    assert_eq!(
        two_runs("Europe/Berlin", &weekly_sunday(2), "2026-03-28T12:00"),
        ["Sun 2026-03-29 03:00 +02:00", "Sun 2026-04-05 02:00 +02:00"]
    );
}

#[test]
fn new_york_spring_forward_a_0200_job_runs_at_0300_once() {
    assert_eq!(
        two_runs("America/New_York", &weekly_sunday(2), "2026-03-07T12:00"),
        ["Sun 2026-03-08 03:00 -04:00", "Sun 2026-03-15 02:00 -04:00"]
    );
}

#[test]
fn a_skipped_hour_and_the_hour_after_it_are_one_run() {
    let schedule = weekly(&[Day::Sunday], &[2, 3]);
    assert_eq!(
        two_runs("Europe/Berlin", &schedule, "2026-03-29T00:00"),
        ["Sun 2026-03-29 03:00 +02:00", "Sun 2026-04-05 02:00 +02:00"]
    );
}

#[test]
fn new_york_fall_back_a_0100_job_runs_once_at_the_first_0100() {
    assert_eq!(
        two_runs("America/New_York", &weekly_sunday(1), "2026-10-31T12:00"),
        ["Sun 2026-11-01 01:00 -04:00", "Sun 2026-11-08 01:00 -05:00"]
    );
    // Asked during the repeated hour, after the first 01:00 has run: not again that night.
    let tz = zone("America/New_York");
    assert_eq!(
        runs(&weekly_sunday(1), &tz, utc("2026-11-01T06:30Z"), 1),
        ["Sun 2026-11-08 01:00 -05:00"]
    );
}

#[test]
fn berlin_fall_back_a_0200_job_runs_once_at_the_first_0200() {
    assert_eq!(
        two_runs("Europe/Berlin", &weekly_sunday(2), "2026-10-24T12:00"),
        ["Sun 2026-10-25 02:00 +02:00", "Sun 2026-11-01 02:00 +01:00"]
    );
}

/// Hourly runs from `from` to `until` (UTC) as UTC instants.
fn hourly_utc(zone_name: &str, from: &str, count: usize) -> Vec<String> {
    let tz = zone(zone_name);
    let mut after = utc(from);
    (0..count)
        .map(|_| {
            after = hourly().next_after(after, &tz).unwrap();
            after.to_rfc3339_opts(SecondsFormat::Secs, true)
        })
        .collect()
}

#[test]
fn berlin_hourly_across_spring_forward_has_no_duplicate_and_no_gap() {
    // 01:00 CET, [02:00 does not exist → 03:00 CEST], 03:00 CEST is the same run, 04:00 CEST.
    assert_eq!(
        hourly_utc("Europe/Berlin", "2026-03-28T23:30Z", 4),
        [
            "2026-03-29T00:00:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-29T02:00:00Z",
            "2026-03-29T03:00:00Z",
        ]
    );
}

#[test]
fn berlin_hourly_across_fall_back_skips_only_the_repeated_hour() {
    // 02:00 CEST runs; the repeated 02:00 CET (01:00Z) does not; 03:00 CET does.
    assert_eq!(
        hourly_utc("Europe/Berlin", "2026-10-24T22:30Z", 4),
        [
            "2026-10-24T23:00:00Z",
            "2026-10-25T00:00:00Z",
            "2026-10-25T02:00:00Z",
            "2026-10-25T03:00:00Z",
        ]
    );
}

#[test]
fn new_york_hourly_across_spring_forward_has_no_duplicate_and_no_gap() {
    assert_eq!(
        hourly_utc("America/New_York", "2026-03-08T05:30Z", 4),
        [
            "2026-03-08T06:00:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-08T08:00:00Z",
            "2026-03-08T09:00:00Z",
        ]
    );
}

#[test]
fn new_york_hourly_across_fall_back_skips_only_the_repeated_hour() {
    // 00:00 EDT, 01:00 EDT, [01:00 EST repeated, skipped], 02:00 EST.
    assert_eq!(
        hourly_utc("America/New_York", "2026-11-01T03:30Z", 3),
        [
            "2026-11-01T04:00:00Z",
            "2026-11-01T05:00:00Z",
            "2026-11-01T07:00:00Z",
        ]
    );
}

#[test]
fn local_devices_every_thirty_minutes_keep_their_pace_when_clocks_fall_back() {
    let tz = zone("America/New_York");
    let schedule = Schedule::EveryMinutes { n: 30 };
    assert_eq!(
        runs(&schedule, &tz, utc("2026-11-01T05:10Z"), 4),
        [
            "Sun 2026-11-01 01:30 -04:00",
            "Sun 2026-11-01 01:00 -05:00",
            "Sun 2026-11-01 01:30 -05:00",
            "Sun 2026-11-01 02:00 -05:00",
        ]
    );
}

#[test]
fn lord_howe_springs_forward_half_an_hour_a_0200_job_runs_at_0230() {
    // Australia/Lord_Howe (tz database `australasia`, rule LH): +10:30 standard, +11:00 from
    // 02:00 on the first Sunday of October, so 02:00–02:30 does not exist on 4 October 2026.
    assert_eq!(
        two_runs("Australia/Lord_Howe", &weekly_sunday(2), "2026-10-03T12:00"),
        ["Sun 2026-10-04 02:30 +11:00", "Sun 2026-10-11 02:00 +11:00"]
    );
}

#[test]
fn a_skipped_day_runs_its_job_once_when_the_day_after_begins() {
    // Pacific/Apia (tz database `australasia`) moved across the date line at the end of
    // Thursday 29 December 2011 (-10:00), straight to Saturday 31 December (+14:00).
    let friday_ten = weekly(&[Day::Friday], &[10]);
    assert_eq!(
        two_runs("Pacific/Apia", &friday_ten, "2011-12-29T12:00"),
        ["Sat 2011-12-31 00:00 +14:00", "Fri 2012-01-06 10:00 +14:00"]
    );
}
