//! Object identifiers of the standard MIBs a printer implements.
//!
//! Columns are given without the row index (append it, or walk them with
//! [`crate::Device::walk_columns`]); scalars end in `.0` only where the MIB
//! defines a scalar. Names follow the MIBs so they can be looked up there.
//!
//! Not here: the PWG Imaging System Counter MIB (PWG 5106.1 / 5106.3). Its
//! module root is `enterprises.pwg(2699).mibs(1).imagingCounterMIB(3)`
//! ([`PWG_IMAGING_COUNTER_MIB`], from the MIB text published by the PWG,
//! `cs-wimscountmib20-20080318-5106.3.mib`), but the columns of its monitor
//! table could not be confirmed from a source while this was written, so
//! they are left out rather than guessed.

/// SNMPv2-MIB (RFC 3418) `sysDescr.0`.
pub const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
/// SNMPv2-MIB `sysObjectID.0`.
pub const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];
/// SNMPv2-MIB `sysUpTime.0`, hundredths of a second.
pub const SYS_UP_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
/// SNMPv2-MIB `sysContact.0`.
pub const SYS_CONTACT: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 4, 0];
/// SNMPv2-MIB `sysName.0`.
pub const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
/// SNMPv2-MIB `sysLocation.0`.
pub const SYS_LOCATION: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 6, 0];

/// `enterprises`: a sysObjectID under it names its maker by the next arc.
pub const ENTERPRISES: &[u32] = &[1, 3, 6, 1, 4, 1];

/// IF-MIB (RFC 2863) `ifType` column (IANAifType).
pub const IF_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 3];
/// IF-MIB `ifPhysAddress` column.
pub const IF_PHYS_ADDRESS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 6];

/// HOST-RESOURCES-MIB (RFC 2790) `hrDeviceType` column.
pub const HR_DEVICE_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 2];
/// HOST-RESOURCES-MIB `hrDeviceDescr` column.
pub const HR_DEVICE_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 3];
/// HOST-RESOURCES-MIB `hrDeviceStatus` column.
pub const HR_DEVICE_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 2, 1, 5];
/// HOST-RESOURCES-TYPES `hrDevicePrinter`, the `hrDeviceType` of a printer.
pub const HR_DEVICE_PRINTER: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 1, 5];
/// HOST-RESOURCES-MIB `hrPrinterStatus` column.
pub const HR_PRINTER_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1];
/// HOST-RESOURCES-MIB `hrPrinterDetectedErrorState` column.
pub const HR_PRINTER_DETECTED_ERROR_STATE: &[u32] = &[1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 2];

/// ENTITY-MIB (RFC 6933) `entPhysicalSerialNum` column.
pub const ENT_PHYSICAL_SERIAL_NUM: &[u32] = &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 11];
/// ENTITY-MIB (RFC 6933) `entPhysicalFirmwareRev` column.
pub const ENT_PHYSICAL_FIRMWARE_REV: &[u32] = &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 9];
/// ENTITY-MIB (RFC 6933) `entPhysicalSoftwareRev` column.
pub const ENT_PHYSICAL_SOFTWARE_REV: &[u32] = &[1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1, 10];

/// Printer-MIB (RFC 3805) root, `printmib`.
pub const PRINTMIB: &[u32] = &[1, 3, 6, 1, 2, 1, 43];
/// Printer-MIB `prtGeneralPrinterName` column (index hrDeviceIndex).
pub const PRT_GENERAL_PRINTER_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 16];
/// Printer-MIB `prtGeneralSerialNumber` column (index hrDeviceIndex).
pub const PRT_GENERAL_SERIAL_NUMBER: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 5, 1, 1, 17];

/// Printer-MIB `prtInputTable`.
pub const PRT_INPUT_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 8, 2];
/// Printer-MIB `prtInputMaxCapacity` column.
pub const PRT_INPUT_MAX_CAPACITY: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 9];
/// Printer-MIB `prtInputCurrentLevel` column.
pub const PRT_INPUT_CURRENT_LEVEL: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 10];
/// Printer-MIB `prtInputName` column.
pub const PRT_INPUT_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 8, 2, 1, 13];

/// Printer-MIB `prtMarkerCounterUnit` column (PrtMarkerCounterUnitTC).
pub const PRT_MARKER_COUNTER_UNIT: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 3];
/// Printer-MIB `prtMarkerLifeCount` column: marks made over the marker's life.
pub const PRT_MARKER_LIFE_COUNT: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4];
/// Printer-MIB `prtMarkerPowerOnCount` column: marks since power-on.
pub const PRT_MARKER_POWER_ON_COUNT: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 5];

/// Printer-MIB `prtMarkerSuppliesTable`.
pub const PRT_MARKER_SUPPLIES_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1];
/// `prtMarkerSuppliesColorantIndex` column (0: no colorant).
pub const PRT_MARKER_SUPPLIES_COLORANT_INDEX: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 3];
/// `prtMarkerSuppliesClass` column (3 consumed, 4 receptacle filled).
pub const PRT_MARKER_SUPPLIES_CLASS: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 4];
/// `prtMarkerSuppliesType` column (PrtMarkerSuppliesTypeTC).
pub const PRT_MARKER_SUPPLIES_TYPE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 5];
/// `prtMarkerSuppliesDescription` column.
pub const PRT_MARKER_SUPPLIES_DESCRIPTION: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 6];
/// `prtMarkerSuppliesSupplyUnit` column (PrtMarkerSuppliesSupplyUnitTC).
pub const PRT_MARKER_SUPPLIES_SUPPLY_UNIT: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 7];
/// `prtMarkerSuppliesMaxCapacity` column (-1 other, -2 unknown).
pub const PRT_MARKER_SUPPLIES_MAX_CAPACITY: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 8];
/// `prtMarkerSuppliesLevel` column (-1 other, -2 unknown, -3 some remaining).
pub const PRT_MARKER_SUPPLIES_LEVEL: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9];

/// Printer-MIB `prtMarkerColorantTable`.
pub const PRT_MARKER_COLORANT_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 12, 1];
/// `prtMarkerColorantValue` column: the colorant's name (`black`, `cyan`, ...).
pub const PRT_MARKER_COLORANT_VALUE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 12, 1, 1, 4];

/// Printer-MIB `prtConsoleDisplayBufferText` column: one panel line per row.
pub const PRT_CONSOLE_DISPLAY_BUFFER_TEXT: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 16, 5, 1, 2];

/// Printer-MIB `prtAlertTable`.
pub const PRT_ALERT_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1];
/// `prtAlertSeverityLevel` column.
pub const PRT_ALERT_SEVERITY_LEVEL: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 2];
/// `prtAlertTrainingLevel` column.
pub const PRT_ALERT_TRAINING_LEVEL: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 3];
/// `prtAlertGroup` column.
pub const PRT_ALERT_GROUP: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 4];
/// `prtAlertGroupIndex` column.
pub const PRT_ALERT_GROUP_INDEX: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 5];
/// `prtAlertLocation` column.
pub const PRT_ALERT_LOCATION: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 6];
/// `prtAlertCode` column.
pub const PRT_ALERT_CODE: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 7];
/// `prtAlertDescription` column.
pub const PRT_ALERT_DESCRIPTION: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 8];
/// `prtAlertTime` column (sysUpTime when raised).
pub const PRT_ALERT_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 43, 18, 1, 1, 9];

/// PWG-IMAGING-COUNTER-MIB module root (`imagingCounterMIB`), for walking or
/// probing it; see the module doc for why no columns are given.
pub const PWG_IMAGING_COUNTER_MIB: &[u32] = &[1, 3, 6, 1, 4, 1, 2699, 1, 3];
