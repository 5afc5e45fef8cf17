//! Evaluation of a [`Filter`] against a JSON object (RFC 7644 §3.4.2.2 matching rules).
//!
//! Used by PATCH to select values of a multi-valued attribute (`members[value eq "x"]`,
//! `emails[type eq "work"]`); it does not know schemas, so case sensitivity comes from the
//! caller.

use std::cmp::Ordering;

use serde_json::Value;

use super::{AttrPath, CompareOp, Filter};

/// Returns whether `element` matches `filter`, comparing strings case-insensitively.
///
/// Case-insensitive comparison is harmless for Roster's ids (lower-case UUIDs) and is what
/// RFC 7643 prescribes for most string attributes (`caseExact` false).
pub fn matches(filter: &Filter, element: &Value) -> bool {
    matches_with(filter, element, &|_| false)
}

/// Returns whether `element` matches `filter`; `case_exact` says for a path whether string
/// comparisons on it are case-sensitive (the attribute's `caseExact`, RFC 7643 §2.2).
///
/// Paths resolve against `element`: an attribute name, then an optional sub-attribute; a
/// multi-valued attribute matches when any of its values does. A URN-qualified path looks
/// inside the extension object named by the URN first. Comparing against `null` with `eq`
/// matches an absent attribute.
pub fn matches_with(
    filter: &Filter,
    element: &Value,
    case_exact: &dyn Fn(&AttrPath) -> bool,
) -> bool {
    match filter {
        Filter::And(a, b) => {
            matches_with(a, element, case_exact) && matches_with(b, element, case_exact)
        }
        Filter::Or(a, b) => {
            matches_with(a, element, case_exact) || matches_with(b, element, case_exact)
        }
        Filter::Not(inner) => !matches_with(inner, element, case_exact),
        Filter::Present(path) => resolve(element, path).iter().any(|v| is_present(v)),
        Filter::Compare { path, op, value } => {
            let values = resolve(element, path);
            let exact = case_exact(path);
            match op {
                CompareOp::Ne if value.is_null() => values.iter().any(|v| !v.is_null()),
                // RFC 7644 §3.4.2.2: "ne" matches when no value equals the literal.
                CompareOp::Ne => !values
                    .iter()
                    .any(|v| compare(v, CompareOp::Eq, value, exact)),
                CompareOp::Eq if value.is_null() => values.iter().all(|v| v.is_null()),
                _ => values.iter().any(|v| compare(v, *op, value, exact)),
            }
        }
        Filter::ValuePath { path, filter } => resolve(element, path)
            .iter()
            .any(|v| v.is_object() && matches_with(filter, v, case_exact)),
    }
}

fn get_ci<'v>(object: &'v Value, key: &str) -> Option<&'v Value> {
    let map = object.as_object()?;
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Returns the scalar values `path` reaches in `element`, flattening multi-valued attributes.
fn resolve<'v>(element: &'v Value, path: &AttrPath) -> Vec<&'v Value> {
    let base = path
        .urn
        .as_deref()
        .and_then(|urn| get_ci(element, urn))
        .unwrap_or(element);
    let mut out = Vec::new();
    let Some(attr) = get_ci(base, &path.name) else {
        return out;
    };
    let mut push = |v: &'v Value| match &path.sub_attr {
        Some(sub) => out.extend(get_ci(v, sub)),
        None => out.push(v),
    };
    match attr {
        Value::Array(items) => items.iter().for_each(&mut push),
        other => push(other),
    }
    out
}

fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

fn compare(actual: &Value, op: CompareOp, literal: &Value, case_exact: bool) -> bool {
    match (actual, literal) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = if case_exact {
                (a.clone(), b.clone())
            } else {
                (a.to_lowercase(), b.to_lowercase())
            };
            match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                _ => ordered(a.cmp(&b), op),
            }
        }
        (Value::Number(a), Value::Number(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b).is_some_and(|o| ordered(o, op)),
            _ => false,
        },
        (Value::Bool(a), Value::Bool(b)) => match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            _ => false,
        },
        _ => false,
    }
}

fn ordered(ordering: Ordering, op: CompareOp) -> bool {
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::filter::parse_filter;

    fn check(filter: &str, element: Value) -> bool {
        matches(&parse_filter(filter).expect("valid filter"), &element)
    }

    #[test]
    fn compares_strings_case_insensitively() {
        let email = json!({"value": "Ada@Example.com", "type": "work", "primary": true});
        assert!(check(r#"type eq "WORK""#, email.clone()));
        assert!(check(r#"value co "example""#, email.clone()));
        assert!(check(r#"value sw "ada@""#, email.clone()));
        assert!(check(r#"value ew ".COM""#, email.clone()));
        assert!(!check(r#"value ew ".org""#, email.clone()));
        assert!(check(r#"type ne "home""#, email.clone()));
        assert!(!check(r#"type ne "work""#, email.clone()));
        assert!(check(r#"type gt "home" and type lt "zzz""#, email.clone()));
        assert!(check("primary eq true", email.clone()));
        assert!(!check("primary eq false", email.clone()));
        assert!(check(r#"TYPE eq "work""#, email));
    }

    #[test]
    fn honours_case_exact_paths() {
        let filter = parse_filter(r#"value eq "ABC""#).expect("valid");
        let member = json!({"value": "abc"});
        assert!(matches(&filter, &member));
        assert!(!matches_with(&filter, &member, &|p| p.name == "value"));
    }

    #[test]
    fn evaluates_logic_presence_and_null() {
        let member = json!({"value": "u1", "display": ""});
        assert!(check(r#"value eq "u1" or value eq "u2""#, member.clone()));
        assert!(!check(
            r#"value eq "u1" and type eq "User""#,
            member.clone()
        ));
        assert!(check(r#"not (value eq "u2")"#, member.clone()));
        assert!(check("value pr", member.clone()));
        assert!(
            !check("display pr", member.clone()),
            "empty string is not present"
        );
        assert!(!check("type pr", member.clone()));
        assert!(check("type eq null", member.clone()));
        assert!(!check("value eq null", member.clone()));
        assert!(check("value ne null", member.clone()));
        assert!(!check("type ne null", member));
    }

    #[test]
    fn evaluates_numbers_sub_attributes_and_value_paths() {
        let user = json!({
            "userName": "ada",
            "name": {"givenName": "Ada"},
            "emails": [{"value": "a@x", "type": "home"}, {"value": "b@y", "type": "work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
            "n": 5,
        });
        assert!(check(r#"name.givenName eq "ada""#, user.clone()));
        assert!(check(r#"emails.value co "@y""#, user.clone()));
        assert!(check(
            r#"emails[type eq "work" and value co "@y"]"#,
            user.clone()
        ));
        assert!(!check(
            r#"emails[type eq "home" and value co "@y"]"#,
            user.clone()
        ));
        assert!(check(
            r#"emails[type eq "work"].value eq "B@Y""#,
            user.clone()
        ));
        assert!(check(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "r&d""#,
            user.clone()
        ));
        assert!(check(
            "n gt 4 and n le 5 and n ge 5.0 and n lt 6",
            user.clone()
        ));
        assert!(!check("n gt 5", user.clone()));
        assert!(!check(r#"n eq "5""#, user));
    }
}
