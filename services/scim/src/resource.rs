//! Validation and normalisation of User and Group bodies against the declared schemas
//! (RFC 7643 §2, §3, §4; RFC 7644 §3.3, §3.5.1).
//!
//! This module owns the canonical JSON form of a writable resource: canonical attribute
//! spellings, extension attributes under their schema URN, client-ignored attributes removed.
//! It does not assign `id` or `meta` and does not check uniqueness (storage does).

use serde_json::{Map, Value};

use crate::error::ScimError;
use crate::schema::{
    self, ADSCIM_GROUP_SCHEMA, AttrType, AttributeDef, Mutability, ResourceKind, SchemaDef,
};

/// The largest number of values a multi-valued attribute may hold.
pub const MAX_MULTI_VALUES: usize = 10_000;

/// Where an attribute lives: in the core schema (or among the common attributes) or in an
/// extension schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrLocation {
    /// The extension schema holding the attribute; `None` for core and common attributes.
    pub extension: Option<&'static SchemaDef>,
    /// The attribute definition.
    pub def: &'static AttributeDef,
}

/// Returns the location of attribute `name` (case-insensitive) of `kind`, optionally qualified
/// by a schema URN. An unqualified name refers to the core schema or the common attributes
/// (RFC 7643 §3.1, RFC 7644 §3.10).
pub fn locate_attribute(kind: ResourceKind, urn: Option<&str>, name: &str) -> Option<AttrLocation> {
    let core = kind.core_schema();
    let extension = match urn {
        None => None,
        Some(urn) => Some(kind.schema_by_urn(urn)?).filter(|s| s.id != core.id),
    };
    let def = match extension {
        Some(ext) => ext.attribute(name)?,
        None => core
            .attribute(name)
            .or_else(|| schema::find_attribute(schema::common_attributes(), name))?,
    };
    Some(AttrLocation { extension, def })
}

/// Splits a URN-qualified key such as `urn:…:enterprise:2.0:User:department` into the schema
/// of `kind` it names and the remainder (`department`). Returns `None` when no schema of `kind`
/// prefixes the key.
pub fn split_urn_key(kind: ResourceKind, key: &str) -> Option<(&'static SchemaDef, &str)> {
    std::iter::once(kind.core_schema())
        .chain(kind.extension_schemas().iter().copied())
        .find_map(|s| {
            let prefix = key.get(..s.id.len())?;
            let rest = key.get(s.id.len()..)?.strip_prefix(':')?;
            (prefix.eq_ignore_ascii_case(s.id) && !rest.is_empty()).then_some((s, rest))
        })
}

/// Returns the canonical JSON object of a writable resource of `kind`, or a 400 error
/// describing the first problem found.
///
/// Attribute names are matched case-insensitively and rewritten to their canonical spelling
/// (RFC 7643 §2.1); extension attributes end up under their schema URN, whether sent nested or
/// URN-qualified at top level (Entra). `null` values, read-only attributes (`id`, `meta`,
/// `groups`, `manager.displayName`; RFC 7643 §2.2), `password` (Okta sends it, Roster never
/// stores it), `$ref` (Entra sends `null`) and empty objects and arrays are dropped. `schemas` is
/// rebuilt from the core URN and the extensions present.
pub fn normalize(kind: ResourceKind, body: Value) -> Result<Value, ScimError> {
    let Value::Object(input) = body else {
        return Err(ScimError::invalid_syntax(
            "the resource body must be a JSON object",
        ));
    };
    let core_schema = kind.core_schema();
    let mut core = Map::new();
    let mut extensions: Vec<(&'static SchemaDef, Map<String, Value>)> = kind
        .extension_schemas()
        .iter()
        .map(|s| (*s, Map::new()))
        .collect();
    for (key, value) in input {
        if key.eq_ignore_ascii_case("schemas") {
            check_schemas(kind, &value)?;
            continue;
        }
        if let Some((_, ext)) = extensions
            .iter_mut()
            .find(|(s, _)| s.id.eq_ignore_ascii_case(&key))
        {
            match value {
                Value::Null => {}
                Value::Object(attrs) => {
                    for (name, value) in attrs {
                        let loc = locate_attribute(kind, Some(&key), &name);
                        insert_attribute(ext, loc, &name, value)?;
                    }
                }
                _ => {
                    return Err(ScimError::invalid_value(format!(
                        "'{key}' must be an object"
                    )));
                }
            }
            continue;
        }
        let (urn, name) = match split_urn_key(kind, &key) {
            Some((s, rest)) => (Some(s.id), rest),
            None => (None, key.as_str()),
        };
        let loc = locate_attribute(kind, urn, name);
        let target = match loc.and_then(|l| l.extension) {
            Some(ext_schema) => extensions
                .iter_mut()
                .find(|(s, _)| s.id == ext_schema.id)
                .map(|(_, m)| m)
                .ok_or_else(|| unknown_attribute(&key))?,
            None => &mut core,
        };
        insert_attribute(target, loc, &key, value)?;
    }

    check_required(core_schema, &core)?;
    let mut schemas = vec![Value::from(core_schema.id)];
    for (ext_schema, attrs) in extensions {
        if !attrs.is_empty() {
            schemas.push(Value::from(ext_schema.id));
            core.insert(ext_schema.id.to_owned(), Value::Object(attrs));
        }
    }
    core.insert("schemas".to_owned(), Value::Array(schemas));
    Ok(Value::Object(core))
}

fn unknown_attribute(key: &str) -> ScimError {
    ScimError::invalid_value(format!("unknown attribute '{key}'"))
}

fn insert_attribute(
    target: &mut Map<String, Value>,
    loc: Option<AttrLocation>,
    key: &str,
    value: Value,
) -> Result<(), ScimError> {
    let def = loc.ok_or_else(|| unknown_attribute(key))?.def;
    if let Some(value) = normalize_attribute(def, value, def.name)? {
        if target.contains_key(def.name) {
            return Err(ScimError::invalid_value(format!(
                "attribute '{}' is given more than once",
                def.name
            )));
        }
        target.insert(def.name.to_owned(), value);
    }
    Ok(())
}

fn check_schemas(kind: ResourceKind, value: &Value) -> Result<(), ScimError> {
    let Value::Array(urns) = value else {
        return Err(ScimError::invalid_value(
            "'schemas' must be an array of URNs",
        ));
    };
    for urn in urns {
        let Some(urn) = urn.as_str() else {
            return Err(ScimError::invalid_value(
                "'schemas' must be an array of URNs",
            ));
        };
        // Entra sends its ADSCIM Group URN alongside the core one; tolerate and drop it.
        let adscim = kind == ResourceKind::Group && urn.eq_ignore_ascii_case(ADSCIM_GROUP_SCHEMA);
        if kind.schema_by_urn(urn).is_none() && !adscim {
            return Err(ScimError::invalid_value(format!(
                "schema '{urn}' is not supported for {} resources",
                kind.name()
            )));
        }
    }
    Ok(())
}

fn check_required(core: &SchemaDef, attrs: &Map<String, Value>) -> Result<(), ScimError> {
    for def in core.attributes.iter().filter(|a| a.required) {
        let present = match attrs.get(def.name) {
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(_) => true,
            None => false,
        };
        if !present {
            return Err(ScimError::invalid_value(format!(
                "required attribute '{}' is missing or empty",
                def.name
            )));
        }
    }
    Ok(())
}

/// Returns the canonical value of one attribute, or `None` when it is to be dropped.
/// `path` names the attribute in error details (`emails.primary`).
pub fn normalize_attribute(
    def: &AttributeDef,
    value: Value,
    path: &str,
) -> Result<Option<Value>, ScimError> {
    if value.is_null() || is_client_ignored(def) {
        return Ok(None);
    }
    if !def.multi_valued {
        return normalize_single(def, value, path);
    }
    let Value::Array(items) = value else {
        return Err(ScimError::invalid_value(format!(
            "attribute '{path}' is multi-valued and must be an array"
        )));
    };
    if items.len() > MAX_MULTI_VALUES {
        return Err(ScimError::invalid_value(format!(
            "attribute '{path}' has more than {MAX_MULTI_VALUES} values"
        )));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if let Some(v) = normalize_single(def, item, path)? {
            out.push(v);
        }
    }
    // RFC 7643 §2.4: the primary attribute value "true" must appear no more than once.
    if out
        .iter()
        .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
        .count()
        > 1
    {
        return Err(ScimError::invalid_value(format!(
            "attribute '{path}' has more than one primary value"
        )));
    }
    if def.name == "members"
        && out
            .iter()
            .any(|m| !m.get("value").is_some_and(Value::is_string))
    {
        return Err(ScimError::invalid_value(
            "every member needs a string 'value'",
        ));
    }
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

/// Whether the server ignores client input for the attribute: read-only attributes (RFC 7643
/// §2.2), write-only ones Roster never stores (`password`) and `$ref` (the server computes it).
fn is_client_ignored(def: &AttributeDef) -> bool {
    matches!(def.mutability, Mutability::ReadOnly | Mutability::WriteOnly) || def.name == "$ref"
}

fn normalize_single(
    def: &AttributeDef,
    value: Value,
    path: &str,
) -> Result<Option<Value>, ScimError> {
    if value.is_null() {
        return Ok(None);
    }
    let wrong_type = |what: &str| {
        Err(ScimError::invalid_value(format!(
            "attribute '{path}' must be {what}"
        )))
    };
    match def.attr_type {
        AttrType::String | AttrType::Reference | AttrType::Binary | AttrType::DateTime => {
            if value.is_string() {
                Ok(Some(value))
            } else {
                wrong_type("a string")
            }
        }
        AttrType::Boolean => match value {
            Value::Bool(_) => Ok(Some(value)),
            // Entra sends booleans as the strings "True" / "False".
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(Value::Bool(true))),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(Value::Bool(false))),
            _ => wrong_type("a boolean"),
        },
        AttrType::Integer => match &value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(Some(value)),
            _ => wrong_type("an integer"),
        },
        AttrType::Decimal => match &value {
            Value::Number(_) => Ok(Some(value)),
            _ => wrong_type("a number"),
        },
        AttrType::Complex => {
            let Value::Object(fields) = value else {
                return wrong_type("an object");
            };
            let mut out = Map::new();
            for (name, sub_value) in fields {
                // `$ref` is computed by the server wherever it appears; Entra sends `null`.
                if name == "$ref" {
                    continue;
                }
                let Some(sub) = def.sub_attribute(&name) else {
                    return Err(ScimError::invalid_value(format!(
                        "unknown sub-attribute '{path}.{name}'"
                    )));
                };
                let sub_path = format!("{path}.{}", sub.name);
                if let Some(v) = normalize_attribute(sub, sub_value, &sub_path)? {
                    out.insert(sub.name.to_owned(), v);
                }
            }
            Ok((!out.is_empty()).then_some(Value::Object(out)))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ScimType;
    use crate::schema::{C42_USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};

    fn user(body: Value) -> Result<Value, ScimError> {
        normalize(ResourceKind::User, body)
    }

    fn assert_invalid_value(result: Result<Value, ScimError>, needle: &str) {
        let err = result.expect_err("expected an error");
        assert_eq!(
            (err.status, err.scim_type),
            (400, Some(ScimType::InvalidValue))
        );
        assert!(
            err.detail.contains(needle),
            "detail {:?} lacks {needle:?}",
            err.detail
        );
    }

    #[test]
    fn canonicalizes_names_and_drops_ignored_attributes() {
        let out = user(json!({
            "SCHEMAS": ["urn:ietf:params:scim:schemas:core:2.0:user"],
            "USERNAME": "Ada@Example.com",
            "id": "client-chosen",
            "meta": {"resourceType": "User"},
            "password": "hunter2",
            "groups": [{"value": "g1"}],
            "Name": {"GivenName": "Ada", "familyName": null},
            "emails": [{"Value": "ada@example.com", "TYPE": "work", "primary": true, "$ref": null}],
            "nickName": null,
            "title": "",
            "externalId": "ext-1",
        }))
        .expect("valid user");
        assert_eq!(
            out,
            json!({
                "schemas": [USER_SCHEMA],
                "userName": "Ada@Example.com",
                "name": {"givenName": "Ada"},
                "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
                "title": "",
                "externalId": "ext-1",
            })
        );
    }

    #[test]
    fn moves_extension_attributes_under_their_urn() {
        // Entra sends URN-qualified keys at top level; Okta nests them under the URN.
        let out = user(json!({
            "userName": "a",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D",
            "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": {
                "manager": {"value": "m1", "displayName": "Boss", "$ref": "../Users/m1"},
            },
            "urn:ietf:params:scim:schemas:core:2.0:User:displayName": "Ada",
        }))
        .expect("valid user");
        assert_eq!(out["schemas"], json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]));
        assert_eq!(out["displayName"], "Ada");
        assert_eq!(
            out[ENTERPRISE_USER_SCHEMA],
            json!({"department": "R&D", "manager": {"value": "m1"}})
        );
        let c42 = user(json!({"userName": "a", C42_USER_SCHEMA: {"c42orgname": "Acme"}}))
            .expect("valid user");
        assert_eq!(c42["schemas"], json!([USER_SCHEMA, C42_USER_SCHEMA]));
        assert_eq!(c42[C42_USER_SCHEMA]["c42OrgName"], "Acme");
    }

    #[test]
    fn converts_entra_boolean_strings() {
        let out = user(json!({"userName": "a", "active": "False"})).expect("valid");
        assert_eq!(out["active"], false);
        let out = user(json!({"userName": "a", "active": "TRUE"})).expect("valid");
        assert_eq!(out["active"], true);
        assert_invalid_value(user(json!({"userName": "a", "active": "yes"})), "active");
        assert_invalid_value(user(json!({"userName": "a", "active": 1})), "boolean");
    }

    #[test]
    fn rejects_bad_shapes() {
        let err = user(json!(["not", "an", "object"])).expect_err("array body");
        assert_eq!(err.scim_type, Some(ScimType::InvalidSyntax));
        assert_invalid_value(user(json!({"userName": "a", "bogus": 1})), "bogus");
        assert_invalid_value(
            user(json!({"userName": "a", "name": {"nick": "x"}})),
            "name.nick",
        );
        assert_invalid_value(user(json!({"userName": 5})), "userName");
        assert_invalid_value(
            user(json!({"userName": "a", "emails": {"value": "x"}})),
            "array",
        );
        assert_invalid_value(user(json!({"userName": "a", "name": "Ada"})), "object");
        assert_invalid_value(user(json!({"userName": "a", "schemas": "x"})), "schemas");
        assert_invalid_value(
            user(json!({"userName": "a", "schemas": [GROUP_SCHEMA]})),
            GROUP_SCHEMA,
        );
        assert_invalid_value(
            user(json!({"userName": "a", "urn:example:custom:User:x": 1})),
            "urn:example:custom:User:x",
        );
        assert_invalid_value(
            user(json!({"userName": "a", "username": "b"})),
            "more than once",
        );
    }

    #[test]
    fn enforces_required_attributes() {
        assert_invalid_value(user(json!({"displayName": "x"})), "userName");
        assert_invalid_value(user(json!({"userName": "  "})), "userName");
        assert_invalid_value(user(json!({"userName": null})), "userName");
        assert_invalid_value(
            normalize(ResourceKind::Group, json!({"members": []})),
            "displayName",
        );
    }

    #[test]
    fn enforces_single_primary() {
        let body = json!({"userName": "a", "emails": [
            {"value": "a@x", "primary": true}, {"value": "b@x", "primary": "True"}]});
        assert_invalid_value(user(body), "primary");
        let body = json!({"userName": "a", "emails": [
            {"value": "a@x", "primary": true}, {"value": "b@x", "primary": false}]});
        assert!(user(body).is_ok());
    }

    #[test]
    fn limits_multi_valued_size() {
        let many: Vec<Value> = (0..=MAX_MULTI_VALUES)
            .map(|i| json!({"value": i.to_string()}))
            .collect();
        assert_invalid_value(user(json!({"userName": "a", "roles": many})), "roles");
    }

    #[test]
    fn normalizes_entra_group() {
        let out = normalize(
            ResourceKind::Group,
            json!({
                "schemas": [GROUP_SCHEMA, ADSCIM_GROUP_SCHEMA],
                "displayName": "Eng",
                "externalId": "e1",
                "members": [{"value": "u1", "$ref": null, "display": "U One"}],
            }),
        )
        .expect("valid group");
        assert_eq!(
            out,
            json!({
                "schemas": [GROUP_SCHEMA],
                "displayName": "Eng",
                "externalId": "e1",
                "members": [{"value": "u1", "display": "U One"}],
            })
        );
        let user_adscim = user(json!({"userName": "a", "schemas": [ADSCIM_GROUP_SCHEMA]}));
        assert_invalid_value(user_adscim, ADSCIM_GROUP_SCHEMA);
        let group_ext = normalize(
            ResourceKind::Group,
            json!({"displayName": "g", ENTERPRISE_USER_SCHEMA: {"department": "x"}}),
        );
        assert_invalid_value(group_ext, ENTERPRISE_USER_SCHEMA);
    }

    #[test]
    fn members_need_a_string_value() {
        let group = |members: Value| {
            normalize(
                ResourceKind::Group,
                json!({"displayName": "g", "members": members}),
            )
        };
        assert_invalid_value(group(json!([{"display": "x"}])), "value");
        assert_invalid_value(group(json!([{"value": 5}])), "members.value");
        assert_invalid_value(group(json!(["u1"])), "object");
        assert!(group(json!([{"value": "u1", "type": "User"}])).is_ok());
    }

    #[test]
    fn splits_urn_keys() {
        let (s, rest) = split_urn_key(
            ResourceKind::User,
            "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName",
        )
        .expect("core key");
        assert_eq!((s.id, rest), (USER_SCHEMA, "name.givenName"));
        assert!(split_urn_key(ResourceKind::User, ENTERPRISE_USER_SCHEMA).is_none());
        assert!(
            split_urn_key(
                ResourceKind::Group,
                "urn:ietf:params:scim:schemas:core:2.0:User:x"
            )
            .is_none()
        );
        assert!(split_urn_key(ResourceKind::User, "userName").is_none());
        let loc = locate_attribute(
            ResourceKind::User,
            Some(ENTERPRISE_USER_SCHEMA),
            "DEPARTMENT",
        )
        .expect("department");
        assert_eq!(loc.extension.map(|s| s.id), Some(ENTERPRISE_USER_SCHEMA));
        assert_eq!(loc.def.name, "department");
        assert!(locate_attribute(ResourceKind::User, None, "department").is_none());
        assert_eq!(
            locate_attribute(ResourceKind::User, None, "ID").map(|l| l.def.name),
            Some("id")
        );
    }
}
