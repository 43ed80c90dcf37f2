//! An enum's word as the API spells it (its serde name, `paper-jam`, `in-progress`),
//! for messages and files that name a value outside JSON.

use serde::Serialize;

/// `value`'s serde name; empty for a value that does not serialise to a string.
pub(crate) fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(word)) => word,
        _ => String::new(),
    }
}
