//! Conveniences on the generated WIT types: reading numbers and text out of an
//! SNMP value whatever tag the device chose, `?` from a transport error to
//! a strategy error, and an empty reading to start from.

use crate::printer_mib::text;
use crate::{Identity, Reading, SnmpValue, Status, StrategyError, TransportError};

// Nothing known is the start of every reading: the host never invents a value.
// Written here rather than derived through wit-bindgen, whose selectors would
// name the contract's version a second time beside the WIT package.

impl Default for Identity {
    fn default() -> Self {
        Identity {
            manufacturer: None,
            model: None,
            serial: None,
            mac: None,
            firmware: None,
            hostname: None,
            sys_object_id: None,
            sys_descr: None,
            location: None,
            contact: None,
        }
    }
}

impl Default for Status {
    fn default() -> Self {
        Status {
            device: None,
            printer: None,
            errors: Vec::new(),
            console: None,
        }
    }
}

impl Default for Reading {
    fn default() -> Self {
        Reading {
            identity: Identity::default(),
            status: Status::default(),
            counters: Vec::new(),
            supplies: Vec::new(),
            alerts: Vec::new(),
        }
    }
}

impl SnmpValue {
    /// The value as a signed number, for any integer-like tag. Devices disagree
    /// on tags (a page count may come as Integer32, Counter32 or Counter64), so
    /// callers ask for a number, not a tag. `None` for non-numbers and for a
    /// Counter64 beyond `i64::MAX`.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            SnmpValue::Integer(v) => Some(v),
            SnmpValue::Counter32(v) | SnmpValue::Gauge32(v) | SnmpValue::Timeticks(v) => {
                Some(i64::from(v))
            }
            SnmpValue::Counter64(v) => i64::try_from(v).ok(),
            _ => None,
        }
    }

    /// The value as a count: like [`SnmpValue::as_i64`], but `None` when
    /// negative, and the whole Counter64 range.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            SnmpValue::Counter64(v) => Some(v),
            _ => self.as_i64().and_then(|v| u64::try_from(v).ok()),
        }
    }

    /// The raw bytes of an OCTET STRING or Opaque.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            SnmpValue::Octets(b) | SnmpValue::Opaque(b) => Some(b),
            _ => None,
        }
    }

    /// An OCTET STRING as display text (see [`text`]); `None` when empty.
    pub fn as_text(&self) -> Option<String> {
        self.as_bytes().and_then(text)
    }

    /// The arcs of an OBJECT IDENTIFIER value.
    pub fn as_oid(&self) -> Option<&[u32]> {
        match self {
            SnmpValue::ObjectId(oid) => Some(oid),
            _ => None,
        }
    }

    /// Whether this is a v2 exception (noSuchObject, noSuchInstance,
    /// endOfMibView) standing where a value would.
    pub fn is_exception(&self) -> bool {
        matches!(
            self,
            SnmpValue::NoSuchObject | SnmpValue::NoSuchInstance | SnmpValue::EndOfMibView
        )
    }
}

impl From<TransportError> for StrategyError {
    /// A failed exchange means the device could not be read; a refused one
    /// means the strategy asked for what it may not have, which is its own bug.
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Timeout => StrategyError::Unreachable("timeout".into()),
            TransportError::Unreachable(m) => StrategyError::Unreachable(m),
            TransportError::Protocol(m) => StrategyError::Unreachable(format!("protocol: {m}")),
            TransportError::NotRecorded(m) => {
                StrategyError::Unreachable(format!("not recorded: {m}"))
            }
            TransportError::Denied(m) => StrategyError::Internal(format!("denied by host: {m}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_come_from_any_integer_tag() {
        assert_eq!(SnmpValue::Counter32(7432).as_i64(), Some(7432));
        assert_eq!(SnmpValue::Integer(-3).as_i64(), Some(-3));
        assert_eq!(SnmpValue::Integer(-3).as_u64(), None);
        assert_eq!(SnmpValue::Counter64(u64::MAX).as_i64(), None);
        assert_eq!(SnmpValue::Counter64(u64::MAX).as_u64(), Some(u64::MAX));
        assert_eq!(SnmpValue::Octets(b"12".to_vec()).as_i64(), None);
    }

    #[test]
    fn exceptions_are_not_values() {
        assert!(SnmpValue::NoSuchInstance.is_exception());
        assert!(!SnmpValue::Null.is_exception());
        assert_eq!(SnmpValue::NoSuchObject.as_text(), None);
    }
}
