//! The agent API: enrollment, the configuration an agent fetches, reading uploads and
//! their acknowledgements, strategy downloads.
//!
//! Every call but enrollment carries `Authorization: Bearer <agent-id>:<secret>`.
//! Uploads are exactly-once by sequence number: the agent numbers every reading it
//! queues, the server files each `(agent, seq)` once, and the agent deletes a reading
//! only when an acknowledgement covers it — so a retry after a lost answer, a server
//! crash or a network cut never loses or doubles a reading.

use chrono::{DateTime, Utc};
use quire_model::{Cycle, ErrorAssessment, Reading, StrategyRef};
use quire_schedule::ScheduleConfig;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ranges::Range;

/// `POST`: [`EnrollRequest`] → [`EnrollResponse`]. The only call without agent credentials.
pub const ENROLL_PATH: &str = "/api/v1/agent/enroll";
/// `GET` → [`AgentConfig`]. Also the agent's check-in: the server records when it last called.
pub const CONFIG_PATH: &str = "/api/v1/agent/config";
/// `POST`: [`ReadingUpload`] → [`UploadAck`].
pub const READINGS_PATH: &str = "/api/v1/agent/readings";
/// `GET {STRATEGIES_PATH}/{name}/{version}` → the component's bytes
/// (`application/wasm`), with its signature, when it has one, in [`SIGNATURE_HEADER`].
pub const STRATEGIES_PATH: &str = "/api/v1/agent/strategies";
/// Carries a strategy's ed25519 signature (base64) beside its bytes.
pub const SIGNATURE_HEADER: &str = "x-quire-signature";

/// What an agent sends to enroll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct EnrollRequest {
    /// The enrollment key the dealer issued: single use, expiring, for one account.
    pub key: String,
    /// The agent machine's host name, shown in the console.
    pub hostname: String,
    /// The agent's version.
    pub agent_version: String,
}

/// What the server answers an enrollment with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct EnrollResponse {
    /// The agent's id, unique on this server.
    pub agent_id: String,
    /// The agent's secret, shown once; the server keeps only its hash.
    pub secret: String,
    /// The account the agent reads for.
    pub account_id: i64,
    /// SHA-256 of the server certificate's DER, hex: what the agent checks the handshake
    /// against.
    pub certificate_sha256: String,
    /// SHA-256 of the server's public key (SPKI DER), hex: what the agent pins from now
    /// on, since renewed certificates keep it. Servers older than key pinning send none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_sha256: Option<String>,
}

/// How an agent authenticates every call after enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentToken {
    /// The id enrollment gave.
    pub agent_id: String,
    /// The secret enrollment gave.
    pub secret: String,
}

impl AgentToken {
    /// The `Authorization` header's value.
    pub fn header_value(&self) -> String {
        format!("Bearer {}:{}", self.agent_id, self.secret)
    }

    /// Reads an `Authorization` header's value back; `None` when it is not an agent token.
    pub fn from_header_value(value: &str) -> Option<AgentToken> {
        let token = value.strip_prefix("Bearer ")?;
        let (agent_id, secret) = token.split_once(':')?;
        (!agent_id.is_empty() && !secret.is_empty()).then(|| AgentToken {
            agent_id: agent_id.to_owned(),
            secret: secret.to_owned(),
        })
    }
}

/// Everything an agent needs to do its job, fetched at every check-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct AgentConfig {
    /// Changes whenever anything below changes, so the agent can tell at a glance.
    pub revision: String,
    /// How often to check in (seconds): fetch this again and upload what is queued.
    pub check_in_seconds: u32,
    /// The sites this agent scans.
    pub sites: Vec<SiteConfig>,
    /// SNMP credentials, tried in this order on each device; the first that answers is kept
    /// for that device.
    pub credentials: Vec<CredentialSpec>,
    /// How discovery probes.
    pub discovery: DiscoverySettings,
    /// The strategies the agent must run: any it lacks or holds in another version it
    /// downloads and swaps in.
    pub strategies: Vec<StrategyListing>,
}

/// One site: its ranges and schedules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SiteConfig {
    /// The site's id, sent back with every reading taken there.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// What to scan.
    pub ranges: Vec<SiteRange>,
    /// When to run each cycle, in the site's time zone.
    pub schedules: ScheduleConfig,
    /// How discovery sweeps its ranges.
    #[serde(default)]
    pub discovery: SiteDiscovery,
    /// Printers the site's agents read over IPP by URI (`ipp://host/ipp/print`):
    /// those whose SNMP is off, which discovery cannot find. Read with the first
    /// part of the site's network, on its meters & supplies and alert schedules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipp_printers: Vec<String>,
}

/// A range of a site, with the part of the network it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SiteRange {
    /// The range.
    pub range: Range,
    /// The part of the network (schedules may differ per part); `None` is the site's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

/// Discovery's knobs the server sets for all its agents; how fast a site is swept is the
/// site's own ([`SiteDiscovery`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct DiscoverySettings {
    /// How long to wait for an address to answer before calling it silent (milliseconds).
    pub timeout_ms: u32,
    /// How many times to ask again before that.
    pub retries: u32,
    /// Probes in flight at once, for agents older than the per-site pace, which size
    /// their sweep by it and cannot read a configuration without it. This agent paces by
    /// [`SiteDiscovery`] instead and ignores it.
    #[serde(default = "DiscoverySettings::default_concurrency")]
    pub concurrency: u32,
}

impl DiscoverySettings {
    fn default_concurrency() -> u32 {
        2_048
    }
}

impl Default for DiscoverySettings {
    fn default() -> Self {
        DiscoverySettings {
            timeout_ms: 1_000,
            retries: 0,
            concurrency: Self::default_concurrency(),
        }
    }
}

/// How a site is swept, the dealer's to set per site: its network is the customer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SiteDiscovery {
    /// The most datagrams discovery sends a second (retries and further credentials
    /// included): what sets a sweep's time, since the silent addresses wait out their
    /// timeouts side by side. The default, 250, is one a customer's network does not
    /// notice (the README says why); a /16 then takes about 4½ minutes.
    #[serde(default = "SiteDiscovery::default_packets_per_second")]
    pub packets_per_second: u32,
}

impl SiteDiscovery {
    /// The default cap (see the README's "Discovery of a /16").
    pub const DEFAULT_PACKETS_PER_SECOND: u32 = 250;
    /// The highest cap taken: 100,000 small datagrams a second is some 100 Mbit/s, the
    /// whole of many links, and more than one agent's host sends steadily.
    pub const MAX_PACKETS_PER_SECOND: u32 = 100_000;

    fn default_packets_per_second() -> u32 {
        Self::DEFAULT_PACKETS_PER_SECOND
    }

    /// Why these settings cannot be used, as (field, message), the field named as in the
    /// API (`packets-per-second`).
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if !(1..=Self::MAX_PACKETS_PER_SECOND).contains(&self.packets_per_second) {
            return Err((
                "packets-per-second",
                format!(
                    "{} packets a second is not between 1 and {}",
                    self.packets_per_second,
                    Self::MAX_PACKETS_PER_SECOND
                ),
            ));
        }
        Ok(())
    }
}

impl Default for SiteDiscovery {
    fn default() -> Self {
        SiteDiscovery {
            packets_per_second: Self::DEFAULT_PACKETS_PER_SECOND,
        }
    }
}

/// SNMP credentials as configured; secrets travel only to enrolled agents over TLS.
///
/// The API, the agent and `quire probe` share these words: `auth-protocol`,
/// `auth-password`, `privacy-protocol`, `privacy-password`, with the values of
/// [`AuthProtocol`] and [`PrivacyProtocol`]. A body with any other field, a protocol
/// without its password, or privacy without authentication is refused as it is read,
/// so a mistyped entry is never stored as a weaker credential than was meant.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(
    tag = "version",
    rename_all = "kebab-case",
    deny_unknown_fields,
    try_from = "CredentialFields"
)]
pub enum CredentialSpec {
    /// SNMPv1 with a community.
    V1 {
        /// The community string.
        community: String,
    },
    /// SNMPv2c with a community.
    V2c {
        /// The community string.
        community: String,
    },
    /// SNMPv3 with a USM user.
    #[serde(rename_all = "kebab-case")]
    V3 {
        /// The user name.
        user: String,
        /// Absent for noAuthNoPriv.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth_protocol: Option<AuthProtocol>,
        /// The authentication password; given exactly when `auth-protocol` is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth_password: Option<String>,
        /// Absent for authNoPriv; needs authentication.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        privacy_protocol: Option<PrivacyProtocol>,
        /// The privacy password; given exactly when `privacy-protocol` is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        privacy_password: Option<String>,
        /// The context name, usually empty.
        #[serde(default)]
        context: String,
    },
}

/// Every field any version may have, read flat so that a bad value is named by its own
/// field (`[0].auth-protocol`): an internally tagged enum buffers its fields and loses
/// their names. [`CredentialSpec`]'s `TryFrom` then checks which belong together.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct CredentialFields {
    version: SnmpVersion,
    community: Option<String>,
    user: Option<String>,
    auth_protocol: Option<AuthProtocol>,
    auth_password: Option<String>,
    privacy_protocol: Option<PrivacyProtocol>,
    privacy_password: Option<String>,
    context: Option<String>,
}

/// The `version` of a [`CredentialSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum SnmpVersion {
    V1,
    V2c,
    V3,
}

impl TryFrom<CredentialFields> for CredentialSpec {
    type Error = String;

    fn try_from(fields: CredentialFields) -> Result<CredentialSpec, String> {
        let CredentialFields {
            version,
            community,
            user,
            auth_protocol,
            auth_password,
            privacy_protocol,
            privacy_password,
            context,
        } = fields;
        let v3_only = [
            ("user", user.is_some()),
            ("auth-protocol", auth_protocol.is_some()),
            ("auth-password", auth_password.is_some()),
            ("privacy-protocol", privacy_protocol.is_some()),
            ("privacy-password", privacy_password.is_some()),
            ("context", context.is_some()),
        ];
        let community_only = |version: &str, community: Option<String>| {
            if let Some((field, _)) = v3_only.iter().find(|(_, given)| *given) {
                return Err(format!(
                    "unknown field `{field}`: {version} credentials have only a community"
                ));
            }
            match community {
                Some(community) if !community.is_empty() => Ok(community),
                Some(_) => Err("field `community`: the community is empty".to_owned()),
                None => Err(format!(
                    "missing field `community` of {version} credentials"
                )),
            }
        };
        match version {
            SnmpVersion::V1 => Ok(CredentialSpec::V1 {
                community: community_only("v1", community)?,
            }),
            SnmpVersion::V2c => Ok(CredentialSpec::V2c {
                community: community_only("v2c", community)?,
            }),
            SnmpVersion::V3 => {
                if community.is_some() {
                    return Err(
                        "unknown field `community`: v3 credentials name a user instead".to_owned(),
                    );
                }
                let user = user.ok_or("missing field `user` of v3 credentials")?;
                if user.is_empty() {
                    return Err("field `user`: the v3 user name is empty".to_owned());
                }
                paired("auth", auth_protocol.is_some(), auth_password.is_some())?;
                paired(
                    "privacy",
                    privacy_protocol.is_some(),
                    privacy_password.is_some(),
                )?;
                if privacy_protocol.is_some() && auth_protocol.is_none() {
                    return Err(
                        "field `privacy-protocol`: privacy needs authentication (authPriv)"
                            .to_owned(),
                    );
                }
                Ok(CredentialSpec::V3 {
                    user,
                    auth_protocol,
                    auth_password,
                    privacy_protocol,
                    privacy_password,
                    context: context.unwrap_or_default(),
                })
            }
        }
    }
}

/// A protocol and its password go together: one without the other is refused.
fn paired(what: &str, protocol: bool, password: bool) -> Result<(), String> {
    match (protocol, password) {
        (true, false) => Err(format!(
            "missing field `{what}-password`: {what}-protocol needs it"
        )),
        (false, true) => Err(format!(
            "missing field `{what}-protocol`: {what}-password needs it"
        )),
        _ => Ok(()),
    }
}

impl std::fmt::Debug for CredentialSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialSpec::V1 { .. } => f.write_str("V1 { community: *** }"),
            CredentialSpec::V2c { .. } => f.write_str("V2c { community: *** }"),
            CredentialSpec::V3 {
                user,
                auth_protocol,
                privacy_protocol,
                ..
            } => f
                .debug_struct("V3")
                .field("user", user)
                .field("auth_protocol", &auth_protocol.map(protocol_name))
                .field("privacy_protocol", &privacy_protocol.map(protocol_name))
                .finish_non_exhaustive(),
        }
    }
}

/// An SNMPv3 authentication protocol (RFC 3414, RFC 7860).
///
/// Written as here (`sha256`); net-snmp's spellings (`SHA`, `SHA-256`, `sha-256`) are
/// read too, in any case, so a value copied from an `snmpget` command line works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", try_from = "String")]
pub enum AuthProtocol {
    /// HMAC-MD5-96.
    Md5,
    /// HMAC-SHA-96 (net-snmp's `SHA`).
    Sha1,
    /// HMAC-SHA-224.
    Sha224,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-384.
    Sha384,
    /// HMAC-SHA-512.
    Sha512,
}

/// An SNMPv3 privacy protocol.
///
/// Written as here (`aes128`); net-snmp's spellings (`DES`, `AES`) are read too, in any
/// case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case", try_from = "String")]
pub enum PrivacyProtocol {
    /// CBC-DES.
    Des,
    /// CFB-AES-128 (net-snmp's `AES`).
    Aes128,
}

/// A protocol's words: the one it is written as, then those also read.
trait ProtocolNames: Sized + Copy + 'static {
    const ALL: &'static [(Self, &'static str, &'static [&'static str])];
    const FIELD: &'static str;
}

impl ProtocolNames for AuthProtocol {
    const ALL: &'static [(Self, &'static str, &'static [&'static str])] = &[
        (AuthProtocol::Md5, "md5", &[]),
        (AuthProtocol::Sha1, "sha1", &["sha"]),
        (AuthProtocol::Sha224, "sha224", &[]),
        (AuthProtocol::Sha256, "sha256", &[]),
        (AuthProtocol::Sha384, "sha384", &[]),
        (AuthProtocol::Sha512, "sha512", &[]),
    ];
    const FIELD: &'static str = "auth-protocol";
}

impl ProtocolNames for PrivacyProtocol {
    const ALL: &'static [(Self, &'static str, &'static [&'static str])] = &[
        (PrivacyProtocol::Des, "des", &[]),
        (PrivacyProtocol::Aes128, "aes128", &["aes"]),
    ];
    const FIELD: &'static str = "privacy-protocol";
}

/// `text` as a protocol of `P`: case and hyphens do not matter (`SHA-256` is `sha256`).
fn parse_protocol<P: ProtocolNames>(text: &str) -> Result<P, String> {
    let plain = text.to_ascii_lowercase().replace('-', "");
    P::ALL
        .iter()
        .find(|(_, name, aliases)| *name == plain || aliases.contains(&plain.as_str()))
        .map(|(protocol, _, _)| *protocol)
        .ok_or_else(|| {
            let names: Vec<&str> = P::ALL.iter().map(|(_, name, _)| *name).collect();
            format!("{} `{text}` is not one of {}", P::FIELD, names.join(", "))
        })
}

fn protocol_name<P: ProtocolNames + PartialEq>(protocol: P) -> &'static str {
    P::ALL
        .iter()
        .find(|(p, _, _)| *p == protocol)
        .map_or("", |(_, name, _)| name)
}

impl AuthProtocol {
    /// Every protocol, in the order of their strength.
    pub const ALL: [AuthProtocol; 6] = [
        AuthProtocol::Md5,
        AuthProtocol::Sha1,
        AuthProtocol::Sha224,
        AuthProtocol::Sha256,
        AuthProtocol::Sha384,
        AuthProtocol::Sha512,
    ];
}

impl PrivacyProtocol {
    /// Every protocol, in the order of their strength.
    pub const ALL: [PrivacyProtocol; 2] = [PrivacyProtocol::Des, PrivacyProtocol::Aes128];
}

macro_rules! protocol_text {
    ($($protocol:ty),*) => {$(
        impl std::str::FromStr for $protocol {
            type Err = String;

            fn from_str(text: &str) -> Result<Self, String> {
                parse_protocol(text)
            }
        }

        impl TryFrom<String> for $protocol {
            type Error = String;

            fn try_from(text: String) -> Result<Self, String> {
                parse_protocol(&text)
            }
        }

        impl std::fmt::Display for $protocol {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(protocol_name(*self))
            }
        }
    )*};
}

protocol_text!(AuthProtocol, PrivacyProtocol);

/// A strategy the server hands out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct StrategyListing {
    /// Its name.
    pub name: String,
    /// The version agents must run.
    pub version: String,
    /// SHA-256 of the component's bytes, hex: the agent checks the download against it.
    pub sha256: String,
    /// The publisher key that signed it, when it is signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<String>,
}

/// A batch of queued readings, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ReadingUpload {
    /// The readings, in ascending `seq`.
    pub items: Vec<UploadItem>,
}

/// One reading as the agent queued it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct UploadItem {
    /// The agent's sequence number: strictly increasing, never reused.
    pub seq: u64,
    /// The site whose range the device was found in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_id: Option<i64>,
    /// The address the device answered on.
    pub address: String,
    /// When it was read (UTC).
    pub taken_at: DateTime<Utc>,
    /// Which cycle read it.
    pub cycle: Cycle,
    /// The strategy that read it.
    pub strategy: StrategyRef,
    /// What was read.
    pub reading: Reading,
    /// The read's SNMP exchange as `.snmprec`, so the server can re-interpret it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// The read's web and NPAP exchanges as the `.exchanges.jsonl` log `quire record`
    /// writes beside its `.snmprec`: with `raw`, everything the read asked the device,
    /// so a strategy that reads over the web server re-reads on the server too. Absent
    /// when the read made none (and from agents older than the field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchanges: Option<String>,
    /// Supplies the agent believes were replaced since its previous reading of this device.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replaced_supplies: Vec<SupplyReplacement>,
    /// What the strategy that read it (`map-error`) made of each alert row and error-state
    /// bit of the reading, a failure kept beside its input. Absent from agents older than
    /// the field, whose readings the server then files unjudged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assessments: Vec<ErrorAssessment>,
}

/// A supply that was replaced between two readings, and why the agent thinks so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct SupplyReplacement {
    /// The device's row index of the supply.
    pub index: u32,
    /// Its description.
    pub description: String,
    /// What gave it away.
    pub evidence: ReplacementEvidence,
}

/// What showed that a supply was replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReplacementEvidence {
    /// The cartridge reports another serial number.
    SerialChanged {
        /// The serial before.
        before: String,
        /// The serial now.
        after: String,
    },
    /// The level rose by more than the threshold, as only a fresh supply does.
    LevelJump {
        /// Percent before.
        before: u8,
        /// Percent now.
        after: u8,
    },
}

/// The server's answer to an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct UploadAck {
    /// Every item with `seq` at or below this is filed (or was refused for good, see
    /// `rejected`): the agent may delete them.
    pub acked_through: u64,
    /// Items filed by this upload.
    pub filed: u32,
    /// Items already filed by an earlier upload (a retry), skipped.
    pub duplicates: u32,
    /// Items the server will never accept (a bad reading): acknowledged so they do not
    /// block the queue, and reported so the agent logs them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rejected: Vec<RejectedItem>,
}

/// One refused item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct RejectedItem {
    /// Its sequence number.
    pub seq: u64,
    /// Why, naming the field.
    pub message: String,
}

/// Every API error's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ApiError {
    /// What went wrong, for a person.
    pub message: String,
    /// The offending field (`ranges[2]`, `key`), when one is to blame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_settings_still_carry_what_agents_before_the_pace_require() {
        // An agent before the per-site pace reads `concurrency` and refuses a configuration
        // without it; a new agent still reads an older server's settings.
        let sent = serde_json::to_value(DiscoverySettings::default()).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({"timeout-ms": 1000, "retries": 0, "concurrency": 2048})
        );
        let old: DiscoverySettings =
            serde_json::from_str(r#"{"timeout-ms": 300, "retries": 1, "concurrency": 256}"#)
                .unwrap();
        assert_eq!((old.timeout_ms, old.retries), (300, 1));
    }

    #[test]
    fn agent_tokens_round_trip_through_the_header() {
        let token = AgentToken {
            agent_id: "ag_1".into(),
            secret: "s3cret".into(),
        };
        assert_eq!(
            AgentToken::from_header_value(&token.header_value()),
            Some(token)
        );
        assert_eq!(AgentToken::from_header_value("Bearer nocolon"), None);
        assert_eq!(AgentToken::from_header_value("Basic a:b"), None);
        assert_eq!(AgentToken::from_header_value("Bearer :b"), None);
    }

    #[test]
    fn credentials_never_show_their_secrets_in_debug() {
        let spec: CredentialSpec = serde_json::from_str(
            r#"{"version":"v3","user":"quire","auth-protocol":"sha256","auth-password":"authpass1","privacy-protocol":"aes128","privacy-password":"privpass1"}"#,
        )
        .unwrap();
        let shown = format!(
            "{spec:?} {:?}",
            CredentialSpec::V2c {
                community: "private".into()
            }
        );
        assert!(
            !shown.contains("pass1") && !shown.contains("private"),
            "{shown}"
        );
        assert!(shown.contains("sha256"), "{shown}");
    }

    #[test]
    fn protocols_are_written_in_the_api_s_words_and_read_in_net_snmp_s_too() {
        for (text, protocol) in [
            ("sha1", AuthProtocol::Sha1),
            ("SHA", AuthProtocol::Sha1),
            ("SHA-256", AuthProtocol::Sha256),
            ("md5", AuthProtocol::Md5),
        ] {
            assert_eq!(text.parse::<AuthProtocol>(), Ok(protocol), "{text}");
        }
        assert_eq!(
            "AES".parse::<PrivacyProtocol>(),
            Ok(PrivacyProtocol::Aes128)
        );
        let spec: CredentialSpec = serde_json::from_str(
            r#"{"version":"v3","user":"u","auth-protocol":"SHA","auth-password":"authpass1","privacy-protocol":"AES","privacy-password":"privpass1"}"#,
        )
        .unwrap();
        let written = serde_json::to_value(&spec).unwrap();
        assert_eq!(written["auth-protocol"], "sha1");
        assert_eq!(written["privacy-protocol"], "aes128");
        for protocol in AuthProtocol::ALL {
            assert_eq!(
                serde_json::to_value(protocol).unwrap(),
                protocol.to_string().as_str()
            );
        }
    }

    #[test]
    fn a_credential_is_refused_as_it_is_read_naming_what_is_wrong() {
        for (json, expected) in [
            (
                r#"{"version":"v3","user":"u","auth-proto":"SHA"}"#,
                "unknown field `auth-proto`",
            ),
            (
                r#"{"version":"v3","user":"u","auth-protocol":"bogus","auth-password":"authpass1"}"#,
                "auth-protocol `bogus` is not one of md5, sha1, sha224, sha256, sha384, sha512",
            ),
            (
                r#"{"version":"v3","user":"u","auth-protocol":"sha1"}"#,
                "missing field `auth-password`",
            ),
            (
                r#"{"version":"v3","user":"u","privacy-protocol":"des","privacy-password":"privpass1"}"#,
                "privacy needs authentication",
            ),
            (
                r#"{"version":"v2c","community":"public","user":"u"}"#,
                "unknown field `user`",
            ),
        ] {
            let error = serde_json::from_str::<CredentialSpec>(json).unwrap_err();
            assert!(error.to_string().contains(expected), "{json}: {error}");
        }
    }
}
