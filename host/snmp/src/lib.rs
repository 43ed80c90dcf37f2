//! SNMP for Quire: object identifiers and values, recorded device sessions
//! (snmpsim `.snmprec` and net-snmp `snmpwalk -On`), and answering requests from
//! a recording exactly as a live agent would.
//!
//! It also reads live devices: [`client`] speaks SNMP v1, v2c and v3 to them.
//!
//! This crate owns the wire-level view of a device. It does not know what a
//! toner is: strategies decide what the values mean.

pub mod client;
mod error;
mod oid;
pub mod recording;
mod value;

pub use error::{RecordingError, Result};
pub use oid::{Oid, OidParseError};
pub use recording::{Loaded, Recording};
pub use value::Value;
