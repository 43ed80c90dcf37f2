//! Decoding the recorded IPP answers (`fixtures/ipp/`): Quire's codec beside the
//! `ipp` crate's parser, the measured reason `codec.rs` gives for keeping its
//! own; then what each says about the same answer cut short.
//!
//! Run with `cargo bench -p quire-ipp --bench decode` (Linux). It prints a
//! table; the README quotes it. Times are this thread's CPU time
//! (`/proc/thread-self/schedstat`), and batches of each decoder alternate with
//! the fastest batch of each counting, so other work on a loaded machine costs
//! neither more than the other.

use std::hint::black_box;
use std::path::Path;

/// Calls per batch, and batches per decoder.
const BATCH: u32 = 500;
const BATCHES: u32 = 40;

fn ipp_crate(bytes: &[u8]) -> Result<ipp::model::StatusCode, String> {
    // The parser wants an owned `'static` reader, so the body is copied first, as a
    // caller holding a borrowed body would have to.
    let reader = ipp::reader::IppReader::new(std::io::Cursor::new(bytes.to_vec()));
    let message = ipp::parser::IppParser::new(reader)
        .parse()
        .map_err(|e| e.to_string())?;
    Ok(message.header().status_code())
}

/// The CPU time this thread has run, in nanoseconds.
fn cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    stat.split_whitespace().next().unwrap().parse().unwrap()
}

/// The fastest batch's CPU time per call, in µs.
fn fastest(bytes: &[u8], decode: impl Fn(&[u8]) -> bool) -> f64 {
    (0..BATCHES)
        .map(|_| {
            let start = cpu_ns();
            for _ in 0..BATCH {
                black_box(decode(black_box(bytes)));
            }
            (cpu_ns() - start) as f64 / f64::from(BATCH)
        })
        .fold(f64::MAX, f64::min)
        / 1e3
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ipp");
    println!("decoding one recorded Get-Printer-Attributes answer");
    println!(
        "{:<30} {:>6} {:>14} {:>14} {:>7}",
        "answer", "bytes", "quire-ipp µs", "ipp crate µs", "ratio"
    );
    for name in ["ippeveprinter-idle.ipp", "ippeveprinter-toner-low.ipp"] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert!(quire_ipp::decode(&bytes).unwrap().successful());
        assert!(ipp_crate(&bytes).unwrap().is_success());
        let (mut ours, mut theirs) = (f64::MAX, f64::MAX);
        for _ in 0..3 {
            ours = ours.min(fastest(&bytes, |b| quire_ipp::decode(b).is_ok()));
            theirs = theirs.min(fastest(&bytes, |b| ipp_crate(b).is_ok()));
        }
        println!(
            "{name:<30} {:>6} {ours:>14.1} {theirs:>14.1} {:>6.2}x",
            bytes.len(),
            theirs / ours
        );
    }
    println!();
    println!("the idle answer cut short: what each error says");
    let bytes = std::fs::read(dir.join("ippeveprinter-idle.ipp")).unwrap();
    for cut in [5, 3000, bytes.len() - 1] {
        let ours = quire_ipp::decode(&bytes[..cut]).unwrap_err();
        let theirs = ipp_crate(&bytes[..cut]).unwrap_err();
        println!("{cut:>5} bytes: quire-ipp: {ours}");
        println!("{:>5}        ipp crate: {theirs}", "");
    }
}
