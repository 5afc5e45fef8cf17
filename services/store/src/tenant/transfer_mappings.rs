//! Raw reads and writes, for export and import, of each provider's settings
//! (with the mapping methods of tenant migration 0003) and of the mapping tables
//! that migration added: group mappings, role allowlists, attribute-filter
//! rules, the remap queue and the Apply Org and Role Settings results. Every
//! column as stored; reads page by keyset over the primary key.

use roster_core::{GroupId, ProviderId, UserId};
use sqlx::{Database, Encode, QueryBuilder, Type};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, TenantTx, push_id_list};
use crate::StoreError;
use crate::transfer::{
    StoredApplyResult, StoredGroupOrgMapping, StoredGroupRoleMapping, StoredMappingMethods,
    StoredMappingRule, StoredPendingRemap, StoredProviderSettings, StoredRoleAllowlistEntry,
};

/// Appends `[WHERE (keys) > (after…)] ORDER BY keys LIMIT limit`: one keyset page.
/// `keys` is a constant of the callers, never request text.
pub(super) fn push_keyset_page<DB>(
    qb: &mut QueryBuilder<DB>,
    keys: &'static str,
    after: Option<&[Uuid]>,
    limit: i64,
) where
    DB: Database,
    for<'q> Uuid: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    if let Some(after) = after {
        qb.push(" WHERE (").push(keys).push(") > ");
        push_id_list(qb, after);
    }
    qb.push(" ORDER BY ")
        .push(keys)
        .push(" LIMIT ")
        .push_bind(limit);
}

/// Runs `SELECT $columns FROM $table` for one keyset page over `$keys`, into rows of `$row`.
macro_rules! read_page {
    ($self:ident, $row:ty, $columns:literal, $table:literal, $keys:literal, $after:expr, $limit:expr) => {{
        let after: Option<Vec<Uuid>> = $after;
        let rows: Vec<$row> = on_tenant!($self, tx => {
            let mut qb = QueryBuilder::new(concat!("SELECT ", $columns, " FROM ", $table));
            push_keyset_page(&mut qb, $keys, after.as_deref(), $limit);
            qb.build_query_as().fetch_all(&mut **tx).await
        })?;
        rows
    }};
}
pub(super) use read_page;

#[derive(sqlx::FromRow)]
struct SettingsRow {
    provider_id: Uuid,
    username: String,
    deactivation_delay_secs: i64,
    last_success_at: Option<OffsetDateTime>,
    updated_at: OffsetDateTime,
    org_method: String,
    org_target_id: Uuid,
    org_parent_id: Uuid,
    role_method: String,
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: Uuid,
    provider_id: Uuid,
    name: String,
    attribute: Option<String>,
    match_values: sqlx::types::Json<serde_json::Value>,
    org_id: Uuid,
    profile: Option<String>,
    storage_region: Option<String>,
    quota_bytes: Option<i64>,
    position: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct ApplyRow {
    job_id: Uuid,
    user_id: Uuid,
    user_name: String,
    from_org_id: Option<Uuid>,
    to_org_id: Option<Uuid>,
    to_org_name: Option<String>,
    roles_added: sqlx::types::Json<serde_json::Value>,
    roles_removed: sqlx::types::Json<serde_json::Value>,
    unmatched: bool,
}

impl TenantTx {
    /// Returns up to `limit` provider settings rows with provider ids greater than `after`.
    pub async fn stored_provider_settings_after(
        &mut self,
        after: Option<ProviderId>,
        limit: i64,
    ) -> Result<Vec<StoredProviderSettings>, StoreError> {
        let rows = read_page!(
            self,
            SettingsRow,
            "provider_id, username, deactivation_delay_secs, last_success_at, updated_at, \
             org_method, org_target_id, org_parent_id, role_method",
            "provider_settings",
            "provider_id",
            after.map(|p| vec![p.as_uuid()]),
            limit
        );
        Ok(rows
            .into_iter()
            .map(|row| StoredProviderSettings {
                provider_id: ProviderId::from_uuid(row.provider_id),
                username: row.username,
                deactivation_delay_secs: row.deactivation_delay_secs,
                last_success_at: row.last_success_at,
                updated_at: row.updated_at,
                mapping: StoredMappingMethods {
                    org_method: row.org_method,
                    org_target_id: row.org_target_id,
                    org_parent_id: row.org_parent_id,
                    role_method: row.role_method,
                },
            })
            .collect())
    }

    /// Returns up to `limit` group-to-organization mappings after `after` in (provider, group) order.
    pub async fn stored_group_org_mappings_after(
        &mut self,
        after: Option<(ProviderId, GroupId)>,
        limit: i64,
    ) -> Result<Vec<StoredGroupOrgMapping>, StoreError> {
        let rows = read_page!(
            self,
            (Uuid, Uuid, Uuid, i64),
            "provider_id, group_id, org_id, priority",
            "group_org_mappings",
            "provider_id, group_id",
            after.map(|(p, g)| vec![p.as_uuid(), g.as_uuid()]),
            limit
        );
        Ok(rows
            .into_iter()
            .map(
                |(provider, group, org_id, priority)| StoredGroupOrgMapping {
                    provider_id: ProviderId::from_uuid(provider),
                    group_id: GroupId::from_uuid(group),
                    org_id,
                    priority,
                },
            )
            .collect())
    }

    /// Returns up to `limit` group-to-role mappings after `after` in (provider, group, role) order.
    pub async fn stored_group_role_mappings_after(
        &mut self,
        after: Option<(ProviderId, GroupId, Uuid)>,
        limit: i64,
    ) -> Result<Vec<StoredGroupRoleMapping>, StoreError> {
        let rows = read_page!(
            self,
            (Uuid, Uuid, Uuid),
            "provider_id, group_id, role_id",
            "group_role_mappings",
            "provider_id, group_id, role_id",
            after.map(|(p, g, r)| vec![p.as_uuid(), g.as_uuid(), r]),
            limit
        );
        Ok(rows
            .into_iter()
            .map(|(provider, group, role_id)| StoredGroupRoleMapping {
                provider_id: ProviderId::from_uuid(provider),
                group_id: GroupId::from_uuid(group),
                role_id,
            })
            .collect())
    }

    /// Returns up to `limit` role allowlist entries after `after` in (provider, role) order.
    pub async fn stored_role_allowlist_after(
        &mut self,
        after: Option<(ProviderId, Uuid)>,
        limit: i64,
    ) -> Result<Vec<StoredRoleAllowlistEntry>, StoreError> {
        let rows = read_page!(
            self,
            (Uuid, Uuid),
            "provider_id, role_id",
            "role_allowlist",
            "provider_id, role_id",
            after.map(|(p, r)| vec![p.as_uuid(), r]),
            limit
        );
        Ok(rows
            .into_iter()
            .map(|(provider, role_id)| StoredRoleAllowlistEntry {
                provider_id: ProviderId::from_uuid(provider),
                role_id,
            })
            .collect())
    }

    /// Returns up to `limit` attribute-filter rules with ids greater than `after`, in id
    /// order (each keeps its `position`).
    pub async fn stored_mapping_rules_after(
        &mut self,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<StoredMappingRule>, StoreError> {
        let rows = read_page!(
            self,
            RuleRow,
            "id, provider_id, name, attribute, match_values, org_id, profile, storage_region, \
             quota_bytes, position, created_at, updated_at",
            "mapping_rules",
            "id",
            after.map(|id| vec![id]),
            limit
        );
        Ok(rows
            .into_iter()
            .map(|row| StoredMappingRule {
                id: row.id,
                provider_id: ProviderId::from_uuid(row.provider_id),
                name: row.name,
                attribute: row.attribute,
                match_values: row.match_values.0,
                org_id: row.org_id,
                profile: row.profile,
                storage_region: row.storage_region,
                quota_bytes: row.quota_bytes,
                position: row.position,
                created_at: row.created_at,
                updated_at: row.updated_at,
            })
            .collect())
    }

    /// Returns up to `limit` queued remaps with user ids greater than `after`.
    pub async fn stored_pending_remaps_after(
        &mut self,
        after: Option<UserId>,
        limit: i64,
    ) -> Result<Vec<StoredPendingRemap>, StoreError> {
        let rows = read_page!(
            self,
            (Uuid, Uuid, OffsetDateTime),
            "user_id, provider_id, queued_at",
            "pending_remaps",
            "user_id",
            after.map(|u| vec![u.as_uuid()]),
            limit
        );
        Ok(rows
            .into_iter()
            .map(|(user, provider, queued_at)| StoredPendingRemap {
                user_id: UserId::from_uuid(user),
                provider_id: ProviderId::from_uuid(provider),
                queued_at,
            })
            .collect())
    }

    /// Returns up to `limit` Apply Org and Role Settings results after `after` in (job, user) order.
    pub async fn stored_apply_results_after(
        &mut self,
        after: Option<(Uuid, UserId)>,
        limit: i64,
    ) -> Result<Vec<StoredApplyResult>, StoreError> {
        let rows = read_page!(
            self,
            ApplyRow,
            "job_id, user_id, user_name, from_org_id, to_org_id, to_org_name, roles_added, \
             roles_removed, unmatched",
            "apply_results",
            "job_id, user_id",
            after.map(|(j, u)| vec![j, u.as_uuid()]),
            limit
        );
        Ok(rows
            .into_iter()
            .map(|row| StoredApplyResult {
                job_id: row.job_id,
                user_id: UserId::from_uuid(row.user_id),
                user_name: row.user_name,
                from_org_id: row.from_org_id,
                to_org_id: row.to_org_id,
                to_org_name: row.to_org_name,
                roles_added: row.roles_added.0,
                roles_removed: row.roles_removed.0,
                unmatched: row.unmatched,
            })
            .collect())
    }
}
