//! The NPAP and HTTP exchanges of a recorded read (IPP is HTTP POSTs, kept as
//! such), beside its recording (`printer.snmprec` + `printer.exchanges.jsonl`),
//! so a strategy or the IPP reader replays without the device.
//!
//! The log is JSON lines, one exchange each, readable and diffable:
//!
//! ```text
//! {"kind":"http","method":"GET","tls":false,"port":null,"path":"/counters","status":200,"headers":[["content-type","text/plain"]],"body_b64":"dG90YWw9MTIzNAo="}
//! {"kind":"npap","port":"udp9300","request_hex":"53455249414c3f","response_hex":"5a5a3132333435"}
//! ```
//!
//! A failed exchange keeps its failure (`"error":"timeout"`, or
//! `"error":{"unreachable":"…"}` in place of the answer), so replay fails the same way.
//! Request headers are not kept: they may carry the device's web password, and
//! replay matches on what identifies a request — kind, method, TLS, port, path
//! and body for HTTP; port and request bytes for NPAP — answering with the
//! first recorded answer to an identical request.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use quire_snmp::{Oid, Value};
use serde::{Deserialize, Serialize};

use crate::device::{
    DeviceTransport, HttpMethod, HttpRequest, HttpResponse, NpapPort, TransportError,
};

/// One exchange as it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exchange {
    /// An NPAP request and what came back.
    Npap {
        /// Which port.
        port: NpapPort,
        /// The bytes the plugin sent.
        request: Vec<u8>,
        /// The answer or the failure.
        answer: Result<Vec<u8>, TransportError>,
    },
    /// An HTTP request (headers left out, see the module doc) and what came back.
    Http {
        /// The request.
        request: HttpRequest,
        /// The answer or the failure.
        answer: Result<HttpResponse, TransportError>,
    },
}

/// A log line that could not be read, named by file and line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ExchangeLogError {
    /// The log file.
    pub file: String,
    /// 1-based; 0 when the file as a whole could not be read.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The exchanges of one read, in the order they were made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExchangeLog {
    exchanges: Vec<Exchange>,
}

/// A log read leniently: every line that parsed, and one error per line that did not.
#[derive(Debug)]
pub struct LoadedExchangeLog {
    /// The exchanges that parsed.
    pub log: ExchangeLog,
    /// One error per bad line, with file and line.
    pub problems: Vec<ExchangeLogError>,
}

/// Where the exchange log of `recording` lives: the same stem with
/// `.exchanges.jsonl` (`lab/printer.snmprec` → `lab/printer.exchanges.jsonl`).
pub fn exchanges_beside(recording: &Path) -> PathBuf {
    let stem = recording
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    recording.with_file_name(format!("{stem}.exchanges.jsonl"))
}

impl ExchangeLog {
    /// A log of these exchanges.
    pub fn new(exchanges: Vec<Exchange>) -> Self {
        ExchangeLog { exchanges }
    }

    /// The exchanges, in order.
    pub fn exchanges(&self) -> &[Exchange] {
        &self.exchanges
    }

    /// Parses a log, refusing it at its first bad line; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Self, ExchangeLogError> {
        let loaded = Self::parse_lenient(file, text);
        match loaded.problems.into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(loaded.log),
        }
    }

    /// Parses a log, keeping every good line and reporting the bad ones: one
    /// bad line loses only its own exchange.
    pub fn parse_lenient(file: &str, text: &str) -> LoadedExchangeLog {
        let mut exchanges = Vec::new();
        let mut problems = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Line>(line)
                .map_err(|e| e.to_string())
                .and_then(Exchange::try_from)
            {
                Ok(exchange) => exchanges.push(exchange),
                Err(message) => problems.push(ExchangeLogError {
                    file: file.to_owned(),
                    line: index + 1,
                    message,
                }),
            }
        }
        LoadedExchangeLog {
            log: ExchangeLog { exchanges },
            problems,
        }
    }

    /// Reads the log at `path` leniently (see [`ExchangeLog::parse_lenient`]).
    pub fn load_lenient(path: &Path) -> Result<LoadedExchangeLog, ExchangeLogError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ExchangeLogError {
            file: file.clone(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        Ok(Self::parse_lenient(&file, &text))
    }

    /// The log as JSON lines, one exchange per line.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        for exchange in &self.exchanges {
            out.push_str(
                &serde_json::to_string(&Line::from(exchange)).expect("log lines serialize"),
            );
            out.push('\n');
        }
        out
    }

    /// Writes the log to `path`.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_jsonl())
    }

    /// The first recorded answer to this NPAP request.
    pub fn npap(&self, port: NpapPort, request: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.exchanges
            .iter()
            .find_map(|e| match e {
                Exchange::Npap {
                    port: p,
                    request: r,
                    answer,
                } if *p == port && r == request => Some(answer.clone()),
                _ => None,
            })
            .unwrap_or_else(|| {
                Err(TransportError::NotRecorded(format!(
                    "no NPAP exchange on {} with request {}",
                    port_name(port),
                    hex(request)
                )))
            })
    }

    /// The first recorded answer to an identical HTTP request (headers aside).
    pub fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        self.exchanges
            .iter()
            .find_map(|e| match e {
                Exchange::Http { request: r, answer } if same_request(r, request) => {
                    Some(answer.clone())
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
                    "no {scheme}{port} exchange for {} {}{body}",
                    method_name(request.method),
                    request.path
                )))
            })
    }
}

fn same_request(a: &HttpRequest, b: &HttpRequest) -> bool {
    a.method == b.method
        && a.tls == b.tls
        && a.port == b.port
        && a.path == b.path
        && a.body == b.body
}

/// Any transport, with every NPAP and HTTP exchange it makes written down, so
/// a live read can be saved beside its SNMP recording and replayed.
#[derive(Debug)]
pub struct ExchangeRecorder<T> {
    inner: T,
    exchanges: Mutex<Vec<Exchange>>,
}

impl<T: DeviceTransport> ExchangeRecorder<T> {
    /// Records what passes through `inner`.
    pub fn new(inner: T) -> Self {
        ExchangeRecorder {
            inner,
            exchanges: Mutex::new(Vec::new()),
        }
    }

    /// What was exchanged so far, in order.
    pub fn log(&self) -> ExchangeLog {
        ExchangeLog::new(self.lock().clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Exchange>> {
        // A panic elsewhere cannot leave a half-pushed Vec, so the data is good.
        self.exchanges
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps an exchange, except one the inner transport could not answer from
    /// its own recording: replaying that would turn "not recorded" into a fact.
    fn keep(&self, exchange: Exchange) {
        let unanswered = matches!(
            &exchange,
            Exchange::Npap {
                answer: Err(TransportError::NotRecorded(_)),
                ..
            } | Exchange::Http {
                answer: Err(TransportError::NotRecorded(_)),
                ..
            }
        );
        if !unanswered {
            self.lock().push(exchange);
        }
    }
}

#[async_trait]
impl<T: DeviceTransport> DeviceTransport for ExchangeRecorder<T> {
    async fn snmp_get(&self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>, TransportError> {
        self.inner.snmp_get(oids).await
    }

    async fn snmp_get_next(&self, oids: &[Oid]) -> Result<Vec<(Oid, Value)>, TransportError> {
        self.inner.snmp_get_next(oids).await
    }

    async fn snmp_get_bulk(
        &self,
        non_repeaters: usize,
        max_repetitions: usize,
        oids: &[Oid],
    ) -> Result<Vec<(Oid, Value)>, TransportError> {
        self.inner
            .snmp_get_bulk(non_repeaters, max_repetitions, oids)
            .await
    }

    async fn npap_exchange(
        &self,
        port: NpapPort,
        request: &[u8],
        timeout: Duration,
    ) -> Result<Vec<u8>, TransportError> {
        let answer = self.inner.npap_exchange(port, request, timeout).await;
        self.keep(Exchange::Npap {
            port,
            request: request.to_vec(),
            answer: answer.clone(),
        });
        answer
    }

    async fn http_send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let answer = self.inner.http_send(request).await;
        self.keep(Exchange::Http {
            request: HttpRequest {
                headers: Vec::new(),
                ..request.clone()
            },
            answer: answer.clone(),
        });
        answer
    }
}

/// One line of the log, as written.
#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Line {
    Http {
        method: LineMethod,
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
        error: Option<LineError>,
    },
    Npap {
        port: LinePort,
        request_hex: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response_hex: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<LineError>,
    },
}

#[derive(Serialize, Deserialize)]
enum LineMethod {
    #[serde(rename = "GET")]
    Get,
    #[serde(rename = "POST")]
    Post,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum LinePort {
    Udp9300,
    Tcp9500,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum LineError {
    Timeout,
    Unreachable(String),
    Protocol(String),
    Denied(String),
}

impl From<&Exchange> for Line {
    fn from(exchange: &Exchange) -> Self {
        match exchange {
            Exchange::Npap {
                port,
                request,
                answer,
            } => Line::Npap {
                port: match port {
                    NpapPort::Udp9300 => LinePort::Udp9300,
                    NpapPort::Tcp9500 => LinePort::Tcp9500,
                },
                request_hex: hex(request),
                response_hex: answer.as_ref().ok().map(|a| hex(a)),
                error: answer.as_ref().err().map(line_error),
            },
            Exchange::Http { request, answer } => {
                let response = answer.as_ref().ok();
                Line::Http {
                    method: match request.method {
                        HttpMethod::Get => LineMethod::Get,
                        HttpMethod::Post => LineMethod::Post,
                    },
                    tls: request.tls,
                    port: request.port,
                    path: request.path.clone(),
                    request_body_b64: request.body.as_ref().map(|b| BASE64.encode(b)),
                    status: response.map(|r| r.status),
                    headers: response.map(|r| r.headers.clone()),
                    body_b64: response.map(|r| BASE64.encode(&r.body)),
                    error: answer.as_ref().err().map(line_error),
                }
            }
        }
    }
}

fn line_error(e: &TransportError) -> LineError {
    match e {
        TransportError::Timeout => LineError::Timeout,
        TransportError::Unreachable(s) => LineError::Unreachable(s.clone()),
        TransportError::Protocol(s) => LineError::Protocol(s.clone()),
        // The recorder never keeps NotRecorded; should a log be written by hand
        // with it, it reads back as the host refusing the request.
        TransportError::Denied(s) | TransportError::NotRecorded(s) => LineError::Denied(s.clone()),
    }
}

impl From<LineError> for TransportError {
    fn from(e: LineError) -> Self {
        match e {
            LineError::Timeout => TransportError::Timeout,
            LineError::Unreachable(s) => TransportError::Unreachable(s),
            LineError::Protocol(s) => TransportError::Protocol(s),
            LineError::Denied(s) => TransportError::Denied(s),
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
                    (None, Some(e)) => Err(e.into()),
                    _ => {
                        return Err(
                            "an npap line needs exactly one of response_hex and error".into()
                        );
                    }
                };
                Ok(Exchange::Npap {
                    port: match port {
                        LinePort::Udp9300 => NpapPort::Udp9300,
                        LinePort::Tcp9500 => NpapPort::Tcp9500,
                    },
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
                    (Some(status), None) => Ok(HttpResponse {
                        status,
                        headers: headers.unwrap_or_default(),
                        body: match body_b64 {
                            Some(b) => unbase64("body_b64", &b)?,
                            None => Vec::new(),
                        },
                    }),
                    (None, Some(e)) => Err(e.into()),
                    _ => return Err("an http line needs exactly one of status and error".into()),
                };
                Ok(Exchange::Http {
                    request: HttpRequest {
                        method: match method {
                            LineMethod::Get => HttpMethod::Get,
                            LineMethod::Post => HttpMethod::Post,
                        },
                        tls,
                        port,
                        path,
                        headers: Vec::new(),
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
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("{field} has an odd number of hex digits"));
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| format!("{field} is not hex: {:?}", String::from_utf8_lossy(pair)))
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
            headers: Vec::new(),
            body: None,
        }
    }

    #[test]
    fn a_log_reads_back_what_was_written() {
        let log = ExchangeLog::new(vec![
            Exchange::Http {
                request: HttpRequest {
                    method: HttpMethod::Post,
                    tls: true,
                    port: Some(8443),
                    body: Some(b"q=1".to_vec()),
                    ..get("/status")
                },
                answer: Ok(HttpResponse {
                    status: 302,
                    headers: vec![("location".into(), "http://elsewhere/".into())],
                    body: vec![0, 1, 255],
                }),
            },
            Exchange::Http {
                request: get("/slow"),
                answer: Err(TransportError::Timeout),
            },
            Exchange::Npap {
                port: NpapPort::Tcp9500,
                request: vec![0xa5, 0x00],
                answer: Ok(b"OK".to_vec()),
            },
            Exchange::Npap {
                port: NpapPort::Udp9300,
                request: vec![1],
                answer: Err(TransportError::Unreachable("refused".into())),
            },
        ]);
        let text = log.to_jsonl();
        assert_eq!(text.lines().count(), 4);
        assert_eq!(ExchangeLog::parse("x.exchanges.jsonl", &text), Ok(log));
    }

    #[test]
    fn a_bad_line_is_named_by_file_and_line_and_loses_only_itself() {
        let text = concat!(
            r#"{"kind":"npap","port":"udp9300","request_hex":"01","response_hex":"02"}"#,
            "\n\n",
            r#"{"kind":"npap","port":"udp9300","request_hex":"0g","response_hex":"02"}"#,
            "\n",
            r#"{"kind":"ftp"}"#,
            "\n",
        );
        let loaded = ExchangeLog::parse_lenient("lab/p.exchanges.jsonl", text);
        assert_eq!(loaded.log.exchanges().len(), 1);
        let problems: Vec<String> = loaded.problems.iter().map(ToString::to_string).collect();
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0].starts_with("lab/p.exchanges.jsonl:3: request_hex is not hex"),
            "{problems:?}"
        );
        assert!(
            problems[1].starts_with("lab/p.exchanges.jsonl:4: unknown variant `ftp`"),
            "{problems:?}"
        );
    }

    #[test]
    fn replay_names_the_request_it_has_no_answer_for() {
        let log = ExchangeLog::default();
        assert_eq!(
            log.http(&get("/counters")),
            Err(TransportError::NotRecorded(
                "no HTTP exchange for GET /counters".into()
            ))
        );
        assert_eq!(
            log.npap(NpapPort::Udp9300, b"\x01\xff"),
            Err(TransportError::NotRecorded(
                "no NPAP exchange on udp9300 with request 01ff".into()
            ))
        );
    }

    #[test]
    fn the_log_sits_beside_the_recording() {
        assert_eq!(
            exchanges_beside(Path::new("lab/printer.snmprec")),
            Path::new("lab/printer.exchanges.jsonl")
        );
    }
}
