//! One shape for every operation of every JSON service.
//!
//! An operation is a type that implements [`Operation`]: its name in `X-Amz-Target`, a typed
//! input (serde, plus the API reference's constraints through [`Validate`]), a typed output, and
//! one async function from the one to the other, holding the operation's logic, that returns the
//! service's errors as [`AwsError`]. Every service writes its operations this way, by hand (one
//! `pub struct` and its `impl Operation` each). A service lists its operations once in an
//! [`Operations`] registry; the registry decodes the input (a missing required member and a
//! member of the wrong JSON type are reported the way that service's front end reports them:
//! [`ErrorVocabulary`]), checks the constraints, runs the operation and encodes its output.
//! Listings page through one [`Paginator`] with opaque tokens ([`super::tokens`]):
//! [`Paginator::request`] checks a listing's page size and token once, before anything is read,
//! and what follows pages with the checked [`PageRequest`].
//!
//! Adding an operation: a `struct`, its `Input` / `Output` types, `impl Operation`, and one
//! `.with::<TheOperation>()` line in the service's registry (`local/stack/README.md`, "Adding an
//! operation").

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::AwsError;
use super::{ServiceFuture, decode, encode, null_member_message, tokens};

/// One operation of a service `S`.
pub trait Operation<S: Send + Sync + 'static>: 'static {
    /// The operation's name, as it follows the service's prefix in `X-Amz-Target`.
    const NAME: &'static str;
    /// The request, as the API reference shapes it (a JSON service's is `Deserialize`; a REST
    /// service's is bound from the path, query, headers and body by its router).
    type Input: Validate + Send + 'static;
    /// The response (a JSON service's is `Serialize`).
    type Output: Send + 'static;
    /// Runs the operation.
    fn run(
        service: Arc<S>,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self::Output, AwsError>> + Send;
}

/// How a service's front end words the errors every operation shares.
#[derive(Debug, Clone, Copy)]
pub struct ErrorVocabulary {
    /// The code of a validation error (`ValidationException`, `InvalidParameterException`).
    pub validation: &'static str,
    /// A required member missing: the error, given the member's name as the input spells it.
    pub missing: fn(&str) -> AwsError,
}

impl ErrorVocabulary {
    /// A validation error with this service's code.
    pub fn validation(&self, message: impl Into<String>) -> AwsError {
        AwsError::client(self.validation, message)
    }

    /// The coral "Member must not be null" message under this service's validation code.
    pub fn null_member(&self, member: &str) -> AwsError {
        self.validation(null_member_message(member))
    }
}

type Handler<S> = fn(Arc<S>, Value, &'static ErrorVocabulary) -> ServiceFuture;

/// A service's operations by name.
pub struct Operations<S> {
    errors: &'static ErrorVocabulary,
    by_name: HashMap<&'static str, Handler<S>>,
}

impl<S: Send + Sync + 'static> Operations<S> {
    /// An empty registry whose shared errors are worded by `errors`.
    pub fn new(errors: &'static ErrorVocabulary) -> Self {
        Self {
            errors,
            by_name: HashMap::new(),
        }
    }

    /// Serves `O`.
    pub fn with<O>(mut self) -> Self
    where
        O: Operation<S>,
        O::Input: DeserializeOwned,
        O::Output: Serialize,
    {
        self.by_name.insert(O::NAME, handle::<S, O>);
        self
    }

    /// The names served, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.by_name.keys().copied().collect();
        names.sort_unstable();
        names
    }

    /// Runs `operation`; an operation this service does not have is `UnknownOperationException`.
    pub fn call(&self, service: Arc<S>, operation: &str, input: Value) -> ServiceFuture {
        match self.by_name.get(operation) {
            Some(handler) => handler(service, input, self.errors),
            None => Box::pin(async { Err(AwsError::unknown_operation()) }),
        }
    }
}

fn handle<S, O>(service: Arc<S>, input: Value, errors: &'static ErrorVocabulary) -> ServiceFuture
where
    S: Send + Sync + 'static,
    O: Operation<S>,
    O::Input: DeserializeOwned,
    O::Output: Serialize,
{
    Box::pin(async move {
        let input: O::Input = decode(input, errors.missing)?;
        let output = run_checked::<S, O>(service, input, errors).await?;
        encode(&output)
    })
}

/// Checks `input` against the API reference's constraints, then runs `O`: what every operation
/// goes through once its input is decoded (by the JSON registry, or by a REST service's router).
pub async fn run_checked<S: Send + Sync + 'static, O: Operation<S>>(
    service: Arc<S>,
    input: O::Input,
    errors: &ErrorVocabulary,
) -> Result<O::Output, AwsError> {
    let mut check = Check::default();
    input.validate(&mut check);
    check.finish(errors)?;
    O::run(service, input).await
}

/// The constraints of the API reference that serde does not check: lengths, ranges, patterns
/// and enumerations. The default checks nothing.
pub trait Validate {
    /// Records every violated constraint in `check`.
    fn validate(&self, check: &mut Check) {
        let _ = check;
    }
}

/// The violated constraints of one request, worded as AWS's front end words them:
/// `2 validation errors detected: Value 'x' at 'name' failed to satisfy constraint: Member must
/// have length less than or equal to 80; Value '0' at 'maxResults' ...`.
///
/// A service whose front end answers one parameter at a time, in its own words (SQS:
/// `InvalidParameterValue` "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: ..."),
/// records its constraints with [`Check::refuse`] instead: the first refusal is the answer.
#[derive(Debug, Default)]
pub struct Check {
    violations: Vec<String>,
    refused: Option<AwsError>,
}

impl Check {
    /// A violated constraint the service words itself, as the whole error (code included). Only
    /// the first is answered, before any of the list's violations.
    pub fn refuse(&mut self, error: impl Into<AwsError>) {
        if self.refused.is_none() {
            self.refused = Some(error.into());
        }
    }

    fn violation(&mut self, value: &str, member: &str, constraint: &str) {
        self.violations.push(format!(
            "Value {value} at '{member}' failed to satisfy constraint: Member must {constraint}"
        ));
    }

    /// A length outside `min..=max`; `shown` is the value as the message repeats it (`None` for
    /// members AWS does not repeat: "Value at 'cause' failed to satisfy constraint: ...").
    fn length_violation(
        &mut self,
        shown: Option<&str>,
        member: &str,
        len: usize,
        min: usize,
        max: usize,
    ) {
        let constraint = if len < min {
            format!("have length greater than or equal to {min}")
        } else if len > max {
            format!("have length less than or equal to {max}")
        } else {
            return;
        };
        match shown {
            Some(value) => self.violation(&quoted(value), member, &constraint),
            None => self.violations.push(format!(
                "Value at '{member}' failed to satisfy constraint: Member must {constraint}"
            )),
        }
    }

    /// A string member's length in characters, when it is present.
    pub fn length(&mut self, member: &str, value: Option<&str>, min: usize, max: usize) {
        if let Some(value) = value {
            self.length_violation(Some(value), member, value.chars().count(), min, max);
        }
    }

    /// A string member whose value AWS does not repeat in the message (task tokens, `error`,
    /// `cause`).
    pub fn secret_length(&mut self, member: &str, value: Option<&str>, min: usize, max: usize) {
        if let Some(value) = value {
            self.length_violation(None, member, value.chars().count(), min, max);
        }
    }

    /// A list member's number of elements, when it is present (the list is not repeated:
    /// "Value at 'ids' failed to satisfy constraint: ...").
    pub fn list_length(&mut self, member: &str, len: Option<usize>, min: usize, max: usize) {
        if let Some(len) = len {
            self.length_violation(None, member, len, min, max);
        }
    }

    /// A numeric member's range, when it is present.
    pub fn range(&mut self, member: &str, value: Option<i64>, min: i64, max: i64) {
        let Some(value) = value else { return };
        if value < min {
            self.violation(
                &format!("'{value}'"),
                member,
                &format!("have value greater than or equal to {min}"),
            );
        } else if value > max {
            self.violation(
                &format!("'{value}'"),
                member,
                &format!("have value less than or equal to {max}"),
            );
        }
    }

    /// A member that must be one of `allowed`, when it is present.
    pub fn one_of(&mut self, member: &str, value: Option<&str>, allowed: &[&str]) {
        let Some(value) = value else { return };
        if !allowed.contains(&value) {
            self.violation(
                &quoted(value),
                member,
                &format!("satisfy enum value set: [{}]", allowed.join(", ")),
            );
        }
    }

    /// A member that must match `pattern` (whose text the message quotes), when it is present.
    pub fn pattern(&mut self, member: &str, value: Option<&str>, pattern: &regex::Regex) {
        let Some(value) = value else { return };
        if !pattern.is_match(value) {
            self.violation(
                &quoted(value),
                member,
                &format!("satisfy regular expression pattern: {}", pattern.as_str()),
            );
        }
    }

    /// Whether every constraint held.
    pub fn is_empty(&self) -> bool {
        self.violations.is_empty() && self.refused.is_none()
    }

    /// `Ok` when every constraint held, else the service's validation error naming them all.
    pub fn finish(self, errors: &ErrorVocabulary) -> Result<(), AwsError> {
        if let Some(refused) = self.refused {
            return Err(refused);
        }
        match self.violations.len() {
            0 => Ok(()),
            1 => Err(errors.validation(format!(
                "1 validation error detected: {}",
                self.violations[0]
            ))),
            n => Err(errors.validation(format!(
                "{n} validation errors detected: {}",
                self.violations.join("; ")
            ))),
        }
    }
}

/// AWS quotes the offending value, cut to a readable length.
fn quoted(value: &str) -> String {
    const SHOWN: usize = 256;
    if value.chars().count() <= SHOWN {
        format!("'{value}'")
    } else {
        let head: String = value.chars().take(SHOWN).collect();
        format!("'{head}...'")
    }
}

/// One page of a listing.
#[derive(Debug)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The token of the next page, when there is one.
    pub next_token: Option<String>,
}

/// How one listing pages: its token scope (so a token of one listing is refused by another), its
/// page sizes, and how the service words a bad size or a bad token.
#[derive(Debug, Clone, Copy)]
pub struct Paginator {
    /// `states:ListExecutions`, ...: what a token is valid for.
    pub scope: &'static str,
    /// The page size when the request gives none (or 0, where the service treats 0 as none).
    pub default_size: usize,
    /// The largest page size accepted.
    pub max_size: usize,
    /// Whether a size of 0 means "the default" (Step Functions) rather than a violation.
    pub zero_is_default: bool,
    /// The size member's name (`maxResults`, `limit`, `MaxItems`).
    pub size_member: &'static str,
    /// A token that is not one this listing issued.
    pub invalid_token: fn(&str) -> AwsError,
}

impl Paginator {
    /// A listing's request, checked once, before anything is read: the page size asked for
    /// against the listing's limits, and the token (one this listing issued for the same
    /// `within`, see [`Paginator::position`]). What follows pages with the checked request.
    pub fn request(
        &self,
        within: &str,
        requested_size: Option<i64>,
        token: Option<&str>,
        errors: &ErrorVocabulary,
    ) -> Result<PageRequest, AwsError> {
        let size = self.size(requested_size, errors)?;
        let position = self.position(within, token)?;
        Ok(PageRequest {
            size,
            position,
            scope: self.scope_of(within),
            token: token.map(str::to_owned),
            invalid_token: self.invalid_token,
        })
    }

    fn size(&self, requested: Option<i64>, errors: &ErrorVocabulary) -> Result<usize, AwsError> {
        match requested {
            None => Ok(self.default_size),
            Some(0) if self.zero_is_default => Ok(self.default_size),
            Some(n) => {
                let mut check = Check::default();
                check.range(
                    self.size_member,
                    Some(n),
                    1,
                    i64::try_from(self.max_size).unwrap_or(i64::MAX),
                );
                check.finish(errors)?;
                Ok(usize::try_from(n).unwrap_or(self.max_size))
            }
        }
    }

    /// The position a token stands for (`None` for the first page). `within` narrows the scope
    /// to one listing's arguments (a state machine's executions), so a token of another is refused.
    pub fn position(&self, within: &str, token: Option<&str>) -> Result<Option<String>, AwsError> {
        match token {
            None => Ok(None),
            Some(t) => tokens::open(&self.scope_of(within), t)
                .map(Some)
                .ok_or_else(|| (self.invalid_token)(t)),
        }
    }

    /// A token for `position`.
    pub fn token(&self, within: &str, position: &str) -> String {
        tokens::seal(&self.scope_of(within), position)
    }

    fn scope_of(&self, within: &str) -> String {
        if within.is_empty() {
            self.scope.to_owned()
        } else {
            format!("{}:{within}", self.scope)
        }
    }
}

/// A listing's request as [`Paginator::request`] checked it: the page size and where the page
/// starts. Listings held whole page with [`PageRequest::page`]; listings read a page at a time
/// (in SQL) read `size` and `position` and hand out [`PageRequest::next_token`].
#[derive(Debug, Clone)]
pub struct PageRequest {
    /// The page size, within the listing's limits.
    pub size: usize,
    /// What the token stood for (an offset, a name, an id); `None` for the first page.
    pub position: Option<String>,
    /// The listing's token scope, narrowed to its arguments.
    scope: String,
    /// The token as sent, for the error that refuses a position the listing cannot read.
    token: Option<String>,
    invalid_token: fn(&str) -> AwsError,
}

impl PageRequest {
    /// The position read as a number (an offset, a keyset id); a position that is not one is the
    /// listing's invalid-token error.
    pub fn position_as<T: std::str::FromStr>(&self) -> Result<Option<T>, AwsError> {
        self.position
            .as_deref()
            .map(|p| {
                p.parse::<T>()
                    .map_err(|_| (self.invalid_token)(self.token.as_deref().unwrap_or("")))
            })
            .transpose()
    }

    /// The token of the page that starts at `position`, for the same listing and arguments.
    pub fn next_token(&self, position: &str) -> String {
        tokens::seal(&self.scope, position)
    }

    /// The requested page of `items` (a listing held whole: the position is an offset).
    pub fn page<T>(&self, items: Vec<T>) -> Result<Page<T>, AwsError> {
        let offset = self.position_as::<usize>()?.unwrap_or(0);
        let total = items.len();
        let end = offset.saturating_add(self.size);
        let items: Vec<T> = items.into_iter().skip(offset).take(self.size).collect();
        let next_token = (end < total).then(|| self.next_token(&end.to_string()));
        Ok(Page { items, next_token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    fn missing(member: &str) -> AwsError {
        AwsError::client("ValidationException", null_member_message(member))
    }

    static ERRORS: ErrorVocabulary = ErrorVocabulary {
        validation: "ValidationException",
        missing,
    };

    struct Service {
        greeting: &'static str,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct GreetInput {
        name: String,
        times: Option<i64>,
        tone: Option<String>,
    }

    impl Validate for GreetInput {
        fn validate(&self, check: &mut Check) {
            check.length("name", Some(&self.name), 1, 5);
            check.range("times", self.times, 1, 3);
            check.one_of("tone", self.tone.as_deref(), &["LOUD", "SOFT"]);
        }
    }

    #[derive(Serialize)]
    struct GreetOutput {
        text: String,
    }

    struct Greet;

    impl Operation<Service> for Greet {
        const NAME: &'static str = "Greet";
        type Input = GreetInput;
        type Output = GreetOutput;
        async fn run(service: Arc<Service>, input: GreetInput) -> Result<GreetOutput, AwsError> {
            let n = usize::try_from(input.times.unwrap_or(1)).unwrap_or(1);
            Ok(GreetOutput {
                text: format!("{} {}", service.greeting, input.name).repeat(n),
            })
        }
    }

    fn registry() -> (Operations<Service>, Arc<Service>) {
        (
            Operations::new(&ERRORS).with::<Greet>(),
            Arc::new(Service { greeting: "hi" }),
        )
    }

    #[tokio::test]
    async fn an_operation_decodes_checks_runs_and_encodes() {
        let (ops, svc) = registry();
        assert_eq!(ops.names(), vec!["Greet"]);
        let out = ops
            .call(svc.clone(), "Greet", json!({"name": "ana", "times": 2}))
            .await
            .unwrap();
        assert_eq!(out, json!({"text": "hi anahi ana"}));

        let err = ops.call(svc.clone(), "Greet", json!({})).await.unwrap_err();
        assert_eq!(
            err.message.as_deref(),
            Some(
                "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"
            )
        );
        let err = ops
            .call(svc.clone(), "Greet", json!({"name": 7}))
            .await
            .unwrap_err();
        assert_eq!(err.code, "SerializationException");
        let err = ops.call(svc.clone(), "Nope", json!({})).await.unwrap_err();
        assert_eq!(err.code, "UnknownOperationException");
    }

    #[tokio::test]
    async fn every_violated_constraint_is_named_in_one_message() {
        let (ops, svc) = registry();
        let err = ops
            .call(
                svc,
                "Greet",
                json!({"name": "toolong", "times": 9, "tone": "MEH"}),
            )
            .await
            .unwrap_err();
        assert_eq!(err.code, "ValidationException");
        assert_eq!(
            err.message.as_deref(),
            Some(
                "3 validation errors detected: Value 'toolong' at 'name' failed to satisfy constraint: Member must have length less than or equal to 5; Value '9' at 'times' failed to satisfy constraint: Member must have value less than or equal to 3; Value 'MEH' at 'tone' failed to satisfy constraint: Member must satisfy enum value set: [LOUD, SOFT]"
            )
        );
    }

    #[test]
    fn a_refusal_in_the_service_s_words_is_answered_alone() {
        let mut check = Check::default();
        check.length("name", Some("toolong"), 1, 5);
        assert!(!check.is_empty());
        check.refuse(AwsError::client("InvalidParameterValue", "first"));
        check.refuse(AwsError::client("MissingParameter", "second"));
        let err = check.finish(&ERRORS).unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_deref()),
            ("InvalidParameterValue", Some("first"))
        );
        assert!(Check::default().is_empty());
    }

    fn invalid_token(t: &str) -> AwsError {
        AwsError::client("InvalidToken", format!("Invalid Token: '{t}'"))
    }

    const LISTING: Paginator = Paginator {
        scope: "test:List",
        default_size: 2,
        max_size: 3,
        zero_is_default: true,
        size_member: "maxResults",
        invalid_token,
    };

    /// The page at `token` of `items`: the request checked, then the page taken.
    fn page_of(
        within: &str,
        items: Vec<u32>,
        size: Option<i64>,
        token: Option<&str>,
    ) -> Result<Page<u32>, AwsError> {
        LISTING.request(within, size, token, &ERRORS)?.page(items)
    }

    #[test]
    fn pages_walk_the_listing_with_opaque_tokens() {
        let items: Vec<u32> = (0..5).collect();
        let first = page_of("", items.clone(), None, None).unwrap();
        assert_eq!(first.items, vec![0, 1]);
        let token = first.next_token.unwrap();
        assert_ne!(token, "2", "the offset is sealed, not sent bare");
        let mut altered = token.clone().into_bytes();
        altered[0] = if altered[0] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        assert_eq!(
            page_of("", items.clone(), None, Some(&altered))
                .unwrap_err()
                .code,
            "InvalidToken"
        );
        let second = page_of("", items.clone(), Some(3), Some(&token)).unwrap();
        assert_eq!(second.items, vec![2, 3, 4]);
        assert!(second.next_token.is_none());
        let zero = page_of("", items.clone(), Some(0), None).unwrap();
        assert_eq!(zero.items.len(), 2);
    }

    #[test]
    fn sizes_and_tokens_are_checked() {
        let items: Vec<u32> = (0..5).collect();
        let err = page_of("", items.clone(), Some(4), None).unwrap_err();
        assert_eq!(
            err.message.as_deref(),
            Some(
                "1 validation error detected: Value '4' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 3"
            )
        );
        let err = page_of("", items.clone(), None, Some("2")).unwrap_err();
        assert_eq!(err.code, "InvalidToken");
        let other = Paginator {
            scope: "test:Other",
            ..LISTING
        };
        let foreign = other.token("", "2");
        let err = page_of("", items.clone(), None, Some(&foreign)).unwrap_err();
        assert_eq!(err.code, "InvalidToken");
        // A token of the same listing with other arguments.
        let narrowed = LISTING.token("machine-a", "2");
        let err = page_of("machine-b", items, None, Some(&narrowed)).unwrap_err();
        assert_eq!(err.code, "InvalidToken");
    }

    #[test]
    fn a_request_is_checked_once_before_the_listing_is_read() {
        // A bad size and a bad token are each refused by `request`, before any item exists.
        let err = LISTING.request("", Some(9), None, &ERRORS).unwrap_err();
        assert_eq!(err.code, "ValidationException");
        let err = LISTING.request("", Some(-1), None, &ERRORS).unwrap_err();
        assert_eq!(
            err.message.as_deref(),
            Some(
                "1 validation error detected: Value '-1' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )
        );
        let err = LISTING
            .request("", None, Some("never-issued"), &ERRORS)
            .unwrap_err();
        assert_eq!(
            (err.code.as_str(), err.message.as_deref()),
            ("InvalidToken", Some("Invalid Token: 'never-issued'"))
        );
        // A checked request carries its size and position; paging does not check them again.
        let token = LISTING.token("machine-a", "1");
        let request = LISTING
            .request("machine-a", Some(3), Some(&token), &ERRORS)
            .unwrap();
        assert_eq!((request.size, request.position.as_deref()), (3, Some("1")));
        assert_eq!(request.position_as::<i64>().unwrap(), Some(1));
        let page = request.page((0..5).collect::<Vec<u32>>()).unwrap();
        assert_eq!(page.items, vec![1, 2, 3]);
        // The next token is the same listing's, with the same arguments.
        let next = page.next_token.unwrap();
        assert_eq!(
            LISTING
                .position("machine-a", Some(&next))
                .unwrap()
                .as_deref(),
            Some("4")
        );
        assert!(LISTING.position("machine-b", Some(&next)).is_err());
        // A token this listing issued whose position is not an offset is refused by the page.
        let named = LISTING.token("", "some-name");
        let request = LISTING.request("", None, Some(&named), &ERRORS).unwrap();
        assert_eq!(request.page(vec![0u32]).unwrap_err().code, "InvalidToken");
    }
}
