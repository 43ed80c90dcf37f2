//! Reads the total page count from the device's web page `/counters`
//! (`total=1234`) and its serial number over NPAP (UDP 9300), the way a vendor
//! strategy combines the two, so the host's live, recorded and replayed
//! exchanges can be checked through a real plugin. Every transport failure is
//! reported in the strategy error, naming which exchange failed.

use exports::quire::device::strategy_api::Guest;
use quire::device::types::{
    Assessment, AssessmentSeverity, Counter, Cycle, ErrorGroup, ErrorInput, Identity, Probe,
    Reading, SkillLevel, Status, StrategyError, StrategyInfo,
};
use quire::device::{http, npap};

wit_bindgen::generate!({ path: "../../../plugins-sdk/wit", world: "strategy" });

/// The NPAP request the test peer answers with the serial number.
const SERIAL_REQUEST: &[u8] = b"SERIAL?";

struct Ews;

fn total_pages() -> Result<u64, StrategyError> {
    let response = http::send(&http::Request {
        method: http::Method::Get,
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

fn serial() -> Result<String, StrategyError> {
    let answer = npap::exchange(npap::NpapPort::Udp9300, SERIAL_REQUEST, 500)
        .map_err(|e| StrategyError::Unreachable(format!("NPAP: {e:?}")))?;
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

impl Guest for Ews {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            name: "ews".into(),
            version: "0.0.1".into(),
            vendor: "Quire tests".into(),
            description: "Reads counters from the web server and the serial over NPAP.".into(),
            match_rules: Vec::new(),
        }
    }

    fn identify(_probe: Probe) -> Option<u32> {
        Some(1)
    }

    fn collect(_cycle: Cycle) -> Result<Reading, StrategyError> {
        let total = total_pages()?;
        let serial = serial()?;
        Ok(Reading {
            identity: Identity {
                manufacturer: None,
                model: None,
                serial: Some(serial),
                mac: None,
                firmware: None,
                hostname: None,
                sys_object_id: None,
                sys_descr: None,
                location: None,
                contact: None,
            },
            status: Status {
                device: None,
                printer: None,
                errors: Vec::new(),
                console: None,
            },
            counters: vec![Counter {
                name: "total".into(),
                value: total,
            }],
            supplies: Vec::new(),
            alerts: Vec::new(),
        })
    }

    fn map_error(_input: ErrorInput) -> Assessment {
        Assessment {
            state: "other".into(),
            group: ErrorGroup::Device,
            severity: AssessmentSeverity::Info,
            skill: SkillLevel::Anyone,
            field_service: false,
            estimated_minutes: 0,
        }
    }
}

export!(Ews);
