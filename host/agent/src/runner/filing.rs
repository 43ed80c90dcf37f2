//! Filing a reading: the supplies it shows replaced, the queue, the known device.

use std::collections::HashMap;
use std::net::IpAddr;

use quire_model::Supply;
use quire_protocol::{SiteConfig, SupplyReplacement, UploadItem};

use crate::read::DeviceRead;
use crate::state::KnownDevice;
use crate::supplies::replacements;

use super::{Agent, AgentError, CycleReport};

impl Agent {
    /// The devices the agent knows, by their serial + MAC key: what a cycle files its
    /// reads against.
    pub(super) async fn known_by_key(&self) -> Result<HashMap<String, KnownDevice>, AgentError> {
        let devices = self.inner.queue.devices().await?;
        Ok(devices.into_iter().map(|d| (d.key.clone(), d)).collect())
    }

    /// The supplies a reading's `now` shows replaced since `before`, each logged
    /// against `device` and counted in the report.
    pub(super) fn replaced_supplies(
        &self,
        device: &str,
        before: &[Supply],
        now: &[Supply],
        report: &mut CycleReport,
    ) -> Vec<SupplyReplacement> {
        let replaced = replacements(before, now, self.inner.options.level_jump);
        for replacement in &replaced {
            tracing::info!(%device, supply = %replacement.description, evidence = ?replacement.evidence, "new supply installed");
        }
        report.replaced_supplies += replaced.len();
        replaced
    }

    /// Queues one reading for delivery, counted in the report.
    pub(super) async fn queue_reading(
        &self,
        item: &UploadItem,
        report: &mut CycleReport,
    ) -> Result<(), AgentError> {
        self.inner.queue.push(item).await?;
        report.queued += 1;
        report.devices += 1;
        Ok(())
    }

    /// Queues one reading with the supplies it replaced, and remembers the device.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn file(
        &self,
        site: &SiteConfig,
        part: Option<&str>,
        address: IpAddr,
        read: DeviceRead,
        previous: Option<&KnownDevice>,
        key: String,
        report: &mut CycleReport,
    ) -> Result<(), AgentError> {
        let before = previous.map(|p| p.supplies.as_slice()).unwrap_or_default();
        let replaced =
            self.replaced_supplies(&address.to_string(), before, &read.reading.supplies, report);
        let supplies = if read.reading.supplies.is_empty() {
            before.to_vec()
        } else {
            read.reading.supplies.clone()
        };
        let item = UploadItem {
            seq: 0,
            site_id: Some(site.id),
            address: address.to_string(),
            taken_at: read.taken_at,
            cycle: report.cycle,
            strategy: read.strategy,
            reading: read.reading,
            raw: Some(read.raw),
            exchanges: read.exchanges,
            replaced_supplies: replaced,
            assessments: read.assessments,
        };
        self.queue_reading(&item, report).await?;
        self.inner
            .queue
            .save_device(&KnownDevice {
                key,
                address,
                site_id: site.id,
                part: part.map(str::to_owned),
                credential: read.credential,
                supplies,
            })
            .await?;
        Ok(())
    }
}
