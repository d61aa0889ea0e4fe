//! Any text as a state machine definition: parse + validate must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = asl::Definition::parse(text);
        let _ = asl::intrinsic::Intrinsic::parse(text);
    }
});
