//! The demo fleet at work: each simulated printer prints, and its page counters advance
//! between reads as an office printer's do, so the console's billing and the device
//! page's graph show pages rather than a fleet frozen at its recordings.
//!
//! Each printer has a volume of its own, log-uniform between 200 and 4,000 pages a day
//! (a workgroup printer to a busy departmental copier), printed as jobs of 1 to 20 pages
//! (most of them short: 7 pages on average) that arrive at random, around the clock.
//! A job advances the `prtMarkerLifeCount` of every marker of the printer that counts
//! pages (impressions or sheets, or no unit said), as a tandem colour engine counts the
//! same pages on each marker. Counters kept in a maker's own MIB stay as recorded, so
//! a printer whose strategy takes its total from there shows no pages.
//!
//! The generator is `rand`'s Xoshiro256++ seeded per printer, so two demos print alike.

use std::sync::Arc;
use std::time::Duration;

use quire_snmp::responder::Fleet;
use quire_snmp::{Oid, Recording, Value};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use tokio::task::JoinHandle;

/// `prtMarkerCounterUnit`: what a marker's life count counts.
const COUNTER_UNIT: &str = "1.3.6.1.2.1.43.10.2.1.3";

/// `prtMarkerLifeCount`: the marker's pages over its life.
const LIFE_COUNT: &str = "1.3.6.1.2.1.43.10.2.1.4";

/// `prtMarkerCounterUnit` values that are pages: impressions (7) and sheets (8).
const PAGE_UNITS: [i64; 2] = [7, 8];

/// The quietest and the busiest printer's pages a day.
const PAGES_A_DAY: (f64, f64) = (200.0, 4_000.0);

/// The longest job, in pages.
const LONGEST_JOB: f64 = 20.0;

/// The mean job: 1 + 19·E[u²] = 1 + 19/3 pages, for u uniform in [0, 1).
const MEAN_JOB: f64 = 1.0 + (LONGEST_JOB - 1.0) / 3.0;

/// How often the printers' counters are brought up to date.
const TICK: Duration = Duration::from_secs(5);

/// One printer: its page counters as they stand, and how busy it is.
struct Printer {
    counters: Vec<(Oid, Value)>,
    jobs_per_second: f64,
    rng: Xoshiro256PlusPlus,
}

impl Printer {
    /// The pages of the jobs that arrived in `seconds`: Poisson arrivals, each job's
    /// length drawn on its own.
    fn print(&mut self, seconds: f64) -> u64 {
        // Knuth's method: the expected count per tick is well under one.
        let limit = (-self.jobs_per_second * seconds).exp();
        let mut product: f64 = self.rng.random();
        let mut pages = 0;
        while product > limit {
            let u: f64 = self.rng.random();
            pages += 1 + (u * u * (LONGEST_JOB - 1.0)).round() as u64;
            product *= self.rng.random::<f64>();
        }
        pages
    }
}

/// The printers of a fleet, in the fleet's device order.
pub struct Printing {
    printers: Vec<Printer>,
}

impl Printing {
    /// The printers of `recordings`, served in this order as the fleet's devices.
    pub fn new(recordings: &[Recording]) -> Printing {
        let unit: Oid = COUNTER_UNIT.parse().expect("a valid OID");
        let life: Oid = LIFE_COUNT.parse().expect("a valid OID");
        let printers = recordings
            .iter()
            .enumerate()
            .map(|(device, recording)| {
                let counters = recording
                    .subtree(&life)
                    .filter(|(oid, value)| {
                        let index = &oid.arcs()[life.arcs().len()..];
                        let unit_oid = Oid::new([unit.arcs(), index].concat());
                        let pages = match recording.get(&unit_oid) {
                            Value::Integer(unit) => PAGE_UNITS.contains(&unit),
                            _ => true,
                        };
                        pages && advanced(value, 0).is_some()
                    })
                    .map(|(oid, value)| (oid.clone(), value.clone()))
                    .collect();
                let mut rng = Xoshiro256PlusPlus::seed_from_u64(device as u64);
                let (low, high) = PAGES_A_DAY;
                let pages_a_day = low * (high / low).powf(rng.random::<f64>());
                Printer {
                    counters,
                    jobs_per_second: pages_a_day / MEAN_JOB / 86_400.0,
                    rng,
                }
            })
            .collect();
        Printing { printers }
    }

    /// Prints on `fleet` until the returned task is aborted.
    pub fn start(mut self, fleet: Arc<Fleet>) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(TICK);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                for (device, printer) in self.printers.iter_mut().enumerate() {
                    let pages = printer.print(TICK.as_secs_f64());
                    if pages == 0 {
                        continue;
                    }
                    for (oid, value) in &mut printer.counters {
                        if let Some(next) = advanced(value, pages) {
                            *value = next.clone();
                            fleet.set(device, oid.clone(), next);
                        }
                    }
                }
            }
        })
    }
}

/// `value` counted on by `pages`, as the counter's own type wraps or stops; `None` for
/// a value that is no count.
fn advanced(value: &Value, pages: u64) -> Option<Value> {
    let pages32 = u32::try_from(pages).unwrap_or(u32::MAX);
    match value {
        Value::Counter32(v) => Some(Value::Counter32(v.wrapping_add(pages32))),
        Value::Counter64(v) => Some(Value::Counter64(v.wrapping_add(pages))),
        Value::Gauge32(v) => Some(Value::Gauge32(v.saturating_add(pages32))),
        Value::Integer(v) if *v >= 0 => Some(Value::Integer(v.saturating_add(pages as i64))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_of_printing_is_near_the_printers_volume() {
        let mut printer = Printer {
            counters: Vec::new(),
            jobs_per_second: 1_000.0 / MEAN_JOB / 86_400.0,
            rng: Xoshiro256PlusPlus::seed_from_u64(7),
        };
        let ticks = 86_400 / TICK.as_secs();
        let pages: u64 = (0..ticks).map(|_| printer.print(TICK.as_secs_f64())).sum();
        assert!((850..=1_150).contains(&pages), "{pages} pages in a day");
    }

    #[test]
    fn only_page_counters_advance() {
        let recording = Recording::parse_snmprec(
            "two markers",
            "1.3.6.1.2.1.43.10.2.1.3.1.1|2|7\n\
             1.3.6.1.2.1.43.10.2.1.3.1.2|2|3\n\
             1.3.6.1.2.1.43.10.2.1.4.1.1|65|7432\n\
             1.3.6.1.2.1.43.10.2.1.4.1.2|65|120\n",
        )
        .unwrap();
        let printing = Printing::new(&[recording]);
        let counted: Vec<String> = printing.printers[0]
            .counters
            .iter()
            .map(|(oid, _)| oid.to_string())
            .collect();
        assert_eq!(counted, ["1.3.6.1.2.1.43.10.2.1.4.1.1"]);
        assert_eq!(
            advanced(&Value::Counter32(u32::MAX), 2),
            Some(Value::Counter32(1))
        );
    }
}
