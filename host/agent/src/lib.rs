//! Quire's agent (being built).

pub mod discovery;
