//! `AWS::SQS::Queue` into a [`QueueModel`].

use std::collections::BTreeMap;

use serde_json::Value;

use super::*;

pub(super) fn queue(r: &Resolver<'_>, decl: &Decl) -> Result<QueueModel, TemplateError> {
    let id = decl.id.as_str();
    let p = Props::new(id, "", eval_props(r, decl, &[])?);
    const ATTRIBUTES: &[&str] = &[
        "DelaySeconds",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "VisibilityTimeout",
        "RedrivePolicy",
        "RedriveAllowPolicy",
        "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds",
        "SqsManagedSseEnabled",
    ];
    let mut understood = vec!["QueueName", "FifoQueue"];
    understood.extend_from_slice(ATTRIBUTES);
    p.only(&understood, &["Tags"])?;
    if p.boolean("FifoQueue")?.unwrap_or(false) {
        return Err(p.err(
            "FifoQueue",
            "FIFO queues are not supported by the local stack",
        ));
    }
    let mut attributes = BTreeMap::new();
    for key in ATTRIBUTES {
        match p.get(key) {
            None => {}
            Some(Value::Object(_)) => {
                attributes.insert(
                    (*key).to_owned(),
                    p.get(key).map(Value::to_string).unwrap_or_default(),
                );
            }
            Some(v) => {
                let text = text_of(v).ok_or_else(|| p.err(key, "must be a string or number"))?;
                attributes.insert((*key).to_owned(), text);
            }
        }
    }
    Ok(QueueModel {
        logical_id: id.to_owned(),
        name: attribute(r, id, "QueueName"),
        arn: attribute(r, id, "Arn"),
        url: attribute(r, id, "QueueUrl"),
        attributes,
    })
}
