//! What one client may hold of the listener: how long it may take over the TLS handshake,
//! over a request's head and between requests, and how many connections it and everyone
//! together may keep open. Without these a stranger holds the server's sockets and memory
//! with connections that never finish saying anything, unauthenticated.
//!
//! The timeouts are watched per connection ([`Activity`]): the bytes read and written
//! through the TLS stream and the requests in flight tell whether the connection waits
//! for a request (idle), is reading one's head, or is being answered, which has no limit
//! here (a handler's own work may take long).

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

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
    /// Connections one client address may hold at once; more are closed on accept.
    pub per_address: usize,
    /// Connections all clients together may hold at once; more are closed on accept.
    pub total: usize,
}

impl Default for ConnectionLimits {
    /// 10 s for a handshake and for a head, 60 s idle, 64 connections per address and
    /// 1,024 in all: an agent or a browser needs a few, and 1,024 stays under the usual
    /// open-file limit with room for the database and the log.
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
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
