//! What Quire's agent and server say to each other.
//!
//! The agent API is versioned by its paths (`/api/v1/agent/…`); its bodies are JSON of
//! the types here. Both sides depend on this crate and nothing else of each other, so the
//! server can change how it stores things and the agent how it reads them without the
//! other noticing. Discovery ranges live here too: the server validates them when a dealer
//! enters them or uploads them as CSV (read here, with the `csv` crate), the agent expands
//! them when it scans, and both must agree on what `10.0.0.1-10.0.0.20` means. No I/O.
#![deny(missing_docs)]

mod agent_api;
mod range_csv;
mod ranges;

pub use crate::agent_api::*;
pub use crate::range_csv::{RangeRow, RangeUploadError, parse_range_csv};
pub use crate::ranges::{LocalTarget, MAX_RANGE_ADDRESSES, Range, RangeError};
