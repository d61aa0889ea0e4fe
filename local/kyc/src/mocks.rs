//! `serve --mock-config FILE` (or `SFN_MOCK_CONFIG=FILE`): Step Functions Local's mock
//! configuration, read and validated before anything starts; see
//! `emulator::services::stepfunctions::mocks` for the format and what it does.

use std::collections::BTreeMap;
use std::path::Path;

use emulator::services::stepfunctions::mocks::MockConfig;
use emulator::template::StackModel;

/// Reads and validates the mock configuration at `file`; the error says where the file is wrong.
pub fn read_mock_config(file: &Path) -> Result<MockConfig, String> {
    MockConfig::load(file).map_err(|e| format!("{} ({})", e, file.display()))
}

/// Warnings about a mock configuration for the template's state machines: a test case mocking a
/// state that is not a Task state of the definition (the mock would never be used), a state
/// machine the template does not have (its test cases run only once one is created under that
/// name).
pub fn check_against(config: &MockConfig, model: &StackModel) -> Vec<String> {
    let mut warnings = Vec::new();
    for machine in config.state_machine_names() {
        match model.state_machines.iter().find(|m| m.name == machine) {
            None => warnings.push(format!(
                "warning: mock configuration names state machine {machine}, which the template does not have"
            )),
            Some(m) => {
                for (case, state) in config.states_not_in(machine, &m.definition) {
                    warnings.push(format!(
                        "warning: mock configuration: test case {case} of {machine} mocks '{state}', which is not a Task state of {machine} (never used)"
                    ));
                }
            }
        }
    }
    warnings
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

    #[test]
    fn the_project_mock_file_fits_the_template() {
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let config = read_mock_config(&root.join("statemachine/kyc.mock.json")).unwrap();
        let model = emulator::template::load(
            &root.join("template.yaml"),
            &emulator::template::TemplateOptions::default(),
        )
        .unwrap();
        assert_eq!(check_against(&config, &model), Vec::<String>::new());
        // A misspelt state and an unknown state machine are reported.
        let other: MockConfig = MockConfig::parse(
            r#"{"StateMachines": {"kyc-onboarding": {"TestCases": {"T": {"Check identiy": "R"}}},
                                  "nope": {"TestCases": {}}},
                "MockedResponses": {"R": {"0": {"Return": {}}}}}"#,
        )
        .unwrap();
        assert_eq!(
            check_against(&other, &model),
            vec![
                "warning: mock configuration: test case T of kyc-onboarding mocks 'Check identiy', which is not a Task state of kyc-onboarding (never used)".to_owned(),
                "warning: mock configuration names state machine nope, which the template does not have".to_owned(),
            ]
        );
    }

    #[test]
    fn describe_lists_nothing_more_than_the_cases() {
        let dir = std::env::temp_dir().join(format!("kyc-mocks-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.json");
        std::fs::write(&good, r#"{"StateMachines": {}, "MockedResponses": {}}"#).unwrap();
        let config = read_mock_config(&good).unwrap();
        assert_eq!(describe(&good, &config).len(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
