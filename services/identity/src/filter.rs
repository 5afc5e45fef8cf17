//! Translates the SCIM filters identity providers send into store conditions.
//!
//! Supported: `eq` comparisons on `userName`, `externalId`, `displayName`,
//! `emails.value` and `emails[type eq "…"].value` (Users), `displayName` and
//! `externalId` (Groups), joined with `and`. Anything else is refused with
//! `invalidFilter`: a filter is never silently widened to "everything".

use roster_core::user_name_key;
use roster_scim::ScimError;
use roster_scim::filter::{AttrPath, CompareOp, Filter, parse_filter};
use roster_scim::schema::{GROUP_SCHEMA, USER_SCHEMA};
use roster_store::{GroupCondition, UserCondition};

const USER_SUPPORTED: &str = "supported: userName, externalId, displayName, emails.value and emails[type eq \"…\"].value with eq, joined by and";
const GROUP_SUPPORTED: &str = "supported: displayName and externalId with eq, joined by and";

/// Parses a Users filter into conditions; an empty filter is no condition.
pub(crate) fn user_conditions(filter: &str) -> Result<Vec<UserCondition>, ScimError> {
    if filter.trim().is_empty() {
        return Ok(Vec::new());
    }
    let parsed = parse_filter(filter)?;
    let mut out = Vec::new();
    for term in conjuncts(&parsed) {
        out.push(user_condition(term)?);
    }
    Ok(out)
}

/// Parses a Groups filter into conditions.
pub(crate) fn group_conditions(filter: &str) -> Result<Vec<GroupCondition>, ScimError> {
    if filter.trim().is_empty() {
        return Ok(Vec::new());
    }
    let parsed = parse_filter(filter)?;
    let mut out = Vec::new();
    for term in conjuncts(&parsed) {
        let (path, value) = equality(term, GROUP_SCHEMA, GROUP_SUPPORTED)?;
        let condition = match (
            path.name.to_ascii_lowercase().as_str(),
            path.sub_attr.as_deref(),
        ) {
            ("displayname", None) => GroupCondition::DisplayNameKey(user_name_key(value)),
            ("externalid", None) => GroupCondition::ExternalId(value.to_owned()),
            _ => return Err(unsupported(&path.to_string(), GROUP_SUPPORTED)),
        };
        out.push(condition);
    }
    Ok(out)
}

fn conjuncts(filter: &Filter) -> Vec<&Filter> {
    match filter {
        Filter::And(left, right) => {
            let mut terms = conjuncts(left);
            terms.extend(conjuncts(right));
            terms
        }
        other => vec![other],
    }
}

fn unsupported(what: &str, supported: &str) -> ScimError {
    ScimError::invalid_filter(format!("filtering on {what} is not supported; {supported}"))
}

/// Returns the path and string value of an `attr eq "value"` term.
fn equality<'a>(
    term: &'a Filter,
    schema: &str,
    supported: &str,
) -> Result<(&'a AttrPath, &'a str), ScimError> {
    match term {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } => {
            if path
                .urn
                .as_deref()
                .is_some_and(|urn| !urn.eq_ignore_ascii_case(schema))
            {
                return Err(unsupported(&path.to_string(), supported));
            }
            let value = value.as_str().ok_or_else(|| {
                ScimError::invalid_filter(format!("{path} must be compared with a string"))
            })?;
            Ok((path, value))
        }
        Filter::Compare { path, .. } => Err(ScimError::invalid_filter(format!(
            "only eq is supported on {path}; {supported}"
        ))),
        Filter::Or(..) => Err(ScimError::invalid_filter(format!(
            "or is not supported; {supported}"
        ))),
        Filter::Not(..) => Err(ScimError::invalid_filter(format!(
            "not is not supported; {supported}"
        ))),
        Filter::Present(path) => Err(ScimError::invalid_filter(format!(
            "pr is not supported on {path}; {supported}"
        ))),
        Filter::ValuePath { path, .. } => Err(unsupported(&path.to_string(), supported)),
        Filter::And(..) => Err(ScimError::invalid_filter(supported.to_owned())),
    }
}

fn user_condition(term: &Filter) -> Result<UserCondition, ScimError> {
    if let Filter::ValuePath { path, filter } = term {
        return email_value_path(path, filter);
    }
    let (path, value) = equality(term, USER_SCHEMA, USER_SUPPORTED)?;
    let name = path.name.to_ascii_lowercase();
    let sub = path.sub_attr.as_deref().map(str::to_ascii_lowercase);
    Ok(match (name.as_str(), sub.as_deref()) {
        ("username", None) => UserCondition::UserNameKey(user_name_key(value)),
        ("externalid", None) => UserCondition::ExternalId(value.to_owned()),
        ("displayname", None) => UserCondition::DisplayNameKey(user_name_key(value)),
        ("emails", Some("value")) => UserCondition::Email {
            type_key: None,
            value_key: user_name_key(value),
        },
        _ => return Err(unsupported(&path.to_string(), USER_SUPPORTED)),
    })
}

/// `emails[type eq "work"].value eq "x"` arrives as a value path whose inner
/// filter is `type eq "work" and value eq "x"` (Entra, Okta).
fn email_value_path(path: &AttrPath, inner: &Filter) -> Result<UserCondition, ScimError> {
    if !path.name.eq_ignore_ascii_case("emails") || path.sub_attr.is_some() {
        return Err(unsupported(&path.to_string(), USER_SUPPORTED));
    }
    let mut type_key = None;
    let mut value_key = None;
    for term in conjuncts(inner) {
        let (sub, value) = equality(term, USER_SCHEMA, USER_SUPPORTED)?;
        let slot = match sub.name.to_ascii_lowercase().as_str() {
            "type" if sub.sub_attr.is_none() => &mut type_key,
            "value" if sub.sub_attr.is_none() => &mut value_key,
            _ => return Err(unsupported(&format!("emails.{sub}"), USER_SUPPORTED)),
        };
        if slot.replace(user_name_key(value)).is_some() {
            return Err(ScimError::invalid_filter(format!(
                "emails.{sub} is given twice"
            )));
        }
    }
    let value_key = value_key.ok_or_else(|| {
        ScimError::invalid_filter(format!(
            "emails[…] needs a value comparison; {USER_SUPPORTED}"
        ))
    })?;
    Ok(UserCondition::Email {
        type_key,
        value_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_the_filters_identity_providers_send() {
        assert_eq!(
            user_conditions("userName eq \"Ann@Example.com\"").unwrap(),
            vec![UserCondition::UserNameKey("ann@example.com".into())]
        );
        assert_eq!(
            user_conditions("externalId eq \"00uA\" and userName EQ \"b\"").unwrap(),
            vec![
                UserCondition::ExternalId("00uA".into()),
                UserCondition::UserNameKey("b".into())
            ]
        );
        assert_eq!(
            user_conditions("emails[type eq \"work\"].value eq \"A@x.io\"").unwrap(),
            vec![UserCondition::Email {
                type_key: Some("work".into()),
                value_key: "a@x.io".into()
            }]
        );
        assert_eq!(
            user_conditions("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"c\"")
                .unwrap(),
            vec![UserCondition::UserNameKey("c".into())]
        );
        assert_eq!(user_conditions("  ").unwrap(), vec![]);
        assert_eq!(
            group_conditions("displayName eq \"Eng\"").unwrap(),
            vec![GroupCondition::DisplayNameKey("eng".into())]
        );
    }

    #[test]
    fn refuses_everything_else_as_invalid_filter() {
        for filter in [
            "userName ne \"a\"",
            "userName eq \"a\" or userName eq \"b\"",
            "not (userName eq \"a\")",
            "title eq \"x\"",
            "userName pr",
            "userName co \"a\"",
            "active eq true",
            "emails[type eq \"work\"].display eq \"x\"",
            "userName eq",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"x\"",
        ] {
            let err = user_conditions(filter).unwrap_err();
            assert_eq!(err.status, 400, "{filter}");
            assert_eq!(
                err.scim_type,
                Some(roster_scim::ScimType::InvalidFilter),
                "{filter}"
            );
        }
        assert!(group_conditions("members[value eq \"x\"]").is_err());
    }
}
