//! The ERP purchase-order action plugin (`erp-order`): orders a consumable that ran low
//! from the dealer's ERP system, by one XML document POSTed to the endpoint the dealer
//! named `erp`.
//!
//! # The request
//!
//! `POST {erp base URL}/purchase-orders` with `Content-Type: application/xml`, an
//! `Idempotency-Key` header equal to `<OrderKey>`, and this body (every value escaped
//! as XML text; an element whose value is unknown is left out):
//!
//! ```xml
//! <?xml version="1.0" encoding="UTF-8"?>
//! <PurchaseOrder xmlns="urn:quire:erp-order:1">
//!   <OrderKey>asm:…</OrderKey>
//!   <Dealer>Acme Print Services</Dealer>
//!   <Account>Globex</Account>
//!   <Device>
//!     <Serial>CNB1234567</Serial>
//!     <Model>HP LaserJet M507</Model>
//!   </Device>
//!   <Line>
//!     <ConsumableType>toner</ConsumableType>
//!     <Position>toner:black:1</Position>
//!     <PartNumber>CF289A</PartNumber>
//!     <Quantity>1</Quantity>
//!   </Line>
//! </PurchaseOrder>
//! ```
//!
//! `OrderKey` is the host's idempotency key of the ASM decision (the action event and
//! attempt): a server that crashed after posting and posts again sends the same key, so
//! the ERP must answer a key it has seen with the order it already created rather than a
//! second one. A retry after a failure is a new attempt with a new key.
//!
//! # The answer
//!
//! A 2xx answer whose body holds `<OrderNumber>N</OrderNumber>` (anywhere, typically in
//! an `<OrderConfirmation>` root) is the order placed: the action is performed as
//! `order N`. Any other status, or a 2xx without a non-empty order number, fails the
//! attempt for retry with the reason; so does an ERP that cannot be reached. An endpoint
//! the dealer has not configured, or an alert with no part number to order, fails the
//! action outright: retrying cannot mend either.
//!
//! # What the host passes
//!
//! The alert (device serial and model, account, the consumable position as its subject)
//! and these action parameters: `idempotency-key`, `dealer`, `consumable-type`,
//! `part-number` (of the position's latest reading) and `quantity`.
//!
//! The XML is written and read by hand (escaping five characters, finding one element):
//! a parser crate would add to every instantiation for two strings.

wit_bindgen::generate!({
    path: "../../plugins-sdk/wit",
    world: "action",
    additional_derives: [PartialEq],
});

use exports::quire::device::action_api::{ActionEvent, AlertEvent, Guest, Outcome};
use quire::device::http::Method;
use quire::device::outbound_http::{OutboundRequest, send};
use quire::device::types::TransportError;

/// The endpoint name the dealer configures for this plugin.
pub const ENDPOINT: &str = "erp";

/// Where under the endpoint orders are posted.
pub const PATH: &str = "/purchase-orders";

/// The plugin.
pub struct ErpOrder;

impl Guest for ErpOrder {
    fn perform(alert: AlertEvent, action: ActionEvent) -> Outcome {
        let order = match Order::of(&alert, &action) {
            Ok(order) => order,
            Err(why) => return Outcome::Failed(why),
        };
        let request = OutboundRequest {
            endpoint: ENDPOINT.into(),
            method: Method::Post,
            path: PATH.into(),
            headers: vec![
                ("content-type".into(), "application/xml".into()),
                ("idempotency-key".into(), order.key.clone()),
            ],
            body: Some(order.xml().into_bytes()),
        };
        match send(&request) {
            Ok(response) => confirmation(response.status, &response.body),
            Err(TransportError::Denied(why)) => Outcome::Failed(format!("the ERP: {why}")),
            Err(other) => Outcome::FailedRetry(format!("the ERP: {}", transport(other))),
        }
    }
}

#[cfg(target_arch = "wasm32")]
export!(ErpOrder);

/// One purchase order, as the XML carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The idempotency key.
    pub key: String,
    /// The dealer.
    pub dealer: Option<String>,
    /// The account the device is on.
    pub account: String,
    /// The device's serial number.
    pub serial: Option<String>,
    /// The device's model.
    pub model: Option<String>,
    /// `toner`, `drum`, …
    pub consumable_type: Option<String>,
    /// `toner:black:1`.
    pub position: String,
    /// The part to order.
    pub part_number: String,
    /// How many.
    pub quantity: u32,
}

impl Order {
    /// The order an alert and its action ask for, or why there is none.
    pub fn of(alert: &AlertEvent, action: &ActionEvent) -> Result<Order, String> {
        let param = |name: &str| {
            action
                .parameters
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if alert.kind != "consumable" {
            return Err(format!(
                "a purchase order is for a consumable alert; this one is a {} alert",
                alert.kind
            ));
        }
        let key = param("idempotency-key")
            .ok_or("the host passed no idempotency-key, so a repeat could order twice")?;
        let part_number = param("part-number").ok_or_else(|| {
            format!(
                "no part number is known for {} of this device",
                alert.subject
            )
        })?;
        let quantity = match param("quantity") {
            None => 1,
            Some(q) => q
                .parse::<u32>()
                .ok()
                .filter(|q| *q > 0)
                .ok_or_else(|| format!("quantity: {q:?} is not a whole number above 0"))?,
        };
        Ok(Order {
            key,
            dealer: param("dealer"),
            account: alert.account.clone(),
            serial: alert.device_serial.clone(),
            model: alert.device_model.clone(),
            consumable_type: param("consumable-type"),
            position: alert.subject.clone(),
            part_number,
            quantity,
        })
    }

    /// The XML document (see the crate doc).
    pub fn xml(&self) -> String {
        let element = |name: &str, value: Option<&str>, indent: &str| match value {
            Some(v) => format!("{indent}<{name}>{}</{name}>\n", escape(v)),
            None => String::new(),
        };
        let quantity = self.quantity.to_string();
        [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".to_owned(),
            "<PurchaseOrder xmlns=\"urn:quire:erp-order:1\">\n".to_owned(),
            element("OrderKey", Some(&self.key), "  "),
            element("Dealer", self.dealer.as_deref(), "  "),
            element("Account", Some(&self.account), "  "),
            "  <Device>\n".to_owned(),
            element("Serial", self.serial.as_deref(), "    "),
            element("Model", self.model.as_deref(), "    "),
            "  </Device>\n  <Line>\n".to_owned(),
            element("ConsumableType", self.consumable_type.as_deref(), "    "),
            element("Position", Some(&self.position), "    "),
            element("PartNumber", Some(&self.part_number), "    "),
            element("Quantity", Some(&quantity), "    "),
            "  </Line>\n</PurchaseOrder>\n".to_owned(),
        ]
        .concat()
    }
}

/// What the ERP's answer means (see the crate doc).
pub fn confirmation(status: u16, body: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(body);
    if !(200..300).contains(&status) {
        let cut: String = text.trim().chars().take(200).collect();
        return Outcome::FailedRetry(format!("the ERP answered {status}: {cut}"));
    }
    match order_number(&text) {
        Some(number) => Outcome::Performed(format!("order {number}")),
        None => Outcome::FailedRetry(
            "the ERP answered without an <OrderNumber> in its confirmation".into(),
        ),
    }
}

/// The text of the first `<OrderNumber>` element, unescaped, if it is not empty.
fn order_number(xml: &str) -> Option<String> {
    let start = xml.find("<OrderNumber>")? + "<OrderNumber>".len();
    let end = start + xml[start..].find("</OrderNumber>")?;
    let number = unescape(xml[start..end].trim());
    (!number.is_empty() && !number.contains('<')).then_some(number)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn transport(error: TransportError) -> String {
    match error {
        TransportError::Timeout => "no answer in time".into(),
        TransportError::Unreachable(why)
        | TransportError::Protocol(why)
        | TransportError::Denied(why)
        | TransportError::NotRecorded(why) => why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert() -> AlertEvent {
        AlertEvent {
            id: 7,
            definition: "Low toner".into(),
            kind: "consumable".into(),
            device_serial: Some("CN<1>".into()),
            device_model: Some("LaserJet".into()),
            account: "Globex & Co".into(),
            subject: "toner:black:1".into(),
            message: "toner:black:1 at 5 %".into(),
            opened_at: "2026-12-08T10:00:00Z".into(),
        }
    }

    fn action(parameters: &[(&str, &str)]) -> ActionEvent {
        ActionEvent {
            id: 1,
            action_definition: "1".into(),
            action_type: "erp-order".into(),
            parameters: parameters
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            attempt: 1,
        }
    }

    #[test]
    fn the_order_names_every_field_escaped() {
        let order = Order::of(
            &alert(),
            &action(&[
                ("idempotency-key", "k1"),
                ("part-number", "CF289A"),
                ("dealer", "Acme"),
                ("consumable-type", "toner"),
            ]),
        )
        .unwrap();
        let xml = order.xml();
        for part in [
            "<OrderKey>k1</OrderKey>",
            "<Dealer>Acme</Dealer>",
            "<Account>Globex &amp; Co</Account>",
            "<Serial>CN&lt;1&gt;</Serial>",
            "<Model>LaserJet</Model>",
            "<ConsumableType>toner</ConsumableType>",
            "<Position>toner:black:1</Position>",
            "<PartNumber>CF289A</PartNumber>",
            "<Quantity>1</Quantity>",
        ] {
            assert!(xml.contains(part), "{part} missing from {xml}");
        }
    }

    #[test]
    fn no_part_number_or_key_is_no_order() {
        let why = Order::of(&alert(), &action(&[("idempotency-key", "k1")])).unwrap_err();
        assert!(why.contains("no part number"), "{why}");
        let why = Order::of(&alert(), &action(&[("part-number", "X")])).unwrap_err();
        assert!(why.contains("idempotency-key"), "{why}");
    }

    #[test]
    fn the_confirmation_gives_the_order_number_and_anything_else_is_retried() {
        let ok = b"<OrderConfirmation><OrderNumber> PO-42 </OrderNumber></OrderConfirmation>";
        assert_eq!(
            confirmation(201, ok),
            Outcome::Performed("order PO-42".into())
        );
        assert!(matches!(confirmation(500, b"down"), Outcome::FailedRetry(w) if w.contains("500")));
        assert!(
            matches!(confirmation(200, b"<Ok/>"), Outcome::FailedRetry(w) if w.contains("OrderNumber"))
        );
        assert!(matches!(
            confirmation(200, b"<OrderNumber></OrderNumber>"),
            Outcome::FailedRetry(_)
        ));
    }
}
