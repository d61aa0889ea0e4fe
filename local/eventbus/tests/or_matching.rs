//! $or: alternatives of field sets, nested and in parallel.

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

const OR_FIELDS: &str = r#"{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"namespace": ["AWS/EC2", "AWS/ES"]}]}"#;
const OR_AND: &str = r#"{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]}, {"metricType": ["MetricType"], "namespace": ["AWS/EC2", "AWS/ES"]}, {"scope": ["Service"]}]}"#;
const PARALLEL: &str = r#"{"$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}], "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}}"#;
const NESTED: &str = r#"{"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"metricType": ["MetricType"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]}]}"#;

match_cases! {
    first_alternative: OR_FIELDS, r#"{"source": "aws.cloudwatch", "metricName": "CPUUtilization"}"# => true;
    second_alternative: OR_FIELDS, r#"{"source": "aws.cloudwatch", "namespace": "AWS/ES"}"# => true;
    no_alternative: OR_FIELDS, r#"{"source": "aws.cloudwatch", "metricName": "Other"}"# => false;
    shared_field_required: OR_FIELDS, r#"{"source": "aws.ec2", "metricName": "CPUUtilization"}"# => false;
    both_alternatives: OR_FIELDS, r#"{"source": "aws.cloudwatch", "metricName": "ReadLatency", "namespace": "AWS/EC2"}"# => true;
    and_inside_or_complete: OR_AND, r#"{"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2"}"# => true;
    and_inside_or_partial: OR_AND, r#"{"source": "aws.cloudwatch", "metricType": "MetricType"}"# => false;
    and_inside_or_third: OR_AND, r#"{"source": "aws.cloudwatch", "scope": "Service"}"# => true;
    parallel_both_satisfied: PARALLEL, r#"{"namespace": "AWS/EC2", "detail": {"source": "aws.cloudwatch"}}"# => true;
    parallel_second_group_alt: PARALLEL, r#"{"metricName": "CPUUtilization", "detail": {"detail-type": "CloudWatch Alarm State Change"}}"# => true;
    parallel_only_first_group: PARALLEL, r#"{"metricName": "CPUUtilization", "detail": {}}"# => false;
    parallel_only_second_group: PARALLEL, r#"{"detail": {"source": "aws.cloudwatch"}}"# => false;
    nested_inner_first: NESTED, r#"{"source": "aws.cloudwatch", "metricType": "MetricType", "metricId": 1234}"# => true;
    nested_inner_second: NESTED, r#"{"source": "aws.cloudwatch", "metricType": "MetricType", "spaceId": 1000}"# => true;
    nested_inner_missing: NESTED, r#"{"source": "aws.cloudwatch", "metricType": "MetricType"}"# => false;
    nested_outer_first: NESTED, r#"{"source": "aws.cloudwatch", "metricName": "CPUUtilization"}"# => true;
    nested_inner_without_sibling: NESTED, r#"{"source": "aws.cloudwatch", "metricId": 1234}"# => false;
    or_with_operators: r#"{"$or": [{"n": [{"numeric": [">", 10]}]}, {"s": [{"prefix": "x"}]}]}"#, r#"{"n": 1, "s": "xyz"}"# => true;
    or_with_operators_none: r#"{"$or": [{"n": [{"numeric": [">", 10]}]}, {"s": [{"prefix": "x"}]}]}"#, r#"{"n": 1, "s": "abc"}"# => false;
    or_with_exists_false: r#"{"$or": [{"a": [{"exists": false}]}, {"b": ["x"]}]}"#, r#"{"a": 1, "b": "x"}"# => true;
    or_with_exists_false_absent: r#"{"$or": [{"a": [{"exists": false}]}, {"b": ["x"]}]}"#, r#"{"c": 1}"# => true;
    or_with_exists_false_fails: r#"{"$or": [{"a": [{"exists": false}]}, {"b": ["x"]}]}"#, r#"{"a": 1, "b": "y"}"# => false;
    or_inside_nested_object: r#"{"detail": {"$or": [{"a": ["1"]}, {"b": ["2"]}]}}"#, r#"{"detail": {"b": "2"}}"# => true;
    or_inside_nested_object_paths: r#"{"detail": {"$or": [{"a": ["1"]}, {"b": ["2"]}]}}"#, r#"{"b": "2"}"# => false;
    field_after_or_applies_to_all: r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}], "c": ["3"]}"#, r#"{"b": "2"}"# => false;
    field_after_or_satisfied: r#"{"$or": [{"a": ["1"]}, {"b": ["2"]}], "c": ["3"]}"#, r#"{"b": "2", "c": "3"}"# => true;
}

#[test]
fn or_expands_into_branches() {
    let p = eventbus::EventPattern::parse(NESTED).unwrap();
    assert_eq!(p.branch_count(), 3);
    let p = eventbus::EventPattern::parse(PARALLEL).unwrap();
    assert_eq!(p.branch_count(), 4);
}
