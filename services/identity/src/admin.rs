//! What tenant admins do to users, outside SCIM: list by state and facts, block,
//! unblock, deactivate, reactivate, legal hold, hard delete, local users, provider
//! delays, and the sign-in answer internal services ask for. Each operation is one
//! tenant transaction with its audit entries (and sync-log entries where a
//! provider's earlier request is what takes effect).

use roster_core::{ProviderId, TenantId, UserId, user_name_key};
use roster_scim::ScimError;
use roster_scim::resource::normalize;
use roster_scim::schema::ResourceKind;
use roster_store::{
    AdminUserFilter, LOCAL_PROVIDER, ProviderSettings, Requester, StoreError, TenantTx, UserRecord,
    UserState,
};
use serde_json::{Value as Json, json};

use crate::apply::{Actor, apply_plan, audit};
use crate::lifecycle::{Command, check_delay, plan};
use crate::users::{index, user_name_taken};
use crate::{Identity, IdentityError, Scope};

/// An admin's lifecycle action on one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminAction {
    /// Block (sign-in refused; nothing scheduled).
    Block,
    /// Unblock, cancelling a pending deactivation.
    Unblock,
    /// Deactivate at once (under legal hold: block, and the deactivation waits).
    Deactivate,
    /// Reactivate.
    Reactivate,
    /// Place on legal hold.
    SetLegalHold,
    /// Release the legal hold (a waiting deactivation runs now).
    ReleaseLegalHold,
}

/// A local user's attributes, as an admin gives them.
#[derive(Debug, Clone, Default)]
pub struct LocalUser {
    /// userName.
    pub user_name: String,
    /// displayName.
    pub display_name: Option<String>,
    /// E-mail addresses; the first is primary.
    pub emails: Vec<String>,
}

fn invalid(detail: impl Into<String>) -> IdentityError {
    IdentityError::Scim(ScimError::invalid_value(detail))
}

impl Identity {
    /// Finds a user by id or, failing that, by userName (the live holder of the name).
    pub async fn find_user(
        &self,
        tx: &mut TenantTx,
        user: &str,
        for_update: bool,
    ) -> Result<UserRecord, IdentityError> {
        let found = match UserId::parse(user) {
            Ok(id) => tx.user_for_admin(id, for_update).await?,
            Err(_) => {
                tx.user_holding_name(&user_name_key(user), for_update)
                    .await?
            }
        };
        found.ok_or_else(|| IdentityError::not_found("User", user))
    }

    /// Lists a tenant's users matching `filter`: (total, page).
    pub async fn admin_list_users(
        &self,
        tenant: TenantId,
        filter: &AdminUserFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<UserRecord>), IdentityError> {
        let mut tx = self.store.begin(&tenant).await?;
        Ok(tx
            .admin_list_users(filter, offset.max(0), limit.clamp(0, 1000))
            .await?)
    }

    /// Returns one user by id or userName.
    pub async fn admin_get_user(
        &self,
        tenant: TenantId,
        user: &str,
    ) -> Result<UserRecord, IdentityError> {
        let mut tx = self.store.begin(&tenant).await?;
        self.find_user(&mut tx, user, false).await
    }

    /// Returns whether a user may sign in (only `active` users may), with the user.
    pub async fn may_sign_in(
        &self,
        tenant: TenantId,
        user: &str,
    ) -> Result<(bool, UserRecord), IdentityError> {
        let user = self.admin_get_user(tenant, user).await?;
        Ok((user.lifecycle.state == UserState::Active, user))
    }

    /// Applies an admin's lifecycle action to a user and returns it as now stored.
    #[tracing::instrument(skip_all, fields(tenant = %tenant, action = ?action))]
    pub async fn admin_act(
        &self,
        tenant: TenantId,
        user: &str,
        action: AdminAction,
        actor: &Actor,
    ) -> Result<UserRecord, IdentityError> {
        let mut tx = self.store.begin(&tenant).await?;
        let current = self.find_user(&mut tx, user, true).await?;
        let command = match action {
            AdminAction::Block => Command::AdminBlock,
            AdminAction::Unblock => Command::AdminUnblock,
            AdminAction::Deactivate => Command::AdminDeactivate,
            AdminAction::Reactivate => Command::AdminReactivate,
            AdminAction::SetLegalHold => Command::SetLegalHold,
            AdminAction::ReleaseLegalHold => Command::ReleaseLegalHold {
                now: tx.tenant_now().await?,
            },
        };
        let plan = plan(&current.lifecycle, command, 0)?;
        // A waiting deactivation that the provider asked for is the provider's change when the
        // release lets it happen: it belongs in the sync log too.
        let provider_caused = action == AdminAction::ReleaseLegalHold
            && current.lifecycle.deactivation_requested_by == Some(Requester::Provider)
            && !current.is_local();
        let sync = provider_caused.then_some(current.provider_id);
        let applied = apply_plan(&mut tx, current, &plan, actor, sync).await?;
        tx.commit().await?;
        Ok(applied.user)
    }

    /// Deletes a user for good. Refused for a user on legal hold.
    pub async fn admin_delete_user(
        &self,
        tenant: TenantId,
        user: &str,
        actor: &Actor,
    ) -> Result<(), IdentityError> {
        let mut tx = self.store.begin(&tenant).await?;
        let current = self.find_user(&mut tx, user, true).await?;
        if current.lifecycle.legal_hold {
            return Err(IdentityError::Scim(ScimError::new(
                412,
                None,
                format!("user {} is on legal hold and cannot be deleted", current.id),
            )));
        }
        tx.cancel_live_jobs(&crate::apply::deactivation_key(current.id))
            .await?;
        audit(
            &mut tx,
            actor,
            "user deleted",
            &current,
            json!({"local": current.is_local()}),
        )
        .await?;
        if !tx.hard_delete_user(current.id).await? {
            return Err(IdentityError::not_found("User", user));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Creates a local user: managed only by admins, never through SCIM.
    pub async fn create_local_user(
        &self,
        tenant: TenantId,
        user: &LocalUser,
        actor: &Actor,
    ) -> Result<UserRecord, IdentityError> {
        let new = index(normalize(ResourceKind::User, local_document(user)?)?)?;
        let mut tx = self.store.begin(&tenant).await?;
        if tx
            .user_holding_name(&new.user_name_key, false)
            .await?
            .is_some()
        {
            return Err(IdentityError::Scim(ScimError::uniqueness(
                "userName is already in use in this tenant",
            )));
        }
        let local = ProviderId::from_uuid(LOCAL_PROVIDER);
        let record = tx
            .insert_user(local, UserId::generate(), &new)
            .await
            .map_err(|err| match err {
                StoreError::Conflict { .. } => user_name_taken(),
                other => other.into(),
            })?;
        audit(&mut tx, actor, "local user created", &record, json!({})).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Replaces a local user's attributes.
    pub async fn update_local_user(
        &self,
        tenant: TenantId,
        user: &str,
        attributes: &LocalUser,
        actor: &Actor,
    ) -> Result<UserRecord, IdentityError> {
        let mut tx = self.store.begin(&tenant).await?;
        let current = self.find_user(&mut tx, user, true).await?;
        if !current.is_local() {
            return Err(IdentityError::Scim(ScimError::new(
                412,
                None,
                format!(
                    "user {} is provisioned by a provider; change it in the identity provider",
                    current.id
                ),
            )));
        }
        let mut doc = normalize(ResourceKind::User, local_document(attributes)?)?;
        if let (Some(obj), Some(active)) = (doc.as_object_mut(), current.resource.get("active")) {
            obj.insert("active".to_owned(), active.clone());
        }
        let new = index(doc)?;
        self.check_name_free(&mut tx, &new.user_name_key, Some(current.id))
            .await?;
        let record = tx
            .update_user(current.provider_id, current.id, &new)
            .await?;
        let changes =
            roster_scim::diff::attribute_changes(Some(&current.resource), &record.resource);
        let attributes: Vec<&str> = changes.iter().map(|c| c.attribute.as_str()).collect();
        audit(
            &mut tx,
            actor,
            "local user updated",
            &record,
            json!({"attributes": attributes}),
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Returns a provider's settings kept with the tenant (created with defaults on first use).
    pub async fn provider_settings_of(
        &self,
        scope: Scope,
    ) -> Result<ProviderSettings, IdentityError> {
        self.require_provider(scope).await?;
        let (tx, settings) = self.begin_with_settings(scope).await?;
        tx.commit().await?;
        Ok(settings)
    }

    /// Sets a provider's deactivation delay: 0 to 90 days, to the second.
    pub async fn set_deactivation_delay(
        &self,
        scope: Scope,
        secs: i64,
        actor: &Actor,
    ) -> Result<ProviderSettings, IdentityError> {
        check_delay(secs).map_err(invalid)?;
        self.require_provider(scope).await?;
        let (mut tx, before) = self.begin_with_settings(scope).await?;
        tx.set_deactivation_delay(scope.provider, secs).await?;
        tx.append_audit(&roster_store::AuditEntry {
            id: uuid::Uuid::now_v7(),
            actor_kind: actor.kind,
            actor: actor.name.clone(),
            event: "settings changed".to_owned(),
            target_kind: Some("provider".to_owned()),
            target_id: Some(scope.provider.to_string()),
            target_name: Some(before.username.clone()),
            details: json!({
                "setting": "deactivation_delay_secs",
                "old": before.deactivation_delay_secs,
                "new": secs,
            }),
        })
        .await?;
        let after = tx
            .provider_settings(scope.provider)
            .await?
            .ok_or_else(|| StoreError::internal("provider settings vanished"))?;
        tx.commit().await?;
        Ok(after)
    }

    async fn require_provider(&self, scope: Scope) -> Result<(), IdentityError> {
        match self.store.provider(scope.tenant, scope.provider).await? {
            Some(_) => Ok(()),
            None => Err(IdentityError::not_found(
                "Provider",
                &scope.provider.to_string(),
            )),
        }
    }
}

/// Builds the SCIM document of a local user.
fn local_document(user: &LocalUser) -> Result<Json, IdentityError> {
    if user.user_name.trim().is_empty() {
        return Err(invalid("userName is required"));
    }
    let mut doc = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user.user_name,
        "active": true,
    });
    if let Some(name) = &user.display_name {
        doc["displayName"] = Json::String(name.clone());
    }
    if !user.emails.is_empty() {
        doc["emails"] = Json::Array(
            user.emails
                .iter()
                .enumerate()
                .map(|(i, e)| json!({"value": e, "primary": i == 0}))
                .collect(),
        );
    }
    Ok(doc)
}
