//! Any bytes a device or a scanner sends: decoding must not panic, and what
//! decodes must encode to bytes that decode to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_snmp::wire::{Message, ScopedPdu};

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = Message::decode(data) {
        let again = Message::decode(&message.encode()).expect("re-encoded message decodes");
        assert_eq!(again, message);
    }
    if let Ok(scoped) = ScopedPdu::decode(data) {
        assert_eq!(ScopedPdu::decode(&scoped.encode()).as_ref(), Ok(&scoped));
    }
});
