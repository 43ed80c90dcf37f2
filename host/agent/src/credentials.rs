//! The configured SNMP credentials as the client speaks them.

use quire_protocol::{AuthProtocol, CredentialSpec, PrivacyProtocol};
use quire_snmp::client::{self as snmp, Credentials, V3User};

/// The credentials of `specs` the client can use, in order. One that cannot be used (a
/// short password the server did not refuse) is logged, naming its place in the list,
/// and left out: the others still work.
pub fn usable(specs: &[CredentialSpec]) -> Vec<Credentials> {
    specs
        .iter()
        .enumerate()
        .filter_map(|(i, spec)| match convert(spec) {
            Ok(credentials) => Some(credentials),
            Err(reason) => {
                tracing::error!(field = %format!("credentials[{i}]"), %reason, "credentials left out");
                None
            }
        })
        .collect()
}

/// One spec, or why it cannot be used.
pub fn convert(spec: &CredentialSpec) -> Result<Credentials, String> {
    let credentials = match spec {
        CredentialSpec::V1 { community } => Credentials::V1 {
            community: community.clone(),
        },
        CredentialSpec::V2c { community } => Credentials::V2c {
            community: community.clone(),
        },
        CredentialSpec::V3 {
            user,
            auth_protocol,
            auth_password,
            privacy_protocol,
            privacy_password,
            context,
        } => {
            let auth = match (auth_protocol, auth_password) {
                (Some(protocol), Some(password)) => Some((auth(*protocol), password.clone())),
                (None, None) => None,
                (Some(_), None) => return Err("auth-protocol without auth-password".into()),
                (None, Some(_)) => return Err("auth-password without auth-protocol".into()),
            };
            let privacy = match (privacy_protocol, privacy_password) {
                (Some(protocol), Some(password)) => Some((privacy(*protocol), password.clone())),
                (None, None) => None,
                (Some(_), None) => {
                    return Err("privacy-protocol without privacy-password".into());
                }
                (None, Some(_)) => {
                    return Err("privacy-password without privacy-protocol".into());
                }
            };
            Credentials::V3(V3User {
                user: user.clone(),
                auth,
                privacy,
                context: context.clone(),
            })
        }
    };
    credentials.check()?;
    Ok(credentials)
}

fn auth(protocol: AuthProtocol) -> snmp::AuthProtocol {
    match protocol {
        AuthProtocol::Md5 => snmp::AuthProtocol::Md5,
        AuthProtocol::Sha1 => snmp::AuthProtocol::Sha1,
        AuthProtocol::Sha224 => snmp::AuthProtocol::Sha224,
        AuthProtocol::Sha256 => snmp::AuthProtocol::Sha256,
        AuthProtocol::Sha384 => snmp::AuthProtocol::Sha384,
        AuthProtocol::Sha512 => snmp::AuthProtocol::Sha512,
    }
}

fn privacy(protocol: PrivacyProtocol) -> snmp::PrivProtocol {
    match protocol {
        PrivacyProtocol::Des => snmp::PrivProtocol::Des,
        PrivacyProtocol::Aes128 => snmp::PrivProtocol::Aes128,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v3(auth: Option<AuthProtocol>, privacy: Option<PrivacyProtocol>) -> CredentialSpec {
        CredentialSpec::V3 {
            user: "quire".into(),
            auth_protocol: auth,
            auth_password: auth.map(|_| "authpass123".to_owned()),
            privacy_protocol: privacy,
            privacy_password: privacy.map(|_| "privpass123".to_owned()),
            context: String::new(),
        }
    }

    #[test]
    fn a_bad_spec_is_left_out_and_the_rest_kept_in_order() {
        let specs = [
            CredentialSpec::V2c {
                community: "public".into(),
            },
            v3(Some(AuthProtocol::Sha256), Some(PrivacyProtocol::Aes128)),
            CredentialSpec::V3 {
                user: "quire".into(),
                auth_protocol: Some(AuthProtocol::Sha1),
                auth_password: Some("short".into()),
                privacy_protocol: None,
                privacy_password: None,
                context: String::new(),
            },
            v3(None, Some(PrivacyProtocol::Des)),
            CredentialSpec::V1 {
                community: "private".into(),
            },
        ];
        let usable = usable(&specs);
        assert_eq!(usable.len(), 3);
        assert_eq!(
            usable[0],
            Credentials::V2c {
                community: "public".into()
            }
        );
        let Credentials::V3(user) = &usable[1] else {
            panic!("{usable:?}")
        };
        assert_eq!(user.auth.as_ref().unwrap().0, snmp::AuthProtocol::Sha256);
        assert_eq!(user.privacy.as_ref().unwrap().0, snmp::PrivProtocol::Aes128);
        assert!(matches!(usable[2], Credentials::V1 { .. }));
        assert!(convert(&specs[2]).unwrap_err().contains("at least"));
    }
}
