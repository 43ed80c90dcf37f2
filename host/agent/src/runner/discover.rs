//! The discovery cycle: scan a part of a site's network, read every printing device it
//! finds, keep one device per serial + MAC, and file their readings.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;

use quire_model::Cycle;
use quire_protocol::{AgentConfig, Range, SiteConfig};

use crate::discovery::{self, Target};
use crate::read::DeviceRead;
use crate::state::{KnownDevice, device_key};

use super::{Agent, AgentError, CycleReport};

impl Agent {
    pub(super) async fn discover(
        &self,
        config: &AgentConfig,
        site: &SiteConfig,
        part: Option<&str>,
        report: &mut CycleReport,
    ) -> Result<(), AgentError> {
        let credentials = crate::credentials::usable(&config.credentials);
        let targets = targets(site, part).await;
        report.addresses = targets.len();
        let scan = discovery::scan(
            targets,
            &credentials,
            &config.discovery,
            self.inner.options.snmp_port,
        )
        .await;
        tracing::info!(
            site = site.id,
            found = scan.found.len(),
            not_printers = scan.not_printers,
            refused = scan.refused,
            silent = scan.silent,
            seconds = scan.elapsed.as_secs_f64(),
            "scan done"
        );
        report.found = scan.found.len();
        let jobs = scan
            .found
            .iter()
            .map(|f| (f.target.address, f.credential))
            .collect();
        let reads = self.read_all(jobs, credentials, Cycle::Discovery).await;
        let mut known: HashMap<String, KnownDevice> = self
            .inner
            .queue
            .devices()
            .await?
            .into_iter()
            .map(|d| (d.key.clone(), d))
            .collect();
        let mut by_device: BTreeMap<String, Vec<(IpAddr, DeviceRead)>> = BTreeMap::new();
        for (address, read) in reads {
            match read {
                Ok(read) => {
                    report.read += 1;
                    let key = device_key(&read.reading.identity, address);
                    by_device.entry(key).or_default().push((address, read));
                }
                Err(e) => {
                    tracing::warn!(device = %address, error = %e, "discovery could not read a device");
                    report.failures.push(e);
                }
            }
        }
        let mut devices = Vec::new();
        for (key, mut seen) in by_device {
            let previous = known.remove(&key);
            let keep = previous
                .as_ref()
                .and_then(|p| seen.iter().position(|(a, _)| *a == p.address))
                .unwrap_or_else(|| {
                    (0..seen.len())
                        .min_by_key(|&i| seen[i].0)
                        .expect("a device has at least one address")
                });
            if seen.len() > 1 {
                let addresses: Vec<String> = seen.iter().map(|(a, _)| a.to_string()).collect();
                tracing::info!(device = %key, addresses = %addresses.join(", "), kept = %seen[keep].0, "one device answers on several addresses");
            }
            if previous.is_none() {
                report.new_devices += 1;
            }
            let (address, read) = seen.swap_remove(keep);
            devices.push((address, read, previous, key));
        }
        // Queued in address order, as the scan lists them, whatever their keys.
        devices.sort_by_key(|(address, ..)| *address);
        for (address, read, previous, key) in devices {
            self.file(site, part, address, read, previous.as_ref(), key, report)
                .await?;
        }
        Ok(())
    }
}

/// The addresses of a site's ranges on `part`, each once, host names resolved. A name that
/// does not resolve is logged and skipped.
async fn targets(site: &SiteConfig, part: Option<&str>) -> Vec<Target> {
    let mut seen = HashSet::new();
    let mut targets = Vec::new();
    for range in site.ranges.iter().filter(|r| r.part.as_deref() == part) {
        let addresses: Vec<IpAddr> = match &range.range {
            Range::Host(name) => match tokio::net::lookup_host((name.as_str(), 0)).await {
                Ok(found) => found.map(|a| a.ip()).collect(),
                Err(e) => {
                    tracing::warn!(site = site.id, host = %name, error = %e, "cannot resolve a range's host name");
                    Vec::new()
                }
            },
            other => other.addresses().collect(),
        };
        for address in addresses {
            if seen.insert(address) {
                targets.push(Target {
                    address,
                    site_id: site.id,
                    part: part.map(str::to_owned),
                });
            }
        }
    }
    targets
}
