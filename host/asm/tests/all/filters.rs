use proptest::prelude::*;
use quire_asm::filters::{matches, precedence_text};
use quire_asm::*;

use crate::world::*;

fn filter(joiner: Joiner, method: FilterMethod) -> Filter {
    Filter {
        joiner,
        managed: Managed::Both,
        method,
    }
}

#[test]
fn filters_group_in_the_sources_linear_precedence() {
    let all = |joiner| filter(joiner, FilterMethod::All);
    let filters = [
        all(Joiner::And),
        all(Joiner::And),
        all(Joiner::Or),
        all(Joiner::Or),
        all(Joiner::Or),
        all(Joiner::AndNot),
    ];
    assert_eq!(
        precedence_text(&filters),
        "(F1) AND (F2 OR F3 OR F4 OR F5) AND NOT (F6)"
    );
    let runs = [
        all(Joiner::And),
        all(Joiner::Or),
        all(Joiner::Or),
        all(Joiner::And),
        all(Joiner::And),
    ];
    assert_eq!(precedence_text(&runs), "(F1 OR F2 OR F3) AND (F4 AND F5)");
    let lone = [all(Joiner::And), all(Joiner::And), all(Joiner::Or)];
    // A lone operator joins groups, evaluated left to right: (F1 && F2) || F3.
    assert_eq!(precedence_text(&lone), "(F1) AND (F2) OR (F3)");
}

#[test]
fn the_sources_example_is_evaluated_group_by_group() {
    // (F1) AND (F2 OR F3 OR F4 OR F5) AND NOT (F6), with only F4 of the OR group true
    // and F6 false, follows F1. Strictly left to right, ((F1 AND F2) OR F3 OR F4 OR F5)
    // AND NOT F6 would be true even with F1 false.
    let device = printer(t0(), vec![]);
    let yes = FilterMethod::All;
    let no = FilterMethod::Model("nothing".into());
    let filters = |first: &FilterMethod| {
        vec![
            filter(Joiner::And, first.clone()),
            filter(Joiner::And, no.clone()),
            filter(Joiner::Or, no.clone()),
            filter(Joiner::Or, yes.clone()),
            filter(Joiner::Or, no.clone()),
            filter(Joiner::AndNot, no.clone()),
        ]
    };
    assert!(matches(&filters(&yes), &device));
    assert!(!matches(&filters(&no), &device));
}

#[test]
fn a_device_with_no_calculated_volume_does_not_match_a_volume_filter() {
    let mut device = printer(t0(), vec![]);
    let at_most = [filter(
        Joiner::And,
        FilterMethod::DailyAverageVolume(VolumeComparison::AtMost(1000.0)),
    )];
    assert!(!matches(&at_most, &device));
    device.daily_average_volume = Some(500.0);
    assert!(matches(&at_most, &device));
    let between = [filter(
        Joiner::And,
        FilterMethod::MonthlyAverageVolume(VolumeComparison::Between {
            low: 1000.0,
            high: 5000.0,
        }),
    )];
    assert!(!matches(&between, &device));
    device.monthly_average_volume = Some(5000.0);
    assert!(matches(&between, &device));
    let at_least = [filter(
        Joiner::And,
        FilterMethod::MonthlyAverageVolume(VolumeComparison::AtLeast(5001.0)),
    )];
    assert!(!matches(&at_least, &device));
}

#[test]
fn text_filters_match_case_insensitively() {
    let mut device = printer(t0(), vec![]);
    device.custom_model = Some("Front Desk MFP".into());
    device.contract_type = Some("Cost Per Page".into());
    for method in [
        FilterMethod::Manufacturer("hp".into()),
        FilterMethod::ModelFamily("LASERJET".into()),
        FilterMethod::Model("m404".into()),
        FilterMethod::CustomModel("front desk mfp".into()),
        FilterMethod::ContractType("cost per page".into()),
    ] {
        assert!(
            matches(&[filter(Joiner::And, method.clone())], &device),
            "{method:?}"
        );
    }
    assert!(!matches(
        &[filter(Joiner::And, FilterMethod::Model("M40".into()))],
        &device
    ));
}

#[test]
fn the_managed_cut_comes_before_the_method() {
    let mut device = printer(t0(), vec![]);
    let cut = |managed| {
        [Filter {
            joiner: Joiner::And,
            managed,
            method: FilterMethod::All,
        }]
    };
    assert!(matches(&cut(Managed::Managed), &device));
    assert!(!matches(&cut(Managed::NonManaged), &device));
    device.managed = false;
    assert!(!matches(&cut(Managed::Managed), &device));
    assert!(matches(&cut(Managed::NonManaged), &device));
    assert!(matches(&cut(Managed::Both), &device));
    assert!(matches(&[], &device), "no filters is every device");
}

#[test]
fn id_filters_match_the_devices_account_contract_and_groups() {
    let mut device = printer(t0(), vec![]);
    device.contract = Some(ContractId(4));
    device.groups = vec![GroupId(8), GroupId(9)];
    let one = |method| [filter(Joiner::And, method)];
    assert!(matches(&one(FilterMethod::Account(CUSTOMER)), &device));
    assert!(!matches(&one(FilterMethod::Account(MAIN)), &device));
    assert!(matches(
        &one(FilterMethod::Contract(ContractId(4))),
        &device
    ));
    assert!(matches(&one(FilterMethod::Group(GroupId(9))), &device));
    assert!(!matches(&one(FilterMethod::Group(GroupId(1))), &device));
}

/// The reference: write the grouped expression out as text the obvious way (runs of a
/// repeated operator become parenthesised groups, a filter between two runs staying
/// with the earlier one), then parse and evaluate that text left to right.
fn reference_text(joiners: &[Joiner]) -> String {
    let word = |joiner: Joiner| match joiner {
        Joiner::And => "AND",
        Joiner::Or => "OR",
        Joiner::AndNot => "AND NOT",
    };
    let n = joiners.len();
    let op = |i: usize| (i >= 1 && i < n).then(|| joiners[i]);
    // inner[i]: whether the link into filter i is inside a group.
    let mut inner = vec![false; n];
    for i in 1..n {
        let repeated = op(i) == op(i - 1) || op(i) == op(i + 1);
        // A run may not continue a group of another operator.
        let group_operator = (1..i).rev().take_while(|&j| inner[j]).last().map(&op);
        inner[i] = repeated && group_operator.is_none_or(|group| group == op(i));
    }
    let mut text = String::from("( F1");
    for i in 1..n {
        if inner[i] {
            text.push_str(&format!(" {} F{}", word(joiners[i]), i + 1));
        } else {
            text.push_str(&format!(" ) {} ( F{}", word(joiners[i]), i + 1));
        }
    }
    text.push_str(" )");
    text
}

fn evaluate_text(text: &str, values: &[bool]) -> bool {
    let mut tokens = text.split(' ').peekable();
    let fold = |tokens: &mut std::iter::Peekable<std::str::Split<'_, char>>| {
        let mut result: Option<bool> = None;
        let mut pending = "AND";
        while let Some(token) = tokens.next() {
            let value = match token {
                ")" => break,
                "AND" if tokens.peek() == Some(&"NOT") => {
                    tokens.next();
                    pending = "AND NOT";
                    continue;
                }
                "AND" | "OR" => {
                    pending = token;
                    continue;
                }
                name => values[name[1..].parse::<usize>().unwrap() - 1],
            };
            result = Some(match (result, pending) {
                (None, _) => value,
                (Some(left), "AND") => left && value,
                (Some(left), "OR") => left || value,
                (Some(left), _) => left && !value,
            });
        }
        result.unwrap()
    };
    let mut result: Option<bool> = None;
    let mut pending = "AND";
    while let Some(token) = tokens.next() {
        match token {
            "(" => {
                let value = fold(&mut tokens);
                result = Some(match (result, pending) {
                    (None, _) => value,
                    (Some(left), "AND") => left && value,
                    (Some(left), "OR") => left || value,
                    (Some(left), _) => left && !value,
                });
            }
            "AND" if tokens.peek() == Some(&"NOT") => {
                tokens.next();
                pending = "AND NOT";
            }
            other => pending = other,
        }
    }
    result.unwrap()
}

fn joiner() -> impl Strategy<Value = Joiner> {
    prop_oneof![Just(Joiner::And), Just(Joiner::Or), Just(Joiner::AndNot)]
}

proptest! {
    #[test]
    fn filter_precedence_matches_the_written_out_grouping(
        links in proptest::collection::vec((joiner(), any::<bool>()), 1..10),
    ) {
        let device = printer(t0(), vec![]);
        let filters: Vec<Filter> = links
            .iter()
            .map(|&(joiner, passes)| {
                filter(joiner, if passes { FilterMethod::All } else { FilterMethod::Model("none".into()) })
            })
            .collect();
        let values: Vec<bool> = links.iter().map(|&(_, passes)| passes).collect();
        let joiners: Vec<Joiner> = links.iter().map(|&(joiner, _)| joiner).collect();
        let text = reference_text(&joiners);
        prop_assert_eq!(
            precedence_text(&filters),
            text.replace("( ", "(").replace(" )", ")")
        );
        prop_assert_eq!(matches(&filters, &device), evaluate_text(&text, &values), "{}", text);
    }
}
