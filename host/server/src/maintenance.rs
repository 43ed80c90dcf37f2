//! Work orders as the server makes and moves them, whoever asks: the REST API for a
//! user, and (later) ASM for an alert event, which call the same functions so an order
//! is priced and checked the same either way. Visibility is the caller's business: the
//! REST handlers check it before they come here.
//!
//! # Estimate
//!
//! An order is priced once, when it is created: the labour rate per hour in force for
//! the assessment's skill level (the nearest account up the device's chain that sets
//! one) × the assessment's estimated minutes ÷ 60, rounded to the cent half away from
//! zero, plus each part's quantity × unit cost, exactly. Without a rate the labour and
//! the total are unknown (`None`): a total of the parts alone would read as the price.

use chrono::{DateTime, Utc};
use quire_model::{Assessment, ErrorSource};
use quire_store::{
    Actor, DeviceId, EffectiveSettings, Estimate, NewWorkOrder, ReadingId, Store, UserId,
    WorkOrder, WorkOrderMove, WorkOrderPart, WorkOrderStatus,
};
use rust_decimal::{Decimal, RoundingStrategy};

/// What a work order is asked for: an alert row or error bit of a device, and the
/// parts the fix needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkOrderRequest {
    /// The device.
    pub device: DeviceId,
    /// The alert row or error bit the order fixes.
    pub input: ErrorSource,
    /// The reading whose assessment of `input` the order is created from; `None` takes
    /// the device's latest reading that assessed it.
    pub reading: Option<ReadingId>,
    /// The parts, in the order given.
    pub parts: Vec<WorkOrderPart>,
    /// Free text for whoever does it.
    pub note: Option<String>,
}

/// Why a work order could not be created or moved.
#[derive(Debug, thiserror::Error)]
pub enum WorkOrderError {
    /// No reading of the device (or not the one named) assessed the input.
    #[error("{device} has no assessment of {input}{}", reading.map(|r| format!(" in {r}")).unwrap_or_default())]
    NoAssessment {
        /// The device.
        device: DeviceId,
        /// The input, in words (`alert 3`, `error state jammed`).
        input: String,
        /// The reading named, if one was.
        reading: Option<ReadingId>,
    },
    /// A field of the request is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// The field (`parts[1].quantity`, `status`, `assignee-id`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The move is not one the order's status allows.
    #[error("status: {0}")]
    Transition(String),
    /// Someone else moved the order meanwhile.
    #[error("{0} was changed meanwhile; read it again")]
    Concurrent(quire_store::WorkOrderId),
    /// The database failed or the order does not exist.
    #[error(transparent)]
    Store(#[from] quire_store::Error),
}

/// The input in words, as messages name it.
pub fn input_words(input: &ErrorSource) -> String {
    match input {
        ErrorSource::Alert { index } => format!("alert {index}"),
        ErrorSource::State { state } => format!("error state {}", crate::words::word(state)),
    }
}

/// The price of fixing `assessment` with `parts` at the rates in `settings` (see the
/// module doc).
pub fn estimate(
    settings: &EffectiveSettings,
    assessment: &Assessment,
    parts: &[WorkOrderPart],
) -> Estimate {
    let labour_rate = settings.rate(assessment.skill).map(|r| r.value);
    let labour_cost = labour_rate.map(|rate| {
        let mut cost = (rate * Decimal::from(assessment.estimated_minutes) / Decimal::from(60))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        cost.rescale(2);
        cost
    });
    let parts_cost = parts
        .iter()
        .map(|p| Decimal::from(p.quantity) * p.unit_cost)
        .sum::<Decimal>();
    Estimate {
        labour_rate,
        labour_cost,
        parts_cost,
        total: labour_cost.map(|labour| labour + parts_cost),
    }
}

/// Checks each part: a part number, at least one of it, a cost not below zero.
fn check_parts(parts: &[WorkOrderPart]) -> Result<(), WorkOrderError> {
    for (index, part) in parts.iter().enumerate() {
        let invalid = |field: &str, message: &str| WorkOrderError::Invalid {
            field: format!("parts[{index}].{field}"),
            message: message.to_owned(),
        };
        if part.part_number.trim().is_empty() {
            return Err(invalid("part-number", "the part number is empty"));
        }
        if part.quantity == 0 {
            return Err(invalid("quantity", "at least one is needed"));
        }
        if part.unit_cost.is_sign_negative() {
            return Err(invalid("unit-cost", "a cost is not below zero"));
        }
    }
    Ok(())
}

/// Creates a work order for what `request` names, priced at the rates in force for the
/// device's account, as `by` at `now`; the order as filed.
pub async fn create_work_order(
    store: &Store,
    request: &WorkOrderRequest,
    by: Actor,
    now: DateTime<Utc>,
) -> Result<WorkOrder, WorkOrderError> {
    check_parts(&request.parts)?;
    let device = store.device(request.device).await?;
    let (reading, assessment) = store
        .latest_assessment(request.device, request.input, request.reading)
        .await?
        .ok_or_else(|| WorkOrderError::NoAssessment {
            device: request.device,
            input: input_words(&request.input),
            reading: request.reading,
        })?;
    let settings = store.effective_service_settings(device.account_id).await?;
    let estimate = estimate(&settings, &assessment, &request.parts);
    let id = store
        .create_work_order(&NewWorkOrder {
            account: device.account_id,
            device: device.id,
            reading,
            input: request.input,
            assessment: &assessment,
            estimate: &estimate,
            parts: &request.parts,
            note: request.note.as_deref(),
            by,
            at: now,
        })
        .await?;
    Ok(store.work_order(id).await?)
}

/// Checks that a person may move an order in `from` to `to` with `assignee`: the
/// moves [`WorkOrderStatus::may_become`] allows, an assignee exactly when the order
/// becomes assigned, and a reassignment to someone else.
pub fn check_move(
    from: WorkOrderStatus,
    current_assignee: Option<UserId>,
    to: WorkOrderStatus,
    assignee: Option<UserId>,
) -> Result<(), WorkOrderError> {
    let word = |status: WorkOrderStatus| crate::words::word(&status);
    if !from.may_become(to) {
        let why = if from.is_final() {
            "done and cancelled orders are final".to_owned()
        } else if to == WorkOrderStatus::Done {
            "assign it first, so the fix has someone who did it".to_owned()
        } else {
            format!("{} orders move on, not back", word(from))
        };
        return Err(WorkOrderError::Transition(format!(
            "a work order that is {} cannot become {}: {why}",
            word(from),
            word(to)
        )));
    }
    let invalid = |message: &str| WorkOrderError::Invalid {
        field: "assignee-id".into(),
        message: message.to_owned(),
    };
    match (to, assignee) {
        (WorkOrderStatus::Assigned, None) => Err(invalid("an assigned order needs an assignee")),
        (WorkOrderStatus::Assigned, Some(user)) if current_assignee == Some(user) => {
            Err(invalid(&format!("the order is assigned to {user} already")))
        }
        (WorkOrderStatus::Assigned, Some(_)) => Ok(()),
        (_, Some(_)) => Err(invalid("only an order becoming assigned takes an assignee")),
        (_, None) => Ok(()),
    }
}

/// Moves order `order` to `to` (with `assignee` when it becomes assigned) as `by` at
/// `now`, after [`check_move`]; the order as changed.
pub async fn move_work_order(
    store: &Store,
    order: &WorkOrder,
    to: WorkOrderStatus,
    assignee: Option<UserId>,
    by: Actor,
    now: DateTime<Utc>,
    note: Option<&str>,
) -> Result<WorkOrder, WorkOrderError> {
    check_move(order.status, order.assignee, to, assignee)?;
    // A done or cancelled order keeps the assignee who had it.
    let assignee = assignee.or(order.assignee);
    let change = WorkOrderMove {
        from: order.status,
        to,
        assignee,
        by,
        at: now,
        note,
    };
    let moved = store.change_work_order(order.id, &change).await?;
    if !moved {
        return Err(WorkOrderError::Concurrent(order.id));
    }
    Ok(store.work_order(order.id).await?)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use quire_model::{AssessmentSeverity, ErrorGroup, SkillLevel};
    use quire_store::{AccountId, Inherited};

    use super::*;

    fn money(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn assessment(skill: SkillLevel, minutes: u32) -> Assessment {
        Assessment {
            state: "paper-jam".into(),
            group: ErrorGroup::Paper,
            severity: AssessmentSeverity::Critical,
            skill,
            field_service: false,
            estimated_minutes: minutes,
        }
    }

    fn rates(key_operator: &str, technician: &str) -> EffectiveSettings {
        let from = AccountId(1);
        EffectiveSettings {
            labour_rates: [
                None,
                Some(Inherited {
                    value: money(key_operator),
                    from,
                }),
                Some(Inherited {
                    value: money(technician),
                    from,
                }),
                None,
            ],
            auto_close: None,
        }
    }

    fn part(quantity: u32, unit_cost: &str) -> WorkOrderPart {
        WorkOrderPart {
            part_number: "RM1-2337".into(),
            quantity,
            unit_cost: money(unit_cost),
        }
    }

    #[test]
    fn estimates_are_the_hourly_rate_for_the_minutes_plus_the_parts() {
        // (rates key operator/technician, skill, minutes, parts) → (labour, parts, total)
        let cases = [
            // 90/h for 5 min is 7.50; 2 × 12.35 is 24.70.
            (
                ("90", "120"),
                SkillLevel::KeyOperator,
                5,
                vec![part(2, "12.35")],
                (Some("7.50"), "24.70", Some("32.20")),
            ),
            // 120/h for 60 min is 120.00; no parts.
            (
                ("90", "120"),
                SkillLevel::Technician,
                60,
                vec![],
                (Some("120.00"), "0", Some("120.00")),
            ),
            // 50/h for 5 min is 4.1666…, to the cent 4.17; 3 × 0.333 is 0.999 exactly.
            (
                ("50", "120"),
                SkillLevel::KeyOperator,
                5,
                vec![part(3, "0.333")],
                (Some("4.17"), "0.999", Some("5.169")),
            ),
            // 45.30/h for 7 min is 5.285, half away from zero 5.29.
            (
                ("45.30", "120"),
                SkillLevel::KeyOperator,
                7,
                vec![],
                (Some("5.29"), "0", Some("5.29")),
            ),
            // No rate for anyone: labour and total unknown, the parts still priced.
            (
                ("90", "120"),
                SkillLevel::Anyone,
                2,
                vec![part(1, "3.00"), part(4, "0.25")],
                (None, "4.00", None),
            ),
        ];
        for ((key_operator, technician), skill, minutes, parts, expected) in cases {
            let estimate = estimate(
                &rates(key_operator, technician),
                &assessment(skill, minutes),
                &parts,
            );
            let shown = (
                estimate.labour_cost.map(|d| d.to_string()),
                estimate.parts_cost.to_string(),
                estimate.total.map(|d| d.to_string()),
            );
            let expected = (
                expected.0.map(str::to_owned),
                expected.1.to_owned(),
                expected.2.map(str::to_owned),
            );
            assert_eq!(shown, expected, "{skill:?} {minutes} min");
        }
    }

    /// (from, assignee now, to, assignee asked) → Ok, or the field and a word of the message.
    type Move = (
        WorkOrderStatus,
        Option<UserId>,
        WorkOrderStatus,
        Option<UserId>,
        Result<(), (&'static str, &'static str)>,
    );

    #[test]
    fn moves_follow_open_assigned_done_and_name_what_is_wrong() {
        use WorkOrderStatus::*;
        let alice = Some(UserId(2));
        let bob = Some(UserId(3));
        let cases: [Move; 12] = [
            (Open, None, Assigned, alice, Ok(())),
            (Assigned, alice, Assigned, bob, Ok(())),
            (Assigned, alice, Done, None, Ok(())),
            (Open, None, Cancelled, None, Ok(())),
            (Assigned, alice, Cancelled, None, Ok(())),
            (Open, None, Done, None, Err(("status", "assign it first"))),
            (Done, alice, Assigned, bob, Err(("status", "final"))),
            (Cancelled, None, Open, None, Err(("status", "final"))),
            (Assigned, alice, Open, None, Err(("status", "not back"))),
            (
                Open,
                None,
                Assigned,
                None,
                Err(("assignee-id", "needs an assignee")),
            ),
            (
                Assigned,
                alice,
                Assigned,
                alice,
                Err(("assignee-id", "already")),
            ),
            (
                Assigned,
                alice,
                Done,
                bob,
                Err(("assignee-id", "only an order becoming assigned")),
            ),
        ];
        for (from, now, to, asked, expected) in cases {
            let got = check_move(from, now, to, asked).map_err(|e| match e {
                WorkOrderError::Transition(message) => ("status".to_owned(), message),
                WorkOrderError::Invalid { field, message } => (field, message),
                other => panic!("{other}"),
            });
            match (got, expected) {
                (Ok(()), Ok(())) => {}
                (Err((field, message)), Err((want_field, want_words))) => {
                    assert_eq!(field, want_field, "{from:?} → {to:?}: {message}");
                    assert!(message.contains(want_words), "{from:?} → {to:?}: {message}");
                }
                (got, expected) => panic!("{from:?} → {to:?}: {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn a_part_is_refused_naming_its_place_and_field() {
        let mut bad = part(0, "1.00");
        let refused = check_parts(&[part(1, "1.00"), bad.clone()]).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "parts[1].quantity: at least one is needed"
        );
        bad.quantity = 1;
        bad.part_number = " ".into();
        let refused = check_parts(&[bad]).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "parts[0].part-number: the part number is empty"
        );
    }
}
