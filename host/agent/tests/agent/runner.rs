//! The cycles against simulated printers: what reaches the queue and the server.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use quire_agent::{Agent, AgentError, Failure, ReadError, UplinkError};
use quire_model::{Cycle, Reading, Supply};
use quire_plugins::Probe;
use quire_protocol::{ReplacementEvidence, UploadItem};
use quire_snmp::{Recording, Value};
use quire_transport::{DeviceTransport, ReplayTransport};

use crate::fleet::{OneSite, config, enrolled, fleet, options, registry};

const RICOH: &str = "librenms/ricoh_mpc3002.snmprec";
const SHARP: &str = "librenms/sharp.snmprec";
const EPSON: &str = "printmaster/epson_sc_snmp.snmprec";

/// The supplies the shared snapshot of a recording says the strategy reads.
fn snapshot_supplies(name: &str) -> Vec<Supply> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/snapshots")
        .join(format!("{name}.snap"));
    let text = std::fs::read_to_string(path).unwrap();
    let reading: Reading = serde_json::from_str(text.splitn(3, "---").nth(2).unwrap()).unwrap();
    reading.supplies
}

fn of_cycle(items: &[UploadItem], cycle: Cycle) -> BTreeMap<String, UploadItem> {
    items
        .iter()
        .filter(|i| i.cycle == cycle)
        .map(|i| (i.address.clone(), i.clone()))
        .collect()
}

fn serial(item: &UploadItem) -> &str {
    item.reading.identity.serial.as_deref().unwrap_or("-")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_fleet_is_discovered_read_and_delivered_in_order() {
    let _fleet = fleet(Ipv4Addr::new(127, 80, 1, 1), &[RICOH, SHARP, EPSON]).await;
    // Two more addresses in the range that nobody holds.
    let (agent, peer, _dir) = enrolled("127.80.9.10", config("127.80.1.1-127.80.1.5")).await;

    let report = agent.run_once().await.unwrap();
    let discovery = &report.cycles[0];
    assert_eq!(discovery.cycle, Cycle::Discovery);
    assert_eq!(
        (discovery.addresses, discovery.found, discovery.devices),
        (5, 3, 3)
    );
    assert_eq!(discovery.new_devices, 3);
    assert!(discovery.failures.is_empty(), "{:?}", discovery.failures);
    for cycle in &report.cycles[1..] {
        assert_eq!((cycle.read, cycle.queued), (3, 3), "{cycle:?}");
    }
    let delivery = report.delivery.unwrap();
    assert_eq!(
        (delivery.sent, delivery.filed, delivery.duplicates),
        (9, 9, 0)
    );
    assert_eq!(report.queued, 0);

    let items = peer.filed.items();
    assert_eq!(
        items.iter().map(|i| i.seq).collect::<Vec<_>>(),
        (1..=9).collect::<Vec<_>>()
    );
    let found = of_cycle(&items, Cycle::Discovery);
    let serials: Vec<(&str, &str)> = found.iter().map(|(a, i)| (a.as_str(), serial(i))).collect();
    assert_eq!(
        serials,
        [
            ("127.80.1.1", "W492KB03439"),
            ("127.80.1.2", "6509415X00"),
            ("127.80.1.3", "X8G9000415")
        ]
    );
    assert!(items.iter().all(|i| i.site_id == Some(1)));
    let meters = of_cycle(&items, Cycle::MetersAndSupplies);
    for (address, snapshot) in [
        ("127.80.1.1", "ricoh_mpc3002"),
        ("127.80.1.2", "sharp"),
        ("127.80.1.3", "epson_sc_snmp"),
    ] {
        assert_eq!(
            meters[address].reading.supplies,
            snapshot_supplies(snapshot),
            "{address}"
        );
    }
    // The discovered devices are remembered with the credentials that worked (the second).
    let known = agent.queue().devices().await.unwrap();
    assert_eq!(known.len(), 3);
    assert!(known.iter().all(|d| d.credential == 1), "{known:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recorded_exchange_replays_to_the_same_reading() {
    let _fleet = fleet(Ipv4Addr::new(127, 80, 7, 1), &[SHARP]).await;
    let (agent, _peer, _dir) = enrolled("127.80.9.17", config("127.80.7.1")).await;
    let site = OneSite::checked_in(&agent).await;
    site.run(Cycle::Discovery).await;
    site.run(Cycle::MetersAndSupplies).await;
    let items = agent.queue().batch(10, usize::MAX).await.unwrap();
    assert_eq!(items.len(), 2);
    for item in items {
        let raw = item.raw.as_deref().unwrap();
        let recording = Recording::parse_snmprec("raw", raw).unwrap();
        let transport: Arc<dyn DeviceTransport> =
            Arc::new(ReplayTransport::new(Arc::new(recording)));
        let probe = Probe::read(transport.as_ref()).await.unwrap();
        let registry = registry().await;
        let plugin = registry
            .select(&probe, transport.clone())
            .await
            .unwrap()
            .plugin;
        assert_eq!(plugin.strategy_ref(), item.strategy);
        let replayed = plugin.collect(transport, item.cycle).await.unwrap();
        assert_eq!(replayed, item.reading, "{:?}", item.cycle);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_printer_on_two_addresses_is_one_device() {
    let _fleet = fleet(Ipv4Addr::new(127, 80, 2, 1), &[RICOH, RICOH, SHARP]).await;
    let (agent, _peer, _dir) = enrolled("127.80.9.11", config("127.80.2.1-127.80.2.3")).await;
    let site = OneSite::checked_in(&agent).await;

    let discovery = site.run(Cycle::Discovery).await;
    assert_eq!((discovery.found, discovery.read), (3, 3));
    assert_eq!((discovery.devices, discovery.new_devices), (2, 2));
    let queued = agent.queue().batch(10, usize::MAX).await.unwrap();
    let addresses: Vec<&str> = queued.iter().map(|i| i.address.as_str()).collect();
    assert_eq!(addresses, ["127.80.2.1", "127.80.2.3"]);
    let known = agent.queue().devices().await.unwrap();
    let ricoh = known
        .iter()
        .find(|d| d.key.contains("W492KB03439"))
        .unwrap();
    assert_eq!(ricoh.address, "127.80.2.1".parse::<IpAddr>().unwrap());

    let meters = site.run(Cycle::MetersAndSupplies).await;
    assert_eq!((meters.addresses, meters.read, meters.devices), (2, 2, 2));
    let again = site.run(Cycle::Discovery).await;
    assert_eq!((again.devices, again.new_devices), (2, 0));
    assert_eq!(agent.queue().devices().await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_that_stops_answering_costs_only_its_own_reading() {
    let fleet = fleet(Ipv4Addr::new(127, 80, 3, 1), &[RICOH, SHARP, EPSON]).await;
    let (agent, _peer, _dir) = enrolled("127.80.9.12", config("127.80.3.1-127.80.3.3")).await;
    let site = OneSite::checked_in(&agent).await;
    site.run(Cycle::Discovery).await;
    let before = agent.queue().len().await.unwrap();

    fleet.set_online(1, false);
    let meters = site.run(Cycle::MetersAndSupplies).await;
    assert_eq!((meters.addresses, meters.read, meters.queued), (3, 2, 2));
    assert_eq!(meters.failures.len(), 1, "{:?}", meters.failures);
    assert!(
        meters.failures[0].to_string().contains("127.80.3.2"),
        "{:?}",
        meters.failures
    );
    assert!(
        matches!(meters.failures[0], Failure::Device(ReadError::Snmp(_))),
        "a silent device is a device failure, not a stopped cycle: {:?}",
        meters.failures
    );
    assert_eq!(agent.queue().len().await.unwrap(), before + 2);
    // It is still known, and read again once it is back.
    fleet.set_online(1, true);
    let alerts = site.run(Cycle::Alerts).await;
    assert_eq!((alerts.read, alerts.failures.len()), (3, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_cartridge_is_reported_once() {
    let fleet = fleet(Ipv4Addr::new(127, 80, 4, 1), &[RICOH]).await;
    let (agent, _peer, _dir) = enrolled("127.80.9.13", config("127.80.4.1")).await;
    let site = OneSite::checked_in(&agent).await;
    site.run(Cycle::Discovery).await;
    let found = agent.queue().batch(10, usize::MAX).await.unwrap();
    let low = found[0]
        .reading
        .supplies
        .iter()
        .find(|s| s.percent == Some(20))
        .cloned()
        .unwrap();
    let level: quire_snmp::Oid = format!("1.3.6.1.2.1.43.11.1.1.9.1.{}", low.index)
        .parse()
        .unwrap();
    assert!(fleet.set(0, level, Value::Integer(i64::from(low.max.unwrap()))));

    let meters = site.run(Cycle::MetersAndSupplies).await;
    assert_eq!(meters.replaced_supplies, 1);
    let queued = agent.queue().batch(10, usize::MAX).await.unwrap();
    let item = queued.last().unwrap();
    assert_eq!(item.cycle, Cycle::MetersAndSupplies);
    assert_eq!(item.replaced_supplies.len(), 1);
    assert_eq!(item.replaced_supplies[0].index, low.index);
    assert_eq!(item.replaced_supplies[0].description, low.description);
    assert_eq!(
        item.replaced_supplies[0].evidence,
        ReplacementEvidence::LevelJump {
            before: 20,
            after: 100
        }
    );
    let next = site.run(Cycle::MetersAndSupplies).await;
    assert_eq!((next.read, next.replaced_supplies), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readings_taken_while_the_server_is_down_arrive_once_and_in_order() {
    let _fleet = fleet(Ipv4Addr::new(127, 80, 5, 1), &[RICOH, SHARP]).await;
    let (agent, mut peer, dir) = enrolled("127.80.9.14", config("127.80.5.1-127.80.5.2")).await;
    agent.check_in().await.unwrap();
    peer.stop();
    tokio::time::sleep(Duration::from_millis(50)).await;

    for expected in [6, 12] {
        let report = agent.run_once().await.unwrap();
        assert!(
            matches!(
                report.delivery,
                Err(AgentError::Uplink(UplinkError::Unreachable { .. }))
            ),
            "{:?}",
            report.delivery
        );
        assert_eq!(report.queued, expected);
    }
    // The agent restarts while the server is still down; the queue is on disk.
    drop(agent);
    let agent = Agent::open_with(options(dir.path()), registry().await)
        .await
        .unwrap();
    assert_eq!(agent.queue().len().await.unwrap(), 12);

    peer.restart().await;
    // The server files the batch but its answer is lost: the agent must send it again.
    peer.filed.lose_next_answer.store(true, Ordering::SeqCst);
    let lost = agent.deliver().await.unwrap_err();
    assert!(
        matches!(
            lost,
            AgentError::Uplink(UplinkError::Refused { status: 503, .. })
        ),
        "{lost:?}"
    );
    assert_eq!(agent.queue().len().await.unwrap(), 12);
    let delivery = agent.deliver().await.unwrap();
    assert_eq!(
        (delivery.sent, delivery.filed, delivery.duplicates),
        (12, 0, 12)
    );
    assert!(agent.queue().is_empty().await.unwrap());
    let items = peer.filed.items();
    assert_eq!(
        items.iter().map(|i| i.seq).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<_>>()
    );
    let first_round = &items[..6];
    assert_eq!(
        first_round.iter().map(|i| i.cycle).collect::<Vec<_>>(),
        [
            Cycle::Discovery,
            Cycle::Discovery,
            Cycle::MetersAndSupplies,
            Cycle::MetersAndSupplies,
            Cycle::Alerts,
            Cycle::Alerts
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_agent_discovers_at_once_and_delivers() {
    let _fleet = fleet(Ipv4Addr::new(127, 80, 6, 1), &[SHARP]).await;
    let (agent, peer, _dir) = enrolled("127.80.9.15", config("127.80.6.1")).await;
    let running = agent.start();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let items = loop {
        let items = peer.filed.items();
        if !items.is_empty() || tokio::time::Instant::now() > deadline {
            break items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    running.stop().await;
    // Meters and alerts run at the top of the hour, which the test may cross.
    assert!(!items.is_empty());
    assert_eq!(items[0].cycle, Cycle::Discovery);
    assert_eq!(serial(&items[0]), "6509415X00");
    assert!(peer.filed.check_ins.load(Ordering::SeqCst) >= 1);
}
