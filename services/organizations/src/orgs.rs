//! What admins do to a tenant's organization tree: create, rename, move, list, show, and
//! change an organization's inheritance, own settings and own default roles. Each change is one
//! tenant transaction with its audit entry; a refused request changes nothing.
//!
//! Organizations are named by id or by name ([`resolve_organization`]); the tree rules live in
//! [`crate::tree`] and the name rules in [`crate::naming`].

use roster_core::{OrganizationId, RoleId, TenantId, user_name_key};
use roster_store::{
    NewOrganization, OrganizationRecord, OrganizationSettings, RoleRecord, StoreError, TenantTx,
};
use serde_json::json;

use crate::audit_trail::{Target, record};
use crate::naming::{Name, setting_text};
use crate::roles::resolve_role;
use crate::tree::{TreeEntry, check_move, parents_of, tree_order};
use crate::{Organizations, OrganizationsError};

/// An organization named by id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationLabel {
    /// Id.
    pub id: OrganizationId,
    /// Display name.
    pub name: String,
}

impl From<&OrganizationRecord> for OrganizationLabel {
    fn from(org: &OrganizationRecord) -> Self {
        Self {
            id: org.id,
            name: org.name.clone(),
        }
    }
}

/// One organization with everything an admin looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationView {
    /// The organization with its depth and path.
    pub entry: TreeEntry,
    /// Its parent; `None` for the top-level organization.
    pub parent: Option<OrganizationLabel>,
    /// Its own default roles.
    pub default_roles: Vec<RoleRecord>,
    /// The organization whose own settings are in effect.
    pub effective_from: OrganizationLabel,
    /// The settings in effect.
    pub effective_settings: OrganizationSettings,
    /// The default roles in effect.
    pub effective_default_roles: Vec<RoleRecord>,
    /// How many users it holds.
    pub user_count: i64,
    /// Its direct children, by name.
    pub children: Vec<OrganizationLabel>,
}

/// A change to an organization's settings; `None` keeps a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsChange {
    /// Whether it inherits.
    pub inherits: Option<bool>,
    /// Its own profile; an empty text clears it.
    pub profile: Option<String>,
    /// Its own storage region; an empty text clears it.
    pub storage_region: Option<String>,
    /// Its own per-user quota.
    pub quota_bytes: QuotaChange,
    /// Its own default roles, by id or name, replacing the current ones.
    pub default_roles: Option<Vec<String>>,
}

/// What happens to an organization's own quota.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QuotaChange {
    /// It stays.
    #[default]
    Keep,
    /// It becomes this many bytes (at least 0).
    Set(i64),
    /// It is removed.
    Clear,
}

/// Finds an organization by id (the canonical UUID form) or, failing that, by name regardless
/// of case. `field` names the request field in errors.
pub async fn resolve_organization(
    tx: &mut TenantTx,
    field: &'static str,
    reference: &str,
) -> Result<OrganizationRecord, OrganizationsError> {
    let reference = reference.trim();
    if reference.is_empty() {
        return Err(OrganizationsError::invalid(
            field,
            "name an organization by id or name",
        ));
    }
    if let Ok(id) = OrganizationId::parse(reference)
        && let Some(org) = tx.organization(id).await?
    {
        return Ok(org);
    }
    tx.organization_by_name_key(&user_name_key(reference))
        .await?
        .ok_or_else(|| OrganizationsError::not_found("organization", reference))
}

/// The error for a name another organization holds.
fn name_taken(name: &Name) -> OrganizationsError {
    OrganizationsError::Conflict(format!(
        "an organization named {:?} already exists in this tenant (names ignore case); \
         choose another name",
        name.as_str()
    ))
}

/// Refuses `name` when an organization other than `except` holds its key.
async fn check_name_free(
    tx: &mut TenantTx,
    name: &Name,
    except: Option<OrganizationId>,
) -> Result<(), OrganizationsError> {
    match tx.organization_by_name_key(name.key()).await? {
        Some(holder) if Some(holder.id) != except => Err(name_taken(name)),
        _ => Ok(()),
    }
}

fn conflict_as_name_taken(name: &Name) -> impl FnOnce(StoreError) -> OrganizationsError + '_ {
    move |err| match err {
        StoreError::Conflict { .. } => name_taken(name),
        other => other.into(),
    }
}

fn audit_target(org: &OrganizationRecord) -> Target<'_> {
    Target {
        kind: "organization",
        id: org.id.to_string(),
        name: &org.name,
    }
}

fn settings_json(settings: &OrganizationSettings) -> serde_json::Value {
    json!({
        "profile": settings.profile,
        "storage_region": settings.storage_region,
        "quota_bytes": settings.quota_bytes,
    })
}

/// Returns the catalogue roles among `ids`, by name.
fn roles_named(catalogue: &[RoleRecord], ids: &[RoleId]) -> Vec<RoleRecord> {
    let mut roles: Vec<RoleRecord> = catalogue
        .iter()
        .filter(|role| ids.contains(&role.id))
        .cloned()
        .collect();
    roles.sort_by_cached_key(|role| user_name_key(&role.name));
    roles
}

/// Builds the admin's view of one organization inside `tx`.
pub async fn organization_view(
    tx: &mut TenantTx,
    id: OrganizationId,
) -> Result<OrganizationView, OrganizationsError> {
    let all = tx.organizations().await?;
    let entries = tree_order(all);
    let label_of = |id: OrganizationId| {
        entries
            .iter()
            .find(|e| e.organization.id == id)
            .map(|e| OrganizationLabel::from(&e.organization))
    };
    let entry = entries
        .iter()
        .find(|e| e.organization.id == id)
        .cloned()
        .ok_or_else(|| OrganizationsError::not_found("organization", id))?;
    let parent = entry.organization.parent_id.and_then(label_of);
    let effective = tx.effective_settings(id).await?;
    let effective_from = label_of(effective.from)
        .ok_or_else(|| OrganizationsError::not_found("organization", id))?;
    let children = entries
        .iter()
        .filter(|e| e.organization.parent_id == Some(id))
        .map(|e| OrganizationLabel::from(&e.organization))
        .collect();
    let catalogue = tx.roles().await?;
    Ok(OrganizationView {
        parent,
        default_roles: roles_named(&catalogue, &entry.organization.default_roles),
        effective_from,
        effective_settings: effective.settings,
        effective_default_roles: roles_named(&catalogue, &effective.default_roles),
        user_count: tx.count_users_in_organization(id).await?,
        children,
        entry,
    })
}

impl Organizations {
    /// Creates an organization under `parent` (by id or name; `None`: the top-level
    /// organization). It inherits its parent's settings.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn create_organization(
        &self,
        tenant: TenantId,
        name: &str,
        parent: Option<&str>,
        actor: &str,
    ) -> Result<OrganizationView, OrganizationsError> {
        let name = Name::organization("name", name)?;
        let mut tx = self.store.begin(&tenant).await?;
        let parent = match parent.filter(|p| !p.trim().is_empty()) {
            Some(reference) => resolve_organization(&mut tx, "parent", reference).await?,
            None => tx
                .organization(OrganizationId::TOP_LEVEL)
                .await?
                .ok_or_else(|| OrganizationsError::not_found("organization", "top-level"))?,
        };
        check_name_free(&mut tx, &name, None).await?;
        let created = tx
            .insert_organization(&NewOrganization {
                id: OrganizationId::generate(),
                name: name.as_str().to_owned(),
                name_key: name.key().to_owned(),
                parent_id: parent.id,
            })
            .await
            .map_err(conflict_as_name_taken(&name))?;
        record(
            &mut tx,
            actor,
            "organization created",
            audit_target(&created),
            json!({"parent_id": parent.id.to_string(), "parent": parent.name}),
        )
        .await?;
        let view = organization_view(&mut tx, created.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Renames an organization (by id or name).
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn rename_organization(
        &self,
        tenant: TenantId,
        organization: &str,
        name: &str,
        actor: &str,
    ) -> Result<OrganizationView, OrganizationsError> {
        let name = Name::organization("name", name)?;
        let mut tx = self.store.begin(&tenant).await?;
        let org = resolve_organization(&mut tx, "organization", organization).await?;
        check_name_free(&mut tx, &name, Some(org.id)).await?;
        if !tx
            .rename_organization(org.id, name.as_str(), name.key())
            .await
            .map_err(conflict_as_name_taken(&name))?
        {
            return Err(OrganizationsError::not_found("organization", organization));
        }
        record(
            &mut tx,
            actor,
            "organization renamed",
            Target {
                kind: "organization",
                id: org.id.to_string(),
                name: name.as_str(),
            },
            json!({"old_name": org.name, "new_name": name.as_str()}),
        )
        .await?;
        let view = organization_view(&mut tx, org.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Moves an organization (by id or name) under `parent`. Refused for the top-level
    /// organization and for a parent that is the organization or one of its descendants.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn move_organization(
        &self,
        tenant: TenantId,
        organization: &str,
        parent: &str,
        actor: &str,
    ) -> Result<OrganizationView, OrganizationsError> {
        let mut tx = self.store.begin(&tenant).await?;
        tx.lock_organization_tree().await?;
        let org = resolve_organization(&mut tx, "organization", organization).await?;
        let parent = resolve_organization(&mut tx, "parent", parent).await?;
        let parents = parents_of(&tx.organizations().await?);
        check_move(org.id, &org.name, parent.id, &parents)?;
        if !tx.move_organization(org.id, parent.id).await? {
            return Err(OrganizationsError::not_found("organization", organization));
        }
        record(
            &mut tx,
            actor,
            "organization moved",
            audit_target(&org),
            json!({
                "old_parent_id": org.parent_id.map(|p| p.to_string()),
                "new_parent_id": parent.id.to_string(),
                "new_parent": parent.name,
            }),
        )
        .await?;
        let view = organization_view(&mut tx, org.id).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Lists every organization in tree order.
    pub async fn list_organizations(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<TreeEntry>, OrganizationsError> {
        let mut tx = self.store.begin(&tenant).await?;
        Ok(tree_order(tx.organizations().await?))
    }

    /// Returns one organization (by id or name) with its effective settings.
    pub async fn organization(
        &self,
        tenant: TenantId,
        organization: &str,
    ) -> Result<OrganizationView, OrganizationsError> {
        let mut tx = self.store.begin(&tenant).await?;
        let org = resolve_organization(&mut tx, "organization", organization).await?;
        organization_view(&mut tx, org.id).await
    }

    /// Changes an organization's inheritance, own settings and own default roles.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    pub async fn set_organization_settings(
        &self,
        tenant: TenantId,
        organization: &str,
        change: &SettingsChange,
        actor: &str,
    ) -> Result<OrganizationView, OrganizationsError> {
        let profile = change
            .profile
            .as_deref()
            .map(|text| setting_text("profile", text))
            .transpose()?;
        let storage_region = change
            .storage_region
            .as_deref()
            .map(|text| setting_text("storage_region", text))
            .transpose()?;
        if let QuotaChange::Set(bytes) = change.quota_bytes
            && bytes < 0
        {
            return Err(OrganizationsError::invalid(
                "quota_bytes",
                format!("quota must be at least 0 bytes, got {bytes}"),
            ));
        }
        let mut tx = self.store.begin(&tenant).await?;
        let org = resolve_organization(&mut tx, "organization", organization).await?;
        let inherits = change.inherits.unwrap_or(org.inherits);
        if inherits && org.parent_id.is_none() {
            return Err(OrganizationsError::PreconditionFailed(
                "the top-level organization has no parent to inherit from".to_owned(),
            ));
        }
        let before = org.settings.clone();
        let settings = OrganizationSettings {
            profile: profile.unwrap_or(before.profile.clone()),
            storage_region: storage_region.unwrap_or(before.storage_region.clone()),
            quota_bytes: match change.quota_bytes {
                QuotaChange::Keep => before.quota_bytes,
                QuotaChange::Set(bytes) => Some(bytes),
                QuotaChange::Clear => None,
            },
        };
        let mut details = json!({
            "inherits": {"old": org.inherits, "new": inherits},
            "settings": {"old": settings_json(&before), "new": settings_json(&settings)},
        });
        if let Some(references) = &change.default_roles {
            let mut roles = Vec::with_capacity(references.len());
            for reference in references {
                let role = resolve_role(&mut tx, "default_roles", reference).await?;
                if !roles.iter().any(|r: &RoleRecord| r.id == role.id) {
                    roles.push(role);
                }
            }
            let ids: Vec<RoleId> = roles.iter().map(|r| r.id).collect();
            tx.set_organization_default_roles(org.id, &ids).await?;
            let catalogue = tx.roles().await?;
            let old: Vec<String> = roles_named(&catalogue, &org.default_roles)
                .into_iter()
                .map(|r| r.name)
                .collect();
            let new: Vec<String> = roles.into_iter().map(|r| r.name).collect();
            details["default_roles"] = json!({"old": old, "new": new});
        }
        if !tx
            .set_organization_settings(org.id, inherits, &settings)
            .await?
        {
            return Err(OrganizationsError::not_found("organization", organization));
        }
        record(
            &mut tx,
            actor,
            "organization settings changed",
            audit_target(&org),
            details,
        )
        .await?;
        let view = organization_view(&mut tx, org.id).await?;
        tx.commit().await?;
        Ok(view)
    }
}
