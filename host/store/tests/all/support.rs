//! Fixed times and strategies the store's tests share, and the store most of them start from.

use chrono::{DateTime, TimeZone, Utc};
use quire_model::{Cycle, Reading, StrategyRef};
use quire_store::{AccountId, IngestOutcome, Store};

use crate::kyocera::kyocera;

pub use quire_testdb::{TestDb, backends, postgres, sqlite};

/// `2026-11-23 hh:mm:00 UTC`.
pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, hour, minute, 0).unwrap()
}

/// The strategy that read these devices.
pub fn printer_mib() -> StrategyRef {
    StrategyRef {
        name: "printer-mib".into(),
        version: "0.1.0".into(),
    }
}

/// The Kyocera most tests file (serial VD21457943), read at `total` pages with `toner` left.
pub fn printer(total: u64, toner: i32) -> Reading {
    kyocera("VD21457943", "00:17:c8:b9:02:de", total, toner)
}

/// Files `reading` for `account` as the printer-mib strategy read it at `address`, without
/// its exchange: how most tests put a device in the store.
pub async fn file(
    store: &Store,
    account: AccountId,
    address: &str,
    taken_at: DateTime<Utc>,
    cycle: Cycle,
    reading: &Reading,
) -> IngestOutcome {
    store
        .ingest(
            account,
            address,
            taken_at,
            cycle,
            &printer_mib(),
            reading,
            None,
        )
        .await
        .unwrap()
}

/// A fresh store with one customer account, "Acme", that the test files its devices under.
pub struct Acme {
    pub store: Store,
    pub account: AccountId,
}

impl Acme {
    /// Opens a fresh store on `db` and creates the account in it.
    pub async fn open(db: &TestDb) -> Acme {
        let store = db.open().await;
        let account = store.create_account("Acme", None, false).await.unwrap();
        Acme { store, account }
    }

    /// A fresh Acme with its [`printer`] filed once, at 10.0.0.5 at 9:00 on `cycle`.
    pub async fn with_printer_filed(db: &TestDb, cycle: Cycle) -> (Acme, IngestOutcome) {
        let acme = Acme::open(db).await;
        let filed = acme
            .file("10.0.0.5", at(9, 0), cycle, &printer(7432, 7056))
            .await;
        (acme, filed)
    }

    /// [`file`] for Acme.
    pub async fn file(
        &self,
        address: &str,
        taken_at: DateTime<Utc>,
        cycle: Cycle,
        reading: &Reading,
    ) -> IngestOutcome {
        file(&self.store, self.account, address, taken_at, cycle, reading).await
    }
}
