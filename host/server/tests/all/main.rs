//! The server over HTTPS, in-process, on SQLite and on PostgreSQL (the server at
//! `postgres://postgres@127.0.0.1:5432/postgres`, or `QUIRE_TEST_POSTGRES_URL`).
//! Servers listen on 127.70.0.0/16.

use quire_testdb::kyocera;
mod support;

mod actions;
mod agents_say;
mod alert_logic;
mod asm;
mod asm_templates;
mod bad_input;
mod calculated;
mod costs;
mod enrollment;
mod fleet;
mod hardening;
mod ingest;
mod leak;
mod lists;
mod mail;
mod maintenance;
mod openapi;
mod published_plugins;
mod ranges;
mod retention;
mod secrets;
mod supplies;
mod tls;
mod users;
mod webhooks;
