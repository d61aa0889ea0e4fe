//! Manual review: the request the state machine publishes with
//! `events:putEvents.waitForTaskToken`, the events reviewers put, and the
//! task output the callback completer sends with `SendTaskSuccess`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::mask;
use crate::risk::{RiskLevel, RiskReason};

/// Longest accepted `reviewer`, in characters.
pub const MAX_REVIEWER_CHARS: usize = 256;
/// Longest accepted review `comment`, in characters (well under the
/// 256 KiB limit of a `SendTaskSuccess` output).
pub const MAX_COMMENT_CHARS: usize = 4096;

/// A reviewer's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewDecision {
    Approve,
    Decline,
}

crate::stable_names!(ReviewDecision {
    Approve => "APPROVE",
    Decline => "DECLINE",
});

/// Detail of **Manual review requested** (source `com.aws.kyc`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualReviewRequested {
    pub application_id: String,
    pub risk_score: u8,
    pub risk_level: RiskLevel,
    pub reasons: Vec<RiskReason>,
    /// `$$.Task.Token`: whoever holds it can complete the task.
    pub task_token: String,
}

impl fmt::Debug for ManualReviewRequested {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualReviewRequested")
            .field("application_id", &self.application_id)
            .field("risk_score", &self.risk_score)
            .field("risk_level", &self.risk_level)
            .field("reasons", &self.reasons)
            .field("task_token", &mask::mask_secret(&self.task_token))
            .finish()
    }
}

/// Detail of **Manual review started** (source `com.aws.review`): answered
/// with `SendTaskHeartbeat`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualReviewStarted {
    pub task_token: String,
    #[serde(default)]
    pub reviewer: Option<String>,
}

impl ManualReviewStarted {
    /// Reads a detail leniently: only the task token is needed for a
    /// heartbeat; a missing or odd `reviewer` is ignored.
    pub fn from_detail(detail: &Value) -> Result<Self, ReviewEventError> {
        let obj = detail.as_object();
        let task_token = task_token(obj)?;
        let reviewer = obj
            .and_then(|o| o.get("reviewer"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        Ok(ManualReviewStarted {
            task_token,
            reviewer,
        })
    }
}

impl fmt::Debug for ManualReviewStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualReviewStarted")
            .field("task_token", &mask::mask_secret(&self.task_token))
            .field("reviewer", &self.reviewer.as_deref().map(mask::mask_name))
            .finish()
    }
}

/// Detail of **Manual review completed** (source `com.aws.review`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManualReviewCompleted {
    pub task_token: String,
    pub decision: ReviewDecision,
    pub reviewer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl ManualReviewCompleted {
    /// Validates a reviewer's detail. Without a task token there is nothing
    /// to complete ([`ReviewEventError::MissingTaskToken`]); with one, any
    /// other problem is [`ReviewEventError::Invalid`], which the callback
    /// completer reports with `SendTaskFailure` (`ReviewInvalid`).
    ///
    /// `decision` is matched case-insensitively after trimming, so a
    /// reviewer typing `approve` on the CLI is not turned into a failure.
    pub fn from_detail(detail: &Value) -> Result<Self, ReviewEventError> {
        let obj = detail.as_object();
        let task_token = task_token(obj)?;
        let invalid = |problem| ReviewEventError::Invalid {
            task_token: task_token.clone(),
            problem,
        };
        let Some(obj) = obj else {
            return Err(invalid("detail must be a JSON object"));
        };
        let decision = match obj.get("decision") {
            None | Some(Value::Null) => return Err(invalid("decision is required")),
            Some(Value::String(s)) => match s.trim().to_ascii_uppercase().as_str() {
                "APPROVE" => ReviewDecision::Approve,
                "DECLINE" => ReviewDecision::Decline,
                _ => return Err(invalid("decision must be APPROVE or DECLINE")),
            },
            Some(_) => return Err(invalid("decision must be APPROVE or DECLINE")),
        };
        let reviewer = match obj.get("reviewer") {
            None | Some(Value::Null) => return Err(invalid("reviewer is required")),
            Some(Value::String(s)) if s.trim().is_empty() => {
                return Err(invalid("reviewer is required"));
            }
            Some(Value::String(s)) if s.trim().chars().count() > MAX_REVIEWER_CHARS => {
                return Err(invalid("reviewer is too long (at most 256 characters)"));
            }
            Some(Value::String(s)) => s.trim().to_string(),
            Some(_) => return Err(invalid("reviewer must be a string")),
        };
        let comment = match obj.get("comment") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.chars().count() > MAX_COMMENT_CHARS => {
                return Err(invalid("comment is too long (at most 4096 characters)"));
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(invalid("comment must be a string")),
        };
        Ok(ManualReviewCompleted {
            task_token,
            decision,
            reviewer,
            comment,
        })
    }

    /// The task output sent with `SendTaskSuccess`.
    pub fn outcome(&self) -> ReviewOutcome {
        ReviewOutcome {
            decision: self.decision,
            reviewer: self.reviewer.clone(),
            comment: self.comment.clone(),
        }
    }
}

impl fmt::Debug for ManualReviewCompleted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualReviewCompleted")
            .field("task_token", &mask::mask_secret(&self.task_token))
            .field("decision", &self.decision)
            .field("reviewer", &mask::mask_name(&self.reviewer))
            .field(
                "comment",
                &self.comment.as_deref().map(mask::mask_free_text),
            )
            .finish()
    }
}

/// Output of the waiting task (`SendTaskSuccess`):
/// `{"decision": "APPROVE", "reviewer": "...", "comment": "..." | null}`.
/// `comment` is always present (null when absent) so the state machine can
/// reference `$.comment` without a runtime error.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewOutcome {
    pub decision: ReviewDecision,
    pub reviewer: String,
    pub comment: Option<String>,
}

impl fmt::Debug for ReviewOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReviewOutcome")
            .field("decision", &self.decision)
            .field("reviewer", &mask::mask_name(&self.reviewer))
            .field(
                "comment",
                &self.comment.as_deref().map(mask::mask_free_text),
            )
            .finish()
    }
}

/// Why a reviewer's event cannot complete the task.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewEventError {
    /// No usable `taskToken`: nothing to complete.
    #[error("taskToken is required (a non-empty string)")]
    MissingTaskToken,
    /// The task can be failed with `ReviewInvalid`; `problem` is the cause.
    #[error("{problem}")]
    Invalid {
        task_token: String,
        problem: &'static str,
    },
}

impl fmt::Debug for ReviewEventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewEventError::MissingTaskToken => f.write_str("MissingTaskToken"),
            ReviewEventError::Invalid {
                task_token,
                problem,
            } => f
                .debug_struct("Invalid")
                .field("task_token", &mask::mask_secret(task_token))
                .field("problem", problem)
                .finish(),
        }
    }
}

fn task_token(obj: Option<&Map<String, Value>>) -> Result<String, ReviewEventError> {
    obj.and_then(|o| o.get("taskToken"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or(ReviewEventError::MissingTaskToken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    const TOKEN: &str = "AQCEAAAAKgAAAAMAAAAAAAAAAbcdEFGH";

    #[test]
    fn a_complete_review_parses_and_gives_the_task_output() {
        let r = ManualReviewCompleted::from_detail(&json!({
            "taskToken": TOKEN, "decision": " approve ", "reviewer": "jane.reviewer", "comment": "ok"
        }))
        .unwrap();
        assert_eq!(r.decision, ReviewDecision::Approve);
        assert_eq!(
            serde_json::to_value(r.outcome()).unwrap(),
            json!({"decision": "APPROVE", "reviewer": "jane.reviewer", "comment": "ok"})
        );
        let r = ManualReviewCompleted::from_detail(&json!({
            "taskToken": TOKEN, "decision": "DECLINE", "reviewer": "jane.reviewer"
        }))
        .unwrap();
        assert_eq!(
            serde_json::to_value(r.outcome()).unwrap(),
            json!({"decision": "DECLINE", "reviewer": "jane.reviewer", "comment": null})
        );
    }

    #[test]
    fn round_trips() {
        let v =
            json!({"taskToken": TOKEN, "decision": "DECLINE", "reviewer": "r1", "comment": "c"});
        let r: ManualReviewCompleted = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&r).unwrap(), v);
        let v = json!({"taskToken": TOKEN, "reviewer": "r1"});
        let s: ManualReviewStarted = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&s).unwrap(), v);
        let v = json!({"applicationId": "app-1", "riskScore": 50, "riskLevel": "MEDIUM",
                       "reasons": ["PO_BOX_ADDRESS"], "taskToken": TOKEN});
        let m: ManualReviewRequested = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(serde_json::to_value(&m).unwrap(), v);
    }

    #[test]
    fn without_a_token_there_is_nothing_to_complete() {
        for detail in [
            json!({"decision": "APPROVE", "reviewer": "r"}),
            json!({"taskToken": "  ", "decision": "APPROVE", "reviewer": "r"}),
            json!({"taskToken": 42, "decision": "APPROVE", "reviewer": "r"}),
            json!("not an object"),
            Value::Null,
        ] {
            assert_eq!(
                ManualReviewCompleted::from_detail(&detail),
                Err(ReviewEventError::MissingTaskToken),
                "{detail}"
            );
            assert_eq!(
                ManualReviewStarted::from_detail(&detail),
                Err(ReviewEventError::MissingTaskToken),
                "{detail}"
            );
        }
    }

    #[test]
    fn invalid_reviews_with_a_token_say_why() {
        let cases = [
            (json!({"reviewer": "r"}), "decision is required"),
            (
                json!({"decision": "MAYBE", "reviewer": "r"}),
                "decision must be APPROVE or DECLINE",
            ),
            (
                json!({"decision": true, "reviewer": "r"}),
                "decision must be APPROVE or DECLINE",
            ),
            (json!({"decision": "APPROVE"}), "reviewer is required"),
            (
                json!({"decision": "APPROVE", "reviewer": " "}),
                "reviewer is required",
            ),
            (
                json!({"decision": "APPROVE", "reviewer": 1}),
                "reviewer must be a string",
            ),
            (
                json!({"decision": "APPROVE", "reviewer": "r".repeat(257)}),
                "reviewer is too long (at most 256 characters)",
            ),
            (
                json!({"decision": "APPROVE", "reviewer": "r", "comment": {}}),
                "comment must be a string",
            ),
            (
                json!({"decision": "APPROVE", "reviewer": "r", "comment": "c".repeat(4097)}),
                "comment is too long (at most 4096 characters)",
            ),
        ];
        for (mut detail, problem) in cases {
            detail["taskToken"] = json!(TOKEN);
            let e = ManualReviewCompleted::from_detail(&detail).unwrap_err();
            assert_eq!(
                e,
                ReviewEventError::Invalid {
                    task_token: TOKEN.into(),
                    problem
                }
            );
            assert_eq!(e.to_string(), problem);
        }
    }

    #[test]
    fn started_needs_only_the_token() {
        let s = ManualReviewStarted::from_detail(&json!({"taskToken": TOKEN})).unwrap();
        assert_eq!(s.reviewer, None);
        let s = ManualReviewStarted::from_detail(&json!({"taskToken": TOKEN, "reviewer": "jane"}))
            .unwrap();
        assert_eq!(s.reviewer.as_deref(), Some("jane"));
    }

    #[test]
    fn debug_hides_tokens_reviewers_and_comments() {
        let r = ManualReviewCompleted::from_detail(&json!({
            "taskToken": TOKEN, "decision": "APPROVE", "reviewer": "Jane Reviewer", "comment": "Known customer"
        }))
        .unwrap();
        let e = ReviewEventError::Invalid {
            task_token: TOKEN.into(),
            problem: "p",
        };
        let s = ManualReviewStarted::from_detail(
            &json!({"taskToken": TOKEN, "reviewer": "Jane Reviewer"}),
        )
        .unwrap();
        for text in [
            format!("{r:?}"),
            format!("{:?}", r.outcome()),
            format!("{e:?}"),
            format!("{s:?}"),
        ] {
            for secret in [TOKEN, "Jane", "Reviewer\"", "Known customer"] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
        }
        assert_eq!(
            format!("{:?}", r.outcome()),
            "ReviewOutcome { decision: Approve, reviewer: \"J*** R***\", comment: Some(\"***(14 chars)\") }"
        );
    }
}
