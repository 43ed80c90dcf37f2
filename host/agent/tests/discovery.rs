//! Discovery against real peers on loopback: the fleet simulator serving
//! recorded printers (each accepting different credentials), net-snmp's
//! `snmpd` as an SNMP agent that is no printer, a peer that answers garbage,
//! addresses held silent and addresses nobody holds. Block 127.90.0.0/16.
//! A missing `snmpd` fails the test: run `scripts/install-test-peers`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use quire_agent::discovery::{Found, ScanSettings, Target, scan};
use quire_protocol::Range;
use quire_snmp::Recording;
use quire_snmp::client::{AuthProtocol, Credentials, PrivProtocol, V3User};
use quire_snmp::responder::{Fleet, FleetConfig};
use quire_snmp::wire::usm::UsmUser;
use quire_test_peers::Snmpd;
use tokio::net::UdpSocket;

const PORT: u16 = 16190;
const KYOCERA: &str = "printmaster/kyocera_p2040_snmp.snmprec";
/// The v3 user a fleet accepts, whom [`v3`]`("ops")` logs in as.
const OPS: &str = "ops:SHA:authpass123:AES:privpass123";

fn recording(name: &str) -> Recording {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/recorded")
        .join(name);
    Recording::load(&path).unwrap()
}

fn v2c(community: &str) -> Credentials {
    Credentials::V2c {
        community: community.into(),
    }
}

fn v3(user: &str) -> Credentials {
    Credentials::V3(V3User {
        user: user.into(),
        auth: Some((AuthProtocol::Sha1, "authpass123".into())),
        privacy: Some((PrivProtocol::Aes128, "privpass123".into())),
        context: String::new(),
    })
}

/// Short timeouts and a brisk pace: a simulated device answers in microseconds.
fn quick() -> ScanSettings {
    ScanSettings {
        timeout: Duration::from_millis(300),
        retries: 1,
        packets_per_second: 5_000,
    }
}

fn targets(range: &str, site_id: i64) -> Vec<Target> {
    let range: Range = range.parse().unwrap();
    range
        .addresses()
        .map(|address| Target {
            address,
            site_id,
            part: Some("floor 2".into()),
        })
        .collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// One `snmpd` answering community `public` on `address`, once it answers, so
/// the scan meets a live agent.
async fn snmpd(address: SocketAddr) -> Snmpd {
    let agent = Snmpd::start(
        address,
        "rocommunity public 127.0.0.0/8\nsysDescr Quire test agent, no printer\n",
    );
    let config = quire_snmp::client::ClientConfig {
        timeout: Duration::from_millis(200),
        retries: 0,
        ..Default::default()
    };
    for _ in 0..50 {
        if quire_snmp::client::Session::open(address, v2c("public"), config.clone())
            .await
            .is_ok()
        {
            return agent;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("snmpd on {address} never answered; log: {}", agent.log());
}

/// A UDP peer that answers every datagram with bytes that are no SNMP message.
async fn garbage(address: SocketAddr) -> tokio::task::JoinHandle<()> {
    let socket = UdpSocket::bind(address).await.unwrap();
    tokio::spawn(async move {
        let mut buffer = vec![0; 65_536];
        while let Ok((_, from)) = socket.recv_from(&mut buffer).await {
            let _ = socket.send_to(b"\x30\x05\x02\x01\x01\xff\xff", from).await;
        }
    })
}

fn config(base: Ipv4Addr, communities: &[&str], users: &[&str], silent: usize) -> FleetConfig {
    FleetConfig {
        base,
        port: PORT,
        communities: communities.iter().map(|c| c.as_bytes().to_vec()).collect(),
        users: users
            .iter()
            .map(|u| u.parse::<UsmUser>().unwrap())
            .collect(),
        silent,
        ..FleetConfig::default()
    }
}

/// The recordings `names` served as `config` says.
async fn serve(names: &[&str], config: FleetConfig) -> Fleet {
    let recordings = names.iter().map(|name| recording(name)).collect();
    Fleet::start(recordings, config).await.unwrap()
}

fn by_address(found: &[Found]) -> Vec<(IpAddr, usize)> {
    let mut out: Vec<_> = found
        .iter()
        .map(|f| (f.target.address, f.credential))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_24_finds_exactly_the_printers_with_the_credentials_they_answer() {
    // Three printers on `public`, then five held-silent addresses.
    let public = serve(
        &[
            KYOCERA,
            "printmaster/epson_sc_snmp.snmprec",
            "librenms/ricoh_mpc3002.snmprec",
        ],
        config(Ipv4Addr::new(127, 90, 1, 10), &["public"], &[], 5),
    )
    .await;
    // One printer that only knows the second community.
    let private = serve(
        &["librenms/jetdirect_m252dw.snmprec"],
        config(Ipv4Addr::new(127, 90, 1, 20), &["private"], &[], 0),
    )
    .await;
    // One printer that speaks only v3.
    let v3_only = serve(
        &["librenms/sharp.snmprec"],
        config(Ipv4Addr::new(127, 90, 1, 30), &[], &[OPS], 0),
    )
    .await;
    let snmpd_at = SocketAddr::from(([127, 90, 1, 40], PORT));
    let _snmpd = snmpd(snmpd_at).await;
    let _garbage = garbage(SocketAddr::from(([127, 90, 1, 50], PORT))).await;

    let credentials = [v2c("public"), v2c("private"), v3("ops")];
    let report = scan(targets("127.90.1.0/24", 7), &credentials, &quick(), PORT).await;

    assert_eq!(
        by_address(&report.found),
        vec![
            (ip("127.90.1.10"), 0),
            (ip("127.90.1.11"), 0),
            (ip("127.90.1.12"), 0),
            (ip("127.90.1.20"), 1),
            (ip("127.90.1.30"), 2),
        ],
        "{report:#?}"
    );
    assert_eq!(
        report.not_printers, 2,
        "snmpd and the garbage peer: {report:#?}"
    );
    assert_eq!(report.refused, 0);
    assert_eq!(report.silent, 254 - 5 - 2);
    for found in &report.found {
        assert_eq!(found.target.site_id, 7);
        assert_eq!(found.target.part.as_deref(), Some("floor 2"));
        let id = found.sys_object_id.as_ref().expect("sysObjectID read");
        assert!(
            id.to_string()
                .trim_start_matches('.')
                .starts_with("1.3.6.1.4.1."),
            "{found:?}"
        );
        assert!(found.sys_descr.as_deref().is_some_and(|d| !d.is_empty()));
    }
    let kyocera = report
        .found
        .iter()
        .find(|f| f.target.address == ip("127.90.1.10"))
        .unwrap();
    assert!(
        kyocera.sys_descr.as_deref().unwrap().contains("KYOCERA"),
        "{kyocera:?}"
    );
    drop((public, private, v3_only));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v3_users_are_tried_in_order_and_a_refusal_is_told_from_silence() {
    let fleet = serve(
        &[KYOCERA],
        config(Ipv4Addr::new(127, 90, 2, 1), &[], &[OPS], 1),
    )
    .await;
    let printer = Target {
        address: ip("127.90.2.1"),
        site_id: 1,
        part: None,
    };
    let held = Target {
        address: ip("127.90.2.2"),
        ..printer.clone()
    };

    // An unknown user first, then the right one: found with the second.
    let report = scan(
        vec![printer.clone(), held.clone()],
        &[v2c("public"), v3("nobody"), v3("ops")],
        &quick(),
        PORT,
    )
    .await;
    assert_eq!(by_address(&report.found), vec![(printer.address, 2)]);
    assert_eq!((report.silent, report.refused), (1, 0), "{report:#?}");

    // Only users it does not know: its engine answered, so refused, not silent.
    let report = scan(
        vec![printer.clone(), held, printer.clone()],
        &[v3("nobody"), v3("someone")],
        &quick(),
        PORT,
    )
    .await;
    assert!(report.found.is_empty(), "{report:#?}");
    assert_eq!(
        (report.refused, report.silent, report.not_printers),
        (1, 1, 0),
        "the address listed twice counts once: {report:#?}"
    );
    drop(fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_with_no_usable_credentials_calls_everything_silent() {
    let fleet = serve(
        &[KYOCERA],
        config(Ipv4Addr::new(127, 90, 3, 1), &["public"], &[], 0),
    )
    .await;
    let short_password = Credentials::V3(V3User {
        user: "ops".into(),
        auth: Some((AuthProtocol::Sha1, "short".into())),
        privacy: None,
        context: String::new(),
    });
    let report = scan(
        targets("127.90.3.1-4", 1),
        std::slice::from_ref(&short_password),
        &quick(),
        PORT,
    )
    .await;
    assert_eq!((report.found.len(), report.silent), (0, 4), "{report:#?}");

    // The same bad credentials before good ones cost nothing: the printer is found.
    let report = scan(
        targets("127.90.3.1-4", 1),
        &[short_password, v2c("public")],
        &quick(),
        PORT,
    )
    .await;
    assert_eq!(by_address(&report.found), vec![(ip("127.90.3.1"), 1)]);
    drop(fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v1_agent_that_runs_off_its_mib_is_still_told_apart() {
    // v1 answers a GETNEXT past the last object with noSuchName for the whole
    // request: the probe asks again without that object.
    let switch = Recording::parse_snmprec(
        "switch",
        "1.3.6.1.2.1.1.1.0|4|A switch\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.9.1.1\n",
    )
    .unwrap();
    let small_printer = Recording::parse_snmprec(
        "small-printer",
        "1.3.6.1.2.1.1.1.0|4|A small printer\n\
         1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.2435.2.3.9.1\n\
         1.3.6.1.2.1.25.3.2.1.2.1|6|1.3.6.1.2.1.25.3.1.5\n",
    )
    .unwrap();
    let fleet = Fleet::start(
        vec![switch, small_printer],
        config(Ipv4Addr::new(127, 90, 4, 1), &["public"], &[], 0),
    )
    .await
    .unwrap();
    let v1 = Credentials::V1 {
        community: "public".into(),
    };
    let report = scan(targets("127.90.4.1-3", 1), &[v1], &quick(), PORT).await;
    assert_eq!(by_address(&report.found), vec![(ip("127.90.4.2"), 0)]);
    assert_eq!(
        report.found[0].sys_descr.as_deref(),
        Some("A small printer")
    );
    assert_eq!((report.not_printers, report.silent), (1, 1), "{report:#?}");
    drop(fleet);
}

/// Silent addresses that note when each datagram reached them: what the
/// network saw of a scan.
async fn counters(
    first: Ipv4Addr,
    count: u8,
) -> (
    Vec<tokio::task::JoinHandle<()>>,
    tokio::sync::mpsc::UnboundedReceiver<std::time::Instant>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::new();
    for i in 0..count {
        let [a, b, c, d] = first.octets();
        let address = SocketAddr::from(([a, b, c, d + i], PORT));
        let socket = UdpSocket::bind(address).await.unwrap();
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut buffer = vec![0; 65_536];
            while socket.recv_from(&mut buffer).await.is_ok() {
                let _ = tx.send(std::time::Instant::now());
            }
        }));
    }
    (tasks, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_never_sends_faster_than_the_sites_cap() {
    // 50 silent addresses, each asked twice (one retry) with the community and
    // twice with the v3 user's engine discovery: 200 datagrams at 100 a second.
    let (tasks, mut arrivals) = counters(Ipv4Addr::new(127, 90, 5, 1), 50).await;
    let settings = ScanSettings {
        timeout: Duration::from_millis(200),
        retries: 1,
        packets_per_second: 100,
    };
    let report = scan(
        targets("127.90.5.1-50", 1),
        &[v2c("public"), v3("ops")],
        &settings,
        PORT,
    )
    .await;
    assert_eq!((report.silent, report.found.len()), (50, 0), "{report:#?}");
    let mut times = Vec::new();
    while let Ok(at) = arrivals.try_recv() {
        times.push(at);
    }
    assert_eq!(
        times.len(),
        200,
        "every attempt of every credentials reached its address"
    );
    times.sort();
    // However the 200 are cut into windows, none holds more than the cap allows
    // (100 a second) give or take the one datagram at the window's edge and the
    // sender's 10 ms of catching up.
    for window in [
        Duration::from_millis(100),
        Duration::from_millis(500),
        Duration::from_secs(1),
    ] {
        let allowed = 100.0 * (window + Duration::from_millis(10)).as_secs_f64() + 1.0;
        let most = (0..times.len())
            .map(|i| {
                times[i..]
                    .iter()
                    .take_while(|&&t| t - times[i] < window)
                    .count()
            })
            .max()
            .unwrap();
        assert!(
            most as f64 <= allowed,
            "{most} datagrams within {window:?}, more than the cap of 100/s allows ({allowed})"
        );
    }
    // And the pace is the cap's, not some slower one: 200 at 100/s take about 2 s.
    let span = times[times.len() - 1] - times[0];
    assert!(
        span < Duration::from_millis(2_800),
        "200 datagrams took {span:?} at a cap of 100/s"
    );
    for task in tasks {
        task.abort();
    }
}
