//! A few unconnected UDP sockets that many [`Session`](super::Session)s share.
//!
//! A session normally owns a socket connected to its device. A sweep of a
//! subnet cannot: almost every address is silent, so what it takes is the
//! number of addresses times the timeout, divided by how many are asked at
//! once, and a socket per address caps that at the process's file
//! descriptors (a few hundred in practice). Here a handful of sockets carry
//! every session's datagrams and a receive task per socket hands each answer
//! to the session registered for its source address, which is what a
//! connected socket does in the kernel. The session then checks request-ids,
//! versions and digests exactly as it does on a socket of its own, so a
//! shared session behaves like any other.
//!
//! A paced [`Sweep`](super::Sweep) asks most addresses without any session:
//! datagrams from an address no session holds go to its one table instead
//! (the `unrouted` channel), where each is matched by request-id.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

use super::RECEIVE_BUFFER;

/// Datagrams a session may have waiting: one per attempt is the norm; more
/// are dropped, as a full kernel buffer would.
const INBOX: usize = 4;

/// Where each device's answers go.
type Routes = Mutex<HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>>;

/// Datagrams from addresses no session holds, with where they came from.
pub(crate) type Unrouted = mpsc::Receiver<(SocketAddr, Vec<u8>)>;

/// Datagrams from addresses no session holds that may wait for the sweep to
/// look at them: at a sweep's pace of thousands of packets a second, about a
/// second of answers if every address answered.
const UNROUTED: usize = 8192;

/// Sockets shared by sessions to many devices, one session per device at a
/// time. Dropping it stops its receive tasks; sessions still open on it then
/// time out.
pub struct SharedSockets {
    v4: Vec<Arc<UdpSocket>>,
    v6: Vec<Arc<UdpSocket>>,
    routes: Arc<Routes>,
    next: AtomicUsize,
    receivers: Vec<AbortHandle>,
}

impl std::fmt::Debug for SharedSockets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSockets")
            .field("v4", &self.v4.len())
            .field("v6", &self.v6.len())
            .finish_non_exhaustive()
    }
}

impl SharedSockets {
    /// Binds `v4` IPv4 and `v6` IPv6 sockets on the unspecified address.
    /// Several per family spread a burst of answers over several kernel
    /// receive buffers instead of overflowing one. A socket that cannot be
    /// bound is logged and left out: devices of a family with none are
    /// unreachable to this host, which is what they are.
    pub async fn bind(v4: usize, v6: usize) -> SharedSockets {
        Self::bind_with(v4, v6, None).await
    }

    /// [`SharedSockets::bind`], handing datagrams from addresses no session
    /// holds to the receiver returned (dropped when it is full) instead of
    /// discarding them.
    pub(crate) async fn bind_unrouted(v4: usize, v6: usize) -> (SharedSockets, Unrouted) {
        let (tx, rx) = mpsc::channel(UNROUTED);
        (Self::bind_with(v4, v6, Some(tx)).await, rx)
    }

    async fn bind_with(
        v4: usize,
        v6: usize,
        unrouted: Option<mpsc::Sender<(SocketAddr, Vec<u8>)>>,
    ) -> SharedSockets {
        let routes = Arc::new(Routes::default());
        let mut receivers = Vec::new();
        let any4 = Ipv4Addr::UNSPECIFIED.into();
        let v4 = open(any4, v4, &routes, &unrouted, &mut receivers).await;
        let any6 = Ipv6Addr::UNSPECIFIED.into();
        let v6 = open(any6, v6, &routes, &unrouted, &mut receivers).await;
        SharedSockets {
            v4,
            v6,
            routes,
            next: AtomicUsize::new(0),
            receivers,
        }
    }

    /// Sends `bytes` to `address` from one of the sockets, taken in turn,
    /// for a question that has no session.
    pub(crate) async fn send_to(&self, bytes: &[u8], address: SocketAddr) -> io::Result<()> {
        self.socket(address)?
            .send_to(bytes, address)
            .await
            .map(|_| ())
    }

    /// The next socket of `address`'s family, in turn.
    fn socket(&self, address: SocketAddr) -> io::Result<Arc<UdpSocket>> {
        let sockets = if address.is_ipv4() {
            &self.v4
        } else {
            &self.v6
        };
        if sockets.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                "no shared socket of this address family is open",
            ));
        }
        Ok(sockets[self.next.fetch_add(1, Ordering::Relaxed) % sockets.len()].clone())
    }

    /// A route to `address` on one of the sockets, taken in turn. Fails when
    /// another session to the same address is open on these sockets (its
    /// answers could not be told apart) or no socket of the family is open.
    pub(crate) fn route(&self, address: SocketAddr) -> io::Result<Route> {
        let socket = self.socket(address)?;
        let (tx, inbox) = mpsc::channel(INBOX);
        let mut routes = lock(&self.routes);
        if routes.contains_key(&address) {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                "another session to this device is open on the shared sockets",
            ));
        }
        routes.insert(address, tx);
        Ok(Route {
            socket,
            address,
            inbox,
            routes: self.routes.clone(),
        })
    }
}

impl Drop for SharedSockets {
    fn drop(&mut self) {
        for receiver in &self.receivers {
            receiver.abort();
        }
    }
}

/// One session's share of the sockets: what it sends goes to its device,
/// what its device answers comes to its inbox.
pub(crate) struct Route {
    socket: Arc<UdpSocket>,
    address: SocketAddr,
    inbox: mpsc::Receiver<Vec<u8>>,
    routes: Arc<Routes>,
}

impl Route {
    pub(crate) async fn send(&self, bytes: &[u8]) -> io::Result<()> {
        self.socket.send_to(bytes, self.address).await.map(|_| ())
    }

    /// The next datagram from the device, moved into `buffer`.
    pub(crate) async fn recv(&mut self, buffer: &mut Vec<u8>) -> io::Result<usize> {
        match self.inbox.recv().await {
            Some(datagram) => {
                *buffer = datagram;
                Ok(buffer.len())
            }
            None => Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "the shared sockets were closed",
            )),
        }
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        lock(&self.routes).remove(&self.address);
    }
}

/// Binds `count` sockets on `any`, each with a receive task routing its answers.
async fn open(
    any: IpAddr,
    count: usize,
    routes: &Arc<Routes>,
    unrouted: &Option<mpsc::Sender<(SocketAddr, Vec<u8>)>>,
    receivers: &mut Vec<AbortHandle>,
) -> Vec<Arc<UdpSocket>> {
    let mut sockets = Vec::with_capacity(count);
    for _ in 0..count {
        match UdpSocket::bind((any, 0)).await {
            Ok(socket) => {
                let socket = Arc::new(socket);
                let task = tokio::spawn(receive(socket.clone(), routes.clone(), unrouted.clone()));
                receivers.push(task.abort_handle());
                sockets.push(socket);
            }
            Err(e) => tracing::warn!(local = %any, error = %e, "cannot open a shared SNMP socket"),
        }
    }
    sockets
}

fn lock(routes: &Routes) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>> {
    routes
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn receive(
    socket: Arc<UdpSocket>,
    routes: Arc<Routes>,
    unrouted: Option<mpsc::Sender<(SocketAddr, Vec<u8>)>>,
) {
    let mut buffer = vec![0; RECEIVE_BUFFER];
    loop {
        match socket.recv_from(&mut buffer).await {
            Ok((len, from)) => {
                // A full inbox drops the datagram, as a full socket buffer would.
                let route = lock(&routes).get(&from).cloned();
                if let Some(route) = route {
                    let _ = route.try_send(buffer[..len].to_vec());
                } else if let Some(unrouted) = &unrouted {
                    let _ = unrouted.try_send((from, buffer[..len].to_vec()));
                }
            }
            // Windows reports an earlier ICMP port-unreachable on the next
            // receive; such a device is as good as silent.
            Err(e) => tracing::debug!(error = %e, "shared SNMP receive failed"),
        }
    }
}
