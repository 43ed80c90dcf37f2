//! One question to many devices: the client side of discovery.
//!
//! A subnet sweep is almost all silence: of a /16, a thousand addresses
//! answer and sixty-four thousand never do. Its time is set by how fast
//! questions may be sent (the site's packet-rate cap), plus one timeout for
//! the last of them; so [`Sweep::run`] sends at that pace and lets every
//! question wait out its timeout at once, however many that is. What waits
//! is a small record per address (its request-id, credentials and attempt)
//! in one table, over a few [`SharedSockets`], and one task matches each
//! answer to its record by source address and request-id: no session, task
//! or socket per address.
//!
//! Only an address that answers gets more: a clean answer to the v1/v2c
//! GETNEXT settles it; anything else (a v1 `noSuchName`, an error status, a
//! v3 engine, a datagram that is no answer) hands it to [`Sweep::get_next`],
//! which asks it again with a [`Session`] as reads do, from the same
//! credentials on, for its v3 engine discovery and time synchronisation,
//! keys, retries and the difference between a refused user and silence.
//! v3 needs that session (each user's keys are localised to the engine the
//! first answer names), but the question that finds the engine is one
//! user-less datagram, the same for every v3 user: the table sends that, so
//! a silent address costs a v3 site no session either.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::session::engine_discovery;
use super::shared::Unrouted;
use super::{
    ClientConfig, ClientError, ClientErrorKind, Credentials, PreparedCredentials, Session,
    SharedSockets, Version,
};
use crate::wire::{CommunityMessage, Message, Pdu, PduKind};
use crate::{Oid, Value};

/// IPv4 sockets a sweep shares: several, so a burst of answers is spread over
/// several kernel receive buffers instead of overflowing one.
const V4_SOCKETS: usize = 4;

/// IPv6 sockets a sweep shares (IPv6 ranges are small and rare).
const V6_SOCKETS: usize = 1;

/// How far sending may fall behind its schedule (the task was busy, or the
/// machine was) before the lost time is given up: catching up would send a
/// burst above the cap.
const MAX_LAG: Duration = Duration::from_millis(10);

/// Results a sweep may hold for a slow caller before it stops sending.
const RESULTS: usize = 1024;

/// The credentials of a sweep and the sockets it asks over.
#[derive(Debug)]
pub struct Sweep {
    asker: Arc<Asker>,
    /// Answers from addresses no session holds: those the table waits for.
    unrouted: Unrouted,
}

/// What asking one device with sessions needs; shared with the tasks that do.
#[derive(Debug)]
struct Asker {
    sockets: SharedSockets,
    /// In the order given; `None` where the credentials are unusable.
    credentials: Vec<Option<PreparedCredentials>>,
    config: ClientConfig,
}

/// What one device made of a sweep's question.
#[derive(Debug, Clone, PartialEq)]
pub enum Probed {
    /// Answered with these credentials (an index into those the sweep was given).
    Answered {
        /// Which credentials worked.
        credentials: usize,
        /// The answer, in the order asked; what a v1 agent called
        /// `noSuchName` is `endOfMibView`, as in v2.
        varbinds: Vec<(Oid, Value)>,
    },
    /// Its SNMP engine answered but refused every v3 user tried (unknown
    /// user, wrong password): worth a look at the credentials.
    Refused,
    /// No credentials were answered.
    Silent,
    /// It answered, but not with an answer (garbage, an error status, a
    /// message of another version): something else listens there.
    Failed(ClientError),
}

impl Sweep {
    /// A sweep with `credentials`, tried in that order on each device.
    /// Credentials no agent could accept are logged and skipped, so they cost
    /// nothing; a v3 user's passwords are hashed here, once.
    pub async fn new(credentials: &[Credentials], config: ClientConfig) -> Sweep {
        let credentials = credentials
            .iter()
            .enumerate()
            .map(|(i, c)| match PreparedCredentials::new(c.clone()) {
                Ok(prepared) => Some(prepared),
                Err(e) => {
                    tracing::warn!(credentials = i, error = %e, "the sweep skips unusable credentials");
                    None
                }
            })
            .collect();
        let (sockets, unrouted) = SharedSockets::bind_unrouted(V4_SOCKETS, V6_SOCKETS).await;
        Sweep {
            asker: Arc::new(Asker {
                sockets,
                credentials,
                config,
            }),
            unrouted,
        }
    }

    /// A GETNEXT of `oids` to `address` with a session per credentials, each
    /// usable one in turn until one is answered: a device at a time, as
    /// [`Sweep::run`] asks those that answered its first question.
    pub async fn get_next(&self, address: SocketAddr, oids: &[Oid]) -> Probed {
        self.asker.get_next(address, oids, 0, false).await
    }

    /// Asks every target one GETNEXT of `oids` (all in one PDU), sending no
    /// more than `packets_per_second` datagrams a second, retries and further
    /// credentials included; the answer of each target comes on the channel
    /// returned as it settles, in no particular order. A target whose address
    /// is being asked already is skipped, unanswered. Ends when every target
    /// is settled; dropping the receiver stops the sweep.
    pub fn run<T: Send + 'static>(
        self,
        targets: Vec<(SocketAddr, T)>,
        oids: Arc<[Oid]>,
        packets_per_second: u32,
    ) -> mpsc::Receiver<(T, Probed)> {
        let (tx, rx) = mpsc::channel(RESULTS);
        let interval = Duration::from_secs_f64(1.0 / f64::from(packets_per_second.max(1)));
        let paced = Paced {
            asker: self.asker,
            oids,
            interval,
            table: HashMap::new(),
            deadlines: BinaryHeap::new(),
            resend: VecDeque::new(),
            sessions: JoinSet::new(),
            next_id: fastrand::i32(1..1 << 30),
            results: tx,
        };
        tokio::spawn(paced.run(targets, self.unrouted));
        rx
    }
}

impl Asker {
    /// The next usable credentials from `from` on, skipping v3 users when
    /// the address's engine was silent to an earlier one.
    fn usable(&self, from: usize, engine_silent: bool) -> Option<usize> {
        (from..self.credentials.len()).find(|&i| {
            self.credentials[i]
                .as_ref()
                .is_some_and(|p| !(engine_silent && p.credentials().version() == Version::V3))
        })
    }

    fn version(&self, index: usize) -> Option<Version> {
        self.credentials
            .get(index)?
            .as_ref()
            .map(|p| p.credentials().version())
    }

    /// [`Sweep::get_next`] from the credentials at `from` on. An engine that
    /// never answered a v3 user's discovery is not asked with the next v3
    /// user: it would not answer that one either.
    async fn get_next(
        &self,
        address: SocketAddr,
        oids: &[Oid],
        from: usize,
        mut engine_silent: bool,
    ) -> Probed {
        let mut refused = false;
        let mut index = from;
        while let Some(at) = self.usable(index, engine_silent) {
            index = at + 1;
            let Some(prepared) = &self.credentials[at] else {
                continue;
            };
            let v3 = prepared.credentials().version() == Version::V3;
            let answered = match Session::shared(
                &self.sockets,
                address,
                prepared.clone(),
                self.config.clone(),
            ) {
                Ok(session) => session.get_next(oids).await,
                Err(e) => Err(e),
            };
            let e = match answered {
                Ok(varbinds) => {
                    return Probed::Answered {
                        credentials: at,
                        varbinds,
                    };
                }
                Err(e) => e,
            };
            tracing::debug!(device = %address, credentials = at, error = %e, "sweep question not answered");
            match e.kind {
                ClientErrorKind::Timeout { .. } | ClientErrorKind::Unreachable(_) => {
                    engine_silent |= v3;
                }
                ClientErrorKind::Authentication(_) | ClientErrorKind::Credentials(_) => {
                    refused = true;
                }
                _ => return Probed::Failed(e),
            }
        }
        if refused {
            Probed::Refused
        } else {
            Probed::Silent
        }
    }

    /// The datagram that asks with the credentials at `index`: the GETNEXT
    /// itself for v1/v2c, engine discovery for v3.
    fn question(&self, index: usize, oids: &[Oid], id: i32) -> Option<Vec<u8>> {
        let prepared = self.credentials.get(index)?.as_ref()?;
        Some(match prepared.credentials() {
            Credentials::V1 { community } | Credentials::V2c { community } => {
                Message::Community(CommunityMessage {
                    version: prepared.credentials().version(),
                    community: community.as_bytes().to_vec(),
                    pdu: Pdu::request(PduKind::GetNext, id, oids.iter().cloned()),
                })
                .encode()
            }
            Credentials::V3(_) => engine_discovery(id),
        })
    }
}

/// One address being asked without a session.
struct Probe<T> {
    tag: T,
    /// Index of the credentials being tried.
    credentials: usize,
    /// Attempts with these credentials so far, less one.
    attempt: u32,
    /// The request-id (msgID in v3) of these credentials' first attempt;
    /// attempt `n` has `first_id + n`, so a late answer to an earlier one counts.
    first_id: i32,
    /// The address's engine did not answer a v3 discovery.
    engine_silent: bool,
}

/// A sweep at its pace: the table of addresses asked and when they give up.
struct Paced<T> {
    asker: Arc<Asker>,
    oids: Arc<[Oid]>,
    /// Time between two datagrams.
    interval: Duration,
    table: HashMap<SocketAddr, Probe<T>>,
    /// When each attempt gives up; stale entries (the address answered or
    /// moved on) are told by their request-id.
    deadlines: BinaryHeap<Reverse<(Instant, SocketAddr, i32)>>,
    /// Addresses of the table whose next attempt is due, sent before new ones.
    resend: VecDeque<SocketAddr>,
    /// Addresses that answered, asked again with sessions.
    sessions: JoinSet<(SocketAddr, T, Probed)>,
    next_id: i32,
    results: mpsc::Sender<(T, Probed)>,
}

impl<T: Send + 'static> Paced<T> {
    async fn run(mut self, targets: Vec<(SocketAddr, T)>, mut unrouted: Unrouted) {
        let mut targets = targets.into_iter().peekable();
        let mut next_send = Instant::now();
        loop {
            if self.results.is_closed() {
                return;
            }
            let sending = !self.resend.is_empty() || targets.peek().is_some();
            if !sending && self.table.is_empty() && self.sessions.is_empty() {
                break;
            }
            let deadline = self.deadlines.peek().map(|Reverse((at, _, _))| *at);
            let settled = tokio::select! {
                biased;
                Some((from, datagram)) = unrouted.recv() => self.answer(from, &datagram),
                Some(joined) = self.sessions.join_next(), if !self.sessions.is_empty() => match joined {
                    Ok((_, tag, probed)) => Some((tag, probed)),
                    Err(e) => {
                        tracing::error!(error = %e, "a sweep session panicked");
                        None
                    }
                },
                () = tokio::time::sleep_until(deadline.unwrap_or(next_send)), if deadline.is_some() => {
                    self.expire(Instant::now()).await;
                    None
                }
                () = tokio::time::sleep_until(next_send), if sending => {
                    let now = Instant::now();
                    if now > next_send + MAX_LAG {
                        next_send = now;
                    }
                    while next_send <= now {
                        if !self.send_next(&mut targets).await {
                            break;
                        }
                        next_send += self.interval;
                    }
                    None
                }
            };
            if let Some(result) = settled
                && self.results.send(result).await.is_err()
            {
                return;
            }
        }
    }

    /// Sends the next datagram due: a further attempt of an address being
    /// asked, else the first of the next target. False when none was sent
    /// (nothing is due).
    async fn send_next(&mut self, targets: &mut impl Iterator<Item = (SocketAddr, T)>) -> bool {
        let address = loop {
            if let Some(address) = self.resend.pop_front() {
                if self.table.contains_key(&address) {
                    break address;
                }
                continue;
            }
            let Some((address, tag)) = targets.next() else {
                return false;
            };
            if self.table.contains_key(&address) {
                tracing::debug!(device = %address, "asked already: the sweep skips it");
                continue;
            }
            let Some(credentials) = self.asker.usable(0, false) else {
                // Nothing usable to ask with: silent, as nothing can answer.
                if self.results.send((tag, Probed::Silent)).await.is_err() {
                    return false;
                }
                continue;
            };
            let first_id = self.take_ids();
            self.table.insert(
                address,
                Probe {
                    tag,
                    credentials,
                    attempt: 0,
                    first_id,
                    engine_silent: false,
                },
            );
            break address;
        };
        let Some((credentials, attempt, id)) = self.table.get(&address).map(|p| {
            let id = p.first_id.wrapping_add_unsigned(p.attempt);
            (p.credentials, p.attempt, id)
        }) else {
            return false;
        };
        let deadline = Instant::now() + self.asker.config.wait(attempt);
        self.deadlines.push(Reverse((deadline, address, id)));
        match self.asker.question(credentials, &self.oids, id) {
            Some(bytes) => {
                if let Err(e) = self.asker.sockets.send_to(&bytes, address).await {
                    // Unreachable now is as good as silent: the deadline settles it.
                    tracing::debug!(device = %address, error = %e, "sweep question not sent");
                }
            }
            None => tracing::error!(device = %address, "sweep credentials vanished"),
        }
        true
    }

    /// Request-ids for every attempt of one credentials, in a row.
    fn take_ids(&mut self) -> i32 {
        let attempts = i32::try_from(self.asker.config.retries.saturating_add(1))
            .unwrap_or(i32::MAX)
            .min(1 << 20);
        let first = self.next_id;
        self.next_id = match first.checked_add(attempts) {
            Some(next) if next < i32::MAX - (1 << 20) => next,
            _ => 1,
        };
        first
    }

    /// A datagram from `from`: a clean answer settles it; anything else from
    /// an address being asked hands it to a session.
    fn answer(&mut self, from: SocketAddr, datagram: &[u8]) -> Option<(T, Probed)> {
        let probe = self.table.get(&from)?;
        let ids = probe.first_id..=probe.first_id.wrapping_add_unsigned(probe.attempt);
        let version = self.asker.version(probe.credentials);
        if let (Ok(Message::Community(m)), Some(version)) = (Message::decode(datagram), version)
            && version != Version::V3
            && m.version == version
            && ids.contains(&m.pdu.request_id)
            && m.pdu.kind == PduKind::Response
            && m.pdu.error_status == 0
            && m.pdu.varbinds.len() == self.oids.len()
        {
            let probe = self.table.remove(&from)?;
            return Some((
                probe.tag,
                Probed::Answered {
                    credentials: probe.credentials,
                    varbinds: m.pdu.varbinds,
                },
            ));
        }
        let probe = self.table.remove(&from)?;
        tracing::debug!(device = %from, credentials = probe.credentials, "answered: asked again with a session");
        let (asker, oids) = (self.asker.clone(), self.oids.clone());
        self.sessions.spawn(async move {
            let probed = asker
                .get_next(from, &oids, probe.credentials, probe.engine_silent)
                .await;
            (from, probe.tag, probed)
        });
        None
    }

    /// Gives up the attempts whose time is past: each asks again, or with the
    /// next credentials, or settles its address as silent.
    async fn expire(&mut self, now: Instant) {
        while let Some(Reverse((at, address, id))) = self.deadlines.peek().copied() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            let Some(probe) = self.table.get_mut(&address) else {
                continue;
            };
            if probe.first_id.wrapping_add_unsigned(probe.attempt) != id {
                continue;
            }
            if probe.attempt < self.asker.config.retries {
                probe.attempt += 1;
                self.resend.push_back(address);
                continue;
            }
            probe.engine_silent |= self.asker.version(probe.credentials) == Some(Version::V3);
            if let Some(next) = self
                .asker
                .usable(probe.credentials + 1, probe.engine_silent)
            {
                probe.credentials = next;
                probe.attempt = 0;
                let first_id = self.take_ids();
                if let Some(probe) = self.table.get_mut(&address) {
                    probe.first_id = first_id;
                }
                self.resend.push_back(address);
                continue;
            }
            tracing::debug!(device = %address, "no credentials answered: silent");
            if let Some(probe) = self.table.remove(&address)
                && self
                    .results
                    .send((probe.tag, Probed::Silent))
                    .await
                    .is_err()
            {
                return;
            }
        }
    }
}
