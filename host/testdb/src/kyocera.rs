//! A reading as a Kyocera ECOSYS P2040dw reports it, shared by the store's and
//! server's tests and the ingest benchmark (`quire-bench ingest`), so all file
//! the same shape of reading.

use chrono::{DateTime, Utc};
use quire_model::{
    AlertSeverity, Cycle, DeviceAlert, DeviceStatus, Identity, PrinterStatus, Reading, Status,
    StrategyRef, Supply, SupplyState,
};
use quire_protocol::UploadItem;

/// `reading` as an agent uploads it from the meters & supplies cycle: item `seq`, read
/// from `address` at `taken_at` by the built-in `printer-mib` 0.1.0, without its raw
/// exchange.
pub fn uploaded(
    seq: u64,
    address: String,
    taken_at: DateTime<Utc>,
    reading: Reading,
) -> UploadItem {
    UploadItem {
        seq,
        site_id: None,
        address,
        taken_at,
        cycle: Cycle::MetersAndSupplies,
        strategy: StrategyRef {
            name: "printer-mib".into(),
            version: "0.1.0".into(),
        },
        reading,
        raw: None,
        exchanges: None,
        replaced_supplies: Vec::new(),
        assessments: Vec::new(),
    }
}

/// A meters-and-supplies reading of a Kyocera ECOSYS P2040dw (values from the
/// recorded `kyocera_p2040_snmp`), with its page count and toner level given.
pub fn kyocera(serial: &str, mac: &str, total: u64, toner: i32) -> Reading {
    Reading {
        identity: Identity {
            manufacturer: Some("Kyocera".into()),
            model: Some("ECOSYS P2040dw".into()),
            serial: Some(serial.into()),
            mac: Some(mac.into()),
            sys_object_id: Some("1.3.6.1.4.1.1347.41".into()),
            sys_descr: Some("KYOCERA Document Solutions Printing System".into()),
            ..Identity::default()
        },
        status: Status {
            device: Some(DeviceStatus::Running),
            printer: Some(PrinterStatus::Idle),
            errors: vec![],
            console: Some("Sleeping".into()),
        },
        counters: [("total".to_string(), total)].into(),
        supplies: vec![
            Supply {
                index: 1,
                description: "TK-1162".into(),
                kind: "toner".into(),
                color: Some("black".into()),
                unit: Some("impressions".into()),
                level: Some(toner),
                max: Some(7200),
                percent: Some(u8::try_from(toner * 100 / 7200).unwrap()),
                state: if toner * 100 / 7200 <= 10 {
                    SupplyState::Low
                } else {
                    SupplyState::Ok
                },
                serial: None,
                part_number: None,
            },
            Supply {
                index: 2,
                description: "Waste Toner Box".into(),
                kind: "waste-toner".into(),
                color: None,
                unit: Some("impressions".into()),
                level: Some(-3),
                max: Some(-2),
                percent: None,
                state: SupplyState::SomeRemaining,
                serial: None,
                part_number: None,
            },
        ],
        alerts: vec![DeviceAlert {
            index: 2,
            severity: AlertSeverity::Warning,
            training_level: Some("management".into()),
            group: Some("general-printer".into()),
            group_index: Some(1),
            location: Some(0),
            code: 503,
            code_name: Some("power-up".into()),
            description: None,
            time: Some(1507),
        }],
    }
}
