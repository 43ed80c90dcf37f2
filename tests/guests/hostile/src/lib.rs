//! A strategy that misbehaves on purpose, so the host's sandbox tests can prove
//! that one bad plugin costs only the reading it was asked for.
//!
//! `collect` asks the device what to do: it GETs [`MODE_OID`] and acts on the
//! string it finds there, so one compiled guest covers every misbehaviour and
//! each test chooses one with a one-line recording. It uses the generated
//! bindings directly, not the SDK, so the SDK's helpers cannot soften anything,
//! and it binds contract 0.1.0 as frozen under `wit/since_v0.1.0/`: the first
//! release's plugins must keep loading, and stay as boxed in as the live
//! release's, whose imports serve theirs.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use exports::quire::device::strategy_api::Guest;
use quire::device::http::{self, Method, Request};
use quire::device::snmp;
use quire::device::types::{
    AlertSeverity, Assessment, AssessmentSeverity, Counter, Cycle, DeviceAlert, ErrorGroup,
    ErrorInput, ErrorState, Identity, MatchRule, Probe, Reading, SkillLevel, SnmpValue, Status,
    StrategyError, StrategyInfo, Supply, SupplyState,
};

wit_bindgen::generate!({ path: "../../../wit/since_v0.1.0", world: "strategy" });

/// Where the recording says which misbehaviour to show (an enterprise number nobody owns).
const MODE_OID: [u32; 9] = [1, 3, 6, 1, 4, 1, 99999, 1, 0];

/// sysObjectID prefix of the devices this strategy claims.
const ENTERPRISE: &str = "1.3.6.1.4.1.99999";

/// The strategy that does what its device tells it to.
pub struct Hostile;

impl Guest for Hostile {
    fn describe() -> StrategyInfo {
        StrategyInfo {
            name: "hostile".into(),
            version: "1.0.0".into(),
            vendor: "Quire tests".into(),
            description: "Misbehaves as the device tells it to.".into(),
            match_rules: vec![MatchRule::SysObjectIdPrefix(ENTERPRISE.into())],
        }
    }

    fn identify(probe: Probe) -> Option<u32> {
        probe.sys_object_id.starts_with(ENTERPRISE).then_some(10)
    }

    fn collect(_cycle: Cycle) -> Result<Reading, StrategyError> {
        let mode = mode()?;
        match mode.as_str() {
            "trap" => panic!("asked to trap"),
            "loop" => {
                let mut spins = 0u64;
                loop {
                    spins = black_box(spins.wrapping_add(1));
                }
            }
            "stack" => {
                recurse();
                Ok(small_reading("unreachable"))
            }
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![7u8; 1 << 20]);
                    black_box(&hoard);
                }
            }
            "huge-output" => {
                let mut reading = small_reading("huge");
                reading.supplies[0].description = "x".repeat(20 << 20);
                Ok(reading)
            }
            "file" => {
                let read = std::fs::read("/etc/passwd").map(|b| b.len());
                let write = std::fs::write("/tmp/quire-hostile", b"owned");
                Ok(report(format!("read: {read:?}; write: {write:?}")))
            }
            "env" => {
                let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
                let args: Vec<String> = std::env::args().collect();
                Ok(report(format!("vars: {vars:?}; args: {args:?}")))
            }
            "socket" => {
                let tcp = std::net::TcpStream::connect("127.0.0.1:9").map(|_| "connected");
                let udp = std::net::UdpSocket::bind("127.0.0.1:0")
                    .and_then(|s| s.send_to(b"hello", "127.0.0.1:9"));
                Ok(report(format!("tcp: {tcp:?}; udp: {udp:?}")))
            }
            "http-elsewhere" => {
                let absolute = http::send(&request("http://127.0.0.9/x"));
                let authority = http::send(&request("//127.0.0.9/x"));
                Ok(report(format!(
                    "absolute: {:?}; authority: {:?}",
                    absolute.map(|r| r.status),
                    authority.map(|r| r.status)
                )))
            }
            "ok" => Ok(small_reading("ok")),
            "alerts" => {
                // Two alert rows and the jammed bit; `map-error` traps on the first row.
                let mut reading = small_reading("alerts");
                reading.alerts = vec![alert(1, 1, "trap"), alert(2, 8, "jam")];
                reading.status.errors = vec![ErrorState::Jammed];
                Ok(reading)
            }
            "odd-counter" => {
                let mut reading = small_reading("odd-counter");
                reading.counters.push(Counter {
                    name: "impressions.colour".into(),
                    value: 7,
                });
                Ok(reading)
            }
            other => Err(StrategyError::Unsupported(format!(
                "unknown mode {other:?}"
            ))),
        }
    }

    fn map_error(input: ErrorInput) -> Assessment {
        if let ErrorInput::Alert(alert) = &input
            && alert.code_name.as_deref() == Some("trap")
        {
            panic!("asked to trap on alert {}", alert.index);
        }
        let state = match input {
            ErrorInput::Alert(alert) => alert.code_name.unwrap_or_else(|| "other".into()),
            ErrorInput::State(_) => "paper-jam".into(),
        };
        Assessment {
            state,
            group: ErrorGroup::Paper,
            severity: AssessmentSeverity::Warning,
            skill: SkillLevel::KeyOperator,
            field_service: false,
            estimated_minutes: 5,
        }
    }
}

static DEPTH: AtomicU64 = AtomicU64::new(0);

/// Two calls per frame, so no tail-call or accumulator rewrite can turn this into a loop.
fn recurse() {
    if DEPTH.fetch_add(1, Ordering::Relaxed) < u64::MAX {
        recurse();
        recurse();
    }
}

fn mode() -> Result<String, StrategyError> {
    let varbinds = snmp::get(&[MODE_OID.to_vec()])
        .map_err(|e| StrategyError::Unreachable(format!("{e:?}")))?;
    match varbinds.into_iter().next().map(|v| v.value) {
        Some(SnmpValue::Octets(bytes)) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        other => Err(StrategyError::Unsupported(format!("no mode: {other:?}"))),
    }
}

fn request(path: &str) -> Request {
    Request {
        method: Method::Get,
        tls: false,
        port: None,
        path: path.into(),
        headers: Vec::new(),
        body: None,
    }
}

/// A reading whose sysDescr carries what the guest observed, for the test to check.
fn report(observed: String) -> Reading {
    let mut reading = small_reading("report");
    reading.identity.sys_descr = Some(observed);
    reading
}

fn alert(index: u32, code: i32, code_name: &str) -> DeviceAlert {
    DeviceAlert {
        index,
        severity: AlertSeverity::Critical,
        training_level: None,
        group: None,
        group_index: None,
        location: None,
        code,
        code_name: Some(code_name.into()),
        description: None,
        time: None,
    }
}

fn small_reading(model: &str) -> Reading {
    Reading {
        identity: Identity {
            manufacturer: Some("Hostile".into()),
            model: Some(model.into()),
            serial: Some("HOSTILE-1".into()),
            mac: None,
            firmware: Some("1.0.0".into()),
            hostname: None,
            sys_object_id: Some(format!("{ENTERPRISE}.1")),
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
            value: 1234,
        }],
        supplies: vec![Supply {
            index: 1,
            description: "Black Toner".into(),
            kind: "toner".into(),
            color: Some("black".into()),
            unit: Some("percent".into()),
            level: Some(54),
            max: Some(100),
            percent: Some(54),
            state: SupplyState::Ok,
            serial: None,
            part_number: None,
        }],
        alerts: Vec::new(),
    }
}

// Exported on wasm32 only, as the SDK's strategies are: a native build of the
// workspace links this crate too, and the component's export names are no
// native symbol names.
#[cfg(target_arch = "wasm32")]
export!(Hostile);
