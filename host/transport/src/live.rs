//! Live SNMP: a [`DeviceTransport`] that reads one device through the SNMP
//! client, and a wrapper that records what any transport answered over SNMP,
//! so a live read can be saved as a `.snmprec` and replayed to the same
//! reading.
//!
//! NPAP and HTTP to a live device are [`DeviceExchanges`](crate::DeviceExchanges),
//! joined to this transport by [`WithExchanges`](crate::WithExchanges) and
//! recorded by [`ExchangeRecorder`](crate::ExchangeRecorder).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use quire_snmp::client::{ClientError, ClientErrorKind, Session};
use quire_snmp::{Oid, Recording, Value};

use crate::device::{DeviceTransport, SnmpRequest, TransportError};

/// One device over SNMP, through a [`Session`] whose credentials already
/// proved to work (see `CredentialSet::open`).
#[derive(Debug)]
pub struct LiveTransport {
    session: Session,
    /// What the GET that opened the session answered ([`Session::open_asking`]).
    opening: Vec<(Oid, Value)>,
}

impl LiveTransport {
    /// Reads the device `session` talks to.
    pub fn new(session: Session) -> Self {
        LiveTransport::opened(session, Vec::new())
    }

    /// Reads the device `session` talks to, answering a GET of objects that
    /// the session's opening GET all asked from its `answer`: the device is
    /// not asked twice within a read for what it has just said, which is what
    /// lets the opening GET be the probe's and the strategy's system group too.
    pub fn opened(session: Session, answer: Vec<(Oid, Value)>) -> Self {
        LiveTransport {
            session,
            opening: answer,
        }
    }

    /// The session, for walks outside a plugin (`quire record`).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The opening GET's answer for each of `oids`, in their order; `None`
    /// unless it asked every one of them.
    fn answered_at_opening(&self, oids: &[Oid]) -> Option<Vec<(Oid, Value)>> {
        if self.opening.is_empty() {
            return None;
        }
        oids.iter()
            .map(|oid| self.opening.iter().find(|(asked, _)| asked == oid).cloned())
            .collect()
    }
}

#[async_trait]
impl DeviceTransport for LiveTransport {
    async fn snmp(&self, request: SnmpRequest<'_>) -> Result<Vec<(Oid, Value)>, TransportError> {
        if let SnmpRequest::Get(oids) = request
            && let Some(answer) = self.answered_at_opening(oids)
        {
            return Ok(answer);
        }
        self.session.send(request).await.map_err(transport_error)
    }
}

/// The plugin sees the WIT error kinds; the message keeps the device address.
fn transport_error(error: ClientError) -> TransportError {
    match error.kind {
        ClientErrorKind::Timeout { .. } => TransportError::Timeout,
        ClientErrorKind::Malformed(_) | ClientErrorKind::ErrorStatus { .. } => {
            TransportError::Protocol(error.to_string())
        }
        ClientErrorKind::Encode(_) => TransportError::Denied(error.to_string()),
        ClientErrorKind::Unreachable(_)
        | ClientErrorKind::Authentication(_)
        | ClientErrorKind::Credentials(_) => TransportError::Unreachable(error.to_string()),
    }
}

/// Wraps any transport and keeps every varbind its device answered, so the
/// read can be written out (`Recording::to_snmprec`) and replayed.
///
/// Exceptions (`noSuchObject`, `endOfMibView`, …) are not kept: a recording
/// answers them by absence. What GETNEXT returned is kept as the varbind it is;
/// since the device had nothing between the OID asked and the one answered, a
/// recording holding a subset of the device answers that GETNEXT the same way.
pub struct RecordingTransport {
    inner: Arc<dyn DeviceTransport>,
    recorded: Mutex<Recording>,
}

impl RecordingTransport {
    /// Records what `inner` answers into a recording called `name`.
    pub fn new(inner: Arc<dyn DeviceTransport>, name: impl Into<String>) -> Self {
        RecordingTransport {
            inner,
            recorded: Mutex::new(Recording::new(name)),
        }
    }

    /// What was answered so far.
    pub fn recording(&self) -> Recording {
        self.lock().clone()
    }

    fn keep(&self, answered: &[(Oid, Value)]) {
        let mut recording = self.lock();
        for (oid, value) in answered {
            if !value.is_exception() {
                recording.insert(oid.clone(), value.clone());
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Recording> {
        self.recorded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait]
impl DeviceTransport for RecordingTransport {
    async fn snmp(&self, request: SnmpRequest<'_>) -> Result<Vec<(Oid, Value)>, TransportError> {
        let answered = self.inner.snmp(request).await?;
        self.keep(&answered);
        Ok(answered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::ReplayTransport;
    use quire_snmp::client::{ClientConfig, Credentials};
    use quire_snmp::responder::{Fleet, FleetConfig};

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
    }

    #[tokio::test]
    async fn what_the_opening_get_asked_is_not_asked_again() {
        let mut device = Recording::new("device");
        device.insert(
            oid("1.3.6.1.2.1.1.1.0"),
            Value::OctetString(b"printer".to_vec()),
        );
        device.insert(
            oid("1.3.6.1.2.1.1.5.0"),
            Value::OctetString(b"front".to_vec()),
        );
        device.insert(oid("1.3.6.1.2.1.43.10.2.1.4.1.1"), Value::Counter32(1234));
        let config = FleetConfig {
            base: std::net::Ipv4Addr::new(127, 42, 7, 1),
            port: 16161,
            ..FleetConfig::default()
        };
        let fleet = Fleet::start(vec![device], config).await.unwrap();
        let opening = [
            oid("1.3.6.1.2.1.1.1.0"),
            oid("1.3.6.1.2.1.1.2.0"),
            oid("1.3.6.1.2.1.1.5.0"),
        ];
        let credentials = Credentials::V2c {
            community: "public".into(),
        };
        let (session, answer) = Session::open_asking(
            fleet.addr(0).unwrap(),
            credentials,
            ClientConfig::default(),
            &opening,
        )
        .await
        .unwrap();
        assert_eq!(answer[1], (opening[1].clone(), Value::NoSuchObject));
        assert_eq!(fleet.answered(), 1);
        let live = LiveTransport::opened(session, answer.clone());

        // Any of the opening's objects, in any order, come from its answer.
        let again = [opening[2].clone(), opening[0].clone()];
        let got = live.snmp(SnmpRequest::Get(&again)).await.unwrap();
        assert_eq!(got, vec![answer[2].clone(), answer[0].clone()]);
        assert_eq!(fleet.answered(), 1, "the device was not asked again");

        // A GET reaching beyond them goes to the device.
        let beyond = [opening[0].clone(), oid("1.3.6.1.2.1.43.10.2.1.4.1.1")];
        let got = live.snmp(SnmpRequest::Get(&beyond)).await.unwrap();
        assert_eq!(got[1].1, Value::Counter32(1234));
        assert_eq!(fleet.answered(), 2);
    }

    #[tokio::test]
    async fn what_a_read_saw_replays_the_same() {
        let mut device = Recording::new("device");
        for (o, v) in [
            ("1.3.6.1.2.1.1.1.0", 1),
            ("1.3.6.1.2.1.1.2.0", 2),
            ("1.3.6.1.2.1.1.3.0", 3),
            ("1.3.6.1.2.1.2.1.0", 4),
        ] {
            device.insert(oid(o), Value::Integer(v));
        }
        let live: Arc<dyn DeviceTransport> = Arc::new(ReplayTransport::new(Arc::new(device)));
        let recorder = RecordingTransport::new(live.clone(), "saved");
        let asks = |t: Arc<dyn DeviceTransport>| async move {
            let get = [oid("1.3.6.1.2.1.1.1.0"), oid("1.3.6.1.9.0")];
            let next = [oid("1.3.6.1.2.1.1.1.0")];
            let bulk = SnmpRequest::GetBulk {
                non_repeaters: 0,
                max_repetitions: 5,
                oids: &[oid("1.3.6.1.2.1.1.2")],
            };
            (
                t.snmp(SnmpRequest::Get(&get)).await.unwrap(),
                t.snmp(SnmpRequest::GetNext(&next)).await.unwrap(),
                t.snmp(bulk).await.unwrap(),
            )
        };
        let recorder = Arc::new(recorder);
        let first = asks(recorder.clone()).await;
        let saved = recorder.recording();
        assert_eq!(saved.len(), 4);
        let replay: Arc<dyn DeviceTransport> = Arc::new(ReplayTransport::new(Arc::new(saved)));
        assert_eq!(asks(replay).await, first);
    }
}
