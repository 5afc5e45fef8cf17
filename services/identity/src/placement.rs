//! Where the identity service asks the mapping service to place a user: when a
//! provider creates it, when it changes the user's mapped attribute, and after
//! it changes a mapped group's members (see `groups.rs`) — always inside the change's own tenant
//! transaction, so a user and its organization and roles commit together.

use roster_core::{GroupId, ProviderId};
use roster_organizations::mapping::place::{Occasion, load_config, place_user};
use roster_organizations::mapping::resolve::{OrgTarget, choose_org, mapped_attribute_changed};
use roster_store::{OrgMethod, TenantTx, UserRecord};

use crate::IdentityError;

/// Places a user the provider just created (or revived). A user no attribute-filter rule
/// matches is refused with a 400 `invalidValue`, and the caller's transaction rolls back.
pub(crate) async fn place_created_user(
    tx: &mut TenantTx,
    provider: ProviderId,
    user: &UserRecord,
) -> Result<(), IdentityError> {
    let config = load_config(tx, provider).await?;
    place_user(tx, &config, user, &[], Occasion::Create).await?;
    Ok(())
}

/// Remaps a user whose document the provider changed, when the change touches what the
/// organization mapping reads; under attribute-filter rules, an update that matches no rule
/// keeps the user where it is and records a sync error.
pub(crate) async fn place_updated_user(
    tx: &mut TenantTx,
    provider: ProviderId,
    before: &UserRecord,
    after: &UserRecord,
    groups: &[(GroupId, String)],
) -> Result<(), IdentityError> {
    let methods = tx.mapping_methods(provider).await?;
    if !matches!(methods.org_method, OrgMethod::Attribute | OrgMethod::Rules) {
        return Ok(());
    }
    let config = load_config(tx, provider).await?;
    let unmatched = methods.org_method == OrgMethod::Rules
        && choose_org(&config, &after.resource, groups).target == OrgTarget::Unmatched;
    if unmatched || mapped_attribute_changed(&config, &before.resource, &after.resource) {
        place_user(tx, &config, after, groups, Occasion::Update).await?;
    }
    Ok(())
}
