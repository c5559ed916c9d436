//! Request parameters: the query string, a form body or a JSON body, merged.
//!
//! Decoding is strict (a bad `%` escape or invalid UTF-8 is an error, not a guess), so a broken
//! request is refused with a clear answer instead of storing mangled text.

pub use crate::domain::cut;
use crate::domain::{MASK, fit, is_secret_param, limits};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("Некорректная %-последовательность в параметрах (позиция {0}): закодируйте параметры по RFC 3986")]
    BadPercent(usize),
    #[error("Параметр «{0}» не в кодировке UTF-8: передавайте текст в UTF-8")]
    InvalidUtf8(String),
    #[error("Тело запроса не является JSON-объектом: {0}")]
    BadJson(String),
}

impl QueryError {
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::BadPercent(_) => "bad_encoding",
            QueryError::InvalidUtf8(_) => "bad_utf8",
            QueryError::BadJson(_) => "bad_json",
        }
    }
}

/// Parameters in arrival order; a later value of the same name wins.
#[derive(Debug, Clone, Default)]
pub struct Params {
    list: Vec<(String, String)>,
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.list.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A non-empty, trimmed value.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.list.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn push(&mut self, name: String, value: String) {
        self.list.push((name, value));
    }

    /// Parameters for the exchange log: secrets masked, long names and values cut. A `user` that is
    /// not the configured `login` is masked too: it may be a password typed into the wrong field.
    pub fn masked(&self, login: &str) -> Vec<(String, String)> {
        self.list
            .iter()
            .map(|(k, v)| {
                let secret = is_secret_param(k) || (k == "user" && v != login);
                let value = if secret { MASK.to_string() } else { fit(v, limits::PARAM_VALUE) };
                (fit(k, limits::PARAM_NAME), value)
            })
            .collect()
    }

    /// Adds `application/x-www-form-urlencoded` text (the query string has the same form).
    pub fn add_urlencoded(&mut self, raw: &[u8], offset: usize) -> Result<(), QueryError> {
        let mut pos = 0usize;
        for pair in raw.split(|b| *b == b'&') {
            let start = pos;
            pos += pair.len() + 1;
            if pair.is_empty() {
                continue;
            }
            let (name, value, value_at) = match pair.iter().position(|b| *b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..], start + eq + 1),
                None => (pair, &[][..], start + pair.len()),
            };
            let name = decode(name, offset + start)?;
            let name = String::from_utf8(name).map_err(|e| {
                QueryError::InvalidUtf8(String::from_utf8_lossy(&cut_bytes(e.as_bytes(), 40)).into_owned())
            })?;
            let value = decode(value, offset + value_at)?;
            let value = String::from_utf8(value).map_err(|_| QueryError::InvalidUtf8(cut(&name, 40)))?;
            self.list.push((name, value));
        }
        Ok(())
    }

    /// Adds the members of a JSON object body; non-string values keep their JSON text.
    pub fn add_json(&mut self, body: &[u8]) -> Result<(), QueryError> {
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| QueryError::BadJson(e.to_string()))?;
        let serde_json::Value::Object(map) = value else {
            return Err(QueryError::BadJson("ожидался объект {…}".into()));
        };
        for (k, v) in map {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            self.list.push((k, text));
        }
        Ok(())
    }
}

/// Strict percent-decoding with `+` as space.
fn decode(input: &[u8], offset: usize) -> Result<Vec<u8>, QueryError> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = input.get(i + 1).and_then(|b| hex(*b));
                let lo = input.get(i + 2).and_then(|b| hex(*b));
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(QueryError::BadPercent(offset + i)),
                }
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Ok(out)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn cut_bytes(bytes: &[u8], max: usize) -> Vec<u8> {
    bytes[..bytes.len().min(max)].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<Params, QueryError> {
        let mut p = Params::default();
        p.add_urlencoded(raw.as_bytes(), 0)?;
        Ok(p)
    }

    #[test]
    fn decodes_strictly() {
        let p = parse("a=1&b=%D0%9F%D1%80%D0%B8+%D0%B2%D0%B5%D1%82&c&&a=2").unwrap();
        assert_eq!(p.get("a"), Some("2"));
        assert_eq!(p.get("b"), Some("При вет"));
        assert_eq!(p.get("c"), Some(""));
        assert!(matches!(parse("a=%zz"), Err(QueryError::BadPercent(2))));
        assert!(matches!(parse("a=%4"), Err(QueryError::BadPercent(_))));
        assert!(matches!(parse("a=%FF%FE"), Err(QueryError::InvalidUtf8(_))));
    }

    #[test]
    fn masks_secrets() {
        let p = parse("user=u&token=abc&text=hello").unwrap();
        let m = p.masked("u");
        assert_eq!(m[0], ("user".into(), "u".into()));
        assert_eq!(m[1], ("token".into(), MASK.into()));
        assert_eq!(m[2], ("text".into(), "hello".into()));
        // A user that is not the login may be the password typed into the login field.
        assert_eq!(parse("user=Pa55word").unwrap().masked("httpService")[0].1, MASK);
        let long = parse(&format!("{}={}", "n".repeat(10_000), "v".repeat(10_000))).unwrap().masked("u");
        assert!(long[0].0.len() <= limits::PARAM_NAME && long[0].1.len() <= limits::PARAM_VALUE);
    }

    #[test]
    fn json_body() {
        let mut p = Params::default();
        p.add_json(br#"{"action":"lead","data":{"a":1},"n":5,"z":null}"#).unwrap();
        assert_eq!(p.get("data"), Some(r#"{"a":1}"#));
        assert_eq!(p.get("n"), Some("5"));
        assert!(p.add_json(b"[1]").is_err());
    }
}
