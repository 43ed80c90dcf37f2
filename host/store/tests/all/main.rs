//! The store against real databases: SQLite in a temporary file and the
//! PostgreSQL server at `postgres://postgres@127.0.0.1:5432/postgres` (override
//! with `QUIRE_TEST_POSTGRES_URL`). Every test runs on both.

use quire_testdb::kyocera;
mod support;

mod compact;
mod costs;
mod ingest;
mod listing;
mod open;
mod plugins;
mod readings;
mod retention;
mod summaries;
mod supplies;
mod volumes;
