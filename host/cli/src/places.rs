//! Where the server and the agent keep their data when `--data` is not given: under the
//! platform's data directory (`~/.local/share/quire/` on Linux, `~/Library/Application
//! Support/quire/` on macOS, `%APPDATA%\quire\` on Windows), so that a command run from
//! a checkout never leaves a database in it, and the agent finds its enrollment again
//! from whichever directory it is started in.

use std::path::PathBuf;

/// The default data directory of `part` (`server`, `agent`). Without a home directory
/// (a bare service account) it is `quire-PART` in the current directory.
pub fn default_data(part: &str) -> PathBuf {
    match dirs::data_dir() {
        Some(dir) => dir.join("quire").join(part),
        None => PathBuf::from(format!("quire-{part}")),
    }
}
