//! The printing industry's IANA Private Enterprise Numbers: the arc after
//! `1.3.6.1.4.1` in a sysObjectID, which names who built the SNMP agent.
//!
//! Source: the IANA registry (<https://www.iana.org/assignments/enterprise-numbers>),
//! read in the copy dated 2025-08-22 kept by the `CamberLoid/iana-tracking`
//! repository (`enterprise-numbers.txt`); the registrant column below is the
//! registry's own spelling. Which registrants make printers was taken from
//! two other readers' tables and checked against the registry: GLPI Agent's
//! `share/sysobject.ids` (type `PRINTER`) and Checkmk's
//! `PRINTER_MANUFACTURERS` (`cmk/base/plugins/agent_based/utils/printer.py`).
//! Where those tables disagree with the registry the registry wins: GLPI
//! names 683 Zebra, but 683 is Extended Systems, whose print servers Zebra
//! (and others) put in front of their printers; 714, 1723, 2699 and 29999
//! are not printer makers at all (Wyse, Pronet, the Printer Working Group,
//! microC Design) and are left out.
//!
//! A print server's number says who built the network board, not the
//! printer: for those ([`Kind::PrintServer`]) the maker is taken from the
//! printer's own name instead ([`maker_named_in`]).

/// Who an enterprise number's devices are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Printers, copiers, multifunction, label or receipt printers of its own.
    Maker,
    /// Network print servers and print controllers that front another
    /// maker's engine.
    PrintServer,
}

/// One registrant of the printing industry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enterprise {
    /// The arc after `enterprises`.
    pub number: u32,
    /// As the IANA registry writes it.
    pub registrant: &'static str,
    /// The name a dealer knows the maker by, used as the manufacturer.
    pub brand: &'static str,
    /// How its model names may begin (the brand first), so the model does
    /// not repeat the manufacturer.
    pub names: &'static [&'static str],
    /// Whether the number names the printer's maker or only its network board.
    pub kind: Kind,
}

const fn maker(
    number: u32,
    registrant: &'static str,
    brand: &'static str,
    names: &'static [&'static str],
) -> Enterprise {
    Enterprise {
        number,
        registrant,
        brand,
        names,
        kind: Kind::Maker,
    }
}

const fn print_server(number: u32, registrant: &'static str, brand: &'static str) -> Enterprise {
    Enterprise {
        number,
        registrant,
        brand,
        names: &[],
        kind: Kind::PrintServer,
    }
}

/// Sorted by number.
pub const ENTERPRISES: &[Enterprise] = &[
    maker(11, "Hewlett-Packard", "HP", &["HP", "Hewlett-Packard"]),
    maker(128, "Tektronix, Inc.", "Tektronix", &["Tektronix"]),
    maker(186, "Toshiba Corporation", "Toshiba", &["Toshiba"]),
    maker(211, "Fujitsu Limited", "Fujitsu", &["Fujitsu"]),
    maker(
        236,
        "Samsung Electronics Co., LTD.",
        "Samsung",
        &["Samsung"],
    ),
    print_server(244, "Lantronix", "Lantronix"),
    maker(253, "Xerox", "Xerox", &["Xerox"]),
    maker(
        258,
        "Matsushita Electric Industrial Co., Ltd.",
        "Panasonic",
        &["Panasonic"],
    ),
    maker(
        263,
        "Seiko Instruments, Inc.",
        "Seiko Instruments",
        &["Seiko", "SII"],
    ),
    maker(279, "Olivetti", "Olivetti", &["Olivetti"]),
    maker(
        297,
        "FUJIFILM Business Innovation Corp.",
        "Fuji Xerox",
        &["Fuji Xerox", "FUJIFILM"],
    ),
    maker(314, "Eastman Kodak Company", "Kodak", &["Kodak"]),
    maker(345, "Epson Research Center", "Epson", &["Epson"]),
    maker(367, "RICOH Co. Ltd.", "Ricoh", &["Ricoh"]),
    print_server(368, "Axis Communications AB", "Axis"),
    maker(
        396,
        "Panasonic Corporation Eco Solutions Company",
        "Panasonic",
        &["Panasonic"],
    ),
    maker(480, "QMS, Inc.", "QMS", &["Minolta-QMS", "QMS"]),
    maker(641, "Lexmark International", "Lexmark", &["Lexmark"]),
    print_server(649, "Microplex Systems Ltd.", "Microplex"),
    maker(671, "Printer Systems Corp.", "Printer Systems", &[]),
    maker(674, "Dell Inc.", "Dell", &["Dell"]),
    print_server(683, "Extended Systems, Inc.", "Extended Systems"),
    maker(815, "Memorex Telex", "Memorex Telex", &["Memorex"]),
    maker(1129, "Tec Corporation", "Toshiba", &["Toshiba", "TEC"]),
    maker(
        1205,
        "Dataproducts Corporation",
        "Dataproducts",
        &["Dataproducts"],
    ),
    print_server(1229, "SEH Computertechnik GmbH", "SEH"),
    print_server(1240, "Silex Technology America, Inc.", "Silex"),
    maker(1248, "SEIKO EPSON CORPORATION", "Epson", &["Epson"]),
    maker(1347, "KYOCERA Corporation", "Kyocera", &["Kyocera"]),
    maker(1472, "Sharp Laboratories of America", "Sharp", &["Sharp"]),
    maker(1552, "Océ Technologies BV", "Océ", &["Océ", "Oce"]),
    maker(1602, "CANON Inc.", "Canon", &["Canon"]),
    maker(
        1963,
        "Intermec Technologies Corp.",
        "Intermec",
        &["Intermec"],
    ),
    maker(2001, "Oki Data Corporation", "OKI", &["OKI"]),
    print_server(2136, "Electronics For Imaging, Inc.", "EFI"),
    maker(2364, "Konica Corporation", "Konica", &["Konica"]),
    maker(2385, "SHARP Corporation", "Sharp", &["Sharp"]),
    maker(2435, "Brother Industries, Ltd.", "Brother", &["Brother"]),
    maker(
        2565,
        "Avery Dennison",
        "Avery Dennison",
        &["Avery Dennison", "Avery"],
    ),
    maker(3369, "Genicom Corporation", "Genicom", &["Genicom"]),
    maker(4206, "MITA Industrial Co., Ltd.", "Mita", &["Mita"]),
    maker(
        4322,
        "Murata Machinery, Ltd.",
        "Muratec",
        &["Muratec", "Murata"],
    ),
    maker(10504, "Printronix, Inc.", "Printronix", &["Printronix"]),
    maker(
        10642,
        "Zebra Technologies Corporation",
        "Zebra",
        &["Zebra", "ZTC"],
    ),
    maker(
        10917,
        "Datamax Coporation",
        "Datamax",
        &["Datamax-O'Neil", "Datamax"],
    ),
    maker(
        18334,
        "KONICA MINOLTA HOLDINGS, INC.",
        "Konica Minolta",
        &["Konica Minolta"],
    ),
    maker(18445, "Datacard Corporation", "Datacard", &["Datacard"]),
    maker(20438, "CITIZEN WATCH CO.,LTD", "Citizen", &["Citizen"]),
    maker(
        20998,
        "Honeywell International Inc",
        "Honeywell",
        &["Honeywell"],
    ),
    maker(21018, "Paxar Americas, Inc.", "Paxar", &["Paxar"]),
    maker(24807, "RISO KAGAKU CORPORATION", "Riso", &["Riso"]),
    maker(25557, "Xerox -ORG", "Xerox", &["Xerox"]),
    maker(
        40093,
        "Zhuhai Seine Technology Co., Ltd",
        "Pantum",
        &["Pantum"],
    ),
    maker(42406, "SATO Corporation", "SATO", &["SATO"]),
];

/// The registrant of `number`, if it is one of the printing industry's.
pub fn by_number(number: u32) -> Option<&'static Enterprise> {
    ENTERPRISES
        .binary_search_by_key(&number, |e| e.number)
        .ok()
        .map(|i| &ENTERPRISES[i])
}

/// The maker whose name a printer's own description begins with
/// (`Zebra ZT410`, `Hewlett-Packard LaserJet`), for a device whose
/// sysObjectID names a print server or no one in the table. Only whole
/// leading words count, so `Sharpie` is no Sharp.
pub fn maker_named_in(description: &str) -> Option<&'static Enterprise> {
    let description = description.trim_start();
    ENTERPRISES
        .iter()
        .filter(|e| e.kind == Kind::Maker)
        .find(|e| {
            e.names.iter().any(|name| {
                description
                    .get(..name.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(name))
                    && description[name.len()..]
                        .chars()
                        .next()
                        .is_none_or(|c| !c.is_alphanumeric())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_each_number_is_listed_once() {
        assert!(ENTERPRISES.windows(2).all(|w| w[0].number < w[1].number));
    }

    #[test]
    fn print_servers_are_not_makers() {
        assert_eq!(by_number(683).map(|e| e.kind), Some(Kind::PrintServer));
        assert_eq!(by_number(10642).map(|e| e.brand), Some("Zebra"));
        assert_eq!(by_number(8072), None);
    }

    #[test]
    fn a_maker_is_named_only_by_whole_leading_words() {
        let brand = |d: &str| maker_named_in(d).map(|e| e.brand);
        assert_eq!(brand("Zebra ZT410-300dpi"), Some("Zebra"));
        assert_eq!(brand("hewlett-packard LaserJet 4"), Some("HP"));
        assert_eq!(brand("Sharpie 9000"), None);
        assert_eq!(brand("Generic printer"), None);
    }
}
