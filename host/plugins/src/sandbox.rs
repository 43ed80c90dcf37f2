//! The sandbox one plugin call runs in: a fresh store with a memory cap, an
//! epoch deadline, WASI with no ambient authority, and Quire's imports served
//! by the one device's transport after the host's own checks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use quire_snmp::{Oid, Value};
use quire_transport::{
    DeviceTransport, HttpMethod, HttpRequest, NpapPort, NpapRequest, SnmpRequest, TransportError,
};
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, Trap, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::action::{Outbound, OutboundRequest, resolve};
use crate::bindings::action::quire::device::outbound_http;
use crate::bindings::latest::quire::device::{http, log, npap, snmp, types};
use crate::config::HostConfig;
use crate::{MAX_LOG_LINE_BYTES, MAX_LOG_LINES, MAX_VARBINDS_PER_CALL, Stop};

/// Most core instances, tables and memories one component may create. A Rust
/// strategy built for wasm32-wasip2 uses a handful of each (its module, the
/// WASI adapter, the glue); the caps stop a component that multiplies them.
pub(crate) const MAX_INSTANCES: usize = 32;
pub(crate) const MAX_TABLES: usize = 32;
pub(crate) const MAX_MEMORIES: usize = 4;
/// Most elements in one table: far above what compiled Rust needs for its
/// function table, far below what would cost the host real memory.
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// What a store holds for one call.
pub(crate) struct Sandbox {
    plugin: Arc<str>,
    /// Built on the plugin's first WASI call (see [`no_authority`]): a strategy's
    /// read seldom makes one, and building it seeds three random number
    /// generators, a measurable part of a call that reads a small device.
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    limits: Limits,
    transport: Arc<dyn DeviceTransport>,
    /// The first request that reached outside the device; it fails the call.
    escape: Option<String>,
    /// An action call's endpoints; `None` for a strategy, which has none.
    outbound: Option<Outbound>,
    /// The first outbound request naming an endpoint not granted, or leaving its
    /// base URL; it fails the call.
    refused: Option<String>,
    log_lines: usize,
    /// When the call began.
    started: Instant,
    /// Time spent waiting on the device inside imports: it does not count
    /// against the plugin's deadline, which is for its own computing.
    waiting: Duration,
}

/// The memory and table caps, checked by wasmtime on every growth.
struct Limits {
    memory_cap: usize,
}

/// The error a growth past the cap traps with, so the host can say which limit it was.
#[derive(Debug, thiserror::Error)]
#[error("memory cap reached")]
struct MemoryCapHit;

/// The error the epoch callback traps with once the deadline has passed.
#[derive(Debug, thiserror::Error)]
#[error("deadline passed")]
struct DeadlineHit;

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_cap {
            return Err(MemoryCapHit.into());
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE_ELEMENTS)
    }

    fn instances(&self) -> usize {
        MAX_INSTANCES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

impl Sandbox {
    /// A store for one call of `plugin`, talking to `transport`, that traps once
    /// the plugin has computed for `config.deadline` (time waiting on the device
    /// excluded) and yields to the runtime at every epoch tick.
    pub(crate) fn store(
        engine: &wasmtime::Engine,
        config: &HostConfig,
        plugin: Arc<str>,
        transport: Arc<dyn DeviceTransport>,
    ) -> Store<Sandbox> {
        let sandbox = Sandbox {
            plugin,
            wasi: None,
            table: ResourceTable::new(),
            limits: Limits {
                memory_cap: config.memory_cap,
            },
            transport,
            escape: None,
            outbound: None,
            refused: None,
            log_lines: 0,
            started: Instant::now(),
            waiting: Duration::ZERO,
        };
        let mut store = Store::new(engine, sandbox);
        store.limiter(|s| &mut s.limits);
        let budget = config.deadline;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |ctx| {
            if ctx.data().computing() >= budget {
                Err(DeadlineHit.into())
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store
    }

    /// The time the call has spent in the plugin's own code so far, instantiation
    /// included and device waits excluded: what the deadline is counted against.
    pub(crate) fn computing(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.waiting)
    }

    /// The name the plugin is known by in logs and errors.
    pub(crate) fn plugin(&self) -> &str {
        &self.plugin
    }

    /// Awaits the device, booking the time as waiting rather than computing.
    async fn wait<T>(&mut self, exchange: impl Future<Output = T>) -> T {
        let asked = Instant::now();
        let answer = exchange.await;
        self.waiting += asked.elapsed();
        answer
    }

    /// Lets this call reach `outbound`'s endpoints (an action call).
    pub(crate) fn grant(&mut self, outbound: Outbound) {
        self.outbound = Some(outbound);
    }

    /// The first outbound request the host refused, if any.
    pub(crate) fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    /// The first off-device request the plugin made, if any.
    pub(crate) fn escape(&self) -> Option<&str> {
        self.escape.as_deref()
    }
}

/// Why a call ended in a wasmtime error, in the host's words.
pub(crate) fn stop_of(err: &wasmtime::Error, config: &HostConfig) -> Stop {
    if err.downcast_ref::<MemoryCapHit>().is_some() {
        return Stop::Memory(config.memory_cap);
    }
    if err.downcast_ref::<DeadlineHit>().is_some() {
        return Stop::Deadline(config.deadline);
    }
    match err.downcast_ref::<Trap>() {
        Some(Trap::StackOverflow) => Stop::Stack,
        Some(Trap::Interrupt) => Stop::Deadline(config.deadline),
        Some(trap) => {
            let why = trap.to_string();
            Stop::Trap(why.trim_start_matches("wasm trap: ").to_owned())
        }
        None => Stop::Trap(format!("{err:#}")),
    }
}

/// The WASI a plugin gets: no preopened directories, no environment, no
/// arguments, no stdin; stdout and stderr are the builder's default sinks; no
/// socket address passes the check and name lookup stays off.
fn no_authority() -> WasiCtx {
    WasiCtx::builder()
        .socket_addr_check(|_, _| Box::pin(async { false }))
        .allow_ip_name_lookup(false)
        .allow_tcp(false)
        .allow_udp(false)
        .build()
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: self.wasi.get_or_insert_with(no_authority),
            table: &mut self.table,
        }
    }
}

impl types::Host for Sandbox {}

pub(crate) fn too_many(count: usize) -> types::TransportError {
    types::TransportError::Denied(format!(
        "{count} OIDs in one request; the cap is {MAX_VARBINDS_PER_CALL}"
    ))
}

fn oids_in(oids: Vec<types::Oid>) -> Result<Vec<Oid>, types::TransportError> {
    if oids.len() > MAX_VARBINDS_PER_CALL {
        return Err(too_many(oids.len()));
    }
    Ok(oids.into_iter().map(Oid::from).collect())
}

fn snmp_value(value: Value) -> types::SnmpValue {
    use types::SnmpValue as W;
    match value {
        Value::Integer(i) => W::Integer(i),
        Value::OctetString(b) => W::Octets(b),
        Value::Null => W::Null,
        Value::ObjectId(oid) => W::ObjectId(oid.into()),
        Value::IpAddress([a, b, c, d]) => W::IpAddress((a, b, c, d)),
        Value::Counter32(n) => W::Counter32(n),
        Value::Gauge32(n) => W::Gauge32(n),
        Value::TimeTicks(n) => W::Timeticks(n),
        Value::Opaque(b) => W::Opaque(b),
        Value::Counter64(n) => W::Counter64(n),
        Value::NoSuchObject => W::NoSuchObject,
        Value::NoSuchInstance => W::NoSuchInstance,
        Value::EndOfMibView => W::EndOfMibView,
    }
}

pub(crate) fn transport_error(e: TransportError) -> types::TransportError {
    use types::TransportError as W;
    match e {
        TransportError::Timeout => W::Timeout,
        TransportError::Unreachable(s) => W::Unreachable(s),
        TransportError::Protocol(s) => W::Protocol(s),
        TransportError::Denied(s) => W::Denied(s),
        TransportError::NotRecorded(s) => W::NotRecorded(s),
    }
}

impl Sandbox {
    /// Asks the device and hands the plugin at most [`MAX_VARBINDS_PER_CALL`]
    /// of the varbinds it answered.
    async fn snmp(
        &mut self,
        request: SnmpRequest<'_>,
    ) -> Result<Vec<types::Varbind>, types::TransportError> {
        let transport = self.transport.clone();
        let mut varbinds = self
            .wait(transport.snmp(request))
            .await
            .map_err(transport_error)?;
        varbinds.truncate(MAX_VARBINDS_PER_CALL);
        Ok(varbinds
            .into_iter()
            .map(|(oid, value)| types::Varbind {
                oid: oid.into(),
                value: snmp_value(value),
            })
            .collect())
    }
}

impl snmp::Host for Sandbox {
    async fn get(
        &mut self,
        oids: Vec<types::Oid>,
    ) -> Result<Vec<types::Varbind>, types::TransportError> {
        let oids = oids_in(oids)?;
        self.snmp(SnmpRequest::Get(&oids)).await
    }

    async fn get_next(
        &mut self,
        oids: Vec<types::Oid>,
    ) -> Result<Vec<types::Varbind>, types::TransportError> {
        let oids = oids_in(oids)?;
        self.snmp(SnmpRequest::GetNext(&oids)).await
    }

    async fn get_bulk(
        &mut self,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: Vec<types::Oid>,
    ) -> Result<Vec<types::Varbind>, types::TransportError> {
        let oids = oids_in(oids)?;
        let non_repeaters = (non_repeaters as usize).min(oids.len());
        // Like an agent whose answer would not fit one PDU, send fewer rows
        // rather than refuse: the strategy continues its walk from the last one.
        let repeaters = (oids.len() - non_repeaters).max(1);
        let room = MAX_VARBINDS_PER_CALL.saturating_sub(non_repeaters) / repeaters;
        self.snmp(SnmpRequest::GetBulk {
            non_repeaters,
            max_repetitions: (max_repetitions as usize).min(room.max(1)),
            oids: &oids,
        })
        .await
    }

    async fn walk(
        &mut self,
        roots: Vec<types::Oid>,
        max_varbinds: u32,
    ) -> Result<snmp::Walked, types::TransportError> {
        let transport = self.transport.clone();
        // The host's own work on the walk is not the plugin's computing either.
        self.wait(crate::walk::walk(&*transport, roots, max_varbinds))
            .await
    }
}

/// Longest NPAP exchange a plugin may ask for: NPAP answers in milliseconds, and
/// the call's own deadline bounds the total anyway.
const MAX_NPAP_TIMEOUT: Duration = Duration::from_secs(1);
/// Largest NPAP request a plugin may send: NPAP commands are tens of bytes.
const MAX_NPAP_REQUEST: usize = 64 << 10;

impl npap::Host for Sandbox {
    async fn exchange(
        &mut self,
        port: npap::NpapPort,
        request: Vec<u8>,
        timeout_ms: u32,
    ) -> Result<Vec<u8>, types::TransportError> {
        if request.len() > MAX_NPAP_REQUEST {
            return Err(types::TransportError::Denied(format!(
                "an NPAP request of {} bytes; the cap is {MAX_NPAP_REQUEST}",
                request.len()
            )));
        }
        let exchange = NpapRequest {
            port: match port {
                npap::NpapPort::Udp9300 => NpapPort::Udp9300,
                npap::NpapPort::Tcp9500 => NpapPort::Tcp9500,
            },
            bytes: &request,
            timeout: Duration::from_millis(timeout_ms.into()).min(MAX_NPAP_TIMEOUT),
        };
        let transport = self.transport.clone();
        self.wait(transport.npap_exchange(exchange))
            .await
            .map_err(transport_error)
    }
}

/// Whether `path` names a resource on the device itself: one leading `/` and
/// no scheme or authority, so the plugin cannot point the request elsewhere.
fn on_device(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\')
}

/// Largest HTTP request body a plugin may send: strategies post small forms
/// and queries to status pages, never uploads.
const MAX_HTTP_REQUEST_BODY: usize = 1 << 20;

impl http::Host for Sandbox {
    async fn send(&mut self, req: http::Request) -> Result<http::Response, types::TransportError> {
        if let Some(body) = &req.body
            && body.len() > MAX_HTTP_REQUEST_BODY
        {
            return Err(types::TransportError::Denied(format!(
                "an HTTP request body of {} bytes; the cap is {MAX_HTTP_REQUEST_BODY}",
                body.len()
            )));
        }
        if !on_device(&req.path) {
            tracing::warn!(plugin = %self.plugin, path = %req.path, "plugin asked for a URL off its device");
            self.escape.get_or_insert_with(|| req.path.clone());
            return Err(types::TransportError::Denied(format!(
                "{} is not a path on this device",
                req.path
            )));
        }
        let request = HttpRequest {
            method: match req.method {
                http::Method::Get => HttpMethod::Get,
                http::Method::Post => HttpMethod::Post,
            },
            tls: req.tls,
            port: req.port,
            path: req.path,
            headers: req.headers,
            body: req.body,
        };
        let transport = self.transport.clone();
        let response = self
            .wait(transport.http_send(&request))
            .await
            .map_err(transport_error)?;
        Ok(http::Response {
            status: response.status,
            headers: response.headers,
            body: response.body,
        })
    }
}

impl outbound_http::Host for Sandbox {
    async fn send(
        &mut self,
        req: outbound_http::OutboundRequest,
    ) -> Result<http::Response, types::TransportError> {
        if let Some(body) = &req.body
            && body.len() > MAX_HTTP_REQUEST_BODY
        {
            return Err(types::TransportError::Denied(format!(
                "an HTTP request body of {} bytes; the cap is {MAX_HTTP_REQUEST_BODY}",
                body.len()
            )));
        }
        let granted = self
            .outbound
            .as_ref()
            .and_then(|o| o.endpoints.iter().find(|e| e.name == req.endpoint))
            .ok_or_else(|| {
                format!(
                    "the endpoint {:?}, which is not configured for it",
                    req.endpoint
                )
            })
            .and_then(|endpoint| {
                resolve(endpoint, &req.path)
                    .map(|url| (endpoint.clone(), url))
                    .map_err(|why| format!("{why} on the endpoint {:?}", req.endpoint))
            });
        let (endpoint, url) = match granted {
            Ok(found) => found,
            Err(why) => {
                tracing::warn!(plugin = %self.plugin, endpoint = %req.endpoint, path = %req.path, "action plugin refused: {why}");
                self.refused.get_or_insert_with(|| why.clone());
                return Err(types::TransportError::Denied(why));
            }
        };
        let mut headers: Vec<(String, String)> = req
            .headers
            .into_iter()
            .filter(|(name, _)| {
                !endpoint
                    .headers
                    .iter()
                    .any(|(fixed, _)| fixed.eq_ignore_ascii_case(name))
            })
            .collect();
        headers.extend(endpoint.headers.iter().cloned());
        let request = OutboundRequest {
            endpoint: endpoint.name,
            url,
            method: match req.method {
                http::Method::Get => HttpMethod::Get,
                http::Method::Post => HttpMethod::Post,
            },
            headers,
            body: req.body,
        };
        let client = self
            .outbound
            .as_ref()
            .map(|o| o.client.clone())
            .expect("an endpoint was granted, so the call has a client");
        let response = self
            .wait(client.send(request))
            .await
            .map_err(transport_error)?;
        Ok(http::Response {
            status: response.status,
            headers: response.headers,
            body: response.body,
        })
    }
}

impl log::Host for Sandbox {
    async fn log(&mut self, level: types::LogLevel, mut message: String) {
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            return;
        }
        if message.len() > MAX_LOG_LINE_BYTES {
            let mut end = MAX_LOG_LINE_BYTES;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
        }
        let plugin = &*self.plugin;
        match level {
            types::LogLevel::Trace => tracing::trace!(plugin, "{message}"),
            types::LogLevel::Debug => tracing::debug!(plugin, "{message}"),
            types::LogLevel::Info => tracing::info!(plugin, "{message}"),
            types::LogLevel::Warn => tracing::warn!(plugin, "{message}"),
            types::LogLevel::Error => tracing::error!(plugin, "{message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::on_device;

    #[test]
    fn only_paths_on_the_device_pass() {
        for path in ["/hp/device/info", "/cgi-bin/status?x=1"] {
            assert!(on_device(path), "{path:?}");
        }
        for path in ["http://127.0.0.9/x", "//127.0.0.9/x", "/\\127.0.0.9/x", ""] {
            assert!(!on_device(path), "{path:?}");
        }
    }
}
