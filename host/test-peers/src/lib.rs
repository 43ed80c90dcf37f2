//! The real peers Quire's test suites start, for the suites of every crate
//! that talks to them: each test starts its own on a loopback address of its
//! own, in a directory of its own, and it is stopped and cleaned up when the
//! handle is dropped. A missing peer fails the test with the command that
//! installs it (`scripts/install-test-peers`), never skips it.
//!
//! Dev-dependency only: nothing here is built into Quire.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub mod browser;
pub mod http;

/// Where Debian's `snmpd` package puts net-snmp's agent.
pub const SNMPD: &str = "/usr/sbin/snmpd";

/// Fails the test, naming the installer, when `program` is not installed.
pub fn require(program: &str) {
    assert!(
        Path::new(program).exists(),
        "{program} is missing: run scripts/install-test-peers"
    );
}

/// A fresh, empty directory for one peer, named after the test process and
/// the peer's port so concurrent tests never share one.
pub fn scratch_dir(peer: &str, address: SocketAddr) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "quire-{peer}-{}-{}-{}",
        std::process::id(),
        address.ip(),
        address.port()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One net-snmp `snmpd` in the foreground on `address` (the shared PEERS.md
/// recipe: its own configuration, persistent directory, log and pid file),
/// stopped when dropped.
pub struct Snmpd {
    child: Child,
    address: SocketAddr,
    dir: PathBuf,
}

impl Snmpd {
    /// Starts `snmpd` listening on `address` with `config`: `snmpd.conf`
    /// lines after the `agentAddress` line this writes itself.
    pub fn start(address: SocketAddr, config: &str) -> Snmpd {
        require(SNMPD);
        let dir = scratch_dir("snmpd", address);
        std::fs::create_dir_all(dir.join("persist")).unwrap();
        let file = dir.join("snmpd.conf");
        std::fs::write(&file, format!("agentAddress udp:{address}\n{config}")).unwrap();
        let child = Command::new(SNMPD)
            .arg("-f")
            .arg("-Lf")
            .arg(dir.join("snmpd.log"))
            .arg("-C")
            .arg("-c")
            .arg(&file)
            .arg(format!("--persistentDir={}", dir.join("persist").display()))
            .arg("-p")
            .arg(dir.join("snmpd.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("snmpd starts");
        Snmpd {
            child,
            address,
            dir,
        }
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// What it has logged so far, for a test's failure message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("snmpd.log")).unwrap_or_default()
    }
}

impl Drop for Snmpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The venv `scripts/install-test-peers` puts aiosmtpd in.
pub const SMTP_PYTHON: &str = "/opt/quire-smtp/bin/python";

/// How long a peer may take to bind its port before the test fails.
const STARTUP: std::time::Duration = std::time::Duration::from_secs(15);

/// A real SMTP server (aiosmtpd, running `smtp_sink.py`) on `address` that keeps every
/// message it accepts for [`Smtp::messages`]. A recipient whose local part starts with
/// `rejected` is refused with 550, one starting with `busy` with 451. Stopped when dropped.
pub struct Smtp {
    child: Option<Child>,
    address: SocketAddr,
    dir: PathBuf,
}

/// One message the SMTP server accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpMessage {
    /// The envelope sender (`MAIL FROM`).
    pub mail_from: String,
    /// The envelope recipients it accepted (`RCPT TO`).
    pub rcpt_tos: Vec<String>,
    /// The `Subject` header, decoded.
    pub subject: String,
    /// The `From` header.
    pub from: String,
    /// The `To` header.
    pub to: String,
    /// The MIME type of the message (`text/plain`).
    pub content_type: String,
    /// The text body, decoded, with `\n` line ends.
    pub body: String,
    /// The message as it arrived.
    pub raw: String,
}

impl Smtp {
    /// Starts the server on `address` and waits until it listens; a server stopped before
    /// on the same address can be started again.
    pub fn start(address: SocketAddr) -> Smtp {
        require(SMTP_PYTHON);
        let dir = scratch_dir("smtp", address);
        std::fs::create_dir_all(dir.join("messages")).unwrap();
        let log = std::fs::File::create(dir.join("smtp.log")).unwrap();
        let child = Command::new(SMTP_PYTHON)
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/smtp_sink.py"))
            .arg(address.ip().to_string())
            .arg(address.port().to_string())
            .arg(dir.join("messages"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the SMTP server starts");
        let mut smtp = Smtp {
            child: Some(child),
            address,
            dir,
        };
        smtp.wait_until_ready();
        smtp
    }

    fn wait_until_ready(&mut self) {
        let deadline = std::time::Instant::now() + STARTUP;
        let ready = self.dir.join("messages").join("ready");
        while !ready.exists() {
            let child = self.child.as_mut().expect("started");
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "the SMTP server on {} exited ({status}): {}",
                    self.address,
                    self.log()
                );
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the SMTP server on {} did not start: {}",
                self.address,
                self.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every message accepted so far, in the order they arrived.
    pub fn messages(&self) -> Vec<SmtpMessage> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.join("messages"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|path| {
                let text = std::fs::read_to_string(path).unwrap();
                let record: serde_json::Value = serde_json::from_str(&text).unwrap();
                let field = |name: &str| record[name].as_str().unwrap_or_default().to_owned();
                SmtpMessage {
                    mail_from: field("mail_from"),
                    rcpt_tos: record["rcpt_tos"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap().to_owned())
                        .collect(),
                    subject: field("subject"),
                    from: field("from"),
                    to: field("to"),
                    content_type: field("content_type"),
                    body: field("body"),
                    raw: field("raw"),
                }
            })
            .collect()
    }

    /// What it has logged so far, for a test's failure message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("smtp.log")).unwrap_or_default()
    }

    /// Stops it: connections to its address are refused until a server starts there again.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// net-snmp's command-line options for logging in as the USM user `user`,
/// written as Quire's fleet and agent take users
/// (`name[:AUTH:authpass[:PRIV:privpass]]`), so a test names each user once:
/// `quireuser:SHA:authpass123:AES:privpass123` is `-v3 -l authPriv -u
/// quireuser -a SHA -A authpass123 -x AES -X privpass123`.
pub fn net_snmp_v3(user: &str) -> Vec<String> {
    let parts: Vec<&str> = user.split(':').collect();
    let (level, keys): (&str, &[&str]) = match parts.as_slice() {
        [_] => ("noAuthNoPriv", &[]),
        [_, _, _] => ("authNoPriv", &["-a", "-A"]),
        [_, _, _, _, _] => ("authPriv", &["-a", "-A", "-x", "-X"]),
        _ => panic!("{user:?} is not name[:AUTH:pass[:PRIV:pass]]"),
    };
    let mut args = vec![
        "-v3".into(),
        "-l".into(),
        level.into(),
        "-u".into(),
        parts[0].into(),
    ];
    for (key, value) in keys.iter().zip(&parts[1..]) {
        args.push((*key).into());
        args.push((*value).into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::net_snmp_v3;

    #[test]
    fn usm_users_become_net_snmp_options() {
        assert_eq!(
            net_snmp_v3("quireuser:SHA:authpass123:AES:privpass123").join(" "),
            "-v3 -l authPriv -u quireuser -a SHA -A authpass123 -x AES -X privpass123"
        );
        assert_eq!(
            net_snmp_v3("sha512:SHA-512:authpass123").join(" "),
            "-v3 -l authNoPriv -u sha512 -a SHA-512 -A authpass123"
        );
        assert_eq!(
            net_snmp_v3("plain").join(" "),
            "-v3 -l noAuthNoPriv -u plain"
        );
    }
}
