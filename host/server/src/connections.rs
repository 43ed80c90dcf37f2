//! What one client may hold of the listener: how long it may take over the TLS handshake,
//! over a request's head, over its body and between requests, and how many connections
//! it and everyone together may keep open. Without these a stranger holds the server's sockets and memory
//! with connections that never finish saying anything, unauthenticated.
//!
//! The timeouts are watched per connection ([`Activity`]): the bytes read and written
//! through the TLS stream and the requests in flight tell whether the connection waits
//! for a request (idle), is reading one's head, or is being answered, which has no limit
//! here (a handler's own work may take long). A request's body is timed by the body
//! itself ([`TimedBody`]), only while a handler waits for it: a server slow to read is
//! not the client's fault.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::BoxError;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::{Instant, Sleep};

use crate::error::api_error;

/// The listener's limits; [`ConnectionLimits::default`] gives the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A TLS handshake not finished by then is dropped.
    pub handshake_timeout: Duration,
    /// A request's head must be complete this long after its first byte (and a new
    /// connection's first request this long after its handshake).
    pub header_timeout: Duration,
    /// A kept-alive connection with no request for this long is closed.
    pub idle_timeout: Duration,
    /// A request's body from which no byte arrives for this long, while the server waits
    /// for it, is answered 408 and its connection closed.
    pub body_stall_timeout: Duration,
    /// A request's body must have arrived this long after the server first asked for it,
    /// however steadily it trickles; answered 408 and closed otherwise.
    pub body_timeout: Duration,
    /// Connections one client address may hold at once; more are closed on accept.
    pub per_address: usize,
    /// Connections all clients together may hold at once; more are closed on accept.
    pub total: usize,
}

impl Default for ConnectionLimits {
    /// 10 s for a handshake and for a head, 60 s idle, 64 connections per address and
    /// 1,024 in all: an agent or a browser needs a few, and 1,024 stays under the usual
    /// open-file limit with room for the database and the log.
    ///
    /// A body may pause 30 s: TCP retransmits a lost segment after 1, 2, 4 and 8 s, so a
    /// lossy link survives four losses in a row. It must be whole within 5 minutes: the
    /// largest body read (2 MiB, an agent's upload or a plugin) arrives in that time at
    /// 7 KiB/s, a 56 kbit/s link's pace, while a client trickling a byte now and then
    /// holds its connection no longer.
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_stall_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(300),
            per_address: 64,
            total: 1024,
        }
    }
}

/// The open connections, counted per client address and in all.
#[derive(Debug, Default)]
pub(crate) struct Admission {
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

impl Admission {
    /// A place for a connection from `address`, held until the [`Admitted`] is dropped;
    /// `None` when `address` or everyone holds as many as `limits` allow.
    pub(crate) fn admit(
        self: &Arc<Self>,
        address: IpAddr,
        limits: &ConnectionLimits,
    ) -> Option<Admitted> {
        let mut open = self.open.lock().expect("the connection counts");
        let (total, by_address) = &mut *open;
        let mine = by_address.get(&address).copied().unwrap_or(0);
        if *total >= limits.total || mine >= limits.per_address {
            return None;
        }
        by_address.insert(address, mine + 1);
        *total += 1;
        Some(Admitted {
            admission: Arc::clone(self),
            address,
        })
    }
}

/// One admitted connection's place; dropping it frees the place.
pub(crate) struct Admitted {
    admission: Arc<Admission>,
    address: IpAddr,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.admission.open.lock().expect("the connection counts");
        let (total, by_address) = &mut *open;
        *total -= 1;
        if let Some(mine) = by_address.get_mut(&self.address) {
            *mine -= 1;
            if *mine == 0 {
                by_address.remove(&self.address);
            }
        }
    }
}

/// Where a connection is between requests.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request; closed at `since + limit`.
    Waiting { since: Instant, limit: Duration },
    /// A request's head has begun at `since`.
    Head { since: Instant },
    /// This many requests are being answered.
    Busy(usize),
}

/// What one connection is doing, shared by its stream, its service and its watchdog.
#[derive(Clone)]
pub(crate) struct Activity {
    phase: Arc<Mutex<Phase>>,
    changed: Arc<Notify>,
    limits: ConnectionLimits,
}

impl Activity {
    /// A connection whose handshake just finished: its first request's head is due
    /// within the header timeout.
    pub(crate) fn new(limits: &ConnectionLimits) -> Activity {
        Activity {
            phase: Arc::new(Mutex::new(Phase::Waiting {
                since: Instant::now(),
                limit: limits.header_timeout,
            })),
            changed: Arc::new(Notify::new()),
            limits: limits.clone(),
        }
    }

    /// Changes the phase, waking the watchdog when its kind changed: a deadline moved
    /// later within a kind is found when the old one passes.
    fn update(&self, change: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().expect("a connection's phase");
        let before = std::mem::discriminant(&*phase);
        *phase = change(*phase);
        if std::mem::discriminant(&*phase) != before {
            self.changed.notify_one();
        }
    }

    fn read(&self) {
        self.update(|phase| match phase {
            Phase::Waiting { .. } => Phase::Head {
                since: Instant::now(),
            },
            other => other,
        });
    }

    fn wrote(&self) {
        // An answer's body still going out after its handler returned is not idleness.
        self.update(|phase| match phase {
            Phase::Waiting { limit, .. } => Phase::Waiting {
                since: Instant::now(),
                limit,
            },
            other => other,
        });
    }

    /// A request's head is complete and its answer begins; the connection is busy until
    /// the returned guard is dropped.
    pub(crate) fn busy(&self) -> Busy {
        self.update(|phase| match phase {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        });
        Busy(self.clone())
    }

    fn deadline(&self) -> Option<Instant> {
        match *self.phase.lock().expect("a connection's phase") {
            Phase::Waiting { since, limit } => Some(since + limit),
            Phase::Head { since } => Some(since + self.limits.header_timeout),
            Phase::Busy(_) => None,
        }
    }

    /// Returns when the connection has overstayed: idle or reading a head for longer
    /// than its limit.
    pub(crate) async fn overstayed(&self) {
        loop {
            let changed = self.changed.notified();
            match self.deadline() {
                Some(deadline) if deadline <= Instant::now() => return,
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// A request being answered; its drop makes the connection idle when it was the last.
pub(crate) struct Busy(Activity);

impl Drop for Busy {
    fn drop(&mut self) {
        let idle = self.0.limits.idle_timeout;
        self.0.update(|phase| match phase {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Waiting {
                since: Instant::now(),
                limit: idle,
            },
        });
    }
}

/// A stream that tells its connection's [`Activity`] about the bytes through it.
pub(crate) struct Watched<T> {
    inner: T,
    activity: Activity,
}

impl<T> Watched<T> {
    pub(crate) fn new(inner: T, activity: Activity) -> Watched<T> {
        Watched { inner, activity }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Why a request's body was given up: the 408's message.
#[derive(Debug, Clone)]
pub(crate) struct BodyTimedOut(String);

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BodyTimedOut {}

/// Tells whether a request's [`TimedBody`] timed out, so its answer can be the 408
/// whatever the handler made of the failed read.
#[derive(Clone, Default)]
pub(crate) struct BodyWatch(Arc<OnceLock<BodyTimedOut>>);

impl BodyWatch {
    /// The API's 408 naming the body, closing the connection (the rest of the body would
    /// be read as the next request), when the body timed out; `answer` otherwise.
    pub(crate) fn answer(&self, answer: Response) -> Response {
        let Some(timed_out) = self.0.get() else {
            return answer;
        };
        let mut response = api_error(
            StatusCode::REQUEST_TIMEOUT,
            Some("body".to_owned()),
            timed_out.to_string(),
        );
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    }
}

/// A request's body that fails with [`BodyTimedOut`] when it stalls for
/// [`ConnectionLimits::body_stall_timeout`] or is not whole after
/// [`ConnectionLimits::body_timeout`]. Both run only while the body is asked for and has
/// nothing to give, the total from the first time it is asked for.
pub(crate) struct TimedBody<B> {
    inner: B,
    stall: Duration,
    total: Duration,
    started: Option<Instant>,
    /// Since when the reader has waited for the next frame.
    waiting: Option<Instant>,
    timer: Option<Pin<Box<Sleep>>>,
    watch: BodyWatch,
}

impl<B> TimedBody<B> {
    /// `inner` within `limits`, and the watch that tells when it timed out.
    pub(crate) fn new(inner: B, limits: &ConnectionLimits) -> (TimedBody<B>, BodyWatch) {
        let watch = BodyWatch::default();
        let body = TimedBody {
            inner,
            stall: limits.body_stall_timeout,
            total: limits.body_timeout,
            started: None,
            waiting: None,
            timer: None,
            watch: watch.clone(),
        };
        (body, watch)
    }
}

impl<B> Body for TimedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        if let Some(timed_out) = this.watch.0.get() {
            return Poll::Ready(Some(Err(timed_out.clone().into())));
        }
        let now = Instant::now();
        let started = *this.started.get_or_insert(now);
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.waiting = None;
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        let waiting = *this.waiting.get_or_insert(now);
        let (stalls, ends) = (waiting + this.stall, started + this.total);
        let deadline = stalls.min(ends);
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        timer.as_mut().reset(deadline);
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let timed_out = BodyTimedOut(if stalls <= ends {
            format!(
                "no byte of the request's body arrived for {:?}; send it without pausing",
                this.stall
            )
        } else {
            format!(
                "the request's body was not whole within {:?}; send it faster",
                this.total
            )
        });
        let _ = this.watch.0.set(timed_out.clone());
        Poll::Ready(Some(Err(timed_out.into())))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_over_its_cap_is_refused_while_another_is_admitted() {
        let limits = ConnectionLimits {
            per_address: 2,
            total: 3,
            ..ConnectionLimits::default()
        };
        let admission = Arc::new(Admission::default());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = admission.admit(a, &limits).unwrap();
        let _second = admission.admit(a, &limits).unwrap();
        assert!(admission.admit(a, &limits).is_none());
        let _other = admission.admit(b, &limits).unwrap();
        // Three in all: the total refuses even an address with none.
        assert!(
            admission
                .admit("10.0.0.3".parse().unwrap(), &limits)
                .is_none()
        );
        drop(first);
        assert!(admission.admit(a, &limits).is_some());
    }
}
