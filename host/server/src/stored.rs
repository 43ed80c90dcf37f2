//! Bodies the store keeps as JSON it does not interpret (supply forecasts, volumes'
//! detail, ASM's definitions, events, journal and behaviours), read back as the
//! server's types: the one place where a body that no longer reads becomes the store's
//! `Corrupt` error, naming its column and row.

use std::fmt::Display;

use serde::de::DeserializeOwned;

/// `body`, stored in `column` of `row`, as a `T`.
pub(crate) fn read<T: DeserializeOwned>(
    column: &'static str,
    row: impl Display,
    body: serde_json::Value,
) -> quire_store::Result<T> {
    serde_json::from_value(body).map_err(|e| quire_store::Error::Corrupt {
        column,
        value: row.to_string(),
        reason: e.to_string(),
    })
}
