use quire_model::Cycle;
use quire_schedule::{Error, Schedule, ScheduleConfig};

use crate::{at, runs};

/// A site as a dealer would set it up: discovery weekly, meters every 4 hours with an
/// hourly part, alerts hourly, local devices left at their default.
const EXAMPLE: &str = r#"{
    "time-zone": "Europe/Berlin",
    "discovery": { "default": { "kind": "weekly", "days": ["monday", "thursday"], "hours": [2] } },
    "meters-and-supplies": {
        "default": { "kind": "every-hours", "n": 4, "starting-at": 0 },
        "parts": { "print-room": { "kind": "every-hours", "n": 1, "starting-at": 0 } }
    },
    "alerts": { "default": { "kind": "every-hours", "n": 1, "starting-at": 0 } }
}"#;

fn example() -> serde_json::Value {
    serde_json::from_str(EXAMPLE).unwrap()
}

fn build(json: serde_json::Value) -> Result<quire_schedule::Schedules, Error> {
    serde_json::from_value::<ScheduleConfig>(json)
        .unwrap()
        .build()
}

#[test]
fn the_example_site_runs_each_cycle_and_part_on_its_own_schedule() {
    let schedules = build(example()).unwrap();
    let tz = *schedules.time_zone();
    let from = at(&tz, "2026-06-01T10:30");
    let next = |cycle, part| runs(schedules.schedule(cycle, part), &tz, from, 1);
    assert_eq!(
        next(Cycle::Discovery, None),
        ["Thu 2026-06-04 02:00 +02:00"]
    );
    assert_eq!(
        next(Cycle::MetersAndSupplies, None),
        ["Mon 2026-06-01 12:00 +02:00"]
    );
    assert_eq!(
        next(Cycle::MetersAndSupplies, Some("print-room")),
        ["Mon 2026-06-01 11:00 +02:00"]
    );
    assert_eq!(
        next(Cycle::MetersAndSupplies, Some("warehouse")),
        ["Mon 2026-06-01 12:00 +02:00"]
    );
    assert_eq!(
        schedules.next_run(Cycle::Alerts, None, from),
        Some(at(&tz, "2026-06-01T11:00"))
    );
    assert_eq!(
        schedules.config().local_devices,
        Schedule::EveryMinutes { n: 30 }
    );
    assert_eq!(
        schedules.next_local_run(from),
        Some(at(&tz, "2026-06-01T11:00"))
    );
}

#[test]
fn the_configuration_round_trips_through_json() {
    let config: ScheduleConfig = serde_json::from_value(example()).unwrap();
    let again: ScheduleConfig =
        serde_json::from_str(&serde_json::to_string(&config).unwrap()).unwrap();
    assert_eq!(again, config);
}

#[test]
fn unknown_fields_are_refused() {
    let mut json = example();
    json["alerts"]["default"]["minute"] = 15.into();
    let error = serde_json::from_value::<ScheduleConfig>(json).unwrap_err();
    assert!(
        error.to_string().contains("unknown field `minute`"),
        "{error}"
    );

    let mut json = example();
    json["alert"] = json["alerts"].clone();
    let error = serde_json::from_value::<ScheduleConfig>(json).unwrap_err();
    assert!(
        error.to_string().contains("unknown field `alert`"),
        "{error}"
    );
}

/// Builds the example with `pointer` replaced by `value` and returns the refusal.
fn refused(pointer: &str, value: serde_json::Value) -> Error {
    let mut json = example();
    *json.pointer_mut(pointer).unwrap() = value;
    build(json).unwrap_err()
}

#[test]
fn invalid_schedules_are_refused_naming_the_field() {
    let cases = [
        (
            refused("/discovery/default/hours", serde_json::json!([2, 24])),
            "discovery.default.hours: hour 24 is not between 0 and 23",
        ),
        (
            refused("/discovery/default/days", serde_json::json!([])),
            "discovery.default.days: no days chosen; use `disabled` to turn the schedule off",
        ),
        (
            refused("/meters-and-supplies/parts/print-room/n", 0.into()),
            "meters-and-supplies.parts.print-room.n: every 0 hours is not between 1 and 24",
        ),
        (
            refused("/alerts/default/starting-at", 30.into()),
            "alerts.default.starting-at: hour 30 is not between 0 and 23",
        ),
        (
            refused("/time-zone", "Europe/Springfield".into()),
            "time-zone: \"Europe/Springfield\" is not an IANA time zone (for example \"Europe/Berlin\")",
        ),
        (
            refused(
                "/alerts/default",
                serde_json::json!({ "kind": "every-minutes", "n": 30 }),
            ),
            "alerts.default.kind: every 30 minutes is finer than hourly; only locally attached devices may run more often",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
        assert_eq!(error.field(), message.split(':').next().unwrap());
    }
}

#[test]
fn local_devices_may_run_every_few_minutes_but_not_every_minute() {
    let mut json = example();
    json["local-devices"] = serde_json::json!({ "kind": "every-minutes", "n": 1 });
    assert_eq!(
        build(json).unwrap_err().to_string(),
        "local-devices.n: every 1 minutes must divide the hour and be at least 5 minutes"
    );
    let mut json = example();
    json["local-devices"] = serde_json::json!({ "kind": "every-minutes", "n": 7 });
    assert_eq!(build(json).unwrap_err().field(), "local-devices.n");
    let mut json = example();
    json["local-devices"] = serde_json::json!({ "kind": "every-minutes", "n": 15 });
    assert!(build(json).is_ok());
}

#[test]
fn once_and_disabled_are_written_as_a_dealer_would() {
    let mut json = example();
    json["discovery"]["default"] = serde_json::json!({ "kind": "disabled" });
    json["alerts"]["default"] =
        serde_json::json!({ "kind": "once", "date": "2026-12-24", "hour": 18 });
    let schedules = build(json).unwrap();
    let tz = *schedules.time_zone();
    let from = at(&tz, "2026-06-01T00:00");
    assert_eq!(schedules.next_run(Cycle::Discovery, None, from), None);
    assert_eq!(
        runs(schedules.schedule(Cycle::Alerts, None), &tz, from, 2),
        ["Thu 2026-12-24 18:00 +01:00"]
    );
}
