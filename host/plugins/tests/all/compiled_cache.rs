//! Compiled components kept on disk between runs: a second host takes them from
//! there instead of compiling, reads the same, and recompiles what it cannot trust.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use quire_model::{Cycle, Reading};
use quire_plugins::{Host, HostConfig};

use crate::{device, guest};

fn host_keeping_in(dir: &Path) -> Host {
    Host::new(HostConfig {
        compiled_cache_dir: Some(dir.to_path_buf()),
        ..HostConfig::default()
    })
    .unwrap()
}

/// Loads the hostile guest and reads a well-behaved device with it; the reading and
/// the host's (taken from disk, compiled and kept) counts.
async fn read_with(host: &Host) -> (Reading, (usize, usize)) {
    let plugin = host.load(&guest("quire_guest_hostile")).await.unwrap();
    let reading = plugin
        .collect(device("ok"), Cycle::MetersAndSupplies)
        .await
        .unwrap();
    (reading, host.compiled_cache_counts())
}

/// Every file under `dir`, at any depth.
fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test]
async fn a_second_host_takes_the_compiled_component_from_disk_and_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("compiled");

    let (first, counts) = read_with(&host_keeping_in(&cache)).await;
    assert_eq!(counts, (0, 1), "the first host compiles and keeps it");
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "the directory is its user's alone");
    assert!(
        !files(&cache).is_empty(),
        "nothing was written to {cache:?}"
    );

    let (second, counts) = read_with(&host_keeping_in(&cache)).await;
    assert_eq!(counts, (1, 0), "the second host compiles nothing");
    assert_eq!(second, first);
}

#[tokio::test]
async fn a_damaged_cache_file_is_compiled_again() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("compiled");
    let (first, _) = read_with(&host_keeping_in(&cache)).await;
    for file in files(&cache) {
        std::fs::write(&file, b"not compiled code").unwrap();
    }

    let (again, counts) = read_with(&host_keeping_in(&cache)).await;
    assert_eq!(counts, (0, 1), "the damaged file is replaced, not run");
    assert_eq!(again, first);
}

#[tokio::test]
async fn a_directory_others_may_write_to_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();

    let (_, counts) = read_with(&host_keeping_in(dir.path())).await;
    assert_eq!(counts, (0, 0));
    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
}
