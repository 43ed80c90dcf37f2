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
