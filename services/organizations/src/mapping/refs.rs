//! Resolves what an admin names in a mapping request: an organization by id or
//! name (the top-level one when empty), roles by id or name, a provider's group
//! by id or displayName. Unknown names are NotFound errors naming
//! the field's value.

use roster_core::{GroupId, OrganizationId, RoleId, user_name_key};
use roster_store::{GroupCondition, GroupRecord, TenantTx};

use crate::OrganizationsError;
use crate::orgs::resolve_organization;

/// Returns the organization `text` names, or the top-level organization when it is empty.
pub async fn organization_or_top(
    tx: &mut TenantTx,
    field: &'static str,
    text: &str,
) -> Result<OrganizationId, OrganizationsError> {
    if text.trim().is_empty() {
        return Ok(OrganizationId::TOP_LEVEL);
    }
    Ok(resolve_organization(tx, field, text).await?.id)
}

/// Returns the roles `texts` name, without duplicates, in the order given.
pub async fn roles(
    tx: &mut TenantTx,
    field: &'static str,
    texts: &[String],
) -> Result<Vec<RoleId>, OrganizationsError> {
    let mut out = Vec::with_capacity(texts.len());
    for text in texts {
        let id = crate::roles::resolve_role(tx, field, text).await?.id;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// Returns the provider's group `text` names (its id, or its displayName in any case; a
/// displayName two groups share must be given by id).
pub async fn group(
    tx: &mut TenantTx,
    provider: roster_core::ProviderId,
    field: &'static str,
    text: &str,
) -> Result<GroupRecord, OrganizationsError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(OrganizationsError::invalid(
            field,
            "name a group by id or displayName",
        ));
    }
    if let Ok(id) = GroupId::parse(text)
        && let Some(group) = tx.group(provider, id, false).await?
    {
        return Ok(group);
    }
    let condition = [GroupCondition::DisplayNameKey(user_name_key(text))];
    let (total, mut groups) = tx.list_groups(provider, &condition, 0, 2).await?;
    match total {
        0 => Err(OrganizationsError::not_found("group", text)),
        1 => groups
            .pop()
            .ok_or_else(|| OrganizationsError::not_found("group", text)),
        _ => Err(OrganizationsError::invalid(
            field,
            format!("{total} groups of this provider are named {text:?}; name the group by id"),
        )),
    }
}
