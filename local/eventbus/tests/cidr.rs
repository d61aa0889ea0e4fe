//! IP address matching with cidr (IPv4 and IPv6).

// Test helpers unwrap freely: a panic is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

match_cases! {
    v4_inside: r#"{"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}"#, r#"{"detail": {"sourceIPAddress": "10.0.0.24"}}"# => true;
    v4_last_address: r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#, r#"{"ip": "10.0.0.255"}"# => true;
    v4_first_address: r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#, r#"{"ip": "10.0.0.0"}"# => true;
    v4_outside: r#"{"ip": [{"cidr": "10.0.0.0/24"}]}"#, r#"{"ip": "10.0.1.0"}"# => false;
    v4_slash8: r#"{"detail": {"source-ip": [{"cidr": "10.0.0.0/8"}]}}"#, r#"{"detail": {"source-ip": "10.0.0.33"}}"# => true;
    v4_slash8_outside: r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#, r#"{"ip": "11.0.0.1"}"# => false;
    v4_slash0_everything: r#"{"ip": [{"cidr": "0.0.0.0/0"}]}"#, r#"{"ip": "255.255.255.255"}"# => true;
    v4_slash31: r#"{"ip": [{"cidr": "10.0.0.2/31"}]}"#, r#"{"ip": "10.0.0.3"}"# => true;
    v4_slash31_outside: r#"{"ip": [{"cidr": "10.0.0.2/31"}]}"#, r#"{"ip": "10.0.0.4"}"# => false;
    v4_not_an_ip: r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#, r#"{"ip": "hostname"}"# => false;
    v4_number_value: r#"{"ip": [{"cidr": "10.0.0.0/8"}]}"#, r#"{"ip": 10}"# => false;
    v4_range_starts_at_written_address: r#"{"ip": [{"cidr": "10.0.0.5/24"}]}"#, r#"{"ip": "10.0.0.1"}"# => false;
    v4_does_not_match_v6: r#"{"ip": [{"cidr": "0.0.0.0/0"}]}"#, r#"{"ip": "::1"}"# => false;
    v4_event_array: r#"{"ip": [{"cidr": "192.168.0.0/16"}]}"#, r#"{"ip": ["10.0.0.1", "192.168.3.4"]}"# => true;
    v6_inside: r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#, r#"{"ip": "2001:db8:1234::1"}"# => true;
    v6_outside: r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#, r#"{"ip": "2001:db9::1"}"# => false;
    v6_expanded_event_form: r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#, r#"{"ip": "2001:0db8:0000:0000:0000:0000:0000:0001"}"# => true;
    v6_uppercase_event: r#"{"ip": [{"cidr": "2001:db8::/32"}]}"#, r#"{"ip": "2001:DB8::FF"}"# => true;
    v6_slash127: r#"{"ip": [{"cidr": "::/127"}]}"#, r#"{"ip": "::1"}"# => true;
    v6_does_not_match_v4: r#"{"ip": [{"cidr": "::/0"}]}"#, r#"{"ip": "1.2.3.4"}"# => false;
    with_exact_alternative: r#"{"ip": [{"cidr": "10.0.0.0/8"}, "none"]}"#, r#"{"ip": "none"}"# => true;
}
