//! Issue 18's denial of service and error shape, tried as an attacker would against a
//! running server: connections that never finish, password guessing, oversized input,
//! and requests axum refuses before a handler runs. Each test checks the server's
//! answer, that others are unaffected, and that the server still serves afterwards.
//!
//! Connections come from chosen loopback addresses (127.0.0.2, …) so the per-address
//! limits can be told apart from the test client's own (127.0.0.1).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use quire_server::Server;
use rustls::pki_types::ServerName;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::client::TlsStream;

use crate::support::{ADMIN_PASSWORD, TestServer};

/// Longest any step here waits for the server to close or answer: far beyond the
/// short limits the tests set, far below the defaults.
const PATIENCE: Duration = Duration::from_secs(10);

async fn tcp_from(source: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(source.parse().unwrap(), 0))
        .unwrap();
    socket.connect(server).await.unwrap()
}

/// A TLS connection from `source`, trusting whatever certificate the server shows.
async fn tls_from(source: &str, server: SocketAddr) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = tcp_from(source, server).await;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(quire_https::any_certificate_tls()));
    connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
}

/// `count` TLS connections from `source`, each served.
async fn hold(count: usize, source: &str, server: SocketAddr) -> Vec<TlsStream<TcpStream>> {
    let mut held = Vec::new();
    for _ in 0..count {
        held.push(tls_from(source, server).await.unwrap());
    }
    held
}

/// Everything the server sends until it closes the connection; fails the test when it
/// is still open after [`PATIENCE`].
async fn until_closed(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buf).await {
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection is still open after {PATIENCE:?}"
    );
    got
}

/// What `attempt` gives once it gives something, tried every 50 ms; fails the test,
/// naming `what` it waited for, after [`PATIENCE`].
async fn eventually<T, F: Future<Output = Option<T>>>(what: &str, attempt: impl Fn() -> F) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = attempt().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited {PATIENCE:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An answer read off the wire.
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `request` (a whole HTTP/1.1 request, which should say `Connection: close`)
/// from `source` and reads the answer.
async fn send_from(source: &str, server: SocketAddr, request: &[u8]) -> Raw {
    let mut tls = tls_from(source, server).await.unwrap();
    tls.write_all(request).await.unwrap();
    parse(&until_closed(&mut tls).await)
}

fn parse(answer: &[u8]) -> Raw {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer: {text:?}"));
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    Raw {
        status: status.parse().unwrap(),
        headers: lines
            .filter_map(|l| l.split_once(": "))
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect(),
        body: serde_json::from_str(body).unwrap_or(Value::Null),
    }
}

fn login_request(name: &str, password: &str) -> String {
    let body = json!({"name": name, "password": password}).to_string();
    format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A login from `source`.
async fn login_from(source: &str, server: SocketAddr, name: &str, password: &str) -> Raw {
    send_from(source, server, login_request(name, password).as_bytes()).await
}

async fn sqlite_server(configure: impl FnOnce(&mut Server)) -> TestServer {
    TestServer::start_configured(quire_testdb::sqlite(), configure).await
}

/// The admin still gets their own answer: the server serves.
async fn still_serves(server: &TestServer) {
    let me = server
        .call("GET", "/api/v1/me", Some(&server.admin), None)
        .await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["user"]["name"], "admin");
}

#[tokio::test]
async fn issue_18_silent_slow_and_idle_connections_are_closed_after_their_timeouts() {
    let short = Duration::from_millis(400);
    let server = sqlite_server(|s| {
        s.connections.handshake_timeout = short;
        s.connections.header_timeout = short;
        s.connections.idle_timeout = short;
    })
    .await;
    let address = server.running.address;

    // Silent TCP connections, never starting TLS: closed after the handshake timeout,
    // not before.
    let started = tokio::time::Instant::now();
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(tcp_from("127.0.0.2", address).await);
    }
    for stream in &mut silent {
        assert_eq!(until_closed(stream).await, b"");
    }
    assert!(
        started.elapsed() >= short,
        "closed after {:?}",
        started.elapsed()
    );

    // Half a request head after the handshake: closed without an answer.
    let mut half = tls_from("127.0.0.3", address).await.unwrap();
    half.write_all(b"GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    assert_eq!(until_closed(&mut half).await, b"");

    // A head sent a byte at a time, each in time, is still closed: the limit runs from
    // its first byte. Unclosed, this would trickle for a minute.
    let trickle = tls_from("127.0.0.4", address).await.unwrap();
    let (mut reader, mut writer) = tokio::io::split(trickle);
    let trickling = tokio::spawn(async move {
        for byte in b"GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\n".repeat(20) {
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    assert_eq!(until_closed(&mut reader).await, b"");
    trickling.abort();

    // A kept-alive connection: its answer, then closed once idle.
    let mut idle = tls_from("127.0.0.5", address).await.unwrap();
    idle.write_all(b"GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let answer = parse(&until_closed(&mut idle).await);
    assert_eq!(answer.status, 401);
    assert!(answer.body["message"].as_str().unwrap().contains("log in"));

    still_serves(&server).await;
}

/// A login's head declaring `length` bytes of body, and the body's first `sent` bytes:
/// what a client that then stalls or trickles has sent.
fn login_head_and_start(length: usize, sent: usize) -> (String, Vec<u8>) {
    let body = format!(
        r#"{{"name": "admin", "password": "{}"}}"#,
        "x".repeat(length)
    );
    let body = &body.as_bytes()[..length];
    let head = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    );
    (head, body[..sent].to_vec())
}

#[tokio::test]
async fn issue_18_a_stalled_or_trickling_body_is_answered_408_and_closed() {
    let stall = Duration::from_millis(600);
    let total = Duration::from_secs(2);
    let server = sqlite_server(|s| {
        s.connections.body_stall_timeout = stall;
        s.connections.body_timeout = total;
    })
    .await;
    let address = server.running.address;
    // Slack for the answer to arrive after a limit: a test machine under load.
    let slack = Duration::from_millis(1500);

    // A head saying 1,000 bytes, 100 of them, then silence: 408 naming the body, and
    // the connection closed, soon after the stall limit.
    let (head, start) = login_head_and_start(1000, 100);
    let mut stalled = tls_from("127.0.0.2", address).await.unwrap();
    stalled.write_all(head.as_bytes()).await.unwrap();
    stalled.write_all(&start).await.unwrap();
    let started = tokio::time::Instant::now();
    // Another client is served meanwhile.
    let other = login_from("127.0.0.3", address, "admin", ADMIN_PASSWORD).await;
    assert_eq!(other.status, 200, "{}", other.body);
    let answer = parse(&until_closed(&mut stalled).await);
    let waited = started.elapsed();
    assert_eq!(answer.status, 408, "{}", answer.body);
    assert_eq!(answer.body["field"], "body", "{}", answer.body);
    let message = answer.body["message"].as_str().unwrap();
    assert!(message.contains("no byte"), "{message}");
    assert_eq!(answer.header("connection"), Some("close"));
    assert!(
        waited >= stall && waited < stall + slack,
        "answered after {waited:?}"
    );

    // A byte every 150 ms never stalls, but the body is not whole within the total.
    let (head, start) = login_head_and_start(1000, 1000);
    let trickle = tls_from("127.0.0.2", address).await.unwrap();
    let (mut reader, mut writer) = tokio::io::split(trickle);
    writer.write_all(head.as_bytes()).await.unwrap();
    let started = tokio::time::Instant::now();
    let trickling = tokio::spawn(async move {
        for byte in start {
            if writer.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    });
    let answer = parse(&until_closed(&mut reader).await);
    let waited = started.elapsed();
    trickling.abort();
    assert_eq!(answer.status, 408, "{}", answer.body);
    assert_eq!(answer.body["field"], "body");
    let message = answer.body["message"].as_str().unwrap();
    assert!(message.contains("not whole within"), "{message}");
    assert!(
        waited >= total && waited < total + slack,
        "answered after {waited:?}"
    );

    // A body in pauses shorter than the stall limit, whole within the total, is read:
    // the admin logs in from the same address, afterwards.
    let body = json!({"name": "admin", "password": ADMIN_PASSWORD}).to_string();
    let head = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut paused = tls_from("127.0.0.2", address).await.unwrap();
    paused.write_all(head.as_bytes()).await.unwrap();
    for piece in body.as_bytes().chunks(body.len().div_ceil(3)) {
        tokio::time::sleep(stall / 2).await;
        paused.write_all(piece).await.unwrap();
    }
    let answer = parse(&until_closed(&mut paused).await);
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body["token"].is_string(), "{}", answer.body);
    still_serves(&server).await;
}

#[tokio::test]
async fn issue_18_connections_over_the_caps_are_refused_while_other_addresses_are_served() {
    let server = sqlite_server(|s| {
        s.connections.per_address = 3;
        s.connections.total = 6;
    })
    .await;
    let address = server.running.address;

    let mut held = hold(3, "127.0.0.2", address).await;
    let refused = tls_from("127.0.0.2", address).await;
    assert!(
        refused.is_err(),
        "a fourth connection from one address was served"
    );

    // Another address is served meanwhile, the admin too.
    let other = send_from(
        "127.0.0.3",
        address,
        b"GET /api/v1/me HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(other.status, 401);
    still_serves(&server).await;

    // Filled up from two more addresses, the server refuses even a new one.
    held.extend(hold(2, "127.0.0.3", address).await);
    // The admin's connections close as their calls end; wait until the last place is
    // free for this one.
    let sixth = eventually("the sixth place to free", || async {
        tls_from("127.0.0.4", address).await.ok()
    })
    .await;
    held.push(sixth);
    assert!(tls_from("127.0.0.5", address).await.is_err());

    // Once they go, everyone is served again.
    drop(held);
    eventually("a place to free", || async {
        tls_from("127.0.0.2", address).await.ok()
    })
    .await;
    still_serves(&server).await;
}

#[tokio::test]
async fn issue_18_password_guessing_is_throttled_per_name_and_per_address() {
    let window = Duration::from_secs(3);
    let server = sqlite_server(|s| {
        s.logins.failures_per_user = 5;
        s.logins.failures_per_address = 8;
        s.logins.window = window;
    })
    .await;
    let address = server.running.address;
    let dealer = server.running.main_dealer.0;
    server
        .admin(
            "POST",
            "/api/v1/users",
            Some(json!({"name": "bob", "password": "bob's own password",
                "role": "dealer-user", "account-ids": [dealer]})),
        )
        .await;

    // Guessing bob's password from one address: five tries, then refused, the right
    // password too.
    for _ in 0..5 {
        let wrong = login_from("127.0.0.2", address, "bob", "guess").await;
        assert_eq!(wrong.status, 401);
    }
    let locked = login_from("127.0.0.2", address, "bob", "bob's own password").await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(
        locked.body["message"]
            .as_str()
            .unwrap()
            .contains("user name")
    );
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (1..=window.as_secs()).contains(&retry),
        "Retry-After: {retry}"
    );
    // From any address, as the name is what is guessed.
    let elsewhere = login_from("127.0.0.3", address, "bob", "bob's own password").await;
    assert_eq!(elsewhere.status, 429);
    // Another user from the same address is unaffected.
    let admin = login_from("127.0.0.2", address, "admin", ADMIN_PASSWORD).await;
    assert_eq!(admin.status, 200, "{}", admin.body);

    // Guessing many names from one address: that address is refused, even for admin's
    // right password, while admin logs in from another.
    for n in 0..8 {
        let wrong = login_from("127.0.0.4", address, &format!("ghost-{n}"), "guess").await;
        assert_eq!(wrong.status, 401);
    }
    let locked = login_from("127.0.0.4", address, "admin", ADMIN_PASSWORD).await;
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(locked.body["message"].as_str().unwrap().contains("address"));
    assert!(locked.header("retry-after").is_some());
    let admin = login_from("127.0.0.5", address, "admin", ADMIN_PASSWORD).await;
    assert_eq!(admin.status, 200, "{}", admin.body);

    // After the window bob logs in with the right password.
    eventually("bob's login after the window", || async {
        let bob = login_from("127.0.0.3", address, "bob", "bob's own password").await;
        assert!([200, 429].contains(&bob.status), "{}", bob.body);
        (bob.status == 200).then_some(())
    })
    .await;
    still_serves(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_18_logins_beyond_the_password_checks_and_their_waiting_room_are_answered_503() {
    let server = sqlite_server(|s| {
        s.logins.concurrent_checks = 1;
        s.logins.waiting_checks = 1;
        s.logins.failures_per_address = 1_000;
        s.logins.failures_per_user = 1_000;
    })
    .await;
    let address = server.running.address;
    // Wrong passwords of a user that exists, so each is a real argon2 check; the
    // connections are made first, so the requests arrive together.
    let mut connections = hold(24, "127.0.0.2", address).await;
    for (n, tls) in connections.iter_mut().enumerate() {
        tls.write_all(login_request("admin", &format!("guess {n}")).as_bytes())
            .await
            .unwrap();
    }
    let mut statuses = Vec::new();
    for tls in &mut connections {
        let answer = parse(&until_closed(tls).await);
        if answer.status == 503 {
            assert_eq!(answer.header("retry-after"), Some("1"));
            assert!(answer.body["message"].as_str().unwrap().contains("at once"));
        }
        statuses.push(answer.status);
    }
    assert!(
        statuses.iter().all(|s| [401, 503].contains(s)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&503), "{statuses:?}");
    assert!(statuses.contains(&401), "{statuses:?}");
    // The burst over, the right password works.
    let admin = login_from("127.0.0.2", address, "admin", ADMIN_PASSWORD).await;
    assert_eq!(admin.status, 200, "{}", admin.body);
    still_serves(&server).await;
}

/// Asserts a 400 naming `field` whose message holds `says`.
#[track_caller]
fn refused(answer: &quire_server::client::Answer, field: &str, says: &str) {
    assert_eq!(answer.status, 400, "{}", answer.text());
    let body = answer.json();
    assert_eq!(body["field"], field, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains(says), "{message}");
}

#[tokio::test]
async fn issue_18_oversized_names_lists_and_bodies_are_refused_naming_the_field() {
    let server = sqlite_server(|_| ()).await;
    let dealer = server.running.main_dealer.0;
    let customer = server.account("Customer").await;
    let other = server.account("Other customer").await;
    let other_site = server.site(other, "Their office").await;
    let admin = Some(server.admin.as_str());

    // A 1.9 MB name full of NUL and escape characters, as every kind of name.
    let huge = format!("{}\0\u{1b}[2J", "A".repeat(1_900_000));
    let cases = [
        (
            "/api/v1/accounts".to_owned(),
            json!({"name": huge, "parent-id": dealer}),
        ),
        (
            format!("/api/v1/accounts/{customer}/sites"),
            json!({"name": huge}),
        ),
        (
            "/api/v1/users".to_owned(),
            json!({"name": huge, "password": "long enough password",
                "role": "account-user", "account-ids": [customer]}),
        ),
    ];
    for (path, body) in &cases {
        let answer = server.call("POST", path, admin, Some(body.clone())).await;
        refused(&answer, "name", "1900005 characters long");
    }
    // Short, but with an escape or a bidirectional override.
    let answer = server
        .call(
            "POST",
            &format!("/api/v1/accounts/{customer}/sites"),
            admin,
            Some(json!({"name": "Office\u{1b}[31m"})),
        )
        .await;
    refused(
        &answer,
        "name",
        "character 7 is U+001B, a control character",
    );
    let answer = server
        .call(
            "POST",
            "/api/v1/accounts",
            admin,
            Some(json!({"name": "Acme\u{202E}gnp.exe", "parent-id": dealer})),
        )
        .await;
    refused(&answer, "name", "U+202E, a bidirectional text control");
    // An agent's host name, and its key is still good after.
    let key = server.key(customer).await;
    let answer = server
        .client
        .call(
            "POST".parse().unwrap(),
            quire_protocol::ENROLL_PATH,
            None,
            Some(&json!({"key": key, "hostname": "host\nWARN forged", "agent-version": "0.1.0"})),
        )
        .await
        .unwrap();
    refused(&answer, "hostname", "U+000A");
    server.enroll(&key).await.unwrap();

    // 5,000 /16s on one site: 327 million addresses.
    let site = server.site(customer, "Head office").await;
    let ranges: Vec<Value> = (0..5_000)
        .map(|n| json!({"range": format!("{}.{}.0.0/16", 10 + n / 256, n % 256)}))
        .collect();
    let answer = server
        .call(
            "PUT",
            &format!("/api/v1/sites/{site}/ranges"),
            admin,
            Some(json!(ranges)),
        )
        .await;
    refused(&answer, "ranges", "5000 ranges; at most 256");
    // Under the count, but over the addresses of a site (sixteen /16s fit).
    let answer = server
        .call(
            "PUT",
            &format!("/api/v1/sites/{site}/ranges"),
            admin,
            Some(json!(ranges[..17])),
        )
        .await;
    refused(&answer, "ranges", "a site may cover at most 1048576");
    // Four sites of sixteen /16s fill an account; a fifth is refused.
    for n in 0..4 {
        let site = server.site(customer, &format!("Campus {n}")).await;
        let share = &ranges[n * 16..(n + 1) * 16];
        server
            .admin(
                "PUT",
                &format!("/api/v1/sites/{site}/ranges"),
                Some(json!(share)),
            )
            .await;
    }
    let answer = server
        .call(
            "PUT",
            &format!("/api/v1/sites/{site}/ranges"),
            admin,
            Some(json!(ranges[64..66])),
        )
        .await;
    refused(&answer, "ranges", "an account may cover at most 4194304");
    // The same through a CSV upload, named by its line.
    let csv = "Head office,10.200.0.0/16\n";
    let answer = server
        .client
        .send(
            "POST".parse().unwrap(),
            &format!("/api/v1/accounts/{customer}/ranges-csv"),
            admin,
            Some(("text/csv", csv.as_bytes().to_vec())),
        )
        .await
        .unwrap();
    refused(&answer, "line 1", "an account may cover at most 4194304");
    let long_csv = "Head office,10.0.0.1\n".repeat(10_001);
    let answer = server
        .client
        .send(
            "POST".parse().unwrap(),
            &format!("/api/v1/accounts/{customer}/ranges-csv"),
            admin,
            Some(("text/csv", long_csv.into_bytes())),
        )
        .await
        .unwrap();
    refused(&answer, "body", "10001 lines; at most 10000");

    // 20,000 SNMP credential sets.
    let sets: Vec<Value> = (0..20_000)
        .map(|n| json!({"version": "v2c", "community": format!("c{n}")}))
        .collect();
    let answer = server
        .call(
            "PUT",
            &format!("/api/v1/accounts/{customer}/credentials"),
            admin,
            Some(json!(sets)),
        )
        .await;
    refused(&answer, "credentials", "20000 credential sets; at most 32");

    // A body announced at 50 MB is refused on its header, before a byte of it is sent.
    let request = format!(
        "POST /api/v1/accounts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 52428800\r\nConnection: close\r\n\r\n",
        server.admin
    );
    let answer = send_from("127.0.0.2", server.running.address, request.as_bytes()).await;
    assert_eq!(answer.status, 413);
    assert_eq!(answer.body["field"], "body");
    assert!(
        answer.body["message"]
            .as_str()
            .unwrap()
            .contains("52428800 bytes")
    );

    // Nothing of it was stored; the other customer is as they were.
    let sites = server
        .admin("GET", &format!("/api/v1/accounts/{customer}/sites"), None)
        .await;
    assert!(
        sites
            .as_array()
            .unwrap()
            .iter()
            .all(|s| !s["name"].as_str().unwrap().contains('\0'))
    );
    let head_office = server
        .admin("GET", &format!("/api/v1/sites/{site}"), None)
        .await;
    assert_eq!(head_office["ranges"], json!([]));
    let credentials = server
        .admin(
            "GET",
            &format!("/api/v1/accounts/{customer}/credentials"),
            None,
        )
        .await;
    assert_eq!(credentials, json!([]));
    let theirs = server
        .admin("GET", &format!("/api/v1/sites/{other_site}"), None)
        .await;
    assert_eq!(theirs["name"], "Their office");
    still_serves(&server).await;
}

/// Asserts the API's JSON error with `status` and `field`.
#[track_caller]
fn json_error(answer: &quire_server::client::Answer, status: u16, field: Option<&str>) -> String {
    assert_eq!(answer.status, status, "{}", answer.text());
    let body: Value = serde_json::from_slice(&answer.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", answer.text()));
    assert_eq!(body["field"].as_str(), field, "{body}");
    body["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn issue_18_every_refusal_is_the_apis_json_error() {
    let server = sqlite_server(|_| ()).await;
    let admin = Some(server.admin.as_str());
    let customer = server.account("Customer").await;

    let bad_id = server.call("GET", "/api/v1/sites/abc", admin, None).await;
    let message = json_error(&bad_id, 400, Some("site_id"));
    assert!(message.contains("`abc`, not a number"), "{message}");

    let bad_query = server
        .call("GET", "/api/v1/accounts?limit=many", admin, None)
        .await;
    json_error(&bad_query, 400, Some("limit"));
    let unknown = server
        .call("GET", "/api/v1/accounts?colour=red", admin, None)
        .await;
    let message = json_error(&unknown, 400, Some("colour"));
    assert!(message.contains("unknown field"), "{message}");

    let method = server.call("PATCH", "/api/v1/accounts", admin, None).await;
    let message = json_error(&method, 405, None);
    assert!(
        message.contains("PATCH is not served at /api/v1/accounts"),
        "{message}"
    );
    let raw = send_from(
        "127.0.0.2",
        server.running.address,
        b"PATCH /api/v1/accounts HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(raw.status, 405);
    assert_eq!(raw.header("allow"), Some("GET,HEAD,POST"));
    assert!(raw.body["message"].is_string(), "{}", raw.body);

    let big = "x".repeat(32 * 1024);
    let header = server
        .client
        .send_with(
            "GET".parse().unwrap(),
            "/api/v1/me",
            admin,
            &[("x-padding", big.as_str())],
            None,
        )
        .await
        .unwrap();
    json_error(&header, 431, Some("x-padding"));

    // Sent chunked, with no length to refuse it on: refused once 2 MiB are read.
    let request = format!(
        "POST /api/v1/accounts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        server.admin
    );
    let mut tls = tls_from("127.0.0.2", server.running.address).await.unwrap();
    tls.write_all(request.as_bytes()).await.unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
    for _ in 0..40 {
        if tls.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let answer = parse(&until_closed(&mut tls).await);
    assert_eq!(answer.status, 413);
    assert_eq!(answer.body["field"], "body");

    for (content_type, body) in [
        ("text/plain", "name=Acme"),
        ("application/x-www-form-urlencoded", "name=Acme&parent-id=1"),
        ("application/json", "Acme"),
    ] {
        let answer = server
            .client
            .send(
                "POST".parse().unwrap(),
                &format!("/api/v1/accounts/{customer}/sites"),
                admin,
                Some((content_type, body.as_bytes().to_vec())),
            )
            .await
            .unwrap();
        json_error(&answer, 400, None);
    }

    // A used enrollment key cannot be revoked: its agent is.
    let key = server
        .admin(
            "POST",
            &format!("/api/v1/accounts/{customer}/enrollment-keys"),
            None,
        )
        .await;
    let (enrolled, _) = server.enroll(key["key"].as_str().unwrap()).await.unwrap();
    let revoke = server
        .call(
            "DELETE",
            &format!("/api/v1/enrollment-keys/{}", key["id"]),
            admin,
            None,
        )
        .await;
    let message = json_error(&revoke, 409, None);
    assert!(message.contains(&enrolled.agent_id), "{message}");
    let unused = server
        .admin(
            "POST",
            &format!("/api/v1/accounts/{customer}/enrollment-keys"),
            None,
        )
        .await;
    let revoked = server
        .admin(
            "DELETE",
            &format!("/api/v1/enrollment-keys/{}", unused["id"]),
            None,
        )
        .await;
    assert!(revoked["revoked-at"].is_string(), "{revoked}");
    still_serves(&server).await;
}
