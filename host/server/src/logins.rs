//! What stands before a password check: a throttle on failed logins per client address
//! and per user name, and a bound on how many checks run at once.
//!
//! Without the throttle anyone may try passwords as fast as the server checks them; a
//! name or address that failed too often within the window is answered 429 with
//! `Retry-After`, even with the right password, until the window ends. Without the bound
//! each argon2 check holds about 19 MiB on a blocking thread, so a burst of logins grows
//! the server by gigabytes; checks beyond it wait, and logins beyond the waiting room are
//! answered 503 at once.
//!
//! Every argon2 computation (logins, password changes, new users) runs on a few threads
//! of its own, as many as checks may run at once, rather than on tokio's blocking pool.
//! Bounding the checks alone was not enough: after the first 19 MiB was freed, glibc's
//! dynamic mmap threshold served each later check from a malloc arena that kept it (a fixed
//! `MALLOC_MMAP_THRESHOLD_` made the growth vanish), and the pool ran checks on whichever
//! of its many threads was free. Measured with `quire-bench logins` (README, "Hardening"):
//! five bursts of 64 logins with two checks at once grew the server by 345 MiB on the
//! blocking pool; on these threads, each reusing its working memory (`secrets`), it grows
//! by the two checks' 41 MiB.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::error::{ApiResult, Failure};

/// The login throttle's and the password checks' limits; [`LoginLimits::default`] gives
/// the documented defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginLimits {
    /// Failed logins from one client address (an IPv6 /64) within `window` after which
    /// that address is refused until the window ends.
    pub failures_per_address: u32,
    /// Failed logins for one user name within `window` after which logins as that name
    /// are refused until the window ends.
    pub failures_per_user: u32,
    /// Counted from a name's or an address's first failure.
    pub window: Duration,
    /// Password checks running at once.
    pub concurrent_checks: usize,
    /// Logins waiting for a check; more are answered 503.
    pub waiting_checks: usize,
}

impl Default for LoginLimits {
    /// 20 failures per address and 10 per name in 15 minutes; as many checks at once as
    /// the machine has cores (at least 2), and 32 waiting.
    fn default() -> LoginLimits {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        LoginLimits {
            failures_per_address: 20,
            failures_per_user: 10,
            window: Duration::from_secs(15 * 60),
            concurrent_checks: cores.max(2),
            waiting_checks: 32,
        }
    }
}

/// Names and addresses tracked before expired ones are swept.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Who {
    Address(IpAddr),
    Name(String),
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
}

/// Work for the password threads.
type Job = Box<dyn FnOnce() + Send>;

/// The login throttle and the password checks' bound of one server.
#[derive(Debug)]
pub(crate) struct Logins {
    limits: LoginLimits,
    failures: Mutex<HashMap<Who, Failures>>,
    checks: Semaphore,
    waiting: AtomicUsize,
    /// The password threads' queue; they end when it is dropped with the server's state.
    argon2: mpsc::Sender<Job>,
}

impl Logins {
    pub(crate) fn new(limits: LoginLimits) -> Logins {
        let threads = limits.concurrent_checks.max(1);
        Logins {
            checks: Semaphore::new(threads),
            failures: Mutex::default(),
            waiting: AtomicUsize::new(0),
            argon2: password_threads(threads),
            limits,
        }
    }

    /// Runs `work` (an argon2 hash or check) on the password threads, after any queued
    /// before it.
    pub(crate) async fn hashing<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work());
        });
        let stopped = || Failure::Internal("the password threads have stopped".to_owned());
        self.argon2.send(job).map_err(|_| stopped())?;
        result.await.map_err(|_| stopped())
    }

    /// Runs `check` (the password check of a login as `name` from `address`) when neither
    /// is throttled and a check may run, and counts its 401 as a failure of both.
    pub(crate) async fn guard<T>(
        &self,
        address: IpAddr,
        name: &str,
        check: impl Future<Output = ApiResult<T>>,
    ) -> ApiResult<T> {
        let who = [
            Who::Address(network(address)),
            Who::Name(name.to_lowercase()),
        ];
        self.refuse_throttled(&who)?;
        let permit = self.permit().await?;
        let checked = check.await;
        drop(permit);
        match &checked {
            Err(Failure::Unauthorized(_)) => self.failed(&who),
            Ok(_) => {
                self.failures
                    .lock()
                    .expect("the login failures")
                    .remove(&who[1]);
            }
            Err(_) => {}
        }
        checked
    }

    fn limit(&self, who: &Who) -> u32 {
        match who {
            Who::Address(_) => self.limits.failures_per_address,
            Who::Name(_) => self.limits.failures_per_user,
        }
    }

    /// 429 when the address or the name failed too often within the window.
    fn refuse_throttled(&self, who: &[Who]) -> ApiResult<()> {
        let now = Instant::now();
        let failures = self.failures.lock().expect("the login failures");
        let locked = who
            .iter()
            .filter_map(|w| {
                let f = failures.get(w)?;
                let ends = f.since + self.limits.window;
                (f.count >= self.limit(w) && ends > now).then(|| (w, ends - now))
            })
            .max_by_key(|(_, left)| *left);
        match locked {
            None => Ok(()),
            Some((w, retry_after)) => Err(Failure::TooManyRequests {
                retry_after,
                message: match w {
                    Who::Address(_) => "too many failed logins from this address; try again later",
                    Who::Name(_) => "too many failed logins for this user name; try again later",
                }
                .to_owned(),
            }),
        }
    }

    fn failed(&self, who: &[Who]) {
        let now = Instant::now();
        let window = self.limits.window;
        let mut failures = self.failures.lock().expect("the login failures");
        if failures.len() > SWEEP_ABOVE {
            failures.retain(|_, f| f.since + window > now);
        }
        for w in who {
            let entry = failures.entry(w.clone()).or_insert(Failures {
                count: 0,
                since: now,
            });
            if entry.since + window <= now {
                *entry = Failures {
                    count: 0,
                    since: now,
                };
            }
            entry.count += 1;
        }
    }

    /// A place to run a password check: at once when one is free, after waiting when the
    /// waiting room has space, else 503.
    async fn permit(&self) -> ApiResult<SemaphorePermit<'_>> {
        if let Ok(permit) = self.checks.try_acquire() {
            return Ok(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.limits.waiting_checks {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Failure::Unavailable {
                retry_after: Duration::from_secs(1),
                message: "too many logins at once; try again in a moment".to_owned(),
            });
        }
        let permit = self.checks.acquire().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit.map_err(|e| Failure::Internal(format!("the password checks: {e}")))
    }
}

/// Starts `count` threads that run the jobs sent on the returned queue, each in turn, until
/// the queue is dropped. A thread that cannot start is logged; the rest serve.
fn password_threads(count: usize) -> mpsc::Sender<Job> {
    let (queue, jobs) = mpsc::channel::<Job>();
    let jobs = Arc::new(Mutex::new(jobs));
    for n in 0..count {
        let jobs = jobs.clone();
        let started = std::thread::Builder::new()
            .name(format!("quire-password-{n}"))
            .spawn(move || {
                loop {
                    let next = jobs.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
        if let Err(e) = started {
            tracing::error!(error = %e, "cannot start a password thread");
        }
    }
    queue
}

/// The address a client is throttled by: itself, or its /64 for IPv6, which one client
/// usually holds whole.
fn network(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_throttled_by_its_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(c));
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(network(mapped), "10.0.0.1".parse::<IpAddr>().unwrap());
    }
}
