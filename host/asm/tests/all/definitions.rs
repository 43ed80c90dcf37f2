use quire_asm::*;

use crate::world::*;

#[test]
fn a_valid_definition_has_no_problems() {
    assert_eq!(toner_definition().validate(&tree()), vec![]);
}

#[test]
fn an_invalid_definition_names_each_wrong_field() {
    let mut definition = toner_definition();
    definition.owner = CUSTOMER;
    definition.trigger = Trigger::Consumable {
        consumable: ConsumableType::Custom(" ".into()),
        threshold_percent: 0,
    };
    definition.stale.value = 0;
    definition.filters = vec![Filter {
        joiner: Joiner::And,
        managed: Managed::Both,
        method: FilterMethod::DailyAverageVolume(VolumeComparison::Between {
            low: 10.0,
            high: 5.0,
        }),
    }];
    let mut second = action(FIRST, 1, ActionKind::Plugin(String::new()));
    second.max_attempts = 0;
    second.timing = ActionTiming::OnOverdue {
        from: OverdueFrom::Approval,
    };
    definition.actions[0].timing = ActionTiming::OnOverdue {
        from: OverdueFrom::FirstTrigger,
    };
    definition.actions.push(second);
    let fields: Vec<String> = definition
        .validate(&tree())
        .into_iter()
        .map(|problem| problem.field)
        .collect();
    assert_eq!(
        fields,
        vec![
            "owner",
            "trigger.threshold-percent",
            "trigger.consumable",
            "stale.value",
            "filters[0].method",
            "actions[0].timing",
            "actions[1].ordinal",
            "actions[1].id",
            "actions[1].max-attempts",
            "actions[1].kind",
            "actions[1].timing",
            "actions[1].timing",
        ]
    );
}

#[test]
fn a_definition_needs_at_least_one_action_and_a_service_one_an_error_state() {
    let mut definition = toner_definition();
    definition.actions.clear();
    definition.trigger = Trigger::Service {
        states: vec![],
        console_message: Some(String::new()),
    };
    let fields: Vec<String> = definition
        .validate(&tree())
        .into_iter()
        .map(|problem| problem.field)
        .collect();
    assert_eq!(
        fields,
        vec!["trigger.states", "trigger.console-message", "actions"]
    );
}

#[test]
fn only_critical_parameters_change_the_fingerprint() {
    let definition = toner_definition();
    let mut renamed = definition.clone();
    renamed.name = "Another name".into();
    assert_eq!(
        definition.critical_fingerprint(),
        renamed.critical_fingerprint()
    );
    let mut escalated = definition.clone();
    escalated.actions[0].requires_approval = true;
    assert_ne!(
        definition.critical_fingerprint(),
        escalated.critical_fingerprint()
    );
}

#[test]
fn a_custom_consumable_is_matched_by_name_case_insensitively() {
    let wanted = ConsumableType::Custom("Staple Cartridge".into());
    assert!(wanted.matches(&ConsumableType::Custom("staple cartridge".into())));
    assert!(!wanted.matches(&ConsumableType::Custom("Staples".into())));
    assert!(!wanted.matches(&ConsumableType::Toner));
    assert!(ConsumableType::Drum.matches(&ConsumableType::Drum));
}

#[test]
fn a_webhook_action_names_its_endpoint_and_a_bare_webhook_of_old_definitions_still_reads() {
    let named: ActionKind =
        serde_json::from_value(serde_json::json!({"webhook": {"endpoint-id": 3}})).unwrap();
    assert_eq!(
        named,
        ActionKind::Webhook {
            endpoint_id: Some(WebhookEndpointId(3))
        }
    );
    assert_eq!(
        serde_json::to_value(&named).unwrap(),
        serde_json::json!({"webhook": {"endpoint-id": 3}})
    );
    let bare: ActionKind = serde_json::from_value(serde_json::json!("webhook")).unwrap();
    assert_eq!(bare, ActionKind::Webhook { endpoint_id: None });
    let unknown = serde_json::from_value::<ActionKind>(serde_json::json!("fax")).unwrap_err();
    assert!(unknown.to_string().contains("fax"), "{unknown}");

    let mut definition = toner_definition();
    definition.actions[0].kind = bare;
    let fields: Vec<String> = definition
        .validate(&tree())
        .into_iter()
        .map(|problem| problem.field)
        .collect();
    assert_eq!(fields, vec!["actions[0].kind"]);
    definition.actions[0].kind = named;
    assert_eq!(definition.validate(&tree()), vec![]);
}
