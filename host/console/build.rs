//! Builds the console under `console/` into `OUT_DIR/assets` and writes the table that
//! embeds it: npm installs the exact packages of `console/package-lock.json` into
//! `OUT_DIR/npm` (each target directory has its own, so concurrent builds never share a
//! `node_modules`), and esbuild bundles `console/src/main.jsx` into one script and one
//! style sheet whose names carry their content's hash, so a browser may keep them
//! forever while `index.html`, which names them, is asked for each time.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let console = manifest.join("../../console").canonicalize().unwrap();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());
    for watched in ["src", "index.html", "package.json", "package-lock.json"] {
        println!("cargo:rerun-if-changed={}", console.join(watched).display());
    }

    let packages = install(&console, &out.join("npm"));
    let assets = out.join("assets");
    if assets.exists() {
        fs::remove_dir_all(&assets).unwrap();
    }
    fs::create_dir_all(&assets).unwrap();
    run(
        Command::new(packages.join(".bin/esbuild"))
            .current_dir(&console)
            .env("NODE_PATH", &packages)
            .args([
                "src/main.jsx",
                "--bundle",
                "--minify",
                "--sourcemap=external",
                "--format=esm",
                "--target=es2020",
                "--jsx=automatic",
                "--jsx-import-source=preact",
                "--entry-names=[name]-[hash]",
                "--log-level=warning",
            ])
            .arg(format!("--outdir={}", assets.display())),
        "esbuild could not build the console",
    );

    let mut built: Vec<String> = fs::read_dir(&assets)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    built.sort();
    let named = |suffix: &str| {
        built
            .iter()
            .find(|name| name.starts_with("main-") && name.ends_with(suffix))
            .unwrap_or_else(|| panic!("esbuild wrote no main-*{suffix} in {}", assets.display()))
            .clone()
    };
    let page = fs::read_to_string(console.join("index.html"))
        .unwrap()
        .replace("/assets/main.js", &format!("/assets/{}", named(".js")))
        .replace("/assets/main.css", &format!("/assets/{}", named(".css")));
    fs::write(out.join("index.html"), page).unwrap();

    let mut table = String::from(
        "/// The built assets: (file name under `/assets/`, bytes).\npub static ASSETS: &[(&str, &[u8])] = &[\n",
    );
    for name in &built {
        writeln!(
            table,
            "    ({name:?}, include_bytes!({:?})),",
            assets.join(name).display().to_string()
        )
        .unwrap();
    }
    table.push_str("];\n");
    fs::write(out.join("assets.rs"), table).unwrap();
}

/// `node_modules` for the lock in `console`, installed under `dir` unless the same lock is
/// already installed there.
fn install(console: &Path, dir: &Path) -> PathBuf {
    let lock = fs::read(console.join("package-lock.json")).unwrap();
    let installed = dir.join("installed-lock.json");
    let modules = dir.join("node_modules");
    if fs::read(&installed).ok().as_deref() == Some(lock.as_slice()) && modules.exists() {
        return modules;
    }
    fs::create_dir_all(dir).unwrap();
    fs::copy(console.join("package.json"), dir.join("package.json")).unwrap();
    fs::write(dir.join("package-lock.json"), &lock).unwrap();
    // esbuild's install script only picks a faster path to the same binary, which the
    // platform package npm installs anyway; no package's script runs.
    run(
        Command::new("npm").current_dir(dir).args([
            "ci",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
        ]),
        "npm could not install the console's packages (Node.js and npm are needed to build \
         Quire: Debian `nodejs` and `npm`; the npm registry must be reachable)",
    );
    fs::write(&installed, &lock).unwrap();
    modules
}

fn run(command: &mut Command, failure: &str) {
    let status = command
        .status()
        .unwrap_or_else(|e| panic!("{failure}: cannot start {:?}: {e}", command.get_program()));
    assert!(
        status.success(),
        "{failure}: {command:?} exited with {status}"
    );
}
