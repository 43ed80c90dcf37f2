//! What the agent tells its operator in the log, beside the counts of each cycle: where it
//! looks, when it runs next, and why a scan may have found nothing. An agent installed at
//! a customer's runs unattended for months; these lines are how its operator tells "the
//! network is quiet" from "the agent looks in the wrong place".

use chrono::Utc;
use quire_model::Cycle;
use quire_protocol::{AgentConfig, SiteConfig};
use quire_schedule::Timestamp;

/// Ranges named one by one in a line; a longer list (a CSV upload of a whole estate)
/// is summarised after these.
const RANGES_SHOWN: usize = 8;

/// Logs, for each site, the ranges discovery scans, the SNMP port and how many
/// credentials it tries; a site with nothing to scan is a warning.
pub(super) fn scope(config: &AgentConfig, snmp_port: u16) {
    let credentials = config.credentials.len();
    for site in &config.sites {
        let name = &site.name;
        if site.ranges.is_empty() {
            if site.ipp_printers.is_empty() {
                tracing::warn!(
                    "site {} {name:?} has no ranges: discovery has nothing to scan until the server lists some",
                    site.id
                );
            }
            continue;
        }
        tracing::info!(
            "site {} {name:?}: discovery scans {} on SNMP UDP port {snmp_port} with {}",
            site.id,
            ranges(site, None),
            plural(credentials, "credential")
        );
    }
    if config.sites.is_empty() {
        tracing::warn!("the server lists no site for this agent: nothing to scan");
    }
    if credentials == 0 && !config.sites.is_empty() {
        tracing::warn!(
            "the server lists no SNMP credentials for this account: no device can be asked"
        );
    }
}

/// Logs why a discovery that probed addresses found no printing device, naming the
/// ranges and the port it probed and the flag that changes the port.
pub(super) fn nothing_found(
    site: &SiteConfig,
    part: Option<&str>,
    snmp_port: u16,
    credentials: usize,
    addresses: usize,
) {
    tracing::warn!(
        site = site.id,
        part = part.unwrap_or("-"),
        "discovery found no printing device among {} ({}) on SNMP UDP port {snmp_port} \
         with {}; check the ranges and credentials, and if the printers answer SNMP on \
         another port, run the agent with `--snmp-port N`",
        plural(addresses, "address"),
        ranges(site, Some(part)),
        plural(credentials, "credential")
    );
}

/// Logs when the next cycle is due.
pub(super) fn next_cycle(site: &SiteConfig, part: Option<&str>, cycle: Cycle, at: Timestamp) {
    tracing::info!(
        site = site.id,
        part = part.unwrap_or("-"),
        "next {} cycle at {}",
        cycle_name(cycle),
        when(at, Utc::now())
    );
}

/// The vocabulary's name of a cycle.
pub(super) fn cycle_name(cycle: Cycle) -> &'static str {
    match cycle {
        Cycle::Discovery => "discovery",
        Cycle::MetersAndSupplies => "meters & supplies",
        Cycle::Alerts => "alerts",
    }
}

/// `10:15:00 UTC (in 14m)`, with the date when it is not within a day.
pub(super) fn when(at: Timestamp, now: Timestamp) -> String {
    let wait = (at - now).num_seconds().max(0);
    let clock = if wait < 24 * 3600 {
        at.format("%H:%M:%S UTC")
    } else {
        at.format("%Y-%m-%d %H:%M:%S UTC")
    };
    let (days, hours, minutes) = (wait / 86_400, wait / 3600 % 24, wait / 60 % 60);
    let wait = match (days, hours, minutes) {
        (0, 0, 0) => format!("{wait}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    };
    format!("{clock} (in {wait})")
}

/// A site's ranges as written (on `part` only, when given), each with its part.
fn ranges(site: &SiteConfig, part: Option<Option<&str>>) -> String {
    let chosen: Vec<String> = site
        .ranges
        .iter()
        .filter(|r| part.is_none_or(|part| r.part.as_deref() == part))
        .map(|r| match &r.part {
            Some(part) => format!("{} (part {part})", r.range),
            None => r.range.to_string(),
        })
        .collect();
    let mut text = chosen
        .iter()
        .take(RANGES_SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if chosen.len() > RANGES_SHOWN {
        text.push_str(&format!(" and {} more", chosen.len() - RANGES_SHOWN));
    }
    text
}

/// `1 credential`, `2 credentials`, `1 address`, `0 addresses`.
fn plural(n: usize, word: &str) -> String {
    let ending = match (n, word.ends_with('s')) {
        (1, _) => "",
        (_, true) => "es",
        (_, false) => "s",
    };
    format!("{n} {word}{ending}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn when_says_the_clock_and_the_wait() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 40).unwrap();
        let at = |h, m, s| Utc.with_ymd_and_hms(2026, 12, 5, h, m, s).unwrap();
        assert_eq!(when(at(10, 1, 0), now), "10:01:00 UTC (in 20s)");
        assert_eq!(when(at(10, 15, 0), now), "10:15:00 UTC (in 14m)");
        assert_eq!(when(at(12, 30, 0), now), "12:30:00 UTC (in 2h 29m)");
        let later = Utc.with_ymd_and_hms(2026, 12, 7, 2, 0, 0).unwrap();
        assert_eq!(when(later, now), "2026-12-07 02:00:00 UTC (in 1d 15h)");
        assert_eq!(when(at(9, 0, 0), now), "09:00:00 UTC (in 0s)");
    }

    #[test]
    fn plurals_read_as_english() {
        assert_eq!(plural(1, "credential"), "1 credential");
        assert_eq!(plural(0, "credential"), "0 credentials");
        assert_eq!(plural(40, "address"), "40 addresses");
        assert_eq!(plural(1, "address"), "1 address");
    }
}
