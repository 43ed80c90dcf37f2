//! The configured SNMP credentials as the client speaks them.

use quire_protocol::CredentialSpec;
use quire_snmp::client::{AuthProtocol, Credentials, PrivProtocol, V3User};

/// The credentials of `specs` the client can use, in order. One that cannot be used (an
/// unknown protocol, privacy without authentication, a short password) is logged, naming
/// its place in the list, and left out: the others still work.
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
                (Some(protocol), Some(password)) => Some((auth(protocol)?, password.clone())),
                (None, None) => None,
                (Some(_), None) => return Err("auth-protocol without auth-password".into()),
                (None, Some(_)) => return Err("auth-password without auth-protocol".into()),
            };
            let privacy = match (privacy_protocol, privacy_password) {
                (Some(protocol), Some(password)) => Some((privacy(protocol)?, password.clone())),
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

fn auth(name: &str) -> Result<AuthProtocol, String> {
    Ok(match name.to_ascii_lowercase().replace('-', "").as_str() {
        "md5" => AuthProtocol::Md5,
        "sha" | "sha1" => AuthProtocol::Sha1,
        "sha224" => AuthProtocol::Sha224,
        "sha256" => AuthProtocol::Sha256,
        "sha384" => AuthProtocol::Sha384,
        "sha512" => AuthProtocol::Sha512,
        _ => {
            return Err(format!(
                "auth-protocol {name:?} is not md5, sha1, sha224, sha256, sha384 or sha512"
            ));
        }
    })
}

fn privacy(name: &str) -> Result<PrivProtocol, String> {
    Ok(match name.to_ascii_lowercase().replace('-', "").as_str() {
        "des" => PrivProtocol::Des,
        "aes" | "aes128" => PrivProtocol::Aes128,
        _ => return Err(format!("privacy-protocol {name:?} is not des or aes128")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v3(auth: Option<&str>, privacy: Option<&str>) -> CredentialSpec {
        CredentialSpec::V3 {
            user: "quire".into(),
            auth_protocol: auth.map(str::to_owned),
            auth_password: auth.map(|_| "authpass123".to_owned()),
            privacy_protocol: privacy.map(str::to_owned),
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
            v3(Some("sha256"), Some("aes128")),
            v3(Some("whirlpool"), None),
            v3(None, Some("des")),
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
        assert_eq!(user.auth.as_ref().unwrap().0, AuthProtocol::Sha256);
        assert_eq!(user.privacy.as_ref().unwrap().0, PrivProtocol::Aes128);
        assert!(matches!(usable[2], Credentials::V1 { .. }));
        assert!(convert(&specs[2]).unwrap_err().contains("whirlpool"));
    }
}
