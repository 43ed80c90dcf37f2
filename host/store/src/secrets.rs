//! SNMP secrets at rest: communities and v3 passwords are what lets anyone read (and for
//! a writable community, configure) a customer's printers, so the database keeps them
//! sealed with a key it does not hold. A copied database file or dump alone reveals
//! nothing; the key lives beside the server's TLS key (see `quire-server`).
//!
//! A sealed value is the JSON object `{"sealed": "v1:<base64>"}` in place of the
//! plaintext spec, so the column keeps its type on both backends (PostgreSQL's is
//! JSONB). The base64 holds a random 96-bit nonce, then the ChaCha20-Poly1305 sealing of
//! the spec's JSON (ring's AEAD: the same library the server's TLS uses), whose tag also
//! refuses a value altered or moved to another account's row (the account and position
//! are its associated data). A store opened without a key reads and writes plaintext,
//! as before this module; with one it reads both, and [`Store::seal_credentials`] seals
//! what an older version left in plaintext.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use serde_json::Value;

use crate::Store;
use crate::error::{Error, Result};
use crate::types::AccountId;

/// The bytes of a key.
pub const SECRETS_KEY_LEN: usize = 32;

/// What marks a sealed value, and its format's version.
const SEALED: &str = "sealed";
const VERSION: &str = "v1:";

/// The key SNMP secrets are sealed with.
pub struct SecretsKey(LessSafeKey);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey(…)")
    }
}

impl SecretsKey {
    /// The key of `bytes`.
    pub fn new(bytes: &[u8; SECRETS_KEY_LEN]) -> SecretsKey {
        let key = UnboundKey::new(&CHACHA20_POLY1305, bytes)
            .expect("a ChaCha20-Poly1305 key is 32 bytes");
        SecretsKey(LessSafeKey::new(key))
    }

    /// Fresh random key bytes, for a server's first start.
    pub fn generate() -> [u8; SECRETS_KEY_LEN] {
        let mut bytes = [0; SECRETS_KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system's random source works");
        bytes
    }

    /// `plain` sealed for the row `(account, position)`.
    pub(crate) fn seal(&self, plain: &Value, account: AccountId, position: usize) -> Value {
        let mut nonce = [0; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system's random source works");
        let mut sealed = plain.to_string().into_bytes();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(row_label(account, position)),
                &mut sealed,
            )
            .expect("a credential spec is far below ChaCha20-Poly1305's length limit");
        let mut bytes = nonce.to_vec();
        bytes.append(&mut sealed);
        serde_json::json!({ SEALED: format!("{VERSION}{}", STANDARD.encode(bytes)) })
    }

    /// The plaintext of the value stored at `(account, position)`.
    fn open(&self, sealed: &str, account: AccountId, position: usize) -> Result<Value> {
        let corrupt = |reason: &str| Error::Corrupt {
            column: "account_credentials.spec",
            value: format!("the sealed spec of {account} at {position}"),
            reason: reason.to_owned(),
        };
        let encoded = sealed
            .strip_prefix(VERSION)
            .ok_or_else(|| corrupt("not sealed in a format this version knows (v1)"))?;
        let mut bytes = STANDARD
            .decode(encoded)
            .map_err(|_| corrupt("its sealed text is not base64"))?;
        if bytes.len() < NONCE_LEN {
            return Err(corrupt("too short to hold its nonce"));
        }
        let mut sealed = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes)
            .map_err(|_| corrupt("too short to hold its nonce"))?;
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(row_label(account, position)), &mut sealed)
            .map_err(|_| {
                corrupt(
                    "it does not open with this server's secrets key: another key sealed it, \
                     or it was altered or moved",
                )
            })?;
        serde_json::from_slice(plain).map_err(|e| corrupt(&format!("its plaintext: {e}")))
    }
}

/// The associated data that binds a sealed spec to its row.
fn row_label(account: AccountId, position: usize) -> Vec<u8> {
    format!("account_credentials/{}/{position}", account.0).into_bytes()
}

/// The sealed text of a stored value, if it is sealed.
fn sealed_text(stored: &Value) -> Option<&str> {
    stored.as_object()?.get(SEALED)?.as_str()
}

impl Store {
    /// This store, sealing SNMP secrets with `key` from now on (and opening those it sealed).
    pub fn with_secrets_key(mut self, key: SecretsKey) -> Store {
        self.secrets = Some(std::sync::Arc::new(key));
        self
    }

    /// A credential spec as stored: sealed where this store has a key.
    pub(crate) fn stored_spec(&self, plain: Value, account: AccountId, position: usize) -> Value {
        match &self.secrets {
            Some(key) => key.seal(&plain, account, position),
            None => plain,
        }
    }

    /// A stored credential spec's plaintext: a sealed one needs this store's key.
    pub(crate) fn plain_spec(
        &self,
        stored: Value,
        account: AccountId,
        position: usize,
    ) -> Result<Value> {
        match (sealed_text(&stored), &self.secrets) {
            (None, _) => Ok(stored),
            (Some(sealed), Some(key)) => key.open(sealed, account, position),
            (Some(_), None) => Err(Error::Corrupt {
                column: "account_credentials.spec",
                value: format!("the sealed spec of {account} at {position}"),
                reason: "it is sealed, and this process was given no secrets key".to_owned(),
            }),
        }
    }

    /// Seals every SNMP secret an older version (or a store without a key) left in
    /// plaintext, so a server upgraded in place keeps none readable from its database.
    /// Returns how many specs it sealed; none without a key.
    pub async fn seal_credentials(&self) -> Result<usize> {
        if self.secrets.is_none() {
            return Ok(0);
        }
        let mut sealed = 0;
        for (account, position, stored) in self.stored_credentials().await? {
            if sealed_text(&stored).is_none() {
                let value = self.stored_spec(stored, account, position);
                self.replace_stored_credential(account, position, value)
                    .await?;
                sealed += 1;
            }
        }
        Ok(sealed)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_sealed_spec_opens_only_with_its_key_and_on_its_own_row() {
        let key = SecretsKey::new(&SecretsKey::generate());
        let plain = json!({"version": "v2c", "community": "s3cret-community"});
        let stored = key.seal(&plain, AccountId(7), 0);
        let text = stored.to_string();
        assert!(!text.contains("s3cret"), "{text}");
        let sealed = sealed_text(&stored).unwrap();
        assert_eq!(key.open(sealed, AccountId(7), 0).unwrap(), plain);
        assert_ne!(
            key.seal(&plain, AccountId(7), 0),
            stored,
            "a fresh nonce each time"
        );

        let moved = key.open(sealed, AccountId(8), 0).unwrap_err().to_string();
        assert!(moved.contains("does not open"), "{moved}");
        let other = SecretsKey::new(&SecretsKey::generate());
        assert!(other.open(sealed, AccountId(7), 0).is_err());
        for bad in ["v2:AAAA", "v1:not base64!", "v1:AAAA"] {
            assert!(key.open(bad, AccountId(7), 0).is_err(), "{bad}");
        }
    }
}
