//! The NPAP and HTTP exchanges of a recorded read (IPP is HTTP POSTs, kept as
//! such), beside its recording (`printer.snmprec` + `printer.exchanges.jsonl`),
//! so a strategy or the IPP reader replays without the device.
//!
//! The log's line format is the SDK's
//! ([`quire_plugins_sdk::exchange_log`], where it is documented), so the
//! strategy harness and the host read the same lines the same way; this module
//! keeps its plain [`Exchange`]s (the host's NPAP ports, HTTP methods and
//! responses are the same types) and answers replay from them. Request headers
//! are not kept (they may carry the device's web password), nor a request the
//! transport had no answer for, and replay answers with the first recorded
//! answer to an identical request.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use async_trait::async_trait;
use quire_plugins_sdk::exchange_log::{self as jsonl, Exchange, Failure};
use quire_snmp::{Oid, Value};

use crate::device::{
    DeviceTransport, HttpRequest, HttpResponse, NpapPort, NpapRequest, SnmpRequest, TransportError,
};

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
        let (exchanges, problems) = jsonl::parse(text);
        LoadedExchangeLog {
            log: ExchangeLog { exchanges },
            problems: problems
                .into_iter()
                .map(|(line, message)| ExchangeLogError {
                    file: file.to_owned(),
                    line,
                    message,
                })
                .collect(),
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
            out.push_str(&exchange.to_line());
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
                } if *p == port && r == request => Some(answer.clone().map_err(Into::into)),
                _ => None,
            })
            .unwrap_or_else(|| {
                Err(TransportError::NotRecorded(jsonl::npap_not_recorded(
                    port, request,
                )))
            })
    }

    /// The first recorded answer to an identical HTTP request (headers aside).
    pub fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let wanted = jsonl::Request::from(request);
        self.exchanges
            .iter()
            .find_map(|e| match e {
                Exchange::Http { request, answer } if *request == wanted => {
                    Some(answer.clone().map_err(Into::into))
                }
                _ => None,
            })
            .unwrap_or_else(|| Err(TransportError::NotRecorded(wanted.not_recorded())))
    }
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
    fn keep<A>(
        &self,
        answer: &Result<A, TransportError>,
        exchange: impl FnOnce(Result<A, Failure>) -> Exchange,
    ) where
        A: Clone,
    {
        let answer = match answer {
            Ok(answer) => Ok(answer.clone()),
            Err(TransportError::NotRecorded(_)) => return,
            Err(TransportError::Timeout) => Err(Failure::Timeout),
            Err(TransportError::Unreachable(s)) => Err(Failure::Unreachable(s.clone())),
            Err(TransportError::Protocol(s)) => Err(Failure::Protocol(s.clone())),
            Err(TransportError::Denied(s)) => Err(Failure::Denied(s.clone())),
        };
        self.lock().push(exchange(answer));
    }
}

#[async_trait]
impl<T: DeviceTransport> DeviceTransport for ExchangeRecorder<T> {
    async fn snmp(&self, request: SnmpRequest<'_>) -> Result<Vec<(Oid, Value)>, TransportError> {
        self.inner.snmp(request).await
    }

    async fn snmp_each(
        &self,
        request: SnmpRequest<'_>,
        answer: &mut (dyn for<'v> FnMut(&'v Oid, &'v Value) + Send),
    ) -> Result<(), TransportError> {
        self.inner.snmp_each(request, answer).await
    }

    async fn npap_exchange(&self, request: NpapRequest<'_>) -> Result<Vec<u8>, TransportError> {
        let answer = self.inner.npap_exchange(request).await;
        self.keep(&answer, |answer| Exchange::Npap {
            port: request.port,
            request: request.bytes.to_vec(),
            answer,
        });
        answer
    }

    async fn http_send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let answer = self.inner.http_send(request).await;
        self.keep(&answer, |answer| Exchange::Http {
            request: request.into(),
            answer,
        });
        answer
    }
}

impl From<&HttpRequest> for jsonl::Request {
    /// The request as the log keeps it: headers left out.
    fn from(request: &HttpRequest) -> Self {
        jsonl::Request {
            method: request.method,
            tls: request.tls,
            port: request.port,
            path: request.path.clone(),
            body: request.body.clone(),
        }
    }
}

impl From<Failure> for TransportError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Timeout => TransportError::Timeout,
            Failure::Unreachable(s) => TransportError::Unreachable(s),
            Failure::Protocol(s) => TransportError::Protocol(s),
            Failure::Denied(s) => TransportError::Denied(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::HttpMethod;

    fn get(path: &str) -> HttpRequest {
        HttpRequest::get(path)
    }

    #[test]
    fn a_log_reads_back_what_was_written() {
        let log = ExchangeLog::new(vec![
            Exchange::Http {
                request: (&HttpRequest {
                    method: HttpMethod::Post,
                    tls: true,
                    port: Some(8443),
                    body: Some(b"q=1".to_vec()),
                    ..get("/status")
                })
                    .into(),
                answer: Ok(HttpResponse {
                    status: 302,
                    headers: vec![("location".into(), "http://elsewhere/".into())],
                    body: vec![0, 1, 255],
                }),
            },
            Exchange::Http {
                request: (&get("/slow")).into(),
                answer: Err(Failure::Timeout),
            },
            Exchange::Npap {
                port: NpapPort::Tcp9500,
                request: vec![0xa5, 0x00],
                answer: Ok(b"OK".to_vec()),
            },
            Exchange::Npap {
                port: NpapPort::Udp9300,
                request: vec![1],
                answer: Err(Failure::Unreachable("refused".into())),
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
            problems[0].starts_with("lab/p.exchanges.jsonl:3: request_hex is not hex: \"0g\""),
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
