//! Any text handed to the recording parsers: no panic, and a `.snmprec` that
//! parses writes back to text that parses to the same recording.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_snmp::Recording;

fuzz_target!(|text: &str| {
    if let Ok(recording) = Recording::parse_snmprec("fuzz", text) {
        let again = Recording::parse_snmprec("fuzz", &recording.to_snmprec())
            .expect("written .snmprec parses");
        assert_eq!(again, recording);
    }
    let _ = Recording::parse_snmpwalk("fuzz", text);
});
