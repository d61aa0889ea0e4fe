//! `kyc-local fault ...`: the control API from the command line.
//!
//! ```text
//! kyc-local fault lambda IdentityCheckFunction --crash --count 3
//! kyc-local fault lambda kyc-identity-check --error Retryable:"downstream 503" --rate 0.5
//! kyc-local fault lambda kyc-risk-profile --timeout --count 1
//! kyc-local fault target kyc-kyc-events-to-accounts accounts-log-group --count 5
//! kyc-local fault delay stepfunctions --ms 200 --jitter-ms 50
//! kyc-local fault load plan.json
//! kyc-local fault list
//! kyc-local fault clear [ID]
//! ```

use std::path::PathBuf;

use serde_json::{Value, json};

use emulator::faults::FaultPlanDocument;
use emulator::faults::client::FaultClient;

/// `kyc-local fault`.
#[derive(Debug, clap::Args)]
pub struct FaultArgs {
    /// The running kyc-local.
    #[arg(
        long,
        global = true,
        default_value = "http://127.0.0.1:4566",
        env = "AWS_ENDPOINT_URL"
    )]
    pub endpoint_url: String,
    /// What to do.
    #[command(subcommand)]
    pub command: FaultCommand,
}

/// The subcommands of `kyc-local fault`.
#[derive(Debug, clap::Subcommand)]
pub enum FaultCommand {
    /// Make a function fail, crash, time out or be throttled (name, template logical id or ARN).
    Lambda(LambdaFaultArgs),
    /// Make a rule's target fail its deliveries (the retry policy and dead-letter queue take over).
    Target(TargetFaultArgs),
    /// Add latency to every request of one service (stepfunctions, events, logs, lambda, sqs).
    Delay(DelayArgs),
    /// Add every fault of a plan file (the JSON of POST /_local/faults and `serve --faults`).
    Load {
        /// The plan file.
        file: PathBuf,
    },
    /// List the faults in force.
    List,
    /// Clear one fault (by id) or all of them.
    Clear {
        /// The id `list` shows; without it, every fault.
        id: Option<u64>,
    },
}

/// How a function fails.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct LambdaFaultKind {
    /// An unhandled error: `TYPE` or `TYPE:MESSAGE` (e.g. `Retryable:"downstream 503"`).
    #[arg(long, value_name = "TYPE[:MESSAGE]")]
    pub error: Option<String>,
    /// The function's process is killed during the invocation (Runtime.ExitError).
    #[arg(long)]
    pub crash: bool,
    /// The invocation times out (Sandbox.Timedout).
    #[arg(long)]
    pub timeout: bool,
    /// Invoke is refused with TooManyRequestsException.
    #[arg(long)]
    pub throttle: bool,
}

/// When a fault fires.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct TriggerArgs {
    /// The next N attempts.
    #[arg(long, value_name = "N")]
    pub count: Option<u32>,
    /// A share of attempts, 0 < R <= 1 (1: every attempt).
    #[arg(long, value_name = "R")]
    pub rate: Option<f64>,
}

/// `kyc-local fault lambda`.
#[derive(Debug, clap::Args)]
pub struct LambdaFaultArgs {
    /// Function name, template logical id or ARN.
    pub function: String,
    #[command(flatten)]
    pub kind: LambdaFaultKind,
    #[command(flatten)]
    pub trigger: TriggerArgs,
}

/// `kyc-local fault target`.
#[derive(Debug, clap::Args)]
pub struct TargetFaultArgs {
    /// Rule name or template logical id.
    pub rule: String,
    /// Target Id.
    pub target_id: String,
    /// Event bus of the rule (only needed when several buses have a rule of that name).
    #[arg(long)]
    pub bus: Option<String>,
    #[command(flatten)]
    pub trigger: TriggerArgs,
    /// ERROR_CODE of the dead-letter message (default ThrottlingException).
    #[arg(long)]
    pub error_code: Option<String>,
    /// ERROR_MESSAGE of the dead-letter message.
    #[arg(long)]
    pub error_message: Option<String>,
    /// Skip the retry policy: the first failure sends the event to the dead-letter queue.
    #[arg(long)]
    pub non_retryable: bool,
}

/// `kyc-local fault delay`.
#[derive(Debug, clap::Args)]
pub struct DelayArgs {
    /// stepfunctions, events, logs, lambda or sqs.
    pub service: String,
    /// Added latency in milliseconds.
    #[arg(long)]
    pub ms: u64,
    /// Up to this many more milliseconds, drawn per request.
    #[arg(long)]
    pub jitter_ms: Option<u64>,
}

/// The HTTP call a command makes.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultRequest {
    /// `POST /_local/faults` with this plan.
    Add(Value),
    /// `GET /_local/faults`.
    List,
    /// `DELETE /_local/faults[/{id}]`.
    Clear(Option<u64>),
}

fn trigger_json(trigger: &TriggerArgs, into: &mut Value) {
    if let Some(n) = trigger.count {
        into["count"] = json!(n);
    }
    if let Some(r) = trigger.rate {
        into["rate"] = json!(r);
    }
}

/// The request of a command. The server validates the plan; this only reads the files and flags.
pub fn request(command: &FaultCommand) -> Result<FaultRequest, String> {
    Ok(match command {
        FaultCommand::Lambda(args) => {
            let mut fault = json!({"function": args.function});
            let kind = &args.kind;
            if let Some(error) = &kind.error {
                let (error_type, message) = match error.split_once(':') {
                    Some((t, m)) => (t, Some(m)),
                    None => (error.as_str(), None),
                };
                fault["fault"] = json!("error");
                fault["errorType"] = json!(error_type);
                if let Some(message) = message {
                    fault["errorMessage"] = json!(message);
                }
            } else if kind.crash {
                fault["fault"] = json!("crash");
            } else if kind.timeout {
                fault["fault"] = json!("timeout");
            } else {
                fault["fault"] = json!("throttle");
            }
            trigger_json(&args.trigger, &mut fault);
            FaultRequest::Add(json!({ "lambda": [fault] }))
        }
        FaultCommand::Target(args) => {
            let mut fault = json!({"rule": args.rule, "targetId": args.target_id});
            if let Some(bus) = &args.bus {
                fault["bus"] = json!(bus);
            }
            trigger_json(&args.trigger, &mut fault);
            if let Some(code) = &args.error_code {
                fault["errorCode"] = json!(code);
            }
            if let Some(message) = &args.error_message {
                fault["errorMessage"] = json!(message);
            }
            if args.non_retryable {
                fault["retryable"] = json!(false);
            }
            FaultRequest::Add(json!({ "targets": [fault] }))
        }
        FaultCommand::Delay(args) => {
            let mut delay = json!({"service": args.service, "ms": args.ms});
            if let Some(jitter) = args.jitter_ms {
                delay["jitterMs"] = json!(jitter);
            }
            FaultRequest::Add(json!({ "delays": [delay] }))
        }
        FaultCommand::Load { file } => {
            let plan = read_plan(file)?;
            FaultRequest::Add(serde_json::to_value(&plan).map_err(|e| e.to_string())?)
        }
        FaultCommand::List => FaultRequest::List,
        FaultCommand::Clear { id } => FaultRequest::Clear(*id),
    })
}

/// Reads and checks a plan file (`serve --faults`, `fault load`).
pub fn read_plan(file: &std::path::Path) -> Result<FaultPlanDocument, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
    FaultPlanDocument::from_slice(&bytes).map_err(|e| format!("{}: {e}", file.display()))
}

/// Runs `kyc-local fault ...`: prints the answer (pretty JSON) on stdout.
pub async fn run(args: FaultArgs) -> Result<(), String> {
    let client = FaultClient::new(args.endpoint_url.clone());
    let answer = match request(&args.command)? {
        FaultRequest::Add(plan) => client.add(&plan).await,
        FaultRequest::List => client.list().await,
        FaultRequest::Clear(id) => client.clear(id).await,
    }
    .map_err(|e| e.to_string())?;
    println!(
        "{}",
        serde_json::to_string_pretty(&answer).unwrap_or_else(|_| answer.to_string())
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        fault: FaultArgs,
    }

    fn parse(args: &[&str]) -> Result<FaultRequest, String> {
        let cli = Cli::try_parse_from(std::iter::once("fault").chain(args.iter().copied()))
            .map_err(|e| e.kind().to_string())?;
        request(&cli.fault.command)
    }

    #[test]
    fn lambda_flags_become_a_plan() {
        assert_eq!(
            parse(&["lambda", "IdentityCheckFunction", "--crash", "--count", "3"]),
            Ok(FaultRequest::Add(json!({"lambda": [
                {"function": "IdentityCheckFunction", "fault": "crash", "count": 3}
            ]})))
        );
        assert_eq!(
            parse(&[
                "lambda",
                "kyc-identity-check",
                "--error",
                "Retryable:downstream 503: busy",
                "--rate",
                "0.5"
            ]),
            Ok(FaultRequest::Add(json!({"lambda": [
                {"function": "kyc-identity-check", "fault": "error", "errorType": "Retryable",
                 "errorMessage": "downstream 503: busy", "rate": 0.5}
            ]})))
        );
        assert_eq!(
            parse(&["lambda", "f", "--timeout", "--count", "1"]),
            Ok(FaultRequest::Add(
                json!({"lambda": [{"function": "f", "fault": "timeout", "count": 1}]})
            ))
        );
        assert_eq!(
            parse(&["lambda", "f", "--error", "Oops", "--count", "1"]),
            Ok(FaultRequest::Add(
                json!({"lambda": [{"function": "f", "fault": "error", "errorType": "Oops", "count": 1}]})
            ))
        );
    }

    #[test]
    fn lambda_flags_need_one_kind_and_one_trigger() {
        let conflict = clap::error::ErrorKind::ArgumentConflict.to_string();
        let missing = clap::error::ErrorKind::MissingRequiredArgument.to_string();
        assert_eq!(
            parse(&["lambda", "f", "--crash", "--timeout", "--count", "1"]),
            Err(conflict.clone())
        );
        assert_eq!(
            parse(&["lambda", "f", "--crash", "--count", "1", "--rate", "0.5"]),
            Err(conflict)
        );
        assert_eq!(
            parse(&["lambda", "f", "--count", "1"]),
            Err(missing.clone())
        );
        assert_eq!(parse(&["lambda", "f", "--crash"]), Err(missing));
        assert_eq!(
            parse(&["lambda", "f", "--crash", "--count", "-2"]),
            Err(clap::error::ErrorKind::UnknownArgument.to_string())
        );
    }

    #[test]
    fn target_delay_list_clear() {
        assert_eq!(
            parse(&[
                "target",
                "rule-a",
                "t1",
                "--count",
                "5",
                "--error-code",
                "AccessDeniedException",
                "--non-retryable",
                "--bus",
                "CentralEventBus"
            ]),
            Ok(FaultRequest::Add(json!({"targets": [
                {"rule": "rule-a", "targetId": "t1", "bus": "CentralEventBus", "count": 5,
                 "errorCode": "AccessDeniedException", "retryable": false}
            ]})))
        );
        assert_eq!(
            parse(&["delay", "stepfunctions", "--ms", "200"]),
            Ok(FaultRequest::Add(
                json!({"delays": [{"service": "stepfunctions", "ms": 200}]})
            ))
        );
        assert_eq!(
            parse(&["delay", "sqs", "--ms", "5", "--jitter-ms", "10"]),
            Ok(FaultRequest::Add(
                json!({"delays": [{"service": "sqs", "ms": 5, "jitterMs": 10}]})
            ))
        );
        assert_eq!(parse(&["list"]), Ok(FaultRequest::List));
        assert_eq!(parse(&["clear"]), Ok(FaultRequest::Clear(None)));
        assert_eq!(parse(&["clear", "7"]), Ok(FaultRequest::Clear(Some(7))));
    }

    #[test]
    fn load_reads_and_checks_the_file() {
        let dir = std::env::temp_dir().join(format!("kyc-faults-cli-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.json");
        std::fs::write(
            &good,
            r#"{"delays": [{"service": "logs", "ms": 1}], "lambda": []}"#,
        )
        .unwrap();
        assert_eq!(
            parse(&["load", good.to_str().unwrap()]),
            Ok(FaultRequest::Add(json!({
                "lambda": [], "targets": [], "delays": [{"service": "logs", "ms": 1}]
            })))
        );
        let bad = dir.join("bad.json");
        std::fs::write(&bad, r#"{"delays": [{"service": "logs"}]}"#).unwrap();
        assert_eq!(
            parse(&["load", bad.to_str().unwrap()]),
            Err(format!("{}: delays[0]: missing field `ms`", bad.display()))
        );
        let missing = dir.join("missing.json");
        assert!(
            parse(&["load", missing.to_str().unwrap()])
                .unwrap_err()
                .starts_with(&format!("reading {}: ", missing.display()))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
