//! An alert-logic plugin for every family that raises the custom consumable `gauge` at
//! 5 % on every device, except one whose reading gives its location as `runaway`, for
//! which it computes forever: the server's tests prove that the host's deadline stops it
//! there and that this costs only that device's triggers from it.

use std::hint::black_box;

use exports::quire::device::alert_logic_api::{
    AlertLogicInfo, CustomConsumable, DeviceFacts, Guest, Trigger,
};

wit_bindgen::generate!({ path: "../../../plugins-sdk/wit", world: "alert-logic" });

struct Runaway;

impl Guest for Runaway {
    fn describe() -> AlertLogicInfo {
        AlertLogicInfo {
            name: "runaway".into(),
            version: "0.1.0".into(),
            vendor: "Quire tests".into(),
            description: "Never returns for a device located at `runaway`.".into(),
            families: Vec::new(),
        }
    }

    fn evaluate(facts: DeviceFacts) -> Vec<Trigger> {
        if facts.reading.identity.location.as_deref() == Some("runaway") {
            let mut n = 0u64;
            loop {
                n = black_box(n.wrapping_add(1));
            }
        }
        vec![Trigger::Consumable(CustomConsumable {
            name: "gauge".into(),
            description: "A gauge at 5 %, for the tests".into(),
            remaining_percent: 5,
        })]
    }
}

export!(Runaway);
