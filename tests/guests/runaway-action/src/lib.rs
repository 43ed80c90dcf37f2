//! An action plugin that computes forever, so the tests can prove the host's deadline
//! stops an action plugin and costs only its own action. An alert whose subject is
//! `endpoint:NAME` makes it ask for the endpoint NAME instead (and report performed,
//! whatever it was answered), so the endpoint scoping can be tested with one guest.
//! It binds contract 0.1.0 (`wit/since_v0.1.0/`), so those tests also prove that the
//! first release's action plugins keep loading; the shipped `erp-order` binds the live one.

use std::hint::black_box;

use exports::quire::device::action_api::{ActionEvent, AlertEvent, Guest, Outcome};
use quire::device::http::Method;
use quire::device::outbound_http::{OutboundRequest, send};

wit_bindgen::generate!({ path: "../../../wit/since_v0.1.0", world: "action" });

struct Runaway;

impl Guest for Runaway {
    fn perform(alert: AlertEvent, _action: ActionEvent) -> Outcome {
        if let Some(endpoint) = alert.subject.strip_prefix("endpoint:") {
            let (endpoint, path) = endpoint.split_once(' ').unwrap_or((endpoint, "/"));
            let answer = send(&OutboundRequest {
                endpoint: endpoint.into(),
                method: Method::Get,
                path: path.into(),
                headers: Vec::new(),
                body: None,
            });
            return Outcome::Performed(format!("{answer:?}"));
        }
        let mut n = 0u64;
        loop {
            n = black_box(n.wrapping_add(1));
        }
    }
}

export!(Runaway);
