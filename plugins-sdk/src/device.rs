//! The device handle a strategy reads through, and the table walks built on it.

use std::cell::RefCell;

use std::collections::BTreeMap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hash, Hasher};

use crate::walk::{BULK_VARBINDS, MAX_WALK_VARBINDS, Walk, WalkRequest, in_subtree};
use crate::{
    HttpRequest, HttpResponse, LogLevel, NpapPort, Oid, SnmpValue, TransportError, Varbind,
};

/// Where a [`Device`]'s requests go. In the component this is the host's WIT
/// imports; natively it is whatever the caller supplies, such as
/// the harness's recorded device (feature `harness`) for a replay. Only SNMP is required: a
/// transport without NPAP or HTTP answers them with `not-recorded`.
pub trait Transport {
    /// SNMP GET of each OID, in order.
    fn get(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError>;
    /// SNMP GETNEXT of each OID, in order.
    fn get_next(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError>;
    /// SNMP GETBULK (RFC 3416 4.2.3).
    fn get_bulk(
        &self,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[Oid],
    ) -> Result<Vec<Varbind>, TransportError>;
    /// One NPAP exchange with the device.
    fn npap(
        &self,
        _port: NpapPort,
        _request: &[u8],
        _timeout_ms: u32,
    ) -> Result<Vec<u8>, TransportError> {
        Err(TransportError::NotRecorded("npap".into()))
    }
    /// One HTTP exchange with the device's embedded web server.
    fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        Err(TransportError::NotRecorded(format!(
            "http {}",
            request.path
        )))
    }
    /// A message for the host's log.
    fn log(&self, _level: LogLevel, _message: &str) {}
    /// Walks `columns` side by side by [`Walk`]'s rules, at most
    /// [`MAX_WALK_VARBINDS`] varbinds: for each column, its rows in index order.
    /// By default one request at a time through [`Transport::get_bulk`] and
    /// [`Transport::get_next`]; the component's transport hands the whole walk
    /// to the host in one call instead (contract 0.2.1), which is what makes a
    /// sandboxed walk as cheap as a native one.
    ///
    /// Rows come per column, not joined into a [`Table`]: a prefetch walks
    /// columns of a dozen tables at once, and a row as wide as all of them,
    /// nearly all empty, was allocated for every index any of them had.
    ///
    /// Borrows its columns: the component's transport only hands them to the
    /// host, so a copy made for the call would be thrown away.
    fn walk(&self, columns: &[Oid]) -> Result<Vec<ColumnRows>, TransportError> {
        let mut kept = vec![Vec::new(); columns.len()];
        let mut walk = Walk::new(columns.to_vec(), MAX_WALK_VARBINDS);
        while let Some(request) = walk.request() {
            let answer = match request {
                WalkRequest::Bulk {
                    max_repetitions,
                    oids,
                } => match self.get_bulk(0, max_repetitions, &oids) {
                    Err(TransportError::Protocol(_)) => {
                        walk.bulk_failed();
                        continue;
                    }
                    answer => answer?,
                },
                WalkRequest::Next { oids } => self.get_next(&oids)?,
            };
            walk.answer(
                answer.into_iter().map(|vb| {
                    let value = (!vb.value.is_exception()).then_some(vb.value);
                    (vb.oid, value)
                }),
                |column, index, value| kept[column].push((index.to_vec(), value)),
            );
        }
        if walk.truncated() {
            self.log(
                LogLevel::Warn,
                &format!("walk stopped after {MAX_WALK_VARBINDS} varbinds"),
            );
        }
        Ok(kept)
    }
}

/// One walked column's rows, in index order: each row's index (the arcs after
/// the column) and its value. What [`Transport::walk`] answers per column.
pub type ColumnRows = Vec<(Vec<u32>, SnmpValue)>;

/// The one device a strategy is reading. Every request passes the host, which
/// scopes it to this device, caps it and can record it.
pub struct Device<'a> {
    transport: &'a dyn Transport,
    notes: RefCell<Vec<String>>,
    /// Every column walked so far in this call, with its rows in index order. A
    /// device's tables do not change within one read, so a column walked twice (the
    /// standard reading's, then a family's own look at it) or prefetched
    /// ([`Device::prefetch`]) is asked of the device once.
    walked: RefCell<Known<ColumnRows>>,
    /// What every GET of this call answered, by OID, for the same reason.
    got: RefCell<Known<SnmpValue>>,
}

/// What a [`Device`] already knows, by OID. Hashed: the OIDs a reading asks
/// share long prefixes (`1.3.6.1.2.1.43.11.1.1.…`), and an ordered map
/// compared them arc by arc along the prefix at every step of every lookup.
/// Hashed with a fixed key, not a random one: in the component a random key
/// is asked of WASI, which costs the host a context built for that call
/// alone, and the OIDs are the strategy's own or the answers to at most 128
/// of its requests at a time.
type Known<V> = hashbrown::HashMap<Key, V, BuildHasherDefault<DefaultHasher>>;

/// An OID as a [`Known`] key, compared arc by arc: `[u32]`'s own equality
/// calls `memcmp`, which in the component is wasi-libc's loop over bytes,
/// measured at a sixth of a sandboxed read's guest time. Looked up by
/// [`Arcs`], without a copy.
#[derive(Debug, Clone)]
struct Key(Oid);

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        same_arcs(&self.0, &other.0)
    }
}

impl Eq for Key {}

/// An OID being looked up in a [`Known`]; hashed as its [`Key`] is.
#[derive(Hash)]
struct Arcs<'o>(&'o [u32]);

impl hashbrown::Equivalent<Key> for Arcs<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        same_arcs(self.0, &key.0)
    }
}

/// Whether `a` and `b` are the same OID, compared from the last arc: OIDs
/// that differ share a prefix far more often than they share an ending.
fn same_arcs(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().rev().zip(b.iter().rev()).all(|(x, y)| x == y)
}

impl<'a> Device<'a> {
    /// A device reached through `transport`.
    pub fn new(transport: &'a dyn Transport) -> Self {
        Device {
            transport,
            notes: RefCell::new(Vec::new()),
            walked: RefCell::default(),
            got: RefCell::default(),
        }
    }

    /// Says why the strategy chose one source over another for this device
    /// (`maker from the printer's description: the sysObjectID is an Axis print
    /// server's`). `quire replay --explain` prints the notes after the reading's
    /// strategy, so a QA engineer sees the evidence behind each choice; readings
    /// are stored without them. One short sentence each, no trailing period.
    pub fn note(&self, text: impl Into<String>) {
        self.notes.borrow_mut().push(text.into());
    }

    /// The notes given so far, leaving none: what the component returns beside
    /// its reading.
    pub fn take_notes(&self) -> Vec<String> {
        self.notes.take()
    }

    /// SNMP GET of several OIDs in one request. Objects already read in this
    /// call (by a GET or [`Device::prefetch_objects`]) are not asked again:
    /// when every one of `oids` was, the device is not asked at all.
    pub fn get(&self, oids: &[&[u32]]) -> Result<Vec<Varbind>, TransportError> {
        if let Some(known) = self.already_got(oids) {
            return Ok(known);
        }
        let answer = self.transport.get(&owned(oids))?;
        let mut got = self.got.borrow_mut();
        for varbind in &answer {
            got.insert(Key(varbind.oid.clone()), varbind.value.clone());
        }
        Ok(answer)
    }

    /// One object's value, or `None` when the device has no such object or
    /// instance (or answered with NULL).
    pub fn get_value(&self, oid: &[u32]) -> Result<Option<SnmpValue>, TransportError> {
        let answer = self.get(&[oid])?;
        Ok(answer
            .into_iter()
            .next()
            .map(|vb| vb.value)
            .filter(|v| !v.is_exception() && *v != SnmpValue::Null))
    }

    /// GETs `oids` together, so that the GETs that follow in this call of any
    /// of them ask the device nothing: what [`Device::prefetch`] is for walks.
    ///
    /// Why: a family's reading asks its maker's objects one at a time, each
    /// only if the one before gave nothing (see `standard::first_of`); that is
    /// an exchange each. Asked together up front, they are one, and the
    /// sources that turn out not to be needed cost a varbind each.
    ///
    /// A device that refuses the request (a protocol error, such as an SNMPv1
    /// agent's `tooBig`) costs nothing but the attempt: each object is then
    /// asked for on its own.
    pub fn prefetch_objects(&self, oids: &[&[u32]]) -> Result<(), TransportError> {
        let missing = not_in(&self.got.borrow(), oids);
        if missing.is_empty() {
            return Ok(());
        }
        match self.get(&missing) {
            Err(TransportError::Protocol(_)) => Ok(()),
            done => done.map(drop),
        }
    }

    /// What the GETs of this call answered for each of `oids`, in their order;
    /// `None` unless they answered every one.
    fn already_got(&self, oids: &[&[u32]]) -> Option<Vec<Varbind>> {
        let got = self.got.borrow();
        oids.iter()
            .map(|oid| {
                got.get(&Arcs(oid)).map(|value| Varbind {
                    oid: oid.to_vec(),
                    value: value.clone(),
                })
            })
            .collect()
    }

    /// SNMP GETNEXT of several OIDs in one request.
    pub fn get_next(&self, oids: &[&[u32]]) -> Result<Vec<Varbind>, TransportError> {
        self.transport.get_next(&owned(oids))
    }

    /// SNMP GETBULK.
    pub fn get_bulk(
        &self,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: &[&[u32]],
    ) -> Result<Vec<Varbind>, TransportError> {
        self.transport
            .get_bulk(non_repeaters, max_repetitions, &owned(oids))
    }

    /// Whether the device has anything in the subtree under `root`: one
    /// GETNEXT, cheaper than a walk, for `identify`.
    pub fn has_subtree(&self, root: &[u32]) -> Result<bool, TransportError> {
        let answer = self.transport.get_next(&[root.to_vec()])?;
        Ok(answer
            .first()
            .is_some_and(|vb| !vb.value.is_exception() && in_subtree(&vb.oid, root)))
    }

    /// Every varbind under `root`, in OID order, by the rules of [`Walk`]:
    /// GETBULK, GETNEXT where the device answers GETBULK badly, and never
    /// endlessly, so a looping agent cannot hang the strategy.
    pub fn walk(&self, root: &[u32]) -> Result<Vec<Varbind>, TransportError> {
        let table = self.walk_columns(&[root])?;
        Ok(table
            .rows
            .into_iter()
            .filter_map(|(index, mut values)| {
                values.pop().flatten().map(|value| Varbind {
                    oid: [root, index.as_slice()].concat(),
                    value,
                })
            })
            .collect())
    }

    /// Walks several columns of one table side by side (one GETBULK carries
    /// all of them) and joins them by row index. Column `i` of each [`Row`] is
    /// `columns[i]`; a row missing from some columns has `None` there. The
    /// fallback and stopping rules are those of [`Device::walk`]. A column
    /// already walked in this call is not asked again.
    pub fn walk_columns(&self, columns: &[&[u32]]) -> Result<Table, TransportError> {
        let missing = self.not_walked(columns);
        if !missing.is_empty() {
            self.walk_and_keep(missing)?;
        }
        let walked = self.walked.borrow();
        let mut table = Table::default();
        for (position, column) in columns.iter().enumerate() {
            for (index, value) in walked.get(&Arcs(column)).into_iter().flatten() {
                table.insert(columns.len(), position, index, value.clone());
            }
        }
        Ok(table)
    }

    /// Walks `columns`, which may belong to any tables, side by side, so that
    /// the walks that follow in this call ask the device nothing for them.
    ///
    /// Why: each walk of a table costs at least one exchange, and a GETBULK of
    /// one short column mostly carries the objects after it, which the walk
    /// throws away. A printer's standard reading walks a dozen tables of one
    /// to a few rows; walked together, each GETBULK carries a row of every
    /// column still open, so the whole reading takes as many exchanges as its
    /// longest table has rows, and nearly every varbind is one the reading keeps.
    ///
    /// Columns are walked [`BULK_VARBINDS`] at a time, so a request is never
    /// larger than one walk's. A device that refuses such a request (a protocol
    /// error, such as an SNMPv1 agent's `tooBig`) costs nothing but the
    /// attempt: its columns are then walked table by table as they are asked for.
    pub fn prefetch(&self, columns: &[&[u32]]) -> Result<(), TransportError> {
        let mut missing = self.not_walked(columns);
        while !missing.is_empty() {
            let rest = missing.split_off(missing.len().min(BULK_VARBINDS as usize));
            match self.walk_and_keep(missing) {
                Err(TransportError::Protocol(_)) => {}
                done => done?,
            }
            missing = rest;
        }
        Ok(())
    }

    /// Which of `columns` this call has not walked yet, each once.
    fn not_walked(&self, columns: &[&[u32]]) -> Vec<Oid> {
        not_in(&self.walked.borrow(), columns)
            .into_iter()
            .map(<[u32]>::to_vec)
            .collect()
    }

    /// Walks `columns` side by side and keeps every column's rows, none for a
    /// column the device does not have.
    fn walk_and_keep(&self, columns: Vec<Oid>) -> Result<(), TransportError> {
        let mut kept = self.transport.walk(&columns)?;
        // A transport that answered for fewer columns walked the rest empty.
        kept.resize_with(columns.len(), Vec::new);
        self.walked
            .borrow_mut()
            .extend(columns.into_iter().map(Key).zip(kept));
        Ok(())
    }

    /// One NPAP request/response exchange (Lexmark).
    pub fn npap(
        &self,
        port: NpapPort,
        request: &[u8],
        timeout_ms: u32,
    ) -> Result<Vec<u8>, TransportError> {
        self.transport.npap(port, request, timeout_ms)
    }

    /// One HTTP exchange with the device's embedded web server.
    pub fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.transport.http(request)
    }

    /// Logs through the host, tagged with this device.
    pub fn log(&self, level: LogLevel, message: &str) {
        self.transport.log(level, message);
    }
}

/// Rows read by [`Device::walk_columns`], in index order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    rows: BTreeMap<Vec<u32>, Vec<Option<SnmpValue>>>,
}

impl HttpRequest {
    /// A GET of `path` over plain HTTP on the web server's default port, with
    /// no headers and no body: how a strategy asks for one page, and exactly
    /// how an exchange log records that request, so a replay answers it.
    pub fn get(path: &str) -> HttpRequest {
        HttpRequest {
            method: crate::HttpMethod::Get,
            tls: false,
            port: None,
            path: path.into(),
            headers: Vec::new(),
            body: None,
        }
    }
}

impl Table {
    /// Sets column `column` (of `width`) of the row `index`.
    pub(crate) fn insert(&mut self, width: usize, column: usize, index: &[u32], value: SnmpValue) {
        match self.rows.get_mut(index) {
            Some(row) => row[column] = Some(value),
            None => {
                let mut row = vec![None; width];
                row[column] = Some(value);
                self.rows.insert(index.to_vec(), row);
            }
        }
    }

    /// Every row, in index order (numeric, arc by arc).
    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows
            .iter()
            .map(|(index, values)| Row { index, values })
    }

    /// The row with this index, if any column has it.
    pub fn row(&self, index: &[u32]) -> Option<Row<'_>> {
        self.rows
            .get_key_value(index)
            .map(|(index, values)| Row { index, values })
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no column had any row.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// One row of a [`Table`].
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    index: &'a [u32],
    values: &'a [Option<SnmpValue>],
}

impl<'a> Row<'a> {
    /// The row's index: the OID arcs after the column.
    pub fn index(&self) -> &'a [u32] {
        self.index
    }

    /// The last arc of the index (`prtMarkerSuppliesIndex` of
    /// `hrDeviceIndex.prtMarkerSuppliesIndex`, say); `None` for an empty index.
    pub fn last_index(&self) -> Option<u32> {
        self.index.last().copied()
    }

    /// The value in column `column` (position in the walked columns).
    pub fn get(&self, column: usize) -> Option<&'a SnmpValue> {
        self.values.get(column).and_then(Option::as_ref)
    }

    /// Column `column` as a number, see [`SnmpValue::as_i64`].
    pub fn int(&self, column: usize) -> Option<i64> {
        self.get(column).and_then(SnmpValue::as_i64)
    }

    /// Column `column` as text, see [`SnmpValue::as_text`].
    pub fn text(&self, column: usize) -> Option<String> {
        self.get(column).and_then(SnmpValue::as_text)
    }
}

/// Which of `oids` `known` does not hold, each once, in their order: what a
/// [`Device`] still has to ask of the device.
fn not_in<'o, V>(known: &Known<V>, oids: &[&'o [u32]]) -> Vec<&'o [u32]> {
    let mut missing: Vec<&[u32]> = Vec::new();
    for &oid in oids {
        // A prefetch's two dozen columns share long prefixes (`1.3.6.1.2.1.43.…`):
        // compared from the end, nearly every pair differs at the first arc.
        let listed = missing.iter().any(|m| same_arcs(m, oid));
        if !listed && !known.contains_key(&Arcs(oid)) {
            missing.push(oid);
        }
    }
    missing
}

fn owned(oids: &[&[u32]]) -> Vec<Oid> {
    oids.iter().map(|o| o.to_vec()).collect()
}

// The walks are tested over recorded answers, which only the harness reads.
#[cfg(all(test, feature = "harness"))]
mod tests {
    use super::*;
    use crate::harness::Recorded;

    #[test]
    fn a_known_oid_is_found_by_its_arcs_and_by_nothing_else() {
        let mut known: Known<u32> = Known::default();
        known.insert(Key(vec![1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 6]), 1);
        assert_eq!(
            known.get(&Arcs(&[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 6])),
            Some(&1)
        );
        // The same length and last arc, another table.
        assert_eq!(known.get(&Arcs(&[1, 3, 6, 1, 2, 1, 43, 12, 1, 1, 6])), None);
        // A prefix of it.
        assert_eq!(known.get(&Arcs(&[1, 3, 6, 1, 2, 1, 43, 11, 1, 1])), None);
    }

    /// How a device's GETBULK misbehaves; GET and GETNEXT answer honestly.
    enum Bulk {
        Honest,
        Empty,
        Rejected,
        Backwards,
    }

    struct Flaky {
        inner: Recorded,
        bulk: Bulk,
    }

    impl Transport for Flaky {
        fn get(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
            self.inner.get(oids)
        }
        fn get_next(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
            self.inner.get_next(oids)
        }
        fn get_bulk(&self, n: u32, m: u32, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
            match self.bulk {
                Bulk::Honest => self.inner.get_bulk(n, m, oids),
                Bulk::Empty => Ok(Vec::new()),
                Bulk::Rejected => Err(TransportError::Protocol("GETBULK in v1".into())),
                Bulk::Backwards => Ok(oids
                    .iter()
                    .map(|oid| Varbind {
                        oid: oid.clone(),
                        value: SnmpValue::Integer(0),
                    })
                    .collect()),
            }
        }
    }

    fn supplies() -> Recorded {
        let mut text = String::from("1.3.6.1.2.1.1.1.0|4|printer\n");
        for i in 1..=30 {
            text.push_str(&format!("1.3.6.1.2.1.43.11.1.1.6.1.{i}|4|supply {i}\n"));
        }
        for i in 1..=29 {
            text.push_str(&format!("1.3.6.1.2.1.43.11.1.1.9.1.{i}|2|{i}\n"));
        }
        text.push_str("1.3.6.1.2.1.43.12.1.1.4.1.1|4|black\n");
        Recorded::from_snmprec("supplies", &text)
    }

    #[test]
    fn walks_agree_whatever_getbulk_does() {
        let columns: [&[u32]; 2] = [
            crate::oids::PRT_MARKER_SUPPLIES_DESCRIPTION,
            crate::oids::PRT_MARKER_SUPPLIES_LEVEL,
        ];
        for bulk in [Bulk::Honest, Bulk::Empty, Bulk::Rejected, Bulk::Backwards] {
            let flaky = Flaky {
                inner: supplies(),
                bulk,
            };
            let device = Device::new(&flaky);
            let table = device.walk_columns(&columns).unwrap();
            assert_eq!(table.len(), 30);
            let last = table.row(&[1, 30]).unwrap();
            assert_eq!(last.text(0).as_deref(), Some("supply 30"));
            assert_eq!(last.int(1), None, "row 30 has no level");
            assert_eq!(table.row(&[1, 29]).unwrap().int(1), Some(29));
            let walked = device.walk(crate::oids::PRT_MARKER_SUPPLIES_LEVEL).unwrap();
            assert_eq!(walked.len(), 29);
            assert_eq!(
                walked[0].oid,
                [crate::oids::PRT_MARKER_SUPPLIES_LEVEL, &[1, 1]].concat()
            );
        }
    }

    /// Counts the requests that reach the device; `most` is the largest request
    /// the device takes, larger ones are refused as a v1 agent's `tooBig` is.
    struct Counted {
        inner: Recorded,
        requests: std::cell::Cell<usize>,
        most: usize,
    }

    impl Counted {
        fn new(inner: Recorded, most: usize) -> Counted {
            Counted {
                inner,
                requests: std::cell::Cell::new(0),
                most,
            }
        }

        fn ask(&self, oids: &[Oid]) -> Result<(), TransportError> {
            self.requests.set(self.requests.get() + 1);
            if oids.len() > self.most {
                return Err(TransportError::Protocol("tooBig".into()));
            }
            Ok(())
        }
    }

    impl Transport for Counted {
        fn get(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
            self.ask(oids)?;
            self.inner.get(oids)
        }
        fn get_next(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
            self.ask(oids)?;
            self.inner.get_next(oids)
        }
        fn get_bulk(&self, n: u32, m: u32, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
            self.ask(oids)?;
            self.inner.get_bulk(n, m, oids)
        }
    }

    /// Columns of three tables of [`supplies`] and one of a table it lacks.
    const SEVERAL_TABLES: [&[u32]; 4] = [
        crate::oids::PRT_MARKER_SUPPLIES_DESCRIPTION,
        crate::oids::PRT_MARKER_SUPPLIES_LEVEL,
        crate::oids::PRT_MARKER_COLORANT_VALUE,
        crate::oids::PRT_ALERT_CODE,
    ];

    /// Each table of [`SEVERAL_TABLES`] as the strategy asks for it.
    fn tables(device: &Device<'_>) -> Vec<Table> {
        [
            &SEVERAL_TABLES[..2],
            &SEVERAL_TABLES[2..3],
            &SEVERAL_TABLES[3..],
        ]
        .iter()
        .map(|columns| device.walk_columns(columns).unwrap())
        .collect()
    }

    #[test]
    fn prefetched_tables_read_as_walked_alone_for_fewer_requests() {
        let alone = Counted::new(supplies(), usize::MAX);
        let expected = tables(&Device::new(&alone));
        assert_eq!(expected[0].len(), 30);
        assert_eq!(expected[1].len(), 1);
        assert!(expected[2].is_empty());

        let together = Counted::new(supplies(), usize::MAX);
        let device = Device::new(&together);
        device.prefetch(&SEVERAL_TABLES).unwrap();
        let prefetching = together.requests.get();
        assert_eq!(tables(&device), expected);
        assert_eq!(
            together.requests.get(),
            prefetching,
            "prefetched columns are not asked again"
        );
        assert!(
            prefetching < alone.requests.get(),
            "{prefetching} requests together, {} alone",
            alone.requests.get()
        );
        assert_eq!(
            device
                .walk(crate::oids::PRT_MARKER_SUPPLIES_LEVEL)
                .unwrap()
                .len(),
            29
        );
        assert_eq!(together.requests.get(), prefetching);
    }

    #[test]
    fn a_device_refusing_the_prefetch_is_read_table_by_table() {
        let alone = Counted::new(supplies(), usize::MAX);
        let expected = tables(&Device::new(&alone));
        // No request may carry more than two OIDs: the four together are refused.
        let small = Counted::new(supplies(), 2);
        let device = Device::new(&small);
        device.prefetch(&SEVERAL_TABLES).unwrap();
        let refused = small.requests.get();
        assert!(refused > 0, "the prefetch was tried");
        assert_eq!(tables(&device), expected);
        assert!(small.requests.get() > refused, "each table was then walked");
    }

    #[test]
    fn prefetched_objects_are_asked_once_together() {
        const ABSENT: &[u32] = &[1, 3, 6, 1, 4, 1, 99999, 1, 0];
        let objects: [&[u32]; 3] = [crate::oids::SYS_DESCR, ABSENT, crate::oids::SYS_DESCR];
        let values = |device: &Device<'_>| -> Vec<Option<SnmpValue>> {
            objects
                .iter()
                .map(|oid| device.get_value(oid).unwrap())
                .collect()
        };
        let alone = Counted::new(supplies(), usize::MAX);
        let expected = values(&Device::new(&alone));
        assert_eq!(expected[0], Some(SnmpValue::Octets(b"printer".to_vec())));
        assert_eq!(expected[1], None);
        assert_eq!(alone.requests.get(), 2, "the second sysDescr is remembered");

        let together = Counted::new(supplies(), usize::MAX);
        let device = Device::new(&together);
        device.prefetch_objects(&objects).unwrap();
        assert_eq!(together.requests.get(), 1);
        assert_eq!(values(&device), expected);
        assert_eq!(together.requests.get(), 1, "nothing was asked again");

        // A device that takes one object at a time refuses the prefetch and
        // is then asked for each.
        let small = Counted::new(supplies(), 1);
        let device = Device::new(&small);
        device.prefetch_objects(&objects).unwrap();
        assert_eq!(values(&device), expected);
        assert_eq!(small.requests.get(), 3);
    }

    #[test]
    fn missing_tables_are_empty_not_errors() {
        let transport = supplies();
        let device = Device::new(&transport);
        assert!(
            device
                .walk_columns(&[crate::oids::PRT_ALERT_CODE])
                .unwrap()
                .is_empty()
        );
        assert!(device.walk(&[1, 3, 6, 1, 9]).unwrap().is_empty());
        assert!(!device.has_subtree(crate::oids::PRT_ALERT_TABLE).unwrap());
        assert!(
            device
                .has_subtree(crate::oids::PRT_MARKER_SUPPLIES_TABLE)
                .unwrap()
        );
        assert_eq!(device.get_value(crate::oids::SYS_NAME).unwrap(), None);
    }
}
