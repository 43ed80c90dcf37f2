//! Any text uploaded as a range CSV: no panic, rows and refusals name a line
//! of the upload (rows in increasing order), every row's fields are trimmed
//! and non-empty, and the rows written back as CSV (every field quoted) parse
//! to the same sites, ranges and parts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use quire_protocol::{Range, RangeRow, parse_range_csv};

fuzz_target!(|text: &str| {
    // CRLF, LF and a lone CR each end a line, and the last line need not end.
    let line_count = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .split('\n')
        .count();
    let rows = match parse_range_csv(text) {
        Ok(rows) => rows,
        Err(error) => {
            assert!(
                (1..=line_count).contains(&error.line),
                "{error} of {line_count}"
            );
            return;
        }
    };
    assert!(!rows.is_empty());
    assert!(rows.windows(2).all(|w| w[0].line < w[1].line), "{rows:?}");
    for row in &rows {
        assert!(
            (1..=line_count).contains(&row.line),
            "{row:?} of {line_count}"
        );
        assert!(trimmed(&row.site), "{row:?}");
        if let Some(part) = &row.part {
            assert!(trimmed(part), "{row:?}");
        }
    }
    let written: String = rows
        .iter()
        .map(|row| {
            let mut fields = vec![quoted(&row.site), quoted(&row.range.to_string())];
            fields.extend(row.part.as_deref().map(quoted));
            fields.join(",") + "\n"
        })
        .collect();
    let again = parse_range_csv(&written).unwrap_or_else(|e| panic!("{e}: {written}"));
    assert_eq!(fields(&again), fields(&rows), "{written}");
});

fn quoted(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

fn fields(rows: &[RangeRow]) -> Vec<(&str, &Range, Option<&str>)> {
    rows.iter()
        .map(|row| (row.site.as_str(), &row.range, row.part.as_deref()))
        .collect()
}

fn trimmed(field: &str) -> bool {
    !field.is_empty() && field.trim_ascii() == field
}
