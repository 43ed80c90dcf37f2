//! The key SNMP secrets are sealed with in the database (see `quire-store`'s
//! `secrets.rs`): a file beside the TLS key, 0600, so a copied database or dump alone
//! reveals no community or v3 password. Several server processes on one PostgreSQL must
//! share it: they are given one file with `--secrets-key FILE`; a server's own data
//! directory holds one generated on its first start otherwise.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use quire_store::{SECRETS_KEY_LEN, SecretsKey};

use crate::error::{Error, Result};

/// The generated key's file name in the data directory.
pub(crate) const GENERATED_SECRETS_KEY: &str = "secrets.key";

/// The key at `configured`, or in `data_dir` (generated there if `generate` and missing).
/// `None` when neither exists and nothing may be generated: a tool that only reads
/// readings needs no key.
pub(crate) fn secrets_key(
    data_dir: &Path,
    configured: Option<&Path>,
    generate: bool,
) -> Result<Option<SecretsKey>> {
    let path = match configured {
        Some(path) => return read(path).map(Some),
        None => data_dir.join(GENERATED_SECRETS_KEY),
    };
    if path.is_file() {
        return read(&path).map(Some);
    }
    if !generate {
        return Ok(None);
    }
    let bytes = SecretsKey::generate();
    write_private(&path, &format!("{}\n", STANDARD.encode(bytes)))?;
    Ok(Some(SecretsKey::new(&bytes)))
}

fn read(path: &Path) -> Result<SecretsKey> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let bytes = STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; SECRETS_KEY_LEN]>::try_from(bytes).ok())
        .ok_or_else(|| {
            Error::Config(format!(
                "{}: a secrets key is {SECRETS_KEY_LEN} bytes in base64 on one line",
                path.display()
            ))
        })?;
    Ok(SecretsKey::new(&bytes))
}

/// Writes `text` to a new file at `path` readable by its owner alone from the start.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_private_and_read_back_and_a_bad_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        assert!(secrets_key(dir.path(), None, false).unwrap().is_none());
        assert!(secrets_key(dir.path(), None, true).unwrap().is_some());
        let path = dir.path().join(GENERATED_SECRETS_KEY);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let first = std::fs::read_to_string(&path).unwrap();
        assert!(secrets_key(dir.path(), None, true).unwrap().is_some());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            first,
            "kept, not replaced"
        );

        let bad = dir.path().join("bad.key");
        std::fs::write(&bad, "c2hvcnQ=\n").unwrap();
        let refused = secrets_key(dir.path(), Some(&bad), true)
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("bad.key") && refused.contains("32 bytes"),
            "{refused}"
        );
    }
}
