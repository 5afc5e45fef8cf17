//! Where each user is placed and which roles it holds: the user's organization
//! (and why, and whether an admin put it there), the profile, storage region and
//! quota an attribute-filter rule gave it, and its roles with who granted each.

use roster_core::{OrganizationId, RoleId, UserId};
use uuid::Uuid;

use super::{Inner, TenantTx};
use crate::StoreError;

/// Who made a placement or granted a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrantedBy {
    /// A provider's mapping (provisioning or Apply Org and Role Settings).
    Mapping,
    /// An admin, by hand.
    Admin,
}

impl GrantedBy {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mapping => "mapping",
            Self::Admin => "admin",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "mapping" => Some(Self::Mapping),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// A user's organization and the settings a mapping rule gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The organization.
    pub org_id: OrganizationId,
    /// Who put the user there.
    pub set_by: GrantedBy,
    /// What decided it, e.g. `group "Executives" (priority 1)`.
    pub reason: Option<String>,
    /// Backup profile set by a rule (`None`: the organization's).
    pub profile: Option<String>,
    /// Storage region set by a rule.
    pub storage_region: Option<String>,
    /// Per-user quota set by a rule.
    pub quota_bytes: Option<i64>,
}

/// A role a user holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRole {
    /// The role.
    pub role_id: RoleId,
    /// Who granted it.
    pub granted_by: GrantedBy,
    /// Why, e.g. `group "Admins"` or `default role of "Sales"`.
    pub reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct PlacementRow {
    org_id: Uuid,
    org_set_by: String,
    org_reason: Option<String>,
    profile: Option<String>,
    storage_region: Option<String>,
    quota_bytes: Option<i64>,
}

fn granted_by(text: &str) -> Result<GrantedBy, StoreError> {
    GrantedBy::parse(text).ok_or_else(|| StoreError::internal(format!("unknown grantor {text:?}")))
}

impl TenantTx {
    /// Returns a user's placement (any user: provisioned or local, live or deleted).
    pub async fn user_placement(&mut self, user: UserId) -> Result<Option<Placement>, StoreError> {
        let row: Option<PlacementRow> = on_tenant!(self, tx => {
            sqlx::query_as(
                "SELECT org_id, org_set_by, org_reason, profile, storage_region, quota_bytes \
                 FROM users WHERE id = $1",
            )
            .bind(user.as_uuid())
            .fetch_optional(&mut **tx)
            .await
        })?;
        row.map(|row| {
            Ok(Placement {
                org_id: OrganizationId::from_uuid(row.org_id),
                set_by: granted_by(&row.org_set_by)?,
                reason: row.org_reason,
                profile: row.profile,
                storage_region: row.storage_region,
                quota_bytes: row.quota_bytes,
            })
        })
        .transpose()
    }

    /// Writes a user's placement; false when the user does not exist.
    pub async fn set_user_placement(
        &mut self,
        user: UserId,
        placement: &Placement,
    ) -> Result<bool, StoreError> {
        let n = on_tenant!(self, tx => {
            sqlx::query(
                "UPDATE users SET org_id = $2, org_set_by = $3, org_reason = $4, profile = $5, \
                 storage_region = $6, quota_bytes = $7 WHERE id = $1",
            )
            .bind(user.as_uuid())
            .bind(placement.org_id.as_uuid())
            .bind(placement.set_by.as_str())
            .bind(&placement.reason)
            .bind(&placement.profile)
            .bind(&placement.storage_region)
            .bind(placement.quota_bytes)
            .execute(&mut **tx)
            .await
            .map(|done| done.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Returns the roles a user holds, ordered by role id.
    pub async fn user_roles(&mut self, user: UserId) -> Result<Vec<UserRole>, StoreError> {
        let rows: Vec<(Uuid, String, Option<String>)> = on_tenant!(self, tx => {
            sqlx::query_as(
                "SELECT role_id, granted_by, reason FROM user_roles WHERE user_id = $1 \
                 ORDER BY role_id",
            )
            .bind(user.as_uuid())
            .fetch_all(&mut **tx)
            .await
        })?;
        rows.into_iter()
            .map(|(role, by, reason)| {
                Ok(UserRole {
                    role_id: RoleId::from_uuid(role),
                    granted_by: granted_by(&by)?,
                    reason,
                })
            })
            .collect()
    }

    /// Grants a role (or records a new grantor and reason for one the user holds).
    pub async fn grant_user_role(
        &mut self,
        user: UserId,
        role: &UserRole,
    ) -> Result<(), StoreError> {
        on_tenant!(self, tx => {
            sqlx::query(
                "INSERT INTO user_roles (user_id, role_id, granted_by, reason) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, role_id) \
                 DO UPDATE SET granted_by = excluded.granted_by, reason = excluded.reason",
            )
            .bind(user.as_uuid())
            .bind(role.role_id.as_uuid())
            .bind(role.granted_by.as_str())
            .bind(&role.reason)
            .execute(&mut **tx)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Revokes a role; false when the user did not hold it.
    pub async fn revoke_user_role(&mut self, user: UserId, role: RoleId) -> Result<bool, StoreError> {
        let n = on_tenant!(self, tx => {
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2")
                .bind(user.as_uuid())
                .bind(role.as_uuid())
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        Ok(n == 1)
    }
}
