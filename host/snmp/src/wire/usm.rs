//! The User-based Security Model's cryptography: password-to-key and key
//! localization (RFC 3414 A.2, with the SHA-2 hashes of RFC 7860), HMAC
//! message authentication (HMAC-MD5-96, HMAC-SHA-96, and RFC 7860's
//! HMAC-SHA-2 truncations), and privacy (DES-CBC, RFC 3414 8.1; AES-128-CFB,
//! RFC 3826) with their salt and IV rules.
//!
//! A password is turned into a key once (a megabyte of hashing) with
//! [`UsmUser::with_auth`]; each engine then gets its own cheap localized copy
//! from [`UsmUser::localize`], so a simulator with thousands of engines does
//! not repeat the expensive step.

use std::fmt;
use std::str::FromStr;

use aes::Aes128;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::NoPadding};
use cfb_mode::cipher::AsyncStreamCipher;
use des::Des;
use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use crate::WireError;

/// RFC 3414 11.2: shorter passwords are refused, as net-snmp does.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Why USM credentials or a protected message cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsmError {
    /// The password is shorter than [`MIN_PASSWORD_LEN`].
    #[error("a USM password needs at least {MIN_PASSWORD_LEN} characters")]
    PasswordTooShort,
    /// Privacy was asked for without authentication, which the USM forbids.
    #[error("privacy needs authentication (authPriv), not noAuthNoPriv")]
    PrivacyWithoutAuth,
    /// A credential spec (`user[:auth:pass[:priv:pass]]`) did not parse.
    #[error("bad v3 user {0:?}: expected NAME, NAME:AUTH:PASS or NAME:AUTH:PASS:PRIV:PASS")]
    BadSpec(String),
    /// An unknown protocol name.
    #[error("unknown protocol {0:?}")]
    UnknownProtocol(String),
    /// msgPrivacyParameters are not the 8 bytes the protocol needs.
    #[error("privacy parameters have {0} bytes, not 8")]
    BadSalt(usize),
    /// DES ciphertext must be a whole number of 8-byte blocks.
    #[error("DES ciphertext of {0} bytes is not a multiple of 8")]
    BadCiphertext(usize),
}

/// An authentication protocol: the hash and how much of the HMAC is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthProtocol {
    /// usmHMACMD5AuthProtocol, 12-byte MAC.
    Md5,
    /// usmHMACSHAAuthProtocol, 12-byte MAC.
    Sha1,
    /// usmHMAC128SHA224AuthProtocol, 16-byte MAC.
    Sha224,
    /// usmHMAC192SHA256AuthProtocol, 24-byte MAC.
    Sha256,
    /// usmHMAC256SHA384AuthProtocol, 32-byte MAC.
    Sha384,
    /// usmHMAC384SHA512AuthProtocol, 48-byte MAC.
    Sha512,
}

impl AuthProtocol {
    /// Length of msgAuthenticationParameters: the truncated HMAC.
    pub fn mac_len(self) -> usize {
        match self {
            AuthProtocol::Md5 | AuthProtocol::Sha1 => 12,
            AuthProtocol::Sha224 => 16,
            AuthProtocol::Sha256 => 24,
            AuthProtocol::Sha384 => 32,
            AuthProtocol::Sha512 => 48,
        }
    }

    fn hash(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut d = D::new();
            for p in parts {
                d.update(p);
            }
            d.finalize().to_vec()
        }
        match self {
            AuthProtocol::Md5 => run::<Md5>(parts),
            AuthProtocol::Sha1 => run::<Sha1>(parts),
            AuthProtocol::Sha224 => run::<Sha224>(parts),
            AuthProtocol::Sha256 => run::<Sha256>(parts),
            AuthProtocol::Sha384 => run::<Sha384>(parts),
            AuthProtocol::Sha512 => run::<Sha512>(parts),
        }
    }

    /// The full HMAC of `data`; HMAC takes keys of any length, so the
    /// `Err` arms cannot happen and give an empty MAC that never verifies.
    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        macro_rules! mac {
            ($d:ty) => {
                match <Hmac<$d> as Mac>::new_from_slice(key) {
                    Ok(mut m) => {
                        m.update(data);
                        m.finalize().into_bytes().to_vec()
                    }
                    Err(_) => Vec::new(),
                }
            };
        }
        match self {
            AuthProtocol::Md5 => mac!(Md5),
            AuthProtocol::Sha1 => mac!(Sha1),
            AuthProtocol::Sha224 => mac!(Sha224),
            AuthProtocol::Sha256 => mac!(Sha256),
            AuthProtocol::Sha384 => mac!(Sha384),
            AuthProtocol::Sha512 => mac!(Sha512),
        }
    }
}

impl FromStr for AuthProtocol {
    type Err = UsmError;

    /// net-snmp's names (`MD5`, `SHA`, `SHA-224` … `SHA-512`), any case.
    fn from_str(s: &str) -> Result<Self, UsmError> {
        Ok(match s.to_ascii_uppercase().replace('_', "-").as_str() {
            "MD5" => AuthProtocol::Md5,
            "SHA" | "SHA1" | "SHA-1" => AuthProtocol::Sha1,
            "SHA224" | "SHA-224" => AuthProtocol::Sha224,
            "SHA256" | "SHA-256" => AuthProtocol::Sha256,
            "SHA384" | "SHA-384" => AuthProtocol::Sha384,
            "SHA512" | "SHA-512" => AuthProtocol::Sha512,
            _ => return Err(UsmError::UnknownProtocol(s.to_owned())),
        })
    }
}

/// A privacy protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrivProtocol {
    /// usmDESPrivProtocol: DES-CBC.
    Des,
    /// usmAesCfb128Protocol: AES-128 in 128-bit CFB mode.
    Aes128,
}

impl FromStr for PrivProtocol {
    type Err = UsmError;

    /// net-snmp's names (`DES`, `AES`, `AES128`), any case.
    fn from_str(s: &str) -> Result<Self, UsmError> {
        Ok(match s.to_ascii_uppercase().as_str() {
            "DES" => PrivProtocol::Des,
            "AES" | "AES128" | "AES-128" => PrivProtocol::Aes128,
            _ => return Err(UsmError::UnknownProtocol(s.to_owned())),
        })
    }
}

/// RFC 3414 A.2: hash the password repeated to one megabyte.
pub fn password_to_key(proto: AuthProtocol, password: &[u8]) -> Result<Vec<u8>, UsmError> {
    if password.len() < MIN_PASSWORD_LEN {
        return Err(UsmError::PasswordTooShort);
    }
    const TOTAL: usize = 1_048_576;
    let mut expanded = Vec::with_capacity(TOTAL);
    while expanded.len() < TOTAL {
        let take = password.len().min(TOTAL - expanded.len());
        expanded.extend_from_slice(&password[..take]);
    }
    Ok(proto.hash(&[&expanded]))
}

/// RFC 3414 A.2.2: the key one engine knows a user by, `H(Ku | engineID | Ku)`.
pub fn localize_key(proto: AuthProtocol, key: &[u8], engine_id: &[u8]) -> Vec<u8> {
    proto.hash(&[key, engine_id, key])
}

/// Computes the truncated HMAC of `message` (an encoded v3 message whose
/// msgAuthenticationParameters hold `mac_len` bytes, zeros or anything) and
/// writes it into those bytes.
pub fn sign(proto: AuthProtocol, key: &[u8], message: &mut [u8]) -> Result<(), WireError> {
    let range = auth_range(proto, message)?;
    message[range.clone()].fill(0);
    let mac = proto.hmac(key, message);
    message[range.clone()].copy_from_slice(&mac[..proto.mac_len()]);
    Ok(())
}

/// Whether the message's msgAuthenticationParameters are the HMAC of the
/// message with them zeroed. Compares in constant time.
pub fn verify(proto: AuthProtocol, key: &[u8], message: &[u8]) -> Result<bool, WireError> {
    let range = auth_range(proto, message)?;
    let mut zeroed = message.to_vec();
    zeroed[range.clone()].fill(0);
    let mac = proto.hmac(key, &zeroed);
    let sent = &message[range];
    let diff = mac.iter().zip(sent).fold(0u8, |acc, (a, b)| acc | (a ^ b));
    Ok(mac.len() >= sent.len() && diff == 0)
}

fn auth_range(proto: AuthProtocol, message: &[u8]) -> Result<std::ops::Range<usize>, WireError> {
    let range = super::auth_params_range(message)?;
    if range.len() != proto.mac_len() {
        return Err(WireError {
            offset: range.start,
            message: format!(
                "msgAuthenticationParameters has {} bytes, {:?} needs {}",
                range.len(),
                proto,
                proto.mac_len()
            ),
        });
    }
    Ok(range)
}

/// Encrypts an encoded scopedPDU. `salt` must differ for every message sent
/// with this key (a counter is the usual choice). Returns the ciphertext
/// and the msgPrivacyParameters to send with it.
///
/// DES (RFC 3414 8.1.1.1): key = localized key bytes 0..8, pre-IV = bytes
/// 8..16, salt = engineBoots ‖ low 32 bits of `salt`, IV = pre-IV XOR salt;
/// the plaintext is padded to 8 bytes. AES (RFC 3826 3.1.2.1): key = bytes
/// 0..16, IV = engineBoots ‖ engineTime ‖ 64-bit salt, no padding. Both use
/// the authoritative engine's boots and time, the values in the message.
pub fn encrypt(
    proto: PrivProtocol,
    key: &[u8],
    engine_boots: i32,
    engine_time: i32,
    salt: u64,
    plaintext: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let mut buf = plaintext.to_vec();
    match proto {
        PrivProtocol::Des => {
            let mut params = engine_boots.to_be_bytes().to_vec();
            params.extend_from_slice(&(salt as u32).to_be_bytes());
            let (k, iv) = des_key_iv(key, &params);
            buf.resize(plaintext.len().div_ceil(8) * 8, 0);
            let len = buf.len();
            let out = cbc::Encryptor::<Des>::new(&k.into(), &iv.into())
                .encrypt_padded_mut::<NoPadding>(&mut buf, len)
                .map(<[u8]>::to_vec)
                .unwrap_or_default();
            (out, params)
        }
        PrivProtocol::Aes128 => {
            let params = salt.to_be_bytes().to_vec();
            let (k, iv) = aes_key_iv(key, engine_boots, engine_time, &params);
            cfb_mode::Encryptor::<Aes128>::new(&k.into(), &iv.into()).encrypt(&mut buf);
            (buf, params)
        }
    }
}

/// Decrypts an encryptedPDU back to the encoded scopedPDU (DES leaves its
/// padding on the end; [`super::ScopedPdu::decode`] ignores it).
pub fn decrypt(
    proto: PrivProtocol,
    key: &[u8],
    engine_boots: i32,
    engine_time: i32,
    priv_params: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, UsmError> {
    if priv_params.len() != 8 {
        return Err(UsmError::BadSalt(priv_params.len()));
    }
    let mut buf = ciphertext.to_vec();
    match proto {
        PrivProtocol::Des => {
            if !buf.len().is_multiple_of(8) {
                return Err(UsmError::BadCiphertext(buf.len()));
            }
            let (k, iv) = des_key_iv(key, priv_params);
            cbc::Decryptor::<Des>::new(&k.into(), &iv.into())
                .decrypt_padded_mut::<NoPadding>(&mut buf)
                .map_err(|_| UsmError::BadCiphertext(ciphertext.len()))?;
            Ok(buf)
        }
        PrivProtocol::Aes128 => {
            let (k, iv) = aes_key_iv(key, engine_boots, engine_time, priv_params);
            cfb_mode::Decryptor::<Aes128>::new(&k.into(), &iv.into()).decrypt(&mut buf);
            Ok(buf)
        }
    }
}

/// Copies the first `N` bytes of a key, zero-filled if it is shorter (the
/// localized keys of every supported hash are at least 16 bytes).
fn prefix<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let n = bytes.len().min(N);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

fn des_key_iv(key: &[u8], salt: &[u8]) -> ([u8; 8], [u8; 8]) {
    let k = prefix::<8>(key);
    let pre_iv = prefix::<8>(key.get(8..).unwrap_or_default());
    let mut iv = [0u8; 8];
    for (i, b) in iv.iter_mut().enumerate() {
        *b = pre_iv[i] ^ salt.get(i).copied().unwrap_or(0);
    }
    (k, iv)
}

fn aes_key_iv(key: &[u8], boots: i32, time: i32, salt: &[u8]) -> ([u8; 16], [u8; 16]) {
    let mut iv = [0u8; 16];
    iv[..4].copy_from_slice(&boots.to_be_bytes());
    iv[4..8].copy_from_slice(&time.to_be_bytes());
    iv[8..].copy_from_slice(&prefix::<8>(salt));
    (prefix::<16>(key), iv)
}

/// A v3 user with its master keys (Ku), ready to be localized per engine.
/// `Debug` shows the name and protocols, never the keys.
#[derive(Clone, PartialEq, Eq)]
pub struct UsmUser {
    name: Vec<u8>,
    auth: Option<(AuthProtocol, Vec<u8>)>,
    privacy: Option<(PrivProtocol, Vec<u8>)>,
}

impl UsmUser {
    /// A user without authentication or privacy (noAuthNoPriv).
    pub fn new(name: impl Into<Vec<u8>>) -> Self {
        UsmUser {
            name: name.into(),
            auth: None,
            privacy: None,
        }
    }

    /// Adds authentication with a password.
    pub fn with_auth(mut self, proto: AuthProtocol, password: &[u8]) -> Result<Self, UsmError> {
        self.auth = Some((proto, password_to_key(proto, password)?));
        Ok(self)
    }

    /// Adds privacy; the privacy password is hashed with the authentication
    /// protocol, so authentication must be set first.
    pub fn with_privacy(mut self, proto: PrivProtocol, password: &[u8]) -> Result<Self, UsmError> {
        let (auth, _) = self.auth.as_ref().ok_or(UsmError::PrivacyWithoutAuth)?;
        self.privacy = Some((proto, password_to_key(*auth, password)?));
        Ok(self)
    }

    /// The user name.
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// The keys this user has at the engine `engine_id`.
    pub fn localize(&self, engine_id: &[u8]) -> LocalizedUser {
        let auth = self
            .auth
            .as_ref()
            .map(|(p, ku)| (*p, localize_key(*p, ku, engine_id)));
        let privacy = match (&self.auth, &self.privacy) {
            (Some((a, _)), Some((p, ku))) => Some((*p, localize_key(*a, ku, engine_id))),
            _ => None,
        };
        LocalizedUser {
            name: self.name.clone(),
            auth,
            privacy,
        }
    }
}

impl FromStr for UsmUser {
    type Err = UsmError;

    /// `NAME`, `NAME:AUTH:AUTHPASS` or `NAME:AUTH:AUTHPASS:PRIV:PRIVPASS`
    /// (`quire:sha:authpass123:aes:privpass123`); the privacy password may
    /// contain `:`, the others may not.
    fn from_str(spec: &str) -> Result<Self, UsmError> {
        let parts: Vec<&str> = spec.splitn(5, ':').collect();
        let bad = || UsmError::BadSpec(spec.split(':').next().unwrap_or_default().to_owned());
        match parts.as_slice() {
            [name] if !name.is_empty() => Ok(UsmUser::new(*name)),
            [name, auth, pass] if !name.is_empty() => {
                UsmUser::new(*name).with_auth(auth.parse()?, pass.as_bytes())
            }
            [name, auth, pass, privacy, ppass] if !name.is_empty() => UsmUser::new(*name)
                .with_auth(auth.parse()?, pass.as_bytes())?
                .with_privacy(privacy.parse()?, ppass.as_bytes()),
            _ => Err(bad()),
        }
    }
}

impl fmt::Debug for UsmUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsmUser")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("auth", &self.auth.as_ref().map(|(p, _)| p))
            .field("privacy", &self.privacy.as_ref().map(|(p, _)| p))
            .finish()
    }
}

/// A user's keys at one engine (Kul). `Debug` never shows the keys.
#[derive(Clone, PartialEq, Eq)]
pub struct LocalizedUser {
    /// The user name.
    pub name: Vec<u8>,
    /// Authentication protocol and localized key.
    pub auth: Option<(AuthProtocol, Vec<u8>)>,
    /// Privacy protocol and localized key.
    pub privacy: Option<(PrivProtocol, Vec<u8>)>,
}

impl fmt::Debug for LocalizedUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalizedUser")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("auth", &self.auth.as_ref().map(|(p, _)| p))
            .field("privacy", &self.privacy.as_ref().map(|(p, _)| p))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    const ENGINE: &str = "00 00 00 00 00 00 00 00 00 00 00 02";

    #[test]
    fn rfc3414_a3_1_md5_key_localization() {
        let ku = password_to_key(AuthProtocol::Md5, b"maplesyrup").unwrap();
        assert_eq!(ku, hex("9f af 32 83 88 4e 92 83 4e bc 98 47 d8 ed d9 63"));
        let kul = localize_key(AuthProtocol::Md5, &ku, &hex(ENGINE));
        assert_eq!(kul, hex("52 6f 5e ed 9f cc e2 6f 89 64 c2 93 07 87 d8 2b"));
    }

    #[test]
    fn rfc3414_a3_2_sha_key_localization() {
        let ku = password_to_key(AuthProtocol::Sha1, b"maplesyrup").unwrap();
        assert_eq!(
            ku,
            hex("9f b5 cc 03 81 49 7b 37 93 52 89 39 ff 78 8d 5d 79 14 52 11")
        );
        let kul = localize_key(AuthProtocol::Sha1, &ku, &hex(ENGINE));
        assert_eq!(
            kul,
            hex("66 95 fe bc 92 88 e3 62 82 23 5f c7 15 1f 12 84 97 b3 8f 3f")
        );
    }

    #[test]
    fn short_passwords_are_refused() {
        assert_eq!(
            password_to_key(AuthProtocol::Sha256, b"short"),
            Err(UsmError::PasswordTooShort)
        );
    }

    #[test]
    fn des_and_aes_round_trip_and_hide_the_plaintext() {
        let key = hex("66 95 fe bc 92 88 e3 62 82 23 5f c7 15 1f 12 84 97 b3 8f 3f");
        let plain = b"a scoped PDU that is not a multiple of eight".to_vec();
        for proto in [PrivProtocol::Des, PrivProtocol::Aes128] {
            let (cipher, params) = encrypt(proto, &key, 3, 1234, 77, &plain);
            assert_ne!(&cipher[..plain.len()], &plain[..]);
            let back = decrypt(proto, &key, 3, 1234, &params, &cipher).unwrap();
            assert_eq!(&back[..plain.len()], &plain[..], "{proto:?}");
        }
        assert_eq!(
            decrypt(PrivProtocol::Des, &key, 3, 1234, &[0; 8], &[0; 7]),
            Err(UsmError::BadCiphertext(7))
        );
    }

    #[test]
    fn specs_parse_like_net_snmp_names() {
        let user: UsmUser = "quire:SHA-256:authpass123:aes:priv:pass:9".parse().unwrap();
        assert_eq!(user.name(), b"quire");
        let local = user.localize(b"engine");
        assert_eq!(local.auth.as_ref().unwrap().0, AuthProtocol::Sha256);
        assert_eq!(local.privacy.as_ref().unwrap().0, PrivProtocol::Aes128);
        assert!(!format!("{local:?}").contains("authpass"));
        assert!("quire:sha".parse::<UsmUser>().is_err());
        assert!("quire:rot13:authpass123".parse::<UsmUser>().is_err());
    }
}
