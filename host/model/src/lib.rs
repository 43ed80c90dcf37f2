//! Quire's domain types: what one reading of a printing device says, which
//! cycle took it and which strategy (name and version) read it, and how a
//! device's error is assessed (the input a strategy's `map-error` gets and the
//! assessment it gives back).
//!
//! Every other crate speaks these types: `plugins` converts strategies' WIT
//! readings into them, `ipp` builds them from an IPP answer, the agent queues
//! and uploads them, the store keeps them with each reading's history, the
//! server answers with them and the CLI prints them; ASM will judge them. They
//! are plain data with serde, and this crate does no I/O, so the JSON shape
//! documented in the README is decided here and nowhere else.
//!
//! Unknown is `None` (JSON `null`), never a made-up default: a dealer must be able
//! to tell "the device said 0" from "the device did not say".
#![deny(missing_docs)]

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who a device says it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Identity {
    /// The maker, as the strategy names it (`HP`, `Kyocera`, …).
    pub manufacturer: Option<String>,
    /// The model without the maker's name where the strategy can separate them.
    pub model: Option<String>,
    /// The device serial number: with the MAC, what identifies a device across addresses.
    pub serial: Option<String>,
    /// Lower-case and colon-separated.
    pub mac: Option<String>,
    /// Firmware version as the device reports it.
    pub firmware: Option<String>,
    /// sysName or the device's own host name.
    pub hostname: Option<String>,
    /// sysObjectID, dotted, without a leading dot.
    pub sys_object_id: Option<String>,
    /// sysDescr.
    pub sys_descr: Option<String>,
    /// sysLocation.
    pub location: Option<String>,
    /// sysContact.
    pub contact: Option<String>,
    /// The UUID an IPP printer names itself by (`printer-uuid`, RFC 8011
    /// 5.4.38, `urn:uuid:…`): unlike its address and its queue name, it stays
    /// the same for the life of the printer. Left out of a reading that has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
}

/// hrDeviceStatus (RFC 2790).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceStatus {
    /// The device does not know.
    Unknown,
    /// Working.
    Running,
    /// Working, with a condition that needs attention (low toner, …).
    Warning,
    /// In a test mode.
    Testing,
    /// Not working: needs intervention.
    Down,
}

/// hrPrinterStatus (RFC 2790).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PrinterStatus {
    /// Some other state (often: an error is present).
    Other,
    /// The printer does not know.
    Unknown,
    /// Ready, nothing to do.
    Idle,
    /// Printing.
    Printing,
    /// Warming up.
    Warmup,
}

/// One bit of hrPrinterDetectedErrorState, in bit order (RFC 2790 and RFC 3805).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorState {
    /// Bit 0.
    LowPaper,
    /// Bit 1.
    NoPaper,
    /// Bit 2.
    LowToner,
    /// Bit 3.
    NoToner,
    /// Bit 4.
    DoorOpen,
    /// Bit 5.
    Jammed,
    /// Bit 6.
    Offline,
    /// Bit 7.
    ServiceRequested,
    /// Bit 8.
    InputTrayMissing,
    /// Bit 9.
    OutputTrayMissing,
    /// Bit 10.
    MarkerSupplyMissing,
    /// Bit 11.
    OutputNearFull,
    /// Bit 12.
    OutputFull,
    /// Bit 13.
    InputTrayEmpty,
    /// Bit 14.
    OverduePreventMaint,
}

impl ErrorState {
    /// All fifteen, in bit order, so bit `n` of the octet string is `ALL[n]`.
    pub const ALL: [ErrorState; 15] = [
        ErrorState::LowPaper,
        ErrorState::NoPaper,
        ErrorState::LowToner,
        ErrorState::NoToner,
        ErrorState::DoorOpen,
        ErrorState::Jammed,
        ErrorState::Offline,
        ErrorState::ServiceRequested,
        ErrorState::InputTrayMissing,
        ErrorState::OutputTrayMissing,
        ErrorState::MarkerSupplyMissing,
        ErrorState::OutputNearFull,
        ErrorState::OutputFull,
        ErrorState::InputTrayEmpty,
        ErrorState::OverduePreventMaint,
    ];
}

/// What state the device is in, as it reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Status {
    /// hrDeviceStatus.
    pub device: Option<DeviceStatus>,
    /// hrPrinterStatus.
    pub printer: Option<PrinterStatus>,
    /// The error-state bits that are set.
    pub errors: Vec<ErrorState>,
    /// The operator panel's text, lines joined by newlines.
    pub console: Option<String>,
}

/// A supply's level in words, so a dealer can filter without knowing the MIB's special values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SupplyState {
    /// Above the low threshold.
    Ok,
    /// At or below the low threshold, not yet empty.
    Low,
    /// Nothing left.
    Empty,
    /// Printer-MIB -3: some remains, the device cannot say how much.
    SomeRemaining,
    /// The device gave no usable level.
    Unknown,
}

/// One consumable or replaceable part: toner, drum, fuser, waste bin, maintenance kit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Supply {
    /// The device's own row index.
    pub index: u32,
    /// The description the device gives (`Black Cartridge HP CF410A`).
    pub description: String,
    /// prtMarkerSuppliesType in kebab-case (`toner`, `waste-toner`, `opc`, …).
    pub kind: String,
    /// The colorant's name, lower-case (`black`, `cyan`, …).
    pub color: Option<String>,
    /// prtMarkerSuppliesSupplyUnit in kebab-case.
    pub unit: Option<String>,
    /// Raw level, including the Printer-MIB special values -1, -2 and -3.
    pub level: Option<i32>,
    /// Raw maximum capacity, including -1 and -2.
    pub max: Option<i32>,
    /// 0–100, only when both level and max are real numbers.
    pub percent: Option<u8>,
    /// The level in words.
    pub state: SupplyState,
    /// The cartridge's own serial number, where the device exposes it.
    pub serial: Option<String>,
    /// The part number to order, where the device exposes it.
    pub part_number: Option<String>,
}

/// prtAlertSeverityLevel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AlertSeverity {
    /// Neither critical nor warning.
    Other,
    /// The device cannot print until this is fixed.
    Critical,
    /// Printing continues, attention needed.
    Warning,
    /// A one-off event (a supply replaced, a configuration change).
    WarningBinaryChangeEvent,
}

/// One row of the device's alert table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceAlert {
    /// The device's own row index.
    pub index: u32,
    /// How severe the device says it is.
    pub severity: AlertSeverity,
    /// Who the device says can fix it (`untrained`, `trained`, `field-service`, …).
    pub training_level: Option<String>,
    /// The sub-unit concerned (`cover`, `input`, `marker-supplies`, …).
    pub group: Option<String>,
    /// The row of that sub-unit's table.
    pub group_index: Option<i32>,
    /// The vendor's location code.
    pub location: Option<i32>,
    /// prtAlertCode or the vendor's own code.
    pub code: i32,
    /// prtAlertCode's name where the MIB names it (`cover-open`, `jam`, …).
    pub code_name: Option<String>,
    /// The device's own text.
    pub description: Option<String>,
    /// sysUpTime when raised, hundredths of a second.
    pub time: Option<u32>,
}

/// Everything one read of one device returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Reading {
    /// Who the device is.
    pub identity: Identity,
    /// What state it is in.
    pub status: Status,
    /// Page counters by name (`total`, `mono`, `print.color`, …), sorted by name.
    pub counters: BTreeMap<String, u64>,
    /// Supplies in the device's order.
    pub supplies: Vec<Supply>,
    /// Active alerts in the device's order.
    pub alerts: Vec<DeviceAlert>,
}

/// The three schedules a device is read on; a strategy may read less on some.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Cycle {
    /// Finding devices and who they are.
    Discovery,
    /// Page counters and supply levels, for billing and replenishment.
    MetersAndSupplies,
    /// Error states and the alert table, for ASM's service alerts.
    Alerts,
}

/// What a strategy's `map-error` is asked to judge: one alert row or one error-state bit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorInput {
    /// A row of the device's alert table.
    Alert(DeviceAlert),
    /// A bit of hrPrinterDetectedErrorState.
    State(ErrorState),
}

/// ASM's printer-error groups, so dealers can route paper jams and service calls differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorGroup {
    /// The device itself (fuser, controller, covers).
    Device,
    /// A consumable.
    Supply,
    /// Paper path: jams, paper out.
    Paper,
    /// Input and output trays.
    Tray,
}

/// How urgent a printer error state is for ASM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AssessmentSeverity {
    /// Worth knowing, no action needed.
    Info,
    /// Needs attention soon.
    Warning,
    /// The device cannot work until it is fixed.
    Critical,
}

/// Who can fix a printer error state, so ASM sends the right person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SkillLevel {
    /// Any user at the device.
    Anyone,
    /// The customer's trained key operator.
    KeyOperator,
    /// A service technician.
    Technician,
    /// A specialist for this model family.
    Specialist,
}

/// A strategy's judgement of one malfunction: what ASM calls it and what fixing it takes.
/// Kebab-case like the rest of the API; the snake-case names earlier versions wrote (and
/// agents of those versions still upload) are read too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct Assessment {
    /// The ASM printer error state, in kebab-case (`paper-jam`, `toner-empty`, …).
    pub state: String,
    /// Which group the state belongs to.
    pub group: ErrorGroup,
    /// How urgent it is.
    pub severity: AssessmentSeverity,
    /// Who can fix it.
    pub skill: SkillLevel,
    /// Whether it needs a field-service visit.
    #[serde(alias = "field_service")]
    pub field_service: bool,
    /// The estimated repair time, in minutes.
    #[serde(alias = "estimated_minutes")]
    pub estimated_minutes: u32,
}

/// Which input of a reading an assessment judges: an alert row by the device's own
/// row index (unique within one reading, as the alert table's key is), or an
/// error-state bit by its name.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ErrorSource {
    /// A row of the device's alert table.
    Alert {
        /// The row's index on the device ([`DeviceAlert::index`]).
        index: u32,
    },
    /// A bit of hrPrinterDetectedErrorState.
    State {
        /// The bit.
        state: ErrorState,
    },
}

/// What a strategy's `map-error` made of one input, or why it could not say: a
/// failure is kept beside the input instead of losing the reading, so a dealer
/// sees that the input went unjudged and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AssessmentOutcome {
    /// The strategy's judgement.
    Assessed(Assessment),
    /// Why asking the strategy failed (names the plugin and the cause).
    Failed(String),
}

/// One input of a reading and what its strategy's `map-error` made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub struct ErrorAssessment {
    /// The alert row or error-state bit judged.
    pub input: ErrorSource,
    /// The assessment, or the failure.
    pub outcome: AssessmentOutcome,
}

impl ErrorAssessment {
    /// The assessment, when the strategy gave one.
    pub fn assessment(&self) -> Option<&Assessment> {
        match &self.outcome {
            AssessmentOutcome::Assessed(assessment) => Some(assessment),
            AssessmentOutcome::Failed(_) => None,
        }
    }
}

impl Reading {
    /// Every input `map-error` judges: each alert row in the device's order, then
    /// each error-state bit in bit order.
    pub fn error_inputs(&self) -> Vec<(ErrorSource, ErrorInput)> {
        let alerts = self.alerts.iter().map(|alert| {
            (
                ErrorSource::Alert { index: alert.index },
                ErrorInput::Alert(alert.clone()),
            )
        });
        let states = self
            .status
            .errors
            .iter()
            .map(|&state| (ErrorSource::State { state }, ErrorInput::State(state)));
        alerts.chain(states).collect()
    }
}

impl ErrorState {
    /// The bit's number in hrPrinterDetectedErrorState: its place in [`ErrorState::ALL`].
    pub fn bit(self) -> u32 {
        self as u32
    }
}

/// Which strategy produced a reading: name plus version, so a reading can be
/// re-interpreted later by a newer one and the difference explained.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct StrategyRef {
    /// The strategy's name (`printer-mib`).
    pub name: String,
    /// Its version (semver).
    pub version: String,
}

impl fmt::Display for StrategyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_states_serialize_as_the_words_the_readme_documents() {
        let json = serde_json::to_string(&ErrorState::ALL).unwrap();
        assert_eq!(
            json,
            r#"["low-paper","no-paper","low-toner","no-toner","door-open","jammed","offline","service-requested","input-tray-missing","output-tray-missing","marker-supply-missing","output-near-full","output-full","input-tray-empty","overdue-prevent-maint"]"#
        );
    }

    #[test]
    fn an_assessment_is_written_in_kebab_case_and_read_as_earlier_versions_wrote_it() {
        let written = r#"{"state":"paper-jam","group":"paper","severity":"critical","skill":"key-operator","field-service":false,"estimated-minutes":5}"#;
        let assessment: Assessment = serde_json::from_str(written).unwrap();
        assert_eq!(serde_json::to_string(&assessment).unwrap(), written);
        let earlier = written
            .replace("field-service", "field_service")
            .replace("estimated-minutes", "estimated_minutes");
        assert_eq!(
            serde_json::from_str::<Assessment>(&earlier).unwrap(),
            assessment
        );
    }

    #[test]
    fn every_alert_row_and_error_bit_is_an_input_and_says_which_it_is() {
        let alert = DeviceAlert {
            index: 7,
            severity: AlertSeverity::Critical,
            training_level: None,
            group: None,
            group_index: None,
            location: None,
            code: 8,
            code_name: Some("jam".into()),
            description: None,
            time: None,
        };
        let reading = Reading {
            status: Status {
                errors: vec![ErrorState::DoorOpen, ErrorState::Jammed],
                ..Status::default()
            },
            alerts: vec![alert.clone()],
            ..Reading::default()
        };
        let inputs = reading.error_inputs();
        assert_eq!(
            inputs,
            [
                (ErrorSource::Alert { index: 7 }, ErrorInput::Alert(alert)),
                (
                    ErrorSource::State {
                        state: ErrorState::DoorOpen
                    },
                    ErrorInput::State(ErrorState::DoorOpen)
                ),
                (
                    ErrorSource::State {
                        state: ErrorState::Jammed
                    },
                    ErrorInput::State(ErrorState::Jammed)
                ),
            ]
        );
        assert_eq!(
            serde_json::to_value(inputs[0].0).unwrap(),
            serde_json::json!({"kind": "alert", "index": 7})
        );
        assert_eq!(
            serde_json::to_value(inputs[2].0).unwrap(),
            serde_json::json!({"kind": "state", "state": "jammed"})
        );
        // Bit 4 is doorOpen, bit 5 jammed (RFC 3805).
        assert_eq!(
            (ErrorState::DoorOpen.bit(), ErrorState::Jammed.bit()),
            (4, 5)
        );
    }

    #[test]
    fn a_failed_assessment_is_kept_with_its_input() {
        let failed = ErrorAssessment {
            input: ErrorSource::Alert { index: 2 },
            outcome: AssessmentOutcome::Failed("hostile@1.0.0 trapped".into()),
        };
        assert_eq!(
            serde_json::to_value(&failed).unwrap(),
            serde_json::json!({"input": {"kind": "alert", "index": 2}, "outcome": {"failed": "hostile@1.0.0 trapped"}})
        );
        assert_eq!(failed.assessment(), None);
    }

    #[test]
    fn unknown_fields_are_null_not_defaults() {
        let json = serde_json::to_value(Reading::default()).unwrap();
        assert_eq!(json["identity"]["serial"], serde_json::Value::Null);
        assert_eq!(json["status"]["device"], serde_json::Value::Null);
    }
}
