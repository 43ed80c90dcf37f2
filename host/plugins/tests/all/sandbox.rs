//! A hostile plugin costs only the read it was asked for: each misbehaviour
//! fails that read with an error naming the plugin and the cause, and the same
//! host and plugin then serve a good read.

use quire_model::{AssessmentOutcome, Cycle, ErrorInput, ErrorSource, ErrorState, SkillLevel};
use std::sync::Arc;
use std::time::Duration;

use quire_plugins::{Host, HostConfig, Plugin, PluginError, Probe};
use quire_transport::ReplayTransport;

use crate::{SlowDevice, device, host, hostile, recording};

async fn read(plugin: &Plugin, mode: &str) -> Result<quire_model::Reading, PluginError> {
    plugin.collect(device(mode), Cycle::MetersAndSupplies).await
}

/// Fails the read in `mode` with a stop whose message is `expected`, then reads cleanly.
async fn stopped_then_serves(mode: &str, expected: &str) {
    let host = host();
    let plugin = hostile(&host).await;
    let err = read(&plugin, mode).await.unwrap_err();
    assert!(err.is_stop(), "{mode}: {err}");
    let message = err.to_string();
    assert!(
        message.starts_with("hostile@1.0.0 ") && message.contains(expected),
        "{mode}: {message}"
    );
    let reading = read(&plugin, "ok").await.unwrap();
    assert_eq!(reading.identity.model.as_deref(), Some("ok"));
    assert_eq!(reading.counters.get("total"), Some(&1234));
}

#[tokio::test]
async fn a_panic_is_a_trap_and_the_host_keeps_serving() {
    stopped_then_serves("trap", "trapped: wasm `unreachable` instruction executed").await;
}

#[tokio::test]
async fn an_endless_loop_is_stopped_at_the_deadline() {
    stopped_then_serves("loop", "ran past its 2 s deadline").await;
}

#[tokio::test]
async fn unbounded_recursion_overflows_the_stack() {
    stopped_then_serves("stack", "overflowed its stack").await;
}

#[tokio::test]
async fn unbounded_allocation_hits_the_memory_cap() {
    stopped_then_serves("alloc", "tried to grow memory past its 64 MiB cap").await;
}

#[tokio::test]
async fn a_huge_reading_is_refused() {
    stopped_then_serves("huge-output", "MiB, over the 8 MiB output cap").await;
}

#[tokio::test]
async fn http_off_the_device_is_denied_and_fails_the_read() {
    stopped_then_serves(
        "http-elsewhere",
        "asked for http://127.0.0.9/x — only paths on its own device are allowed",
    )
    .await;
}

#[tokio::test]
async fn waiting_on_a_slow_device_does_not_count_against_the_deadline() {
    // 300 ms per answer, a 100 ms computing budget: the read still succeeds,
    // because the budget is for the plugin's own work.
    let host = Host::new(HostConfig {
        deadline: Duration::from_millis(100),
        ..HostConfig::default()
    })
    .unwrap();
    let plugin = hostile(&host).await;
    let slow = Arc::new(SlowDevice {
        inner: ReplayTransport::new(Arc::new(recording("ok"))),
        delay: Duration::from_millis(300),
    });
    let reading = plugin
        .collect(slow, Cycle::MetersAndSupplies)
        .await
        .unwrap();
    assert_eq!(reading.identity.model.as_deref(), Some("ok"));
}

#[tokio::test]
async fn a_device_that_never_answers_hits_the_read_timeout() {
    let host = Host::new(HostConfig {
        read_timeout: Duration::from_millis(500),
        ..HostConfig::default()
    })
    .unwrap();
    let plugin = hostile(&host).await;
    let silent = Arc::new(SlowDevice {
        inner: ReplayTransport::new(Arc::new(recording("ok"))),
        delay: Duration::from_secs(3600),
    });
    let err = plugin
        .collect(silent, Cycle::MetersAndSupplies)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "hostile@1.0.0 took longer than its 500 ms read timeout, device waits included"
    );
    let reading = read(&plugin, "ok").await.unwrap();
    assert_eq!(reading.identity.model.as_deref(), Some("ok"));
}

/// What the guest reported seeing, from its reading's sysDescr.
async fn observed(mode: &str) -> String {
    let host = host();
    let plugin = hostile(&host).await;
    let reading = read(&plugin, mode).await.unwrap();
    reading.identity.sys_descr.unwrap()
}

#[tokio::test]
async fn files_are_out_of_reach() {
    let seen = observed("file").await;
    assert!(
        seen.starts_with("read: Err(") && seen.contains("; write: Err("),
        "{seen}"
    );
}

#[tokio::test]
async fn the_environment_and_arguments_are_empty() {
    assert_eq!(observed("env").await, "vars: []; args: []");
}

#[tokio::test]
async fn sockets_are_refused() {
    let seen = observed("socket").await;
    assert!(
        seen.starts_with("tcp: Err(") && seen.contains("; udp: Err("),
        "{seen}"
    );
}

#[tokio::test]
async fn a_strategy_error_is_the_plugins_own_not_a_stop() {
    let host = host();
    let plugin = hostile(&host).await;
    let err = read(&plugin, "sing").await.unwrap_err();
    assert!(!err.is_stop());
    assert_eq!(
        err.to_string(),
        "hostile@1.0.0 could not read the device: unsupported: unknown mode \"sing\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_reads_do_not_disturb_good_ones_running_beside_them() {
    let host = host();
    let plugin = std::sync::Arc::new(hostile(&host).await);
    let mut reads = Vec::new();
    for mode in [
        "loop",
        "ok",
        "alloc",
        "ok",
        "stack",
        "ok",
        "trap",
        "ok",
        "huge-output",
        "ok",
        "loop",
        "ok",
    ] {
        let plugin = plugin.clone();
        reads.push((mode, tokio::spawn(async move { read(&plugin, mode).await })));
    }
    for (mode, read) in reads {
        let outcome = read.await.unwrap();
        match mode {
            "ok" => assert_eq!(outcome.unwrap().identity.model.as_deref(), Some("ok")),
            _ => assert!(outcome.unwrap_err().is_stop(), "{mode}"),
        }
    }
}

#[tokio::test]
async fn identify_and_map_error_convert_to_quire_types() {
    let host = host();
    let plugin = hostile(&host).await;
    let ours = Probe {
        sys_object_id: "1.3.6.1.4.1.99999.1".into(),
        sys_descr: "Hostile Test Printer".into(),
    };
    let theirs = Probe {
        sys_object_id: "1.3.6.1.4.1.11.2.3.9.1".into(),
        sys_descr: "HP LaserJet".into(),
    };
    assert_eq!(
        plugin.identify(device("ok"), &ours).await.unwrap(),
        Some(10)
    );
    assert_eq!(plugin.identify(device("ok"), &theirs).await.unwrap(), None);
    let assessment = plugin
        .map_error(&ErrorInput::State(ErrorState::Jammed))
        .await
        .unwrap();
    assert_eq!(assessment.state, "paper-jam");
    assert_eq!(assessment.skill, SkillLevel::KeyOperator);
}

#[tokio::test]
async fn a_verdict_that_asked_the_device_nothing_is_given_again_without_a_sandbox() {
    // One sandbox slot, which an endless collect below holds until its deadline.
    let host = Host::new(HostConfig {
        max_concurrent_calls: 1,
        deadline: Duration::from_secs(3),
        ..HostConfig::default()
    })
    .unwrap();
    let plugin = Arc::new(hostile(&host).await);
    let judged = Probe {
        sys_object_id: "1.3.6.1.4.1.99999.1".into(),
        sys_descr: "Hostile Test Printer".into(),
    };
    let new = Probe {
        sys_object_id: "1.3.6.1.4.1.99999.2".into(),
        ..judged.clone()
    };
    // The hostile guest judges by sysObjectID alone.
    assert_eq!(
        plugin.identify(device("ok"), &judged).await.unwrap(),
        Some(10)
    );

    let busy = plugin.clone();
    let endless = tokio::spawn(async move { read(&busy, "loop").await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let within = |probe: Probe| {
        let plugin = plugin.clone();
        async move {
            tokio::time::timeout(
                Duration::from_secs(1),
                plugin.identify(device("ok"), &probe),
            )
            .await
        }
    };
    let again = within(judged)
        .await
        .expect("answered while the slot is held");
    assert_eq!(again.unwrap(), Some(10));
    assert!(
        within(new).await.is_err(),
        "a probe not judged before waits for a sandbox"
    );
    assert!(endless.await.unwrap().unwrap_err().is_stop());
}

#[tokio::test]
async fn map_error_failing_on_one_input_costs_only_that_input() {
    let host = host();
    let plugin = hostile(&host).await;
    let reading = plugin
        .collect(device("alerts"), Cycle::Alerts)
        .await
        .unwrap();
    let assessments = plugin.assess(&reading).await;
    // Alert 1 traps the guest; alert 2 (jam, code name `jam`) and the jammed bit are
    // judged as the guest judges them: its state from the code name, `paper-jam` for a bit.
    let inputs: Vec<ErrorSource> = assessments.iter().map(|a| a.input).collect();
    assert_eq!(
        inputs,
        [
            ErrorSource::Alert { index: 1 },
            ErrorSource::Alert { index: 2 },
            ErrorSource::State {
                state: ErrorState::Jammed
            },
        ]
    );
    match &assessments[0].outcome {
        AssessmentOutcome::Failed(message) => assert!(
            message.starts_with("hostile@1.0.0 ") && message.contains("trapped"),
            "{message}"
        ),
        other => panic!("alert 1 should have failed: {other:?}"),
    }
    let states: Vec<Option<&str>> = assessments
        .iter()
        .map(|a| a.assessment().map(|a| a.state.as_str()))
        .collect();
    assert_eq!(states, [None, Some("jam"), Some("paper-jam")]);
}

#[tokio::test]
async fn a_plugin_describes_itself_once_at_load() {
    let host = host();
    let plugin = hostile(&host).await;
    assert_eq!(plugin.strategy_ref().to_string(), "hostile@1.0.0");
    assert_eq!(plugin.info().vendor, "Quire tests");
    assert_eq!(plugin.content_hash().len(), 64);
}
