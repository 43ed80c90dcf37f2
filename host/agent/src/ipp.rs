//! Printers read over IPP instead of SNMP: network printers whose SNMP is off, and
//! the queues of a CUPS server — on the agent's own host, the USB printers it shares.
//!
//! Every request goes through the host's bounded device exchange
//! ([`DeviceExchanges`]): one connection to the printer's address, bounded in time
//! and size, TLS without certificate checks for `ipps`, exactly as a strategy's
//! HTTP to a device. Decoding and the reading are `quire-ipp`'s. The exchange is kept
//! as the `.exchanges.jsonl` log a strategy's reads are kept in, for the server.

use std::net::{IpAddr, ToSocketAddrs as _};

use chrono::{DateTime, Utc};
use quire_ipp::PrinterUri;
use quire_model::{Reading, StrategyRef};
use quire_plugins::{
    DeviceExchanges, DeviceExchangesConfig, Exchange, ExchangeLog, HttpMethod, HttpRequest,
};

/// The local CUPS server, where a host's USB printers are shared.
pub const LOCAL_CUPS: &str = "127.0.0.1:631";

/// What one IPP read gave.
#[derive(Debug, Clone)]
pub struct IppRead {
    /// When the read began (UTC).
    pub taken_at: DateTime<Utc>,
    /// The reading.
    pub reading: Reading,
    /// The IPP request and answer as an `.exchanges.jsonl` log (one HTTP POST).
    pub exchanges: String,
}

/// The strategy IPP readings are filed under: the host's own reader, not a plugin.
pub fn strategy() -> StrategyRef {
    StrategyRef {
        name: "ipp".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Where an IPP URI points.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    addr: IpAddr,
    port: u16,
    tls: bool,
    path: String,
}

/// Refuses a printer URI that could never be read, saying why, without
/// resolving its host (a name that does not resolve today may tomorrow).
pub fn check(uri: &str) -> Result<(), String> {
    PrinterUri::parse(uri).map(|_| ())
}

/// Where the printer at `uri` answers. A host name is resolved once, here.
fn parse(uri: &str) -> Result<Target, String> {
    let PrinterUri {
        host,
        port,
        tls,
        path,
    } = PrinterUri::parse(uri)?;
    let addr = match host.parse::<IpAddr>() {
        Ok(addr) => addr,
        Err(_) => (host.as_str(), port)
            .to_socket_addrs()
            .map_err(|e| format!("{uri}: cannot resolve {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{uri}: {host} has no address"))?
            .ip(),
    };
    Ok(Target {
        addr,
        port,
        tls,
        path,
    })
}

/// One IPP exchange with `target`: the answer, and the exchange as it is logged.
async fn exchange(
    target: &Target,
    body: Vec<u8>,
) -> Result<(quire_ipp::Message, Exchange), String> {
    let exchanges = DeviceExchanges::new(target.addr, DeviceExchangesConfig::default());
    let request = HttpRequest {
        method: HttpMethod::Post,
        tls: target.tls,
        port: Some(target.port),
        path: target.path.clone(),
        headers: vec![("Content-Type".into(), "application/ipp".into())],
        body: Some(body),
    };
    let answer = exchanges.http(&request).await.map_err(|e| e.to_string())?;
    if answer.status != 200 {
        return Err(format!("HTTP {} instead of an IPP answer", answer.status));
    }
    let message = quire_ipp::decode(&answer.body).map_err(|e| e.to_string())?;
    if !message.successful() {
        return Err(format!(
            "the printer refused the request (IPP status {:#06x})",
            message.status
        ));
    }
    let logged = Exchange::Http {
        request: HttpRequest {
            headers: Vec::new(),
            ..request
        },
        answer: Ok(answer),
    };
    Ok((message, logged))
}

/// Reads the printer at `uri`. The error names the URI.
pub async fn read(uri: &str) -> Result<IppRead, String> {
    let taken_at = Utc::now();
    let target = parse(uri)?;
    let request = quire_ipp::get_printer_attributes(uri, 1, quire_ipp::GET_PRINTER_ATTRIBUTES);
    let (message, logged) = exchange(&target, request)
        .await
        .map_err(|e| format!("{uri}: {e}"))?;
    Ok(IppRead {
        taken_at,
        reading: quire_ipp::reading(&message),
        exchanges: ExchangeLog::new(vec![logged]).to_jsonl(),
    })
}

/// The queues of the CUPS server at `server` (`host[:port]`), as URIs on that
/// server: CUPS names each queue `ipp://<its own host name>/printers/NAME`,
/// which need not resolve from here, so only the path is kept.
pub async fn cups_queues(server: &str) -> Result<Vec<String>, String> {
    let base = format!("ipp://{server}");
    let target = parse(&format!("{base}/")).map_err(|e| format!("CUPS at {server}: {e}"))?;
    let request = quire_ipp::cups_get_printers(1, &["printer-uri-supported", "printer-name"]);
    let (message, _) = exchange(&target, request)
        .await
        .map_err(|e| format!("CUPS at {server}: {e}"))?;
    let mut queues = Vec::new();
    for printer in message.printers() {
        let path = printer
            .attribute("printer-uri-supported")
            .and_then(|a| a.text())
            .and_then(|uri| uri.split_once("://").map(|(_, rest)| rest))
            .and_then(|rest| rest.find('/').map(|at| rest[at..].to_owned()))
            .or_else(|| {
                let name = printer.attribute("printer-name")?.text()?;
                Some(format!("/printers/{name}"))
            });
        if let Some(path) = path {
            queues.push(format!("{base}{path}"));
        }
    }
    Ok(queues)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uri_gives_the_address_to_connect_to() {
        let t = parse("ipp://127.0.0.1:18632/ipp/print").unwrap();
        assert_eq!(
            t,
            Target {
                addr: "127.0.0.1".parse().unwrap(),
                port: 18632,
                tls: false,
                path: "/ipp/print".into()
            }
        );
        let t = parse("ipps://[::1]/printers/office").unwrap();
        assert_eq!((t.addr, t.port, t.tls), ("::1".parse().unwrap(), 631, true));
        assert!(parse("ftp://127.0.0.1/").is_err());
        assert!(check("ftp://127.0.0.1/").is_err());
        // Checked without resolving the name (no lookup leaves this machine).
        assert_eq!(check("ipp://printer.invalid/ipp/print"), Ok(()));
    }
}
