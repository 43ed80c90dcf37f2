//! A dealer, a customer and one printer with a black toner, and a store that applies
//! every decision as the server would.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use quire_asm::*;

pub const MAIN: AccountId = AccountId(1);
pub const CUSTOMER: AccountId = AccountId(2);
pub const DEVICE: DeviceId = DeviceId(100);
pub const TONER: DefinitionId = DefinitionId(10);
pub const FIRST: ActionDefinitionId = ActionDefinitionId(1);
pub const SECOND: ActionDefinitionId = ActionDefinitionId(2);
pub const APPROVER: UserId = UserId(7);
pub const BLACK: &str = "toner:black";

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()
}

pub fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

pub fn action(id: ActionDefinitionId, ordinal: u32, kind: ActionKind) -> ActionDefinition {
    ActionDefinition {
        id,
        ordinal,
        result_type: match &kind {
            ActionKind::Email => "email".to_owned(),
            _ => "xml".to_owned(),
        },
        kind,
        requires_approval: false,
        timing: ActionTiming::Immediate,
        max_attempts: 2,
    }
}

/// Toner below 20 %: overdue after an hour, stale after a day, one e-mail.
pub fn toner_definition() -> AlertDefinition {
    AlertDefinition {
        id: TONER,
        name: "Black toner low".into(),
        owner: MAIN,
        hierarchical: true,
        trigger: Trigger::Consumable {
            consumable: ConsumableType::Toner,
            threshold_percent: 20,
        },
        overdue: Interval {
            unit: IntervalUnit::Hours,
            value: 1,
        },
        stale: Interval {
            unit: IntervalUnit::Days,
            value: 1,
        },
        filters: vec![],
        actions: vec![action(FIRST, 1, ActionKind::Email)],
    }
}

pub fn toner(level: Option<u8>, cartridge: &str) -> ConsumableFact {
    ConsumableFact {
        position: BLACK.into(),
        consumable_type: ConsumableType::Toner,
        level_percent: level,
        cartridge: Some(cartridge.into()),
        replaced_since_last: false,
    }
}

pub fn printer(read_at: DateTime<Utc>, consumables: Vec<ConsumableFact>) -> DeviceFacts {
    DeviceFacts {
        id: DEVICE,
        account: CUSTOMER,
        managed: true,
        contract: None,
        contract_type: None,
        manufacturer: Some("HP".into()),
        model_family: Some("LaserJet".into()),
        custom_model: None,
        model: Some("M404".into()),
        groups: vec![],
        daily_average_volume: None,
        monthly_average_volume: None,
        last_read_at: Some(read_at),
        consumables,
        errors: vec![],
        console_message: None,
    }
}

pub fn tree() -> AccountTree {
    AccountTree {
        accounts: BTreeMap::from([
            (
                MAIN,
                AccountNode {
                    parent: None,
                    is_dealer: true,
                },
            ),
            (
                CUSTOMER,
                AccountNode {
                    parent: Some(MAIN),
                    is_dealer: false,
                },
            ),
        ]),
        main_dealer: MAIN,
    }
}

pub fn contacts() -> Contacts {
    Contacts {
        dealer_primary: BTreeMap::from([(
            MAIN,
            BTreeMap::from([
                (DealerRole::Admin, "admin@dealer.example".to_owned()),
                (DealerRole::Supplies, "supplies@dealer.example".to_owned()),
            ]),
        )]),
        alternates: BTreeMap::new(),
        account_primary: BTreeMap::from([(CUSTOMER, "it@customer.example".to_owned())]),
    }
}

pub struct World {
    pub inputs: Inputs,
}

impl World {
    /// One definition and the printer read at t0 with its toner at `level`.
    pub fn new(definition: AlertDefinition, level: Option<u8>) -> World {
        World {
            inputs: Inputs {
                definitions: vec![definition],
                accounts: tree(),
                devices: vec![printer(t0(), vec![toner(level, "SN1")])],
                state: AsmState::default(),
                frequencies: BTreeMap::new(),
                contacts: contacts(),
                behaviours: vec![ProcessingBehaviour {
                    dealer: MAIN,
                    result_type: "email".into(),
                    recipients: vec![Recipient::PrimaryDealerContact(DealerRole::Supplies)],
                }],
                settings: Settings::default(),
            },
        }
    }

    /// Ticks and applies every decision, as the server does.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<Decision> {
        let decisions = tick(now, &self.inputs);
        for decision in &decisions {
            apply(&mut self.inputs.state, decision);
        }
        decisions
    }

    pub fn report(&mut self, report: Report) {
        record(&mut self.inputs.state, &report).expect("the report is recorded");
    }

    /// A new reading of the printer at `at`.
    pub fn read(&mut self, at: DateTime<Utc>, consumables: Vec<ConsumableFact>) {
        let device = &mut self.inputs.devices[0];
        device.last_read_at = Some(at);
        device.consumables = consumables;
    }

    pub fn key(&self) -> EventKey {
        EventKey {
            definition: TONER,
            device: DEVICE,
            trigger: TriggerKey::Consumable(BLACK.into()),
        }
    }

    pub fn event(&self) -> Option<&AlertEvent> {
        self.inputs.state.events.get(&self.key())
    }

    pub fn progress(&self, action: ActionDefinitionId) -> ActionProgress {
        self.event().expect("the event is open").actions[&action].progress
    }
}

pub fn invoked(decisions: &[Decision]) -> Vec<(ActionDefinitionId, u32)> {
    decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::InvokeAction(invocation) | Decision::RetryAction(invocation) => {
                Some((invocation.action, invocation.attempt))
            }
            _ => None,
        })
        .collect()
}

pub fn archived(decisions: &[Decision]) -> Vec<ArchiveReason> {
    decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::ArchiveEvent { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect()
}

pub fn opened(decisions: &[Decision]) -> usize {
    decisions
        .iter()
        .filter(|decision| matches!(decision, Decision::OpenEvent(_)))
        .count()
}

pub fn redirects(decisions: &[Decision]) -> Vec<&Redirect> {
    decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::RedirectAction(redirect) => Some(&**redirect),
            _ => None,
        })
        .collect()
}
