//! The agent's loop: check in, run each cycle when its schedule says, deliver.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use quire_model::Cycle;
use quire_protocol::AgentConfig;
use quire_schedule::{Schedules, Timestamp};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{Agent, DEFAULT_CHECK_IN, MIN_CHECK_IN, announce, parts};

impl Agent {
    /// Starts the agent's loop on the current tokio runtime: check in every
    /// `check-in-seconds`, run each cycle when its schedule says, deliver after each.
    pub fn start(&self) -> Running {
        let (stop, stopped) = watch::channel(false);
        let agent = self.clone();
        Running {
            stop,
            task: tokio::spawn(async move { agent.run(stopped).await }),
        }
    }

    async fn run(&self, mut stopped: watch::Receiver<bool>) {
        let mut config = match self.inner.queue.config().await {
            Ok(config) => config,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the kept configuration");
                None
            }
        };
        let mut plan: Vec<Slot> = Vec::new();
        let mut planned: Option<String> = None;
        let mut next_check_in = Instant::now();
        // The soonest cycle last logged as next, so each is announced once.
        let mut announced: Option<Option<(usize, Timestamp)>> = None;
        loop {
            if Instant::now() >= next_check_in {
                match self.check_in().await {
                    Ok(fetched) => config = Some(fetched),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot check in; working with the configuration kept from the last check-in")
                    }
                }
                let interval = config
                    .as_ref()
                    .map(|c| Duration::from_secs(u64::from(c.check_in_seconds)))
                    .unwrap_or(DEFAULT_CHECK_IN)
                    .max(MIN_CHECK_IN);
                next_check_in = Instant::now() + interval;
                self.deliver_logged().await;
            }
            if let Some(config) = &config
                && planned.as_deref() != Some(config.revision.as_str())
            {
                announce::scope(config, self.inner.options.snmp_port);
                plan = self.plan(config).await;
                planned = Some(config.revision.clone());
            }
            if let Some(config) = &config {
                let mut ran = false;
                for slot in &mut plan {
                    let now = Utc::now();
                    if slot.next.is_some_and(|next| next <= now) {
                        let site = &config.sites[slot.site];
                        self.run_cycle(config, site, slot.part.as_deref(), slot.cycle)
                            .await;
                        slot.next =
                            slot.schedules
                                .next_run(slot.cycle, slot.part.as_deref(), Utc::now());
                        ran = true;
                    }
                }
                if ran {
                    self.deliver_logged().await;
                }
                let soonest = plan
                    .iter()
                    .enumerate()
                    .filter_map(|(i, slot)| slot.next.map(|next| (i, next)))
                    .min_by_key(|&(_, next)| next);
                if announced != Some(soonest) {
                    match soonest {
                        Some((i, at)) => {
                            let slot = &plan[i];
                            let site = &config.sites[slot.site];
                            announce::next_cycle(site, slot.part.as_deref(), slot.cycle, at);
                        }
                        None => tracing::info!(
                            "no cycle is scheduled; the agent checks in for a new configuration"
                        ),
                    }
                    announced = Some(soonest);
                }
            }
            let now = Utc::now();
            let mut wake = next_check_in;
            for next in plan.iter().filter_map(|s| s.next) {
                let wait = next
                    .timestamp_millis()
                    .saturating_sub(now.timestamp_millis())
                    .max(0);
                wake = wake.min(Instant::now() + Duration::from_millis(wait as u64));
            }
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {}
                _ = stopped.changed() => break,
            }
        }
        tracing::info!("agent stopped");
    }

    async fn deliver_logged(&self) {
        if let Err(e) = self.deliver().await {
            let queued = self.inner.queue.len().await.unwrap_or_default();
            tracing::warn!(error = %e, queued, "delivery failed; the readings stay queued");
        }
    }

    /// Every cycle of every part of every site, with its next run. Discovery of a part with
    /// no known device is due at once.
    async fn plan(&self, config: &AgentConfig) -> Vec<Slot> {
        let known = self.inner.queue.devices().await.unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot read the known devices");
            Vec::new()
        });
        let now = Utc::now();
        let mut plan = Vec::new();
        for (index, site) in config.sites.iter().enumerate() {
            let schedules = match site.schedules.clone().build() {
                Ok(schedules) => Arc::new(schedules),
                Err(e) => {
                    tracing::error!(site = site.id, error = %e, "the site's schedules are invalid; its cycles do not run");
                    continue;
                }
            };
            for part in parts(site) {
                let undiscovered = !known.iter().any(|d| d.site_id == site.id && d.part == part);
                for cycle in [Cycle::Discovery, Cycle::MetersAndSupplies, Cycle::Alerts] {
                    let next = if cycle == Cycle::Discovery && undiscovered {
                        Some(now)
                    } else {
                        schedules.next_run(cycle, part.as_deref(), now)
                    };
                    plan.push(Slot {
                        site: index,
                        schedules: schedules.clone(),
                        part: part.clone(),
                        cycle,
                        next,
                    });
                }
            }
        }
        plan
    }
}

/// One cycle on one part of one site, and when it runs next.
struct Slot {
    site: usize,
    schedules: Arc<Schedules>,
    part: Option<String>,
    cycle: Cycle,
    next: Option<Timestamp>,
}

/// The agent's loop, running; [`Running::stop`] ends it.
pub struct Running {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops the loop after the cycle in progress (what it read is queued) and waits.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "the agent's loop panicked");
        }
    }
}
