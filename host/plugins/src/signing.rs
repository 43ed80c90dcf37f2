//! Who vouches for a strategy: ed25519 signatures over a component's bytes, checked
//! against the publisher keys a server trusts.
//!
//! A signature covers the exact bytes, so a component altered anywhere on its way from
//! the maker to the server is refused. Keys and signatures travel as base64 text so they
//! fit in a header, a config file or an e-mail. The secret key file holds the PKCS#8
//! document ring generates, base64-encoded on one line.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

/// Why a key, a signature or a trust list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SigningError(String);

/// A publisher's secret key: what `quire plugin sign` signs with.
pub struct SigningKey {
    pair: Ed25519KeyPair,
    pkcs8: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public_key())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh key from the system's randomness.
    pub fn generate() -> Result<SigningKey, SigningError> {
        let document = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| SigningError("the system's random source failed".to_owned()))?;
        SigningKey::from_pkcs8(document.as_ref().to_vec())
    }

    /// Reads a key file's text (base64 PKCS#8).
    pub fn from_text(text: &str) -> Result<SigningKey, SigningError> {
        let pkcs8 = STANDARD
            .decode(text.trim())
            .map_err(|e| SigningError(format!("the key is not base64: {e}")))?;
        SigningKey::from_pkcs8(pkcs8)
    }

    fn from_pkcs8(pkcs8: Vec<u8>) -> Result<SigningKey, SigningError> {
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8)
            .map_err(|e| SigningError(format!("the key is not an ed25519 PKCS#8 key: {e}")))?;
        Ok(SigningKey { pair, pkcs8 })
    }

    /// The key file's text: keep it secret.
    pub fn to_text(&self) -> String {
        STANDARD.encode(&self.pkcs8)
    }

    /// The public half, base64: what a server lists as a trusted publisher.
    pub fn public_key(&self) -> String {
        STANDARD.encode(self.pair.public_key().as_ref())
    }

    /// The signature over `component`, base64.
    pub fn sign(&self, component: &[u8]) -> String {
        STANDARD.encode(self.pair.sign(component).as_ref())
    }
}

/// The publishers a server accepts signed strategies from, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedPublishers {
    keys: Vec<(String, Vec<u8>)>,
}

impl TrustedPublishers {
    /// Reads a trust list: one `name base64-public-key` per line; blank lines and `#`
    /// comments are skipped. A bad line is refused with its number.
    pub fn parse(text: &str) -> Result<TrustedPublishers, SigningError> {
        let mut keys = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line_no = index + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let (Some(name), Some(key), None) = (words.next(), words.next(), words.next()) else {
                return Err(SigningError(format!(
                    "line {line_no}: expected `name public-key`"
                )));
            };
            let key = STANDARD
                .decode(key)
                .ok()
                .filter(|k| k.len() == 32)
                .ok_or_else(|| {
                    SigningError(format!(
                        "line {line_no}: the key of {name:?} is not 32 bytes of base64"
                    ))
                })?;
            keys.push((name.to_owned(), key));
        }
        Ok(TrustedPublishers { keys })
    }

    /// Whether any publisher is trusted at all.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The trusted publisher whose key made `signature` (base64) over `component`.
    pub fn verify(&self, component: &[u8], signature: &str) -> Result<&str, SigningError> {
        let signature = STANDARD
            .decode(signature.trim())
            .map_err(|e| SigningError(format!("the signature is not base64: {e}")))?;
        self.keys
            .iter()
            .find(|(_, key)| {
                UnparsedPublicKey::new(&ED25519, key)
                    .verify(component, &signature)
                    .is_ok()
            })
            .map(|(name, _)| name.as_str())
            .ok_or_else(|| {
                SigningError(
                    "the signature was not made over these bytes by any trusted publisher's key"
                        .to_owned(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_names_its_publisher_and_covers_every_byte() {
        let acme = SigningKey::generate().unwrap();
        let other = SigningKey::generate().unwrap();
        let trusted = TrustedPublishers::parse(&format!(
            "# makers we trust\n\nacme {}\nbeta {}\n",
            acme.public_key(),
            SigningKey::generate().unwrap().public_key()
        ))
        .unwrap();
        let component = b"\0asm component bytes";
        let signature = acme.sign(component);
        assert_eq!(trusted.verify(component, &signature), Ok("acme"));

        let mut altered = component.to_vec();
        altered[5] ^= 1;
        assert!(trusted.verify(&altered, &signature).is_err());
        assert!(trusted.verify(component, &other.sign(component)).is_err());
        assert!(
            trusted
                .verify(component, "not base64!")
                .unwrap_err()
                .0
                .contains("not base64")
        );

        let reloaded = SigningKey::from_text(&acme.to_text()).unwrap();
        assert_eq!(
            trusted.verify(component, &reloaded.sign(component)),
            Ok("acme")
        );
        assert!(!format!("{acme:?}").contains(&acme.to_text()));
    }

    #[test]
    fn a_bad_trust_list_names_its_line() {
        assert_eq!(
            TrustedPublishers::parse("acme\n").unwrap_err().0,
            "line 1: expected `name public-key`"
        );
        assert_eq!(
            TrustedPublishers::parse("# x\nacme c2hvcnQ=\n")
                .unwrap_err()
                .0,
            "line 2: the key of \"acme\" is not 32 bytes of base64"
        );
        assert!(SigningKey::from_text("AAAA").is_err());
    }
}
