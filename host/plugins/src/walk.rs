//! `snmp.walk` (contract 0.2.1): the host walks a table for the plugin and
//! hands it over flat.
//!
//! A walk the plugin drives itself crosses the component boundary once per
//! GETBULK, and each answer is lowered varbind by varbind, one guest
//! allocation per OID and per string. Here the host sends the requests and
//! the plugin receives the whole table as a handful of lists. The rules of the
//! walk are the SDK's [`Walk`], which the plugin's own walk follows too, so
//! either way the device sees the same requests and the strategy the same rows.
//!
//! Each answer is lent to the walk varbind by varbind
//! ([`DeviceTransport::snmp_each`]): a recording being replayed hands over
//! its own OIDs and values, so only what the table keeps is copied, once,
//! into the lists. Copying every answer first (an OID and a value allocated
//! per varbind, then dropped) was about half of the host's walk in a
//! sandboxed replay; see the README's replay figures.

use quire_plugins_sdk::walk::{MAX_WALK_VARBINDS, Walk, WalkRequest};
use quire_snmp::{Oid, Value};
use quire_transport::{DeviceTransport, SnmpRequest, TransportError};

use crate::bindings::latest::quire::device::snmp::{Span, Walked, WalkedValue};
use crate::bindings::latest::quire::device::types;
use crate::{MAX_VARBINDS_PER_CALL, sandbox};

/// Walks `roots` on the device behind `transport`, at most `max_varbinds` (and
/// never more than [`MAX_WALK_VARBINDS`]) varbinds.
pub(crate) async fn walk(
    transport: &dyn DeviceTransport,
    roots: Vec<types::Oid>,
    max_varbinds: u32,
) -> Result<Walked, types::TransportError> {
    if roots.len() > MAX_VARBINDS_PER_CALL {
        return Err(sandbox::too_many(roots.len()));
    }
    let width = roots.len();
    let mut walk = Walk::new(roots, max_varbinds.min(MAX_WALK_VARBINDS));
    let mut flat = Flat::default();
    while let Some(request) = walk.request() {
        let (oids, bulk) = match request {
            WalkRequest::Bulk {
                max_repetitions,
                oids,
            } => (oids, Some(max_repetitions as usize)),
            WalkRequest::Next { oids } => (oids, None),
        };
        let oids: Vec<Oid> = oids.into_iter().map(Oid::from).collect();
        let request = match bulk {
            Some(max_repetitions) => SnmpRequest::GetBulk {
                non_repeaters: 0,
                max_repetitions,
                oids: &oids,
            },
            None => SnmpRequest::GetNext(&oids),
        };
        // The answer is lent varbind by varbind: only what the table keeps is copied.
        let mut answering = walk.answering();
        let answered = transport
            .snmp_each(request, &mut |oid, value| {
                let value = (!value.is_exception()).then_some(value);
                answering.varbind(oid.arcs(), value, |column, index, value| {
                    flat.push(column, index, value)
                });
            })
            .await;
        match answered {
            Ok(()) => answering.finish(),
            Err(TransportError::Protocol(_)) if bulk.is_some() => {
                drop(answering);
                walk.bulk_failed();
            }
            Err(e) => return Err(sandbox::transport_error(e)),
        }
    }
    if walk.truncated() {
        tracing::warn!(
            columns = width,
            "a walk stopped after {} varbinds",
            flat.columns.len()
        );
    }
    Ok(flat.done(walk.truncated()))
}

/// The lists of a [`Walked`], filled a varbind at a time.
#[derive(Default)]
struct Flat {
    columns: Vec<u32>,
    indexes: Vec<Span>,
    values: Vec<WalkedValue>,
    arcs: Vec<u32>,
    octets: Vec<u8>,
}

impl Flat {
    fn push(&mut self, column: usize, index: &[u32], value: &Value) {
        use WalkedValue as W;
        let value = match *value {
            Value::Integer(n) => W::Integer(n),
            Value::OctetString(ref bytes) => W::Octets(append(&mut self.octets, bytes)),
            Value::Null => W::Null,
            Value::ObjectId(ref oid) => W::ObjectId(append(&mut self.arcs, oid.arcs())),
            Value::IpAddress([a, b, c, d]) => W::IpAddress((a, b, c, d)),
            Value::Counter32(n) => W::Counter32(n),
            Value::Gauge32(n) => W::Gauge32(n),
            Value::TimeTicks(n) => W::Timeticks(n),
            Value::Opaque(ref bytes) => W::Opaque(append(&mut self.octets, bytes)),
            Value::Counter64(n) => W::Counter64(n),
            // Walk::answer ends a column at an exception and keeps none.
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => return,
        };
        self.columns.push(column as u32);
        self.indexes.push(append(&mut self.arcs, index));
        self.values.push(value);
    }

    fn done(self, truncated: bool) -> Walked {
        Walked {
            columns: self.columns,
            indexes: self.indexes,
            values: self.values,
            arcs: self.arcs,
            octets: self.octets,
            truncated,
        }
    }
}

/// Appends `items` to `list`, returning where they landed. A walk is capped
/// at [`MAX_WALK_VARBINDS`] varbinds of at most a datagram each, so offsets
/// stay far below `u32::MAX`.
fn append<T: Copy>(list: &mut Vec<T>, items: &[T]) -> Span {
    let start = list.len() as u32;
    list.extend_from_slice(items);
    Span {
        start,
        len: items.len() as u32,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use quire_snmp::Recording;
    use quire_transport::ReplayTransport;

    use super::*;

    fn device(lines: &str) -> ReplayTransport {
        ReplayTransport::new(Arc::new(
            Recording::parse_snmprec("walk.snmprec", lines).unwrap(),
        ))
    }

    #[tokio::test]
    async fn a_table_arrives_flat_with_its_rows_and_values() {
        let device = device(
            "1.3.6.1.2.1.43.11.1.1.6.1.1|4|Black Toner\n\
             1.3.6.1.2.1.43.11.1.1.6.1.2|4|Drum\n\
             1.3.6.1.2.1.43.11.1.1.9.1.1|2|40\n\
             1.3.6.1.2.1.43.12.1.1.4.1.1|4|black\n",
        );
        let roots = vec![
            vec![1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 6],
            vec![1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9],
        ];
        let walked = walk(&device, roots, 100).await.unwrap();
        let rows: Vec<(u32, &[u32], String)> = (0..walked.columns.len())
            .map(|i| {
                let index = walked.indexes[i];
                let arcs = &walked.arcs[index.start as usize..][..index.len as usize];
                let value = match walked.values[i] {
                    WalkedValue::Octets(s) => String::from_utf8_lossy(
                        &walked.octets[s.start as usize..][..s.len as usize],
                    )
                    .into_owned(),
                    WalkedValue::Integer(n) => n.to_string(),
                    ref other => panic!("{other:?}"),
                };
                (walked.columns[i], arcs, value)
            })
            .collect();
        assert_eq!(
            rows,
            [
                (0, &[1, 1][..], "Black Toner".to_owned()),
                (1, &[1, 1][..], "40".to_owned()),
                (0, &[1, 2][..], "Drum".to_owned()),
            ]
        );
        assert!(!walked.truncated);
    }

    #[tokio::test]
    async fn the_cap_of_varbinds_holds_whatever_the_plugin_asks() {
        let mut lines = String::new();
        for i in 1..=MAX_WALK_VARBINDS + 50 {
            lines.push_str(&format!("1.3.6.1.4.1.99999.1.{i}|2|{i}\n"));
        }
        let device = device(&lines);
        let walked = walk(&device, vec![vec![1, 3, 6, 1, 4, 1, 99999, 1]], u32::MAX)
            .await
            .unwrap();
        assert_eq!(walked.values.len(), MAX_WALK_VARBINDS as usize);
        assert!(walked.truncated);
        let walked = walk(&device, vec![vec![1, 3, 6, 1, 4, 1, 99999, 1]], 30)
            .await
            .unwrap();
        assert_eq!(walked.values.len(), 30);
    }

    #[tokio::test]
    async fn too_many_roots_are_refused_like_too_many_oids() {
        let device = device("1.3.6.1.2.1.1.1.0|4|printer\n");
        let roots = vec![vec![1, 3, 6, 1]; MAX_VARBINDS_PER_CALL + 1];
        let refused = walk(&device, roots, 10).await.unwrap_err();
        assert!(
            matches!(&refused, types::TransportError::Denied(why) if why.contains("129 OIDs")),
            "{refused:?}"
        );
    }
}
