//! Raw writes, for import, of each provider's settings and of the mapping
//! tables of tenant migration 0003 (reads in `transfer_mappings.rs`): rows go
//! in exactly as given, and a document older than that migration gets the
//! defaults the migration gave existing data.

use sqlx::QueryBuilder;

use super::{Inner, TenantTx, push_id_list};
use crate::StoreError;
use crate::transfer::{
    BASIC_ROLES, StoredApplyResult, StoredGroupOrgMapping, StoredGroupRoleMapping,
    StoredMappingRule, StoredPendingRemap, StoredProviderSettings, StoredRoleAllowlistEntry,
    TOP_LEVEL_ORGANIZATION, push_timestamp,
};

/// Rows per multi-row INSERT: at 12 columns at most, well under SQLite's 32,766 bound parameters.
const INSERT_CHUNK: usize = 200;

/// Inserts `$rows` into `$into` in chunks, binding each row's values with `$bind`.
macro_rules! insert_rows {
    ($self:ident, $into:literal, $rows:expr, |$b:ident, $row:ident, $dialect:ident| $bind:block) => {{
        let $dialect = $self.dialect();
        for chunk in $rows.chunks(INSERT_CHUNK) {
            on_tenant!($self, tx => {
                let mut qb = QueryBuilder::new($into);
                qb.push_values(chunk, |mut $b, $row| {
                    let _ = $dialect;
                    $bind
                });
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }};
}

impl TenantTx {
    /// Inserts provider settings rows exactly as given. Conflict when a provider has one.
    pub async fn insert_stored_provider_settings(
        &mut self,
        rows: &[StoredProviderSettings],
    ) -> Result<(), StoreError> {
        insert_rows!(
            self,
            "INSERT INTO provider_settings (provider_id, username, deactivation_delay_secs, \
             last_success_at, updated_at, org_method, org_target_id, org_parent_id, role_method) ",
            rows,
            |b, s, dialect| {
                b.push_bind(s.provider_id.as_uuid())
                    .push_bind(&s.username)
                    .push_bind(s.deactivation_delay_secs);
                push_timestamp(&mut b, dialect, s.last_success_at);
                push_timestamp(&mut b, dialect, s.updated_at);
                b.push_bind(&s.mapping.org_method)
                    .push_bind(s.mapping.org_target_id)
                    .push_bind(s.mapping.org_parent_id)
                    .push_bind(&s.mapping.role_method);
            }
        )
    }

    /// Inserts group-to-organization mappings. NotFound when a group or organization is missing.
    pub async fn insert_stored_group_org_mappings(
        &mut self,
        rows: &[StoredGroupOrgMapping],
    ) -> Result<(), StoreError> {
        insert_rows!(
            self,
            "INSERT INTO group_org_mappings (provider_id, group_id, org_id, priority) ",
            rows,
            |b, m, dialect| {
                b.push_bind(m.provider_id.as_uuid())
                    .push_bind(m.group_id.as_uuid())
                    .push_bind(m.org_id)
                    .push_bind(m.priority);
            }
        )
    }

    /// Inserts group-to-role mappings. NotFound when a group or role is missing.
    pub async fn insert_stored_group_role_mappings(
        &mut self,
        rows: &[StoredGroupRoleMapping],
    ) -> Result<(), StoreError> {
        insert_rows!(
            self,
            "INSERT INTO group_role_mappings (provider_id, group_id, role_id) ",
            rows,
            |b, m, dialect| {
                b.push_bind(m.provider_id.as_uuid())
                    .push_bind(m.group_id.as_uuid())
                    .push_bind(m.role_id);
            }
        )
    }

    /// Inserts role allowlist entries. NotFound when a role is missing.
    pub async fn insert_stored_role_allowlist(
        &mut self,
        rows: &[StoredRoleAllowlistEntry],
    ) -> Result<(), StoreError> {
        insert_rows!(
            self,
            "INSERT INTO role_allowlist (provider_id, role_id) ",
            rows,
            |b, e, dialect| {
                b.push_bind(e.provider_id.as_uuid()).push_bind(e.role_id);
            }
        )
    }

    /// Inserts attribute-filter rules exactly as given. NotFound when an organization is missing.
    pub async fn insert_stored_mapping_rules(
        &mut self,
        rows: &[StoredMappingRule],
    ) -> Result<(), StoreError> {
        insert_rows!(
            self,
            "INSERT INTO mapping_rules (id, provider_id, name, attribute, match_values, org_id, \
             profile, storage_region, quota_bytes, position, created_at, updated_at) ",
            rows,
            |b, r, dialect| {
                b.push_bind(r.id)
                    .push_bind(r.provider_id.as_uuid())
                    .push_bind(&r.name)
                    .push_bind(&r.attribute)
                    .push_bind(sqlx::types::Json(&r.match_values))
                    .push_bind(r.org_id)
                    .push_bind(&r.profile)
                    .push_bind(&r.storage_region)
                    .push_bind(r.quota_bytes)
                    .push_bind(r.position);
                push_timestamp(&mut b, dialect, r.created_at);
                push_timestamp(&mut b, dialect, r.updated_at);
            }
        )
    }

    /// Inserts queued remaps exactly as given. Conflict when a user is queued twice.
    pub async fn insert_stored_pending_remaps(
        &mut self,
        rows: &[StoredPendingRemap],
    ) -> Result<(), StoreError> {
        insert_rows!(
            self,
            "INSERT INTO pending_remaps (user_id, provider_id, queued_at) ",
            rows,
            |b, r, dialect| {
                b.push_bind(r.user_id.as_uuid())
                    .push_bind(r.provider_id.as_uuid());
                push_timestamp(&mut b, dialect, r.queued_at);
            }
        )
    }

    /// Inserts Apply Org and Role Settings results exactly as given.
    pub async fn insert_stored_apply_results(
        &mut self,
        rows: &[StoredApplyResult],
    ) -> Result<(), StoreError> {
        insert_rows!(
            self,
            "INSERT INTO apply_results (job_id, user_id, user_name, from_org_id, to_org_id, \
             to_org_name, roles_added, roles_removed, unmatched) ",
            rows,
            |b, r, dialect| {
                b.push_bind(r.job_id)
                    .push_bind(r.user_id.as_uuid())
                    .push_bind(&r.user_name)
                    .push_bind(r.from_org_id)
                    .push_bind(r.to_org_id)
                    .push_bind(&r.to_org_name)
                    .push_bind(sqlx::types::Json(&r.roles_added))
                    .push_bind(sqlx::types::Json(&r.roles_removed))
                    .push_bind(r.unmatched);
            }
        )
    }

    /// Gives data from before tenant migration 0003 (an imported version 1 or 2
    /// document) what that migration gave existing tenants: the top-level
    /// organization's default roles and, for every provider with a settings row,
    /// the basic roles on its allowlist. Runs after [`TenantTx::delete_all_data`]
    /// and the document's rows.
    pub async fn insert_defaults_of_migration_0003(&mut self) -> Result<(), StoreError> {
        on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new("INSERT INTO organization_default_roles (org_id, role_id) ");
            qb.push_values(BASIC_ROLES, |mut b, role| {
                b.push_bind(TOP_LEVEL_ORGANIZATION).push_bind(role);
            });
            qb.build().execute(&mut **tx).await.map(|_| ())
        })?;
        on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(
                "INSERT INTO role_allowlist (provider_id, role_id) SELECT p.provider_id, r.id \
                 FROM provider_settings p CROSS JOIN roles r WHERE r.id IN ",
            );
            push_id_list(&mut qb, &BASIC_ROLES);
            qb.build().execute(&mut **tx).await.map(|_| ())
        })?;
        Ok(())
    }
}
