//! Peak memory of this process, from Linux's `/proc`: each side of a benchmark
//! reports its own.

/// This process's peak resident set (VmHWM), in KiB.
pub fn own_peak_rss_kib() -> Option<u64> {
    own_status("VmHWM:")
}

/// A number from this process's `/proc/self/status` (`VmRSS:` in KiB, `Threads:`).
pub fn own_status(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Resets this process's peak resident set (Linux `clear_refs` 5), so each
/// side's peak is its own.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
