use std::fmt;

/// A recording that cannot be read, with the place it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RecordingError {
    /// The file (or the name the caller gave the text).
    pub file: String,
    /// 1-based line, 0 when the error is not about one line (I/O).
    pub line: usize,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for RecordingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl RecordingError {
    /// An error at `line` (1-based) of `file`.
    pub(crate) fn at(file: &str, line: usize, message: impl Into<String>) -> Self {
        RecordingError {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }
}

/// Result with a [`RecordingError`].
pub type Result<T, E = RecordingError> = std::result::Result<T, E>;

/// A message that is not valid SNMP, with the byte offset where decoding
/// stopped, so a hex dump of the packet can be read against it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {message}")]
pub struct WireError {
    /// Offset from the start of the message.
    pub offset: usize,
    /// What is wrong there.
    pub message: String,
}

/// Why the fleet simulator cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ResponderError {
    /// There is nothing to serve.
    #[error("no recordings to serve")]
    NoRecordings,
    /// The simulator only serves loopback, so simulated printers never
    /// appear on a customer's network.
    #[error("{0} is not a loopback address (127.0.0.0/8)")]
    NotLoopback(std::net::Ipv4Addr),
    /// The device range runs past 127.255.255.255.
    #[error("{count} addresses from {base} run past the end of 127.0.0.0/8")]
    RangeOverflow {
        /// The first address.
        base: std::net::Ipv4Addr,
        /// How many were asked for.
        count: usize,
    },
    /// A socket could not be bound.
    #[error(
        "cannot listen on {addr}: {source} (each simulated address holds one socket: check `ulimit -n` for large fleets)"
    )]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The system's reason.
        source: std::io::Error,
    },
}
