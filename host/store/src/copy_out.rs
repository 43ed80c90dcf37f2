//! The recompute's large reads on PostgreSQL, as `COPY (query) TO STDOUT (FORMAT binary)`
//! read here a row at a time.
//!
//! An hourly recompute reads every device's daily meters and levels of the history's reach,
//! some 270 rows per device. Fetched as rows through sqlx, each row became a `PgRow` (its
//! message split off, a vector of column spans), and each column a type check against the
//! statement's metadata and a decode call; with the async stream's yield per row, that
//! machinery was about a fifth of the recompute's own CPU (`perf record --call-graph dwarf`
//! of `cargo bench -p quire-bench --bench recompute -- --devices 10000`), as much as the
//! arithmetic of the forecasts. Binary COPY sends the same values in the same send-function
//! formats; what is left here is reading lengths and big-endian integers. Read this way,
//! the recompute of 100,000 devices spent 31.3 s of its own CPU instead of 44.2 s, and took
//! 28.4 s instead of 34.4 (the README's "Calculated values for 100,000 devices"). sqlx hands over
//! COPY's bytes (`copy_out_raw`) but has no reader of the binary format, and the crates that
//! read it are written for other drivers (`postgres-binary-copy` for `tokio-postgres`),
//! hence this one. The format: <https://www.postgresql.org/docs/current/sql-copy.html>
//! ("Binary Format"); the types' send functions: `int8send`, `int4send`, `date_send`
//! (days since 2000-01-01), `timestamptz_send` (microseconds since 2000-01-01 UTC),
//! `textsend` (the text in the client's encoding, UTF-8 for sqlx).
//!
//! COPY takes no bind parameters, so the queries put their values in the text themselves:
//! only numbers and dates the store formats, never text from outside.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sqlx::postgres::{PgPool, PgPoolCopyExt};

use crate::error::{Context, Error, Result};
use crate::types::DeviceId;

/// What every binary COPY begins with.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// The rows of one binary COPY, as they arrive.
pub(crate) struct CopyOut {
    stream: BoxStream<'static, sqlx::Result<bytes::Bytes>>,
    /// Bytes received and not yet read, from `at` on.
    buffer: Vec<u8>,
    at: usize,
    header_read: bool,
    /// The trailer was read: no row is left.
    ended: bool,
    /// `table.column` of each field, for errors; also how many fields each row has.
    columns: &'static [&'static str],
    /// What the query is for, for errors.
    context: String,
}

impl CopyOut {
    /// Starts `COPY (select) TO STDOUT (FORMAT binary)`, whose rows have `columns`.
    pub(crate) async fn start(
        pool: &PgPool,
        select: &str,
        columns: &'static [&'static str],
        context: String,
    ) -> Result<CopyOut> {
        let statement = format!("COPY ({select}) TO STDOUT (FORMAT binary)");
        let stream = pool
            .copy_out_raw(&statement)
            .await
            .context(|| context.clone())?;
        Ok(CopyOut::of(stream, columns, context))
    }

    fn of(
        stream: BoxStream<'static, sqlx::Result<bytes::Bytes>>,
        columns: &'static [&'static str],
        context: String,
    ) -> CopyOut {
        CopyOut {
            stream,
            buffer: Vec::new(),
            at: 0,
            header_read: false,
            ended: false,
            columns,
            context,
        }
    }

    /// The next row, or `None` after the last (the stream is then read to its end, so
    /// the connection goes back to the pool ready for another query).
    pub(crate) async fn next(&mut self) -> Result<Option<Row<'_>>> {
        loop {
            if !self.ended
                && let Some(end) = self.complete()?
            {
                let start = self.at;
                self.at = end;
                return Ok(Some(Row {
                    bytes: &self.buffer[start + 2..end],
                    columns: self.columns,
                    column: 0,
                }));
            }
            match self.stream.next().await {
                Some(chunk) => {
                    let chunk = chunk.context(|| self.context.clone())?;
                    if self.ended {
                        return Err(self.corrupt("data after the trailer".into()));
                    }
                    self.buffer.drain(..self.at);
                    self.at = 0;
                    self.buffer.extend_from_slice(&chunk);
                }
                None if self.ended => return Ok(None),
                None => return Err(self.corrupt("the copy ended before its trailer".into())),
            }
        }
    }

    /// Where the row at `at` ends, once all of it has arrived: `None` while more is needed
    /// (or once the trailer is read, which sets `ended`). Reads the header first.
    fn complete(&mut self) -> Result<Option<usize>> {
        let bytes = &self.buffer[self.at..];
        if !self.header_read {
            // The signature, a flags word, and an extension of the length given.
            let Some(extension) = bytes.get(15..19) else {
                return Ok(None);
            };
            if !bytes.starts_with(SIGNATURE) {
                return Err(self.corrupt("it does not begin with the binary COPY signature".into()));
            }
            let length =
                19 + u32::from_be_bytes(extension.try_into().expect("four bytes")) as usize;
            if bytes.len() < length {
                return Ok(None);
            }
            self.at += length;
            self.header_read = true;
            return self.complete();
        }
        let Some(fields) = bytes.get(..2) else {
            return Ok(None);
        };
        let fields = i16::from_be_bytes(fields.try_into().expect("two bytes"));
        if fields == -1 {
            self.at += 2;
            self.ended = true;
            return Ok(None);
        }
        if usize::try_from(fields).ok() != Some(self.columns.len()) {
            return Err(self.corrupt(format!(
                "a row of {fields} fields where {} were asked for",
                self.columns.len()
            )));
        }
        let mut end = 2;
        for _ in 0..fields {
            let Some(length) = bytes.get(end..end + 4) else {
                return Ok(None);
            };
            let length = i32::from_be_bytes(length.try_into().expect("four bytes"));
            end += 4 + usize::try_from(length).unwrap_or(0);
        }
        Ok((end <= bytes.len()).then_some(self.at + end))
    }

    fn corrupt(&self, reason: String) -> Error {
        Error::Corrupt {
            column: self.columns.first().copied().unwrap_or("copy"),
            value: format!("the binary COPY of {}", self.context),
            reason,
        }
    }
}

/// One row of a [`CopyOut`], its fields read in order.
pub(crate) struct Row<'b> {
    /// The fields, each its length and bytes.
    bytes: &'b [u8],
    columns: &'static [&'static str],
    column: usize,
}

impl<'b> Row<'b> {
    /// The next field's bytes, `None` for NULL.
    fn field(&mut self) -> Option<&'b [u8]> {
        let (length, rest) = self.bytes.split_at(4);
        let length = i32::from_be_bytes(length.try_into().expect("four bytes"));
        self.column += 1;
        let Ok(length) = usize::try_from(length) else {
            self.bytes = rest;
            return None;
        };
        let (field, rest) = rest.split_at(length);
        self.bytes = rest;
        Some(field)
    }

    fn corrupt(&self, value: &[u8], reason: &str) -> Error {
        Error::Corrupt {
            column: self.columns[self.column - 1],
            value: format!("{value:02x?}"),
            reason: reason.into(),
        }
    }

    /// The next field, which may be NULL, as `N` bytes.
    fn fixed<const N: usize>(&mut self) -> Result<Option<[u8; N]>> {
        self.field()
            .map(|bytes| {
                bytes
                    .try_into()
                    .map_err(|_| self.corrupt(bytes, &format!("not {N} bytes")))
            })
            .transpose()
    }

    /// The next field, which may not be NULL.
    fn present<T>(&self, value: Option<T>) -> Result<T> {
        value.ok_or_else(|| Error::Corrupt {
            column: self.columns[self.column - 1],
            value: "NULL".into(),
            reason: "the column may not be NULL".into(),
        })
    }

    /// A `BIGINT`.
    pub(crate) fn int8(&mut self) -> Result<i64> {
        let value = self.fixed::<8>()?.map(i64::from_be_bytes);
        self.present(value)
    }

    /// An `INTEGER` that may be NULL.
    pub(crate) fn int4_or_null(&mut self) -> Result<Option<i32>> {
        Ok(self.fixed::<4>()?.map(i32::from_be_bytes))
    }

    /// A `TEXT` that may be NULL.
    pub(crate) fn text_or_null(&mut self) -> Result<Option<&'b str>> {
        self.field()
            .map(|bytes| {
                std::str::from_utf8(bytes).map_err(|e| self.corrupt(bytes, &e.to_string()))
            })
            .transpose()
    }

    /// A `TEXT`.
    pub(crate) fn text(&mut self) -> Result<&'b str> {
        let value = self.text_or_null()?;
        self.present(value)
    }

    /// A `DATE`.
    pub(crate) fn date(&mut self) -> Result<NaiveDate> {
        let Some(days) = self.fixed::<4>()?.map(i32::from_be_bytes) else {
            return self.present(None);
        };
        days.checked_add(EPOCH_DAYS_FROM_CE)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .ok_or_else(|| self.corrupt(&days.to_be_bytes(), "not a date chrono holds (infinity?)"))
    }

    /// A `TIMESTAMPTZ`.
    pub(crate) fn timestamptz(&mut self) -> Result<DateTime<Utc>> {
        let Some(micros) = self.fixed::<8>()?.map(i64::from_be_bytes) else {
            return self.present(None);
        };
        micros
            .checked_add(EPOCH_MICROS_FROM_UNIX)
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(|| {
                self.corrupt(&micros.to_be_bytes(), "not a time chrono holds (infinity?)")
            })
    }
}

/// The ids of `devices` as the text of an SQL list (`1, 2, 3`), for a query COPY runs
/// without binds.
pub(crate) fn id_list(devices: &[DeviceId]) -> String {
    let mut list = String::new();
    for (i, device) in devices.iter().enumerate() {
        let separator = if i == 0 { "" } else { ", " };
        write!(list, "{separator}{}", device.0).expect("writing to a String cannot fail");
    }
    list
}

/// PostgreSQL's epoch for dates, 2000-01-01, as chrono counts days from the common era.
const EPOCH_DAYS_FROM_CE: i32 = 730_120;

/// PostgreSQL's epoch for times, 2000-01-01 00:00 UTC, in microseconds after Unix's.
const EPOCH_MICROS_FROM_UNIX: i64 = 946_684_800_000_000;

#[cfg(test)]
mod tests {
    use chrono::{Datelike, TimeZone};
    use futures_util::stream;

    use super::*;

    const COLUMNS: &[&str] = &["t.id", "t.name", "t.at"];

    /// A binary COPY of `rows` (id, name or NULL, microseconds after 2000), as PostgreSQL
    /// sends it, with its trailer when `trailer`.
    fn copy_of(rows: &[(i64, Option<&str>, i64)], trailer: bool) -> Vec<u8> {
        let mut bytes = SIGNATURE.to_vec();
        bytes.extend(0i32.to_be_bytes());
        bytes.extend(2u32.to_be_bytes());
        bytes.extend([0xab, 0xcd]);
        for (id, name, at) in rows {
            bytes.extend(3i16.to_be_bytes());
            bytes.extend(8i32.to_be_bytes());
            bytes.extend(id.to_be_bytes());
            match name {
                Some(name) => {
                    bytes.extend(i32::try_from(name.len()).unwrap().to_be_bytes());
                    bytes.extend(name.as_bytes());
                }
                None => bytes.extend((-1i32).to_be_bytes()),
            }
            bytes.extend(8i32.to_be_bytes());
            bytes.extend(at.to_be_bytes());
        }
        if trailer {
            bytes.extend((-1i16).to_be_bytes());
        }
        bytes
    }

    /// `bytes` arriving `size` at a time.
    fn arriving(bytes: &[u8], size: usize) -> CopyOut {
        let chunks: Vec<sqlx::Result<bytes::Bytes>> = bytes
            .chunks(size)
            .map(|chunk| Ok(bytes::Bytes::copy_from_slice(chunk)))
            .collect();
        CopyOut::of(Box::pin(stream::iter(chunks)), COLUMNS, "the test".into())
    }

    async fn read_all(mut copy: CopyOut) -> Result<Vec<(i64, Option<String>, DateTime<Utc>)>> {
        let mut rows = Vec::new();
        while let Some(mut row) = copy.next().await? {
            rows.push((
                row.int8()?,
                row.text_or_null()?.map(str::to_owned),
                row.timestamptz()?,
            ));
        }
        Ok(rows)
    }

    #[tokio::test]
    async fn rows_read_alike_however_the_bytes_are_split() {
        let bytes = copy_of(
            &[
                (1, Some("total"), 0),
                (2, None, 3_600_000_000),
                (3, Some(""), -1),
            ],
            true,
        );
        let at = |micros| DateTime::from_timestamp_micros(EPOCH_MICROS_FROM_UNIX + micros).unwrap();
        let expected = vec![
            (1, Some("total".to_owned()), at(0)),
            (2, None, at(3_600_000_000)),
            (3, Some(String::new()), at(-1)),
        ];
        for size in [1, 2, 7, 19, 64, bytes.len()] {
            assert_eq!(
                read_all(arriving(&bytes, size)).await.unwrap(),
                expected,
                "{size} bytes at a time"
            );
        }
    }

    #[tokio::test]
    async fn a_copy_cut_short_or_of_another_shape_is_refused_with_what_it_was_reading() {
        let cut = copy_of(&[(1, Some("total"), 0)], false);
        let error = read_all(arriving(&cut, 5)).await.unwrap_err().to_string();
        assert!(
            error.contains("the binary COPY of the test")
                && error.contains("ended before its trailer"),
            "{error}"
        );

        let mut text = b"1\ttotal\n".to_vec();
        text.extend(copy_of(&[], true));
        let error = read_all(arriving(&text, 64)).await.unwrap_err().to_string();
        assert!(error.contains("signature"), "{error}");

        let mut narrow = copy_of(&[], false);
        narrow.extend(2i16.to_be_bytes());
        let error = read_all(arriving(&narrow, 64))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("a row of 2 fields where 3 were asked for"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_null_or_a_wrong_width_where_a_value_belongs_names_the_column() {
        let mut copy = arriving(&copy_of(&[(1, None, 0)], true), 64);
        let mut row = copy.next().await.unwrap().unwrap();
        row.int8().unwrap();
        let error = row.text().unwrap_err().to_string();
        assert!(
            error.contains("`t.name`") && error.contains("may not be NULL"),
            "{error}"
        );
        let error = row.int4_or_null().unwrap_err().to_string();
        assert!(
            error.contains("`t.at`") && error.contains("not 4 bytes"),
            "{error}"
        );
    }

    #[test]
    fn the_epochs_are_postgresqls_2000_01_01() {
        let epoch = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(epoch.date_naive().num_days_from_ce(), EPOCH_DAYS_FROM_CE);
        assert_eq!(epoch.timestamp_micros(), EPOCH_MICROS_FROM_UNIX);
    }
}
