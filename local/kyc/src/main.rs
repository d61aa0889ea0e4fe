//! `kyc-local`: run the KYC stack on this machine behind the real AWS APIs.
//!
//! `kyc-local serve` loads `template.yaml`, serves Step Functions, EventBridge,
//! CloudWatch Logs, SQS and Lambda on 127.0.0.1:4566, and stops cleanly on
//! SIGINT / SIGTERM.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use emulator::assemble;
use emulator::clock::SystemClock;
use emulator::functions::BinaryLocator;
use emulator::lambda::LambdaConfig;
use emulator::server::{ServerConfig, StateLocation, TemplateSource, is_loopback};
use emulator::template::{
    DEFAULT_ACCOUNT_ID, DEFAULT_REGION, StackModel, TemplateOptions, parse_parameter_overrides,
};
use kyc_local::bench;
use kyc_local::demo::{self, AwsJsonClient, DemoTargets};

#[derive(Debug, Parser)]
#[command(
    name = "kyc-local",
    version,
    about = "The KYC stack on one machine, behind the real AWS APIs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the stack until SIGINT / SIGTERM.
    Serve(ServeArgs),
    /// Run the whole KYC flow locally: build the functions, serve the stack, send every scenario of
    /// events/, play the reviewer, print a table; exit non-zero if any application went wrong.
    Demo(DemoArgs),
    /// N KYC workflows through the whole stack (real Lambda processes) at concurrency C: throughput,
    /// latency percentiles, peak memory; exit non-zero unless each got exactly one terminal event.
    Bench(BenchArgs),
    /// Inject faults into a running kyc-local (functions, rule targets, service delays), list or
    /// clear them, through its control API (/_local/faults).
    Fault(kyc_local::fault::FaultArgs),
    /// Draw the template's state machine as a Mermaid flowchart; with --execution-arn, the states
    /// that execution entered (GetExecutionHistory of a running kyc-local) are highlighted.
    Graph(GraphArgs),
    /// Every integration the template wires (rule → target, state machine task → resource,
    /// function → its DLQ and log group, ...) with the verdict AWS's policy evaluation gives and the
    /// statement that decided; runs nothing. Exit 1 when any is denied.
    CheckPermissions(CheckPermissionsArgs),
}

#[derive(Debug, clap::Args)]
struct CheckPermissionsArgs {
    /// SAM template to check.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Template parameters, `Key=Value`.
    #[arg(long, num_args = 1..)]
    parameter_overrides: Vec<String>,
    /// Stack name (default: samconfig.toml's stack_name beside the template, else kyc-local).
    #[arg(long)]
    stack_name: Option<String>,
    /// One JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

/// Ok(true) when every integration is allowed.
fn run_check_permissions(args: CheckPermissionsArgs) -> Result<bool, String> {
    let mut options = TemplateOptions {
        parameter_overrides: parse_parameter_overrides(&args.parameter_overrides)
            .map_err(|e| e.to_string())?,
        ..TemplateOptions::default()
    };
    options.stack_name = args
        .stack_name
        .clone()
        .or_else(|| samconfig_stack_name(&args.template))
        .unwrap_or_else(|| kyc_local::STACK_NAME.to_owned());
    let model = emulator::template::load(&args.template, &options).map_err(|e| e.to_string())?;
    let report = emulator::permissions::check(&model);
    if args.json {
        let body = serde_json::json!({
            "integrations": report.verdicts.iter().map(|v| v.to_json()).collect::<Vec<_>>(),
            "notes": report.notes,
            "denied": report.denied(),
        });
        println!("{body:#}");
    } else {
        print!("{}", emulator::permissions::render(&report));
    }
    Ok(report.denied() == 0)
}

#[derive(Debug, clap::Args)]
struct GraphArgs {
    /// SAM template holding the state machine.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Template parameters, `Key=Value`.
    #[arg(long, num_args = 1..)]
    parameter_overrides: Vec<String>,
    /// Logical id or name of the state machine (default: the template's first).
    #[arg(long)]
    state_machine: Option<String>,
    /// An execution whose path to highlight.
    #[arg(long)]
    execution_arn: Option<String>,
    /// The running kyc-local to read the execution's history from.
    #[arg(
        long,
        default_value = "http://127.0.0.1:4566",
        env = "AWS_ENDPOINT_URL"
    )]
    endpoint_url: String,
}

async fn run_graph(args: GraphArgs) -> Result<(), String> {
    let options = TemplateOptions {
        parameter_overrides: parse_parameter_overrides(&args.parameter_overrides)
            .map_err(|e| e.to_string())?,
        ..TemplateOptions::default()
    };
    let model = emulator::template::load(&args.template, &options).map_err(|e| e.to_string())?;
    let machine = match &args.state_machine {
        Some(wanted) => model
            .state_machines
            .iter()
            .find(|m| &m.logical_id == wanted || &m.name == wanted)
            .ok_or_else(|| {
                let known: Vec<&str> = model
                    .state_machines
                    .iter()
                    .map(|m| m.logical_id.as_str())
                    .collect();
                format!(
                    "no state machine {wanted} in the template (it has: {})",
                    known.join(", ")
                )
            })?,
        None => model
            .state_machines
            .first()
            .ok_or("the template has no state machine")?,
    };
    let visited = match &args.execution_arn {
        Some(arn) => {
            let client = AwsJsonClient::new(args.endpoint_url.clone());
            let events = client
                .call_all_pages(
                    "AWSStepFunctions.GetExecutionHistory",
                    serde_json::json!({"executionArn": arn, "maxResults": 1000}),
                    "events",
                )
                .await
                .map_err(|e| e.to_string())?;
            kyc_local::graph::entered_states(&events)
        }
        None => Vec::new(),
    };
    let text =
        kyc_local::graph::mermaid(&machine.definition, &visited).map_err(|e| e.to_string())?;
    print!("{text}");
    Ok(())
}

#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// Number of workflows.
    #[arg(long, default_value_t = 1000)]
    workflows: usize,
    /// At most this many workflows in flight.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// SAM template to run.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Directory of the state database (default: state in memory).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Do not build the functions (use the executables already built).
    #[arg(long)]
    no_build: bool,
    /// Stop the whole run after this many seconds and report what finished.
    #[arg(long, default_value_t = 300)]
    timeout_seconds: u64,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
    /// Pause between two FilterLogEvents polls of the accounts log group, in milliseconds.
    #[arg(long, default_value_t = 2)]
    poll_interval_ms: u64,
    /// What to send: `approved` (every workflow a name-and-address applicant, approved
    /// automatically) or `kyc` (every application of the demo's scenario files in turn: approved,
    /// declined by identity or risk, invalid, and manual reviews that the bench approves or
    /// declines through Manual review started / completed events).
    #[arg(long, value_enum, default_value_t = BenchMix::Approved)]
    mix: BenchMix,
    /// Directory of the scenario files, for `--mix kyc`.
    #[arg(long, default_value = "events")]
    events_dir: PathBuf,
    /// Send hostile requests beside the applications (the hardening issue's cases: exponential
    /// matching, runaway paths and loops, forged tokens, rebinding hosts, malformed HTTP); the run
    /// fails if any gets another answer than it must, or a hostile execution ends otherwise.
    #[arg(long)]
    hostile: bool,
    /// Fail the run when kyc-local's peak RSS passes this many MiB.
    #[arg(long, value_name = "MIB")]
    memory_budget_mib: Option<u64>,
}

/// `bench --mix`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum BenchMix {
    /// Name and address only: approved automatically.
    Approved,
    /// Every scenario of the demo, reviews included.
    Kyc,
}

#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// Port to listen on (0 picks a free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// SAM template to run.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// More template parameters, `Key=Value` (the demo sets short review timeouts itself).
    #[arg(long, num_args = 1..)]
    parameter_overrides: Vec<String>,
    /// Directory of the scenario files.
    #[arg(long, default_value = "events")]
    events_dir: PathBuf,
    /// Do not build the functions (use the executables already built).
    #[arg(long)]
    no_build: bool,
    /// Give up on applications that have not finished after this many seconds.
    #[arg(long, default_value_t = 120)]
    timeout_seconds: u64,
    /// Keep serving after the table (inspect with the AWS CLI), until SIGINT / SIGTERM.
    #[arg(long)]
    keep_serving: bool,
}

/// `serve --iam`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum IamArg {
    /// Deny what AWS would deny (the template's policies), where AWS fails it.
    Enforce,
    /// Allow, and log each call AWS would deny.
    Warn,
    /// Evaluate no policy.
    Off,
}

impl From<IamArg> for emulator::permissions::IamMode {
    fn from(a: IamArg) -> Self {
        match a {
            IamArg::Enforce => Self::Enforce,
            IamArg::Warn => Self::Warn,
            IamArg::Off => Self::Off,
        }
    }
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// The permission plane: `enforce` denies every service-to-service call of the template's
    /// wiring that AWS would deny, `warn` only logs it, `off` checks nothing.
    #[arg(long, value_enum, default_value_t = IamArg::Enforce)]
    iam: IamArg,
    /// Serve this Host name too (besides loopback names and the bound address); repeatable. Other
    /// Host headers are refused, so a web page rebinding its DNS name to 127.0.0.1 gets nothing.
    #[arg(long = "allowed-host", value_name = "NAME")]
    allowed_host: Vec<String>,
    /// Serve requests from web pages of this origin (e.g. http://localhost:3000), CORS preflights
    /// included; repeatable. Requests carrying any other Origin are refused.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    cors_origin: Vec<String>,
    /// Most connections open at once; a connection over it is answered 503 ThrottlingException.
    #[arg(long, default_value_t = emulator::protocol::admission::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Most requests served at once; a request over it is answered 503 ThrottlingException
    /// (AWS SDKs retry it with back-off).
    #[arg(long, default_value_t = emulator::protocol::admission::DEFAULT_MAX_IN_FLIGHT)]
    max_in_flight: usize,
    /// Port to listen on (0 picks a free port and prints it).
    #[arg(long, default_value_t = 4566, env = "KYC_LOCAL_PORT")]
    port: u16,
    /// Address to listen on. Anything but loopback exposes the stack, unauthenticated, to the network.
    #[arg(long, default_value = "127.0.0.1", env = "KYC_LOCAL_BIND")]
    bind: IpAddr,
    /// SAM template to run.
    #[arg(long, default_value = "template.yaml")]
    template: PathBuf,
    /// Template parameters, `Key=Value` (several per argument, or repeated), as `sam deploy` takes them.
    #[arg(long, num_args = 1..)]
    parameter_overrides: Vec<String>,
    /// Directory of the state database.
    #[arg(long, default_value = ".kyc-local", conflicts_with = "in_memory")]
    state_dir: PathBuf,
    /// Keep state in memory only (nothing survives a restart).
    #[arg(long)]
    in_memory: bool,
    /// Stack name (`AWS::StackName`); default: samconfig.toml's stack_name, else kyc-local.
    #[arg(long)]
    stack_name: Option<String>,
    /// Region in ARNs.
    #[arg(long, default_value = DEFAULT_REGION, env = "AWS_DEFAULT_REGION")]
    region: String,
    /// Account id in ARNs.
    #[arg(long, default_value = DEFAULT_ACCOUNT_ID)]
    account_id: String,
    /// Where the functions' executables are (searched before $CARGO_TARGET_DIR and target/).
    #[arg(long)]
    functions_dir: Vec<PathBuf>,
    /// Start with the faults of this plan (the JSON of POST /_local/faults); kept in memory only.
    #[arg(long, value_name = "FILE.json")]
    faults: Option<PathBuf>,
    /// Step Functions Local's mock configuration file (also read from SFN_MOCK_CONFIG, as Step
    /// Functions Local reads it): `aws stepfunctions start-execution --state-machine-arn
    /// ARN#TestCase` runs that test case, its mocked Task states calling nothing. A file that is
    /// not valid is refused and nothing starts.
    #[arg(long, value_name = "FILE.json", env = emulator::services::stepfunctions::mocks::ENV_VAR)]
    mock_config: Option<PathBuf>,
}

/// State directories written before the stack became a library of its own hold
/// `kyc-local.sqlite3`; the library opens `stack.sqlite3`. Renamed once, so a restart
/// keeps the executions, events and messages it had.
fn adopt_legacy_database(state_dir: &Path) -> Result<(), String> {
    let legacy = state_dir.join("kyc-local.sqlite3");
    let current = state_dir.join(emulator::store::DATABASE_FILE);
    if !legacy.exists() || current.exists() {
        return Ok(());
    }
    for suffix in ["", "-wal", "-shm"] {
        let from = state_dir.join(format!("kyc-local.sqlite3{suffix}"));
        if from.exists() {
            let to = state_dir.join(format!("{}{suffix}", emulator::store::DATABASE_FILE));
            std::fs::rename(&from, &to)
                .map_err(|e| format!("renaming {} to {}: {e}", from.display(), to.display()))?;
        }
    }
    Ok(())
}

/// `stack_name = "..."` from the samconfig.toml beside the template, if any.
fn samconfig_stack_name(template: &Path) -> Option<String> {
    let dir = template
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let text = std::fs::read_to_string(dir.join("samconfig.toml")).ok()?;
    text.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "stack_name").then(|| value.trim().trim_matches('"').to_owned())
    })
}

fn print_banner(
    endpoint: &str,
    state: &StateLocation,
    model: Option<&StackModel>,
    notes: &[String],
) {
    let state = match state {
        StateLocation::Directory(dir) => format!("state in {}", dir.display()),
        StateLocation::InMemory => "state in memory".to_owned(),
    };
    println!("kyc-local ready endpoint={endpoint} ({state})");
    if let Some(model) = model {
        println!(
            "stack {}: {} functions, {} state machines, {} event buses, {} rules, {} log groups, {} queues",
            model.stack_name,
            model.functions.len(),
            model.state_machines.len(),
            model.event_buses.len(),
            model.rules.len(),
            model.log_groups.len(),
            model.queues.len()
        );
        for skipped in &model.not_run {
            println!(
                "  not run locally: {} ({}): {}",
                skipped.logical_id, skipped.resource_type, skipped.reason
            );
        }
        for warning in &model.warnings {
            println!("  warning: {warning}");
        }
    }
    for note in notes {
        println!("  note: {note}");
    }
    println!();
    println!("Try (any AWS CLI or SDK works with --endpoint-url / AWS_ENDPOINT_URL):");
    println!(
        "  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1"
    );
    let aws = format!("aws --endpoint-url {endpoint}");
    if let Some(model) = model {
        if let Some(bus) = model.event_buses.first() {
            println!(
                "  {aws} events put-events --entries file://events/put_events.json   # bus {}",
                bus.name
            );
        }
        if let Some(machine) = model.state_machines.first() {
            println!(
                "  {aws} stepfunctions list-executions --state-machine-arn {}",
                machine.arn
            );
        }
        for group in model
            .log_groups
            .iter()
            .filter(|g| !g.name.starts_with("/aws/lambda/"))
        {
            println!(
                "  {aws} logs filter-log-events --log-group-name {}",
                group.name
            );
        }
        for queue in &model.queues {
            println!("  {aws} sqs receive-message --queue-url {}", queue.url);
        }
        if let Some(function) = model.functions.first() {
            println!(
                "  {aws} lambda get-function --function-name {}",
                function.name
            );
        }
    } else {
        println!("  {aws} logs describe-log-groups");
        println!("  {aws} sqs list-queues");
    }
}

/// The directory a template's relative paths (and the cargo workspace) are anchored in.
fn template_dir(template: &Path) -> PathBuf {
    template
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// What `demo` and `bench` need to bring the whole stack up on 127.0.0.1.
struct RunSetup<'a> {
    template: &'a Path,
    parameter_overrides: Vec<String>,
    state: StateLocation,
    port: u16,
    build: bool,
    /// `demo` or `bench`, for the error message when the template is missing.
    command: &'static str,
}

/// Builds the functions (unless told not to), starts the whole stack and reads the names the
/// scenarios need from the template's outputs. `say` prints progress (stdout for demo, stderr for bench).
async fn start_for_run(
    setup: RunSetup<'_>,
    say: impl Fn(&str),
) -> Result<(assemble::Stack, DemoTargets), String> {
    if !setup.template.exists() {
        return Err(format!(
            "template {} does not exist (run the {} from the repository root)",
            setup.template.display(),
            setup.command
        ));
    }
    let template_dir = template_dir(setup.template);
    let options = TemplateOptions {
        stack_name: samconfig_stack_name(setup.template)
            .unwrap_or_else(|| kyc_local::STACK_NAME.to_owned()),
        parameter_overrides: parse_parameter_overrides(&setup.parameter_overrides)
            .map_err(|e| e.to_string())?,
        ..TemplateOptions::default()
    };
    if setup.build {
        // The model tells which binaries to build; loading it twice is cheap and keeps building
        // (which can take minutes the first time) before anything listens.
        let model =
            emulator::template::load(setup.template, &options).map_err(|e| e.to_string())?;
        say(&format!(
            "==> building the functions (cargo build --profile {})",
            assemble::FUNCTIONS_PROFILE
        ));
        assemble::build_functions(&template_dir, &model)?;
    }
    let config = ServerConfig {
        bind: std::net::Ipv4Addr::LOCALHOST.into(),
        port: setup.port,
        state: setup.state,
        region: DEFAULT_REGION.to_owned(),
        account_id: DEFAULT_ACCOUNT_ID.to_owned(),
        iam: emulator::permissions::IamMode::Enforce,
        allowed_hosts: Vec::new(),
        cors_origins: Vec::new(),
        ..ServerConfig::default()
    };
    let locator = BinaryLocator::new(&template_dir, &[]);
    let template = TemplateSource {
        path: setup.template.to_path_buf(),
        options,
    };
    let stack = assemble::start(
        config,
        Arc::new(SystemClock),
        Some(template),
        &locator,
        LambdaConfig::default(),
    )
    .await
    .map_err(|e| e.to_string())?;
    let targets = match stack.template().map(DemoTargets::from_template) {
        Some(Ok(targets)) => targets,
        Some(Err(e)) => {
            let _ = stack.shutdown().await;
            return Err(e);
        }
        None => {
            let _ = stack.shutdown().await;
            return Err("the stack has no template".to_string());
        }
    };
    Ok((stack, targets))
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    if !is_loopback(args.bind) {
        eprintln!(
            "warning: --bind {} exposes the stack, without authentication, to every host that can reach this address",
            args.bind
        );
    }
    let state = if args.in_memory {
        StateLocation::InMemory
    } else {
        adopt_legacy_database(&args.state_dir)?;
        StateLocation::Directory(args.state_dir.clone())
    };
    let overrides =
        parse_parameter_overrides(&args.parameter_overrides).map_err(|e| e.to_string())?;
    let template = if args.template.exists() {
        let stack_name = args
            .stack_name
            .clone()
            .or_else(|| samconfig_stack_name(&args.template))
            .unwrap_or_else(|| kyc_local::STACK_NAME.to_owned());
        Some(TemplateSource {
            path: args.template.clone(),
            options: TemplateOptions {
                stack_name,
                parameter_overrides: overrides,
                ..TemplateOptions::default()
            },
        })
    } else if args.template == Path::new("template.yaml") && overrides.is_empty() {
        eprintln!("warning: no template.yaml here; serving the APIs with no resources");
        None
    } else {
        return Err(format!(
            "template {} does not exist",
            args.template.display()
        ));
    };
    let config = ServerConfig {
        bind: args.bind,
        port: args.port,
        state: state.clone(),
        region: args.region,
        account_id: args.account_id,
        iam: args.iam.into(),
        allowed_hosts: args.allowed_host.clone(),
        cors_origins: args.cors_origin.clone(),
        max_connections: args.max_connections,
        max_in_flight: args.max_in_flight,
    };
    let faults = match &args.faults {
        Some(file) => Some(kyc_local::fault::read_plan(file)?),
        None => None,
    };
    let mock_config = match &args.mock_config {
        Some(file) => Some(kyc_local::mocks::read_mock_config(file)?),
        None => None,
    };
    let mut notes = Vec::new();
    if let (Some(file), Some(mocks)) = (&args.mock_config, &mock_config) {
        notes.extend(kyc_local::mocks::describe(file, mocks));
    }
    let served_mocks = mock_config.clone();
    let locator = BinaryLocator::new(&template_dir(&args.template), &args.functions_dir);
    let stack = assemble::start_with_options(
        config,
        Arc::new(SystemClock),
        template,
        &locator,
        LambdaConfig::default(),
        assemble::StartOptions {
            faults,
            mock_config,
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    notes.extend(stack.notes.iter().cloned());
    if let (Some(mocks), Some(model)) = (&served_mocks, stack.template()) {
        notes.extend(kyc_local::mocks::check_against(mocks, model));
    }
    print_banner(stack.endpoint(), &state, stack.template(), &notes);
    let served = stack.run_until_signal().await;
    served.map_err(|e| format!("server error: {e}"))?;
    println!("kyc-local stopped");
    Ok(())
}

/// Review timeouts short enough for a demo: the ignored review times out in seconds.
const DEMO_OVERRIDES: [&str; 2] = ["ReviewHeartbeatSeconds=6", "ReviewTimeoutSeconds=10"];

async fn run_demo(args: DemoArgs) -> Result<(), String> {
    let mut overrides: Vec<String> = DEMO_OVERRIDES.iter().map(|s| s.to_string()).collect();
    overrides.extend(args.parameter_overrides.iter().cloned());
    let setup = RunSetup {
        template: &args.template,
        parameter_overrides: overrides,
        state: StateLocation::InMemory,
        port: args.port,
        build: !args.no_build,
        command: "demo",
    };
    let (stack, targets) = start_for_run(setup, |line| println!("{line}")).await?;
    println!(
        "==> kyc-local serving at {} (state in memory)",
        stack.endpoint()
    );
    for note in &stack.notes {
        println!("    note: {note}");
    }
    println!(
        "==> sending every scenario of {}",
        args.events_dir.display()
    );
    let client = AwsJsonClient::new(stack.endpoint());
    let report = demo::run(
        &client,
        &targets,
        &args.events_dir,
        std::time::Duration::from_secs(args.timeout_seconds),
        |line| println!("    {line}"),
    )
    .await;
    let report = match report {
        Ok(report) => report,
        Err(e) => {
            let _ = stack.shutdown().await;
            return Err(e.to_string());
        }
    };
    println!();
    print!("{}", report.table());
    println!();
    let passed = report.passed();
    println!(
        "{} applications in {:.1} s; {} malformed entries refused per entry; {}",
        report.outcomes.len(),
        report.elapsed.as_secs_f64(),
        report.rejected_entries.len(),
        if passed {
            "every application reached its expected terminal event"
        } else {
            "SOME APPLICATIONS DID NOT REACH THEIR EXPECTED TERMINAL EVENT"
        }
    );
    if args.keep_serving {
        let endpoint = stack.endpoint().to_owned();
        println!("==> still serving at {endpoint}; Ctrl-C to stop");
        stack
            .run_until_signal()
            .await
            .map_err(|e| format!("server error: {e}"))?;
    } else {
        stack
            .shutdown()
            .await
            .map_err(|e| format!("server error: {e}"))?;
    }
    if passed {
        Ok(())
    } else {
        Err("the demo found applications that did not end as expected".to_string())
    }
}

async fn run_bench(args: BenchArgs) -> Result<(), String> {
    let state = match &args.state_dir {
        Some(dir) => StateLocation::Directory(dir.clone()),
        None => StateLocation::InMemory,
    };
    let setup = RunSetup {
        template: &args.template,
        parameter_overrides: Vec::new(),
        state,
        port: 0,
        build: !args.no_build,
        command: "bench",
    };
    // Progress goes to stderr so that `--json` leaves one object on stdout.
    let (stack, targets) = start_for_run(setup, |line| eprintln!("{line}")).await?;
    for note in &stack.notes {
        eprintln!("    note: {note}");
    }
    let mix = match args.mix {
        BenchMix::Approved => bench::approval_mix(),
        BenchMix::Kyc => bench::kyc_mix(&args.events_dir).map_err(|e| e.to_string())?,
    };
    let functions: Vec<String> = stack
        .template()
        .map_or(&[][..], |m| &m.functions[..])
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let run_id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    eprintln!(
        "==> {} workflows at concurrency {} against {} (run {run_id})",
        args.workflows,
        args.concurrency,
        stack.endpoint()
    );
    let client = AwsJsonClient::new(stack.endpoint());
    let report = bench::run(
        &client,
        &targets,
        bench::BenchOptions {
            workflows: args.workflows,
            concurrency: usize::from(args.concurrency),
            timeout: std::time::Duration::from_secs(args.timeout_seconds),
            run_id,
            poll_pause: std::time::Duration::from_millis(args.poll_interval_ms),
            mix,
            functions,
            hostile: args.hostile,
            memory_budget_kib: args.memory_budget_mib.map(|m| m * 1024),
        },
        |line| eprintln!("    {line}"),
    )
    .await;
    let mut instances = Vec::new();
    for function in stack.template().map_or(&[][..], |m| &m.functions[..]) {
        if let Some(stats) = stack.lambda.function_stats(&function.name) {
            instances.push(format!(
                "{} {} instances / {} invocations",
                function.name, stats.instances_started, stats.invocations
            ));
        }
    }
    let _ = stack.shutdown().await;
    let report = report.map_err(|e| e.to_string())?;
    if args.json {
        println!("{}", report.to_json());
    } else {
        println!();
        print!("{}", report.table());
        for line in &instances {
            println!("  {line}");
        }
    }
    if report.passed() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} workflows did not end with exactly one expected terminal event \
             ({} failed, {} with another outcome, {} unfinished, {} without a terminal event, \
             {} with several); {} unexpected or undelivered reviews; personal data found {} times",
            report.workflows - report.finished,
            report.workflows,
            report.failed,
            report.wrong_outcome,
            report.unfinished,
            report.missing_terminal,
            report.duplicate_terminal,
            report.review_errors,
            report.personal_data_found.len()
        ))
    }
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KYC_LOCAL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match cli.command {
        Command::Serve(args) => runtime.block_on(serve(args)),
        Command::Demo(args) => runtime.block_on(run_demo(args)),
        Command::Bench(args) => runtime.block_on(run_bench(args)),
        Command::Fault(args) => runtime.block_on(kyc_local::fault::run(args)),
        Command::Graph(args) => runtime.block_on(run_graph(args)),
        Command::CheckPermissions(args) => match run_check_permissions(args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(e) => Err(e),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
