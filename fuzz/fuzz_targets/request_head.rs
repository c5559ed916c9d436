//! The request-head parser on arbitrary bytes: it never panics, finds the same head end however the
//! bytes arrive, and what it accepts stays within the limits and the framing rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skvoz::service::request_head::{HeadScanner, find_head_end, parse_head};

const LIMIT: usize = 4096;

fuzz_target!(|data: &[u8]| {
    // The first byte picks where reads split the rest; the rest is what the client sent.
    let Some((&step, bytes)) = data.split_first() else { return };
    let step = usize::from(step).max(1);
    let whole = find_head_end(bytes, 0);
    let mut scanner = HeadScanner::default();
    let mut found = None;
    let mut received = 0;
    while received < bytes.len() && found.is_none() {
        received = (received + step).min(bytes.len());
        found = scanner.end(&bytes[..received]);
    }
    assert_eq!(found, whole, "a split changed where the head ends");
    let end = whole.unwrap_or(bytes.len());
    if let Ok(head) = parse_head(&bytes[..end], LIMIT) {
        assert!(head.body_length <= LIMIT && head.query.len() <= LIMIT);
        // Accepted framing is never ambiguous: no Transfer-Encoding reaches the router.
        assert!(!head.headers.contains_key("transfer-encoding"));
    }
});
