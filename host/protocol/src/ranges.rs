//! Discovery ranges as a dealer writes them: one address, `a-b`, CIDR, or a host name.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The most addresses one range may hold: a /16. Scanning more from one agent is a
/// misconfiguration (a typo'd prefix length), not a network anyone means to sweep.
pub const MAX_RANGE_ADDRESSES: u64 = 1 << 16;

/// One discovery range. Spans and CIDR blocks are IPv4: nobody sweeps an IPv6 prefix,
/// but a single IPv6 address or a host name can still be listed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Range {
    /// One address.
    Address(IpAddr),
    /// `first-last`, both included; `last` may be written as just its final octet
    /// (`10.0.0.1-40`).
    Span {
        /// The first address scanned.
        first: Ipv4Addr,
        /// The last address scanned.
        last: Ipv4Addr,
    },
    /// `network/prefix`. For prefixes shorter than /31 the network and broadcast
    /// addresses are left out, as no device answers on them.
    Cidr {
        /// The network address (host bits zero).
        network: Ipv4Addr,
        /// The prefix length.
        prefix: u8,
    },
    /// A DNS name, resolved by the agent when it scans.
    Host(String),
}

/// Addresses that are the agent's own machine or its link rather than the customer's
/// network (see [`Range::reaches_local`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTarget {
    /// The agent's own machine.
    Loopback,
    /// The agent's link, where a cloud's metadata service answers.
    LinkLocal,
}

impl fmt::Display for LocalTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LocalTarget::Loopback => "loopback addresses (the agent's own machine)",
            LocalTarget::LinkLocal => {
                "link-local addresses (where a cloud's metadata service answers)"
            }
        })
    }
}

/// Why a range was refused; the text names the range as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("range {input:?}: {reason}")]
pub struct RangeError {
    /// The range as written.
    pub input: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Range {
    /// How many addresses a scan of this range probes (a host name counts as one).
    pub fn len(&self) -> u64 {
        match self {
            Range::Address(_) | Range::Host(_) => 1,
            Range::Span { first, last } => u64::from(u32::from(*last) - u32::from(*first)) + 1,
            Range::Cidr { prefix, .. } => {
                let all = 1u64 << (32 - u32::from(*prefix));
                if *prefix < 31 { all - 2 } else { all }
            }
        }
    }

    /// Never true: every valid range holds at least one address.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The addresses to probe, in order. A host name yields nothing here: the agent
    /// resolves it, since resolving is I/O.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> + Send + 'static {
        let (start, count, single) = match self {
            Range::Address(address) => (0, 0, Some(*address)),
            Range::Host(_) => (0, 0, None),
            Range::Span { first, .. } => (u32::from(*first), self.len(), None),
            Range::Cidr { network, prefix } => {
                let skip_network = u32::from(*prefix < 31);
                (u32::from(*network) + skip_network, self.len(), None)
            }
        };
        single
            .into_iter()
            .chain((0..count).map(move |offset| IpAddr::V4(Ipv4Addr::from(start + offset as u32))))
    }

    /// Whether `address` is one this range probes.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self, address) {
            (Range::Address(own), _) => *own == address,
            (Range::Host(_), _) => false,
            (Range::Span { first, last }, IpAddr::V4(v4)) => (*first..=*last).contains(&v4),
            (Range::Cidr { .. }, IpAddr::V4(v4)) => self.addresses().any(|a| a == IpAddr::V4(v4)),
            (_, IpAddr::V6(_)) => false,
        }
    }

    /// Which of the agent's own machine or its link this range reaches, if any: loopback
    /// (127.0.0.0/8, `::1`, `localhost` by RFC 6761) or link-local (169.254.0.0/16 and
    /// fe80::/10 by RFC 3927 and RFC 4291, where clouds answer with their metadata service
    /// and its credentials). Reading there is never a printer the customer owns by
    /// accident, so the server lets only the account's dealer list such a range.
    pub fn reaches_local(&self) -> Option<LocalTarget> {
        const LOOPBACK: (u32, u32) = (0x7f00_0000, 0x7fff_ffff);
        const LINK_LOCAL: (u32, u32) = (0xa9fe_0000, 0xa9fe_ffff);
        let (low, high) = match self {
            Range::Address(IpAddr::V6(v6)) if v6.is_loopback() => {
                return Some(LocalTarget::Loopback);
            }
            Range::Address(IpAddr::V6(v6)) if v6.is_unicast_link_local() => {
                return Some(LocalTarget::LinkLocal);
            }
            Range::Address(IpAddr::V6(_)) => return None,
            Range::Host(name) => {
                let name = name.to_ascii_lowercase();
                let loopback = name == "localhost" || name.ends_with(".localhost");
                return loopback.then_some(LocalTarget::Loopback);
            }
            Range::Address(IpAddr::V4(v4)) => (u32::from(*v4), u32::from(*v4)),
            Range::Span { first, last } => (u32::from(*first), u32::from(*last)),
            Range::Cidr { network, prefix } => {
                let host_bits = u32::MAX.checked_shr(u32::from(*prefix)).unwrap_or(0);
                (u32::from(*network), u32::from(*network) | host_bits)
            }
        };
        let overlaps = |(first, last): (u32, u32)| low <= last && first <= high;
        if overlaps(LOOPBACK) {
            Some(LocalTarget::Loopback)
        } else if overlaps(LINK_LOCAL) {
            Some(LocalTarget::LinkLocal)
        } else {
            None
        }
    }
}

impl FromStr for Range {
    type Err = RangeError;

    fn from_str(input: &str) -> Result<Range, RangeError> {
        let refuse = |reason: String| RangeError {
            input: input.to_owned(),
            reason,
        };
        let text = input.trim();
        if text.is_empty() {
            return Err(refuse("is empty".to_owned()));
        }
        if let Some((network, prefix)) = text.split_once('/') {
            let network: Ipv4Addr = network
                .trim()
                .parse()
                .map_err(|_| refuse(format!("{network:?} is not an IPv4 address")))?;
            let prefix: u8 = prefix
                .trim()
                .parse()
                .ok()
                .filter(|p| *p <= 32)
                .ok_or_else(|| refuse(format!("prefix {prefix:?} is not 0 to 32")))?;
            if prefix < 16 {
                return Err(refuse(format!(
                    "a /{prefix} holds more than {MAX_RANGE_ADDRESSES} addresses; split it into /16s or smaller"
                )));
            }
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            if u32::from(network) & !mask != 0 {
                let proper = Ipv4Addr::from(u32::from(network) & mask);
                return Err(refuse(format!(
                    "host bits are set; the network is {proper}/{prefix}"
                )));
            }
            return Ok(Range::Cidr { network, prefix });
        }
        if let Some((first, last)) = text.split_once('-')
            && let Ok(first) = first.trim().parse::<Ipv4Addr>()
        {
            let last = last.trim();
            let last: Ipv4Addr = match last.parse::<u8>() {
                Ok(octet) => {
                    let [a, b, c, _] = first.octets();
                    Ipv4Addr::new(a, b, c, octet)
                }
                Err(_) => last
                    .parse()
                    .map_err(|_| refuse(format!("{last:?} is not an IPv4 address")))?,
            };
            if last < first {
                return Err(refuse(format!("{last} comes before {first}")));
            }
            let range = Range::Span { first, last };
            if range.len() > MAX_RANGE_ADDRESSES {
                return Err(refuse(format!(
                    "holds {} addresses, more than the {MAX_RANGE_ADDRESSES} of a /16",
                    range.len()
                )));
            }
            return Ok(range);
        }
        if let Ok(address) = text.parse::<IpAddr>() {
            return Ok(Range::Address(address));
        }
        if is_host_name(text) {
            return Ok(Range::Host(text.to_ascii_lowercase()));
        }
        Err(refuse(
            "is not an address, a-b span, CIDR block or host name".to_owned(),
        ))
    }
}

/// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens,
/// not all digits (so a mistyped address is not taken for a name).
fn is_host_name(text: &str) -> bool {
    text.len() <= 253
        && !text
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Range::Address(address) => write!(f, "{address}"),
            Range::Span { first, last } => write!(f, "{first}-{last}"),
            Range::Cidr { network, prefix } => write!(f, "{network}/{prefix}"),
            Range::Host(name) => f.write_str(name),
        }
    }
}

/// In the OpenAPI document a range is the text a dealer writes.
impl utoipa::PartialSchema for Range {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some(
                "One address, `first-last` (`10.0.0.1-40`), CIDR (`10.0.0.0/24`) or a host name; at most a /16.",
            ))
            .examples(["10.0.0.0/24"])
            .into()
    }
}

impl utoipa::ToSchema for Range {}

impl Serialize for Range {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Range {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Range, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Range {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn refused(text: &str) -> String {
        text.parse::<Range>().unwrap_err().to_string()
    }

    #[test]
    fn every_form_a_dealer_writes() {
        assert_eq!(
            parse("10.0.0.7"),
            Range::Address("10.0.0.7".parse().unwrap())
        );
        assert_eq!(parse("fe80::1"), Range::Address("fe80::1".parse().unwrap()));
        assert_eq!(parse(" 10.0.0.1 - 10.0.0.40 ").len(), 40);
        assert_eq!(parse("10.0.0.1-40"), parse("10.0.0.1-10.0.0.40"));
        assert_eq!(parse("192.168.1.0/24").len(), 254);
        assert_eq!(parse("192.168.1.8/31").len(), 2);
        assert_eq!(parse("192.168.1.9/32").len(), 1);
        assert_eq!(parse("127.42.0.0/16").len(), 65_534);
        assert_eq!(
            parse("Printer-3.Office.example"),
            Range::Host("printer-3.office.example".into())
        );
    }

    #[test]
    fn addresses_leave_out_network_and_broadcast() {
        let all: Vec<IpAddr> = parse("10.1.2.0/30").addresses().collect();
        assert_eq!(
            all,
            [
                "10.1.2.1".parse::<IpAddr>().unwrap(),
                "10.1.2.2".parse().unwrap()
            ]
        );
        let span: Vec<IpAddr> = parse("10.1.2.254-10.1.3.1").addresses().collect();
        assert_eq!(span.len(), 4);
        assert_eq!(span[3], "10.1.3.1".parse::<IpAddr>().unwrap());
        assert_eq!(parse("printer.example").addresses().count(), 0);
        assert!(parse("10.1.2.0/30").contains("10.1.2.2".parse().unwrap()));
        assert!(!parse("10.1.2.0/30").contains("10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(refused(""), r#"range "": is empty"#);
        assert!(refused("10.0.0.40-10.0.0.1").contains("10.0.0.1 comes before 10.0.0.40"));
        assert!(refused("10.0.0.0/8").contains("split it into /16s"));
        assert!(refused("10.0.0.5/24").contains("the network is 10.0.0.0/24"));
        assert!(refused("10.0.0.0/33").contains("prefix \"33\" is not 0 to 32"));
        assert!(refused("10.0.0.1-10.2.0.0").contains("more than the 65536"));
        assert!(refused("10.0.0.300").contains("not an address"));
        assert!(refused("printer_3").contains("not an address"));
    }

    #[test]
    fn ranges_reaching_the_agents_own_machine_or_link_are_told() {
        let local = |text: &str| parse(text).reaches_local();
        assert_eq!(local("127.0.0.1"), Some(LocalTarget::Loopback));
        assert_eq!(
            local("126.255.255.0-127.0.0.3"),
            Some(LocalTarget::Loopback)
        );
        assert_eq!(local("127.5.0.0/16"), Some(LocalTarget::Loopback));
        assert_eq!(local("::1"), Some(LocalTarget::Loopback));
        assert_eq!(local("LocalHost"), Some(LocalTarget::Loopback));
        assert_eq!(local("printer.localhost"), Some(LocalTarget::Loopback));
        assert_eq!(local("169.254.169.254"), Some(LocalTarget::LinkLocal));
        assert_eq!(
            local("169.253.255.250-169.254.0.1"),
            Some(LocalTarget::LinkLocal)
        );
        assert_eq!(local("fe80::1"), Some(LocalTarget::LinkLocal));
        assert_eq!(local("126.255.255.0/24"), None);
        assert_eq!(local("128.0.0.0-128.0.0.9"), None);
        assert_eq!(local("169.255.0.0/16"), None);
        assert_eq!(local("10.1.2.3"), None);
        assert_eq!(local("2001:db8::1"), None);
        assert_eq!(local("localhost.example.com"), None);
    }

    #[test]
    fn serde_uses_the_written_form() {
        let range = parse("10.0.0.1-40");
        let json = serde_json::to_string(&range).unwrap();
        assert_eq!(json, r#""10.0.0.1-10.0.0.40""#);
        assert_eq!(serde_json::from_str::<Range>(&json).unwrap(), range);
        let error = serde_json::from_str::<Range>(r#""10.0.0.0/4""#).unwrap_err();
        assert!(error.to_string().contains("split it into /16s"), "{error}");
    }

    proptest::proptest! {
        #[test]
        fn display_parses_back(a in proptest::prelude::any::<u32>(), n in 0u32..65_536) {
            let first = Ipv4Addr::from(a);
            let last = Ipv4Addr::from(a.saturating_add(n));
            let range = Range::Span { first, last };
            proptest::prop_assert_eq!(range.to_string().parse::<Range>().unwrap(), range.clone());
            proptest::prop_assert_eq!(range.addresses().count() as u64, range.len());
        }
    }
}
