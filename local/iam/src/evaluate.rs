//! The decision for one request ("Policy evaluation logic", "Determining whether a request is
//! allowed or denied within an account"), for a caller and a resource of the same account:
//!
//! 1. an applicable `Deny` in any identity or resource policy denies (explicit deny);
//! 2. else an applicable `Allow` in a resource policy that names the caller allows;
//! 3. else an applicable `Allow` in one of the caller's identity policies allows;
//! 4. else the request is denied (implicit deny).
//!
//! A statement applies when its principal (resource policies), action, resource and every
//! condition match. A resource policy that names the caller's *account* (`"AWS": "123456789012"`
//! or `:root`) delegates to the account's identity policies: it applies to the account's principals
//! for a `Deny`, but its `Allow` grants nothing the identity policies do not. Organizations SCPs
//! and RCPs, permissions boundaries and session policies are not modelled: a SAM template cannot
//! attach them to the roles it creates.

use crate::condition::{Context, substitute};
use crate::glob;
use crate::policy::{Effect, Matcher, PolicyDocument, PrincipalEntry, Statement};

/// Who makes the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An AWS service acting on its own (`events.amazonaws.com` delivering to a target).
    Service(String),
    /// A role's session: the role ARN (`arn:aws:iam::123456789012:role/path/name`) and the session
    /// name of its temporary credentials.
    Role { role_arn: String, session: String },
}

impl Caller {
    /// The account of a role, if the caller is one.
    pub fn account(&self) -> Option<&str> {
        match self {
            Caller::Service(_) => None,
            Caller::Role { role_arn, .. } => role_arn.split(':').nth(4),
        }
    }

    /// The ARN IAM names in an AccessDenied message: the assumed-role session
    /// (`arn:aws:sts::123456789012:assumed-role/name/session`), or the service principal.
    pub fn display_arn(&self) -> String {
        match self {
            Caller::Service(s) => s.clone(),
            Caller::Role { role_arn, session } => {
                let parts: Vec<&str> = role_arn.splitn(6, ':').collect();
                match parts.as_slice() {
                    [_, partition, _, _, account, resource] => {
                        // The path is not part of the session ARN.
                        let name = resource.rsplit('/').next().unwrap_or(resource);
                        format!("arn:{partition}:sts::{account}:assumed-role/{name}/{session}")
                    }
                    _ => role_arn.clone(),
                }
            }
        }
    }

    /// The context keys IAM sets for every request of this caller (aws:PrincipalArn,
    /// aws:PrincipalAccount, aws:PrincipalType; aws:PrincipalServiceName for a service).
    fn principal_keys(&self, context: &mut Context) {
        match self {
            Caller::Service(s) => {
                if !context.contains("aws:PrincipalServiceName") {
                    context.insert("aws:PrincipalServiceName", vec![s.clone()]);
                }
            }
            Caller::Role { role_arn, .. } => {
                for (key, value) in [
                    ("aws:PrincipalArn", Some(role_arn.clone())),
                    ("aws:PrincipalAccount", self.account().map(str::to_owned)),
                    ("aws:PrincipalType", Some("AssumedRole".to_owned())),
                ] {
                    if let Some(v) = value
                        && !context.contains(key)
                    {
                        context.insert(key, vec![v]);
                    }
                }
            }
        }
    }
}

/// A request to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub caller: Caller,
    /// `service:Operation`, as IAM names it (`states:StartExecution`).
    pub action: String,
    /// The resource ARN (`*` for actions without a resource type).
    pub resource: String,
    pub context: Context,
}

/// A policy with the name a report shows (`KycStateMachineRole/inline policy 0`, `EventsToLogGroupsPolicy`).
#[derive(Debug, Clone, Copy)]
pub struct NamedPolicy<'a> {
    pub name: &'a str,
    pub document: &'a PolicyDocument,
}

/// Where the deciding statement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Identity,
    Resource,
}

/// The statement that decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decider {
    pub side: Side,
    pub policy: String,
    /// The statement's `Sid`, if it has one.
    pub sid: Option<String>,
    /// Its position in the policy (from 0).
    pub index: usize,
}

impl std::fmt::Display for Decider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.sid {
            Some(sid) => write!(f, "{} statement {sid}", self.policy),
            None => write!(f, "{} statement #{}", self.policy, self.index),
        }
    }
}

/// The outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow(Decider),
    ExplicitDeny(Decider),
    ImplicitDeny,
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow(_))
    }
}

/// How a statement's principal element relates to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PrincipalMatch {
    No,
    /// Names the caller (or everyone).
    Caller,
    /// Names the caller's account only: delegates to its identity policies.
    Account,
}

fn principal_match(entries: &Matcher<Vec<PrincipalEntry>>, caller: &Caller) -> PrincipalMatch {
    let one = |e: &PrincipalEntry| -> PrincipalMatch {
        match (e, caller) {
            (PrincipalEntry::Anyone, _) => PrincipalMatch::Caller,
            (PrincipalEntry::Service(s), Caller::Service(c)) if s == c => PrincipalMatch::Caller,
            (PrincipalEntry::Arn(a), Caller::Role { role_arn, .. })
                if a == role_arn || *a == caller.display_arn() =>
            {
                PrincipalMatch::Caller
            }
            (PrincipalEntry::Account(a), Caller::Role { .. })
                if Some(a.as_str()) == caller.account() =>
            {
                PrincipalMatch::Account
            }
            _ => PrincipalMatch::No,
        }
    };
    match entries {
        Matcher::Is(list) => list
            .iter()
            .map(one)
            .max_by_key(|m| match m {
                PrincipalMatch::No => 0,
                PrincipalMatch::Account => 1,
                PrincipalMatch::Caller => 2,
            })
            .unwrap_or(PrincipalMatch::No),
        // NotPrincipal: everyone not listed (an account listed excludes its principals too).
        Matcher::Not(list) => {
            if list.iter().any(|e| one(e) != PrincipalMatch::No) {
                PrincipalMatch::No
            } else {
                PrincipalMatch::Caller
            }
        }
    }
}

fn action_matches(m: &Matcher<Vec<String>>, action: &str) -> bool {
    match m {
        Matcher::Is(list) => list.iter().any(|p| glob::matches(p, action, true)),
        Matcher::Not(list) => !list.iter().any(|p| glob::matches(p, action, true)),
    }
}

fn resource_matches(
    m: Option<&Matcher<Vec<String>>>,
    resource: &str,
    context: &Context,
    variables: bool,
) -> bool {
    let any = |list: &[String]| {
        list.iter().any(|p| {
            substitute(p, context, variables)
                .is_some_and(|t| glob::arn_matches_tokens(&t, resource))
        })
    };
    match m {
        // A resource policy may leave Resource out: it is the resource the policy is attached to.
        None => true,
        Some(Matcher::Is(list)) => any(list),
        Some(Matcher::Not(list)) => !any(list),
    }
}

/// Whether a statement applies to the request, and how its principal matched.
fn applies(
    s: &Statement,
    request: &Request,
    context: &Context,
    variables: bool,
    side: Side,
) -> Option<PrincipalMatch> {
    let principal = match (side, &s.principal) {
        (Side::Identity, _) => PrincipalMatch::Caller,
        (Side::Resource, Some(p)) => principal_match(p, &request.caller),
        (Side::Resource, None) => PrincipalMatch::No,
    };
    if principal == PrincipalMatch::No
        || !action_matches(&s.action, &request.action)
        || !resource_matches(s.resource.as_ref(), &request.resource, context, variables)
        || !s.conditions.iter().all(|c| c.holds(context, variables))
    {
        return None;
    }
    Some(principal)
}

/// Decides a request. `identity` are the caller's identity policies (none for a service
/// principal), `resource` the policies attached to the resource.
pub fn evaluate(request: &Request, identity: &[NamedPolicy], resource: &[NamedPolicy]) -> Decision {
    let mut context = request.context.clone();
    request.caller.principal_keys(&mut context);
    let identity_side = match request.caller {
        // A service principal has no identity policies in the account.
        Caller::Service(_) => &[][..],
        Caller::Role { .. } => identity,
    };
    let mut resource_allow: Option<Decider> = None;
    let mut identity_allow: Option<Decider> = None;
    for (side, policies) in [(Side::Identity, identity_side), (Side::Resource, resource)] {
        for policy in policies {
            let variables = policy.document.substitutes_variables();
            for (index, s) in policy.document.statements.iter().enumerate() {
                let Some(principal) = applies(s, request, &context, variables, side) else {
                    continue;
                };
                let decider = || Decider {
                    side,
                    policy: policy.name.to_owned(),
                    sid: s.sid.clone(),
                    index,
                };
                match (s.effect, side, principal) {
                    (Effect::Deny, _, _) => return Decision::ExplicitDeny(decider()),
                    (Effect::Allow, Side::Resource, PrincipalMatch::Caller) => {
                        resource_allow.get_or_insert_with(decider);
                    }
                    (Effect::Allow, Side::Identity, _) => {
                        identity_allow.get_or_insert_with(decider);
                    }
                    // An account principal delegates: the identity policies decide.
                    (Effect::Allow, Side::Resource, _) => {}
                }
            }
        }
    }
    match resource_allow.or(identity_allow) {
        Some(d) => Decision::Allow(d),
        None => Decision::ImplicitDeny,
    }
}

/// The message of the `AccessDeniedException` IAM's decision leads to, in the form AWS services
/// give it ("User: ARN is not authorized to perform: ACTION on resource: ARN because ...").
pub fn access_denied_message(request: &Request, decision: &Decision) -> String {
    let reason = match decision {
        Decision::Allow(_) => return String::new(),
        Decision::ExplicitDeny(d) if d.side == Side::Identity => {
            "with an explicit deny in an identity-based policy".to_owned()
        }
        Decision::ExplicitDeny(_) => "with an explicit deny in a resource-based policy".to_owned(),
        Decision::ImplicitDeny => match request.caller {
            Caller::Service(_) => format!(
                "because no resource-based policy allows the {} action",
                request.action
            ),
            Caller::Role { .. } => format!(
                "because no identity-based policy allows the {} action",
                request.action
            ),
        },
    };
    format!(
        "User: {} is not authorized to perform: {} on resource: {} {reason}",
        request.caller.display_arn(),
        request.action,
        request.resource
    )
}
