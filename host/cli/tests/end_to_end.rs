//! Simulator → agent → server → API, on SQLite and on PostgreSQL: a dealer sets a site up
//! through the REST API, an agent enrolls and reads the simulated printers, and what the
//! dealer then sees through the API is what the recordings hold. A strategy published
//! while agents run reaches them at their next check-in and is rolled back the same way;
//! readings taken while the server is down arrive once it is back, none twice. A reading
//! taken over a printer's web server is kept whole: downloaded, it replays to the same
//! reading, and a newer strategy re-reads it on the server into a new version. A jam the
//! agent reads waits on the maintenance dashboard until a later read no longer finds it,
//! and then its work order closes itself. A toner drained over simulated weeks (the
//! agent's clock set by the test) and swapped for a cartridge with a new serial shows the
//! spent one's pages and yield, a forecast for the new one, and a meter-read export that
//! matches the counter.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Datelike, Days, TimeDelta, Utc};
use hyper::Method;
use quire_agent::{Agent, AgentOptions, Clock};
use quire_model::Cycle;
use quire_server::Running;
use quire_snmp::client::ClientConfig;
use quire_snmp::responder::{Fleet, FleetConfig};
use quire_snmp::{Oid, Recording, Value as SnmpValue};
use serde_json::{Value, json};

mod common;
mod quire_cli;
use common::{Dealer, start_configured_server, start_server};
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

/// A server that publishes the unsigned test builds of strategies these tests upload.
async fn start_taking_unsigned(data: &Path, listen: SocketAddr, database: &str) -> Running {
    start_configured_server(data, listen, database, |server| {
        server.allow_unsigned_plugins = true;
    })
    .await
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
    enrolled_agent_waiting(running, range, dir, Duration::from_millis(1500)).await
}

/// [`enrolled_agent`] with an agent that waits `timeout` for each answer.
async fn enrolled_agent_waiting(
    running: &Running,
    range: &str,
    dir: &Path,
    timeout: Duration,
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
                timeout,
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
        let running = start_taking_unsigned(&dir.path().join("server"), listen, &db.url).await;

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
    // One printer, read by the generic strategy, that turns slow for the read in flight:
    // every answer held back, so the read's last answer leaves time for a check-in.
    let delay = Duration::from_secs(2);
    let fleet = Fleet::start(
        vec![recordings().remove(1)],
        FleetConfig {
            base: Ipv4Addr::new(127, 152, 2, 1),
            port: SNMP_PORT,
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap();
    let db = quire_testdb::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let listen = SocketAddr::from(([127, 152, 1, 9], 0));
    let running = start_taking_unsigned(&dir.path().join("server"), listen, &db.url).await;
    let (dealer, _, agent, _) =
        enrolled_agent_waiting(&running, "127.152.2.1", dir.path(), delay * 2).await;
    run_cycle(&agent, Cycle::Discovery, 1).await;
    // A read of this printer first, to count the requests one read makes: the read in
    // flight below is past choosing its strategy once the device has its last request.
    let start = fleet.answered();
    run_cycle(&agent, Cycle::MetersAndSupplies, 1).await;
    let requests_per_read = fleet.answered() - start;
    assert!(
        requests_per_read >= 2,
        "a read opens the session and collects: {requests_per_read} requests"
    );

    // Published first (the server checks it in its own sandbox); the agent only learns of
    // it at its next check-in, which lands while a read is running. The cycle runs with the
    // configuration fetched before, as a scheduled cycle does between check-ins.
    let config = agent.config().await.unwrap();
    let (status, published) = publish(&dealer, printer_mib_next()).await;
    assert_eq!(status, 201, "{published}");
    fleet.set_delay(delay);
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
    // Opening the session, the probe and the candidates' `identify` make the first requests;
    // the last is always the strategy's own, so with its answer still held back the read is
    // collecting with the version it chose.
    while fleet.answered() < before + requests_per_read {
        assert!(
            !in_flight.is_finished(),
            "the read ended after {} of the {requests_per_read} requests a read makes",
            fleet.answered() - before
        );
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
    fleet.set_delay(Duration::ZERO);
    run_cycle(&agent, Cycle::MetersAndSupplies, 1).await;
    agent.deliver().await.unwrap();

    let devices = dealer.devices().await;
    let id = devices[0]["id"].as_i64().unwrap();
    let readings = dealer.readings(id).await;
    assert_eq!(
        strategy_versions(&readings, "meters-and-supplies"),
        [
            "printer-mib@0.2.0",
            "printer-mib@0.1.0",
            "printer-mib@0.1.0"
        ],
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
        let running = start_taking_unsigned(&server_dir, listen, &db.url).await;
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
            let answer = dealer.download(&format!("{base}/raw.{suffix}")).await;
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
            "field-service": false, "estimated-minutes": 5}}});
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

/// The Samsung M4080FX's toner row and page counter (Printer-MIB): prtMarkerSuppliesLevel
/// and prtMarkerSuppliesDescription of supply 1.1, prtMarkerLifeCount of marker 1.1.
const TONER_LEVEL: &str = "1.3.6.1.2.1.43.11.1.1.9.1.1";
const TONER_DESCRIPTION: &str = "1.3.6.1.2.1.43.11.1.1.6.1.1";
const LIFE_COUNT: &str = "1.3.6.1.2.1.43.10.2.1.4.1.1";

/// Pages printed each weekday, Monday first, between the 08:00 and the 17:00 read; none
/// at the weekend. A week is 420 + 480 + 540 + 480 + 420 = 2,340 pages.
const WEEKDAY_PAGES: [u64; 7] = [420, 480, 540, 480, 420, 0, 0];

/// The simulated toner uses one point of its level every 60 pages (a 6,000-page
/// cartridge), so the weekdays use 7, 8, 9, 8 and 7 points: the levels it shows step by
/// 1 % at their finest, fine enough to forecast.
const PAGES_PER_POINT: u64 = 60;

/// The day (from the first Monday, day 0) the first cartridge is swapped: the Saturday of
/// the second week, between the reads, when nothing prints.
const INSTALL_DAY: i64 = 12;

/// The last simulated day: the Thursday of the fourth week.
const LAST_DAY: i64 = 24;

fn samsung() -> PathBuf {
    recordings_dir().join("../librenms/samsungprinter_m4080fx.snmprec")
}

/// A Samsung toner's description carrying its CRUM chip's serial, as the `samsung`
/// strategy reads it.
fn toner_with_serial(serial: &str) -> SnmpValue {
    SnmpValue::OctetString(format!("Black Toner Cartridge S/N:{serial}").into_bytes())
}

/// The toner's cartridges in the supply history.
fn toner_cartridges(history: &Value) -> Vec<Value> {
    let toner = history["positions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["position"]["kind"] == "toner")
        .unwrap_or_else(|| panic!("no toner position in {history}"));
    toner["cartridges"].as_array().unwrap().clone()
}

fn instant(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"))
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_toner_drained_over_simulated_weeks_and_replaced_shows_its_pages_yield_and_forecast() {
    // The Samsung strategy reads a cartridge's CRUM serial from its description, so the
    // new cartridge is seen by its serial, not only by its level.
    let fleet = Fleet::start(
        vec![Recording::load(&samsung()).unwrap()],
        FleetConfig {
            base: Ipv4Addr::new(127, 152, 5, 1),
            port: SNMP_PORT,
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap();
    let first_count: u64 = recorded_at(&samsung(), LIFE_COUNT).parse().unwrap();
    let max_capacity: i64 = recorded_at(&samsung(), "1.3.6.1.2.1.43.11.1.1.8.1.1")
        .parse()
        .unwrap();
    assert_eq!(max_capacity % 100, 0, "whole points of {max_capacity}");
    let (level, description, count): (Oid, Oid, Oid) = (
        TONER_LEVEL.parse().unwrap(),
        TONER_DESCRIPTION.parse().unwrap(),
        LIFE_COUNT.parse().unwrap(),
    );
    let (old_serial, new_serial) = ("CRUM-15011000001", "CRUM-15011000002");

    // Four weeks before today at the least, starting on a Monday, so every simulated read
    // lies in the past the server's 400-day history reaches.
    let today = Utc::now().date_naive() - Days::new(28);
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let start = monday.and_hms_opt(0, 0, 0).unwrap().and_utc();
    let at = |day: i64, hour: i64| start + TimeDelta::days(day) + TimeDelta::hours(hour);

    for (n, db) in quire_testdb::backends().await.into_iter().enumerate() {
        let backend = db.backend;
        let dir = tempfile::tempdir().unwrap();
        let listen = SocketAddr::from(([127, 152, 1, 40 + n as u8], 0));
        let running = start_server(&dir.path().join("server"), listen, &db.url).await;
        let dealer = Dealer::login(&running).await;
        let credentials = json!([{"version": "v2c", "community": "public"}]);
        let (account, _) = dealer.customer(&running, "127.152.5.1", credentials).await;
        let key = dealer.enrollment_key(account).await;
        let clock = Clock::manual(at(0, 8));
        let agent = common::enrolled_agent(
            &running,
            &key,
            AgentOptions {
                snmp_port: SNMP_PORT,
                clock: clock.clone(),
                ..AgentOptions::new(dir.path().join("agent"))
            },
        )
        .await;

        // A full cartridge at the recorded counter.
        let mut pages = first_count;
        let mut percent: u64 = 100;
        let show = |percent: u64, pages: u64| {
            let units = max_capacity * percent as i64 / 100;
            assert!(fleet.set(0, level.clone(), SnmpValue::Integer(units)));
            let pages = u32::try_from(pages).unwrap();
            assert!(fleet.set(0, count.clone(), SnmpValue::Counter32(pages)));
        };
        assert!(fleet.set(0, description.clone(), toner_with_serial(old_serial)));
        show(percent, pages);
        // The configuration once: a check-in per read would be most of the test's time.
        let config = agent.config().await.unwrap();
        let read = |cycle| {
            let (agent, config) = (&agent, &config);
            async move {
                let report = agent.run_cycle(config, &config.sites[0], None, cycle).await;
                assert_eq!((report.read, report.failures.len()), (1, 0), "{report:?}");
            }
        };
        read(Cycle::Discovery).await;
        for day in 0..=LAST_DAY {
            if day > 0 {
                clock.set(at(day, 8));
                read(Cycle::MetersAndSupplies).await;
            }
            let printed = WEEKDAY_PAGES[(day % 7) as usize];
            pages += printed;
            percent -= printed / PAGES_PER_POINT;
            if day == INSTALL_DAY {
                assert_eq!(printed, 0, "the swap is on a day nothing prints");
                assert!(fleet.set(0, description.clone(), toner_with_serial(new_serial)));
                percent = 100;
            }
            show(percent, pages);
            clock.set(at(day, 17));
            read(Cycle::MetersAndSupplies).await;
        }
        let delivered = agent.deliver().await.unwrap();
        // A read at 08:00 and one at 17:00 on each of the 25 days.
        assert_eq!(delivered.filed, 50, "{backend}: {delivered:?}");
        let device = dealer.devices().await[0]["id"].as_i64().unwrap();

        let history = dealer
            .call(
                Method::GET,
                &format!("/api/v1/devices/{device}/supplies/history"),
                None,
            )
            .await;
        assert_eq!(history["issues"], json!([]), "{backend}: {history}");
        let cartridges = toner_cartridges(&history);
        assert_eq!(cartridges.len(), 2, "{backend}: {cartridges:?}");
        let (old, new) = (&cartridges[0], &cartridges[1]);
        // The first cartridge: first seen at the first read; two weeks of 2,340 pages to
        // its swap, seen at the Saturday's 17:00 read (nothing printed that Saturday).
        assert_eq!(old["install"]["kind"], "first-seen", "{backend}: {old}");
        assert_eq!(old["serial"], old_serial, "{backend}");
        assert_eq!(instant(&old["since"]), at(0, 8), "{backend}");
        assert_eq!(
            instant(&old["replaced-at"]),
            at(INSTALL_DAY, 17),
            "{backend}"
        );
        assert_eq!(old["stage"], "replaced", "{backend}");
        assert_eq!(old["pages"], 2 * 2_340, "{backend}: {old}");
        // Replaced at 22 %: each week uses 7 + 8 + 9 + 8 + 7 = 39 points, two 78. Its
        // yield is estimated from the level it used: 4,680 pages over 78 points is
        // 4,680 × 100 / 78 = 6,000 pages for a full cartridge, what the simulation drains.
        // No part number is read (the strategy reads none), so no rated yield.
        assert_eq!(
            old["yield"],
            json!({"basis": "estimated", "pages": 6_000, "measured-pages": 4_680,
                "consumed-percent": 78, "rated-pages": null, "percent-of-rated": null}),
            "{backend}: {old}"
        );
        // The new one: seen by its serial at that read, full, and since then a week of
        // 2,340 pages and Monday to Thursday, 420 + 480 + 540 + 480 = 1,920.
        assert_eq!(
            new["install"],
            json!({"kind": "serial-changed", "before": old_serial, "after": new_serial}),
            "{backend}: {new}"
        );
        assert_eq!(instant(&new["since"]), at(INSTALL_DAY, 17), "{backend}");
        assert_eq!(new["stage"], "installed", "{backend}");
        assert_eq!(new["pages"], 2_340 + 1_920, "{backend}: {new}");
        assert_eq!(new["yield"], Value::Null, "{backend}: not spent yet");

        // 4,260 pages used 71 points, so 29 % are left: 29 × 60 = 1,740 pages. From
        // Thursday 17:00 the week replayed prints Friday 420 (1,320 left), nothing at
        // the weekend, Monday 420 (900), Tuesday 480 (420), and Wednesday's 540 cover
        // the last 420: it runs out during Wednesday's printing, between 08:00 and 17:00
        // of day 30. The interval widens it by at most the level's rounding, half a point
        // (30 pages) either way, so its ends lie after Tuesday's last read and before
        // Thursday's first.
        let forecasts = dealer
            .call(
                Method::GET,
                &format!("/api/v1/devices/{device}/supplies/forecast"),
                None,
            )
            .await;
        let toner = forecasts["positions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["position"]["kind"] == "toner")
            .unwrap_or_else(|| panic!("{backend}: no toner in {forecasts}"));
        assert_eq!(
            instant(&toner["cartridge-since"]),
            at(INSTALL_DAY, 17),
            "{backend}"
        );
        let forecast = &toner["forecast"];
        assert_eq!(forecast["outcome"], "forecast", "{backend}: {forecast}");
        assert_eq!(forecast["method"], "level-per-page", "{backend}");
        assert_eq!(forecast["level-percent"], 29, "{backend}");
        // The new cartridge's levels: 100, then 93, 85, 76, 68, 61 and 54, 46, 37, 29.
        assert_eq!(forecast["based-on-points"], 10, "{backend}");
        let (empty_on, earliest, latest) = (
            instant(&forecast["empty-on"]),
            instant(&forecast["earliest"]),
            instant(&forecast["latest"]),
        );
        assert!(
            at(30, 8) <= empty_on && empty_on <= at(30, 17),
            "{backend}: {forecast}"
        );
        assert!(
            at(29, 17) <= earliest && earliest <= empty_on && empty_on <= latest,
            "{backend}: {forecast}"
        );
        assert!(latest <= at(31, 8), "{backend}: {forecast}");

        // The meter-read export over the whole simulation: the first read's counter to
        // the last, three weeks of 2,340 pages and Monday to Thursday's 1,920.
        let total = 3 * 2_340 + 1_920;
        assert_eq!(pages, first_count + total, "the simulation's own sum");
        let period = format!(
            "from={}&to={}",
            start.date_naive(),
            (start + TimeDelta::days(LAST_DAY + 1)).date_naive()
        );
        let export = dealer
            .call(
                Method::GET,
                &format!("/api/v1/accounts/{account}/meter-reads?{period}"),
                None,
            )
            .await;
        let rows = export["rows"].as_array().unwrap();
        assert_eq!(
            rows.len(),
            1,
            "{backend}: one device, one counter: {export}"
        );
        let row = &rows[0];
        assert_eq!(
            (
                &row["counter"],
                &row["start-value"],
                &row["end-value"],
                &row["pages"]
            ),
            (
                &json!("total"),
                &json!(first_count),
                &json!(first_count + total),
                &json!(total)
            ),
            "{backend}: {row}"
        );
        assert_eq!(instant(&row["start-at"]), at(0, 8), "{backend}");
        assert_eq!(instant(&row["end-at"]), at(LAST_DAY, 17), "{backend}");
        let csv = dealer
            .download(&format!(
                "/api/v1/accounts/{account}/meter-reads.csv?{period}"
            ))
            .await;
        assert_eq!(csv.status, 200, "{backend}: {}", csv.text());
        let text = csv.text();
        let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
        assert_eq!(lines.len(), 2, "{backend}: a header and one row: {text}");
        let column = |name: &str| {
            let i = lines[0].iter().position(|h| *h == name).unwrap();
            lines[1][i]
        };
        assert_eq!(
            (
                column("counter"),
                column("start_value"),
                column("end_value"),
                column("pages")
            ),
            (
                "total",
                first_count.to_string().as_str(),
                (first_count + total).to_string().as_str(),
                total.to_string().as_str()
            ),
            "{backend}: {text}"
        );
        running.stop().await;
    }
    drop(fleet);
}
