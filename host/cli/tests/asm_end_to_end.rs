//! ASM on the simulated fleet, simulator → agent → server → SMTP server and ERP, on
//! SQLite and on PostgreSQL. A colour printer's cyan toner drops below a dealer's
//! threshold: the server's scheduler raises an alert that waits for approval, and once a
//! user approves it e-mails the dealer's supplies contact through a real SMTP server
//! (aiosmtpd) and the built-in purchase-order plugin orders the cartridge from the
//! dealer's ERP (a real HTTP server), which marks the supply ordered; a new cartridge
//! goes into the simulated printer, the agent reads the jump, and the event is archived
//! as replaced with its escalation never sent. On the same server a Kyocera, which
//! reports no maintenance kit, has its kit recorded installed by the dealer; the
//! built-in alert-logic plugin counts the pages since, and once the simulated printer's
//! counter passes 90 % of the kit's rated pages the dealer's maintenance-kit alert
//! e-mails the supplies contact. A paper jam raises a service alert that waits for
//! approval, clears by itself at the next alerts read, and is archived with nothing
//! carried out.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hyper::Method;
use quire_agent::{Agent, AgentOptions};
use quire_model::Cycle;
use quire_server::mailer::{MailerPolicy, Security, SmtpSettings};
use quire_server::{Running, Server};
use quire_snmp::responder::{Fleet, FleetConfig};
use quire_snmp::{Oid, Recording, Value as SnmpValue};
use quire_test_peers::Smtp;
use quire_test_peers::http::{Answer, Receiver};
use serde_json::{Value, json};

// The shared dealer helpers; this suite configures its servers, so the plain start and
// the device helpers stay unused here.
#[allow(dead_code)]
mod common;
use common::{Dealer, start_configured_server};

/// This test's loopback block: printers on 127.158.0.x, servers on 127.158.1.x, SMTP
/// servers on 127.158.2.x, ERPs on 127.158.3.x.
const SNMP_PORT: u16 = 16158;

/// The HP Color LaserJet Pro M252dw (LibreNMS's capture, read by the `hp` family): four
/// toners, the cyan cartridge at prtMarkerSuppliesLevel 1.2 of a capacity of 100. The
/// device has no colorant table, so Quire knows the cartridge as the second toner
/// (`toner:2`), not by its colour.
fn colour_printer() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/recorded/librenms/jetdirect_m252dw.snmprec")
}

const CYAN_DESCRIPTION: &str = "1.3.6.1.2.1.43.11.1.1.6.1.2";

/// What the dealer's ERP answers an order with (the plugin's documented confirmation).
const CONFIRMED: &str = "<?xml version=\"1.0\"?><OrderConfirmation><OrderNumber>PO-158</OrderNumber></OrderConfirmation>";
const CYAN_LEVEL: &str = "1.3.6.1.2.1.43.11.1.1.9.1.2";

/// The Kyocera ECOSYS P2040dn (PrintMaster's capture, read by the `kyocera` family),
/// whose supplies are a toner and a waste toner box: no maintenance kit.
fn kyocera_printer() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec")
}

/// prtMarkerLifeCount.1.1: every page the printer printed, the `total` counter.
const TOTAL_PAGES: &str = "1.3.6.1.2.1.43.10.2.1.4.1.1";

/// The generic printer of the strategy template (read by `printer-mib`), and its only
/// hrDevice's hrPrinterDetectedErrorState.
fn generic_printer() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/strategy/sample.snmprec")
}

const ERROR_STATE: &str = "1.3.6.1.2.1.25.3.5.1.2.1";

/// A value straight from a recording's text, so expectations never come from our output.
fn recorded(path: &Path, oid: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .find_map(|line| {
            let mut parts = line.splitn(3, '|');
            (parts.next() == Some(oid)).then(|| parts.nth(1).unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("{} has no {oid}", path.display()))
}

/// A server on `database` that ticks ASM every 200 ms and sends e-mail through `smtp` at
/// once.
async fn alerting_server(
    dir: &Path,
    listen: SocketAddr,
    database: &str,
    smtp: SocketAddr,
) -> Running {
    start_configured_server(
        &dir.join("server"),
        listen,
        database,
        |server: &mut Server| {
            server.asm_every = Duration::from_millis(200);
            server.smtp = Some(SmtpSettings {
                host: smtp.ip().to_string(),
                port: smtp.port(),
                security: Security::Plain,
                credentials: None,
                from: "Quire <alerts@dealer.example>".parse().unwrap(),
                timeout: Duration::from_secs(5),
            });
            server.mailer = MailerPolicy {
                every: Duration::from_millis(100),
                max_attempts: 3,
                backoff: vec![Duration::from_millis(200)],
                batch: 100,
            };
        },
    )
    .await
}

/// The main dealer's contacts and its e-mail processing behaviour (to its supplies
/// contact), a customer whose site scans `printers`, and an agent enrolled for it:
/// (dealer, customer account, agent).
async fn customer_with_agent(
    running: &Running,
    printers: &str,
    dir: &Path,
) -> (Dealer, i64, Agent) {
    let dealer = Dealer::login(running).await;
    let main = running.main_dealer.0;
    dealer
        .call(
            Method::PUT,
            &format!("/api/v1/accounts/{main}/contacts"),
            Some(json!([
                {"role": "admin", "name": "Ada Admin", "email": "admin@dealer.example"},
                {"role": "supplies", "name": "Sam Supplies", "email": "supplies@dealer.example"},
            ])),
        )
        .await;
    dealer
        .call(
            Method::PUT,
            &format!("/api/v1/accounts/{main}/processing-behaviours"),
            Some(json!([{"result-type": "email",
                "recipients": [{"primary-dealer-contact": "supplies"}]}])),
        )
        .await;
    let credentials = json!([{"version": "v2c", "community": "public"}]);
    let (account, _) = dealer.customer(running, printers, credentials).await;
    let key = dealer.enrollment_key(account).await;
    let agent = common::enrolled_agent(
        running,
        &key,
        AgentOptions {
            snmp_port: SNMP_PORT,
            ..AgentOptions::new(dir.join("agent"))
        },
    )
    .await;
    (dealer, account, agent)
}

/// One cycle of the agent's one site, now, delivered to the server: `printers` read.
async fn read_and_deliver(agent: &Agent, cycle: Cycle, printers: usize) {
    let config = agent.config().await.unwrap();
    let report = agent
        .run_cycle(&config, &config.sites[0], None, cycle)
        .await;
    assert_eq!(
        (report.read, report.failures.len()),
        (printers, 0),
        "{report:?}"
    );
    agent.deliver().await.unwrap();
}

/// The main dealer's hierarchical alert `name` with `trigger`, whose first action
/// e-mails once approved and whose second escalates after a week; its id.
async fn define(dealer: &Dealer, running: &Running, name: &str, trigger: Value) -> i64 {
    define_with(dealer, running, name, trigger, Vec::new()).await
}

/// As [`define`], with `more` actions after the two e-mails.
async fn define_with(
    dealer: &Dealer,
    running: &Running,
    name: &str,
    trigger: Value,
    more: Vec<Value>,
) -> i64 {
    let email = |id: u32, timing: Value| {
        json!({"id": id, "ordinal": id, "kind": "email", "result-type": "email",
            "requires-approval": true, "timing": timing, "max-attempts": 3})
    };
    let mut actions = vec![
        email(1, json!("immediate")),
        email(2, json!({"on-overdue": {"from": "approval"}})),
    ];
    actions.extend(more);
    let definition = dealer
        .call(
            Method::POST,
            "/api/v1/asm/definitions",
            Some(json!({
                "owner-account-id": running.main_dealer.0,
                "name": name,
                "hierarchical": true,
                "trigger": trigger,
                "overdue": {"unit": "days", "value": 7},
                "stale": {"unit": "days", "value": 7},
                "actions": actions,
            })),
        )
        .await;
    definition["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{definition}"))
}

/// The events of `definition` once `done` holds of them, polled as a console would.
async fn events_once(
    dealer: &Dealer,
    definition: i64,
    what: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let path = format!("/api/v1/asm/events?definition-id={definition}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let events = dealer.call(Method::GET, &path, None).await;
        let events = events.as_array().cloned().unwrap_or_default();
        if done(&events) {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "the events never {what}: {events:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn approve(dealer: &Dealer, event: &Value) {
    let path = format!("/api/v1/asm/events/{}/approve", event["id"]);
    let answer = dealer
        .client
        .send(Method::POST, &path, Some(&dealer.token), None)
        .await
        .unwrap();
    assert_eq!(answer.status, 202, "{}", answer.text());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_low_cyan_toner_and_a_spent_maintenance_kit_are_emailed_to_the_supplies_contact() {
    let recording = colour_printer();
    assert!(
        recorded(&recording, CYAN_DESCRIPTION).starts_with("Cyan Cartridge"),
        "supply 1.2 of the recording is the cyan toner"
    );
    // The colour printer at .1, the Kyocera at .2, read by one agent: one server and
    // SMTP server per backend serve both alerts.
    let printers = "127.158.0.1-127.158.0.2";
    let fleet = Fleet::start(
        vec![
            Recording::load(&recording).unwrap(),
            Recording::load(&kyocera_printer()).unwrap(),
        ],
        FleetConfig {
            base: Ipv4Addr::new(127, 158, 0, 1),
            port: SNMP_PORT,
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap();
    let cyan: Oid = CYAN_LEVEL.parse().unwrap();
    let total: Oid = TOTAL_PAGES.parse().unwrap();
    let recorded_total: u32 = recorded(&kyocera_printer(), TOTAL_PAGES).parse().unwrap();
    for (n, db) in quire_testdb::backends().await.into_iter().enumerate() {
        let backend = db.backend;
        let smtp_address = SocketAddr::from(([127, 158, 2, 1 + n as u8], 2525));
        let smtp = Smtp::start(smtp_address);
        let dir = tempfile::tempdir().unwrap();
        let listen = SocketAddr::from(([127, 158, 1, 1 + n as u8], 0));
        let running = alerting_server(dir.path(), listen, &db.url, smtp_address).await;
        let (dealer, customer, agent) = customer_with_agent(&running, printers, dir.path()).await;
        // The dealer's ERP, named `erp` for the purchase-order plugin, confirms orders.
        let erp = Receiver::start(
            SocketAddr::from(([127, 158, 3, 1 + n as u8], 0)),
            vec![Answer::with_body(201, CONFIRMED)],
        )
        .await;
        let created = dealer
            .call(
                Method::POST,
                &format!("/api/v1/accounts/{}/webhooks", running.main_dealer.0),
                Some(json!({"name": "erp", "url": format!("http://{}/erp", erp.address())})),
            )
            .await;
        assert_eq!(created["name"], "erp", "{backend}: {created}");
        let order = json!({"id": 3, "ordinal": 3, "kind": {"plugin": "erp-order"},
            "result-type": "order", "requires-approval": true, "timing": "immediate",
            "max-attempts": 3});
        let definition = define_with(
            &dealer,
            &running,
            "Toner low",
            json!({"consumable": {"consumable": "toner", "threshold-percent": 20}}),
            vec![order],
        )
        .await;

        // The recorded toners (black 63, cyan 63, magenta 88, yellow 36 %; the Kyocera's
        // 7056 of 7200) are all above 20 %: a first read raises nothing. Both printers
        // start as recorded, whatever the run before on the other backend left.
        let recorded_cyan: i64 = recorded(&recording, CYAN_LEVEL).parse().unwrap();
        assert!(fleet.set(0, cyan.clone(), SnmpValue::Integer(recorded_cyan)));
        assert!(fleet.set(1, total.clone(), SnmpValue::Counter32(recorded_total)));
        read_and_deliver(&agent, Cycle::Discovery, 2).await;
        read_and_deliver(&agent, Cycle::MetersAndSupplies, 2).await;
        // Cyan printed down to 8 %.
        assert!(fleet.set(0, cyan.clone(), SnmpValue::Integer(8)));
        read_and_deliver(&agent, Cycle::MetersAndSupplies, 2).await;

        let events = events_once(&dealer, definition, "waited for approval", |events| {
            events
                .first()
                .is_some_and(|e| e["status"] == "waiting-for-approval")
        })
        .await;
        assert_eq!(events.len(), 1, "{backend}: only cyan is low: {events:?}");
        let event = &events[0];
        assert_eq!(event["trigger"], "consumable:toner:2", "{backend}: {event}");
        assert_eq!(
            event["detail"]["event"]["last-level"], 8,
            "{backend}: {event}"
        );
        assert!(
            smtp.messages().is_empty(),
            "{backend}: sent before approval"
        );
        assert!(
            erp.received().is_empty(),
            "{backend}: ordered before approval"
        );

        approve(&dealer, event).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while smtp.messages().is_empty() {
            assert!(
                Instant::now() < deadline,
                "{backend}: no e-mail after approval"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let messages = smtp.messages();
        assert_eq!(
            messages[0].rcpt_tos,
            ["supplies@dealer.example"],
            "{backend}"
        );
        assert!(
            messages[0].subject.contains("toner:2 at 8 %"),
            "{backend}: {}",
            messages[0].subject
        );
        // Sent and ordered, with the escalation a week away: submitted, still open.
        let events = events_once(&dealer, definition, "were submitted", |events| {
            events.first().is_some_and(|e| e["status"] == "submitted")
        })
        .await;
        assert_eq!(events.len(), 1, "{backend}: {events:?}");
        // One order, for the part the printer names in its cyan supply's description.
        let part = recorded(&recording, CYAN_DESCRIPTION)
            .rsplit(' ')
            .next()
            .unwrap()
            .to_owned();
        let orders = erp.received();
        assert_eq!(orders.len(), 1, "{backend}: {orders:?}");
        assert_eq!(orders[0].path, "/erp/purchase-orders", "{backend}");
        assert!(
            orders[0]
                .text()
                .contains(&format!("<PartNumber>{part}</PartNumber>")),
            "{backend}: {}",
            orders[0].text()
        );
        let device = events[0]["device-id"].as_i64().unwrap();
        let supply_events = dealer
            .call(
                Method::GET,
                &format!("/api/v1/devices/{device}/supplies/events"),
                None,
            )
            .await;
        assert_eq!(
            supply_events[0]["kind"], "ordered",
            "{backend}: {supply_events}"
        );
        assert_eq!(supply_events[0]["part-number"], part.as_str(), "{backend}");

        // A new cartridge: the agent reads the jump from 8 to 100 % as a replacement.
        assert!(fleet.set(0, cyan.clone(), SnmpValue::Integer(100)));
        read_and_deliver(&agent, Cycle::MetersAndSupplies, 2).await;
        let events = events_once(&dealer, definition, "were archived", |events| {
            events.first().is_some_and(|e| e["status"] == "archived")
        })
        .await;
        assert_eq!(
            events[0]["detail"]["archived"]["reason"], "supply-replaced",
            "{backend}: {}",
            events[0]
        );
        // The escalation was never sent: one e-mail in all.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(smtp.messages().len(), 1, "{backend}: {:?}", smtp.messages());

        maintenance_kit(&fleet, &dealer, &running, customer, &agent, &smtp).await;
        running.stop().await;
    }
}

/// The Kyocera (fleet device 1), read so far at its recorded page count: the dealer
/// records an MK-1150 kit installed now, rated for 10,000 pages, and alerts below 10 %
/// with an e-mail at once; the printer prints 9,001 pages, the agent reads them, and the
/// built-in maintenance-kit plugin's 9 % opens the alert and e-mails the supplies contact.
async fn maintenance_kit(
    fleet: &Fleet,
    dealer: &Dealer,
    running: &Running,
    customer: i64,
    agent: &Agent,
    smtp: &Smtp,
) {
    let printed_before = smtp.messages().len();
    let recorded_total: u32 = recorded(&kyocera_printer(), TOTAL_PAGES).parse().unwrap();
    let devices = dealer.call(Method::GET, "/api/v1/devices", None).await;
    let kyocera = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["strategy"]["name"] == "kyocera")
        .unwrap_or_else(|| panic!("the Kyocera is read by its family: {devices}"));
    dealer
        .call(
            Method::PUT,
            &format!("/api/v1/accounts/{customer}/rated-yields"),
            Some(json!([{"part-number": "MK-1150", "rated-pages": 10_000}])),
        )
        .await;
    dealer
        .call(
            Method::POST,
            &format!("/api/v1/devices/{}/supplies/events", kyocera["id"]),
            Some(json!({"position": {"kind": "maintenance-kit", "rank": 1},
                "kind": "installed", "part-number": "MK-1150", "quantity": 1,
                "at": chrono::Utc::now()})),
        )
        .await;
    let definition = dealer
        .call(
            Method::POST,
            "/api/v1/asm/definitions",
            Some(json!({
                "owner-account-id": running.main_dealer.0,
                "name": "Maintenance kit",
                "hierarchical": true,
                "trigger": {"consumable": {"consumable": {"custom": "maintenance-kit"},
                    "threshold-percent": 10}},
                "overdue": {"unit": "days", "value": 7},
                "stale": {"unit": "days", "value": 7},
                "actions": [{"id": 1, "ordinal": 1, "kind": "email", "result-type": "email",
                    "requires-approval": false, "timing": "immediate", "max-attempts": 3}],
            })),
        )
        .await;
    let definition = definition["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{definition}"));

    let total: Oid = TOTAL_PAGES.parse().unwrap();
    assert!(fleet.set(1, total, SnmpValue::Counter32(recorded_total + 9_001)));
    read_and_deliver(agent, Cycle::MetersAndSupplies, 2).await;
    let events = events_once(dealer, definition, "opened", |events| !events.is_empty()).await;
    assert_eq!(
        events[0]["trigger"], "consumable:maintenance-kit",
        "{events:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while smtp.messages().len() == printed_before {
        assert!(Instant::now() < deadline, "no maintenance-kit e-mail");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let message = smtp.messages().pop().unwrap();
    assert_eq!(message.rcpt_tos, ["supplies@dealer.example"]);
    assert!(
        message
            .subject
            .contains("Maintenance kit: maintenance-kit at 9 %"),
        "{}",
        message.subject
    );
    assert!(message.body.contains("Part: MK-1150"), "{}", message.body);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paper_jam_that_clears_by_itself_is_archived_with_nothing_carried_out() {
    let printer = Ipv4Addr::new(127, 158, 0, 3);
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
    for (n, db) in quire_testdb::backends().await.into_iter().enumerate() {
        let backend = db.backend;
        let smtp_address = SocketAddr::from(([127, 158, 2, 11 + n as u8], 2525));
        let smtp = Smtp::start(smtp_address);
        let dir = tempfile::tempdir().unwrap();
        let listen = SocketAddr::from(([127, 158, 1, 11 + n as u8], 0));
        let running = alerting_server(dir.path(), listen, &db.url, smtp_address).await;
        let (dealer, _, agent) =
            customer_with_agent(&running, &printer.to_string(), dir.path()).await;
        let definition = define(
            &dealer,
            &running,
            "Jammed",
            json!({"service": {"states": [{"state": "paper-jam", "group": "paper"}]}}),
        )
        .await;

        // Bit 5 of the first octet, counting from its high bit: jammed (RFC 3805).
        assert!(fleet.set(0, error_state.clone(), SnmpValue::OctetString(vec![0x04])));
        read_and_deliver(&agent, Cycle::Discovery, 1).await;
        read_and_deliver(&agent, Cycle::Alerts, 1).await;
        let events = events_once(&dealer, definition, "waited for approval", |events| {
            events
                .first()
                .is_some_and(|e| e["status"] == "waiting-for-approval")
        })
        .await;
        assert_eq!(
            events[0]["trigger"], "error-state:paper-jam",
            "{backend}: {events:?}"
        );

        // Someone cleared the jam before anyone approved.
        assert!(fleet.set(0, error_state.clone(), SnmpValue::OctetString(vec![0x00])));
        read_and_deliver(&agent, Cycle::Alerts, 1).await;
        let events = events_once(&dealer, definition, "were archived", |events| {
            events.first().is_some_and(|e| e["status"] == "archived")
        })
        .await;
        assert_eq!(
            events[0]["detail"]["archived"]["reason"], "error-cleared",
            "{backend}: {}",
            events[0]
        );
        let detail = dealer
            .call(
                Method::GET,
                &format!("/api/v1/asm/events/{}", events[0]["id"]),
                None,
            )
            .await;
        assert_eq!(detail["journal"], json!([]), "{backend}: {detail}");
        assert!(
            smtp.messages().is_empty(),
            "{backend}: {:?}",
            smtp.messages()
        );
        running.stop().await;
    }
}
