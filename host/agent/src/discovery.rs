//! Discovery: which addresses of a site's ranges are printing devices, and with
//! which of the configured credentials they answer.
//!
//! A scan sweeps whole subnets where almost every address is silent. The SNMP
//! client's [`Sweep`] sends the probes at the site's packet-rate cap and lets
//! every silent address wait out its timeout side by side, so a scan takes
//! about its addresses divided by the cap, plus one timeout: a /16 at 10,000
//! packets/s some 7½ s, at the default 250 packets/s some 4½ minutes.
//!
//! One GETNEXT tells a printing device from anything else: the objects after
//! sysDescr, sysObjectID, hrDeviceType and the Printer-MIB root. A device is
//! printing when the Printer-MIB has objects or its first hrDeviceType is
//! hrDevicePrinter. Credentials are tried in order by the sweep, v3 users
//! with the same engine discovery as reads.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use quire_protocol::{DiscoverySettings, SiteDiscovery};
use quire_snmp::client::{ClientConfig, Credentials, Probed, Sweep};
use quire_snmp::{Oid, Value};
use tokio::time::Instant;

/// sysDescr: what the device says it is, for the log and the console.
const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1];
/// sysObjectID: the vendor's model identifier, which chooses the strategy.
const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2];
/// hrDeviceType (RFC 2790): the first device's type.
const HR_DEVICE_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 2];
/// hrDevicePrinter, the hrDeviceType of a printer.
const HR_DEVICE_PRINTER: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 1, 5];
/// The Printer-MIB (RFC 3805): any object under it makes a printing device.
const PRINTER_MIB: &[u32] = &[1, 3, 6, 1, 2, 1, 43];

/// What the probe's GETNEXT asks, in this order.
const PROBE: [&[u32]; 4] = [SYS_DESCR, SYS_OBJECT_ID, HR_DEVICE_TYPE, PRINTER_MIB];

/// How often the progress callback hears of a running scan.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// How a scan probes: the server's timeout and retries, the site's pace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanSettings {
    /// How long an address has to answer each attempt.
    pub timeout: Duration,
    /// Attempts after the first, per credentials.
    pub retries: u32,
    /// The most datagrams sent a second.
    pub packets_per_second: u32,
}

impl ScanSettings {
    /// The server's settings for every site, with `site`'s own.
    pub fn new(server: &DiscoverySettings, site: &SiteDiscovery) -> ScanSettings {
        ScanSettings {
            timeout: Duration::from_millis(u64::from(server.timeout_ms.max(1))),
            retries: server.retries,
            packets_per_second: site.packets_per_second,
        }
    }
}

impl Default for ScanSettings {
    fn default() -> Self {
        ScanSettings::new(&DiscoverySettings::default(), &SiteDiscovery::default())
    }
}

/// One address to probe, with where its answer belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The address, probed on the scan's SNMP port.
    pub address: IpAddr,
    /// The site whose range holds it.
    pub site_id: i64,
    /// The part of the network (its schedules may differ); `None` is the site's default.
    pub part: Option<String>,
}

/// A printing device that answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Where it was found.
    pub target: Target,
    /// Index, into the credentials the scan was given, of the first that worked,
    /// so reading it later starts with that one.
    pub credential: usize,
    /// Its sysObjectID, which chooses the strategy that reads it.
    pub sys_object_id: Option<Oid>,
    /// Its sysDescr.
    pub sys_descr: Option<String>,
}

/// What a scan found. Every distinct address counts in exactly one of
/// `found`, `not_printers`, `refused` and `silent`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanReport {
    /// The printing devices, in the order they answered.
    pub found: Vec<Found>,
    /// Addresses that answered but are no printing device, or answered garbage.
    pub not_printers: usize,
    /// Addresses whose SNMP engine answered but refused every v3 user tried
    /// (unknown user, wrong password): worth a look at the credentials.
    pub refused: usize,
    /// Addresses that answered none of the credentials.
    pub silent: usize,
    /// How long the scan took.
    pub elapsed: Duration,
}

/// How far a running scan is; the default is no scan yet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Addresses settled so far.
    pub done: usize,
    /// Addresses in the scan.
    pub total: usize,
    /// Printing devices among them.
    pub found: usize,
    /// Time since the scan began.
    pub elapsed: Duration,
}

/// Probes every target and reports the printing devices. Credentials are tried
/// in order: an address silent to one is asked with the next. Never fails: an
/// address that cannot be probed counts as silent, one that answers garbage as
/// no printer, and neither stops the rest. An address listed twice is probed once.
pub async fn scan(
    targets: Vec<Target>,
    credentials: &[Credentials],
    settings: &ScanSettings,
    snmp_port: u16,
) -> ScanReport {
    scan_with_progress(targets, credentials, settings, snmp_port, |_| {}).await
}

/// [`scan`], telling `progress` how far it is about once a second and once at
/// the end, so a long sweep can show it is alive.
pub async fn scan_with_progress(
    targets: Vec<Target>,
    credentials: &[Credentials],
    settings: &ScanSettings,
    snmp_port: u16,
    mut progress: impl FnMut(&Progress),
) -> ScanReport {
    let started = Instant::now();
    let mut seen = HashSet::with_capacity(targets.len());
    let targets: Vec<(SocketAddr, Target)> = targets
        .into_iter()
        .filter(|t| seen.insert(t.address))
        .map(|t| (SocketAddr::new(t.address, snmp_port), t))
        .collect();
    drop(seen);
    let total = targets.len();
    let config = ClientConfig {
        timeout: settings.timeout,
        retries: settings.retries,
        // A silent address is the rule here, not a busy printer to wait for.
        backoff: 1.0,
        ..ClientConfig::default()
    };
    let sweep = Sweep::new(credentials, config).await;
    let oids: Arc<[Oid]> = PROBE.iter().map(|&o| Oid::from(o)).collect();
    let mut settled = sweep.run(targets, oids, settings.packets_per_second);
    let mut report = ScanReport::default();
    let mut done = 0;
    let mut next_progress = started + PROGRESS_EVERY;
    loop {
        let result = tokio::select! {
            result = settled.recv() => result,
            () = tokio::time::sleep_until(next_progress) => {
                next_progress = Instant::now() + PROGRESS_EVERY;
                progress(&Progress { done, total, found: report.found.len(), elapsed: started.elapsed() });
                continue;
            }
        };
        let Some((target, probed)) = result else {
            break;
        };
        done += 1;
        settle(&mut report, target, probed);
    }
    // The sweep ends once every target is settled; short of that it stopped
    // (panicked), and those it had not settled were never answered.
    if done < total {
        tracing::error!(
            settled = done,
            total,
            "the discovery sweep stopped early: the rest count as silent"
        );
        report.silent += total - done;
    }
    report.elapsed = started.elapsed();
    progress(&Progress {
        done,
        total,
        found: report.found.len(),
        elapsed: report.elapsed,
    });
    report
}

/// Counts one address in the report.
fn settle(report: &mut ScanReport, target: Target, probed: Probed) {
    match probed {
        Probed::Answered {
            credentials,
            varbinds,
        } => match classify(&varbinds) {
            Some((sys_object_id, sys_descr)) => {
                tracing::debug!(device = %target.address, credentials, "printing device found");
                report.found.push(Found {
                    target,
                    credential: credentials,
                    sys_object_id,
                    sys_descr,
                });
            }
            None => report.not_printers += 1,
        },
        Probed::Failed(e) => {
            tracing::debug!(device = %target.address, error = %e, "discovery answer unusable: no printer");
            report.not_printers += 1;
        }
        Probed::Refused => report.refused += 1,
        Probed::Silent => report.silent += 1,
    }
}

/// Reads the probe's answer, `varbinds[k]` being the object after
/// [`PROBE`]`[k]`: a printing device's sysObjectID and sysDescr, or `None`
/// for anything else.
fn classify(varbinds: &[(Oid, Value)]) -> Option<(Option<Oid>, Option<String>)> {
    let mut printing = false;
    let mut sys_object_id = None;
    let mut sys_descr = None;
    for (root, (oid, value)) in PROBE.iter().zip(varbinds) {
        if value.is_exception() || !oid.starts_with(&Oid::from(*root)) {
            continue;
        }
        match (*root, value) {
            (SYS_DESCR, Value::OctetString(text)) => {
                sys_descr = Some(String::from_utf8_lossy(text).trim().to_owned());
            }
            (SYS_OBJECT_ID, Value::ObjectId(id)) => sys_object_id = Some(id.clone()),
            (HR_DEVICE_TYPE, Value::ObjectId(kind)) => {
                printing |= kind.arcs() == HR_DEVICE_PRINTER;
            }
            (PRINTER_MIB, _) => printing = true,
            _ => {}
        }
    }
    printing.then_some((sys_object_id, sys_descr))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
    }

    #[test]
    fn printer_mib_objects_make_a_printing_device() {
        let varbinds = vec![
            (
                oid("1.3.6.1.2.1.1.1.0"),
                Value::OctetString(b" HP LaserJet ".to_vec()),
            ),
            (
                oid("1.3.6.1.2.1.1.2.0"),
                Value::ObjectId(oid("1.3.6.1.4.1.11.2.3.9.1")),
            ),
            (
                oid("1.3.6.1.2.1.25.3.2.1.2.1"),
                Value::ObjectId(oid("1.3.6.1.2.1.25.3.1.3")),
            ),
            (oid("1.3.6.1.2.1.43.5.1.1.1.1"), Value::Integer(1)),
        ];
        let Some((sys_object_id, sys_descr)) = classify(&varbinds) else {
            panic!("a Printer-MIB object was not taken for a printer");
        };
        assert_eq!(sys_object_id, Some(oid("1.3.6.1.4.1.11.2.3.9.1")));
        assert_eq!(sys_descr.as_deref(), Some("HP LaserJet"));
    }

    #[test]
    fn hr_device_printer_alone_makes_a_printing_device() {
        // A v1 agent's noSuchName for the first two, as the client hands it on.
        let varbinds = vec![
            (oid("1.3.6.1.2.1.1.1"), Value::EndOfMibView),
            (oid("1.3.6.1.2.1.1.2"), Value::EndOfMibView),
            (
                oid("1.3.6.1.2.1.25.3.2.1.2.1"),
                Value::ObjectId(oid("1.3.6.1.2.1.25.3.1.5")),
            ),
            (oid("1.3.6.1.2.1.44.1.0"), Value::Integer(1)),
        ];
        assert!(classify(&varbinds).is_some());
    }

    #[test]
    fn objects_past_the_printer_mib_or_exceptions_are_no_printer() {
        let varbinds = vec![
            (
                oid("1.3.6.1.2.1.1.1.0"),
                Value::OctetString(b"Linux".to_vec()),
            ),
            (
                oid("1.3.6.1.2.1.1.2.0"),
                Value::ObjectId(oid("1.3.6.1.4.1.8072.3.2.10")),
            ),
            (
                oid("1.3.6.1.2.1.25.3.2.1.2.196608"),
                Value::ObjectId(oid("1.3.6.1.2.1.25.3.1.3")),
            ),
            (oid("1.3.6.1.2.1.55.1.1.0"), Value::Integer(1)),
        ];
        assert_eq!(classify(&varbinds), None);
        let ended: Vec<_> = PROBE
            .iter()
            .map(|&root| (Oid::from(root), Value::EndOfMibView))
            .collect();
        assert_eq!(classify(&ended), None);
    }
}
