//! Lambda glue for callback-completer: tracing, the Step Functions client
//! (built once, from Lambda's environment: region, the execution role's
//! credentials, `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_SFN` pointing it at
//! kyc-local; see `kyc_shared::sfn`), then the runtime loop.

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
    let sfn = aws_sdk_sfn_lean::Client::from_conf(kyc_shared::sfn::sfn_config().await?);
    let sfn = &sfn;
    lambda_runtime_lean::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<Value>>| async move {
            callback_completer::handle(&event.payload, sfn).await
        },
    ))
    .await
}
