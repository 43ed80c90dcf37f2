//! The plugin host's tests, one binary: real components built by
//! `quire-builtin` and `quire-test-guests`, real recordings, the real sandbox.

mod actions;
mod alert_logic;
mod compiled_cache;
mod exchange;
mod harness;
mod registry;
mod sandbox;
mod validation;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use quire_plugins::{Host, HostConfig, Plugin};
use quire_snmp::{Oid, Recording, Value};
use quire_transport::{DeviceTransport, ReplayTransport, SnmpRequest, TransportError};

pub use quire_test_guests::bytes as guest;

pub fn host() -> Host {
    Host::new(HostConfig::default()).unwrap()
}

pub async fn hostile(host: &Host) -> Plugin {
    host.load(&guest("quire_guest_hostile")).await.unwrap()
}

/// A recorded device whose enterprise OID tells the hostile guest what to do.
pub fn device(mode: &str) -> Arc<dyn DeviceTransport> {
    Arc::new(ReplayTransport::new(Arc::new(recording(mode))))
}

pub fn recording(mode: &str) -> Recording {
    Recording::parse_snmprec(
        &format!("hostile-{mode}.snmprec"),
        &format!(
            "1.3.6.1.2.1.1.1.0|4|Hostile Test Printer\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1\n1.3.6.1.4.1.99999.1.0|4|{mode}\n"
        ),
    )
    .unwrap()
}

/// A device that answers like its recording, but slowly: a printer on a busy
/// network, so a read stays in flight long enough to swap strategies under it.
pub struct SlowDevice {
    pub inner: ReplayTransport,
    pub delay: Duration,
}

#[async_trait]
impl DeviceTransport for SlowDevice {
    async fn snmp(&self, request: SnmpRequest<'_>) -> Result<Vec<(Oid, Value)>, TransportError> {
        tokio::time::sleep(self.delay).await;
        self.inner.snmp(request).await
    }
}
