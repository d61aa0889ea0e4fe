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
use kyc_local::clock::SystemClock;
use kyc_local::functions::{BinaryLocator, start_lambda};
use kyc_local::lambda::{LambdaConfig, LambdaService};
use kyc_local::server::{
    self, Extensions, ServerConfig, StateLocation, TemplateSource, is_loopback,
};
use kyc_local::template::{
    DEFAULT_ACCOUNT_ID, DEFAULT_REGION, DEFAULT_STACK_NAME, StackModel, TemplateOptions,
    parse_parameter_overrides,
};

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
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
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
        StateLocation::Directory(args.state_dir.clone())
    };
    let overrides =
        parse_parameter_overrides(&args.parameter_overrides).map_err(|e| e.to_string())?;
    let template = if args.template.exists() {
        let stack_name = args
            .stack_name
            .clone()
            .or_else(|| samconfig_stack_name(&args.template))
            .unwrap_or_else(|| DEFAULT_STACK_NAME.to_owned());
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
    };
    let template_dir = args
        .template
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let locator = BinaryLocator::new(&template_dir, &args.functions_dir);
    let mut lambda: Option<(LambdaService, Vec<String>)> = None;
    // Step Functions and EventBridge plug in here as they land.
    let running = server::start(config, Arc::new(SystemClock), template, |stack| {
        let (service, notes) = start_lambda(stack, &locator, LambdaConfig::default());
        let rest = service.router();
        lambda = Some((service, notes));
        Extensions {
            services: Vec::new(),
            rest: Some(rest),
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    let notes = lambda.as_ref().map(|(_, n)| n.clone()).unwrap_or_default();
    print_banner(
        running.endpoint(),
        &state,
        running.stack.template.as_deref(),
        &notes,
    );
    let served = running.run_until_signal().await;
    if let Some((service, _)) = lambda {
        // Function processes go with the stack.
        service.shutdown().await;
    }
    served.map_err(|e| format!("server error: {e}"))?;
    println!("kyc-local stopped");
    Ok(())
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
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
