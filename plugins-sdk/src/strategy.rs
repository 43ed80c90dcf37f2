//! The trait a strategy author implements, and how it becomes a component.

use crate::{
    Assessment, Cycle, Device, ErrorInput, MatchRule, Probe, Reading, StrategyError, StrategyInfo,
    standard_assessment,
};

/// How one family of devices is read. Only [`Strategy::describe`] and
/// [`Strategy::collect`] are required; the rest have defaults that suit a
/// standard Printer-MIB device.
///
/// The functions take no `self`: the host may instantiate a component per
/// device and per call, so a strategy keeps no state between calls.
pub trait Strategy {
    /// Name, version, vendor and the match rules the host uses to choose
    /// candidates without instantiating every plugin.
    fn describe() -> StrategyInfo;

    /// How well this strategy fits the device: a score (higher is more
    /// specific), or `None` when the device is not ours. The default scores
    /// [`Strategy::describe`]'s match rules with [`score_by_rules`] and asks
    /// the device nothing; override it to probe.
    fn identify(_device: &Device<'_>, probe: &Probe) -> Option<u32> {
        score_by_rules(&Self::describe().match_rules, probe)
    }

    /// Reads the device for one cycle.
    fn collect(device: &Device<'_>, cycle: Cycle) -> Result<Reading, StrategyError>;

    /// What an alert row or error-state bit means for service. The default is
    /// [`standard_assessment`], the Printer-MIB reading of it.
    fn map_error(input: &ErrorInput) -> Assessment {
        standard_assessment(input)
    }
}

/// Scores a probe against match rules: a sysObjectID prefix scores 100 plus
/// one per arc (a longer prefix is more specific), a sysDescr substring 50;
/// the best rule wins. `None` when no rule matches. Prefixes match whole arcs,
/// so `1.3.6.1.4.1.11` does not match `1.3.6.1.4.1.1129`.
pub fn score_by_rules(rules: &[MatchRule], probe: &Probe) -> Option<u32> {
    let oid = probe.sys_object_id.trim_start_matches('.');
    let descr = probe.sys_descr.to_lowercase();
    rules
        .iter()
        .filter_map(|rule| match rule {
            MatchRule::SysObjectIdPrefix(prefix) => {
                let prefix = prefix.trim_start_matches('.');
                let whole_arcs = oid == prefix
                    || oid
                        .strip_prefix(prefix)
                        .is_some_and(|rest| rest.starts_with('.'));
                (!prefix.is_empty() && whole_arcs).then(|| 100 + prefix.split('.').count() as u32)
            }
            MatchRule::SysDescrContains(needle) => {
                (!needle.is_empty() && descr.contains(&needle.to_lowercase())).then_some(50)
            }
        })
        .max()
}

/// A family's match rules: the sysObjectID prefixes of its makers' arcs, then
/// the words its sysDescr carries, each scored as [`score_by_rules`] says.
pub fn match_rules<W: Into<String>>(
    sys_object_id_prefixes: &[&str],
    sys_descr_words: impl IntoIterator<Item = W>,
) -> Vec<MatchRule> {
    let prefixes = sys_object_id_prefixes
        .iter()
        .map(|prefix| MatchRule::SysObjectIdPrefix((*prefix).into()));
    let words = sys_descr_words
        .into_iter()
        .map(|word| MatchRule::SysDescrContains(word.into()));
    prefixes.chain(words).collect()
}

/// The [`StrategyInfo`] of a strategy Quire ships: vendor `Quire`, and the
/// version of the crate the macro is written in. `env!` expands there, so each
/// strategy reports its own release, never the SDK's, and none can pass the
/// wrong one.
///
/// ```
/// use quire_plugins_sdk::{StrategyInfo, match_rules, quire_strategy_info};
///
/// let info: StrategyInfo = quire_strategy_info!(
///     "acme",
///     "Acme LaserWriters: the standard reading.",
///     match_rules(&["1.3.6.1.4.1.99999"], ["Acme "]),
/// );
/// assert_eq!((info.vendor.as_str(), info.match_rules.len()), ("Quire", 2));
/// ```
#[macro_export]
macro_rules! quire_strategy_info {
    ($name:expr, $description:expr, $match_rules:expr $(,)?) => {
        $crate::StrategyInfo {
            name: ::std::string::String::from($name),
            version: ::std::string::String::from(::core::env!("CARGO_PKG_VERSION")),
            vendor: ::std::string::String::from("Quire"),
            description: ::std::string::String::from($description),
            match_rules: $match_rules,
        }
    };
}

/// Exports a [`Strategy`] as the component's `strategy-api`.
///
/// The export exists only when building for `wasm32`, so several strategies
/// can be linked into one native binary (tests, benchmarks) without clashing
/// export symbols; natively, use the `harness` feature's `replay` or call the trait directly.
#[macro_export]
macro_rules! register_strategy {
    ($strategy:ty) => {
        #[cfg(target_arch = "wasm32")]
        const _: () = {
            type QuireStrategyExport = $crate::Export<$strategy>;
    $crate::bindings::export!(QuireStrategyExport with_types_in $crate::bindings);
        };
    };
}

#[cfg(target_arch = "wasm32")]
pub use component::Export;

#[cfg(target_arch = "wasm32")]
mod component {
    use std::marker::PhantomData;

    use super::Strategy;
    use crate::bindings::exports::quire::device::strategy_api::Guest;
    use crate::bindings::quire::device::{http, log, npap, snmp};
    use crate::walk::MAX_WALK_VARBINDS;
    use crate::{
        Assessment, Collected, ColumnRows, Cycle, Device, ErrorInput, HttpRequest, HttpResponse,
        LogLevel, NpapPort, Oid, Probe, SnmpValue, StrategyError, StrategyInfo, Transport,
        TransportError, Varbind,
    };

    /// The `strategy-api` export for `S`; named by [`register_strategy!`].
    pub struct Export<S>(PhantomData<S>);

    /// The host's imports, scoped by the host to the device being read.
    struct Host;

    impl Transport for Host {
        fn get(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
            snmp::get(oids)
        }
        fn get_next(&self, oids: &[Oid]) -> Result<Vec<Varbind>, TransportError> {
            snmp::get_next(oids)
        }
        fn get_bulk(
            &self,
            non_repeaters: u32,
            max_repetitions: u32,
            oids: &[Oid],
        ) -> Result<Vec<Varbind>, TransportError> {
            snmp::get_bulk(non_repeaters, max_repetitions, oids)
        }
        fn npap(
            &self,
            port: NpapPort,
            request: &[u8],
            timeout_ms: u32,
        ) -> Result<Vec<u8>, TransportError> {
            npap::exchange(port, request, timeout_ms)
        }
        fn http(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
            http::send(request)
        }
        fn log(&self, level: LogLevel, message: &str) {
            log::log(level, message);
        }
        fn walk(&self, columns: &[Oid]) -> Result<Vec<ColumnRows>, TransportError> {
            snmp::walk(columns, MAX_WALK_VARBINDS).map(|walked| rows(walked, columns.len()))
        }
    }

    /// The host's flat walk as [`Transport::walk`]'s rows per column.
    fn rows(walked: snmp::Walked, width: usize) -> Vec<ColumnRows> {
        use snmp::WalkedValue as W;
        let snmp::Walked {
            columns,
            indexes,
            values,
            arcs,
            octets,
            ..
        } = walked;
        let arcs_at = |s: snmp::Span| span(&arcs, s);
        let octets_at = |s: snmp::Span| span(&octets, s).to_vec();
        let mut kept = vec![Vec::new(); width];
        for ((column, index), value) in columns.into_iter().zip(indexes).zip(values) {
            let Some(rows) = kept.get_mut(column as usize) else {
                continue;
            };
            let value = match value {
                W::Integer(n) => SnmpValue::Integer(n),
                W::Octets(s) => SnmpValue::Octets(octets_at(s)),
                W::Null => SnmpValue::Null,
                W::ObjectId(s) => SnmpValue::ObjectId(arcs_at(s).to_vec()),
                W::IpAddress(a) => SnmpValue::IpAddress(a),
                W::Counter32(n) => SnmpValue::Counter32(n),
                W::Gauge32(n) => SnmpValue::Gauge32(n),
                W::Timeticks(n) => SnmpValue::Timeticks(n),
                W::Opaque(s) => SnmpValue::Opaque(octets_at(s)),
                W::Counter64(n) => SnmpValue::Counter64(n),
            };
            rows.push((arcs_at(index).to_vec(), value));
        }
        kept
    }

    /// The part of `list` at `s`; empty where the host's span does not fit.
    fn span<T>(list: &[T], s: snmp::Span) -> &[T] {
        let start = s.start as usize;
        list.get(start..start.saturating_add(s.len as usize))
            .unwrap_or_default()
    }

    impl<S: Strategy> Guest for Export<S> {
        fn describe() -> StrategyInfo {
            S::describe()
        }
        fn identify(probe: Probe) -> Option<u32> {
            S::identify(&Device::new(&Host), &probe)
        }
        fn collect(cycle: Cycle) -> Result<Collected, StrategyError> {
            let device = Device::new(&Host);
            let reading = S::collect(&device, cycle)?;
            Ok(Collected {
                reading,
                notes: device.take_notes(),
            })
        }
        fn map_error(input: ErrorInput) -> Assessment {
            S::map_error(&input)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(oid: &str, descr: &str) -> Probe {
        Probe {
            sys_object_id: oid.into(),
            sys_descr: descr.into(),
        }
    }

    #[test]
    fn longer_prefixes_score_higher_and_match_whole_arcs() {
        let rules = vec![
            MatchRule::SysObjectIdPrefix("1.3.6.1.4.1.11".into()),
            MatchRule::SysObjectIdPrefix("1.3.6.1.4.1.11.2.3.9".into()),
        ];
        assert_eq!(
            score_by_rules(&rules, &probe(".1.3.6.1.4.1.11.2.3.9.1", "")),
            Some(110)
        );
        assert_eq!(
            score_by_rules(&rules, &probe("1.3.6.1.4.1.1129.2", "")),
            None
        );
    }

    #[test]
    fn descr_rules_ignore_case() {
        let rules = vec![MatchRule::SysDescrContains("laserjet".into())];
        assert_eq!(
            score_by_rules(&rules, &probe("", "HP Color LaserJet M452nw")),
            Some(50)
        );
        assert_eq!(score_by_rules(&[], &probe("1.3", "x")), None);
    }
}
