//! Lambda glue for risk-profile: tracing, then the runtime loop.

use lambda_runtime_lean::{Error, LambdaEvent, service_fn};
use serde_json::Value;

// One invocation at a time: the current-thread runtime is enough and
// leaves tokio's multi-thread scheduler out of the binary (functions/README.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // JSON lines when the function's LoggingConfig is JSON (AWS_LAMBDA_LOG_FORMAT);
    // level from AWS_LAMBDA_LOG_LEVEL, else RUST_LOG, else INFO.
    kyc_shared::logging::init();
    lambda_runtime_lean::run(service_fn(|event: LambdaEvent<Value>| async move {
        risk_profile::handle(&event.payload, chrono::Utc::now().date_naive())
    }))
    .await
}
