//! Application of parsed PATCH operations to a canonical resource (RFC 7644 §3.5.2.1–§3.5.2.3).
//!
//! Operates on the JSON produced by [`crate::resource::normalize`] and re-normalises it at the
//! end, so every rule of that module also holds after a PATCH. It does not split out member
//! changes (see [`super::split_group_patch`]).

use serde_json::{Map, Value};

mod value_path;

use super::{PatchOpKind, PatchOperation, PatchPath};
use crate::error::{ScimError, ScimType};
use crate::filter::{self, AttrPath};
use crate::resource::{locate_attribute, normalize};
use crate::schema::{AttrType, AttributeDef, Mutability, ResourceKind, SchemaDef};
use value_path::{ValueTarget, apply_value_path};

/// Applies `ops` in order to `resource` (canonical JSON as produced by `normalize`) and then
/// re-normalises it.
///
/// Any error fails the whole PATCH; `resource` may then be partly modified and is to be
/// discarded. Path-less `add`/`replace` merge each key of the value object; keys may be dotted
/// (`name.givenName`) or URN-qualified (Entra), and read-only keys such as a re-sent `id` are
/// ignored (Okta renames). An explicit path to a read-only attribute with a different value is
/// 400 `mutability`; an unknown path is 400 `invalidPath`. A value-path `add`/`replace` that
/// matches nothing inserts an element built from a filter of `eq` comparisons (Entra relies on
/// this upsert; RFC 7644 §3.5.2.3 would answer `noTarget`), and answers 400 `noTarget` for any
/// other filter. A value-path `remove` matching nothing changes nothing.
pub fn apply(
    kind: ResourceKind,
    resource: &mut Value,
    ops: &[PatchOperation],
) -> Result<(), ScimError> {
    let Value::Object(res) = resource else {
        return Err(ScimError::invalid_syntax(
            "the resource must be a JSON object",
        ));
    };
    for op in ops {
        match &op.path {
            None => match &op.value {
                Some(Value::Object(fields)) => {
                    for (key, value) in fields {
                        apply_key(kind, res, op.op, None, key, value)?;
                    }
                }
                _ => {
                    return Err(ScimError::invalid_value(format!(
                        "a path-less {} needs an object value",
                        op.op.as_str()
                    )));
                }
            },
            Some(PatchPath::Attr(path)) => {
                apply_attr(kind, res, op.op, path, op.value.as_ref(), true)?;
            }
            Some(PatchPath::ValuePath {
                path,
                filter,
                sub_attr,
            }) => {
                let target = ValueTarget {
                    path,
                    filter,
                    sub_attr: sub_attr.as_deref(),
                };
                apply_value_path(kind, res, op.op, &target, op.value.as_ref())?;
            }
        }
    }
    *resource = normalize(kind, std::mem::take(resource))?;
    Ok(())
}

fn extension_by_urn(kind: ResourceKind, urn: &str) -> Option<&'static SchemaDef> {
    kind.extension_schemas()
        .iter()
        .copied()
        .find(|s| s.id.eq_ignore_ascii_case(urn))
}

/// Applies one key of a path-less value object (or of an extension object when `urn` is set).
fn apply_key(
    kind: ResourceKind,
    res: &mut Map<String, Value>,
    op: PatchOpKind,
    urn: Option<&str>,
    key: &str,
    value: &Value,
) -> Result<(), ScimError> {
    if urn.is_none() && key.eq_ignore_ascii_case("schemas") {
        return Ok(());
    }
    if let Some(ext) = extension_by_urn(kind, key).filter(|_| urn.is_none()) {
        return apply_extension(kind, res, op, ext, Some(value));
    }
    let (mut path, filter, sub_attr) = filter::parse_path_parts(key)
        .map_err(|_| ScimError::invalid_value(format!("unknown attribute '{key}'")))?;
    if filter.is_some() || sub_attr.is_some() {
        return Err(ScimError::invalid_value(format!(
            "value filters are not allowed in attribute names ('{key}')"
        )));
    }
    if let Some(urn) = urn {
        if path.urn.is_some() {
            return Err(ScimError::invalid_value(format!(
                "unknown attribute '{urn}:{key}'"
            )));
        }
        path.urn = Some(urn.to_owned());
    }
    // Without a path there is no `path` to blame: unknown keys are bad values.
    apply_attr(kind, res, op, &path, Some(value), false).map_err(|e| {
        if e.scim_type == Some(ScimType::InvalidPath) {
            ScimError::invalid_value(e.detail)
        } else {
            e
        }
    })
}

fn apply_extension(
    kind: ResourceKind,
    res: &mut Map<String, Value>,
    op: PatchOpKind,
    ext: &'static SchemaDef,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    match (op, value) {
        (PatchOpKind::Remove, _) | (_, None | Some(Value::Null)) => {
            res.remove(ext.id);
            Ok(())
        }
        (_, Some(Value::Object(fields))) => {
            for (key, value) in fields {
                apply_key(kind, res, op, Some(ext.id), key, value)?;
            }
            Ok(())
        }
        _ => Err(ScimError::invalid_value(format!(
            "'{}' must be an object",
            ext.id
        ))),
    }
}

/// Returns the object holding attributes of the core schema (`res`) or of an extension.
fn container<'r>(
    res: &'r mut Map<String, Value>,
    ext: Option<&SchemaDef>,
) -> &'r mut Map<String, Value> {
    let Some(ext) = ext else { return res };
    let slot = res
        .entry(ext.id)
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("slot was just made an object")
}

struct Located {
    ext: Option<&'static SchemaDef>,
    def: &'static AttributeDef,
    sub: Option<&'static AttributeDef>,
}

fn locate(
    kind: ResourceKind,
    path: &AttrPath,
    sub_name: Option<&str>,
) -> Result<Located, ScimError> {
    if path.urn.is_none() && path.name.eq_ignore_ascii_case("schemas") {
        return Err(ScimError::mutability(
            "'schemas' cannot be changed by PATCH",
        ));
    }
    let unknown = || ScimError::invalid_path(format!("unknown attribute '{path}'"));
    let loc = locate_attribute(kind, path.urn.as_deref(), &path.name).ok_or_else(unknown)?;
    let sub = match sub_name {
        Some(name) => Some(loc.def.sub_attribute(name).ok_or_else(|| {
            ScimError::invalid_path(format!("unknown sub-attribute '{}.{name}'", loc.def.name))
        })?),
        None => None,
    };
    Ok(Located {
        ext: loc.extension,
        def: loc.def,
        sub,
    })
}

/// Whether client writes to the attribute are silently dropped: Roster never stores `password`
/// (Okta sends it) and computes `$ref` (Entra sends `null`).
fn is_discarded(def: &AttributeDef) -> bool {
    def.mutability == Mutability::WriteOnly || def.name == "$ref"
}

fn is_read_only(at: &Located) -> bool {
    at.def.mutability == Mutability::ReadOnly
        || at.sub.is_some_and(|s| s.mutability == Mutability::ReadOnly)
}

fn apply_attr(
    kind: ResourceKind,
    res: &mut Map<String, Value>,
    op: PatchOpKind,
    path: &AttrPath,
    value: Option<&Value>,
    explicit: bool,
) -> Result<(), ScimError> {
    // A path naming a whole extension (`urn:…:enterprise:2.0:User`) parses as an attribute
    // `User` qualified by the URN's head.
    if let (Some(urn), None) = (&path.urn, &path.sub_attr)
        && let Some(ext) = extension_by_urn(kind, &format!("{urn}:{}", path.name))
    {
        return apply_extension(kind, res, op, ext, value);
    }
    let at = locate(kind, path, path.sub_attr.as_deref())?;
    if is_discarded(at.def) || at.sub.is_some_and(is_discarded) {
        return Ok(());
    }
    if is_read_only(&at) {
        // RFC 7643 §2.2: read-only values sent by clients are ignored; an explicit attempt to
        // change one is a mutability error (re-sending the same value is harmless).
        let current = res.get(at.def.name);
        let current = match at.sub {
            Some(sub) => current.and_then(|c| c.get(sub.name)),
            None => current,
        };
        if !explicit || (op != PatchOpKind::Remove && value.is_some() && current == value) {
            return Ok(());
        }
        return Err(ScimError::mutability(format!(
            "attribute '{path}' is read-only"
        )));
    }
    if at
        .sub
        .is_some_and(|s| s.mutability == Mutability::Immutable)
        && op != PatchOpKind::Remove
    {
        return Err(ScimError::mutability(format!(
            "attribute '{path}' is immutable"
        )));
    }
    let holder = container(res, at.ext);
    let name = at.def.name;
    let value = value.filter(|v| !v.is_null());
    let Some(value) = value.filter(|_| op != PatchOpKind::Remove) else {
        return remove_attr(holder, &at, value);
    };
    match at.sub {
        Some(sub) if at.def.multi_valued => {
            let items = array_slot(holder, name);
            if items.is_empty() {
                items.push(Value::Object(Map::new()));
            }
            for item in items.iter_mut() {
                set_sub(item, sub.name, value.clone());
            }
        }
        Some(sub) => {
            let slot = holder
                .entry(name)
                .or_insert_with(|| Value::Object(Map::new()));
            set_sub(slot, sub.name, value.clone());
        }
        None if at.def.multi_valued => {
            let new_items = as_items(at.def, value)?;
            if op == PatchOpKind::Replace {
                holder.insert(name.to_owned(), Value::Array(new_items));
            } else {
                append_items(at.def, array_slot(holder, name), new_items);
            }
        }
        None if at.def.attr_type == AttrType::Complex => {
            let value = complex_value(at.def, value);
            let slot = holder
                .entry(name)
                .or_insert_with(|| Value::Object(Map::new()));
            merge_into(at.def, slot, &value)?;
        }
        None => {
            holder.insert(name.to_owned(), value.clone());
        }
    }
    Ok(())
}

fn remove_attr(
    holder: &mut Map<String, Value>,
    at: &Located,
    value: Option<&Value>,
) -> Result<(), ScimError> {
    let name = at.def.name;
    match (at.sub, holder.get_mut(name)) {
        (_, None) => {}
        (Some(sub), Some(Value::Array(items))) => {
            items.iter_mut().for_each(|i| remove_sub(i, sub.name));
        }
        (Some(sub), Some(slot)) => remove_sub(slot, sub.name),
        // Entra: `{"op":"Remove","path":"members","value":[{"value":"id"}]}` removes those only.
        (None, Some(Value::Array(items))) if value.is_some() => {
            let doomed = as_items(at.def, value.unwrap_or(&Value::Null))?;
            items.retain(|item| !doomed.iter().any(|d| same_element(d, item)));
        }
        (None, Some(_)) => {
            holder.remove(name);
        }
    }
    Ok(())
}

/// Whether `doomed` designates `item`: by `value` when it has one, else by equality.
fn same_element(doomed: &Value, item: &Value) -> bool {
    match (doomed.get("value"), item.get("value")) {
        (Some(Value::String(a)), Some(Value::String(b))) => a.eq_ignore_ascii_case(b),
        (Some(a), Some(b)) => a == b,
        _ => doomed == item,
    }
}

fn array_slot<'m>(holder: &'m mut Map<String, Value>, name: &str) -> &'m mut Vec<Value> {
    let slot = holder
        .entry(name)
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        *slot = Value::Array(Vec::new());
    }
    slot.as_array_mut().expect("slot was just made an array")
}

fn set_sub(item: &mut Value, sub: &str, value: Value) {
    if let Value::Object(map) = item {
        map.insert(sub.to_owned(), value);
    }
}

fn remove_sub(item: &mut Value, sub: &str) {
    if let Value::Object(map) = item {
        map.remove(sub);
    }
}

/// Returns the value of a singular complex attribute as an object; Entra sends a manager as a
/// bare id string, which becomes `{"value": id}`.
fn complex_value(def: &AttributeDef, value: &Value) -> Value {
    match value {
        Value::String(_) if def.sub_attribute("value").is_some() => {
            serde_json::json!({ "value": value })
        }
        Value::Array(items) if items.len() == 1 => complex_value(def, &items[0]),
        other => other.clone(),
    }
}

/// Returns the values to add as canonical elements; a single value is a one-item list.
fn as_items(def: &AttributeDef, value: &Value) -> Result<Vec<Value>, ScimError> {
    let items = match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    items
        .into_iter()
        .map(|item| {
            let mut element = Value::Object(Map::new());
            if def.attr_type != AttrType::Complex {
                return Ok(item);
            }
            merge_into(def, &mut element, &item)?;
            Ok(element)
        })
        .collect()
}

/// Merges an object of sub-attributes into `slot`, canonicalising names; `null` unassigns.
fn merge_into(def: &AttributeDef, slot: &mut Value, value: &Value) -> Result<(), ScimError> {
    let Value::Object(fields) = value else {
        return Err(ScimError::invalid_value(format!(
            "attribute '{}' needs an object of sub-attributes",
            def.name
        )));
    };
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    for (key, v) in fields {
        let sub = def.sub_attribute(key).ok_or_else(|| {
            ScimError::invalid_value(format!("unknown sub-attribute '{}.{key}'", def.name))
        })?;
        if v.is_null() {
            remove_sub(slot, sub.name);
        } else {
            set_sub(slot, sub.name, v.clone());
        }
    }
    Ok(())
}

fn is_primary(item: &Value) -> bool {
    match item.get("primary") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// RFC 7644 §3.5.2: setting `primary` to true on a value sets it to false on all others.
fn demote_other_primaries(items: &mut [Value], touched: &[usize]) {
    if !touched
        .iter()
        .any(|&i| items.get(i).is_some_and(is_primary))
    {
        return;
    }
    for (i, item) in items.iter_mut().enumerate() {
        if !touched.contains(&i) && is_primary(item) {
            set_sub(item, "primary", Value::Bool(false));
        }
    }
}

fn append_items(def: &AttributeDef, items: &mut Vec<Value>, new_items: Vec<Value>) {
    let mut touched = Vec::new();
    for new in new_items {
        let duplicate = if def.name == "members" {
            items.iter().any(|i| same_element(&new, i))
        } else {
            items.contains(&new)
        };
        if !duplicate {
            touched.push(items.len());
            items.push(new);
        }
    }
    demote_other_primaries(items, &touched);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::patch::parse_patch_request;
    use crate::schema::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, PATCH_OP, USER_SCHEMA};

    fn patch(kind: ResourceKind, resource: Value, ops: Value) -> Result<Value, ScimError> {
        let mut resource = normalize(kind, resource).expect("valid starting resource");
        let ops = parse_patch_request(&json!({"schemas": [PATCH_OP], "Operations": ops}))
            .expect("valid request");
        apply(kind, &mut resource, &ops)?;
        Ok(resource)
    }

    fn ada() -> Value {
        json!({
            "userName": "ada",
            "active": true,
            "emails": [{"value": "ada@old", "type": "work", "primary": true}],
        })
    }

    fn user_patch(ops: Value) -> Result<Value, ScimError> {
        patch(ResourceKind::User, ada(), ops)
    }

    fn group_patch(ops: Value) -> Result<Value, ScimError> {
        let group = json!({"displayName": "Eng", "members": [{"value": "u1"}, {"value": "u2"}]});
        patch(ResourceKind::Group, group, ops)
    }

    fn assert_error(result: Result<Value, ScimError>, scim_type: ScimType) {
        let err = result.expect_err("expected an error");
        assert_eq!(
            (err.status, err.scim_type),
            (400, Some(scim_type)),
            "{}",
            err.detail
        );
    }

    #[test]
    fn applies_entra_user_patch() {
        let out = user_patch(json!([
            {"op": "Replace", "path": "active", "value": "False"},
            {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ada@new"},
            {"op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "123"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m1"},
            {"op": "Replace", "value": {
                "name.givenName": "Ada",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D",
                "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Ada L",
            }},
            {"op": "Replace", "path": "userName", "value": "ada@x"},
        ]))
        .expect("patch applies");
        assert_eq!(
            out,
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
                "userName": "ada@x",
                "displayName": "Ada L",
                "name": {"givenName": "Ada"},
                "active": false,
                "emails": [{"value": "ada@new", "type": "work", "primary": true}],
                "phoneNumbers": [{"type": "mobile", "value": "123"}],
                ENTERPRISE_USER_SCHEMA: {"department": "R&D", "manager": {"value": "m1"}},
            })
        );
    }

    #[test]
    fn applies_okta_user_patch() {
        let out = user_patch(json!([
            {"op": "replace", "value": {
                "id": "ignored", "password": "secret", "active": false,
                "emails": [{"value": "a@b", "type": "home", "primary": true}],
                ENTERPRISE_USER_SCHEMA: {"Department": "Ops"},
            }},
        ]))
        .expect("patch applies");
        assert_eq!(out["active"], false);
        assert_eq!(
            out["emails"],
            json!([{"value": "a@b", "type": "home", "primary": true}])
        );
        assert_eq!(out[ENTERPRISE_USER_SCHEMA], json!({"department": "Ops"}));
        assert!(out.get("id").is_none() && out.get("password").is_none());
    }

    #[test]
    fn okta_rename_resending_id_is_fine() {
        let out = group_patch(json!([
            {"op": "replace", "value": {"id": "g1", "displayName": "New"}},
        ]))
        .expect("rename");
        assert_eq!(out["displayName"], "New");
        assert_eq!(out["members"], json!([{"value": "u1"}, {"value": "u2"}]));
        assert_eq!(out["schemas"], json!([GROUP_SCHEMA]));
    }

    #[test]
    fn changes_members() {
        let out = group_patch(json!([
            {"op": "Add", "path": "members", "value": [{"value": "u2"}, {"value": "u3"}]},
            {"op": "Remove", "path": "members", "value": [{"value": "U1"}]},
            {"op": "remove", "path": "members[value eq \"u2\"]"},
            {"op": "remove", "path": "members[value eq \"nobody\"]"},
        ]))
        .expect("patch applies");
        assert_eq!(out["members"], json!([{"value": "u3"}]));
        let out = group_patch(json!([{"op": "remove", "path": "members"}])).expect("remove all");
        assert!(out.get("members").is_none());
        let out =
            group_patch(json!([{"op": "replace", "path": "members", "value": [{"value": "u9"}]}]))
                .expect("replace");
        assert_eq!(out["members"], json!([{"value": "u9"}]));
    }

    #[test]
    fn adds_and_removes_values() {
        let out = user_patch(json!([
            {"op": "add", "path": "emails", "value": [{"value": "b@x", "type": "home", "primary": true}]},
            {"op": "add", "path": "name", "value": {"familyName": "L", "givenName": "A"}},
            {"op": "remove", "path": "name.givenName"},
            {"op": "add", "path": "title", "value": "Dr"},
        ]))
        .expect("patch applies");
        // RFC 7644 §3.5.2: the new primary demotes the old one.
        assert_eq!(
            out["emails"],
            json!([
                {"value": "ada@old", "type": "work", "primary": false},
                {"value": "b@x", "type": "home", "primary": true},
            ])
        );
        assert_eq!(out["name"], json!({"familyName": "L"}));
        assert_eq!(out["title"], "Dr");
        let out = user_patch(json!([
            {"op": "remove", "path": "emails[type eq \"work\"]"},
            {"op": "remove", "path": "active"},
            {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
             "value": {"department": "D"}},
        ]))
        .expect("patch applies");
        assert!(out.get("emails").is_none() && out.get("active").is_none());
        assert_eq!(out["schemas"], json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]));
        let out = patch(ResourceKind::User, out, json!([
            {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
        ]))
        .expect("remove extension");
        assert_eq!(out["schemas"], json!([USER_SCHEMA]));
    }

    #[test]
    fn rejects_bad_targets() {
        assert_error(
            user_patch(json!([{"op": "replace", "path": "bogus", "value": 1}])),
            ScimType::InvalidPath,
        );
        assert_error(
            user_patch(json!([{"op": "replace", "path": "name.bogus", "value": 1}])),
            ScimType::InvalidPath,
        );
        assert_error(
            user_patch(json!([{"op": "replace", "path": "title[value eq \"x\"]", "value": 1}])),
            ScimType::InvalidPath,
        );
        assert_error(
            user_patch(json!([{"op": "replace", "path": "id", "value": "other"}])),
            ScimType::Mutability,
        );
        assert_error(
            user_patch(json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}])),
            ScimType::Mutability,
        );
        assert_error(
            user_patch(json!([{"op": "replace", "path": "schemas", "value": []}])),
            ScimType::Mutability,
        );
        assert_error(
            user_patch(
                json!([{"op": "replace", "path": "emails[type eq \"home\" or type eq \"x\"].value", "value": "v"}]),
            ),
            ScimType::NoTarget,
        );
        assert_error(
            group_patch(
                json!([{"op": "replace", "path": "members[value eq \"u1\"].value", "value": "u7"}]),
            ),
            ScimType::Mutability,
        );
        assert_error(
            user_patch(json!([{"op": "remove", "path": "userName"}])),
            ScimType::InvalidValue,
        );
        assert_error(
            user_patch(json!([{"op": "replace", "path": "active", "value": "maybe"}])),
            ScimType::InvalidValue,
        );
        assert_error(
            user_patch(json!([{"op": "add", "value": {"bogus": 1}}])),
            ScimType::InvalidValue,
        );
        assert_error(
            user_patch(json!([{"op": "add", "value": "not an object"}])),
            ScimType::InvalidValue,
        );
        assert_error(
            user_patch(json!([{"op": "add", "path": "name", "value": {"x": 1}}])),
            ScimType::InvalidValue,
        );
    }

    #[test]
    fn read_only_with_same_value_is_accepted() {
        let mut resource = json!({"schemas": [USER_SCHEMA], "id": "u1", "userName": "a"});
        let ops = parse_patch_request(&json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "id", "value": "u1"},
        ]}))
        .expect("valid request");
        apply(ResourceKind::User, &mut resource, &ops).expect("same id is fine");
        assert_eq!(resource, json!({"schemas": [USER_SCHEMA], "userName": "a"}));
    }

    #[test]
    fn upserts_with_compound_eq_filter() {
        let out = user_patch(json!([
            {"op": "add", "path": "addresses[type eq \"work\" and primary eq true].locality", "value": "Paris"},
        ]))
        .expect("patch applies");
        assert_eq!(
            out["addresses"],
            json!([{"type": "work", "primary": true, "locality": "Paris"}])
        );
    }
}
