use kyc_eventbus::EventPattern;

#[test]
fn aws_examples() {
    let e =
        EventPattern::parse(r#"{"source":["test.event-pattern"],"detail":{"lenderId":"LenderA"}}"#)
            .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Event pattern is not valid. Reason: \"lenderId\" must be an object or an array\n at [Source: (String)\"{\"source\":[\"test.event-pattern\"],\"detail\":{\"lenderId\":\"LenderA\"}}\"; line: 1, column: 56]"
    );
    let e = EventPattern::parse(r#"{"source": ["aws.health"], "detail": {}}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Event pattern is not valid. Reason: Empty objects are not allowed\n at [Source: (String)\"{\"source\": [\"aws.health\"], \"detail\": {}}\"; line: 1, column: 40]"
    );
    let e = EventPattern::parse(r#"{"key": [{"wildcard": "abc**def"}]}"#).unwrap_err();
    assert_eq!(
        e.full_reason(),
        "Consecutive wildcard characters at pos 4\n at [Source: (String)\"{\"key\": [{\"wildcard\": \"abc**def\"}]}\"; line: 1, column: 33]"
    );
}
