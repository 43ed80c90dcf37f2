//! Debian's Chromium, headless, driven through its WebDriver (`chromedriver`) as the
//! shared PEERS.md describes: one driver per test binary serves every test's session, each
//! session in a fresh profile of its own.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

/// Where Debian's `chromium` and `chromium-driver` packages put them.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Chromium's WebDriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A running `chromedriver` on a loopback port; stopped when dropped.
pub struct Driver {
    child: Child,
    address: SocketAddr,
    profiles: PathBuf,
}

impl Driver {
    /// Starts `chromedriver`, accepting only loopback callers, and waits until it serves.
    pub fn start() -> Driver {
        crate::require(CHROMIUM);
        crate::require(CHROMEDRIVER);
        let address = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap();
        let profiles = crate::scratch_dir("chromium", address);
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={}", address.port()))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let started = Instant::now();
        while std::net::TcpStream::connect(address).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{CHROMEDRIVER} did not listen on {address} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            address,
            profiles,
        }
    }

    /// A new headless browser window `width`×`height` in a profile of its own, trusting
    /// any certificate (the servers under test are on loopback with self-signed ones).
    pub async fn session(&self, name: &str, width: u32, height: u32) -> Client {
        let profile = self.profiles.join(name);
        std::fs::create_dir_all(&profile).unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--ignore-certificate-errors",
            &format!("--window-size={width},{height}"),
            &format!("--user-data-dir={}", profile.display()),
        ];
        let capabilities = json!({
            "browserName": "chrome",
            "acceptInsecureCerts": true,
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("an object")
        };
        ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://{}", self.address))
            .await
            .unwrap_or_else(|e| panic!("no Chromium session from {CHROMEDRIVER}: {e}"))
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profiles);
    }
}
