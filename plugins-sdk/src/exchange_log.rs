//! The exchange log (feature `exchange-log`): the NPAP and HTTP exchanges of a
//! recorded read, beside its recording (`printer.snmprec` +
//! `printer.exchanges.jsonl`), one JSON object per line, readable and diffable:
//!
//! ```text
//! {"kind":"http","method":"GET","tls":false,"port":null,"path":"/counters","status":200,"headers":[["content-type","text/plain"]],"body_b64":"dG90YWw9MTIzNAo="}
//! {"kind":"npap","port":"udp9300","request_hex":"53455249414c3f","response_hex":"5a5a3132333435"}
//! ```
//!
//! A failed exchange keeps its failure (`"error":"timeout"`, or
//! `"error":{"unreachable":"…"}` in place of the answer), so replay fails the
//! same way. Request headers are not kept: they may carry the device's web
//! password, and replay matches on what identifies a request (kind, method,
//! TLS, port, path and body for HTTP; port and request bytes for NPAP),
//! answering with the first recorded answer to an identical request.
//!
//! Key decision: **one home for the format, in plain types.** The harness
//! replays logs and the host (`quire-transport`) writes and replays them; each
//! has its own request types (the WIT bindings here, the host's own there), so
//! the format is read into the plain types below, and each side converts them
//! to its own. Only serde_json and base64 come with it, so the published SDK
//! stays light.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

/// One exchange as it happened, its bytes decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exchange {
    /// An NPAP request and what came back.
    Npap {
        /// Which port.
        port: Port,
        /// The bytes the strategy sent.
        request: Vec<u8>,
        /// The answer or the failure.
        answer: Result<Vec<u8>, Failure>,
    },
    /// An HTTP request (headers left out) and what came back.
    Http {
        /// The request.
        request: Request,
        /// The answer or the failure.
        answer: Result<Response, Failure>,
    },
}

/// Lexmark NPAP's two ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Port {
    /// UDP 9300.
    Udp9300,
    /// TCP 9500.
    Tcp9500,
}

/// The HTTP methods a strategy may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// GET.
    #[serde(rename = "GET")]
    Get,
    /// POST.
    #[serde(rename = "POST")]
    Post,
}

/// An HTTP request as the log keeps it: everything that identifies it, no headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// GET or POST.
    pub method: Method,
    /// HTTPS when true.
    pub tls: bool,
    /// The port, when not the scheme's own.
    pub port: Option<u16>,
    /// Absolute path with query.
    pub path: String,
    /// Request body.
    pub body: Option<Vec<u8>>,
}

/// The device's HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// Response body.
    pub body: Vec<u8>,
}

/// How a recorded exchange failed, as the strategy saw it: WIT's
/// `transport-error` but `not-recorded`, which a recorder never keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The device did not answer in time.
    Timeout,
    /// The device could not be reached.
    Unreachable(String),
    /// The device answered with something malformed.
    Protocol(String),
    /// The host refused the request.
    Denied(String),
}

/// Reads a log: every exchange whose line parsed, and for each line that did not,
/// its number (1-based) and why, so one bad line loses only its own exchange.
pub fn parse(text: &str) -> (Vec<Exchange>, Vec<(usize, String)>) {
    let mut exchanges = Vec::new();
    let mut problems = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match Exchange::from_line(line) {
            Ok(exchange) => exchanges.push(exchange),
            Err(why) => problems.push((index + 1, why)),
        }
    }
    (exchanges, problems)
}

impl Exchange {
    /// The exchange one log line records, or why the line is not one.
    pub fn from_line(line: &str) -> Result<Exchange, String> {
        serde_json::from_str::<Line>(line)
            .map_err(|e| e.to_string())
            .and_then(Exchange::try_from)
    }

    /// The exchange as one log line, without its newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(&Line::from(self)).expect("log lines serialize")
    }
}

impl Request {
    /// What replay answers when nothing identical was recorded: the request,
    /// named as an operator would look for it in the log.
    pub fn not_recorded(&self) -> String {
        let scheme = if self.tls { "HTTPS" } else { "HTTP" };
        let port = self.port.map(|p| format!(" port {p}")).unwrap_or_default();
        let method = match self.method {
            Method::Get => "GET",
            Method::Post => "POST",
        };
        let body = self
            .body
            .as_ref()
            .map(|b| format!(" with a {}-byte body", b.len()))
            .unwrap_or_default();
        format!(
            "no {scheme}{port} exchange for {method} {}{body}",
            self.path
        )
    }
}

/// What replay answers when no NPAP request like this one was recorded.
pub fn npap_not_recorded(port: Port, request: &[u8]) -> String {
    let port = match port {
        Port::Udp9300 => "udp9300",
        Port::Tcp9500 => "tcp9500",
    };
    format!("no NPAP exchange on {port} with request {}", hex(request))
}

/// One line of the log, as written.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Http {
        method: Method,
        tls: bool,
        port: Option<u16>,
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        request_body_b64: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        headers: Option<Vec<(String, String)>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body_b64: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<Failure>,
    },
    Npap {
        port: Port,
        request_hex: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response_hex: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<Failure>,
    },
}

impl From<&Exchange> for Line {
    fn from(exchange: &Exchange) -> Self {
        match exchange {
            Exchange::Npap {
                port,
                request,
                answer,
            } => Line::Npap {
                port: *port,
                request_hex: hex(request),
                response_hex: answer.as_ref().ok().map(|a| hex(a)),
                error: answer.as_ref().err().cloned(),
            },
            Exchange::Http { request, answer } => {
                let response = answer.as_ref().ok();
                Line::Http {
                    method: request.method,
                    tls: request.tls,
                    port: request.port,
                    path: request.path.clone(),
                    request_body_b64: request.body.as_ref().map(|b| BASE64.encode(b)),
                    status: response.map(|r| r.status),
                    headers: response.map(|r| r.headers.clone()),
                    body_b64: response.map(|r| BASE64.encode(&r.body)),
                    error: answer.as_ref().err().cloned(),
                }
            }
        }
    }
}

impl TryFrom<Line> for Exchange {
    type Error = String;

    fn try_from(line: Line) -> Result<Self, String> {
        match line {
            Line::Npap {
                port,
                request_hex,
                response_hex,
                error,
            } => {
                let answer = match (response_hex, error) {
                    (Some(hex), None) => Ok(unhex("response_hex", &hex)?),
                    (None, Some(e)) => Err(e),
                    _ => {
                        return Err(
                            "an npap line needs exactly one of response_hex and error".into()
                        );
                    }
                };
                Ok(Exchange::Npap {
                    port,
                    request: unhex("request_hex", &request_hex)?,
                    answer,
                })
            }
            Line::Http {
                method,
                tls,
                port,
                path,
                request_body_b64,
                status,
                headers,
                body_b64,
                error,
            } => {
                let answer = match (status, error) {
                    (Some(status), None) => Ok(Response {
                        status,
                        headers: headers.unwrap_or_default(),
                        body: match body_b64 {
                            Some(b) => unbase64("body_b64", &b)?,
                            None => Vec::new(),
                        },
                    }),
                    (None, Some(e)) => Err(e),
                    _ => return Err("an http line needs exactly one of status and error".into()),
                };
                Ok(Exchange::Http {
                    request: Request {
                        method,
                        tls,
                        port,
                        path,
                        body: request_body_b64
                            .map(|b| unbase64("request_body_b64", &b))
                            .transpose()?,
                    },
                    answer,
                })
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(field: &str, text: &str) -> Result<Vec<u8>, String> {
    hex_bytes(text).map_err(|why| format!("{field} {why}"))
}

/// The bytes that hex digits stand for, or what is wrong with them, naming
/// the digits at fault (for the caller to say which value).
pub(crate) fn hex_bytes(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err("has an odd number of hex digits".into());
    }
    (0..text.len())
        .step_by(2)
        .map(|at| {
            let pair = text.get(at..at + 2);
            pair.and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| match pair {
                    Some(pair) => format!("is not hex: {pair:?}"),
                    None => "is not hex".into(),
                })
        })
        .collect()
}

fn unbase64(field: &str, text: &str) -> Result<Vec<u8>, String> {
    BASE64
        .decode(text)
        .map_err(|e| format!("{field} is not base64: {e}"))
}
