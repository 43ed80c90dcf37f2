//! Telling a newly installed supply from the one before it, by comparing a device's
//! supplies with those of its previous reading.
//!
//! Two kinds of evidence, the ones a device gives without being asked to count
//! replacements: the cartridge reports another serial number (only devices that read their
//! cartridges' chips do), or its level rose by more than a threshold (toner is used, never
//! added; a few points up and down are a gauge's noise, a large jump is a fresh cartridge).
//! A supply is matched with the one at the same row index, and only while it still is the
//! same kind of supply there: a row that changed meaning is not a replacement.

use quire_model::Supply;
use quire_protocol::{ReplacementEvidence, SupplyReplacement};

/// How many percentage points a level must rise between two readings to count as a
/// replacement. Gauges of real printers wander by a few points and some report a partly
/// used cartridge as 100 % after a reset; 30 points is past both, and below the smallest
/// jump a new cartridge makes on a supply that was low enough to be replaced.
pub const DEFAULT_LEVEL_JUMP: u8 = 30;

/// The supplies of `now` that were replaced since `before`, in `now`'s order.
pub fn replacements(before: &[Supply], now: &[Supply], level_jump: u8) -> Vec<SupplyReplacement> {
    now.iter()
        .filter_map(|supply| {
            let previous = before
                .iter()
                .find(|b| b.index == supply.index && b.kind == supply.kind)?;
            let evidence = evidence(previous, supply, level_jump)?;
            Some(SupplyReplacement {
                index: supply.index,
                description: supply.description.clone(),
                evidence,
            })
        })
        .collect()
}

fn evidence(before: &Supply, now: &Supply, level_jump: u8) -> Option<ReplacementEvidence> {
    let serial = |s: &Supply| {
        s.serial
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    if let (Some(before), Some(after)) = (serial(before), serial(now))
        && before != after
    {
        return Some(ReplacementEvidence::SerialChanged { before, after });
    }
    match (before.percent, now.percent) {
        (Some(before), Some(after)) if after > before && after - before > level_jump => {
            Some(ReplacementEvidence::LevelJump { before, after })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use quire_model::Reading;

    use super::*;

    /// The supplies of a shared recording, as its snapshot says the generic strategy reads
    /// them.
    fn recorded(name: &str) -> Vec<Supply> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/snapshots")
            .join(format!("{name}.snap"));
        let text = std::fs::read_to_string(&path).unwrap();
        let json = text.splitn(3, "---").nth(2).unwrap();
        let reading: Reading = serde_json::from_str(json).unwrap();
        assert!(!reading.supplies.is_empty(), "{name} has supplies");
        reading.supplies
    }

    #[test]
    fn the_same_reading_twice_replaced_nothing() {
        for name in ["ricoh_mpc3002", "sharp", "konica", "epson_sc_snmp"] {
            let supplies = recorded(name);
            assert_eq!(replacements(&supplies, &supplies, DEFAULT_LEVEL_JUMP), []);
        }
    }

    #[test]
    fn a_level_jump_past_the_threshold_is_a_new_supply() {
        let before = recorded("ricoh_mpc3002");
        let low = before.iter().find(|s| s.percent == Some(20)).unwrap();
        let mut now = before.clone();
        for supply in &mut now {
            if supply.index == low.index {
                supply.percent = Some(100);
            }
        }
        assert_eq!(
            replacements(&before, &now, DEFAULT_LEVEL_JUMP),
            [SupplyReplacement {
                index: low.index,
                description: low.description.clone(),
                evidence: ReplacementEvidence::LevelJump {
                    before: 20,
                    after: 100
                },
            }]
        );
    }

    #[test]
    fn small_rises_falls_and_unknown_levels_are_not_replacements() {
        let before = recorded("sharp");
        let mut now = before.clone();
        for supply in &mut now {
            supply.percent = match supply.percent {
                // A gauge's wander, exactly at the threshold, and a cartridge used up.
                Some(p) if p <= 70 && supply.index % 3 == 0 => Some(p + DEFAULT_LEVEL_JUMP),
                Some(p) if p >= 10 => Some(p - 10),
                Some(p) => Some(p + 5),
                None => None,
            };
        }
        assert_eq!(replacements(&before, &now, DEFAULT_LEVEL_JUMP), []);
        let unknown: Vec<Supply> = before
            .iter()
            .cloned()
            .map(|s| Supply { percent: None, ..s })
            .collect();
        assert_eq!(replacements(&unknown, &before, DEFAULT_LEVEL_JUMP), []);
    }

    #[test]
    fn another_cartridge_serial_is_a_new_supply_even_at_the_same_level() {
        let mut before = recorded("epson_sc_snmp");
        before[0].serial = Some("CART-0001".into());
        let mut now = before.clone();
        now[0].serial = Some("CART-0002".into());
        let found = replacements(&before, &now, DEFAULT_LEVEL_JUMP);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].index, before[0].index);
        assert_eq!(
            found[0].evidence,
            ReplacementEvidence::SerialChanged {
                before: "CART-0001".into(),
                after: "CART-0002".into()
            }
        );
        // A serial the device stopped reporting is no evidence.
        now[0].serial = None;
        assert_eq!(replacements(&before, &now, DEFAULT_LEVEL_JUMP), []);
    }

    #[test]
    fn a_row_that_changed_kind_is_not_compared() {
        let before = recorded("konica");
        let mut now = before.clone();
        now[0].kind = "waste-toner".into();
        now[0].percent = Some(100);
        let mut was = before.clone();
        was[0].percent = Some(0);
        assert_eq!(replacements(&was, &now, DEFAULT_LEVEL_JUMP), []);
    }
}
