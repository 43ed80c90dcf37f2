//! The meters & supplies and alert cycles over SNMP: read the devices discovery found on
//! a part of a site's network, in parallel, and file their readings.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use quire_model::Cycle;
use quire_protocol::{AgentConfig, SiteConfig};
use quire_snmp::client::Credentials;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::read::DeviceRead;
use crate::state::{KnownDevice, device_key};

use super::{Agent, AgentError, CycleReport};

impl Agent {
    pub(super) async fn read_known(
        &self,
        config: &AgentConfig,
        site: &SiteConfig,
        part: Option<&str>,
        cycle: Cycle,
        report: &mut CycleReport,
    ) -> Result<(), AgentError> {
        let credentials = crate::credentials::usable(&config.credentials);
        let mut known: HashMap<String, KnownDevice> = self
            .inner
            .queue
            .devices()
            .await?
            .into_iter()
            .map(|d| (d.key.clone(), d))
            .collect();
        let mine: HashMap<IpAddr, String> = known
            .values()
            .filter(|d| d.site_id == site.id && d.part.as_deref() == part)
            .map(|d| (d.address, d.key.clone()))
            .collect();
        report.addresses = mine.len();
        let jobs = mine
            .keys()
            .map(|address| (*address, known[&mine[address]].credential))
            .collect();
        for (address, read) in self.read_all(jobs, credentials, cycle).await {
            let read = match read {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(device = %address, ?cycle, error = %e, "could not read a device");
                    report.failures.push(e);
                    continue;
                }
            };
            report.read += 1;
            let key = device_key(&read.reading.identity, address);
            let was = &mine[&address];
            if *was != key {
                tracing::info!(device = %address, was = %was, now = %key, "another device answers on this address");
                self.inner.queue.forget_device(was).await?;
            }
            let previous = known.remove(&key);
            self.file(site, part, address, read, previous.as_ref(), key, report)
                .await?;
        }
        Ok(())
    }

    /// Reads every `(address, credential)` for `cycle`, at most
    /// [`AgentOptions::concurrency`] at once, in address order.
    pub(super) async fn read_all(
        &self,
        jobs: Vec<(IpAddr, usize)>,
        credentials: Vec<Credentials>,
        cycle: Cycle,
    ) -> Vec<(IpAddr, Result<DeviceRead, String>)> {
        let credentials = Arc::new(credentials);
        let slots = Arc::new(Semaphore::new(self.inner.options.concurrency.max(1)));
        let mut reads = JoinSet::new();
        for (address, credential) in jobs {
            let reader = self.inner.reader.clone();
            let credentials = credentials.clone();
            let slots = slots.clone();
            reads.spawn(async move {
                let _slot = slots.acquire_owned().await;
                let read = reader.read(address, &credentials, credential, cycle).await;
                (address, read)
            });
        }
        let mut done = Vec::new();
        while let Some(joined) = reads.join_next().await {
            match joined {
                Ok(read) => done.push(read),
                Err(e) => tracing::error!(error = %e, "a device read panicked"),
            }
        }
        done.sort_by_key(|(address, _)| *address);
        done
    }
}
