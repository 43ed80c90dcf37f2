//! The outbox and the mailer against a real SMTP server (aiosmtpd, started per test on
//! 127.57.0.0/24): e-mails queued are delivered, wait while the server is down, fail on
//! a permanent refusal without holding up the others, are queued once per idempotency
//! key, and are listed in the e-mail history to whoever sees their account.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use chrono::Utc;
use quire_server::Server;
use quire_server::mailer::{MailerPolicy, Security, SmtpSettings, queue_email};
use quire_store::{AccountId, EmailId, NewEmail};
use quire_test_peers::Smtp;
use serde_json::{Value, json};

use crate::support::{TestServer, backends};

/// The sender every test server is configured with.
const FROM: &str = "Quire Alerts <alerts@dealer.example>";

/// The SMTP server's address of test `n`: each test its own, so parallel tests never meet.
fn smtp_address(n: u8) -> SocketAddr {
    SocketAddr::from(([127, 57, 0, n], 2525))
}

/// A server that sends through `smtp` with `security`, looking for due e-mails every
/// 100 ms and retrying after 200 ms, `max_attempts` times.
fn sending_to(smtp: SocketAddr, security: Security, max_attempts: u32) -> impl FnOnce(&mut Server) {
    move |server| {
        server.smtp = Some(SmtpSettings {
            host: smtp.ip().to_string(),
            port: smtp.port(),
            security,
            credentials: None,
            from: FROM.parse().unwrap(),
            timeout: Duration::from_secs(5),
        });
        server.mailer = MailerPolicy {
            every: Duration::from_millis(100),
            max_attempts,
            backoff: vec![Duration::from_millis(200)],
            batch: 100,
        };
    }
}

/// An e-mail of `account` to `to`.
fn email<'a>(account: Option<AccountId>, to: &'a [String], subject: &'a str) -> NewEmail<'a> {
    NewEmail {
        idempotency_key: None,
        account,
        from: None,
        to,
        subject,
        body_text: "Toner black is at 4 %.\nReplace it within 3 days.",
        redirected_from: None,
        redirect_reason: None,
    }
}

async fn queue(server: &TestServer, email: &NewEmail<'_>) -> EmailId {
    let (id, created) = queue_email(&server.running.store, email, Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{}: queueing: {e}", server.backend));
    assert!(created, "{}: a new e-mail was found queued", server.backend);
    id
}

fn addresses(list: &[&str]) -> Vec<String> {
    list.iter().map(|a| a.to_string()).collect()
}

/// The e-mail as the history shows it, once `done` holds of it (or the test fails).
async fn history_once(
    server: &TestServer,
    id: EmailId,
    what: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let row = server
            .admin("GET", &format!("/api/v1/emails/{}", id.0), None)
            .await;
        if done(&row) {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "{}: e-mail {} never {what}: {row}",
            server.backend,
            id.0
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sent(row: &Value) -> bool {
    row["status"] == "sent"
}

#[tokio::test]
async fn a_queued_email_arrives_with_its_subject_body_and_recipients_and_the_history_says_sent() {
    for db in backends().await {
        let address = smtp_address(1);
        let smtp = Smtp::start(address);
        let server =
            TestServer::start_configured(db, sending_to(address, Security::Plain, 8)).await;
        let backend = server.backend;
        let acme = AccountId(server.account("Acme").await);
        let to = addresses(&["Service Desk <desk@acme.example>", "ops@acme.example"]);
        let id = queue(
            &server,
            &email(
                Some(acme),
                &to,
                "Tonerstand niedrig: Kyocera TASKalfa (Büro 2)",
            ),
        )
        .await;

        let row = history_once(&server, id, "was sent", sent).await;
        assert_eq!(row["attempts"], 1, "{backend}: {row}");
        assert_eq!(row["last-error"], Value::Null, "{backend}: {row}");
        assert!(row["sent-at"].is_string(), "{backend}: {row}");
        assert_eq!(row["to"], json!(to), "{backend}: {row}");

        let messages = smtp.messages();
        assert_eq!(messages.len(), 1, "{backend}: {messages:?}");
        let message = &messages[0];
        assert_eq!(
            message.subject,
            "Tonerstand niedrig: Kyocera TASKalfa (Büro 2)"
        );
        assert_eq!(
            message.body.trim_end(),
            "Toner black is at 4 %.\nReplace it within 3 days."
        );
        assert_eq!(message.content_type, "text/plain");
        assert_eq!(message.mail_from, "alerts@dealer.example");
        assert_eq!(message.rcpt_tos, ["desk@acme.example", "ops@acme.example"]);
        assert!(
            message.from.contains("alerts@dealer.example"),
            "{backend}: {message:?}"
        );
        assert!(
            message.to.contains("desk@acme.example"),
            "{backend}: {message:?}"
        );

        let listed = server
            .admin("GET", "/api/v1/emails?status=sent", None)
            .await;
        assert_eq!(listed[0]["id"], id.0, "{backend}: {listed}");
        let queued = server
            .admin("GET", "/api/v1/emails?status=queued", None)
            .await;
        assert_eq!(queued, json!([]), "{backend}");
    }
}

#[tokio::test]
async fn emails_wait_while_the_smtp_server_is_down_and_are_delivered_once_it_is_up() {
    for db in backends().await {
        let address = smtp_address(2);
        let server =
            TestServer::start_configured(db, sending_to(address, Security::Plain, 50)).await;
        let backend = server.backend;
        let to = addresses(&["desk@acme.example"]);
        let id = queue(&server, &email(None, &to, "Waiting for the relay")).await;

        let row = history_once(&server, id, "was tried twice", |row| {
            row["attempts"].as_u64() >= Some(2)
        })
        .await;
        assert_eq!(row["status"], "queued", "{backend}: {row}");
        let error = row["last-error"].as_str().unwrap_or_default();
        assert!(
            error.contains(&address.ip().to_string()) && error.to_lowercase().contains("refused"),
            "{backend}: the last error names the server and the refusal: {row}"
        );

        let smtp = Smtp::start(address);
        let row = history_once(&server, id, "was sent once the server was up", sent).await;
        assert!(row["attempts"].as_u64() >= Some(3), "{backend}: {row}");
        let messages = smtp.messages();
        assert_eq!(messages.len(), 1, "{backend}: {messages:?}");
        assert_eq!(messages[0].subject, "Waiting for the relay");
    }
}

#[tokio::test]
async fn a_permanent_rejection_fails_that_email_and_the_others_of_the_batch_still_go() {
    for db in backends().await {
        let address = smtp_address(3);
        let smtp = Smtp::start(address);
        let server =
            TestServer::start_configured(db, sending_to(address, Security::Plain, 8)).await;
        let backend = server.backend;
        let rejected_to = addresses(&["rejected@acme.example"]);
        let busy_to = addresses(&["busy@acme.example"]);
        let fine_to = addresses(&["desk@acme.example"]);
        let rejected = queue(&server, &email(None, &rejected_to, "Rejected")).await;
        let busy = queue(&server, &email(None, &busy_to, "Busy")).await;
        let first = queue(&server, &email(None, &fine_to, "First")).await;
        let second = queue(&server, &email(None, &fine_to, "Second")).await;

        let row = history_once(&server, rejected, "failed", |row| row["status"] == "failed").await;
        assert_eq!(row["attempts"], 1, "{backend}: a 5xx is not retried: {row}");
        let error = row["last-error"].as_str().unwrap();
        assert!(
            error.contains("550") && error.contains("rejected@acme.example"),
            "{backend}: the error is the server's: {row}"
        );
        assert!(row["failed-at"].is_string(), "{backend}: {row}");
        history_once(&server, first, "was sent", sent).await;
        history_once(&server, second, "was sent", sent).await;
        let row = history_once(&server, busy, "was retried", |row| {
            row["attempts"].as_u64() >= Some(2)
        })
        .await;
        assert_eq!(
            row["status"], "queued",
            "{backend}: a 4xx is retried: {row}"
        );
        assert!(
            row["last-error"].as_str().unwrap().contains("451"),
            "{backend}: {row}"
        );
        let subjects: Vec<String> = smtp.messages().into_iter().map(|m| m.subject).collect();
        assert_eq!(subjects, ["First", "Second"], "{backend}");
    }
}

#[tokio::test]
async fn queueing_the_same_idempotency_key_twice_gives_one_email() {
    for db in backends().await {
        // No SMTP server is configured: the e-mail waits, untried.
        let server = TestServer::start(db).await;
        let backend = server.backend;
        let to = addresses(&["desk@acme.example"]);
        let mut new = email(None, &to, "Once");
        new.idempotency_key = Some("asm:action-event:17:step:1");
        let store = &server.running.store;
        let (first, created) = queue_email(store, &new, Utc::now()).await.unwrap();
        assert!(created, "{backend}");
        let again_subject = "Once, queued again by a tick that crashed";
        let again = NewEmail {
            subject: again_subject,
            ..new
        };
        let (second, created) = queue_email(store, &again, Utc::now()).await.unwrap();
        assert!(!created, "{backend}: the key was queued before");
        assert_eq!(first, second, "{backend}");

        let history = server.admin("GET", "/api/v1/emails", None).await;
        assert_eq!(history.as_array().unwrap().len(), 1, "{backend}: {history}");
        assert_eq!(
            history[0]["subject"], "Once",
            "{backend}: the first is kept"
        );
        assert_eq!(history[0]["status"], "queued", "{backend}");
        assert_eq!(history[0]["attempts"], 0, "{backend}");
    }
}

#[tokio::test]
async fn a_bad_address_is_refused_at_queue_time_naming_its_field() {
    for db in backends().await {
        let server = TestServer::start(db).await;
        let backend = server.backend;
        let store = &server.running.store;
        for (to, from, field) in [
            (addresses(&["desk acme.example"]), None, "to[0]"),
            (addresses(&["desk@acme.example", "ops@"]), None, "to[1]"),
            (addresses(&["desk@acme.example"]), Some("nobody"), "from"),
        ] {
            let mut new = email(None, &to, "Bad");
            new.from = from;
            match queue_email(store, &new, Utc::now()).await {
                Err(quire_store::Error::Invalid {
                    field: named,
                    message,
                }) => {
                    assert_eq!(named, field, "{backend}: {message}");
                }
                other => panic!("{backend}: {to:?} from {from:?}: {other:?}"),
            }
        }
        let none = queue_email(store, &email(None, &[], "Nobody"), Utc::now()).await;
        assert!(
            matches!(&none, Err(quire_store::Error::Invalid { field, .. }) if field == "to"),
            "{backend}: {none:?}"
        );
        let history = server.admin("GET", "/api/v1/emails", None).await;
        assert_eq!(history, json!([]), "{backend}: nothing was queued");
    }
}

#[tokio::test]
async fn an_account_user_sees_only_their_accounts_emails_in_the_history() {
    for db in backends().await {
        let server = TestServer::start(db).await;
        let backend = server.backend;
        let acme = server.account("Acme").await;
        let globex = server.account("Globex").await;
        let to = addresses(&["desk@example.com"]);
        let ours = queue(&server, &email(Some(AccountId(acme)), &to, "Acme toner")).await;
        let theirs = queue(
            &server,
            &email(Some(AccountId(globex)), &to, "Globex toner"),
        )
        .await;
        let nobodys = queue(&server, &email(None, &to, "Dealer admin only")).await;
        server
            .admin(
                "POST",
                "/api/v1/users",
                Some(json!({"name": "alice", "password": "alice-password", "role": "account-user", "account-ids": [acme]})),
            )
            .await;
        let alice = server.login("alice", "alice-password").await;

        let listed = server
            .call("GET", "/api/v1/emails", Some(&alice), None)
            .await
            .json();
        let ids: Vec<i64> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [ours.0], "{backend}: {listed}");
        for hidden in [theirs, nobodys] {
            let answer = server
                .call(
                    "GET",
                    &format!("/api/v1/emails/{}", hidden.0),
                    Some(&alice),
                    None,
                )
                .await;
            assert_eq!(answer.status, 404, "{backend}: {}", answer.text());
        }
        let own = server
            .call(
                "GET",
                &format!("/api/v1/emails/{}", ours.0),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(own.status, 200, "{backend}: {}", own.text());

        let all = server.admin("GET", "/api/v1/emails", None).await;
        assert_eq!(all.as_array().unwrap().len(), 3, "{backend}: {all}");
        let of_globex = server
            .admin("GET", &format!("/api/v1/emails?account-id={globex}"), None)
            .await;
        assert_eq!(of_globex[0]["id"], theirs.0, "{backend}: {of_globex}");
        assert_eq!(of_globex.as_array().unwrap().len(), 1, "{backend}");
        let bad = server
            .call("GET", "/api/v1/emails?status=lost", Some(&alice), None)
            .await;
        assert_eq!(bad.status, 400, "{backend}: {}", bad.text());
        assert!(
            bad.json()["message"].as_str().unwrap().contains("status"),
            "{backend}: {}",
            bad.text()
        );
    }
}

#[tokio::test]
async fn starttls_required_but_not_offered_fails_after_the_last_attempt_with_a_clear_error() {
    for db in backends().await {
        let address = smtp_address(7);
        // aiosmtpd without a certificate offers no STARTTLS.
        let smtp = Smtp::start(address);
        let server =
            TestServer::start_configured(db, sending_to(address, Security::StartTls, 2)).await;
        let backend = server.backend;
        let to = addresses(&["desk@acme.example"]);
        let id = queue(&server, &email(None, &to, "Never in the clear")).await;
        let row = history_once(&server, id, "failed", |row| row["status"] == "failed").await;
        assert_eq!(row["attempts"], 2, "{backend}: {row}");
        let error = row["last-error"].as_str().unwrap();
        assert!(
            error.contains("STARTTLS") && error.contains("starttls"),
            "{backend}: the error says STARTTLS was wanted and not offered: {row}"
        );
        assert!(
            smtp.messages().is_empty(),
            "{backend}: nothing went in the clear"
        );
    }
}
