//! The whole stack in one call: the server with CloudWatch Logs and SQS, the template's functions on the
//! Lambda service, Step Functions and EventBridge wired to each other, and everything a previous run left
//! unfinished resumed. `serve`, the tools built on this library and the whole-flow tests all start the stack through here.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use crate::clock::SharedClock;
use crate::faults::{
    DelayedInvoker, DelayedPublisher, DelayedService, DelayedStarter, FaultControl,
    FaultPlanDocument, Namespace, ServiceDelays, delay_layer,
};
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
    /// The fault plan given at start (`serve --faults`) was refused.
    #[error("fault plan: {0}")]
    Faults(String),
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
pub struct Stack {
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
    /// Injected faults (also served as `/_local/faults`).
    pub faults: Arc<FaultControl>,
}

impl Stack {
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
        let store = running.stack.store.clone();
        let served = running.run_until_signal().await;
        stepfunctions.shutdown();
        events.stop();
        lambda.shutdown().await;
        store.close().await;
        served
    }

    /// Stops accepting requests, then the services, then closes the store: state stays in the
    /// state directory, and when this returns another stack can open it.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let store = self.running.stack.store.clone();
        let served = self.running.shutdown().await;
        self.stepfunctions.shutdown();
        self.events.stop();
        self.lambda.shutdown().await;
        store.close().await;
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
) -> Result<Stack, StartError> {
    start_with_faults(config, clock, template, locator, lambda_config, None).await
}

/// Starts the whole stack with `faults` in force before any unfinished work resumes
/// (`serve --faults FILE.json`).
pub async fn start_with_faults(
    config: ServerConfig,
    clock: SharedClock,
    template: Option<TemplateSource>,
    locator: &BinaryLocator,
    lambda_config: LambdaConfig,
    faults: Option<FaultPlanDocument>,
) -> Result<Stack, StartError> {
    let options = StartOptions {
        faults,
        ..StartOptions::default()
    };
    start_with_options(config, clock, template, locator, lambda_config, options).await
}

/// What the stack starts with besides its configuration and template.
#[derive(Debug, Default)]
pub struct StartOptions {
    /// Faults in force before any unfinished work resumes (`serve --faults FILE.json`).
    pub faults: Option<FaultPlanDocument>,
    /// Step Functions Local's mock configuration (`serve --mock-config FILE`): its test cases run
    /// with `StartExecution` on `ARN#TestCase`, executions resumed from the store included.
    pub mock_config: Option<crate::services::stepfunctions::mocks::MockConfig>,
}

/// Starts the whole stack with [`StartOptions`].
pub async fn start_with_options(
    config: ServerConfig,
    clock: SharedClock,
    template: Option<TemplateSource>,
    locator: &BinaryLocator,
    lambda_config: LambdaConfig,
    options: StartOptions,
) -> Result<Stack, StartError> {
    let StartOptions {
        faults,
        mut mock_config,
    } = options;
    // Step Functions publishes through EventBridge and EventBridge starts executions: each gets a
    // handle to the other that is bound once both exist.
    let publisher: Arc<LateBound<dyn EventPublisher>> = Arc::new(LateBound::new());
    let starter: Arc<LateBound<dyn ExecutionStarter>> = Arc::new(LateBound::new());
    // Service delays sit in front of each service and in the calls the services make to each
    // other (see `faults::delay`).
    let delays = Arc::new(ServiceDelays::default());
    let mut parts = None;
    let running = server::start(config, clock, template, |stack| {
        let clock = &stack.clock;
        let (lambda, notes) = start_lambda(stack, locator, lambda_config);
        let stepfunctions = StepFunctionsService::with_invoker(
            Arc::clone(stack),
            Arc::new(DelayedInvoker::new(
                Arc::new(lambda.clone()),
                &delays,
                clock,
            )),
            Arc::new(DelayedPublisher::new(
                Arc::clone(&publisher) as Arc<dyn EventPublisher>,
                &delays,
                clock,
            )),
        );
        let events = EventsService::new(
            Arc::clone(stack),
            lambda.clone(),
            Arc::new(DelayedStarter::new(
                Arc::clone(&starter) as Arc<dyn ExecutionStarter>,
                &delays,
                clock,
            )),
        );
        if let Some(mocks) = mock_config.take() {
            stepfunctions.set_mock_config(mocks);
        }
        publisher.bind(Arc::clone(&events) as Arc<dyn EventPublisher>);
        starter.bind(Arc::clone(&stepfunctions) as Arc<dyn ExecutionStarter>);
        let control = FaultControl::new(
            Arc::clone(stack),
            lambda.clone(),
            Arc::clone(events.faults()),
            Arc::clone(&delays),
        );
        let rest = delay_layer(
            crate::lambda::router(lambda.clone()),
            Namespace::Lambda,
            &delays,
            clock,
        )
        .merge(crate::faults::api::router(Arc::clone(&control)));
        // Logs and SQS are registered by the server too; these replace them by target prefix.
        let services: Vec<Arc<dyn crate::protocol::JsonService>> = vec![
            Arc::clone(&stepfunctions) as _,
            Arc::clone(&events) as _,
            Arc::clone(&stack.logs) as _,
            Arc::clone(&stack.sqs) as _,
        ]
        .into_iter()
        .map(|service| DelayedService::wrap(service, &delays, clock))
        .collect();
        let lambda_front = crate::lambda::LambdaFront::of(&lambda);
        parts = Some((lambda, stepfunctions, events, notes, control));
        Extensions {
            services,
            rest: Some(rest),
            rest_fronts: vec![
                (crate::lambda::PATH_PREFIX, lambda_front),
                (
                    crate::faults::api::FAULTS_PATH,
                    Arc::new(crate::faults::api::ControlFront),
                ),
            ],
        }
    })
    .await?;
    let Some((lambda, stepfunctions, events, mut notes, control)) = parts else {
        // `server::start` calls the closure before it returns Ok.
        unreachable!("server::start returned without building the services")
    };
    if let Some(plan) = &faults {
        if let Err(e) = control.apply(plan).await {
            let store = running.stack.store.clone();
            let _ = running.shutdown().await;
            stepfunctions.shutdown();
            events.stop();
            lambda.shutdown().await;
            store.close().await;
            return Err(StartError::Faults(e.to_string()));
        }
        notes.push("fault plan applied (GET /_local/faults lists it)".to_owned());
    }
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
    Ok(Stack {
        running,
        lambda,
        stepfunctions,
        events,
        notes,
        faults: control,
    })
}

/// The cargo profile the stack builds the functions with (`target/<profile>/`): optimised like the
/// stack itself, so `cargo run --profile stack` shares the dependencies it already compiled.
pub const FUNCTIONS_PROFILE: &str = "stack";

/// Builds the template's functions (`cargo build --profile stack --bin <binary> ...`) in the workspace
/// of the template. Cargo only rebuilds what changed.
pub fn build_functions(template_dir: &Path, model: &StackModel) -> Result<(), String> {
    build_functions_with_profile(template_dir, model, FUNCTIONS_PROFILE)
}

/// [`build_functions`] with another cargo profile (tests use `dev`: the binaries the workspace's
/// test build already made, in `target/debug/`).
pub fn build_functions_with_profile(
    template_dir: &Path,
    model: &StackModel,
    profile: &str,
) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command
        .current_dir(template_dir)
        .args(["build", "--profile", profile]);
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

fn describe(error: &crate::protocol::error::AwsError) -> String {
    match &error.message {
        Some(message) => format!("{}: {message}", error.code),
        None => error.code.clone(),
    }
}
