//! The MIB name table the walk reader embeds is exactly what
//! `scripts/mib-names` makes from the MIB texts in `host/snmp/mibs` with
//! net-snmp's `snmptranslate` (installed by `scripts/install-test-peers`), so
//! a MIB added or changed without regenerating the table fails here.

use std::path::Path;
use std::process::Command;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

#[test]
fn the_committed_table_is_what_the_generator_makes_from_the_mibs() {
    let run = Command::new(Path::new(ROOT).join("scripts/mib-names"))
        .arg("--stdout")
        .output()
        .expect("scripts/mib-names runs (python3 and net-snmp's snmptranslate: scripts/install-test-peers)");
    assert!(
        run.status.success(),
        "scripts/mib-names failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let generated = String::from_utf8(run.stdout).unwrap();
    let committed =
        std::fs::read_to_string(Path::new(ROOT).join("host/snmp/src/recording/mib_names.tsv"))
            .unwrap();
    let mut generated_rows = generated.lines();
    let mut committed_rows = committed.lines();
    for row in 1.. {
        match (committed_rows.next(), generated_rows.next()) {
            (None, None) => break,
            (c, g) => assert_eq!(
                c, g,
                "mib_names.tsv row {row} differs from what scripts/mib-names makes; run it again"
            ),
        }
    }
}
