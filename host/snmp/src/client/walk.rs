//! Walking a subtree: GETBULK where the agent gets it right, GETNEXT where it
//! does not (v1, and agents that answer GETBULK empty, backwards or with an
//! error status; printers' embedded agents do all three).

use super::{ClientError, ClientErrorKind, Session};
use crate::{Oid, Value};

impl Session {
    /// Every varbind under `root`, in order. Falls back to GETNEXT for the
    /// rest of this session when a GETBULK answer is unusable; fails when
    /// GETNEXT itself goes backwards, since that walk would never end.
    pub async fn walk(&self, root: &Oid) -> Result<Vec<(Oid, Value)>, ClientError> {
        self.walk_with_progress(root, |_| {}).await
    }

    /// [`Session::walk`], showing `progress` the varbinds taken so far after each answer,
    /// so a walk of a whole agent (thousands of requests) can show it is alive.
    pub async fn walk_with_progress(
        &self,
        root: &Oid,
        mut progress: impl FnMut(&[(Oid, Value)]),
    ) -> Result<Vec<(Oid, Value)>, ClientError> {
        let mut out = Vec::new();
        let mut cursor = root.clone();
        loop {
            if self.bulk_usable().await {
                let max = usize::try_from(self.config().max_repetitions).unwrap_or(usize::MAX);
                match self
                    .get_bulk(0, max.max(1), std::slice::from_ref(&cursor))
                    .await
                {
                    Ok(batch) if bulk_is_sound(&batch, &cursor) => {
                        if take(&mut out, &mut cursor, root, batch) {
                            return Ok(out);
                        }
                        progress(&out);
                        continue;
                    }
                    Ok(_)
                    | Err(ClientError {
                        kind: ClientErrorKind::ErrorStatus { .. },
                        ..
                    }) => {
                        tracing::info!(device = %self.address(), at = %cursor, "GETBULK answered badly; walking with GETNEXT");
                        self.mark_bulk_broken().await;
                        continue;
                    }
                    Err(e) => return Err(e),
                }
            }
            let batch = self.get_next(std::slice::from_ref(&cursor)).await?;
            if batch
                .iter()
                .any(|(oid, value)| *oid <= cursor && *value != Value::EndOfMibView)
            {
                return Err(ClientError::new(
                    self.address(),
                    ClientErrorKind::Malformed(format!(
                        "GETNEXT after {cursor} went backwards (the agent's walk would loop)"
                    )),
                ));
            }
            if take(&mut out, &mut cursor, root, batch) {
                return Ok(out);
            }
            progress(&out);
        }
    }
}

/// A GETBULK answer a walk can use: not empty, and strictly increasing from `cursor`.
fn bulk_is_sound(batch: &[(Oid, Value)], cursor: &Oid) -> bool {
    let mut last = cursor;
    for (oid, value) in batch {
        if *value == Value::EndOfMibView {
            return true;
        }
        if oid <= last {
            return false;
        }
        last = oid;
    }
    !batch.is_empty()
}

/// Appends the part of `batch` inside `root`; true when the walk is over.
fn take(
    out: &mut Vec<(Oid, Value)>,
    cursor: &mut Oid,
    root: &Oid,
    batch: Vec<(Oid, Value)>,
) -> bool {
    for (oid, value) in batch {
        if value == Value::EndOfMibView || !oid.starts_with(root) {
            return true;
        }
        *cursor = oid.clone();
        out.push((oid, value));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
    }

    #[test]
    fn a_bulk_answer_that_is_empty_or_goes_backwards_is_unsound() {
        let cursor = oid("1.3.6.1.2.1.1");
        assert!(!bulk_is_sound(&[], &cursor));
        assert!(!bulk_is_sound(
            &[(oid("1.3.6.1.2.1"), Value::Null)],
            &cursor
        ));
        assert!(!bulk_is_sound(
            &[
                (oid("1.3.6.1.2.1.1.2.0"), Value::Null),
                (oid("1.3.6.1.2.1.1.1.0"), Value::Null)
            ],
            &cursor
        ));
        assert!(bulk_is_sound(
            &[
                (oid("1.3.6.1.2.1.1.1.0"), Value::Null),
                (oid("1.3.6.1.2.1.1.2.0"), Value::EndOfMibView)
            ],
            &cursor
        ));
    }
}
