//! What changed between two versions of a User document, one entry per
//! attribute: the rows of the sync log.
//!
//! Attribute paths are flat: `userName`, `name.givenName`, extension attributes
//! as `<schema URN>:<attribute>` (`…:enterprise:2.0:User:department`). A
//! multi-valued attribute (`emails`, `addresses`) is one attribute whose value
//! is its compact JSON. The Enterprise `manager` is one attribute whose value is
//! the manager's user id (`manager.value`). `schemas` and `active` are not
//! attributes here (the lifecycle records `active`), and `password` is never
//! recorded: Roster does not store it, and no log may carry it.

use std::collections::BTreeMap;

use serde_json::Value as Json;

/// The Enterprise User extension URN (RFC 7643 §4.3).
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// One changed attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeChange {
    /// The flat attribute path.
    pub attribute: String,
    /// The value before, as text; `None` when it was absent.
    pub old: Option<String>,
    /// The value after, as text; `None` when it is now absent.
    pub new: Option<String>,
}

/// Returns the attributes that differ between `old` (absent for a creation) and
/// `new`, in path order.
pub fn attribute_changes(old: Option<&Json>, new: &Json) -> Vec<AttributeChange> {
    let before = old.map(flatten).unwrap_or_default();
    let after = flatten(new);
    let mut paths: Vec<&String> = before.keys().chain(after.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let (old, new) = (before.get(path), after.get(path));
            (old != new).then(|| AttributeChange {
                attribute: path.clone(),
                old: old.cloned(),
                new: new.cloned(),
            })
        })
        .collect()
}

/// Returns every recorded attribute of a User document with its text value.
pub fn flatten(doc: &Json) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(object) = doc.as_object() {
        for (name, value) in object {
            match name.as_str() {
                "schemas" | "active" | "password" | "id" | "meta" | "groups" => {}
                urn if urn.starts_with("urn:") => {
                    if let Some(extension) = value.as_object() {
                        for (attribute, value) in extension {
                            let path = format!("{urn}:{attribute}");
                            if urn == ENTERPRISE && attribute == "manager" {
                                let id = value.get("value").and_then(Json::as_str);
                                if let Some(id) = id {
                                    out.insert(path, id.to_owned());
                                }
                            } else {
                                put(&mut out, path, value);
                            }
                        }
                    }
                }
                _ => put(&mut out, name.clone(), value),
            }
        }
    }
    out
}

/// Records `value` at `path`, descending into complex single-valued attributes.
fn put(out: &mut BTreeMap<String, String>, path: String, value: &Json) {
    match value {
        Json::Null => {}
        Json::Object(object) => {
            for (sub, value) in object {
                put(out, format!("{path}.{sub}"), value);
            }
        }
        Json::String(text) => {
            out.insert(path, text.clone());
        }
        other => {
            out.insert(path, other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn change(attribute: &str, old: Option<&str>, new: Option<&str>) -> AttributeChange {
        AttributeChange {
            attribute: attribute.to_owned(),
            old: old.map(str::to_owned),
            new: new.map(str::to_owned),
        }
    }

    #[test]
    fn a_creation_lists_every_attribute_but_schemas_active_and_password() {
        let doc = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ada@example.com",
            "active": true,
            "password": "hunter2",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "primary": true}],
            ENTERPRISE: {"department": "R&D", "manager": {"value": "m-1", "displayName": "Boss"}}
        });
        assert_eq!(
            attribute_changes(None, &doc),
            vec![
                change(
                    "emails",
                    None,
                    Some(r#"[{"primary":true,"value":"ada@example.com"}]"#)
                ),
                change("name.familyName", None, Some("Lovelace")),
                change("name.givenName", None, Some("Ada")),
                change(&format!("{ENTERPRISE}:department"), None, Some("R&D")),
                change(&format!("{ENTERPRISE}:manager"), None, Some("m-1")),
                change("userName", None, Some("ada@example.com")),
            ]
        );
    }

    #[test]
    fn an_update_lists_changed_added_and_removed_attributes_only() {
        let old =
            json!({"userName": "a", "title": "Eng", "name": {"givenName": "A"}, "active": true});
        let new =
            json!({"userName": "a", "nickName": "Al", "name": {"givenName": "B"}, "active": false});
        assert_eq!(
            attribute_changes(Some(&old), &new),
            vec![
                change("name.givenName", Some("A"), Some("B")),
                change("nickName", None, Some("Al")),
                change("title", Some("Eng"), None),
            ]
        );
        assert!(attribute_changes(Some(&old), &old).is_empty());
    }
}
