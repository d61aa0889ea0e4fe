//! CloudWatch Logs filter patterns ("Filter pattern syntax for metric filters,
//! subscription filters, filter log events").
//!
//! Three forms, told apart by the first character:
//! - unstructured text: terms (all must appear, case-sensitive), `"quoted
//!   phrases"`, `?term` (at least one of the `?` terms), `-term` (must not
//!   appear) and `%regex%`;
//! - JSON: `{ $.field = value }` with `=`, `!=`, `<`, `>`, `<=`, `>=`, string
//!   wildcards `*`, `%regex%` values, `IS NULL`, `IS TRUE`, `IS FALSE`,
//!   `EXISTS`, `NOT EXISTS`, `&&`, `||` and parentheses;
//! - space-delimited: `[ip, user, ..., status = 4*, bytes > 1000]`.
//!
//! An empty pattern matches every event.

use regex::Regex;
use serde_json::Value;

/// A pattern the Logs API rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid filter pattern: {0}")]
pub struct PatternError(pub String);

/// A compiled filter pattern.
#[derive(Debug, Clone)]
pub enum FilterPattern {
    /// Matches everything.
    All,
    /// Unstructured text terms.
    Text(TextPattern),
    /// `{ ... }` over JSON messages.
    Json(JsonExpr),
    /// `[ ... ]` over whitespace-separated fields.
    Delimited(Vec<DelimitedField>),
}

/// Text terms grouped by how they combine.
#[derive(Debug, Clone, Default)]
pub struct TextPattern {
    required: Vec<Term>,
    optional: Vec<Term>,
    excluded: Vec<Term>,
}

#[derive(Debug, Clone)]
enum Term {
    Literal(String),
    Regex(Regex),
}

impl Term {
    fn matches(&self, message: &str) -> bool {
        match self {
            Self::Literal(text) => message.contains(text.as_str()),
            Self::Regex(re) => re.is_match(message),
        }
    }
}

/// A boolean expression over a JSON message.
#[derive(Debug, Clone)]
pub enum JsonExpr {
    /// Both sides.
    And(Box<JsonExpr>, Box<JsonExpr>),
    /// Either side.
    Or(Box<JsonExpr>, Box<JsonExpr>),
    /// One selector test.
    Test(Selector, JsonTest),
}

/// A `$.a.b[0]` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(Vec<Step>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// What a selector's value must satisfy.
#[derive(Debug, Clone)]
pub enum JsonTest {
    /// `= value` / `!= value`.
    Equals(Operand, bool),
    /// `<`, `>`, `<=`, `>=` against a number.
    Compare(CompareOp, f64),
    /// `IS NULL`.
    IsNull,
    /// `IS TRUE` / `IS FALSE`.
    IsBool(bool),
    /// `EXISTS` (true) / `NOT EXISTS` (false).
    Exists(bool),
}

/// Numeric comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
}

impl CompareOp {
    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Self::Lt => left < right,
            Self::Gt => left > right,
            Self::Le => left <= right,
            Self::Ge => left >= right,
        }
    }
}

/// The right-hand side of `=` / `!=`.
#[derive(Debug, Clone)]
pub enum Operand {
    /// A number (matches numbers equal to it, and strings spelling it).
    Number(f64, String),
    /// A string, possibly with `*` wildcards.
    Text(String),
    /// `%regex%`.
    Regex(Regex),
}

impl Operand {
    fn matches(&self, value: &Value) -> bool {
        match (self, value) {
            (Self::Number(n, _), Value::Number(v)) => v.as_f64().is_some_and(|v| v == *n),
            (Self::Number(_, text), Value::String(s)) => s == text,
            (Self::Text(pattern), Value::String(s)) => wildcard_match(pattern, s),
            (Self::Text(pattern), Value::Number(v)) => wildcard_match(pattern, &v.to_string()),
            (Self::Text(pattern), Value::Bool(b)) => pattern == if *b { "true" } else { "false" },
            (Self::Regex(re), Value::String(s)) => re.is_match(s),
            (Self::Regex(re), Value::Number(v)) => re.is_match(&v.to_string()),
            _ => false,
        }
    }
}

/// One field of a space-delimited pattern.
#[derive(Debug, Clone)]
pub enum DelimitedField {
    /// `...`: any number of fields.
    Ellipsis,
    /// A named field with an optional condition.
    Field(Option<DelimitedTest>),
}

/// Condition on one space-delimited field.
#[derive(Debug, Clone)]
pub enum DelimitedTest {
    /// `= value` / `!= value` (wildcards allowed).
    Equals(Operand, bool),
    /// Numeric comparison.
    Compare(CompareOp, f64),
}

impl FilterPattern {
    /// Parses a filter pattern.
    pub fn parse(pattern: &str) -> Result<Self, PatternError> {
        let trimmed = pattern.trim();
        if trimmed.is_empty() {
            return Ok(Self::All);
        }
        if let Some(inner) = trimmed.strip_prefix('{') {
            let inner = inner
                .strip_suffix('}')
                .ok_or_else(|| PatternError("a JSON pattern must end with '}'".into()))?;
            let mut parser = JsonParser::new(inner);
            let expr = parser.parse_or()?;
            parser.skip_ws();
            if !parser.at_end() {
                return Err(PatternError(format!(
                    "unexpected text at position {} of the JSON pattern",
                    parser.pos
                )));
            }
            return Ok(Self::Json(expr));
        }
        if let Some(inner) = trimmed.strip_prefix('[') {
            let inner = inner.strip_suffix(']').ok_or_else(|| {
                PatternError("a space-delimited pattern must end with ']'".into())
            })?;
            return parse_delimited(inner).map(Self::Delimited);
        }
        parse_text(trimmed).map(Self::Text)
    }

    /// Whether `message` matches.
    pub fn matches(&self, message: &str) -> bool {
        match self {
            Self::All => true,
            Self::Text(text) => {
                text.required.iter().all(|t| t.matches(message))
                    && !text.excluded.iter().any(|t| t.matches(message))
                    && (text.optional.is_empty()
                        || text.optional.iter().any(|t| t.matches(message)))
            }
            Self::Json(expr) => match serde_json::from_str::<Value>(message) {
                Ok(value @ (Value::Object(_) | Value::Array(_))) => eval_json(expr, &value),
                _ => false,
            },
            Self::Delimited(fields) => {
                let tokens = split_delimited(message);
                match_delimited(fields, &tokens)
            }
        }
    }
}

/// `*` matches any run of characters; everything else literally.
fn wildcard_match(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == text;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// "Filter patterns with regex can only include: alphanumeric characters,
/// supported symbol characters (`:`, `_`, `#`, `=`, `@`, `/`, `;`, `,`, `-`) and
/// supported operators (`^`, `$`, `?`, `[`, `]`, `{`, `}`, `|`, `\`, `*`, `+`,
/// `.`). The `(` and `)` operators are not supported. Multi-byte characters are not supported."
fn compile_regex(source: &str) -> Result<Regex, PatternError> {
    if let Some(bad) = source.chars().find(|c| {
        !(c.is_ascii_alphanumeric()
            || matches!(
                c,
                ':' | '_'
                    | '#'
                    | '='
                    | '@'
                    | '/'
                    | ';'
                    | ','
                    | '-'
                    | '^'
                    | '$'
                    | '?'
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '|'
                    | '\\'
                    | '*'
                    | '+'
                    | '.'
            ))
    }) {
        return Err(PatternError(format!(
            "the character '{bad}' is not supported in a regular expression"
        )));
    }
    if source.is_empty() {
        return Err(PatternError("empty regular expression".into()));
    }
    Regex::new(source).map_err(|e| PatternError(format!("invalid regular expression: {e}")))
}

fn parse_text(pattern: &str) -> Result<TextPattern, PatternError> {
    let mut text = TextPattern::default();
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let bucket = match chars[i] {
            '?' => {
                i += 1;
                1
            }
            '-' => {
                i += 1;
                2
            }
            _ => 0,
        };
        let term = if chars.get(i) == Some(&'"') {
            let (value, next) = read_quoted(&chars, i)?;
            i = next;
            Term::Literal(value)
        } else if chars.get(i) == Some(&'%') {
            let end = chars[i + 1..]
                .iter()
                .position(|c| *c == '%')
                .ok_or_else(|| PatternError("unterminated %regex%".into()))?;
            let source: String = chars[i + 1..i + 1 + end].iter().collect();
            i += end + 2;
            Term::Regex(compile_regex(&source)?)
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word.is_empty() {
                return Err(PatternError("empty term".into()));
            }
            Term::Literal(word)
        };
        match bucket {
            1 => text.optional.push(term),
            2 => text.excluded.push(term),
            _ => text.required.push(term),
        }
    }
    Ok(text)
}

/// Reads a `"..."` string starting at `start` (the quote), with `\"` and `\\` escapes.
fn read_quoted(chars: &[char], start: usize) -> Result<(String, usize), PatternError> {
    let mut out = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                out.push(chars[i + 1]);
                i += 2;
            }
            '"' => return Ok((out, i + 1)),
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Err(PatternError("unterminated quoted string".into()))
}

struct JsonParser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

/// Parentheses nest at most this deep (a bound on recursion, far beyond any real pattern).
const MAX_NESTING: usize = 32;

impl JsonParser {
    fn new(text: &str) -> Self {
        Self {
            chars: text.chars().collect(),
            pos: 0,
            depth: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn skip_ws(&mut self) {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        let len = token.chars().count();
        if self.chars.len() >= self.pos + len
            && self.chars[self.pos..self.pos + len]
                .iter()
                .copied()
                .eq(token.chars())
        {
            self.pos += len;
            true
        } else {
            false
        }
    }

    /// Eats a keyword only when followed by a word boundary.
    fn eat_keyword(&mut self, word: &str) -> bool {
        let save = self.pos;
        if self.eat(word) {
            let next = self.chars.get(self.pos);
            if next.is_none_or(|c| !c.is_alphanumeric() && *c != '_') {
                return true;
            }
        }
        self.pos = save;
        false
    }

    fn parse_or(&mut self) -> Result<JsonExpr, PatternError> {
        let mut left = self.parse_and()?;
        while self.eat("||") {
            let right = self.parse_and()?;
            left = JsonExpr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self) -> Result<JsonExpr, PatternError> {
        let mut left = self.parse_unary()?;
        while self.eat("&&") {
            let right = self.parse_unary()?;
            left = JsonExpr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_unary(&mut self) -> Result<JsonExpr, PatternError> {
        if self.eat("(") {
            self.depth += 1;
            if self.depth > MAX_NESTING {
                return Err(PatternError(format!(
                    "parentheses nest deeper than {MAX_NESTING} levels"
                )));
            }
            let inner = self.parse_or()?;
            self.depth -= 1;
            if !self.eat(")") {
                return Err(PatternError("missing ')'".into()));
            }
            return Ok(inner);
        }
        let selector = self.parse_selector()?;
        if self.eat_keyword("IS") {
            if self.eat_keyword("NULL") {
                return Ok(JsonExpr::Test(selector, JsonTest::IsNull));
            }
            if self.eat_keyword("TRUE") {
                return Ok(JsonExpr::Test(selector, JsonTest::IsBool(true)));
            }
            if self.eat_keyword("FALSE") {
                return Ok(JsonExpr::Test(selector, JsonTest::IsBool(false)));
            }
            return Err(PatternError(
                "IS must be followed by NULL, TRUE or FALSE".into(),
            ));
        }
        if self.eat_keyword("NOT") {
            if self.eat_keyword("EXISTS") {
                return Ok(JsonExpr::Test(selector, JsonTest::Exists(false)));
            }
            return Err(PatternError("NOT must be followed by EXISTS".into()));
        }
        if self.eat_keyword("EXISTS") {
            return Ok(JsonExpr::Test(selector, JsonTest::Exists(true)));
        }
        let op = if self.eat("!=") {
            "!="
        } else if self.eat("<=") {
            "<="
        } else if self.eat(">=") {
            ">="
        } else if self.eat("=") {
            "="
        } else if self.eat("<") {
            "<"
        } else if self.eat(">") {
            ">"
        } else {
            return Err(PatternError(format!(
                "expected an operator after the selector at position {}",
                self.pos
            )));
        };
        let operand = self.parse_operand()?;
        let test = match op {
            "=" => JsonTest::Equals(operand, true),
            "!=" => JsonTest::Equals(operand, false),
            cmp => {
                let Operand::Number(n, _) = operand else {
                    return Err(PatternError(format!("{cmp} needs a numeric value")));
                };
                let op = match cmp {
                    "<" => CompareOp::Lt,
                    ">" => CompareOp::Gt,
                    "<=" => CompareOp::Le,
                    _ => CompareOp::Ge,
                };
                JsonTest::Compare(op, n)
            }
        };
        Ok(JsonExpr::Test(selector, test))
    }

    fn parse_selector(&mut self) -> Result<Selector, PatternError> {
        self.skip_ws();
        if self.chars.get(self.pos) != Some(&'$') {
            return Err(PatternError(format!(
                "expected a selector starting with '$' at position {}",
                self.pos
            )));
        }
        self.pos += 1;
        let mut steps = Vec::new();
        loop {
            match self.chars.get(self.pos) {
                Some('.') => {
                    self.pos += 1;
                    let start = self.pos;
                    while self.pos < self.chars.len()
                        && (self.chars[self.pos].is_alphanumeric()
                            || matches!(self.chars[self.pos], '_' | '-' | '@' | ':'))
                    {
                        self.pos += 1;
                    }
                    if start == self.pos {
                        return Err(PatternError("empty key in selector".into()));
                    }
                    steps.push(Step::Key(self.chars[start..self.pos].iter().collect()));
                }
                Some('[') => {
                    self.pos += 1;
                    let start = self.pos;
                    while self.pos < self.chars.len() && self.chars[self.pos].is_ascii_digit() {
                        self.pos += 1;
                    }
                    let digits: String = self.chars[start..self.pos].iter().collect();
                    if self.chars.get(self.pos) != Some(&']') {
                        return Err(PatternError("array index must be a number in [ ]".into()));
                    }
                    self.pos += 1;
                    let index = digits
                        .parse()
                        .map_err(|_| PatternError("array index must be a number in [ ]".into()))?;
                    steps.push(Step::Index(index));
                }
                _ => break,
            }
        }
        if steps.is_empty() {
            return Err(PatternError("a selector needs at least one key".into()));
        }
        Ok(Selector(steps))
    }

    fn parse_operand(&mut self) -> Result<Operand, PatternError> {
        self.skip_ws();
        match self.chars.get(self.pos) {
            Some('"') => {
                let (text, next) = read_quoted(&self.chars, self.pos)?;
                self.pos = next;
                Ok(Operand::Text(text))
            }
            Some('%') => {
                let end = self.chars[self.pos + 1..]
                    .iter()
                    .position(|c| *c == '%')
                    .ok_or_else(|| PatternError("unterminated %regex%".into()))?;
                let source: String = self.chars[self.pos + 1..self.pos + 1 + end]
                    .iter()
                    .collect();
                self.pos += end + 2;
                Ok(Operand::Regex(compile_regex(&source)?))
            }
            Some(_) => {
                let start = self.pos;
                while self.pos < self.chars.len() {
                    let c = self.chars[self.pos];
                    if c.is_whitespace() || c == ')' {
                        break;
                    }
                    if (c == '&' || c == '|') && self.chars.get(self.pos + 1) == Some(&c) {
                        break;
                    }
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                match word.parse::<f64>() {
                    Ok(n) if n.is_finite() => Ok(Operand::Number(n, word)),
                    _ => Ok(Operand::Text(word)),
                }
            }
            None => Err(PatternError("missing value after operator".into())),
        }
    }
}

fn select<'v>(value: &'v Value, selector: &Selector) -> Option<&'v Value> {
    let mut current = value;
    for step in &selector.0 {
        current = match (step, current) {
            (Step::Key(key), Value::Object(map)) => map.get(key)?,
            (Step::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

fn eval_json(expr: &JsonExpr, value: &Value) -> bool {
    match expr {
        JsonExpr::And(a, b) => eval_json(a, value) && eval_json(b, value),
        JsonExpr::Or(a, b) => eval_json(a, value) || eval_json(b, value),
        JsonExpr::Test(selector, test) => {
            let found = select(value, selector);
            match test {
                JsonTest::Exists(wanted) => found.is_some() == *wanted,
                JsonTest::IsNull => matches!(found, Some(Value::Null)),
                JsonTest::IsBool(b) => found.and_then(Value::as_bool) == Some(*b),
                JsonTest::Equals(operand, equal) => match found {
                    Some(v) if !v.is_null() && !v.is_object() && !v.is_array() => {
                        operand.matches(v) == *equal
                    }
                    _ => false,
                },
                JsonTest::Compare(op, n) => found
                    .and_then(Value::as_f64)
                    .is_some_and(|v| op.holds(v, *n)),
            }
        }
    }
}

fn parse_delimited(inner: &str) -> Result<Vec<DelimitedField>, PatternError> {
    let mut fields = Vec::new();
    for raw in inner.split(',') {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(PatternError(
                "empty field in a space-delimited pattern".into(),
            ));
        }
        if raw == "..." {
            fields.push(DelimitedField::Ellipsis);
            continue;
        }
        let op_at = raw.find(['=', '!', '<', '>']);
        let Some(at) = op_at else {
            fields.push(DelimitedField::Field(None));
            continue;
        };
        let rest = &raw[at..];
        let (op, value) = ["!=", "<=", ">=", "=", "<", ">"]
            .iter()
            .find_map(|op| rest.strip_prefix(op).map(|v| (*op, v.trim())))
            .ok_or_else(|| PatternError(format!("invalid condition '{raw}'")))?;
        let mut parser = JsonParser::new(value);
        let operand = parser.parse_operand()?;
        let test = match op {
            "=" => DelimitedTest::Equals(operand, true),
            "!=" => DelimitedTest::Equals(operand, false),
            cmp => {
                let Operand::Number(n, _) = operand else {
                    return Err(PatternError(format!("{cmp} needs a numeric value")));
                };
                let op = match cmp {
                    "<" => CompareOp::Lt,
                    ">" => CompareOp::Gt,
                    "<=" => CompareOp::Le,
                    _ => CompareOp::Ge,
                };
                DelimitedTest::Compare(op, n)
            }
        };
        fields.push(DelimitedField::Field(Some(test)));
    }
    Ok(fields)
}

/// Splits a message into fields: whitespace separates, `"..."` and `[...]` group.
fn split_delimited(message: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = message.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let (close, skip) = match chars[i] {
            '"' => (Some('"'), 1),
            '[' => (Some(']'), 1),
            _ => (None, 0),
        };
        match close {
            Some(close) => {
                let start = i + skip;
                let end = chars[start..]
                    .iter()
                    .position(|c| *c == close)
                    .map_or(chars.len(), |p| start + p);
                tokens.push(chars[start..end].iter().collect());
                i = end + 1;
            }
            None => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
                tokens.push(chars[start..i].iter().collect());
            }
        }
    }
    tokens
}

fn field_matches(test: &DelimitedTest, token: &str) -> bool {
    match test {
        DelimitedTest::Equals(operand, equal) => {
            let value = match token.parse::<f64>() {
                Ok(n) if n.is_finite() => serde_json::Number::from_f64(n)
                    .map_or_else(|| Value::String(token.into()), Value::Number),
                _ => Value::String(token.into()),
            };
            let hit = match operand {
                Operand::Text(p) => wildcard_match(p, token),
                _ => operand.matches(&value),
            };
            hit == *equal
        }
        DelimitedTest::Compare(op, n) => token.parse::<f64>().is_ok_and(|v| op.holds(v, *n)),
    }
}

/// Fields against tokens, `...` matching any number of tokens. Dynamic
/// programming over (field, token) positions, so several `...` cannot make a
/// long line take exponential time.
fn match_delimited(fields: &[DelimitedField], tokens: &[String]) -> bool {
    let t = tokens.len();
    // reachable[j]: the fields so far can consume exactly the first j tokens.
    let mut reachable = vec![false; t + 1];
    reachable[0] = true;
    for field in fields {
        let mut next = vec![false; t + 1];
        match field {
            DelimitedField::Ellipsis => {
                let mut any = false;
                for j in 0..=t {
                    any |= reachable[j];
                    next[j] = any;
                }
            }
            DelimitedField::Field(test) => {
                for j in 0..t {
                    if reachable[j] && test.as_ref().is_none_or(|c| field_matches(c, &tokens[j])) {
                        next[j + 1] = true;
                    }
                }
            }
        }
        reachable = next;
    }
    reachable[t]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(pattern: &str, message: &str) -> bool {
        FilterPattern::parse(pattern).unwrap().matches(message)
    }

    #[test]
    fn empty_pattern_matches_everything() {
        assert!(hit("", "anything"));
        assert!(hit("   ", ""));
    }

    #[test]
    fn terms_are_case_sensitive_and_all_required() {
        assert!(hit("ERROR", "[ERROR] disk full"));
        assert!(!hit("ERROR", "[error] disk full"));
        assert!(hit("ERROR disk", "[ERROR] disk full"));
        assert!(!hit("ERROR network", "[ERROR] disk full"));
    }

    #[test]
    fn quoted_phrases_match_as_a_whole() {
        assert!(hit(
            "\"INTERNAL SERVER ERROR\"",
            "500 INTERNAL SERVER ERROR here"
        ));
        assert!(!hit("\"INTERNAL SERVER ERROR\"", "INTERNAL ERROR SERVER"));
        assert!(hit("\"say \\\"hi\\\"\"", "they say \"hi\" back"));
    }

    #[test]
    fn optional_and_excluded_terms() {
        assert!(hit("?ERROR ?WARN", "WARN low disk"));
        assert!(hit("?ERROR ?WARN", "ERROR no disk"));
        assert!(!hit("?ERROR ?WARN", "INFO fine"));
        assert!(hit("ERROR -Exiting", "ERROR retrying"));
        assert!(!hit("ERROR -Exiting", "ERROR Exiting now"));
    }

    #[test]
    fn regex_terms() {
        assert!(hit("%ERR[0-9]+%", "code ERR42"));
        assert!(!hit("%ERR[0-9]+%", "code ERR"));
        assert!(hit("%colou?r%", "the color red"));
        assert!(hit("%^[hc]at%", "hat trick"));
        assert!(!hit("%^[hc]at%", "that"));
        // Parentheses and other symbols are not part of the supported regex syntax.
        assert!(FilterPattern::parse("%(a|b)%").is_err());
        assert!(FilterPattern::parse("%something!%").is_err());
        assert!(FilterPattern::parse("%%").is_err());
    }

    #[test]
    fn json_equality_with_strings_numbers_and_wildcards() {
        let msg = r#"{"eventType":"UpdateTrail","code":200,"ip":"123.123.4.5","user":{"id":2},"users":[{"email":"a@example.com"}]}"#;
        assert!(hit(r#"{ $.eventType = "UpdateTrail" }"#, msg));
        assert!(hit("{ $.eventType = UpdateTrail }", msg));
        assert!(!hit(r#"{ $.eventType = "Update" }"#, msg));
        assert!(hit(r#"{ $.eventType = "Update*" }"#, msg));
        assert!(hit("{ $.ip != 123.124.* }", msg));
        assert!(!hit("{ $.ip != 123.123.* }", msg));
        assert!(hit("{ $.code = 200 }", msg));
        assert!(hit("{ $.code = 2.0e2 }", msg));
        assert!(!hit("{ $.code = 201 }", msg));
        assert!(hit(r#"{ $.users[0].email = "a@example.com" }"#, msg));
        assert!(!hit(r#"{ $.users[1].email = "a@example.com" }"#, msg));
        assert!(hit("{ $.user.id = 2 && $.code > 199 }", msg));
        assert!(hit(
            "{ ($.user.id = 3 && $.code = 200) || $.eventType = UpdateTrail }",
            msg
        ));
        assert!(!hit(
            "{ ($.user.id = 3 || $.code = 201) && $.eventType = UpdateTrail }",
            msg
        ));
        assert!(hit("{ $.eventType = %^Update% }", msg));
    }

    #[test]
    fn json_numeric_comparisons_need_numbers() {
        let msg = r#"{"latency": 1500, "label": "1500"}"#;
        assert!(hit("{ $.latency > 1000 }", msg));
        assert!(hit("{ $.latency >= 1500 }", msg));
        assert!(!hit("{ $.latency < 1500 }", msg));
        assert!(hit("{ $.latency <= 1500 }", msg));
        assert!(!hit("{ $.label > 1000 }", msg));
        assert!(!hit("{ $.missing > 0 }", msg));
    }

    #[test]
    fn json_null_bool_and_existence() {
        let msg = r#"{"a": null, "ok": true, "bad": false}"#;
        assert!(hit("{ $.a IS NULL }", msg));
        assert!(!hit("{ $.ok IS NULL }", msg));
        assert!(!hit("{ $.nope IS NULL }", msg));
        assert!(hit("{ $.nope NOT EXISTS }", msg));
        assert!(!hit("{ $.a NOT EXISTS }", msg));
        assert!(hit("{ $.a EXISTS }", msg));
        assert!(hit("{ $.ok IS TRUE }", msg));
        assert!(hit("{ $.bad IS FALSE }", msg));
        assert!(!hit("{ $.bad IS TRUE }", msg));
    }

    #[test]
    fn json_patterns_do_not_match_text_or_missing_fields() {
        assert!(!hit("{ $.a = 1 }", "not json"));
        assert!(!hit("{ $.a != 1 }", r#"{"b": 1}"#));
    }

    #[test]
    fn invalid_patterns_are_rejected() {
        for bad in [
            "{ $.a = 1",
            "{ a = 1 }",
            "{ $.a ~ 1 }",
            "{ $.a > x }",
            "{ $.a = 1 ) }",
            "{ ($.a = 1 }",
            "\"open",
            "%[%",
            "%é%",
            "{ $.a IS MAYBE }",
            "[a,,b]",
        ] {
            assert!(
                FilterPattern::parse(bad).is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn space_delimited_fields() {
        let line = r#"127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326"#;
        assert!(hit(
            "[ip, identity, user, timestamp, request, status_code = 404, bytes]",
            line
        ));
        assert!(hit(
            "[ip, identity, user, timestamp, request, status_code = 4*, bytes > 1000]",
            line
        ));
        assert!(!hit(
            "[ip, identity, user, timestamp, request, status_code = 5*, bytes]",
            line
        ));
        assert!(hit("[..., status_code = 404, bytes]", line));
        assert!(hit(r#"[ip = "127.0.0.1", ...]"#, line));
        assert!(!hit("[ip, user]", line));
        assert!(hit("[ip, identity, user != bob, ...]", line));
    }

    #[test]
    fn many_ellipses_stay_fast_and_deep_nesting_is_refused() {
        let line = "a ".repeat(5_000);
        let pattern = format!("[{}, last = zzz]", vec!["..."; 20].join(", "));
        assert!(!hit(&pattern, &line));
        assert!(hit("[..., first = a, ..., last = a]", &line));
        let deep = format!("{{ {}$.a = 1{} }}", "(".repeat(100), ")".repeat(100));
        assert!(FilterPattern::parse(&deep).is_err());
        let ok = format!("{{ {}$.a = 1{} }}", "(".repeat(10), ")".repeat(10));
        assert!(hit(&ok, r#"{"a": 1}"#));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("a*c", "abbbc"));
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*b*", "abc"));
        assert!(!wildcard_match("a*c", "abcd"));
        assert!(wildcard_match("a*c*", "abcd"));
    }
}
