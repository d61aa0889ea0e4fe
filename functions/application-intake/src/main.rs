//! Lambda glue for application-intake: logging, the state machine ARN and the
//! Step Functions client (built once, from Lambda's environment; see
//! `kyc_shared::sfn`), then the runtime loop.

use application_intake::IntakeSettings;
use lambda_runtime_lean::{Error, LambdaEvent, service_fn};
use serde_json::Value;

// One invocation at a time: the current-thread runtime is enough (functions/README.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    kyc_shared::logging::init();
    let intake = IntakeSettings::from_env()?;
    let sfn = aws_sdk_sfn_lean::Client::from_conf(kyc_shared::sfn::sfn_config().await?);
    let (sfn, intake) = (&sfn, &intake);
    lambda_runtime_lean::run(service_fn(move |event: LambdaEvent<Value>| async move {
        application_intake::handle(&event.payload, intake, sfn).await
    }))
    .await
}
