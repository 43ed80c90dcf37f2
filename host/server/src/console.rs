//! The web console, served at every address outside the API: `/assets/…` are the built
//! script and style sheet (their names carry their hash, so they may be kept a year), and
//! any other `GET` is the console's one page, whose script shows the page the path names
//! (`/devices/12` can be bookmarked). The console reads everything through the REST API,
//! so what a user sees in it is what the API's visibility lets them see.

use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::error::Failure;
use crate::openapi;

/// The console may run only its own script and talk only to this server.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'";

/// Answers what no route matched: the console for a browser's `GET`, the API's JSON 404
/// for everything else.
pub(crate) async fn fallback(method: Method, uri: Uri) -> Response {
    let path = uri.path();
    let readable = method == Method::GET || method == Method::HEAD;
    if !readable || path.starts_with("/api/") {
        return Failure::NotFound(format!(
            "no such endpoint; the API is described at {}",
            openapi::PATH
        ))
        .into_response();
    }
    if let Some(name) = path.strip_prefix("/assets/") {
        return match quire_console::asset(name) {
            Some((bytes, media)) => (
                [
                    (header::CONTENT_TYPE, media),
                    (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                ],
                bytes,
            )
                .into_response(),
            None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
        };
    }
    let mut page = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        quire_console::PAGE,
    )
        .into_response();
    page.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    page
}
