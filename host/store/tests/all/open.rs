//! Opening: URLs, migrations, and errors a user can act on.

use quire_model::Cycle;
use quire_store::{DeviceId, Error, Store};

use crate::support::{Acme, backends, sqlite};

#[tokio::test]
async fn migrations_apply_twice_and_keep_the_data() {
    for db in backends().await {
        let backend = db.backend;
        let (acme, first) = Acme::with_printer_filed(&db, Cycle::MetersAndSupplies).await;
        acme.store.close().await;

        let reopened = db.open().await;
        let device = reopened.device(first.device_id).await.unwrap();
        assert_eq!(device.serial.as_deref(), Some("VD21457943"), "{backend}");
        assert_eq!(
            reopened.readings(first.device_id, 10).await.unwrap().len(),
            1,
            "{backend}"
        );
    }
}

#[tokio::test]
async fn a_missing_sqlite_file_is_created_in_wal_mode() {
    let db = sqlite();
    let path = db.url.strip_prefix("sqlite://").unwrap().to_owned();
    assert!(!std::path::Path::new(&path).exists());
    let store = db.open().await;
    let mut conn =
        <sqlx::SqliteConnection as sqlx::Connection>::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    store.close().await;

    // A bare path works as well as a URL.
    Store::open(&path).await.unwrap().close().await;
}

#[tokio::test]
async fn a_bad_url_is_named_with_its_password_redacted() {
    let err = Store::open("postgres://quire:hunter2@127.0.0.1:1/quire")
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("postgres://quire:***@127.0.0.1:1/quire"),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");

    let err = Store::open("mysql://quire:hunter2@db/quire")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedUrl { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("mysql://quire:***@db/quire"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");

    let err = Store::open("sqlite:///no/such/directory/quire.db")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("/no/such/directory/quire.db"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unknown_device_is_not_found() {
    for db in backends().await {
        let backend = db.backend;
        let store = db.open().await;
        let err = store.device(DeviceId(4242)).await.unwrap_err();
        assert_eq!(err.to_string(), "device 4242 not found", "{backend}");
    }
}

#[tokio::test]
async fn debug_output_hides_the_password() {
    let db = crate::support::postgres().await;
    let with_password = db.url.replacen("postgres@", "postgres:hunter2@", 1);
    // Trust authentication accepts any password, so this opens.
    let store = Store::open(&with_password).await.unwrap();
    let debug = format!("{store:?}");
    assert!(debug.contains("postgres:***@"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
}

/// Users created while other writers commit: a transaction that reads before it writes
/// must wait for the write lock, not fail because another writer committed after its read
/// (SQLite refuses that upgrade at once, whatever the busy timeout).
#[tokio::test]
async fn users_created_while_others_write_are_all_filed() {
    for db in backends().await {
        let backend = db.backend;
        let store = db.open().await;
        let account = store.create_account("Busy", None, false).await.unwrap();
        let writer = {
            let store = store.clone();
            tokio::spawn(async move {
                let user = store
                    .create_user(
                        "writer",
                        "hash",
                        quire_store::Role::AccountUser,
                        &[account],
                        chrono::Utc::now(),
                    )
                    .await
                    .unwrap();
                for flip in 0..200 {
                    store.set_disabled(user, flip % 2 == 0).await.unwrap();
                }
            })
        };
        let creators: Vec<_> = (0..40)
            .map(|n| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .create_user(
                            &format!("user-{n}"),
                            "hash",
                            quire_store::Role::AccountUser,
                            &[account],
                            chrono::Utc::now(),
                        )
                        .await
                })
            })
            .collect();
        for creator in creators {
            let created = creator.await.unwrap();
            assert!(created.is_ok(), "{backend}: {created:?}");
        }
        writer.await.unwrap();
    }
}
