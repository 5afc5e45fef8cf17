//! Users: create, read, list, replace, patch, delete — each one tenant transaction.

use std::time::Duration;

use roster_core::{GroupId, UserId, user_name_key};
use roster_scim::ScimError;
use roster_scim::diff::attribute_changes;
use roster_scim::patch::{PatchOperation, apply};
use roster_scim::resource::normalize;
use roster_scim::schema::ResourceKind;
use roster_store::{NewUser, ProviderSettings, StoreError, TenantTx, UserRecord};
use serde_json::{Value as Json, json};

use crate::apply::{Actor, apply_plan, audit, record_attribute_changes};
use crate::filter::user_conditions;
use crate::lifecycle::{Command, plan};
use crate::placement::{place_created_user, place_updated_user};
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
pub(crate) fn index(doc: Json) -> Result<NewUser, ScimError> {
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
pub(crate) fn user_name_taken() -> IdentityError {
    IdentityError::Scim(ScimError::uniqueness(
        "userName is already in use in this tenant",
    ))
}

/// The refusal of a provider's write to a local user.
fn local_user_refused(id: &str) -> IdentityError {
    IdentityError::Scim(ScimError::new(
        403,
        None,
        format!(
            "User {id} is a local user; local users are managed only by administrators, not through SCIM"
        ),
    ))
}

/// What the provider asserts about `active` in a canonical document (absent: active).
fn asserted_active(doc: &Json) -> bool {
    doc.get("active").and_then(Json::as_bool).unwrap_or(true)
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

    /// Begins a tenant transaction for a provider's write, with the provider's settings. On
    /// the provider's first write the settings row is created, in this transaction, from the
    /// control record, which is read while no tenant transaction is open: with a pool of one
    /// connection, reading it from inside one would wait for itself.
    pub(crate) async fn begin_with_settings(
        &self,
        scope: Scope,
    ) -> Result<(TenantTx, ProviderSettings), IdentityError> {
        let mut tx = self.store.begin(&scope.tenant).await?;
        if let Some(settings) = tx.provider_settings(scope.provider).await? {
            return Ok((tx, settings));
        }
        drop(tx);
        let username = self
            .store
            .provider(scope.tenant, scope.provider)
            .await?
            .map_or_else(|| scope.provider.to_string(), |p| p.username);
        let mut tx = self.store.begin(&scope.tenant).await?;
        tx.ensure_provider_settings(scope.provider, &username)
            .await?;
        let settings = tx
            .provider_settings(scope.provider)
            .await?
            .ok_or_else(|| StoreError::internal("provider settings vanished"))?;
        Ok((tx, settings))
    }

    /// Commits a provider's write, then hints the job workers about a scheduled deactivation.
    async fn commit_provider_write(
        &self,
        mut tx: TenantTx,
        scope: Scope,
        scheduled_in_secs: Option<i64>,
    ) -> Result<(), IdentityError> {
        tx.note_provider_success(scope.provider).await?;
        tx.commit().await?;
        if let Some(secs) = scheduled_in_secs {
            self.hint_job_due(scope.tenant, secs).await;
        }
        Ok(())
    }

    /// Tells the job workers a tenant has a job due in `secs`. A lost hint is repaired by
    /// the workers' sweep, so a failure here is logged, not returned.
    pub(crate) async fn hint_job_due(&self, tenant: roster_core::TenantId, secs: i64) {
        let delay = Duration::from_secs(u64::try_from(secs).unwrap_or(0));
        if let Err(err) = self.store.note_job_due(&tenant, delay).await {
            tracing::warn!(error = %err, "could not record the next-due hint; the sweep will");
        }
        self.jobs_due.notify_one();
    }

    /// Returns one of the provider's live users, locked; 403 for a local user's id.
    async fn provider_user(
        &self,
        tx: &mut TenantTx,
        scope: Scope,
        id: &str,
    ) -> Result<UserRecord, IdentityError> {
        let user_id = parse_id(id)?;
        if let Some(user) = tx.user(scope.provider, user_id, true).await? {
            return Ok(user);
        }
        match tx.user_for_admin(user_id, false).await? {
            Some(other) if other.is_local() => Err(local_user_refused(id)),
            _ => Err(IdentityError::not_found("User", id)),
        }
    }

    /// Creates a user from a SCIM document. When the provider deleted a user with the same
    /// userName or externalId that is not deactivated yet, that user is revived instead (an
    /// IdP scope flap must not cost a user their data). 409 uniqueness when the userName is
    /// taken, naming a local user as such.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn create_user(&self, scope: Scope, doc: Json) -> Result<UserView, IdentityError> {
        let new = index(normalize(ResourceKind::User, doc)?)?;
        let active = asserted_active(&new.resource);
        let (mut tx, settings) = self.begin_with_settings(scope).await?;
        let actor = Actor::provider(&settings.username);
        let delay = settings.deactivation_delay_secs;
        let revivable = tx
            .revivable_user(
                scope.provider,
                &new.user_name_key,
                new.external_id.as_deref(),
            )
            .await?;
        if let Some(dead) = revivable {
            if dead.resource.get("userName") != new.resource.get("userName") {
                self.check_name_free(&mut tx, &new.user_name_key, Some(dead.id))
                    .await?;
            }
            let record = tx
                .update_user(scope.provider, dead.id, &new)
                .await
                .map_err(map_write)?;
            let changes = attribute_changes(Some(&dead.resource), &record.resource);
            let plan = plan(
                &record.lifecycle,
                Command::ProviderRevives { active },
                delay,
            )?;
            let applied = apply_plan(&mut tx, record, &plan, &actor, Some(scope.provider)).await?;
            self.record_changes(&mut tx, scope, &actor, &applied.user, "updated", &changes)
                .await?;
            place_created_user(&mut tx, scope.provider, &applied.user).await?;
            let view = self.view(&mut tx, applied.user).await?;
            self.commit_provider_write(tx, scope, applied.scheduled_in_secs)
                .await?;
            tracing::info!(user = %view.record.id, "user revived");
            return Ok(view);
        }
        self.check_name_free(&mut tx, &new.user_name_key, None)
            .await?;
        let record = tx
            .insert_user(scope.provider, UserId::generate(), &new)
            .await
            .map_err(map_write)?;
        let changes = attribute_changes(None, &record.resource);
        record_attribute_changes(&mut tx, scope.provider, &record, "created", &changes).await?;
        audit(
            &mut tx,
            &actor,
            "user added",
            &record,
            json!({"active": active}),
        )
        .await?;
        let plan = plan(
            &record.lifecycle,
            Command::ProviderAsserts { active },
            delay,
        )?;
        let applied = apply_plan(&mut tx, record, &plan, &actor, Some(scope.provider)).await?;
        place_created_user(&mut tx, scope.provider, &applied.user).await?;
        self.commit_provider_write(tx, scope, applied.scheduled_in_secs)
            .await?;
        tracing::info!(user = %applied.user.id, "user created");
        Ok(UserView {
            record: applied.user,
            groups: Vec::new(),
        })
    }

    /// Refuses a userName that a live user other than `except` holds; a local user's is
    /// named as such.
    pub(crate) async fn check_name_free(
        &self,
        tx: &mut TenantTx,
        key: &str,
        except: Option<UserId>,
    ) -> Result<(), IdentityError> {
        match tx.user_holding_name(key, false).await? {
            Some(holder) if Some(holder.id) == except => Ok(()),
            None => Ok(()),
            Some(holder) if holder.is_local() => Err(IdentityError::Scim(ScimError::uniqueness(
                "userName belongs to a local user, which only administrators manage",
            ))),
            Some(_) => Err(user_name_taken()),
        }
    }

    /// Records a provider's attribute changes: sync-log entries and one audit entry.
    async fn record_changes(
        &self,
        tx: &mut TenantTx,
        scope: Scope,
        actor: &Actor,
        user: &UserRecord,
        change_type: &str,
        changes: &[roster_scim::diff::AttributeChange],
    ) -> Result<(), IdentityError> {
        if changes.is_empty() {
            return Ok(());
        }
        record_attribute_changes(tx, scope.provider, user, change_type, changes).await?;
        let attributes: Vec<&str> = changes.iter().map(|c| c.attribute.as_str()).collect();
        audit(
            tx,
            actor,
            "external attribute change",
            user,
            json!({"attributes": attributes}),
        )
        .await
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
        let mut doc = normalize(ResourceKind::User, doc)?;
        let (mut tx, settings) = self.begin_with_settings(scope).await?;
        let current = self.provider_user(&mut tx, scope, id).await?;
        if let (Some(obj), Some(active)) = (doc.as_object_mut(), current.resource.get("active")) {
            obj.entry("active").or_insert_with(|| active.clone());
        }
        self.write_user(tx, scope, &settings, current, doc).await
    }

    /// Applies PATCH operations to a user, all or nothing.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn patch_user(
        &self,
        scope: Scope,
        id: &str,
        ops: &[PatchOperation],
    ) -> Result<UserView, IdentityError> {
        let (mut tx, settings) = self.begin_with_settings(scope).await?;
        let current = self.provider_user(&mut tx, scope, id).await?;
        let mut doc = current.resource.clone();
        apply(ResourceKind::User, &mut doc, ops)?;
        self.write_user(tx, scope, &settings, current, doc).await
    }

    /// Writes a provider's new version of a user. A write that changes nothing is no
    /// change: it neither logs nor clears an admin's override.
    async fn write_user(
        &self,
        mut tx: TenantTx,
        scope: Scope,
        settings: &ProviderSettings,
        current: UserRecord,
        doc: Json,
    ) -> Result<UserView, IdentityError> {
        if doc == current.resource {
            return self.view(&mut tx, current).await;
        }
        let new = index(doc)?;
        if current.resource.get("userName") != new.resource.get("userName") {
            self.check_name_free(&mut tx, &new.user_name_key, Some(current.id))
                .await?;
        }
        let actor = Actor::provider(&settings.username);
        let record = tx
            .update_user(scope.provider, current.id, &new)
            .await
            .map_err(map_write)?;
        let changes = attribute_changes(Some(&current.resource), &record.resource);
        self.record_changes(&mut tx, scope, &actor, &record, "updated", &changes)
            .await?;
        let active = asserted_active(&record.resource);
        let command = Command::ProviderAsserts { active };
        let plan = plan(&record.lifecycle, command, settings.deactivation_delay_secs)?;
        let applied = apply_plan(&mut tx, record, &plan, &actor, Some(scope.provider)).await?;
        let view = self.view(&mut tx, applied.user).await?;
        place_updated_user(
            &mut tx,
            scope.provider,
            &current,
            &view.record,
            &view.groups,
        )
        .await?;
        self.commit_provider_write(tx, scope, applied.scheduled_in_secs)
            .await?;
        tracing::info!(user = %view.record.id, "user updated");
        Ok(view)
    }

    /// Deletes one of the provider's users: it leaves SCIM (404, absent from lists and
    /// groups) at once, is blocked, and is deactivated after the provider's delay; its
    /// record stays with the tenant.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn delete_user(&self, scope: Scope, id: &str) -> Result<(), IdentityError> {
        let (mut tx, settings) = self.begin_with_settings(scope).await?;
        let current = self.provider_user(&mut tx, scope, id).await?;
        let actor = Actor::provider(&settings.username);
        let delay = settings.deactivation_delay_secs;
        let plan = plan(&current.lifecycle, Command::ProviderDeletes, delay)?;
        let user_id = current.id;
        let applied = apply_plan(&mut tx, current, &plan, &actor, Some(scope.provider)).await?;
        tx.remove_user_from_groups(user_id).await?;
        self.commit_provider_write(tx, scope, applied.scheduled_in_secs)
            .await?;
        tracing::info!(user = %user_id, "user deleted by provider");
        Ok(())
    }
}
