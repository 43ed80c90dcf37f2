//! SNMP for Quire: object identifiers and values, recorded device sessions
//! (snmpsim `.snmprec` and net-snmp `snmpwalk -On`), and answering requests from
//! a recording exactly as a live agent would; the SNMP wire format with the
//! v3 User-based Security Model ([`wire`]); and a responder that serves
//! recordings as a fleet of live agents over UDP ([`responder`]).
//!
//! It also reads live devices: [`client`] speaks SNMP v1, v2c and v3 to them.
//!
//! This crate owns the wire-level view of a device. It does not know what a
//! toner is: strategies decide what the values mean.

pub mod client;
mod error;
mod oid;
pub mod recording;
pub mod responder;
mod value;
pub mod wire;

pub use error::{RecordingError, ResponderError, Result, WireError};
pub use oid::{Oid, OidParseError};
pub use recording::{Loaded, Recording};
pub use value::Value;
