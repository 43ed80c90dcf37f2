//! The rules of a table walk, apart from any transport: which request to send
//! next, and what an answer adds to the table.
//!
//! Two drivers share them. Natively (the harness) and for a guest on a host
//! older than contract 0.2.1, [`Device::walk_columns`](crate::Device::walk_columns)
//! sends each request through the [`Transport`](crate::Transport); since 0.2.1
//! the host walks itself (`snmp.walk`) and hands the guest the whole table in
//! one call. Both walk by these rules, so a replay through the sandbox reads
//! what the harness reads, request for request.

use crate::Oid;

/// How many varbinds one GETBULK asks for in total. Twenty-four typical
/// printer rows fit one 1500-byte datagram, so the device answers without
/// `tooBig`, and a table of a few dozen rows takes two or three round trips.
pub const BULK_VARBINDS: u32 = 24;

/// The most varbinds one walk collects. A device that answers with an
/// endless subtree (some do, counting forever) is cut off here rather than
/// running the reader out of memory; what was read so far is kept.
pub const MAX_WALK_VARBINDS: u32 = 10_000;

/// The next request a [`Walk`] needs answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalkRequest {
    /// GETBULK with no non-repeaters.
    Bulk {
        /// Rows asked of each OID.
        max_repetitions: u32,
        /// One cursor per column still being walked.
        oids: Vec<Oid>,
    },
    /// GETNEXT, once GETBULK has failed on this device.
    Next {
        /// One cursor per column still being walked.
        oids: Vec<Oid>,
    },
}

/// A walk of several columns of one table side by side, one request at a
/// time: ask [`Walk::request`], send it, and give the answer to
/// [`Walk::answer`] (or [`Walk::bulk_failed`] when the device refused a
/// GETBULK) until there is no request left.
///
/// GETBULK carries every column at once. The walk falls back to GETNEXT for
/// the rest when a bulk answer is empty, goes backwards or makes no progress,
/// or the device rejects GETBULK (SNMPv1 agents do). A column ends at the end
/// of its subtree or at an exception; the walk ends when every column has,
/// when the device stops making progress (so a looping agent cannot hang the
/// reader), or after its cap of varbinds.
#[derive(Debug, Clone)]
pub struct Walk {
    /// Where each column has got to: its root at first, then the last OID
    /// kept, which always starts with the root (the first `roots[c]` arcs).
    cursors: Vec<Oid>,
    roots: Vec<usize>,
    active: Vec<usize>,
    bulk: bool,
    collected: u32,
    max_varbinds: u32,
    truncated: bool,
}

impl Walk {
    /// A walk of `columns` that stops after `max_varbinds` varbinds.
    pub fn new(columns: Vec<Oid>, max_varbinds: u32) -> Walk {
        Walk {
            roots: columns.iter().map(Vec::len).collect(),
            active: (0..columns.len()).collect(),
            cursors: columns,
            bulk: true,
            collected: 0,
            max_varbinds,
            truncated: false,
        }
    }

    /// What to send next, or `None` when the walk is over.
    pub fn request(&mut self) -> Option<WalkRequest> {
        if self.active.is_empty() {
            return None;
        }
        if self.collected >= self.max_varbinds {
            self.truncated = true;
            return None;
        }
        let oids: Vec<Oid> = self
            .active
            .iter()
            .map(|&c| self.cursors[c].clone())
            .collect();
        Some(if self.bulk {
            WalkRequest::Bulk {
                max_repetitions: (BULK_VARBINDS / self.active.len() as u32).max(1),
                oids,
            }
        } else {
            WalkRequest::Next { oids }
        })
    }

    /// The device refused the last GETBULK: the walk goes on with GETNEXT.
    pub fn bulk_failed(&mut self) {
        self.bulk = false;
    }

    /// Takes the answer to the last [`Walk::request`]: each varbind as its OID
    /// and its value, `None` for an exception (noSuchObject, noSuchInstance,
    /// endOfMibView). `keep(column, index, value)` is called for every varbind
    /// that belongs to the table, in the order the device answered, `index`
    /// being the OID's arcs after its column, and never more often than the
    /// walk's cap.
    pub fn answer<V>(
        &mut self,
        answer: impl IntoIterator<Item = (Oid, Option<V>)>,
        mut keep: impl FnMut(usize, &[u32], V),
    ) {
        let mut answering = self.answering();
        for (oid, value) in answer {
            answering.varbind(&oid, value, &mut keep);
        }
        answering.finish();
    }

    /// [`Walk::answer`] a varbind at a time, for a transport that lends its
    /// answer rather than handing it over: give each varbind to
    /// [`Answering::varbind`] in the order the device answered, then call
    /// [`Answering::finish`]. Dropped unfinished (the request failed), it
    /// leaves the walk as the failure found it.
    pub fn answering(&mut self) -> Answering<'_> {
        Answering {
            finished: vec![false; self.active.len()],
            walk: self,
            position: 0,
            progressed: false,
            backwards: false,
            empty: true,
            stopped: false,
        }
    }

    /// Whether the walk stopped at its cap of varbinds with columns left.
    pub fn truncated(&self) -> bool {
        self.truncated
    }
}

/// One answer being taken by a [`Walk`]: see [`Walk::answering`].
pub struct Answering<'w> {
    walk: &'w mut Walk,
    /// Per slot of the request: whether its column ended in this answer.
    finished: Vec<bool>,
    position: usize,
    progressed: bool,
    backwards: bool,
    empty: bool,
    /// The cap was reached: the walk is over, the rest of the answer ignored.
    stopped: bool,
}

impl Answering<'_> {
    /// The answer's next varbind; `keep` as for [`Walk::answer`].
    pub fn varbind<V>(
        &mut self,
        oid: &[u32],
        value: Option<V>,
        keep: impl FnOnce(usize, &[u32], V),
    ) {
        if self.stopped {
            return;
        }
        self.empty = false;
        let walk = &mut *self.walk;
        let slot = self.position % self.finished.len();
        self.position += 1;
        if self.finished[slot] {
            return;
        }
        let column = walk.active[slot];
        let root = walk.roots[column];
        let cursor = &mut walk.cursors[column];
        match value {
            None => self.finished[slot] = true,
            // An agent that goes backwards would loop forever.
            Some(_) if oid <= cursor.as_slice() => {
                self.backwards = true;
                self.finished[slot] = true;
            }
            Some(_) if !in_subtree(oid, &cursor[..root]) => self.finished[slot] = true,
            Some(_) if walk.collected >= walk.max_varbinds => {
                walk.truncated = true;
                walk.active.clear();
                self.stopped = true;
            }
            Some(value) => {
                keep(column, &oid[root..], value);
                // The cursor keeps its allocation: the root's arcs stay, the rest is replaced.
                cursor.truncate(root);
                cursor.extend_from_slice(&oid[root..]);
                walk.collected += 1;
                self.progressed = true;
            }
        }
    }

    /// The answer is complete: which columns go on, and whether GETBULK does.
    pub fn finish(self) {
        let walk = self.walk;
        if self.stopped {
            return;
        }
        if walk.bulk && self.empty {
            walk.bulk = false;
            return;
        }
        let stalled = !self.progressed && self.finished.contains(&false);
        if walk.bulk && (self.backwards || stalled) {
            // A bad bulk answer: redo this round with GETNEXT, keeping every column.
            walk.bulk = false;
            return;
        }
        if stalled {
            walk.active.clear();
            return;
        }
        walk.active = walk
            .active
            .iter()
            .zip(self.finished)
            .filter_map(|(&c, done)| (!done).then_some(c))
            .collect();
    }
}

/// Whether `oid` lies strictly under `root`.
pub(crate) fn in_subtree(oid: &[u32], root: &[u32]) -> bool {
    oid.len() > root.len() && oid.starts_with(root)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(arcs: &[u32]) -> Oid {
        arcs.to_vec()
    }

    #[test]
    fn a_bulk_answer_fills_every_column_and_ends_each_at_its_subtree() {
        let mut walk = Walk::new(vec![oid(&[1, 1]), oid(&[1, 2])], 100);
        let Some(WalkRequest::Bulk {
            max_repetitions,
            oids,
        }) = walk.request()
        else {
            panic!("a walk starts with GETBULK")
        };
        assert_eq!(max_repetitions, 12);
        assert_eq!(oids, [oid(&[1, 1]), oid(&[1, 2])]);
        let mut kept = Vec::new();
        walk.answer(
            [
                (oid(&[1, 1, 1]), Some("a")),
                (oid(&[1, 2, 1]), Some("b")),
                (oid(&[1, 2, 1]), Some("past column 1")),
                (oid(&[1, 3, 1]), Some("past column 2")),
            ],
            |column, index, value| kept.push((column, index.to_vec(), value)),
        );
        assert_eq!(kept, [(0, vec![1], "a"), (1, vec![1], "b")]);
        assert_eq!(walk.request(), None);
        assert!(!walk.truncated());
    }

    #[test]
    fn an_empty_or_backwards_bulk_answer_turns_the_walk_to_getnext() {
        for answer in [vec![], vec![(oid(&[1, 1]), Some(0))]] {
            let mut walk = Walk::new(vec![oid(&[1, 1])], 100);
            walk.request();
            walk.answer(answer, |_, _, _| panic!("nothing belongs to the table"));
            assert_eq!(
                walk.request(),
                Some(WalkRequest::Next {
                    oids: vec![oid(&[1, 1])]
                })
            );
        }
    }

    #[test]
    fn a_device_that_stops_progressing_ends_the_walk() {
        let mut walk = Walk::new(vec![oid(&[1, 1])], 100);
        walk.bulk_failed();
        walk.request();
        walk.answer([(oid(&[1, 1, 5]), Some(5))], |_, _, _| {});
        walk.request();
        walk.answer([(oid(&[1, 1, 5]), Some(5))], |_, _, _| panic!("a repeat"));
        assert_eq!(walk.request(), None);
    }

    #[test]
    fn the_cap_stops_the_walk_and_says_so() {
        let mut walk = Walk::new(vec![oid(&[1, 1])], 2);
        walk.request();
        let mut kept = 0;
        walk.answer([1, 2, 3].map(|i| (oid(&[1, 1, i]), Some(i))), |_, _, _| {
            kept += 1
        });
        assert_eq!(kept, 2);
        assert_eq!(walk.request(), None);
        assert!(walk.truncated());
    }

    #[test]
    fn an_exception_ends_its_column() {
        let mut walk = Walk::new(vec![oid(&[1, 1]), oid(&[1, 2])], 100);
        walk.request();
        walk.answer(
            [(oid(&[1, 1, 1]), Some(1)), (oid(&[1, 2]), None)],
            |_, _, _| {},
        );
        assert_eq!(
            walk.request(),
            Some(WalkRequest::Bulk {
                max_repetitions: 24,
                oids: vec![oid(&[1, 1, 1])]
            })
        );
    }
}
