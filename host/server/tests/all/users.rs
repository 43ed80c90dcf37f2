//! Issue 18, users and sessions: passwords changed and reset, users disabled and deleted,
//! sessions listed and revoked, a password policy, names unique without regard to case,
//! logins that do not tell unknown names from wrong passwords, and grants a role cannot
//! hold. Each attack is made against a running server, on SQLite and PostgreSQL; another
//! tenant's user is checked unaffected and the server still serves after.

use std::borrow::Cow;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use chrono::Utc;
use quire_server::Server;
use quire_server::client::Client;
use serde_json::{Value, json};

use crate::support::{ADMIN_PASSWORD, TestServer, backends};
use sqlx::Connection as _;

/// A dealer under the main dealer with one customer account below it.
struct Dealer {
    dealer: i64,
    customer: i64,
}

async fn dealer(server: &TestServer, name: &str) -> Dealer {
    let main = server.running.main_dealer.0;
    let dealer = server
        .admin(
            "POST",
            "/api/v1/accounts",
            Some(json!({"name": name, "parent-id": main, "is-dealer": true})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let customer = server
        .admin(
            "POST",
            "/api/v1/accounts",
            Some(json!({"name": format!("{name} customer"), "parent-id": dealer})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    Dealer { dealer, customer }
}

/// Creates a user as admin; their id.
async fn user(
    server: &TestServer,
    name: &str,
    password: &str,
    role: &str,
    accounts: &[i64],
) -> i64 {
    server
        .admin(
            "POST",
            "/api/v1/users",
            Some(
                json!({"name": name, "password": password, "role": role, "account-ids": accounts}),
            ),
        )
        .await["id"]
        .as_i64()
        .unwrap()
}

/// Two dealers, each with a customer: bob, an account user of ours with `password`, and
/// carol (`carol's password`), an account user of theirs who must stay untouched; bob's id.
async fn bob_and_carol(server: &TestServer, password: &str) -> i64 {
    let ours = dealer(server, "Ours").await;
    let theirs = dealer(server, "Theirs").await;
    user(
        server,
        "carol",
        "carol's password",
        "account-user",
        &[theirs.customer],
    )
    .await;
    user(server, "bob", password, "account-user", &[ours.customer]).await
}

/// The status `GET /api/v1/me` answers with `token`: 200 while the session lives.
async fn me(server: &TestServer, token: &str) -> u16 {
    server
        .call("GET", "/api/v1/me", Some(token), None)
        .await
        .status
}

/// The status of a login.
async fn login_status(server: &TestServer, name: &str, password: &str) -> u16 {
    let body = json!({"name": name, "password": password});
    server
        .call("POST", "/api/v1/login", None, Some(body))
        .await
        .status
}

/// The answer's status and JSON body, for assertions naming both.
async fn answer(
    server: &TestServer,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let answer = server.call(method, path, Some(token), body).await;
    let json = if answer.body.is_empty() {
        Value::Null
    } else {
        answer.json()
    };
    (answer.status, json)
}

/// The server still answers an administrator's list.
async fn still_serves(server: &TestServer) {
    server.admin("GET", "/api/v1/accounts", None).await;
    assert_eq!(me(server, &server.admin).await, 200, "{}", server.backend);
}

#[tokio::test]
async fn a_user_changes_their_password_with_the_old_one_and_their_other_sessions_end() {
    for server in TestServer::each().await {
        let b = server.backend;
        bob_and_carol(&server, "bob's first password").await;
        let here = server.login("bob", "bob's first password").await;
        let elsewhere = server.login("bob", "bob's first password").await;
        let carol = server.login("carol", "carol's password").await;
        let path = "/api/v1/me/password";

        let wrong =
            json!({"current-password": "a guess at it", "new-password": "bob's second password"});
        let (status, body) = answer(&server, "PUT", path, &here, Some(wrong)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("current-password")),
            "{b}: {body}"
        );
        let weak =
            json!({"current-password": "bob's first password", "new-password": " ".repeat(12)});
        let (status, body) = answer(&server, "PUT", path, &here, Some(weak)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("new-password")),
            "{b}: {body}"
        );
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("at least 10 characters"),
            "{b}: {body}"
        );
        assert_eq!(
            login_status(&server, "bob", "bob's first password").await,
            200,
            "{b}"
        );

        let good = json!({"current-password": "bob's first password", "new-password": "bob's second password"});
        let (status, body) = answer(&server, "PUT", path, &here, Some(good)).await;
        assert_eq!(status, 204, "{b}: {body}");
        assert_eq!(
            me(&server, &here).await,
            200,
            "{b}: the session that changed it stays"
        );
        assert_eq!(
            me(&server, &elsewhere).await,
            401,
            "{b}: the other session ended"
        );
        assert_eq!(
            login_status(&server, "bob", "bob's first password").await,
            401,
            "{b}"
        );
        assert_eq!(
            login_status(&server, "bob", "bob's second password").await,
            200,
            "{b}"
        );
        assert_eq!(
            me(&server, &carol).await,
            200,
            "{b}: another tenant's user stays logged in"
        );
        still_serves(&server).await;
    }
}

#[tokio::test]
async fn a_dealer_user_manages_the_users_of_their_subtree_and_no_one_else() {
    for server in TestServer::each().await {
        let b = server.backend;
        let ours = dealer(&server, "Ours").await;
        let theirs = dealer(&server, "Theirs").await;
        user(
            &server,
            "dana",
            "dana's password",
            "dealer-user",
            &[ours.dealer],
        )
        .await;
        let ann = user(
            &server,
            "ann",
            "ann's password",
            "account-user",
            &[ours.customer],
        )
        .await;
        let ben = user(
            &server,
            "ben",
            "ben's password",
            "account-user",
            &[theirs.customer],
        )
        .await;
        let dana = server.login("dana", "dana's password").await;
        let ann_token = server.login("ann", "ann's password").await;
        let ben_token = server.login("ben", "ben's password").await;
        let reset = |password: &str| Some(json!({"password": password}));

        // Dana lists the users she manages, herself among them, a page at a time; an
        // account user lists no one.
        let names = |body: &Value| -> Vec<String> {
            body.as_array()
                .into_iter()
                .flatten()
                .filter_map(|u| u["name"].as_str().map(str::to_owned))
                .collect()
        };
        let (status, body) = answer(&server, "GET", "/api/v1/users", &dana, None).await;
        assert_eq!(
            (status, names(&body)),
            (200, vec!["dana".to_owned(), "ann".to_owned()]),
            "{b}: {body}"
        );
        let path = "/api/v1/users?limit=1&offset=1";
        let (status, body) = answer(&server, "GET", path, &dana, None).await;
        assert_eq!(
            (status, names(&body)),
            (200, vec!["ann".to_owned()]),
            "{b}: {body}"
        );
        let (status, body) = answer(&server, "GET", "/api/v1/users", &ann_token, None).await;
        assert_eq!(status, 403, "{b}: {body}");

        // Outside dana's subtree, or an administrator: as if the user did not exist.
        for (method, path, body) in [
            (
                "PUT",
                format!("/api/v1/users/{ben}/password"),
                reset("dana owns ben now"),
            ),
            (
                "PUT",
                format!("/api/v1/users/{ben}/disabled"),
                Some(json!({"disabled": true})),
            ),
            ("DELETE", format!("/api/v1/users/{ben}"), None),
            ("GET", format!("/api/v1/users/{ben}/sessions"), None),
            ("DELETE", format!("/api/v1/users/{ben}/sessions"), None),
            (
                "PUT",
                "/api/v1/users/1/password".to_owned(),
                reset("dana owns admin now"),
            ),
            ("DELETE", "/api/v1/users/1".to_owned(), None),
        ] {
            let (status, body) = answer(&server, method, &path, &dana, body).await;
            assert_eq!(status, 404, "{b}: {method} {path}: {body}");
        }
        assert_eq!(me(&server, &ben_token).await, 200, "{b}: ben is untouched");
        assert_eq!(
            login_status(&server, "ben", "ben's password").await,
            200,
            "{b}"
        );
        assert_eq!(
            login_status(&server, "admin", ADMIN_PASSWORD).await,
            200,
            "{b}"
        );

        // An account user manages no one.
        let path = format!("/api/v1/users/{ben}/password");
        let (status, body) =
            answer(&server, "PUT", &path, &ann_token, reset("ann owns ben now")).await;
        assert_eq!(status, 403, "{b}: {body}");

        // Inside it: a reset ends ann's sessions.
        let path = format!("/api/v1/users/{ann}/password");
        let (status, body) = answer(&server, "PUT", &path, &dana, reset("dana")).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("password")),
            "{b}: {body}"
        );
        let (status, body) =
            answer(&server, "PUT", &path, &dana, reset("ann's reset password")).await;
        assert_eq!(status, 204, "{b}: {body}");
        assert_eq!(
            me(&server, &ann_token).await,
            401,
            "{b}: a reset ends the sessions"
        );
        let ann_token = server.login("ann", "ann's reset password").await;

        // A role change: not to administrator, not to another dealer's account; a
        // change that is allowed ends the sessions.
        let path = format!("/api/v1/users/{ann}/role");
        let admin_role = json!({"role": "administrator"});
        let (status, body) = answer(&server, "PUT", &path, &dana, Some(admin_role)).await;
        assert_eq!(status, 403, "{b}: {body}");
        let foreign = json!({"role": "account-user", "account-ids": [theirs.customer]});
        let (status, body) = answer(&server, "PUT", &path, &dana, Some(foreign)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("account-ids[0]")),
            "{b}: {body}"
        );
        assert_eq!(
            me(&server, &ann_token).await,
            200,
            "{b}: refused changes end nothing"
        );
        let dealer_role = json!({"role": "dealer-user", "account-ids": [ours.dealer]});
        let (status, body) = answer(&server, "PUT", &path, &dana, Some(dealer_role)).await;
        assert_eq!(
            (status, body["role"].as_str()),
            (200, Some("dealer-user")),
            "{b}: {body}"
        );
        assert_eq!(
            me(&server, &ann_token).await,
            401,
            "{b}: a role change ends the sessions"
        );

        // Disabled: the right password no longer logs in, and says why.
        let path = format!("/api/v1/users/{ann}/disabled");
        let (status, body) = answer(
            &server,
            "PUT",
            &path,
            &dana,
            Some(json!({"disabled": true})),
        )
        .await;
        assert_eq!(
            (status, body["disabled"].as_bool()),
            (200, Some(true)),
            "{b}: {body}"
        );
        let refused = server
            .call(
                "POST",
                "/api/v1/login",
                None,
                Some(json!({"name": "ann", "password": "ann's reset password"})),
            )
            .await;
        assert_eq!(refused.status, 401, "{b}");
        assert!(
            refused.text().contains("disabled"),
            "{b}: {}",
            refused.text()
        );
        let (status, _) = answer(
            &server,
            "PUT",
            &path,
            &dana,
            Some(json!({"disabled": false})),
        )
        .await;
        assert_eq!(status, 200, "{b}");
        assert_eq!(
            login_status(&server, "ann", "ann's reset password").await,
            200,
            "{b}"
        );

        // Nobody disables or deletes themselves.
        let me_id = server
            .call("GET", "/api/v1/me", Some(&dana), None)
            .await
            .json()["user"]["id"]
            .as_i64()
            .unwrap();
        let (status, body) = answer(
            &server,
            "DELETE",
            &format!("/api/v1/users/{me_id}"),
            &dana,
            None,
        )
        .await;
        assert_eq!(status, 409, "{b}: {body}");

        // Deleted: gone from the list, and the name logs in no more.
        let (status, body) = answer(
            &server,
            "DELETE",
            &format!("/api/v1/users/{ann}"),
            &dana,
            None,
        )
        .await;
        assert_eq!(status, 204, "{b}: {body}");
        assert_eq!(
            login_status(&server, "ann", "ann's reset password").await,
            401,
            "{b}"
        );
        let users = server.admin("GET", "/api/v1/users", None).await;
        assert!(
            users.as_array().unwrap().iter().all(|u| u["id"] != ann),
            "{b}: {users}"
        );
        assert_eq!(me(&server, &ben_token).await, 200, "{b}: ben is untouched");
        still_serves(&server).await;
    }
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_by_their_user_and_by_an_administrator() {
    for server in TestServer::each().await {
        let b = server.backend;
        let bob = bob_and_carol(&server, "bob's password").await;
        let laptop = server.login("bob", "bob's password").await;
        let phone = server.login("bob", "bob's password").await;
        let carol = server.login("carol", "carol's password").await;

        let (status, listed) = answer(&server, "GET", "/api/v1/sessions", &laptop, None).await;
        assert_eq!(status, 200, "{b}: {listed}");
        let listed = listed.as_array().unwrap().clone();
        assert_eq!(listed.len(), 2, "{b}: {listed:?}");
        let current: Vec<bool> = listed
            .iter()
            .map(|s| s["current"].as_bool().unwrap())
            .collect();
        assert_eq!(current.iter().filter(|c| **c).count(), 1, "{b}: {listed:?}");
        let other = listed.iter().find(|s| s["current"] == false).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let own = listed.iter().find(|s| s["current"] == true).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        // The id is not the token, nor anything that logs in.
        assert!(
            !laptop.starts_with(&own) && !phone.starts_with(&other),
            "{b}"
        );
        assert_eq!(
            me(&server, &own).await,
            401,
            "{b}: a session id is no token"
        );

        // Carol cannot end bob's session by its id.
        let (status, _) = answer(
            &server,
            "DELETE",
            &format!("/api/v1/sessions/{other}"),
            &carol,
            None,
        )
        .await;
        assert_eq!(status, 404, "{b}");
        assert_eq!(me(&server, &phone).await, 200, "{b}");

        let (status, _) = answer(
            &server,
            "DELETE",
            &format!("/api/v1/sessions/{other}"),
            &laptop,
            None,
        )
        .await;
        assert_eq!(status, 204, "{b}");
        assert_eq!(
            me(&server, &phone).await,
            401,
            "{b}: the revoked session ended"
        );
        assert_eq!(me(&server, &laptop).await, 200, "{b}");

        // The administrator sees bob's one session left and ends it.
        let sessions = server
            .admin("GET", &format!("/api/v1/users/{bob}/sessions"), None)
            .await;
        assert_eq!(sessions.as_array().unwrap().len(), 1, "{b}: {sessions}");
        assert_eq!(sessions[0]["id"], own, "{b}");
        let (status, _) = answer(
            &server,
            "DELETE",
            &format!("/api/v1/users/{bob}/sessions"),
            &server.admin,
            None,
        )
        .await;
        assert_eq!(status, 204, "{b}");
        assert_eq!(me(&server, &laptop).await, 401, "{b}");
        assert_eq!(me(&server, &carol).await, 200, "{b}: carol stays logged in");
        still_serves(&server).await;
    }
}

#[tokio::test]
async fn weak_passwords_are_refused_saying_the_rule() {
    for server in TestServer::each().await {
        let b = server.backend;
        let ours = dealer(&server, "Ours").await;
        let before = server.admin("GET", "/api/v1/users", None).await;
        for (name, password) in [
            ("frank", " ".repeat(10)),
            ("frank", "short".to_owned()),
            ("frank", "a".repeat(16)),
            ("frederick1", "Frederick1".to_owned()),
        ] {
            let body = json!({"name": name, "password": password, "role": "account-user", "account-ids": [ours.customer]});
            let (status, body) =
                answer(&server, "POST", "/api/v1/users", &server.admin, Some(body)).await;
            assert_eq!(
                (status, body["field"].as_str()),
                (400, Some("password")),
                "{b}: {password:?}: {body}"
            );
            let message = body["message"].as_str().unwrap();
            assert!(
                message.contains("at least 10 characters") && message.contains("user name"),
                "{b}: {message}"
            );
        }
        assert_eq!(
            server.admin("GET", "/api/v1/users", None).await,
            before,
            "{b}: nothing created"
        );
        still_serves(&server).await;
    }
}

#[tokio::test]
async fn user_names_are_unique_without_regard_to_case() {
    for server in TestServer::each().await {
        let b = server.backend;
        let ours = dealer(&server, "Ours").await;
        for name in ["Admin", "ADMIN"] {
            let body = json!({"name": name, "password": "a second admin", "role": "administrator"});
            let (status, body) =
                answer(&server, "POST", "/api/v1/users", &server.admin, Some(body)).await;
            assert_eq!(
                (status, body["field"].as_str()),
                (409, Some("name")),
                "{b}: {name}: {body}"
            );
        }
        user(
            &server,
            "Bob",
            "bob's password",
            "account-user",
            &[ours.customer],
        )
        .await;
        let body = json!({"name": "bob", "password": "not bob at all", "role": "account-user", "account-ids": [ours.customer]});
        let (status, _) = answer(&server, "POST", "/api/v1/users", &server.admin, Some(body)).await;
        assert_eq!(status, 409, "{b}");
        // The one Bob logs in under any case, with his own password only.
        assert_eq!(
            login_status(&server, "BOB", "bob's password").await,
            200,
            "{b}"
        );
        assert_eq!(
            login_status(&server, "bob", "not bob at all").await,
            401,
            "{b}"
        );
        still_serves(&server).await;
    }
}

#[tokio::test]
async fn an_account_user_cannot_be_granted_a_dealer() {
    for server in TestServer::each().await {
        let b = server.backend;
        let ours = dealer(&server, "Ours").await;
        let body = json!({"name": "eve", "password": "eve's password", "role": "account-user", "account-ids": [ours.customer, ours.dealer]});
        let (status, body) =
            answer(&server, "POST", "/api/v1/users", &server.admin, Some(body)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("account-ids[1]")),
            "{b}: {body}"
        );
        let eve = user(
            &server,
            "eve",
            "eve's password",
            "account-user",
            &[ours.customer],
        )
        .await;
        let path = format!("/api/v1/users/{eve}/role");
        let grant = json!({"role": "account-user", "account-ids": [ours.dealer]});
        let (status, body) = answer(&server, "PUT", &path, &server.admin, Some(grant)).await;
        assert_eq!(
            (status, body["field"].as_str()),
            (400, Some("account-ids[0]")),
            "{b}: {body}"
        );
        let eve = server.login("eve", "eve's password").await;
        let me = server
            .call("GET", "/api/v1/me", Some(&eve), None)
            .await
            .json();
        assert_eq!(
            me["visible-account-ids"],
            json!([ours.customer]),
            "{b}: {me}"
        );
        still_serves(&server).await;
    }
}

/// The median time of `n` logins of `name` with a wrong password.
async fn median_refusal(server: &TestServer, name: &str) -> Duration {
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(login_status(server, name, "not the password").await, 401);
        times.push(started.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

#[tokio::test]
async fn an_unknown_name_is_refused_as_slowly_as_a_wrong_password() {
    for server in TestServer::each().await {
        let b = server.backend;
        let wrong_password = median_refusal(&server, "admin").await;
        let unknown_name = median_refusal(&server, "nobody-by-this-name").await;
        // Before, an unknown name answered about 20 times faster (0.8 ms against 19 ms):
        // without the dummy hash this fails by a wide margin.
        assert!(
            unknown_name * 3 > wrong_password,
            "{b}: unknown name {unknown_name:?}, wrong password {wrong_password:?}"
        );
        still_serves(&server).await;
    }
}

/// Logs in as `admin` on `client`'s server; the token.
async fn admin_token(client: &Client, password: &str) -> String {
    let body = json!({"name": "admin", "password": password});
    let answer = client
        .call("POST".parse().unwrap(), "/api/v1/login", None, Some(&body))
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    answer.json()["token"].as_str().unwrap().to_owned()
}

/// What `GET /api/v1/me` answers `token` on `client`'s server.
async fn me_on(client: &Client, token: &str) -> u16 {
    client
        .call::<()>("GET".parse().unwrap(), "/api/v1/me", Some(token), None)
        .await
        .unwrap()
        .status
}

#[tokio::test]
async fn a_restart_with_a_new_admin_password_ends_the_admin_sessions() {
    for (n, db) in backends().await.into_iter().enumerate() {
        let b = db.backend;
        let dir = tempfile::tempdir().unwrap();
        let start = |password: &str, last: u8| {
            let mut server = Server::new(dir.path());
            let last = 10 * u8::try_from(n).unwrap() + last;
            server.listen = std::net::SocketAddr::from(([127, 70, 2, last], 0));
            server.database = Some(db.url.clone());
            server.admin_password = Some(password.to_owned());
            server
        };
        let first = start(ADMIN_PASSWORD, 1).start().await.unwrap();
        let old = admin_token(&first.client(), ADMIN_PASSWORD).await;
        first.stop().await;

        // The same password again: the session lives on.
        let same = start(ADMIN_PASSWORD, 2).start().await.unwrap();
        assert_eq!(me_on(&same.client(), &old).await, 200, "{b}");
        same.stop().await;

        let weak = start("          ", 3)
            .start()
            .await
            .err()
            .expect("a blank password is refused");
        assert!(
            weak.to_string().contains("at least 10 characters"),
            "{b}: {weak}"
        );

        let new = start("a brand new admin password", 4)
            .start()
            .await
            .unwrap();
        let client = new.client();
        assert_eq!(
            me_on(&client, &old).await,
            401,
            "{b}: the old session ended"
        );
        assert_eq!(
            admin_token(&client, "a brand new admin password")
                .await
                .len(),
            64,
            "{b}"
        );
        assert_eq!(me_on(&client, &old).await, 401, "{b}");
        new.stop().await;
    }
}

/// The last migration before user names were told apart without regard to case
/// (`20261218000101_user_management`).
const BEFORE_FOLDED_NAMES: i64 = 20261209000701;

/// Users as a server before that migration let them be made, oldest first: the
/// administrator `admin`, and names that differ from it, or from each other, only by case.
const LEGACY_USERS: [(&str, &str); 6] = [
    ("admin", "administrator"),
    ("Admin", "dealer-user"),
    ("ADMIN", "administrator"),
    ("Kim", "dealer-user"),
    ("kim", "dealer-user"),
    ("KIM", "dealer-user"),
];

/// `name`'s password in the legacy database.
fn legacy_password(name: &str) -> String {
    if name == "admin" {
        ADMIN_PASSWORD.to_owned()
    } else {
        format!("{name}'s own password")
    }
}

/// A session token `ADMIN` held before the migration.
const LEGACY_TOKEN: &str = "5e551075e551075e551075e551075e551075e551075e551075e551075e551075e";

/// A database at the schema before [`BEFORE_FOLDED_NAMES`]'s successor, holding the main
/// dealer, [`LEGACY_USERS`] granted it with their passwords, and `ADMIN`'s session.
macro_rules! before_folded_names {
    ($connection:ty, $url:expr, $dir:literal) => {{
        let dir = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../store/migrations/", $dir));
        let mut migrator = sqlx::migrate::Migrator::new(dir).await.unwrap();
        let old: Vec<_> = migrator.migrations.iter().filter(|m| m.version <= BEFORE_FOLDED_NAMES).cloned().collect();
        assert!(migrator.migrations.len() > old.len(), "the user management migration is gone");
        migrator.migrations = Cow::Owned(old);
        let mut c = <$connection>::connect($url).await.unwrap();
        migrator.run(&mut c).await.unwrap();
        let dealer: i64 = sqlx::query_scalar("INSERT INTO accounts (name, is_dealer) VALUES ('Main dealer', TRUE) RETURNING id")
            .fetch_one(&mut c).await.unwrap();
        let mut ids = Vec::new();
        for (name, role) in LEGACY_USERS {
            let salt = SaltString::encode_b64(b"sixteen byte salt").unwrap();
            let hash = argon2::Argon2::default().hash_password(legacy_password(name).as_bytes(), &salt).unwrap().to_string();
            let id: i64 = sqlx::query_scalar("INSERT INTO users (name, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(name).bind(hash).bind(role).bind(Utc::now()).fetch_one(&mut c).await.unwrap();
            sqlx::query("INSERT INTO user_accounts (user_id, account_id) VALUES ($1, $2)")
                .bind(id).bind(dealer).execute(&mut c).await.unwrap();
            ids.push(id);
        }
        let token_hash = sha_hex(LEGACY_TOKEN);
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash).bind(ids[2]).bind(Utc::now()).bind(Utc::now() + chrono::Duration::days(1))
            .execute(&mut c).await.unwrap();
        c.close().await.unwrap();
        ids
    }};
}

/// SHA-256 hex, as the server keeps a session token.
fn sha_hex(token: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

#[tokio::test]
async fn names_that_differ_only_by_case_are_renamed_by_the_migration_and_all_still_log_in() {
    for db in backends().await {
        let b = db.backend;
        let ids = if b == "postgres" {
            before_folded_names!(sqlx::PgConnection, &db.url, "postgres")
        } else {
            std::fs::File::create(db.url.trim_start_matches("sqlite://")).unwrap();
            before_folded_names!(sqlx::SqliteConnection, &db.url, "sqlite")
        };
        // The server runs the remaining migrations as it starts.
        let server = TestServer::start(db).await;

        // The oldest of each name keeps it; the others are `NAME-ID`, nobody lost.
        let expected: Vec<String> = LEGACY_USERS
            .iter()
            .zip(&ids)
            .map(|((name, _), id)| match *name {
                "admin" | "Kim" => (*name).to_owned(),
                other => format!("{other}-{id}"),
            })
            .collect();
        let users = server.admin("GET", "/api/v1/users", None).await;
        let listed: Vec<(i64, &str)> = users
            .as_array()
            .unwrap()
            .iter()
            .map(|u| (u["id"].as_i64().unwrap(), u["name"].as_str().unwrap()))
            .collect();
        assert_eq!(
            listed,
            ids.iter()
                .copied()
                .zip(expected.iter().map(String::as_str))
                .collect::<Vec<_>>(),
            "{b}"
        );

        // Each logs in by their new name with their own password; an old name is the
        // oldest's now, so another's password is refused there.
        for ((old, _), new) in LEGACY_USERS.iter().zip(&expected) {
            assert_eq!(
                login_status(&server, new, &legacy_password(old)).await,
                200,
                "{b}: {new}"
            );
        }
        assert_eq!(
            login_status(&server, "Admin", &legacy_password("Admin")).await,
            401,
            "{b}"
        );
        assert_eq!(
            login_status(&server, "KIM", &legacy_password("Kim")).await,
            200,
            "{b}: a name is found under any case"
        );

        // ADMIN's session lives on, under the new name.
        let me = server
            .call("GET", "/api/v1/me", Some(LEGACY_TOKEN), None)
            .await;
        assert_eq!(me.status, 200, "{b}: {}", me.text());
        assert_eq!(me.json()["user"]["name"], expected[2], "{b}");

        // A new user under any case of a kept or a new name is refused as taken.
        for name in ["aDmIn", "kIM", &expected[1].to_lowercase()] {
            let body =
                json!({"name": name, "password": "yet another admin", "role": "administrator"});
            let (status, body) =
                answer(&server, "POST", "/api/v1/users", &server.admin, Some(body)).await;
            assert_eq!(
                (status, body["field"].as_str()),
                (409, Some("name")),
                "{b}: {name}: {body}"
            );
        }
        still_serves(&server).await;
    }
}
