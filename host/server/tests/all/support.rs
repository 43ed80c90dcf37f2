//! A running server per test, and calls to it.

use std::sync::atomic::{AtomicU8, Ordering};

use chrono::{TimeZone, Utc};
use quire_model::{
    Assessment, AssessmentOutcome, AssessmentSeverity, Cycle, ErrorAssessment, ErrorGroup,
    ErrorSource, ErrorState, SkillLevel, StrategyRef,
};
use quire_protocol::{
    AgentConfig, AgentToken, CONFIG_PATH, EnrollRequest, EnrollResponse, READINGS_PATH, UploadAck,
    UploadItem,
};
use quire_server::client::{Answer, Client};
use quire_server::{Running, Server};
use serde_json::{Value, json};

pub use quire_testdb::{TestDb, backends};

/// The administrator's password in every test server.
pub const ADMIN_PASSWORD: &str = "correct horse battery";

/// A server on a fresh database, logged in as `admin`.
pub struct TestServer {
    pub backend: &'static str,
    pub running: Running,
    pub client: Client,
    pub admin: String,
    pub db: TestDb,
    _dir: tempfile::TempDir,
}

/// Each server its own loopback address, so parallel tests never meet.
fn next_address() -> std::net::SocketAddr {
    static NEXT: AtomicU8 = AtomicU8::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::net::SocketAddr::from(([127, 70, 0, n], 0))
}

impl TestServer {
    pub async fn start(db: TestDb) -> TestServer {
        TestServer::start_configured(db, |_| ()).await
    }

    /// As [`TestServer::start`], with `configure` changing the server's settings first.
    pub async fn start_configured(db: TestDb, configure: impl FnOnce(&mut Server)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut server = Server::new(dir.path());
        server.listen = next_address();
        server.database = Some(db.url.clone());
        server.admin_password = Some(ADMIN_PASSWORD.to_owned());
        // ASM ticks often, so an alert a test raises opens within a second.
        server.asm_every = std::time::Duration::from_millis(250);
        configure(&mut server);
        let running = server
            .start()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", db.backend));
        let client = running.client();
        let mut test = TestServer {
            backend: db.backend,
            running,
            client,
            admin: String::new(),
            db,
            _dir: dir,
        };
        test.admin = test.login("admin", ADMIN_PASSWORD).await;
        test
    }

    /// One server per backend.
    pub async fn each() -> Vec<TestServer> {
        TestServer::each_configured(|_| ()).await
    }

    /// As [`TestServer::each`], with `configure` changing each server's settings first.
    pub async fn each_configured(configure: impl Fn(&mut Server)) -> Vec<TestServer> {
        let mut servers = Vec::new();
        for db in backends().await {
            servers.push(TestServer::start_configured(db, &configure).await);
        }
        servers
    }

    /// A server per backend that also publishes unsigned plugins
    /// (`--allow-unsigned-plugins`), as the test guests are.
    pub async fn each_allowing_unsigned() -> Vec<TestServer> {
        TestServer::each_configured(|server| server.allow_unsigned_plugins = true).await
    }

    pub async fn login(&self, name: &str, password: &str) -> String {
        let answer = self
            .call(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"name": name, "password": password})),
            )
            .await;
        assert_eq!(
            answer.status,
            200,
            "{}: login: {}",
            self.backend,
            answer.text()
        );
        answer.json()["token"].as_str().unwrap().to_owned()
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.client
            .call(method.parse().unwrap(), path, token, body.as_ref())
            .await
            .unwrap_or_else(|e| panic!("{}: {method} {path}: {e}", self.backend))
    }

    /// As admin, expecting 2xx; the body.
    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let answer = self
            .call(method, path, Some(&self.admin.clone()), body)
            .await;
        assert!(
            (200..300).contains(&answer.status),
            "{}: {method} {path}: {} {}",
            self.backend,
            answer.status,
            answer.text()
        );
        answer.json()
    }

    /// A child account of the main dealer.
    pub async fn account(&self, name: &str) -> i64 {
        let dealer = self.running.main_dealer.0;
        self.admin(
            "POST",
            "/api/v1/accounts",
            Some(json!({"name": name, "parent-id": dealer})),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    /// A site of `account`; its id.
    pub async fn site(&self, account: i64, name: &str) -> i64 {
        self.admin(
            "POST",
            &format!("/api/v1/accounts/{account}/sites"),
            Some(json!({"name": name})),
        )
        .await["id"]
            .as_i64()
            .unwrap()
    }

    /// A fresh enrollment key for `account`.
    pub async fn key(&self, account: i64) -> String {
        self.admin(
            "POST",
            &format!("/api/v1/accounts/{account}/enrollment-keys"),
            Some(json!({"valid-hours": 2})),
        )
        .await["key"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Enrolls an agent; its token.
    pub async fn enroll(&self, key: &str) -> Result<(EnrollResponse, AgentToken), Answer> {
        let request = EnrollRequest {
            key: key.to_owned(),
            hostname: "agent-host".into(),
            agent_version: "0.1.0".into(),
        };
        let answer = self
            .client
            .call(
                "POST".parse().unwrap(),
                quire_protocol::ENROLL_PATH,
                None,
                Some(&request),
            )
            .await
            .unwrap();
        if answer.status != 200 {
            return Err(answer);
        }
        let response: EnrollResponse = serde_json::from_slice(&answer.body).unwrap();
        let token = AgentToken {
            agent_id: response.agent_id.clone(),
            secret: response.secret.clone(),
        };
        Ok((response, token))
    }

    /// The agent API with an agent's token (`Bearer id:secret`, so the token text after `Bearer `).
    pub async fn agent_call(
        &self,
        method: &str,
        path: &str,
        token: &AgentToken,
        body: Option<Value>,
    ) -> Answer {
        let bearer = format!("{}:{}", token.agent_id, token.secret);
        self.call(method, path, Some(&bearer), body).await
    }

    /// The configuration the agent of `token` checks in for, which must be served.
    pub async fn config(&self, token: &AgentToken) -> AgentConfig {
        let answer = self.agent_call("GET", CONFIG_PATH, token, None).await;
        assert_eq!(answer.status, 200, "{}: {}", self.backend, answer.text());
        serde_json::from_slice(&answer.body).unwrap()
    }

    /// Uploads `items` as the agent of `token`, which must be answered 200; the acknowledgement.
    pub async fn deliver(&self, token: &AgentToken, items: &[UploadItem]) -> UploadAck {
        let body = Some(upload(items));
        let answer = self.agent_call("POST", READINGS_PATH, token, body).await;
        assert_eq!(answer.status, 200, "{}: {}", self.backend, answer.text());
        serde_json::from_slice(&answer.body).unwrap()
    }
}

/// One tenant (a dealer under the main dealer) with a row of every kind, and the
/// strings that would betray its rows to another.
pub struct Tenant {
    pub account: i64,
    pub site: i64,
    pub key: i64,
    pub agent: AgentToken,
    pub device: i64,
    pub reading: i64,
    pub work_order: i64,
    /// A contract of the account, which the device is on.
    pub contract: i64,
    /// An e-mail about the account.
    pub email: i64,
    /// The account's alert definition (tenants are dealers), a service alert on paper
    /// jams.
    pub definition: i64,
    /// The alert event the device's jam raised.
    pub alert_event: i64,
    /// A supplier (suppliers belong to no account; each tenant adds one).
    pub supplier: i64,
    /// A webhook endpoint of the account (tenants are dealers).
    pub webhook: i64,
    /// A dealer user granted the account.
    pub user: i64,
    pub markers: Vec<String>,
}

pub async fn tenant(server: &TestServer, name: &str, first_printer: usize) -> Tenant {
    let account = server
        .admin(
            "POST",
            "/api/v1/accounts",
            Some(
                json!({"name": name, "parent-id": server.running.main_dealer.0, "is-dealer": true}),
            ),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let site = server.site(account, &format!("{name} site")).await;
    server
        .admin(
            "PUT",
            &format!("/api/v1/sites/{site}/ranges"),
            Some(json!([{"range": format!("{name}-printer.example").to_ascii_lowercase()}])),
        )
        .await;
    server
        .admin(
            "PUT",
            &format!("/api/v1/accounts/{account}/credentials"),
            Some(json!([{"version": "v2c", "community": format!("{name}-community")}])),
        )
        .await;
    let (_, agent) = server.enroll(&server.key(account).await).await.unwrap();
    // A second key, unused, so it can be revoked (a used one is refused with 409).
    let key = server
        .admin(
            "POST",
            &format!("/api/v1/accounts/{account}/enrollment-keys"),
            None,
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let mut items: Vec<_> = (0..2)
        .map(|i| item(i + 1, Some(site), first_printer, i as u32))
        .collect();
    items.push(jammed(item(3, Some(site), first_printer, 2)));
    server.deliver(&agent, &items).await;
    let device = server
        .admin("GET", "/api/v1/devices", None)
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["account-id"] == account)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let reading = server
        .admin("GET", &format!("/api/v1/devices/{device}/readings"), None)
        .await[0]["id"]
        .as_i64()
        .unwrap();
    let work_order = server
        .admin(
            "POST",
            "/api/v1/work-orders",
            Some(json!({"device-id": device, "input": {"kind": "state", "state": "jammed"}})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let contract = server
        .admin(
            "POST",
            &format!("/api/v1/accounts/{account}/contracts"),
            Some(json!({"name": format!("{name} contract")})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    server
        .admin(
            "PUT",
            &format!("/api/v1/devices/{device}/contract"),
            Some(json!({ "contract-id": contract })),
        )
        .await;
    let to = vec![format!("desk@{}.example", name.to_ascii_lowercase())];
    let email = quire_server::mailer::queue_email(
        &server.running.store,
        &quire_store::NewEmail {
            idempotency_key: None,
            account: Some(quire_store::AccountId(account)),
            from: None,
            to: &to,
            subject: &format!("{name}: toner low"),
            body_text: "Replace the black toner.",
            redirected_from: None,
            redirect_reason: None,
        },
        Utc::now(),
    )
    .await
    .unwrap()
    .0
    .0;
    let definition = server
        .admin(
            "POST",
            "/api/v1/asm/definitions",
            Some(
                json!({"owner-account-id": account, "name": format!("{name} jams"),
                "hierarchical": false,
                "trigger": {"service": {"states": [{"group": "paper", "state": "paper-jam"}]}},
                "overdue": {"unit": "days", "value": 1},
                "stale": {"unit": "weeks", "value": 520},
                "actions": [{"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
                    "requires-approval": true, "timing": "immediate", "max-attempts": 1}]}),
            ),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let events = format!("/api/v1/asm/events?definition-id={definition}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let alert_event = loop {
        if let Some(id) = server.admin("GET", &events, None).await[0]["id"].as_i64() {
            break id;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}: {name}'s jam raised no alert",
            server.backend
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let supplier = server
        .admin(
            "POST",
            "/api/v1/asm/suppliers",
            Some(json!({"name": format!("Supplier {first_printer}")})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let webhook = server
        .admin(
            "POST",
            &format!("/api/v1/accounts/{account}/webhooks"),
            Some(json!({"name": format!("{name} ERP"),
                "url": format!("https://erp.{}.example/quire", name.to_ascii_lowercase())})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    server
        .admin(
            "PUT",
            &format!("/api/v1/accounts/{account}/alert-frequencies"),
            Some(json!([{"result-type": "email", "interval": {"unit": "hours", "value": 4}}])),
        )
        .await;
    let user = server
        .admin(
            "POST",
            "/api/v1/users",
            Some(json!({"name": format!("{}-user", name.to_lowercase()), "password": "a tenant's password",
                "role": "dealer-user", "account-ids": [account]})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    Tenant {
        account,
        site,
        webhook,
        user,
        email,
        supplier,
        definition,
        alert_event,
        key,
        reading,
        work_order,
        contract,
        markers: vec![
            name.to_owned(),
            format!("VD2{first_printer:07}"),
            agent.agent_id.clone(),
        ],
        agent,
        device,
    }
}

/// The path with its parameters filled from `tenant`.
pub fn fill(path: &str, tenant: &Tenant) -> String {
    path.replace("{account_id}", &tenant.account.to_string())
        .replace("{site_id}", &tenant.site.to_string())
        .replace("{key_id}", &tenant.key.to_string())
        .replace("{agent_id}", &tenant.agent.agent_id)
        .replace("{device_id}", &tenant.device.to_string())
        .replace("{reading_id}", &tenant.reading.to_string())
        .replace("{work_order_id}", &tenant.work_order.to_string())
        .replace("{contract_id}", &tenant.contract.to_string())
        .replace("{email_id}", &tenant.email.to_string())
        .replace("{definition_id}", &tenant.definition.to_string())
        .replace("{event_id}", &tenant.alert_event.to_string())
        .replace("{supplier_id}", &tenant.supplier.to_string())
        .replace("{webhook_id}", &tenant.webhook.to_string())
        .replace("{user_id}", &tenant.user.to_string())
        // No session has this id: the calls that end one are refused as not found.
        .replace("{session_id}", "0000000000000000")
        .replace("{index}", "1")
}

/// An upload item: printer `n` of a fleet, read at hour `round`.
pub fn item(seq: u64, site: Option<i64>, n: usize, round: u32) -> UploadItem {
    UploadItem {
        seq,
        site_id: site,
        address: format!("10.0.{}.{}", n / 256, n % 256),
        taken_at: Utc
            .with_ymd_and_hms(2026, 11, 23, round % 24, 0, 0)
            .unwrap(),
        cycle: Cycle::MetersAndSupplies,
        strategy: StrategyRef {
            name: "printer-mib".into(),
            version: "0.1.0".into(),
        },
        reading: crate::kyocera::kyocera(
            &format!("VD2{n:07}"),
            &format!("00:17:c8:00:{:02x}:{:02x}", n / 256, n % 256),
            1000 + u64::from(round) * 10,
            7000 - round as i32,
        ),
        // A read keeps its exchange: SNMP as `.snmprec`, the web as `.exchanges.jsonl`.
        raw: Some("1.3.6.1.2.1.1.1.0|4|printer\n".into()),
        exchanges: Some(
            r#"{"kind":"http","method":"GET","tls":false,"port":null,"path":"/","status":200,"headers":[],"body_b64":""}"#
                .to_owned()
                + "\n",
        ),
        replaced_supplies: Vec::new(),
        assessments: Vec::new(),
    }
}

/// `item` read by the alert cycle with its paper jammed (hrPrinterDetectedErrorState's
/// jammed bit), judged as the generic strategy judges a jam.
pub fn jammed(mut item: UploadItem) -> UploadItem {
    item.cycle = Cycle::Alerts;
    item.reading.status.errors = vec![ErrorState::Jammed];
    item.assessments = vec![ErrorAssessment {
        input: ErrorSource::State {
            state: ErrorState::Jammed,
        },
        outcome: AssessmentOutcome::Assessed(Assessment {
            state: "paper-jam".into(),
            group: ErrorGroup::Paper,
            severity: AssessmentSeverity::Critical,
            skill: SkillLevel::KeyOperator,
            field_service: false,
            estimated_minutes: 5,
        }),
    }];
    item
}

/// `{"items": [...]}`.
pub fn upload(items: &[UploadItem]) -> Value {
    json!({ "items": items })
}
