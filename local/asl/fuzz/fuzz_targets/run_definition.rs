//! `<definition>\n<input>`: a valid definition runs on any input, with tasks answered by
//! echoing their parameters, for a bounded number of steps, without panicking.
#![no_main]

use std::sync::Arc;

use asl::{Command, Definition, Execution, ExecutionContext};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (def, input) = text.split_once('\n').unwrap_or((text, "{}"));
    let Ok(def) = Definition::parse(def) else { return };
    let Ok(input) = serde_json::from_str(input) else { return };
    let mut ctx = ExecutionContext::new("arn:aws:states:us-east-1:123456789012:stateMachine:F", "f", "arn:aws:iam::1:role/r");
    ctx.history_limit = Some(2_000);
    let mut now = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let mut ex = Execution::start(Arc::new(def), input, ctx, now);
    for _ in 0..64 {
        for c in ex.advance(now) {
            match c {
                Command::RunTask(t) => {
                    let _ = ex.task_succeeded(t.task_id, t.parameters.clone(), now);
                }
                Command::WakeAt(w) => now = now.max(w),
                Command::CancelTask { .. } => {}
            }
        }
        let _ = ex.take_events();
        if ex.status() != asl::ExecutionStatus::Running {
            break;
        }
    }
});
