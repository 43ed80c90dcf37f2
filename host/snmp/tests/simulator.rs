//! The fleet simulator against net-snmp's own tools: what `snmpwalk`,
//! `snmpbulkwalk` and `snmpget` read from a simulated device must be exactly
//! the recording, over v1, v2c and v3, and faults must look like faults.
//!
//! The net-snmp tools are real peers: when they are missing the tests fail
//! and say how to install them. Every test uses its own 127.60.x.0/24 range
//! so they run in parallel.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use quire_snmp::responder::{Faults, Fleet, FleetConfig, replicate};
use quire_snmp::wire::usm::UsmUser;
use quire_snmp::{Oid, Recording, Value};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/recorded/printmaster/kyocera_p2040_snmp.snmprec"
);
const PORT: u16 = 16161;
const USER: &str = "quireuser:SHA:authpass123:AES:privpass123";

fn recording() -> Recording {
    Recording::load(Path::new(FIXTURE)).unwrap()
}

fn config(third_octet: u8) -> FleetConfig {
    FleetConfig {
        base: Ipv4Addr::new(127, 60, third_octet, 1),
        port: PORT,
        users: vec![USER.parse().unwrap()],
        ..FleetConfig::default()
    }
}

/// Runs a net-snmp tool off the async workers, failing loudly if it is absent.
async fn net_snmp(tool: &str, args: &[&str]) -> Output {
    let tool = tool.to_owned();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(&tool)
            .args(&args)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run {tool} ({e}): run scripts/install-test-peers to install net-snmp"
                )
            })
    })
    .await
    .unwrap()
}

/// Walks a device and reads the output back as a recording. `-Ox` prints
/// every string as hex, so bytes compare exactly; `-Oe` keeps enums numeric.
async fn walk(tool: &str, auth: &[&str], addr: SocketAddr) -> Recording {
    let target = addr.to_string();
    let mut args = vec!["-On", "-Ox", "-Oe", "-t", "2", "-r", "1"];
    args.extend_from_slice(auth);
    args.push(&target);
    args.push(".1");
    let out = net_snmp(tool, &args).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Recording::parse_snmpwalk(tool, &text).unwrap()
}

fn assert_same(walked: &Recording, expected: impl Iterator<Item = (Oid, Value)>) {
    let expected: Vec<(Oid, Value)> = expected.collect();
    let got: Vec<(Oid, Value)> = walked.iter().map(|(o, v)| (o.clone(), v.clone())).collect();
    assert_eq!(got.len(), expected.len(), "varbind count");
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g, e);
    }
}

fn all(r: &Recording) -> impl Iterator<Item = (Oid, Value)> + '_ {
    r.iter().map(|(o, v)| (o.clone(), v.clone()))
}

/// Walks one simulated device, started from the recording with `config`,
/// with a net-snmp `tool` and its `auth` arguments.
async fn walk_fleet(config: FleetConfig, tool: &str, auth: &[&str]) -> Recording {
    let fleet = Fleet::start(vec![recording()], config).await.unwrap();
    walk(tool, auth, fleet.addr(0).unwrap()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn snmpwalk_v2c_reads_exactly_the_recording() {
    let walked = walk_fleet(config(1), "snmpwalk", &["-v2c", "-c", "public"]).await;
    assert_same(&walked, all(&recording()));
}

#[tokio::test(flavor = "multi_thread")]
async fn snmpwalk_v1_reads_the_recording_without_counter64() {
    let walked = walk_fleet(config(2), "snmpwalk", &["-v1", "-c", "public"]).await;
    let source = recording();
    assert_same(
        &walked,
        all(&source).filter(|(_, v)| !matches!(v, Value::Counter64(_))),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn snmpbulkwalk_v2c_reads_exactly_the_recording_even_when_responses_must_shrink() {
    let small = FleetConfig {
        max_message_size: 484,
        ..config(3)
    };
    let walked = walk_fleet(small, "snmpbulkwalk", &["-v2c", "-c", "public", "-Cr50"]).await;
    assert_same(&walked, all(&recording()));
}

#[tokio::test(flavor = "multi_thread")]
async fn snmpwalk_v3_auth_priv_reads_exactly_the_recording() {
    let v3 = quire_test_peers::net_snmp_v3(USER);
    let v3: Vec<&str> = v3.iter().map(String::as_str).collect();
    let walked = walk_fleet(config(4), "snmpwalk", &v3).await;
    assert_same(&walked, all(&recording()));
}

#[tokio::test(flavor = "multi_thread")]
async fn v3_sha2_des_and_auth_no_priv_and_no_auth_users_are_served() {
    let users = [
        "shades:SHA-256:authpass123:DES:privpass123",
        "sha512:SHA-512:authpass123",
        "md5des:MD5:authpass123:DES:privpass123",
        "plain",
    ];
    let fleet = Fleet::start(
        vec![recording()],
        FleetConfig {
            users: users
                .iter()
                .map(|u| u.parse::<UsmUser>().unwrap())
                .collect(),
            ..config(5)
        },
    )
    .await
    .unwrap();
    let target = fleet.addr(0).unwrap().to_string();
    for user in users {
        let args = quire_test_peers::net_snmp_v3(user);
        let mut all_args = vec!["-On", "-Ox", "-t", "2", "-r", "0"];
        all_args.extend(args.iter().map(String::as_str));
        all_args.extend_from_slice(&[&target, ".1.3.6.1.2.1.1.5.0"]);
        let out = net_snmp("snmpget", &all_args).await;
        let text = String::from_utf8_lossy(&out.stdout);
        let got = Recording::parse_snmpwalk("snmpget", &text)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
        let sys_name: Oid = ".1.3.6.1.2.1.1.5.0".parse().unwrap();
        assert_eq!(got.get(&sys_name), recording().get(&sys_name), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_v3_password_is_refused_at_once() {
    let fleet = Fleet::start(vec![recording()], config(6)).await.unwrap();
    let target = fleet.addr(0).unwrap().to_string();
    let started = Instant::now();
    let out = net_snmp(
        "snmpget",
        &[
            "-v3",
            "-l",
            "authPriv",
            "-u",
            "quireuser",
            "-a",
            "SHA",
            "-A",
            "wrongpass123",
            "-x",
            "AES",
            "-X",
            "privpass123",
            "-t",
            "5",
            "-r",
            "2",
            &target,
            ".1.3.6.1.2.1.1.5.0",
        ],
    )
    .await;
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Authentication failure"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let out = net_snmp(
        "snmpget",
        &[
            "-v3",
            "-l",
            "noAuthNoPriv",
            "-u",
            "nobody",
            "-t",
            "5",
            &target,
            ".1.3.6.1.2.1.1.5.0",
        ],
    )
    .await;
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unknown user name"));
}

async fn get(target: SocketAddr, community: &str, oid: &str, timeout: &str) -> (Output, Duration) {
    let started = Instant::now();
    let target = target.to_string();
    let out = net_snmp(
        "snmpget",
        &[
            "-v2c", "-c", community, "-On", "-Ox", "-t", timeout, "-r", "0", &target, oid,
        ],
    )
    .await;
    (out, started.elapsed())
}

fn value_of(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    let r = Recording::parse_snmpwalk("snmpget", &text)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    r.iter()
        .next()
        .map(|(_, v)| v.clone())
        .expect("one varbind")
}

fn timed_out(out: &Output) -> bool {
    !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("Timeout")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_community_and_an_address_without_a_device_time_out() {
    let fleet = Fleet::start(
        vec![recording()],
        FleetConfig {
            silent: 1,
            ..config(7)
        },
    )
    .await
    .unwrap();
    let (out, _) = get(fleet.addr(0).unwrap(), "private", ".1.3.6.1.2.1.1.5.0", "1").await;
    assert!(timed_out(&out), "{out:?}");
    let silent = fleet.silent_addrs()[0];
    assert_eq!(silent.ip(), Ipv4Addr::new(127, 60, 7, 2));
    let (out, _) = get(silent, "public", ".1.3.6.1.2.1.1.5.0", "1").await;
    assert!(timed_out(&out), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_set_while_running_is_what_the_next_read_sees() {
    let fleet = Fleet::start(vec![recording()], config(8)).await.unwrap();
    let toner = ".1.3.6.1.2.1.43.11.1.1.9.1.1";
    let (before, _) = get(fleet.addr(0).unwrap(), "public", toner, "2").await;
    assert_eq!(value_of(&before), recording().get(&toner.parse().unwrap()));
    assert!(fleet.set(0, toner.parse().unwrap(), Value::Integer(0)));
    let (after, _) = get(fleet.addr(0).unwrap(), "public", toner, "2").await;
    assert_eq!(value_of(&after), Value::Integer(0));

    assert!(fleet.set_online(0, false));
    let (off, _) = get(fleet.addr(0).unwrap(), "public", toner, "1").await;
    assert!(timed_out(&off));
    assert!(fleet.set_online(0, true));
    let (on, _) = get(fleet.addr(0).unwrap(), "public", toner, "2").await;
    assert_eq!(value_of(&on), Value::Integer(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn fleet_copies_show_distinct_serials_and_macs() {
    let fleet = Fleet::start(replicate(&[recording()], 3), config(9))
        .await
        .unwrap();
    let serial = ".1.3.6.1.2.1.43.5.1.1.17.1";
    let mac = ".1.3.6.1.2.1.2.2.1.6.1";
    let mut seen = Vec::new();
    for i in 0..3 {
        let addr = fleet.addr(i).unwrap();
        assert_eq!(addr.ip(), Ipv4Addr::new(127, 60, 9, 1 + i as u8));
        let (s, _) = get(addr, "public", serial, "2").await;
        let (m, _) = get(addr, "public", mac, "2").await;
        seen.push((value_of(&s), value_of(&m)));
    }
    assert_ne!(seen[0], seen[1]);
    assert_ne!(seen[1], seen[2]);
    assert_ne!(seen[0].0, seen[2].0);
    let Value::OctetString(first) = &seen[0].0 else {
        panic!("serial is a string")
    };
    assert!(
        first.ends_with(b"-00000"),
        "{}",
        String::from_utf8_lossy(first)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dropped_requests_time_out_and_delayed_answers_arrive_late() {
    // One device with `faults`, asked for sysName with a `timeout` in seconds.
    let faulty = async |third_octet: u8, faults: Faults, timeout: &str| {
        let config = FleetConfig {
            faults,
            ..config(third_octet)
        };
        let fleet = Fleet::start(vec![recording()], config).await.unwrap();
        get(
            fleet.addr(0).unwrap(),
            "public",
            ".1.3.6.1.2.1.1.5.0",
            timeout,
        )
        .await
    };
    let dropping = Faults {
        drop: 1.0,
        ..Faults::default()
    };
    let (out, _) = faulty(10, dropping, "1").await;
    assert!(timed_out(&out));

    let delaying = Faults {
        delay: Duration::from_millis(400),
        ..Faults::default()
    };
    let (out, took) = faulty(11, delaying, "3").await;
    assert!(out.status.success());
    assert!(took >= Duration::from_millis(400), "{took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fleet_slowed_while_running_answers_late_until_it_is_quick_again() {
    let fleet = Fleet::start(vec![recording()], config(12)).await.unwrap();
    let device = fleet.addr(0).unwrap();
    let sys_name = ".1.3.6.1.2.1.1.5.0";
    let (out, quick) = get(device, "public", sys_name, "3").await;
    assert!(out.status.success());

    fleet.set_delay(Duration::from_millis(400));
    let (out, slow) = get(device, "public", sys_name, "3").await;
    assert!(out.status.success());
    assert!(slow >= Duration::from_millis(400), "{slow:?}");

    fleet.set_delay(Duration::ZERO);
    let (out, quick_again) = get(device, "public", sys_name, "3").await;
    assert!(out.status.success());
    assert!(
        quick_again < Duration::from_millis(400),
        "{quick:?} at first, {quick_again:?} once quick again"
    );
}
