//! Quire's server (being built).
