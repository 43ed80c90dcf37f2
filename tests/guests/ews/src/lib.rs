//! Reads the total page count from the device's web page `/counters`
//! (`total=1234`) and its serial number over NPAP (UDP 9300), the way a vendor
//! strategy combines the two, so the host's live, recorded and replayed
//! exchanges can be checked through a real plugin. Every transport failure is
//! reported in the strategy error, naming which exchange failed.

use quire_plugins_sdk::counters::TOTAL;
use quire_plugins_sdk::{
    Counter, Cycle, Device, HttpMethod, HttpRequest, NpapPort, Probe, Reading, Strategy,
    StrategyError, StrategyInfo, register_strategy,
};

/// The NPAP request the test peer answers with the serial number.
const SERIAL_REQUEST: &[u8] = b"SERIAL?";

/// The web-server and NPAP reader.
pub struct Ews;

fn total_pages(device: &Device<'_>) -> Result<u64, StrategyError> {
    let response = device
        .http(&HttpRequest {
            method: HttpMethod::Get,
            tls: false,
            port: None,
            path: "/counters".into(),
            headers: vec![("accept".into(), "text/plain".into())],
            body: None,
        })
        .map_err(|e| StrategyError::Unreachable(format!("GET /counters: {e:?}")))?;
    if response.status != 200 {
        return Err(StrategyError::Unsupported(format!(
            "GET /counters answered {}",
            response.status
        )));
    }
    let page = String::from_utf8_lossy(&response.body);
    page.lines()
        .find_map(|line| line.strip_prefix("total="))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| StrategyError::Unsupported(format!("no total= in {page:?}")))
}

fn serial(device: &Device<'_>) -> Result<String, StrategyError> {
    let answer = device
        .npap(NpapPort::Udp9300, SERIAL_REQUEST, 500)
        .map_err(|e| StrategyError::Unreachable(format!("NPAP: {e:?}")))?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

impl Strategy for Ews {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            name: "ews".into(),
            version: "0.0.1".into(),
            vendor: "Quire tests".into(),
            description: "Reads counters from the web server and the serial over NPAP.".into(),
            match_rules: Vec::new(),
        }
    }

    fn identify(_device: &Device<'_>, _probe: &Probe) -> Option<u32> {
        Some(1)
    }

    fn collect(device: &Device<'_>, _cycle: Cycle) -> Result<Reading, StrategyError> {
        let total = total_pages(device)?;
        let mut reading = Reading::default();
        reading.identity.serial = Some(serial(device)?);
        reading.counters.push(Counter {
            name: TOTAL.into(),
            value: total,
        });
        Ok(reading)
    }
}

register_strategy!(Ews);
