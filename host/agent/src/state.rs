//! What the agent remembers across restarts, in the queue's database: its enrollment, the
//! last configuration the server gave (so a restart while the server is down still reads
//! on schedule), and the devices discovery found with the supplies last read from each.

use std::net::IpAddr;

use quire_model::{Identity, Supply};
use quire_protocol::AgentConfig;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Row as _;

use crate::queue::{Queue, QueueError};
use crate::uplink::Enrollment;

const ENROLLMENT: &str = "enrollment";
const CONFIG: &str = "config";
/// Prefix of the state keys holding the last supplies of a printer read over IPP.
const IPP_SUPPLIES: &str = "ipp-supplies ";

/// A printing device discovery found: where it answers and how, and the supplies of its
/// last reading.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownDevice {
    /// Who it is, from its serial and MAC ([`device_key`]).
    pub key: String,
    /// The address it is read on.
    pub address: IpAddr,
    /// The site whose range it was found in.
    pub site_id: i64,
    /// The part of the network that range belongs to.
    pub part: Option<String>,
    /// Which of the configured credentials it answered.
    pub credential: usize,
    /// The supplies of its last reading that had any: what a new cartridge is told from.
    pub supplies: Vec<Supply>,
}

/// Who a device is, as the agent tells one device from another: its serial number and MAC
/// (the server keys devices the same way), so a printer answering on two addresses is one
/// device. A device that gives neither can only be told by its address.
pub fn device_key(identity: &Identity, address: IpAddr) -> String {
    let clean = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let serial = clean(&identity.serial);
    let mac = clean(&identity.mac).map(|m| m.to_ascii_lowercase());
    if serial.is_none() && mac.is_none() {
        return format!("address={address}");
    }
    format!(
        "serial={};mac={}",
        serial.unwrap_or_default(),
        mac.unwrap_or_default()
    )
}

impl Queue {
    /// The agent's enrollment, once `quire agent enroll` succeeded.
    pub async fn enrollment(&self) -> Result<Option<Enrollment>, QueueError> {
        self.value(ENROLLMENT).await
    }

    /// Keeps the enrollment (replacing an earlier one: enrolling again is how an agent
    /// moves to another server or account).
    pub async fn save_enrollment(&self, enrollment: &Enrollment) -> Result<(), QueueError> {
        self.set_value(ENROLLMENT, enrollment).await
    }

    /// The last configuration the server gave.
    pub async fn config(&self) -> Result<Option<AgentConfig>, QueueError> {
        self.value(CONFIG).await
    }

    /// Keeps the configuration just fetched.
    pub async fn save_config(&self, config: &AgentConfig) -> Result<(), QueueError> {
        self.set_value(CONFIG, config).await
    }

    /// The supplies of the last reading with any of the printer read over IPP at
    /// `uri`: a CUPS queue or a printer given by URI has no place among the devices
    /// discovery found (those are read over SNMP), yet its new cartridges are told
    /// the same way.
    pub async fn ipp_supplies(&self, uri: &str) -> Result<Vec<Supply>, QueueError> {
        Ok(self
            .value(&format!("{IPP_SUPPLIES}{uri}"))
            .await?
            .unwrap_or_default())
    }

    /// Keeps the supplies just read from the printer at `uri`.
    pub async fn save_ipp_supplies(
        &self,
        uri: &str,
        supplies: &[Supply],
    ) -> Result<(), QueueError> {
        self.set_value(&format!("{IPP_SUPPLIES}{uri}"), &supplies)
            .await
    }

    /// Every device discovery found, by key.
    pub async fn devices(&self) -> Result<Vec<KnownDevice>, QueueError> {
        let rows = sqlx::query(
            "SELECT key, address, site_id, part, credential, supplies FROM devices ORDER BY key",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.query(e))?;
        rows.into_iter()
            .map(|row| {
                let key: String = row.get("key");
                let address: String = row.get("address");
                let supplies: String = row.get("supplies");
                let credential: i64 = row.get("credential");
                Ok(KnownDevice {
                    address: address.parse().map_err(|_| {
                        self.corrupt(
                            &format!("device {key}: address {address:?}"),
                            serde::de::Error::custom("not an IP address"),
                        )
                    })?,
                    site_id: row.get("site_id"),
                    part: row.get("part"),
                    credential: credential as usize,
                    supplies: serde_json::from_str(&supplies)
                        .map_err(|e| self.corrupt(&format!("device {key}: supplies"), e))?,
                    key,
                })
            })
            .collect()
    }

    /// Adds a device or updates where and how it answers and its last supplies.
    pub async fn save_device(&self, device: &KnownDevice) -> Result<(), QueueError> {
        let supplies = serde_json::to_string(&device.supplies)
            .map_err(|e| self.corrupt(&format!("device {}: supplies", device.key), e))?;
        sqlx::query(
            "INSERT INTO devices (key, address, site_id, part, credential, supplies, seen_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET address = excluded.address,
                 site_id = excluded.site_id, part = excluded.part,
                 credential = excluded.credential, supplies = excluded.supplies,
                 seen_at = excluded.seen_at",
        )
        .bind(&device.key)
        .bind(device.address.to_string())
        .bind(device.site_id)
        .bind(&device.part)
        .bind(device.credential as i64)
        .bind(supplies)
        .bind(chrono::Utc::now().to_rfc3339())
        .execute(&self.pool)
        .await
        .map_err(|e| self.query(e))?;
        Ok(())
    }

    /// Forgets a device: another one now answers on its address.
    pub async fn forget_device(&self, key: &str) -> Result<(), QueueError> {
        sqlx::query("DELETE FROM devices WHERE key = ?")
            .bind(key)
            .execute(&self.pool)
            .await
            .map_err(|e| self.query(e))?;
        Ok(())
    }

    async fn value<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, QueueError> {
        let value: Option<String> = sqlx::query_scalar("SELECT value FROM state WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.query(e))?;
        value
            .map(|v| serde_json::from_str(&v).map_err(|e| self.corrupt(key, e)))
            .transpose()
    }

    async fn set_value<T: Serialize>(&self, key: &str, value: &T) -> Result<(), QueueError> {
        let value = serde_json::to_string(value).map_err(|e| self.corrupt(key, e))?;
        sqlx::query(
            "INSERT INTO state (key, value) VALUES (?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(|e| self.query(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_printer_on_two_addresses_has_one_key() {
        let identity = Identity {
            serial: Some(" W492KB03439 ".into()),
            mac: Some("00:26:73:54:E2:6A".into()),
            ..Identity::default()
        };
        let a = device_key(&identity, "127.80.0.1".parse().unwrap());
        let b = device_key(&identity, "127.80.0.2".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(a, "serial=W492KB03439;mac=00:26:73:54:e2:6a");
        let anonymous = Identity::default();
        assert_ne!(
            device_key(&anonymous, "127.80.0.1".parse().unwrap()),
            device_key(&anonymous, "127.80.0.2".parse().unwrap())
        );
    }

    #[tokio::test]
    async fn state_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("agent.db");
        let queue = Queue::open(&path).await.unwrap();
        let enrollment = Enrollment {
            server: "https://127.80.9.1:8443".into(),
            agent_id: "ag_1".into(),
            secret: "s3cret".into(),
            account_id: 4,
            certificate_sha256: "ab".repeat(32),
            key_sha256: Some("cd".repeat(32)),
        };
        queue.save_enrollment(&enrollment).await.unwrap();
        let device = KnownDevice {
            key: "serial=X;mac=".into(),
            address: "127.80.0.1".parse().unwrap(),
            site_id: 3,
            part: Some("floor-2".into()),
            credential: 1,
            supplies: Vec::new(),
        };
        queue.save_device(&device).await.unwrap();
        let moved = KnownDevice {
            address: "127.80.0.9".parse().unwrap(),
            ..device.clone()
        };
        queue.save_device(&moved).await.unwrap();
        drop(queue);

        let queue = Queue::open(&path).await.unwrap();
        assert_eq!(queue.enrollment().await.unwrap(), Some(enrollment));
        assert_eq!(queue.devices().await.unwrap(), [moved]);
        assert_eq!(queue.config().await.unwrap(), None);
    }
}
