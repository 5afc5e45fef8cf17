//! Splitting a Group PATCH into member changes and the rest, so callers can change
//! memberships in O(change) instead of rewriting the whole member list (RFC 7644 §3.5.2).

use serde_json::{Map, Value};

use super::{PatchOpKind, PatchOperation, PatchPath};
use crate::error::ScimError;
use crate::filter::{AttrPath, CompareOp, Filter};
use crate::resource::{MAX_MULTI_VALUES, split_urn_key};
use crate::schema::{GROUP_SCHEMA, ResourceKind};

/// A change to a Group's member list, with member ids as sent by the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberChange {
    /// Adds these members (already-present ones are kept once).
    Add(Vec<String>),
    /// Removes these members (absent ones are ignored).
    Remove(Vec<String>),
    /// Removes every member.
    RemoveAll,
    /// Sets the member list to exactly these members.
    Replace(Vec<String>),
}

/// Splits a Group PATCH into member changes (in order) and the remaining ops on other attributes.
///
/// Recognises `add`/`replace` on path `members` with an array of `{"value": id}`, `remove` on
/// `members` with such an array (Entra) or without a value (remove all), `remove` on
/// `members[value eq "id"]` (also `or` of such, Okta), and path-less `add`/`replace` whose value
/// holds `members` (any case, or URN-qualified). Other filters on `members` are 400
/// `invalidFilter`; other paths under `members` are 400 `invalidPath`; malformed member lists
/// are 400 `invalidValue`.
pub fn split_group_patch(
    ops: Vec<PatchOperation>,
) -> Result<(Vec<MemberChange>, Vec<PatchOperation>), ScimError> {
    let mut changes = Vec::new();
    let mut rest = Vec::new();
    for op in ops {
        match &op.path {
            None => split_pathless(op, &mut changes, &mut rest)?,
            Some(PatchPath::Attr(path)) if is_members(path) => {
                if path.sub_attr.is_some() {
                    return Err(ScimError::invalid_path(format!(
                        "unsupported path '{path}': change members as a whole"
                    )));
                }
                changes.push(member_change(op.op, op.value.as_ref())?);
            }
            Some(PatchPath::ValuePath {
                path,
                filter,
                sub_attr,
            }) if is_members(path) => {
                if op.op != PatchOpKind::Remove || sub_attr.is_some() {
                    return Err(ScimError::invalid_filter(
                        "members filters are supported only to remove members",
                    ));
                }
                let mut ids = Vec::new();
                collect_value_eq_ids(filter, &mut ids)?;
                changes.push(MemberChange::Remove(ids));
            }
            Some(_) => rest.push(op),
        }
    }
    Ok((changes, rest))
}

fn is_members(path: &AttrPath) -> bool {
    path.name.eq_ignore_ascii_case("members")
        && path
            .urn
            .as_deref()
            .is_none_or(|u| u.eq_ignore_ascii_case(GROUP_SCHEMA))
}

fn is_members_key(key: &str) -> bool {
    let name = match split_urn_key(ResourceKind::Group, key) {
        Some((_, rest)) => rest,
        None => key,
    };
    name.eq_ignore_ascii_case("members")
}

fn split_pathless(
    op: PatchOperation,
    changes: &mut Vec<MemberChange>,
    rest: &mut Vec<PatchOperation>,
) -> Result<(), ScimError> {
    let PatchOperation {
        op: kind,
        path: None,
        value: Some(Value::Object(fields)),
    } = op
    else {
        rest.push(op);
        return Ok(());
    };
    let mut others = Map::new();
    for (key, value) in fields {
        if is_members_key(&key) {
            changes.push(member_change(kind, Some(&value))?);
        } else {
            others.insert(key, value);
        }
    }
    if !others.is_empty() {
        rest.push(PatchOperation {
            op: kind,
            path: None,
            value: Some(Value::Object(others)),
        });
    }
    Ok(())
}

fn member_change(kind: PatchOpKind, value: Option<&Value>) -> Result<MemberChange, ScimError> {
    Ok(match (kind, value) {
        (PatchOpKind::Remove, None | Some(Value::Null)) => MemberChange::RemoveAll,
        (PatchOpKind::Remove, Some(v)) => MemberChange::Remove(member_ids(v)?),
        (PatchOpKind::Replace, None | Some(Value::Null)) => MemberChange::Replace(Vec::new()),
        (PatchOpKind::Replace, Some(v)) => MemberChange::Replace(member_ids(v)?),
        (PatchOpKind::Add, None | Some(Value::Null)) => MemberChange::Add(Vec::new()),
        (PatchOpKind::Add, Some(v)) => MemberChange::Add(member_ids(v)?),
    })
}

/// Returns the ids of `[{"value": id}, …]`; a single object is accepted as a one-item list.
fn member_ids(value: &Value) -> Result<Vec<String>, ScimError> {
    let items = match value {
        Value::Array(items) => items.as_slice(),
        Value::Object(_) => std::slice::from_ref(value),
        _ => {
            return Err(ScimError::invalid_value(
                "members must be an array of objects with a 'value'",
            ));
        }
    };
    if items.len() > MAX_MULTI_VALUES {
        return Err(ScimError::invalid_value(format!(
            "more than {MAX_MULTI_VALUES} members in one operation"
        )));
    }
    items
        .iter()
        .map(|item| {
            item.as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.eq_ignore_ascii_case("value")))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| ScimError::invalid_value("every member needs a string 'value'"))
        })
        .collect()
}

/// Collects the ids of `value eq "id"` comparisons joined by `or`.
fn collect_value_eq_ids(filter: &Filter, ids: &mut Vec<String>) -> Result<(), ScimError> {
    match filter {
        Filter::Or(a, b) => {
            collect_value_eq_ids(a, ids)?;
            collect_value_eq_ids(b, ids)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Value::String(id),
        } if path.urn.is_none()
            && path.sub_attr.is_none()
            && path.name.eq_ignore_ascii_case("value") =>
        {
            ids.push(id.clone());
            Ok(())
        }
        other => Err(ScimError::invalid_filter(format!(
            "unsupported members filter '{other}': only value eq \"id\" joined by or"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ScimType;
    use crate::patch::parse_patch_request;
    use crate::schema::PATCH_OP;

    fn split(ops: Value) -> Result<(Vec<MemberChange>, Vec<PatchOperation>), ScimError> {
        let ops = parse_patch_request(&json!({"schemas": [PATCH_OP], "Operations": ops}))
            .expect("valid request");
        split_group_patch(ops)
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn splits_entra_member_ops() {
        let (changes, rest) = split(json!([
            {"op": "Add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]},
            {"op": "Remove", "path": "members", "value": [{"value": "u3"}]},
            {"op": "Replace", "path": "displayName", "value": "Eng"},
            {"op": "Remove", "path": "members"},
        ]))
        .expect("split");
        assert_eq!(
            changes,
            vec![
                MemberChange::Add(ids(&["u1", "u2"])),
                MemberChange::Remove(ids(&["u3"])),
                MemberChange::RemoveAll,
            ]
        );
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].value, Some(json!("Eng")));
    }

    #[test]
    fn splits_okta_member_ops() {
        let (changes, rest) = split(json!([
            {"op": "remove", "path": "members[value eq \"u1\"]"},
            {"op": "remove", "path": "members[value eq \"u2\" or value eq \"u3\"]"},
            {"op": "replace", "path": "members", "value": [{"value": "u4", "display": "U"}]},
            {"op": "replace", "value": {"id": "g1", "displayName": "New", "Members": [{"value": "u5"}]}},
            {"op": "add", "value": {"urn:ietf:params:scim:schemas:core:2.0:Group:members": [{"value": "u6"}]}},
        ]))
        .expect("split");
        assert_eq!(
            changes,
            vec![
                MemberChange::Remove(ids(&["u1"])),
                MemberChange::Remove(ids(&["u2", "u3"])),
                MemberChange::Replace(ids(&["u4"])),
                MemberChange::Replace(ids(&["u5"])),
                MemberChange::Add(ids(&["u6"])),
            ]
        );
        assert_eq!(rest.len(), 1, "the path-less add held only members");
        assert_eq!(
            rest[0].value,
            Some(json!({"id": "g1", "displayName": "New"}))
        );
    }

    #[test]
    fn rejects_unsupported_member_ops() {
        let err = split(json!([{"op": "remove", "path": "members[display eq \"x\"]"}]))
            .expect_err("display filter");
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
        let err = split(json!([{"op": "remove", "path": "members[value co \"x\"]"}]))
            .expect_err("co filter");
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
        let err = split(json!([{"op": "add", "path": "members[value eq \"x\"]", "value": {}}]))
            .expect_err("add with filter");
        assert_eq!(err.scim_type, Some(ScimType::InvalidFilter));
        let err = split(json!([{"op": "replace", "path": "members.display", "value": "x"}]))
            .expect_err("sub-attribute");
        assert_eq!(err.scim_type, Some(ScimType::InvalidPath));
        let err = split(json!([{"op": "add", "path": "members", "value": [{"display": "x"}]}]))
            .expect_err("no value");
        assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
        let err =
            split(json!([{"op": "add", "path": "members", "value": "u1"}])).expect_err("string");
        assert_eq!(err.scim_type, Some(ScimType::InvalidValue));
    }

    #[test]
    fn keeps_ids_verbatim_and_accepts_single_object() {
        let (changes, _) = split(json!([
            {"op": "add", "path": "MEMBERS", "value": {"Value": "AbC-1"}},
        ]))
        .expect("split");
        assert_eq!(changes, vec![MemberChange::Add(ids(&["AbC-1"]))]);
    }
}
