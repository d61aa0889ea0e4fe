//! Lambda glue for callback-completer: tracing, the Step Functions client
//! (built once, from Lambda's environment: region, the execution role's
//! credentials, `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_SFN` pointing it at
//! kyc-local; see `settings`), then the runtime loop.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use lambda_runtime_lean::{Error, LambdaEvent, service_fn};
use serde_json::Value;

// One invocation at a time: the current-thread runtime is enough and
// leaves tokio's multi-thread scheduler out of the binary (functions/README.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    // JSON lines when the function's LoggingConfig is JSON (AWS_LAMBDA_LOG_FORMAT);
    // level from AWS_LAMBDA_LOG_LEVEL, else RUST_LOG, else INFO.
    kyc_shared::logging::init();
    // rustls on ring: the SDK's default HTTPS client uses aws-lc, which
    // roughly doubles the binary (measured in the crate README).
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let settings = callback_completer::settings::SfnSettings::from_env()?;
    let sfn = aws_sdk_sfn_lean::Client::from_conf(settings.sdk_config(https));
    let sfn = &sfn;
    lambda_runtime_lean::run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent<Value>>| async move {
            callback_completer::handle(&event.payload, sfn).await
        },
    ))
    .await
}
