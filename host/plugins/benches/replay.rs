//! Replay of every recorded printer, per device: the printer-mib strategy as a
//! sandboxed WASM component through the host, beside the same strategy code
//! compiled natively (the SDK's replay harness over the same recording), and
//! the cost of instantiating a component and calling it once.
//!
//! Run with `cargo bench -p quire-plugins --bench replay`. It prints a table;
//! the README quotes it. Each figure is the median of twenty batches' mean
//! times after a warm-up, the native and sandboxed batches taking turns.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use quire_model::{Cycle, ErrorInput, ErrorState};
use quire_plugins::{Host, HostConfig};
use quire_plugins_sdk::harness::{Recorded, replay};
use quire_snmp::Recording;
use quire_strategy_printer_mib::PrinterMib;
use quire_transport::{DeviceTransport, ReplayTransport};

/// How long each side of a figure is measured for.
const BUDGET: Duration = Duration::from_millis(300);
/// How many batches each side's budget is cut into. The two sides' batches
/// take turns, so a spell in which the machine runs slower (other tenants,
/// frequency changes) slows both alike instead of whichever was measured
/// then; each side's figure is the median of its batches.
const BATCHES: u32 = 20;

fn recordings() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/recorded");
    let mut files = Vec::new();
    for set in std::fs::read_dir(root).unwrap() {
        for entry in std::fs::read_dir(set.unwrap().path()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "snmprec") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Time per call of `a` and of `b`, measured in alternating batches of
/// [`BUDGET`] / [`BATCHES`] each after a warm-up: the median of each side's
/// batch means.
async fn side_by_side<A, FutA, B, FutB>(mut a: A, mut b: B) -> (Duration, Duration)
where
    A: FnMut() -> FutA,
    FutA: std::future::Future<Output = ()>,
    B: FnMut() -> FutB,
    FutB: std::future::Future<Output = ()>,
{
    for _ in 0..3 {
        a().await;
        b().await;
    }
    let (mut a_batches, mut b_batches) = (Vec::new(), Vec::new());
    for _ in 0..BATCHES {
        a_batches.push(batch(&mut a).await);
        b_batches.push(batch(&mut b).await);
    }
    (median(a_batches), median(b_batches))
}

/// Mean time per call of `f` over one batch.
async fn batch<F, Fut>(f: &mut F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < BUDGET / BATCHES {
        f().await;
        n += 1;
    }
    start.elapsed() / n
}

fn median(mut batches: Vec<Duration>) -> Duration {
    batches.sort();
    batches[batches.len() / 2]
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
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

        println!("replay of one device, meters & supplies + alerts (discovery cycle), printer-mib");
        println!(
            "{:<28} {:>8} {:>12} {:>12} {:>7}",
            "recording", "varbinds", "native µs", "wasm µs", "ratio"
        );
        let (mut native_total, mut wasm_total) = (0.0, 0.0);
        let mut ratios = Vec::new();
        for file in recordings() {
            let recording = Arc::new(Recording::load_lenient(&file).unwrap().recording);
            let recorded = Recorded::load(&file).unwrap();
            let transport: Arc<dyn DeviceTransport> =
                Arc::new(ReplayTransport::new(recording.clone()));
            let (native, wasm) = side_by_side(
                || {
                    let recorded = &recorded;
                    async move {
                        replay::<PrinterMib>(recorded, quire_plugins_sdk::Cycle::Discovery)
                            .unwrap();
                    }
                },
                || {
                    let transport = transport.clone();
                    let plugin = &plugin;
                    async move {
                        plugin.collect(transport, Cycle::Discovery).await.unwrap();
                    }
                },
            )
            .await;
            let (n, w) = (micros(native), micros(wasm));
            native_total += n;
            wasm_total += w;
            ratios.push(w / n);
            println!(
                "{:<28} {:>8} {:>12.1} {:>12.1} {:>6.2}x",
                file.file_stem().unwrap().to_string_lossy(),
                recording.len(),
                n,
                w,
                w / n
            );
        }
        let geo = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
        println!(
            "{:<28} {:>8} {:>12.1} {:>12.1} {:>6.2}x   (geometric mean of ratios {:.2}x)",
            "all devices",
            "",
            native_total,
            wasm_total,
            wasm_total / native_total,
            geo
        );

        let input = ErrorInput::State(ErrorState::Jammed);
        let (call, native_call) = side_by_side(
            || async {
                plugin.map_error(&input).await.unwrap();
            },
            || async {
                std::hint::black_box(quire_plugins_sdk::standard_assessment(
                    &quire_plugins_sdk::ErrorInput::State(quire_plugins_sdk::ErrorState::Jammed),
                ));
            },
        )
        .await;
        println!(
            "\ninstantiate + call (map-error, no device): wasm {:.1} µs, native {:.3} µs",
            micros(call),
            micros(native_call)
        );
    });
}
