//! The project's template mutated the ways a wiring goes wrong, written to a temporary directory.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A directory holding the project's `template.yaml` with `replace` applied (each pair must match
/// exactly once) and a copy of `statemachine/`; the template's path.
pub fn mutated_template(replace: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    for (from, to) in replace {
        assert_eq!(
            text.matches(from).count(),
            1,
            "expected once in template.yaml: {from}"
        );
        text = text.replace(from, to);
    }
    let dir = std::env::temp_dir().join(format!(
        "kyc-permissions-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(dir.join("statemachine")).unwrap();
    std::fs::copy(
        repo_root().join("statemachine/kyc.asl.yaml"),
        dir.join("statemachine/kyc.asl.yaml"),
    )
    .unwrap();
    std::fs::write(dir.join("template.yaml"), text).unwrap();
    dir.join("template.yaml")
}

/// The mutation that removes the state machine's permission to invoke the risk profile.
pub const NO_RISK_INVOKE: (&str, &str) = (
    "        - LambdaInvokePolicy:\n            FunctionName: !Ref RiskProfileFunction\n",
    "",
);

/// The log-group policy as the project first had it: the rule condition on CreateLogStream too.
pub const OLD_LOG_POLICY: (&str, &str) = (
    r#"            {
              "Sid": "EventBridgeCreatesStreams",
              "Effect": "Allow",
              "Principal": { "Service": "events.amazonaws.com" },
              "Action": "logs:CreateLogStream",
              "Resource": ["${AccountsLogGroup.Arn}", "${CustomerServiceLogGroup.Arn}"]
            },
            {
              "Sid": "KycRulesPutEvents",
              "Effect": "Allow",
              "Principal": { "Service": "events.amazonaws.com" },
              "Action": "logs:PutLogEvents","#,
    r#"            {
              "Sid": "EventBridgeToKycLogGroups",
              "Effect": "Allow",
              "Principal": { "Service": ["events.amazonaws.com", "delivery.logs.amazonaws.com"] },
              "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],"#,
);

/// The mutation that removes the intake's permission to start the workflow.
pub const NO_START_EXECUTION: (&str, &str) = (
    "      Policies:\n        - StepFunctionsExecutionPolicy:\n            StateMachineName: !GetAtt KycStateMachine.Name\n",
    "",
);

/// A second target on the accounts rule: the intake function, with no Lambda permission for that
/// rule (SAM generates one only for the function's own event rule).
pub const INTAKE_TARGET_WITHOUT_PERMISSION: (&str, &str) = (
    "        - Id: accounts-log-group\n",
    "        - Id: intake-too\n          Arn: !GetAtt ApplicationIntakeFunction.Arn\n          DeadLetterConfig:\n            Arn: !GetAtt RuleTargetDeadLetterQueue.Arn\n        - Id: accounts-log-group\n",
);

/// The callback completer with a declared role that has no policy at all.
pub const COMPLETER_ROLE_WITHOUT_POLICIES: [(&str, &str); 2] = [
    (
        "      CodeUri: functions/callback-completer\n",
        "      CodeUri: functions/callback-completer\n      Role: !GetAtt CompleterRole.Arn\n",
    ),
    (
        "  StatusChangeLoggerFunction:\n    Type: AWS::Serverless::Function\n",
        "  CompleterRole:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Principal: {Service: lambda.amazonaws.com}\n            Action: sts:AssumeRole\n\n  StatusChangeLoggerFunction:\n    Type: AWS::Serverless::Function\n",
    ),
];

/// The state machine may put events on another bus only.
pub const PUT_EVENTS_ON_ANOTHER_BUS: (&str, &str) = (
    "        - EventBridgePutEventsPolicy:\n            EventBusName: !Ref KycEventBus\n",
    "        - EventBridgePutEventsPolicy:\n            EventBusName: default\n",
);
