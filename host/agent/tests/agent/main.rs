//! The agent against real parts on loopback (block 127.80.0.0 – 127.89.255.255): the fleet
//! simulator serving shared recordings, the real discovery scan, the built-in strategies
//! in the sandbox, SQLite files, and an HTTPS peer speaking the agent API.

mod assess;
mod fleet;
mod ipp;
mod peer;
mod runner;
mod uplink;
