//! The OpenAPI 3 document, hand-written beside the routes (`openapi.json`); a test
//! fails when a route is served that it does not list, or it lists one not served.

use axum::http::header;
use axum::response::IntoResponse;

/// Where the document is served.
pub(crate) const PATH: &str = "/api/v1/openapi.json";

/// The document's text.
pub const OPENAPI: &str = include_str!("openapi.json");

/// `GET /api/v1/openapi.json`.
pub(crate) async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
