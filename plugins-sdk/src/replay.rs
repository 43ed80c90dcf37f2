//! The native test harness: a strategy read over a recording instead of a
//! device. Only the transport differs from the component: the strategy code,
//! the walks and the decoding are the same calls.

use std::path::Path;

use quire_snmp::{Recording, Value};

use crate::{
    Cycle, Device, LogLevel, Oid, Reading, SnmpValue, Strategy, StrategyError, Transport,
    TransportError, Varbind,
};

/// Runs `S::collect` for `cycle` over a recording, as the host would run the
/// component over the recorded device.
pub fn replay<S: Strategy>(recording: &Recording, cycle: Cycle) -> Result<Reading, StrategyError> {
    let transport = RecordingTransport::new(recording);
    S::collect(&Device::new(&transport), cycle)
}

/// Loads the recording at `path` (leniently: a corrupt line costs only its
/// varbind, as in `quire replay`) and runs `S` over it for `cycle`, for a
/// strategy's own tests. The error names the file.
pub fn replay_file<S: Strategy>(path: &Path, cycle: Cycle) -> Result<Reading, String> {
    let loaded = Recording::load_lenient(path).map_err(|e| e.to_string())?;
    replay::<S>(&loaded.recording, cycle).map_err(|e| format!("{}: {e:?}", path.display()))
}

/// A [`Transport`] answering SNMP from a [`Recording`] exactly as an agent
/// would. NPAP and HTTP are not recorded; log lines go to stderr, which the
/// test harness shows for failing tests.
pub struct RecordingTransport<'a> {
    recording: &'a Recording,
}

impl<'a> RecordingTransport<'a> {
    /// A transport over `recording`.
    pub fn new(recording: &'a Recording) -> Self {
        RecordingTransport { recording }
    }
}

impl Transport for RecordingTransport<'_> {
    fn get(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
        Ok(oids
            .iter()
            .map(|oid| Varbind {
                oid: oid.clone(),
                value: wit_value(self.recording.get(&quire_snmp::Oid::new(oid.clone()))),
            })
            .collect())
    }

    fn get_next(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
        Ok(oids
            .iter()
            .map(|oid| {
                let (next, value) = self.recording.get_next(&quire_snmp::Oid::new(oid.clone()));
                varbind(next, value)
            })
            .collect())
    }

    fn get_bulk(
        &self,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[Oid],
    ) -> Result<Vec<Varbind>, TransportError> {
        let oids: Vec<quire_snmp::Oid> = oids.iter().cloned().map(quire_snmp::Oid::new).collect();
        Ok(self
            .recording
            .get_bulk(non_repeaters as usize, max_repetitions as usize, &oids)
            .into_iter()
            .map(|(oid, value)| varbind(oid, value))
            .collect())
    }

    fn log(&self, level: LogLevel, message: &str) {
        eprintln!("[{level:?}] {}: {message}", self.recording.name());
    }
}

fn varbind(oid: quire_snmp::Oid, value: Value) -> Varbind {
    Varbind {
        oid: oid.into(),
        value: wit_value(value),
    }
}

fn wit_value(value: Value) -> SnmpValue {
    match value {
        Value::Integer(v) => SnmpValue::Integer(v),
        Value::OctetString(b) => SnmpValue::Octets(b),
        Value::Null => SnmpValue::Null,
        Value::ObjectId(oid) => SnmpValue::ObjectId(oid.into()),
        Value::IpAddress([a, b, c, d]) => SnmpValue::IpAddress((a, b, c, d)),
        Value::Counter32(v) => SnmpValue::Counter32(v),
        Value::Gauge32(v) => SnmpValue::Gauge32(v),
        Value::TimeTicks(v) => SnmpValue::Timeticks(v),
        Value::Opaque(b) => SnmpValue::Opaque(b),
        Value::Counter64(v) => SnmpValue::Counter64(v),
        Value::NoSuchObject => SnmpValue::NoSuchObject,
        Value::NoSuchInstance => SnmpValue::NoSuchInstance,
        Value::EndOfMibView => SnmpValue::EndOfMibView,
    }
}
