//! Reads one recording through the sandboxed printer-mib strategy over and over,
//! for a profiler: `perf record --call-graph dwarf` of this loop shows where a
//! sandboxed read's time goes without the native half of the replay benchmark
//! in the profile. `map-error` instead of a recording profiles instantiating and
//! making one call that touches no device; `native` after the count reads the
//! recording with the same strategy compiled natively, through the SDK's
//! harness, as the benchmark does. Besides the wall time it prints the time the
//! thread spent on a CPU (Linux's `/proc/thread-self/schedstat`), which other
//! work on a busy machine does not inflate.
//!
//! `cargo run --release -p quire-plugins --example read_loop -- fixtures/recorded/librenms/sharp.snmprec 10000`

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use quire_model::{Cycle, ErrorInput, ErrorState};
use quire_plugins::{Host, HostConfig};
use quire_plugins_sdk::harness::{Recorded, replay};
use quire_snmp::Recording;
use quire_strategy_printer_mib::PrinterMib;
use quire_transport::{DeviceTransport, ReplayTransport};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(what), Some(reads)) = (args.next(), args.next().and_then(|n| n.parse::<u32>().ok()))
    else {
        eprintln!("usage: read_loop <recording.snmprec | map-error> <reads> [native]");
        std::process::exit(2);
    };
    if args.next().as_deref() == Some("native") {
        let recorded = Recorded::load(Path::new(&what)).unwrap();
        let read = || replay::<PrinterMib>(&recorded, quire_plugins_sdk::Cycle::Discovery);
        read().unwrap();
        let clocks = Clocks::start();
        for _ in 0..reads {
            read().unwrap();
        }
        clocks.report(reads);
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let host = Host::new(HostConfig::default()).unwrap();
        let plugin = quire_builtin::registry(&host)
            .await
            .unwrap()
            .get("printer-mib")
            .expect("printer-mib is built in");
        let device: Option<Arc<dyn DeviceTransport>> = (what != "map-error").then(|| {
            let recording = Recording::load_lenient(Path::new(&what)).unwrap().recording;
            Arc::new(ReplayTransport::new(Arc::new(recording))) as Arc<dyn DeviceTransport>
        });
        let input = ErrorInput::State(ErrorState::Jammed);
        let read = || async {
            match &device {
                Some(device) => plugin
                    .collect(device.clone(), Cycle::Discovery)
                    .await
                    .map(drop),
                None => plugin.map_error(&input).await.map(drop),
            }
        };
        read().await.unwrap();
        let clocks = Clocks::start();
        for _ in 0..reads {
            read().await.unwrap();
        }
        clocks.report(reads);
    });
}

/// The wall clock and this thread's time on a CPU, from the start of the reads.
struct Clocks {
    wall: Instant,
    on_cpu_ns: u64,
}

impl Clocks {
    fn start() -> Clocks {
        Clocks {
            wall: Instant::now(),
            on_cpu_ns: on_cpu_ns(),
        }
    }

    fn report(&self, reads: u32) {
        let per_read = |total: f64| total / f64::from(reads);
        println!(
            "{:.1} µs per read, {:.1} µs of it on a CPU",
            per_read(self.wall.elapsed().as_secs_f64() * 1e6),
            per_read((on_cpu_ns() - self.on_cpu_ns) as f64 / 1e3),
        );
    }
}

/// Nanoseconds this thread has run on a CPU, the first field of its schedstat.
fn on_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .expect("/proc/thread-self/schedstat (Linux) gives the time on a CPU")
}
