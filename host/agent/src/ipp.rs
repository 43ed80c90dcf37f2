//! Printers read over IPP instead of SNMP: network printers whose SNMP is off, and
//! the queues of a CUPS server — on the agent's own host, the USB printers it shares.
//!
//! Every request goes through a [`DeviceTransport`], as a strategy's HTTP does: live,
//! the bounded device exchange ([`DeviceExchanges`]: one connection to the printer's
//! address, bounded in time and size, TLS without certificate checks for `ipps`),
//! recorded by the same [`ExchangeRecorder`] into the same exchange log, so an IPP read
//! replays ([`read_through`] a [`ReplayTransport`](quire_transport::ReplayTransport)) as
//! any other. Decoding and the reading are `quire-ipp`'s.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use quire_ipp::PrinterUri;
use quire_model::{Reading, StrategyRef};
use quire_transport::{
    DeviceExchanges, DeviceExchangesConfig, DeviceTransport, ExchangeLog, ExchangeRecorder,
    HttpMethod, HttpRequest, NoDevice, WithExchanges,
};

use crate::clock::Clock;

/// The local CUPS server, where a host's USB printers are shared.
pub const LOCAL_CUPS: &str = "127.0.0.1:631";

/// What one IPP read gave.
#[derive(Debug, Clone)]
pub struct IppRead {
    /// When the read began (UTC).
    pub taken_at: DateTime<Utc>,
    /// The reading.
    pub reading: Reading,
    /// The read's exchanges with the printer, as `quire record` keeps them (one HTTP POST).
    pub exchanges: ExchangeLog,
}

/// The strategy IPP readings are filed under: the host's own reader, not a plugin.
pub fn strategy() -> StrategyRef {
    StrategyRef {
        name: "ipp".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// Refuses a printer URI that could never be read, saying why, without
/// resolving its host (a name that does not resolve today may tomorrow).
pub fn check(uri: &str) -> Result<(), String> {
    PrinterUri::parse(uri).map(|_| ())
}

/// The address of the printer at `uri`. A host name is resolved once, here, by
/// the runtime's resolver (off the async workers: a slow DNS server must not
/// stall the other reads).
async fn resolve(uri: &PrinterUri, text: &str) -> Result<IpAddr, String> {
    if let Ok(addr) = uri.host.parse::<IpAddr>() {
        return Ok(addr);
    }
    tokio::net::lookup_host((uri.host.as_str(), uri.port))
        .await
        .map_err(|e| format!("{text}: cannot resolve {}: {e}", uri.host))?
        .next()
        .map(|found| found.ip())
        .ok_or_else(|| format!("{text}: {} has no address", uri.host))
}

/// The bounded live transport to the printer at `uri`: HTTP to its address, no SNMP.
async fn connect(uri: &str) -> Result<(PrinterUri, WithExchanges<NoDevice>), String> {
    let parsed = PrinterUri::parse(uri)?;
    let addr = resolve(&parsed, uri).await?;
    let exchanges = DeviceExchanges::new(addr, DeviceExchangesConfig::default());
    Ok((parsed, WithExchanges::new(NoDevice, exchanges)))
}

/// One IPP exchange with the printer at `target` through `transport`.
async fn exchange(
    transport: &dyn DeviceTransport,
    target: &PrinterUri,
    body: Vec<u8>,
) -> Result<quire_ipp::Message, String> {
    let answer = transport
        .http_send(&HttpRequest {
            method: HttpMethod::Post,
            tls: target.tls,
            port: Some(target.port),
            path: target.path.clone(),
            headers: vec![("Content-Type".into(), "application/ipp".into())],
            body: Some(body),
        })
        .await
        .map_err(|e| e.to_string())?;
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
    Ok(message)
}

/// Reads the printer at `uri`, recording the exchange, stamped by `clock`. The error
/// names the URI.
#[tracing::instrument(name = "read", skip_all, fields(device = %uri))]
pub async fn read(uri: &str, clock: &Clock) -> Result<IppRead, String> {
    let taken_at = clock.now();
    let (_, live) = connect(uri).await?;
    let recorder = ExchangeRecorder::new(live);
    let reading = read_through(&recorder, uri).await?;
    Ok(IppRead {
        taken_at,
        reading,
        exchanges: recorder.log(),
    })
}

/// Reads the printer at `uri` through `transport`: the live device, or a replay
/// of an earlier read's exchanges. The error names the URI.
pub async fn read_through(transport: &dyn DeviceTransport, uri: &str) -> Result<Reading, String> {
    let target = PrinterUri::parse(uri)?;
    let request = quire_ipp::get_printer_attributes(uri, 1, quire_ipp::GET_PRINTER_ATTRIBUTES);
    let message = exchange(transport, &target, request)
        .await
        .map_err(|e| format!("{uri}: {e}"))?;
    Ok(quire_ipp::reading(&message))
}

/// The queues of the CUPS server at `server` (`host[:port]`), as URIs on that
/// server: CUPS names each queue `ipp://<its own host name>/printers/NAME`,
/// which need not resolve from here, so only the path is kept.
pub async fn cups_queues(server: &str) -> Result<Vec<String>, String> {
    let base = format!("ipp://{server}");
    let (target, live) = connect(&format!("{base}/"))
        .await
        .map_err(|e| format!("CUPS at {server}: {e}"))?;
    let request = quire_ipp::cups_get_printers(1, &["printer-uri-supported", "printer-name"]);
    let message = exchange(&live, &target, request)
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

    async fn address(uri: &str) -> Result<(IpAddr, u16, bool, String), String> {
        let parsed = PrinterUri::parse(uri)?;
        let addr = resolve(&parsed, uri).await?;
        Ok((addr, parsed.port, parsed.tls, parsed.path))
    }

    #[tokio::test]
    async fn a_uri_gives_the_address_to_connect_to() {
        assert_eq!(
            address("ipp://127.0.0.1:18632/ipp/print").await.unwrap(),
            (
                "127.0.0.1".parse().unwrap(),
                18632,
                false,
                "/ipp/print".into()
            )
        );
        let (addr, port, tls, _) = address("ipps://[::1]/printers/office").await.unwrap();
        assert_eq!((addr, port, tls), ("::1".parse().unwrap(), 631, true));
        let (named, ..) = address("ipp://localhost:18632/ipp/print").await.unwrap();
        assert!(named.is_loopback(), "{named}");
        assert!(address("ftp://127.0.0.1/").await.is_err());
        assert!(check("ftp://127.0.0.1/").is_err());
        // Checked without resolving the name (no lookup leaves this machine).
        assert_eq!(check("ipp://printer.invalid/ipp/print"), Ok(()));
    }
}
