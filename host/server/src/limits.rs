//! How much one request may carry and one tenant may store, and the one check of a name
//! that every name people or agents give passes. Each bound keeps one caller from
//! costing the server (or every agent of an account) out of proportion: a body is refused
//! on its `Content-Length` before it is read, a list over its cap is refused naming it.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use quire_protocol::SiteRange;

use crate::error::{ApiResult, Failure, api_error};

/// A request body's most bytes: the largest thing sent is a strategy or plugin
/// component, well under it.
pub(crate) const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// A request head's most bytes answered as the API's 431; a browser's or an agent's is a
/// few hundred.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// A head's most bytes read at all: beyond this hyper answers 431 on its own, with no
/// body, without reading further.
pub(crate) const MAX_HEADER_BYTES_READ: usize = 64 * 1024;

/// The most characters of a name (account, site, user): a screen's line.
pub(crate) const MAX_NAME_CHARS: usize = 200;

/// The most characters of a host name an agent reports: DNS's own limit.
pub(crate) const MAX_HOST_NAME_CHARS: usize = 253;

/// Discovery ranges of one site.
pub(crate) const MAX_RANGES_PER_SITE: usize = 256;

/// Addresses one site's ranges cover (a /12): every one is probed on every discovery.
pub(crate) const MAX_ADDRESSES_PER_SITE: u64 = 1 << 20;

/// Addresses all of one account's sites cover (four /12s).
pub(crate) const MAX_ADDRESSES_PER_ACCOUNT: u64 = 1 << 22;

/// IPP printers one site lists.
pub(crate) const MAX_IPP_PRINTERS_PER_SITE: usize = 1024;

/// SNMP credential sets of one account: agents try each on every silent device.
pub(crate) const MAX_CREDENTIAL_SETS: usize = 32;

/// Lines of one range CSV upload.
pub(crate) const MAX_CSV_LINES: usize = 10_000;

/// `name` trimmed, when it is a name: not empty, at most `max_chars` characters, and
/// none that would hide or forge text where it is shown (control characters, which
/// include NUL, escape and newline, and bidirectional overrides and isolates). Refused
/// naming `field` otherwise.
pub(crate) fn check_name<'a>(field: &str, name: &'a str, max_chars: usize) -> ApiResult<&'a str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Failure::invalid(field, "the name is empty"));
    }
    let chars = name.chars().count();
    if chars > max_chars {
        return Err(Failure::invalid(
            field,
            format!("the name is {chars} characters long; at most {max_chars} are allowed"),
        ));
    }
    if let Some((at, c)) = name
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() || is_bidi_control(*c))
    {
        let kind = if c.is_control() {
            "a control character"
        } else {
            "a bidirectional text control"
        };
        return Err(Failure::invalid(
            field,
            format!(
                "character {} is U+{:04X}, {kind}; a name holds printable text only",
                at + 1,
                u32::from(c)
            ),
        ));
    }
    Ok(name)
}

/// The characters that reorder how text around them is shown.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Refuses a list of `what` longer than `max`, naming `field`.
pub(crate) fn check_count(field: &str, what: &str, count: usize, max: usize) -> ApiResult<()> {
    if count > max {
        return Err(Failure::invalid(
            field,
            format!("{count} {what}; at most {max} are allowed"),
        ));
    }
    Ok(())
}

/// Addresses `ranges` cover (a host name counts as one).
pub(crate) fn addresses(ranges: &[SiteRange]) -> u64 {
    ranges.iter().map(|r| r.range.len()).sum()
}

/// Refuses a site's new ranges (`field`) over the per-site caps, or when with
/// `elsewhere` (the addresses of the account's other sites) they pass the per-account
/// cap.
pub(crate) fn check_ranges(field: &str, ranges: &[SiteRange], elsewhere: u64) -> ApiResult<()> {
    check_count(field, "ranges", ranges.len(), MAX_RANGES_PER_SITE)?;
    let here = addresses(ranges);
    if here > MAX_ADDRESSES_PER_SITE {
        return Err(Failure::invalid(
            field,
            format!(
                "the ranges cover {here} addresses; a site may cover at most {MAX_ADDRESSES_PER_SITE}"
            ),
        ));
    }
    if here + elsewhere > MAX_ADDRESSES_PER_ACCOUNT {
        return Err(Failure::invalid(
            field,
            format!(
                "with the account's other sites' {elsewhere} addresses the ranges make {}; an account may cover at most {MAX_ADDRESSES_PER_ACCOUNT}",
                here + elsewhere
            ),
        ));
    }
    Ok(())
}

/// Refuses a request whose head is over [`MAX_HEADER_BYTES`] (431, naming the largest
/// header) or whose `Content-Length` is over [`MAX_BODY_BYTES`] (413), before its body
/// is read.
pub(crate) async fn refuse_oversized(request: Request, next: Next) -> Response {
    let headers = request.headers();
    let head: usize = request.uri().to_string().len()
        + headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum::<usize>();
    if head > MAX_HEADER_BYTES {
        let largest = headers
            .iter()
            .max_by_key(|(_, value)| value.len())
            .map(|(name, _)| name.as_str().to_owned());
        return api_error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            largest,
            format!("the request's head is {head} bytes; at most {MAX_HEADER_BYTES} are read"),
        );
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(length) = declared
        && length > MAX_BODY_BYTES as u64
    {
        return api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("body".to_owned()),
            format!("the body is {length} bytes; at most {MAX_BODY_BYTES} are read"),
        );
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_with_a_control_or_bidi_character_is_refused_naming_where() {
        assert_eq!(
            check_name("name", "  Head office ", 200).unwrap(),
            "Head office"
        );
        let error = check_name("name", "Head\u{1b}[31m office", 200).unwrap_err();
        assert_eq!(
            error.to_string(),
            "name: character 5 is U+001B, a control character; a name holds printable text only"
        );
        let error = check_name("name", "invoice\u{202E}fdp.exe", 200).unwrap_err();
        assert!(
            error.to_string().contains("U+202E, a bidirectional"),
            "{error}"
        );
        assert!(check_name("name", "a\0b", 200).is_err());
        assert!(check_name("name", "Zürich – Bürо 東京", 200).is_ok());
        let error = check_name("name", &"x".repeat(201), 200).unwrap_err();
        assert!(error.to_string().contains("201 characters"), "{error}");
        assert!(check_name("name", " \t ", 200).is_err());
    }
}
