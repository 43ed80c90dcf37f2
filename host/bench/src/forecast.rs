//! `quire-bench forecast`: supply forecasts replayed over simulated cartridges whose
//! true empty instants are known, Quire's method beside the naive line through the last
//! two readings (`quire_usage::simulate` says how the cartridges drain, the module doc of
//! `quire_usage::forecast` how the forecast works). Each cartridge is asked at the hour
//! its true level crosses 30 % and 10 %; the figures are the median absolute error in
//! days, how often the 80 % interval holds the true instant, and how often there was no
//! answer.

use std::collections::BTreeMap;

use clap::Args;
use quire_usage::simulate::{self, ASKED_AT_PERCENT, Forecaster, Outcome};
use quire_usage::{SupplyForecast, forecast};

/// `quire-bench forecast`.
#[derive(Args)]
pub struct ForecastArgs {
    /// Cartridges simulated.
    #[arg(long, default_value_t = 500)]
    cartridges: usize,
    /// The simulation's seed; the same seed prints the same table.
    #[arg(long, default_value_t = 15)]
    seed: u64,
}

pub fn run(args: &ForecastArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.cartridges >= 1, "--cartridges must be at least 1");
    let fleet = simulate::fleet(args.seed, args.cartridges);
    let steps = |step: u8| fleet.iter().filter(|c| c.step_percent == step).count();
    println!(
        "{} simulated cartridges (seed {}): {} read in whole percent, {} in 5 % steps, {} in 10 % steps",
        fleet.len(),
        args.seed,
        steps(1),
        steps(5),
        steps(10)
    );
    println!(
        "{:<26} | {:^38} | {:^38}",
        "",
        format!("asked at {} % left", ASKED_AT_PERCENT[0]),
        format!("asked at {} % left", ASKED_AT_PERCENT[1])
    );
    println!(
        "{:<26} | {:>8} {:>12} {:>16} | {:>8} {:>12} {:>16}",
        "forecaster",
        "answered",
        "median error",
        "80 % holds (*)",
        "answered",
        "median error",
        "80 % holds (*)"
    );
    for score in simulate::replay(&fleet) {
        let [at_30, at_10] = score.at.map(|o| columns(&o));
        println!("{:<26} | {at_30} | {at_10}", score.forecaster.name());
    }
    println!(
        "(*) share of intervals holding the true date, overall (and where neither the \
         holiday nor the bulk job falls between the question and the true date)"
    );
    for (which, percent) in ASKED_AT_PERCENT.iter().enumerate() {
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for cartridge in &fleet {
            let now = cartridge.crossed_at[which];
            let known = cartridge.levels.partition_point(|s| s.taken_at <= now);
            if let SupplyForecast::Refusal(refusal) =
                forecast(&cartridge.levels[..known], Some(&cartridge.pages), now)
            {
                let kind = serde_json::to_value(&refusal.reason)?["kind"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned();
                *reasons.entry(kind).or_default() += 1;
            }
        }
        let listed: Vec<String> = reasons.iter().map(|(k, n)| format!("{k} {n}")).collect();
        println!(
            "{} refusals at {percent} %: {}",
            Forecaster::Quire.name(),
            if listed.is_empty() {
                "none".to_owned()
            } else {
                listed.join(", ")
            }
        );
    }
    Ok(())
}

fn columns(outcome: &Outcome) -> String {
    let answered = format!("{}/{}", outcome.asked - outcome.refused, outcome.asked);
    let error = outcome
        .median_error_days
        .map_or("-".to_owned(), |d| format!("{d:.2} d"));
    let holds = match (outcome.coverage, outcome.coverage_nothing_unforeseen) {
        (Some(all), Some(foreseen)) => format!("{:.0} % ({:.0} %)", all * 100.0, foreseen * 100.0),
        _ => "-".to_owned(),
    };
    format!("{answered:>8} {error:>12} {holds:>16}")
}
