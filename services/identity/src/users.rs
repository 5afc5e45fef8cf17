//! Users: create, read, list, replace, patch, delete — each one tenant transaction.

use roster_core::{GroupId, UserId, user_name_key};
use roster_scim::ScimError;
use roster_scim::patch::{PatchOperation, apply};
use roster_scim::resource::normalize;
use roster_scim::schema::ResourceKind;
use roster_store::{NewUser, StoreError, TenantTx, UserRecord};
use serde_json::Value as Json;

use crate::filter::user_conditions;
use crate::{Identity, IdentityError, Page, Scope};

/// A user as returned to callers: the stored record and its groups.
#[derive(Debug, Clone)]
pub struct UserView {
    /// The stored record.
    pub record: UserRecord,
    /// The groups it is a direct member of: (id, displayName).
    pub groups: Vec<(GroupId, String)>,
}

/// Computes the indexed facts of a canonical User document.
fn index(doc: Json) -> Result<NewUser, ScimError> {
    let user_name = doc
        .get("userName")
        .and_then(Json::as_str)
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| ScimError::invalid_value("userName is required"))?
        .to_owned();
    let emails = doc
        .get("emails")
        .and_then(Json::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|e| {
                    let value = e.get("value")?.as_str()?;
                    let kind = e.get("type").and_then(Json::as_str).map(user_name_key);
                    Some((kind, user_name_key(value)))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(NewUser {
        user_name_key: user_name_key(&user_name),
        user_name,
        external_id: doc
            .get("externalId")
            .and_then(Json::as_str)
            .map(str::to_owned),
        display_name_key: doc
            .get("displayName")
            .and_then(Json::as_str)
            .map(user_name_key),
        emails,
        resource: doc,
    })
}

/// The 409 for a taken userName. It names nothing about the other account:
/// not its id, not its provider, not even whether it is visible to the caller.
fn user_name_taken() -> IdentityError {
    IdentityError::Scim(ScimError::uniqueness(
        "userName is already in use in this tenant",
    ))
}

fn map_write(err: StoreError) -> IdentityError {
    match err {
        StoreError::Conflict { .. } => user_name_taken(),
        other => other.into(),
    }
}

fn parse_id(id: &str) -> Result<UserId, IdentityError> {
    UserId::parse(id).map_err(|_| IdentityError::not_found("User", id))
}

impl Identity {
    async fn view(&self, tx: &mut TenantTx, record: UserRecord) -> Result<UserView, IdentityError> {
        let groups = tx
            .groups_of_users(&[record.id])
            .await?
            .into_iter()
            .map(|(_, g, name)| (g, name))
            .collect();
        Ok(UserView { record, groups })
    }

    /// Creates a user from a SCIM document. 409 uniqueness when the userName is taken.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn create_user(&self, scope: Scope, doc: Json) -> Result<UserView, IdentityError> {
        let new = index(normalize(ResourceKind::User, doc)?)?;
        let mut tx = self.store.begin(&scope.tenant).await?;
        let record = tx
            .insert_user(scope.provider, UserId::generate(), &new)
            .await
            .map_err(map_write)?;
        tx.commit().await?;
        tracing::info!(user = %record.id, "user created");
        Ok(UserView {
            record,
            groups: Vec::new(),
        })
    }

    /// Returns one of the provider's users.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn get_user(&self, scope: Scope, id: &str) -> Result<UserView, IdentityError> {
        let user_id = parse_id(id)?;
        let mut tx = self.store.begin(&scope.tenant).await?;
        let record = tx
            .user(scope.provider, user_id, false)
            .await?
            .ok_or_else(|| IdentityError::not_found("User", id))?;
        self.view(&mut tx, record).await
    }

    /// Lists the provider's users matching a filter: (totalResults, page).
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn list_users(
        &self,
        scope: Scope,
        filter: &str,
        page: Page,
    ) -> Result<(i64, Vec<UserView>), IdentityError> {
        let conditions = user_conditions(filter)?;
        let (offset, limit) = page.offset_limit();
        let mut tx = self.store.begin(&scope.tenant).await?;
        let (total, records) = tx
            .list_users(scope.provider, &conditions, offset, limit)
            .await?;
        let ids: Vec<UserId> = records.iter().map(|r| r.id).collect();
        let memberships = if ids.is_empty() {
            Vec::new()
        } else {
            tx.groups_of_users(&ids).await?
        };
        let views = records
            .into_iter()
            .map(|record| {
                let groups = memberships
                    .iter()
                    .filter(|(u, _, _)| *u == record.id)
                    .map(|(_, g, name)| (*g, name.clone()))
                    .collect();
                UserView { record, groups }
            })
            .collect();
        Ok((total, views))
    }

    /// Replaces a user's attributes (SCIM PUT). A replacement that omits
    /// `active` keeps the current value: Okta's PUT does not mean "deactivate".
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn replace_user(
        &self,
        scope: Scope,
        id: &str,
        doc: Json,
    ) -> Result<UserView, IdentityError> {
        let user_id = parse_id(id)?;
        let mut doc = normalize(ResourceKind::User, doc)?;
        let mut tx = self.store.begin(&scope.tenant).await?;
        let current = tx
            .user(scope.provider, user_id, true)
            .await?
            .ok_or_else(|| IdentityError::not_found("User", id))?;
        if let (Some(obj), Some(active)) = (doc.as_object_mut(), current.resource.get("active")) {
            obj.entry("active").or_insert_with(|| active.clone());
        }
        self.write_user(tx, scope, current, doc).await
    }

    /// Applies PATCH operations to a user, all or nothing.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn patch_user(
        &self,
        scope: Scope,
        id: &str,
        ops: &[PatchOperation],
    ) -> Result<UserView, IdentityError> {
        let user_id = parse_id(id)?;
        let mut tx = self.store.begin(&scope.tenant).await?;
        let current = tx
            .user(scope.provider, user_id, true)
            .await?
            .ok_or_else(|| IdentityError::not_found("User", id))?;
        let mut doc = current.resource.clone();
        apply(ResourceKind::User, &mut doc, ops)?;
        self.write_user(tx, scope, current, doc).await
    }

    async fn write_user(
        &self,
        mut tx: TenantTx,
        scope: Scope,
        current: UserRecord,
        doc: Json,
    ) -> Result<UserView, IdentityError> {
        if doc == current.resource {
            return self.view(&mut tx, current).await;
        }
        let new = index(doc)?;
        let record = tx
            .update_user(scope.provider, current.id, &new)
            .await
            .map_err(map_write)?;
        let view = self.view(&mut tx, record).await?;
        tx.commit().await?;
        tracing::info!(user = %view.record.id, "user updated");
        Ok(view)
    }

    /// Deletes one of the provider's users.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn delete_user(&self, scope: Scope, id: &str) -> Result<(), IdentityError> {
        let user_id = parse_id(id)?;
        let mut tx = self.store.begin(&scope.tenant).await?;
        if !tx.delete_user(scope.provider, user_id).await? {
            return Err(IdentityError::not_found("User", id));
        }
        tx.commit().await?;
        tracing::info!(user = %user_id, "user deleted");
        Ok(())
    }
}
