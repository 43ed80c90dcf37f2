//! Two simulated printers for the suites that run an agent process against them: a
//! Kyocera and the strategy template's sample.

use std::net::Ipv4Addr;
use std::path::Path;

use quire_snmp::Recording;
use quire_snmp::responder::{Fleet, FleetConfig};

/// The two printers from `base` on, answering SNMP on `port` (each suite its own, not
/// 161).
pub async fn start(base: Ipv4Addr, port: u16) -> Fleet {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let recordings = [
        "../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec",
        "templates/strategy/sample.snmprec",
    ]
    .map(|file| Recording::load(&here.join(file)).unwrap());
    Fleet::start(
        recordings.into(),
        FleetConfig {
            base,
            port,
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap()
}
