//! A reading's body, and its raw exchange while it is kept, compressed against a
//! keyframe: a year of hourly readings costs tens of bytes each instead of kilobytes.
//!
//! Readings of one device in one cycle by one strategy hardly differ: the counters move,
//! a level drops, an alert comes or goes, and the exchange that read them asked the same
//! questions and got nearly the same answers. A **series** is such a run of readings; its
//! keyframe is the reading that opened it — its JSON, and its `.snmprec` and exchange log
//! when it had them — kept zlib-compressed in `reading_series`. Each reading's body is its
//! own JSON raw-deflated with the keyframe's JSON as the preset dictionary (RFC 1951 with
//! a dictionary, as zlib's `deflateSetDictionary` does), which leaves little more than what
//! changed; its exchange is zlib with the keyframe's exchange as dictionary (the stream's
//! header names the dictionary, RFC 1950 `FDICT`). When a body or an exchange grows past a
//! share of its keyframe (the reading drifted: a new cartridge, a new alert table, a new
//! firmware), or brings an exchange the keyframe has none of, the reading opens a new
//! series instead. Everything decodes from its own row and its series' keyframe alone —
//! never from other readings — so no reading depends on a chain of others, and retention
//! removes a reading's exchange without touching any other's. A keyframe stays with its
//! series: it is the dictionary, not a reading's exchange.
//!
//! Readings filed before series existed have a series without keyframe, their plain
//! JSON as body and a plain zlib exchange; both forms read back the same.
//!
//! A series never changes once written, so each process keeps the keyframes it used
//! last in memory: ingest then needs no lookup per reading, and reads decode pages
//! without fetching the same keyframe again. A keyframe another process opened since is
//! just not used here yet; any keyframe of the series decodes its own readings.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use quire_model::{Cycle, StrategyRef};

use crate::error::{Error, Result};
use crate::readings::{compress, decompress};

/// A reading stays in its series while its body (or exchange) takes at most this many
/// times what the opening reading's own takes, plus [`DRIFT_SLACK`]. Deflate's matches
/// are at most 258 bytes, so even an unchanged reading costs a floor (a kilobyte of JSON
/// some 20 bytes, an exchange of several kilobytes a hundred); beyond three floors the
/// reading has drifted (a new cartridge, an alert), and a keyframe of its own costs less
/// than carrying the difference. Measured with `cargo bench -p quire-bench --bench
/// storage` (SQLite, three device-years): three floors opened 283 series for 4.3 MB a
/// device-year; two floors opened 2,448 and took 5.1 MB, their keyframes costing more
/// than their bodies saved; a quarter of the keyframe's size as the limit, 4.4 MB.
const DRIFT_FACTOR: usize = 3;

/// Bytes of drift every budget allows, so a few changed digits never open a series.
const DRIFT_SLACK: usize = 16;

/// Keyframes a process keeps in memory before starting over: the three cycles of a few
/// thousand devices, a few kilobytes each (the exchanges stay compressed).
const CACHED_KEYFRAMES: usize = 16_384;

/// What the readings of one series share, and what a new reading finds its series by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SeriesKey {
    pub(crate) device: i64,
    pub(crate) cycle: Cycle,
    pub(crate) strategy: StrategyRef,
}

/// A series' keyframe: its JSON inflated, its exchanges as stored.
#[derive(Debug)]
pub(crate) struct Keyframe {
    /// The series' id.
    pub(crate) id: i64,
    /// The JSON every body of the series is deflated against.
    pub(crate) json: Vec<u8>,
    /// The bytes a body may take and stay in this series.
    pub(crate) budget: usize,
    /// The opening read's `.snmprec`, when it had one.
    pub(crate) snmprec: Option<KeyframeExchange>,
    /// The opening read's exchange log, when it had one.
    pub(crate) exchanges: Option<KeyframeExchange>,
}

/// One exchange of a keyframe.
#[derive(Debug)]
pub(crate) struct KeyframeExchange {
    /// As stored: zlib-compressed.
    pub(crate) stored: Vec<u8>,
    /// The bytes an exchange compressed against it may take and stay in the series.
    budget: usize,
}

/// What a reading files in its series: its body and its exchanges as stored.
pub(crate) struct Filed {
    pub(crate) body: Vec<u8>,
    pub(crate) snmprec: Option<Vec<u8>>,
    pub(crate) exchanges: Option<Vec<u8>>,
}

/// A series' keyframe as `reading_series` stores it: the opening reading, compressed.
pub(crate) struct StoredKeyframe {
    pub(crate) json: Vec<u8>,
    pub(crate) snmprec: Option<Vec<u8>>,
    pub(crate) exchanges: Option<Vec<u8>>,
}

impl StoredKeyframe {
    /// The keyframe a reading with `json` and these exchanges opens.
    pub(crate) fn of(json: &str, snmprec: Option<&str>, exchanges: Option<&str>) -> StoredKeyframe {
        StoredKeyframe {
            json: compress(json),
            snmprec: snmprec.map(compress),
            exchanges: exchanges.map(compress),
        }
    }
}

impl Keyframe {
    /// The keyframe of series `id` from its stored (zlib-compressed) columns.
    pub(crate) fn from_stored(id: i64, stored: StoredKeyframe) -> Result<Keyframe> {
        let json = decompress("reading_series.keyframe", &stored.json)?.into_bytes();
        let exchange = |stored: Option<Vec<u8>>, column| -> Result<Option<KeyframeExchange>> {
            let Some(stored) = stored else {
                return Ok(None);
            };
            let text = decompress(column, &stored)?;
            let budget = budget(zlib_against(text.as_bytes(), text.as_bytes()).len());
            Ok(Some(KeyframeExchange { stored, budget }))
        };
        Ok(Keyframe {
            id,
            budget: budget(deflate_against(&json, &json).len()),
            json,
            snmprec: exchange(stored.snmprec, "reading_series.snmprec_keyframe")?,
            exchanges: exchange(stored.exchanges, "reading_series.exchanges_keyframe")?,
        })
    }

    /// What a reading with `json` and these exchanges files in this series, or `None`
    /// when it has drifted too far from the keyframe, or brings an exchange the keyframe
    /// has none of, and should open a series of its own.
    pub(crate) fn file(
        &self,
        json: &str,
        snmprec: Option<&str>,
        exchanges: Option<&str>,
    ) -> Option<Filed> {
        let (filed, fits) = self.encode(json, snmprec, exchanges);
        fits.then_some(filed)
    }

    /// What a reading files in this series, and whether it fits: its body and its
    /// exchanges within their budgets, and no exchange the keyframe has none of (that one
    /// is stored as plain zlib). The reading that opened the series always fits.
    pub(crate) fn encode(
        &self,
        json: &str,
        snmprec: Option<&str>,
        exchanges: Option<&str>,
    ) -> (Filed, bool) {
        let body = deflate_against(&self.json, json.as_bytes());
        let mut fits = body.len() <= self.budget;
        let mut exchange = |keyframe: Option<&KeyframeExchange>, text: Option<&str>| {
            let (stored, fit) = exchange_against(keyframe, text?);
            fits &= fit;
            Some(stored)
        };
        let snmprec = exchange(self.snmprec.as_ref(), snmprec);
        let exchanges = exchange(self.exchanges.as_ref(), exchanges);
        let filed = Filed {
            body,
            snmprec,
            exchanges,
        };
        (filed, fits)
    }
}

/// `text` compressed against the keyframe's exchange, and whether it fits the keyframe's
/// budget; plain zlib, not fitting, when the keyframe has none (or it does not inflate).
fn exchange_against(keyframe: Option<&KeyframeExchange>, text: &str) -> (Vec<u8>, bool) {
    let dictionary = keyframe.and_then(|k| decompress("reading_series keyframe", &k.stored).ok());
    match (keyframe, dictionary) {
        (Some(keyframe), Some(dictionary)) => {
            let compressed = zlib_against(dictionary.as_bytes(), text.as_bytes());
            let fits = compressed.len() <= keyframe.budget;
            (compressed, fits)
        }
        _ => (compress(text), false),
    }
}

/// A stored exchange back as text: zlib, whose header may ask for a dictionary (the
/// series' keyframe exchange, `dictionary`, compressed), or — for a `.snmprec` filed before
/// exchanges were compressed — the plain text, which never starts with a zlib header (an
/// OID starts with a digit or a dot).
pub(crate) fn inflate_exchange(
    column: &'static str,
    bytes: &[u8],
    dictionary: Option<&[u8]>,
) -> Result<String> {
    let corrupt = |reason: String| Error::Corrupt {
        column,
        value: format!("{} compressed bytes", bytes.len()),
        reason,
    };
    if !is_zlib(bytes) {
        return String::from_utf8(bytes.to_vec()).map_err(|e| corrupt(e.to_string()));
    }
    let mut inflate = Decompress::new(true);
    let mut text = Vec::with_capacity(bytes.len() * 8);
    loop {
        let (read, written) = (inflate.total_in(), inflate.total_out());
        let from = usize::try_from(read).expect("the input is in memory");
        match inflate.decompress_vec(&bytes[from..], &mut text, FlushDecompress::Finish) {
            Ok(Status::StreamEnd) => {
                return String::from_utf8(text).map_err(|e| corrupt(e.to_string()));
            }
            Ok(_) => {
                if text.len() == text.capacity() {
                    text.reserve(text.capacity().max(256));
                } else if (inflate.total_in(), inflate.total_out()) == (read, written) {
                    return Err(corrupt("the stream ends early".into()));
                }
            }
            Err(e) if e.needs_dictionary().is_some() => {
                let dictionary = dictionary.ok_or_else(|| {
                    corrupt("it needs its series' keyframe, which has none".into())
                })?;
                let dictionary = decompress(column, dictionary)?;
                inflate
                    .set_dictionary(dictionary.as_bytes())
                    .map_err(|e| corrupt(e.to_string()))?;
            }
            Err(e) => return Err(corrupt(e.to_string())),
        }
    }
}

/// Whether `bytes` start with a zlib header (RFC 1950: deflate, and a check that makes the
/// first two bytes a multiple of 31).
fn is_zlib(bytes: &[u8]) -> bool {
    match bytes {
        [cmf, flg, ..] => cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
        _ => false,
    }
}

/// `text` as a zlib stream with `dictionary` preset (its header names the dictionary).
fn zlib_against(dictionary: &[u8], text: &[u8]) -> Vec<u8> {
    ZLIB.with_borrow_mut(|deflate| against(deflate, dictionary, text))
}

thread_local! {
    /// A deflate stream of each kind per thread, reset for every reading: setting one up,
    /// zlib-rs allocates and zeroes some 400 KB of window and tables, which took half the
    /// time ingest spent compressing (perf on `quire-bench ingest`); a reset clears only
    /// the hash heads. A reset stream writes the same bytes a new one does.
    static RAW: std::cell::RefCell<Compress> =
        std::cell::RefCell::new(Compress::new(Compression::best(), false));
    static ZLIB: std::cell::RefCell<Compress> =
        std::cell::RefCell::new(Compress::new(Compression::default(), true));
}

/// `text` compressed by `deflate`, reset and given `dictionary` first.
fn against(deflate: &mut Compress, dictionary: &[u8], text: &[u8]) -> Vec<u8> {
    deflate.reset();
    deflate
        .set_dictionary(dictionary)
        .expect("a reset deflate stream takes a dictionary");
    finish(deflate, text)
}

/// Compresses all of `text` with `deflate` and ends the stream.
fn finish(deflate: &mut Compress, text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + text.len() / 8);
    loop {
        let read = usize::try_from(deflate.total_in()).expect("the input is in memory");
        let status = deflate
            .compress_vec(&text[read..], &mut out, FlushCompress::Finish)
            .expect("deflating to memory cannot fail");
        if status == Status::StreamEnd {
            return out;
        }
        out.reserve(out.capacity().max(64));
    }
}

/// The bytes a body (or exchange) may take in a series whose opening reading's own took
/// `fresh`.
fn budget(fresh: usize) -> usize {
    DRIFT_FACTOR * fresh + DRIFT_SLACK
}

/// `json` raw-deflated with `dictionary` as the preset dictionary.
pub(crate) fn deflate_against(dictionary: &[u8], json: &[u8]) -> Vec<u8> {
    RAW.with_borrow_mut(|deflate| against(deflate, dictionary, json))
}

/// The inverse of [`deflate_against`]; the error says why the bytes are not a body.
pub(crate) fn inflate_against(
    dictionary: &[u8],
    body: &[u8],
) -> std::result::Result<Vec<u8>, String> {
    let mut inflate = Decompress::new(false);
    inflate
        .set_dictionary(dictionary)
        .map_err(|e| e.to_string())?;
    let mut json = Vec::with_capacity(dictionary.len() + 256);
    loop {
        let (read, written) = (inflate.total_in(), inflate.total_out());
        let from = usize::try_from(read).expect("the input is in memory");
        let status = inflate
            .decompress_vec(&body[from..], &mut json, FlushDecompress::Finish)
            .map_err(|e| e.to_string())?;
        if status == Status::StreamEnd {
            return Ok(json);
        }
        if json.len() == json.capacity() {
            json.reserve(json.capacity());
        } else if (inflate.total_in(), inflate.total_out()) == (read, written) {
            return Err(format!(
                "the body ends after {} bytes, mid-stream",
                body.len()
            ));
        }
    }
}

/// A stored reading's JSON from its body and its series' keyframe (`None`: a reading filed
/// before series, whose body is its plain JSON), parsed as `T` — the whole reading, or
/// only the part a history reads. `id` names the reading in errors.
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    id: i64,
    keyframe: Option<&Keyframe>,
    body: &[u8],
) -> Result<T> {
    let corrupt = |reason: String| Error::Corrupt {
        column: "readings.body",
        value: format!("{} bytes of reading {id}", body.len()),
        reason,
    };
    let inflated;
    let json = match keyframe {
        Some(keyframe) => {
            inflated = inflate_against(&keyframe.json, body).map_err(corrupt)?;
            &inflated[..]
        }
        None => body,
    };
    serde_json::from_slice(json).map_err(|e| corrupt(e.to_string()))
}

/// The keyframes this process used last: by series, and the latest of each key.
#[derive(Default)]
pub(crate) struct Keyframes {
    cached: Mutex<Cached>,
}

#[derive(Default)]
struct Cached {
    /// `None` for a series filed before keyframes (bodies are plain JSON).
    by_id: HashMap<i64, Option<Arc<Keyframe>>>,
    latest: HashMap<SeriesKey, Arc<Keyframe>>,
}

impl Keyframes {
    fn cached(&self) -> std::sync::MutexGuard<'_, Cached> {
        // A panic while holding the lock leaves nothing half-written: each insert is whole.
        self.cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Series `id`'s keyframe if this process has it: `Some(None)` for a series without one.
    pub(crate) fn by_id(&self, id: i64) -> Option<Option<Arc<Keyframe>>> {
        self.cached().by_id.get(&id).cloned()
    }

    /// The latest keyframe this process knows for `key`.
    pub(crate) fn latest(&self, key: &SeriesKey) -> Option<Arc<Keyframe>> {
        self.cached().latest.get(key).cloned()
    }

    /// Remembers series `id`'s keyframe (read from the database, so committed).
    pub(crate) fn remember_id(&self, id: i64, keyframe: Option<Arc<Keyframe>>) {
        let mut cached = self.cached();
        cached.make_room();
        cached.by_id.insert(id, keyframe);
    }

    /// Remembers the keyframes a batch used, once its transaction committed: a series a
    /// rolled-back batch opened does not exist.
    pub(crate) fn remember_latest(&self, used: HashMap<SeriesKey, Arc<Keyframe>>) {
        let mut cached = self.cached();
        cached.make_room();
        for (key, keyframe) in used {
            cached.by_id.insert(keyframe.id, Some(keyframe.clone()));
            cached.latest.insert(key, keyframe);
        }
    }
}

impl Cached {
    fn make_room(&mut self) {
        if self.by_id.len() + self.latest.len() > CACHED_KEYFRAMES {
            self.by_id.clear();
            self.latest.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_inflates_against_its_keyframe_to_the_same_json() {
        let keyframe = br#"{"counters":{"total":7432},"supplies":[{"level":7056}]}"#;
        let json = br#"{"counters":{"total":7440},"supplies":[{"level":7050}]}"#;
        let body = deflate_against(keyframe, json);
        assert!(body.len() < json.len() / 2, "{} bytes", body.len());
        assert_eq!(inflate_against(keyframe, &body).unwrap(), json);
    }

    #[test]
    fn a_body_cut_short_or_read_against_another_keyframe_is_refused() {
        let keyframe = br#"{"counters":{"total":7432}}"#;
        let body = deflate_against(keyframe, br#"{"counters":{"total":7440}}"#);
        assert!(inflate_against(keyframe, &body[..body.len() - 2]).is_err());
        let other = br#"{"alerts":[],"status":{"device":"down"}}"#;
        assert_ne!(
            inflate_against(other, &body).ok(),
            Some(br#"{"counters":{"total":7440}}"#.to_vec())
        );
    }
}
