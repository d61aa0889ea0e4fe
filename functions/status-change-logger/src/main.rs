//! Lambda glue for status-change-logger: tracing, then the runtime loop.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime_lean::{Error, LambdaEvent, service_fn};
use serde_json::Value;

// One invocation at a time: the current-thread runtime is enough and
// leaves tokio's multi-thread scheduler out of the binary (functions/README.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // JSON lines when the function's LoggingConfig is JSON (AWS_LAMBDA_LOG_FORMAT);
    // level from AWS_LAMBDA_LOG_LEVEL, else RUST_LOG, else INFO.
    kyc_shared::logging::init();
    lambda_runtime_lean::run(service_fn(
        |event: LambdaEvent<EventBridgeEvent<Value>>| async move {
            let now_ms = chrono::Utc::now().timestamp_millis();
            // The records go straight to stdout (not through tracing) so each
            // is exactly one JSON object per line, as EMF requires.
            let mut out = std::io::stdout().lock();
            status_change_logger::handle(&event.payload, now_ms, &mut out).map(|_| ())
        },
    ))
    .await
}
