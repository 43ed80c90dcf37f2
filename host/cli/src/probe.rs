//! `quire probe`: one live device read through the strategies, by the same
//! code as `quire replay` with the live transport in place of the recording.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use quire_model::Cycle;
use quire_snmp::client::{
    AuthProtocol, ClientConfig, CredentialSet, Credentials, PrivProtocol, Session, V3User,
};
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
    /// v3 authentication protocol (needs --auth-pass).
    #[arg(long, value_enum, ignore_case = true, requires = "auth_pass")]
    pub auth_proto: Option<AuthArg>,
    /// v3 authentication password.
    #[arg(long)]
    pub auth_pass: Option<String>,
    /// v3 privacy protocol (needs --priv-pass and authentication).
    #[arg(long, value_enum, ignore_case = true, requires = "priv_pass")]
    pub priv_proto: Option<PrivArg>,
    /// v3 privacy password.
    #[arg(long)]
    pub priv_pass: Option<String>,
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

/// `--auth-proto`, named as net-snmp's `-a` names them.
#[derive(Clone, Copy, ValueEnum)]
pub enum AuthArg {
    /// HMAC-MD5-96.
    #[value(name = "MD5")]
    Md5,
    /// HMAC-SHA-96.
    #[value(name = "SHA", alias = "SHA1")]
    Sha,
    /// HMAC-SHA-224.
    #[value(name = "SHA-224", alias = "SHA224")]
    Sha224,
    /// HMAC-SHA-256.
    #[value(name = "SHA-256", alias = "SHA256")]
    Sha256,
    /// HMAC-SHA-384.
    #[value(name = "SHA-384", alias = "SHA384")]
    Sha384,
    /// HMAC-SHA-512.
    #[value(name = "SHA-512", alias = "SHA512")]
    Sha512,
}

/// `--priv-proto`, named as net-snmp's `-x` names them.
#[derive(Clone, Copy, ValueEnum)]
pub enum PrivArg {
    /// CBC-DES.
    #[value(name = "DES")]
    Des,
    /// CFB-AES-128.
    #[value(name = "AES", alias = "AES128")]
    Aes,
}

impl DeviceArgs {
    /// The credentials the flags describe.
    pub fn credentials(&self) -> anyhow::Result<Credentials> {
        let version = match (self.snmp_version, &self.v3_user) {
            (Some(version), _) => version,
            (None, Some(_)) => SnmpVersion::V3,
            (None, None) => SnmpVersion::V2c,
        };
        let community = self.community.clone();
        Ok(match version {
            SnmpVersion::V1 => Credentials::V1 { community },
            SnmpVersion::V2c => Credentials::V2c { community },
            SnmpVersion::V3 => {
                let user = self
                    .v3_user
                    .clone()
                    .context("--version 3 needs --v3-user")?;
                let auth = match (self.auth_proto, &self.auth_pass) {
                    (Some(protocol), Some(password)) => Some((protocol.into(), password.clone())),
                    (None, Some(password)) => Some((AuthProtocol::Sha1, password.clone())),
                    _ => None,
                };
                let privacy = match (self.priv_proto, &self.priv_pass) {
                    (Some(protocol), Some(password)) => Some((protocol.into(), password.clone())),
                    (None, Some(password)) => Some((PrivProtocol::Aes128, password.clone())),
                    _ => None,
                };
                Credentials::V3(V3User {
                    user,
                    auth,
                    privacy,
                    context: self.context.clone(),
                })
            }
        })
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

impl From<AuthArg> for AuthProtocol {
    fn from(arg: AuthArg) -> Self {
        match arg {
            AuthArg::Md5 => AuthProtocol::Md5,
            AuthArg::Sha => AuthProtocol::Sha1,
            AuthArg::Sha224 => AuthProtocol::Sha224,
            AuthArg::Sha256 => AuthProtocol::Sha256,
            AuthArg::Sha384 => AuthProtocol::Sha384,
            AuthArg::Sha512 => AuthProtocol::Sha512,
        }
    }
}

impl From<PrivArg> for PrivProtocol {
    fn from(arg: PrivArg) -> Self {
        match arg {
            PrivArg::Des => PrivProtocol::Des,
            PrivArg::Aes => PrivProtocol::Aes128,
        }
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
