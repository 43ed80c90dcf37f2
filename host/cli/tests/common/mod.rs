//! A dealer's side of the tests that run a server in process: the server, the
//! administrator's login, and an account with a site and an enrollment key set
//! up through the REST API as the console would.

use std::net::SocketAddr;
use std::path::Path;

use hyper::Method;
use quire_agent::{Agent, AgentOptions};
use quire_server::client::{Answer, Client};
use quire_server::{Running, Server};
use serde_json::{Value, json};

pub const ADMIN_PASSWORD: &str = "end-to-end admin";

pub struct Dealer {
    pub client: Client,
    pub token: String,
}

impl Dealer {
    pub async fn login(running: &Running) -> Dealer {
        let client = running.client();
        let token = client.login("admin", ADMIN_PASSWORD).await.unwrap();
        Dealer { client, token }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        self.client
            .json(method, path, Some(&self.token), body.as_ref())
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// GETs `path` as the dealer, with the answer as it came: a file, not JSON.
    pub async fn download(&self, path: &str) -> Answer {
        self.client
            .send(Method::GET, path, Some(&self.token), None)
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// An account "Acme" under the main dealer with one site, "Head office".
    /// Returns (account, site).
    pub async fn account_with_site(&self, running: &Running) -> (i64, i64) {
        let account = self
            .call(
                Method::POST,
                "/api/v1/accounts",
                Some(json!({"name": "Acme", "parent-id": running.main_dealer.0})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let site = self
            .call(
                Method::POST,
                &format!("/api/v1/accounts/{account}/sites"),
                Some(json!({"name": "Head office"})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        (account, site)
    }

    /// [`Dealer::account_with_site`], the site scanning `range` and the account trying
    /// `credentials` (the API's list) in order. Returns (account, site).
    pub async fn customer(&self, running: &Running, range: &str, credentials: Value) -> (i64, i64) {
        let (account, site) = self.account_with_site(running).await;
        self.call(
            Method::PUT,
            &format!("/api/v1/sites/{site}/ranges"),
            Some(json!([{ "range": range }])),
        )
        .await;
        self.call(
            Method::PUT,
            &format!("/api/v1/accounts/{account}/credentials"),
            Some(credentials),
        )
        .await;
        (account, site)
    }

    /// The devices the dealer sees.
    pub async fn devices(&self) -> Vec<Value> {
        let devices = self.call(Method::GET, "/api/v1/devices", None).await;
        devices.as_array().unwrap().clone()
    }

    /// The readings of device `id`, newest first.
    pub async fn readings(&self, id: i64) -> Value {
        let path = format!("/api/v1/devices/{id}/readings");
        self.call(Method::GET, &path, None).await
    }

    /// A single-use enrollment key for an agent of `account`.
    pub async fn enrollment_key(&self, account: i64) -> String {
        self.call(
            Method::POST,
            &format!("/api/v1/accounts/{account}/enrollment-keys"),
            Some(json!({"valid-hours": 1})),
        )
        .await["key"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

/// An agent enrolled with `running` by `key` (the server's certificate pinned),
/// opened in `options.data_dir` with `options`.
pub async fn enrolled_agent(running: &Running, key: &str, options: AgentOptions) -> Agent {
    let url = format!("https://{}", running.address);
    Agent::enroll(
        &options.data_dir,
        &url,
        key,
        Some(&running.certificate_sha256),
    )
    .await
    .unwrap();
    Agent::open(options).await.unwrap()
}

/// A server with its data in `data` on `database`, listening on `listen`, whose `admin`
/// logs in with [`ADMIN_PASSWORD`].
pub async fn start_server(data: &Path, listen: SocketAddr, database: &str) -> Running {
    start_configured_server(data, listen, database, |_| ()).await
}

/// [`start_server`], with `configure` changing the server's settings first.
#[allow(dead_code)] // Only the suites that configure their servers call it.
pub async fn start_configured_server(
    data: &Path,
    listen: SocketAddr,
    database: &str,
    configure: impl FnOnce(&mut Server),
) -> Running {
    let mut server = Server::new(data);
    server.listen = listen;
    server.database = Some(database.to_owned());
    server.admin_password = Some(ADMIN_PASSWORD.to_owned());
    configure(&mut server);
    server.start().await.unwrap()
}
