//! `quire probe` and `quire record` against snmpsim serving a shared
//! recording on loopback (shared PEERS.md recipe): the live read equals the
//! replay of the same file, and a recording of the live device replays to it
//! too. A missing snmpsim fails the test: run `scripts/install-test-peers`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use quire_snmp::client::{ClientConfig, Credentials, Session};
use serde_json::Value;

const SNMPSIM: &str = "/opt/quire-snmpsim/bin/snmpsim-command-responder";
/// `nobody`/`nogroup` on Debian: snmpsim refuses to run as root.
const NOBODY: u32 = 65534;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/recorded/librenms")
        .join(name)
}

/// snmpsim serving `recording` under community `community`, stopped when dropped.
struct Snmpsim {
    child: Child,
    dir: PathBuf,
}

impl Snmpsim {
    async fn start(address: &str, recording: &Path, community: &str) -> Snmpsim {
        use std::os::unix::fs::{PermissionsExt, chown};
        quire_test_peers::require(SNMPSIM);
        let address: SocketAddr = address.parse().unwrap();
        let dir = quire_test_peers::scratch_dir("snmpsim", address);
        let data = dir.join("data");
        let cache = dir.join("cache");
        std::fs::create_dir_all(&data).unwrap();
        std::fs::create_dir_all(&cache).unwrap();
        std::fs::copy(recording, data.join(format!("{community}.snmprec"))).unwrap();
        for path in [&dir, &data] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::set_permissions(
            data.join(format!("{community}.snmprec")),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        chown(&cache, Some(NOBODY), Some(NOBODY)).unwrap();
        let child = Command::new(SNMPSIM)
            .arg(format!("--data-dir={}", data.display()))
            .arg(format!("--agent-udpv4-endpoint={address}"))
            .arg("--process-user=nobody")
            .arg("--process-group=nogroup")
            .arg(format!("--cache-dir={}", cache.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("snmpsim starts");
        let sim = Snmpsim { child, dir };
        let credentials = Credentials::V2c {
            community: community.into(),
        };
        let config = ClientConfig {
            timeout: Duration::from_millis(300),
            retries: 0,
            ..ClientConfig::default()
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Err(e) = Session::open(address, credentials.clone(), config.clone()).await {
            assert!(
                Instant::now() < deadline,
                "snmpsim on {address} never answered: {e}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        sim
    }
}

impl Drop for Snmpsim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn quire(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_quire"))
        .args(args)
        .output()
        .expect("quire runs")
}

/// The readings of `quire … --format json`, without the `file` field, which
/// names the recording or the address and so differs by design.
fn readings(output: &std::process::Output) -> Value {
    assert!(
        output.status.success(),
        "quire failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout)
    );
    let mut json: Value = serde_json::from_slice(&output.stdout).unwrap();
    for outcome in json.as_array_mut().unwrap() {
        outcome.as_object_mut().unwrap().remove("file");
    }
    json
}

#[tokio::test(flavor = "multi_thread")]
async fn probe_of_snmpsim_reads_what_replay_of_its_recording_reads() {
    let recording = fixture("jetdirect_m252dw.snmprec");
    let _sim = Snmpsim::start("127.55.0.11:16111", &recording, "m252dw").await;
    let replayed = readings(&quire(&[
        "replay",
        "--format",
        "json",
        recording.to_str().unwrap(),
    ]));
    assert_eq!(
        replayed[0]["warnings"],
        Value::Array(vec![]),
        "pick a fixture that loads cleanly"
    );
    let probed = readings(&quire(&[
        "probe",
        "127.55.0.11",
        "--port",
        "16111",
        "--community",
        "m252dw",
        "--format",
        "json",
    ]));
    assert_eq!(probed, replayed);
    assert!(
        probed[0]["supplies"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{probed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn record_of_snmpsim_replays_to_the_original_reading() {
    let recording = fixture("sharp.snmprec");
    let _sim = Snmpsim::start("127.55.0.12:16112", &recording, "sharp").await;
    let saved = std::env::temp_dir().join(format!("quire-record-{}.snmprec", std::process::id()));
    let out = quire(&[
        "record",
        "127.55.0.12",
        "--port",
        "16112",
        "--community",
        "sharp",
        "-o",
        saved.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&saved).unwrap();
    let _ = std::fs::remove_file(&saved);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 50, "{} lines", lines.len());
    let oids: Vec<quire_snmp::Oid> = lines
        .iter()
        .map(|l| l.split('|').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        oids.windows(2).all(|w| w[0] < w[1]),
        "sorted and without duplicates"
    );
    let rerecorded =
        std::env::temp_dir().join(format!("quire-record-{}-b.snmprec", std::process::id()));
    std::fs::write(&rerecorded, &text).unwrap();
    let original = readings(&quire(&[
        "replay",
        "--format",
        "json",
        recording.to_str().unwrap(),
    ]));
    let replayed = readings(&quire(&[
        "replay",
        "--format",
        "json",
        rerecorded.to_str().unwrap(),
    ]));
    let _ = std::fs::remove_file(&rerecorded);
    assert_eq!(replayed, original);
}
