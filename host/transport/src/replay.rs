//! Replay: a device answered from what was recorded of it, the SNMP side from
//! a `.snmprec` (or `snmpwalk -On` dump), NPAP and HTTP from the exchange log
//! beside it, so a strategy reads a recording exactly as it read the device.

use std::sync::Arc;

use async_trait::async_trait;
use quire_snmp::{Oid, Recording, Value};

use crate::device::{
    DeviceTransport, HttpRequest, HttpResponse, NpapRequest, SnmpRequest, TransportError,
};
use crate::exchange_log::ExchangeLog;

/// Answers SNMP from a recorded session exactly as the device's agent did, and
/// NPAP and HTTP from the exchange log recorded beside it, when there is one.
#[derive(Debug, Clone)]
pub struct ReplayTransport {
    recording: Arc<Recording>,
    exchanges: Option<Arc<ExchangeLog>>,
}

impl ReplayTransport {
    /// Replays `recording`; shared, since one recording often feeds many reads.
    pub fn new(recording: Arc<Recording>) -> Self {
        ReplayTransport {
            recording,
            exchanges: None,
        }
    }

    /// Replays `recording`, and NPAP and HTTP from `exchanges`.
    pub fn with_exchanges(recording: Arc<Recording>, exchanges: Arc<ExchangeLog>) -> Self {
        ReplayTransport {
            recording,
            exchanges: Some(exchanges),
        }
    }
}

#[async_trait]
impl DeviceTransport for ReplayTransport {
    async fn snmp(&self, request: SnmpRequest<'_>) -> Result<Vec<(Oid, Value)>, TransportError> {
        let recording = &self.recording;
        Ok(match request {
            SnmpRequest::Get(oids) => oids
                .iter()
                .map(|oid| (oid.clone(), recording.get(oid)))
                .collect(),
            SnmpRequest::GetNext(oids) => oids.iter().map(|oid| recording.get_next(oid)).collect(),
            SnmpRequest::GetBulk {
                non_repeaters,
                max_repetitions,
                oids,
            } => recording.get_bulk(non_repeaters, max_repetitions, oids),
        })
    }

    async fn npap_exchange(&self, request: NpapRequest<'_>) -> Result<Vec<u8>, TransportError> {
        match &self.exchanges {
            Some(log) => log.npap(request.port, request.bytes),
            None => Err(no_log("NPAP")),
        }
    }

    async fn http_send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        match &self.exchanges {
            Some(log) => log.http(request),
            None => Err(no_log("HTTP")),
        }
    }
}

fn no_log(what: &str) -> TransportError {
    TransportError::NotRecorded(format!(
        "this recording has no exchange log, so no {what} exchanges"
    ))
}
