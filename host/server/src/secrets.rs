//! Random tokens, their hashes, and password hashing.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use quire_store::{AccountId, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A key just issued: the only time the key itself is seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct IssuedKey {
    /// The key's id, for listing and revoking it.
    pub id: i64,
    /// The account it enrolls agents for.
    pub account_id: i64,
    /// The key, to hand to whoever installs the agent.
    pub key: String,
    /// After this it is refused.
    pub expires_at: DateTime<Utc>,
}

/// 32 random bytes as 64 hex digits: sessions, enrollment keys and agent secrets.
pub(crate) fn token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    hex::encode(bytes)
}

/// A short random id with a prefix naming what it is (`ag-…` for agents).
pub(crate) fn id(prefix: &str) -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    format!("{prefix}-{}", hex::encode(bytes))
}

/// A password people can type: 20 letters and digits, about 119 bits.
pub(crate) fn password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// SHA-256 hex of a high-entropy token: what the database keeps instead of it.
pub(crate) fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two token hashes without leaking where they differ.
pub(crate) fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

/// An argon2id PHC string for `password`.
pub(crate) fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Whether `password` matches the stored PHC string.
pub(crate) fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A hash of a random password nobody knows, with the parameters of every stored one.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&token()));

/// Whether `password` matches `stored`; with no user (`None`) it checks against a dummy
/// hash and answers false, so an unknown name costs a login the same argon2 work as a
/// wrong password and the answer's timing does not list the user names.
pub(crate) fn verify_password_of(password: &str, stored: Option<&str>) -> bool {
    match stored {
        Some(stored) => verify_password(password, stored),
        None => {
            verify_password(password, &DUMMY_HASH);
            false
        }
    }
}

/// Computes the dummy hash ahead of the first login, so the first unknown name is not
/// the one slow answer.
pub(crate) fn prepare_dummy_hash() {
    std::sync::LazyLock::force(&DUMMY_HASH);
}

/// The shortest password accepted.
pub(crate) const MIN_PASSWORD: usize = 10;

/// The password rule, as every refusal states it.
pub(crate) const PASSWORD_RULE: &str = "a password has at least 10 characters, is not only spaces or \
     one character repeated, and is not the user name";

/// Refuses what is obviously weak, saying the rule: too short, blank, one character
/// repeated, or the user's own name (in any case).
pub(crate) fn check_password(user_name: &str, password: &str) -> Result<(), String> {
    let mut chars = password.chars();
    let first = chars.clone().next();
    let weak = password.chars().count() < MIN_PASSWORD
        || password.trim().is_empty()
        || chars.all(|c| Some(c) == first)
        || password.trim().to_lowercase() == user_name.trim().to_lowercase();
    if weak {
        Err(PASSWORD_RULE.to_owned())
    } else {
        Ok(())
    }
}

/// Issues an enrollment key for `account`, valid for `valid_hours`: the key is returned
/// once and only its hash is stored. Used by the REST API and by
/// `quire server enrollment-key`, which works on the database directly.
pub async fn issue_enrollment_key(
    store: &Store,
    account: AccountId,
    valid_hours: u32,
    now: DateTime<Utc>,
) -> quire_store::Result<IssuedKey> {
    store.account(account).await?;
    let key = token();
    let expires_at = now + chrono::Duration::hours(i64::from(valid_hours));
    let id = store
        .issue_enrollment_key(account, &hash_token(&key), now, expires_at)
        .await?;
    Ok(IssuedKey {
        id: id.0,
        account_id: account.0,
        key,
        expires_at,
    })
}
