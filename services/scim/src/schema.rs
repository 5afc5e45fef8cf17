//! SCIM schema URNs, attribute definitions and the discovery documents built from them
//! (RFC 7643 §4, §5, §6, §7, §8.7.1).
//!
//! This module owns the static description of what Roster accepts; it does not validate
//! resources (see [`crate::resource`]) and does not add `meta` (the gateway does).

mod defs;

use serde_json::{Value, json};

/// The core User schema URN (RFC 7643 §4.1).
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema URN (RFC 7643 §4.2).
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The Enterprise User extension URN (RFC 7643 §4.3).
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Roster's User extension URN; it holds one attribute, `c42OrgName`.
pub const C42_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:c42:2.0:User";
/// A URN Entra sends in a Group's `schemas`; tolerated on input, never declared, never stored.
pub const ADSCIM_GROUP_SCHEMA: &str =
    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group";
/// The PATCH request message URN (RFC 7644 §3.5.2).
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The list response message URN (RFC 7644 §3.4.2).
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The error response message URN (RFC 7644 §3.12).
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// The URN of a schema definition document (RFC 7643 §7).
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// The URN of a resource type document (RFC 7643 §6).
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// The URN of the service provider configuration document (RFC 7643 §5).
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// The resource types Roster serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// A User resource (`/Users`).
    User,
    /// A Group resource (`/Groups`).
    Group,
}

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    /// A JSON string.
    String,
    /// A JSON boolean.
    Boolean,
    /// A JSON number with an optional fraction.
    Decimal,
    /// A JSON number without a fraction.
    Integer,
    /// An `xsd:dateTime` string.
    DateTime,
    /// A URI string.
    Reference,
    /// A JSON object of sub-attributes.
    Complex,
    /// A base64 string.
    Binary,
}

/// An attribute's mutability (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mutability {
    /// Set by the service provider only; client values are ignored.
    ReadOnly,
    /// Settable by the client at any time.
    ReadWrite,
    /// Settable once, never changed afterwards.
    Immutable,
    /// Settable, never returned.
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Returned {
    /// Always returned.
    Always,
    /// Never returned.
    Never,
    /// Returned unless excluded.
    Default,
    /// Returned only when requested.
    Request,
}

/// An attribute's uniqueness (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Uniqueness {
    /// No uniqueness is enforced.
    None,
    /// Unique within the service provider (for Roster: within a tenant).
    Server,
    /// Globally unique.
    Global,
}

/// An attribute definition with all RFC 7643 §7 characteristics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttributeDef {
    /// The attribute name in its canonical spelling.
    pub name: &'static str,
    /// The data type.
    pub attr_type: AttrType,
    /// Whether the attribute holds an array of values.
    pub multi_valued: bool,
    /// Whether a resource must carry the attribute.
    pub required: bool,
    /// Whether string comparison is case-sensitive.
    pub case_exact: bool,
    /// Who may change the attribute and when.
    pub mutability: Mutability,
    /// When the attribute is returned.
    pub returned: Returned,
    /// The uniqueness scope of the attribute's value.
    pub uniqueness: Uniqueness,
    /// Suggested values (not enforced).
    pub canonical_values: &'static [&'static str],
    /// For references: the resource types the value may point at.
    pub reference_types: &'static [&'static str],
    /// For complex attributes: the sub-attributes.
    pub sub_attributes: &'static [AttributeDef],
    /// A human-readable description.
    pub description: &'static str,
}

/// A schema definition (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemaDef {
    /// The schema URN.
    pub id: &'static str,
    /// The schema's short name.
    pub name: &'static str,
    /// A human-readable description.
    pub description: &'static str,
    /// The attributes defined by the schema (common attributes excluded, RFC 7643 §3.1).
    pub attributes: &'static [AttributeDef],
}

impl AttributeDef {
    /// Returns the sub-attribute with the given name, compared case-insensitively (RFC 7643 §2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        find_attribute(self.sub_attributes, name)
    }
}

impl SchemaDef {
    /// Returns the attribute with the given name, compared case-insensitively (RFC 7643 §2.1).
    pub fn attribute(&self, name: &str) -> Option<&'static AttributeDef> {
        find_attribute(self.attributes, name)
    }
}

/// Returns the attribute named `name` (case-insensitive) in `attrs`.
pub fn find_attribute(attrs: &'static [AttributeDef], name: &str) -> Option<&'static AttributeDef> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

/// Returns the common attributes every resource carries (`id`, `externalId`, `meta`,
/// RFC 7643 §3.1); they are accepted in input but not listed in schema documents.
pub fn common_attributes() -> &'static [AttributeDef] {
    defs::COMMON
}

/// Returns one of the four declared schemas by URN, compared case-insensitively.
pub fn schema(urn: &str) -> Option<&'static SchemaDef> {
    all_schemas()
        .iter()
        .copied()
        .find(|s| s.id.eq_ignore_ascii_case(urn))
}

/// Returns all declared schemas: User, Group, Enterprise User and Roster's c42 extension.
pub fn all_schemas() -> &'static [&'static SchemaDef] {
    static ALL: [&SchemaDef; 4] = [&defs::USER, &defs::GROUP, &defs::ENTERPRISE, &defs::C42];
    &ALL
}

impl ResourceKind {
    /// Returns the core schema of the resource type.
    pub fn core_schema(self) -> &'static SchemaDef {
        match self {
            ResourceKind::User => &defs::USER,
            ResourceKind::Group => &defs::GROUP,
        }
    }

    /// Returns the extension schemas of the resource type (User: Enterprise, c42; Group: none).
    pub fn extension_schemas(self) -> &'static [&'static SchemaDef] {
        static USER_EXTENSIONS: [&SchemaDef; 2] = [&defs::ENTERPRISE, &defs::C42];
        match self {
            ResourceKind::User => &USER_EXTENSIONS,
            ResourceKind::Group => &[],
        }
    }

    /// Returns the core or extension schema of this resource type with the given URN
    /// (case-insensitive).
    pub fn schema_by_urn(self, urn: &str) -> Option<&'static SchemaDef> {
        let core = self.core_schema();
        if core.id.eq_ignore_ascii_case(urn) {
            return Some(core);
        }
        self.extension_schemas()
            .iter()
            .copied()
            .find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// Returns the resource type name (`"User"` / `"Group"`).
    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }

    /// Returns the endpoint path relative to the SCIM base (`"/Users"` / `"/Groups"`).
    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "/Users",
            ResourceKind::Group => "/Groups",
        }
    }
}

impl AttrType {
    /// Returns the RFC 7643 §7 spelling of the type (`"string"`, `"dateTime"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Boolean => "boolean",
            AttrType::Decimal => "decimal",
            AttrType::Integer => "integer",
            AttrType::DateTime => "dateTime",
            AttrType::Reference => "reference",
            AttrType::Complex => "complex",
            AttrType::Binary => "binary",
        }
    }
}

impl Mutability {
    /// Returns the RFC 7643 §7 spelling (`"readOnly"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

impl Returned {
    /// Returns the RFC 7643 §7 spelling (`"always"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Returned::Always => "always",
            Returned::Never => "never",
            Returned::Default => "default",
            Returned::Request => "request",
        }
    }
}

impl Uniqueness {
    /// Returns the RFC 7643 §7 spelling (`"none"`, `"server"`, `"global"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Uniqueness::None => "none",
            Uniqueness::Server => "server",
            Uniqueness::Global => "global",
        }
    }
}

fn attribute_document(attr: &AttributeDef) -> Value {
    let mut doc = json!({
        "name": attr.name,
        "type": attr.attr_type.as_str(),
        "multiValued": attr.multi_valued,
        "description": attr.description,
        "required": attr.required,
        "caseExact": attr.case_exact,
        "mutability": attr.mutability.as_str(),
        "returned": attr.returned.as_str(),
        "uniqueness": attr.uniqueness.as_str(),
    });
    if !attr.canonical_values.is_empty() {
        doc["canonicalValues"] = json!(attr.canonical_values);
    }
    if attr.attr_type == AttrType::Reference {
        doc["referenceTypes"] = json!(attr.reference_types);
    }
    if attr.attr_type == AttrType::Complex {
        let subs: Vec<Value> = attr.sub_attributes.iter().map(attribute_document).collect();
        doc["subAttributes"] = Value::Array(subs);
    }
    doc
}

/// Returns the RFC 7643 §7 representation of a schema, without `meta`.
pub fn schema_document(def: &SchemaDef) -> Value {
    let attributes: Vec<Value> = def.attributes.iter().map(attribute_document).collect();
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": def.id,
        "name": def.name,
        "description": def.description,
        "attributes": attributes,
    })
}

/// Returns the RFC 7643 §6 resource type document for `kind`, without `meta`.
pub fn resource_type_document(kind: ResourceKind) -> Value {
    let extensions: Vec<Value> = kind
        .extension_schemas()
        .iter()
        .map(|s| json!({ "schema": s.id, "required": false }))
        .collect();
    let description = match kind {
        ResourceKind::User => "User Account",
        ResourceKind::Group => "Group",
    };
    json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": kind.name(),
        "name": kind.name(),
        "endpoint": kind.endpoint(),
        "description": description,
        "schema": kind.core_schema().id,
        "schemaExtensions": extensions,
    })
}

/// Returns the RFC 7643 §5 service provider configuration, stating only what Roster supports
/// (PATCH and filtering; no bulk, sort, ETags or password change), without `meta`.
pub fn service_provider_config_document() -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": 200 },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": false },
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with a bearer token in the Authorization header",
                "primary": true,
            },
            {
                "type": "httpbasic",
                "name": "HTTP Basic",
                "description": "Authentication with HTTP Basic credentials",
            },
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_lookup_is_case_insensitive() {
        let s = schema("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER").expect("user schema");
        assert_eq!(s.id, USER_SCHEMA);
        assert_eq!(schema(C42_USER_SCHEMA).map(|s| s.id), Some(C42_USER_SCHEMA));
        assert!(schema(ADSCIM_GROUP_SCHEMA).is_none());
        assert!(schema(PATCH_OP).is_none());
        assert_eq!(all_schemas().len(), 4);
    }

    #[test]
    fn resource_kinds_describe_their_schemas() {
        assert_eq!(ResourceKind::User.core_schema().id, USER_SCHEMA);
        assert_eq!(ResourceKind::Group.core_schema().id, GROUP_SCHEMA);
        let ext: Vec<_> = ResourceKind::User
            .extension_schemas()
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(ext, [ENTERPRISE_USER_SCHEMA, C42_USER_SCHEMA]);
        assert!(ResourceKind::Group.extension_schemas().is_empty());
        assert_eq!(ResourceKind::Group.endpoint(), "/Groups");
        assert_eq!(ResourceKind::User.name(), "User");
        assert!(
            ResourceKind::Group
                .schema_by_urn(ENTERPRISE_USER_SCHEMA)
                .is_none()
        );
    }

    #[test]
    fn attribute_characteristics_follow_rfc_7643() {
        let user = ResourceKind::User.core_schema();
        let user_name = user.attribute("USERNAME").expect("userName");
        assert!(user_name.required && !user_name.case_exact);
        assert_eq!(user_name.uniqueness, Uniqueness::Server);
        let password = user.attribute("password").expect("password");
        assert_eq!(password.mutability, Mutability::WriteOnly);
        assert_eq!(password.returned, Returned::Never);
        let emails = user.attribute("emails").expect("emails");
        assert!(emails.multi_valued);
        assert_eq!(
            emails.sub_attribute("PRIMARY").map(|a| a.attr_type),
            Some(AttrType::Boolean)
        );
        assert!(
            user.attribute("id").is_none(),
            "common attributes are not schema attributes"
        );
        let members = ResourceKind::Group
            .core_schema()
            .attribute("members")
            .expect("members");
        assert_eq!(
            members.sub_attribute("value").map(|a| a.mutability),
            Some(Mutability::Immutable)
        );
    }

    #[test]
    fn schema_document_lists_all_characteristics() {
        let doc = schema_document(ResourceKind::User.core_schema());
        assert_eq!(doc["schemas"], json!([SCHEMA_SCHEMA]));
        assert_eq!(doc["id"], USER_SCHEMA);
        assert!(doc.get("meta").is_none());
        let attrs = doc["attributes"].as_array().expect("attributes");
        let emails = attrs
            .iter()
            .find(|a| a["name"] == "emails")
            .expect("emails");
        assert_eq!(emails["type"], "complex");
        assert_eq!(emails["multiValued"], true);
        assert_eq!(emails["mutability"], "readWrite");
        assert_eq!(emails["returned"], "default");
        assert_eq!(emails["uniqueness"], "none");
        let subs = emails["subAttributes"].as_array().expect("subAttributes");
        let kind = subs.iter().find(|a| a["name"] == "type").expect("type");
        assert_eq!(kind["canonicalValues"], json!(["work", "home", "other"]));
        let profile = attrs
            .iter()
            .find(|a| a["name"] == "profileUrl")
            .expect("profileUrl");
        assert_eq!(profile["referenceTypes"], json!(["external"]));
    }

    #[test]
    fn resource_type_and_config_documents() {
        let user = resource_type_document(ResourceKind::User);
        assert_eq!(user["endpoint"], "/Users");
        assert_eq!(user["schema"], USER_SCHEMA);
        assert_eq!(
            user["schemaExtensions"][0]["schema"],
            ENTERPRISE_USER_SCHEMA
        );
        assert_eq!(user["schemaExtensions"][1]["required"], false);
        let group = resource_type_document(ResourceKind::Group);
        assert_eq!(group["schemaExtensions"], json!([]));
        let config = service_provider_config_document();
        assert_eq!(config["patch"]["supported"], true);
        assert_eq!(config["bulk"]["supported"], false);
        assert_eq!(config["filter"]["maxResults"], 200);
        assert_eq!(config["etag"]["supported"], false);
        let types: Vec<_> = config["authenticationSchemes"]
            .as_array()
            .expect("schemes")
            .iter()
            .map(|s| s["type"].clone())
            .collect();
        assert!(types.contains(&json!("httpbasic")) && types.contains(&json!("oauthbearertoken")));
    }
}
