//! Who Quire says it is to a device: communities and v3 users, and the set of
//! them a site configures, tried in order per device.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Mutex;

use super::session::SYS_OBJECT_ID;
use super::{ClientConfig, ClientError, ClientErrorKind, Session};
use crate::{Oid, Value};

/// RFC 3414 11.2: USM passwords shorter than this are refused, and the key
/// localisation in the codec would loop over an empty one forever.
pub const MIN_V3_PASSWORD_LEN: usize = 8;

/// The version and the v3 protocols are the codec's own, so credentials reach
/// the wire as they are.
pub use crate::wire::Version;
pub use crate::wire::usm::{AuthProtocol, PrivProtocol};

/// One way of talking to a device. Passwords and communities are secrets:
/// `Debug` prints them as `***`.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
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
    V3(V3User),
}

/// A USM user, its security level (by which protocols are set) and a context.
#[derive(Clone, PartialEq, Eq)]
pub struct V3User {
    /// The user name.
    pub user: String,
    /// Authentication protocol and password; `None` is noAuthNoPriv.
    pub auth: Option<(AuthProtocol, String)>,
    /// Privacy protocol and password; needs `auth` (authPriv).
    pub privacy: Option<(PrivProtocol, String)>,
    /// The context name (empty for the default context).
    pub context: String,
}

impl Credentials {
    /// The SNMP version these credentials speak.
    pub fn version(&self) -> Version {
        match self {
            Credentials::V1 { .. } => Version::V1,
            Credentials::V2c { .. } => Version::V2c,
            Credentials::V3(_) => Version::V3,
        }
    }

    /// Refuses what no agent could accept, before any packet is sent: privacy
    /// without authentication and passwords shorter than RFC 3414 allows.
    pub fn check(&self) -> Result<(), String> {
        let Credentials::V3(user) = self else {
            return Ok(());
        };
        if user.privacy.is_some() && user.auth.is_none() {
            return Err(format!(
                "v3 user {:?}: privacy needs authentication (authPriv)",
                user.user
            ));
        }
        let short = |what: &str, password: &str| {
            (password.len() < MIN_V3_PASSWORD_LEN).then(|| {
                format!(
                    "v3 user {:?}: the {what} password must be at least {MIN_V3_PASSWORD_LEN} characters",
                    user.user
                )
            })
        };
        if let Some(e) = user
            .auth
            .as_ref()
            .and_then(|(_, p)| short("authentication", p))
        {
            return Err(e);
        }
        if let Some(e) = user.privacy.as_ref().and_then(|(_, p)| short("privacy", p)) {
            return Err(e);
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::V1 { .. } => f.debug_struct("V1").field("community", &"***").finish(),
            Credentials::V2c { .. } => f.debug_struct("V2c").field("community", &"***").finish(),
            Credentials::V3(user) => user.fmt(f),
        }
    }
}

impl fmt::Debug for V3User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("V3User")
            .field("user", &self.user)
            .field("auth", &self.auth.as_ref().map(|(p, _)| (p, "***")))
            .field("privacy", &self.privacy.as_ref().map(|(p, _)| (p, "***")))
            .field("context", &self.context)
            .finish()
    }
}

/// The credentials a site uses, tried in order on each device. The one that
/// worked is remembered per address, so the next read of that device starts
/// with it instead of waiting out the ones before it.
#[derive(Debug)]
pub struct CredentialSet {
    credentials: Vec<Credentials>,
    worked: Mutex<HashMap<SocketAddr, usize>>,
}

impl CredentialSet {
    /// A set tried in the order given.
    pub fn new(credentials: Vec<Credentials>) -> Self {
        CredentialSet {
            credentials,
            worked: Mutex::new(HashMap::new()),
        }
    }

    /// The credentials, in the order they are tried on a new device.
    pub fn credentials(&self) -> &[Credentials] {
        &self.credentials
    }

    /// The credentials that last worked on `address`, if any did.
    pub fn remembered(&self, address: SocketAddr) -> Option<&Credentials> {
        let index = *self.lock().get(&address)?;
        self.credentials.get(index)
    }

    /// Opens a session to `address` with the first credentials the device
    /// answers (a GET of sysObjectID.0), starting with the ones remembered for
    /// it. Fails with the last error when none works.
    pub async fn open(
        &self,
        address: SocketAddr,
        config: &ClientConfig,
    ) -> Result<Session, ClientError> {
        let sys_object_id = [Oid::from(SYS_OBJECT_ID)];
        let (session, _) = self.open_asking(address, config, &sys_object_id).await?;
        Ok(session)
    }

    /// [`CredentialSet::open`], each attempt a GET of `oids` whose answer the
    /// credentials that worked hand over ([`Session::open_asking`]).
    pub async fn open_asking(
        &self,
        address: SocketAddr,
        config: &ClientConfig,
        oids: &[Oid],
    ) -> Result<(Session, Vec<(Oid, Value)>), ClientError> {
        let first = self.lock().get(&address).copied();
        let order = first
            .into_iter()
            .chain((0..self.credentials.len()).filter(|&i| Some(i) != first));
        let mut last = ClientError::new(
            address,
            ClientErrorKind::Credentials("no credentials configured".into()),
        );
        for index in order {
            let credentials = self.credentials[index].clone();
            match Session::open_asking(address, credentials, config.clone(), oids).await {
                Ok(opened) => {
                    self.lock().insert(address, index);
                    return Ok(opened);
                }
                Err(e) => {
                    tracing::debug!(device = %address, credentials = index, error = %e, "credentials refused");
                    last = e;
                }
            }
        }
        self.lock().remove(&address);
        Err(last)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, usize>> {
        self.worked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_communities_and_passwords() {
        let v2 = Credentials::V2c {
            community: "s3cret-community".into(),
        };
        let v3 = Credentials::V3(V3User {
            user: "ops".into(),
            auth: Some((AuthProtocol::Sha1, "auth-secret-1".into())),
            privacy: Some((PrivProtocol::Aes128, "priv-secret-1".into())),
            context: "ctx".into(),
        });
        let text = format!(
            "{v2:?} {v3:?} {:?}",
            CredentialSet::new(vec![v2.clone(), v3.clone()])
        );
        assert!(!text.contains("s3cret"), "{text}");
        assert!(!text.contains("secret-1"), "{text}");
        assert!(text.contains("ops") && text.contains("Sha1") && text.contains("ctx"));
    }

    #[test]
    fn refuses_short_passwords_and_privacy_without_auth() {
        let user = |auth: Option<&str>, privacy: Option<&str>| {
            Credentials::V3(V3User {
                user: "u".into(),
                auth: auth.map(|p| (AuthProtocol::Sha1, p.to_owned())),
                privacy: privacy.map(|p| (PrivProtocol::Des, p.to_owned())),
                context: String::new(),
            })
        };
        assert!(
            user(Some("short"), None)
                .check()
                .unwrap_err()
                .contains("at least 8")
        );
        assert!(
            user(None, Some("longenough"))
                .check()
                .unwrap_err()
                .contains("authPriv")
        );
        assert!(user(Some("longenough"), Some("")).check().is_err());
        assert!(user(Some("longenough"), Some("longenough")).check().is_ok());
        assert!(user(None, None).check().is_ok());
    }
}
