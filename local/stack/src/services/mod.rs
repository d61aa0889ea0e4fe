//! One module per AWS service: typed requests in, typed responses or typed errors out.

pub mod bridge;
pub mod context;
pub mod events;
pub mod logs;
pub mod sqs;
pub mod stepfunctions;
