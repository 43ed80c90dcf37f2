//! The CSV a dealer uploads to link discovery ranges to sites.
//!
//! Columns: `site,range[,part]`. `part` names the part of the network the range is, so a
//! schedule can differ for it; without it the range is the site's default part. A first
//! line `site,range,…` is a header; empty lines, rows whose fields are all empty (a
//! spreadsheet's empty row) and lines starting with `#` are skipped. The whole upload is
//! checked before anything is applied: one bad line refuses all of it, naming the line.
//!
//! Fields, quoting, a byte-order mark and line ends (LF, CRLF, or a lone CR as older
//! spreadsheets write) are read by the `csv` crate, as spreadsheets write them (RFC 4180:
//! a field is quoted with `"` from its first character, a doubled `""` is a quote). The
//! crate's own line count skips comment lines and counts a record from where reading
//! resumed, before the empty lines in front of it, so the line a message names is counted
//! here from the record's byte offset. No field of this format may span lines: a quoted
//! field that does is a missing closing quote, named at the line where it opened.

use crate::ranges::Range;

/// One line of an upload: a range for a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeRow {
    /// The line it came from (1-based), for messages about it later.
    pub line: usize,
    /// The site's name as the account knows it.
    pub site: String,
    /// The range.
    pub range: Range,
    /// The part of the network, when the row names one.
    pub part: Option<String>,
}

/// Why an upload was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct RangeUploadError {
    /// The 1-based line.
    pub line: usize,
    /// What is wrong there.
    pub message: String,
}

/// Parses a whole upload, or names its first bad line.
pub fn parse_range_csv(text: &str) -> Result<Vec<RangeRow>, RangeUploadError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut lines = LineCounter::new(text);
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::new();
    loop {
        let resumed_at = reader.position().byte();
        let read = reader.read_record(&mut record);
        let line = lines.line_at(record_start(text, resumed_at));
        let refuse = |message: String| RangeUploadError { line, message };
        if !read.map_err(|e| refuse(e.to_string()))? {
            break;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.iter().any(|field| field.contains(['\n', '\r'])) {
            return Err(refuse(
                "a quoted field runs past the end of the line; its closing quote is missing"
                    .to_owned(),
            ));
        }
        if rows.is_empty() && record[0].eq_ignore_ascii_case("site") {
            continue;
        }
        if !(2..=3).contains(&record.len()) {
            return Err(refuse(format!(
                "expected site,range[,part] but found {} field(s)",
                record.len()
            )));
        }
        let site = &record[0];
        if site.is_empty() {
            return Err(refuse("the site is empty".to_owned()));
        }
        let range: Range = record[1]
            .parse()
            .map_err(|e: crate::RangeError| refuse(e.to_string()))?;
        let part = record.get(2).filter(|p| !p.is_empty()).map(str::to_owned);
        rows.push(RangeRow {
            line,
            site: site.to_owned(),
            range,
            part,
        });
    }
    if rows.is_empty() {
        return Err(RangeUploadError {
            line: LineCounter::new(text).line_at(text.trim_end_matches(['\r', '\n']).len()),
            message: "the upload holds no ranges".to_owned(),
        });
    }
    Ok(rows)
}

/// Where the record read from `resumed_at` begins: past the byte-order mark, the line ends
/// of empty lines and the comment lines that the reader skips before it.
fn record_start(text: &str, resumed_at: u64) -> usize {
    let bytes = text.as_bytes();
    let mut at = usize::try_from(resumed_at).map_or(bytes.len(), |at| at.min(bytes.len()));
    if at == 0 && text.starts_with('\u{feff}') {
        at = '\u{feff}'.len_utf8();
    }
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\r' | b'\n' => at += 1,
            b'#' => {
                at += bytes[at..]
                    .iter()
                    .position(|&b| b == b'\r' || b == b'\n')
                    .unwrap_or(bytes.len() - at);
            }
            _ => break,
        }
    }
    at
}

/// Turns byte offsets, met in increasing order, into 1-based line numbers; CRLF, LF and a
/// lone CR each end a line, as they end a record for the reader.
struct LineCounter<'a> {
    bytes: &'a [u8],
    counted_to: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            counted_to: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.bytes.len());
        for at in self.counted_to..offset {
            let ends_line = match self.bytes[at] {
                b'\n' => true,
                b'\r' => self.bytes.get(at + 1) != Some(&b'\n'),
                _ => false,
            };
            self.line += usize::from(ends_line);
        }
        self.counted_to = self.counted_to.max(offset);
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line an upload is refused at, and why.
    fn refused(text: &str) -> (usize, String) {
        let error = parse_range_csv(text).unwrap_err();
        (error.line, error.message)
    }

    fn refused_at(text: &str) -> usize {
        refused(text).0
    }

    #[test]
    fn a_dealers_upload() {
        let rows = parse_range_csv(
            "site,range,part\n\
             # head office\n\
             Head office,10.0.0.0/24,\n\
             \"Warehouse, north\",10.0.1.1-50,\"floor \"\"2\"\"\"\n\
             \n\
             Head office, printer.example ,printers\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[0].part, None);
        assert_eq!(rows[1].site, "Warehouse, north");
        assert_eq!(rows[1].range.len(), 50);
        assert_eq!(rows[1].part.as_deref(), Some("floor \"2\""));
        assert_eq!(rows[2].line, 6);
        assert_eq!(rows[2].range, Range::Host("printer.example".into()));
    }

    #[test]
    fn a_spreadsheet_export_with_bom_crlf_and_empty_rows() {
        let rows = parse_range_csv(
            "\u{feff}Site,Range,Part\r\n\
             Head office,10.0.0.0/24,\r\n\
             ,,\r\n\
             \r\n\
             \"Warehouse, north\",10.0.1.1-50,dock\r\n",
        )
        .unwrap();
        let lines: Vec<_> = rows.iter().map(|r| (r.line, r.site.as_str())).collect();
        assert_eq!(lines, [(2, "Head office"), (5, "Warehouse, north")]);
        assert_eq!(rows[1].part.as_deref(), Some("dock"));
        assert_eq!(
            refused_at("\u{feff}site,range\r\n\r\nHead office,10.0.0.0/4\r\n"),
            3
        );
    }

    #[test]
    fn lines_ended_by_a_lone_cr_are_counted() {
        assert_eq!(
            refused_at("Head office,10.0.0.1\rHead office,10.0.0.0/4\r"),
            2
        );
    }

    #[test]
    fn the_first_bad_line_is_named() {
        let error =
            parse_range_csv("Head office,10.0.0.0/24\nHead office,10.0.0.0/4\n").unwrap_err();
        assert_eq!(error.line, 2);
        assert!(
            error
                .to_string()
                .starts_with("line 2: range \"10.0.0.0/4\""),
            "{error}"
        );
        assert_eq!(refused(",10.0.0.1"), (1, "the site is empty".to_owned()));
        assert_eq!(
            refused("site,range\n"),
            (1, "the upload holds no ranges".to_owned())
        );
    }

    #[test]
    fn empty_and_comment_lines_before_a_bad_line_are_counted() {
        assert_eq!(
            refused_at(
                "# ranges of \"north\n\nHead office,10.0.0.1\n\n\n# next\n  \nx,10.0.0.0/4\n"
            ),
            8
        );
    }

    #[test]
    fn extra_or_missing_columns_name_their_line() {
        let expected = |n: usize| format!("expected site,range[,part] but found {n} field(s)");
        assert_eq!(
            refused("a,10.0.0.1\nb,10.0.0.2,floor,4\n"),
            (2, expected(4))
        );
        assert_eq!(refused("a,10.0.0.1\n\nHead office\n"), (3, expected(1)));
    }

    #[test]
    fn an_unclosed_quote_is_named_where_it_opened() {
        let (line, message) = refused("a,10.0.0.1\n\"Warehouse, north,10.0.0.2\nb,10.0.0.3\n");
        assert_eq!(line, 2, "{message}");
        assert!(message.contains("closing quote"), "{message}");
    }

    #[test]
    fn a_quoted_field_keeps_its_commas_and_quotes() {
        let rows = parse_range_csv("\"a \"\"b\"\", c\",\"10.0.0.1\"\n").unwrap();
        assert_eq!(rows[0].site, "a \"b\", c");
        assert_eq!(rows[0].range, Range::Address("10.0.0.1".parse().unwrap()));
    }
}
