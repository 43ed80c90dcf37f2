//! Random tokens, their hashes, and password hashing.

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// An argon2id PHC string for `password`, with argon2's default parameters.
pub(crate) fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source");
    let encoded = SaltString::encode_b64(&salt).expect("16 bytes make a valid salt");
    let argon2 = Argon2::default();
    let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
        Ok(with_memory(&argon2, password, &salt, out)?)
    })
    .expect("argon2 with default parameters hashes any password");
    PasswordHash {
        algorithm: Algorithm::default().ident(),
        version: Some(Version::default().into()),
        params: ParamsString::try_from(&Params::default())
            .expect("argon2's default parameters are written"),
        salt: Some(encoded.as_salt()),
        hash: Some(output),
    }
    .to_string()
}

/// Whether `password` matches the stored PHC string, computed with the parameters it
/// names and compared in constant time; a string that does not parse matches nothing.
pub(crate) fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(hash) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) =
        (Algorithm::try_from(hash.algorithm), Params::try_from(&hash))
    else {
        return false;
    };
    let Ok(version) = hash
        .version
        .map_or(Ok(Version::default()), Version::try_from)
    else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params);
    let mut computed = vec![0u8; expected.len()];
    with_memory(&argon2, password, salt, &mut computed).is_ok()
        && Output::new(&computed).is_ok_and(|computed| computed == expected)
}

thread_local! {
    /// Argon2's working memory (19 MiB with the default parameters), kept by each thread
    /// that hashes and reused by its next hash. Allocated afresh each time, glibc served
    /// every hash a new 19 MiB and kept the old ones: a server grew by 19 MiB per login
    /// until about 300 MiB (`quire-bench logins`, README "Hardening").
    static ARGON2_MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `argon2` of `password` and `salt` into `out`, in this thread's kept working memory.
fn with_memory(argon2: &Argon2, password: &str, salt: &[u8], out: &mut [u8]) -> argon2::Result<()> {
    ARGON2_MEMORY.with_borrow_mut(|blocks| {
        blocks.resize(argon2.params().block_count(), Block::new());
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, blocks.as_mut_slice())
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

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    use super::*;

    #[test]
    fn a_hash_stored_by_the_argon2_crate_still_verifies_and_ours_verifies_there() {
        let salt = SaltString::encode_b64(b"sixteen salt b!!").unwrap();
        // As stored before the working memory was kept per thread, and with other parameters.
        let theirs = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        let cheaper = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 3, 1, None).unwrap(),
        )
        .hash_password(b"correct horse battery", &salt)
        .unwrap()
        .to_string();
        for stored in [&theirs, &cheaper] {
            assert!(verify_password("correct horse battery", stored), "{stored}");
            assert!(
                !verify_password("correct horse batterz", stored),
                "{stored}"
            );
        }

        let ours = hash_password("correct horse battery");
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        assert!(verify_password("correct horse battery", &ours));
        assert!(!verify_password("correct horse battery ", &ours));
        assert_ne!(ours, hash_password("correct horse battery"), "salted");
    }

    #[test]
    fn a_stored_string_that_is_no_argon2_hash_matches_nothing() {
        for stored in [
            "",
            "plain",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA",
            "$scrypt$ln=15$abc$def",
        ] {
            assert!(!verify_password("", stored), "{stored}");
            assert!(!verify_password("plain", stored), "{stored}");
        }
    }
}
