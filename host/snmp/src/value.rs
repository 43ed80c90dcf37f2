use crate::Oid;

/// An SNMP value as it crosses the wire: the RFC 3416 types and the three
/// v2 exceptions that stand in a varbind where a value would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// INTEGER / Integer32.
    Integer(i64),
    /// OCTET STRING: bytes, not text; printers put binary MACs and bit fields here.
    OctetString(Vec<u8>),
    /// NULL.
    Null,
    /// OBJECT IDENTIFIER.
    ObjectId(Oid),
    /// IpAddress.
    IpAddress([u8; 4]),
    /// Counter32.
    Counter32(u32),
    /// Gauge32 / Unsigned32.
    Gauge32(u32),
    /// TimeTicks, hundredths of a second.
    TimeTicks(u32),
    /// Opaque.
    Opaque(Vec<u8>),
    /// Counter64.
    Counter64(u64),
    /// v2 exception: no such object.
    NoSuchObject,
    /// v2 exception: the object exists, this instance does not.
    NoSuchInstance,
    /// v2 exception: the walk ran past the last OID.
    EndOfMibView,
}

impl Value {
    /// Whether this is one of the v2 exceptions rather than a value.
    pub fn is_exception(&self) -> bool {
        matches!(
            self,
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView
        )
    }
}
