//! `quire ipp`: printers read over IPP instead of SNMP, one URI each, or
//! every queue of a CUPS server (the USB printers of the machine it runs on).
//!
//! The request goes through the host's own device exchange
//! ([`DeviceExchanges`]): one connection to the printer's address, bounded in
//! time and size, TLS without certificate checks for `ipps`, exactly as a
//! strategy's HTTP to a device.

use std::net::{IpAddr, ToSocketAddrs as _};

use anyhow::{Context as _, bail};
use quire_model::StrategyRef;
use quire_plugins::{DeviceExchanges, DeviceExchangesConfig, HttpMethod, HttpRequest};

use crate::output::Outcome;

/// IPP's port for `ipp://` and `ipps://` alike (RFC 8010 section 8.1, RFC 7472).
const IPP_PORT: u16 = 631;

/// Where an IPP URI points.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    addr: IpAddr,
    port: u16,
    tls: bool,
    path: String,
}

/// `ipp://host[:port]/path` or `ipps://...` (and `http(s)://` for printers
/// that give those). A host name is resolved once, here.
fn parse(uri: &str) -> anyhow::Result<Target> {
    let (scheme, rest) = uri
        .split_once("://")
        .with_context(|| format!("{uri}: not a URI (ipp://host/path)"))?;
    let tls = match scheme.to_ascii_lowercase().as_str() {
        "ipp" | "http" => false,
        "ipps" | "https" => true,
        other => bail!("{uri}: scheme {other:?} is not ipp, ipps, http or https"),
    };
    let (authority, path) = match rest.find('/') {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => (
            host,
            port.parse::<u16>()
                .with_context(|| format!("{uri}: port {port:?} is not a number"))?,
        ),
        _ => (authority, IPP_PORT),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        bail!("{uri}: no host");
    }
    let addr = match host.parse::<IpAddr>() {
        Ok(addr) => addr,
        Err(_) => (host, port)
            .to_socket_addrs()
            .with_context(|| format!("{uri}: cannot resolve {host}"))?
            .next()
            .with_context(|| format!("{uri}: {host} has no address"))?
            .ip(),
    };
    Ok(Target {
        addr,
        port,
        tls,
        path: path.to_owned(),
    })
}

/// One IPP exchange with `target`; `printer_uri` goes in the request as the
/// printer asked about.
async fn exchange(target: &Target, body: Vec<u8>) -> anyhow::Result<quire_ipp::Message> {
    let exchanges = DeviceExchanges::new(target.addr, DeviceExchangesConfig::default());
    let answer = exchanges
        .http(&HttpRequest {
            method: HttpMethod::Post,
            tls: target.tls,
            port: Some(target.port),
            path: target.path.clone(),
            headers: vec![("Content-Type".into(), "application/ipp".into())],
            body: Some(body),
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if answer.status != 200 {
        bail!("HTTP {} instead of an IPP answer", answer.status);
    }
    let message = quire_ipp::decode(&answer.body)?;
    if !message.successful() {
        bail!(
            "the printer refused Get-Printer-Attributes (IPP status {:#06x})",
            message.status
        );
    }
    Ok(message)
}

/// Reads the printer at `uri`; a failure is this printer's outcome alone.
pub async fn read(uri: &str) -> Outcome {
    let strategy = StrategyRef {
        name: "ipp".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    };
    let result = async {
        let target = parse(uri)?;
        let request = quire_ipp::get_printer_attributes(uri, 1, quire_ipp::GET_PRINTER_ATTRIBUTES);
        exchange(&target, request).await
    }
    .await;
    match result {
        Ok(message) => Outcome::Read {
            file: uri.to_owned(),
            strategy,
            warnings: Vec::new(),
            reading: Box::new(quire_ipp::reading(&message)),
        },
        Err(e) => Outcome::Failed {
            file: uri.to_owned(),
            strategy: Some(strategy),
            error: format!("{e:#}"),
        },
    }
}

/// The queues of the CUPS server at `server` (`host[:port]`, default the
/// local one), as URIs on that server: CUPS names each queue
/// `ipp://<its own host name>/printers/NAME`, which need not resolve from
/// here, so only the path is kept.
pub async fn cups_queues(server: &str) -> anyhow::Result<Vec<String>> {
    let base = format!("ipp://{server}");
    let mut target = parse(&format!("{base}/")).with_context(|| format!("--cups {server}"))?;
    target.path = "/".into();
    let request = quire_ipp::cups_get_printers(1, &["printer-uri-supported", "printer-name"]);
    let message = exchange(&target, request)
        .await
        .with_context(|| format!("CUPS at {server}"))?;
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

/// Reads every URI, then every queue of `cups` when given; one outcome each.
pub async fn run(uris: &[String], cups: Option<&str>) -> anyhow::Result<Vec<Outcome>> {
    let mut all: Vec<String> = uris.to_vec();
    if let Some(server) = cups {
        all.extend(cups_queues(server).await?);
    }
    if all.is_empty() {
        bail!("nothing to read: give printer URIs or --cups");
    }
    let mut outcomes = Vec::new();
    for uri in &all {
        outcomes.push(read(uri).await);
    }
    Ok(outcomes)
}

/// The local CUPS server `--cups` reads when given no address.
pub const LOCAL_CUPS: &str = "127.0.0.1:631";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_give_address_port_tls_and_path() {
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
        let t = parse("ipps://127.0.0.2/printers/office").unwrap();
        assert_eq!(
            (t.port, t.tls, t.path.as_str()),
            (631, true, "/printers/office")
        );
        let t = parse("ipp://[::1]:8631/ipp").unwrap();
        assert_eq!((t.addr, t.port), ("::1".parse().unwrap(), 8631));
        for bad in [
            "127.0.0.1",
            "ftp://127.0.0.1/",
            "ipp://127.0.0.1:port/",
            "ipp:///x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
