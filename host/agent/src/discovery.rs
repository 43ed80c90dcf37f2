//! Discovery: which addresses of a site's ranges are printing devices, and with
//! which of the configured credentials they answer.
//!
//! A scan sweeps whole subnets where almost every address is silent, so its
//! time is the number of addresses times the timeout, divided by how many
//! probes are in flight. One socket and one task per address (what a
//! [`quire_snmp::client::Session`] per address amounts to) caps that at a few
//! hundred in flight; here a handful of unconnected UDP sockets carry every
//! probe, answers are matched to their address by request-id, and timeouts sit
//! in one queue ordered by deadline, so thousands of probes in flight cost a
//! map entry each. A /16 at a 1 s timeout and 2,048 in flight takes about
//! 32 s instead of the 8½ minutes of 128 sessions at a time.
//!
//! One GETNEXT tells a printing device from anything else: the objects after
//! sysDescr, sysObjectID, hrDeviceType and the Printer-MIB root. A device is
//! printing when the Printer-MIB has objects or its first hrDeviceType is
//! hrDevicePrinter. v1/v2c communities are probed on the shared sockets; a v3
//! user is probed with the engine-discovery exchange (unauthenticated, so it
//! shares the sockets too), and only an address that answers it gets a
//! [`Session`] with the user for the authenticated GETNEXT.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use quire_protocol::DiscoverySettings;
use quire_snmp::client::{ClientConfig, ClientErrorKind, Credentials, Session, Version};
use quire_snmp::wire::{
    CommunityMessage, Message, MsgFlags, Pdu, PduKind, ScopedPdu, ScopedPduData, UsmParams,
    V3Message,
};
use quire_snmp::{Oid, Value};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
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

/// v1 `noSuchName`: a v1 agent's way to say a GETNEXT ran off its MIB.
const NO_SUCH_NAME: i32 = 2;

/// Shared IPv4 sockets: several, so a burst of answers is spread over several
/// kernel receive buffers instead of overflowing one.
const SOCKETS: usize = 4;

/// msgMaxSize of the engine-discovery request: the largest UDP payload.
const MAX_MESSAGE_SIZE: i32 = 65_507;

/// How often the progress callback hears of a running scan.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

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

/// How far a running scan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    settings: &DiscoverySettings,
    snmp_port: u16,
) -> ScanReport {
    scan_with_progress(targets, credentials, settings, snmp_port, |_| {}).await
}

/// [`scan`], telling `progress` how far it is about once a second and once at
/// the end, so a long sweep can show it is alive.
pub async fn scan_with_progress(
    targets: Vec<Target>,
    credentials: &[Credentials],
    settings: &DiscoverySettings,
    snmp_port: u16,
    mut progress: impl FnMut(&Progress),
) -> ScanReport {
    let started = Instant::now();
    let mut seen = std::collections::HashSet::with_capacity(targets.len());
    let targets: Vec<Target> = targets
        .into_iter()
        .filter(|t| seen.insert(t.address))
        .collect();
    let usable: Vec<bool> = credentials
        .iter()
        .enumerate()
        .map(|(i, c)| match c.check() {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(credentials = i, error = %e, "discovery skips unusable credentials");
                false
            }
        })
        .collect();
    let (tx, rx) = mpsc::unbounded_channel();
    let mut receivers = JoinSet::new();
    let wants_v6 = targets.iter().any(|t| t.address.is_ipv6());
    let wants_v4 = targets.iter().any(|t| t.address.is_ipv4());
    let v4 = if wants_v4 {
        open_sockets(Ipv4Addr::UNSPECIFIED.into(), SOCKETS, &tx, &mut receivers).await
    } else {
        Vec::new()
    };
    let v6 = if wants_v6 {
        open_sockets(Ipv6Addr::UNSPECIFIED.into(), 1, &tx, &mut receivers).await
    } else {
        Vec::new()
    };
    drop(tx);
    let mut scanner = Scanner {
        slots: targets.iter().map(|_| Slot::default()).collect(),
        targets,
        credentials: credentials.to_vec(),
        usable,
        timeout: Duration::from_millis(u64::from(settings.timeout_ms.max(1))),
        attempts: settings.retries.saturating_add(1),
        concurrency: usize::try_from(settings.concurrency.max(1)).unwrap_or(usize::MAX),
        port: snmp_port,
        v4,
        v6,
        next_id: 1,
        requests: HashMap::new(),
        deadlines: VecDeque::new(),
        by_address: HashMap::new(),
        in_flight: 0,
        next_target: 0,
        done: 0,
        v3: JoinSet::new(),
        report: ScanReport::default(),
    };
    scanner.run(rx, started, &mut progress).await;
    receivers.abort_all();
    let mut report = scanner.report;
    report.elapsed = started.elapsed();
    progress(&Progress {
        done: scanner.done,
        total: scanner.targets.len(),
        found: report.found.len(),
        elapsed: report.elapsed,
    });
    report
}

/// Binds `count` sockets on `any` and forwards what each receives to `tx`.
/// A family that cannot be bound leaves its targets silent, which is what they
/// are to this host.
async fn open_sockets(
    any: IpAddr,
    count: usize,
    tx: &mpsc::UnboundedSender<(SocketAddr, Vec<u8>)>,
    receivers: &mut JoinSet<()>,
) -> Vec<Arc<UdpSocket>> {
    let mut sockets = Vec::with_capacity(count);
    for _ in 0..count {
        match UdpSocket::bind((any, 0)).await {
            Ok(socket) => {
                let socket = Arc::new(socket);
                receivers.spawn(receive(socket.clone(), tx.clone()));
                sockets.push(socket);
            }
            Err(e) => {
                tracing::warn!(local = %any, error = %e, "discovery cannot open a UDP socket")
            }
        }
    }
    sockets
}

async fn receive(socket: Arc<UdpSocket>, tx: mpsc::UnboundedSender<(SocketAddr, Vec<u8>)>) {
    let mut buffer = vec![0; 65_536];
    loop {
        match socket.recv_from(&mut buffer).await {
            Ok((len, from)) => {
                if tx.send((from, buffer[..len].to_vec())).is_err() {
                    return;
                }
            }
            // Windows reports an earlier ICMP port-unreachable on the next
            // receive; such an address is as good as silent.
            Err(e) => tracing::debug!(error = %e, "discovery receive failed"),
        }
    }
}

/// Where one target is in its probing.
#[derive(Debug, Default)]
struct Slot {
    /// The credentials being tried.
    credential: usize,
    /// Attempts sent with them.
    attempt: u32,
    /// Request-ids of those attempts: an answer to any of them counts.
    ids: Vec<i32>,
    /// Which of [`PROBE`] are still asked (a v1 agent's `noSuchName` drops one).
    asked: Vec<usize>,
    /// What v3 engine discovery learned of this address.
    engine: Engine,
    /// A v3 user was refused here.
    refused: bool,
    /// Counted in the report: a garbled datagram may settle a target while
    /// its v3 session is still out, and that session's end must not count it again.
    settled: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Engine {
    #[default]
    Unknown,
    /// Answered discovery: users are tried with a session.
    Answered,
    /// Never answered discovery: further v3 users are not asked.
    Silent,
}

/// How an address settled.
enum Outcome {
    Printer {
        credential: usize,
        sys_object_id: Option<Oid>,
        sys_descr: Option<String>,
    },
    NotPrinter,
    Refused,
    Silent,
}

/// What an authenticated v3 probe came to.
enum V3Result {
    Answered(Vec<(Oid, Value)>),
    /// The user was refused: try the next credentials, remember the refusal.
    Refused,
    /// No answer: try the next credentials.
    Silent,
    /// Answered, but not with a usable answer.
    NotPrinter,
}

struct Scanner {
    targets: Vec<Target>,
    slots: Vec<Slot>,
    credentials: Vec<Credentials>,
    usable: Vec<bool>,
    timeout: Duration,
    attempts: u32,
    concurrency: usize,
    port: u16,
    v4: Vec<Arc<UdpSocket>>,
    v6: Vec<Arc<UdpSocket>>,
    next_id: i32,
    /// Request-id → target, for every attempt not yet settled.
    requests: HashMap<i32, usize>,
    /// Attempts by deadline: every attempt waits the same time, so sending
    /// order is deadline order and a queue suffices.
    deadlines: VecDeque<(Instant, i32)>,
    /// The targets in flight, by address: a garbled answer carries no
    /// request-id, only where it came from.
    by_address: HashMap<IpAddr, usize>,
    in_flight: usize,
    next_target: usize,
    done: usize,
    v3: JoinSet<(usize, usize, V3Result)>,
    report: ScanReport,
}

impl Scanner {
    async fn run(
        &mut self,
        mut rx: mpsc::UnboundedReceiver<(SocketAddr, Vec<u8>)>,
        started: Instant,
        progress: &mut impl FnMut(&Progress),
    ) {
        let mut next_progress = started + PROGRESS_EVERY;
        loop {
            while self.in_flight < self.concurrency && self.next_target < self.targets.len() {
                let target = self.next_target;
                self.next_target += 1;
                self.in_flight += 1;
                self.by_address.insert(self.targets[target].address, target);
                self.slots[target].asked = (0..PROBE.len()).collect();
                self.try_credentials(target, 0).await;
            }
            if self.in_flight == 0 && self.next_target == self.targets.len() {
                return;
            }
            let next_deadline = self.deadlines.front().map(|(at, _)| *at);
            tokio::select! {
                Some((from, datagram)) = rx.recv() => self.answer(from, &datagram).await,
                Some(joined) = self.v3.join_next(), if !self.v3.is_empty() => match joined {
                    Ok((target, credential, result)) => self.v3_done(target, credential, result).await,
                    Err(e) => tracing::error!(error = %e, "a v3 discovery probe panicked"),
                },
                () = sleep_until(next_deadline) => self.expire().await,
            }
            if Instant::now() >= next_progress {
                next_progress = Instant::now() + PROGRESS_EVERY;
                progress(&Progress {
                    done: self.done,
                    total: self.targets.len(),
                    found: self.report.found.len(),
                    elapsed: started.elapsed(),
                });
            }
        }
    }

    /// Starts on the first usable credentials from `from` on, or settles the
    /// target when there are none left.
    async fn try_credentials(&mut self, target: usize, from: usize) {
        let slot = &mut self.slots[target];
        for id in slot.ids.drain(..) {
            self.requests.remove(&id);
        }
        slot.attempt = 0;
        let next = (from..self.credentials.len()).find(|&i| {
            self.usable[i]
                && !(self.credentials[i].version() == Version::V3 && slot.engine == Engine::Silent)
        });
        let Some(credential) = next else {
            let outcome = if slot.refused {
                Outcome::Refused
            } else {
                Outcome::Silent
            };
            self.settle(target, outcome);
            return;
        };
        slot.credential = credential;
        if self.credentials[credential].version() == Version::V3 && slot.engine == Engine::Answered
        {
            self.spawn_v3(target, credential);
        } else {
            self.send(target).await;
        }
    }

    /// Sends the next attempt of the target's current credentials: the probe
    /// GETNEXT for a community, engine discovery for a v3 user.
    async fn send(&mut self, target: usize) {
        let id = self.next_id;
        self.next_id = if id >= i32::MAX - 1 { 1 } else { id + 1 };
        let slot = &mut self.slots[target];
        slot.attempt += 1;
        slot.ids.push(id);
        self.requests.insert(id, target);
        self.deadlines
            .push_back((Instant::now() + self.timeout, id));
        let oids = slot.asked.iter().map(|&k| Oid::from(PROBE[k]));
        let message = match &self.credentials[slot.credential] {
            Credentials::V1 { community } => Message::Community(CommunityMessage {
                version: quire_snmp::wire::Version::V1,
                community: community.as_bytes().to_vec(),
                pdu: Pdu::request(PduKind::GetNext, id, oids),
            }),
            Credentials::V2c { community } => Message::Community(CommunityMessage {
                version: quire_snmp::wire::Version::V2c,
                community: community.as_bytes().to_vec(),
                pdu: Pdu::request(PduKind::GetNext, id, oids),
            }),
            Credentials::V3(_) => engine_discovery(id),
        };
        let address = self.targets[target].address;
        let sockets = if address.is_ipv4() {
            &self.v4
        } else {
            &self.v6
        };
        let Some(socket) = sockets.get(id.unsigned_abs() as usize % sockets.len().max(1)) else {
            return;
        };
        if let Err(e) = socket
            .send_to(&message.encode(), (address, self.port))
            .await
        {
            // The attempt's deadline passes like a silent one's.
            tracing::debug!(device = %address, error = %e, "discovery probe not sent");
        }
    }

    /// Settles every attempt whose deadline has passed: retry, or the next
    /// credentials.
    async fn expire(&mut self) {
        let now = Instant::now();
        while let Some(&(at, id)) = self.deadlines.front() {
            if at > now {
                break;
            }
            self.deadlines.pop_front();
            let Some(&target) = self.requests.get(&id) else {
                continue;
            };
            let slot = &mut self.slots[target];
            if slot.ids.last() != Some(&id) {
                continue;
            }
            if slot.attempt < self.attempts {
                self.send(target).await;
                continue;
            }
            if self.credentials[slot.credential].version() == Version::V3 {
                slot.engine = Engine::Silent;
            }
            let next = slot.credential + 1;
            self.try_credentials(target, next).await;
        }
    }

    /// A datagram on one of the shared sockets.
    async fn answer(&mut self, from: SocketAddr, datagram: &[u8]) {
        let message = match Message::decode(datagram) {
            Ok(message) => message,
            Err(e) => {
                if let Some(&target) = self.by_address.get(&from.ip()) {
                    tracing::debug!(device = %from, error = %e, "undecodable answer to discovery: no printer");
                    self.settle(target, Outcome::NotPrinter);
                }
                return;
            }
        };
        let id = match &message {
            Message::Community(m) => m.pdu.request_id,
            Message::V3(m) => m.msg_id,
        };
        let Some(&target) = self.requests.get(&id) else {
            return;
        };
        if self.targets[target].address != from.ip() {
            return;
        }
        let credential = self.slots[target].credential;
        let version = self.credentials[credential].version();
        match (message, version) {
            (Message::Community(m), Version::V1 | Version::V2c) => {
                let pdu = m.pdu;
                if pdu.kind != PduKind::Response {
                    self.settle(target, Outcome::NotPrinter);
                    return;
                }
                let v1 = version == Version::V1;
                let slot = &mut self.slots[target];
                let missing = usize::try_from(pdu.error_index)
                    .ok()
                    .filter(|i| (1..=slot.asked.len()).contains(i));
                if let (true, NO_SUCH_NAME, Some(index)) = (v1, pdu.error_status, missing) {
                    slot.asked.remove(index - 1);
                    for id in slot.ids.drain(..) {
                        self.requests.remove(&id);
                    }
                    slot.attempt = 0;
                    if slot.asked.is_empty() {
                        self.settle(target, Outcome::NotPrinter);
                    } else {
                        self.send(target).await;
                    }
                    return;
                }
                if pdu.error_status != 0 || pdu.varbinds.len() != slot.asked.len() {
                    tracing::debug!(device = %from, status = pdu.error_status, varbinds = pdu.varbinds.len(), "discovery answer unusable: no printer");
                    self.settle(target, Outcome::NotPrinter);
                    return;
                }
                let asked = std::mem::take(&mut slot.asked);
                let outcome = classify(credential, &asked, &pdu.varbinds);
                self.settle(target, outcome);
            }
            (Message::V3(m), Version::V3) => {
                let engine_named = matches!(&m.data, ScopedPduData::Plain(s) if s.pdu.kind == PduKind::Report)
                    && !m.usm.engine_id.is_empty();
                if !engine_named {
                    self.settle(target, Outcome::NotPrinter);
                    return;
                }
                let slot = &mut self.slots[target];
                slot.engine = Engine::Answered;
                for id in slot.ids.drain(..) {
                    self.requests.remove(&id);
                }
                self.spawn_v3(target, credential);
            }
            // An answer in another version than asked: not an agent to trust.
            _ => self.settle(target, Outcome::NotPrinter),
        }
    }

    /// The authenticated probe with a v3 user, on a session of its own: only
    /// addresses whose engine answered get here, so there are few.
    fn spawn_v3(&mut self, target: usize, credential: usize) {
        let address = SocketAddr::new(self.targets[target].address, self.port);
        let credentials = self.credentials[credential].clone();
        let config = ClientConfig {
            timeout: self.timeout,
            retries: self.attempts - 1,
            backoff: 1.0,
            ..ClientConfig::default()
        };
        self.v3.spawn(async move {
            let oids: Vec<Oid> = PROBE.iter().map(|&o| Oid::from(o)).collect();
            let answered = match Session::open(address, credentials, config).await {
                Ok(session) => session.get_next(&oids).await,
                Err(e) => Err(e),
            };
            let result = match answered {
                Ok(varbinds) => V3Result::Answered(varbinds),
                Err(e) => {
                    tracing::debug!(device = %address, credentials = credential, error = %e, "v3 discovery probe failed");
                    match e.kind {
                        ClientErrorKind::Authentication(_) | ClientErrorKind::Credentials(_) => {
                            V3Result::Refused
                        }
                        ClientErrorKind::Timeout { .. } | ClientErrorKind::Unreachable(_) => {
                            V3Result::Silent
                        }
                        _ => V3Result::NotPrinter,
                    }
                }
            };
            (target, credential, result)
        });
    }

    async fn v3_done(&mut self, target: usize, credential: usize, result: V3Result) {
        if self.slots[target].settled {
            return;
        }
        match result {
            V3Result::Answered(varbinds) => {
                let asked: Vec<usize> = (0..PROBE.len()).collect();
                let outcome = classify(credential, &asked, &varbinds);
                self.settle(target, outcome);
            }
            V3Result::NotPrinter => self.settle(target, Outcome::NotPrinter),
            V3Result::Refused | V3Result::Silent => {
                if matches!(result, V3Result::Refused) {
                    self.slots[target].refused = true;
                }
                self.try_credentials(target, credential + 1).await;
            }
        }
    }

    fn settle(&mut self, target: usize, outcome: Outcome) {
        let slot = &mut self.slots[target];
        if slot.settled {
            return;
        }
        slot.settled = true;
        for id in slot.ids.drain(..) {
            self.requests.remove(&id);
        }
        slot.asked = Vec::new();
        self.by_address.remove(&self.targets[target].address);
        self.in_flight -= 1;
        self.done += 1;
        match outcome {
            Outcome::Printer {
                credential,
                sys_object_id,
                sys_descr,
            } => {
                tracing::debug!(device = %self.targets[target].address, credentials = credential, "printing device found");
                self.report.found.push(Found {
                    target: self.targets[target].clone(),
                    credential,
                    sys_object_id,
                    sys_descr,
                });
            }
            Outcome::NotPrinter => self.report.not_printers += 1,
            Outcome::Refused => self.report.refused += 1,
            Outcome::Silent => self.report.silent += 1,
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// RFC 3414 4: an empty GET from no user to no engine, which any v3 agent
/// answers with a Report naming its engine.
fn engine_discovery(id: i32) -> Message {
    Message::V3(V3Message {
        msg_id: id,
        max_size: MAX_MESSAGE_SIZE,
        flags: MsgFlags {
            reportable: true,
            ..MsgFlags::default()
        },
        usm: UsmParams::default(),
        data: ScopedPduData::Plain(ScopedPdu {
            context_engine_id: Vec::new(),
            context_name: Vec::new(),
            pdu: Pdu::request(PduKind::Get, id, []),
        }),
    })
}

/// Reads the probe's answer: `asked[k]` is the [`PROBE`] entry whose next
/// object `varbinds[k]` is.
fn classify(credential: usize, asked: &[usize], varbinds: &[(Oid, Value)]) -> Outcome {
    let mut printing = false;
    let mut sys_object_id = None;
    let mut sys_descr = None;
    for (&k, (oid, value)) in asked.iter().zip(varbinds) {
        let root = Oid::from(PROBE[k]);
        if value.is_exception() || !oid.starts_with(&root) {
            continue;
        }
        match (PROBE[k], value) {
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
    if printing {
        Outcome::Printer {
            credential,
            sys_object_id,
            sys_descr,
        }
    } else {
        Outcome::NotPrinter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
    }

    fn all() -> Vec<usize> {
        (0..PROBE.len()).collect()
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
        let Outcome::Printer {
            credential,
            sys_object_id,
            sys_descr,
        } = classify(2, &all(), &varbinds)
        else {
            panic!("a Printer-MIB object was not taken for a printer");
        };
        assert_eq!(credential, 2);
        assert_eq!(sys_object_id, Some(oid("1.3.6.1.4.1.11.2.3.9.1")));
        assert_eq!(sys_descr.as_deref(), Some("HP LaserJet"));
    }

    #[test]
    fn hr_device_printer_alone_makes_a_printing_device() {
        let varbinds = vec![
            (
                oid("1.3.6.1.2.1.25.3.2.1.2.1"),
                Value::ObjectId(oid("1.3.6.1.2.1.25.3.1.5")),
            ),
            (oid("1.3.6.1.2.1.44.1.0"), Value::Integer(1)),
        ];
        assert!(matches!(
            classify(0, &[2, 3], &varbinds),
            Outcome::Printer { .. }
        ));
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
        assert!(matches!(
            classify(0, &all(), &varbinds),
            Outcome::NotPrinter
        ));
        let ended = vec![(oid("1.3.6.1.2.1.43"), Value::EndOfMibView)];
        assert!(matches!(classify(0, &[3], &ended), Outcome::NotPrinter));
    }
}
