//! The engine's rules, one test each, driven through `tick`, `apply` and `record` with a
//! fake clock (plain instants).

mod definitions;
mod engine;
mod filters;
mod world;
