//! `quire-bench logins`: what a burst of concurrent logins costs the server's memory,
//! with the password checks bounded as `quire server` bounds them by default, beside
//! the same burst checked all at once, as before issue 18 (each argon2 check holds
//! about 19 MiB on a blocking thread, and glibc keeps what those threads freed).
//!
//! The server runs in this process on SQLite, on a runtime built as `quire server`
//! builds its own; the bounded side runs first, so the unbounded side's growth cannot
//! inflate it. Memory and threads are sampled from `/proc/self/status`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Args;
use quire_server::api::{LOGIN_PATH, Login};
use quire_server::client::Client;
use quire_server::{LoginLimits, Server};

use crate::memory;

/// The administrator's password in the benchmark's server.
const PASSWORD: &str = "bench-login-password";

/// `quire-bench logins`.
#[derive(Args)]
pub struct LoginsArgs {
    /// Logins sent at once, each on its own connection.
    #[arg(long, default_value_t = 64)]
    concurrent: usize,
    /// Bursts sent one after another.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
}

/// One side's figures.
struct Burst {
    ok: usize,
    busy: usize,
    other: usize,
    wall: Duration,
    before_rss_mib: f64,
    peak_rss_mib: f64,
    after_rss_mib: f64,
    peak_threads: u64,
}

pub async fn run(args: &LoginsArgs) -> anyhow::Result<()> {
    ensure!(
        args.concurrent >= 1 && args.rounds >= 1,
        "--concurrent and --rounds must be at least 1"
    );
    println!(
        "{} rounds of {} concurrent logins with the right password, server on SQLite in this process",
        args.rounds, args.concurrent
    );
    println!(
        "{:<44} {:>6} {:>6} {:>6} {:>8} {:>11} {:>13} {:>13} {:>8}",
        "password checks",
        "200",
        "503",
        "other",
        "wall s",
        "RSS MiB",
        "peak RSS MiB",
        "RSS after MiB",
        "threads"
    );
    let bounded = LoginLimits::default();
    let label = format!(
        "bounded: {} at once, {} waiting (default)",
        bounded.concurrent_checks, bounded.waiting_checks
    );
    print_row(&label, &burst(args, bounded.clone()).await?);
    let unbounded = LoginLimits {
        concurrent_checks: args.concurrent,
        waiting_checks: args.concurrent,
        ..bounded
    };
    print_row(
        "unbounded: all at once (before issue 18)",
        &burst(args, unbounded).await?,
    );
    Ok(())
}

fn print_row(label: &str, b: &Burst) {
    println!(
        "{:<44} {:>6} {:>6} {:>6} {:>8.1} {:>11.1} {:>13.1} {:>13.1} {:>8}",
        label,
        b.ok,
        b.busy,
        b.other,
        b.wall.as_secs_f64(),
        b.before_rss_mib,
        b.peak_rss_mib,
        b.after_rss_mib,
        b.peak_threads
    );
}

/// Starts a server with `limits`, sends the bursts, and reports what the process held.
async fn burst(args: &LoginsArgs, limits: LoginLimits) -> anyhow::Result<Burst> {
    let data = tempfile::tempdir()?;
    let mut server = Server::new(data.path().to_path_buf());
    server.listen = "127.73.0.1:0".parse()?;
    server.admin_password = Some(PASSWORD.into());
    server.logins = limits;
    // Every login comes from 127.0.0.1: the per-address connection cap is not what is measured.
    server.connections.per_address = server.connections.total;
    let running = server.start().await?;
    let client = running.client();

    let sampler = Sampler::start();
    let before_rss_mib = mib(memory::own_status("VmRSS:"));
    memory::reset_peak_rss();
    let started = Instant::now();
    let (mut ok, mut busy, mut other) = (0, 0, 0);
    for _ in 0..args.rounds {
        let mut logins = tokio::task::JoinSet::new();
        for _ in 0..args.concurrent {
            let client = client.clone();
            logins.spawn(async move { login(&client).await });
        }
        while let Some(status) = logins.join_next().await {
            match status?? {
                200 => ok += 1,
                503 => busy += 1,
                _ => other += 1,
            }
        }
    }
    let wall = started.elapsed();
    let peak_rss_mib = mib(memory::own_peak_rss_kib());
    // What the server keeps once the burst is over: glibc may hold freed arenas.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after_rss_mib = mib(memory::own_status("VmRSS:"));
    let peak_threads = sampler.stop();
    running.stop().await;
    Ok(Burst {
        ok,
        busy,
        other,
        wall,
        before_rss_mib,
        peak_rss_mib,
        after_rss_mib,
        peak_threads,
    })
}

fn mib(kib: Option<u64>) -> f64 {
    kib.unwrap_or(0) as f64 / 1024.0
}

/// One login on a connection of its own; the answer's status.
async fn login(client: &Client) -> anyhow::Result<u16> {
    let body = serde_json::to_vec(&Login {
        name: "admin".into(),
        password: PASSWORD.into(),
    })?;
    let answer = client
        .send(
            "POST".parse()?,
            LOGIN_PATH,
            None,
            Some(("application/json", body)),
        )
        .await?;
    Ok(answer.status)
}

/// A thread sampling the process's thread count, since a thread the runtime started
/// and let go again leaves no peak behind in `/proc`.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start() -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (stopping, peaking) = (stop.clone(), peak.clone());
        let thread = std::thread::spawn(move || {
            while !stopping.load(Ordering::Relaxed) {
                if let Some(threads) = memory::own_status("Threads:") {
                    peaking.fetch_max(threads, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Sampler { stop, peak, thread }
    }

    /// The most threads seen, the sampler's own included.
    fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.peak.load(Ordering::Relaxed)
    }
}
