//! The administrator's saved login: the server, the certificate pinned at login and the
//! session token, in this user's configuration directory (never in the checkout or the
//! current directory), readable by this user only. Every `quire admin` call goes through
//! [`Session::call`], which turns a refusal into the server's message and field.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use hyper::Method;
use quire_https::normalize_fingerprint;
use quire_server::api::{ApiError, LOGIN_PATH, Login, Session as Answer};
use quire_server::client::Client;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The file under the configuration directory.
const FILE: &str = "admin-session.json";

/// What `quire admin login` keeps.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Saved {
    server: String,
    certificate_sha256: String,
    user: String,
    token: String,
    expires_at: DateTime<Utc>,
}

/// A logged-in administrator's connection to one server.
pub struct Session {
    saved: Saved,
    client: Client,
}

/// The address in `https://IP:PORT`, as `quire server` prints it on its `listening` line.
pub fn server_address(url: &str) -> anyhow::Result<SocketAddr> {
    url.strip_prefix("https://")
        .and_then(|rest| rest.trim_end_matches('/').parse().ok())
        .with_context(|| {
            format!("--server {url}: expected https://IP:PORT, as `quire server` printed it")
        })
}

/// Where the session is kept: `$XDG_CONFIG_HOME/quire/` (by default `~/.config/quire/`).
fn path() -> anyhow::Result<PathBuf> {
    crate::places::config_file(FILE)
}

/// Waits until the server's port accepts a connection, up to `patience`: a server
/// started a moment before (`quire server &` in a script) binds its port within
/// a second or two, and logging in before that would fail for no real reason.
pub async fn wait_for(server: &str, patience: std::time::Duration) -> anyhow::Result<()> {
    let address = server_address(server)?;
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        match tokio::net::TcpStream::connect(address).await {
            Ok(_) => return Ok(()),
            Err(e) if tokio::time::Instant::now() >= deadline => {
                return Err(e).with_context(|| {
                    format!(
                        "{server}: no server answered within {}s",
                        patience.as_secs()
                    )
                });
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
}

impl Session {
    /// Logs in as `user` and saves the session. With no `fingerprint`, the certificate
    /// the server shows now is pinned (and printed by the caller, to compare with the one
    /// `quire server` printed).
    pub async fn login(
        server: &str,
        fingerprint: Option<&str>,
        user: &str,
        password: &str,
    ) -> anyhow::Result<Session> {
        let address = server_address(server)?;
        let pin = match fingerprint {
            Some(given) => normalize_fingerprint(given).with_context(|| {
                format!("--fingerprint {given}: not a SHA-256 (64 hex digits, colons allowed)")
            })?,
            None => Client::presented(address).await?,
        };
        let client = Client::new(address, &pin);
        let login = Login {
            name: user.to_owned(),
            password: password.to_owned(),
        };
        let answer = client
            .call(Method::POST, LOGIN_PATH, None, Some(&login))
            .await?;
        let session: Answer = parse(answer, "logging in")?;
        let saved = Saved {
            server: format!("https://{address}"),
            certificate_sha256: pin,
            user: session.user.name,
            token: session.token,
            expires_at: session.expires_at,
        };
        let path = path()?;
        write_private(&path, &serde_json::to_vec_pretty(&saved)?)?;
        Ok(Session { saved, client })
    }

    /// The saved session; an error saying to log in when there is none.
    pub fn load() -> anyhow::Result<Session> {
        let path = path()?;
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("not logged in: run `quire admin login --server https://HOST:PORT` first")
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let saved: Saved = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: not a saved session; run `quire admin login` again",
                path.display()
            )
        })?;
        let client = Client::new(server_address(&saved.server)?, &saved.certificate_sha256);
        Ok(Session { saved, client })
    }

    /// Ends the session on the server (when it is still open there) and forgets it.
    pub async fn logout(self) -> anyhow::Result<()> {
        let answer = self
            .client
            .send(
                Method::POST,
                "/api/v1/logout",
                Some(&self.saved.token),
                None,
            )
            .await;
        let path = path()?;
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        answer?;
        Ok(())
    }

    /// The server's URL.
    pub fn server(&self) -> &str {
        &self.saved.server
    }

    /// The pinned certificate's SHA-256.
    pub fn certificate_sha256(&self) -> &str {
        &self.saved.certificate_sha256
    }

    /// Who is logged in.
    pub fn user(&self) -> &str {
        &self.saved.user
    }

    /// When the session ends.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.saved.expires_at
    }

    /// Sends `body` as JSON and reads a 2xx answer as `R`; any other answer is an error
    /// carrying the server's message and the field it names.
    pub async fn call<B: Serialize, R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> anyhow::Result<R> {
        let answer = self
            .client
            .call(method, path, Some(&self.saved.token), body)
            .await?;
        self.parse(answer, path)
    }

    /// As [`Session::call`], with a body that is not JSON (a CSV upload).
    pub async fn send<R: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<R> {
        let answer = self
            .client
            .send(
                method,
                path,
                Some(&self.saved.token),
                Some((content_type, body)),
            )
            .await?;
        self.parse(answer, path)
    }

    /// The answer to a call made with the saved token.
    fn parse<R: DeserializeOwned>(
        &self,
        answer: quire_server::client::Answer,
        path: &str,
    ) -> anyhow::Result<R> {
        if answer.status == 401 {
            bail!(
                "the session of {} with {} has expired or was ended: run `quire admin login` again",
                self.saved.user,
                self.saved.server
            );
        }
        parse(answer, path)
    }
}

/// A 2xx answer as `R`; otherwise the server's refusal, field first.
fn parse<R: DeserializeOwned>(
    answer: quire_server::client::Answer,
    what: &str,
) -> anyhow::Result<R> {
    if (200..300).contains(&answer.status) {
        // 204 No Content reads as JSON `null`, which is `()`.
        let body: &[u8] = if answer.body.is_empty() {
            b"null"
        } else {
            &answer.body
        };
        return serde_json::from_slice(body).with_context(|| {
            format!(
                "{what}: the server's answer is not understood: {}",
                answer.text()
            )
        });
    }
    match serde_json::from_slice::<ApiError>(&answer.body) {
        Ok(ApiError {
            message,
            field: Some(field),
        }) => bail!("{field}: {message}"),
        Ok(ApiError {
            message,
            field: None,
        }) => bail!("{message}"),
        Err(_) => bail!("{what}: status {}: {}", answer.status, answer.text()),
    }
}

/// Writes `bytes` to `path` readable by this user only, creating its directory: the file
/// holds a bearer token.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))
}
