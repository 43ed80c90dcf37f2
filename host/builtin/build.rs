//! Compiles the built-in strategies under `strategies/` to components and
//! writes the table that embeds them.

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
    let generated = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtin.rs");
    std::fs::write(generated, builtin).unwrap();
}
