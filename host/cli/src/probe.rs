//! `quire probe`: one live device read through the strategies, by the same
//! code as `quire replay` with the live transport in place of the recording.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use quire_model::Cycle;
use quire_protocol::{AuthProtocol, CredentialSpec, PrivacyProtocol};
use quire_snmp::client::{ClientConfig, CredentialSet, Credentials, Session};
use quire_transport::{
    DeviceExchanges, DeviceExchangesConfig, DeviceTransport, LiveTransport, WithExchanges,
};

use crate::output::Outcome;
use crate::replay;

/// Where a live device is and how to talk to it (`probe` and `record`).
#[derive(Args)]
pub struct DeviceArgs {
    /// The device: an IP address or a host name.
    pub host: String,
    /// UDP port of its SNMP agent.
    #[arg(long, default_value_t = 161)]
    pub port: u16,
    /// SNMP version; 3 when --v3-user is given, else 2c.
    #[arg(long = "version", value_enum)]
    pub snmp_version: Option<SnmpVersion>,
    /// v1/v2c community.
    #[arg(long, default_value = "public")]
    pub community: String,
    /// v3 user name.
    #[arg(long)]
    pub v3_user: Option<String>,
    /// v3 authentication protocol: md5, sha1, sha224, sha256, sha384 or sha512 (as the
    /// API's `auth-protocol`; net-snmp's `SHA`, `SHA-256` … are read too). Needs
    /// --auth-password; sha1 when only the password is given.
    #[arg(long, value_name = "PROTOCOL", requires = "auth_password")]
    pub auth_protocol: Option<AuthProtocol>,
    /// v3 authentication password.
    #[arg(long, value_name = "PASSWORD")]
    pub auth_password: Option<String>,
    /// v3 privacy protocol: des or aes128 (as the API's `privacy-protocol`; net-snmp's
    /// `DES`, `AES` are read too). Needs --privacy-password and authentication; aes128
    /// when only the password is given.
    #[arg(long, value_name = "PROTOCOL", requires = "privacy_password")]
    pub privacy_protocol: Option<PrivacyProtocol>,
    /// v3 privacy password.
    #[arg(long, value_name = "PASSWORD")]
    pub privacy_password: Option<String>,
    /// v3 context name.
    #[arg(long, default_value = "")]
    pub context: String,
    /// Milliseconds the first attempt of each request waits.
    #[arg(long, default_value_t = 1000)]
    pub timeout: u64,
    /// Retries of each request (each waits twice as long as the last).
    #[arg(long, default_value_t = 2)]
    pub retries: u32,
}

/// `--version`.
#[derive(Clone, Copy, ValueEnum)]
pub enum SnmpVersion {
    /// SNMPv1.
    #[value(name = "1")]
    V1,
    /// SNMPv2c.
    #[value(name = "2c")]
    V2c,
    /// SNMPv3.
    #[value(name = "3")]
    V3,
}

impl DeviceArgs {
    /// The credentials the flags describe, as an account's credentials list would hold
    /// them, turned into the client's by the agent's own conversion.
    pub fn credentials(&self) -> anyhow::Result<Credentials> {
        let version = match (self.snmp_version, &self.v3_user) {
            (Some(version), _) => version,
            (None, Some(_)) => SnmpVersion::V3,
            (None, None) => SnmpVersion::V2c,
        };
        let community = self.community.clone();
        let spec = match version {
            SnmpVersion::V1 => CredentialSpec::V1 { community },
            SnmpVersion::V2c => CredentialSpec::V2c { community },
            SnmpVersion::V3 => CredentialSpec::V3 {
                user: self
                    .v3_user
                    .clone()
                    .context("--version 3 needs --v3-user")?,
                auth_protocol: self
                    .auth_password
                    .as_ref()
                    .map(|_| self.auth_protocol.unwrap_or(AuthProtocol::Sha1)),
                auth_password: self.auth_password.clone(),
                privacy_protocol: self
                    .privacy_password
                    .as_ref()
                    .map(|_| self.privacy_protocol.unwrap_or(PrivacyProtocol::Aes128)),
                privacy_password: self.privacy_password.clone(),
                context: self.context.clone(),
            },
        };
        quire_agent::credentials::convert(&spec).map_err(anyhow::Error::msg)
    }

    /// The client settings the flags describe.
    pub fn config(&self) -> ClientConfig {
        ClientConfig {
            timeout: Duration::from_millis(self.timeout.max(1)),
            retries: self.retries,
            ..ClientConfig::default()
        }
    }

    /// Resolves the host and opens a session whose credentials the device accepted.
    pub async fn open(&self) -> anyhow::Result<Session> {
        let address: SocketAddr = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .with_context(|| format!("cannot resolve {}", self.host))?
            .next()
            .with_context(|| format!("{} has no address", self.host))?;
        let credentials = CredentialSet::new(vec![self.credentials()?]);
        Ok(credentials.open(address, &self.config()).await?)
    }
}

/// Reads the device named by `device`; a device that cannot be reached or
/// refuses the credentials is an outcome like any other, not an abort.
pub async fn run(
    device: &DeviceArgs,
    strategy: Option<&str>,
    cycle: Cycle,
    explain: bool,
) -> anyhow::Result<Outcome> {
    let registry = replay::builtin_registry().await?;
    replay::check_strategy(&registry, strategy)?;
    let name = format!("{}:{}", device.host, device.port);
    let session = match device.open().await {
        Ok(session) => session,
        Err(e) => {
            return Ok(Outcome::Failed {
                file: name,
                strategy: None,
                error: format!("{e:#}"),
            });
        }
    };
    let exchanges = DeviceExchanges::new(session.address().ip(), DeviceExchangesConfig::default());
    let transport: Arc<dyn DeviceTransport> =
        Arc::new(WithExchanges::new(LiveTransport::new(session), exchanges));
    Ok(replay::read_device(
        &registry,
        name,
        transport,
        strategy,
        cycle,
        explain,
        Vec::new(),
    )
    .await)
}
