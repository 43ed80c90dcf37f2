//! What every benchmark reads from its command line.

use anyhow::Context as _;

/// The number after `--devices` (`cargo bench … -- --devices N`), or `default`.
pub fn devices(default: usize) -> anyhow::Result<usize> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--devices")
        .map(|i| {
            args.get(i + 1)
                .context("--devices takes a number")?
                .parse()
                .context("--devices takes a number")
        })
        .transpose()
        .map(|n| n.unwrap_or(default))
}
