//! IPP (RFC 8010/8011) for printers whose SNMP is off or thin, and for the
//! USB printers a CUPS server on the agent's host shares: printer URIs checked
//! where they are given ([`PrinterUri`]), the Get-Printer-Attributes request
//! for one printer and the CUPS-Get-Printers request for every queue of a CUPS
//! server, their answers decoded by Quire's own codec (the `ipp` crate was
//! measured and not taken; `codec.rs` says why), and each printer's attributes
//! turned into a Quire [`Reading`](quire_model::Reading).
//!
//! This crate does no I/O, like `model`: the caller sends [`get_printer_attributes`]'s
//! (or [`cups_get_printers`]'s) bytes over HTTP (`POST`, `Content-Type:
//! application/ipp`) with the host's own bounded device exchange, and hands the
//! body to [`decode`].
//!
//! What is read, and from where:
//!
//! - supplies: `printer-supply` (PWG 5100.13: one `key=value;` string per
//!   supply mirroring the Printer-MIB supplies table) with
//!   `printer-supply-description`; where a printer offers only CUPS's
//!   `marker-names`/`marker-levels`/`marker-colors`/`marker-types`, those;
//! - status: `printer-state`, `printer-state-reasons` (mapped to the
//!   Printer-MIB error bits and listed as alerts), `printer-state-message`;
//! - identity: `printer-device-id` (IEEE 1284 `MFG`/`MDL`/`SN`),
//!   `printer-make-and-model`, `printer-firmware-string-version`,
//!   `printer-location`, `printer-dns-sd-name`;
//! - counters, where offered: `printer-impressions-completed` (`total`),
//!   `printer-media-sheets-completed` (`sheets`), `printer-pages-completed`
//!   (`pages`) and the monochrome/full-colour members of
//!   `printer-impressions-completed-col`.

mod codec;
mod reading;
mod uri;

pub use codec::{
    Attribute, DecodeError, Group, Message, Value, cups_get_printers, decode,
    get_printer_attributes,
};
pub use reading::{GET_PRINTER_ATTRIBUTES, reading};
pub use uri::{IPP_PORT, PrinterUri};
