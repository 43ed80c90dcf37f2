//! The CSV a dealer uploads to link discovery ranges to sites.
//!
//! Columns: `site,range[,part]`. `part` names the part of the network the range is, so a
//! schedule can differ for it; without it the range is the site's default part. A first
//! line `site,range,…` is a header; blank lines and lines starting with `#` are skipped;
//! fields may be quoted with `"` (a doubled `""` is a quote). The whole upload is checked
//! before anything is applied: one bad line refuses all of it, naming the line.

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
    let mut rows = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let refuse = |message: String| RangeUploadError { line, message };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields = split_fields(trimmed).map_err(refuse)?;
        if rows.is_empty()
            && fields
                .first()
                .is_some_and(|f| f.trim().eq_ignore_ascii_case("site"))
        {
            continue;
        }
        if !(2..=3).contains(&fields.len()) {
            return Err(refuse(format!(
                "expected site,range[,part] but found {} field(s)",
                fields.len()
            )));
        }
        let site = fields[0].trim();
        if site.is_empty() {
            return Err(refuse("the site is empty".to_owned()));
        }
        let range: Range = fields[1]
            .parse()
            .map_err(|e: crate::RangeError| refuse(e.to_string()))?;
        let part = fields
            .get(2)
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(str::to_owned);
        rows.push(RangeRow {
            line,
            site: site.to_owned(),
            range,
            part,
        });
    }
    if rows.is_empty() {
        return Err(RangeUploadError {
            line: text.lines().count().max(1),
            message: "the upload holds no ranges".to_owned(),
        });
    }
    Ok(rows)
}

fn split_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, '"') => return Err("a quote inside an unquoted field".to_owned()),
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".to_owned());
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(parse_range_csv("a,b,c,d").unwrap_err().line, 1);
        assert!(
            parse_range_csv("x,\"10.0.0.1")
                .unwrap_err()
                .message
                .contains("not closed")
        );
        assert!(
            parse_range_csv(",10.0.0.1")
                .unwrap_err()
                .message
                .contains("site is empty")
        );
        assert!(
            parse_range_csv("site,range\n")
                .unwrap_err()
                .message
                .contains("no ranges")
        );
    }
}
