//! Simulator → agent → server → API, on SQLite and on PostgreSQL: a dealer sets a site up
//! through the REST API, an agent enrolls and reads the simulated printers, and what the
//! dealer then sees through the API is what the recordings hold. A strategy published
//! while agents run reaches them at their next check-in and is rolled back the same way;
//! readings taken while the server is down arrive once it is back, none twice. A reading
//! taken over a printer's web server is kept whole: downloaded, it replays to the same
//! reading, and a newer strategy re-reads it on the server into a new version. A jam the
//! agent reads waits on the maintenance dashboard until a later read no longer finds it,
//! and then its work order closes itself.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper::Method;
use quire_agent::{Agent, AgentOptions};
use quire_model::Cycle;
use quire_server::Running;
use quire_snmp::client::ClientConfig;
use quire_snmp::responder::{Faults, Fleet, FleetConfig};
use quire_snmp::{Oid, Recording, Value as SnmpValue};
use serde_json::{Value, json};

mod common;
mod quire_cli;
use common::{Dealer, start_server};
use quire_cli::quire_json;

/// This test's loopback block: printers on 127.152.0.x, servers on 127.152.1.x.
const SNMP_PORT: u16 = 16152;

fn recordings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/recorded/printmaster")
}

/// A Kyocera (read by the `kyocera` family), and a printer of a maker no family knows
/// (the strategy template's sample, under the documentation enterprise 32473), read by
/// the generic `printer-mib`: the strategy the hot-loading checks publish versions of.
fn recordings() -> Vec<Recording> {
    vec![
        Recording::load(&recordings_dir().join("kyocera_p2040_snmp.snmprec")).unwrap(),
        Recording::load(&generic_printer()).unwrap(),
    ]
}

fn generic_printer() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/strategy/sample.snmprec")
}

/// A value straight from a recording's text, so expectations never come from our output.
fn recorded(file: &str, oid: &str) -> String {
    recorded_at(&recordings_dir().join(file), oid)
}

fn recorded_at(path: &Path, oid: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|line| {
            let mut parts = line.splitn(3, '|');
            (parts.next() == Some(oid)).then(|| parts.nth(1).unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("{} has no {oid}", path.display()))
}

/// printer-mib one version on: the test guest that reads exactly as the built-in one.
fn printer_mib_next() -> Vec<u8> {
    quire_test_guests::bytes("quire_guest_printer_mib_next")
}

async fn publish(dealer: &Dealer, component: Vec<u8>) -> (u16, Value) {
    let answer = dealer
        .client
        .send(
            Method::POST,
            "/api/v1/strategies",
            Some(&dealer.token),
            Some(("application/wasm", component)),
        )
        .await
        .unwrap();
    (answer.status, answer.json())
}

fn strategy_versions(readings: &Value, cycle: &str) -> Vec<String> {
    readings
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["cycle"] == cycle)
        .map(|r| {
            format!(
                "{}@{}",
                r["strategy"]["name"].as_str().unwrap(),
                r["strategy"]["version"].as_str().unwrap()
            )
        })
        .collect()
}

/// The version of strategy `name` the agent reads with now.
fn serving(agent: &Agent, name: &str) -> String {
    agent.registry().get(name).unwrap().version().to_string()
}

/// The dealer's setup, as the console would do it: an account with a site scanning
/// `range` (community `public` after a wrong one), and an agent enrolled for it in
/// `dir/agent`. Returns the dealer, the site, the agent and its (now used) key.
async fn enrolled_agent(
    running: &Running,
    range: &str,
    dir: &Path,
) -> (Dealer, i64, Agent, String) {
    let dealer = Dealer::login(running).await;
    let credentials = json!([{"version": "v2c", "community": "wrong"}, {"version": "v2c", "community": "public"}]);
    let (account, site) = dealer.customer(running, range, credentials).await;
    let key = dealer.enrollment_key(account).await;
    let agent = common::enrolled_agent(
        running,
        &key,
        AgentOptions {
            snmp_port: SNMP_PORT,
            client: ClientConfig {
                timeout: Duration::from_millis(1500),
                ..ClientConfig::default()
            },
            ..AgentOptions::new(dir.join("agent"))
        },
    )
    .await;
    (dealer, site, agent, key)
}

/// One cycle of the agent's one site, now; with the configuration kept from the last
/// check-in when the server is down.
async fn run_cycle(agent: &Agent, cycle: Cycle, devices: usize) {
    let config = agent.config().await.unwrap();
    let report = agent
        .run_cycle(&config, &config.sites[0], None, cycle)
        .await;
    assert_eq!(
        (report.read, report.failures.len()),
        (devices, 0),
        "{report:?}"
    );
}

#[tokio::test]
async fn a_dealer_sees_what_the_printers_hold_and_strategies_follow_the_server() {
    let fleet = Fleet::start(
        recordings(),
        FleetConfig {
            base: Ipv4Addr::new(127, 152, 0, 1),
            port: SNMP_PORT,
            silent: 4,
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap();
    for (n, db) in quire_testdb::backends().await.into_iter().enumerate() {
        let backend = db.backend;
        let dir = tempfile::tempdir().unwrap();
        let listen = SocketAddr::from(([127, 152, 1, n as u8 + 1], 18452));
        let running = start_server(&dir.path().join("server"), listen, &db.url).await;

        let (dealer, site, agent, key) =
            enrolled_agent(&running, "127.152.0.0/29", dir.path()).await;
        let url = format!("https://{}", running.address);
        let reused = Agent::enroll(&dir.path().join("agent2"), &url, &key, None)
            .await
            .unwrap_err();
        assert!(reused.to_string().contains("used"), "{backend}: {reused}");

        let once = agent.run_once().await.unwrap();
        let delivered = once.delivery.unwrap();
        assert_eq!(
            delivered.filed, 6,
            "{backend}: two printers, three cycles: {delivered:?}"
        );

        // What the dealer sees is what the recordings hold.
        let devices = dealer.devices().await;
        assert_eq!(devices.len(), 2, "{backend}: {devices:?}");
        let kyocera = devices
            .iter()
            .find(|d| d["manufacturer"] == "Kyocera")
            .expect("the Kyocera");
        let serial = recorded("kyocera_p2040_snmp.snmprec", "1.3.6.1.2.1.43.5.1.1.17.1");
        assert_eq!(kyocera["serial"], serial.as_str(), "{backend}");
        assert!(
            kyocera["model"].as_str().unwrap().contains("P2040"),
            "{backend}: {kyocera}"
        );
        assert_eq!(
            kyocera["site-id"], site,
            "{backend}: placed in the site whose range found it"
        );
        let id = kyocera["id"].as_i64().unwrap();
        let readings = dealer.readings(id).await;
        assert_eq!(
            readings.as_array().unwrap().len(),
            3,
            "{backend}: {readings}"
        );
        assert_eq!(
            strategy_versions(&readings, "meters-and-supplies"),
            ["kyocera@0.1.0"],
            "{backend}"
        );
        let toner = dealer
            .call(
                Method::GET,
                &format!("/api/v1/devices/{id}/supplies/1"),
                None,
            )
            .await;
        let recorded_level: i64 =
            recorded("kyocera_p2040_snmp.snmprec", "1.3.6.1.2.1.43.11.1.1.9.1.1")
                .parse()
                .unwrap();
        assert_eq!(toner[0]["level"], recorded_level, "{backend}: {toner}");

        // The printer no family knows is read by the generic strategy, whose versions
        // the dealer publishes and rolls back below.
        let generic_serial = recorded_at(&generic_printer(), "1.3.6.1.2.1.43.5.1.1.17.1");
        let generic = devices
            .iter()
            .find(|d| d["serial"] == generic_serial.as_str())
            .unwrap_or_else(|| panic!("{backend}: the generic printer in {devices:?}"));
        let id = generic["id"].as_i64().unwrap();
        let readings = dealer.readings(id).await;
        assert_eq!(
            strategy_versions(&readings, "meters-and-supplies"),
            ["printer-mib@0.1.0"],
            "{backend}"
        );

        // A newer printer-mib, published while the agent runs, is used from its next check-in.
        let next = printer_mib_next();
        let (status, published) = publish(&dealer, next.clone()).await;
        assert_eq!(status, 201, "{backend}: {published}");
        assert_eq!(published["version"], "0.2.0", "{backend}");
        let (status, again) = publish(&dealer, next).await;
        assert_eq!(status, 409, "{backend}: {again}");
        agent.check_in().await.unwrap();
        assert_eq!(serving(&agent, "printer-mib"), "0.2.0", "{backend}");
        run_cycle(&agent, Cycle::MetersAndSupplies, 2).await;
        agent.deliver().await.unwrap();
        let readings = dealer.readings(id).await;
        assert_eq!(
            strategy_versions(&readings, "meters-and-supplies"),
            ["printer-mib@0.2.0", "printer-mib@0.1.0"],
            "{backend}: newest first"
        );

        // Rolled back: the built-in version reads again.
        let rolled = dealer
            .call(
                Method::POST,
                "/api/v1/strategies/printer-mib/rollback",
                None,
            )
            .await;
        assert_eq!(rolled["now-serving"], Value::Null, "{backend}: {rolled}");
        agent.check_in().await.unwrap();
        assert_eq!(serving(&agent, "printer-mib"), "0.1.0", "{backend}");

        // The server goes away; the agent keeps reading; it comes back and gets everything once.
        running.stop().await;
        run_cycle(&agent, Cycle::Alerts, 2).await;
        assert!(
            agent.deliver().await.is_err(),
            "{backend}: the server is down"
        );
        assert_eq!(agent.queue().len().await.unwrap(), 2, "{backend}");
        let running = start_server(&dir.path().join("server"), listen, &db.url).await;
        let dealer = Dealer::login(&running).await;
        let delivery = agent.deliver().await.unwrap();
        assert_eq!(
            (delivery.filed, delivery.duplicates),
            (2, 0),
            "{backend}: {delivery:?}"
        );
        assert!(agent.queue().is_empty().await.unwrap(), "{backend}");
        let readings = dealer.readings(id).await;
        assert_eq!(
            readings.as_array().unwrap().len(),
            5,
            "{backend}: {readings}"
        );
        assert_eq!(
            strategy_versions(&readings, "alerts"),
            ["printer-mib@0.1.0", "printer-mib@0.1.0"],
            "{backend}"
        );
        running.stop().await;
    }
    drop(fleet);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_in_flight_when_a_strategy_is_published_finishes_on_the_old_version() {
    // One slow printer, read by the generic strategy: every answer held back, so a read
    // spans many moments.
    let fleet = Fleet::start(
        vec![recordings().remove(1)],
        FleetConfig {
            base: Ipv4Addr::new(127, 152, 2, 1),
            port: SNMP_PORT,
            faults: Faults {
                delay: Duration::from_millis(600),
                ..Faults::default()
            },
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap();
    let db = quire_testdb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let listen = SocketAddr::from(([127, 152, 1, 9], 0));
    let running = start_server(&dir.path().join("server"), listen, &db.url).await;
    let (dealer, _, agent, _) = enrolled_agent(&running, "127.152.2.1", dir.path()).await;
    run_cycle(&agent, Cycle::Discovery, 1).await;

    // Published first (the server checks it in its own sandbox); the agent only learns of
    // it at its next check-in, which lands while a read is running. The cycle runs with the
    // configuration fetched before, as a scheduled cycle does between check-ins.
    let config = agent.config().await.unwrap();
    let (status, published) = publish(&dealer, printer_mib_next()).await;
    assert_eq!(status, 201, "{published}");
    let before = fleet.answered();
    let in_flight = {
        let agent = agent.clone();
        tokio::spawn(async move {
            let site = &config.sites[0];
            agent
                .run_cycle(&config, site, None, Cycle::MetersAndSupplies)
                .await
        })
    };
    // Opening the session, the probe and the candidates' `identify` take the first answers;
    // past them the read is collecting with the version it chose.
    while fleet.answered() < before + 6 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    agent.check_in().await.unwrap();
    assert_eq!(serving(&agent, "printer-mib"), "0.2.0");
    assert!(
        !in_flight.is_finished(),
        "the read must still be running when the new version lands ({} answers so far)",
        fleet.answered() - before
    );
    let report = in_flight.await.unwrap();
    assert_eq!((report.read, report.failures.len()), (1, 0), "{report:?}");
    run_cycle(&agent, Cycle::MetersAndSupplies, 1).await;
    agent.deliver().await.unwrap();

    let devices = dealer.devices().await;
    let id = devices[0]["id"].as_i64().unwrap();
    let readings = dealer.readings(id).await;
    assert_eq!(
        strategy_versions(&readings, "meters-and-supplies"),
        ["printer-mib@0.2.0", "printer-mib@0.1.0"],
        "newest first: the read in flight finished on 0.1.0, the next used 0.2.0"
    );
    running.stop().await;
}

/// The pages an HP OfficeJet Pro 9022e's web server served, as aiohpprinter recorded them.
fn ledm_pages() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/recorded/aiohpprinter/hp_officejet_pro_9022e")
}

/// A printer's web server on `address` port 80 (where a strategy's HTTP goes): each
/// `GET /DevMgmt/NAME.xml` answers the saved page `NAME.xml`, anything else 404.
async fn serve_ledm_pages(address: Ipv4Addr) -> tokio::task::JoinHandle<()> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind((address, 80))
        .await
        .unwrap_or_else(|e| panic!("the printer's web server on {address}:80: {e}"));
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&request).into_owned();
                let path = head.split(' ').nth(1).unwrap_or_default();
                let page = path
                    .strip_prefix("/DevMgmt/")
                    .filter(|name| !name.contains('/'))
                    .and_then(|name| std::fs::read(ledm_pages().join(name)).ok());
                let (status, body) = match page {
                    Some(body) => ("200 OK", body),
                    None => ("404 Not Found", Vec::new()),
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    })
}

/// hp-ews one version on, reading the jam count too.
fn hp_ews_next() -> Vec<u8> {
    quire_test_guests::bytes("quire_guest_hp_ews_next")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_web_server_reading_is_kept_whole_and_read_again_by_a_newer_strategy() {
    // An HP whose page counters are only on its web server: its SNMP (an HP without the
    // engine counter) lets discovery find it, its LEDM pages hold the reading.
    let printer = Ipv4Addr::new(127, 152, 3, 1);
    let fleet = Fleet::start(
        vec![Recording::load(&recordings_dir().join("../../derived/hp_ews_envy.snmprec")).unwrap()],
        FleetConfig {
            base: printer,
            port: SNMP_PORT,
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap();
    let web = serve_ledm_pages(printer).await;
    let usage = std::fs::read_to_string(ledm_pages().join("ProductUsageDyn.xml")).unwrap();
    // ProductUsageDyn.xml: the printer subunit's `<dd:TotalImpressions>` and, further
    // down it, `<dd:JamEvents PEID="16076">2</dd:JamEvents>`.
    assert!(usage.contains(r#"<dd:TotalImpressions PEID="5082">875</dd:TotalImpressions>"#));
    let total = 875;
    assert!(usage.contains(r#"<dd:JamEvents PEID="16076">2</dd:JamEvents>"#));
    let jams = 2;

    for (n, db) in quire_testdb::backends().await.into_iter().enumerate() {
        let backend = db.backend;
        let dir = tempfile::tempdir().unwrap();
        let server_dir = dir.path().join("server");
        let listen = SocketAddr::from(([127, 152, 1, 20 + n as u8], 0));
        let running = start_server(&server_dir, listen, &db.url).await;
        let (dealer, _, agent, _) = enrolled_agent(&running, "127.152.3.1", dir.path()).await;
        run_cycle(&agent, Cycle::Discovery, 1).await;
        agent.deliver().await.unwrap();

        let devices = dealer.devices().await;
        let device = devices[0]["id"].as_i64().unwrap();
        let readings = dealer.readings(device).await;
        let first = &readings[0];
        let reading_id = first["id"].as_i64().unwrap();
        assert_eq!(
            (
                first["strategy"]["name"].as_str(),
                first["version"].as_i64()
            ),
            (Some("hp-ews"), Some(1)),
            "{backend}: {first}"
        );
        assert_eq!(first["reading"]["counters"]["total"], total, "{backend}");
        assert_eq!(
            first["reading"]["counters"]["jams"],
            Value::Null,
            "{backend}"
        );

        // The exchange, downloaded, replays to the same reading.
        let base = format!("/api/v1/devices/{device}/readings/{reading_id}");
        let files = tempfile::tempdir().unwrap();
        for suffix in ["snmprec", "exchanges.jsonl"] {
            let answer = dealer
                .client
                .send(
                    Method::GET,
                    &format!("{base}/raw.{suffix}"),
                    Some(&dealer.token),
                    None,
                )
                .await
                .unwrap();
            assert_eq!(
                answer.status,
                200,
                "{backend}: raw.{suffix}: {}",
                answer.text()
            );
            std::fs::write(files.path().join(format!("printer.{suffix}")), &answer.body).unwrap();
        }
        let snmprec = files.path().join("printer.snmprec");
        let replayed = quire_json(&[
            "replay",
            snmprec.to_str().unwrap(),
            "--cycle",
            "discovery",
            "--format",
            "json",
        ]);
        let mut replayed = replayed[0].clone();
        let fields = replayed.as_object_mut().unwrap();
        assert_eq!(fields["strategy"], first["strategy"], "{backend}");
        for key in ["file", "strategy", "warnings"] {
            fields.remove(key);
        }
        assert_eq!(replayed, first["reading"], "{backend}");

        // A newer hp-ews reads one field more; re-read on the server, it files version 2.
        let (status, published) = publish(&dealer, hp_ews_next()).await;
        assert_eq!(status, 201, "{backend}: {published}");
        let reread = dealer
            .call(
                Method::POST,
                &format!("{base}/reinterpret?store=true"),
                None,
            )
            .await;
        assert_eq!(reread["version"], 2, "{backend}: {reread}");
        assert_eq!(reread["strategy"]["version"], "0.2.0", "{backend}");
        assert_eq!(reread["reading"]["counters"]["jams"], jams, "{backend}");

        let shown = dealer.readings(device).await;
        assert_eq!(
            (
                shown[0]["version"].as_i64(),
                shown[0]["reading"]["counters"]["jams"].as_u64()
            ),
            (Some(2), Some(jams)),
            "{backend}: the latest version is what the API shows: {}",
            shown[0]
        );

        // The command does the same for every device's latest reading, as version 3.
        let cli = quire_json(&[
            "reinterpret",
            "--data",
            server_dir.to_str().unwrap(),
            "--database",
            &db.url,
            "--store",
            "--format",
            "json",
        ]);
        assert_eq!(cli[0]["counters"]["jams"], jams, "{backend}: {cli}");

        let versions = dealer
            .call(Method::GET, &format!("{base}/versions"), None)
            .await;
        let summary: Vec<_> = versions
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["version"].as_i64().unwrap(),
                    format!(
                        "{}@{}",
                        v["strategy"]["name"].as_str().unwrap(),
                        v["strategy"]["version"].as_str().unwrap()
                    ),
                    v["reading"]["counters"]["jams"].as_u64(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (1, "hp-ews@0.1.0".to_owned(), None),
                (2, "hp-ews@0.2.0".to_owned(), Some(jams)),
                (3, "hp-ews@0.2.0".to_owned(), Some(jams)),
            ],
            "{backend}: the old version is still there"
        );
        assert_eq!(versions[0]["reading"], first["reading"], "{backend}");
        running.stop().await;
    }
    web.abort();
    drop(fleet);
}

/// hrPrinterDetectedErrorState of the generic printer's only hrDevice.
const ERROR_STATE: &str = "1.3.6.1.2.1.25.3.5.1.2.1";

#[tokio::test(flavor = "multi_thread")]
async fn a_jam_the_agent_reads_waits_for_a_key_operator_until_it_clears_and_closes_its_order() {
    let printer = Ipv4Addr::new(127, 152, 4, 1);
    let fleet = Fleet::start(
        vec![Recording::load(&generic_printer()).unwrap()],
        FleetConfig {
            base: printer,
            port: SNMP_PORT,
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap();
    let error_state: Oid = ERROR_STATE.parse().unwrap();
    // Bit 5 of the first octet, counting from its high bit: jammed (RFC 3805).
    let jammed = SnmpValue::OctetString(vec![0x04]);
    for (n, db) in quire_testdb::backends().await.into_iter().enumerate() {
        let backend = db.backend;
        assert!(fleet.set(0, error_state.clone(), jammed.clone()));
        let dir = tempfile::tempdir().unwrap();
        let listen = SocketAddr::from(([127, 152, 1, 30 + n as u8], 0));
        let running = start_server(&dir.path().join("server"), listen, &db.url).await;
        let (dealer, _, agent, _) = enrolled_agent(&running, "127.152.4.1", dir.path()).await;
        let dealer_account = running.main_dealer.0;
        dealer
            .call(
                Method::PUT,
                &format!("/api/v1/accounts/{dealer_account}/service-settings"),
                Some(json!({"labour-rates": {"key-operator": "60.00"}, "auto-close": true})),
            )
            .await;

        run_cycle(&agent, Cycle::Discovery, 1).await;
        agent.deliver().await.unwrap();
        let device = dealer.devices().await[0]["id"].as_i64().unwrap();
        // The generic strategy's judgement of the bit: a paper jam a key operator clears
        // in five minutes, critical, no visit.
        let judged = json!({"input": {"kind": "state", "state": "jammed"}, "outcome": {"assessed": {
            "state": "paper-jam", "group": "paper", "severity": "critical", "skill": "key-operator",
            "field_service": false, "estimated_minutes": 5}}});
        assert_eq!(
            dealer.readings(device).await[0]["assessments"],
            json!([judged]),
            "{backend}"
        );
        let dashboard = dealer.call(Method::GET, "/api/v1/maintenance", None).await;
        let waiting = &dashboard["by-skill"][0];
        assert_eq!(waiting["skill"], "key-operator", "{backend}: {dashboard}");
        assert_eq!(waiting["devices"][0]["device"]["id"], device, "{backend}");
        assert_eq!(
            waiting["devices"][0]["conditions"][0]["state"], "paper-jam",
            "{backend}"
        );
        assert_eq!(
            dashboard["by-field-service"][0]["field-service"], false,
            "{backend}"
        );

        let order = dealer
            .call(
                Method::POST,
                "/api/v1/work-orders",
                Some(json!({"device-id": device, "input": {"kind": "state", "state": "jammed"}})),
            )
            .await;
        // 60.00 an hour for five minutes.
        assert_eq!(order["estimate"], "5.00", "{backend}: {order}");

        // Someone cleared the jam; the next alert cycle reads the bit gone.
        assert!(fleet.set(0, error_state.clone(), SnmpValue::OctetString(vec![0x00])));
        run_cycle(&agent, Cycle::Alerts, 1).await;
        agent.deliver().await.unwrap();
        let dashboard = dealer.call(Method::GET, "/api/v1/maintenance", None).await;
        assert_eq!(dashboard["by-skill"], json!([]), "{backend}: {dashboard}");
        let path = format!("/api/v1/work-orders/{}", order["id"]);
        assert_eq!(
            dealer.call(Method::GET, &path, None).await["status"],
            "done",
            "{backend}"
        );
        let history = dealer
            .call(Method::GET, &format!("{path}/history"), None)
            .await;
        let last = history.as_array().unwrap().last().unwrap();
        assert_eq!(
            (&last["by"], &last["status"]),
            (&json!("system"), &json!("done")),
            "{backend}: {history}"
        );
    }
}
