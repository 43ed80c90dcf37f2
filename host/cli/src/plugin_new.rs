//! `quire plugin new`: a strategy crate a maker starts from, which builds,
//! passes its tests and loads into Quire before they change a line.
//!
//! The template is a handful of files compiled into the binary, with three
//! placeholders: the strategy's name, its Rust type and the path to the SDK.
//! Quire's own lock file goes with it, so the new crate resolves to the
//! dependency versions Quire is built and tested with.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// The SDK of the checkout this binary was built from, used when `--sdk` is
/// not given and it is still there.
const BUILT_FROM_SDK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../plugins-sdk");

/// (path in the new crate, template text).
const FILES: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../templates/strategy/Cargo.toml"),
    ),
    ("Cargo.lock", include_str!("../../../Cargo.lock")),
    (
        "rust-toolchain.toml",
        include_str!("../../../rust-toolchain.toml"),
    ),
    (
        ".cargo/config.toml",
        include_str!("../../../.cargo/config.toml"),
    ),
    (
        ".gitignore",
        include_str!("../templates/strategy/gitignore"),
    ),
    ("README.md", include_str!("../templates/strategy/README.md")),
    ("src/lib.rs", include_str!("../templates/strategy/lib.rs")),
    (
        "tests/reading.rs",
        include_str!("../templates/strategy/reading.rs"),
    ),
    (
        "tests/snapshots/reading__sample.snap",
        include_str!("../templates/strategy/reading__sample.snap"),
    ),
    (
        "recordings/sample.snmprec",
        include_str!("../templates/strategy/sample.snmprec"),
    ),
];

/// Creates the crate for strategy `name` in `dir` (`./NAME` when `None`),
/// depending on the SDK at `sdk`. Refuses a directory that already exists,
/// so nobody's work is overwritten.
pub fn create(name: &str, dir: Option<PathBuf>, sdk: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    check_name(name)?;
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    if dir.exists() {
        bail!("{} exists; give a new directory with --dir", dir.display());
    }
    let sdk = match sdk {
        Some(sdk) => sdk,
        None if Path::new(BUILT_FROM_SDK).join("Cargo.toml").exists() => BUILT_FROM_SDK.into(),
        None => bail!("--sdk is needed: the path of Quire's plugins-sdk folder"),
    };
    let sdk = sdk
        .canonicalize()
        .with_context(|| format!("--sdk {}", sdk.display()))?;
    anyhow::ensure!(
        std::fs::read_to_string(sdk.join("Cargo.toml"))
            .is_ok_and(|manifest| manifest.contains("name = \"quire-plugins-sdk\"")),
        "--sdk {}: not Quire's plugins-sdk (no Cargo.toml naming quire-plugins-sdk)",
        sdk.display()
    );
    let sdk = sdk
        .to_str()
        .with_context(|| format!("--sdk {}: the path is not UTF-8", sdk.display()))?;
    let crate_name = format!("{name}-strategy");
    let replacements = [
        ("{{crate}}", crate_name.as_str()),
        ("{{lib}}", &crate_name.replace('-', "_")),
        ("{{name}}", name),
        ("{{type}}", &type_name(name)),
        ("{{sdk}}", sdk),
    ];
    for (path, template) in FILES {
        let mut text = (*template).to_owned();
        for (placeholder, value) in &replacements {
            text = text.replace(placeholder, value);
        }
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap_or(&dir))
            .and_then(|()| std::fs::write(&path, text))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(dir)
}

/// Strategy names are what the registry, the API and agents key on: one
/// lower-case word or several joined by hyphens.
fn check_name(name: &str) -> anyhow::Result<()> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
        && !name.contains("--");
    anyhow::ensure!(
        valid,
        "{name:?} is no strategy name: use lower-case letters, digits and single hyphens, starting with a letter (acme-laser)"
    );
    Ok(())
}

/// `acme-laser` → `AcmeLaser`.
fn type_name(name: &str) -> String {
    name.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_case_words_joined_by_single_hyphens() {
        for good in ["acme", "acme-laser", "hp2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "Acme",
            "2acme",
            "acme-",
            "acme--laser",
            "acme_laser",
            "acme laser",
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(type_name("acme-laser"), "AcmeLaser");
    }
}
