//! `serve --mock-config FILE` (or `SFN_MOCK_CONFIG=FILE`): Step Functions Local's mock
//! configuration, read and validated before anything starts; see
//! `emulator::services::stepfunctions::mocks` for the format and what it does.

use std::collections::BTreeMap;
use std::path::Path;

use emulator::services::stepfunctions::mocks::MockConfig;

/// Reads and validates the mock configuration at `file`; the error says where the file is wrong.
pub fn read_mock_config(file: &Path) -> Result<MockConfig, String> {
    MockConfig::load(file).map_err(|e| format!("{} ({})", e, file.display()))
}

/// The banner's lines about a mock configuration: its test cases by state machine.
pub fn describe(file: &Path, config: &MockConfig) -> Vec<String> {
    let mut by_machine: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (machine, case) in config.test_cases() {
        by_machine.entry(machine).or_default().push(case);
    }
    let mut lines = vec![format!(
        "mock configuration {}: start-execution --state-machine-arn <ARN>#<TestCase> runs a test case",
        file.display()
    )];
    for (machine, cases) in by_machine {
        lines.push(format!(
            "  state machine {machine}: test cases {}",
            cases.join(", ")
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_bad_file_is_refused_with_its_place_and_name() {
        let dir = std::env::temp_dir().join(format!("kyc-mocks-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.json");
        std::fs::write(
            &file,
            r#"{"StateMachines": {"M": {"TestCases": {"T": {"S": "Missing"}}}}, "MockedResponses": {}}"#,
        )
        .unwrap();
        let e = read_mock_config(&file).unwrap_err();
        assert!(
            e.starts_with("mock configuration: StateMachines.M.TestCases.T.S: names the mocked response 'Missing'"),
            "{e}"
        );
        assert!(e.ends_with(&format!("({})", file.display())), "{e}");
        let good = dir.join("good.json");
        std::fs::write(
            &good,
            r#"{"StateMachines": {"M": {"TestCases": {"B": {}, "A": {"S": "R"}}}}, "MockedResponses": {"R": {"0": {"Return": {}}}}}"#,
        )
        .unwrap();
        let config = read_mock_config(&good).unwrap();
        let lines = describe(&good, &config);
        assert_eq!(lines[1], "  state machine M: test cases A, B");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
