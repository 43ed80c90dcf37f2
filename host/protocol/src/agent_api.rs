//! The agent API: enrollment, the configuration an agent fetches, reading uploads and
//! their acknowledgements, strategy downloads.
//!
//! Every call but enrollment carries `Authorization: Bearer <agent-id>:<secret>`.
//! Uploads are exactly-once by sequence number: the agent numbers every reading it
//! queues, the server files each `(agent, seq)` once, and the agent deletes a reading
//! only when an acknowledgement covers it — so a retry after a lost answer, a server
//! crash or a network cut never loses or doubles a reading.

use chrono::{DateTime, Utc};
use quire_model::{Cycle, Reading, StrategyRef};
use quire_schedule::ScheduleConfig;
use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct EnrollResponse {
    /// The agent's id, unique on this server.
    pub agent_id: String,
    /// The agent's secret, shown once; the server keeps only its hash.
    pub secret: String,
    /// The account the agent reads for.
    pub account_id: i64,
    /// SHA-256 of the server certificate's DER, hex: the agent pins it from now on.
    pub certificate_sha256: String,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Printers the site's agents read over IPP by URI (`ipp://host/ipp/print`):
    /// those whose SNMP is off, which discovery cannot find. Read with the first
    /// part of the site's network, on its meters & supplies and alert schedules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ipp_printers: Vec<String>,
}

/// A range of a site, with the part of the network it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SiteRange {
    /// The range.
    pub range: Range,
    /// The part of the network (schedules may differ per part); `None` is the site's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
}

/// Discovery's knobs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DiscoverySettings {
    /// How long to wait for an address to answer before calling it silent (milliseconds).
    pub timeout_ms: u32,
    /// How many times to ask again before that.
    pub retries: u32,
    /// Probes in flight at once.
    pub concurrency: u32,
}

impl Default for DiscoverySettings {
    fn default() -> Self {
        DiscoverySettings {
            timeout_ms: 1_000,
            retries: 0,
            concurrency: 2_048,
        }
    }
}

/// SNMP credentials as configured; secrets travel only to enrolled agents over TLS.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "version", rename_all = "kebab-case")]
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
        /// `md5`, `sha1`, `sha224`, `sha256`, `sha384` or `sha512`; none for noAuthNoPriv.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth_protocol: Option<String>,
        /// The authentication password.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        auth_password: Option<String>,
        /// `des` or `aes128`; none for authNoPriv.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        privacy_protocol: Option<String>,
        /// The privacy password.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        privacy_password: Option<String>,
        /// The context name, usually empty.
        #[serde(default)]
        context: String,
    },
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
                .field("auth_protocol", auth_protocol)
                .field("privacy_protocol", privacy_protocol)
                .finish_non_exhaustive(),
        }
    }
}

/// A strategy the server hands out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ReadingUpload {
    /// The readings, in ascending `seq`.
    pub items: Vec<UploadItem>,
}

/// One reading as the agent queued it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
}

/// A supply that was replaced between two readings, and why the agent thinks so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RejectedItem {
    /// Its sequence number.
    pub seq: u64,
    /// Why, naming the field.
    pub message: String,
}

/// Every API error's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}
