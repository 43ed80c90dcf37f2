//! Progress on standard error for the commands that take a while (a directory of
//! recordings replayed, `quire record` walking a device, discovery in
//! `quire agent run --once`), so a person at a terminal sees they are alive.
//!
//! Only on a terminal: with standard error redirected to a file, a pipe or a journal,
//! nothing is drawn and nothing is added to what a script reads. Standard output is never
//! touched; a command drops its bar, which clears it, before printing its results there.
//!
//! Whatever else goes to standard error while a bar is shown (the log, [`crate::stdio::err`])
//! is written through [`suspend`], which takes the bar off the screen for the line and draws
//! it again under it, so a log line never lands in the middle of a bar. One bar at a time:
//! the commands run their long steps one after the other.

use std::io::{self, IsTerminal as _};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// The bar on screen, which [`suspend`] hides for each line written to standard error.
static SHOWN: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// How often a bar is redrawn when nothing moves, so its clock and spinner show the
/// command is still working while it waits on a slow device.
const TICK: Duration = Duration::from_millis(200);

/// A bar of `total` items, counted through `what` (`"replay"`), with a message after it.
const COUNTED: &str = "{prefix} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}";

/// A count of unknown end: a spinner, what is counted so far and a message.
const OPEN_ENDED: &str = "{spinner} {prefix} {pos} {elapsed} {wide_msg}";

/// A progress bar on standard error while it lives, cleared from the screen when dropped
/// (an early return on an error included). Hidden when standard error is not a terminal,
/// where updating it costs next to nothing.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar of `total` steps, labelled `prefix`.
    pub fn counted(prefix: &str, total: u64) -> Progress {
        Progress::show(ProgressBar::new(total), COUNTED, prefix)
    }

    /// A spinner beside a count whose end is not known beforehand (the objects of a walk).
    pub fn open_ended(prefix: &str) -> Progress {
        Progress::show(ProgressBar::no_length(), OPEN_ENDED, prefix)
    }

    /// `bar` (which draws on standard error, as indicatif's bars do by default) styled and
    /// registered for [`suspend`]; a hidden one instead when standard error is no terminal.
    fn show(bar: ProgressBar, template: &str, prefix: &str) -> Progress {
        if !io::stderr().is_terminal() {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let style = ProgressStyle::with_template(template)
            .expect("the progress templates are valid")
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(prefix.to_owned());
        bar.enable_steady_tick(TICK);
        *SHOWN.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar.clone());
        Progress { bar }
    }
}

impl std::ops::Deref for Progress {
    type Target = ProgressBar;

    fn deref(&self) -> &ProgressBar {
        &self.bar
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        let mut shown = SHOWN.lock().unwrap_or_else(PoisonError::into_inner);
        if !self.bar.is_hidden() {
            *shown = None;
        }
        self.bar.finish_and_clear();
    }
}

/// Runs `f`, which writes to standard error, with the bar on screen (if any) taken away
/// while it writes and drawn again after.
pub fn suspend<R>(f: impl FnOnce() -> R) -> R {
    let shown = SHOWN.lock().unwrap_or_else(PoisonError::into_inner);
    match &*shown {
        Some(bar) => bar.suspend(f),
        None => f(),
    }
}

/// Standard error for the log: each line is written through [`suspend`].
pub struct Stderr;

impl io::Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        suspend(|| io::stderr().write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        suspend(|| io::stderr().write_all(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_are_valid() {
        for template in [COUNTED, OPEN_ENDED] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }
}
