//! Pattern compilation: JSON text to match branches, with EventBridge's reasons.
//!
//! The structure follows the semantics the user guide documents: fields of an
//! object are ANDed, the values of a field's array are ORed, nested objects
//! extend the field path, and each element of a `$or` array forks the pattern
//! into one more branch (the pattern matches when any branch does).

use super::PatternError;
use super::lexer::{Lexer, Token};
use super::matcher::{Bound, IpRange, Matcher, Wildcard, comparable_text, fold, parse_ip};

/// What a pattern field accepts: any of `matchers`, or (with `exists`) presence / absence.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldList {
    pub matchers: Vec<Matcher>,
    pub exists_true: bool,
    pub exists_false: bool,
}

/// One branch: dotted field path → index into the field lists.
pub(crate) type BranchSpec = Vec<(String, usize)>;

pub(crate) struct Compiled {
    pub branches: Vec<BranchSpec>,
    pub lists: Vec<FieldList>,
}

/// Upper bound on `$or` branches, so a short pattern cannot expand without limit.
pub const MAX_BRANCHES: usize = 1000;

/// EventBridge's reason for a pattern whose wildcards are too complex
/// (user guide, "Wildcards and event pattern complexity").
pub const TOO_COMPLEX_WILDCARDS: &str = "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character";

/// Most matcher states the wildcards of one pattern may keep active at once.
///
/// AWS matches wildcards with a finite-state machine and refuses a rule whose
/// machine can have too many states active at once; it does not publish the
/// number. kyc-local counts, for each wildcard, one state per `*` plus the
/// self-overlaps of the text after it (`*ababab` can be inside `ab`, `abab`
/// and `ababab` at once: 4 states), sums them over the pattern, and refuses
/// more than this. A realistic pattern (a few `*` per value) uses under 20.
pub const MAX_WILDCARD_COMPLEXITY: usize = 100;

/// Field names that cannot appear inside `$or` because they are operator keywords.
const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

enum Item {
    M(Matcher),
    Exists(bool),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ButKind {
    Plain,
    IgnoreCase,
    Prefix,
    Suffix,
    Wildcard,
}

struct Compiler<'a> {
    lx: Lexer<'a>,
    lists: Vec<FieldList>,
}

type R<T> = Result<T, PatternError>;

pub(crate) fn compile(src: &str) -> R<Compiled> {
    let mut c = Compiler {
        lx: Lexer::new(src),
        lists: Vec::new(),
    };
    if c.next()? != Token::StartObject {
        return c.barf("Filter is not an object");
    }
    let mut rules: Vec<BranchSpec> = Vec::new();
    let mut path = Vec::new();
    c.parse_object(&mut rules, &mut path)?;
    let states: usize = c
        .lists
        .iter()
        .flat_map(|l| &l.matchers)
        .map(|m| match m {
            Matcher::Wildcard(w) => w.complexity(),
            Matcher::AnythingButWildcard(ws) => ws.iter().map(Wildcard::complexity).sum(),
            _ => 0,
        })
        .sum();
    if states > MAX_WILDCARD_COMPLEXITY {
        return Err(PatternError::plain(TOO_COMPLEX_WILDCARDS.to_owned()));
    }
    Ok(Compiled {
        branches: rules,
        lists: c.lists,
    })
}

impl<'a> Compiler<'a> {
    fn next(&mut self) -> R<Token> {
        self.lx
            .next_token()
            .map_err(|e| PatternError::located(e.reason, e.location, self.lx.source()))
    }

    fn text(&mut self) -> R<String> {
        self.lx
            .text()
            .map_err(|e| PatternError::located(e.reason, e.location, self.lx.source()))
    }

    fn barf<T>(&self, reason: impl Into<String>) -> R<T> {
        Err(PatternError::located(
            reason.into(),
            self.lx.location(),
            self.lx.source(),
        ))
    }

    /// Errors caught and re-raised inside anything-but lists carry their
    /// location twice, as EventBridge's compiler reports them.
    fn rewrap<T>(&self, r: R<T>) -> R<T> {
        r.map_err(|e| PatternError::located(e.full_reason(), self.lx.location(), self.lx.source()))
    }

    fn expect_end_object(&mut self) -> R<()> {
        if self.next()? != Token::EndObject {
            return self.barf("Only one key allowed in match expression");
        }
        Ok(())
    }

    /// Parses the pattern object whose `{` has been read. Nesting is handled
    /// with an explicit stack (not recursion) so deep patterns cannot exhaust
    /// the thread's stack.
    fn parse_object(&mut self, rules: &mut Vec<BranchSpec>, path: &mut Vec<String>) -> R<()> {
        enum Frame {
            Object {
                in_or: bool,
                present: bool,
                pushed_path: bool,
            },
            Or {
                current: Vec<BranchSpec>,
                forks: Vec<BranchSpec>,
                count: usize,
            },
        }
        let mut stack = vec![Frame::Object {
            in_or: false,
            present: false,
            pushed_path: false,
        }];
        while let Some(frame) = stack.last_mut() {
            match frame {
                Frame::Object { in_or, present, .. } => {
                    let in_or = *in_or;
                    let t = self.next()?;
                    if t == Token::EndObject {
                        if !*present {
                            return self.barf("Empty objects are not allowed");
                        }
                        if let Some(Frame::Object {
                            pushed_path: true, ..
                        }) = stack.pop()
                        {
                            path.pop();
                        }
                        if let Some(Frame::Or { forks, .. }) = stack.last_mut() {
                            // One `$or` member is complete: its branches join the fork set.
                            forks.append(rules);
                            if forks.len() > MAX_BRANCHES {
                                return self.barf(format!(
                                    "Rule is too complex - the $or combinations exceed {MAX_BRANCHES}"
                                ));
                            }
                        }
                        continue;
                    }
                    *present = true;
                    let name = self.lx.name().to_owned();
                    if name == "$or" {
                        let current = std::mem::take(rules);
                        if self.next()? != Token::StartArray {
                            return self.barf("It must be an Array followed with $or.");
                        }
                        stack.push(Frame::Or {
                            current,
                            forks: Vec::new(),
                            count: 0,
                        });
                        continue;
                    }
                    if in_or && RESERVED_IN_OR.contains(&name.as_str()) {
                        return self.barf(format!(
                            "{name} is Ruler reserved fieldName which cannot be used inside $or."
                        ));
                    }
                    match self.next()? {
                        Token::StartObject => {
                            path.push(name);
                            stack.push(Frame::Object {
                                in_or,
                                present: false,
                                pushed_path: true,
                            });
                        }
                        Token::StartArray => {
                            let mut full = String::new();
                            for p in path.iter() {
                                full.push_str(p);
                                full.push('.');
                            }
                            full.push_str(&name);
                            self.write_rules(rules, full)?;
                        }
                        _ => {
                            return self.barf(format!("\"{name}\" must be an object or an array"));
                        }
                    }
                }
                Frame::Or { current, count, .. } => {
                    let t = self.next()?;
                    if t == Token::EndArray {
                        if *count < 2 {
                            return self
                                .barf("There must have at least 2 Objects in $or relationship.");
                        }
                        if let Some(Frame::Or { forks, .. }) = stack.pop() {
                            *rules = forks;
                        }
                        continue;
                    }
                    *count += 1;
                    if t != Token::StartObject {
                        return self
                            .barf("Only JSON object is allowed in array of $or relationship.");
                    }
                    let mut fork = current.clone();
                    if fork.is_empty() {
                        fork.push(Vec::new());
                    }
                    *rules = fork;
                    stack.push(Frame::Object {
                        in_or: true,
                        present: false,
                        pushed_path: false,
                    });
                }
            }
        }
        Ok(())
    }

    fn write_rules(&mut self, rules: &mut Vec<BranchSpec>, name: String) -> R<()> {
        let mut list = FieldList {
            matchers: Vec::new(),
            exists_true: false,
            exists_false: false,
        };
        let mut any = false;
        loop {
            let t = self.next()?;
            match t {
                Token::EndArray => break,
                Token::StartObject => match self.match_expression()? {
                    Item::M(m) => list.matchers.push(m),
                    Item::Exists(true) => list.exists_true = true,
                    Item::Exists(false) => list.exists_false = true,
                },
                Token::String => {
                    let text = self.text()?;
                    // A string that is an IP address literal matches that address
                    // however the event spells it.
                    let ip = parse_ip(&text).map(IpRange::single);
                    list.matchers.push(Matcher::ExactStr { value: text, ip });
                }
                Token::Number => {
                    let text = self.text()?;
                    let key = comparable_text(&text).ok();
                    let number = serde_json::from_str(&text).ok();
                    list.matchers.push(Matcher::ExactNum { text, number, key });
                }
                Token::True => list.matchers.push(Matcher::ExactBool(true)),
                Token::False => list.matchers.push(Matcher::ExactBool(false)),
                Token::Null => list.matchers.push(Matcher::ExactNull),
                _ => return self.barf("Match value must be String, number, true, false, or null"),
            }
            any = true;
        }
        if !any {
            return self.barf("Empty arrays are not allowed");
        }
        let idx = self.lists.len();
        self.lists.push(list);
        if rules.is_empty() {
            rules.push(Vec::new());
        }
        for rule in rules.iter_mut() {
            // A repeated field replaces the earlier one.
            match rule.iter_mut().find(|(p, _)| *p == name) {
                Some(slot) => slot.1 = idx,
                None => rule.push((name.clone(), idx)),
            }
        }
        Ok(())
    }

    fn match_expression(&mut self) -> R<Item> {
        if self.next()? != Token::FieldName {
            return self.barf("Match expression name not found");
        }
        let op = self.lx.name().to_owned();
        match op.as_str() {
            "exactly" => {
                if self.next()? != Token::String {
                    return self.barf("exact match pattern must be a string");
                }
                let value = self.text()?;
                self.expect_end_object()?;
                Ok(Item::M(Matcher::ExactStr { value, ip: None }))
            }
            "prefix" | "suffix" => {
                let t = self.next()?;
                if t == Token::StartObject {
                    return self.affix_ignore_case(&op);
                }
                if t != Token::String {
                    return self.barf(format!("{op} match pattern must be a string"));
                }
                let value = self.text()?;
                self.expect_end_object()?;
                Ok(Item::M(if op == "prefix" {
                    Matcher::Prefix(value)
                } else {
                    Matcher::Suffix(value)
                }))
            }
            "numeric" => {
                if self.next()? != Token::StartArray {
                    return self.barf("Value of numeric must be an array.");
                }
                let m = self.numeric()?;
                if self.next()? != Token::EndObject {
                    return self.barf("Too many elements in numeric expression");
                }
                Ok(Item::M(m))
            }
            "anything-but" => self.anything_but().map(Item::M),
            "exists" => {
                let v = match self.next()? {
                    Token::True => true,
                    Token::False => false,
                    _ => return self.barf("exists match pattern must be either true or false."),
                };
                self.expect_end_object()?;
                Ok(Item::Exists(v))
            }
            "cidr" => {
                if self.next()? != Token::String {
                    // EventBridge names the wrong operator in this message.
                    return self.barf("prefix match pattern must be a string");
                }
                let text = self.text()?;
                // Reported without a location, as EventBridge does for CIDR errors.
                let range = IpRange::parse_cidr(&text).map_err(PatternError::plain)?;
                self.expect_end_object()?;
                Ok(Item::M(Matcher::Cidr(range)))
            }
            "equals-ignore-case" => {
                if self.next()? != Token::String {
                    return self.barf("equals-ignore-case match pattern must be a string");
                }
                let value = self.text()?;
                self.expect_end_object()?;
                Ok(Item::M(Matcher::EqualsIgnoreCase(fold(&value))))
            }
            "wildcard" => {
                if self.next()? != Token::String {
                    return self.barf("wildcard match pattern must be a string");
                }
                let value = self.text()?;
                let w = match Wildcard::parse(&value) {
                    Ok(w) => w,
                    Err(reason) => return self.barf(reason),
                };
                self.expect_end_object()?;
                Ok(Item::M(Matcher::Wildcard(w)))
            }
            _ => self.barf(format!("Unrecognized match type {op}")),
        }
    }

    /// `{"prefix": {"equals-ignore-case": "x"}}` and the suffix form.
    fn affix_ignore_case(&mut self, op: &str) -> R<Item> {
        let cap = if op == "prefix" { "Prefix" } else { "Suffix" };
        if self.next()? != Token::FieldName {
            return self.barf(format!("{cap} expression name not found"));
        }
        let inner = self.lx.name().to_owned();
        if inner != "equals-ignore-case" {
            return self.barf(format!("Unsupported {op} pattern: {inner}"));
        }
        if self.next()? != Token::String {
            return self.barf("equals-ignore-case match pattern must be a string");
        }
        let value = fold(&self.text()?);
        self.expect_end_object()?;
        self.expect_end_object()?;
        Ok(Item::M(if op == "prefix" {
            Matcher::PrefixIgnoreCase(value)
        } else {
            Matcher::SuffixIgnoreCase(value)
        }))
    }

    fn anything_but(&mut self) -> R<Matcher> {
        let mut kind = ButKind::Plain;
        let mut t = self.next()?;
        if t == Token::StartObject {
            if self.next()? != Token::FieldName {
                return self.barf("Anything-But expression name not found");
            }
            let op = self.lx.name().to_owned();
            kind = match op.as_str() {
                "equals-ignore-case" => ButKind::IgnoreCase,
                "prefix" => ButKind::Prefix,
                "suffix" => ButKind::Suffix,
                "wildcard" => ButKind::Wildcard,
                _ => return self.barf(format!("Unsupported anything-but pattern: {op}")),
            };
            t = self.next()?;
        }
        if !matches!(t, Token::StartArray | Token::String | Token::Number) {
            return self
                .barf("Value of anything-but must be an array or single string/number value.");
        }
        let matcher = match (t, kind) {
            (Token::StartArray, ButKind::Plain) => {
                let r = self.but_list_values();
                let (strings, numbers) = self.rewrap(r)?;
                // Checked after the list is read, outside the re-raising scope.
                if strings.is_empty() == numbers.is_empty() {
                    return self.barf(
                        "Inside anything but list, either all values are number or string, mixed type is not supported",
                    );
                }
                if numbers.is_empty() {
                    Matcher::AnythingButStrings(strings)
                } else {
                    Matcher::AnythingButNumbers(numbers)
                }
            }
            (Token::StartArray, _) => self.but_set_list(kind)?,
            (_, ButKind::Plain) => self.but_single(t)?,
            (_, _) => self.but_set_single(t, kind)?,
        };
        if self.next()? != Token::EndObject {
            return self.barf("Too many elements in numeric expression");
        }
        if kind != ButKind::Plain && self.next()? != Token::EndObject {
            return self.barf("Too many elements in numeric expression");
        }
        Ok(matcher)
    }

    fn but_list_values(&mut self) -> R<(Vec<String>, Vec<i64>)> {
        let mut strings = Vec::new();
        let mut numbers = Vec::new();
        loop {
            match self.next()? {
                Token::EndArray => break,
                Token::String => strings.push(self.text()?),
                Token::Number => {
                    let text = self.text()?;
                    match comparable_text(&text) {
                        Ok(k) => numbers.push(k),
                        Err(reason) => return self.barf(reason),
                    }
                }
                _ => {
                    return self
                        .barf("Inside anything but list, start|null|boolean is not supported.");
                }
            }
        }
        Ok((strings, numbers))
    }

    fn but_single(&mut self, t: Token) -> R<Matcher> {
        let text = self.text()?;
        if t == Token::Number {
            // Not caught by EventBridge's compiler, so reported without a location.
            let k = comparable_text(&text).map_err(PatternError::plain)?;
            Ok(Matcher::AnythingButNumbers(vec![k]))
        } else {
            Ok(Matcher::AnythingButStrings(vec![text]))
        }
    }

    fn wrong_type_reason(kind: ButKind) -> &'static str {
        match kind {
            ButKind::IgnoreCase => {
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
            }
            ButKind::Wildcard => "wildcard match pattern must be a string",
            _ => "prefix/suffix match pattern must be a string",
        }
    }

    fn set_matcher(&self, kind: ButKind, values: Vec<String>) -> R<Matcher> {
        Ok(match kind {
            ButKind::IgnoreCase => {
                Matcher::AnythingButIgnoreCase(values.iter().map(|v| fold(v)).collect())
            }
            ButKind::Prefix => Matcher::AnythingButPrefix(values),
            ButKind::Suffix => Matcher::AnythingButSuffix(values),
            ButKind::Wildcard | ButKind::Plain => {
                let mut ws = Vec::with_capacity(values.len());
                for v in &values {
                    match Wildcard::parse(v) {
                        Ok(w) => ws.push(w),
                        Err(reason) => return self.barf(reason),
                    }
                }
                Matcher::AnythingButWildcard(ws)
            }
        })
    }

    fn but_set_single(&mut self, t: Token, kind: ButKind) -> R<Matcher> {
        if t != Token::String {
            return self.barf(Self::wrong_type_reason(kind));
        }
        let text = self.text()?;
        if matches!(kind, ButKind::Prefix | ButKind::Suffix) && text.is_empty() {
            return self.barf("Null prefix/suffix not allowed");
        }
        self.set_matcher(kind, vec![text])
    }

    fn but_set_list(&mut self, kind: ButKind) -> R<Matcher> {
        let r = self.but_set_values(kind);
        let values = self.rewrap(r)?;
        self.set_matcher(kind, values)
    }

    fn but_set_values(&mut self, kind: ButKind) -> R<Vec<String>> {
        let mut values = Vec::new();
        loop {
            match self.next()? {
                Token::EndArray => break,
                Token::String => {
                    let text = self.text()?;
                    if matches!(kind, ButKind::Prefix | ButKind::Suffix) && text.is_empty() {
                        return self.barf("Null prefix/suffix not allowed");
                    }
                    values.push(text);
                }
                _ => return self.barf(Self::wrong_type_reason(kind)),
            }
        }
        Ok(values)
    }

    fn key(&self, text: &str) -> R<i64> {
        match comparable_text(text) {
            Ok(k) => Ok(k),
            Err(reason) => self.barf(reason),
        }
    }

    fn numeric(&mut self) -> R<Matcher> {
        if self.next()? != Token::String {
            let text = self.text()?;
            return self.barf(format!("Invalid member in numeric match: {text}"));
        }
        let op = self.text()?;
        let t = self.next()?;
        match op.as_str() {
            "=" => {
                if !t.is_numeric() {
                    return self.barf("Value of equals must be numeric");
                }
                let v = self.text()?;
                if self.next()? != Token::EndArray {
                    return self.barf("Too many elements in numeric expression");
                }
                let k = self.key(&v)?;
                let b = Some(Bound {
                    value: k,
                    open: false,
                });
                Ok(Matcher::Numeric { low: b, high: b })
            }
            ">" | ">=" => {
                if !t.is_numeric() {
                    return self.barf(format!("Value of {op} must be numeric"));
                }
                let bottom = self.text()?;
                let open_bottom = op == ">";
                let t2 = self.next()?;
                if t2 == Token::EndArray {
                    let k = self.key(&bottom)?;
                    return Ok(Matcher::Numeric {
                        low: Some(Bound {
                            value: k,
                            open: open_bottom,
                        }),
                        high: None,
                    });
                }
                if t2 != Token::String {
                    let text = self.text()?;
                    return self.barf(format!("Bad value in numeric range: {text}"));
                }
                let op2 = self.text()?;
                let open_top = match op2.as_str() {
                    "<" => true,
                    "<=" => false,
                    _ => return self.barf(format!("Bad numeric range operator: {op2}")),
                };
                if !self.next()?.is_numeric() {
                    return self.barf(format!("Value of {op2} must be numeric"));
                }
                let top = self.text()?;
                if self.next()? != Token::EndArray {
                    return self.barf("Too many terms in numeric range expression");
                }
                let lo = self.key(&bottom)?;
                let hi = self.key(&top)?;
                if lo >= hi {
                    return self.barf("Bottom must be less than top");
                }
                Ok(Matcher::Numeric {
                    low: Some(Bound {
                        value: lo,
                        open: open_bottom,
                    }),
                    high: Some(Bound {
                        value: hi,
                        open: open_top,
                    }),
                })
            }
            "<" | "<=" => {
                if !t.is_numeric() {
                    return self.barf(format!("Value of {op} must be numeric"));
                }
                let top = self.text()?;
                if self.next()? != Token::EndArray {
                    return self.barf("Too many elements in numeric expression");
                }
                let k = self.key(&top)?;
                Ok(Matcher::Numeric {
                    low: None,
                    high: Some(Bound {
                        value: k,
                        open: op == "<",
                    }),
                })
            }
            _ => self.barf(format!("Unrecognized numeric range operator: {op}")),
        }
    }
}
