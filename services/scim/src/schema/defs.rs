//! The static attribute tables of the declared schemas (RFC 7643 §3.1, §4.1–§4.3, §8.7.1).
//!
//! Data only: the tables are built with small `const fn` builders so each line reads as the
//! RFC's attribute listing.

use super::{AttrType, AttributeDef, Mutability, Returned, SchemaDef, Uniqueness};

const fn attr(name: &'static str, attr_type: AttrType, description: &'static str) -> AttributeDef {
    AttributeDef {
        name,
        attr_type,
        multi_valued: false,
        required: false,
        case_exact: false,
        mutability: Mutability::ReadWrite,
        returned: Returned::Default,
        uniqueness: Uniqueness::None,
        canonical_values: &[],
        reference_types: &[],
        sub_attributes: &[],
        description,
    }
}

const fn string(name: &'static str, description: &'static str) -> AttributeDef {
    attr(name, AttrType::String, description)
}

const fn complex(
    name: &'static str,
    subs: &'static [AttributeDef],
    description: &'static str,
) -> AttributeDef {
    attr(name, AttrType::Complex, description).subs(subs)
}

impl AttributeDef {
    const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    const fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    const fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    const fn unique(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    const fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical_values = values;
        self
    }
    const fn refs(mut self, types: &'static [&'static str]) -> Self {
        self.reference_types = types;
        self
    }
    const fn subs(mut self, subs: &'static [AttributeDef]) -> Self {
        self.sub_attributes = subs;
        self
    }
}

const READ_ONLY: Mutability = Mutability::ReadOnly;

/// `id`, `externalId`, `meta` (RFC 7643 §3.1).
pub(super) const COMMON: &[AttributeDef] = &[
    string(
        "id",
        "Unique identifier of the resource, assigned by the service provider",
    )
    .case_exact()
    .mutability(READ_ONLY)
    .returned(Returned::Always)
    .unique(Uniqueness::Server),
    string(
        "externalId",
        "Identifier of the resource as defined by the provisioning client",
    )
    .case_exact(),
    complex("meta", META_SUBS, "Resource metadata").mutability(READ_ONLY),
];

const META_SUBS: &[AttributeDef] = &[
    string("resourceType", "Name of the resource type").mutability(READ_ONLY),
    attr("created", AttrType::DateTime, "When the resource was added").mutability(READ_ONLY),
    attr(
        "lastModified",
        AttrType::DateTime,
        "When the resource was last changed",
    )
    .mutability(READ_ONLY),
    attr("location", AttrType::Reference, "URI of the resource")
        .mutability(READ_ONLY)
        .refs(&["uri"]),
    string("version", "Version of the resource").mutability(READ_ONLY),
];

const NAME_SUBS: &[AttributeDef] = &[
    string("formatted", "The full name, formatted for display"),
    string("familyName", "The family name"),
    string("givenName", "The given name"),
    string("middleName", "The middle name(s)"),
    string("honorificPrefix", "The honorific prefix(es), e.g. 'Ms.'"),
    string("honorificSuffix", "The honorific suffix(es), e.g. 'III'"),
];

const fn primary() -> AttributeDef {
    attr(
        "primary",
        AttrType::Boolean,
        "Whether this is the preferred value",
    )
}

const EMAIL_SUBS: &[AttributeDef] = &[
    string("value", "Email address"),
    string("display", "Display name of the value"),
    string("type", "Kind of email address").canonical(&["work", "home", "other"]),
    primary(),
];

const PHONE_SUBS: &[AttributeDef] = &[
    string("value", "Phone number"),
    string("display", "Display name of the value"),
    string("type", "Kind of phone number")
        .canonical(&["work", "home", "mobile", "fax", "pager", "other"]),
    primary(),
];

const IM_SUBS: &[AttributeDef] = &[
    string("value", "Instant messaging address"),
    string("display", "Display name of the value"),
    string("type", "Kind of instant messaging service")
        .canonical(&["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
    primary(),
];

const PHOTO_SUBS: &[AttributeDef] = &[
    attr("value", AttrType::Reference, "URL of the image").refs(&["external"]),
    string("display", "Display name of the value"),
    string("type", "Kind of image").canonical(&["photo", "thumbnail"]),
    primary(),
];

const ADDRESS_SUBS: &[AttributeDef] = &[
    string(
        "formatted",
        "The full mailing address, formatted for display",
    ),
    string("streetAddress", "The street address"),
    string("locality", "The city or locality"),
    string("region", "The state or region"),
    string("postalCode", "The postal code"),
    string("country", "The country, as an ISO 3166-1 alpha-2 code"),
    string("type", "Kind of address").canonical(&["work", "home", "other"]),
    primary(),
];

const USER_GROUP_SUBS: &[AttributeDef] = &[
    string("value", "Identifier of the group").mutability(READ_ONLY),
    attr("$ref", AttrType::Reference, "URI of the group")
        .mutability(READ_ONLY)
        .refs(&["User", "Group"]),
    string("display", "Display name of the group").mutability(READ_ONLY),
    string("type", "How the membership is derived")
        .mutability(READ_ONLY)
        .canonical(&["direct", "indirect"]),
];

const GENERIC_SUBS: &[AttributeDef] = &[
    string("value", "The value"),
    string("display", "Display name of the value"),
    string("type", "Kind of value"),
    primary(),
];

const CERTIFICATE_SUBS: &[AttributeDef] = &[
    attr(
        "value",
        AttrType::Binary,
        "DER-encoded X.509 certificate, base64",
    ),
    string("display", "Display name of the value"),
    string("type", "Kind of certificate"),
    primary(),
];

/// The core User schema (RFC 7643 §4.1, §8.7.1).
pub(super) static USER: SchemaDef = SchemaDef {
    id: super::USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: &[
        string("userName", "Unique identifier of the user, used to sign in")
            .required()
            .unique(Uniqueness::Server),
        complex("name", NAME_SUBS, "The components of the user's name"),
        string("displayName", "Name of the user, suitable for display"),
        string("nickName", "Casual name of the user"),
        attr(
            "profileUrl",
            AttrType::Reference,
            "URL of the user's online profile",
        )
        .refs(&["external"]),
        string("title", "The user's title, e.g. 'Vice President'"),
        string("userType", "Relationship of the user to the organization"),
        string("preferredLanguage", "Preferred written or spoken language"),
        string("locale", "Default location for localization"),
        string("timezone", "Time zone in IANA format"),
        attr(
            "active",
            AttrType::Boolean,
            "Administrative status of the user",
        ),
        string(
            "password",
            "Clear-text password; never stored or returned by Roster",
        )
        .mutability(Mutability::WriteOnly)
        .returned(Returned::Never),
        complex("emails", EMAIL_SUBS, "Email addresses").multi(),
        complex("phoneNumbers", PHONE_SUBS, "Phone numbers").multi(),
        complex("ims", IM_SUBS, "Instant messaging addresses").multi(),
        complex("photos", PHOTO_SUBS, "URLs of photos").multi(),
        complex("addresses", ADDRESS_SUBS, "Physical mailing addresses").multi(),
        complex("groups", USER_GROUP_SUBS, "Groups the user belongs to")
            .multi()
            .mutability(READ_ONLY),
        complex("entitlements", GENERIC_SUBS, "Entitlements of the user").multi(),
        complex("roles", GENERIC_SUBS, "Roles of the user").multi(),
        complex("x509Certificates", CERTIFICATE_SUBS, "X.509 certificates").multi(),
    ],
};

const MEMBER_SUBS: &[AttributeDef] = &[
    string("value", "Identifier of the member")
        .case_exact()
        .mutability(Mutability::Immutable),
    attr("$ref", AttrType::Reference, "URI of the member")
        .mutability(Mutability::Immutable)
        .refs(&["User", "Group"]),
    string("display", "Display name of the member").mutability(Mutability::Immutable),
    string("type", "Resource type of the member")
        .mutability(Mutability::Immutable)
        .canonical(&["User", "Group"]),
];

/// The core Group schema (RFC 7643 §4.2, §8.7.1).
pub(super) static GROUP: SchemaDef = SchemaDef {
    id: super::GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: &[
        string("displayName", "Name of the group, suitable for display").required(),
        complex("members", MEMBER_SUBS, "Members of the group").multi(),
    ],
};

const MANAGER_SUBS: &[AttributeDef] = &[
    string("value", "Identifier of the manager").case_exact(),
    attr("$ref", AttrType::Reference, "URI of the manager").refs(&["User"]),
    string("displayName", "Display name of the manager").mutability(READ_ONLY),
];

/// The Enterprise User extension (RFC 7643 §4.3).
pub(super) static ENTERPRISE: SchemaDef = SchemaDef {
    id: super::ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        string("employeeNumber", "Identifier assigned by the organization"),
        string("costCenter", "Cost center"),
        string("organization", "Name of the organization"),
        string("division", "Name of the division"),
        string("department", "Name of the department"),
        complex("manager", MANAGER_SUBS, "The user's manager"),
    ],
};

/// Roster's User extension.
pub(super) static C42: SchemaDef = SchemaDef {
    id: super::C42_USER_SCHEMA,
    name: "C42User",
    description: "Roster User extension",
    attributes: &[string(
        "c42OrgName",
        "Name of the Roster organization the user belongs to",
    )],
};
