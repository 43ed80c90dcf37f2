//! WIT values into `quire-model` types, and the checks on what a plugin
//! returned before the host keeps it.

use quire_model as model;

use crate::bindings::latest::quire::device::types as wit;
use crate::probe::MatchRule;
use crate::{MAX_ROWS, Stop, StrategyError};

pub(crate) fn cycle(c: model::Cycle) -> wit::Cycle {
    match c {
        model::Cycle::Discovery => wit::Cycle::Discovery,
        model::Cycle::MetersAndSupplies => wit::Cycle::MetersAndSupplies,
        model::Cycle::Alerts => wit::Cycle::Alerts,
    }
}

pub(crate) fn match_rule(r: wit::MatchRule) -> MatchRule {
    match r {
        wit::MatchRule::SysObjectIdPrefix(p) => MatchRule::SysObjectIdPrefix(p),
        wit::MatchRule::SysDescrContains(s) => MatchRule::SysDescrContains(s),
    }
}

pub(crate) fn strategy_error(e: wit::StrategyError) -> StrategyError {
    match e {
        wit::StrategyError::Unreachable(s) => StrategyError::Unreachable(s),
        wit::StrategyError::Unsupported(s) => StrategyError::Unsupported(s),
        wit::StrategyError::Internal(s) => StrategyError::Internal(s),
    }
}

/// Rejects a reading (with its notes) with too many rows or too many bytes.
/// Bytes are estimated as the strings' lengths plus each row's fixed size: what
/// the reading will cost in memory, on the wire and in the database.
pub(crate) fn check_collected(collected: &wit::Collected, max_bytes: usize) -> Result<(), Stop> {
    let r = &collected.reading;
    for (list, count) in [
        ("counters", r.counters.len()),
        ("supplies", r.supplies.len()),
        ("alerts", r.alerts.len()),
        ("error states", r.status.errors.len()),
        ("notes", collected.notes.len()),
    ] {
        if count > MAX_ROWS {
            return Err(Stop::Rows { list, count });
        }
    }
    let s = |v: &Option<String>| v.as_ref().map_or(0, String::len);
    let i = &r.identity;
    let mut bytes = std::mem::size_of::<wit::Reading>()
        + s(&i.manufacturer)
        + s(&i.model)
        + s(&i.serial)
        + s(&i.mac)
        + s(&i.firmware)
        + s(&i.hostname)
        + s(&i.sys_object_id)
        + s(&i.sys_descr)
        + s(&i.location)
        + s(&i.contact)
        + s(&r.status.console)
        + r.status.errors.len()
        + collected.notes.iter().map(String::len).sum::<usize>();
    for c in &r.counters {
        bytes += std::mem::size_of::<wit::Counter>() + c.name.len();
    }
    for p in &r.supplies {
        bytes += std::mem::size_of::<wit::Supply>()
            + p.description.len()
            + p.kind.len()
            + s(&p.color)
            + s(&p.unit)
            + s(&p.serial)
            + s(&p.part_number);
    }
    for a in &r.alerts {
        bytes += std::mem::size_of::<wit::DeviceAlert>()
            + s(&a.training_level)
            + s(&a.group)
            + s(&a.code_name)
            + s(&a.description);
    }
    if bytes > max_bytes {
        return Err(Stop::Output {
            bytes,
            cap: max_bytes,
        });
    }
    Ok(())
}

/// Rejects one returned string over the output cap.
pub(crate) fn check_string(s: &str, max_bytes: usize) -> Result<(), Stop> {
    if s.len() > max_bytes {
        return Err(Stop::Output {
            bytes: s.len(),
            cap: max_bytes,
        });
    }
    Ok(())
}

/// One line for each counter of `reading` outside the SDK's vocabulary
/// (`quire_plugins_sdk::counters`), which no dealer's meter read would find
/// under that name: `quire replay` lists them under `warnings`, and every
/// strategy read logs them.
pub fn unknown_counters(reading: &model::Reading) -> Vec<String> {
    reading
        .counters
        .keys()
        .filter(|name| !quire_plugins_sdk::counters::is_known(name))
        .map(|name| quire_plugins_sdk::counters::unknown(name))
        .collect()
}

pub(crate) fn reading(r: wit::Reading) -> model::Reading {
    let i = r.identity;
    model::Reading {
        identity: model::Identity {
            manufacturer: i.manufacturer,
            model: i.model,
            serial: i.serial,
            mac: i.mac,
            firmware: i.firmware,
            hostname: i.hostname,
            sys_object_id: i.sys_object_id,
            sys_descr: i.sys_descr,
            location: i.location,
            contact: i.contact,
            uuid: None,
        },
        status: model::Status {
            device: r.status.device.map(device_status),
            printer: r.status.printer.map(printer_status),
            errors: r.status.errors.into_iter().map(error_state).collect(),
            console: r.status.console,
        },
        counters: r.counters.into_iter().map(|c| (c.name, c.value)).collect(),
        supplies: r.supplies.into_iter().map(supply).collect(),
        alerts: r.alerts.into_iter().map(device_alert).collect(),
    }
}

/// A stored reading as the contract carries it, for an alert-logic plugin's
/// facts. The model's `uuid` (IPP's) has no place in the contract's identity.
pub(crate) fn reading_out(r: &model::Reading) -> wit::Reading {
    let i = &r.identity;
    wit::Reading {
        identity: wit::Identity {
            manufacturer: i.manufacturer.clone(),
            model: i.model.clone(),
            serial: i.serial.clone(),
            mac: i.mac.clone(),
            firmware: i.firmware.clone(),
            hostname: i.hostname.clone(),
            sys_object_id: i.sys_object_id.clone(),
            sys_descr: i.sys_descr.clone(),
            location: i.location.clone(),
            contact: i.contact.clone(),
        },
        status: wit::Status {
            device: r.status.device.map(|s| match s {
                model::DeviceStatus::Unknown => wit::DeviceStatus::Unknown,
                model::DeviceStatus::Running => wit::DeviceStatus::Running,
                model::DeviceStatus::Warning => wit::DeviceStatus::Warning,
                model::DeviceStatus::Testing => wit::DeviceStatus::Testing,
                model::DeviceStatus::Down => wit::DeviceStatus::Down,
            }),
            printer: r.status.printer.map(|s| match s {
                model::PrinterStatus::Other => wit::PrinterStatus::Other,
                model::PrinterStatus::Unknown => wit::PrinterStatus::Unknown,
                model::PrinterStatus::Idle => wit::PrinterStatus::Idle,
                model::PrinterStatus::Printing => wit::PrinterStatus::Printing,
                model::PrinterStatus::Warmup => wit::PrinterStatus::Warmup,
            }),
            errors: r
                .status
                .errors
                .iter()
                .copied()
                .map(error_state_out)
                .collect(),
            console: r.status.console.clone(),
        },
        counters: r
            .counters
            .iter()
            .map(|(name, value)| wit::Counter {
                name: name.clone(),
                value: *value,
            })
            .collect(),
        supplies: r
            .supplies
            .iter()
            .map(|s| wit::Supply {
                index: s.index,
                description: s.description.clone(),
                kind: s.kind.clone(),
                color: s.color.clone(),
                unit: s.unit.clone(),
                level: s.level,
                max: s.max,
                percent: s.percent,
                state: match s.state {
                    model::SupplyState::Ok => wit::SupplyState::Ok,
                    model::SupplyState::Low => wit::SupplyState::Low,
                    model::SupplyState::Empty => wit::SupplyState::Empty,
                    model::SupplyState::SomeRemaining => wit::SupplyState::SomeRemaining,
                    model::SupplyState::Unknown => wit::SupplyState::Unknown,
                },
                serial: s.serial.clone(),
                part_number: s.part_number.clone(),
            })
            .collect(),
        alerts: r.alerts.iter().map(device_alert_out).collect(),
    }
}

fn device_status(s: wit::DeviceStatus) -> model::DeviceStatus {
    match s {
        wit::DeviceStatus::Unknown => model::DeviceStatus::Unknown,
        wit::DeviceStatus::Running => model::DeviceStatus::Running,
        wit::DeviceStatus::Warning => model::DeviceStatus::Warning,
        wit::DeviceStatus::Testing => model::DeviceStatus::Testing,
        wit::DeviceStatus::Down => model::DeviceStatus::Down,
    }
}

fn printer_status(s: wit::PrinterStatus) -> model::PrinterStatus {
    match s {
        wit::PrinterStatus::Other => model::PrinterStatus::Other,
        wit::PrinterStatus::Unknown => model::PrinterStatus::Unknown,
        wit::PrinterStatus::Idle => model::PrinterStatus::Idle,
        wit::PrinterStatus::Printing => model::PrinterStatus::Printing,
        wit::PrinterStatus::Warmup => model::PrinterStatus::Warmup,
    }
}

/// The two enums list the bits in the same order, so the index maps one to the other.
fn error_state(s: wit::ErrorState) -> model::ErrorState {
    model::ErrorState::ALL[s as usize]
}

fn error_state_out(s: model::ErrorState) -> wit::ErrorState {
    use model::ErrorState as M;
    use wit::ErrorState as W;
    match s {
        M::LowPaper => W::LowPaper,
        M::NoPaper => W::NoPaper,
        M::LowToner => W::LowToner,
        M::NoToner => W::NoToner,
        M::DoorOpen => W::DoorOpen,
        M::Jammed => W::Jammed,
        M::Offline => W::Offline,
        M::ServiceRequested => W::ServiceRequested,
        M::InputTrayMissing => W::InputTrayMissing,
        M::OutputTrayMissing => W::OutputTrayMissing,
        M::MarkerSupplyMissing => W::MarkerSupplyMissing,
        M::OutputNearFull => W::OutputNearFull,
        M::OutputFull => W::OutputFull,
        M::InputTrayEmpty => W::InputTrayEmpty,
        M::OverduePreventMaint => W::OverduePreventMaint,
    }
}

fn supply(s: wit::Supply) -> model::Supply {
    model::Supply {
        index: s.index,
        description: s.description,
        kind: s.kind,
        color: s.color,
        unit: s.unit,
        level: s.level,
        max: s.max,
        percent: s.percent,
        state: match s.state {
            wit::SupplyState::Ok => model::SupplyState::Ok,
            wit::SupplyState::Low => model::SupplyState::Low,
            wit::SupplyState::Empty => model::SupplyState::Empty,
            wit::SupplyState::SomeRemaining => model::SupplyState::SomeRemaining,
            wit::SupplyState::Unknown => model::SupplyState::Unknown,
        },
        serial: s.serial,
        part_number: s.part_number,
    }
}

fn device_alert(a: wit::DeviceAlert) -> model::DeviceAlert {
    model::DeviceAlert {
        index: a.index,
        severity: match a.severity {
            wit::AlertSeverity::Other => model::AlertSeverity::Other,
            wit::AlertSeverity::Critical => model::AlertSeverity::Critical,
            wit::AlertSeverity::Warning => model::AlertSeverity::Warning,
            wit::AlertSeverity::WarningBinaryChangeEvent => {
                model::AlertSeverity::WarningBinaryChangeEvent
            }
        },
        training_level: a.training_level,
        group: a.group,
        group_index: a.group_index,
        location: a.location,
        code: a.code,
        code_name: a.code_name,
        description: a.description,
        time: a.time,
    }
}

fn device_alert_out(a: &model::DeviceAlert) -> wit::DeviceAlert {
    wit::DeviceAlert {
        index: a.index,
        severity: match a.severity {
            model::AlertSeverity::Other => wit::AlertSeverity::Other,
            model::AlertSeverity::Critical => wit::AlertSeverity::Critical,
            model::AlertSeverity::Warning => wit::AlertSeverity::Warning,
            model::AlertSeverity::WarningBinaryChangeEvent => {
                wit::AlertSeverity::WarningBinaryChangeEvent
            }
        },
        training_level: a.training_level.clone(),
        group: a.group.clone(),
        group_index: a.group_index,
        location: a.location,
        code: a.code,
        code_name: a.code_name.clone(),
        description: a.description.clone(),
        time: a.time,
    }
}

pub(crate) fn error_input(input: &model::ErrorInput) -> wit::ErrorInput {
    match input {
        model::ErrorInput::Alert(a) => wit::ErrorInput::Alert(device_alert_out(a)),
        model::ErrorInput::State(s) => wit::ErrorInput::State(error_state_out(*s)),
    }
}

pub(crate) fn error_group(g: wit::ErrorGroup) -> model::ErrorGroup {
    match g {
        wit::ErrorGroup::Device => model::ErrorGroup::Device,
        wit::ErrorGroup::Supply => model::ErrorGroup::Supply,
        wit::ErrorGroup::Paper => model::ErrorGroup::Paper,
        wit::ErrorGroup::Tray => model::ErrorGroup::Tray,
    }
}

pub(crate) fn assessment(a: wit::Assessment) -> model::Assessment {
    model::Assessment {
        state: a.state,
        group: error_group(a.group),
        severity: match a.severity {
            wit::AssessmentSeverity::Info => model::AssessmentSeverity::Info,
            wit::AssessmentSeverity::Warning => model::AssessmentSeverity::Warning,
            wit::AssessmentSeverity::Critical => model::AssessmentSeverity::Critical,
        },
        skill: match a.skill {
            wit::SkillLevel::Anyone => model::SkillLevel::Anyone,
            wit::SkillLevel::KeyOperator => model::SkillLevel::KeyOperator,
            wit::SkillLevel::Technician => model::SkillLevel::Technician,
            wit::SkillLevel::Specialist => model::SkillLevel::Specialist,
        },
        field_service: a.field_service,
        estimated_minutes: a.estimated_minutes,
    }
}
