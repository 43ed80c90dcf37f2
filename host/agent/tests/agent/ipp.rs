//! An IPP printer read through the device transport, as a strategy's HTTP is: a web
//! server on loopback answers with a recorded ippeveprinter answer
//! (`fixtures/ipp/SOURCES.md`), the read's exchange lands in the same exchange log as
//! HTTP and NPAP, and that log alone reads back to the same reading.

use std::path::Path;
use std::sync::Arc;

use quire_snmp::Recording;
use quire_transport::{Exchange, ExchangeLog, HttpMethod, ReplayTransport};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// Answers every HTTP request on `listener` with `answer` as an IPP response.
pub async fn serve(listener: TcpListener, answer: Vec<u8>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let answer = answer.clone();
        tokio::spawn(async move {
            let mut request = Vec::new();
            let mut buffer = [0; 4096];
            // Headers, then the body its Content-Length names.
            loop {
                let Ok(n) = stream.read(&mut buffer).await else {
                    return;
                };
                if n == 0 {
                    return;
                }
                request.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&request).to_ascii_lowercase();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                answer.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&answer).await;
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ipp_read_is_recorded_and_replays_to_the_same_reading() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ipp/ippeveprinter-idle.ipp");
    let listener = TcpListener::bind("127.80.8.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let printer = tokio::spawn(serve(listener, std::fs::read(fixture).unwrap()));
    let uri = format!("ipp://127.80.8.1:{port}/ipp/print");

    let read = quire_agent::ipp::read(&uri, &quire_agent::Clock::system())
        .await
        .unwrap();
    // What ipptool showed for this printer (fixtures/ipp/SOURCES.md).
    assert_eq!(read.reading.identity.manufacturer.as_deref(), Some("Quire"));
    assert_eq!(read.reading.identity.model.as_deref(), Some("Test Laser"));
    let [Exchange::Http { request, answer }] = read.exchanges.exchanges() else {
        panic!("one HTTP exchange: {:?}", read.exchanges);
    };
    assert_eq!(
        (request.method, request.path.as_str()),
        (HttpMethod::Post, "/ipp/print")
    );
    assert_eq!(answer.as_ref().map(|a| a.status), Ok(200));

    printer.abort();
    let log = ExchangeLog::parse("printer.exchanges.jsonl", &read.exchanges.to_jsonl()).unwrap();
    let replay =
        ReplayTransport::with_exchanges(Arc::new(Recording::new("printer")), Arc::new(log));
    let replayed = quire_agent::ipp::read_through(&replay, &uri).await.unwrap();
    assert_eq!(replayed, read.reading);
}
