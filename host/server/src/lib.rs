//! Quire's server: enrolls agents, files their readings, hands out strategies.

pub mod depot;
