//! Quire's agent: discovers printing devices on its networks, reads them on schedule,
//! delivers the readings to its server.

pub mod strategy_sync;
