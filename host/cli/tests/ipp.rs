//! `quire ipp` against real IPP peers: CUPS's `ippeveprinter` (an IPP
//! Everywhere printer) and a CUPS server (`cupsd`) sharing it as a queue, the
//! way a USB printer is shared on an agent's host, read by `quire ipp` and by an
//! agent that files it with a server. `scripts/install-test-peers`
//! installs them and starts the D-Bus and Avahi daemons ippeveprinter needs.
//!
//! Expected supply levels are ippeveprinter's own: it starts every printer
//! with a waste toner tank at 25 % and black toner at 75 % (as recorded in
//! `fixtures/ipp/SOURCES.md`), and its `/supplies` form sets them.

use std::io::{BufRead as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use hyper::Method;
use quire_agent::AgentOptions;
use quire_server::Running;
use serde_json::Value;

// The shared dealer helpers; this suite's sites read IPP printers, not SNMP ranges, so the
// SNMP customer helper stays unused here.
#[allow(dead_code)]
mod common;
use common::Dealer;

/// A peer process, killed when the test ends however it ends.
struct Peer(Child);

impl Peer {
    /// `command` (`what`, from the Debian package `package`), once it listens on `port`.
    fn start(command: &mut Command, port: u16, what: &str, package: &str) -> Peer {
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{what} (Debian {package}) runs ({e}); see scripts/install-test-peers")
            });
        let peer = Peer(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "{what} never listened on {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        peer
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// ippeveprinter on its own port, spooling into `dir`.
fn ippeveprinter(dir: &Path) -> (Peer, u16) {
    let port = free_port();
    let mut command = Command::new("ippeveprinter");
    command
        .current_dir(dir)
        .args(["-p", &port.to_string(), "-d"])
        .arg(dir)
        .args(["-M", "Quire", "-m", "Test Laser", "Quire Test"]);
    (
        Peer::start(&mut command, port, "ippeveprinter", "cups-ipp-utils"),
        port,
    )
}

/// Sets ippeveprinter's supply levels through its own web form.
fn set_supplies(port: u16, waste: u8, black: u8) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET /supplies?supply0={waste}&supply1={black} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    // The status line comes once the levels are set. ippeveprinter keeps the
    // connection open for half a minute whatever the request says, so the
    // rest of the answer is not waited for.
    let mut status = String::new();
    std::io::BufReader::new(stream)
        .read_line(&mut status)
        .unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
}

fn quire_ipp(args: &[&str]) -> (Output, Vec<Value>) {
    let out = Command::new(env!("CARGO_BIN_EXE_quire"))
        .arg("ipp")
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("quire runs");
    let readings = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, readings)
}

/// The state reasons a reading lists as alerts.
fn alert_descriptions(reading: &Value) -> Vec<&str> {
    reading["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["description"].as_str())
        .collect()
}

fn supply<'a>(reading: &'a Value, kind: &str) -> &'a Value {
    reading["supplies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {reading}"))
}

#[test]
fn an_ipp_printer_reads_its_supplies_and_their_changes_and_a_dead_one_fails_alone() {
    let dir = scratch("ipp-printer");
    let (_printer, port) = ippeveprinter(&dir);
    let uri = format!("ipp://127.0.0.1:{port}/ipp/print");

    let (out, readings) = quire_ipp(&[&uri]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = &readings[0];
    assert_eq!(r["strategy"]["name"], "ipp");
    assert_eq!(r["identity"]["manufacturer"], "Quire");
    assert_eq!(r["identity"]["model"], "Test Laser");
    assert_eq!(r["status"]["printer"], "idle");
    assert_eq!(supply(r, "toner")["percent"], 75);
    assert_eq!(supply(r, "toner")["color"], "black");
    assert_eq!(supply(r, "waste-toner")["percent"], 25);

    set_supplies(port, 96, 4);
    // Nothing listens on port 9 of 127.0.0.1: that printer fails, the other is read.
    let dead = "ipp://127.0.0.1:9/ipp/print";
    let (out, readings) = quire_ipp(&[dead, &uri]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed printer makes the exit code 1"
    );
    assert_eq!(readings[0]["file"], dead);
    let error = readings[0]["error"].as_str().unwrap();
    assert!(error.contains("127.0.0.1:9"), "{error}");
    let r = &readings[1];
    assert_eq!(supply(r, "toner")["percent"], 4);
    assert_eq!(supply(r, "toner")["state"], "low");
    assert_eq!(supply(r, "waste-toner")["percent"], 96);
    assert_eq!(r["status"]["errors"], serde_json::json!(["low-toner"]));
    let alerts = alert_descriptions(r);
    assert!(alerts.contains(&"toner-low-report"), "{alerts:?}");
}

#[test]
fn a_bad_uri_is_refused_with_the_reason() {
    let (out, readings) = quire_ipp(&["lpd://127.0.0.1/queue", "ipp://127.0.0.1:notaport/x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(readings[0]["error"].as_str().unwrap().contains("scheme"));
    assert!(readings[1]["error"].as_str().unwrap().contains("port"));
}

/// A CUPS server of the test's own: its configuration, spool and logs in
/// `dir`, listening on one loopback port, every operation open (no
/// authentication: nothing else can reach it).
fn cupsd(dir: &Path) -> (Peer, u16) {
    let port = free_port();
    for sub in ["spool", "cache", "state", "tmp", "log", "ppd"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    std::fs::write(
        dir.join("cupsd.conf"),
        format!(
            "Listen 127.0.0.1:{port}\nLogLevel warn\nBrowsing No\nWebInterface No\nDefaultAuthType None\n\
             <Location />\n  Order allow,deny\n  Allow all\n</Location>\n\
             <Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
        ),
    )
    .unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("cups-files.conf"),
        format!(
            "ServerRoot {d}\nRequestRoot {d}/spool\nCacheDir {d}/cache\nStateDir {d}/state\nTempDir {d}/tmp\n\
             ErrorLog {d}/log/error_log\nAccessLog {d}/log/access_log\nPageLog {d}/log/page_log\n\
             ServerBin /usr/lib/cups\nDataDir /usr/share/cups\nUser lp\nGroup lp\n"
        ),
    )
    .unwrap();
    // cupsd drops to lp for its spool; it starts only as root.
    let status = Command::new("chown")
        .args(["-R", "lp:lp"])
        .args(["spool", "cache", "tmp"].map(|s| dir.join(s)))
        .status()
        .unwrap();
    assert!(status.success(), "chown to lp (the tests run as root)");
    let mut command = Command::new("cupsd");
    command
        .arg("-f")
        .arg("-c")
        .arg(dir.join("cupsd.conf"))
        .arg("-s")
        .arg(dir.join("cups-files.conf"));
    (
        Peer::start(&mut command, port, "cupsd", "cups-daemon"),
        port,
    )
}

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// An ippeveprinter with its toner at 3 %, shared by a cupsd of the test's own as
/// the queue `office`, once CUPS has relayed the printer's toner-low (it learns a
/// printer's state when it sends it a job). Returns both peers and the CUPS
/// server's `host:port`.
fn cups_sharing_a_printer_low_on_toner(dir: &Path) -> (Peer, Peer, String) {
    let printer_dir = dir.join("printer");
    std::fs::create_dir_all(&printer_dir).unwrap();
    let (printer, printer_port) = ippeveprinter(&printer_dir);
    let (cups, cups_port) = cupsd(&dir.join("cups"));
    let server = format!("127.0.0.1:{cups_port}");
    let device = format!("ipp://127.0.0.1:{printer_port}/ipp/print");
    run(
        "lpadmin",
        &[
            "-h",
            &server,
            "-p",
            "office",
            "-E",
            "-v",
            &device,
            "-m",
            "everywhere",
        ],
    );
    set_supplies(printer_port, 50, 3);
    let job = dir.join("job.txt");
    std::fs::write(&job, "quire\n").unwrap();
    run(
        "lp",
        &[
            "-h",
            &server,
            "-d",
            "office",
            "-o",
            "raw",
            job.to_str().unwrap(),
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, readings) = quire_ipp(&["--cups", &server]);
        if readings[0]["status"]["errors"] == serde_json::json!(["low-toner"]) {
            return (printer, cups, server);
        }
        assert!(
            Instant::now() < deadline,
            "CUPS never relayed the printer's toner-low: {readings:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
fn every_queue_of_a_cups_server_is_read_with_what_cups_knows_of_its_printer() {
    let dir = scratch("ipp-cups");
    let (_printer, _cups, server) = cups_sharing_a_printer_low_on_toner(&dir);
    let (out, readings) = quire_ipp(&["--cups", &server]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(readings.len(), 1, "one queue: {readings:?}");
    let r = &readings[0];
    assert_eq!(r["file"], format!("ipp://{server}/printers/office"));
    assert_eq!(r["status"]["errors"], serde_json::json!(["low-toner"]));
    let alerts = alert_descriptions(r);
    assert!(alerts.contains(&"toner-low-report"), "{alerts:?}");
}

/// A server on `listen` with its data in `dir` and a fresh SQLite database (kept
/// while the first value lives), and its administrator logged in.
async fn serve(dir: &Path, listen: SocketAddr) -> (quire_testdb::TestDb, Running, Dealer) {
    let db = quire_testdb::sqlite();
    let running = common::start_server(&dir.join("server"), listen, &db.url).await;
    let dealer = Dealer::login(&running).await;
    (db, running, dealer)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_files_the_queues_of_its_hosts_cups_server_with_its_first_site() {
    let dir = scratch("ipp-agent");
    let (_printer, _cups, cups) = cups_sharing_a_printer_low_on_toner(&dir);
    let (_db, running, dealer) = serve(&dir, SocketAddr::from(([127, 155, 1, 1], 0))).await;
    // A site with no range: an office whose only printers hang off the agent's host.
    let (account, site) = dealer.account_with_site(&running).await;
    let key = dealer.enrollment_key(account).await;
    let agent = common::enrolled_agent(
        &running,
        &key,
        AgentOptions {
            cups: Some(cups.clone()),
            ..AgentOptions::new(dir.join("agent"))
        },
    )
    .await;

    let once = agent.run_once().await.unwrap();
    let failures: Vec<&quire_agent::Failure> =
        once.cycles.iter().flat_map(|c| &c.failures).collect();
    assert!(failures.is_empty(), "{failures:?}");
    let delivery = once.delivery.unwrap();
    assert_eq!(
        delivery.filed, 2,
        "one queue, meters & supplies and alerts: {delivery:?}"
    );

    let devices = dealer.devices().await;
    assert_eq!(devices.len(), 1, "{devices:?}");
    let office = &devices[0];
    assert_eq!(office["site-id"], site);
    assert_eq!(
        office["addresses"][0]["address"],
        format!("ipp://{cups}/printers/office")
    );
    let id = office["id"].as_i64().unwrap();
    let readings = dealer.readings(id).await;
    let readings = readings.as_array().unwrap();
    assert_eq!(readings.len(), 2, "{readings:?}");
    for reading in readings {
        assert_eq!(reading["strategy"]["name"], "ipp", "{reading}");
        assert_eq!(
            reading["reading"]["status"]["errors"],
            serde_json::json!(["low-toner"])
        );
    }
    running.stop().await;
}

#[test]
fn no_cups_server_is_an_error_naming_it() {
    let port = free_port();
    let out = Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(["ipp", "--cups", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("CUPS at 127.0.0.1:{port}")),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sites_ipp_printer_is_read_by_its_agent_which_tells_a_new_cartridge() {
    let dir = scratch("ipp-agent-network");
    let (_printer, port) = ippeveprinter(&dir);
    let printer = format!("ipp://127.0.0.1:{port}/ipp/print");
    let dead = format!("ipp://127.0.0.1:{}/ipp/print", free_port());
    set_supplies(port, 25, 5);

    let (_db, running, dealer) = serve(&dir, SocketAddr::from(([127, 155, 2, 1], 0))).await;
    let (account, site) = dealer.account_with_site(&running).await;
    let path = format!("/api/v1/sites/{site}/ipp-printers");
    // The printer is on the site's network: an agent reads nothing outside its ranges.
    dealer
        .call(
            Method::PUT,
            &format!("/api/v1/sites/{site}/ranges"),
            Some(serde_json::json!([{"range": "127.0.0.1"}])),
        )
        .await;

    // A URI no agent could read refuses the list, naming which one.
    let refused = dealer
        .client
        .call(
            Method::PUT,
            &path,
            Some(&dealer.token),
            Some(&serde_json::json!([
                printer,
                "ipp://127.0.0.1:port/ipp/print"
            ])),
        )
        .await
        .unwrap();
    assert_eq!(refused.status, 400);
    let error = refused.json();
    assert_eq!(error["field"], "ipp-printers[1]", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("port \"port\""),
        "{error}"
    );
    // The dealer lists the printer with the site; the agent is given another
    // by its own options, which does not answer.
    let site_view = dealer
        .call(Method::PUT, &path, Some(serde_json::json!([printer])))
        .await;
    assert_eq!(site_view["ipp-printers"], serde_json::json!([printer]));
    let key = dealer.enrollment_key(account).await;
    let agent = common::enrolled_agent(
        &running,
        &key,
        AgentOptions {
            ipp: vec![dead.clone()],
            ..AgentOptions::new(dir.join("agent"))
        },
    )
    .await;

    // The printer that does not answer fails alone, named, on each schedule.
    let once = agent.run_once().await.unwrap();
    let failures: Vec<String> = once
        .cycles
        .iter()
        .flat_map(|c| &c.failures)
        .map(|f| f.to_string())
        .collect();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert!(
        failures.iter().all(|f| f.starts_with(&dead)),
        "{failures:?}"
    );
    assert_eq!(
        once.delivery.unwrap().filed,
        2,
        "meters & supplies and alerts"
    );
    let replaced: usize = once.cycles.iter().map(|c| c.replaced_supplies).sum();
    assert_eq!(replaced, 0, "the first reading has nothing to compare with");

    // A full black toner goes in.
    set_supplies(port, 25, 100);
    let once = agent.run_once().await.unwrap();
    let replaced: usize = once.cycles.iter().map(|c| c.replaced_supplies).sum();
    assert_eq!(replaced, 1, "{:?}", once.cycles);
    assert_eq!(once.delivery.unwrap().filed, 2);

    let devices = dealer.devices().await;
    assert_eq!(devices.len(), 1, "{devices:?}");
    assert_eq!(devices[0]["site-id"], site);
    assert_eq!(devices[0]["addresses"][0]["address"], printer);
    let id = devices[0]["id"].as_i64().unwrap();
    let replacements = dealer
        .call(
            Method::GET,
            &format!("/api/v1/devices/{id}/supply-replacements"),
            None,
        )
        .await;
    let replacements = replacements.as_array().unwrap();
    assert_eq!(replacements.len(), 1, "{replacements:?}");
    assert_eq!(
        replacements[0]["evidence"],
        serde_json::json!({"kind": "level-jump", "before": 5, "after": 100})
    );
    running.stop().await;
}
