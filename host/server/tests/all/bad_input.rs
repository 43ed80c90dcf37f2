//! Every REST body that is wrong is refused at once, naming the field by its path, and
//! stores nothing: an unknown field, a bad value, a missing parent, a duplicate name.

use serde_json::{Value, json};

use crate::support::TestServer;

/// Sends `body` as the administrator and checks the refusal: its status, and the field
/// it names (`""`: none, as for a row of the path that does not exist); the message.
async fn refused(
    server: &TestServer,
    method: &str,
    path: &str,
    body: Value,
    status: u16,
    field: &str,
) -> String {
    let backend = server.backend;
    let admin = server.admin.clone();
    let answer = server
        .call(method, path, Some(&admin), Some(body.clone()))
        .await;
    let text = answer.text();
    assert_eq!(
        answer.status, status,
        "{backend}: {method} {path} {body}: {text}"
    );
    let json = answer.json();
    assert_eq!(
        json["field"].as_str().unwrap_or_default(),
        field,
        "{backend}: {method} {path} {body}: {text}"
    );
    json["message"].as_str().unwrap().to_owned()
}

/// What the administrator sees of `account`, and of every account and user.
async fn snapshot(server: &TestServer, account: i64) -> Value {
    let mut sites = server
        .admin("GET", &format!("/api/v1/accounts/{account}/sites"), None)
        .await;
    json!({
        "accounts": server.admin("GET", "/api/v1/accounts", None).await,
        "users": server.admin("GET", "/api/v1/users", None).await,
        "account": server.admin("GET", &format!("/api/v1/accounts/{account}"), None).await,
        "sites": sites.take(),
        "credentials": server.admin("GET", &format!("/api/v1/accounts/{account}/credentials"), None).await,
        "keys": server.admin("GET", &format!("/api/v1/accounts/{account}/enrollment-keys"), None).await,
    })
}

#[tokio::test]
async fn accounts_refuse_unknown_fields_bad_values_missing_parents_and_taken_names() {
    for server in TestServer::each().await {
        let dealer = server.running.main_dealer.0;
        let acme = server.account("Acme").await;
        let before = snapshot(&server, acme).await;
        let new = |extra: Value| {
            let mut body = json!({"name": "Globex", "parent-id": dealer});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            body
        };
        let post = "/api/v1/accounts";
        refused(
            &server,
            "POST",
            post,
            new(json!({"nickname": "G"})),
            400,
            "nickname",
        )
        .await;
        refused(
            &server,
            "POST",
            post,
            new(json!({"is-dealer": "yes"})),
            400,
            "is-dealer",
        )
        .await;
        refused(
            &server,
            "POST",
            post,
            json!({"name": "Globex"}),
            400,
            "parent-id",
        )
        .await;
        let message = refused(
            &server,
            "POST",
            post,
            new(json!({"parent-id": 999_999})),
            404,
            "parent-id",
        )
        .await;
        assert!(message.contains("999999"), "{message}");
        let message = refused(
            &server,
            "POST",
            post,
            new(json!({"name": "Acme"})),
            409,
            "name",
        )
        .await;
        assert!(message.contains("Acme"), "{message}");

        let check_in = format!("/api/v1/accounts/{acme}/check-in");
        refused(
            &server,
            "PUT",
            &check_in,
            json!({"check-in": 30}),
            400,
            "check-in",
        )
        .await;
        for bad in [json!("often"), json!(5), json!(-30)] {
            refused(
                &server,
                "PUT",
                &check_in,
                json!({ "check-in-seconds": bad }),
                400,
                "check-in-seconds",
            )
            .await;
        }
        refused(
            &server,
            "PUT",
            "/api/v1/accounts/999999/check-in",
            json!({"check-in-seconds": 30}),
            404,
            "",
        )
        .await;
        assert_eq!(snapshot(&server, acme).await, before, "{}", server.backend);
    }
}

#[tokio::test]
async fn credentials_speak_one_vocabulary_and_refuse_anything_else_by_its_place() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let path = format!("/api/v1/accounts/{acme}/credentials");
        let good = json!({"version": "v2c", "community": "private"});
        server.admin("PUT", &path, Some(json!([good]))).await;
        let before = snapshot(&server, acme).await;

        // The words of net-snmp's command line are not the API's: refused, not dropped.
        let message = refused(
            &server,
            "PUT",
            &path,
            json!([{"version": "v3", "user": "quire", "auth-proto": "SHA"}]),
            400,
            "[0].auth-proto",
        )
        .await;
        assert!(message.contains("auth-proto"), "{backend}: {message}");
        let message = refused(
            &server,
            "PUT",
            &path,
            json!([good, {"version": "v3", "user": "quire", "auth-protocol": "bogus", "auth-password": "authpass123"}]),
            400,
            "[1].auth-protocol",
        )
        .await;
        assert!(
            message.contains("bogus") && message.contains("sha256"),
            "{backend}: {message}"
        );
        for (entry, field) in [
            (json!({"version": "v4", "community": "x"}), "[0].version"),
            (json!({"community": "x"}), "[0].version"),
            (json!({"version": "v2c"}), "[0].community"),
            (json!({"version": "v2c", "community": ""}), "[0].community"),
            (
                json!({"version": "v1", "community": "x", "user": "quire"}),
                "[0].user",
            ),
            (
                json!({"version": "v3", "community": "x", "user": "quire"}),
                "[0].community",
            ),
            (
                json!({"version": "v3", "auth-protocol": "sha1", "auth-password": "authpass123"}),
                "[0].user",
            ),
            (
                json!({"version": "v3", "user": "quire", "auth-protocol": "sha1"}),
                "[0].auth-password",
            ),
            (
                json!({"version": "v3", "user": "quire", "auth-password": "authpass123"}),
                "[0].auth-protocol",
            ),
            (
                json!({"version": "v3", "user": "quire", "privacy-protocol": "des", "privacy-password": "privpass123"}),
                "[0].privacy-protocol",
            ),
            (
                json!({"version": "v3", "user": "quire", "auth-protocol": "sha1", "auth-password": "authpass123",
                       "privacy-protocol": "aes256", "privacy-password": "privpass123"}),
                "[0].privacy-protocol",
            ),
            (
                json!({"version": "v3", "user": "quire", "auth-protocol": "md5", "auth-password": "short"}),
                "[0].auth-password",
            ),
            (
                json!({"version": "v3", "user": "quire", "auth-protocol": 1, "auth-password": "authpass123"}),
                "[0].auth-protocol",
            ),
        ] {
            refused(&server, "PUT", &path, json!([entry]), 400, field).await;
        }
        refused(&server, "PUT", &path, json!({"version": "v1"}), 400, "").await;
        refused(
            &server,
            "PUT",
            "/api/v1/accounts/999999/credentials",
            json!([good]),
            404,
            "",
        )
        .await;
        assert_eq!(snapshot(&server, acme).await, before, "{backend}");

        // net-snmp's spellings of a value are read, and stored in the API's words.
        let stored = server
            .admin(
                "PUT",
                &path,
                Some(json!([{"version": "v3", "user": "quire", "auth-protocol": "SHA", "auth-password": "authpass123",
                             "privacy-protocol": "AES", "privacy-password": "privpass123"}])),
            )
            .await;
        assert_eq!(stored[0]["auth-protocol"], "sha1", "{backend}: {stored}");
        assert_eq!(
            stored[0]["privacy-protocol"], "aes128",
            "{backend}: {stored}"
        );
        assert_eq!(server.admin("GET", &path, None).await, stored, "{backend}");
    }
}

#[tokio::test]
async fn sites_refuse_bad_bodies_by_field_and_keep_what_they_had() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let site = server.site(acme, "Head office").await;
        server
            .admin(
                "PUT",
                &format!("/api/v1/sites/{site}/ranges"),
                Some(json!([{"range": "10.0.0.0/24"}])),
            )
            .await;
        let before = snapshot(&server, acme).await;
        let sites = format!("/api/v1/accounts/{acme}/sites");
        let schedules = |alerts: Value| {
            json!({"time-zone": "UTC", "discovery": {"default": {"kind": "disabled"}},
                   "meters-and-supplies": {"default": {"kind": "disabled"}}, "alerts": alerts})
        };

        refused(
            &server,
            "POST",
            &sites,
            json!({"name": "Dock", "colour": "red"}),
            400,
            "colour",
        )
        .await;
        refused(&server, "POST", &sites, json!({"name": 7}), 400, "name").await;
        let message = refused(
            &server,
            "POST",
            &sites,
            json!({"name": "Dock", "schedules": schedules(json!({"default": {"kind": "weekly", "days": ["funday"], "hours": [1]}}))}),
            // A schedule's fields are read once its `kind` is known, so the schedule is
            // named and the message says which of its values is wrong.
            400,
            "schedules.alerts.default",
        )
        .await;
        assert!(message.contains("funday"), "{backend}: {message}");
        let message = refused(
            &server,
            "POST",
            "/api/v1/accounts/999999/sites",
            json!({"name": "Dock"}),
            404,
            "",
        )
        .await;
        assert!(message.contains("999999"), "{backend}: {message}");
        refused(
            &server,
            "POST",
            &sites,
            json!({"name": "Head office"}),
            409,
            "name",
        )
        .await;

        let put = format!("/api/v1/sites/{site}/schedules");
        refused(
            &server,
            "PUT",
            &put,
            schedules(json!({"default": {"kind": "disabled"}, "extra": 1})),
            400,
            "schedules.alerts.extra",
        )
        .await;
        refused(
            &server,
            "PUT",
            &put,
            schedules(json!({"default": {"kind": "every-hours", "n": "4", "starting-at": 0}})),
            400,
            "schedules.alerts.default",
        )
        .await;
        // A schedule of the right shape that cannot run names the value wrong in it, as
        // the console shows the refusal beside that field.
        let message = refused(
            &server,
            "PUT",
            &put,
            schedules(json!({"default": {"kind": "every-hours", "n": 30, "starting-at": 0}})),
            400,
            "schedules.alerts.default.n",
        )
        .await;
        assert!(message.contains("every 30 hours"), "{backend}: {message}");

        let ranges = format!("/api/v1/sites/{site}/ranges");
        refused(
            &server,
            "PUT",
            &ranges,
            json!([{"range": "10.0.1.1"}, {"range": "10.0.0.0/4"}]),
            400,
            "ranges[1].range",
        )
        .await;
        refused(
            &server,
            "PUT",
            &ranges,
            json!([{"range": "10.0.1.1", "prt": "dock"}]),
            400,
            "ranges[0].prt",
        )
        .await;
        let printers = format!("/api/v1/sites/{site}/ipp-printers");
        refused(
            &server,
            "PUT",
            &printers,
            json!([5]),
            400,
            "ipp-printers[0]",
        )
        .await;
        refused(
            &server,
            "PUT",
            &printers,
            json!(["ipp://10.0.0.9/ipp/print", "ftp://10.0.0.9/"]),
            400,
            "ipp-printers[1]",
        )
        .await;
        refused(
            &server,
            "PUT",
            "/api/v1/sites/999999/ranges",
            json!([{"range": "10.0.1.1"}]),
            404,
            "",
        )
        .await;
        assert_eq!(snapshot(&server, acme).await, before, "{backend}");
    }
}

#[tokio::test]
async fn keys_users_and_logins_refuse_bad_bodies_by_field() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let before = snapshot(&server, acme).await;
        let keys = format!("/api/v1/accounts/{acme}/enrollment-keys");
        refused(&server, "POST", &keys, json!({"hours": 2}), 400, "hours").await;
        refused(
            &server,
            "POST",
            &keys,
            json!({"valid-hours": "2"}),
            400,
            "valid-hours",
        )
        .await;
        refused(
            &server,
            "POST",
            &keys,
            json!({"valid-hours": 0}),
            400,
            "valid-hours",
        )
        .await;
        refused(
            &server,
            "POST",
            "/api/v1/accounts/999999/enrollment-keys",
            json!({"valid-hours": 2}),
            404,
            "",
        )
        .await;

        let user = |extra: Value| {
            let mut body = json!({"name": "gail", "password": "0123456789ab", "role": "account-user", "account-ids": [acme]});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            body
        };
        let users = "/api/v1/users";
        refused(
            &server,
            "POST",
            users,
            user(json!({"admin": true})),
            400,
            "admin",
        )
        .await;
        let message = refused(
            &server,
            "POST",
            users,
            user(json!({"role": "root"})),
            400,
            "role",
        )
        .await;
        assert!(message.contains("account-user"), "{backend}: {message}");
        refused(
            &server,
            "POST",
            users,
            user(json!({"account-ids": [acme, 999_999]})),
            400,
            "account-ids[1]",
        )
        .await;
        refused(
            &server,
            "POST",
            users,
            user(json!({"name": "admin"})),
            409,
            "name",
        )
        .await;
        refused(
            &server,
            "POST",
            users,
            user(json!({"password": "short"})),
            400,
            "password",
        )
        .await;

        let login = server
            .call(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"name": "admin", "password": "x", "remember": true})),
            )
            .await;
        assert_eq!(login.status, 400, "{backend}: {}", login.text());
        assert_eq!(login.json()["field"], "remember", "{backend}");
        let enroll = server
            .call(
                "POST",
                quire_protocol::ENROLL_PATH,
                None,
                Some(json!({"key": "k", "hostname": "h", "agent-version": "1", "site": 1})),
            )
            .await;
        assert_eq!(enroll.status, 400, "{backend}: {}", enroll.text());
        assert_eq!(enroll.json()["field"], "site", "{backend}");
        assert_eq!(snapshot(&server, acme).await, before, "{backend}");
    }
}

#[tokio::test]
async fn work_orders_and_service_settings_refuse_bad_bodies_naming_the_field() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let dealer = server.running.main_dealer.0;
        let tenant = crate::support::tenant(&server, "Orders", 300).await;
        let orders = format!("/api/v1/work-orders?account-id={}", tenant.account);
        let before = server.admin("GET", &orders, None).await;
        let new = |extra: Value| {
            let mut body =
                json!({"device-id": tenant.device, "input": {"kind": "state", "state": "jammed"}});
            body.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            body
        };
        let post = "/api/v1/work-orders";
        for (body, status, field) in [
            (new(json!({"priority": "high"})), 400, "priority"),
            (
                json!({"input": {"kind": "state", "state": "jammed"}}),
                400,
                "device-id",
            ),
            (
                new(json!({"input": {"kind": "state", "state": "melted"}})),
                400,
                "input",
            ),
            (new(json!({"input": {"kind": "alert"}})), 400, "input.index"),
            (
                new(json!({"parts": [{"part-number": "RM1-2337", "quantity": 1}]})),
                400,
                "parts[0].unit-cost",
            ),
            (
                new(
                    json!({"parts": [{"part-number": "RM1-2337", "quantity": 1, "unit-cost": 12.35}]}),
                ),
                400,
                "parts[0].unit-cost",
            ),
            (
                new(
                    json!({"parts": [{"part-number": "RM1-2337", "quantity": 1, "unit-cost": "-1.00"}]}),
                ),
                400,
                "parts[0].unit-cost",
            ),
            (
                new(
                    json!({"parts": [{"part-number": "A", "quantity": 1, "unit-cost": "1"}, {"part-number": "B", "quantity": 0, "unit-cost": "1"}]}),
                ),
                400,
                "parts[1].quantity",
            ),
            (
                new(json!({"parts": [{"part-number": " ", "quantity": 1, "unit-cost": "1"}]})),
                400,
                "parts[0].part-number",
            ),
            (new(json!({"device-id": 999_999})), 404, "device-id"),
            (new(json!({"reading-id": 999_999})), 404, "reading-id"),
            (
                new(json!({"input": {"kind": "alert", "index": 42}})),
                409,
                "input",
            ),
        ] {
            refused(&server, "POST", post, body, status, field).await;
        }
        assert_eq!(
            server.admin("GET", &orders, None).await,
            before,
            "{backend}: a refused order was stored"
        );

        let status = format!("/api/v1/work-orders/{}/status", tenant.work_order);
        refused(
            &server,
            "PUT",
            &status,
            json!({"status": "assigned", "assignee": 1}),
            400,
            "assignee",
        )
        .await;
        refused(
            &server,
            "PUT",
            &status,
            json!({"state": "done"}),
            400,
            "state",
        )
        .await;

        let settings = format!("/api/v1/accounts/{dealer}/service-settings");
        for (body, field) in [
            (
                json!({"labour-rates": {"technician": "ninety"}}),
                "labour-rates.technician",
            ),
            (
                json!({"labour-rates": {"plumber": "90"}}),
                "labour-rates.plumber",
            ),
            (json!({"auto-close": "yes"}), "auto-close"),
            (json!({"auto-closing": true}), "auto-closing"),
        ] {
            refused(&server, "PUT", &settings, body, 400, field).await;
        }
        // Tenants are dealers; a customer of theirs is not.
        let customer = server
            .admin(
                "POST",
                "/api/v1/accounts",
                Some(json!({"name": "Orders customer", "parent-id": tenant.account})),
            )
            .await["id"]
            .as_i64()
            .unwrap();
        let customer = format!("/api/v1/accounts/{customer}/service-settings");
        let message = refused(
            &server,
            "PUT",
            &customer,
            json!({"labour-rates": {"anyone": "30"}}),
            400,
            "labour-rates",
        )
        .await;
        assert!(message.contains("not a dealer"), "{backend}: {message}");
        let unchanged = server.admin("GET", &settings, None).await;
        assert_eq!(
            unchanged["own"],
            json!({"labour-rates": {"anyone": null, "key-operator": null, "technician": null, "specialist": null}, "auto-close": null}),
            "{backend}"
        );
    }
}

/// What the administrator sees of a tenant's contracts and prices.
async fn prices(server: &TestServer, tenant: &crate::support::Tenant) -> Value {
    let (account, contract, device) = (tenant.account, tenant.contract, tenant.device);
    json!({
        "contracts": server.admin("GET", &format!("/api/v1/accounts/{account}/contracts"), None).await,
        "account rates": server.admin("GET", &format!("/api/v1/accounts/{account}/rates"), None).await,
        "contract rates": server.admin("GET", &format!("/api/v1/contracts/{contract}/rates"), None).await,
        "device": server.admin("GET", &format!("/api/v1/devices/{device}"), None).await,
        "device rates": server.admin("GET", &format!("/api/v1/devices/{device}/rates"), None).await,
    })
}

#[tokio::test]
async fn rates_refuse_a_bad_row_by_its_place_and_store_nothing() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = crate::support::tenant(&server, "Acme", 1).await;
        for path in [
            format!("/api/v1/accounts/{}/rates", acme.account),
            format!("/api/v1/contracts/{}/rates", acme.contract),
            format!("/api/v1/devices/{}/rates", acme.device),
        ] {
            server
                .admin(
                    "PUT",
                    &path,
                    Some(json!([{"counter": "mono", "cost-per-page": "0.01"}])),
                )
                .await;
        }
        let before = prices(&server, &acme).await;
        let good = json!({"counter": "mono", "cost-per-page": "0.0100"});
        for path in [
            format!("/api/v1/accounts/{}/rates", acme.account),
            format!("/api/v1/contracts/{}/rates", acme.contract),
            format!("/api/v1/devices/{}/rates", acme.device),
        ] {
            for (row, field, said) in [
                (
                    json!({"counter": "color", "cost-per-page": "-0.01"}),
                    "[1].cost-per-page",
                    "negative",
                ),
                (
                    json!({"counter": "color", "cost-per-page": "1000000.5"}),
                    "[1].cost-per-page",
                    "1000000",
                ),
                (
                    json!({"counter": "mono", "cost-per-page": "0.02"}),
                    "[1].counter",
                    "[0]",
                ),
                (
                    json!({"counter": "color", "cost-per-page": "0.0a"}),
                    "[1].cost-per-page",
                    "0.0a",
                ),
                (
                    json!({"counter": "color", "cost-per-page": 0.08}),
                    "[1].cost-per-page",
                    "string",
                ),
                (
                    json!({"counter": "", "cost-per-page": "0.08"}),
                    "[1].counter",
                    "empty",
                ),
                (json!({"counter": "color"}), "[1].cost-per-page", "missing"),
                (
                    json!({"counter": "color", "cost-per-page": "0.08", "currency": "EUR"}),
                    "[1].currency",
                    "currency",
                ),
            ] {
                let message = refused(&server, "PUT", &path, json!([good, row]), 400, field).await;
                assert!(message.contains(said), "{backend}: {path} {row}: {message}");
            }
            refused(&server, "PUT", &path, json!({"mono": "0.01"}), 400, "").await;
        }
        for path in [
            "/api/v1/accounts/999999/rates",
            "/api/v1/contracts/999999/rates",
            "/api/v1/devices/999999/rates",
        ] {
            refused(&server, "PUT", path, json!([good]), 404, "").await;
        }
        assert_eq!(prices(&server, &acme).await, before, "{backend}");
    }
}

#[tokio::test]
async fn contracts_refuse_bad_terms_and_foreign_assignments_by_field() {
    for server in TestServer::each().await {
        let backend = server.backend;
        let acme = crate::support::tenant(&server, "Acme", 1).await;
        let globex = crate::support::tenant(&server, "Globex", 2).await;
        let before = prices(&server, &acme).await;
        let contracts = format!("/api/v1/accounts/{}/contracts", acme.account);
        let contract = format!("/api/v1/contracts/{}", acme.contract);
        for path in [&contracts, &contract] {
            let method = if path == &contracts { "POST" } else { "PUT" };
            refused(
                &server,
                method,
                path,
                json!({"name": "X", "start": "2026-01-01"}),
                400,
                "start",
            )
            .await;
            refused(
                &server,
                method,
                path,
                json!({"name": "X", "starts-on": "1 Jan 2026"}),
                400,
                "starts-on",
            )
            .await;
            refused(
                &server,
                method,
                path,
                json!({"starts-on": "2026-01-01"}),
                400,
                "name",
            )
            .await;
            refused(&server, method, path, json!({"name": "  "}), 400, "name").await;
            let message = refused(
                &server,
                method,
                path,
                json!({"name": "X", "starts-on": "2026-06-01", "ends-on": "2026-05-31"}),
                400,
                "ends-on",
            )
            .await;
            assert!(message.contains("2026-05-31"), "{backend}: {message}");
        }
        server
            .admin("POST", &contracts, Some(json!({"name": "Spare"})))
            .await;
        let after_spare = prices(&server, &acme).await;
        refused(
            &server,
            "POST",
            &contracts,
            json!({"name": "Spare"}),
            409,
            "name",
        )
        .await;
        refused(
            &server,
            "PUT",
            &contract,
            json!({"name": "Spare"}),
            409,
            "name",
        )
        .await;
        refused(
            &server,
            "POST",
            "/api/v1/accounts/999999/contracts",
            json!({"name": "X"}),
            404,
            "",
        )
        .await;

        let assign = format!("/api/v1/devices/{}/contract", acme.device);
        refused(
            &server,
            "PUT",
            &assign,
            json!({"contract": acme.contract}),
            400,
            "contract",
        )
        .await;
        refused(
            &server,
            "PUT",
            &assign,
            json!({"contract-id": "one"}),
            400,
            "contract-id",
        )
        .await;
        let message = refused(
            &server,
            "PUT",
            &assign,
            json!({"contract-id": 999_999}),
            404,
            "contract-id",
        )
        .await;
        assert!(message.contains("999999"), "{backend}: {message}");
        // A sibling account's contract cannot cover Acme's printer, even for an administrator.
        let message = refused(
            &server,
            "PUT",
            &assign,
            json!({"contract-id": globex.contract}),
            400,
            "contract-id",
        )
        .await;
        assert!(
            message.contains(&format!("account {}", globex.account)),
            "{backend}: {message}"
        );
        assert_eq!(prices(&server, &acme).await, after_spare, "{backend}");
        assert_ne!(
            after_spare, before,
            "{backend}: the spare contract is listed"
        );

        let cost = format!("/api/v1/devices/{}/cost", acme.device);
        for (query, field) in [
            ("from=last-week", "from"),
            ("to=2026-02-30", "to"),
            ("from=2026-12-01&to=2026-11-01", "to"),
            ("from=2024-01-01&to=2026-01-01", "to"),
        ] {
            let answer = server
                .call(
                    "GET",
                    &format!("{cost}?{query}"),
                    Some(server.admin.as_str()),
                    None,
                )
                .await;
            assert_eq!(
                (answer.status, answer.json()["field"].clone()),
                (400, json!(field)),
                "{backend}: {query}: {}",
                answer.text()
            );
        }
        let answer = server
            .call(
                "GET",
                &format!("{cost}?since=2026-11-01"),
                Some(server.admin.as_str()),
                None,
            )
            .await;
        assert_eq!(answer.status, 400, "{backend}: {}", answer.text());
        assert!(
            answer.text().contains("since"),
            "{backend}: {}",
            answer.text()
        );
    }
}
