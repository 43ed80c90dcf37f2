//! NPAP and HTTP answers from an exchange log (`*.exchanges.jsonl`, the format
//! [`crate::exchange_log`] reads and README "quire replay" documents).
//!
//! A request identical in kind, method, TLS, port, path and body (NPAP: port
//! and bytes) gets the first recorded answer, or the recorded failure
//! (`"error"` in place of the answer); anything else is `not-recorded`, naming
//! what was asked.

use crate::exchange_log::{self, Exchange, Failure, Method, Port};
use crate::{HttpMethod, HttpRequest, HttpResponse, NpapPort, TransportError};

/// The exchanges of one recorded read, in the order they were made.
pub(crate) struct Exchanges(Vec<Exchange>);

impl Exchanges {
    /// Reads a log as `quire replay` does: a line that does not parse costs
    /// only its exchange and is added to `problems` as `file:line: why`.
    pub(crate) fn parse(file: &str, text: &str, problems: &mut Vec<String>) -> Exchanges {
        let (exchanges, bad) = exchange_log::parse(text);
        problems.extend(
            bad.into_iter()
                .map(|(line, why)| format!("{file}:{line}: {why}")),
        );
        Exchanges(exchanges)
    }

    /// The first recorded answer to this NPAP request.
    pub(crate) fn npap(&self, port: NpapPort, request: &[u8]) -> Result<Vec<u8>, TransportError> {
        let port = match port {
            NpapPort::Udp9300 => Port::Udp9300,
            NpapPort::Tcp9500 => Port::Tcp9500,
        };
        self.0
            .iter()
            .find_map(|exchange| match exchange {
                Exchange::Npap {
                    port: p,
                    request: r,
                    answer,
                } if *p == port && r == request => Some(answer.clone().map_err(transport_error)),
                _ => None,
            })
            .unwrap_or_else(|| {
                Err(TransportError::NotRecorded(
                    exchange_log::npap_not_recorded(port, request),
                ))
            })
    }

    /// The first recorded answer to an identical HTTP request (headers aside:
    /// the log does not keep them, since they may carry the web password).
    pub(crate) fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let wanted = exchange_log::Request {
            method: match request.method {
                HttpMethod::Get => Method::Get,
                HttpMethod::Post => Method::Post,
            },
            tls: request.tls,
            port: request.port,
            path: request.path.clone(),
            body: request.body.clone(),
        };
        self.0
            .iter()
            .find_map(|exchange| match exchange {
                Exchange::Http { request, answer } if *request == wanted => Some(
                    answer
                        .clone()
                        .map(|r| HttpResponse {
                            status: r.status,
                            headers: r.headers,
                            body: r.body,
                        })
                        .map_err(transport_error),
                ),
                _ => None,
            })
            .unwrap_or_else(|| Err(TransportError::NotRecorded(wanted.not_recorded())))
    }
}

fn transport_error(failure: Failure) -> TransportError {
    match failure {
        Failure::Timeout => TransportError::Timeout,
        Failure::Unreachable(s) => TransportError::Unreachable(s),
        Failure::Protocol(s) => TransportError::Protocol(s),
        Failure::Denied(s) => TransportError::Denied(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page request carrying a header, which the log does not record.
    fn get(path: &str) -> HttpRequest {
        let mut request = HttpRequest::get(path);
        request
            .headers
            .push(("authorization".into(), "Basic secret".into()));
        request
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
            "lab/p.exchanges.jsonl:3: request_hex is not hex: \"0g\""
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
