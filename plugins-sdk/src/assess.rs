//! The standard reading of a printer malfunction for ASM: which printer error
//! state it is, who can fix it, and whether a technician must come.
//!
//! The values are a dealer's rule of thumb, not a measurement: paper and
//! doors are for anyone at the device; jams, toner and waste bottles for the
//! key operator (the trained person on site); failed parts, developer and
//! overdue maintenance for a technician on a service call. Minutes are the
//! hands-on time of a typical fix, so ASM can plan a visit. A strategy that
//! knows its devices better overrides [`crate::Strategy::map_error`].

use crate::{
    AlertSeverity, Assessment, AssessmentSeverity, DeviceAlert, ErrorGroup, ErrorInput, ErrorState,
    SkillLevel,
};

use AssessmentSeverity::{Critical, Info, Warning};
use ErrorGroup::{Device, Paper, Supply, Tray};
use SkillLevel::{Anyone, KeyOperator, Technician};

/// How a Printer-MIB error-state bit or alert maps to an ASM assessment.
pub fn standard_assessment(input: &ErrorInput) -> Assessment {
    match input {
        ErrorInput::State(state) => state_assessment(*state),
        ErrorInput::Alert(alert) => alert_assessment(alert),
    }
}

/// A fault only a technician clears: the maker's service call (Ricoh's `SC`
/// codes, Kyocera's and Konica Minolta's `C` codes, HP's `50.x` fuser errors and
/// the like), which a strategy recognises in its alert texts. `minutes` is the
/// maker's typical repair time for that class of fault.
pub fn service_call_assessment(minutes: u32) -> Assessment {
    assessment("service-call", Device, Critical, Technician, true, minutes)
}

/// The standard assessment, except for an alert whose description
/// `service_minutes` recognises as one of the maker's service codes: then a
/// technician's visit of the minutes it gives. Makers write their codes
/// differently (`SC542`, `C6000`, `E000-0001`); what follows from one does not.
pub fn assessment_by_service_code(
    input: &ErrorInput,
    service_minutes: impl Fn(&str) -> Option<u32>,
) -> Assessment {
    match input {
        ErrorInput::Alert(alert) => match alert.description.as_deref().and_then(service_minutes) {
            Some(minutes) => service_call_assessment(minutes),
            None => standard_assessment(input),
        },
        ErrorInput::State(_) => standard_assessment(input),
    }
}

fn assessment(
    state: &str,
    group: ErrorGroup,
    severity: AssessmentSeverity,
    skill: SkillLevel,
    field_service: bool,
    estimated_minutes: u32,
) -> Assessment {
    Assessment {
        state: state.to_owned(),
        group,
        severity,
        skill,
        field_service,
        estimated_minutes,
    }
}

fn state_assessment(state: ErrorState) -> Assessment {
    match state {
        ErrorState::LowPaper => assessment("paper-low", Paper, Warning, Anyone, false, 2),
        ErrorState::NoPaper => assessment("paper-out", Paper, Critical, Anyone, false, 2),
        ErrorState::LowToner => assessment("toner-low", Supply, Warning, KeyOperator, false, 5),
        ErrorState::NoToner => assessment("toner-empty", Supply, Critical, KeyOperator, false, 5),
        ErrorState::DoorOpen => assessment("door-open", Device, Warning, Anyone, false, 1),
        ErrorState::Jammed => assessment("paper-jam", Paper, Critical, KeyOperator, false, 5),
        ErrorState::Offline => assessment("offline", Device, Critical, KeyOperator, false, 5),
        ErrorState::ServiceRequested => {
            assessment("service-requested", Device, Critical, Technician, true, 60)
        }
        ErrorState::InputTrayMissing => {
            assessment("input-tray-missing", Tray, Critical, Anyone, false, 2)
        }
        ErrorState::OutputTrayMissing => {
            assessment("output-tray-missing", Tray, Critical, Anyone, false, 2)
        }
        ErrorState::MarkerSupplyMissing => {
            assessment("supply-missing", Supply, Critical, KeyOperator, false, 5)
        }
        ErrorState::OutputNearFull => assessment("output-near-full", Tray, Info, Anyone, false, 1),
        ErrorState::OutputFull => assessment("output-full", Tray, Warning, Anyone, false, 1),
        ErrorState::InputTrayEmpty => {
            assessment("input-tray-empty", Tray, Warning, Anyone, false, 2)
        }
        ErrorState::OverduePreventMaint => {
            assessment("maintenance-overdue", Device, Warning, Technician, true, 90)
        }
    }
}

fn alert_assessment(alert: &DeviceAlert) -> Assessment {
    let known = |state| Some(state_assessment(state));
    let by_code = match alert.code {
        3 | 5 | 18 | 501 => known(ErrorState::DoorOpen),
        8 => known(ErrorState::Jammed),
        22 => known(ErrorState::Offline),
        801 | 1301 => known(ErrorState::InputTrayMissing),
        807 => known(ErrorState::LowPaper),
        808 => known(ErrorState::NoPaper),
        901 => known(ErrorState::OutputTrayMissing),
        902 | 1302 => known(ErrorState::OutputNearFull),
        903 | 1303 => known(ErrorState::OutputFull),
        1101 => known(ErrorState::NoToner),
        1104 => known(ErrorState::LowToner),
        9 | 1115 => known(ErrorState::MarkerSupplyMissing),
        1102 => Some(assessment(
            "ink-empty",
            Supply,
            Critical,
            KeyOperator,
            false,
            5,
        )),
        1105 => Some(assessment(
            "ink-low",
            Supply,
            Warning,
            KeyOperator,
            false,
            5,
        )),
        1103 => Some(assessment(
            "ribbon-empty",
            Supply,
            Critical,
            KeyOperator,
            false,
            5,
        )),
        1106 => Some(assessment(
            "ribbon-low",
            Supply,
            Warning,
            KeyOperator,
            false,
            5,
        )),
        12 => Some(assessment(
            "supply-low",
            Supply,
            Warning,
            KeyOperator,
            false,
            5,
        )),
        13 => Some(assessment(
            "supply-empty",
            Supply,
            Critical,
            KeyOperator,
            false,
            5,
        )),
        14 | 1107 | 1108 => Some(assessment(
            "waste-almost-full",
            Supply,
            Warning,
            KeyOperator,
            false,
            5,
        )),
        15 | 1109 | 1110 => Some(assessment(
            "waste-full",
            Supply,
            Critical,
            KeyOperator,
            false,
            5,
        )),
        1111 => Some(assessment(
            "drum-low",
            Supply,
            Warning,
            KeyOperator,
            false,
            10,
        )),
        1112 => Some(assessment(
            "drum-end",
            Supply,
            Critical,
            KeyOperator,
            false,
            10,
        )),
        1113 => Some(assessment(
            "developer-low",
            Supply,
            Warning,
            Technician,
            true,
            30,
        )),
        1114 => Some(assessment(
            "developer-empty",
            Supply,
            Critical,
            Technician,
            true,
            30,
        )),
        10 | 16 => Some(assessment(
            "maintenance-due",
            Device,
            Warning,
            Technician,
            true,
            60,
        )),
        11 | 17 => known(ErrorState::OverduePreventMaint),
        29 | 31 | 811 | 812 => Some(assessment(
            "device-error",
            Device,
            Warning,
            KeyOperator,
            false,
            10,
        )),
        30 | 32 | 33 | 34 | 36 | 37 | 38 | 1002 | 1003 | 1004 => Some(assessment(
            "device-failure",
            Device,
            Critical,
            Technician,
            true,
            60,
        )),
        // Under-temperature is a fuser warming up far more often than a fault.
        35 | 1001 => Some(assessment("warming-up", Device, Info, Anyone, false, 0)),
        _ => None,
    };
    by_code.unwrap_or_else(|| fallback(alert))
}

/// An alert whose code says nothing the table knows (informational codes and
/// vendor codes): trust what the row itself says about group, severity and
/// who should act.
fn fallback(alert: &DeviceAlert) -> Assessment {
    let group = match alert.group.as_deref() {
        Some("input") => Tray,
        Some("output") => Tray,
        Some("media-path") => Paper,
        Some("marker-supplies" | "marker-colorant" | "fin-supply") => Supply,
        _ => Device,
    };
    let severity = match alert.severity {
        AlertSeverity::Critical => Critical,
        AlertSeverity::Warning => Warning,
        AlertSeverity::WarningBinaryChangeEvent | AlertSeverity::Other => Info,
    };
    let (skill, field_service) = match alert.training_level.as_deref() {
        Some("field-service") => (Technician, true),
        Some("trained" | "management") => (KeyOperator, false),
        _ => (Anyone, false),
    };
    let minutes = match (field_service, severity) {
        (true, _) => 60,
        (false, Info) => 0,
        (false, _) => 5,
    };
    let state = alert.code_name.as_deref().unwrap_or("device-alert");
    assessment(state, group, severity, skill, field_service, minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(code: i32, severity: AlertSeverity, training: Option<&str>) -> DeviceAlert {
        DeviceAlert {
            index: 1,
            severity,
            training_level: training.map(str::to_owned),
            group: Some("general-printer".into()),
            group_index: None,
            location: None,
            code,
            code_name: crate::printer_mib::alert_code_name(code.into()).map(str::to_owned),
            description: None,
            time: None,
        }
    }

    #[test]
    fn jam_is_a_key_operator_paper_fix() {
        let a = standard_assessment(&ErrorInput::State(ErrorState::Jammed));
        assert_eq!(
            a,
            assessment("paper-jam", Paper, Critical, KeyOperator, false, 5)
        );
        let b = standard_assessment(&ErrorInput::Alert(alert(8, AlertSeverity::Critical, None)));
        assert_eq!(a, b);
    }

    #[test]
    fn service_requested_needs_a_technician_visit() {
        let a = standard_assessment(&ErrorInput::State(ErrorState::ServiceRequested));
        assert_eq!(
            a,
            assessment("service-requested", Device, Critical, Technician, true, 60)
        );
    }

    #[test]
    fn unknown_codes_follow_the_rows_own_severity_and_training() {
        let a = standard_assessment(&ErrorInput::Alert(alert(
            40123,
            AlertSeverity::Critical,
            Some("field-service"),
        )));
        assert_eq!(
            a,
            assessment("device-alert", Device, Critical, Technician, true, 60)
        );
        let b = standard_assessment(&ErrorInput::Alert(alert(503, AlertSeverity::Warning, None)));
        assert_eq!(b.state, "power-up");
        assert!(!b.field_service);
    }
}
