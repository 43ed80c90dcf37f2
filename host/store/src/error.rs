//! The store's one error type.

/// What went wrong talking to the database, naming the URL, table or column.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The row asked for does not exist (or is not the caller's to see).
    #[error("{what} not found")]
    NotFound {
        /// What was looked up, with its id (`device 42`).
        what: String,
    },
    /// The URL names no backend this store speaks.
    #[error(
        "unsupported database URL `{url}`: expected `sqlite://PATH`, a file path, or `postgres://…`"
    )]
    UnsupportedUrl {
        /// The URL, password redacted.
        url: String,
    },
    /// Connecting or migrating failed.
    #[error("cannot open database `{url}`: {source}")]
    Open {
        /// The URL, password redacted.
        url: String,
        /// The driver's reason.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A query failed.
    #[error("{context}: {source}")]
    Query {
        /// What the store was doing (`inserting reading of device 7`).
        context: String,
        /// The driver's reason.
        #[source]
        source: sqlx::Error,
    },
    /// A value given to the store cannot be stored.
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// A stored value could not be turned back into a model type.
    #[error("column `{column}` holds `{value}`, which is not valid: {reason}")]
    Corrupt {
        /// `table.column`.
        column: &'static str,
        /// The stored value.
        value: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl Error {
    /// Whether a concurrent write of the same rows made this one fail (a unique key was
    /// taken meanwhile): sending the same request again succeeds or finds them filed.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Query { source: sqlx::Error::Database(db), .. } if db.is_unique_violation())
    }
}

/// The store's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds what the store was doing to a driver error.
pub(crate) trait Context<T> {
    /// Wraps the error with `context`, built only on failure.
    fn context(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, sqlx::Error> {
    fn context(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Query {
            context: context(),
            source,
        })
    }
}
