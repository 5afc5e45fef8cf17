//! Each provider's attribute-filter mapping rules (Druva): an attribute path and
//! case-sensitive values, or "all users", with the organization and settings they
//! give, in priority order. A rule's criteria never change once created.

use roster_core::{OrganizationId, ProviderId, RuleId};
use serde_json::Value as Json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, TenantTx};
use crate::StoreError;

/// An attribute-filter rule (Druva). Its criteria never change once created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRule {
    /// Id.
    pub id: RuleId,
    /// Name (editable).
    pub name: String,
    /// The SCIM attribute path it tests; `None` matches all users.
    pub attribute: Option<String>,
    /// The values it accepts, compared case-sensitively.
    pub values: Vec<String>,
    /// Where matching users go (editable).
    pub org_id: OrganizationId,
    /// Profile, storage region and quota given to matching users (editable).
    pub settings: crate::OrganizationSettings,
    /// Position in the priority order: lower wins.
    pub position: i64,
    /// Created.
    pub created_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: Uuid,
    name: String,
    attribute: Option<String>,
    match_values: sqlx::types::Json<Json>,
    org_id: Uuid,
    profile: Option<String>,
    storage_region: Option<String>,
    quota_bytes: Option<i64>,
    position: i64,
    created_at: OffsetDateTime,
}

impl From<RuleRow> for MappingRule {
    fn from(row: RuleRow) -> Self {
        let values = row
            .match_values
            .0
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Self {
            id: RuleId::from_uuid(row.id),
            name: row.name,
            attribute: row.attribute,
            values,
            org_id: OrganizationId::from_uuid(row.org_id),
            settings: crate::OrganizationSettings {
                profile: row.profile,
                storage_region: row.storage_region,
                quota_bytes: row.quota_bytes,
            },
            position: row.position,
            created_at: row.created_at,
        }
    }
}

const RULE_COLUMNS: &str = "id, name, attribute, match_values, org_id, profile, storage_region, \
                            quota_bytes, position, created_at";

impl TenantTx {
    /// Returns a provider's attribute-filter rules in priority order.
    pub async fn mapping_rules(
        &mut self,
        provider: ProviderId,
    ) -> Result<Vec<MappingRule>, StoreError> {
        let sql = format!(
            "SELECT {RULE_COLUMNS} FROM mapping_rules WHERE provider_id = $1 \
             ORDER BY position, created_at, id"
        );
        let rows: Vec<RuleRow> = on_tenant!(self, tx => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(provider.as_uuid())
                .fetch_all(&mut **tx)
                .await
        })?;
        Ok(rows.into_iter().map(MappingRule::from).collect())
    }

    /// Adds a rule at the bottom of the provider's priority order.
    pub async fn insert_mapping_rule(
        &mut self,
        provider: ProviderId,
        rule: &MappingRule,
    ) -> Result<MappingRule, StoreError> {
        let now = self.dialect().now();
        let sql = format!(
            "INSERT INTO mapping_rules (id, provider_id, name, attribute, match_values, org_id, \
             profile, storage_region, quota_bytes, position, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
             (SELECT COALESCE(MAX(position), 0) + 1 FROM mapping_rules WHERE provider_id = $2), \
             {now}, {now})"
        );
        let values = Json::from(rule.values.clone());
        on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(rule.id.as_uuid())
                .bind(provider.as_uuid())
                .bind(&rule.name)
                .bind(&rule.attribute)
                .bind(sqlx::types::Json(&values))
                .bind(rule.org_id.as_uuid())
                .bind(&rule.settings.profile)
                .bind(&rule.settings.storage_region)
                .bind(rule.settings.quota_bytes)
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        self.mapping_rules(provider)
            .await?
            .into_iter()
            .find(|r| r.id == rule.id)
            .ok_or_else(|| StoreError::internal("inserted rule vanished"))
    }

    /// Updates what a rule may change after creation: name, organization and settings.
    pub async fn update_mapping_rule(
        &mut self,
        provider: ProviderId,
        rule: &MappingRule,
    ) -> Result<bool, StoreError> {
        let now = self.dialect().now();
        let sql = format!(
            "UPDATE mapping_rules SET name = $3, org_id = $4, profile = $5, storage_region = $6, \
             quota_bytes = $7, updated_at = {now} WHERE provider_id = $1 AND id = $2"
        );
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(provider.as_uuid())
                .bind(rule.id.as_uuid())
                .bind(&rule.name)
                .bind(rule.org_id.as_uuid())
                .bind(&rule.settings.profile)
                .bind(&rule.settings.storage_region)
                .bind(rule.settings.quota_bytes)
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Removes a rule; false when the provider has no such rule.
    pub async fn delete_mapping_rule(
        &mut self,
        provider: ProviderId,
        rule: RuleId,
    ) -> Result<bool, StoreError> {
        let n = on_tenant!(self, tx => {
            sqlx::query("DELETE FROM mapping_rules WHERE provider_id = $1 AND id = $2")
                .bind(provider.as_uuid())
                .bind(rule.as_uuid())
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Renumbers a provider's rules in the given order (1, 2, …); `order` must hold each of
    /// its rules once.
    pub async fn reorder_mapping_rules(
        &mut self,
        provider: ProviderId,
        order: &[RuleId],
    ) -> Result<(), StoreError> {
        for (position, rule) in (1_i64..).zip(order) {
            on_tenant!(self, tx => {
                sqlx::query(
                    "UPDATE mapping_rules SET position = $3 WHERE provider_id = $1 AND id = $2",
                )
                .bind(provider.as_uuid())
                .bind(rule.as_uuid())
                .bind(position)
                .execute(&mut **tx)
                .await
                .map(|_| ())
            })?;
        }
        Ok(())
    }
}
