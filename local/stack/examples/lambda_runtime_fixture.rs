//! A function written with the `lambda_runtime` crate, as the project's own
//! functions are, so the tests prove kyc-local's Runtime API works with it.
//! `{"fail": "<message>"}` returns an error with errorType `InvalidApplication`.

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

async fn handle(event: LambdaEvent<Value>) -> Result<Value, Diagnostic> {
    if let Some(message) = event.payload.get("fail").and_then(Value::as_str) {
        return Err(Diagnostic {
            error_type: "InvalidApplication".into(),
            error_message: message.into(),
        });
    }
    println!("handling {}", event.context.request_id);
    Ok(json!({
        "echo": event.payload,
        "requestId": event.context.request_id,
        "functionArn": event.context.invoked_function_arn,
        "deadline": event.context.deadline,
        "functionName": event.context.env_config.function_name,
        "memory": event.context.env_config.memory,
        "logStream": event.context.env_config.log_stream,
    }))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(handle)).await
}
