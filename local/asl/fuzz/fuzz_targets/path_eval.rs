//! `<path>\n<json>`: parsing and evaluating any path on any document must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (path, doc) = text.split_once('\n').unwrap_or((text, "{\"a\":[1,{\"b\":2}],\"c\":\"d\"}"));
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(doc) else { return };
    if let Ok(p) = asl::path::Path::parse(path) {
        let _ = p.select(&doc);
        let _ = p.exists(&doc);
        let mut d = doc.clone();
        let _ = p.assign(&mut d, serde_json::Value::Null);
    }
    let _ = asl::choice::string_matches(path, "a*b\\*c*");
});
