//! Compiles the built-in strategies under `strategies/`, action plugins under
//! `actions/` and alert logic under `alert-logic/` to components and writes the
//! tables that embed them.

use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let guests = quire_wasm_build::build("strategies");
    let mut builtin = String::from(
        "/// Built-in strategies: (crate name, component bytes).\npub static BUILTIN: &[(&str, &[u8])] = &[\n",
    );
    for name in &guests.names {
        writeln!(
            builtin,
            "    ({name:?}, include_bytes!({:?})),",
            guests.component(name).display().to_string()
        )
        .unwrap();
    }
    builtin.push_str("];\n");
    let actions = quire_wasm_build::build("actions");
    builtin.push_str(
        "/// Built-in action plugins: (name, component bytes); the name is the crate's without `quire-action-`.\npub static ACTIONS: &[(&str, &[u8])] = &[\n",
    );
    for name in &actions.names {
        writeln!(
            builtin,
            "    ({:?}, include_bytes!({:?})),",
            name.trim_start_matches("quire-action-"),
            actions.component(name).display().to_string()
        )
        .unwrap();
    }
    builtin.push_str("];\n");
    let alert_logic = quire_wasm_build::build("alert-logic");
    builtin.push_str(
        "/// Built-in alert-logic plugins: (crate name, component bytes).\npub static ALERT_LOGIC: &[(&str, &[u8])] = &[\n",
    );
    for name in &alert_logic.names {
        writeln!(
            builtin,
            "    ({name:?}, include_bytes!({:?})),",
            alert_logic.component(name).display().to_string()
        )
        .unwrap();
    }
    builtin.push_str("];\n");
    let generated = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtin.rs");
    std::fs::write(generated, builtin).unwrap();
}
