//! [`TenantTx`]: the one handle through which tenant data is read and written.
//!
//! Every query here is unqualified and runs inside a transaction whose local
//! `search_path` is the tenant's schema alone. Every read and write is also
//! scoped to the calling provider: a provider sees only what it owns.

use roster_core::{GroupId, ProviderId, TenantId, UserId};
use sqlx::{Postgres, QueryBuilder, Transaction};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::StoreError;
use crate::records::{
    GroupCondition, GroupRecord, MemberRecord, MemberType, NewGroup, NewUser, UserCondition,
    UserRecord,
};

/// A transaction on one tenant's data. Dropping it without [`commit`](Self::commit) rolls back.
pub struct TenantTx {
    tenant: TenantId,
    inner: Inner,
}

enum Inner {
    Postgres(Transaction<'static, Postgres>),
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    provider_id: Uuid,
    resource: sqlx::types::Json<serde_json::Value>,
    version: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl From<UserRow> for UserRecord {
    fn from(row: UserRow) -> Self {
        Self {
            id: UserId::from_uuid(row.id),
            provider_id: ProviderId::from_uuid(row.provider_id),
            resource: row.resource.0,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct GroupRow {
    id: Uuid,
    provider_id: Uuid,
    resource: sqlx::types::Json<serde_json::Value>,
    version: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl From<GroupRow> for GroupRecord {
    fn from(row: GroupRow) -> Self {
        Self {
            id: GroupId::from_uuid(row.id),
            provider_id: ProviderId::from_uuid(row.provider_id),
            resource: row.resource.0,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

const USER_RETURNING: &str = "RETURNING id, provider_id, resource, version, created_at, updated_at";
const GROUP_RETURNING: &str =
    "RETURNING id, provider_id, resource, version, created_at, updated_at";

impl TenantTx {
    pub(crate) fn postgres(tenant: TenantId, tx: Transaction<'static, Postgres>) -> Self {
        Self {
            tenant,
            inner: Inner::Postgres(tx),
        }
    }

    /// Returns the tenant this transaction is scoped to.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    fn pg(&mut self) -> &mut Transaction<'static, Postgres> {
        match &mut self.inner {
            Inner::Postgres(tx) => tx,
        }
    }

    /// Commits every change made through this handle.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            Inner::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Inserts a user owned by `provider`. Conflict when the userName key is taken.
    pub async fn insert_user(
        &mut self,
        provider: ProviderId,
        id: UserId,
        user: &NewUser,
    ) -> Result<UserRecord, StoreError> {
        let sql = format!(
            "INSERT INTO users (id, provider_id, user_name, user_name_key, external_id, display_name_key, resource) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) {USER_RETURNING}"
        );
        let row = sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(provider.as_uuid())
            .bind(&user.user_name)
            .bind(&user.user_name_key)
            .bind(&user.external_id)
            .bind(&user.display_name_key)
            .bind(sqlx::types::Json(&user.resource))
            .fetch_one(&mut **self.pg())
            .await?;
        self.write_emails(id, &user.emails).await?;
        Ok(row.into())
    }

    /// Replaces a user's indexed facts and document, bumping its version.
    pub async fn update_user(
        &mut self,
        provider: ProviderId,
        id: UserId,
        user: &NewUser,
    ) -> Result<UserRecord, StoreError> {
        let sql = format!(
            "UPDATE users SET user_name = $3, user_name_key = $4, external_id = $5, display_name_key = $6, \
             resource = $7, version = version + 1, updated_at = now() \
             WHERE id = $1 AND provider_id = $2 {USER_RETURNING}"
        );
        let row = sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(provider.as_uuid())
            .bind(&user.user_name)
            .bind(&user.user_name_key)
            .bind(&user.external_id)
            .bind(&user.display_name_key)
            .bind(sqlx::types::Json(&user.resource))
            .fetch_optional(&mut **self.pg())
            .await?
            .ok_or(StoreError::NotFound { kind: "user" })?;
        sqlx::query("DELETE FROM user_emails WHERE user_id = $1")
            .bind(id.as_uuid())
            .execute(&mut **self.pg())
            .await?;
        self.write_emails(id, &user.emails).await?;
        Ok(row.into())
    }

    async fn write_emails(
        &mut self,
        id: UserId,
        emails: &[(Option<String>, String)],
    ) -> Result<(), StoreError> {
        if emails.is_empty() {
            return Ok(());
        }
        let mut qb = QueryBuilder::<Postgres>::new(
            "INSERT INTO user_emails (user_id, type_key, value_key) ",
        );
        qb.push_values(emails, |mut b, (type_key, value_key)| {
            b.push_bind(id.as_uuid())
                .push_bind(type_key)
                .push_bind(value_key);
        });
        qb.build().execute(&mut **self.pg()).await?;
        Ok(())
    }

    /// Returns one of the provider's users, locked for update when `for_update`.
    pub async fn user(
        &mut self,
        provider: ProviderId,
        id: UserId,
        for_update: bool,
    ) -> Result<Option<UserRecord>, StoreError> {
        let lock = if for_update { " FOR UPDATE" } else { "" };
        let sql = format!(
            "SELECT id, provider_id, resource, version, created_at, updated_at FROM users \
             WHERE id = $1 AND provider_id = $2{lock}"
        );
        let row = sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(provider.as_uuid())
            .fetch_optional(&mut **self.pg())
            .await?;
        Ok(row.map(Into::into))
    }

    /// Deletes one of the provider's users and its memberships; false when there was none.
    pub async fn delete_user(
        &mut self,
        provider: ProviderId,
        id: UserId,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1 AND provider_id = $2")
            .bind(id.as_uuid())
            .bind(provider.as_uuid())
            .execute(&mut **self.pg())
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM group_members WHERE member_id = $1")
            .bind(id.as_uuid())
            .execute(&mut **self.pg())
            .await?;
        Ok(true)
    }

    /// Returns how many users the provider owns.
    pub async fn count_users_of_provider(
        &mut self,
        provider: ProviderId,
    ) -> Result<i64, StoreError> {
        let n = sqlx::query_scalar("SELECT count(*) FROM users WHERE provider_id = $1")
            .bind(provider.as_uuid())
            .fetch_one(&mut **self.pg())
            .await?;
        Ok(n)
    }

    /// Returns the total number of the provider's users matching every condition,
    /// and the page `[offset, offset + limit)` of them in creation order.
    pub async fn list_users(
        &mut self,
        provider: ProviderId,
        conditions: &[UserCondition],
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<UserRecord>), StoreError> {
        let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM users u");
        push_user_conditions(&mut count, provider, conditions);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut **self.pg())
            .await?;
        if limit == 0 || total <= offset {
            return Ok((total, Vec::new()));
        }
        let mut page = QueryBuilder::<Postgres>::new(
            "SELECT u.id, u.provider_id, u.resource, u.version, u.created_at, u.updated_at FROM users u",
        );
        push_user_conditions(&mut page, provider, conditions);
        page.push(" ORDER BY u.created_at, u.id OFFSET ")
            .push_bind(offset)
            .push(" LIMIT ")
            .push_bind(limit);
        let rows = page
            .build_query_as::<UserRow>()
            .fetch_all(&mut **self.pg())
            .await?;
        Ok((total, rows.into_iter().map(Into::into).collect()))
    }

    /// Returns, for each given user, the groups it is a direct member of: (user, group, displayName).
    pub async fn groups_of_users(
        &mut self,
        users: &[UserId],
    ) -> Result<Vec<(UserId, GroupId, String)>, StoreError> {
        let ids: Vec<Uuid> = users.iter().map(UserId::as_uuid).collect();
        let rows: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
            "SELECT m.member_id, g.id, g.display_name FROM group_members m JOIN groups g ON g.id = m.group_id \
             WHERE m.member_id = ANY($1) ORDER BY g.display_name_key, g.id",
        )
        .bind(&ids)
        .fetch_all(&mut **self.pg())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(u, g, name)| (UserId::from_uuid(u), GroupId::from_uuid(g), name))
            .collect())
    }

    /// Inserts a group owned by `provider`.
    pub async fn insert_group(
        &mut self,
        provider: ProviderId,
        id: GroupId,
        group: &NewGroup,
    ) -> Result<GroupRecord, StoreError> {
        let sql = format!(
            "INSERT INTO groups (id, provider_id, display_name, display_name_key, external_id, resource) \
             VALUES ($1, $2, $3, $4, $5, $6) {GROUP_RETURNING}"
        );
        let row = sqlx::query_as::<_, GroupRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(provider.as_uuid())
            .bind(&group.display_name)
            .bind(&group.display_name_key)
            .bind(&group.external_id)
            .bind(sqlx::types::Json(&group.resource))
            .fetch_one(&mut **self.pg())
            .await?;
        Ok(row.into())
    }

    /// Replaces a group's attributes (not its members), bumping its version.
    pub async fn update_group(
        &mut self,
        provider: ProviderId,
        id: GroupId,
        group: &NewGroup,
    ) -> Result<GroupRecord, StoreError> {
        let sql = format!(
            "UPDATE groups SET display_name = $3, display_name_key = $4, external_id = $5, resource = $6, \
             version = version + 1, updated_at = now() WHERE id = $1 AND provider_id = $2 {GROUP_RETURNING}"
        );
        let row = sqlx::query_as::<_, GroupRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(provider.as_uuid())
            .bind(&group.display_name)
            .bind(&group.display_name_key)
            .bind(&group.external_id)
            .bind(sqlx::types::Json(&group.resource))
            .fetch_optional(&mut **self.pg())
            .await?
            .ok_or(StoreError::NotFound { kind: "group" })?;
        Ok(row.into())
    }

    /// Returns one of the provider's groups, locked for update when `for_update`.
    pub async fn group(
        &mut self,
        provider: ProviderId,
        id: GroupId,
        for_update: bool,
    ) -> Result<Option<GroupRecord>, StoreError> {
        let lock = if for_update { " FOR UPDATE" } else { "" };
        let sql = format!(
            "SELECT id, provider_id, resource, version, created_at, updated_at FROM groups \
             WHERE id = $1 AND provider_id = $2{lock}"
        );
        let row = sqlx::query_as::<_, GroupRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .bind(provider.as_uuid())
            .fetch_optional(&mut **self.pg())
            .await?;
        Ok(row.map(Into::into))
    }

    /// Deletes one of the provider's groups, its memberships and its own membership in other groups.
    pub async fn delete_group(
        &mut self,
        provider: ProviderId,
        id: GroupId,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM groups WHERE id = $1 AND provider_id = $2")
            .bind(id.as_uuid())
            .bind(provider.as_uuid())
            .execute(&mut **self.pg())
            .await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM group_members WHERE member_id = $1")
            .bind(id.as_uuid())
            .execute(&mut **self.pg())
            .await?;
        Ok(true)
    }

    /// Bumps a group's version and modification time (after member changes).
    pub async fn touch_group(&mut self, id: GroupId) -> Result<GroupRecord, StoreError> {
        let sql = format!(
            "UPDATE groups SET version = version + 1, updated_at = now() WHERE id = $1 {GROUP_RETURNING}"
        );
        let row = sqlx::query_as::<_, GroupRow>(sqlx::AssertSqlSafe(sql))
            .bind(id.as_uuid())
            .fetch_optional(&mut **self.pg())
            .await?
            .ok_or(StoreError::NotFound { kind: "group" })?;
        Ok(row.into())
    }

    /// Returns the total number of the provider's groups matching every condition, and one page.
    pub async fn list_groups(
        &mut self,
        provider: ProviderId,
        conditions: &[GroupCondition],
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<GroupRecord>), StoreError> {
        let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM groups g");
        push_group_conditions(&mut count, provider, conditions);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut **self.pg())
            .await?;
        if limit == 0 || total <= offset {
            return Ok((total, Vec::new()));
        }
        let mut page = QueryBuilder::<Postgres>::new(
            "SELECT g.id, g.provider_id, g.resource, g.version, g.created_at, g.updated_at FROM groups g",
        );
        push_group_conditions(&mut page, provider, conditions);
        page.push(" ORDER BY g.created_at, g.id OFFSET ")
            .push_bind(offset)
            .push(" LIMIT ")
            .push_bind(limit);
        let rows = page
            .build_query_as::<GroupRow>()
            .fetch_all(&mut **self.pg())
            .await?;
        Ok((total, rows.into_iter().map(Into::into).collect()))
    }

    /// Returns which of `ids` are the provider's users or groups, with their type.
    pub async fn resolve_members(
        &mut self,
        provider: ProviderId,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, MemberType)>, StoreError> {
        let rows: Vec<(Uuid, String)> = sqlx::query_as(
            "SELECT id, 'User' FROM users WHERE provider_id = $1 AND id = ANY($2) \
             UNION ALL SELECT id, 'Group' FROM groups WHERE provider_id = $1 AND id = ANY($2)",
        )
        .bind(provider.as_uuid())
        .bind(ids)
        .fetch_all(&mut **self.pg())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, t)| {
                (
                    id,
                    if t == "Group" {
                        MemberType::Group
                    } else {
                        MemberType::User
                    },
                )
            })
            .collect())
    }

    /// Adds members (already resolved) to a group; existing memberships are kept.
    pub async fn add_members(
        &mut self,
        group: GroupId,
        members: &[(Uuid, MemberType)],
    ) -> Result<(), StoreError> {
        for chunk in members.chunks(1000) {
            let mut qb = QueryBuilder::<Postgres>::new(
                "INSERT INTO group_members (group_id, member_id, member_type) ",
            );
            qb.push_values(chunk, |mut b, (id, t)| {
                b.push_bind(group.as_uuid())
                    .push_bind(*id)
                    .push_bind(t.as_str());
            });
            qb.push(" ON CONFLICT DO NOTHING");
            qb.build().execute(&mut **self.pg()).await?;
        }
        Ok(())
    }

    /// Removes the given members from a group (absent ones are ignored).
    pub async fn remove_members(&mut self, group: GroupId, ids: &[Uuid]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM group_members WHERE group_id = $1 AND member_id = ANY($2)")
            .bind(group.as_uuid())
            .bind(ids)
            .execute(&mut **self.pg())
            .await?;
        Ok(())
    }

    /// Removes every member of a group.
    pub async fn clear_members(&mut self, group: GroupId) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM group_members WHERE group_id = $1")
            .bind(group.as_uuid())
            .execute(&mut **self.pg())
            .await?;
        Ok(())
    }

    /// Returns a group's members with their display values, in a stable order.
    pub async fn members(&mut self, group: GroupId) -> Result<Vec<MemberRecord>, StoreError> {
        let rows: Vec<(Uuid, String, Option<String>)> = sqlx::query_as(
            "SELECT m.member_id, m.member_type, COALESCE(u.resource->>'displayName', u.user_name, g.display_name) \
             FROM group_members m \
             LEFT JOIN users u ON m.member_type = 'User' AND u.id = m.member_id \
             LEFT JOIN groups g ON m.member_type = 'Group' AND g.id = m.member_id \
             WHERE m.group_id = $1 ORDER BY m.member_id",
        )
        .bind(group.as_uuid())
        .fetch_all(&mut **self.pg())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, t, display)| MemberRecord {
                id,
                member_type: if t == "Group" {
                    MemberType::Group
                } else {
                    MemberType::User
                },
                display,
            })
            .collect())
    }
}

fn push_user_conditions(
    qb: &mut QueryBuilder<Postgres>,
    provider: ProviderId,
    conditions: &[UserCondition],
) {
    qb.push(" WHERE u.provider_id = ")
        .push_bind(provider.as_uuid());
    for condition in conditions {
        match condition {
            UserCondition::UserNameKey(key) => {
                qb.push(" AND u.user_name_key = ").push_bind(key.clone());
            }
            UserCondition::ExternalId(value) => {
                qb.push(" AND u.external_id = ").push_bind(value.clone());
            }
            UserCondition::DisplayNameKey(key) => {
                qb.push(" AND u.display_name_key = ").push_bind(key.clone());
            }
            UserCondition::Email {
                type_key,
                value_key,
            } => {
                qb.push(" AND EXISTS (SELECT 1 FROM user_emails e WHERE e.user_id = u.id AND e.value_key = ")
                    .push_bind(value_key.clone());
                if let Some(type_key) = type_key {
                    qb.push(" AND e.type_key = ").push_bind(type_key.clone());
                }
                qb.push(")");
            }
        }
    }
}

fn push_group_conditions(
    qb: &mut QueryBuilder<Postgres>,
    provider: ProviderId,
    conditions: &[GroupCondition],
) {
    qb.push(" WHERE g.provider_id = ")
        .push_bind(provider.as_uuid());
    for condition in conditions {
        match condition {
            GroupCondition::DisplayNameKey(key) => {
                qb.push(" AND g.display_name_key = ").push_bind(key.clone());
            }
            GroupCondition::ExternalId(value) => {
                qb.push(" AND g.external_id = ").push_bind(value.clone());
            }
        }
    }
}
