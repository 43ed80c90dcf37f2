use quire_asm::*;
use quire_model::ErrorGroup;

use crate::world::*;

fn succeed(world: &mut World, action: ActionDefinitionId, attempt: u32, minute: i64) {
    world.report(Report::Succeeded {
        key: world.key(),
        action,
        attempt,
        at: t0() + minutes(minute),
    });
}

fn fail(world: &mut World, action: ActionDefinitionId, attempt: u32, minute: i64) {
    world.report(Report::Failed {
        key: world.key(),
        action,
        attempt,
        at: t0() + minutes(minute),
    });
}

#[test]
fn a_level_below_the_threshold_opens_an_event_and_invokes_its_first_action_at_once() {
    let mut world = World::new(toner_definition(), Some(12));
    let decisions = world.tick(t0());
    assert_eq!(opened(&decisions), 1);
    let Some(Decision::InvokeAction(invocation)) = decisions
        .iter()
        .find(|decision| matches!(decision, Decision::InvokeAction(_)))
    else {
        panic!("no invocation in {decisions:?}");
    };
    assert_eq!(*invocation.recipients, ["supplies@dealer.example"]);
    assert_eq!(invocation.attempt, 1);
    let event = world.event().unwrap();
    assert_eq!(event.first_level, Some(12));
    assert_eq!(event.first_triggered_at, t0());
    assert_eq!(event.status, AlertStatus::Submitted);
}

#[test]
fn a_level_at_or_above_the_threshold_opens_nothing() {
    for level in [Some(20), Some(80), None] {
        let mut world = World::new(toner_definition(), level);
        assert_eq!(world.tick(t0()), vec![], "level {level:?}");
    }
}

#[test]
fn a_fresh_reading_that_still_triggers_updates_the_last_trigger() {
    let mut world = World::new(toner_definition(), Some(12));
    world.tick(t0());
    world.read(t0() + minutes(30), vec![toner(Some(9), "SN1")]);
    let decisions = world.tick(t0() + minutes(31));
    assert!(
        decisions
            .iter()
            .any(|decision| matches!(decision, Decision::UpdateEvent { level: Some(9), .. }))
    );
    let event = world.event().unwrap();
    assert_eq!((event.first_level, event.last_level), (Some(12), Some(9)));
    assert_eq!(event.last_triggered_at, t0() + minutes(31));
}

#[test]
fn a_level_back_above_the_threshold_archives_the_event() {
    let mut world = World::new(toner_definition(), Some(12));
    world.tick(t0());
    // Exactly at the threshold neither recovers nor triggers anew.
    world.read(t0() + minutes(10), vec![toner(Some(20), "SN1")]);
    assert_eq!(archived(&world.tick(t0() + minutes(11))), vec![]);
    world.read(t0() + minutes(20), vec![toner(Some(21), "SN1")]);
    assert_eq!(
        archived(&world.tick(t0() + minutes(21))),
        vec![ArchiveReason::LevelRecovered]
    );
    assert!(world.event().is_none());
}

#[test]
fn a_replaced_cartridge_archives_and_a_new_drop_opens_a_new_event() {
    let mut world = World::new(toner_definition(), Some(12));
    world.tick(t0());
    let first_key = world.event().unwrap().first_triggered_at;
    // A new cartridge (new serial) that is itself low: the old event is archived and
    // the new drop is a new event with its own first trigger.
    world.read(t0() + minutes(30), vec![toner(Some(15), "SN2")]);
    let decisions = world.tick(t0() + minutes(31));
    assert_eq!(archived(&decisions), vec![ArchiveReason::SupplyReplaced]);
    assert_eq!(opened(&decisions), 1);
    let event = world.event().unwrap();
    assert_ne!(event.first_triggered_at, first_key);
    assert_eq!(event.cartridge.as_deref(), Some("SN2"));
    // The same reading again changes nothing.
    assert_eq!(world.tick(t0() + minutes(32)), vec![]);

    // A replacement the supply history reports, same serial (a refill).
    let mut refill = toner(Some(95), "SN2");
    refill.replaced_since_last = true;
    world.read(t0() + minutes(40), vec![refill]);
    assert_eq!(
        archived(&world.tick(t0() + minutes(41))),
        vec![ArchiveReason::SupplyReplaced]
    );
    world.read(t0() + minutes(50), vec![toner(Some(5), "SN2")]);
    assert_eq!(opened(&world.tick(t0() + minutes(51))), 1);
}

#[test]
fn stale_data_archives_the_event() {
    let mut world = World::new(toner_definition(), Some(12));
    world.tick(t0());
    // The stale interval is a day; the device was last read at t0.
    assert_eq!(archived(&world.tick(t0() + minutes(24 * 60))), vec![]);
    assert_eq!(
        archived(&world.tick(t0() + minutes(24 * 60 + 1))),
        vec![ArchiveReason::Stale]
    );
    // Stale data opens nothing either.
    assert_eq!(opened(&world.tick(t0() + minutes(24 * 60 + 2))), 0);
}

#[test]
fn all_actions_done_archives_the_event_and_the_same_drop_does_not_reopen_it() {
    let mut world = World::new(toner_definition(), Some(12));
    world.tick(t0());
    succeed(&mut world, FIRST, 1, 1);
    assert_eq!(
        archived(&world.tick(t0() + minutes(2))),
        vec![ArchiveReason::AllActionsFinished]
    );
    world.read(t0() + minutes(30), vec![toner(Some(8), "SN1")]);
    assert_eq!(opened(&world.tick(t0() + minutes(31))), 0);
    // Once the condition ends the key may trigger again.
    world.read(t0() + minutes(40), vec![toner(Some(90), "SN2")]);
    let decisions = world.tick(t0() + minutes(41));
    assert!(matches!(decisions[..], [Decision::ForgetSettled { .. }]));
    world.read(t0() + minutes(50), vec![toner(Some(10), "SN2")]);
    assert_eq!(opened(&world.tick(t0() + minutes(51))), 1);
}

fn approval_definition() -> AlertDefinition {
    let mut definition = toner_definition();
    definition.actions[0].requires_approval = true;
    definition
}

#[test]
fn an_approval_releases_the_actions_waiting_for_it() {
    let mut world = World::new(approval_definition(), Some(12));
    let decisions = world.tick(t0());
    assert_eq!(invoked(&decisions), vec![]);
    assert_eq!(
        world.event().unwrap().status,
        AlertStatus::WaitingForApproval
    );
    assert_eq!(world.progress(FIRST), ActionProgress::Waiting);
    assert_eq!(invoked(&world.tick(t0() + minutes(5))), vec![]);
    world.report(Report::Approved {
        key: world.key(),
        by: APPROVER,
        at: t0() + minutes(6),
    });
    assert_eq!(invoked(&world.tick(t0() + minutes(7))), vec![(FIRST, 1)]);
    assert_eq!(world.event().unwrap().status, AlertStatus::Submitted);
}

#[test]
fn a_rejection_archives_the_event() {
    let mut world = World::new(approval_definition(), Some(12));
    world.tick(t0());
    world.report(Report::Rejected {
        key: world.key(),
        by: APPROVER,
        at: t0() + minutes(6),
    });
    let decisions = world.tick(t0() + minutes(7));
    assert_eq!(archived(&decisions), vec![ArchiveReason::Rejected]);
    assert_eq!(invoked(&decisions), vec![]);
    // A rejected alert does not come back while the toner stays low.
    world.read(t0() + minutes(30), vec![toner(Some(11), "SN1")]);
    assert_eq!(opened(&world.tick(t0() + minutes(31))), 0);
}

fn escalation(from: OverdueFrom, requires_approval: bool) -> AlertDefinition {
    let mut definition = approval_definition();
    definition.actions[0].requires_approval = requires_approval;
    let mut second = action(
        SECOND,
        2,
        ActionKind::Webhook {
            endpoint_id: Some(WebhookEndpointId(1)),
        },
    );
    second.requires_approval = requires_approval;
    second.timing = ActionTiming::OnOverdue { from };
    definition.actions.push(second);
    definition
}

#[test]
fn an_overdue_action_counts_from_the_first_trigger_by_default() {
    let mut world = World::new(escalation(OverdueFrom::FirstTrigger, false), Some(12));
    assert_eq!(invoked(&world.tick(t0())), vec![(FIRST, 1)]);
    assert_eq!(invoked(&world.tick(t0() + minutes(59))), vec![]);
    assert_eq!(invoked(&world.tick(t0() + minutes(60))), vec![(SECOND, 1)]);
}

#[test]
fn an_overdue_action_counts_from_approval_when_so_defined() {
    let mut world = World::new(escalation(OverdueFrom::Approval, true), Some(12));
    world.tick(t0());
    world.report(Report::Approved {
        key: world.key(),
        by: APPROVER,
        at: t0() + minutes(30),
    });
    assert_eq!(invoked(&world.tick(t0() + minutes(31))), vec![(FIRST, 1)]);
    // An hour after the first trigger is not an hour after the approval.
    assert_eq!(invoked(&world.tick(t0() + minutes(61))), vec![]);
    assert_eq!(invoked(&world.tick(t0() + minutes(90))), vec![(SECOND, 1)]);
}

#[test]
fn an_unfinished_alert_past_its_overdue_interval_is_overdue() {
    let mut world = World::new(approval_definition(), Some(12));
    world.tick(t0());
    world.tick(t0() + minutes(61));
    assert_eq!(world.event().unwrap().status, AlertStatus::Overdue);

    let mut world = World::new(escalation(OverdueFrom::Approval, true), Some(12));
    world.tick(t0());
    world.report(Report::Approved {
        key: world.key(),
        by: APPROVER,
        at: t0() + minutes(1),
    });
    world.tick(t0() + minutes(2));
    succeed(&mut world, FIRST, 1, 3);
    world.tick(t0() + minutes(61));
    assert_eq!(
        world.event().unwrap().status,
        AlertStatus::SubmittedAndOverdue
    );
}

#[test]
fn actions_of_one_type_are_pooled_until_the_frequency_interval_passes() {
    let mut world = World::new(toner_definition(), Some(12));
    world.inputs.frequencies.insert(
        PoolKey {
            account: CUSTOMER,
            result_type: "email".into(),
        },
        Interval {
            unit: IntervalUnit::Hours,
            value: 2,
        },
    );
    // The first alert goes out at once: nothing was invoked for the pool before.
    assert_eq!(invoked(&world.tick(t0())).len(), 1);
    // Two more consumables drop: both wait for the pool's interval.
    let mut cyan = toner(Some(5), "SN7");
    cyan.position = "toner:cyan".into();
    let mut magenta = toner(Some(6), "SN8");
    magenta.position = "toner:magenta".into();
    world.read(
        t0() + minutes(10),
        vec![toner(Some(12), "SN1"), cyan, magenta],
    );
    assert_eq!(invoked(&world.tick(t0() + minutes(11))), vec![]);
    assert_eq!(invoked(&world.tick(t0() + minutes(119))), vec![]);
    // Then they go together.
    assert_eq!(
        invoked(&world.tick(t0() + minutes(120))),
        vec![(FIRST, 1), (FIRST, 1)]
    );
    assert_eq!(
        world.inputs.state.last_invocations[&PoolKey {
            account: CUSTOMER,
            result_type: "email".into()
        }],
        t0() + minutes(120)
    );
}

#[test]
fn a_failed_action_is_retried_up_to_its_attempts() {
    let mut world = World::new(toner_definition(), Some(12));
    world.tick(t0());
    fail(&mut world, FIRST, 1, 1);
    let decisions = world.tick(t0() + minutes(2));
    assert!(matches!(
        &decisions[..],
        [Decision::RetryAction(retry)] if retry.attempt == 2
    ));
    succeed(&mut world, FIRST, 2, 3);
    assert_eq!(
        archived(&world.tick(t0() + minutes(4))),
        vec![ArchiveReason::AllActionsFinished]
    );
}

#[test]
fn a_failed_email_after_its_retries_goes_to_the_dealer_admin() {
    let mut world = World::new(toner_definition(), Some(12));
    world.tick(t0());
    fail(&mut world, FIRST, 1, 1);
    world.tick(t0() + minutes(2));
    fail(&mut world, FIRST, 2, 3);
    let decisions = world.tick(t0() + minutes(4));
    let redirects = redirects(&decisions);
    assert_eq!(redirects.len(), 1);
    assert_eq!(redirects[0].reason, RedirectReason::Failed);
    assert_eq!(redirects[0].to.as_deref(), Some("admin@dealer.example"));
    assert_eq!(invoked(&decisions), vec![]);
    assert!(matches!(
        world.progress(FIRST),
        ActionProgress::Redirected { .. }
    ));
    // The redirected e-mail finishes the workflow.
    assert_eq!(
        archived(&world.tick(t0() + minutes(5))),
        vec![ArchiveReason::AllActionsFinished]
    );
}

#[test]
fn a_failed_non_email_action_is_given_up_after_its_retries() {
    let mut definition = toner_definition();
    definition.actions[0] = action(FIRST, 1, ActionKind::Plugin("erp".into()));
    let mut world = World::new(definition, Some(12));
    world.tick(t0());
    fail(&mut world, FIRST, 1, 1);
    world.tick(t0() + minutes(2));
    fail(&mut world, FIRST, 2, 3);
    let decisions = world.tick(t0() + minutes(4));
    assert!(matches!(decisions[..], [Decision::GiveUpAction { .. }]));
}

#[test]
fn an_email_with_no_valid_recipient_is_redirected_to_the_dealer_admin_by_the_tick() {
    let mut world = World::new(toner_definition(), Some(12));
    world.inputs.behaviours[0].recipients = vec![Recipient::Custom("nobody".into())];
    let decisions = world.tick(t0());
    assert_eq!(invoked(&decisions), vec![]);
    let redirects = redirects(&decisions);
    assert_eq!(redirects.len(), 1);
    assert_eq!(redirects[0].reason, RedirectReason::NoValidRecipient);
    assert_eq!(redirects[0].dealer, MAIN);
    assert_eq!(redirects[0].to.as_deref(), Some("admin@dealer.example"));
}

#[test]
fn a_critical_change_archives_open_events_unless_turned_off() {
    let mut world = World::new(toner_definition(), Some(12));
    world.tick(t0());
    // A new name is not critical.
    world.inputs.definitions[0].name = "Black toner getting low".into();
    assert_eq!(archived(&world.tick(t0() + minutes(1))), vec![]);
    // A new threshold is: the event is archived and a new one raised under it.
    world.inputs.definitions[0].trigger = Trigger::Consumable {
        consumable: ConsumableType::Toner,
        threshold_percent: 15,
    };
    let decisions = world.tick(t0() + minutes(2));
    assert_eq!(archived(&decisions), vec![ArchiveReason::CriticalChange]);
    assert_eq!(opened(&decisions), 1);

    let mut world = World::new(toner_definition(), Some(12));
    world.inputs.settings.archive_on_critical_change = false;
    world.tick(t0());
    world.inputs.definitions[0].actions[0].max_attempts = 5;
    assert_eq!(archived(&world.tick(t0() + minutes(2))), vec![]);
    assert!(world.event().is_some());
}

#[test]
fn ticking_twice_invokes_nothing_twice() {
    let mut definition = escalation(OverdueFrom::FirstTrigger, false);
    definition.actions[0].max_attempts = 3;
    let mut world = World::new(definition, Some(12));
    let first = world.tick(t0());
    assert_eq!(invoked(&first), vec![(FIRST, 1)]);
    assert_eq!(world.tick(t0()), vec![]);
    fail(&mut world, FIRST, 1, 1);
    assert_eq!(invoked(&world.tick(t0() + minutes(2))), vec![(FIRST, 2)]);
    assert_eq!(world.tick(t0() + minutes(2)), vec![]);
    assert_eq!(invoked(&world.tick(t0() + minutes(60))), vec![(SECOND, 1)]);
    let again = world.tick(t0() + minutes(60));
    assert_eq!(invoked(&again), vec![]);
    // Applying the same decisions twice changes nothing more.
    let before = world.inputs.state.clone();
    for decision in &first {
        apply(&mut world.inputs.state, decision);
    }
    assert_eq!(world.inputs.state, before);
}

#[test]
fn invocation_keys_are_stable_per_event_action_and_attempt() {
    let run = || {
        let mut world = World::new(toner_definition(), Some(12));
        world.tick(t0())
    };
    let key = |decisions: Vec<Decision>| {
        decisions
            .into_iter()
            .find_map(|decision| match decision {
                Decision::InvokeAction(invocation) => Some(invocation.idempotency_key),
                _ => None,
            })
            .unwrap()
    };
    let first = key(run());
    assert_eq!(first, key(run()));
    assert_eq!(
        first,
        format!(
            "asm/10/100/consumable:toner:black/{}/1/attempt-1",
            t0().timestamp_millis()
        )
    );
}

#[test]
fn a_late_or_duplicate_outcome_is_refused() {
    let mut world = World::new(toner_definition(), Some(12));
    world.tick(t0());
    succeed(&mut world, FIRST, 1, 1);
    let late = Report::Failed {
        key: world.key(),
        action: FIRST,
        attempt: 1,
        at: t0() + minutes(2),
    };
    assert!(matches!(
        record(&mut world.inputs.state, &late),
        Err(ReportError::NotInFlight { attempt: 1, .. })
    ));
}

#[test]
fn decisions_come_out_in_event_key_order() {
    let mut world = World::new(toner_definition(), Some(12));
    let mut devices = Vec::new();
    for id in [300, 100, 200] {
        let mut device = printer(t0(), vec![toner(Some(3), "SN")]);
        device.id = DeviceId(id);
        devices.push(device);
    }
    world.inputs.devices = devices;
    let decisions = world.tick(t0());
    let opened: Vec<i64> = decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::OpenEvent(event) => Some(event.key.device.0),
            _ => None,
        })
        .collect();
    assert_eq!(opened, vec![100, 200, 300]);
    let invoked: Vec<i64> = decisions
        .iter()
        .filter_map(|decision| match decision {
            Decision::InvokeAction(invocation) => Some(invocation.key.device.0),
            _ => None,
        })
        .collect();
    assert_eq!(invoked, vec![100, 200, 300]);
}

#[test]
fn a_non_hierarchical_definition_reaches_only_the_owners_own_devices() {
    let mut definition = toner_definition();
    definition.hierarchical = false;
    let mut world = World::new(definition, Some(12));
    assert_eq!(opened(&world.tick(t0())), 0);
    world.inputs.devices[0].account = MAIN;
    assert_eq!(opened(&world.tick(t0())), 1);
}

#[test]
fn filters_decide_which_devices_a_definition_looks_at() {
    let mut definition = toner_definition();
    definition.filters = vec![Filter {
        joiner: Joiner::And,
        managed: Managed::Both,
        method: FilterMethod::Manufacturer("xerox".into()),
    }];
    let mut world = World::new(definition, Some(12));
    assert_eq!(opened(&world.tick(t0())), 0);
    world.inputs.devices[0].manufacturer = Some("XEROX".into());
    assert_eq!(opened(&world.tick(t0())), 1);
}

fn service_definition(console_message: Option<&str>) -> AlertDefinition {
    let mut definition = toner_definition();
    definition.trigger = Trigger::Service {
        states: vec![
            ServiceErrorState {
                group: ErrorGroup::Paper,
                state: "paper-jam".into(),
            },
            ServiceErrorState {
                group: ErrorGroup::Device,
                state: "door-open".into(),
            },
        ],
        console_message: console_message.map(str::to_owned),
    };
    definition
}

fn with_errors(world: &mut World, errors: &[(ErrorGroup, &str)], console: Option<&str>) {
    let device = &mut world.inputs.devices[0];
    device.errors = errors
        .iter()
        .map(|&(group, state)| ActiveError {
            group,
            state: state.into(),
        })
        .collect();
    device.console_message = console.map(str::to_owned);
}

#[test]
fn each_chosen_error_state_opens_its_own_event_and_clearing_it_archives_it() {
    let mut world = World::new(service_definition(None), None);
    with_errors(
        &mut world,
        &[
            (ErrorGroup::Paper, "paper-jam"),
            (ErrorGroup::Device, "door-open"),
            (ErrorGroup::Device, "offline"),
            // Chosen in the device group, reported in the tray group: not this state.
            (ErrorGroup::Tray, "door-open"),
        ],
        None,
    );
    assert_eq!(opened(&world.tick(t0())), 2);
    with_errors(&mut world, &[(ErrorGroup::Paper, "paper-jam")], None);
    let decisions = world.tick(t0() + minutes(1));
    assert_eq!(archived(&decisions), vec![ArchiveReason::ErrorCleared]);
    let Decision::ArchiveEvent { key, .. } = &decisions[0] else {
        panic!("{decisions:?}");
    };
    assert_eq!(key.trigger, TriggerKey::ErrorState("door-open".into()));
}

#[test]
fn a_console_message_match_is_a_case_insensitive_substring() {
    let mut world = World::new(service_definition(Some("tray 2")), None);
    with_errors(
        &mut world,
        &[(ErrorGroup::Paper, "paper-jam")],
        Some("Paper jam in TRAY 3"),
    );
    assert_eq!(opened(&world.tick(t0())), 0);
    with_errors(
        &mut world,
        &[(ErrorGroup::Paper, "paper-jam")],
        Some("Paper jam in TRAY 2, open door B"),
    );
    assert_eq!(opened(&world.tick(t0())), 1);
}

#[test]
fn a_definition_that_does_not_validate_is_not_run() {
    let mut definition = toner_definition();
    definition.actions.clear();
    let mut world = World::new(definition, Some(12));
    assert_eq!(world.tick(t0()), vec![]);
}

#[test]
fn a_deleted_definition_or_device_archives_its_events() {
    let mut world = World::new(toner_definition(), Some(12));
    world.tick(t0());
    let devices = std::mem::take(&mut world.inputs.devices);
    assert_eq!(
        archived(&world.tick(t0() + minutes(1))),
        vec![ArchiveReason::DeviceRemoved]
    );
    world.inputs.devices = devices;
    world.tick(t0() + minutes(2));
    world.inputs.definitions.clear();
    assert_eq!(
        archived(&world.tick(t0() + minutes(3))),
        vec![ArchiveReason::DefinitionRemoved]
    );
}
