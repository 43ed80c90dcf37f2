//! Recorded device sessions, and answering SNMP requests from them.
//!
//! A [`Recording`] is the sorted set of varbinds a device answered with. It
//! answers `get`, `get-next` and `get-bulk` exactly as an agent would, in SNMP's
//! lexicographic OID order, with `noSuchObject`/`noSuchInstance` and
//! `endOfMibView` where an agent would give them, so a strategy cannot tell a
//! replay from the device.

use std::collections::BTreeMap;
use std::collections::btree_map::Range;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use crate::{Oid, RecordingError, Result, Value};

mod display_form;
mod mib_names;
mod snmprec;
mod snmpwalk;

/// A recording read leniently: what parsed, and where each line that did not is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// Every varbind that parsed.
    pub recording: Recording,
    /// One error per line that did not, with file and line.
    pub problems: Vec<RecordingError>,
    /// One note per value that was read but not as written: a string a capture
    /// tool kept as net-snmp displayed it, turned back into the device's
    /// bytes. The reading stands; QA should know the file is not byte-exact.
    pub notes: Vec<RecordingError>,
}

type Parser = fn(&str, &str, &mut Vec<RecordingError>) -> Recording;

fn strict(parse: Parser, name: &str, text: &str) -> Result<Recording> {
    let mut problems = Vec::new();
    let recording = parse(name, text, &mut problems);
    match problems.into_iter().next() {
        Some(first) => Err(first),
        None => Ok(recording),
    }
}

/// What GETNEXT and GETBULK answer past the last recorded OID.
static END_OF_MIB_VIEW: Value = Value::EndOfMibView;

/// The varbinds of one recorded device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recording {
    name: String,
    entries: BTreeMap<Oid, Value>,
}

impl Recording {
    /// An empty recording called `name` (a file path, usually).
    pub fn new(name: impl Into<String>) -> Self {
        Recording {
            name: name.into(),
            entries: BTreeMap::new(),
        }
    }

    /// Reads a recording from disk and refuses it at its first bad line.
    ///
    /// The parser is chosen by the file's content rather than its extension,
    /// because walks are saved under any name (`.txt`, `.walk`, `.snmpwalk`)
    /// and a mislabelled file should still load.
    pub fn load(path: &Path) -> Result<Self> {
        let loaded = Self::load_lenient(path)?;
        match loaded.problems.into_iter().next() {
            Some(first) => Err(first),
            None => Ok(loaded.recording),
        }
    }

    /// Reads a recording from disk, keeping every line that parses and
    /// reporting each one that does not, so one corrupt varbind costs only
    /// itself (snmpsim, too, fails only the request that reaches it). Fails
    /// only when the file cannot be read or is no recording at all.
    pub fn load_lenient(path: &Path) -> Result<Loaded> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| RecordingError {
            file: name.clone(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let line = 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            RecordingError {
                file: name.clone(),
                line,
                message: "not UTF-8 text".into(),
            }
        })?;
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        let recording = match Format::sniff(&text) {
            Some(Format::Snmprec) => snmprec::parse_noting(&name, &text, &mut problems, &mut notes),
            Some(Format::Snmpwalk) => snmpwalk::parse(&name, &text, &mut problems),
            None => {
                let line = text
                    .split('\n')
                    .position(|l| !l.trim().is_empty() && !l.trim().starts_with('#'))
                    .map_or(0, |i| i + 1);
                return Err(RecordingError::at(
                    &name,
                    line,
                    "neither .snmprec (`OID|TAG|VALUE`) nor snmpwalk output (`OID = TYPE: VALUE`)",
                ));
            }
        };
        Ok(Loaded {
            recording,
            problems,
            notes,
        })
    }

    /// Parses snmpsim's `.snmprec` text (`OID|TAG|VALUE` per line), refusing
    /// it at its first bad line.
    pub fn parse_snmprec(name: &str, text: &str) -> Result<Self> {
        strict(snmprec::parse, name, text)
    }

    /// Parses net-snmp `snmpwalk` output, numeric (`-On`) or with MIB names
    /// (`SNMPv2-MIB::sysDescr.0`), so a walk a customer or field engineer took
    /// with stock tools can be replayed without converting it. Refuses it at
    /// its first bad varbind or unknown name.
    pub fn parse_snmpwalk(name: &str, text: &str) -> Result<Self> {
        strict(snmpwalk::parse, name, text)
    }

    /// Writes the recording as `.snmprec` that snmpsim can serve and
    /// [`Recording::parse_snmprec`] reads back to an equal recording: sorted,
    /// one line per varbind, printable ASCII byte strings as text and other
    /// byte strings as hex. Integers outside Integer32 and empty OIDs, which
    /// only [`Recording::insert`] can create, are written but do not read back.
    pub fn to_snmprec(&self) -> String {
        snmprec::write(self)
    }

    /// The name given at load time, used in every error about this recording.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many varbinds are recorded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds or replaces one varbind.
    pub fn insert(&mut self, oid: Oid, value: Value) -> Option<Value> {
        self.entries.insert(oid, value)
    }

    /// Every varbind in OID order.
    pub fn iter(&self) -> impl Iterator<Item = (&Oid, &Value)> {
        self.entries.iter()
    }

    /// The varbinds in the subtree under `root` (`root` included), in OID order.
    pub fn subtree<'a>(&'a self, root: &'a Oid) -> impl Iterator<Item = (&'a Oid, &'a Value)> {
        self.entries
            .range(root..)
            .take_while(move |(oid, _)| oid.starts_with(root))
    }

    /// GET: the value, or `noSuchInstance` when the object's column exists but
    /// not this row, `noSuchObject` otherwise.
    pub fn get(&self, oid: &Oid) -> Value {
        if let Some(value) = self.entries.get(oid) {
            return value.clone();
        }
        let arcs = oid.arcs();
        let parent_known = arcs.len() > 1 && {
            let parent = Oid::from(&arcs[..arcs.len() - 1]);
            self.successor(&parent)
                .is_some_and(|(next, _)| next.starts_with(&parent))
        };
        if parent_known {
            Value::NoSuchInstance
        } else {
            Value::NoSuchObject
        }
    }

    /// GETNEXT: the first varbind after `oid`, or `endOfMibView` at the end.
    pub fn get_next(&self, oid: &Oid) -> (Oid, Value) {
        let (next, value) = self.next_of(oid);
        (next.clone(), value.clone())
    }

    /// [`Recording::get_next`], lent rather than copied.
    pub fn next_of<'a>(&'a self, oid: &'a Oid) -> (&'a Oid, &'a Value) {
        self.successor(oid).unwrap_or((oid, &END_OF_MIB_VIEW))
    }

    /// GETBULK (RFC 3416 4.2.3): one GETNEXT for each of the first
    /// `non_repeaters` OIDs, then up to `max_repetitions` rounds over the rest.
    /// Rounds stop early once every repeater has reached `endOfMibView`.
    pub fn get_bulk(
        &self,
        non_repeaters: usize,
        max_repetitions: usize,
        oids: &[Oid],
    ) -> Vec<(Oid, Value)> {
        let mut out = Vec::new();
        self.bulk_each(non_repeaters, max_repetitions, oids, |oid, value| {
            out.push((oid.clone(), value.clone()))
        });
        out
    }

    /// [`Recording::get_bulk`], each varbind lent to `answer` in order rather
    /// than copied into a list: what a walk over a recording takes.
    pub fn bulk_each<'a>(
        &'a self,
        non_repeaters: usize,
        max_repetitions: usize,
        oids: &'a [Oid],
        mut answer: impl FnMut(&'a Oid, &'a Value),
    ) {
        let split = non_repeaters.min(oids.len());
        for oid in &oids[..split] {
            let (next, value) = self.next_of(oid);
            answer(next, value);
        }
        // Each repeater walks on from its last row rather than looking up the successor of
        // it again: one search of the map per repeater, not one per varbind answered.
        let mut repeaters: Vec<(&Oid, Range<'_, Oid, Value>)> = oids[split..]
            .iter()
            .map(|oid| {
                let rows = self.entries.range((Bound::Excluded(oid), Bound::Unbounded));
                (oid, rows)
            })
            .collect();
        for _ in 0..max_repetitions {
            if repeaters.is_empty() {
                break;
            }
            let mut all_ended = true;
            for (last, rows) in repeaters.iter_mut() {
                match rows.next() {
                    Some((oid, value)) => {
                        if *value != Value::EndOfMibView {
                            all_ended = false;
                        }
                        *last = oid;
                        answer(oid, value);
                    }
                    None => answer(last, &END_OF_MIB_VIEW),
                }
            }
            if all_ended {
                break;
            }
        }
    }

    fn successor(&self, oid: &Oid) -> Option<(&Oid, &Value)> {
        self.entries
            .range((Bound::Excluded(oid), Bound::Unbounded))
            .next()
    }
}

/// The recording formats [`Recording::load`] tells apart.
enum Format {
    Snmprec,
    Snmpwalk,
}

impl Format {
    /// Judges by the first line that is either format's record, skipping
    /// blanks, comments and lines that are neither (a stray banner, a bad
    /// first varbind): those are reported by the format's own reader.
    fn sniff(text: &str) -> Option<Format> {
        text.split('\n')
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .find_map(Format::of_line)
    }

    fn of_line(line: &str) -> Option<Format> {
        let mut fields = line.splitn(3, '|');
        if let (Some(oid), Some(tag), Some(_)) = (fields.next(), fields.next(), fields.next())
            && oid.parse::<Oid>().is_ok()
            && tag.starts_with(|c: char| c.is_ascii_digit())
        {
            return Some(Format::Snmprec);
        }
        snmpwalk::split_varbind(line).map(|_| Format::Snmpwalk)
    }
}

/// Files as given; directories replaced by the recordings anywhere under them
/// (`.snmprec`, `.walk`, `.snmpwalk`, `.txt`), sorted by name: how every tool
/// that takes recordings (replay, the simulator, the benchmarks) reads its
/// arguments, since recordings are often kept in sets.
pub fn files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = walk_dir(path)
            .into_iter()
            .filter(|p| {
                p.extension().is_some_and(|e| {
                    ["snmprec", "walk", "snmpwalk", "txt"].contains(&&*e.to_string_lossy())
                })
            })
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

/// Every file under `dir`, recursively.
fn walk_dir(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        out.push(dir.to_path_buf());
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk_dir(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
    }

    fn sample() -> Recording {
        Recording::parse_snmprec(
            "sample",
            "1.3.6.1.2.1.1.1.0|4|Printer\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.11\n1.3.6.1.2.1.43.11.1.1.9.1.1|2|54\n1.3.6.1.2.1.43.11.1.1.9.1.2|2|-3\n",
        )
        .unwrap()
    }

    #[test]
    fn get_tells_missing_instance_from_missing_object() {
        let r = sample();
        assert_eq!(
            r.get(&oid("1.3.6.1.2.1.1.1.0")),
            Value::OctetString(b"Printer".to_vec())
        );
        assert_eq!(
            r.get(&oid("1.3.6.1.2.1.43.11.1.1.9.1.7")),
            Value::NoSuchInstance
        );
        assert_eq!(r.get(&oid("1.3.6.1.2.1.99.1.0")), Value::NoSuchObject);
    }

    #[test]
    fn get_next_walks_in_oid_order_and_ends_with_end_of_mib_view() {
        let r = sample();
        let (next, _) = r.get_next(&oid("1.3.6.1.2.1.1.2.0"));
        assert_eq!(next, oid("1.3.6.1.2.1.43.11.1.1.9.1.1"));
        let (_, end) = r.get_next(&oid("1.3.6.1.2.1.43.11.1.1.9.1.2"));
        assert_eq!(end, Value::EndOfMibView);
    }

    #[test]
    fn get_bulk_repeats_and_stops_at_the_end() {
        let r = sample();
        let out = r.get_bulk(1, 10, &[oid("1.3.6.1.2.1.1"), oid("1.3.6.1.2.1.43.11")]);
        // one non-repeater, then two rows and one endOfMibView
        assert_eq!(out.len(), 4);
        assert_eq!(out[0].0, oid("1.3.6.1.2.1.1.1.0"));
        assert_eq!(out[3].1, Value::EndOfMibView);
    }
}
