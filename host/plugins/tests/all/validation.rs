//! Bytes that are not a Quire plugin are refused at load with an error that
//! says what is wrong, named by the bytes' hash.

use quire_plugins::World;
use quire_plugins::bindings::VERSION;

use quire_model::Cycle;

use std::sync::Arc;

use quire_snmp::Recording;
use quire_transport::ReplayTransport;

use crate::{device, guest, host, hostile};

async fn refused(bytes: &[u8]) -> String {
    let err = host().load(bytes).await.unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("plugin sha256:"), "{message}");
    message
}

#[tokio::test]
async fn a_component_without_exports_names_the_missing_export() {
    let message = refused(&wat::parse_str("(component)").unwrap()).await;
    for export in [
        format!("quire:device/strategy-api@{VERSION}"),
        format!("quire:device/action-api@{VERSION}"),
        format!("quire:device/alert-logic-api@{VERSION}"),
        "quire:device/strategy-api@0.1.0".to_owned(),
    ] {
        assert!(message.contains(&export), "{export} in {message}");
    }
    assert!(message.contains("(it exports nothing)"), "{message}");
}

#[tokio::test]
async fn a_core_module_is_not_a_component() {
    let message = refused(&wat::parse_str("(module)").unwrap()).await;
    assert!(
        message.contains("it is a core WebAssembly module, not a component"),
        "{message}"
    );
}

#[tokio::test]
async fn an_unknown_import_is_named() {
    let bytes = wat::parse_str(format!(
        r#"(component
            (import "foo:bar/baz" (instance))
            (instance $api)
            (export "quire:device/strategy-api@{VERSION}" (instance $api)))"#,
    ))
    .unwrap();
    let message = refused(&bytes).await;
    assert!(
        message.contains("imports foo:bar/baz, which Quire does not provide to a strategy"),
        "{message}"
    );
}

#[tokio::test]
async fn an_export_of_the_wrong_shape_is_refused() {
    let bytes = wat::parse_str(format!(
        r#"(component
            (instance $api)
            (export "quire:device/strategy-api@{VERSION}" (instance $api)))"#,
    ))
    .unwrap();
    let message = refused(&bytes).await;
    assert!(
        message.contains(&format!(
            "its quire:device/strategy-api@{VERSION} does not match Quire's"
        )),
        "{message}"
    );
}

#[tokio::test]
async fn garbage_is_not_webassembly() {
    let message = refused(b"#!/bin/sh\nrm -rf /\n").await;
    assert!(message.contains("not WebAssembly"), "{message}");
}

#[tokio::test]
async fn the_action_world_is_recognised_but_is_not_a_strategy() {
    let bytes = wat::parse_str(format!(
        r#"(component
            (instance $api)
            (export "quire:device/action-api@{VERSION}" (instance $api)))"#,
    ))
    .unwrap();
    assert_eq!(host().validate(&bytes).unwrap(), World::Action);
    let message = refused(&bytes).await;
    assert!(message.contains("it is an action plugin"), "{message}");
}

#[tokio::test]
async fn the_test_guests_are_strategies() {
    let host = host();
    for name in [
        "quire_guest_hostile",
        "quire_guest_reformed",
        "quire_guest_generic",
    ] {
        assert_eq!(
            host.validate(&guest(name)).unwrap(),
            World::Strategy,
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_built_in_strategies_load_and_printer_mib_is_among_them() {
    let host = host();
    let mut names = Vec::new();
    for (crate_name, bytes) in quire_builtin::BUILTIN {
        let plugin = host
            .load(bytes)
            .await
            .unwrap_or_else(|e| panic!("{crate_name}: {e}"));
        names.push(plugin.name().to_owned());
    }
    assert!(
        names.iter().any(|n| n == quire_plugins::FALLBACK_STRATEGY),
        "{names:?}"
    );
}

#[test]
fn the_live_contract_is_its_frozen_release_until_a_new_version_is_cut() {
    // Strategies are built against plugins-sdk/wit, and the host binds the same
    // file and names its interfaces by the version read from it (VERSION). The
    // release of that version is frozen under wit/since_vX.Y.Z/: an edit to the
    // live WIT without a version bump would make freshly built plugins disagree
    // with ones built before about the same version.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let live = std::fs::read_to_string(root.join("plugins-sdk/wit/device.wit")).unwrap();
    assert!(
        live.lines()
            .any(|line| line == format!("package quire:device@{VERSION};")),
        "the host's VERSION {VERSION} is not the live WIT package's"
    );
    let frozen_path = root.join(format!("wit/since_v{VERSION}/device.wit"));
    let frozen = std::fs::read_to_string(&frozen_path)
        .unwrap_or_else(|e| panic!("{}: {e}", frozen_path.display()));
    assert_eq!(
        live, frozen,
        "plugins-sdk/wit/device.wit changed but is still {VERSION}: bump the version and freeze the new one under wit/since_vX.Y.Z/"
    );
}

#[tokio::test]
async fn a_strategy_built_against_contract_0_1_0_still_loads_and_reads() {
    // The hostile guest binds the first release as frozen in wit/since_v0.1.0/.
    assert_ne!(VERSION, "0.1.0", "the live contract has moved on");
    let host = host();
    let plugin = hostile(&host).await;
    let explained = plugin
        .collect_explained(device("ok"), Cycle::MetersAndSupplies)
        .await
        .unwrap();
    assert_eq!(explained.reading.identity.model.as_deref(), Some("ok"));
    assert_eq!(explained.reading.counters.get("total"), Some(&1234));
    assert!(
        explained.notes.is_empty(),
        "0.1.0 has no notes to give: {:?}",
        explained.notes
    );
}

#[tokio::test]
async fn a_strategy_built_against_contract_0_2_0_still_loads_and_reads() {
    // This guest binds the release as frozen in wit/since_v0.2.0/ and walks its
    // supplies table with GETBULKs of its own, as plugins did before `snmp.walk`.
    assert_ne!(VERSION, "0.2.0", "the live contract has moved on");
    let host = host();
    let plugin = host
        .load(&guest("quire_guest_contract_0_2_0"))
        .await
        .unwrap();
    let mut lines = String::from("1.3.6.1.2.1.1.1.0|4|Test printer\n");
    for i in 1..=15 {
        lines.push_str(&format!("1.3.6.1.2.1.43.11.1.1.6.1.{i}|4|supply {i}\n"));
    }
    lines.push_str("1.3.6.1.2.1.43.11.1.1.9.1.1|2|40\n");
    let recording = Recording::parse_snmprec("contract-0-2-0.snmprec", &lines).unwrap();
    let explained = plugin
        .collect_explained(
            Arc::new(ReplayTransport::new(Arc::new(recording))),
            Cycle::MetersAndSupplies,
        )
        .await
        .unwrap();
    assert_eq!(
        explained.reading.identity.model.as_deref(),
        Some("Test printer")
    );
    let supplies: Vec<&str> = explained
        .reading
        .supplies
        .iter()
        .map(|s| s.description.as_str())
        .collect();
    let expected: Vec<String> = (1..=15).map(|i| format!("supply {i}")).collect();
    assert_eq!(supplies, expected);
    assert_eq!(
        explained.notes,
        ["supplies walked by GETBULK from the plugin (contract 0.2.0)"]
    );
}
