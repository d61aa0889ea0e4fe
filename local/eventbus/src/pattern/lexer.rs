//! A pull tokenizer for event-pattern JSON that reports errors and locations the
//! way EventBridge does.
//!
//! EventBridge compiles patterns with a streaming JSON parser and appends the
//! parser's location to every `InvalidEventPatternException` reason, e.g.
//! `"lenderId" must be an object or an array\n at [Source: (String)"{...}"; line: 1, column: 56]`.
//! To reproduce those columns the tokenizer mirrors that parser's observable
//! behaviour: the location is the position of the next unread character; a
//! string value is only opened (its text is read when asked for); and after a
//! field name the start of the value has already been consumed.

use std::fmt;

/// A 1-based line / column position in the pattern text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    StartObject,
    EndObject,
    StartArray,
    EndArray,
    FieldName,
    String,
    Number,
    True,
    False,
    Null,
    /// End of input at the root.
    Eof,
}

impl Token {
    pub(crate) fn is_numeric(self) -> bool {
        self == Token::Number
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CtxKind {
    Object,
    Array,
}

#[derive(Debug, Clone, Copy)]
struct Ctx {
    kind: CtxKind,
    start: Location,
    expect_comma: bool,
}

/// A syntax error raised by the tokenizer (already carrying its location).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LexError {
    pub reason: String,
    pub location: Location,
}

/// The value that follows a field name, consumed ahead of time.
#[derive(Debug, Clone, Copy)]
struct Pending {
    token: Token,
    start: Location,
    num: (usize, usize),
}

pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    /// Character index where the current line starts.
    line_start_chars: usize,
    /// Character index of `pos` (kept in step with `pos`).
    chars: usize,
    stack: Vec<Ctx>,
    current: Token,
    name: String,
    pending: Option<Pending>,
    /// Byte position just after the opening quote of an unread string value.
    string_open: Option<usize>,
    string_text: Option<String>,
    num: (usize, usize),
    root_done: bool,
}

/// Deepest nesting the parser accepts (the streaming parser's default limit);
/// it also keeps the recursive compiler's stack bounded.
const MAX_NESTING: usize = 1000;

/// Maximum number of characters of the pattern quoted in an error location.
const MAX_SNIPPET: usize = 500;

/// Renders the `[Source: ...; line: L, column: C]` part of a location.
pub(crate) fn describe_location(src: &str, loc: Location) -> String {
    let total = src.chars().count();
    let shown: String = src.chars().take(MAX_SNIPPET).collect();
    let mut out = String::with_capacity(shown.len() + 64);
    out.push_str("[Source: (String)\"");
    out.push_str(&shown);
    out.push('"');
    if total > MAX_SNIPPET {
        out.push_str(&format!("[truncated {} chars]", total - MAX_SNIPPET));
    }
    out.push_str(&format!("; line: {}, column: {}]", loc.line, loc.column));
    out
}

/// Describes a character the way the parser's error messages do.
pub(crate) fn char_desc(c: char) -> String {
    let code = c as u32;
    if c.is_control() {
        format!("(CTRL-CHAR, code {code})")
    } else if code > 255 {
        format!("'{c}' (code {code} / 0x{code:x})")
    } else {
        format!("'{c}' (code {code})")
    }
}

const VALID_VALUES: &str =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Lexer {
            src,
            pos: 0,
            line: 1,
            line_start_chars: 0,
            chars: 0,
            stack: Vec::new(),
            current: Token::Eof,
            name: String::new(),
            pending: None,
            string_open: None,
            string_text: None,
            num: (0, 0),
            root_done: false,
        }
    }

    /// Location of the next unread character.
    pub(crate) fn location(&self) -> Location {
        Location {
            line: self.line,
            column: self.chars - self.line_start_chars + 1,
        }
    }

    pub(crate) fn source(&self) -> &'a str {
        self.src
    }

    fn err<T>(&self, reason: impl Into<String>) -> Result<T, LexError> {
        Err(LexError {
            reason: reason.into(),
            location: self.location(),
        })
    }

    fn peek_char(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|s| s.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.pos += c.len_utf8();
        self.chars += 1;
        Some(c)
    }

    /// Skips whitespace and returns the next significant character (consumed).
    fn next_significant(&mut self) -> Option<char> {
        loop {
            let c = self.bump()?;
            match c {
                ' ' | '\t' => {}
                '\n' => {
                    self.line += 1;
                    self.line_start_chars = self.chars;
                }
                '\r' => {
                    if self.peek_char() == Some('\n') {
                        self.bump();
                    }
                    self.line += 1;
                    self.line_start_chars = self.chars;
                }
                _ => return Some(c),
            }
        }
    }

    fn eof_error<T>(&self) -> Result<T, LexError> {
        match self.stack.last() {
            Some(ctx) => {
                let marker = match ctx.kind {
                    CtxKind::Object => "Object",
                    CtxKind::Array => "Array",
                };
                let start = describe_location(self.src, ctx.start);
                self.err(format!(
                    "Unexpected end-of-input: expected close marker for {marker} (start marker at {start})"
                ))
            }
            None => self.err("Unexpected end-of-input"),
        }
    }

    /// Token start location for the character just consumed.
    fn prev_char_location(&self) -> Location {
        let loc = self.location();
        Location {
            line: loc.line,
            column: loc.column.saturating_sub(1).max(1),
        }
    }

    /// The field name of the current `FieldName` token.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Advances to the next token.
    pub(crate) fn next_token(&mut self) -> Result<Token, LexError> {
        if self.current == Token::FieldName
            && let Some(p) = self.pending.take()
        {
            self.current = p.token;
            self.num = p.num;
            match p.token {
                Token::StartObject => self.push(CtxKind::Object, p.start)?,
                Token::StartArray => self.push(CtxKind::Array, p.start)?,
                _ => {}
            }
            return Ok(self.current);
        }
        if self.string_open.is_some() {
            self.finish_string()?;
        }
        self.string_text = None;
        if self.stack.is_empty() && self.root_done {
            // The compiler reads one object and stops; anything after it is ignored.
            self.current = Token::Eof;
            return Ok(Token::Eof);
        }
        let Some(mut c) = self.next_significant() else {
            if self.stack.is_empty() {
                self.current = Token::Eof;
                return Ok(Token::Eof);
            }
            return self.eof_error();
        };
        if c == ']' || c == '}' {
            return self.close_scope(c);
        }
        let in_object = matches!(self.stack.last(), Some(ctx) if ctx.kind == CtxKind::Object);
        if let Some(ctx) = self.stack.last()
            && ctx.expect_comma
        {
            if c != ',' {
                let kind = if in_object { "Object" } else { "Array" };
                return self.err(format!(
                    "Unexpected character ({}): was expecting comma to separate {kind} entries",
                    char_desc(c)
                ));
            }
            match self.next_significant() {
                Some(n) => c = n,
                None => return self.eof_error(),
            }
        }
        if in_object {
            if c != '"' {
                return self.err(format!(
                    "Unexpected character ({}): was expecting double-quote to start field name",
                    char_desc(c)
                ));
            }
            let name = self.read_string_body("name")?;
            match self.next_significant() {
                Some(':') => {}
                Some(other) => {
                    return self.err(format!(
                        "Unexpected character ({}): was expecting a colon to separate field name and value",
                        char_desc(other)
                    ));
                }
                None => return self.eof_error(),
            }
            let Some(v) = self.next_significant() else {
                return self.eof_error();
            };
            let start = self.prev_char_location();
            let token = self.start_value(v)?;
            if let Some(ctx) = self.stack.last_mut() {
                ctx.expect_comma = true;
            }
            self.pending = Some(Pending {
                token,
                start,
                num: self.num,
            });
            self.name = name;
            self.current = Token::FieldName;
            return Ok(Token::FieldName);
        }
        let start = self.prev_char_location();
        let token = self.start_value(c)?;
        if let Some(ctx) = self.stack.last_mut() {
            ctx.expect_comma = true;
        } else if !matches!(token, Token::StartObject | Token::StartArray) {
            self.root_done = true;
        }
        match token {
            Token::StartObject => self.push(CtxKind::Object, start)?,
            Token::StartArray => self.push(CtxKind::Array, start)?,
            _ => {}
        }
        self.current = token;
        Ok(token)
    }

    fn push(&mut self, kind: CtxKind, start: Location) -> Result<(), LexError> {
        if self.stack.len() >= MAX_NESTING {
            return self.err(format!(
                "Document nesting depth ({}) exceeds the maximum allowed ({MAX_NESTING}, from `StreamReadConstraints.getMaxNestingDepth()`)",
                self.stack.len() + 1
            ));
        }
        self.stack.push(Ctx {
            kind,
            start,
            expect_comma: false,
        });
        Ok(())
    }

    fn close_scope(&mut self, c: char) -> Result<Token, LexError> {
        let (want, token) = if c == '}' {
            (CtxKind::Object, Token::EndObject)
        } else {
            (CtxKind::Array, Token::EndArray)
        };
        match self.stack.last() {
            Some(ctx) if ctx.kind == want => {
                self.stack.pop();
                if self.stack.is_empty() {
                    self.root_done = true;
                }
                self.current = token;
                Ok(token)
            }
            Some(ctx) => {
                let (expected, desc) = match ctx.kind {
                    CtxKind::Object => ('}', "Object"),
                    CtxKind::Array => (']', "Array"),
                };
                let start = describe_location(self.src, ctx.start);
                self.err(format!(
                    "Unexpected close marker '{c}': expected '{expected}' (for {desc} starting at {start})"
                ))
            }
            None => {
                let expected = if c == '}' { ']' } else { '}' };
                let start = describe_location(self.src, Location { line: 1, column: 0 });
                self.err(format!(
                    "Unexpected close marker '{c}': expected '{expected}' (for root starting at {start})"
                ))
            }
        }
    }

    /// Starts a value whose first character `c` has just been consumed.
    fn start_value(&mut self, c: char) -> Result<Token, LexError> {
        match c {
            '"' => {
                self.string_open = Some(self.pos);
                self.string_text = None;
                Ok(Token::String)
            }
            '{' => Ok(Token::StartObject),
            '[' => Ok(Token::StartArray),
            '-' | '0'..='9' => {
                self.read_number(c)?;
                Ok(Token::Number)
            }
            't' => self.match_literal("true", Token::True),
            'f' => self.match_literal("false", Token::False),
            'n' => self.match_literal("null", Token::Null),
            _ => {
                if c.is_alphabetic() || c == '_' || c == '$' {
                    let mut word = String::from(c);
                    self.read_identifier_tail(&mut word);
                    return self.err(format!(
                        "Unrecognized token '{word}': was expecting {VALID_VALUES}"
                    ));
                }
                self.err(format!(
                    "Unexpected character ({}): expected a valid value {VALID_VALUES}",
                    char_desc(c)
                ))
            }
        }
    }

    fn read_identifier_tail(&mut self, word: &mut String) {
        while let Some(n) = self.peek_char() {
            if n.is_alphanumeric() || n == '_' || n == '$' {
                word.push(n);
                self.bump();
                if word.len() >= 256 {
                    break;
                }
            } else {
                break;
            }
        }
    }

    fn match_literal(&mut self, lit: &str, token: Token) -> Result<Token, LexError> {
        let mut matched = String::new();
        if let Some(first) = lit.chars().next() {
            matched.push(first);
        }
        for expected in lit.chars().skip(1) {
            match self.peek_char() {
                Some(n) if n == expected => {
                    matched.push(n);
                    self.bump();
                }
                _ => {
                    self.read_identifier_tail(&mut matched);
                    return self.err(format!(
                        "Unrecognized token '{matched}': was expecting {VALID_VALUES}"
                    ));
                }
            }
        }
        if let Some(n) = self.peek_char()
            && (n.is_alphanumeric() || n == '_' || n == '$')
        {
            self.read_identifier_tail(&mut matched);
            return self.err(format!(
                "Unrecognized token '{matched}': was expecting {VALID_VALUES}"
            ));
        }
        Ok(token)
    }

    fn read_number(&mut self, first: char) -> Result<(), LexError> {
        let start = self.pos - first.len_utf8();
        let mut c = first;
        if c == '-' {
            match self.peek_char() {
                Some(d) if d.is_ascii_digit() => {
                    self.bump();
                    c = d;
                }
                Some(other) => {
                    self.bump();
                    return self.err(format!(
                        "Unexpected character ({}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value",
                        char_desc(other)
                    ));
                }
                None => return self.err("Unexpected end-of-input in a Number value"),
            }
        }
        if c == '0'
            && let Some(d) = self.peek_char()
            && d.is_ascii_digit()
        {
            self.bump();
            return self.err("Invalid numeric value: Leading zeroes not allowed");
        }
        while matches!(self.peek_char(), Some(d) if d.is_ascii_digit()) {
            self.bump();
        }
        if self.peek_char() == Some('.') {
            self.bump();
            match self.peek_char() {
                Some(d) if d.is_ascii_digit() => {}
                Some(other) => {
                    self.bump();
                    return self.err(format!(
                        "Unexpected character ({}) in numeric value: Decimal point not followed by a digit",
                        char_desc(other)
                    ));
                }
                None => return self.err("Unexpected end-of-input in a Number value"),
            }
            while matches!(self.peek_char(), Some(d) if d.is_ascii_digit()) {
                self.bump();
            }
        }
        if matches!(self.peek_char(), Some('e' | 'E')) {
            self.bump();
            if matches!(self.peek_char(), Some('+' | '-')) {
                self.bump();
            }
            match self.peek_char() {
                Some(d) if d.is_ascii_digit() => {}
                Some(other) => {
                    self.bump();
                    return self.err(format!(
                        "Unexpected character ({}) in numeric value: Exponent indicator not followed by a digit",
                        char_desc(other)
                    ));
                }
                None => return self.err("Unexpected end-of-input in a Number value"),
            }
            while matches!(self.peek_char(), Some(d) if d.is_ascii_digit()) {
                self.bump();
            }
        }
        self.num = (start, self.pos);
        Ok(())
    }

    /// The original text of the current number token.
    pub(crate) fn number_text(&self) -> &'a str {
        self.src.get(self.num.0..self.num.1).unwrap_or("")
    }

    /// Reads a string body after its opening quote; returns the decoded text.
    fn read_string_body(&mut self, what: &str) -> Result<String, LexError> {
        let mut out = String::new();
        loop {
            let Some(c) = self.bump() else {
                return self.eof_in_string(what);
            };
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(e) = self.bump() else {
                        return self.eof_in_string(what);
                    };
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let hi = self.read_hex4()?;
                            if (0xD800..0xDC00).contains(&hi)
                                && self.src[self.pos..].starts_with("\\u")
                            {
                                let save = (self.pos, self.chars);
                                self.bump();
                                self.bump();
                                let lo = self.read_hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                    out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                                } else {
                                    (self.pos, self.chars) = save;
                                    out.push('\u{FFFD}');
                                }
                            } else {
                                out.push(char::from_u32(hi).unwrap_or('\u{FFFD}'));
                            }
                        }
                        other => {
                            return self.err(format!(
                                "Unrecognized character escape {}",
                                char_desc(other)
                            ));
                        }
                    }
                }
                c if (c as u32) < 0x20 => {
                    return self.err(format!(
                        "Illegal unquoted character ({}): has to be escaped using backslash to be included in {what}",
                        char_desc(c)
                    ));
                }
                c => out.push(c),
            }
        }
    }

    fn eof_in_string<T>(&self, what: &str) -> Result<T, LexError> {
        if what == "name" {
            self.err("Unexpected end-of-input: was expecting closing '\"' for name")
        } else {
            self.err("Unexpected end-of-input: was expecting closing quote for a string value")
        }
    }

    fn read_hex4(&mut self) -> Result<u32, LexError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let Some(h) = self.bump() else {
                return self.err("Unexpected end-of-input in character escape sequence");
            };
            let Some(d) = h.to_digit(16) else {
                return self.err(format!(
                    "Unexpected character ({}): expected a hex-digit for character escape sequence",
                    char_desc(h)
                ));
            };
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn finish_string(&mut self) -> Result<(), LexError> {
        if let Some(open) = self.string_open.take() {
            debug_assert!(open == self.pos);
            let text = self.read_string_body("string value")?;
            self.string_text = Some(text);
        }
        Ok(())
    }

    /// The text of the current token (reading a pending string value to its end).
    pub(crate) fn text(&mut self) -> Result<String, LexError> {
        Ok(match self.current {
            Token::String => {
                self.finish_string()?;
                self.string_text.clone().unwrap_or_default()
            }
            Token::Number => self.number_text().to_owned(),
            Token::FieldName => self.name.clone(),
            Token::StartObject => "{".into(),
            Token::EndObject => "}".into(),
            Token::StartArray => "[".into(),
            Token::EndArray => "]".into(),
            Token::True => "true".into(),
            Token::False => "false".into(),
            Token::Null => "null".into(),
            Token::Eof => String::new(),
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line: {}, column: {}", self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_value_string_location_is_after_opening_quote() {
        let src = r#"{"source":["x"],"detail":{"lenderId":"LenderA"}}"#;
        let mut lx = Lexer::new(src);
        let mut seen = Vec::new();
        loop {
            let t = lx.next_token().unwrap();
            seen.push((t, lx.location().column));
            if t == Token::FieldName && lx.name() == "lenderId" {
                break;
            }
        }
        assert_eq!(lx.next_token().unwrap(), Token::String);
        // `"lenderId":"` ends at column 38; the next unread char is column 39.
        assert_eq!(lx.location().column, 39);
        assert_eq!(lx.text().unwrap(), "LenderA");
        assert_eq!(lx.location().column, 47);
    }
}
