//! Pagination tokens: opaque, and refused unless the stack issued them.
//!
//! Every paginated operation of every service hands out tokens made here. A
//! token carries its position (an offset, a name, a cursor) and a MAC over it
//! with a key drawn when the process starts, bound to the operation's scope;
//! a token the stack never issued, one altered, or one issued by another
//! operation is refused with the service's invalid-token error (HTTP 400),
//! instead of being read as a position it never named. Tokens do not outlive
//! the process, as AWS's tokens expire.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Longest token accepted before any decoding work (AWS's limits are 1,024
/// to 2,048 characters depending on the operation).
pub const MAX_TOKEN_LEN: usize = 4096;

fn key() -> &'static [u8; 32] {
    static KEY: OnceLock<[u8; 32]> = OnceLock::new();
    KEY.get_or_init(|| {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        k
    })
}

fn mac(scope: &str, payload: &str) -> String {
    let mut h = Sha256::new();
    h.update(key());
    h.update(scope.as_bytes());
    h.update([0u8]);
    h.update(payload.as_bytes());
    h.finalize()
        .iter()
        .take(12)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A token for `payload` in `scope` (for example `"states:ListExecutions"`).
pub fn seal(scope: &str, payload: &str) -> String {
    format!("{}.{}", B64.encode(payload), mac(scope, payload))
}

/// The payload of a token [`seal`] issued for `scope`; `None` for anything else.
pub fn open(scope: &str, token: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let (body, tag) = token.rsplit_once('.')?;
    let payload = String::from_utf8(B64.decode(body).ok()?).ok()?;
    (mac(scope, &payload) == tag).then_some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_issued_tokens_open() {
        let t = seal("states:ListExecutions", "100");
        assert_eq!(open("states:ListExecutions", &t).as_deref(), Some("100"));
        assert_eq!(open("states:ListStateMachines", &t), None);
        let forged = format!(
            "{}.{}",
            B64.encode("99999"),
            t.rsplit_once('.').unwrap_or_default().1
        );
        assert_eq!(open("states:ListExecutions", &forged), None);
        assert_eq!(open("states:ListExecutions", "the stack:100"), None);
        assert_eq!(open("states:ListExecutions", ""), None);
        assert_eq!(open("states:ListExecutions", &"a".repeat(10_000)), None);
    }
}
