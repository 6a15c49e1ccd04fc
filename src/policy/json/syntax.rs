//! A strict RFC 8259 JSON reader that keeps the location of every value and
//! key, refuses duplicate keys, and stops at a depth limit.
//!
//! serde_json gives no positions for values, and RAM users need
//! `file:line:column` for every mistake (Parliament's authors wished for
//! exactly this), so the policy front end reads JSON itself. Numbers are
//! kept as their text: policies hold strings, and a number is only ever
//! reported as the wrong type.

use std::fmt;

use crate::policy::kind::MAX_DEPTH;
use crate::policy::loc::{Loc, Spanned};

/// A JSON value with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it was written.
    pub loc: Loc,
}

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Node>),
    /// An object, members in source order (keys are unique).
    Object(Vec<(Spanned<String>, Node)>),
}

impl Value {
    /// The JSON type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

/// Why a text is not JSON, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong, as one lowercase phrase.
    pub message: String,
    /// Where.
    pub loc: Loc,
    /// The syntax was fine but the nesting too deep.
    pub too_deep: bool,
    /// A key was repeated in one object.
    pub duplicate_key: Option<String>,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.message)
    }
}

/// Reads one JSON document (surrounding white space allowed).
pub fn parse(src: &str) -> Result<Node, SyntaxError> {
    let mut r = Reader {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        cursor: (0, 1, 1),
    };
    r.skip_ws();
    let node = r.value(0)?;
    r.skip_ws();
    if r.pos < r.bytes.len() {
        return Err(r.error(
            r.pos,
            format!("expected the end of the document, found {}", r.found()),
        ));
    }
    Ok(node)
}

struct Reader<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// (offset, line, column) of the last location computed: locations are
    /// asked for in increasing order, so counting from here keeps the whole
    /// parse linear.
    cursor: (usize, u32, u32),
}

impl<'a> Reader<'a> {
    fn loc(&mut self, start: usize, end: usize) -> Loc {
        let (mut off, mut line, mut col) = self.cursor;
        if start < off {
            (off, line, col) = (0, 1, 1);
        }
        for &b in &self.bytes[off..start.min(self.bytes.len())] {
            if b == b'\n' {
                line = line.saturating_add(1);
                col = 1;
            } else if b & 0xC0 != 0x80 {
                col = col.saturating_add(1);
            }
        }
        self.cursor = (start.min(self.bytes.len()), line, col);
        Loc {
            start,
            end,
            line,
            column: col,
        }
    }

    fn error(&mut self, at: usize, message: String) -> SyntaxError {
        let loc = self.loc(at, at);
        SyntaxError {
            message,
            loc,
            too_deep: false,
            duplicate_key: None,
        }
    }

    /// Describes what stands at the current position, for messages.
    fn found(&self) -> String {
        match self.src.get(self.pos..).and_then(|s| s.chars().next()) {
            None => "the end of the document".to_string(),
            Some(c) if c.is_control() => format!("`{}`", c.escape_default()),
            Some(c) => format!("`{c}`"),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let start = self.pos;
        // Computed before the children, so the location cursor only moves forward.
        let mut loc = self.loc(start, start);
        let value = match self.bytes.get(self.pos) {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => {
                return Err(self.error(
                    self.pos,
                    format!("expected a value, found {}", self.found()),
                ));
            }
        };
        loc.end = self.pos;
        Ok(Node { value, loc })
    }

    fn enter(&mut self, depth: usize) -> Result<(), SyntaxError> {
        if depth >= MAX_DEPTH {
            let mut e = self.error(
                self.pos,
                format!("the document is nested more than {MAX_DEPTH} levels deep"),
            );
            e.too_deep = true;
            return Err(e);
        }
        self.pos += 1;
        self.skip_ws();
        Ok(())
    }

    fn object(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        self.enter(depth)?;
        let mut members: Vec<(Spanned<String>, Node)> = Vec::new();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Value::Object(members));
        }
        loop {
            if self.bytes.get(self.pos) != Some(&b'"') {
                return Err(self.error(
                    self.pos,
                    format!("expected a string key, found {}", self.found()),
                ));
            }
            let key_start = self.pos;
            let mut key_loc = self.loc(key_start, key_start);
            let key = self.string()?;
            key_loc.end = self.pos;
            if members.iter().any(|(k, _)| k.node == key) {
                let mut e = self.error(key_start, format!("duplicate key `{key}`"));
                e.loc = key_loc;
                e.duplicate_key = Some(key);
                return Err(e);
            }
            self.skip_ws();
            if self.bytes.get(self.pos) != Some(&b':') {
                return Err(self.error(self.pos, format!("expected `:`, found {}", self.found())));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            members.push((Spanned::new(key, key_loc), value));
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                _ => {
                    return Err(self.error(
                        self.pos,
                        format!("expected `,` or `}}`, found {}", self.found()),
                    ));
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        self.enter(depth)?;
        let mut items = Vec::new();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => {
                    return Err(self.error(
                        self.pos,
                        format!("expected `,` or `]`, found {}", self.found()),
                    ));
                }
            }
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, SyntaxError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error(
                self.pos,
                format!("expected a value, found {}", self.found()),
            ))
        }
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos;
        let digits = |r: &mut Reader<'_>| {
            let from = r.pos;
            while r.bytes.get(r.pos).is_some_and(u8::is_ascii_digit) {
                r.pos += 1;
            }
            r.pos > from
        };
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        if !digits(self) {
            return Err(self.error(
                self.pos,
                format!("expected a digit, found {}", self.found()),
            ));
        }
        if self.bytes[int_start] == b'0' && self.pos - int_start > 1 {
            return Err(self.error(int_start, "numbers must not have leading zeros".to_string()));
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.error(
                    self.pos,
                    format!("expected a digit, found {}", self.found()),
                ));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.error(
                    self.pos,
                    format!("expected a digit, found {}", self.found()),
                ));
            }
        }
        Ok(Value::Number(self.src[start..self.pos].to_string()))
    }

    /// Reads a string starting at the opening quote.
    fn string(&mut self) -> Result<String, SyntaxError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(self.error(open, "unterminated string".to_string()));
            };
            match b {
                b'"' => {
                    out.push_str(&self.src[run..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    out.push_str(&self.src[run..self.pos]);
                    self.escape(&mut out)?;
                    run = self.pos;
                }
                0..=0x1F => {
                    return Err(self.error(
                        self.pos,
                        format!(
                            "control character {} in a string must be escaped",
                            self.found()
                        ),
                    ));
                }
                _ => self.pos += 1,
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), SyntaxError> {
        let at = self.pos;
        let c = self.bytes.get(self.pos + 1).copied();
        self.pos += 2;
        let simple = match c {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let unit = self.hex4(at)?;
                let ch = if (0xD800..0xDC00).contains(&unit) {
                    if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return Err(
                            self.error(at, "unpaired surrogate in a `\\u` escape".to_string())
                        );
                    }
                    self.pos += 2;
                    let low = self.hex4(at)?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(
                            self.error(at, "unpaired surrogate in a `\\u` escape".to_string())
                        );
                    }
                    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                } else {
                    char::from_u32(unit)
                };
                return match ch {
                    Some(ch) => {
                        out.push(ch);
                        Ok(())
                    }
                    None => Err(self.error(at, "unpaired surrogate in a `\\u` escape".to_string())),
                };
            }
            _ => {
                self.pos = at + 1;
                return Err(self.error(
                    at,
                    format!("invalid escape `\\{}`", self.found().trim_matches('`')),
                ));
            }
        };
        out.push(simple);
        Ok(())
    }

    fn hex4(&mut self, at: usize) -> Result<u32, SyntaxError> {
        let digits = self
            .src
            .get(self.pos..self.pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        match digits.and_then(|h| u32::from_str_radix(h, 16).ok()) {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => Err(self.error(at, "a `\\u` escape needs four hex digits".to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        match parse(src) {
            Ok(_) => "ok".to_string(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn values_carry_their_line_and_column() {
        let n = parse("{\n  \"a\": [1, \"é\", true],\n  \"b\": null }")
            .unwrap_or_else(|e| panic!("{e}"));
        let Value::Object(members) = n.value else {
            panic!("not an object")
        };
        assert_eq!((members[0].0.loc.line, members[0].0.loc.column), (2, 3));
        let Value::Array(items) = &members[0].1.value else {
            panic!("not an array")
        };
        assert_eq!(items[1].value, Value::String("é".into()));
        assert_eq!((items[2].loc.line, items[2].loc.column), (2, 17));
        assert_eq!((members[1].1.loc.line, members[1].1.loc.column), (3, 8));
    }

    #[test]
    fn escapes_and_surrogate_pairs_decode() {
        let n = parse(r#""a\"\\\/\n\u00e9\ud83d\ude00""#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n.value, Value::String("a\"\\/\né😀".into()));
    }

    #[test]
    fn syntax_errors_say_what_was_expected_and_where() {
        assert_eq!(err("{\"a\": 1,}"), "1:9: expected a string key, found `}`");
        assert_eq!(err("{\"a\" 1}"), "1:6: expected `:`, found `1`");
        assert_eq!(err("[1 2]"), "1:4: expected `,` or `]`, found `2`");
        assert_eq!(err("{\"a\": \"x"), "1:7: unterminated string");
        assert_eq!(
            err("{} x"),
            "1:4: expected the end of the document, found `x`"
        );
        assert_eq!(err("{\"a\":1, \"a\":2}"), "1:9: duplicate key `a`");
        assert_eq!(err("01"), "1:1: numbers must not have leading zeros");
        assert_eq!(err("\"\\x\""), "1:2: invalid escape `\\x`");
        assert_eq!(
            err("\"\\ud800\""),
            "1:2: unpaired surrogate in a `\\u` escape"
        );
        assert_eq!(
            err(""),
            "1:1: expected a value, found the end of the document"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000);
        let e = parse(&deep).err().map(|e| e.too_deep);
        assert_eq!(e, Some(true));
    }
}
