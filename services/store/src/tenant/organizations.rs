//! The tenant's organization tree: organizations with their parents, own
//! settings and own default roles, and the inheritance walk that gives each
//! organization its effective settings. The roles catalogue is in [`super::roles`].
//!
//! Names are stored beside a case-folded key (`roster_core::user_name_key`),
//! uniquely indexed, so "Sales" and "SALES" are one name on both backends.
//! Validation (name length, cycles) is the organizations service's job.

use roster_core::{OrganizationId, RoleId};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, TenantTx};
use crate::StoreError;

/// The longest chain of parents the inheritance walk follows; the tree is kept acyclic by
/// the service, so this only stops a corrupted tree from looping.
const MAX_DEPTH: usize = 1_000;

/// One organization as stored, with its own default roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRecord {
    /// Id.
    pub id: OrganizationId,
    /// Display name (3–220 characters).
    pub name: String,
    /// Its parent; `None` only for the top-level organization.
    pub parent_id: Option<OrganizationId>,
    /// Whether it takes its parent's settings instead of its own.
    pub inherits: bool,
    /// Its own settings (used when it does not inherit).
    pub settings: OrganizationSettings,
    /// Its own default roles (used when it does not inherit).
    pub default_roles: Vec<RoleId>,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: OffsetDateTime,
}

/// The settings an organization passes to its users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationSettings {
    /// Backup profile.
    pub profile: Option<String>,
    /// Storage region.
    pub storage_region: Option<String>,
    /// Per-user quota in bytes.
    pub quota_bytes: Option<i64>,
}

/// An organization's settings after inheritance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveSettings {
    /// The organization whose own settings these are (itself, or the nearest ancestor that
    /// does not inherit).
    pub from: OrganizationId,
    /// Its settings.
    pub settings: OrganizationSettings,
    /// Its default roles.
    pub default_roles: Vec<RoleId>,
}

/// A new organization: it inherits from its parent until told otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrganization {
    /// Id.
    pub id: OrganizationId,
    /// Display name.
    pub name: String,
    /// Case-folded name key.
    pub name_key: String,
    /// Parent.
    pub parent_id: OrganizationId,
}

#[derive(sqlx::FromRow)]
struct OrganizationRow {
    id: Uuid,
    name: String,
    parent_id: Option<Uuid>,
    inherits: bool,
    profile: Option<String>,
    storage_region: Option<String>,
    quota_bytes: Option<i64>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl OrganizationRow {
    fn into_record(self, default_roles: Vec<RoleId>) -> OrganizationRecord {
        OrganizationRecord {
            id: OrganizationId::from_uuid(self.id),
            name: self.name,
            parent_id: self.parent_id.map(OrganizationId::from_uuid),
            inherits: self.inherits,
            settings: OrganizationSettings {
                profile: self.profile,
                storage_region: self.storage_region,
                quota_bytes: self.quota_bytes,
            },
            default_roles,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

const ORG_COLUMNS: &str = "id, name, parent_id, inherits, profile, storage_region, quota_bytes, \
                           created_at, updated_at";

impl TenantTx {
    async fn organization_where(
        &mut self,
        condition: &str,
        value: OrgKey<'_>,
    ) -> Result<Option<OrganizationRecord>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations WHERE {condition} = $1");
        let row: Option<OrganizationRow> = on_tenant!(self, tx => {
            let query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            let query = match value {
                OrgKey::Id(id) => query.bind(id),
                OrgKey::NameKey(key) => query.bind(key.to_owned()),
            };
            query.fetch_optional(&mut **tx).await
        })?;
        match row {
            None => Ok(None),
            Some(row) => {
                let roles = self
                    .own_default_roles(OrganizationId::from_uuid(row.id))
                    .await?;
                Ok(Some(row.into_record(roles)))
            }
        }
    }

    /// Returns an organization.
    pub async fn organization(
        &mut self,
        id: OrganizationId,
    ) -> Result<Option<OrganizationRecord>, StoreError> {
        self.organization_where("id", OrgKey::Id(id.as_uuid()))
            .await
    }

    /// Returns the organization whose case-folded name is `name_key`.
    pub async fn organization_by_name_key(
        &mut self,
        name_key: &str,
    ) -> Result<Option<OrganizationRecord>, StoreError> {
        self.organization_where("name_key", OrgKey::NameKey(name_key))
            .await
    }

    /// Returns every organization, ordered by name key.
    pub async fn organizations(&mut self) -> Result<Vec<OrganizationRecord>, StoreError> {
        let sql = format!("SELECT {ORG_COLUMNS} FROM organizations ORDER BY name_key");
        let rows: Vec<OrganizationRow> = on_tenant!(self, tx => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut **tx).await
        })?;
        let links: Vec<(Uuid, Uuid)> = on_tenant!(self, tx => {
            sqlx::query_as("SELECT org_id, role_id FROM organization_default_roles ORDER BY role_id")
                .fetch_all(&mut **tx)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let roles = links
                    .iter()
                    .filter(|(org, _)| *org == row.id)
                    .map(|(_, role)| RoleId::from_uuid(*role))
                    .collect();
                row.into_record(roles)
            })
            .collect())
    }

    /// Inserts an organization; `Conflict` when its name key is taken.
    pub async fn insert_organization(
        &mut self,
        new: &NewOrganization,
    ) -> Result<OrganizationRecord, StoreError> {
        let now = self.dialect().now();
        let sql = format!(
            "INSERT INTO organizations (id, name, name_key, parent_id, inherits, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, TRUE, {now}, {now})"
        );
        on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(new.id.as_uuid())
                .bind(&new.name)
                .bind(&new.name_key)
                .bind(new.parent_id.as_uuid())
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        self.organization(new.id)
            .await?
            .ok_or_else(|| StoreError::internal("inserted organization vanished"))
    }

    /// Returns the organization whose name key is `new.name_key`, inserting `new` when there is
    /// none. Two transactions creating the same name at once both end with the one organization:
    /// the second waits for the first and then finds its row.
    pub async fn insert_organization_if_absent(
        &mut self,
        new: &NewOrganization,
    ) -> Result<OrganizationRecord, StoreError> {
        let now = self.dialect().now();
        let sql = format!(
            "INSERT INTO organizations (id, name, name_key, parent_id, inherits, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, TRUE, {now}, {now}) \
             ON CONFLICT (name_key) DO NOTHING"
        );
        on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(new.id.as_uuid())
                .bind(&new.name)
                .bind(&new.name_key)
                .bind(new.parent_id.as_uuid())
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        self.organization_by_name_key(&new.name_key)
            .await?
            .ok_or_else(|| StoreError::internal("organization vanished after insert"))
    }

    /// Renames an organization; false when it does not exist, `Conflict` when the name is taken.
    pub async fn rename_organization(
        &mut self,
        id: OrganizationId,
        name: &str,
        name_key: &str,
    ) -> Result<bool, StoreError> {
        let now = self.dialect().now();
        let sql = format!(
            "UPDATE organizations SET name = $2, name_key = $3, updated_at = {now} WHERE id = $1"
        );
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(name)
                .bind(name_key)
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Gives an organization a new parent (the caller has checked it makes no cycle).
    pub async fn move_organization(
        &mut self,
        id: OrganizationId,
        parent: OrganizationId,
    ) -> Result<bool, StoreError> {
        let now = self.dialect().now();
        let sql = format!(
            "UPDATE organizations SET parent_id = $2, updated_at = {now} \
             WHERE id = $1 AND parent_id IS NOT NULL"
        );
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(parent.as_uuid())
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Sets whether an organization inherits, and its own settings.
    pub async fn set_organization_settings(
        &mut self,
        id: OrganizationId,
        inherits: bool,
        settings: &OrganizationSettings,
    ) -> Result<bool, StoreError> {
        let now = self.dialect().now();
        let sql = format!(
            "UPDATE organizations SET inherits = $2, profile = $3, storage_region = $4, \
             quota_bytes = $5, updated_at = {now} WHERE id = $1"
        );
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(inherits)
                .bind(&settings.profile)
                .bind(&settings.storage_region)
                .bind(settings.quota_bytes)
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Replaces an organization's own default roles.
    pub async fn set_organization_default_roles(
        &mut self,
        id: OrganizationId,
        roles: &[RoleId],
    ) -> Result<(), StoreError> {
        self.replace_role_set(
            "organization_default_roles",
            &[("org_id", id.as_uuid())],
            roles,
        )
        .await
    }

    async fn own_default_roles(&mut self, id: OrganizationId) -> Result<Vec<RoleId>, StoreError> {
        let ids: Vec<Uuid> = on_tenant!(self, tx => {
            sqlx::query_scalar(
                "SELECT role_id FROM organization_default_roles WHERE org_id = $1 ORDER BY role_id",
            )
            .bind(id.as_uuid())
            .fetch_all(&mut **tx)
            .await
        })?;
        Ok(ids.into_iter().map(RoleId::from_uuid).collect())
    }

    /// Returns an organization's settings after inheritance: its own, or those of the nearest
    /// ancestor that does not inherit (the top-level organization never does).
    pub async fn effective_settings(
        &mut self,
        id: OrganizationId,
    ) -> Result<EffectiveSettings, StoreError> {
        let mut current = id;
        for _ in 0..MAX_DEPTH {
            let org = self
                .organization(current)
                .await?
                .ok_or(StoreError::NotFound {
                    kind: "organization",
                })?;
            match org.parent_id {
                Some(parent) if org.inherits => current = parent,
                _ => {
                    return Ok(EffectiveSettings {
                        from: org.id,
                        settings: org.settings,
                        default_roles: org.default_roles,
                    });
                }
            }
        }
        Err(StoreError::internal("organization parents form a cycle"))
    }

    /// Returns how many users an organization holds.
    pub async fn count_users_in_organization(
        &mut self,
        id: OrganizationId,
    ) -> Result<i64, StoreError> {
        on_tenant!(self, tx => {
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE org_id = $1")
                .bind(id.as_uuid())
                .fetch_one(&mut **tx)
                .await
        })
        .map_err(Into::into)
    }
}

/// The column value an organization is looked up by.
#[derive(Clone, Copy)]
enum OrgKey<'a> {
    Id(Uuid),
    NameKey(&'a str),
}
