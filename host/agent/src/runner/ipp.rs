//! The meters & supplies and alert cycles over IPP: the site's printer URIs, the agent's
//! CUPS queues and the URIs of its options.

use quire_model::{Cycle, ErrorAssessment, Reading};
use quire_plugins::FALLBACK_STRATEGY;
use quire_protocol::{AgentConfig, SiteConfig, UploadItem};

use crate::error::ReadError;

use super::{Agent, AgentError, CycleReport, hosts_agent_printers, is_first_part};

impl Agent {
    /// Reads the printers read over IPP with this part of the site's network: the
    /// site's own (its first part reads them) and, with the first part of the first
    /// site, the agent's (the queues of its CUPS server, the printers of its options).
    /// Queues a reading for each, filed under `site` with the printer's URI as its
    /// address and the cartridges replaced since its last reading. A printer that
    /// cannot be read is a failure in the report and the rest are read; a CUPS server
    /// that does not answer is one failure.
    pub(super) async fn read_ipp(
        &self,
        config: &AgentConfig,
        site: &SiteConfig,
        part: Option<&str>,
        cycle: Cycle,
        report: &mut CycleReport,
    ) -> Result<(), AgentError> {
        let mut printers = Vec::new();
        if hosts_agent_printers(config, site, part) {
            if let Some(server) = &self.inner.options.cups {
                match crate::ipp::cups_queues(server).await {
                    Ok(queues) => printers.extend(queues),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot list the CUPS queues");
                        report.failures.push(ReadError::Ipp(e).into());
                    }
                }
            }
            printers.extend(self.inner.options.ipp.iter().cloned());
        }
        if is_first_part(site, part) {
            for uri in &site.ipp_printers {
                if !printers.contains(uri) {
                    printers.push(uri.clone());
                }
            }
        }
        report.addresses += printers.len();
        for uri in printers {
            let read = match crate::ipp::read(&uri, &self.inner.options.clock).await {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(printer = %uri, ?cycle, error = %e, "could not read an IPP printer");
                    let failed = ReadError::Ipp(e);
                    crate::metrics::count_read(cycle, Some(&failed));
                    report.failures.push(failed.into());
                    continue;
                }
            };
            crate::metrics::count_read(cycle, None);
            report.read += 1;
            let before = self.inner.queue.ipp_supplies(&uri).await?;
            let now = &read.reading.supplies;
            let replaced = self.replaced_supplies(&uri, &before, now, report);
            if !now.is_empty() {
                self.inner.queue.save_ipp_supplies(&uri, now).await?;
            }
            let assessments = self.assess_ipp(&uri, &read.reading).await;
            let item = UploadItem {
                seq: 0,
                site_id: Some(site.id),
                address: uri,
                taken_at: read.taken_at,
                cycle,
                strategy: crate::ipp::strategy(),
                reading: read.reading,
                raw: None,
                exchanges: Some(read.exchanges.to_jsonl()),
                replaced_supplies: replaced,
                assessments,
            };
            self.queue_reading(&item, report).await?;
        }
        Ok(())
    }

    /// What the generic strategy's `map-error` makes of an IPP reading's alerts and
    /// error bits. No strategy reads an IPP printer, but `quire-ipp` words its
    /// `printer-state-reasons` as Printer-MIB error bits and alert codes, which is
    /// exactly what [`FALLBACK_STRATEGY`] judges for SNMP printers; so a jam reads the
    /// same over either. Without that strategy loaded the reading goes unjudged.
    async fn assess_ipp(&self, uri: &str, reading: &Reading) -> Vec<ErrorAssessment> {
        match self.registry().get(FALLBACK_STRATEGY) {
            Some(generic) => generic.assess(reading).await,
            None => {
                tracing::warn!(printer = %uri, "no {FALLBACK_STRATEGY} strategy to judge the IPP printer's errors");
                Vec::new()
            }
        }
    }
}
