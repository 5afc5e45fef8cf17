//! The recursive-descent parser behind [`super::parse_filter`] and PATCH paths
//! (RFC 7644 §3.4.2.2 ABNF, made lenient about whitespace).

use serde_json::Value;

use super::{AttrPath, CompareOp, Filter, MAX_FILTER_COMPARISONS, MAX_FILTER_DEPTH};
use crate::error::ScimError;

/// A recursive-descent parser over the bytes of a filter; `pos` only ever rests on ASCII
/// characters or the end, so slicing at it is safe.
pub(crate) struct Parser<'a> {
    pub(crate) src: &'a str,
    pub(crate) pos: usize,
    depth: usize,
    comparisons: usize,
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'$'
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str) -> Self {
        Self {
            src,
            pos: 0,
            depth: 0,
            comparisons: 0,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    pub(crate) fn error(&self, what: &str) -> ScimError {
        let near = self
            .src
            .get(self.pos..)
            .unwrap_or("")
            .chars()
            .take(20)
            .collect::<String>();
        if near.is_empty() {
            ScimError::invalid_filter(format!("{what} at byte {} (end of filter)", self.pos))
        } else {
            ScimError::invalid_filter(format!("{what} at byte {} near '{near}'", self.pos))
        }
    }

    pub(crate) fn skip_ws(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        self.src.get(start..self.pos).unwrap_or("")
    }

    fn word(&mut self) -> &'a str {
        self.take_while(|b| b.is_ascii_alphanumeric())
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), ScimError> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected {what}")))
        }
    }

    fn enter(&mut self) -> Result<(), ScimError> {
        self.depth += 1;
        if self.depth > MAX_FILTER_DEPTH {
            return Err(self.error(&format!(
                "filter is too complex: nesting deeper than {MAX_FILTER_DEPTH}"
            )));
        }
        Ok(())
    }

    /// Consumes `keyword` (case-insensitive, whole word) after optional whitespace, or
    /// consumes nothing.
    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let save = self.pos;
        self.skip_ws();
        if self.word().eq_ignore_ascii_case(keyword) {
            return true;
        }
        self.pos = save;
        false
    }

    pub(crate) fn parse_or(&mut self, in_brackets: bool) -> Result<Filter, ScimError> {
        let mut left = self.parse_and(in_brackets)?;
        while self.eat_keyword("or") {
            let right = self.parse_and(in_brackets)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_and(&mut self, in_brackets: bool) -> Result<Filter, ScimError> {
        let mut left = self.parse_unary(in_brackets)?;
        while self.eat_keyword("and") {
            let right = self.parse_unary(in_brackets)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn parse_group(&mut self, in_brackets: bool) -> Result<Filter, ScimError> {
        self.enter()?;
        self.expect(b'(', "'('")?;
        let inner = self.parse_or(in_brackets)?;
        self.skip_ws();
        self.expect(b')', "')'")?;
        self.depth -= 1;
        Ok(inner)
    }

    fn parse_unary(&mut self, in_brackets: bool) -> Result<Filter, ScimError> {
        self.skip_ws();
        if self.peek() == Some(b'(') {
            return self.parse_group(in_brackets);
        }
        let save = self.pos;
        if self.word().eq_ignore_ascii_case("not") {
            self.skip_ws();
            if self.peek() == Some(b'(') {
                return Ok(Filter::Not(Box::new(self.parse_group(in_brackets)?)));
            }
        }
        self.pos = save;
        let path = self.parse_attr_path()?;
        if self.peek() != Some(b'[') {
            return self.parse_attr_exp(path);
        }
        if in_brackets {
            return Err(self.error("value filters cannot be nested"));
        }
        if path.sub_attr.is_some() {
            return Err(self.error("a value filter cannot follow a sub-attribute"));
        }
        let filter = self.parse_bracket_filter()?;
        if self.peek() != Some(b'.') {
            return Ok(Filter::ValuePath { path, filter });
        }
        // Entra/Okta: `emails[type eq "work"].value eq "x"`; fold the trailing comparison on
        // the sub-attribute into the bracket filter.
        self.pos += 1;
        let sub = self.parse_name()?;
        let compare = self.parse_attr_exp(AttrPath::simple(sub))?;
        Ok(Filter::ValuePath {
            path,
            filter: Box::new(Filter::And(filter, Box::new(compare))),
        })
    }

    pub(crate) fn parse_bracket_filter(&mut self) -> Result<Box<Filter>, ScimError> {
        self.enter()?;
        self.expect(b'[', "'['")?;
        let filter = self.parse_or(true)?;
        self.skip_ws();
        self.expect(b']', "']'")?;
        self.depth -= 1;
        Ok(Box::new(filter))
    }

    fn parse_attr_exp(&mut self, path: AttrPath) -> Result<Filter, ScimError> {
        if !self.skip_ws() {
            return Err(self.error("expected a space and an operator after the attribute path"));
        }
        self.comparisons += 1;
        if self.comparisons > MAX_FILTER_COMPARISONS {
            return Err(self.error(&format!(
                "filter is too complex: more than {MAX_FILTER_COMPARISONS} comparisons"
            )));
        }
        let op_start = self.pos;
        let word = self.word();
        if word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::parse(word) else {
            self.pos = op_start;
            return Err(self.error("expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"));
        };
        self.skip_ws();
        let value = self.parse_value()?;
        Ok(Filter::Compare { path, op, value })
    }

    pub(crate) fn parse_name(&mut self) -> Result<String, ScimError> {
        if !self
            .peek()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'$')
        {
            return Err(self.error("expected an attribute name"));
        }
        Ok(self.take_while(is_name_char).to_owned())
    }

    pub(crate) fn parse_attr_path(&mut self) -> Result<AttrPath, ScimError> {
        let start = self.pos;
        let is_urn = self
            .src
            .get(start..start + 4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
        if !is_urn {
            let name = self.parse_name()?;
            let mut sub_attr = None;
            if self.peek() == Some(b'.') {
                self.pos += 1;
                sub_attr = Some(self.parse_name()?);
            }
            return Ok(AttrPath {
                urn: None,
                name,
                sub_attr,
            });
        }
        let run = self.take_while(|b| is_name_char(b) || b == b':' || b == b'.');
        let (urn, rest) = run.rsplit_once(':').unwrap_or((run, ""));
        let mut names = rest.split('.');
        let name = names.next().unwrap_or("");
        let sub_attr = names.next();
        let valid = |n: &str| {
            n.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'$')
                && n.bytes().all(is_name_char)
        };
        if urn.len() <= 4 || !valid(name) || !sub_attr.is_none_or(valid) || names.next().is_some() {
            self.pos = start;
            return Err(self.error("expected a URN-qualified attribute name"));
        }
        Ok(AttrPath {
            urn: Some(urn.to_owned()),
            name: name.to_owned(),
            sub_attr: sub_attr.map(str::to_owned),
        })
    }

    fn parse_value(&mut self) -> Result<Value, ScimError> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') => {
                let mut i = start + 1;
                loop {
                    match self.bytes().get(i) {
                        None => return Err(self.error("unterminated string")),
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                let literal = self.src.get(start..=i).unwrap_or("");
                let value: String = serde_json::from_str(literal)
                    .map_err(|_| self.error("invalid string literal"))?;
                self.pos = i + 1;
                Ok(Value::String(value))
            }
            Some(b'-' | b'0'..=b'9') => {
                let literal = self.take_while(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
                let number: serde_json::Number = serde_json::from_str(literal).map_err(|_| {
                    self.pos = start;
                    self.error("invalid number")
                })?;
                Ok(Value::Number(number))
            }
            _ => {
                let word = self.word();
                match word.to_ascii_lowercase().as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "null" => Ok(Value::Null),
                    _ => {
                        self.pos = start;
                        Err(self.error("expected a value (string, number, true, false or null)"))
                    }
                }
            }
        }
    }
}
