use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::Mutex;

use super::RECEIVE_BUFFER;
use super::error::status_name;
use super::shared::{Route, SharedSockets};
use super::{ClientConfig, ClientError, ClientErrorKind, Credentials, Version};
use crate::wire::usm::{self, LocalizedUser, UsmUser};
use crate::wire::{
    CommunityMessage, Message, MsgFlags, Pdu, PduKind, ScopedPdu, ScopedPduData, UsmParams,
    V3Message,
};
use crate::{Oid, Value};

/// sysObjectID.0: what [`Session::open`] reads to prove the credentials work.
pub(super) const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];

/// v1 `noSuchName`: the one error-status a v1 agent uses for "not there".
const NO_SUCH_NAME: u32 = 2;

/// usmStats (RFC 3414 5): a Report names the counter of the check that failed.
const USM_STATS: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1];

/// msgMaxSize of our v3 requests: the largest UDP payload.
const MAX_MESSAGE_SIZE: i32 = 65507;

/// One device, one set of credentials: every request to it goes through here.
///
/// Requests are serialised (one in flight per device, as printers prefer) on
/// one UDP socket connected to the device, or on [`SharedSockets`] when many
/// devices are asked at once. Every request and every retry
/// carries a fresh request-id (and, in v3, msgID) from a counter; a request
/// waits for an answer to any of its own attempts and discards everything
/// else (late answers to abandoned requests, undecodable datagrams), so a
/// stale answer costs nothing but the look at it.
pub struct Session {
    address: SocketAddr,
    credentials: Credentials,
    config: ClientConfig,
    /// The v3 user with its master keys (the password hashing is done once).
    usm_user: Option<UsmUser>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("address", &self.address)
            .field("credentials", &self.credentials)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

struct State {
    /// The next request-id / msgID (always positive, as msgID must be).
    next_id: i32,
    /// The next privacy salt.
    salt: u64,
    /// The v3 authoritative engine, once discovered.
    engine: Option<Engine>,
    /// Set once the agent answered a GETBULK badly; walks then use GETNEXT.
    bulk_broken: bool,
    link: Link,
    buffer: Vec<u8>,
}

/// How datagrams reach the device.
enum Link {
    /// A socket of the session's own, connected to the device.
    Connected(UdpSocket),
    /// A share of sockets many sessions use.
    Shared(Route),
}

impl Link {
    async fn send(&self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Link::Connected(socket) => socket.send(bytes).await.map(|_| ()),
            Link::Shared(route) => route.send(bytes).await,
        }
    }

    /// Called once a request is answered: forgets that the socket was readable
    /// without asking the kernel, so the next request's receive waits for its
    /// answer to arrive instead of first finding the queue empty (a system call
    /// per exchange). Nothing is lost: the next request is not sent yet, so its
    /// answer arrives after this and marks the socket readable again; a late
    /// duplicate still queued is read, and discarded, when that answer comes.
    fn settle(&self) {
        if let Link::Connected(socket) = self {
            let _ = socket.try_io(Interest::READABLE, || {
                Err::<(), _>(std::io::ErrorKind::WouldBlock.into())
            });
        }
    }

    async fn recv(&mut self, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
        match self {
            Link::Connected(socket) => {
                buffer.clear();
                socket.recv_buf(buffer).await
            }
            Link::Shared(route) => route.recv(buffer).await,
        }
    }
}

/// Credentials checked, and a v3 user's passwords hashed into its master
/// keys: the hashing (a megabyte of digest per password, RFC 3414 A.2) is
/// done once however many devices the credentials are tried on.
#[derive(Clone)]
pub struct PreparedCredentials {
    credentials: Credentials,
    usm_user: Option<UsmUser>,
}

impl std::fmt::Debug for PreparedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.credentials, f)
    }
}

impl PreparedCredentials {
    /// Refuses credentials no agent could accept ([`Credentials::check`]).
    pub fn new(credentials: Credentials) -> Result<Self, ClientErrorKind> {
        credentials.check().map_err(ClientErrorKind::Credentials)?;
        let usm_user = match &credentials {
            Credentials::V3(user) => {
                Some(usm_user(user).map_err(|e| ClientErrorKind::Credentials(e.to_string()))?)
            }
            _ => None,
        };
        Ok(PreparedCredentials {
            credentials,
            usm_user,
        })
    }

    /// The credentials as configured.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }
}

impl State {
    fn take_id(&mut self) -> i32 {
        let id = self.next_id;
        self.next_id = if id >= i32::MAX - 1 { 1 } else { id + 1 };
        id
    }
}

/// What discovery taught about the agent's SNMP engine.
struct Engine {
    id: Vec<u8>,
    boots: i32,
    time: i32,
    /// When `time` was the agent's engine time.
    learned: Instant,
    /// The user's keys at this engine.
    user: LocalizedUser,
}

impl Engine {
    /// The agent's engine boots and time now, by our clock.
    fn clock(&self) -> (i32, i32) {
        let elapsed = i64::try_from(self.learned.elapsed().as_secs()).unwrap_or(i64::MAX);
        let time = i64::from(self.time).saturating_add(elapsed);
        (self.boots, i32::try_from(time).unwrap_or(i32::MAX))
    }

    fn learn(&mut self, usm: &UsmParams) {
        self.boots = usm.engine_boots;
        self.time = usm.engine_time;
        self.learned = Instant::now();
    }
}

/// One request as the caller asked it: what [`Session::send`] takes, and what a
/// reader forwards from a strategy (`quire-transport`'s `DeviceTransport::snmp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// GET.
    Get(&'a [Oid]),
    /// GETNEXT.
    GetNext(&'a [Oid]),
    /// GETBULK (RFC 3416 4.2.3).
    GetBulk {
        /// How many of `oids`, from the front, are asked once.
        non_repeaters: usize,
        /// How many rows to walk from each of the rest.
        max_repetitions: usize,
        /// The OIDs.
        oids: &'a [Oid],
    },
}

impl Request<'_> {
    fn pdu(self, request_id: i32) -> Pdu {
        let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        match self {
            Request::Get(oids) => Pdu::request(PduKind::Get, request_id, oids.iter().cloned()),
            Request::GetNext(oids) => {
                Pdu::request(PduKind::GetNext, request_id, oids.iter().cloned())
            }
            Request::GetBulk {
                non_repeaters,
                max_repetitions,
                oids,
            } => Pdu::get_bulk(
                request_id,
                to_i32(non_repeaters),
                to_i32(max_repetitions),
                oids.iter().cloned(),
            ),
        }
    }
}

/// What one exchange sends.
#[derive(Clone, Copy)]
enum Outgoing<'a> {
    /// v3 engine discovery: an empty GET from no user to no engine.
    Discovery,
    Request(Request<'a>),
}

/// A response PDU.
struct Reply {
    error_status: u32,
    error_index: u32,
    varbinds: Vec<(Oid, Value)>,
}

/// The USM checks a v3 agent reports as failed (RFC 3414 3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UsmReport {
    UnsupportedSecLevel,
    NotInTimeWindow,
    UnknownUserName,
    UnknownEngineId,
    WrongDigest,
    DecryptionError,
    Other,
}

/// An answer to one of the request's attempts.
enum Incoming {
    Reply(Reply),
    /// A v3 Report, with the security parameters it came with.
    Report(UsmReport, Oid, UsmParams),
}

/// A datagram that is no answer to the request.
struct Discard {
    /// An answer to another request (or for another community): expected
    /// after a timeout, never an error.
    stale: bool,
    /// Why, as the error to report if no answer comes.
    kind: ClientErrorKind,
}

impl Discard {
    fn stale(why: impl Into<String>) -> Self {
        Discard {
            stale: true,
            kind: ClientErrorKind::Malformed(why.into()),
        }
    }

    fn bad(kind: ClientErrorKind) -> Self {
        Discard { stale: false, kind }
    }
}

impl Session {
    /// Opens a session and proves the credentials by reading sysObjectID.0,
    /// so wrong credentials fail here rather than in the middle of a strategy.
    /// For v3 this includes engine discovery and time synchronisation.
    pub async fn open(
        address: SocketAddr,
        credentials: Credentials,
        config: ClientConfig,
    ) -> Result<Session, ClientError> {
        let sys_object_id = [Oid::from(SYS_OBJECT_ID)];
        let (session, _) =
            Session::open_asking(address, credentials, config, &sys_object_id).await?;
        Ok(session)
    }

    /// [`Session::open`], proving the credentials with a GET of `oids` instead,
    /// and handing over its answer. A reader whose first question is known (a
    /// poller's probe of the system group) then spends one exchange on opening
    /// and asking, where it would spend two: on a fleet read a few exchanges
    /// per device, that is a large part of the read.
    pub async fn open_asking(
        address: SocketAddr,
        credentials: Credentials,
        config: ClientConfig,
        oids: &[Oid],
    ) -> Result<(Session, Vec<(Oid, Value)>), ClientError> {
        let fail = |kind| ClientError::new(address, kind);
        let prepared = PreparedCredentials::new(credentials).map_err(fail)?;
        let unreachable = |e: std::io::Error| fail(ClientErrorKind::Unreachable(e.to_string()));
        let local: SocketAddr = if address.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local).await.map_err(unreachable)?;
        socket.connect(address).await.map_err(unreachable)?;
        let session = Session::new(
            address,
            prepared,
            config,
            Link::Connected(socket),
            // Received into its spare capacity: never zeroed, and only the pages the
            // answers reach become resident.
            Vec::with_capacity(RECEIVE_BUFFER),
        );
        let answer = session.get(oids).await?;
        Ok((session, answer))
    }

    /// A session to `address` over `sockets`, for asking many devices at
    /// once. Unlike [`Session::open`] nothing is sent yet: the first request
    /// proves the credentials, so a sweep spends one round trip per device.
    /// Fails when `sockets` already carry a session to `address`, or have no
    /// socket of its family.
    pub fn shared(
        sockets: &SharedSockets,
        address: SocketAddr,
        credentials: PreparedCredentials,
        config: ClientConfig,
    ) -> Result<Session, ClientError> {
        let route = sockets
            .route(address)
            .map_err(|e| ClientError::new(address, ClientErrorKind::Unreachable(e.to_string())))?;
        // The shared receive task hands over whole datagrams: no buffer of our own.
        Ok(Session::new(
            address,
            credentials,
            config,
            Link::Shared(route),
            Vec::new(),
        ))
    }

    fn new(
        address: SocketAddr,
        credentials: PreparedCredentials,
        config: ClientConfig,
        link: Link,
        buffer: Vec<u8>,
    ) -> Session {
        Session {
            address,
            credentials: credentials.credentials,
            config,
            usm_user: credentials.usm_user,
            state: Mutex::new(State {
                next_id: fastrand::i32(1..1 << 30),
                salt: fastrand::u64(..),
                engine: None,
                bulk_broken: false,
                link,
                buffer,
            }),
        }
    }

    /// The device's address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The credentials this session uses.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The timeouts and sizes this session uses.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Any of the three requests: GET, GETNEXT or GETBULK as below.
    pub async fn send(&self, request: Request<'_>) -> Result<Vec<(Oid, Value)>, ClientError> {
        match request {
            Request::Get(oids) => self.get(oids).await,
            Request::GetNext(oids) => self.get_next(oids).await,
            Request::GetBulk {
                non_repeaters,
                max_repetitions,
                oids,
            } => self.get_bulk(non_repeaters, max_repetitions, oids).await,
        }
    }

    /// GET of any number of OIDs, sent [`ClientConfig::max_varbinds`] per PDU.
    /// Answers are in request order; a v1 `noSuchName` becomes `noSuchObject`
    /// for that OID (and the rest are asked again), as a v2 agent would answer.
    pub async fn get(&self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>, ClientError> {
        let mut out = Vec::with_capacity(oids.len());
        for chunk in oids.chunks(self.config.max_varbinds.max(1)) {
            out.extend(self.chunk(chunk, false).await?);
        }
        Ok(out)
    }

    /// GETNEXT of any number of OIDs, [`ClientConfig::max_varbinds`] per PDU.
    /// A v1 `noSuchName` becomes `endOfMibView` for that OID, as in v2.
    pub async fn get_next(&self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>, ClientError> {
        let mut out = Vec::with_capacity(oids.len());
        for chunk in oids.chunks(self.config.max_varbinds.max(1)) {
            out.extend(self.chunk(chunk, true).await?);
        }
        Ok(out)
    }

    /// One GET or GETNEXT PDU, repeated without the OIDs a v1 agent called
    /// `noSuchName`.
    async fn chunk(&self, oids: &[Oid], next: bool) -> Result<Vec<(Oid, Value)>, ClientError> {
        let mut answers: Vec<Option<(Oid, Value)>> = vec![None; oids.len()];
        let missing = if next {
            Value::EndOfMibView
        } else {
            Value::NoSuchObject
        };
        loop {
            let pending: Vec<usize> = (0..oids.len()).filter(|&i| answers[i].is_none()).collect();
            if pending.is_empty() {
                break;
            }
            let asked: Vec<Oid> = pending.iter().map(|&i| oids[i].clone()).collect();
            let op = if next {
                Request::GetNext(&asked)
            } else {
                Request::Get(&asked)
            };
            let reply = self.request(op).await?;
            if let Some(i) = self.v1_missing(&reply, asked.len()) {
                answers[pending[i]] = Some((asked[i].clone(), missing.clone()));
                continue;
            }
            self.check_status(&reply)?;
            if reply.varbinds.len() != asked.len() {
                return Err(self.malformed(format!(
                    "{} varbinds in the answer to a {} of {}",
                    reply.varbinds.len(),
                    if next { "GETNEXT" } else { "GET" },
                    asked.len()
                )));
            }
            for (&i, (oid, value)) in pending.iter().zip(reply.varbinds) {
                // A GET answer is about the OID asked, whatever name it carries.
                let oid = if next { oid } else { oids[i].clone() };
                answers[i] = Some((oid, value));
            }
        }
        Ok(oids
            .iter()
            .zip(answers)
            .map(|(oid, answer)| answer.unwrap_or_else(|| (oid.clone(), missing.clone())))
            .collect())
    }

    /// GETBULK (RFC 3416 4.2.3). v1 has no GETBULK, so there it is answered
    /// with GETNEXTs: one for each non-repeater, then rounds over the rest.
    pub async fn get_bulk(
        &self,
        non_repeaters: usize,
        max_repetitions: usize,
        oids: &[Oid],
    ) -> Result<Vec<(Oid, Value)>, ClientError> {
        if self.credentials.version() == Version::V1 {
            return self
                .bulk_by_getnext(non_repeaters, max_repetitions, oids)
                .await;
        }
        let reply = self
            .request(Request::GetBulk {
                non_repeaters,
                max_repetitions,
                oids,
            })
            .await?;
        self.check_status(&reply)?;
        Ok(reply.varbinds)
    }

    async fn bulk_by_getnext(
        &self,
        non_repeaters: usize,
        max_repetitions: usize,
        oids: &[Oid],
    ) -> Result<Vec<(Oid, Value)>, ClientError> {
        let split = non_repeaters.min(oids.len());
        let mut out = self.get_next(&oids[..split]).await?;
        let mut cursors = oids[split..].to_vec();
        for _ in 0..max_repetitions {
            if cursors.is_empty() {
                break;
            }
            let round = self.get_next(&cursors).await?;
            let done = round.iter().all(|(_, v)| *v == Value::EndOfMibView);
            cursors = round.iter().map(|(oid, _)| oid.clone()).collect();
            out.extend(round);
            if done {
                break;
            }
        }
        Ok(out)
    }

    /// Whether walks may use GETBULK: not on v1, nor once the agent got one wrong.
    pub(crate) async fn bulk_usable(&self) -> bool {
        self.credentials.version() != Version::V1 && !self.state.lock().await.bulk_broken
    }

    /// Remembers that this agent answers GETBULK badly.
    pub(crate) async fn mark_bulk_broken(&self) {
        self.state.lock().await.bulk_broken = true;
    }

    /// On v1, the position of the varbind an agent called `noSuchName`.
    fn v1_missing(&self, reply: &Reply, asked: usize) -> Option<usize> {
        let index = usize::try_from(reply.error_index).ok()?;
        (self.credentials.version() == Version::V1
            && reply.error_status == NO_SUCH_NAME
            && (1..=asked).contains(&index))
        .then(|| index - 1)
    }

    fn check_status(&self, reply: &Reply) -> Result<(), ClientError> {
        if reply.error_status == 0 {
            return Ok(());
        }
        Err(ClientError::new(
            self.address,
            ClientErrorKind::ErrorStatus {
                status: reply.error_status,
                name: status_name(reply.error_status),
                index: reply.error_index,
            },
        ))
    }

    fn malformed(&self, why: impl Into<String>) -> ClientError {
        ClientError::new(self.address, ClientErrorKind::Malformed(why.into()))
    }

    /// Sends `op` and returns its answer. In v3 this discovers the engine
    /// first, resynchronises boots/time once on a notInTimeWindow report and
    /// rediscovers once on an unknownEngineID one; other reports are errors
    /// that say which check the agent failed.
    async fn request(&self, op: Request<'_>) -> Result<Reply, ClientError> {
        let fail = |kind| ClientError::new(self.address, kind);
        for oid in op_oids(op) {
            check_oid(oid).map_err(fail)?;
        }
        let mut state = self.state.lock().await;
        let state = &mut *state;
        if self.usm_user.is_none() {
            return match self.exchange(state, Outgoing::Request(op)).await {
                Ok(Incoming::Reply(reply)) => Ok(reply),
                Ok(Incoming::Report(_, oid, _)) => Err(fail(ClientErrorKind::Malformed(format!(
                    "a v1/v2c agent sent a Report ({oid})"
                )))),
                Err(kind) => Err(fail(kind)),
            };
        }
        let mut resynced = false;
        let mut rediscovered = false;
        loop {
            if state.engine.is_none() {
                self.discover(state).await.map_err(fail)?;
            }
            match self
                .exchange(state, Outgoing::Request(op))
                .await
                .map_err(fail)?
            {
                Incoming::Reply(reply) => return Ok(reply),
                Incoming::Report(UsmReport::NotInTimeWindow, _, usm) if !resynced => {
                    resynced = true;
                    if let Some(engine) = &mut state.engine {
                        tracing::debug!(device = %self.address, boots = usm.engine_boots, time = usm.engine_time, "v3 engine boots/time resynchronised");
                        engine.learn(&usm);
                    }
                }
                Incoming::Report(UsmReport::UnknownEngineId, _, _) if !rediscovered => {
                    rediscovered = true;
                    state.engine = None;
                }
                Incoming::Report(report, oid, _) => {
                    return Err(fail(self.report_error(report, &oid)));
                }
            }
        }
    }

    /// v3 engine discovery (RFC 3414 4): the agent's unknownEngineID report
    /// carries its engine id, boots and time.
    async fn discover(&self, state: &mut State) -> Result<(), ClientErrorKind> {
        let Some(user) = &self.usm_user else {
            return Ok(());
        };
        let usm = match self.exchange(state, Outgoing::Discovery).await? {
            Incoming::Report(_, _, usm) => usm,
            Incoming::Reply(_) => {
                return Err(ClientErrorKind::Malformed(
                    "the agent answered engine discovery without a Report".into(),
                ));
            }
        };
        if usm.engine_id.is_empty() {
            return Err(ClientErrorKind::Malformed(
                "the agent's discovery report names no engine id".into(),
            ));
        }
        tracing::debug!(device = %self.address, boots = usm.engine_boots, time = usm.engine_time, "v3 engine discovered");
        state.engine = Some(Engine {
            user: user.localize(&usm.engine_id),
            id: usm.engine_id,
            boots: usm.engine_boots,
            time: usm.engine_time,
            learned: Instant::now(),
        });
        Ok(())
    }

    fn report_error(&self, report: UsmReport, oid: &Oid) -> ClientErrorKind {
        let Credentials::V3(user) = &self.credentials else {
            return ClientErrorKind::Malformed(format!("an unexpected Report ({oid})"));
        };
        let name = &user.user;
        let level = match (&user.auth, &user.privacy) {
            (None, _) => "noAuthNoPriv",
            (Some(_), None) => "authNoPriv",
            (Some(_), Some(_)) => "authPriv",
        };
        ClientErrorKind::Authentication(match report {
            UsmReport::UnknownUserName => {
                format!("unknown user {name:?}: the agent has no such USM user (usmStatsUnknownUserNames)")
            }
            UsmReport::WrongDigest => format!(
                "wrong password for user {name:?}: the agent's digest check failed \
                 (wrong authentication password or protocol; usmStatsWrongDigests)"
            ),
            UsmReport::NotInTimeWindow => {
                "not in time window: the agent's engine boots/time keep disagreeing with ours \
                 (usmStatsNotInTimeWindows)"
                    .to_owned()
            }
            UsmReport::UnsupportedSecLevel => format!(
                "security level not allowed: user {name:?} may not use {level} on this agent \
                 (usmStatsUnsupportedSecLevels)"
            ),
            UsmReport::DecryptionError => format!(
                "wrong privacy password for user {name:?}: the agent could not decrypt the request \
                 (wrong privacy password or protocol; usmStatsDecryptionErrors)"
            ),
            UsmReport::UnknownEngineId => {
                "unknown engine id: the agent keeps refusing its own engine id (usmStatsUnknownEngineIDs)"
                    .to_owned()
            }
            UsmReport::Other => format!("the agent sent a Report ({oid})"),
        })
    }

    /// Sends `outgoing` until an answer to one of its attempts arrives or the
    /// attempts are used up, each waiting longer than the last by
    /// [`ClientConfig::backoff`]. Datagrams that are no answer are discarded.
    async fn exchange(
        &self,
        state: &mut State,
        outgoing: Outgoing<'_>,
    ) -> Result<Incoming, ClientErrorKind> {
        let attempts = self.config.retries.saturating_add(1);
        let mut ids = Vec::with_capacity(attempts as usize);
        let mut last: Option<ClientErrorKind> = None;
        let mut discarded = 0u32;
        for attempt in 1..=attempts {
            let id = state.take_id();
            ids.push(id);
            let bytes = self.encode(state, outgoing, id)?;
            let deadline = tokio::time::Instant::now()
                .checked_add(self.config.wait(attempt - 1))
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86_400));
            if let Err(e) = state.link.send(&bytes).await {
                tracing::debug!(device = %self.address, attempt, error = %e, "SNMP request not sent");
                last = Some(ClientErrorKind::Unreachable(e.to_string()));
            } else {
                loop {
                    let received =
                        tokio::time::timeout_at(deadline, state.link.recv(&mut state.buffer)).await;
                    let len = match received {
                        Err(_elapsed) => {
                            tracing::debug!(device = %self.address, attempt, "SNMP request timed out");
                            break;
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(device = %self.address, attempt, error = %e, "SNMP receive failed");
                            last = Some(ClientErrorKind::Unreachable(format!(
                                "{e} (nothing listens there?)"
                            )));
                            break;
                        }
                        Ok(Ok(len)) => len,
                    };
                    let datagram = state.buffer.get(..len).unwrap_or_default();
                    match self.decode(state.engine.as_ref(), datagram, &ids, outgoing) {
                        Ok(incoming) => {
                            state.link.settle();
                            return Ok(incoming);
                        }
                        Err(discard) => {
                            discarded += 1;
                            tracing::debug!(device = %self.address, discarded, why = %discard.kind, "discarded a datagram");
                            if !discard.stale {
                                last = Some(discard.kind);
                            }
                        }
                    }
                }
            }
        }
        Err(last.unwrap_or(ClientErrorKind::Timeout { attempts }))
    }

    fn encode(
        &self,
        state: &mut State,
        outgoing: Outgoing<'_>,
        id: i32,
    ) -> Result<Vec<u8>, ClientErrorKind> {
        let (op, community) = match (&self.credentials, outgoing) {
            (Credentials::V1 { community }, Outgoing::Request(op)) => (op, community),
            (Credentials::V2c { community }, Outgoing::Request(op)) => (op, community),
            (Credentials::V3(user), outgoing) => return self.encode_v3(state, user, outgoing, id),
            (_, Outgoing::Discovery) => {
                return Err(ClientErrorKind::Encode("discovery is for v3 only".into()));
            }
        };
        Ok(Message::Community(CommunityMessage {
            version: self.credentials.version(),
            community: community.as_bytes().to_vec(),
            pdu: op.pdu(id),
        })
        .encode())
    }

    fn encode_v3(
        &self,
        state: &mut State,
        user: &super::V3User,
        outgoing: Outgoing<'_>,
        id: i32,
    ) -> Result<Vec<u8>, ClientErrorKind> {
        let engine = match (outgoing, &state.engine) {
            (Outgoing::Request(op), Some(engine)) => Some((op, engine)),
            (Outgoing::Discovery, _) => None,
            (Outgoing::Request(_), None) => {
                return Err(ClientErrorKind::Encode(
                    "a v3 request before engine discovery".into(),
                ));
            }
        };
        let Some((op, engine)) = engine else {
            return Ok(engine_discovery(id));
        };
        let (boots, time) = engine.clock();
        let scoped = ScopedPdu {
            context_engine_id: engine.id.clone(),
            context_name: user.context.as_bytes().to_vec(),
            pdu: op.pdu(id),
        };
        let (data, priv_params) = match &engine.user.privacy {
            Some((protocol, key)) => {
                let salt = state.salt;
                state.salt = salt.wrapping_add(1);
                let (cipher, params) =
                    usm::encrypt(*protocol, key, boots, time, salt, &scoped.encode());
                (ScopedPduData::Encrypted(cipher), params)
            }
            None => (ScopedPduData::Plain(scoped), Vec::new()),
        };
        let message = V3Message {
            msg_id: id,
            max_size: MAX_MESSAGE_SIZE,
            flags: MsgFlags {
                auth: engine.user.auth.is_some(),
                privacy: engine.user.privacy.is_some(),
                reportable: true,
            },
            usm: UsmParams {
                engine_id: engine.id.clone(),
                engine_boots: boots,
                engine_time: time,
                user_name: engine.user.name.clone(),
                auth_params: engine
                    .user
                    .auth
                    .as_ref()
                    .map(|(p, _)| vec![0; p.mac_len()])
                    .unwrap_or_default(),
                priv_params,
            },
            data,
        };
        let mut bytes = Message::V3(message).encode();
        if let Some((protocol, key)) = &engine.user.auth {
            usm::sign(*protocol, key, &mut bytes)
                .map_err(|e| ClientErrorKind::Encode(format!("cannot sign: {e}")))?;
        }
        Ok(bytes)
    }

    /// Whether `datagram` answers one of `ids`, and what it says.
    fn decode(
        &self,
        engine: Option<&Engine>,
        datagram: &[u8],
        ids: &[i32],
        outgoing: Outgoing<'_>,
    ) -> Result<Incoming, Discard> {
        if datagram.len() >= RECEIVE_BUFFER {
            return Err(Discard::bad(ClientErrorKind::Malformed(
                "an answer larger than a UDP datagram".into(),
            )));
        }
        let message = Message::decode(datagram).map_err(|e| {
            Discard::bad(ClientErrorKind::Malformed(format!(
                "undecodable answer: {e}"
            )))
        })?;
        match message {
            Message::Community(m) => {
                let expected = match &self.credentials {
                    Credentials::V1 { community } => (Version::V1, community),
                    Credentials::V2c { community } => (Version::V2c, community),
                    Credentials::V3(_) => {
                        return Err(Discard::stale("a v1/v2c message to a v3 request"));
                    }
                };
                if !ids.contains(&m.pdu.request_id) {
                    return Err(Discard::stale(format!(
                        "an answer to another request (request-id {})",
                        m.pdu.request_id
                    )));
                }
                if m.version != expected.0 || m.community != expected.1.as_bytes() {
                    return Err(Discard::stale("an answer for another version or community"));
                }
                reply(m.pdu).map(Incoming::Reply)
            }
            Message::V3(m) => self.decode_v3(engine, m, datagram, ids, outgoing),
        }
    }

    fn decode_v3(
        &self,
        engine: Option<&Engine>,
        m: V3Message,
        datagram: &[u8],
        ids: &[i32],
        outgoing: Outgoing<'_>,
    ) -> Result<Incoming, Discard> {
        if self.usm_user.is_none() {
            return Err(Discard::stale("a v3 message to a v1/v2c request"));
        }
        if !ids.contains(&m.msg_id) {
            return Err(Discard::stale(format!(
                "an answer to another request (msgID {})",
                m.msg_id
            )));
        }
        let discovery = matches!(outgoing, Outgoing::Discovery);
        let user = engine.filter(|_| !discovery).map(|e| &e.user);
        let auth_key = user.and_then(|u| u.auth.as_ref());
        if m.flags.auth
            && let Some((protocol, key)) = auth_key
            && !usm::verify(*protocol, key, datagram).unwrap_or(false)
        {
            return Err(Discard::bad(ClientErrorKind::Authentication(
                "the answer's digest does not match: wrong authentication password or protocol"
                    .into(),
            )));
        }
        let scoped = match m.data {
            ScopedPduData::Plain(scoped) => scoped,
            ScopedPduData::Encrypted(cipher) => {
                let Some((protocol, key)) = user.and_then(|u| u.privacy.as_ref()) else {
                    return Err(Discard::bad(ClientErrorKind::Malformed(
                        "an encrypted answer to a request without privacy".into(),
                    )));
                };
                let plain = usm::decrypt(
                    *protocol,
                    key,
                    m.usm.engine_boots,
                    m.usm.engine_time,
                    &m.usm.priv_params,
                    &cipher,
                )
                .ok()
                .and_then(|p| ScopedPdu::decode(&p).ok());
                plain.ok_or_else(|| {
                    Discard::bad(ClientErrorKind::Authentication(
                        "cannot decrypt the answer: wrong privacy password or protocol".into(),
                    ))
                })?
            }
        };
        match scoped.pdu.kind {
            PduKind::Report => {
                let (kind, oid) = classify_report(&scoped.pdu);
                Ok(Incoming::Report(kind, oid, m.usm))
            }
            PduKind::Response if !discovery => {
                if !ids.contains(&scoped.pdu.request_id) {
                    return Err(Discard::stale(format!(
                        "an answer to another request (request-id {})",
                        scoped.pdu.request_id
                    )));
                }
                if auth_key.is_some() && !m.flags.auth {
                    return Err(Discard::bad(ClientErrorKind::Authentication(
                        "the agent answered an authenticated request without authentication".into(),
                    )));
                }
                if user.is_some_and(|u| u.privacy.is_some()) && !m.flags.privacy {
                    return Err(Discard::bad(ClientErrorKind::Authentication(
                        "the agent answered unencrypted to an authPriv request: wrong privacy \
                         password or protocol"
                            .into(),
                    )));
                }
                reply(scoped.pdu).map(Incoming::Reply)
            }
            PduKind::Response => Ok(Incoming::Report(
                UsmReport::Other,
                Oid::from(USM_STATS),
                m.usm,
            )),
            other => Err(Discard::bad(ClientErrorKind::Malformed(format!(
                "the agent answered with a {other:?} PDU"
            )))),
        }
    }
}

fn reply(pdu: Pdu) -> Result<Reply, Discard> {
    if pdu.kind != PduKind::Response {
        return Err(Discard::bad(ClientErrorKind::Malformed(format!(
            "the agent answered with a {:?} PDU",
            pdu.kind
        ))));
    }
    let field = |value: i32, what: &str| {
        u32::try_from(value).map_err(|_| {
            Discard::bad(ClientErrorKind::Malformed(format!(
                "a negative {what} ({value})"
            )))
        })
    };
    Ok(Reply {
        error_status: field(pdu.error_status, "error-status")?,
        error_index: field(pdu.error_index, "error-index")?,
        varbinds: pdu.varbinds,
    })
}

/// Which usmStats counter a Report carries.
fn classify_report(pdu: &Pdu) -> (UsmReport, Oid) {
    let Some((oid, _)) = pdu.varbinds.first() else {
        return (UsmReport::Other, Oid::from(USM_STATS));
    };
    let arcs = oid.arcs();
    let kind = match arcs.strip_prefix(USM_STATS) {
        Some([n, ..]) => match n {
            1 => UsmReport::UnsupportedSecLevel,
            2 => UsmReport::NotInTimeWindow,
            3 => UsmReport::UnknownUserName,
            4 => UsmReport::UnknownEngineId,
            5 => UsmReport::WrongDigest,
            6 => UsmReport::DecryptionError,
            _ => UsmReport::Other,
        },
        _ => UsmReport::Other,
    };
    (kind, oid.clone())
}

fn op_oids(op: Request<'_>) -> &[Oid] {
    match op {
        Request::Get(oids) | Request::GetNext(oids) => oids,
        Request::GetBulk { oids, .. } => oids,
    }
}

/// An OID BER can carry: two arcs at least, the first 0, 1 or 2, and the
/// second below 40 under 0 and 1 (the first two share one sub-identifier).
fn check_oid(oid: &Oid) -> Result<(), ClientErrorKind> {
    let ok = match oid.arcs() {
        [0 | 1, second, ..] => *second < 40,
        [2, _, ..] => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ClientErrorKind::Encode(format!(
            "OID {oid} cannot be encoded (it needs two arcs, the first 0, 1 or 2)"
        )))
    }
}

/// v3 engine discovery (RFC 3414 4): an empty GET from no user to no engine,
/// with `id` as its msgID and request-id. Any v3 engine answers it with a
/// Report naming itself, whichever users it knows.
pub(super) fn engine_discovery(id: i32) -> Vec<u8> {
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
    .encode()
}

/// The wire codec's user, with master keys, for a client user.
fn usm_user(user: &super::V3User) -> Result<UsmUser, usm::UsmError> {
    let mut out = UsmUser::new(user.user.as_bytes());
    if let Some((protocol, password)) = &user.auth {
        out = out.with_auth(*protocol, password.as_bytes())?;
    }
    if let Some((protocol, password)) = &user.privacy {
        out = out.with_privacy(*protocol, password.as_bytes())?;
    }
    Ok(out)
}

/// Default per-request timeout: printers on a LAN answer in milliseconds, and
/// busy ones within a second.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
