//! The README's first command, as a user runs it: `kyc-local demo` from the repository root, with
//! the default (relative) `--template template.yaml`. It builds the functions (`cargo build
//! --profile stack`, nothing when they are built), serves the stack, sends every scenario of
//! `events/`, plays the reviewer, and must exit 0 with every application at its expected terminal
//! event.

use std::path::Path;
use std::process::Command;

#[test]
fn the_readme_demo_runs_the_whole_flow_from_the_repository_root() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(env!("CARGO_BIN_EXE_kyc-local"))
        .current_dir(&root)
        .arg("demo")
        .output()
        .expect("run kyc-local demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "kyc-local demo exited with {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("3 malformed entries refused per entry; every application reached its expected terminal event"),
        "{stdout}"
    );
    // One table row per application, each ending in `ok`: the sample's two applicants, approved,
    // the two identity declines, the risk decline, the review, the four invalid applications, the
    // review left to time out, and the two good entries of the mixed call.
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" SUCCEEDED ") && l.trim_end().ends_with("ok"))
        .collect();
    assert_eq!(rows.len(), 14, "{stdout}");
    for (application, decision) in [
        ("app-1001", "New account approved"),
        ("app-2002", "New account declined"),
        ("app-4001", "New account declined"),
        ("app-3001", "New account approved"),
        ("app-3002", "New account declined"),
        ("app-5001", "New account declined"),
    ] {
        assert!(
            rows.iter()
                .any(|r| r.starts_with(application) && r.contains(decision)),
            "{application}: {decision}\n{stdout}"
        );
    }
}
