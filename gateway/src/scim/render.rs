//! Renders service messages as SCIM resources: the canonical document plus
//! `id`, read-only attributes and `meta` (RFC 7643 §3.1), and applies the
//! `attributes` / `excludedAttributes` projection (RFC 7644 §3.4.2.5).

use roster_proto::identity::v1 as pb;
use roster_proto::scim_json::{group_to_json, user_to_json};
use serde_json::{Map, Value, json};

use super::ListQuery;

fn rfc3339(ts: &Option<prost_types::Timestamp>) -> Value {
    roster_runtime::grpc::rfc3339(ts.as_ref()).map_or(Value::Null, Value::String)
}

fn meta(resource_type: &str, location: &str, meta: &Option<pb::Meta>) -> Value {
    let m = meta.unwrap_or_default();
    json!({
        "resourceType": resource_type,
        "created": rfc3339(&m.created),
        "lastModified": rfc3339(&m.last_modified),
        "location": location,
        "version": format!("W/\"{}\"", m.version),
    })
}

/// Returns the SCIM JSON of a user and its location.
pub(crate) fn user(user: &pb::User, base_url: &str) -> (Value, String) {
    let location = format!("{base_url}/Users/{}", user.id);
    let mut doc = user_to_json(user);
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("id".to_owned(), json!(user.id));
        if !user.groups.is_empty() {
            let groups: Vec<Value> = user
                .groups
                .iter()
                .map(|g| json!({"value": g.value, "display": g.display, "$ref": format!("{base_url}/Groups/{}", g.value), "type": "direct"}))
                .collect();
            obj.insert("groups".to_owned(), Value::Array(groups));
        }
        obj.insert("meta".to_owned(), meta("User", &location, &user.meta));
    }
    (doc, location)
}

/// Returns the SCIM JSON of a group and its location; members are left out when `with_members` is false.
pub(crate) fn group(group: &pb::Group, base_url: &str, with_members: bool) -> (Value, String) {
    let location = format!("{base_url}/Groups/{}", group.id);
    let mut doc = group_to_json(group);
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("id".to_owned(), json!(group.id));
        if with_members {
            let members: Vec<Value> = group
                .members
                .iter()
                .map(|m| {
                    let kind = m.r#type.as_deref().unwrap_or("User");
                    let endpoint = if kind == "Group" { "Groups" } else { "Users" };
                    let mut item = json!({"value": m.value, "type": kind, "$ref": format!("{base_url}/{endpoint}/{}", m.value)});
                    if let Some(display) = &m.display {
                        item["display"] = json!(display);
                    }
                    item
                })
                .collect();
            obj.insert("members".to_owned(), Value::Array(members));
        } else {
            obj.remove("members");
        }
        obj.insert("meta".to_owned(), meta("Group", &location, &group.meta));
    }
    (doc, location)
}

/// Applies `attributes` / `excludedAttributes` to a rendered resource.
/// `id`, `schemas` and `meta` are always returned (RFC 7643 §7: returned "always").
pub(crate) fn project(doc: Value, query: &ListQuery) -> Value {
    let Value::Object(map) = doc else { return doc };
    let listed = |list: &str| -> Vec<String> {
        list.split(',')
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty())
            .collect()
    };
    let always = ["id", "schemas", "meta"];
    let keep = |key: &str, names: &[String]| {
        let key = key.to_ascii_lowercase();
        names.iter().any(|n| {
            *n == key || n.starts_with(&format!("{key}.")) || n.starts_with(&format!("{key}:"))
        })
    };
    let out: Map<String, Value> = if let Some(attrs) = query.attributes.as_deref() {
        let names = listed(attrs);
        map.into_iter()
            .filter(|(k, _)| always.contains(&k.as_str()) || keep(k, &names))
            .collect()
    } else if let Some(excluded) = query.excluded_attributes.as_deref() {
        let names = listed(excluded);
        map.into_iter()
            .filter(|(k, _)| {
                always.contains(&k.as_str()) || !names.contains(&k.to_ascii_lowercase())
            })
            .collect()
    } else {
        map
    };
    Value::Object(out)
}

/// Returns a ListResponse (RFC 7644 §3.4.2).
pub(crate) fn list(total: i64, start_index: i64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [roster_scim::schema::LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index.max(1),
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}
