//! A site's schedules as the server stores and the agent fetches them, and their validation.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use quire_model::Cycle;
use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::error::{Error, Result};
use crate::schedule::Schedule;

/// A site's schedules: one per cycle and per part of the network, and one for locally attached
/// devices, all read in the site's time zone. Builds [`Schedules`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ScheduleConfig {
    /// The site's IANA time zone, such as `Europe/Berlin`; the hours of every schedule are
    /// local to it.
    pub time_zone: String,
    /// Finding devices on the network.
    pub discovery: CycleConfig,
    /// Page counters and supply levels of network devices; at most hourly.
    pub meters_and_supplies: CycleConfig,
    /// Alerts of network devices; at most hourly.
    pub alerts: CycleConfig,
    /// Meters and supplies of devices attached to the agent's own machine (USB). Reading them
    /// costs no network, so they default to every 30 minutes; set the network schedule here to
    /// align them with it.
    #[serde(default = "local_devices_default")]
    pub local_devices: Schedule,
}

/// A cycle's schedule for the whole site and, where a part of the network differs, for that part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CycleConfig {
    /// The schedule of every part not named in `parts`.
    pub default: Schedule,
    /// Schedules by part of the network (the name of a discovery range), overriding `default`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parts: BTreeMap<String, Schedule>,
}

fn local_devices_default() -> Schedule {
    Schedule::EveryMinutes { n: 30 }
}

impl ScheduleConfig {
    /// Checks every schedule and the time zone, and returns the schedules ready to evaluate.
    /// The first problem found is returned, naming its field.
    pub fn build(self) -> Result<Schedules> {
        let time_zone: Tz = self.time_zone.parse().map_err(|_| Error::UnknownTimeZone {
            field: "time-zone".to_owned(),
            name: self.time_zone.clone(),
        })?;
        for (name, cycle) in [
            ("discovery", &self.discovery),
            ("meters-and-supplies", &self.meters_and_supplies),
            ("alerts", &self.alerts),
        ] {
            let parts = cycle
                .parts
                .iter()
                .map(|(part, schedule)| (format!("{name}.parts.{part}"), schedule));
            for (field, schedule) in
                std::iter::once((format!("{name}.default"), &cycle.default)).chain(parts)
            {
                network_only(schedule, &field)?;
                schedule.validate(&field)?;
            }
        }
        self.local_devices.validate("local-devices")?;
        Ok(Schedules {
            config: self,
            time_zone,
        })
    }
}

/// Network cycles may run at most hourly: every device on the range is asked in each run.
fn network_only(schedule: &Schedule, field: &str) -> Result<()> {
    match schedule {
        Schedule::EveryMinutes { n } => Err(Error::TooFine {
            field: format!("{field}.kind"),
            n: *n,
        }),
        _ => Ok(()),
    }
}

/// A site's validated schedules and its time zone: what the agent asks "when next?".
#[derive(Debug, Clone)]
pub struct Schedules {
    config: ScheduleConfig,
    time_zone: Tz,
}

impl Schedules {
    /// The site's time zone.
    pub fn time_zone(&self) -> &Tz {
        &self.time_zone
    }

    /// The configuration these were built from, to store or send on unchanged.
    pub fn config(&self) -> &ScheduleConfig {
        &self.config
    }

    /// The schedule of `cycle` for a part of the network (`None`, or a part without its own
    /// schedule, gets the cycle's default).
    pub fn schedule(&self, cycle: Cycle, part: Option<&str>) -> &Schedule {
        let cycle = match cycle {
            Cycle::Discovery => &self.config.discovery,
            Cycle::MetersAndSupplies => &self.config.meters_and_supplies,
            Cycle::Alerts => &self.config.alerts,
        };
        part.and_then(|part| cycle.parts.get(part))
            .unwrap_or(&cycle.default)
    }

    /// The next run of `cycle` on `part` strictly after `after`.
    pub fn next_run(
        &self,
        cycle: Cycle,
        part: Option<&str>,
        after: Timestamp,
    ) -> Option<Timestamp> {
        self.schedule(cycle, part)
            .next_after(after, &self.time_zone)
    }

    /// The next read of locally attached devices strictly after `after`.
    pub fn next_local_run(&self, after: Timestamp) -> Option<Timestamp> {
        self.config.local_devices.next_after(after, &self.time_zone)
    }
}
