//! Standard output and standard error as Unix tools use them: when the reader goes away
//! (`quire replay fixtures/recorded | head -2`), the command ends quietly with success.
//!
//! Every line for standard output goes through [`out`] (the `outln!` and `out!` macros),
//! which turns a closed pipe into the error [`StdoutClosed`]; `main` answers it with exit
//! code 0 and no message, after the command has unwound like any other error. Any other
//! failure to write (a full disk) is an error that says so. Standard error is the last
//! resort: [`err`] (the `note!` macro) and the log drop what cannot be written, as there
//! is nowhere left to say so. `println!` and `eprintln!` would panic instead.
//!
//! Why not reset SIGPIPE to its default at start, as C programs have it: this binary is
//! also the server and the agent, whose sockets would then kill the whole process
//! whenever a peer hangs up in the middle of a write (Rust ignores SIGPIPE for exactly
//! that reason), and a process killed by a signal does not exit 0. It would not cover the
//! log either, whose writer runs on any thread.

use std::fmt;
use std::io::{self, Write as _};

/// Standard output was closed by its reader; not a failure of the command.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct StdoutClosed;

/// Writes to standard output now (not when a buffer fills), so a closed pipe is noticed
/// by the line that met it.
pub fn out(text: fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout.write_fmt(text).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}

/// Writes to standard error, dropping what cannot be written; a progress bar on screen
/// is redrawn under the text rather than written over.
pub fn err(text: fmt::Arguments<'_>) {
    crate::progress::suspend(|| {
        let _ = io::stderr().lock().write_fmt(text);
    });
}

/// `println!` for commands: a closed standard output returns [`StdoutClosed`] from the
/// enclosing function.
macro_rules! outln {
    () => {
        $crate::stdio::out(format_args!("\n"))?
    };
    ($($arg:tt)*) => {
        $crate::stdio::out(format_args!("{}\n", format_args!($($arg)*)))?
    };
}

/// `print!` for commands, as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::stdio::out(format_args!($($arg)*))?
    };
}

/// `eprintln!` that never panics.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::stdio::err(format_args!("{}\n", format_args!($($arg)*)))
    };
}
