//! SCIM PATCH (RFC 7644 §3.5.2): request parsing, path parsing, application to a resource
//! ([`apply`]) and the split of Group member changes ([`split_group_patch`]).
//!
//! This module owns PATCH semantics and the IdP quirks around them (Entra's capitalised ops,
//! dotted and URN-qualified keys, value-path upserts; Okta's path-less renames). It does not
//! load or store resources.

mod members;
mod mutation;

use serde_json::Value;

use crate::error::ScimError;
use crate::filter::{self, AttrPath, Filter};
use crate::schema::PATCH_OP;

pub use members::{MemberChange, split_group_patch};
pub use mutation::apply;

/// The largest number of operations accepted in one PATCH request.
pub const MAX_PATCH_OPERATIONS: usize = 1000;

/// A PATCH operation kind (RFC 7644 §3.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchOpKind {
    /// `add`.
    Add,
    /// `remove`.
    Remove,
    /// `replace`.
    Replace,
}

impl PatchOpKind {
    /// Returns the operation kind for an `op` string, compared case-insensitively (Entra sends
    /// `"Replace"`, `"Add"`, `"Remove"`).
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Add, Self::Remove, Self::Replace]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }

    /// Returns the RFC spelling (`"add"`, `"remove"`, `"replace"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Remove => "remove",
            Self::Replace => "replace",
        }
    }
}

/// A PATCH `path` (RFC 7644 §3.5.2, `PATH = attrPath / valuePath [subAttr]`).
#[derive(Debug, Clone, PartialEq)]
pub enum PatchPath {
    /// An attribute or sub-attribute: `name.givenName`, `urn:…:User:department`.
    Attr(AttrPath),
    /// Values of a multi-valued attribute selected by a filter, optionally narrowed to one of
    /// their sub-attributes: `emails[type eq "work"].value`.
    ValuePath {
        /// The multi-valued attribute.
        path: AttrPath,
        /// The filter selecting values; its paths are sub-attribute names.
        filter: Filter,
        /// The sub-attribute of the selected values, if any.
        sub_attr: Option<String>,
    },
}

/// Returns the parsed PATCH path, or a 400 `invalidPath` error saying what is wrong and where.
pub fn parse_path(input: &str) -> Result<PatchPath, ScimError> {
    let (path, filter, sub_attr) = filter::parse_path_parts(input)
        .map_err(|e| ScimError::invalid_path(format!("invalid path '{input}': {}", e.detail)))?;
    Ok(match filter {
        Some(filter) => PatchPath::ValuePath {
            path,
            filter: *filter,
            sub_attr,
        },
        None => PatchPath::Attr(path),
    })
}

/// One PATCH operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    /// The operation kind.
    pub op: PatchOpKind,
    /// The target; `None` means the resource itself (add/replace only).
    pub path: Option<PatchPath>,
    /// The value; present for add/replace (it may be `null` for replace, meaning unassign).
    pub value: Option<Value>,
}

fn get_ci<'a>(object: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Returns the operations of a PATCH request body (RFC 7644 §3.5.2).
///
/// The body must be an object whose `schemas` holds [`PATCH_OP`] (else 400 `invalidSyntax`) and
/// whose `Operations` (any case) is a non-empty array of at most [`MAX_PATCH_OPERATIONS`]
/// (else 400 `invalidValue`). `op` is case-insensitive; `add` and `replace` need a `value`
/// (400 `invalidValue`); `remove` needs a `path` (400 `noTarget`); a bad path is 400
/// `invalidPath`. An empty `path` string counts as absent.
pub fn parse_patch_request(body: &Value) -> Result<Vec<PatchOperation>, ScimError> {
    let Value::Object(body) = body else {
        return Err(ScimError::invalid_syntax(
            "the PATCH body must be a JSON object",
        ));
    };
    let declares_patch_op = get_ci(body, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| {
            s.iter()
                .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP)))
        });
    if !declares_patch_op {
        return Err(ScimError::invalid_syntax(format!(
            "'schemas' must contain '{PATCH_OP}'"
        )));
    }
    let Some(Value::Array(raw_ops)) = get_ci(body, "Operations") else {
        return Err(ScimError::invalid_value("'Operations' must be an array"));
    };
    if raw_ops.is_empty() {
        return Err(ScimError::invalid_value("'Operations' must not be empty"));
    }
    if raw_ops.len() > MAX_PATCH_OPERATIONS {
        return Err(ScimError::invalid_value(format!(
            "'Operations' has more than {MAX_PATCH_OPERATIONS} operations"
        )));
    }
    raw_ops
        .iter()
        .enumerate()
        .map(|(i, raw)| parse_operation(i, raw))
        .collect()
}

fn parse_operation(index: usize, raw: &Value) -> Result<PatchOperation, ScimError> {
    let Value::Object(raw) = raw else {
        return Err(ScimError::invalid_syntax(format!(
            "operation {index} must be a JSON object"
        )));
    };
    let op = match get_ci(raw, "op") {
        Some(Value::String(s)) => PatchOpKind::parse(s).ok_or_else(|| {
            ScimError::invalid_value(format!(
                "operation {index}: unsupported op '{s}' (expected add, remove or replace)"
            ))
        })?,
        _ => {
            return Err(ScimError::invalid_syntax(format!(
                "operation {index} needs a string 'op'"
            )));
        }
    };
    let path = match get_ci(raw, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(parse_path(s)?),
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "operation {index}: 'path' must be a string"
            )));
        }
    };
    let value = get_ci(raw, "value").cloned();
    match op {
        PatchOpKind::Remove if path.is_none() => Err(ScimError::no_target(format!(
            "operation {index}: remove needs a 'path'"
        ))),
        PatchOpKind::Add | PatchOpKind::Replace if value.is_none() => {
            Err(ScimError::invalid_value(format!(
                "operation {index}: {} needs a 'value'",
                op.as_str()
            )))
        }
        _ => Ok(PatchOperation { op, path, value }),
    }
}

/// Whether an error is about the request shape rather than the resource (used in tests).
#[cfg(test)]
fn is(err: &ScimError, scim_type: crate::error::ScimType) -> bool {
    err.status == 400 && err.scim_type == Some(scim_type)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ScimType;
    use crate::filter::CompareOp;

    fn request(ops: Value) -> Value {
        json!({"schemas": [PATCH_OP], "Operations": ops})
    }

    #[test]
    fn parses_paths() {
        assert_eq!(
            parse_path("name.givenName").expect("path"),
            PatchPath::Attr(AttrPath {
                urn: None,
                name: "name".into(),
                sub_attr: Some("givenName".into())
            })
        );
        let p = parse_path(r#"emails[type eq "work"].value"#).expect("path");
        assert_eq!(
            p,
            PatchPath::ValuePath {
                path: AttrPath::simple("emails"),
                filter: Filter::Compare {
                    path: AttrPath::simple("type"),
                    op: CompareOp::Eq,
                    value: json!("work")
                },
                sub_attr: Some("value".into()),
            }
        );
        let p = parse_path(r#"members[value eq "u1"]"#).expect("path");
        assert!(matches!(p, PatchPath::ValuePath { sub_attr: None, .. }));
        let p = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
            .expect("path");
        let PatchPath::Attr(a) = p else {
            panic!("attr path expected")
        };
        assert_eq!(a.name, "manager");
        for bad in [
            "",
            "emails[",
            "emails[type eq]",
            "a b",
            "name.givenName[x pr]",
            "emails[x pr].",
            "9a",
        ] {
            let err = parse_path(bad).expect_err(bad);
            assert!(is(&err, ScimType::InvalidPath), "{bad}: {err:?}");
        }
    }

    #[test]
    fn parses_entra_request() {
        let ops = parse_patch_request(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "a@x"},
                {"op": "Remove", "path": "members", "value": [{"value": "u1"}]},
                {"op": "replace", "value": {"displayName": "x"}},
            ]
        }))
        .expect("valid request");
        assert_eq!(ops.len(), 4);
        assert_eq!(ops[0].op, PatchOpKind::Replace);
        assert_eq!(ops[0].value, Some(json!("False")));
        assert_eq!(ops[1].op, PatchOpKind::Add);
        assert!(matches!(ops[1].path, Some(PatchPath::ValuePath { .. })));
        assert_eq!(ops[2].op, PatchOpKind::Remove);
        assert_eq!(ops[3].path, None);
        // Lower-case "operations" key, empty path, remove without value.
        let ops = parse_patch_request(&json!({"schemas": [PATCH_OP], "operations": [
            {"op": "add", "path": "", "value": {"title": "t"}},
            {"op": "remove", "path": "title"},
        ]}))
        .expect("valid request");
        assert_eq!((ops[0].path.clone(), ops[1].value.clone()), (None, None));
    }

    #[test]
    fn rejects_malformed_requests() {
        let cases: Vec<(Value, ScimType)> = vec![
            (json!([]), ScimType::InvalidSyntax),
            (
                json!({"Operations": [{"op": "add", "value": {}}]}),
                ScimType::InvalidSyntax,
            ),
            (
                json!({"schemas": ["x"], "Operations": []}),
                ScimType::InvalidSyntax,
            ),
            (json!({"schemas": [PATCH_OP]}), ScimType::InvalidValue),
            (request(json!([])), ScimType::InvalidValue),
            (request(json!({"op": "add"})), ScimType::InvalidValue),
            (request(json!(["add"])), ScimType::InvalidSyntax),
            (
                request(json!([{"path": "title", "value": "x"}])),
                ScimType::InvalidSyntax,
            ),
            (
                request(json!([{"op": "move", "path": "title"}])),
                ScimType::InvalidValue,
            ),
            (
                request(json!([{"op": "add", "path": "title"}])),
                ScimType::InvalidValue,
            ),
            (request(json!([{"op": "replace"}])), ScimType::InvalidValue),
            (request(json!([{"op": "remove"}])), ScimType::NoTarget),
            (
                request(json!([{"op": "remove", "path": 5}])),
                ScimType::InvalidPath,
            ),
            (
                request(json!([{"op": "remove", "path": "emails[type eq"}])),
                ScimType::InvalidPath,
            ),
        ];
        for (body, scim_type) in cases {
            let err = parse_patch_request(&body).expect_err(&body.to_string());
            assert!(is(&err, scim_type), "{body}: {err:?}");
        }
        let many: Vec<Value> = (0..=MAX_PATCH_OPERATIONS)
            .map(|_| json!({"op": "remove", "path": "title"}))
            .collect();
        let err = parse_patch_request(&request(Value::Array(many))).expect_err("too many");
        assert!(is(&err, ScimType::InvalidValue));
    }
}
