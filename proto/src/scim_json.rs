//! The SCIM seam's wire mapping: canonical SCIM JSON (as produced by
//! `roster_scim::resource::normalize`) ↔ the typed `identity.v1` messages.
//!
//! It lives beside the generated code because both ends of the seam need the
//! very same mapping: the gateway turns request bodies into messages and
//! messages into response bodies; the identity service turns messages into
//! the documents it stores. One implementation keeps the two from drifting.

use prost_types::value::Kind;
use roster_scim::schema::{C42_USER_SCHEMA, ENTERPRISE_USER_SCHEMA};
use serde_json::{Map, Value as Json, json};

use crate::identity::v1 as pb;

/// Converts a JSON value to a protobuf `Value`.
pub fn json_to_value(value: &Json) -> prost_types::Value {
    let kind = match value {
        Json::Null => Kind::NullValue(0),
        Json::Bool(b) => Kind::BoolValue(*b),
        Json::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        Json::String(s) => Kind::StringValue(s.clone()),
        Json::Array(items) => Kind::ListValue(prost_types::ListValue {
            values: items.iter().map(json_to_value).collect(),
        }),
        Json::Object(map) => Kind::StructValue(json_to_struct(map)),
    };
    prost_types::Value { kind: Some(kind) }
}

/// Converts a JSON object to a protobuf `Struct`.
pub fn json_to_struct(map: &Map<String, Json>) -> prost_types::Struct {
    prost_types::Struct {
        fields: map
            .iter()
            .map(|(k, v)| (k.clone(), json_to_value(v)))
            .collect(),
    }
}

/// Converts a protobuf `Value` to JSON. Whole numbers come back as integers.
pub fn value_to_json(value: &prost_types::Value) -> Json {
    match &value.kind {
        None | Some(Kind::NullValue(_)) => Json::Null,
        Some(Kind::BoolValue(b)) => Json::Bool(*b),
        Some(Kind::NumberValue(n)) => {
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                json!(*n as i64)
            } else {
                serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number)
            }
        }
        Some(Kind::StringValue(s)) => Json::String(s.clone()),
        Some(Kind::ListValue(list)) => Json::Array(list.values.iter().map(value_to_json).collect()),
        Some(Kind::StructValue(s)) => Json::Object(struct_to_json(s)),
    }
}

/// Converts a protobuf `Struct` to a JSON object.
pub fn struct_to_json(value: &prost_types::Struct) -> Map<String, Json> {
    value
        .fields
        .iter()
        .map(|(k, v)| (k.clone(), value_to_json(v)))
        .collect()
}

fn str_of(map: &Map<String, Json>, key: &str) -> Option<String> {
    map.get(key).and_then(Json::as_str).map(str::to_owned)
}

fn put(map: &mut Map<String, Json>, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), Json::String(v.clone()));
    }
}

fn multi_values(map: &Map<String, Json>, key: &str) -> Vec<pb::MultiValue> {
    let Some(Json::Array(items)) = map.get(key) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(Json::as_object)
        .map(|item| pb::MultiValue {
            value: str_of(item, "value"),
            display: str_of(item, "display"),
            r#type: str_of(item, "type"),
            primary: item.get("primary").and_then(Json::as_bool),
        })
        .collect()
}

fn put_multi_values(map: &mut Map<String, Json>, key: &str, values: &[pb::MultiValue]) {
    if values.is_empty() {
        return;
    }
    let items = values
        .iter()
        .map(|v| {
            let mut item = Map::new();
            put(&mut item, "value", &v.value);
            put(&mut item, "display", &v.display);
            put(&mut item, "type", &v.r#type);
            if let Some(p) = v.primary {
                item.insert("primary".to_owned(), Json::Bool(p));
            }
            Json::Object(item)
        })
        .collect();
    map.insert(key.to_owned(), Json::Array(items));
}

/// Converts a canonical User document to the typed message (id, meta and groups left empty).
pub fn user_from_json(doc: &Json) -> pb::User {
    let empty = Map::new();
    let map = doc.as_object().unwrap_or(&empty);
    let name = map.get("name").and_then(Json::as_object).map(|n| pb::Name {
        formatted: str_of(n, "formatted"),
        family_name: str_of(n, "familyName"),
        given_name: str_of(n, "givenName"),
        middle_name: str_of(n, "middleName"),
        honorific_prefix: str_of(n, "honorificPrefix"),
        honorific_suffix: str_of(n, "honorificSuffix"),
    });
    let addresses = match map.get("addresses") {
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(Json::as_object)
            .map(|a| pb::Address {
                formatted: str_of(a, "formatted"),
                street_address: str_of(a, "streetAddress"),
                locality: str_of(a, "locality"),
                region: str_of(a, "region"),
                postal_code: str_of(a, "postalCode"),
                country: str_of(a, "country"),
                r#type: str_of(a, "type"),
                primary: a.get("primary").and_then(Json::as_bool),
            })
            .collect(),
        _ => Vec::new(),
    };
    let enterprise = map
        .get(ENTERPRISE_USER_SCHEMA)
        .and_then(Json::as_object)
        .map(|e| pb::EnterpriseUser {
            employee_number: str_of(e, "employeeNumber"),
            cost_center: str_of(e, "costCenter"),
            organization: str_of(e, "organization"),
            division: str_of(e, "division"),
            department: str_of(e, "department"),
            manager: e
                .get("manager")
                .and_then(Json::as_object)
                .map(|m| pb::Manager {
                    value: str_of(m, "value"),
                    display_name: str_of(m, "displayName"),
                }),
        });
    let c42_org_name = map
        .get(C42_USER_SCHEMA)
        .and_then(Json::as_object)
        .and_then(|c| str_of(c, "c42OrgName"));
    let extensions = map
        .iter()
        .filter(|(k, _)| {
            k.starts_with("urn:") && *k != ENTERPRISE_USER_SCHEMA && *k != C42_USER_SCHEMA
        })
        .filter_map(|(k, v)| v.as_object().map(|o| (k.clone(), json_to_struct(o))))
        .collect();
    pb::User {
        id: String::new(),
        external_id: str_of(map, "externalId"),
        user_name: str_of(map, "userName").unwrap_or_default(),
        name,
        display_name: str_of(map, "displayName"),
        nick_name: str_of(map, "nickName"),
        profile_url: str_of(map, "profileUrl"),
        title: str_of(map, "title"),
        user_type: str_of(map, "userType"),
        preferred_language: str_of(map, "preferredLanguage"),
        locale: str_of(map, "locale"),
        timezone: str_of(map, "timezone"),
        active: map.get("active").and_then(Json::as_bool),
        emails: multi_values(map, "emails"),
        phone_numbers: multi_values(map, "phoneNumbers"),
        ims: multi_values(map, "ims"),
        photos: multi_values(map, "photos"),
        addresses,
        entitlements: multi_values(map, "entitlements"),
        roles: multi_values(map, "roles"),
        x509_certificates: multi_values(map, "x509Certificates"),
        enterprise,
        c42_org_name,
        groups: Vec::new(),
        meta: None,
        extensions,
    }
}

/// Converts a typed User to its canonical document, without id, meta and groups.
pub fn user_to_json(user: &pb::User) -> Json {
    let mut map = Map::new();
    let mut schemas = vec![Json::from(roster_scim::schema::USER_SCHEMA)];
    put(&mut map, "externalId", &user.external_id);
    map.insert("userName".to_owned(), Json::String(user.user_name.clone()));
    if let Some(n) = &user.name {
        let mut name = Map::new();
        put(&mut name, "formatted", &n.formatted);
        put(&mut name, "familyName", &n.family_name);
        put(&mut name, "givenName", &n.given_name);
        put(&mut name, "middleName", &n.middle_name);
        put(&mut name, "honorificPrefix", &n.honorific_prefix);
        put(&mut name, "honorificSuffix", &n.honorific_suffix);
        if !name.is_empty() {
            map.insert("name".to_owned(), Json::Object(name));
        }
    }
    put(&mut map, "displayName", &user.display_name);
    put(&mut map, "nickName", &user.nick_name);
    put(&mut map, "profileUrl", &user.profile_url);
    put(&mut map, "title", &user.title);
    put(&mut map, "userType", &user.user_type);
    put(&mut map, "preferredLanguage", &user.preferred_language);
    put(&mut map, "locale", &user.locale);
    put(&mut map, "timezone", &user.timezone);
    if let Some(active) = user.active {
        map.insert("active".to_owned(), Json::Bool(active));
    }
    put_multi_values(&mut map, "emails", &user.emails);
    put_multi_values(&mut map, "phoneNumbers", &user.phone_numbers);
    put_multi_values(&mut map, "ims", &user.ims);
    put_multi_values(&mut map, "photos", &user.photos);
    if !user.addresses.is_empty() {
        let items = user
            .addresses
            .iter()
            .map(|a| {
                let mut item = Map::new();
                put(&mut item, "formatted", &a.formatted);
                put(&mut item, "streetAddress", &a.street_address);
                put(&mut item, "locality", &a.locality);
                put(&mut item, "region", &a.region);
                put(&mut item, "postalCode", &a.postal_code);
                put(&mut item, "country", &a.country);
                put(&mut item, "type", &a.r#type);
                if let Some(p) = a.primary {
                    item.insert("primary".to_owned(), Json::Bool(p));
                }
                Json::Object(item)
            })
            .collect();
        map.insert("addresses".to_owned(), Json::Array(items));
    }
    put_multi_values(&mut map, "entitlements", &user.entitlements);
    put_multi_values(&mut map, "roles", &user.roles);
    put_multi_values(&mut map, "x509Certificates", &user.x509_certificates);
    if let Some(e) = &user.enterprise {
        let mut ext = Map::new();
        put(&mut ext, "employeeNumber", &e.employee_number);
        put(&mut ext, "costCenter", &e.cost_center);
        put(&mut ext, "organization", &e.organization);
        put(&mut ext, "division", &e.division);
        put(&mut ext, "department", &e.department);
        if let Some(m) = &e.manager {
            let mut manager = Map::new();
            put(&mut manager, "value", &m.value);
            put(&mut manager, "displayName", &m.display_name);
            ext.insert("manager".to_owned(), Json::Object(manager));
        }
        schemas.push(Json::from(ENTERPRISE_USER_SCHEMA));
        map.insert(ENTERPRISE_USER_SCHEMA.to_owned(), Json::Object(ext));
    }
    if let Some(org) = &user.c42_org_name {
        schemas.push(Json::from(C42_USER_SCHEMA));
        map.insert(C42_USER_SCHEMA.to_owned(), json!({ "c42OrgName": org }));
    }
    for (urn, value) in &user.extensions {
        schemas.push(Json::from(urn.as_str()));
        map.insert(urn.clone(), Json::Object(struct_to_json(value)));
    }
    map.insert("schemas".to_owned(), Json::Array(schemas));
    Json::Object(map)
}

/// Converts a canonical Group document to the typed message (members from the document).
pub fn group_from_json(doc: &Json) -> pb::Group {
    let empty = Map::new();
    let map = doc.as_object().unwrap_or(&empty);
    let members = match map.get("members") {
        Some(Json::Array(items)) => items
            .iter()
            .filter_map(Json::as_object)
            .map(|m| pb::Member {
                value: str_of(m, "value").unwrap_or_default(),
                display: str_of(m, "display"),
                r#type: str_of(m, "type"),
            })
            .collect(),
        _ => Vec::new(),
    };
    pb::Group {
        id: String::new(),
        external_id: str_of(map, "externalId"),
        display_name: str_of(map, "displayName").unwrap_or_default(),
        members,
        meta: None,
    }
}

/// Converts a typed Group to its canonical document, without id and meta.
pub fn group_to_json(group: &pb::Group) -> Json {
    let mut map = Map::new();
    map.insert(
        "schemas".to_owned(),
        json!([roster_scim::schema::GROUP_SCHEMA]),
    );
    put(&mut map, "externalId", &group.external_id);
    map.insert(
        "displayName".to_owned(),
        Json::String(group.display_name.clone()),
    );
    let members: Vec<Json> = group
        .members
        .iter()
        .map(|m| {
            let mut item = Map::new();
            item.insert("value".to_owned(), Json::String(m.value.clone()));
            put(&mut item, "display", &m.display);
            put(&mut item, "type", &m.r#type);
            Json::Object(item)
        })
        .collect();
    map.insert("members".to_owned(), Json::Array(members));
    Json::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_round_trips_through_the_message() {
        let doc = json!({
            "schemas": [roster_scim::schema::USER_SCHEMA, ENTERPRISE_USER_SCHEMA, C42_USER_SCHEMA, "urn:example:ext:1.0:User"],
            "externalId": "00u1",
            "userName": "ann@example.com",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "displayName": "Ann Lee",
            "active": false,
            "emails": [{"value": "ann@example.com", "type": "work", "primary": true}],
            "addresses": [{"locality": "Oslo", "country": "NO", "type": "work"}],
            ENTERPRISE_USER_SCHEMA: {"department": "R&D", "manager": {"value": "m1"}},
            C42_USER_SCHEMA: {"c42OrgName": "Sales"},
            "urn:example:ext:1.0:User": {"badge": 12, "tags": ["a", "b"], "x": 1.5}
        });
        let back = user_to_json(&user_from_json(&doc));
        assert_eq!(back, doc);
    }

    #[test]
    fn group_round_trips_through_the_message() {
        let doc = json!({
            "schemas": [roster_scim::schema::GROUP_SCHEMA],
            "externalId": "g1",
            "displayName": "Engineers",
            "members": [{"value": "u1", "display": "Ann", "type": "User"}]
        });
        assert_eq!(group_to_json(&group_from_json(&doc)), doc);
    }
}
