//! NPAP and HTTP answers from an exchange log (`*.exchanges.jsonl`, one JSON
//! object per exchange, the format README "quire replay" documents):
//!
//! ```text
//! {"kind":"http","method":"GET","tls":false,"port":null,"path":"/counters","status":200,"headers":[["content-type","text/plain"]],"body_b64":"dG90YWw9MTIzNAo="}
//! {"kind":"npap","port":"udp9300","request_hex":"53455249414c3f","response_hex":"5a5a3132333435"}
//! ```
//!
//! A request identical in kind, method, TLS, port, path and body (NPAP: port
//! and bytes) gets the first recorded answer, or the recorded failure
//! (`"error"` in place of the answer); anything else is `not-recorded`, naming
//! what was asked.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

use crate::{HttpMethod, HttpRequest, HttpResponse, NpapPort, TransportError};

/// The exchanges of one recorded read, in the order they were made.
pub(crate) struct Exchanges(Vec<Line>);

impl Exchanges {
    /// Reads a log as `quire replay` does: a line that does not parse costs
    /// only its exchange and is added to `problems` as `file:line: why`.
    pub(crate) fn parse(file: &str, text: &str, problems: &mut Vec<String>) -> Exchanges {
        let mut lines = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Line>(line)
                .map_err(|e| e.to_string())
                .and_then(Line::checked)
            {
                Ok(line) => lines.push(line),
                Err(why) => problems.push(format!("{file}:{}: {why}", index + 1)),
            }
        }
        Exchanges(lines)
    }

    /// The first recorded answer to this NPAP request.
    pub(crate) fn npap(&self, port: NpapPort, request: &[u8]) -> Result<Vec<u8>, TransportError> {
        let wanted = (port_name(port), hex(request));
        self.0
            .iter()
            .find_map(|line| match line {
                Line::Npap {
                    port,
                    request_hex,
                    response_hex,
                    error,
                } if port == wanted.0 && request_hex.eq_ignore_ascii_case(&wanted.1) => {
                    let response = response_hex.as_deref().unwrap_or_default();
                    Some(answer(error, || unhex("response_hex", response)))
                }
                _ => None,
            })
            .unwrap_or_else(|| {
                Err(TransportError::NotRecorded(format!(
                    "no NPAP exchange on {} with request {}",
                    wanted.0, wanted.1
                )))
            })
    }

    /// The first recorded answer to an identical HTTP request (headers aside:
    /// the log does not keep them, since they may carry the web password).
    pub(crate) fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let method = method_name(request.method);
        let body = request.body.as_deref().map(|b| BASE64.encode(b));
        self.0
            .iter()
            .find_map(|line| match line {
                Line::Http {
                    method: m,
                    tls,
                    port,
                    path,
                    request_body_b64,
                    status,
                    headers,
                    body_b64,
                    error,
                } if (
                    m.as_str(),
                    *tls,
                    *port,
                    path.as_str(),
                    request_body_b64.as_deref(),
                ) == (
                    method,
                    request.tls,
                    request.port,
                    request.path.as_str(),
                    body.as_deref(),
                ) =>
                {
                    Some(answer(error, || {
                        Ok(HttpResponse {
                            status: status.unwrap_or_default(),
                            headers: headers.clone().unwrap_or_default(),
                            body: unbase64("body_b64", body_b64.as_deref().unwrap_or_default())?,
                        })
                    }))
                }
                _ => None,
            })
            .unwrap_or_else(|| {
                let port = request
                    .port
                    .map(|p| format!(" port {p}"))
                    .unwrap_or_default();
                let scheme = if request.tls { "HTTPS" } else { "HTTP" };
                let body = request
                    .body
                    .as_ref()
                    .map(|b| format!(" with a {}-byte body", b.len()))
                    .unwrap_or_default();
                Err(TransportError::NotRecorded(format!(
                    "no {scheme}{port} exchange for {method} {}{body}",
                    request.path
                )))
            })
    }
}

/// One line of the log, as written.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Http {
        method: String,
        tls: bool,
        port: Option<u16>,
        path: String,
        #[serde(default)]
        request_body_b64: Option<String>,
        #[serde(default)]
        status: Option<u16>,
        #[serde(default)]
        headers: Option<Vec<(String, String)>>,
        #[serde(default)]
        body_b64: Option<String>,
        #[serde(default)]
        error: Option<LineError>,
    },
    Npap {
        port: String,
        request_hex: String,
        #[serde(default)]
        response_hex: Option<String>,
        #[serde(default)]
        error: Option<LineError>,
    },
}

#[derive(Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
enum LineError {
    Timeout,
    Unreachable(String),
    Protocol(String),
    Denied(String),
}

impl Line {
    /// The line, once its fields make one exchange: a known method and port,
    /// exactly one of answer and failure, and well-formed bytes, so replay
    /// cannot fail on a line the load accepted.
    fn checked(self) -> Result<Line, String> {
        match &self {
            Line::Http {
                method,
                request_body_b64,
                status,
                body_b64,
                error,
                ..
            } => {
                if !matches!(method.as_str(), "GET" | "POST") {
                    return Err(format!("unknown method {method:?}, expected GET or POST"));
                }
                if status.is_some() == error.is_some() {
                    return Err("an http line needs exactly one of status and error".into());
                }
                unbase64(
                    "request_body_b64",
                    request_body_b64.as_deref().unwrap_or_default(),
                )?;
                unbase64("body_b64", body_b64.as_deref().unwrap_or_default())?;
            }
            Line::Npap {
                port,
                request_hex,
                response_hex,
                error,
            } => {
                if !matches!(port.as_str(), "udp9300" | "tcp9500") {
                    return Err(format!(
                        "unknown port {port:?}, expected udp9300 or tcp9500"
                    ));
                }
                if response_hex.is_some() == error.is_some() {
                    return Err("an npap line needs exactly one of response_hex and error".into());
                }
                unhex("request_hex", request_hex)?;
                unhex("response_hex", response_hex.as_deref().unwrap_or_default())?;
            }
        }
        Ok(self)
    }
}

/// The recorded failure, else the recorded answer.
fn answer<T>(
    error: &Option<LineError>,
    recorded: impl FnOnce() -> Result<T, String>,
) -> Result<T, TransportError> {
    match error.clone() {
        Some(LineError::Timeout) => Err(TransportError::Timeout),
        Some(LineError::Unreachable(s)) => Err(TransportError::Unreachable(s)),
        Some(LineError::Protocol(s)) => Err(TransportError::Protocol(s)),
        Some(LineError::Denied(s)) => Err(TransportError::Denied(s)),
        // Checked at load.
        None => recorded().map_err(TransportError::Protocol),
    }
}

fn port_name(port: NpapPort) -> &'static str {
    match port {
        NpapPort::Udp9300 => "udp9300",
        NpapPort::Tcp9500 => "tcp9500",
    }
}

fn method_name(method: HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(field: &str, text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err(format!("{field} has an odd number of hex digits"));
    }
    (0..text.len())
        .step_by(2)
        .map(|at| {
            text.get(at..at + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("{field} is not hex"))
        })
        .collect()
}

fn unbase64(field: &str, text: &str) -> Result<Vec<u8>, String> {
    BASE64
        .decode(text)
        .map_err(|e| format!("{field} is not base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> HttpRequest {
        HttpRequest {
            method: HttpMethod::Get,
            tls: false,
            port: None,
            path: path.into(),
            headers: vec![("authorization".into(), "Basic secret".into())],
            body: None,
        }
    }

    const LOG: &str = concat!(
        r#"{"kind":"http","method":"GET","tls":false,"port":null,"path":"/counters","status":200,"headers":[["content-type","text/plain"]],"body_b64":"dG90YWw9MTIzNAo="}"#,
        "\n\n",
        r#"{"kind":"http","method":"GET","tls":false,"port":null,"path":"/slow","error":"timeout"}"#,
        "\n",
        r#"{"kind":"npap","port":"udp9300","request_hex":"53455249414c3f","response_hex":"5a5a3132333435"}"#,
        "\n",
    );

    fn log() -> Exchanges {
        let mut problems = Vec::new();
        let log = Exchanges::parse("p.exchanges.jsonl", LOG, &mut problems);
        assert_eq!(problems, [""; 0]);
        log
    }

    #[test]
    fn identical_requests_get_the_recorded_answer_or_failure() {
        let log = log();
        let answer = log.http(&get("/counters")).unwrap();
        assert_eq!(
            (answer.status, answer.body),
            (200, b"total=1234\n".to_vec())
        );
        assert_eq!(log.http(&get("/slow")), Err(TransportError::Timeout));
        assert_eq!(
            log.npap(NpapPort::Udp9300, b"SERIAL?"),
            Ok(b"ZZ12345".to_vec())
        );
    }

    #[test]
    fn anything_else_is_not_recorded_and_says_what_was_asked() {
        let log = log();
        assert_eq!(
            log.http(&HttpRequest {
                tls: true,
                ..get("/counters")
            }),
            Err(TransportError::NotRecorded(
                "no HTTPS exchange for GET /counters".into()
            ))
        );
        assert_eq!(
            log.npap(NpapPort::Tcp9500, b"SERIAL?"),
            Err(TransportError::NotRecorded(
                "no NPAP exchange on tcp9500 with request 53455249414c3f".into()
            ))
        );
    }

    #[test]
    fn a_bad_line_is_named_by_file_and_line_and_loses_only_itself() {
        let bad = |text: &str| {
            let mut problems = Vec::new();
            Exchanges::parse("lab/p.exchanges.jsonl", text, &mut problems);
            assert_eq!(problems.len(), 1, "{problems:?}");
            problems.remove(0)
        };
        assert_eq!(
            bad(concat!(
                r#"{"kind":"npap","port":"udp9300","request_hex":"01","response_hex":"02"}"#,
                "\n\n",
                r#"{"kind":"npap","port":"udp9300","request_hex":"0g","response_hex":"02"}"#
            )),
            "lab/p.exchanges.jsonl:3: request_hex is not hex"
        );
        assert!(
            bad(r#"{"kind":"ftp"}"#).starts_with("lab/p.exchanges.jsonl:1: unknown variant `ftp`")
        );
        assert_eq!(
            bad(r#"{"kind":"http","method":"GET","tls":false,"port":null,"path":"/"}"#),
            "lab/p.exchanges.jsonl:1: an http line needs exactly one of status and error"
        );
    }
}
