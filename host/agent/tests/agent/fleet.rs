//! Simulated printers and an agent enrolled with a peer that hands out a site covering them.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use quire_agent::{Agent, AgentOptions, CycleReport};
use quire_model::Cycle;
use quire_plugins::Registry;
use quire_protocol::AgentConfig;
use quire_snmp::Recording;
use quire_snmp::client::ClientConfig;
use quire_snmp::responder::{Fleet, FleetConfig};
use tempfile::TempDir;
use tokio::sync::OnceCell;

use crate::peer::{KEY, Peer};

/// Every simulated device listens here.
pub const SNMP_PORT: u16 = 16180;

pub fn recording(name: &str) -> Recording {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/recorded")
        .join(name);
    Recording::load(&path).unwrap()
}

/// The fleet `names` on `base`, `base + 1`, …, answering community `public`.
pub async fn fleet(base: Ipv4Addr, names: &[&str]) -> Fleet {
    Fleet::start(
        names.iter().map(|n| recording(n)).collect(),
        FleetConfig {
            base,
            port: SNMP_PORT,
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap()
}

/// One site (id 1) scanning `range`, every cycle hourly, community `public`.
pub fn config(range: &str) -> AgentConfig {
    serde_json::from_value(serde_json::json!({
        "revision": "r1",
        "check-in-seconds": 60,
        "sites": [{
            "id": 1,
            "name": "Head office",
            "ranges": [{ "range": range }],
            "discovery": { "packets-per-second": 5000 },
            "schedules": {
                "time-zone": "Europe/Berlin",
                "discovery": { "default": { "kind": "weekly", "days": ["monday"], "hours": [2] } },
                "meters-and-supplies": { "default": { "kind": "every-hours", "n": 1, "starting-at": 0 } },
                "alerts": { "default": { "kind": "every-hours", "n": 1, "starting-at": 0 } }
            }
        }],
        "credentials": [
            { "version": "v2c", "community": "not-this-one" },
            { "version": "v2c", "community": "public" }
        ],
        "discovery": { "timeout-ms": 300, "retries": 1 },
        "strategies": []
    }))
    .unwrap()
}

/// The built-in strategies, loaded once for every test of this binary.
pub async fn registry() -> Arc<Registry> {
    static REGISTRY: OnceCell<Arc<Registry>> = OnceCell::const_new();
    REGISTRY
        .get_or_init(|| async { Arc::new(quire_agent::builtin_registry().await.unwrap()) })
        .await
        .clone()
}

/// Quick timeouts: a simulated device answers in microseconds.
pub fn options(dir: &Path) -> AgentOptions {
    AgentOptions {
        snmp_port: SNMP_PORT,
        client: ClientConfig {
            timeout: Duration::from_millis(300),
            retries: 1,
            ..ClientConfig::default()
        },
        ..AgentOptions::new(dir)
    }
}

/// The agent's one site on the configuration of one check-in, its cycles run now as its
/// schedules would run them.
pub struct OneSite<'a> {
    agent: &'a Agent,
    config: AgentConfig,
}

impl OneSite<'_> {
    /// The site of the configuration `agent` checks in for now.
    pub async fn checked_in(agent: &Agent) -> OneSite<'_> {
        let config = agent.check_in().await.unwrap();
        OneSite { agent, config }
    }

    /// The site of `config`, without checking in: the agent keeps the strategies it was
    /// opened with (a check-in brings them in line with the server's list).
    pub fn configured(agent: &Agent, config: AgentConfig) -> OneSite<'_> {
        OneSite { agent, config }
    }

    pub async fn run(&self, cycle: Cycle) -> CycleReport {
        let site = &self.config.sites[0];
        self.agent.run_cycle(&self.config, site, None, cycle).await
    }
}

/// An agent enrolled with a peer at `peer_ip` that hands out `config`.
pub async fn enrolled(peer_ip: &str, config: AgentConfig) -> (Agent, Peer, TempDir) {
    enrolled_with(peer_ip, config, registry().await).await
}

/// [`enrolled`], reading with the strategies of `registry`.
pub async fn enrolled_with(
    peer_ip: &str,
    config: AgentConfig,
    registry: Arc<Registry>,
) -> (Agent, Peer, TempDir) {
    let peer = Peer::start(peer_ip, config).await;
    let dir = tempfile::tempdir().unwrap();
    Agent::enroll(dir.path(), &peer.url(), KEY, Some(&peer.sha256))
        .await
        .unwrap();
    let agent = Agent::open_with(options(dir.path()), registry)
        .await
        .unwrap();
    (agent, peer, dir)
}
