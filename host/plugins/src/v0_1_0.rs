//! Contract 0.1.0's imports, served by passing each call to the live import.
//!
//! 0.2.0 changed no import: `snmp`, `npap`, `http`, `log` and `outbound-http` are
//! the same functions under their new names. bindgen still gives each release's
//! records and enums their own Rust types, so the calls convert on the way, and
//! every check the live imports make (caps, paths off the device, endpoints not
//! granted) applies to old plugins unchanged.

use crate::bindings::action::quire::device::outbound_http as live_outbound;
use crate::bindings::latest::quire::device::{http, log, npap, snmp, types};
use crate::bindings::v0_1_0::action::quire::device::outbound_http as old_outbound;
use crate::bindings::v0_1_0::quire::device as old;
use crate::sandbox::Sandbox;

impl old::snmp::Host for Sandbox {
    async fn get(
        &mut self,
        oids: Vec<types::Oid>,
    ) -> Result<Vec<types::Varbind>, types::TransportError> {
        snmp::Host::get(self, oids).await
    }

    async fn get_next(
        &mut self,
        oids: Vec<types::Oid>,
    ) -> Result<Vec<types::Varbind>, types::TransportError> {
        snmp::Host::get_next(self, oids).await
    }

    async fn get_bulk(
        &mut self,
        non_repeaters: u32,
        max_repetitions: u32,
        oids: Vec<types::Oid>,
    ) -> Result<Vec<types::Varbind>, types::TransportError> {
        snmp::Host::get_bulk(self, non_repeaters, max_repetitions, oids).await
    }
}

impl old::npap::Host for Sandbox {
    async fn exchange(
        &mut self,
        port: old::npap::NpapPort,
        request: Vec<u8>,
        timeout_ms: u32,
    ) -> Result<Vec<u8>, types::TransportError> {
        let port = match port {
            old::npap::NpapPort::Udp9300 => npap::NpapPort::Udp9300,
            old::npap::NpapPort::Tcp9500 => npap::NpapPort::Tcp9500,
        };
        npap::Host::exchange(self, port, request, timeout_ms).await
    }
}

fn method(method: old::http::Method) -> http::Method {
    match method {
        old::http::Method::Get => http::Method::Get,
        old::http::Method::Post => http::Method::Post,
    }
}

fn response(response: http::Response) -> old::http::Response {
    old::http::Response {
        status: response.status,
        headers: response.headers,
        body: response.body,
    }
}

impl old::http::Host for Sandbox {
    async fn send(
        &mut self,
        req: old::http::Request,
    ) -> Result<old::http::Response, types::TransportError> {
        let req = http::Request {
            method: method(req.method),
            tls: req.tls,
            port: req.port,
            path: req.path,
            headers: req.headers,
            body: req.body,
        };
        http::Host::send(self, req).await.map(response)
    }
}

impl old::log::Host for Sandbox {
    async fn log(&mut self, level: types::LogLevel, message: String) {
        log::Host::log(self, level, message).await
    }
}

impl old_outbound::Host for Sandbox {
    async fn send(
        &mut self,
        req: old_outbound::OutboundRequest,
    ) -> Result<old::http::Response, types::TransportError> {
        let req = live_outbound::OutboundRequest {
            endpoint: req.endpoint,
            method: method(req.method),
            path: req.path,
            headers: req.headers,
            body: req.body,
        };
        live_outbound::Host::send(self, req).await.map(response)
    }
}
