//! Simulator → agent → server → API, on SQLite and on PostgreSQL: a dealer sets a site up
//! through the REST API, an agent enrolls and reads the simulated printers, and what the
//! dealer then sees through the API is what the recordings hold. A strategy published
//! while agents run reaches them at their next check-in and is rolled back the same way;
//! readings taken while the server is down arrive once it is back, none twice.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hyper::Method;
use quire_agent::{Agent, AgentOptions};
use quire_model::Cycle;
use quire_server::Running;
use quire_snmp::Recording;
use quire_snmp::client::ClientConfig;
use quire_snmp::responder::{Faults, Fleet, FleetConfig};
use serde_json::{Value, json};

mod common;
use common::{Dealer, server};

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

/// The dealer's setup, as the console would do it: an account with a site scanning
/// `range` (community `public` after a wrong one), and an agent enrolled for it in
/// `dir/agent`. Returns the dealer, the site, the agent and its (now used) key.
async fn enrolled_agent(
    running: &Running,
    range: &str,
    dir: &Path,
) -> (Dealer, i64, Agent, String) {
    let dealer = Dealer::login(running).await;
    let (account, site) = dealer.account_with_site(running).await;
    dealer
        .call(
            Method::PUT,
            &format!("/api/v1/sites/{site}/ranges"),
            Some(json!([{ "range": range }])),
        )
        .await;
    dealer
        .call(
            Method::PUT,
            &format!("/api/v1/accounts/{account}/credentials"),
            Some(json!([{"version": "v2c", "community": "wrong"}, {"version": "v2c", "community": "public"}])),
        )
        .await;
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
        let running = server(&dir.path().join("server"), listen, &db.url)
            .start()
            .await
            .unwrap();

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
        let devices = dealer.call(Method::GET, "/api/v1/devices", None).await;
        let devices = devices.as_array().unwrap();
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
        let readings = dealer
            .call(Method::GET, &format!("/api/v1/devices/{id}/readings"), None)
            .await;
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
        let readings = dealer
            .call(Method::GET, &format!("/api/v1/devices/{id}/readings"), None)
            .await;
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
        assert_eq!(
            agent
                .registry()
                .get("printer-mib")
                .unwrap()
                .version()
                .to_string(),
            "0.2.0",
            "{backend}"
        );
        run_cycle(&agent, Cycle::MetersAndSupplies, 2).await;
        agent.deliver().await.unwrap();
        let readings = dealer
            .call(Method::GET, &format!("/api/v1/devices/{id}/readings"), None)
            .await;
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
        assert_eq!(
            agent
                .registry()
                .get("printer-mib")
                .unwrap()
                .version()
                .to_string(),
            "0.1.0",
            "{backend}"
        );

        // The server goes away; the agent keeps reading; it comes back and gets everything once.
        running.stop().await;
        run_cycle(&agent, Cycle::Alerts, 2).await;
        assert!(
            agent.deliver().await.is_err(),
            "{backend}: the server is down"
        );
        assert_eq!(agent.queue().len().await.unwrap(), 2, "{backend}");
        let running = server(&dir.path().join("server"), listen, &db.url)
            .start()
            .await
            .unwrap();
        let dealer = Dealer::login(&running).await;
        let delivery = agent.deliver().await.unwrap();
        assert_eq!(
            (delivery.filed, delivery.duplicates),
            (2, 0),
            "{backend}: {delivery:?}"
        );
        assert!(agent.queue().is_empty().await.unwrap(), "{backend}");
        let readings = dealer
            .call(Method::GET, &format!("/api/v1/devices/{id}/readings"), None)
            .await;
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
    let running = server(&dir.path().join("server"), listen, &db.url)
        .start()
        .await
        .unwrap();
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
    assert_eq!(
        agent
            .registry()
            .get("printer-mib")
            .unwrap()
            .version()
            .to_string(),
        "0.2.0"
    );
    assert!(
        !in_flight.is_finished(),
        "the read must still be running when the new version lands ({} answers so far)",
        fleet.answered() - before
    );
    let report = in_flight.await.unwrap();
    assert_eq!((report.read, report.failures.len()), (1, 0), "{report:?}");
    run_cycle(&agent, Cycle::MetersAndSupplies, 1).await;
    agent.deliver().await.unwrap();

    let devices = dealer.call(Method::GET, "/api/v1/devices", None).await;
    let id = devices[0]["id"].as_i64().unwrap();
    let readings = dealer
        .call(Method::GET, &format!("/api/v1/devices/{id}/readings"), None)
        .await;
    assert_eq!(
        strategy_versions(&readings, "meters-and-supplies"),
        ["printer-mib@0.2.0", "printer-mib@0.1.0"],
        "newest first: the read in flight finished on 0.1.0, the next used 0.2.0"
    );
    running.stop().await;
}
