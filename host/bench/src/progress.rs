//! A benchmark's long steps (a fleet polled, a /16 swept, readings posted) shown as a bar
//! on standard error, so the person running it sees how far it is. Only on a terminal:
//! redirected, standard error gets nothing extra, and the figures on standard output
//! never change.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressFinish, ProgressStyle};

/// How often the bar is redrawn when nothing moves (its clock keeps going).
const TICK: Duration = Duration::from_millis(200);

/// A bar of `total` steps labelled `prefix`, cleared from the screen when dropped; a
/// hidden one when standard error is no terminal. A line for standard error while it is
/// shown goes through [`ProgressBar::suspend`], so it is not written over the bar.
pub fn bar(prefix: &str, total: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style =
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}")
            .expect("the progress template is valid")
            .progress_chars("=> ");
    let bar = ProgressBar::new(total)
        .with_style(style)
        .with_prefix(prefix.to_owned())
        .with_finish(ProgressFinish::AndClear);
    bar.enable_steady_tick(TICK);
    bar
}
