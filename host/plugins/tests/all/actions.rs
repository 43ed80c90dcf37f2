//! Action plugins in the sandbox: the shipped ERP purchase order and a runaway test
//! guest, run by the host with endpoints granted per call. The client behind the host
//! is the caller's (the server's HTTP client); here it keeps what the host handed it
//! and answers as an ERP would, so what is checked is what the host lets through.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use quire_plugins::{
    ActionAlert, ActionCall, ActionOutcome, Endpoint, OutboundHttp, OutboundRequest, PluginError,
};
use quire_transport::{HttpResponse, TransportError};

use crate::{guest, host};

/// Keeps every request the host resolved and answers each with `status` and `body`.
struct Erp {
    status: u16,
    body: &'static str,
    seen: Mutex<Vec<OutboundRequest>>,
}

impl Erp {
    fn answering(status: u16, body: &'static str) -> Arc<Erp> {
        Arc::new(Erp {
            status,
            body,
            seen: Mutex::new(Vec::new()),
        })
    }

    fn seen(&self) -> Vec<OutboundRequest> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl OutboundHttp for Erp {
    async fn send(&self, request: OutboundRequest) -> Result<HttpResponse, TransportError> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(request);
        Ok(HttpResponse {
            status: self.status,
            headers: Vec::new(),
            body: self.body.as_bytes().to_vec(),
        })
    }
}

fn erp_endpoint() -> Endpoint {
    Endpoint {
        name: "erp".into(),
        base_url: "http://127.0.0.1:9/erp/".into(),
        headers: vec![("x-api-key".into(), "k-123".into())],
    }
}

fn alert(subject: &str) -> ActionAlert {
    ActionAlert {
        id: 7,
        definition: "Toner low".into(),
        kind: "consumable".into(),
        device_serial: Some("SN-1".into()),
        device_model: Some("ECOSYS P3145dn".into()),
        account: "Northwind".into(),
        subject: subject.into(),
        message: "toner low".into(),
        opened_at: "2026-12-08T10:00:00+00:00".into(),
    }
}

fn call(plugin: &str) -> ActionCall {
    ActionCall {
        id: 1,
        action_definition: "1".into(),
        action_type: plugin.into(),
        parameters: vec![
            ("idempotency-key".into(), "asm-key-1".into()),
            ("part-number".into(), "TK-5240K".into()),
            ("dealer".into(), "Acme".into()),
        ],
        attempt: 1,
    }
}

fn erp_order() -> Vec<u8> {
    quire_builtin::ACTIONS
        .iter()
        .find(|(name, _)| *name == "erp-order")
        .expect("erp-order is built in")
        .1
        .to_vec()
}

#[tokio::test]
async fn the_erp_plugin_posts_its_order_to_the_granted_endpoint_with_its_static_headers() {
    let host = host();
    let plugin = host.load_action("erp-order", &erp_order()).unwrap();
    let erp = Erp::answering(
        201,
        "<OrderConfirmation><OrderNumber>PO-9</OrderNumber></OrderConfirmation>",
    );
    let outcome = plugin
        .perform(
            vec![erp_endpoint()],
            erp.clone(),
            &alert("toner:black:1"),
            &call("erp-order"),
        )
        .await
        .unwrap();
    assert_eq!(outcome, ActionOutcome::Performed("order PO-9".into()));
    let seen = erp.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].url, "http://127.0.0.1:9/erp/purchase-orders");
    assert!(
        seen[0]
            .headers
            .contains(&("x-api-key".into(), "k-123".into())),
        "{:?}",
        seen[0].headers
    );
    let body = String::from_utf8(seen[0].body.clone().unwrap()).unwrap();
    assert!(body.contains("<OrderKey>asm-key-1</OrderKey>"), "{body}");
    assert!(body.contains("<PartNumber>TK-5240K</PartNumber>"), "{body}");

    let failing = Erp::answering(500, "down for maintenance");
    let outcome = plugin
        .perform(
            vec![erp_endpoint()],
            failing,
            &alert("toner:black:1"),
            &call("erp-order"),
        )
        .await
        .unwrap();
    assert!(
        matches!(&outcome, ActionOutcome::FailedRetry(why) if why.contains("500")),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_static_header_takes_the_place_of_the_plugins_own_of_that_name_in_any_case() {
    let host = host();
    let plugin = host.load_action("erp-order", &erp_order()).unwrap();
    let erp = Erp::answering(
        201,
        "<OrderConfirmation><OrderNumber>PO-9</OrderNumber></OrderConfirmation>",
    );
    // erp-order sends its own `content-type` and `idempotency-key`.
    let endpoint = Endpoint {
        headers: vec![
            ("Content-Type".into(), "application/x-dealer".into()),
            ("x-api-key".into(), "k-123".into()),
        ],
        ..erp_endpoint()
    };
    plugin
        .perform(
            vec![endpoint],
            erp.clone(),
            &alert("toner:black:1"),
            &call("erp-order"),
        )
        .await
        .unwrap();
    let seen = erp.seen();
    let typed: Vec<_> = seen[0]
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .collect();
    assert_eq!(
        typed,
        [&("Content-Type".to_owned(), "application/x-dealer".to_owned())],
        "{:?}",
        seen[0].headers
    );
    assert!(
        seen[0]
            .headers
            .contains(&("idempotency-key".into(), "asm-key-1".into())),
        "the plugin's other headers still go: {:?}",
        seen[0].headers
    );
}

#[tokio::test]
async fn an_endpoint_not_granted_is_refused_and_fails_the_action() {
    let host = host();
    let plugin = host.load_action("erp-order", &erp_order()).unwrap();
    let erp = Erp::answering(200, "<OrderNumber>1</OrderNumber>");
    let other = Endpoint {
        name: "service-desk".into(),
        ..erp_endpoint()
    };
    let err = plugin
        .perform(
            vec![other],
            erp.clone(),
            &alert("toner:black:1"),
            &call("erp-order"),
        )
        .await
        .unwrap_err();
    assert!(err.is_stop(), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("\"erp\"") && message.contains("not configured"),
        "{message}"
    );
    assert!(erp.seen().is_empty(), "a refused request went out");
}

#[tokio::test]
async fn a_plugin_that_claims_success_after_a_refusal_still_fails() {
    let host = host();
    let plugin = host
        .load_action("runaway", &guest("quire_guest_runaway_action"))
        .unwrap();
    let erp = Erp::answering(200, "ok");
    for (subject, why) in [
        ("endpoint:billing", "not configured"),
        (
            "endpoint:erp /../admin",
            "would leave the endpoint's base URL",
        ),
        ("endpoint:erp //evil.example/x", "names another host"),
    ] {
        let err = plugin
            .perform(
                vec![erp_endpoint()],
                erp.clone(),
                &alert(subject),
                &call("runaway"),
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains(why), "{subject}: {err}");
    }
    assert!(erp.seen().is_empty(), "a refused request went out");
    let outcome = plugin
        .perform(
            vec![erp_endpoint()],
            erp.clone(),
            &alert("endpoint:erp /ping"),
            &call("runaway"),
        )
        .await
        .unwrap();
    assert!(
        matches!(outcome, ActionOutcome::Performed(_)),
        "{outcome:?}"
    );
    assert_eq!(erp.seen()[0].url, "http://127.0.0.1:9/erp/ping");
}

#[tokio::test]
async fn a_runaway_action_is_stopped_at_the_deadline_and_the_host_keeps_serving() {
    let host = host();
    let runaway = host
        .load_action("runaway", &guest("quire_guest_runaway_action"))
        .unwrap();
    let erp = Erp::answering(200, "<OrderNumber>2</OrderNumber>");
    let err = runaway
        .perform(
            vec![erp_endpoint()],
            erp.clone(),
            &alert("toner:black:1"),
            &call("runaway"),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("ran past its 2 s deadline"),
        "{err}"
    );
    let plugin = host.load_action("erp-order", &erp_order()).unwrap();
    let outcome = plugin
        .perform(
            vec![erp_endpoint()],
            erp,
            &alert("toner:black:1"),
            &call("erp-order"),
        )
        .await
        .unwrap();
    assert_eq!(outcome, ActionOutcome::Performed("order 2".into()));
}

#[tokio::test]
async fn worlds_are_not_mixed_up_when_loading() {
    let host = host();
    let err = host.load(&erp_order()).await.unwrap_err();
    assert!(
        matches!(&err, PluginError::Invalid { reason, .. } if reason.contains("action plugin")),
        "{err}"
    );
    let err = host
        .load_action("printer-mib", &guest("quire_guest_hostile"))
        .unwrap_err();
    assert!(err.to_string().contains("not an action plugin"), "{err}");
}
