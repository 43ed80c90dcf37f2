//! Reading one live device through the strategies, recording every exchange the read
//! makes (SNMP as `.snmprec`, web and NPAP as the `.exchanges.jsonl` log `quire record`
//! writes) so the server can re-interpret it later.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use quire_model::{Cycle, ErrorAssessment, Reading, StrategyRef};
use quire_plugins::{Probe, Registry};
use quire_snmp::client::{ClientConfig, Credentials, Session};
use quire_snmp::{Oid, Value};
use quire_transport::{
    DeviceExchanges, DeviceExchangesConfig, DeviceTransport, ExchangeRecorder, LiveTransport,
    RecordingTransport, SnmpRequest, TransportError, WithExchanges,
};

use crate::clock::Clock;
use crate::error::ReadError;

/// What one read gave.
#[derive(Debug, Clone)]
pub struct DeviceRead {
    /// When the read began (UTC).
    pub taken_at: DateTime<Utc>,
    /// The reading.
    pub reading: Reading,
    /// The strategy that took it.
    pub strategy: StrategyRef,
    /// What that strategy's `map-error` made of each alert row and error-state bit.
    pub assessments: Vec<ErrorAssessment>,
    /// The SNMP exchange as `.snmprec`.
    pub raw: String,
    /// The web and NPAP exchanges as `.exchanges.jsonl`; `None` when the read made none.
    pub exchanges: Option<String>,
    /// Which credentials the device answered.
    pub credential: usize,
}

/// Reads devices with the strategies of a registry that may change between reads.
#[derive(Clone)]
pub(crate) struct Reader {
    pub registry: Arc<Registry>,
    pub client: ClientConfig,
    pub snmp_port: u16,
    pub clock: Clock,
}

impl Reader {
    /// Reads the device at `address` for `cycle`, trying credentials `first` and then the
    /// others in order. The error names the device and says what failed. Everything logged
    /// during the read (the client, the sandbox, the strategy's own `log`) is inside a span
    /// naming the device, so every such line says which device it is about.
    #[tracing::instrument(name = "read", skip_all, fields(device = %address))]
    pub async fn read(
        &self,
        address: IpAddr,
        credentials: &[Credentials],
        first: usize,
        cycle: Cycle,
    ) -> Result<DeviceRead, ReadError> {
        let taken_at = self.clock.now();
        let peer = SocketAddr::new(address, self.snmp_port);
        let (session, opening, credential) = self.open(peer, credentials, first).await?;
        let live: Arc<dyn DeviceTransport> = Arc::new(LiveTransport::opened(session, opening));
        let recorder = Arc::new(RecordingTransport::new(live, address.to_string()));
        let exchanges = Arc::new(ExchangeRecorder::new(WithExchanges::new(
            Shared(recorder.clone()),
            DeviceExchanges::new(address, DeviceExchangesConfig::default()),
        )));
        let transport: Arc<dyn DeviceTransport> = exchanges.clone();
        let probe = Probe::read(transport.as_ref())
            .await
            .map_err(|source| ReadError::Identify { address, source })?;
        let plugin = self
            .registry
            .select(&probe, transport.clone())
            .await
            .map_err(|source| ReadError::Strategy { address, source })?
            .plugin;
        let collecting = std::time::Instant::now();
        let (reading, spent) = plugin.collect_metered(transport, cycle).await;
        crate::metrics::strategy_spent(plugin.name(), collecting.elapsed(), spent.computing);
        let reading = reading.map_err(|source| ReadError::Strategy { address, source })?;
        // The plugin that read the device judges what it read: a newer version swapped in
        // meanwhile might name the same alert differently.
        let assessments = plugin.assess(&reading).await;
        Ok(DeviceRead {
            taken_at,
            reading,
            strategy: plugin.strategy_ref(),
            assessments,
            raw: recorder.recording().to_snmprec(),
            exchanges: Some(exchanges.log())
                .filter(|log| !log.exchanges().is_empty())
                .map(|log| log.to_jsonl()),
            credential,
        })
    }

    /// Opens the device's session with the first credentials it answers, the
    /// probe's GET proving them ([`Session::open_asking`]); returns the
    /// session, that GET's answer and which credentials worked.
    async fn open(
        &self,
        peer: SocketAddr,
        credentials: &[Credentials],
        first: usize,
    ) -> Result<(Session, Vec<(Oid, Value)>, usize), ReadError> {
        let order = std::iter::once(first)
            .filter(|&i| i < credentials.len())
            .chain((0..credentials.len()).filter(|&i| i != first));
        let mut last = ReadError::NoCredentials { address: peer };
        let probe = Probe::oids();
        for index in order {
            let opened = Session::open_asking(
                peer,
                credentials[index].clone(),
                self.client.clone(),
                &probe,
            )
            .await;
            match opened {
                Ok((session, opening)) => return Ok((session, opening, index)),
                Err(e) => last = ReadError::Snmp(e),
            }
        }
        Err(last)
    }
}

/// Lets the recorder sit under [`WithExchanges`] (which takes SNMP from it and NPAP and
/// HTTP to the device itself) while the reader keeps a handle on it to take the recording
/// out afterwards.
struct Shared(Arc<RecordingTransport>);

#[async_trait]
impl DeviceTransport for Shared {
    async fn snmp(&self, request: SnmpRequest<'_>) -> Result<Vec<(Oid, Value)>, TransportError> {
        self.0.snmp(request).await
    }
}
