//! The remaining life of a Brother's toner or ink, drums, belt, fuser, laser
//! unit and paper-feed kits, from `brInfoMaintenance` (`…5.5.8.0`). Brother's
//! Printer-MIB supply table says only "some remaining" for toner; this blob
//! holds the percentages its own status page shows. The pages left before
//! each part's next care (`brInfoNextCare`, `…5.5.11.0`: `82` the drum,
//! `a4`–`a7` the colour drums, `88` belt, `89` fuser, `73` laser unit,
//! `86`/`77` the paper-feed kits) are not read: the contract's supply has no
//! place for pages left beside a percentage.
//!
//! The codes are those of the `brother` Python library (bieniu/brother,
//! `brother/const.py`: `VALUES_LASER_MAINTENANCE`, `VALUES_INK_MAINTENANCE`,
//! `VALUES_LASER_NEXTCARE`, `PERCENT_VALUES`), checked against the twelve
//! printers of its test data and the values its snapshot test states for them
//! (`fixtures/recorded/bieniu-brother/`):
//!
//! - remaining life, in hundredths of a per cent in a 4-byte value:
//!   `6f`/`70`/`71`/`72` black/cyan/magenta/yellow toner (ink on an inkjet),
//!   `41` the drum, `80`/`79`/`7a`/`7b` the black/cyan/magenta/yellow drums of
//!   a colour laser, `69` belt, `6a` fuser, `6b` laser unit, `6c`/`6d` the
//!   multi-purpose and first paper-feed kits. A record of another width (the
//!   HL-5350DN writes 1-byte statuses under the same codes) is not a
//!   percentage and is skipped;
//! - in the legacy layout ([`crate::blob::legacy_levels`]), `a1`–`a4`
//!   black/cyan/magenta/yellow as level over capacity.
//!
//! The same codes mean toner on a laser and ink on an inkjet, and the library
//! is told which by its user. Quire decides by [`Maintenance::marking`].

use quire_plugins_sdk::Supply;
use quire_plugins_sdk::printer_mib::{percent_state, supply_percent};

use crate::blob::{self, Value};

/// A `brInfoMaintenance` blob read once, in whichever layout it is written.
pub(crate) enum Maintenance {
    /// `code, type, length, value` records.
    Records(Vec<(u8, Value)>),
    /// The legacy `(code, level, capacity)` records.
    Legacy(Vec<(u8, u8, u8)>),
}

impl Maintenance {
    pub(crate) fn parse(blob: &[u8]) -> Self {
        match blob::legacy_levels(blob) {
            Some(levels) => Maintenance::Legacy(levels),
            None => Maintenance::Records(blob::records(blob)),
        }
    }

    /// Toner or ink, from the strongest evidence there is: the Printer-MIB
    /// supply types the printer reports (`toner`, `ink`: RFC 3805's
    /// `prtMarkerSuppliesType`); else its model line, Brother's `J` (inkjet)
    /// and `T` (ink tank) series after the `DCP-`/`MFC-` prefix (the brother
    /// library's tests read its DCP-J132W, MFC-J680DW and MFC-T910DW as ink);
    /// else whether the blob tracks a drum (`11`, `41`, `63`, `79`–`7b`, `80`),
    /// codes the library lists for lasers only (`VALUES_LASER_MAINTENANCE`,
    /// none in `VALUES_INK_MAINTENANCE`).
    ///
    /// The evidence that decided it is returned beside it, for the reading's notes.
    pub(crate) fn marking(
        &self,
        supplies: &[Supply],
        model: Option<&str>,
    ) -> (Marking, &'static str) {
        let kinds = |names: &[&str]| supplies.iter().any(|s| names.contains(&s.kind.as_str()));
        if kinds(&["ink", "ink-cartridge"]) {
            return (Marking::Ink, "the Printer-MIB supplies include ink");
        }
        if kinds(&["toner", "toner-cartridge"]) {
            return (Marking::Toner, "the Printer-MIB supplies include toner");
        }
        let series = model
            .and_then(|m| m.split_once('-'))
            .map(|(_, number)| number);
        if series.is_some_and(|n| n.starts_with(['J', 'T'])) {
            return (
                Marking::Ink,
                "the model is of Brother's J (inkjet) or T (ink tank) series",
            );
        }
        let drum = |code: u8| matches!(code, 0x11 | 0x41 | 0x63 | 0x79..=0x7b | 0x80);
        let tracks_a_drum = match self {
            Maintenance::Records(records) => records.iter().any(|(code, _)| drum(*code)),
            Maintenance::Legacy(levels) => levels.iter().any(|(code, _, _)| drum(*code)),
        };
        if tracks_a_drum {
            (
                Marking::Toner,
                "the blob tracks a drum, which only lasers have",
            )
        } else {
            (Marking::Ink, "the blob tracks no drum, so not a laser")
        }
    }

    /// The parts whose remaining life the blob gives, as supplies in per cent
    /// with the state that implies.
    pub(crate) fn supplies(&self, marking: Marking) -> Vec<Supply> {
        PARTS
            .iter()
            .filter_map(|part| {
                let percent = match self {
                    Maintenance::Legacy(levels) => levels
                        .iter()
                        .find(|(code, _, _)| Some(*code) == part.legacy)
                        .and_then(|(_, level, capacity)| {
                            supply_percent(Some(i64::from(*level)), Some(i64::from(*capacity)))
                        })?,
                    Maintenance::Records(records) => {
                        let (_, value) = records
                            .iter()
                            .find(|(code, value)| *code == part.life && value.width == 4)?;
                        supply_percent(Some(i64::try_from(value.number).ok()?), Some(10_000))?
                    }
                };
                Some(supply(part, percent, marking))
            })
            .collect()
    }
}

/// What the printer marks paper with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marking {
    Toner,
    Ink,
}

/// One part Brother tracks.
struct Part {
    /// Its remaining-life code in `brInfoMaintenance`.
    life: u8,
    /// Its code in the legacy layout, where it has one.
    legacy: Option<u8>,
    /// The name Brother's status page gives it; toner parts take the colour
    /// and the marking as their name.
    name: &'static str,
    kind: &'static str,
    color: Option<&'static str>,
}

const fn part(
    life: u8,
    name: &'static str,
    kind: &'static str,
    color: Option<&'static str>,
) -> Part {
    Part {
        life,
        legacy: None,
        name,
        kind,
        color,
    }
}

const fn colorant(life: u8, legacy: u8, color: &'static str) -> Part {
    Part {
        life,
        legacy: Some(legacy),
        name: "",
        kind: "",
        color: Some(color),
    }
}

const PARTS: &[Part] = &[
    colorant(0x6f, 0xa1, "black"),
    colorant(0x70, 0xa2, "cyan"),
    colorant(0x71, 0xa3, "magenta"),
    colorant(0x72, 0xa4, "yellow"),
    part(0x41, "Drum Unit", "opc", None),
    part(0x80, "Black Drum Unit", "opc", Some("black")),
    part(0x79, "Cyan Drum Unit", "opc", Some("cyan")),
    part(0x7a, "Magenta Drum Unit", "opc", Some("magenta")),
    part(0x7b, "Yellow Drum Unit", "opc", Some("yellow")),
    part(0x69, "Belt Unit", "transfer-unit", None),
    part(0x6a, "Fuser Unit", "fuser", None),
    part(0x6b, "Laser Unit", "other", None),
    part(0x6c, "PF Kit MP", "other", None),
    part(0x6d, "PF Kit 1", "other", None),
];

/// Index of a part no Printer-MIB row matched: above any row index a Brother
/// reports, and the same in every reading, so a part is tracked across them.
const INDEX_BASE: u32 = 1000;

fn supply(part: &Part, percent: u8, marking: Marking) -> Supply {
    let (name, kind) = match (part.name, marking) {
        ("", Marking::Toner) => (format!("{} Toner", title(part.color)), "toner"),
        ("", Marking::Ink) => (format!("{} Ink", title(part.color)), "ink"),
        (name, _) => (name.to_owned(), part.kind),
    };
    Supply {
        index: INDEX_BASE + u32::from(part.life),
        description: name,
        kind: kind.into(),
        color: part.color.map(str::to_owned),
        unit: Some("percent".into()),
        level: Some(i32::from(percent)),
        max: Some(100),
        percent: Some(percent),
        state: percent_state(percent),
        serial: None,
        part_number: None,
    }
}

fn title(color: Option<&str>) -> String {
    let color = color.unwrap_or_default();
    let mut chars = color.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Puts each blob supply on the Printer-MIB row that names the same part
/// (every word of its name in the row's description: `Black Toner` on `Black
/// Toner Cartridge`, `Drum Unit` on `Drum Unit`), which keeps its index and
/// the device's own level and capacity but takes the blob's percentage and
/// state; a part no row names is added.
pub(crate) fn merge(rows: &mut Vec<Supply>, found: Vec<Supply>) {
    let mut taken = Vec::new();
    for supply in found {
        let words: Vec<String> = supply
            .description
            .to_lowercase()
            .split_whitespace()
            .filter(|w| *w != "unit")
            .map(str::to_owned)
            .collect();
        let row = rows.iter().position(|row| {
            let description = row.description.to_lowercase();
            !taken.contains(&row.index) && words.iter().all(|w| description.contains(w.as_str()))
        });
        match row {
            Some(at) => {
                let row = &mut rows[at];
                taken.push(row.index);
                row.percent = supply.percent;
                row.state = supply.state;
            }
            None => rows.push(supply),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::hex;
    use quire_plugins_sdk::SupplyState;

    fn percents(found: &[Supply]) -> Vec<(&str, Option<u8>)> {
        found
            .iter()
            .map(|s| (s.description.as_str(), s.percent))
            .collect()
    }

    /// The DCP-L3550CDW's brInfoMaintenance in the brother library's test
    /// data; the percentages are the ones its snapshot test states.
    const DCP_L3550CDW: &str = "76010400000001790104000023f07301040000064b770104000000017a0104000023f07401040000064b780104000000017b0104000023f07501040000064b7f010400000001800104000023f07e01040000064b680104000000015501040000000132010400000001700104000003e88201040000000a33010400000002710104000003208301040000000a34010400000002720104000000c88401040000000a310104000000016f010400000a288101040000001e690104000025e4350104000000016d010400002648540104000000016a0104000025e4";

    #[test]
    fn a_colour_laser_reads_its_toners_drums_belt_fuser_and_paper_feed_kit() {
        let blob = Maintenance::parse(&hex(DCP_L3550CDW));
        let (marking, _) = blob.marking(&[], Some("DCP-L3550CDW"));
        assert_eq!(marking, Marking::Toner);
        let found = blob.supplies(marking);
        assert_eq!(
            percents(&found),
            [
                ("Black Toner", Some(26)),
                ("Cyan Toner", Some(10)),
                ("Magenta Toner", Some(8)),
                ("Yellow Toner", Some(2)),
                ("Black Drum Unit", Some(92)),
                ("Cyan Drum Unit", Some(92)),
                ("Magenta Drum Unit", Some(92)),
                ("Yellow Drum Unit", Some(92)),
                ("Belt Unit", Some(97)),
                ("Fuser Unit", Some(97)),
                ("PF Kit 1", Some(98)),
            ]
        );
        let states: Vec<_> = found[..4].iter().map(|s| s.state).collect();
        assert_eq!(
            states,
            [
                SupplyState::Ok,
                SupplyState::Low,
                SupplyState::Low,
                SupplyState::Low
            ]
        );
    }

    #[test]
    fn an_inkjet_reads_inks_from_either_layout() {
        // MFC-J680DW (modern) and MFC-5490CN (legacy), with the percentages
        // the library's snapshot states.
        let cases = [
            (
                "MFC-J680DW",
                "J (inkjet)",
                "310104000000013201040000000133010400000001340104000000016f01040000125c70010400000dac71010400002134720104000011948101040000002f82010400000023830104000000558401040000002d86010400000012870104000000128801040000001289010400000012",
                [47, 35, 85, 45],
            ),
            (
                "MFC-5490CN",
                "no drum",
                "a101020414a201020c14a301020614a401020b14",
                [20, 60, 30, 55],
            ),
        ];
        for (model, why, blob, [black, cyan, magenta, yellow]) in cases {
            let blob = Maintenance::parse(&hex(blob));
            let (marking, evidence) = blob.marking(&[], Some(model));
            assert!(evidence.contains(why), "{model}: {evidence}");
            assert_eq!(marking, Marking::Ink, "{model}");
            assert_eq!(
                percents(&blob.supplies(marking)),
                [
                    ("Black Ink", Some(black)),
                    ("Cyan Ink", Some(cyan)),
                    ("Magenta Ink", Some(magenta)),
                    ("Yellow Ink", Some(yellow)),
                ],
                "{model}"
            );
        }
    }

    #[test]
    fn one_byte_statuses_under_the_same_codes_are_no_percentages() {
        // The HL-5350DN's brInfoMaintenance: the library states no levels.
        let blob =
            hex("110104000061a83101010141010103630101035401010166010101350101013601010162010101");
        assert_eq!(
            percents(&Maintenance::parse(&blob).supplies(Marking::Toner)),
            []
        );
    }

    #[test]
    fn a_blob_part_lands_on_the_printer_mib_row_that_names_it() {
        let row = |index: u32, description: &str, kind: &str| Supply {
            index,
            description: description.into(),
            kind: kind.into(),
            color: None,
            unit: None,
            level: Some(3),
            max: Some(-2),
            percent: None,
            state: SupplyState::SomeRemaining,
            serial: None,
            part_number: None,
        };
        let mut rows = vec![
            row(1, "Black Toner Cartridge", "toner"),
            row(2, "Drum Unit", "opc"),
        ];
        let blob = Maintenance::parse(&hex("6f010400001e1441010400002260690104000025e4"));
        assert_eq!(
            blob.marking(&rows, Some("HL-J0")),
            (Marking::Toner, "the Printer-MIB supplies include toner")
        );
        merge(&mut rows, blob.supplies(Marking::Toner));
        let shown: Vec<_> = rows
            .iter()
            .map(|s| (s.index, s.description.as_str(), s.level, s.percent, s.state))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    1,
                    "Black Toner Cartridge",
                    Some(3),
                    Some(77),
                    SupplyState::Ok
                ),
                (2, "Drum Unit", Some(3), Some(88), SupplyState::Ok),
                (1105, "Belt Unit", Some(97), Some(97), SupplyState::Ok),
            ]
        );
    }
}
