//! Each provider's mapping configuration: its organization- and role-mapping
//! methods, SCIM group → organization mappings in priority order, SCIM group →
//! role mappings and the role allowlist (attribute-filter rules are in
//! [`super::mapping_rules`]). What the configuration means is the mapping
//! service's business.

use roster_core::{GroupId, OrganizationId, ProviderId, RoleId};
use uuid::Uuid;

use super::{Inner, TenantTx};
use crate::StoreError;

/// How a provider places users in organizations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgMethod {
    /// Every user in one organization.
    Single,
    /// By the `c42OrgName` attribute.
    Attribute,
    /// By SCIM group, in priority order.
    Groups,
    /// By attribute-filter rules, in priority order.
    Rules,
}

impl OrgMethod {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Attribute => "attribute",
            Self::Groups => "groups",
            Self::Rules => "rules",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "single" => Some(Self::Single),
            "attribute" => Some(Self::Attribute),
            "groups" => Some(Self::Groups),
            "rules" => Some(Self::Rules),
            _ => None,
        }
    }
}

/// How a provider gives users roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleMethod {
    /// Admins assign roles; provisioning gives new users their organization's default roles.
    Manual,
    /// SCIM group → roles.
    Groups,
}

impl RoleMethod {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Groups => "groups",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "manual" => Some(Self::Manual),
            "groups" => Some(Self::Groups),
            _ => None,
        }
    }
}

/// A provider's mapping methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappingMethods {
    /// Organization mapping.
    pub org_method: OrgMethod,
    /// The single organization, or where users the method cannot place go.
    pub org_target_id: OrganizationId,
    /// Where `c42OrgName` creates organizations that do not exist yet.
    pub org_parent_id: OrganizationId,
    /// Role mapping.
    pub role_method: RoleMethod,
}

/// One SCIM group → organization mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOrgMapping {
    /// The group.
    pub group_id: GroupId,
    /// Its displayName.
    pub group_name: String,
    /// The organization.
    pub org_id: OrganizationId,
    /// Lower numbers win.
    pub priority: i64,
}

/// One SCIM group → role mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRoleMapping {
    /// The group.
    pub group_id: GroupId,
    /// Its displayName.
    pub group_name: String,
    /// The role.
    pub role_id: RoleId,
}

impl TenantTx {
    /// Returns a provider's mapping methods (its settings row must exist).
    pub async fn mapping_methods(
        &mut self,
        provider: ProviderId,
    ) -> Result<MappingMethods, StoreError> {
        let row: Option<(String, Uuid, Uuid, String)> = on_tenant!(self, tx => {
            sqlx::query_as(
                "SELECT org_method, org_target_id, org_parent_id, role_method \
                 FROM provider_settings WHERE provider_id = $1",
            )
            .bind(provider.as_uuid())
            .fetch_optional(&mut **tx)
            .await
        })?;
        let (org, target, parent, role) = row.ok_or(StoreError::NotFound {
            kind: "provider settings",
        })?;
        Ok(MappingMethods {
            org_method: OrgMethod::parse(&org)
                .ok_or_else(|| StoreError::internal(format!("unknown org method {org:?}")))?,
            org_target_id: OrganizationId::from_uuid(target),
            org_parent_id: OrganizationId::from_uuid(parent),
            role_method: RoleMethod::parse(&role)
                .ok_or_else(|| StoreError::internal(format!("unknown role method {role:?}")))?,
        })
    }

    /// Locks a provider's settings row until the transaction ends (PostgreSQL; SQLite's
    /// transactions are serial already), so that concurrent edits of its mappings apply one
    /// after the other instead of losing one's read-modify-write.
    pub async fn lock_provider_settings(&mut self, provider: ProviderId) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT provider_id FROM provider_settings WHERE provider_id = $1{lock}",
            lock = self.dialect().for_update()
        );
        on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(provider.as_uuid())
                .fetch_optional(&mut **tx)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Sets a provider's mapping methods (its settings row must exist).
    pub async fn set_mapping_methods(
        &mut self,
        provider: ProviderId,
        methods: &MappingMethods,
    ) -> Result<(), StoreError> {
        let now = self.dialect().now();
        let sql = format!(
            "UPDATE provider_settings SET org_method = $2, org_target_id = $3, \
             org_parent_id = $4, role_method = $5, updated_at = {now} WHERE provider_id = $1"
        );
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(provider.as_uuid())
                .bind(methods.org_method.as_str())
                .bind(methods.org_target_id.as_uuid())
                .bind(methods.org_parent_id.as_uuid())
                .bind(methods.role_method.as_str())
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        if n == 0 {
            return Err(StoreError::NotFound {
                kind: "provider settings",
            });
        }
        Ok(())
    }

    /// Returns a provider's group → organization mappings, highest priority first.
    pub async fn group_org_mappings(
        &mut self,
        provider: ProviderId,
    ) -> Result<Vec<GroupOrgMapping>, StoreError> {
        let rows: Vec<(Uuid, String, Uuid, i64)> = on_tenant!(self, tx => {
            sqlx::query_as(
                "SELECT m.group_id, g.display_name, m.org_id, m.priority \
                 FROM group_org_mappings m JOIN groups g ON g.id = m.group_id \
                 WHERE m.provider_id = $1 ORDER BY m.priority, m.group_id",
            )
            .bind(provider.as_uuid())
            .fetch_all(&mut **tx)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(group, name, org, priority)| GroupOrgMapping {
                group_id: GroupId::from_uuid(group),
                group_name: name,
                org_id: OrganizationId::from_uuid(org),
                priority,
            })
            .collect())
    }

    /// Replaces a provider's group → organization mappings with `mappings`, in priority order
    /// (the first wins).
    pub async fn replace_group_org_mappings(
        &mut self,
        provider: ProviderId,
        mappings: &[(GroupId, OrganizationId)],
    ) -> Result<(), StoreError> {
        on_tenant!(self, tx => {
            sqlx::query("DELETE FROM group_org_mappings WHERE provider_id = $1")
                .bind(provider.as_uuid())
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        for (priority, (group, org)) in (1_i64..).zip(mappings) {
            on_tenant!(self, tx => {
                sqlx::query(
                    "INSERT INTO group_org_mappings (provider_id, group_id, org_id, priority) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(provider.as_uuid())
                .bind(group.as_uuid())
                .bind(org.as_uuid())
                .bind(priority)
                .execute(&mut **tx)
                .await
                .map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Returns a provider's group → role mappings, by group then role.
    pub async fn group_role_mappings(
        &mut self,
        provider: ProviderId,
    ) -> Result<Vec<GroupRoleMapping>, StoreError> {
        let rows: Vec<(Uuid, String, Uuid)> = on_tenant!(self, tx => {
            sqlx::query_as(
                "SELECT m.group_id, g.display_name, m.role_id \
                 FROM group_role_mappings m JOIN groups g ON g.id = m.group_id \
                 WHERE m.provider_id = $1 ORDER BY g.display_name_key, m.group_id, m.role_id",
            )
            .bind(provider.as_uuid())
            .fetch_all(&mut **tx)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(group, name, role)| GroupRoleMapping {
                group_id: GroupId::from_uuid(group),
                group_name: name,
                role_id: RoleId::from_uuid(role),
            })
            .collect())
    }

    /// Sets the roles a group maps to (an empty list removes its mapping).
    pub async fn set_group_roles(
        &mut self,
        provider: ProviderId,
        group: GroupId,
        roles: &[RoleId],
    ) -> Result<(), StoreError> {
        let owner = [
            ("provider_id", provider.as_uuid()),
            ("group_id", group.as_uuid()),
        ];
        self.replace_role_set("group_role_mappings", &owner, roles)
            .await
    }

    /// Returns the roles a provider may grant, by role id.
    pub async fn role_allowlist(
        &mut self,
        provider: ProviderId,
    ) -> Result<Vec<RoleId>, StoreError> {
        let ids: Vec<Uuid> = on_tenant!(self, tx => {
            sqlx::query_scalar(
                "SELECT role_id FROM role_allowlist WHERE provider_id = $1 ORDER BY role_id",
            )
            .bind(provider.as_uuid())
            .fetch_all(&mut **tx)
            .await
        })?;
        Ok(ids.into_iter().map(RoleId::from_uuid).collect())
    }

    /// Replaces the roles a provider may grant.
    pub async fn set_role_allowlist(
        &mut self,
        provider: ProviderId,
        roles: &[RoleId],
    ) -> Result<(), StoreError> {
        self.replace_role_set(
            "role_allowlist",
            &[("provider_id", provider.as_uuid())],
            roles,
        )
        .await
    }

    /// Replaces the roles of one owner in a `(owner columns…, role_id)` link table. `table` and
    /// the column names are constants of this crate, never request text.
    pub(crate) async fn replace_role_set(
        &mut self,
        table: &'static str,
        owner: &[(&'static str, Uuid)],
        roles: &[RoleId],
    ) -> Result<(), StoreError> {
        let conditions: Vec<String> = (1..)
            .zip(owner)
            .map(|(i, (column, _))| format!("{column} = ${i}"))
            .collect();
        let delete = format!("DELETE FROM {table} WHERE {}", conditions.join(" AND "));
        on_tenant!(self, tx => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(delete.clone()));
            for (_, value) in owner {
                query = query.bind(*value);
            }
            query.execute(&mut **tx).await.map(|_| ())
        })?;
        let columns: Vec<&str> = owner.iter().map(|(column, _)| *column).collect();
        let params: Vec<String> = (1..=owner.len() + 1).map(|i| format!("${i}")).collect();
        let insert = format!(
            "INSERT INTO {table} ({}, role_id) VALUES ({}) ON CONFLICT DO NOTHING",
            columns.join(", "),
            params.join(", ")
        );
        for role in roles {
            on_tenant!(self, tx => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(insert.clone()));
                for (_, value) in owner {
                    query = query.bind(*value);
                }
                query.bind(role.as_uuid()).execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }
}
