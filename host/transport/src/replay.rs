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
    /// The lent answer ([`DeviceTransport::snmp_each`]), copied.
    async fn snmp(&self, request: SnmpRequest<'_>) -> Result<Vec<(Oid, Value)>, TransportError> {
        let mut answer = Vec::new();
        self.snmp_each(request, &mut |oid, value| {
            answer.push((oid.clone(), value.clone()))
        })
        .await?;
        Ok(answer)
    }

    async fn snmp_each(
        &self,
        request: SnmpRequest<'_>,
        answer: &mut (dyn for<'v> FnMut(&'v Oid, &'v Value) + Send),
    ) -> Result<(), TransportError> {
        let recording = &self.recording;
        match request {
            SnmpRequest::Get(oids) => {
                for oid in oids {
                    answer(oid, &recording.get(oid));
                }
            }
            SnmpRequest::GetNext(oids) => {
                for oid in oids {
                    let (next, value) = recording.next_of(oid);
                    answer(next, value);
                }
            }
            SnmpRequest::GetBulk {
                non_repeaters,
                max_repetitions,
                oids,
            } => recording.bulk_each(non_repeaters, max_repetitions, oids, answer),
        }
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn oids(list: &[&str]) -> Vec<Oid> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    /// Every request, including ones past the end of the recording and into
    /// gaps between its subtrees, is answered as the recording answers it,
    /// copied or lent one varbind at a time.
    #[tokio::test]
    async fn a_lent_answer_is_the_answer() {
        let recording = Recording::parse_snmprec(
            "lend.snmprec",
            "1.3.6.1.2.1.1.1.0|4|printer\n\
             1.3.6.1.2.1.1.5.0|4|front desk\n\
             1.3.6.1.2.1.43.11.1.1.6.1.1|4|Black Toner\n\
             1.3.6.1.2.1.43.11.1.1.6.1.2|4|Drum\n\
             1.3.6.1.2.1.43.11.1.1.9.1.1|2|40\n",
        )
        .unwrap();
        let device = ReplayTransport::new(Arc::new(recording));
        let asked = oids(&[
            "1.3.6.1.2.1.1",
            "1.3.6.1.2.1.1.5.0",
            "1.3.6.1.2.1.43.11.1.1.6",
            "1.3.6.1.2.1.43.11.1.1.9.1.1",
            "1.3.6.1.2.1.2",
        ]);
        let requests = [
            SnmpRequest::Get(&asked),
            SnmpRequest::GetNext(&asked),
            SnmpRequest::GetBulk {
                non_repeaters: 1,
                max_repetitions: 3,
                oids: &asked,
            },
            SnmpRequest::GetBulk {
                non_repeaters: 0,
                max_repetitions: 10,
                oids: &asked[2..],
            },
        ];
        for request in requests {
            let recorded: Vec<(Oid, Value)> = match request {
                SnmpRequest::Get(oids) => oids
                    .iter()
                    .map(|oid| (oid.clone(), device.recording.get(oid)))
                    .collect(),
                SnmpRequest::GetNext(oids) => oids
                    .iter()
                    .map(|oid| device.recording.get_next(oid))
                    .collect(),
                SnmpRequest::GetBulk {
                    non_repeaters,
                    max_repetitions,
                    oids,
                } => device
                    .recording
                    .get_bulk(non_repeaters, max_repetitions, oids),
            };
            let copied = device.snmp(request).await.unwrap();
            assert_eq!(copied, recorded, "{request:?}");
            let mut lent = Vec::new();
            device
                .snmp_each(request, &mut |oid, value| {
                    lent.push((oid.clone(), value.clone()))
                })
                .await
                .unwrap();
            assert_eq!(lent, copied, "{request:?}");
            assert!(!lent.is_empty(), "{request:?}");
        }
    }
}
