//! Why a schedule configuration was refused, naming the field so the API can point at it.

/// A `Result` whose error is a refused schedule configuration.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A schedule configuration that cannot be run. Each variant carries the dotted path of the
/// offending field (for example `meters-and-supplies.parts.floor-2.hours`), as the dealer wrote it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An hour outside the day.
    #[error("{field}: hour {hour} is not between 0 and 23")]
    HourOutOfRange {
        /// Where the hour was given.
        field: String,
        /// The hour given.
        hour: u8,
    },
    /// A weekly schedule on no day would never run; `disabled` says that on purpose.
    #[error("{field}: no days chosen; use `disabled` to turn the schedule off")]
    NoDays {
        /// The empty `days` field.
        field: String,
    },
    /// A weekly schedule at no hour would never run; `disabled` says that on purpose.
    #[error("{field}: no hours chosen; use `disabled` to turn the schedule off")]
    NoHours {
        /// The empty `hours` field.
        field: String,
    },
    /// An hourly interval that is not between once an hour and once a day.
    #[error("{field}: every {n} hours is not between 1 and 24")]
    IntervalOutOfRange {
        /// The `n` field.
        field: String,
        /// The interval given.
        n: u8,
    },
    /// A minute interval that does not split the hour evenly or is too short.
    #[error(
        "{field}: every {n} minutes must divide the hour and be at least {min} minutes",
        min = crate::MIN_LOCAL_MINUTES
    )]
    MinutesInvalid {
        /// The `n` field.
        field: String,
        /// The interval given.
        n: u8,
    },
    /// A minute interval on a network cycle, which may run at most hourly.
    #[error(
        "{field}: every {n} minutes is finer than hourly; only locally attached devices may run more often"
    )]
    TooFine {
        /// The schedule's `kind` field.
        field: String,
        /// The interval given.
        n: u8,
    },
    /// A time zone name the bundled IANA database does not know.
    #[error("{field}: {name:?} is not an IANA time zone (for example \"Europe/Berlin\")")]
    UnknownTimeZone {
        /// The `time-zone` field.
        field: String,
        /// The name given.
        name: String,
    },
}

impl Error {
    /// The dotted path of the offending field, for the API's error body.
    pub fn field(&self) -> &str {
        match self {
            Error::HourOutOfRange { field, .. }
            | Error::NoDays { field }
            | Error::NoHours { field }
            | Error::IntervalOutOfRange { field, .. }
            | Error::MinutesInvalid { field, .. }
            | Error::TooFine { field, .. }
            | Error::UnknownTimeZone { field, .. } => field,
        }
    }
}
