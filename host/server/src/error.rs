//! The server's errors: [`Error`] for starting it, [`Failure`] for one API call, which
//! becomes a status and a JSON [`ApiError`] naming the offending field.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quire_protocol::ApiError;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file in the data directory or a configured certificate could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The reason.
        #[source]
        source: std::io::Error,
    },
    /// The server's own configuration is not usable.
    #[error("configuration: {0}")]
    Config(String),
    /// The certificate or key is not usable.
    #[error("TLS: {0}")]
    Tls(String),
    /// The database refused.
    #[error(transparent)]
    Store(#[from] quire_store::Error),
    /// A tool was pointed at a data directory where no server has run.
    #[error(
        "{dir}: no Quire server has run here (it holds no quire.db); give the --data \
         that `quire server` was started with"
    )]
    NoData {
        /// The directory as given.
        dir: String,
    },
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Listen {
        /// The address asked for.
        address: std::net::SocketAddr,
        /// The reason.
        #[source]
        source: std::io::Error,
    },
}

/// The server's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why one API call failed; each variant has its status.
#[derive(Debug)]
pub(crate) enum Failure {
    /// 400: the request is wrong, in this field.
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// 401: no valid credentials.
    Unauthorized(String),
    /// 403: valid credentials, but not allowed.
    Forbidden(String),
    /// 403: an enrollment key the server will not take; the field is `key`.
    KeyRefused(String),
    /// 404: absent, or not the caller's to see (the two are never told apart).
    NotFound(String),
    /// 409: conflicts with what is stored.
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// 500: the server's own fault; logged, and the caller gets no internals.
    Internal(String),
}

impl Failure {
    /// A 400 naming `field`.
    pub(crate) fn invalid(field: &str, message: impl Into<String>) -> Failure {
        Failure::Invalid {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }
}

impl From<quire_store::Error> for Failure {
    fn from(error: quire_store::Error) -> Failure {
        match error {
            quire_store::Error::NotFound { what } => Failure::NotFound(format!("{what} not found")),
            quire_store::Error::Invalid { field, message } => Failure::Conflict {
                field: Some(field),
                message,
            },
            conflict if conflict.is_conflict() => Failure::Conflict {
                field: None,
                message: format!(
                    "a concurrent request wrote the same rows; send it again ({conflict})"
                ),
            },
            other => Failure::Internal(other.to_string()),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, field, message) = match self {
            Failure::Invalid { field, message } => (StatusCode::BAD_REQUEST, field, message),
            Failure::Unauthorized(message) => (StatusCode::UNAUTHORIZED, None, message),
            Failure::Forbidden(message) => (StatusCode::FORBIDDEN, None, message),
            Failure::KeyRefused(message) => {
                (StatusCode::FORBIDDEN, Some("key".to_owned()), message)
            }
            Failure::NotFound(message) => (StatusCode::NOT_FOUND, None, message),
            Failure::Conflict { field, message } => (StatusCode::CONFLICT, field, message),
            Failure::Internal(message) => {
                tracing::error!(%message, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "the server failed; the administrator finds the reason in its log".to_owned(),
                )
            }
        };
        (status, Json(ApiError { message, field })).into_response()
    }
}

/// The result of a handler.
pub(crate) type ApiResult<T> = std::result::Result<T, Failure>;

/// Parses a JSON body, naming the field serde complained about.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| json_failure(&e, None))
}

/// A JSON array body, element by element: `element` is given each value with the name
/// of its place (`ranges[3]`, or `[3]` when `list` is empty), so that the error of a
/// bad element says which one it is.
pub(crate) fn parse_json_list<T>(
    body: &[u8],
    list: &str,
    mut element: impl FnMut(serde_json::Value, &str) -> ApiResult<T>,
) -> ApiResult<Vec<T>> {
    let values: Vec<serde_json::Value> = parse_json(body)?;
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| element(value, &format!("{list}[{index}]")))
        .collect()
}

/// A serde error as a 400: the field is the one named in backquotes when serde names one,
/// under `prefix` (`items[3]`) when the value was part of a larger body.
pub(crate) fn json_failure(error: &serde_json::Error, prefix: Option<&str>) -> Failure {
    let message = error.to_string();
    let named = message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("field `"))
        .map(str::to_owned);
    let field = match (prefix, named) {
        (Some(prefix), Some(name)) => Some(format!("{prefix}.{name}")),
        (Some(prefix), None) => Some(prefix.to_owned()),
        (None, named) => named,
    };
    Failure::Invalid { field, message }
}
