//! Turning a few recordings into a fleet of distinct devices.

use std::collections::BTreeMap;

use crate::{Oid, Recording, Value};

/// Columns that hold a device's serial number: Printer-MIB
/// prtGeneralSerialNumber, ENTITY-MIB entPhysicalSerialNum, and the vendor
/// objects strategies read (HP, Ricoh, Kyocera).
const SERIAL_COLUMNS: &[&[u32]] = &[
    &[1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17],
    &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 11],
    &[1, 3, 6, 1, 4, 1, 11, 2, 3, 9, 4, 2, 1, 1, 3, 3],
    &[1, 3, 6, 1, 4, 1, 367, 3, 2, 1, 2, 1, 4],
    &[1, 3, 6, 1, 4, 1, 1347, 43, 5, 1, 1, 28],
];

/// IF-MIB ifPhysAddress.
const IF_PHYS_ADDRESS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 6];

/// `count` devices from `sources`, round-robin: device `i` is a copy of
/// `sources[i % sources.len()]` named `<source>#<i>`, with the values
/// [`overrides`] gives it. Empty when `sources` is.
pub fn replicate(sources: &[Recording], count: usize) -> Vec<Recording> {
    if sources.is_empty() {
        return Vec::new();
    }
    (0..count)
        .map(|i| {
            let source = &sources[i % sources.len()];
            let mut copy = source.clone();
            for (oid, value) in overrides(source, i) {
                copy.insert(oid, value);
            }
            let mut named = Recording::new(replica_name(source, i));
            for (oid, value) in copy.iter() {
                named.insert(oid.clone(), value.clone());
            }
            named
        })
        .collect()
}

pub(crate) fn replica_name(source: &Recording, i: usize) -> String {
    format!("{}#{i}", source.name())
}

/// What makes copy `i` of `source` a distinct device. Only values of OIDs the
/// source has are replaced, so a copy walks in the same order as its source:
///
/// - every non-empty serial (see the columns above) becomes `<serial>-<i>`
///   with `i` zero-padded to 5 digits, so copies of one recording differ and
///   an inventory still shows which model a device came from;
/// - every 6-byte ifPhysAddress becomes the locally administered MAC
///   `02:<n>:<i as 4 bytes>`, `n` counting the device's interfaces from 0,
///   so no two devices (or interfaces) share a MAC.
pub(crate) fn overrides(source: &Recording, i: usize) -> BTreeMap<Oid, Value> {
    let mac_column = Oid::from(IF_PHYS_ADDRESS);
    let mut out = BTreeMap::new();
    for column in SERIAL_COLUMNS.iter().map(|c| Oid::from(*c)) {
        for (oid, value) in source.subtree(&column) {
            if let Value::OctetString(serial) = value
                && !serial.is_empty()
            {
                let mut s = serial.clone();
                s.extend_from_slice(format!("-{i:05}").as_bytes());
                out.insert(oid.clone(), Value::OctetString(s));
            }
        }
    }
    let mut interface = 0u8;
    for (oid, value) in source.subtree(&mac_column) {
        if let Value::OctetString(mac) = value
            && mac.len() == 6
        {
            let [a, b, c, d] = (i as u32).to_be_bytes();
            out.insert(
                oid.clone(),
                Value::OctetString(vec![0x02, interface, a, b, c, d]),
            );
            interface = interface.wrapping_add(1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_get_distinct_serials_and_macs_and_keep_everything_else() {
        let source = Recording::parse_snmprec(
            "hp",
            "1.3.6.1.2.1.1.1.0|4|LaserJet\n\
             1.3.6.1.2.1.2.2.1.6.1|4x|0011223344ff\n\
             1.3.6.1.2.1.43.5.1.1.17.1|4|CNB1234\n",
        )
        .unwrap();
        let fleet = replicate(std::slice::from_ref(&source), 3);
        assert_eq!(fleet.len(), 3);
        let serial: Oid = "1.3.6.1.2.1.43.5.1.1.17.1".parse().unwrap();
        let mac: Oid = "1.3.6.1.2.1.2.2.1.6.1".parse().unwrap();
        assert_eq!(
            fleet[2].get(&serial),
            Value::OctetString(b"CNB1234-00002".to_vec())
        );
        assert_eq!(
            fleet[2].get(&mac),
            Value::OctetString(vec![2, 0, 0, 0, 0, 2])
        );
        assert_eq!(fleet[1].name(), "hp#1");
        let descr: Oid = "1.3.6.1.2.1.1.1.0".parse().unwrap();
        assert_eq!(fleet[1].get(&descr), source.get(&descr));
    }
}
