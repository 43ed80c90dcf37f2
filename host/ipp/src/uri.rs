//! Printer URIs (`ipp://host[:port]/path`, RFC 3510; `ipps://`, RFC 7472), checked
//! where they are given (a dealer's site settings, an agent's options) so that a URI
//! that could never be read is refused there, not found out at every cycle.

/// IPP's port for `ipp://` and `ipps://` alike (RFC 8010 section 8.1, RFC 7472).
pub const IPP_PORT: u16 = 631;

/// Where a printer answers IPP. The host is kept as written, a name or an address:
/// a name that does not resolve today may tomorrow, so it is resolved when read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterUri {
    /// A host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// Whether the exchange is over TLS (`ipps`, `https`).
    pub tls: bool,
    /// The printer's path (`/ipp/print`, `/printers/office`).
    pub path: String,
}

impl PrinterUri {
    /// `ipp://host[:port]/path` or `ipps://...`, and `http(s)://` for printers that
    /// give those. The error names the URI and what is wrong with it.
    pub fn parse(uri: &str) -> Result<PrinterUri, String> {
        let (scheme, rest) = uri
            .split_once("://")
            .ok_or_else(|| format!("{uri}: not a URI (ipp://host/path)"))?;
        let tls = match scheme.to_ascii_lowercase().as_str() {
            "ipp" | "http" => false,
            "ipps" | "https" => true,
            other => {
                return Err(format!(
                    "{uri}: scheme {other:?} is not ipp, ipps, http or https"
                ));
            }
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed
                    .split_once(']')
                    .ok_or_else(|| format!("{uri}: no ']' after the IPv6 address"))?;
                match after.strip_prefix(':') {
                    Some(port) => (host, port),
                    None if after.is_empty() => (host, ""),
                    None => return Err(format!("{uri}: {after:?} after the IPv6 address")),
                }
            }
            None => authority.split_once(':').unwrap_or((authority, "")),
        };
        let port = if port.is_empty() {
            IPP_PORT
        } else {
            port.parse::<u16>()
                .map_err(|_| format!("{uri}: port {port:?} is not a number"))?
        };
        if host.is_empty() {
            return Err(format!("{uri}: no host"));
        }
        Ok(PrinterUri {
            host: host.to_owned(),
            port,
            tls,
            path: path.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str) -> (String, u16, bool, String) {
        let p = PrinterUri::parse(uri).unwrap();
        (p.host, p.port, p.tls, p.path)
    }

    #[test]
    fn uris_give_host_port_tls_and_path() {
        assert_eq!(
            parts("ipp://127.0.0.1:18632/ipp/print"),
            ("127.0.0.1".into(), 18632, false, "/ipp/print".into())
        );
        assert_eq!(
            parts("ipps://printer.example/printers/office"),
            (
                "printer.example".into(),
                631,
                true,
                "/printers/office".into()
            )
        );
        assert_eq!(parts("IPP://127.0.0.2").3, "/");
        assert_eq!(
            parts("ipp://[::1]:8631/ipp"),
            ("::1".into(), 8631, false, "/ipp".into())
        );
        assert_eq!(
            parts("ipp://[::1]/ipp"),
            ("::1".into(), 631, false, "/ipp".into())
        );
    }

    #[test]
    fn bad_uris_say_what_is_wrong() {
        for (bad, why) in [
            ("127.0.0.1", "not a URI"),
            ("ftp://127.0.0.1/", "scheme \"ftp\""),
            ("ipp://127.0.0.1:port/", "port \"port\""),
            ("ipp://127.0.0.1:70000/", "port \"70000\""),
            ("ipp:///x", "no host"),
            ("ipp://[::1/x", "no ']'"),
            ("ipp://[::1]x/", "after the IPv6 address"),
        ] {
            let error = PrinterUri::parse(bad).unwrap_err();
            assert!(
                error.starts_with(bad) && error.contains(why),
                "{bad}: {error}"
            );
        }
    }
}
