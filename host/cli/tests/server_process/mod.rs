//! `quire server` as its own process, started as an operator starts it, and what it
//! prints on start.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use quire_server::client::Client;
use serde_json::{Value, json};

/// A `quire server` process, killed when the test ends however it ends.
pub struct ServerProcess {
    pub child: Child,
    /// The `name value` lines it printed on start: `listening`, `certificate-sha256`,
    /// `main-dealer` and, on first start, `admin-password`.
    pub printed: HashMap<String, String>,
}

impl ServerProcess {
    /// `quire server --data DATA ARGS…`, once it has printed the line named `last`.
    #[allow(dead_code)] // Each test binary compiles this module; the log's test starts logging.
    pub fn start(data: &Path, args: &[&str], last: &str) -> ServerProcess {
        ServerProcess::spawn(Command::new(env!("CARGO_BIN_EXE_quire")), data, args, last)
    }

    /// As [`ServerProcess::start`], logging at `info` into the file `log`.
    #[allow(dead_code)] // Each test binary compiles this module; not all of them log.
    pub fn start_logging(data: &Path, args: &[&str], last: &str, log: &Path) -> ServerProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
        command
            .env("QUIRE_LOG", "info")
            .stderr(std::fs::File::create(log).unwrap());
        ServerProcess::spawn(command, data, args, last)
    }

    fn spawn(mut command: Command, data: &Path, args: &[&str], last: &str) -> ServerProcess {
        let mut child = command
            .args(["server", "--data"])
            .arg(data)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut printed = HashMap::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let (name, value) = line.split_once(' ').unwrap();
            printed.insert(name.to_owned(), value.to_owned());
            if name == last {
                break;
            }
        }
        // Keep reading, so the server never writes into a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        ServerProcess { child, printed }
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.printed["listening"]
            .trim_start_matches("https://")
            .parse()
            .unwrap()
    }

    /// The SHA-256 of its certificate, which clients pin.
    pub fn certificate_sha256(&self) -> &str {
        &self.printed["certificate-sha256"]
    }

    /// The account of the main dealer.
    pub fn main_dealer(&self) -> i64 {
        self.printed["main-dealer"].parse().unwrap()
    }

    /// A client pinned to this server, signed in as `admin` with `password`: the client
    /// and the session token.
    #[allow(dead_code)] // Each test binary compiles this module; not every one signs in.
    pub async fn sign_in_as_admin(&self, password: &str) -> (Client, String) {
        let client = Client::new(self.address(), self.certificate_sha256());
        let login: Value = client
            .json(
                "POST".parse().unwrap(),
                "/api/v1/login",
                None,
                Some(&json!({"name": "admin", "password": password})),
            )
            .await
            .unwrap();
        let token = login["token"].as_str().unwrap().to_owned();
        (client, token)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
