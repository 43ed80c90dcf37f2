//! The discovery cycle: scan a part of a site's network, read every printing device it
//! finds, keep one device per serial + MAC, and file their readings.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use quire_model::Cycle;
use quire_protocol::{AgentConfig, Range, SiteConfig};

use crate::discovery::{self, Target};
use crate::state::device_key;

use super::{Agent, AgentError, CycleReport, announce};

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
        let scan = discovery::scan_with_progress(
            targets,
            &credentials,
            &discovery::ScanSettings::new(&config.discovery, &site.discovery),
            self.inner.options.snmp_port,
            |progress| {
                self.inner.discovery.send_replace(*progress);
            },
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
        if scan.found.is_empty() && report.addresses > 0 {
            announce::nothing_found(
                site,
                part,
                self.inner.options.snmp_port,
                credentials.len(),
                report.addresses,
            );
        }
        let found_at: HashSet<IpAddr> = scan.found.iter().map(|f| f.target.address).collect();
        let jobs = scan
            .found
            .iter()
            .map(|f| (f.target.address, f.credential))
            .collect();
        let mut known = self.known_by_key().await?;
        // One device per key, filed as its reads arrive (in address order): the first
        // address it answers on, unless it is known on a later address the scan found too.
        let mut kept: HashMap<String, IpAddr> = HashMap::new();
        let mut reads = self.read_each(jobs, credentials, Cycle::Discovery);
        while let Some((address, read)) = reads.recv().await {
            let read = match read {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(device = %address, error = %e, "discovery could not read a device");
                    report.failures.push(e.into());
                    continue;
                }
            };
            report.read += 1;
            let key = device_key(&read.reading.identity, address);
            let known_later = known
                .get(&key)
                .map(|p| p.address)
                .filter(|&at| at > address && found_at.contains(&at));
            if let Some(at) = kept.get(&key).copied().or(known_later) {
                tracing::info!(device = %key, kept = %at, also = %address, "one device answers on several addresses");
                continue;
            }
            let previous = known.remove(&key);
            if previous.is_none() {
                report.new_devices += 1;
            }
            kept.insert(key.clone(), address);
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
