//! SNMP answers from snmpsim's `.snmprec` (`OID|TAG|VALUE` per line), as an
//! agent gives them: in lexicographic OID order, with `noSuchObject`,
//! `noSuchInstance` and `endOfMibView` where an agent would.
//!
//! TAG is the BER type number (2, 4, 5, 6, 64, 65, 66, 67, 68, 70, and the
//! exceptions 128, 129, 130), with `x` after 4, 64 or 68 for a hex value.
//! snmpsim's escaped byte strings (`4e`), which `quire record` writes only for
//! a string that would otherwise read as a net-snmp display form, are refused
//! with the line that has one: `quire replay` reads them.
//!
//! A `4x` string kept as net-snmp displayed it (a line of text, a newline and a
//! hex dump of the rest, as some public captures keep it) is read as the
//! device's bytes, as `quire replay` reads it.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::{Oid, SnmpValue, Varbind};

/// The varbinds of one recorded device.
#[derive(Default)]
pub(crate) struct Snmp {
    entries: BTreeMap<Oid, SnmpValue>,
}

impl Snmp {
    /// Reads `text` as `quire replay` does: a line that does not parse costs
    /// only its varbind and is added to `problems` as `file:line: why`. A later
    /// line for an OID replaces an earlier one, as in snmpsim.
    pub(crate) fn parse(file: &str, text: &str, problems: &mut Vec<String>) -> Snmp {
        let mut entries = BTreeMap::new();
        for (index, line) in text.split('\n').enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match varbind(line) {
                Ok((oid, value)) => {
                    entries.insert(oid, value);
                }
                Err(why) => problems.push(format!("{file}:{}: {why}", index + 1)),
            }
        }
        Snmp { entries }
    }

    /// GET: the value, `noSuchInstance` when something is recorded under the
    /// object's parent (its column), `noSuchObject` otherwise.
    pub(crate) fn get(&self, oid: &Oid) -> Varbind {
        let value = match self.entries.get(oid) {
            Some(value) => value.clone(),
            None => match oid.split_last() {
                Some((_, parent))
                    if !parent.is_empty()
                        && self
                            .after(parent)
                            .is_some_and(|(next, _)| next.starts_with(parent)) =>
                {
                    SnmpValue::NoSuchInstance
                }
                _ => SnmpValue::NoSuchObject,
            },
        };
        Varbind {
            oid: oid.clone(),
            value,
        }
    }

    /// GETNEXT: the first varbind after `oid`, or `endOfMibView` at the end.
    pub(crate) fn get_next(&self, oid: &[u32]) -> Varbind {
        match self.after(oid) {
            Some((next, value)) => Varbind {
                oid: next.clone(),
                value: value.clone(),
            },
            None => Varbind {
                oid: oid.to_vec(),
                value: SnmpValue::EndOfMibView,
            },
        }
    }

    /// GETBULK (RFC 3416 4.2.3): a GETNEXT for each of the first
    /// `non_repeaters`, then rounds over the rest until `max_repetitions` or
    /// until every one of them is at `endOfMibView`.
    pub(crate) fn get_bulk(
        &self,
        non_repeaters: usize,
        max_repetitions: usize,
        oids: &[Oid],
    ) -> Vec<Varbind> {
        let (single, repeating) = oids.split_at(non_repeaters.min(oids.len()));
        let mut answer: Vec<Varbind> = single.iter().map(|oid| self.get_next(oid)).collect();
        let mut cursors = repeating.to_vec();
        for _ in 0..max_repetitions {
            if cursors.is_empty() {
                break;
            }
            let round: Vec<Varbind> = cursors.iter().map(|oid| self.get_next(oid)).collect();
            let ended = round.iter().all(|vb| vb.value == SnmpValue::EndOfMibView);
            cursors = round.iter().map(|vb| vb.oid.clone()).collect();
            answer.extend(round);
            if ended {
                break;
            }
        }
        answer
    }

    fn after(&self, oid: &[u32]) -> Option<(&Oid, &SnmpValue)> {
        self.entries
            .range::<[u32], _>((Bound::Excluded(oid), Bound::Unbounded))
            .next()
    }
}

fn varbind(line: &str) -> Result<(Oid, SnmpValue), String> {
    let mut fields = line.splitn(3, '|');
    let (Some(oid), Some(tag), Some(value)) = (fields.next(), fields.next(), fields.next()) else {
        return Err(format!("expected OID|TAG|VALUE, found {line:?}"));
    };
    Ok((parse_oid(oid)?, decode(tag, value)?))
}

fn parse_oid(text: &str) -> Result<Oid, String> {
    let arcs = text.strip_prefix('.').unwrap_or(text);
    arcs.split('.')
        .map(|arc| arc.parse::<u32>())
        .collect::<Result<Oid, _>>()
        .map_err(|_| format!("{text:?} is not a dotted OID"))
}

fn decode(tag: &str, text: &str) -> Result<SnmpValue, String> {
    let (number, hex) = match tag.strip_suffix('x') {
        Some(number) if matches!(number, "4" | "64" | "68") => (number, true),
        _ => (tag, false),
    };
    let bytes = || match hex {
        true => crate::exchange_log::hex_bytes(text.trim())
            .map_err(|why| format!("hex value {text:?} {why}")),
        false => Ok(text.as_bytes().to_vec()),
    };
    let number_of = |what: &str| format!("{what} value {:?} is not a number in range", text.trim());
    let empty = |value: SnmpValue| match text.trim().is_empty() {
        true => Ok(value),
        false => Err(format!("tag {tag} takes no value, found {text:?}")),
    };
    match number {
        "2" => text
            .trim()
            .parse::<i32>()
            .map(|v| SnmpValue::Integer(v.into()))
            .map_err(|_| number_of("Integer32")),
        "4" if hex => bytes().map(|shown| SnmpValue::Octets(displayed(&shown).unwrap_or(shown))),
        "4" => bytes().map(SnmpValue::Octets),
        "5" => empty(SnmpValue::Null),
        "6" => parse_oid(text.trim()).map(SnmpValue::ObjectId),
        "64" if hex => match bytes()?.as_slice() {
            &[a, b, c, d] => Ok(SnmpValue::IpAddress((a, b, c, d))),
            other => Err(format!("IpAddress must be 4 bytes, found {}", other.len())),
        },
        "64" => text
            .trim()
            .parse::<std::net::Ipv4Addr>()
            .map(|ip| {
                let [a, b, c, d] = ip.octets();
                SnmpValue::IpAddress((a, b, c, d))
            })
            .map_err(|_| format!("IpAddress value {text:?} is not a dotted quad")),
        "65" => text
            .trim()
            .parse()
            .map(SnmpValue::Counter32)
            .map_err(|_| number_of("Counter32")),
        "66" => text
            .trim()
            .parse()
            .map(SnmpValue::Gauge32)
            .map_err(|_| number_of("Gauge32")),
        "67" => text
            .trim()
            .parse()
            .map(SnmpValue::Timeticks)
            .map_err(|_| number_of("TimeTicks")),
        "68" => bytes().map(SnmpValue::Opaque),
        "70" => text
            .trim()
            .parse()
            .map(SnmpValue::Counter64)
            .map_err(|_| number_of("Counter64")),
        "128" => empty(SnmpValue::NoSuchObject),
        "129" => empty(SnmpValue::NoSuchInstance),
        "130" => empty(SnmpValue::EndOfMibView),
        _ => Err(format!(
            "tag {tag:?} is not one the harness reads (snmpsim's escaped `e` values and \
             variation modules are quire replay's only)"
        )),
    }
}

/// The bytes behind a net-snmp display form (`Black Cartridge \n38 32 37 41
/// 20 00`): a line of printable text, then lines of two-digit hex bytes, each
/// separated by one space, a line ending in at most one space. `None` for any
/// other value.
fn displayed(shown: &[u8]) -> Option<Vec<u8>> {
    let (text, dump) = std::str::from_utf8(shown).ok()?.split_once('\n')?;
    let printable = !text.is_empty() && text.bytes().all(|b| (0x20..0x7f).contains(&b));
    let hex_pairs = |line: &str| {
        let line = line.strip_suffix(' ').unwrap_or(line);
        line.is_empty()
            || line
                .split(' ')
                .all(|pair| pair.len() == 2 && pair.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    if !printable || !dump.split('\n').all(hex_pairs) {
        return None;
    }
    let rest = crate::exchange_log::hex_bytes(&dump.replace([' ', '\n'], "")).ok()?;
    (!rest.is_empty()).then(|| [text.as_bytes(), &rest].concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "1.3.6.1.2.1.1.1.0|4|Acme LaserWriter\n\
                        # a comment\n\
                        1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999\n\
                        1.3.6.1.2.1.43.10.2.1.4.1.1|65|7432\n\
                        1.3.6.1.2.1.43.11.1.1.6.1.1|4x|546f6e6572\n";

    fn snmp() -> Snmp {
        let mut problems = Vec::new();
        let snmp = Snmp::parse("acme.snmprec", TEXT, &mut problems);
        assert_eq!(problems, [""; 0]);
        snmp
    }

    #[test]
    fn answers_as_an_agent_would() {
        let snmp = snmp();
        assert_eq!(
            snmp.get(&vec![1, 3, 6, 1, 2, 1, 1, 1, 0]).value,
            SnmpValue::Octets(b"Acme LaserWriter".to_vec())
        );
        assert_eq!(
            snmp.get(&vec![1, 3, 6, 1, 2, 1, 1, 1, 1]).value,
            SnmpValue::NoSuchInstance
        );
        assert_eq!(
            snmp.get(&vec![1, 3, 6, 1, 4, 1, 9, 1]).value,
            SnmpValue::NoSuchObject
        );
        let next = snmp.get_next(&[1, 3, 6, 1, 2, 1, 43]);
        assert_eq!(next.oid, [1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4, 1, 1]);
        assert_eq!(next.value, SnmpValue::Counter32(7432));
        assert_eq!(snmp.get_next(&[2]).value, SnmpValue::EndOfMibView);
    }

    #[test]
    fn a_bulk_stops_once_every_repeater_has_ended() {
        let answer = snmp().get_bulk(1, 10, &[vec![1], vec![1, 3, 6, 1, 2, 1, 43, 11]]);
        let values: Vec<&SnmpValue> = answer.iter().map(|vb| &vb.value).collect();
        assert_eq!(
            values,
            [
                &SnmpValue::Octets(b"Acme LaserWriter".to_vec()),
                &SnmpValue::Octets(b"Toner".to_vec()),
                &SnmpValue::EndOfMibView,
            ]
        );
    }

    #[test]
    fn a_string_kept_in_net_snmp_display_form_reads_as_the_device_sent_it() {
        let shown = "Black Cartridge \n38 32 37 41 20 00 \n41";
        let hex: String = shown.bytes().map(|b| format!("{b:02x}")).collect();
        let mut problems = Vec::new();
        let snmp = Snmp::parse("c.snmprec", &format!("1.3.6|4x|{hex}\n"), &mut problems);
        assert_eq!(
            (snmp.get(&vec![1, 3, 6]).value, problems),
            (
                SnmpValue::Octets(b"Black Cartridge 827A \0A".to_vec()),
                vec![]
            )
        );
        for other in ["line\nbreak", "Toner\n38  32", "Toner\n", "\n38 32"] {
            assert_eq!(displayed(other.as_bytes()), None, "{other:?}");
        }
    }

    #[test]
    fn a_bad_line_is_named_by_file_and_line_and_loses_only_itself() {
        let bad = |text: &str| {
            let mut problems = Vec::new();
            let snmp = Snmp::parse("lab/p.snmprec", text, &mut problems);
            assert_eq!(
                snmp.get_next(&[1, 3, 6]).value,
                SnmpValue::Integer(1),
                "{text}"
            );
            assert_eq!(problems.len(), 1, "{problems:?}");
            problems.remove(0)
        };
        assert_eq!(
            bad("1.3.6.1|2|1\n1.3.7|2|many\n"),
            "lab/p.snmprec:2: Integer32 value \"many\" is not a number in range"
        );
        assert_eq!(
            bad("1.3.6.1|2|1\n1.3.6.2|4x|abc\n"),
            "lab/p.snmprec:2: hex value \"abc\" has an odd number of hex digits"
        );
        assert!(
            bad("1.3.6.1|2|1\n1.3.6.2|4e|a\\x41\n")
                .starts_with("lab/p.snmprec:2: tag \"4e\" is not one")
        );
        assert_eq!(
            bad("1.3.6.1|2|1\n1.3.x|2|1\n"),
            "lab/p.snmprec:2: \"1.3.x\" is not a dotted OID"
        );
    }
}
