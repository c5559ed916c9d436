//! The head parser: the framing rules, and properties over generated requests (a seeded generator,
//! so a failure reproduces): no panic on any bytes, the same result however the bytes are split.

use super::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const LIMIT: usize = 1_000_000;

fn head(framing: &str) -> Result<RequestHead, Refusal> {
    let text = format!("POST /p/hs/analytics?action=lead HTTP/1.1\r\nHost: x\r\n{framing}\r\n\r\n");
    parse_head(text.as_bytes(), LIMIT)
}

fn status(framing: &str) -> u16 {
    match head(framing) {
        Ok(_) => 200,
        Err(refusal) => refusal.status.as_u16(),
    }
}

#[test]
fn content_length_is_digits_only() {
    assert_eq!(head("Content-Length: 12").unwrap().body_length, 12);
    assert_eq!(head("Content-Length: 007").unwrap().body_length, 7);
    assert_eq!(head("Content-Length: 5\r\nContent-Length: 5").unwrap().body_length, 5);
    for bad in ["+0", "-1", "0x1", "1 1", "1,1", "5, 5", "1.0", "١", "99999999999999999999999999"] {
        assert_eq!(status(&format!("Content-Length: {bad}")), 400, "{bad}");
    }
    assert_eq!(status("Content-Length: 5\r\nContent-Length: 6"), 400);
    assert_eq!(status("Content-Length: 2000000"), 413);
}

#[test]
fn transfer_encoding_other_than_final_chunked_is_not_implemented() {
    for te in ["gzip", "chunked, gzip", "identity", "chunked\r\nTransfer-Encoding: gzip", ""] {
        assert_eq!(status(&format!("Transfer-Encoding: {te}")), 501, "{te}");
    }
    // A final chunked: we take no chunked bodies and say so; the connection closes either way.
    assert_eq!(status("Transfer-Encoding: gzip, chunked"), 411);
    assert_eq!(status("Transfer-Encoding: Chunked"), 411);
    // Together with Content-Length: ambiguous, refused whatever the coding.
    assert_eq!(status("Transfer-Encoding: chunked\r\nContent-Length: 4"), 400);
    assert_eq!(status("Content-Length: 0\r\nTransfer-Encoding: gzip"), 400);
}

#[test]
fn the_head_keeps_what_the_router_needs() {
    let h = parse_head(b"GET /a/hs/analytics?x=1&y=%20 HTTP/1.0\r\nX-A: 1\r\nX-A: 2\r\n\r\n", LIMIT).unwrap();
    assert_eq!(h.method, Method::GET);
    assert_eq!(h.path, "/a/hs/analytics");
    assert_eq!(&*h.query, "x=1&y=%20");
    assert_eq!(h.headers.get_all("x-a").iter().count(), 2);
    assert!(!h.keep_alive, "HTTP/1.0 closes unless asked");
    assert_eq!(h.body_length, 0);
}

#[test]
fn head_end_found_with_either_line_ending() {
    let crlf = "GET / HTTP/1.1\r\nA: b\r\n\r\nbody";
    assert_eq!(find_head_end(crlf.as_bytes(), 0), crlf.find("body"));
    let lf = "GET / HTTP/1.1\nA: b\n\nbody";
    assert_eq!(find_head_end(lf.as_bytes(), 0), lf.find("body"));
    assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nA: b\r\n", 0), None);
    assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nA: b\r\n\r", 0), None);
}

/// A request head as clients (and attackers) write them: mostly well-formed, with the framing
/// headers drawn from valid and invalid values.
fn generated_head(rng: &mut StdRng) -> Vec<u8> {
    const METHODS: [&str; 5] = ["GET", "POST", "HEAD", "PUT", "G@T"];
    const LENGTHS: [&str; 9] = ["0", "5", "+0", "-1", "0x1", " 7", "1 1", "", "18446744073709551616"];
    const CODINGS: [&str; 5] = ["chunked", "gzip", "gzip, chunked", "chunked, gzip", "identity"];
    let eol = if rng.random_bool(0.9) { "\r\n" } else { "\n" };
    let mut text = format!(
        "{} /p/hs/analytics?action=lead&text={} HTTP/1.{}{eol}",
        METHODS[rng.random_range(0..METHODS.len())],
        "a".repeat(rng.random_range(0..300)),
        rng.random_range(0..2)
    );
    for _ in 0..rng.random_range(0..6) {
        let line = match rng.random_range(0..5) {
            0 => format!("Content-Length: {}", LENGTHS[rng.random_range(0..LENGTHS.len())]),
            1 => format!("Transfer-Encoding: {}", CODINGS[rng.random_range(0..CODINGS.len())]),
            2 => "Connection: close".to_string(),
            3 => format!("X-Forwarded-For: 10.0.0.{}", rng.random_range(0..255)),
            _ => "Expect: 100-continue".to_string(),
        };
        text.push_str(&line);
        text.push_str(eol);
    }
    text.push_str(eol);
    text.into_bytes()
}

/// Splits `bytes` at random points, as reads from a socket would.
fn random_split<'a>(rng: &mut StdRng, bytes: &'a [u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let most = if rng.random_bool(0.5) { 3 } else { 200 };
        let n = rng.random_range(1..=(bytes.len() - at).min(most));
        pieces.push(&bytes[at..at + n]);
        at += n;
    }
    pieces
}

/// The parse as a comparable value.
fn outcome(result: Result<RequestHead, Refusal>) -> Result<String, Refusal> {
    result.map(|h| {
        format!(
            "{} {} {} {:?} {:?} {} {}",
            h.method, h.path, h.query, h.version, h.headers, h.body_length, h.keep_alive
        )
    })
}

#[test]
fn any_split_of_the_same_bytes_gives_the_same_parse() {
    let mut rng = StdRng::seed_from_u64(15);
    for _ in 0..3000 {
        let mut bytes = generated_head(&mut rng);
        bytes.extend_from_slice(b"GET /next HTTP/1.1\r\n\r\n");
        let whole_end = find_head_end(&bytes, 0);
        let mut scanner = HeadScanner::default();
        let mut received = Vec::new();
        let mut end = None;
        for piece in random_split(&mut rng, &bytes) {
            received.extend_from_slice(piece);
            end = scanner.end(&received);
            if end.is_some() {
                break;
            }
        }
        assert_eq!(end, whole_end, "{}", String::from_utf8_lossy(&bytes));
        let end = end.unwrap();
        assert_eq!(
            outcome(parse_head(&received[..end], LIMIT)),
            outcome(parse_head(&bytes[..end], LIMIT)),
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

#[test]
fn framing_rules_hold_for_generated_heads() {
    let mut rng = StdRng::seed_from_u64(9112);
    for _ in 0..5000 {
        let bytes = generated_head(&mut rng);
        let text = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
        let Ok(parsed) = parse_head(&bytes, LIMIT) else { continue };
        // Accepted: no Transfer-Encoding at all, and every Content-Length plain digits, all equal.
        assert!(!text.contains("transfer-encoding"), "{text}");
        let lengths: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim_start_matches([' ', '\t']).trim_end_matches('\r'))
            .collect();
        assert!(lengths.iter().all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit())), "{text}");
        let expected = lengths.first().map(|l| l.parse::<usize>().unwrap()).unwrap_or(0);
        assert!(lengths.iter().all(|l| l.parse::<usize>().unwrap() == expected), "{text}");
        assert_eq!(parsed.body_length, expected, "{text}");
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = StdRng::seed_from_u64(1);
    for round in 0..20_000 {
        let mut bytes = if round % 2 == 0 { generated_head(&mut rng) } else { Vec::new() };
        // Mutate a generated head, or make pure noise.
        for _ in 0..rng.random_range(1..40) {
            let at = rng.random_range(0..=bytes.len());
            bytes.insert(at, rng.random());
        }
        let _ = find_head_end(&bytes, rng.random_range(0..=bytes.len()));
        let end = find_head_end(&bytes, 0).unwrap_or(bytes.len());
        if let Ok(h) = parse_head(&bytes[..end], 1024) {
            assert!(h.body_length <= 1024 && h.query.len() <= 1024);
        }
    }
}
