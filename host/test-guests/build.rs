//! Compiles the misbehaving guests under `tests/guests/` to components, only
//! when a test suite that loads them is built.

fn main() {
    let guests = quire_wasm_build::build("tests/guests");
    println!(
        "cargo:rustc-env=QUIRE_GUEST_DIR={}",
        guests.out_dir.display()
    );
}
