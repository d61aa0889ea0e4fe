//! The whole stack in one call: the server with CloudWatch Logs and SQS, the template's functions on the
//! Lambda service, Step Functions and EventBridge wired to each other, and everything a previous run left
//! unfinished resumed. `serve`, `demo` and the whole-flow tests all start the stack through here.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use crate::clock::SharedClock;
use crate::demo::DemoTargets;
use crate::functions::{BinaryLocator, start_lambda};
use crate::lambda::{LambdaConfig, LambdaService};
use crate::server::{self, Extensions, RunningServer, ServerConfig, ServerError, TemplateSource};
use crate::services::bridge::{EventPublisher, ExecutionStarter, LateBound};
use crate::services::events::EventsService;
use crate::services::stepfunctions::StepFunctionsService;
use crate::template::StackModel;

/// Why the stack did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding, the store or the template.
    #[error(transparent)]
    Server(#[from] ServerError),
    /// Resuming the work a previous run left.
    #[error("resuming {service}: {message}")]
    Resume {
        /// `EventBridge` or `Step Functions`.
        service: &'static str,
        /// The AWS-shaped error's message.
        message: String,
    },
}

/// A running stack and its services.
pub struct KycStack {
    /// The listener and the shared state (store, logs, SQS, template).
    pub running: RunningServer,
    /// Function processes.
    pub lambda: LambdaService,
    /// Step Functions.
    pub stepfunctions: Arc<StepFunctionsService>,
    /// EventBridge.
    pub events: Arc<EventsService>,
    /// What the user should know (missing function binaries, resumed work).
    pub notes: Vec<String>,
}

impl KycStack {
    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> &str {
        self.running.endpoint()
    }

    /// The loaded template, if any.
    pub fn template(&self) -> Option<&StackModel> {
        self.running.stack.template.as_deref()
    }

    /// Serves until SIGINT / SIGTERM, then stops everything.
    pub async fn run_until_signal(self) -> std::io::Result<()> {
        let Self {
            running,
            lambda,
            stepfunctions,
            events,
            ..
        } = self;
        let served = running.run_until_signal().await;
        stepfunctions.shutdown();
        events.stop();
        lambda.shutdown().await;
        served
    }

    /// Stops accepting requests, then the services; state stays in the store.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let served = self.running.shutdown().await;
        self.stepfunctions.shutdown();
        self.events.stop();
        self.lambda.shutdown().await;
        served
    }
}

/// Starts the whole stack.
pub async fn start(
    config: ServerConfig,
    clock: SharedClock,
    template: Option<TemplateSource>,
    locator: &BinaryLocator,
    lambda_config: LambdaConfig,
) -> Result<KycStack, StartError> {
    // Step Functions publishes through EventBridge and EventBridge starts executions: each gets a
    // handle to the other that is bound once both exist.
    let publisher: Arc<LateBound<dyn EventPublisher>> = Arc::new(LateBound::new());
    let starter: Arc<LateBound<dyn ExecutionStarter>> = Arc::new(LateBound::new());
    let mut parts = None;
    let running = server::start(config, clock, template, |stack| {
        let (lambda, notes) = start_lambda(stack, locator, lambda_config);
        let stepfunctions = StepFunctionsService::new(
            Arc::clone(stack),
            lambda.clone(),
            Arc::clone(&publisher) as Arc<dyn EventPublisher>,
        );
        let events = EventsService::new(
            Arc::clone(stack),
            lambda.clone(),
            Arc::clone(&starter) as Arc<dyn ExecutionStarter>,
        );
        publisher.bind(Arc::clone(&events) as Arc<dyn EventPublisher>);
        starter.bind(Arc::clone(&stepfunctions) as Arc<dyn ExecutionStarter>);
        let rest = lambda.router();
        let services: Vec<Arc<dyn crate::protocol::JsonService>> =
            vec![Arc::clone(&stepfunctions) as _, Arc::clone(&events) as _];
        parts = Some((lambda, stepfunctions, events, notes));
        Extensions {
            services,
            rest: Some(rest),
        }
    })
    .await?;
    let Some((lambda, stepfunctions, events, mut notes)) = parts else {
        // `server::start` calls the closure before it returns Ok.
        unreachable!("server::start returned without building the services")
    };
    let deliveries = events.resume().await.map_err(|e| StartError::Resume {
        service: "EventBridge",
        message: describe(&e),
    })?;
    let executions = stepfunctions
        .resume()
        .await
        .map_err(|e| StartError::Resume {
            service: "Step Functions",
            message: describe(&e),
        })?;
    if deliveries > 0 {
        notes.push(format!(
            "resumed {deliveries} pending rule-target deliveries"
        ));
    }
    if executions > 0 {
        notes.push(format!("resumed {executions} running executions"));
    }
    Ok(KycStack {
        running,
        lambda,
        stepfunctions,
        events,
        notes,
    })
}

/// The cargo profile the stack builds the functions with (`target/<profile>/`): optimised like the
/// stack itself, so `cargo run --profile stack` shares the dependencies it already compiled.
pub const FUNCTIONS_PROFILE: &str = "stack";

/// Builds the template's functions (`cargo build --profile stack --bin <binary> ...`) in the workspace
/// of the template. Cargo only rebuilds what changed.
pub fn build_functions(template_dir: &Path, model: &StackModel) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command
        .current_dir(template_dir)
        .args(["build", "--profile", FUNCTIONS_PROFILE]);
    let mut any = false;
    for function in &model.functions {
        if let Some(binary) = &function.binary {
            command.args(["--bin", binary]);
            any = true;
        }
    }
    if !any {
        return Ok(());
    }
    let status = command
        .status()
        .map_err(|e| format!("running cargo to build the functions: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("building the functions failed ({status})"))
    }
}

/// The names the demo reads from the template's outputs.
pub fn demo_targets(model: &StackModel) -> Result<DemoTargets, String> {
    let output = |key: &str| -> Result<String, String> {
        model
            .outputs
            .get(key)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .ok_or_else(|| format!("the template has no output {key}"))
    };
    Ok(DemoTargets {
        accounts_log_group: output("AccountsLogGroupName")?,
        customer_service_log_group: output("CustomerServiceLogGroupName")?,
        state_machine_arn: output("StateMachineArn")?,
        event_bus_name: output("EventBusName")?,
    })
}

fn describe(error: &crate::protocol::error::AwsError) -> String {
    match &error.message {
        Some(message) => format!("{}: {message}", error.code),
        None => error.code.clone(),
    }
}
