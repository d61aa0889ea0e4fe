//! Lambda glue for callback-completer: tracing, the Step Functions client
//! (built once, from the standard AWS configuration, so `AWS_ENDPOINT_URL`
//! / `AWS_ENDPOINT_URL_SFN` point it at kyc-local), then the runtime loop.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // JSON when the function's LoggingConfig is JSON (AWS_LAMBDA_LOG_FORMAT);
    // level from AWS_LAMBDA_LOG_LEVEL, else RUST_LOG, else INFO.
    lambda_runtime::tracing::init_default_subscriber();
    let config = aws_config::load_from_env().await;
    let sfn = aws_sdk_sfn::Client::new(&config);
    let sfn = &sfn;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<Value>>| async move {
            callback_completer::handle(&event.payload, sfn).await
        },
    ))
    .await
}
