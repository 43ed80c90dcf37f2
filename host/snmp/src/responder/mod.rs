//! The fleet simulator: recordings served as live SNMP agents over UDP, one
//! device per loopback address, so tests, benchmarks and demos poll "the
//! printers" through the real network stack.
//!
//! Each device answers GET, GETNEXT and GETBULK from its [`Recording`]
//! exactly as the recording answers them, over v1 and v2c (communities) and
//! v3 (USM users, every security level). What a real agent does on bad
//! input, the simulator does too: a wrong community or an undecodable packet
//! gets no answer, a SET is refused, a v3 problem gets its usmStats report.
//! Addresses held by no device — offline devices and the `silent` addresses
//! after the fleet — are bound but never answer, so a scanner sees a real
//! timeout rather than an ICMP port-unreachable.
//!
//! One socket per address: a 127.x address receives only what is sent to it,
//! so serving many addresses from one socket would mean binding a wildcard
//! address, which would expose the fleet beyond loopback. A fleet of N
//! devices therefore needs N file descriptors (10,000 fit the default
//! `ulimit -n` of 20,000 on the build machines); tokio multiplexes them
//! all on its worker threads.

mod agent;
mod replicate;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use crate::wire::usm::UsmUser;
use crate::{Oid, Recording, ResponderError, Value};
use agent::{Agent, Policy, State};
pub use replicate::replicate;

/// Default first address: 127.1.0.1 leaves 127.0.0.1 to real services.
pub const DEFAULT_BASE: Ipv4Addr = Ipv4Addr::new(127, 1, 0, 1);

/// Default UDP port: unprivileged, so the simulator runs without root;
/// pass 161 to look exactly like a printer.
pub const DEFAULT_PORT: u16 = 16100;

/// Default largest response: the largest UDP payload, as net-snmp's agent.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 65_507;

thread_local! {
    /// Largest UDP datagram: a request is read whole, whatever its size.
    static RECEIVE: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; 65_535]);
}

/// Misbehaviour injected into every device, to test clients' retries.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Faults {
    /// Probability (0–1) that a request is ignored.
    pub drop: f64,
    /// How long each answer is held back at first ([`Fleet::set_delay`]
    /// changes it while the fleet runs).
    pub delay: Duration,
    /// Probability (0–1) that an answer has one byte flipped.
    pub corrupt: f64,
}

/// How a fleet is served. `Debug` shows user names, never keys.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// Address of device 0; device `i` is at `base + i`.
    pub base: Ipv4Addr,
    /// UDP port on every address.
    pub port: u16,
    /// v1/v2c communities accepted (as sent, bytes).
    pub communities: Vec<Vec<u8>>,
    /// v3 users every device knows.
    pub users: Vec<UsmUser>,
    /// Injected faults.
    pub faults: Faults,
    /// Largest response sent; GETBULK answers are shortened to fit it.
    pub max_message_size: usize,
    /// Addresses after the last device that are held but never answer.
    pub silent: usize,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            base: DEFAULT_BASE,
            port: DEFAULT_PORT,
            communities: vec![b"public".to_vec()],
            users: Vec::new(),
            faults: Faults::default(),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            silent: 0,
        }
    }
}

struct Device {
    addr: SocketAddr,
    name: String,
    agent: Arc<Agent>,
}

/// A running fleet. Dropping it stops every device and frees the addresses.
pub struct Fleet {
    devices: Vec<Device>,
    silent: Vec<UdpSocket>,
    tasks: Vec<JoinHandle<()>>,
    answered: Arc<AtomicU64>,
    /// How long every answer is held back, in microseconds: [`Faults::delay`]
    /// until [`Fleet::set_delay`] changes it.
    delay_us: Arc<AtomicU64>,
}

impl Fleet {
    /// Binds one address per recording (then `config.silent` more) and
    /// starts answering. Needs a tokio runtime with the I/O driver.
    pub async fn start(
        recordings: Vec<Recording>,
        config: FleetConfig,
    ) -> Result<Fleet, ResponderError> {
        let devices = recordings
            .into_iter()
            .map(|r| {
                (
                    r.name().to_owned(),
                    State::new(Arc::new(r), BTreeMap::new()),
                )
            })
            .collect();
        Self::start_states(devices, config).await
    }

    /// Serves `count` devices made from `sources` as [`replicate`] makes
    /// them, while copies of one source share its varbinds in memory.
    pub async fn start_replicated(
        sources: Vec<Recording>,
        count: usize,
        config: FleetConfig,
    ) -> Result<Fleet, ResponderError> {
        let shared: Vec<Arc<Recording>> = sources.into_iter().map(Arc::new).collect();
        let devices = (0..count)
            .filter_map(|i| {
                let source = shared.get(i % shared.len().max(1))?;
                let own = replicate::overrides(source, i);
                Some((
                    replicate::replica_name(source, i),
                    State::new(source.clone(), own),
                ))
            })
            .collect();
        Self::start_states(devices, config).await
    }

    async fn start_states(
        recordings: Vec<(String, State)>,
        config: FleetConfig,
    ) -> Result<Fleet, ResponderError> {
        if recordings.is_empty() {
            return Err(ResponderError::NoRecordings);
        }
        if !config.base.is_loopback() {
            return Err(ResponderError::NotLoopback(config.base));
        }
        let count = recordings.len() + config.silent;
        let last = u32::from(config.base).checked_add(u32::try_from(count - 1).unwrap_or(u32::MAX));
        if last.is_none_or(|l| !Ipv4Addr::from(l).is_loopback()) {
            return Err(ResponderError::RangeOverflow {
                base: config.base,
                count,
            });
        }
        let addr_of = |i: usize| {
            SocketAddr::from((
                Ipv4Addr::from(u32::from(config.base) + i as u32),
                config.port,
            ))
        };
        let policy = Arc::new(Policy {
            communities: config.communities.clone(),
            max_message_size: config.max_message_size,
            started: Instant::now(),
        });
        let answered = Arc::new(AtomicU64::new(0));
        let mut fleet = Fleet {
            devices: Vec::with_capacity(recordings.len()),
            silent: Vec::with_capacity(config.silent),
            tasks: Vec::with_capacity(recordings.len()),
            answered: answered.clone(),
            delay_us: Arc::new(AtomicU64::new(0)),
        };
        fleet.set_delay(config.faults.delay);
        for (i, (name, state)) in recordings.into_iter().enumerate() {
            let addr = addr_of(i);
            let socket = bind(addr).await?;
            let engine_id = engine_id(addr);
            let users = config
                .users
                .iter()
                .map(|u| u.localize(&engine_id))
                .collect();
            let agent = Arc::new(Agent::new(state, engine_id, users));
            fleet.tasks.push(tokio::spawn(serve(
                socket,
                agent.clone(),
                policy.clone(),
                config.faults,
                answered.clone(),
                fleet.delay_us.clone(),
            )));
            fleet.devices.push(Device { addr, name, agent });
        }
        for i in fleet.devices.len()..count {
            fleet.silent.push(bind(addr_of(i)).await?);
        }
        Ok(fleet)
    }

    /// How many devices answer (silent addresses not counted).
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    /// Whether the fleet has no devices (never true for a started fleet).
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }

    /// Where device `device` listens.
    pub fn addr(&self, device: usize) -> Option<SocketAddr> {
        self.devices.get(device).map(|d| d.addr)
    }

    /// Every device's address and recording name, in device order.
    pub fn devices(&self) -> impl Iterator<Item = (SocketAddr, &str)> {
        self.devices.iter().map(|d| (d.addr, d.name.as_str()))
    }

    /// The addresses that are held but never answer.
    pub fn silent_addrs(&self) -> Vec<SocketAddr> {
        self.silent
            .iter()
            .filter_map(|s| s.local_addr().ok())
            .collect()
    }

    /// The v3 authoritative engine ID of a device.
    pub fn engine_id(&self, device: usize) -> Option<&[u8]> {
        self.devices.get(device).map(|d| d.agent.engine_id())
    }

    /// Changes (or adds) one value of a running device, so a test can drain a
    /// toner or raise an error state. False when there is no such device.
    pub fn set(&self, device: usize, oid: Oid, value: Value) -> bool {
        let Some(d) = self.devices.get(device) else {
            return false;
        };
        d.agent
            .state
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .set(oid, value);
        true
    }

    /// Takes a device off the network (it stops answering, like a printer
    /// that is switched off) or back on. False when there is no such device.
    pub fn set_online(&self, device: usize, online: bool) -> bool {
        let Some(d) = self.devices.get(device) else {
            return false;
        };
        d.agent.online.store(online, Ordering::Relaxed);
        true
    }

    /// Holds back every device's answers by `delay` from now on, as a network
    /// that slows down would: a test can let discovery through at full speed
    /// and then have a read last long enough to act in the middle of it.
    pub fn set_delay(&self, delay: Duration) {
        let micros = u64::try_from(delay.as_micros()).unwrap_or(u64::MAX);
        self.delay_us.store(micros, Ordering::Relaxed);
    }

    /// Responses sent so far, by all devices.
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

async fn bind(addr: SocketAddr) -> Result<UdpSocket, ResponderError> {
    UdpSocket::bind(addr)
        .await
        .map_err(|source| ResponderError::Bind { addr, source })
}

/// RFC 3411 SnmpEngineID: enterprise 32473 (RFC 5612, for documentation and
/// examples, so no real vendor is impersonated), format 5 (octets), then the
/// device's address and port, which makes it unique within a fleet.
fn engine_id(addr: SocketAddr) -> Vec<u8> {
    let mut id = vec![0x80, 0x00, 0x7e, 0xd9, 0x05];
    if let SocketAddr::V4(v4) = addr {
        id.extend_from_slice(&v4.ip().octets());
    }
    id.extend_from_slice(&addr.port().to_be_bytes());
    id
}

async fn serve(
    socket: UdpSocket,
    agent: Arc<Agent>,
    policy: Arc<Policy>,
    faults: Faults,
    answered: Arc<AtomicU64>,
    delay_us: Arc<AtomicU64>,
) {
    let socket = Arc::new(socket);
    loop {
        if let Err(e) = socket.readable().await {
            tracing::debug!(error = %e, "simulated device cannot wait for requests");
            return;
        }
        // Devices wait for readiness without a buffer and borrow their
        // thread's to read, so 10,000 idle devices do not hold 10,000 buffers.
        let received = RECEIVE.with_borrow_mut(|buf| {
            let (len, peer) = socket.try_recv_from(buf)?;
            if !agent.online.load(Ordering::Relaxed) || chance(faults.drop) {
                return Ok(None);
            }
            Ok::<_, std::io::Error>(agent.answer(&policy, &buf[..len]).map(|r| (r, peer)))
        });
        let Ok(Some((mut response, peer))) = received else {
            continue;
        };
        if chance(faults.corrupt) && !response.is_empty() {
            let i = fastrand::usize(..response.len());
            response[i] ^= 0xff;
        }
        answered.fetch_add(1, Ordering::Relaxed);
        let delay = Duration::from_micros(delay_us.load(Ordering::Relaxed));
        if delay.is_zero() {
            let _ = socket.send_to(&response, peer).await;
        } else {
            let socket = socket.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = socket.send_to(&response, peer).await;
            });
        }
    }
}

fn chance(rate: f64) -> bool {
    rate > 0.0 && fastrand::f64() < rate
}
