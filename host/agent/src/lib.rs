//! Quire's agent: finds the printing devices on its customer's networks, reads them on the
//! schedules its server sets, and delivers the readings.
//!
//! The flow of one reading, and the module that owns each step:
//!
//! ```text
//! server ──config──► uplink ──► runner: per site and part of the network, when due:
//!                                 discovery  — scan (discovery) → read each found device
//!                                              → one device per serial + MAC (state)
//!                                 meters & supplies, alerts — read the known devices
//!                                 every reading: read (strategy in the sandbox, exchange
//!                                 recorded) → supplies (new cartridge?) → queue (on disk)
//! queue ──batches, oldest first──► uplink ──► server; deleted when acknowledged
//! ```
//!
//! Key decisions: a reading goes to the on-disk [`Queue`] before anything else, and leaves
//! it only when the server's acknowledgement covers its sequence number, so neither a
//! server outage nor an agent crash loses or doubles one. The server's certificate is
//! pinned at enrollment ([`uplink`]). The strategies run from a shared, hot-swappable
//! [`quire_plugins::Registry`] ([`Agent::registry`]), so new versions the server hands out
//! are swapped in between reads without a restart.
#![deny(missing_docs)]

mod clock;
pub mod credentials;
pub mod discovery;
mod error;
pub mod ipp;
mod metrics;
pub mod queue;
pub mod read;
pub mod runner;
pub mod state;
pub mod strategy_sync;
pub mod supplies;
pub mod uplink;

pub use crate::clock::Clock;
pub use crate::error::ReadError;
pub use crate::queue::{Queue, QueueError};
pub use crate::read::DeviceRead;
pub use crate::runner::{
    Agent, AgentError, AgentOptions, CycleReport, DATABASE_FILE, Delivery, Failure, OnceReport,
    Running, builtin_registry,
};
pub use crate::state::{KnownDevice, device_key};
pub use crate::supplies::{DEFAULT_LEVEL_JUMP, replacements};
pub use crate::uplink::{Enrollment, Uplink, UplinkError, enroll};
