use std::net::SocketAddr;
use std::time::Duration;

use snmp2::AsyncSession;
use snmp2::v3::{self, AuthErrorKind};
use tokio::sync::Mutex;

use super::error::status_name;
use super::{
    AuthProtocol, ClientConfig, ClientError, ClientErrorKind, Credentials, PrivProtocol, Version,
};
use crate::{Oid, Value};

/// sysObjectID.0: what [`Session::open`] reads to prove the credentials work.
const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];

/// v1 `noSuchName`: the one error-status a v1 agent uses for "not there".
const NO_SUCH_NAME: u32 = 2;

/// How many times one attempt repeats a request after the agent updated the
/// v3 engine boots/time (a notInTimeWindow report): more means a broken agent.
const MAX_RESYNCS: u32 = 2;

/// One device, one set of credentials: every request to it goes through here.
///
/// Requests are serialised (one in flight per device, as printers prefer).
/// A request that times out abandons its socket: the next attempt opens a new
/// one (and for v3 repeats engine discovery), so a late answer to an abandoned
/// request lands on a closed port and can never be taken for the answer to a
/// later one. snmp2 itself only rejects such a reply (`RequestIdMismatch`);
/// it has no way to keep listening after it, hence the fresh socket.
pub struct Session {
    address: SocketAddr,
    credentials: Credentials,
    config: ClientConfig,
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
    socket: Option<AsyncSession>,
    /// The first request-id of the next socket; each socket starts far from
    /// the last so that ids in a packet capture tell sockets apart.
    next_request_id: i32,
    /// Set once the agent answered a GETBULK badly; walks then use GETNEXT.
    bulk_broken: bool,
}

/// One request as the caller asked it.
#[derive(Clone, Copy)]
enum Op<'a> {
    Get(&'a [Oid]),
    GetNext(&'a Oid),
    GetBulk {
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &'a [Oid],
    },
}

/// A response, owned (snmp2's borrows the socket's buffer).
struct Reply {
    error_status: u32,
    error_index: u32,
    varbinds: Vec<(Oid, Value)>,
}

/// Why one attempt ended without a reply.
enum Failure {
    /// Worth another attempt on a new socket.
    Retry(ClientErrorKind),
    /// Another attempt would fail the same way.
    Fatal(ClientErrorKind),
    /// The v3 agent's engine boots/time changed (a notInTimeWindow report
    /// taught us the new ones): repeat at once on the same socket.
    Resync,
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
        credentials
            .check()
            .map_err(|e| ClientError::new(address, ClientErrorKind::Credentials(e)))?;
        let session = Session {
            address,
            credentials,
            config,
            state: Mutex::new(State {
                socket: None,
                next_request_id: 1,
                bulk_broken: false,
            }),
        };
        session.get(&[Oid::from(SYS_OBJECT_ID)]).await?;
        Ok(session)
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

    /// GET of any number of OIDs, sent [`ClientConfig::max_varbinds`] per PDU.
    /// Answers are in request order; a v1 `noSuchName` becomes `noSuchObject`
    /// for that OID (and the rest are asked again), as a v2 agent would answer.
    pub async fn get(&self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>, ClientError> {
        let mut out = Vec::with_capacity(oids.len());
        for chunk in oids.chunks(self.config.max_varbinds.max(1)) {
            out.extend(self.get_chunk(chunk).await?);
        }
        Ok(out)
    }

    async fn get_chunk(&self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>, ClientError> {
        let mut answers: Vec<Option<Value>> = vec![None; oids.len()];
        loop {
            let pending: Vec<usize> = (0..oids.len()).filter(|&i| answers[i].is_none()).collect();
            if pending.is_empty() {
                break;
            }
            let asked: Vec<Oid> = pending.iter().map(|&i| oids[i].clone()).collect();
            let reply = self.request(Op::Get(&asked)).await?;
            if let Some(i) = self.v1_missing(&reply, asked.len()) {
                answers[pending[i]] = Some(Value::NoSuchObject);
                continue;
            }
            self.check_status(&reply)?;
            if reply.varbinds.len() != asked.len() {
                return Err(self.malformed(format!(
                    "{} varbinds in the answer to a GET of {}",
                    reply.varbinds.len(),
                    asked.len()
                )));
            }
            for (&i, (_, value)) in pending.iter().zip(reply.varbinds) {
                answers[i] = Some(value);
            }
        }
        Ok(oids
            .iter()
            .cloned()
            .zip(
                answers
                    .into_iter()
                    .map(|v| v.unwrap_or(Value::NoSuchObject)),
            )
            .collect())
    }

    /// GETNEXT of each OID, one request per OID (snmp2 sends one OID per
    /// GETNEXT). A v1 `noSuchName` becomes `endOfMibView`, as in v2.
    pub async fn get_next(&self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>, ClientError> {
        let mut out = Vec::with_capacity(oids.len());
        for oid in oids {
            let reply = self.request(Op::GetNext(oid)).await?;
            if self.v1_missing(&reply, 1).is_some() {
                out.push((oid.clone(), Value::EndOfMibView));
                continue;
            }
            self.check_status(&reply)?;
            let mut varbinds = reply.varbinds.into_iter();
            match (varbinds.next(), varbinds.next()) {
                (Some(varbind), None) => out.push(varbind),
                _ => return Err(self.malformed("a GETNEXT answer must hold one varbind")),
            }
        }
        Ok(out)
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
        let to_u32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let reply = self
            .request(Op::GetBulk {
                non_repeaters: to_u32(non_repeaters),
                max_repetitions: to_u32(max_repetitions),
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

    /// Sends `op` until it is answered, retries are used up, or the answer
    /// says retrying is pointless. Each attempt waits longer than the last by
    /// [`ClientConfig::backoff`].
    async fn request(&self, op: Op<'_>) -> Result<Reply, ClientError> {
        let mut state = self.state.lock().await;
        let attempts = self.config.retries.saturating_add(1);
        let mut wait = self.config.timeout;
        let mut last = ClientErrorKind::Timeout { attempts };
        for attempt in 1..=attempts {
            match tokio::time::timeout(wait, self.attempt(&mut state, op)).await {
                Ok(Ok(reply)) => return Ok(reply),
                Ok(Err(Failure::Resync)) => {
                    state.socket = None;
                    return Err(ClientError::new(self.address, not_in_time_window()));
                }
                Ok(Err(Failure::Fatal(kind))) => {
                    state.socket = None;
                    return Err(ClientError::new(self.address, kind));
                }
                Ok(Err(Failure::Retry(kind))) => {
                    tracing::debug!(device = %self.address, attempt, error = %kind, "SNMP request failed; retrying");
                    last = kind;
                }
                Err(_elapsed) => {
                    tracing::debug!(device = %self.address, attempt, "SNMP request timed out");
                    last = ClientErrorKind::Timeout { attempts };
                }
            }
            state.socket = None;
            wait = wait.mul_f64(self.config.backoff.max(1.0));
        }
        Err(ClientError::new(self.address, last))
    }

    async fn attempt(&self, state: &mut State, op: Op<'_>) -> Result<Reply, Failure> {
        let socket = match state.socket.take() {
            Some(socket) => socket,
            None => {
                let first_id = state.next_request_id;
                state.next_request_id = first_id.wrapping_add(1 << 20);
                self.connect(first_id).await?
            }
        };
        let socket = state.socket.insert(socket);
        let mut resyncs = 0;
        loop {
            match send(socket, op).await {
                Err(Failure::Resync) if resyncs < MAX_RESYNCS => resyncs += 1,
                other => return other,
            }
        }
    }

    async fn connect(&self, first_id: i32) -> Result<AsyncSession, Failure> {
        let io = |e: std::io::Error| Failure::Retry(ClientErrorKind::Unreachable(e.to_string()));
        let session = match &self.credentials {
            Credentials::V1 { community } => {
                AsyncSession::new_v1(self.address, community.as_bytes(), first_id)
                    .await
                    .map_err(io)?
            }
            Credentials::V2c { community } => {
                AsyncSession::new_v2c(self.address, community.as_bytes(), first_id)
                    .await
                    .map_err(io)?
            }
            Credentials::V3(user) => {
                let mut security = v3::Security::new(
                    user.user.as_bytes(),
                    user.auth.as_ref().map_or(&b""[..], |(_, p)| p.as_bytes()),
                )
                .with_context_name(&user.context)
                .with_auth(match (&user.auth, &user.privacy) {
                    (None, _) => v3::Auth::NoAuthNoPriv,
                    (Some(_), None) => v3::Auth::AuthNoPriv,
                    (Some(_), Some((protocol, password))) => v3::Auth::AuthPriv {
                        cipher: match protocol {
                            PrivProtocol::Des => v3::Cipher::Des,
                            PrivProtocol::Aes128 => v3::Cipher::Aes128,
                        },
                        privacy_password: password.as_bytes().to_vec(),
                    },
                });
                if let Some((protocol, _)) = &user.auth {
                    security = security.with_auth_protocol(match protocol {
                        AuthProtocol::Md5 => v3::AuthProtocol::Md5,
                        AuthProtocol::Sha1 => v3::AuthProtocol::Sha1,
                        AuthProtocol::Sha224 => v3::AuthProtocol::Sha224,
                        AuthProtocol::Sha256 => v3::AuthProtocol::Sha256,
                        AuthProtocol::Sha384 => v3::AuthProtocol::Sha384,
                        AuthProtocol::Sha512 => v3::AuthProtocol::Sha512,
                    });
                }
                let mut session = AsyncSession::new_v3(self.address, first_id, security)
                    .await
                    .map_err(io)?;
                session.init().await.map_err(|e| match classify(&e, true) {
                    Failure::Resync => Failure::Fatal(not_in_time_window()),
                    other => other,
                })?;
                session
            }
        };
        Ok(session)
    }
}

fn not_in_time_window() -> ClientErrorKind {
    ClientErrorKind::Authentication(
        "not in time window: the agent's engine boots/time keep disagreeing with ours".into(),
    )
}

/// One request and its answer on `socket`, no retries.
async fn send(socket: &mut AsyncSession, op: Op<'_>) -> Result<Reply, Failure> {
    let v3 = socket.version() == snmp2::Version::V3;
    let encode = |oids: &[Oid]| -> Result<Vec<snmp2::Oid<'static>>, Failure> {
        oids.iter().map(to_wire_oid).collect()
    };
    let pdu = match op {
        Op::Get(oids) => {
            let wire = encode(oids)?;
            let refs: Vec<&snmp2::Oid<'_>> = wire.iter().collect();
            socket.get_many(&refs).await
        }
        Op::GetNext(oid) => {
            let wire = to_wire_oid(oid)?;
            socket.getnext(&wire).await
        }
        Op::GetBulk {
            non_repeaters,
            max_repetitions,
            oids,
        } => {
            let wire = encode(oids)?;
            let refs: Vec<&snmp2::Oid<'_>> = wire.iter().collect();
            socket.getbulk(&refs, non_repeaters, max_repetitions).await
        }
    };
    let pdu = pdu.map_err(|e| classify(&e, v3))?;
    let varbinds = pdu
        .varbinds
        .clone()
        .map(|(oid, value)| Ok((from_wire_oid(&oid)?, from_wire_value(value)?)))
        .collect::<Result<Vec<_>, Failure>>()?;
    Ok(Reply {
        error_status: pdu.error_status,
        error_index: pdu.error_index,
        varbinds,
    })
}

/// Sorts snmp2's errors into retry-worthy and final, with words a user can act on.
fn classify(error: &snmp2::Error, v3: bool) -> Failure {
    use snmp2::Error as E;
    let auth = |why: &str| Failure::Fatal(ClientErrorKind::Authentication(why.to_owned()));
    match error {
        E::RequestIdMismatch => Failure::Retry(ClientErrorKind::Malformed(
            "an answer to an earlier request arrived; asked again on a new socket".into(),
        )),
        E::Send | E::Receive => Failure::Retry(ClientErrorKind::Unreachable(
            "the address refused the packet (nothing listens there?)".into(),
        )),
        E::AuthUpdated => Failure::Resync,
        E::AuthFailure(kind) => match kind {
            AuthErrorKind::NotAuthenticated => auth(
                "the agent sent an unauthenticated report: wrong password, unknown user, \
                 or a security level the user may not use",
            ),
            AuthErrorKind::SignatureMismatch => auth(
                "the answer's digest does not match: wrong authentication password or protocol",
            ),
            AuthErrorKind::EngineTimeMismatch | AuthErrorKind::EngineBootsMismatch => {
                Failure::Fatal(not_in_time_window())
            }
            AuthErrorKind::ReplyNotEncrypted => auth(
                "the agent answered unencrypted to an authPriv request: wrong privacy password or protocol",
            ),
            other => auth(&other.to_string()),
        },
        E::Crypto(why) => auth(&format!(
            "cannot decrypt the answer ({why}): wrong privacy password or protocol"
        )),
        E::AsnWrongType if v3 => auth(
            "the agent answered with a report instead of a response: unknown user or \
             a security level the user may not use",
        ),
        E::CommunityMismatch => Failure::Retry(ClientErrorKind::Malformed(
            "an answer for another community arrived".into(),
        )),
        other => Failure::Fatal(ClientErrorKind::Malformed(other.to_string())),
    }
}

fn to_wire_oid(oid: &Oid) -> Result<snmp2::Oid<'static>, Failure> {
    let arcs: Vec<u64> = oid.arcs().iter().map(|&a| u64::from(a)).collect();
    snmp2::Oid::from(&arcs)
        .map_err(|e| Failure::Fatal(ClientErrorKind::Encode(format!("OID {oid}: {e:?}"))))
}

fn from_wire_oid(oid: &snmp2::Oid<'_>) -> Result<Oid, Failure> {
    let bad = || {
        Failure::Fatal(ClientErrorKind::Malformed(format!(
            "an OID Quire cannot hold: {oid}"
        )))
    };
    oid.iter()
        .ok_or_else(bad)?
        .map(|arc| u32::try_from(arc).map_err(|_| bad()))
        .collect::<Result<Vec<u32>, _>>()
        .map(Oid::from)
}

fn from_wire_value(value: snmp2::Value<'_>) -> Result<Value, Failure> {
    use snmp2::Value as W;
    Ok(match value {
        W::Integer(n) => Value::Integer(n),
        W::OctetString(bytes) => Value::OctetString(bytes.to_vec()),
        W::Null => Value::Null,
        W::ObjectIdentifier(oid) => Value::ObjectId(from_wire_oid(&oid)?),
        W::IpAddress(ip) => Value::IpAddress(ip),
        W::Counter32(n) => Value::Counter32(n),
        W::Unsigned32(n) => Value::Gauge32(n),
        W::Timeticks(n) => Value::TimeTicks(n),
        W::Opaque(bytes) => Value::Opaque(bytes.to_vec()),
        W::Counter64(n) => Value::Counter64(n),
        W::EndOfMibView => Value::EndOfMibView,
        W::NoSuchObject => Value::NoSuchObject,
        W::NoSuchInstance => Value::NoSuchInstance,
        other => {
            return Err(Failure::Fatal(ClientErrorKind::Malformed(format!(
                "a varbind holds {other:?}, which is no SNMP value"
            ))));
        }
    })
}

/// Default per-request timeout: printers on a LAN answer in milliseconds, and
/// busy ones within a second.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
