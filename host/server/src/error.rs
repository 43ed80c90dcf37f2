//! The server's errors: [`Error`] for starting it, [`Failure`] for one API call, which
//! becomes a status and a JSON [`ApiError`] naming the offending field.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quire_protocol::ApiError;

use crate::log_text::untrusted;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

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
    /// 403 as [`Failure::Forbidden`], of what one field asks (a range only the dealer
    /// may list).
    ForbiddenIn { field: String, message: String },
    /// 403: an enrollment key the server will not take; the field is `key`.
    KeyRefused(String),
    /// 404: absent, or not the caller's to see (the two are never told apart).
    NotFound(String),
    /// 404 as [`Failure::NotFound`], of a row a body field names (a new account's parent).
    NotFoundIn { field: String, message: String },
    /// 409: conflicts with what is stored.
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// 429: too many failed attempts; try again after `retry_after`.
    TooManyRequests {
        retry_after: std::time::Duration,
        message: String,
    },
    /// 503: too busy right now; try again after `retry_after`.
    Unavailable {
        retry_after: std::time::Duration,
        message: String,
    },
    /// What axum refused before a handler ran (a body over the limit: 413), with its
    /// status.
    Rejected { status: StatusCode, message: String },
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

impl std::fmt::Display for Failure {
    /// The message, after the field it names: what an agent's log shows of a refused item.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Invalid {
                field: Some(field),
                message,
            }
            | Failure::Conflict {
                field: Some(field),
                message,
            }
            | Failure::NotFoundIn { field, message }
            | Failure::ForbiddenIn { field, message } => write!(f, "{field}: {message}"),
            Failure::Invalid { message, .. }
            | Failure::Conflict { message, .. }
            | Failure::Unauthorized(message)
            | Failure::Forbidden(message)
            | Failure::KeyRefused(message)
            | Failure::NotFound(message)
            | Failure::TooManyRequests { message, .. }
            | Failure::Unavailable { message, .. }
            | Failure::Rejected { message, .. }
            | Failure::Internal(message) => f.write_str(message),
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
            Failure::ForbiddenIn { field, message } => {
                (StatusCode::FORBIDDEN, Some(field), message)
            }
            Failure::KeyRefused(message) => {
                (StatusCode::FORBIDDEN, Some("key".to_owned()), message)
            }
            Failure::NotFound(message) => (StatusCode::NOT_FOUND, None, message),
            Failure::NotFoundIn { field, message } => (StatusCode::NOT_FOUND, Some(field), message),
            Failure::Conflict { field, message } => (StatusCode::CONFLICT, field, message),
            Failure::Rejected { status, message } => (status, Some("body".to_owned()), message),
            Failure::TooManyRequests {
                retry_after,
                message,
            } => return retry_later(StatusCode::TOO_MANY_REQUESTS, retry_after, message),
            Failure::Unavailable {
                retry_after,
                message,
            } => return retry_later(StatusCode::SERVICE_UNAVAILABLE, retry_after, message),
            Failure::Internal(message) => {
                tracing::error!(message = %untrusted(&message), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    None,
                    "the server failed; the administrator finds the reason in its log".to_owned(),
                )
            }
        };
        api_error(status, field, message)
    }
}

/// The API's JSON error: what every refusal answers, whichever layer refuses.
pub(crate) fn api_error(status: StatusCode, field: Option<String>, message: String) -> Response {
    (status, Json(ApiError { message, field })).into_response()
}

/// `status` with `Retry-After` in whole seconds, rounded up so a client that waits that
/// long is not refused again.
fn retry_later(status: StatusCode, after: std::time::Duration, message: String) -> Response {
    let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
    let mut response = api_error(status, None, message);
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(seconds.max(1)),
    );
    response
}

/// Largest plain-text refusal turned into JSON by [`json_errors`]; axum's and hyper's are
/// a line.
const MAX_REFUSAL_BYTES: usize = 64 * 1024;

/// Makes every refusal of an `/api/` path the API's JSON error, whichever layer wrote
/// it: axum's own (a path parameter that does not parse, a wrong method, a body over the
/// limit) answer plain text or nothing. Their headers stay, and axum adds `Allow` to a
/// 405 after this.
pub(crate) async fn json_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let api = path.starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !api || json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_REFUSAL_BYTES)
        .await
        .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_owned())
        .unwrap_or_default();
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        format!("{method} is not served at {path}; the `Allow` header lists what is")
    } else if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("refused")
            .to_lowercase()
    } else {
        text
    };
    let mut answer = api_error(status, None, message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

/// The result of a handler.
pub(crate) type ApiResult<T> = std::result::Result<T, Failure>;

/// A JSON request body of type `T`, refused (400) with the path of the first bad field
/// (`[0].auth-protocol`, `schedules.alerts.default.kind`) as [`parse_json`] names it.
pub(crate) struct Body<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Failure;

    async fn from_request(request: Request, state: &S) -> ApiResult<Body<T>> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| Failure::Rejected {
                status: rejection.status(),
                message: rejection.body_text(),
            })?;
        parse_json(&bytes, "").map(Body)
    }
}

/// Parses a JSON body whose errors name their field under `prefix` (`ranges` gives
/// `ranges[3].range`; empty, a body that is a list gives `[3].range`).
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8], prefix: &str) -> ApiResult<T> {
    let mut json = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut json)
        .map_err(|error| path_failure(&error, prefix))?;
    json.end().map_err(|error| Failure::Invalid {
        field: None,
        message: error.to_string(),
    })?;
    Ok(value)
}

/// `value` as a `T`, its errors named under `prefix` as [`parse_json`] names them.
pub(crate) fn from_value<T: DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> ApiResult<T> {
    from_deserializer(value, prefix)
}

/// A `T` from any serde format (a query string's pairs), its errors named under `prefix`
/// as [`parse_json`] names them.
pub(crate) fn from_deserializer<'de, T: DeserializeOwned, D: serde::Deserializer<'de>>(
    input: D,
    prefix: &str,
) -> ApiResult<T>
where
    D::Error: std::fmt::Display,
{
    serde_path_to_error::deserialize(input).map_err(|error| path_failure(&error, prefix))
}

/// A serde error at a path as a 400 naming the field: the path where serde stopped, and
/// then the field its message names when it is about one field of that object (unknown,
/// missing or refused), so `{"auth-proto": …}` in the first entry is `[0].auth-proto`.
fn path_failure<E: std::fmt::Display>(
    error: &serde_path_to_error::Error<E>,
    prefix: &str,
) -> Failure {
    let mut field = prefix.to_owned();
    for segment in error.path().iter() {
        match segment {
            Segment::Seq { index } => field.push_str(&format!("[{index}]")),
            Segment::Map { key } => push_field(&mut field, key),
            Segment::Enum { variant } => push_field(&mut field, variant),
            Segment::Unknown => {}
        }
    }
    let message = error.inner().to_string();
    if let Some(named) = named_field(&message)
        && !field.ends_with(named)
    {
        push_field(&mut field, named);
    }
    Failure::Invalid {
        field: (!field.is_empty()).then_some(field),
        message,
    }
}

fn push_field(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
}

/// The field serde's message is about: `unknown field `x``, `missing field `x``, or a
/// refusal written `field `x`: …`.
fn named_field(message: &str) -> Option<&str> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))
        .or_else(|| message.strip_prefix("field `"))?;
    rest.split('`').next()
}
