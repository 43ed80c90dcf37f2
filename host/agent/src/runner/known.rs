//! The meters & supplies and alert cycles over SNMP: read the devices discovery found on
//! a part of a site's network, in parallel, and file their readings.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

use quire_model::Cycle;
use quire_protocol::{AgentConfig, SiteConfig};
use quire_snmp::client::Credentials;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::error::ReadError;
use crate::read::DeviceRead;
use crate::state::device_key;

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
        let mut known = self.known_by_key().await?;
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
        let mut reads = self.read_each(jobs, credentials, cycle);
        while let Some((address, read)) = reads.recv().await {
            let read = match read {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(device = %address, ?cycle, error = %e, "could not read a device");
                    report.failures.push(e.into());
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
    /// [`AgentOptions::concurrency`](super::AgentOptions::concurrency) at once, and hands
    /// each read on in address order as soon as those before it are done: a sweep holds
    /// only the reads that finished ahead of a slower one, never the whole sweep, and
    /// the queue still gets them in the order the scan listed them.
    pub(super) fn read_each(
        &self,
        mut jobs: Vec<(IpAddr, usize)>,
        credentials: Vec<Credentials>,
        cycle: Cycle,
    ) -> mpsc::Receiver<(IpAddr, Result<DeviceRead, ReadError>)> {
        jobs.sort_by_key(|(address, _)| *address);
        let concurrency = self.inner.options.concurrency.max(1);
        let reader = self.inner.reader.clone();
        let credentials = Arc::new(credentials);
        let (tx, rx) = mpsc::channel(concurrency);
        tokio::spawn(async move {
            let mut pending = jobs.into_iter().enumerate();
            let mut running = JoinSet::new();
            let mut started = HashMap::new();
            let mut done = BTreeMap::new();
            let mut next = 0;
            loop {
                while running.len() < concurrency
                    && let Some((index, (address, credential))) = pending.next()
                {
                    let (reader, credentials) = (reader.clone(), credentials.clone());
                    let task = running.spawn(async move {
                        reader.read(address, &credentials, credential, cycle).await
                    });
                    started.insert(task.id(), (index, address));
                }
                let Some(joined) = running.join_next_with_id().await else {
                    return;
                };
                let (id, joined) = match joined {
                    Ok((id, read)) => (id, Ok(read)),
                    Err(e) => (e.id(), Err(e)),
                };
                let Some((index, address)) = started.remove(&id) else {
                    continue;
                };
                let read = joined.unwrap_or_else(|e| {
                    tracing::error!(device = %address, error = %e, "a device read panicked");
                    let reason = e.to_string();
                    Err(ReadError::Aborted { address, reason })
                });
                crate::metrics::count_read(cycle, read.as_ref().err());
                done.insert(index, (address, read));
                while let Some(read) = done.remove(&next) {
                    if tx.send(read).await.is_err() {
                        return;
                    }
                    next += 1;
                }
            }
        });
        rx
    }
}
