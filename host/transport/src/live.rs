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
}

impl LiveTransport {
    /// Reads the device `session` talks to.
    pub fn new(session: Session) -> Self {
        LiveTransport { session }
    }

    /// The session, for walks outside a plugin (`quire record`).
    pub fn session(&self) -> &Session {
        &self.session
    }
}

#[async_trait]
impl DeviceTransport for LiveTransport {
    async fn snmp(&self, request: SnmpRequest<'_>) -> Result<Vec<(Oid, Value)>, TransportError> {
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

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
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
