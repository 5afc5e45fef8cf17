//! Raw reads and writes, for export and import, of the organization tree, the
//! roles catalogue, the organizations' default roles, the users' roles and the
//! digest settings (tenant migration 0003). The top-level organization, the
//! builtin roles and the digest settings row are seeded by the migration and
//! kept by [`TenantTx::delete_all_data`]: writing them overwrites the seeded row.

use roster_core::UserId;
use sqlx::QueryBuilder;
use time::OffsetDateTime;
use uuid::Uuid;

use super::transfer_mappings::{push_keyset_page, read_page};
use super::{Inner, TenantTx};
use crate::StoreError;
use crate::transfer::{
    StoredDigestSettings, StoredOrganization, StoredOrganizationDefaultRole, StoredRole,
    StoredUserRole, push_timestamp,
};

/// Rows per multi-row INSERT: at 10 columns, well under SQLite's 32,766 bound parameters.
const INSERT_CHUNK: usize = 200;

#[derive(sqlx::FromRow)]
struct OrganizationRow {
    id: Uuid,
    name: String,
    name_key: String,
    parent_id: Option<Uuid>,
    inherits: bool,
    profile: Option<String>,
    storage_region: Option<String>,
    quota_bytes: Option<i64>,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl From<OrganizationRow> for StoredOrganization {
    fn from(row: OrganizationRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            name_key: row.name_key,
            parent_id: row.parent_id,
            inherits: row.inherits,
            profile: row.profile,
            storage_region: row.storage_region,
            quota_bytes: row.quota_bytes,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl TenantTx {
    /// Returns up to `limit` organizations with ids greater than `after`, in id order
    /// (not tree order: a child may come before its parent).
    pub async fn stored_organizations_after(
        &mut self,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<StoredOrganization>, StoreError> {
        let rows = read_page!(
            self,
            OrganizationRow,
            "id, name, name_key, parent_id, inherits, profile, storage_region, quota_bytes, \
             created_at, updated_at",
            "organizations",
            "id",
            after.map(|id| vec![id]),
            limit
        );
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Returns up to `limit` roles, builtin ones included, with ids greater than `after`.
    pub async fn stored_roles_after(
        &mut self,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<StoredRole>, StoreError> {
        let rows = read_page!(
            self,
            (Uuid, String, String, bool, String, OffsetDateTime),
            "id, name, name_key, builtin, description, created_at",
            "roles",
            "id",
            after.map(|id| vec![id]),
            limit
        );
        Ok(rows
            .into_iter()
            .map(
                |(id, name, name_key, builtin, description, created_at)| StoredRole {
                    id,
                    name,
                    name_key,
                    builtin,
                    description,
                    created_at,
                },
            )
            .collect())
    }

    /// Returns up to `limit` organizations' default roles after `after` in (org, role) order.
    pub async fn stored_organization_default_roles_after(
        &mut self,
        after: Option<(Uuid, Uuid)>,
        limit: i64,
    ) -> Result<Vec<StoredOrganizationDefaultRole>, StoreError> {
        let rows = read_page!(
            self,
            (Uuid, Uuid),
            "org_id, role_id",
            "organization_default_roles",
            "org_id, role_id",
            after.map(|(o, r)| vec![o, r]),
            limit
        );
        Ok(rows
            .into_iter()
            .map(|(org_id, role_id)| StoredOrganizationDefaultRole { org_id, role_id })
            .collect())
    }

    /// Returns up to `limit` users' roles after `after` in (user, role) order.
    pub async fn stored_user_roles_after(
        &mut self,
        after: Option<(UserId, Uuid)>,
        limit: i64,
    ) -> Result<Vec<StoredUserRole>, StoreError> {
        let rows = read_page!(
            self,
            (Uuid, Uuid, String, Option<String>),
            "user_id, role_id, granted_by, reason",
            "user_roles",
            "user_id, role_id",
            after.map(|(u, r)| vec![u.as_uuid(), r]),
            limit
        );
        Ok(rows
            .into_iter()
            .map(|(user, role_id, granted_by, reason)| StoredUserRole {
                user_id: UserId::from_uuid(user),
                role_id,
                granted_by,
                reason,
            })
            .collect())
    }

    /// Returns the digest settings (the migration seeds the one row).
    pub async fn stored_digest_settings(&mut self) -> Result<StoredDigestSettings, StoreError> {
        let (frequency, covered_until, updated_at): (
            String,
            Option<OffsetDateTime>,
            OffsetDateTime,
        ) = on_tenant!(self, tx => {
            sqlx::query_as(
                "SELECT frequency, covered_until, updated_at FROM digest_settings WHERE id = 1",
            )
            .fetch_one(&mut **tx)
            .await
        })?;
        Ok(StoredDigestSettings {
            frequency,
            covered_until,
            updated_at,
        })
    }

    /// Inserts organizations exactly as given; one that exists (the seeded top-level
    /// organization) is overwritten. A parent must be stored before its children:
    /// NotFound otherwise. Conflict on a taken name key or a second root.
    pub async fn insert_stored_organizations(
        &mut self,
        rows: &[StoredOrganization],
    ) -> Result<(), StoreError> {
        let dialect = self.dialect();
        for chunk in rows.chunks(INSERT_CHUNK) {
            on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO organizations (id, name, name_key, parent_id, inherits, profile, \
                     storage_region, quota_bytes, created_at, updated_at) ",
                );
                qb.push_values(chunk, |mut b, o| {
                    b.push_bind(o.id)
                        .push_bind(&o.name)
                        .push_bind(&o.name_key)
                        .push_bind(o.parent_id)
                        .push_bind(o.inherits)
                        .push_bind(&o.profile)
                        .push_bind(&o.storage_region)
                        .push_bind(o.quota_bytes);
                    push_timestamp(&mut b, dialect, o.created_at);
                    push_timestamp(&mut b, dialect, o.updated_at);
                });
                qb.push(
                    " ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                     name_key = excluded.name_key, parent_id = excluded.parent_id, \
                     inherits = excluded.inherits, profile = excluded.profile, \
                     storage_region = excluded.storage_region, quota_bytes = excluded.quota_bytes, \
                     created_at = excluded.created_at, updated_at = excluded.updated_at",
                );
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Inserts roles exactly as given; one that exists (a seeded builtin role) is
    /// overwritten. Conflict on a taken name key.
    pub async fn insert_stored_roles(&mut self, rows: &[StoredRole]) -> Result<(), StoreError> {
        let dialect = self.dialect();
        for chunk in rows.chunks(INSERT_CHUNK) {
            on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO roles (id, name, name_key, builtin, description, created_at) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.id)
                        .push_bind(&r.name)
                        .push_bind(&r.name_key)
                        .push_bind(r.builtin)
                        .push_bind(&r.description);
                    push_timestamp(&mut b, dialect, r.created_at);
                });
                qb.push(
                    " ON CONFLICT (id) DO UPDATE SET name = excluded.name, \
                     name_key = excluded.name_key, builtin = excluded.builtin, \
                     description = excluded.description, created_at = excluded.created_at",
                );
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Inserts organizations' default roles. NotFound when an organization or role is
    /// missing; Conflict on a duplicate.
    pub async fn insert_stored_organization_default_roles(
        &mut self,
        rows: &[StoredOrganizationDefaultRole],
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(INSERT_CHUNK) {
            on_tenant!(self, tx => {
                let mut qb =
                    QueryBuilder::new("INSERT INTO organization_default_roles (org_id, role_id) ");
                qb.push_values(chunk, |mut b, d| {
                    b.push_bind(d.org_id).push_bind(d.role_id);
                });
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Inserts users' roles exactly as given. NotFound when a user or role is missing;
    /// Conflict on a duplicate.
    pub async fn insert_stored_user_roles(
        &mut self,
        rows: &[StoredUserRole],
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(INSERT_CHUNK) {
            on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO user_roles (user_id, role_id, granted_by, reason) ",
                );
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(r.user_id.as_uuid())
                        .push_bind(r.role_id)
                        .push_bind(&r.granted_by)
                        .push_bind(&r.reason);
                });
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Overwrites the digest settings row exactly as given.
    pub async fn set_stored_digest_settings(
        &mut self,
        settings: &StoredDigestSettings,
    ) -> Result<(), StoreError> {
        let (open, close) = self.dialect().timestamp_param();
        let sql = format!(
            "UPDATE digest_settings SET frequency = $1, covered_until = {open}$2{close}, \
             updated_at = {open}$3{close} WHERE id = 1"
        );
        on_tenant!(self, tx => {
            // `open` and `close` are the dialect's constants, never request text.
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(&settings.frequency)
                .bind(settings.covered_until)
                .bind(settings.updated_at)
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }
}
