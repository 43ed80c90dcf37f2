//! What the host knows of a device before it chooses a strategy ([`Probe`]), and how a
//! strategy says which devices it is for ([`MatchRule`]): plain data that the plugin,
//! its WIT conversions and the registry all read, so none of them imports another for it.

use std::fmt;

use quire_snmp::{Oid, Value};
use quire_transport::{DeviceTransport, SnmpRequest, TransportError};

/// What the host already knows about a device when it chooses a strategy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Probe {
    /// sysObjectID, dotted, without a leading dot.
    pub sys_object_id: String,
    /// sysDescr.
    pub sys_descr: String,
}

/// How a strategy says which devices it is for, so the host can choose
/// candidates without instantiating every plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchRule {
    /// A prefix of sysObjectID, matched on whole arcs (`1.3.6.1.4.1.11` is HP's
    /// tree, and does not claim `1.3.6.1.4.1.110`).
    SysObjectIdPrefix(String),
    /// A case-insensitive substring of sysDescr.
    SysDescrContains(String),
}

impl Probe {
    /// sysDescr.0 and sysObjectID.0, the two values every SNMP agent has and
    /// the probe reads; then sysName.0, sysLocation.0 and sysContact.0.
    const SYSTEM: [[u32; 9]; 5] = [
        [1, 3, 6, 1, 2, 1, 1, 1, 0],
        [1, 3, 6, 1, 2, 1, 1, 2, 0],
        [1, 3, 6, 1, 2, 1, 1, 5, 0],
        [1, 3, 6, 1, 2, 1, 1, 6, 0],
        [1, 3, 6, 1, 2, 1, 1, 4, 0],
    ];

    /// What the probe's GET asks: the system group's identity, the five
    /// objects a strategy's standard reading asks first (the SDK's
    /// `standard::identity`), in its order. Open the device's session with
    /// this GET (`Session::open_asking`, then `LiveTransport::opened`) and
    /// the probe and the strategy's system GET both take its answer: one
    /// exchange where there were three.
    pub fn oids() -> Vec<Oid> {
        Self::SYSTEM
            .iter()
            .map(|arcs| Oid::from(&arcs[..]))
            .collect()
    }

    /// Asks the device for the system group's identity ([`Probe::oids`]) in
    /// one GET. A device that answers with neither sysDescr nor sysObjectID
    /// is no SNMP device we can read, and says so.
    pub async fn read(transport: &dyn DeviceTransport) -> Result<Probe, TransportError> {
        let answer = transport.snmp(SnmpRequest::Get(&Self::oids())).await?;
        let mut probe = Probe::default();
        for (oid, value) in answer {
            match value {
                Value::OctetString(bytes) if oid.arcs() == Self::SYSTEM[0] => {
                    probe.sys_descr = String::from_utf8_lossy(&bytes).trim().to_owned();
                }
                Value::ObjectId(id) if oid.arcs() == Self::SYSTEM[1] => {
                    probe.sys_object_id = id.to_string();
                }
                _ => {}
            }
        }
        if probe.sys_descr.is_empty() && probe.sys_object_id.is_empty() {
            return Err(TransportError::Protocol(
                "the device has neither sysDescr nor sysObjectID".into(),
            ));
        }
        Ok(probe)
    }
}

impl MatchRule {
    /// Whether the device described by `probe` falls under this rule.
    pub fn matches(&self, probe: &Probe) -> bool {
        match self {
            MatchRule::SysObjectIdPrefix(prefix) => {
                let prefix = prefix.trim_start_matches('.');
                let oid = probe.sys_object_id.trim_start_matches('.');
                !prefix.is_empty()
                    && oid
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
            }
            MatchRule::SysDescrContains(needle) => {
                !needle.is_empty()
                    && probe
                        .sys_descr
                        .to_lowercase()
                        .contains(&needle.to_lowercase())
            }
        }
    }
}

impl fmt::Display for MatchRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchRule::SysObjectIdPrefix(p) => write!(f, "sysObjectID starts with {p}"),
            MatchRule::SysDescrContains(s) => write!(f, "sysDescr contains {s:?}"),
        }
    }
}
