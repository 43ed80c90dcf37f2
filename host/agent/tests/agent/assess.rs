//! Every alert row and error bit a read finds is judged by the strategy that read it
//! (`map-error`), and the judgements travel with the reading; a strategy that fails on
//! one of them costs only that judgement.

use std::net::Ipv4Addr;
use std::path::Path;
use std::sync::Arc;

use quire_model::{
    Assessment, AssessmentOutcome, AssessmentSeverity, Cycle, ErrorAssessment, ErrorGroup,
    ErrorSource, ErrorState, SkillLevel,
};
use quire_plugins::{Host, HostConfig, Registry};
use quire_snmp::Recording;
use quire_snmp::responder::{Fleet, FleetConfig};

use crate::fleet::{OneSite, SNMP_PORT, config, enrolled, enrolled_with};

/// The strategy template's sample printer (a maker no family knows, so the generic
/// `printer-mib` reads it) with two rows in its alert table — row 3 a jam (prtAlertCode
/// 8), row 4 an empty toner (1101), both critical — and hrPrinterDetectedErrorState
/// 0x0C: bits 4 (doorOpen) and 5 (jammed).
fn jammed_printer() -> Recording {
    let sample =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../cli/templates/strategy/sample.snmprec");
    let text = std::fs::read_to_string(sample).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.starts_with("1.3.6.1.2.1.25.3.5.1.2.1|"))
        .map(str::to_owned)
        .collect();
    lines.push("1.3.6.1.2.1.25.3.5.1.2.1|4x|0C".into());
    let alert = "1.3.6.1.2.1.43.18.1.1";
    for (row, code, text) in [
        (3, 8, "Paper jam in tray 2"),
        (4, 1101, "Black toner empty"),
    ] {
        lines.push(format!("{alert}.2.1.{row}|2|3"));
        lines.push(format!("{alert}.4.1.{row}|2|13"));
        lines.push(format!("{alert}.7.1.{row}|2|{code}"));
        lines.push(format!("{alert}.8.1.{row}|4|{text}"));
    }
    lines.sort_by_key(|l| {
        let oid = l.split('|').next().unwrap();
        oid.split('.')
            .map(|arc| arc.parse::<u64>().unwrap())
            .collect::<Vec<_>>()
    });
    Recording::parse_snmprec("jammed.snmprec", &(lines.join("\n") + "\n")).unwrap()
}

fn assessed(
    input: ErrorSource,
    state: &str,
    group: ErrorGroup,
    severity: AssessmentSeverity,
    skill: SkillLevel,
    minutes: u32,
) -> ErrorAssessment {
    ErrorAssessment {
        input,
        outcome: AssessmentOutcome::Assessed(Assessment {
            state: state.into(),
            group,
            severity,
            skill,
            field_service: false,
            estimated_minutes: minutes,
        }),
    }
}

async fn serve(base: Ipv4Addr, recording: Recording) -> Fleet {
    Fleet::start(
        vec![recording],
        FleetConfig {
            base,
            port: SNMP_PORT,
            ..FleetConfig::default()
        },
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_alert_row_and_error_bit_is_judged_and_queued_with_the_reading() {
    let _fleet = serve(Ipv4Addr::new(127, 80, 10, 1), jammed_printer()).await;
    let (agent, _peer, _dir) = enrolled("127.80.9.20", config("127.80.10.1")).await;
    let site = OneSite::checked_in(&agent).await;
    // Discovery reads everything, the alert table included.
    let discovery = site.run(Cycle::Discovery).await;
    assert_eq!(
        (discovery.read, discovery.queued),
        (1, 1),
        "{:?}",
        discovery.failures
    );
    let meters = site.run(Cycle::MetersAndSupplies).await;
    assert_eq!(meters.queued, 1, "{:?}", meters.failures);
    let items = agent.queue().batch(10, usize::MAX).await.unwrap();
    assert_eq!(items[0].strategy.name, "printer-mib");

    // The Printer-MIB reading of each (RFC 3805's codes, the generic strategy's table):
    // a jam is a key operator's five minutes, an empty toner too, an open door anyone's minute.
    let jam = |input| {
        assessed(
            input,
            "paper-jam",
            ErrorGroup::Paper,
            AssessmentSeverity::Critical,
            SkillLevel::KeyOperator,
            5,
        )
    };
    let door = assessed(
        ErrorSource::State {
            state: ErrorState::DoorOpen,
        },
        "door-open",
        ErrorGroup::Device,
        AssessmentSeverity::Warning,
        SkillLevel::Anyone,
        1,
    );
    let jammed_bit = ErrorSource::State {
        state: ErrorState::Jammed,
    };
    assert_eq!(
        items[0].assessments,
        [
            jam(ErrorSource::Alert { index: 3 }),
            assessed(
                ErrorSource::Alert { index: 4 },
                "toner-empty",
                ErrorGroup::Supply,
                AssessmentSeverity::Critical,
                SkillLevel::KeyOperator,
                5
            ),
            door.clone(),
            jam(jammed_bit),
        ]
    );
    // The meter cycle skips the alert table; its error bits are judged all the same.
    assert!(items[1].reading.alerts.is_empty());
    assert_eq!(items[1].assessments, [door, jam(jammed_bit)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_strategy_failing_on_one_alert_loses_neither_the_reading_nor_the_rest() {
    let hostile = Recording::parse_snmprec(
        "hostile-alerts.snmprec",
        "1.3.6.1.2.1.1.1.0|4|Hostile Test Printer\n1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.99999.1\n\
         1.3.6.1.2.1.25.3.2.1.2.1|6|1.3.6.1.2.1.25.3.1.5\n1.3.6.1.4.1.99999.1.0|4|alerts\n",
    )
    .unwrap();
    let _fleet = serve(Ipv4Addr::new(127, 80, 11, 1), hostile).await;
    let host = Host::new(HostConfig::default()).unwrap();
    let registry = Registry::new();
    registry
        .insert(
            host.load(&quire_test_guests::bytes("quire_guest_hostile"))
                .await
                .unwrap(),
        )
        .unwrap();
    let config = config("127.80.11.1");
    let (agent, _peer, _dir) =
        enrolled_with("127.80.9.21", config.clone(), Arc::new(registry)).await;
    let site = OneSite::configured(&agent, config);
    let report = site.run(Cycle::Discovery).await;
    assert_eq!(
        (report.read, report.queued),
        (1, 1),
        "{:?}",
        report.failures
    );

    let item = agent.queue().batch(10, usize::MAX).await.unwrap().remove(0);
    // The guest traps on alert 1 (its `trap` row), names alert 2's state by its code
    // name and calls any error bit a paper jam.
    assert_eq!(item.reading.alerts.len(), 2, "{item:?}");
    let outcomes: Vec<(ErrorSource, Result<&str, &str>)> = item
        .assessments
        .iter()
        .map(|a| {
            let outcome = match &a.outcome {
                AssessmentOutcome::Assessed(a) => Ok(a.state.as_str()),
                AssessmentOutcome::Failed(message) => Err(message.as_str()),
            };
            (a.input, outcome)
        })
        .collect();
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert_eq!(outcomes[1], (ErrorSource::Alert { index: 2 }, Ok("jam")));
    assert_eq!(
        outcomes[2],
        (
            ErrorSource::State {
                state: ErrorState::Jammed
            },
            Ok("paper-jam")
        )
    );
    let (input, failed) = &outcomes[0];
    assert_eq!(*input, ErrorSource::Alert { index: 1 });
    let message = failed.unwrap_err();
    assert!(
        message.starts_with("hostile@1.0.0 ") && message.contains("trapped"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ipp_printer_s_state_reasons_are_judged_by_the_generic_strategy() {
    // ippeveprinter after its toner was run down (fixtures/ipp/SOURCES.md): state reasons
    // `marker-waste-almost-full-report` and `toner-low-report`.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/ipp/ippeveprinter-toner-low.ipp");
    let listener = tokio::net::TcpListener::bind("127.80.12.1:0")
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let printer = tokio::spawn(crate::ipp::serve(listener, std::fs::read(fixture).unwrap()));
    let mut config = config("127.80.12.9");
    config.sites[0].ipp_printers = vec![format!("ipp://127.80.12.1:{port}/ipp/print")];
    let (agent, _peer, _dir) = enrolled("127.80.9.22", config).await;
    let site = OneSite::checked_in(&agent).await;
    let report = site.run(Cycle::Alerts).await;
    assert_eq!(report.queued, 1, "{:?}", report.failures);
    printer.abort();

    let item = agent.queue().batch(10, usize::MAX).await.unwrap().remove(0);
    assert_eq!(item.strategy.name, "ipp");
    // The reasons read as Printer-MIB alert codes 1107 (waste almost full) and 1104
    // (toner almost empty) and the lowToner bit; the generic table makes each a key
    // operator's five minutes.
    let supply = |input, state| {
        assessed(
            input,
            state,
            ErrorGroup::Supply,
            AssessmentSeverity::Warning,
            SkillLevel::KeyOperator,
            5,
        )
    };
    assert_eq!(
        item.assessments,
        [
            supply(ErrorSource::Alert { index: 1 }, "waste-almost-full"),
            supply(ErrorSource::Alert { index: 2 }, "toner-low"),
            supply(
                ErrorSource::State {
                    state: ErrorState::LowToner
                },
                "toner-low"
            ),
        ]
    );
}
