//! Any body an agent sends the server, and any check-in answer an agent reads:
//! an enrollment, an upload of readings (with the `.snmprec` and exchange log
//! each item may carry, which the server parses again when it re-interprets),
//! the agent configuration and its SNMP credentials (whose rules are checked
//! as they are read), and the agent token header. No panic, and whatever
//! deserialises serialises to JSON that deserialises to the same value.
#![no_main]

use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use quire_plugins_sdk::exchange_log;
use quire_protocol::{AgentConfig, AgentToken, CredentialSpec, EnrollRequest, ReadingUpload};
use quire_snmp::Recording;
use serde::Serialize;
use serde::de::DeserializeOwned;

fuzz_target!(|data: &[u8]| {
    round_trip::<EnrollRequest>(data);
    if let Some(upload) = round_trip::<ReadingUpload>(data) {
        for item in &upload.items {
            if let Some(raw) = &item.raw {
                let _ = Recording::parse_snmprec("upload", raw);
            }
            if let Some(exchanges) = &item.exchanges {
                let _ = exchange_log::parse(exchanges);
            }
        }
    }
    round_trip::<AgentConfig>(data);
    round_trip::<Vec<CredentialSpec>>(data);
    if let Some(token) = std::str::from_utf8(data)
        .ok()
        .and_then(AgentToken::from_header_value)
    {
        assert_eq!(
            AgentToken::from_header_value(&token.header_value()),
            Some(token)
        );
    }
});

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + Debug>(data: &[u8]) -> Option<T> {
    let value: T = serde_json::from_slice(data).ok()?;
    let json = serde_json::to_string(&value).expect("a deserialised value serialises");
    let again: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(again, value, "{json}");
    Some(value)
}
