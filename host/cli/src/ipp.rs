//! `quire ipp`: printers read over IPP instead of SNMP, one URI each, or
//! every queue of a CUPS server (the USB printers of the machine it runs on).
//! The reading itself is the agent's ([`quire_agent::ipp`]), so what this
//! prints is what an agent files.

use anyhow::bail;
use quire_agent::ipp;

use crate::output::Outcome;

pub use quire_agent::ipp::LOCAL_CUPS;

/// Reads the printer at `uri`; a failure is this printer's outcome alone.
async fn read(uri: &str) -> Outcome {
    match ipp::read(uri, &quire_agent::Clock::system()).await {
        Ok(read) => Outcome::Read {
            file: uri.to_owned(),
            strategy: ipp::strategy(),
            warnings: Vec::new(),
            reading: Box::new(read.reading),
        },
        Err(error) => Outcome::Failed {
            file: uri.to_owned(),
            strategy: Some(ipp::strategy()),
            error,
        },
    }
}

/// Reads every URI, then every queue of `cups` when given; one outcome each.
pub async fn run(uris: &[String], cups: Option<&str>) -> anyhow::Result<Vec<Outcome>> {
    let mut all: Vec<String> = uris.to_vec();
    if let Some(server) = cups {
        all.extend(ipp::cups_queues(server).await.map_err(anyhow::Error::msg)?);
    }
    if all.is_empty() {
        bail!("nothing to read: give printer URIs or --cups");
    }
    let mut outcomes = Vec::new();
    for uri in &all {
        outcomes.push(read(uri).await);
    }
    Ok(outcomes)
}
