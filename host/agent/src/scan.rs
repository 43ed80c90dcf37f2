//! What the cycles need from discovery's network scan, as a trait, so the runner is
//! written once whoever probes the addresses.
//!
//! The types have the shape of `discovery::scan`'s (the scanner that sweeps a /16 in
//! seconds, in `discovery.rs`): once it is in the crate, these become re-exports of its
//! types and [`Scanner`] is implemented by calling it.

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use quire_protocol::DiscoverySettings;
use quire_snmp::Oid;
use quire_snmp::client::Credentials;

/// One address to probe, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The address.
    pub address: IpAddr,
    /// The site whose range holds it.
    pub site_id: i64,
    /// The part of the network that range belongs to.
    pub part: Option<String>,
}

/// A printing device that answered.
#[derive(Debug, Clone)]
pub struct Found {
    /// Where it answered.
    pub target: Target,
    /// Index into the credentials tried: the first it answered.
    pub credential: usize,
    /// sysObjectID, when it gave one.
    pub sys_object_id: Option<Oid>,
    /// sysDescr, when it gave one.
    pub sys_descr: Option<String>,
}

/// What a scan found.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// Printing devices only.
    pub found: Vec<Found>,
    /// Addresses that answered but are not printing devices.
    pub not_printers: usize,
    /// Addresses that never answered.
    pub silent: usize,
    /// How long the scan took.
    pub elapsed: Duration,
}

/// Probes addresses and tells which are printing devices, with which credentials.
#[async_trait]
pub trait Scanner: Send + Sync {
    /// Probes every target, trying `credentials` in order, on UDP port `snmp_port`.
    async fn scan(
        &self,
        targets: Vec<Target>,
        credentials: &[Credentials],
        settings: &DiscoverySettings,
        snmp_port: u16,
    ) -> ScanReport;
}
