//! Quire's agent (being built).
