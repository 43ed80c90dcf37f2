//! One simulated agent: how a request's bytes become a response's bytes
//! (or silence), with no sockets, so the protocol rules are tested directly.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use crate::wire::usm::{self, LocalizedUser};
use crate::wire::{
    CommunityMessage, Message, MsgFlags, Pdu, PduKind, ScopedPdu, ScopedPduData, UsmParams,
    V3Message, Version, error_status,
};
use crate::{Oid, Recording, Value};

/// usmStats counters (RFC 3414 5), the OIDs of the reports they go out in.
const UNSUPPORTED_SEC_LEVELS: [u32; 11] = [1, 3, 6, 1, 6, 3, 15, 1, 1, 1, 0];
const NOT_IN_TIME_WINDOWS: [u32; 11] = [1, 3, 6, 1, 6, 3, 15, 1, 1, 2, 0];
const UNKNOWN_USER_NAMES: [u32; 11] = [1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0];
const UNKNOWN_ENGINE_IDS: [u32; 11] = [1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0];
const WRONG_DIGESTS: [u32; 11] = [1, 3, 6, 1, 6, 3, 15, 1, 1, 5, 0];
const DECRYPTION_ERRORS: [u32; 11] = [1, 3, 6, 1, 6, 3, 15, 1, 1, 6, 0];

/// RFC 3414 3.2 step 7: a message more than this many seconds from the
/// engine's clock is refused.
const TIME_WINDOW: i64 = 150;

/// The engine's boot count; a simulator run is one boot.
const ENGINE_BOOTS: i32 = 1;

/// Bytes kept free below the size limit for what the response's header and
/// DES padding add around the PDU.
const HEADER_ALLOWANCE: usize = 16;

/// Room for a PDU's own header around its varbinds (tag, request-id, error
/// status and index, the list's tag), long-form lengths included.
const PDU_HEADER: usize = 32;

/// What every agent of a fleet shares.
pub(crate) struct Policy {
    pub communities: Vec<Vec<u8>>,
    pub max_message_size: usize,
    pub started: Instant,
}

/// What a device answers from: a recording that copies of one device share,
/// and the values this device has of its own (its serials and MACs, and what
/// [`super::Fleet::set`] changed), so a fleet of 10,000 copies holds one
/// recording, not 10,000.
pub(crate) struct State {
    shared: Arc<Recording>,
    own: BTreeMap<Oid, Value>,
}

impl State {
    pub(crate) fn new(shared: Arc<Recording>, own: BTreeMap<Oid, Value>) -> Self {
        State { shared, own }
    }

    /// Sets one value. One the shared recording has is kept as this device's
    /// own; a new OID changes the walk order, so the device then takes a
    /// private copy of the recording.
    pub(crate) fn set(&mut self, oid: Oid, value: Value) {
        if matches!(
            self.shared.get(&oid),
            Value::NoSuchObject | Value::NoSuchInstance
        ) {
            Arc::make_mut(&mut self.shared).insert(oid, value);
        } else {
            self.own.insert(oid, value);
        }
    }

    /// This device's own value for a varbind the shared recording answered.
    /// An exception stays an exception: at the end of the MIB the answer
    /// repeats the last OID asked for, which may be one this device overrides,
    /// and turning that `endOfMibView` back into a value would send a walker
    /// round in a loop.
    fn own(&self, (oid, value): (Oid, Value)) -> (Oid, Value) {
        match self.own.get(&oid) {
            Some(mine) if !value.is_exception() => (oid, mine.clone()),
            _ => (oid, value),
        }
    }

    fn get(&self, oid: &Oid) -> Value {
        self.own((oid.clone(), self.shared.get(oid))).1
    }

    fn get_next(&self, oid: &Oid) -> (Oid, Value) {
        self.own(self.shared.get_next(oid))
    }

    fn get_bulk(
        &self,
        non_repeaters: usize,
        max_repetitions: usize,
        oids: &[Oid],
    ) -> Vec<(Oid, Value)> {
        self.shared
            .get_bulk(non_repeaters, max_repetitions, oids)
            .into_iter()
            .map(|vb| self.own(vb))
            .collect()
    }
}

/// One simulated device.
pub(crate) struct Agent {
    pub state: RwLock<State>,
    pub online: AtomicBool,
    engine_id: Vec<u8>,
    users: Vec<LocalizedUser>,
    salt: AtomicU64,
    reports: [AtomicU32; 6],
}

impl Agent {
    pub(crate) fn new(state: State, engine_id: Vec<u8>, users: Vec<LocalizedUser>) -> Self {
        Agent {
            state: RwLock::new(state),
            online: AtomicBool::new(true),
            engine_id,
            users,
            salt: AtomicU64::new(fastrand::u64(..)),
            reports: Default::default(),
        }
    }

    pub(crate) fn engine_id(&self) -> &[u8] {
        &self.engine_id
    }

    /// The response to `request`, or `None` where a real agent stays silent:
    /// undecodable bytes, a wrong community, a PDU an agent does not answer.
    pub(crate) fn answer(&self, policy: &Policy, request: &[u8]) -> Option<Vec<u8>> {
        match Message::decode(request).ok()? {
            Message::Community(m) => self.answer_community(policy, m),
            Message::V3(m) => self.answer_v3(policy, m, request),
        }
    }

    fn answer_community(&self, policy: &Policy, m: CommunityMessage) -> Option<Vec<u8>> {
        if !policy.communities.contains(&m.community) {
            return None;
        }
        let overhead = m.community.len() + HEADER_ALLOWANCE + 16;
        let pdu = self.serve(
            m.version,
            &m.pdu,
            policy.max_message_size.saturating_sub(overhead),
        )?;
        Some(
            Message::Community(CommunityMessage {
                version: m.version,
                community: m.community,
                pdu,
            })
            .encode(),
        )
    }

    /// The response PDU, kept within `budget` encoded bytes.
    fn serve(&self, version: Version, request: &Pdu, budget: usize) -> Option<Pdu> {
        let recording = self.state.read().unwrap_or_else(|e| e.into_inner());
        let oids = || request.varbinds.iter().map(|(o, _)| o);
        let mut scratch = Vec::new();
        // What the PDU takes at most, when the GETBULK's trimming already summed it.
        let mut bound = None;
        let varbinds: Vec<(Oid, Value)> = match request.kind {
            PduKind::Get => oids()
                .map(|o| (o.clone(), v1_visible(version, recording.get(o))))
                .collect(),
            PduKind::GetNext => oids()
                .map(|o| next_visible(&recording, version, o))
                .collect(),
            PduKind::GetBulk => {
                let requested: Vec<Oid> = oids().cloned().collect();
                // Every varbind costs at least 4 bytes, so more repetitions than
                // that could never fit: cap the work before doing it.
                let repeaters = requested
                    .len()
                    .saturating_sub(request.non_repeaters())
                    .max(1);
                let cap = budget / 4 / repeaters + 1;
                let mut out = recording.get_bulk(
                    request.non_repeaters(),
                    request.max_repetitions().min(cap),
                    &requested,
                );
                bound = Some(trim_to(&mut out, budget, &mut scratch));
                out
            }
            PduKind::Set => return Some(refuse_set(version, request)),
            PduKind::Response | PduKind::Inform | PduKind::TrapV2 | PduKind::Report => return None,
        };
        let mut response = Pdu {
            kind: PduKind::Response,
            request_id: request.request_id,
            error_status: error_status::NO_ERROR,
            error_index: 0,
            varbinds,
        };
        if version == Version::V1
            && let Some(i) = response.varbinds.iter().position(|(_, v)| v.is_exception())
        {
            response.error_status = error_status::NO_SUCH_NAME;
            response.error_index = i32::try_from(i + 1).unwrap_or(i32::MAX);
            response.varbinds = request.varbinds.clone();
            bound = None;
        }
        // The bound is exact but for the header's allowance, so the PDU is encoded only
        // to judge one that may not fit: answering encodes it once, not twice.
        let at_most = bound.unwrap_or_else(|| {
            PDU_HEADER
                + response
                    .varbinds
                    .iter()
                    .map(|(oid, value)| crate::wire::encoded_varbind_len(&mut scratch, oid, value))
                    .sum::<usize>()
        });
        if at_most > budget && response.encode().len() > budget {
            // RFC 3416 4.2.1: tooBig carries no varbinds in v2; RFC 1157 echoes them.
            response.error_status = error_status::TOO_BIG;
            response.error_index = 0;
            response.varbinds = match version {
                Version::V1 => request.varbinds.clone(),
                _ => Vec::new(),
            };
        }
        Some(response)
    }

    fn answer_v3(&self, policy: &Policy, m: V3Message, raw: &[u8]) -> Option<Vec<u8>> {
        let now = self.engine_time(policy);
        if m.usm.engine_id != self.engine_id {
            return self.report(policy, &m, &UNKNOWN_ENGINE_IDS, None);
        }
        let Some(user) = self.users.iter().find(|u| u.name == m.usm.user_name) else {
            return self.report(policy, &m, &UNKNOWN_USER_NAMES, None);
        };
        if m.flags.auth != user.auth.is_some() || m.flags.privacy != user.privacy.is_some() {
            return self.report(policy, &m, &UNSUPPORTED_SEC_LEVELS, None);
        }
        if let Some((proto, key)) = &user.auth {
            if !usm::verify(*proto, key, raw).unwrap_or(false) {
                return self.report(policy, &m, &WRONG_DIGESTS, None);
            }
            let drift = (i64::from(m.usm.engine_time) - i64::from(now)).abs();
            if m.usm.engine_boots != ENGINE_BOOTS || drift > TIME_WINDOW {
                return self.report(policy, &m, &NOT_IN_TIME_WINDOWS, Some(user));
            }
        }
        let scoped = match (&m.data, &user.privacy) {
            (ScopedPduData::Plain(scoped), None) => scoped.clone(),
            (ScopedPduData::Encrypted(cipher), Some((proto, key))) => {
                let plain = usm::decrypt(
                    *proto,
                    key,
                    m.usm.engine_boots,
                    m.usm.engine_time,
                    &m.usm.priv_params,
                    cipher,
                );
                match plain.ok().and_then(|p| ScopedPdu::decode(&p).ok()) {
                    Some(scoped) => scoped,
                    None => return self.report(policy, &m, &DECRYPTION_ERRORS, None),
                }
            }
            _ => return self.report(policy, &m, &UNSUPPORTED_SEC_LEVELS, None),
        };
        let limit = usize::try_from(m.max_size)
            .unwrap_or(0)
            .min(policy.max_message_size);
        let overhead = 64 + self.engine_id.len() * 2 + user.name.len() + 48 + 8 + HEADER_ALLOWANCE;
        let pdu = self.serve(Version::V3, &scoped.pdu, limit.saturating_sub(overhead))?;
        let flags = MsgFlags {
            reportable: false,
            ..m.flags
        };
        Some(self.seal(policy, Some(user), &m, flags, scoped.context_name, pdu))
    }

    /// A Report-PDU carrying the counter `stat`, sent only when the request
    /// asked for reports; authenticated with `user` when given (a time-window
    /// report must be, so the manager trusts the clock it carries).
    fn report(
        &self,
        policy: &Policy,
        m: &V3Message,
        stat: &[u32; 11],
        user: Option<&LocalizedUser>,
    ) -> Option<Vec<u8>> {
        if !m.flags.reportable {
            return None;
        }
        let slot = (stat[9] as usize)
            .saturating_sub(1)
            .min(self.reports.len() - 1);
        let count = self.reports[slot]
            .fetch_add(1, Ordering::Relaxed)
            .wrapping_add(1);
        let request_id = match &m.data {
            ScopedPduData::Plain(scoped) => scoped.pdu.request_id,
            ScopedPduData::Encrypted(_) => 0,
        };
        let pdu = Pdu {
            kind: PduKind::Report,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds: vec![(Oid::from(&stat[..]), Value::Counter32(count))],
        };
        let flags = MsgFlags {
            auth: user.is_some(),
            ..MsgFlags::default()
        };
        let level = user.map(|u| LocalizedUser {
            privacy: None,
            ..u.clone()
        });
        Some(self.seal(policy, level.as_ref(), m, flags, Vec::new(), pdu))
    }

    /// Encodes a v3 response from this engine, encrypted and signed as `user`
    /// (its privacy key only when `flags.privacy`).
    fn seal(
        &self,
        policy: &Policy,
        user: Option<&LocalizedUser>,
        request: &V3Message,
        flags: MsgFlags,
        context_name: Vec<u8>,
        pdu: Pdu,
    ) -> Vec<u8> {
        let boots = ENGINE_BOOTS;
        let time = self.engine_time(policy);
        let scoped = ScopedPdu {
            context_engine_id: self.engine_id.clone(),
            context_name,
            pdu,
        };
        let auth = user.and_then(|u| u.auth.as_ref()).filter(|_| flags.auth);
        let privacy = user
            .and_then(|u| u.privacy.as_ref())
            .filter(|_| flags.privacy);
        let (data, priv_params) = match privacy {
            Some((proto, key)) => {
                let salt = self.salt.fetch_add(1, Ordering::Relaxed);
                let (cipher, params) =
                    usm::encrypt(*proto, key, boots, time, salt, &scoped.encode());
                (ScopedPduData::Encrypted(cipher), params)
            }
            None => (ScopedPduData::Plain(scoped), Vec::new()),
        };
        let message = V3Message {
            msg_id: request.msg_id,
            max_size: i32::try_from(policy.max_message_size).unwrap_or(i32::MAX),
            flags,
            usm: UsmParams {
                engine_id: self.engine_id.clone(),
                engine_boots: boots,
                engine_time: time,
                user_name: request.usm.user_name.clone(),
                auth_params: auth.map(|(p, _)| vec![0; p.mac_len()]).unwrap_or_default(),
                priv_params,
            },
            data,
        };
        let mut bytes = Message::V3(message).encode();
        if let Some((proto, key)) = auth
            && usm::sign(*proto, key, &mut bytes).is_err()
        {
            tracing::warn!("could not sign a v3 response; sending it unsigned");
        }
        bytes
    }

    fn engine_time(&self, policy: &Policy) -> i32 {
        i32::try_from(policy.started.elapsed().as_secs()).unwrap_or(i32::MAX)
    }
}

/// v1 has no Counter64 (RFC 2576 4.2.1): a GET of one is noSuchName.
fn v1_visible(version: Version, value: Value) -> Value {
    match (version, value) {
        (Version::V1, Value::Counter64(_)) => Value::NoSuchObject,
        (_, value) => value,
    }
}

/// GETNEXT; in v1 Counter64 objects are skipped, as RFC 2576 4.2.1 requires.
fn next_visible(recording: &State, version: Version, oid: &Oid) -> (Oid, Value) {
    let mut next = recording.get_next(oid);
    while version == Version::V1 && matches!(next.1, Value::Counter64(_)) {
        next = recording.get_next(&next.0);
    }
    next
}

/// A read-only agent's answer to SET: noAccess in v2c/v3, and RFC 2576's v1
/// mapping of it, noSuchName, on the first varbind.
fn refuse_set(version: Version, request: &Pdu) -> Pdu {
    Pdu {
        kind: PduKind::Response,
        request_id: request.request_id,
        error_status: match version {
            Version::V1 => error_status::NO_SUCH_NAME,
            _ => error_status::NO_ACCESS,
        },
        error_index: 1,
        varbinds: request.varbinds.clone(),
    }
}

/// Drops trailing varbinds until the PDU fits `budget` (RFC 3416 4.2.3: a
/// GETBULK response is shortened rather than refused), and says how many
/// bytes the PDU then takes at most. `scratch` is where varbinds are sized.
fn trim_to(varbinds: &mut Vec<(Oid, Value)>, budget: usize, scratch: &mut Vec<u8>) -> usize {
    let mut used = PDU_HEADER;
    let mut keep = 0;
    for (oid, value) in varbinds.iter() {
        let size = crate::wire::encoded_varbind_len(scratch, oid, value);
        if used + size > budget && keep > 0 {
            break;
        }
        used += size;
        keep += 1;
        if used > budget {
            break;
        }
    }
    varbinds.truncate(keep);
    used
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::usm::UsmUser;

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
    }

    fn agent() -> (Agent, Policy) {
        let recording = Recording::parse_snmprec(
            "t",
            "1.3.6.1.2.1.1.5.0|4|printer\n1.3.6.1.2.1.31.1.1.1.6.1|70|5\n1.3.6.1.2.1.43.5.1.1.17.1|4|SN1\n",
        )
        .unwrap();
        let engine = b"\x80\x00\x7e\xd9\x05test".to_vec();
        let user: UsmUser = "u:SHA-256:authpass123:AES:privpass123".parse().unwrap();
        let state = State::new(Arc::new(recording), BTreeMap::new());
        let agent = Agent::new(state, engine.clone(), vec![user.localize(&engine)]);
        let policy = Policy {
            communities: vec![b"public".to_vec()],
            max_message_size: 200,
            started: Instant::now(),
        };
        (agent, policy)
    }

    #[test]
    fn a_copy_whose_last_oid_is_its_own_serial_still_ends_the_walk() {
        // A fleet copy overrides the serial; when the serial is the last OID,
        // the walk past it must still end with endOfMibView (net-snmp's
        // snmpbulkwalk stopped with "OID not increasing" before).
        let recording = Recording::parse_snmprec("t", "1.3.6.1.2.1.43.5.1.1.17.1|4|SN1\n").unwrap();
        let serial = oid("1.3.6.1.2.1.43.5.1.1.17.1");
        let own = BTreeMap::from([(serial.clone(), Value::OctetString(b"SN1-00001".to_vec()))]);
        let state = State::new(Arc::new(recording), own);
        assert_eq!(
            state.get(&serial),
            Value::OctetString(b"SN1-00001".to_vec())
        );
        assert_eq!(
            state.get_next(&serial),
            (serial.clone(), Value::EndOfMibView)
        );
        let bulk = state.get_bulk(0, 3, &[oid("1.3.6.1.2.1.43")]);
        assert_eq!(bulk[1], (serial, Value::EndOfMibView));
    }

    fn community(version: Version, pdu: Pdu) -> Vec<u8> {
        Message::Community(CommunityMessage {
            version,
            community: b"public".to_vec(),
            pdu,
        })
        .encode()
    }

    fn response(bytes: Option<Vec<u8>>) -> Pdu {
        match Message::decode(&bytes.expect("an answer")).unwrap() {
            Message::Community(m) => m.pdu,
            Message::V3(m) => match m.data {
                ScopedPduData::Plain(s) => s.pdu,
                ScopedPduData::Encrypted(_) => panic!("encrypted"),
            },
        }
    }

    #[test]
    fn v1_turns_exceptions_and_counter64_into_no_such_name_at_the_varbind() {
        let (agent, policy) = agent();
        let pdu = Pdu::request(
            PduKind::Get,
            7,
            [oid("1.3.6.1.2.1.1.5.0"), oid("1.3.6.1.2.1.31.1.1.1.6.1")],
        );
        let got = response(agent.answer(&policy, &community(Version::V1, pdu.clone())));
        assert_eq!(
            (got.error_status, got.error_index),
            (error_status::NO_SUCH_NAME, 2)
        );
        assert_eq!(got.varbinds, pdu.varbinds);
        let got = response(agent.answer(&policy, &community(Version::V2c, pdu)));
        assert_eq!(got.varbinds[1].1, Value::Counter64(5));
    }

    #[test]
    fn set_is_refused_and_an_oversized_get_is_too_big() {
        let (agent, policy) = agent();
        let set = Pdu::request(PduKind::Set, 1, [oid("1.3.6.1.2.1.1.5.0")]);
        let got = response(agent.answer(&policy, &community(Version::V2c, set)));
        assert_eq!(got.error_status, error_status::NO_ACCESS);
        let many = Pdu::request(PduKind::Get, 2, vec![oid("1.3.6.1.2.1.1.5.0"); 20]);
        let got = response(agent.answer(&policy, &community(Version::V2c, many)));
        assert_eq!(got.error_status, error_status::TOO_BIG);
        assert!(got.varbinds.is_empty());
    }

    fn v3_request(engine_id: Vec<u8>, user: &[u8], flags: MsgFlags) -> V3Message {
        V3Message {
            msg_id: 9,
            max_size: 65507,
            flags,
            usm: UsmParams {
                engine_id,
                user_name: user.to_vec(),
                ..UsmParams::default()
            },
            data: ScopedPduData::Plain(ScopedPdu {
                context_engine_id: Vec::new(),
                context_name: Vec::new(),
                pdu: Pdu::request(PduKind::Get, 3, [oid("1.3.6.1.2.1.1.5.0")]),
            }),
        }
    }

    fn report_oid(bytes: Option<Vec<u8>>) -> Oid {
        let pdu = response(bytes);
        assert_eq!(pdu.kind, PduKind::Report);
        pdu.varbinds[0].0.clone()
    }

    #[test]
    fn v3_problems_get_their_usm_reports() {
        let (agent, policy) = agent();
        let reportable = MsgFlags {
            reportable: true,
            ..MsgFlags::default()
        };
        let discovery = Message::V3(v3_request(Vec::new(), b"", reportable)).encode();
        assert_eq!(
            report_oid(agent.answer(&policy, &discovery)),
            Oid::from(&UNKNOWN_ENGINE_IDS[..])
        );
        let engine = agent.engine_id().to_vec();
        let stranger = Message::V3(v3_request(engine.clone(), b"who", reportable)).encode();
        assert_eq!(
            report_oid(agent.answer(&policy, &stranger)),
            Oid::from(&UNKNOWN_USER_NAMES[..])
        );
        let too_low = Message::V3(v3_request(engine.clone(), b"u", reportable)).encode();
        assert_eq!(
            report_oid(agent.answer(&policy, &too_low)),
            Oid::from(&UNSUPPORTED_SEC_LEVELS[..])
        );

        // Correctly signed, but from a clock 1000 s away: notInTimeWindow,
        // signed so the manager can trust the engine time it carries.
        let (auth, key) = agent.users[0].auth.clone().unwrap();
        // (the time window is checked before decryption, so the ciphertext
        // does not matter)
        let flags = MsgFlags {
            auth: true,
            privacy: true,
            reportable: true,
        };
        let mut late = v3_request(engine.clone(), b"u", flags);
        late.data = ScopedPduData::Encrypted(vec![0; 16]);
        late.usm.priv_params = vec![0; 8];
        late.usm.engine_boots = ENGINE_BOOTS;
        late.usm.engine_time = 1000;
        late.usm.auth_params = vec![0; auth.mac_len()];
        let mut bytes = Message::V3(late).encode();
        usm::sign(auth, &key, &mut bytes).unwrap();
        let answer = agent.answer(&policy, &bytes).unwrap();
        assert!(usm::verify(auth, &key, &answer).unwrap());
        assert_eq!(
            report_oid(Some(answer)),
            Oid::from(&NOT_IN_TIME_WINDOWS[..])
        );

        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert_eq!(
            report_oid(agent.answer(&policy, &bytes)),
            Oid::from(&WRONG_DIGESTS[..])
        );

        let quiet = Message::V3(v3_request(Vec::new(), b"", MsgFlags::default())).encode();
        assert_eq!(
            agent.answer(&policy, &quiet),
            None,
            "no report unless asked"
        );
    }
}
