//! The permission plane: what AWS would allow or deny in a template, evaluated with `iam`.
//!
//! - [`model`]: every role's identity policies and every resource's policies (declared, and the
//!   ones SAM generates), parsed;
//! - [`sam`]: SAM's policy templates (its own definition file) and the AWS managed policies SAM
//!   attaches;
//! - [`integrations`]: every call one service of the template makes to another, with its verdict
//!   and the statement that decided: what `check-permissions` prints;
//! - [`plane`]: the same evaluation at run time, asked by the services before one calls another
//!   (`serve --iam enforce | warn | off`).

pub mod arns;
pub mod integrations;
pub mod model;
pub mod plane;
pub mod sam;

pub use integrations::{Report, Verdict, check, render};
pub use model::PermissionModel;
pub use plane::{Denial, IamMode, PermissionPlane};
