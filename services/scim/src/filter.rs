//! The SCIM filter language of RFC 7644 §3.4.2.2: its syntax tree and parser, and (in
//! [`eval`]) evaluation against JSON.
//!
//! This module owns the grammar and its limits; it does not translate filters into storage
//! queries (storage does) and does not check attribute names against schemas.

mod eval;
mod parser;

use std::fmt;

use serde_json::Value;

use crate::error::ScimError;

pub use eval::{matches, matches_with};
use parser::Parser;

/// The longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
/// The deepest nesting of parentheses and brackets accepted.
pub const MAX_FILTER_DEPTH: usize = 16;
/// The largest number of comparisons (including `pr`) accepted in one filter.
pub const MAX_FILTER_COMPARISONS: usize = 50;

/// An attribute path `[urn ":"] name ["." subAttr]` (RFC 7644 §3.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    /// The schema URN qualifying the attribute, as written.
    pub urn: Option<String>,
    /// The attribute name, as written.
    pub name: String,
    /// The sub-attribute name, as written.
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// Returns an unqualified path to attribute `name` without a sub-attribute.
    pub fn simple(name: impl Into<String>) -> Self {
        Self {
            urn: None,
            name: name.into(),
            sub_attr: None,
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A comparison operator (RFC 7644 §3.4.2.2, Table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// Equal.
    Eq,
    /// Not equal.
    Ne,
    /// Contains.
    Co,
    /// Starts with.
    Sw,
    /// Ends with.
    Ew,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
}

impl CompareOp {
    const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// Returns the operator keyword in lower case (`"eq"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// Returns the operator for a keyword, compared case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(s))
    }
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `path op value`; the value is a JSON string, number, boolean or null.
    Compare {
        /// The attribute compared.
        path: AttrPath,
        /// The operator.
        op: CompareOp,
        /// The literal compared against.
        value: Value,
    },
    /// `path pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// Both filters match.
    And(Box<Filter>, Box<Filter>),
    /// Either filter matches.
    Or(Box<Filter>, Box<Filter>),
    /// The filter does not match.
    Not(Box<Filter>),
    /// `path[filter]`: some value of a multi-valued attribute matches `filter`, whose paths are
    /// relative to the value (sub-attribute names).
    ValuePath {
        /// The multi-valued attribute.
        path: AttrPath,
        /// The filter applied to each of its values.
        filter: Box<Filter>,
    },
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {} {value}", op.as_str()),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(a, b) => {
                let wrap = |x: &Filter| matches!(x, Filter::Or(..));
                write_operand(f, a, wrap(a))?;
                f.write_str(" and ")?;
                write_operand(f, b, wrap(b))
            }
            Filter::Or(a, b) => write!(f, "{a} or {b}"),
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, filter: &Filter, parens: bool) -> fmt::Result {
    if parens {
        write!(f, "({filter})")
    } else {
        write!(f, "{filter}")
    }
}

/// Returns the parsed filter, or a 400 `invalidFilter` error saying what is wrong and at which
/// byte offset. Keywords and operators are case-insensitive; precedence is `not` > `and` > `or`.
/// Also accepts `emails[type eq "work"].value eq "x"` (sent by Entra and Okta), folding the
/// trailing comparison into the bracket filter.
pub fn parse_filter(input: &str) -> Result<Filter, ScimError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(ScimError::invalid_filter(format!(
            "filter is longer than {MAX_FILTER_LEN} bytes"
        )));
    }
    let mut parser = Parser::new(input);
    let filter = parser.parse_or(false)?;
    parser.skip_ws();
    if parser.pos < input.len() {
        return Err(parser.error("unexpected input"));
    }
    Ok(filter)
}

/// The parts of a PATCH path `attrPath ["[" valFilter "]" ["." subAttr]]` (RFC 7644 §3.5.2).
pub(crate) type PathParts = (AttrPath, Option<Box<Filter>>, Option<String>);

/// Returns the parts of a PATCH path parsed from the whole of `input`, or an `invalidFilter`
/// error that PATCH re-labels as `invalidPath`.
pub(crate) fn parse_path_parts(input: &str) -> Result<PathParts, ScimError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(ScimError::invalid_filter(format!(
            "path is longer than {MAX_FILTER_LEN} bytes"
        )));
    }
    let mut parser = Parser::new(input.trim());
    let path = parser.parse_attr_path()?;
    let mut filter = None;
    let mut sub_attr = None;
    if parser.peek() == Some(b'[') {
        if path.sub_attr.is_some() {
            return Err(parser.error("a value filter cannot follow a sub-attribute"));
        }
        filter = Some(parser.parse_bracket_filter()?);
        if parser.peek() == Some(b'.') {
            parser.pos += 1;
            sub_attr = Some(parser.parse_name()?);
        }
    }
    if parser.pos < parser.src.len() {
        return Err(parser.error("unexpected input in path"));
    }
    Ok((path, filter, sub_attr))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ScimType;

    fn parse(input: &str) -> Filter {
        parse_filter(input).unwrap_or_else(|e| panic!("{input:?} should parse: {}", e.detail))
    }

    fn path(name: &str) -> AttrPath {
        AttrPath::simple(name)
    }

    fn cmp(name: &str, op: CompareOp, value: Value) -> Filter {
        Filter::Compare {
            path: path(name),
            op,
            value,
        }
    }

    fn parse_err(input: &str) -> ScimError {
        let err = parse_filter(input).expect_err(input);
        assert_eq!(
            (err.status, err.scim_type),
            (400, Some(ScimType::InvalidFilter)),
            "{input}"
        );
        err
    }

    #[test]
    fn parses_comparisons_and_values() {
        assert_eq!(
            parse(r#"userName eq "ada""#),
            cmp("userName", CompareOp::Eq, json!("ada"))
        );
        assert_eq!(
            parse(r#"userName EQ "a\"b\\c\u00e9""#),
            cmp("userName", CompareOp::Eq, json!("a\"b\\cé"))
        );
        assert_eq!(
            parse("active Eq TRUE"),
            cmp("active", CompareOp::Eq, json!(true))
        );
        assert_eq!(
            parse("active ne false"),
            cmp("active", CompareOp::Ne, json!(false))
        );
        assert_eq!(parse("x eq null"), cmp("x", CompareOp::Eq, Value::Null));
        assert_eq!(
            parse("n ge -1.5e3"),
            cmp("n", CompareOp::Ge, json!(-1500.0))
        );
        assert_eq!(parse("n lt 42"), cmp("n", CompareOp::Lt, json!(42)));
        assert_eq!(parse("title pr"), Filter::Present(path("title")));
        assert_eq!(
            parse(r#"  displayName  sw  "É"  "#),
            cmp("displayName", CompareOp::Sw, json!("É"))
        );
        for op in CompareOp::ALL {
            let f = parse(&format!("a {} \"v\"", op.as_str().to_uppercase()));
            assert_eq!(f, cmp("a", op, json!("v")));
        }
    }

    #[test]
    fn parses_paths_with_urn_and_sub_attribute() {
        let f = parse(r#"name.givenName eq "Ada""#);
        let Filter::Compare { path: p, .. } = f else {
            panic!("compare expected")
        };
        assert_eq!(
            p,
            AttrPath {
                urn: None,
                name: "name".into(),
                sub_attr: Some("givenName".into())
            }
        );
        let f = parse(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m""#,
        );
        let Filter::Compare { path: p, .. } = f else {
            panic!("compare expected")
        };
        assert_eq!(
            p.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        assert_eq!(
            (p.name.as_str(), p.sub_attr.as_deref()),
            ("manager", Some("value"))
        );
        assert_eq!(
            p.to_string(),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
        );
        let f = parse("members.$ref pr");
        assert_eq!(
            f,
            Filter::Present(AttrPath {
                urn: None,
                name: "members".into(),
                sub_attr: Some("$ref".into())
            })
        );
    }

    #[test]
    fn applies_precedence_not_and_or() {
        let a = || cmp("a", CompareOp::Eq, json!(1));
        let b = || cmp("b", CompareOp::Eq, json!(2));
        let c = || cmp("c", CompareOp::Eq, json!(3));
        let and = |x, y| Filter::And(Box::new(x), Box::new(y));
        let or = |x, y| Filter::Or(Box::new(x), Box::new(y));
        assert_eq!(parse("a eq 1 or b eq 2 and c eq 3"), or(a(), and(b(), c())));
        assert_eq!(parse("a eq 1 AND b eq 2 OR c eq 3"), or(and(a(), b()), c()));
        assert_eq!(
            parse("(a eq 1 or b eq 2) and c eq 3"),
            and(or(a(), b()), c())
        );
        assert_eq!(
            parse("a eq 1 and b eq 2 and c eq 3"),
            and(and(a(), b()), c())
        );
        assert_eq!(
            parse("not (a eq 1) and b eq 2"),
            and(Filter::Not(Box::new(a())), b())
        );
        assert_eq!(
            parse("NOT(a eq 1 or b eq 2)"),
            Filter::Not(Box::new(or(a(), b())))
        );
        assert_eq!(parse("((a eq 1))"), a());
    }

    #[test]
    fn parses_value_paths() {
        let f = parse(r#"emails[type eq "work" and value co "@x"]"#);
        let Filter::ValuePath { path: p, filter } = f else {
            panic!("value path expected")
        };
        assert_eq!(p, path("emails"));
        assert_eq!(
            *filter,
            Filter::And(
                Box::new(cmp("type", CompareOp::Eq, json!("work"))),
                Box::new(cmp("value", CompareOp::Co, json!("@x")))
            )
        );
        // Entra/Okta style: the sub-attribute comparison is folded into the bracket filter.
        let f = parse(r#"emails[type eq "work"].value eq "x""#);
        let expected = Filter::ValuePath {
            path: path("emails"),
            filter: Box::new(Filter::And(
                Box::new(cmp("type", CompareOp::Eq, json!("work"))),
                Box::new(cmp("value", CompareOp::Eq, json!("x"))),
            )),
        };
        assert_eq!(f, expected);
        let f = parse(r#"userType eq "Employee" and emails[type eq "work" or primary eq true]"#);
        assert!(matches!(f, Filter::And(_, ref r) if matches!(**r, Filter::ValuePath { .. })));
    }

    #[test]
    fn display_round_trips() {
        for input in [
            r#"userName eq "ada""#,
            r#"a eq 1 or b eq 2 and c eq 3"#,
            r#"(a eq 1 or b eq 2) and not (c pr)"#,
            r#"emails[type eq "work" and value co "@x\"y"]"#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department ne null"#,
        ] {
            let f = parse(input);
            assert_eq!(parse(&f.to_string()), f, "{input}");
        }
    }

    #[test]
    fn rejects_malformed_filters_with_offsets() {
        let err = parse_err(r#"userName xx "a""#);
        assert!(err.detail.contains("byte 9"), "{}", err.detail);
        let err = parse_err(r#"userName eq "a" junk"#);
        assert!(err.detail.contains("byte 16"), "{}", err.detail);
        for bad in [
            "",
            "   ",
            "userName",
            "userName eq",
            r#"userName eq "unterminated"#,
            r#"userName eq 'single'"#,
            "userName eq bogus",
            r#"(userName eq "a""#,
            r#"userName eq "a")"#,
            r#"emails[type eq "work""#,
            r#"emails[type[value eq "x"] eq "y"]"#,
            r#"userName eq "a" and"#,
            r#"userName eq "a" or or b eq "c""#,
            r#"not userName eq "a""#,
            r#"1abc eq "a""#,
            r#"userName eq 1.2.3"#,
            r#"urn:bad eq "x""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User: eq "x""#,
            r#"name.givenName.x eq "y""#,
            r#"emails[type eq "work"].value"#,
            "userName eq \"a\u{1}\"",
        ] {
            parse_err(bad);
        }
    }

    #[test]
    fn enforces_limits() {
        let long = format!(r#"userName eq "{}""#, "a".repeat(MAX_FILTER_LEN));
        assert!(parse_err(&long).detail.contains("longer"));
        let deep = format!("{}a pr{}", "(".repeat(17), ")".repeat(17));
        assert!(parse_err(&deep).detail.contains("too complex"));
        let ok_deep = format!("{}a pr{}", "(".repeat(16), ")".repeat(16));
        assert_eq!(parse(&ok_deep), Filter::Present(path("a")));
        let many = vec!["a pr"; 51].join(" or ");
        assert!(parse_err(&many).detail.contains("too complex"));
        parse(&vec!["a pr"; 50].join(" and "));
    }
}
