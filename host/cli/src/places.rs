//! Where Quire keeps things of its own when no flag says: the server's and the
//! agent's data under the platform's data directory (`~/.local/share/quire/` on
//! Linux, `$XDG_DATA_HOME` when set), and `quire admin`'s session under its
//! configuration directory (`~/.config/quire/`, `$XDG_CONFIG_HOME`), so that a
//! command run from a checkout never leaves a database or a token in it, and
//! the agent finds its enrollment again from whichever directory it is started in.
//! `etcetera` is the crate sqlx already brings for the same question.

use std::path::PathBuf;

use anyhow::Context;
use etcetera::BaseStrategy as _;

/// The default data directory of `part` (`server`, `agent`). Without a home
/// directory (a bare service account) it is `quire-PART` in the current directory.
pub fn default_data(part: &str) -> PathBuf {
    match etcetera::choose_base_strategy() {
        Ok(base) => base.data_dir().join("quire").join(part),
        Err(_) => PathBuf::from(format!("quire-{part}")),
    }
}

/// The file `name` in Quire's configuration directory.
pub fn config_file(name: &str) -> anyhow::Result<PathBuf> {
    let base = etcetera::choose_base_strategy()
        .context("cannot find this user's configuration directory (is HOME set?)")?;
    Ok(base.config_dir().join("quire").join(name))
}
