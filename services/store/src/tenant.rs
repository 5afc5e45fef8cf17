//! [`TenantTx`]: the one handle through which tenant data is read and written.
//!
//! Every query here is unqualified and runs inside a transaction scoped to one
//! tenant: on PostgreSQL its local `search_path` is the tenant's schema alone,
//! on SQLite it runs on the tenant's own database file. Every read and write is
//! also scoped to the calling provider: a provider sees only what it owns.
//!
//! Each method's SQL is written once and run through [`on_tenant!`], which
//! compiles it for both backends; [`Dialect`] supplies what differs.

use roster_core::{GroupId, ProviderId, TenantId, UserId};
use sqlx::{Database, Encode, Postgres, QueryBuilder, Sqlite, Transaction, Type};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::records::{
    GroupCondition, GroupRecord, LifecycleRecord, MemberRecord, MemberType, NewGroup, NewUser,
    Requester, UserCondition, UserRecord, UserState,
};
use crate::{Dialect, StoreError};

/// Most ids bound in one `IN (…)` list; SQLite allows 32,766 parameters per statement.
const IN_CHUNK: usize = 500;

/// A transaction on one tenant's data. Dropping it without [`commit`](Self::commit) rolls back.
pub struct TenantTx {
    tenant: TenantId,
    inner: Inner,
    /// Set when a statement failed. PostgreSQL aborts the transaction then and
    /// would turn COMMIT into a silent rollback; SQLite would commit the rest.
    /// Both refuse to commit instead, so callers see one behaviour.
    failed: bool,
}

pub(crate) enum Inner {
    Postgres(Transaction<'static, Postgres>),
    Sqlite(Transaction<'static, Sqlite>),
}

/// Runs `$body` with `$tx` bound to the backend's open transaction. The body is
/// compiled once per backend, so both always run the same query code.
macro_rules! on_tenant {
    ($self:ident, $tx:ident => $body:expr) => {{
        let result = match &mut $self.inner {
            Inner::Postgres($tx) => $body,
            Inner::Sqlite($tx) => $body,
        };
        if result.is_err() {
            $self.failed = true;
        }
        result
    }};
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    provider_id: Uuid,
    resource: sqlx::types::Json<serde_json::Value>,
    version: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    #[sqlx(flatten)]
    lifecycle: LifecycleColumns,
}

/// The lifecycle columns of a users row, as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct LifecycleColumns {
    state: String,
    deactivation_due_at: Option<OffsetDateTime>,
    deactivation_requested_by: Option<String>,
    legal_hold: bool,
    deleted_by_provider: bool,
    deleted_at: Option<OffsetDateTime>,
    admin_override: bool,
    lifecycle_version: i64,
    state_changed_at: Option<OffsetDateTime>,
}

impl TryFrom<LifecycleColumns> for LifecycleRecord {
    type Error = StoreError;

    fn try_from(row: LifecycleColumns) -> Result<Self, StoreError> {
        let state = UserState::parse(&row.state)
            .ok_or_else(|| StoreError::internal(format!("unknown user state {:?}", row.state)))?;
        let deactivation_requested_by = match row.deactivation_requested_by.as_deref() {
            None => None,
            Some(text) => Some(Requester::parse(text).ok_or_else(|| {
                StoreError::internal(format!("unknown deactivation requester {text:?}"))
            })?),
        };
        Ok(Self {
            state,
            deactivation_due_at: row.deactivation_due_at,
            deactivation_requested_by,
            legal_hold: row.legal_hold,
            deleted_by_provider: row.deleted_by_provider,
            deleted_at: row.deleted_at,
            admin_override: row.admin_override,
            lifecycle_version: row.lifecycle_version,
            state_changed_at: row.state_changed_at,
        })
    }
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: UserId::from_uuid(row.id),
            provider_id: ProviderId::from_uuid(row.provider_id),
            resource: row.resource.0,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
            lifecycle: row.lifecycle.try_into()?,
        })
    }
}

/// Converts fetched rows, failing on the first row the store cannot read.
pub(crate) fn user_records(rows: Vec<UserRow>) -> Result<Vec<UserRecord>, StoreError> {
    rows.into_iter().map(UserRecord::try_from).collect()
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

/// Every column of [`UserRow`], in order.
pub(crate) const USER_COLUMNS: &str = "id, provider_id, resource, version, created_at, updated_at, \
     state, deactivation_due_at, deactivation_requested_by, legal_hold, deleted_by_provider, \
     deleted_at, admin_override, lifecycle_version, state_changed_at";
/// [`USER_COLUMNS`] of the users table aliased `u`.
pub(crate) const USER_COLUMNS_U: &str = "u.id, u.provider_id, u.resource, u.version, u.created_at, u.updated_at, \
     u.state, u.deactivation_due_at, u.deactivation_requested_by, u.legal_hold, u.deleted_by_provider, \
     u.deleted_at, u.admin_override, u.lifecycle_version, u.state_changed_at";
const USER_RETURNING: &str = "RETURNING id, provider_id, resource, version, created_at, updated_at, \
     state, deactivation_due_at, deactivation_requested_by, legal_hold, deleted_by_provider, \
     deleted_at, admin_override, lifecycle_version, state_changed_at";
const GROUP_RETURNING: &str =
    "RETURNING id, provider_id, resource, version, created_at, updated_at";

impl TenantTx {
    pub(crate) fn new(tenant: TenantId, inner: Inner) -> Self {
        Self {
            tenant,
            inner,
            failed: false,
        }
    }

    /// Returns the tenant this transaction is scoped to.
    pub fn tenant(&self) -> TenantId {
        self.tenant
    }

    fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Postgres(_) => Dialect::Postgres,
            Inner::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Commits every change made through this handle. Refused (and rolled
    /// back) when any statement in it failed: a transaction is all or nothing.
    pub async fn commit(self) -> Result<(), StoreError> {
        if self.failed {
            return Err(StoreError::internal(
                "commit refused: a statement of this transaction failed",
            ));
        }
        match self.inner {
            Inner::Postgres(tx) => tx.commit().await?,
            Inner::Sqlite(tx) => tx.commit().await?,
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
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(provider.as_uuid())
                .bind(&user.user_name)
                .bind(&user.user_name_key)
                .bind(&user.external_id)
                .bind(&user.display_name_key)
                .bind(sqlx::types::Json(&user.resource))
                .fetch_one(&mut **tx)
                .await
        })?;
        self.write_emails(id, &user.emails).await?;
        row.try_into()
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
             resource = $7, version = version + 1, updated_at = {now} \
             WHERE id = $1 AND provider_id = $2 {USER_RETURNING}",
            now = self.dialect().now()
        );
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(provider.as_uuid())
                .bind(&user.user_name)
                .bind(&user.user_name_key)
                .bind(&user.external_id)
                .bind(&user.display_name_key)
                .bind(sqlx::types::Json(&user.resource))
                .fetch_optional(&mut **tx)
                .await
        })?
        .ok_or(StoreError::NotFound { kind: "user" })?;
        on_tenant!(self, tx => {
            sqlx::query("DELETE FROM user_emails WHERE user_id = $1")
                .bind(id.as_uuid())
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        self.write_emails(id, &user.emails).await?;
        row.try_into()
    }

    async fn write_emails(
        &mut self,
        id: UserId,
        emails: &[(Option<String>, String)],
    ) -> Result<(), StoreError> {
        if emails.is_empty() {
            return Ok(());
        }
        on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new("INSERT INTO user_emails (user_id, type_key, value_key) ");
            qb.push_values(emails, |mut b, (type_key, value_key)| {
                b.push_bind(id.as_uuid())
                    .push_bind(type_key.clone())
                    .push_bind(value_key.clone());
            });
            qb.build().execute(&mut **tx).await.map(|_| ())
        })?;
        Ok(())
    }

    /// Returns one of the provider's users that it has not deleted, locked for update when
    /// `for_update`.
    pub async fn user(
        &mut self,
        provider: ProviderId,
        id: UserId,
        for_update: bool,
    ) -> Result<Option<UserRecord>, StoreError> {
        let lock = if for_update {
            self.dialect().for_update()
        } else {
            ""
        };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users \
             WHERE id = $1 AND provider_id = $2 AND NOT deleted_by_provider{lock}"
        );
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(provider.as_uuid())
                .fetch_optional(&mut **tx)
                .await
        })?;
        row.map(UserRecord::try_from).transpose()
    }

    /// Deletes one of the provider's users and its memberships; false when there was none.
    pub async fn delete_user(
        &mut self,
        provider: ProviderId,
        id: UserId,
    ) -> Result<bool, StoreError> {
        let deleted = on_tenant!(self, tx => {
            sqlx::query("DELETE FROM users WHERE id = $1 AND provider_id = $2")
                .bind(id.as_uuid())
                .bind(provider.as_uuid())
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        if deleted == 0 {
            return Ok(false);
        }
        self.delete_memberships_of(id.as_uuid()).await?;
        Ok(true)
    }

    /// Removes a user or group from every group it is a member of.
    pub(crate) async fn delete_memberships_of(&mut self, member: Uuid) -> Result<(), StoreError> {
        on_tenant!(self, tx => {
            sqlx::query("DELETE FROM group_members WHERE member_id = $1")
                .bind(member)
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Returns how many users the provider owns and has not deleted (records of the users it
    /// deleted stay with the tenant).
    pub async fn count_users_of_provider(
        &mut self,
        provider: ProviderId,
    ) -> Result<i64, StoreError> {
        let n = on_tenant!(self, tx => {
            sqlx::query_scalar(
                "SELECT count(*) FROM users WHERE provider_id = $1 AND NOT deleted_by_provider",
            )
                .bind(provider.as_uuid())
                .fetch_one(&mut **tx)
                .await
        })?;
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
        let total: i64 = on_tenant!(self, tx => {
            let mut count = QueryBuilder::new("SELECT count(*) FROM users u");
            push_user_conditions(&mut count, provider, conditions);
            count.build_query_scalar().fetch_one(&mut **tx).await
        })?;
        if limit == 0 || total <= offset {
            return Ok((total, Vec::new()));
        }
        let rows = on_tenant!(self, tx => {
            let mut page = QueryBuilder::new(format!("SELECT {USER_COLUMNS_U} FROM users u"));
            push_user_conditions(&mut page, provider, conditions);
            push_page(&mut page, "u", offset, limit);
            page.build_query_as::<UserRow>().fetch_all(&mut **tx).await
        })?;
        Ok((total, user_records(rows)?))
    }

    /// Returns, for each given user, the groups it is a direct member of: (user, group, displayName).
    pub async fn groups_of_users(
        &mut self,
        users: &[UserId],
    ) -> Result<Vec<(UserId, GroupId, String)>, StoreError> {
        let ids: Vec<Uuid> = users.iter().map(UserId::as_uuid).collect();
        let mut found: Vec<(Uuid, Uuid, String, String)> = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let rows: Vec<(Uuid, Uuid, String, String)> = on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "SELECT m.member_id, g.id, g.display_name, g.display_name_key \
                     FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.member_id IN ",
                );
                push_id_list(&mut qb, chunk);
                qb.build_query_as().fetch_all(&mut **tx).await
            })?;
            found.extend(rows);
        }
        found.sort_by(|a, b| (&a.3, a.1).cmp(&(&b.3, b.1)));
        Ok(found
            .into_iter()
            .map(|(u, g, name, _)| (UserId::from_uuid(u), GroupId::from_uuid(g), name))
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
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, GroupRow>(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(provider.as_uuid())
                .bind(&group.display_name)
                .bind(&group.display_name_key)
                .bind(&group.external_id)
                .bind(sqlx::types::Json(&group.resource))
                .fetch_one(&mut **tx)
                .await
        })?;
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
             version = version + 1, updated_at = {now} WHERE id = $1 AND provider_id = $2 {GROUP_RETURNING}",
            now = self.dialect().now()
        );
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, GroupRow>(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(provider.as_uuid())
                .bind(&group.display_name)
                .bind(&group.display_name_key)
                .bind(&group.external_id)
                .bind(sqlx::types::Json(&group.resource))
                .fetch_optional(&mut **tx)
                .await
        })?
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
        let lock = if for_update {
            self.dialect().for_update()
        } else {
            ""
        };
        let sql = format!(
            "SELECT id, provider_id, resource, version, created_at, updated_at FROM groups \
             WHERE id = $1 AND provider_id = $2{lock}"
        );
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, GroupRow>(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(provider.as_uuid())
                .fetch_optional(&mut **tx)
                .await
        })?;
        Ok(row.map(Into::into))
    }

    /// Deletes one of the provider's groups, its memberships and its own membership in other groups.
    pub async fn delete_group(
        &mut self,
        provider: ProviderId,
        id: GroupId,
    ) -> Result<bool, StoreError> {
        let deleted = on_tenant!(self, tx => {
            sqlx::query("DELETE FROM groups WHERE id = $1 AND provider_id = $2")
                .bind(id.as_uuid())
                .bind(provider.as_uuid())
                .execute(&mut **tx)
                .await
                .map(|done| done.rows_affected())
        })?;
        if deleted == 0 {
            return Ok(false);
        }
        self.delete_memberships_of(id.as_uuid()).await?;
        Ok(true)
    }

    /// Bumps a group's version and modification time (after member changes).
    pub async fn touch_group(&mut self, id: GroupId) -> Result<GroupRecord, StoreError> {
        let sql = format!(
            "UPDATE groups SET version = version + 1, updated_at = {now} WHERE id = $1 {GROUP_RETURNING}",
            now = self.dialect().now()
        );
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, GroupRow>(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .fetch_optional(&mut **tx)
                .await
        })?
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
        let total: i64 = on_tenant!(self, tx => {
            let mut count = QueryBuilder::new("SELECT count(*) FROM groups g");
            push_group_conditions(&mut count, provider, conditions);
            count.build_query_scalar().fetch_one(&mut **tx).await
        })?;
        if limit == 0 || total <= offset {
            return Ok((total, Vec::new()));
        }
        let rows = on_tenant!(self, tx => {
            let mut page = QueryBuilder::new(
                "SELECT g.id, g.provider_id, g.resource, g.version, g.created_at, g.updated_at FROM groups g",
            );
            push_group_conditions(&mut page, provider, conditions);
            push_page(&mut page, "g", offset, limit);
            page.build_query_as::<GroupRow>().fetch_all(&mut **tx).await
        })?;
        Ok((total, rows.into_iter().map(Into::into).collect()))
    }

    /// Returns which of `ids` are the provider's users or groups, with their type.
    pub async fn resolve_members(
        &mut self,
        provider: ProviderId,
        ids: &[Uuid],
    ) -> Result<Vec<(Uuid, MemberType)>, StoreError> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IN_CHUNK) {
            let rows: Vec<(Uuid, String)> = on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "SELECT id, 'User' FROM users WHERE NOT deleted_by_provider AND provider_id = ",
                );
                qb.push_bind(provider.as_uuid()).push(" AND id IN ");
                push_id_list(&mut qb, chunk);
                qb.push(" UNION ALL SELECT id, 'Group' FROM groups WHERE provider_id = ")
                    .push_bind(provider.as_uuid())
                    .push(" AND id IN ");
                push_id_list(&mut qb, chunk);
                qb.build_query_as().fetch_all(&mut **tx).await
            })?;
            found.extend(
                rows.into_iter()
                    .map(|(id, t)| (id, MemberType::parse_stored(&t))),
            );
        }
        Ok(found)
    }

    /// Adds members (already resolved) to a group; existing memberships are kept. Returns the
    /// ids that were not members before.
    pub async fn add_members(
        &mut self,
        group: GroupId,
        members: &[(Uuid, MemberType)],
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut added = Vec::new();
        for chunk in members.chunks(IN_CHUNK) {
            let ids: Vec<Uuid> = on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO group_members (group_id, member_id, member_type) ",
                );
                qb.push_values(chunk, |mut b, (id, t)| {
                    b.push_bind(group.as_uuid())
                        .push_bind(*id)
                        .push_bind(t.as_str());
                });
                qb.push(" ON CONFLICT DO NOTHING RETURNING member_id");
                qb.build_query_scalar().fetch_all(&mut **tx).await
            })?;
            added.extend(ids);
        }
        Ok(added)
    }

    /// Removes the given members from a group (absent ones are ignored). Returns the ids that
    /// were members.
    pub async fn remove_members(
        &mut self,
        group: GroupId,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>, StoreError> {
        let mut removed = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let ids: Vec<Uuid> = on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new("DELETE FROM group_members WHERE group_id = ");
                qb.push_bind(group.as_uuid()).push(" AND member_id IN ");
                push_id_list(&mut qb, chunk);
                qb.push(" RETURNING member_id");
                qb.build_query_scalar().fetch_all(&mut **tx).await
            })?;
            removed.extend(ids);
        }
        Ok(removed)
    }

    /// Removes every member of a group; returns the ids that were members.
    pub async fn clear_members(&mut self, group: GroupId) -> Result<Vec<Uuid>, StoreError> {
        let removed: Vec<Uuid> = on_tenant!(self, tx => {
            sqlx::query_scalar("DELETE FROM group_members WHERE group_id = $1 RETURNING member_id")
                .bind(group.as_uuid())
                .fetch_all(&mut **tx)
                .await
        })?;
        Ok(removed)
    }

    /// Returns a group's members with their display values, in a stable order.
    pub async fn members(&mut self, group: GroupId) -> Result<Vec<MemberRecord>, StoreError> {
        let rows: Vec<(Uuid, String, Option<String>)> = on_tenant!(self, tx => {
            sqlx::query_as(
                "SELECT m.member_id, m.member_type, COALESCE(u.resource->>'displayName', u.user_name, g.display_name) \
                 FROM group_members m \
                 LEFT JOIN users u ON m.member_type = 'User' AND u.id = m.member_id \
                 LEFT JOIN groups g ON m.member_type = 'Group' AND g.id = m.member_id \
                 WHERE m.group_id = $1 ORDER BY m.member_id",
            )
            .bind(group.as_uuid())
            .fetch_all(&mut **tx)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, t, display)| MemberRecord {
                id,
                member_type: MemberType::parse_stored(&t),
                display,
            })
            .collect())
    }
}

/// Appends `(?, ?, …)` binding each id.
fn push_id_list<DB>(qb: &mut QueryBuilder<DB>, ids: &[Uuid])
where
    DB: Database,
    for<'q> Uuid: Encode<'q, DB> + Type<DB>,
{
    qb.push("(");
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    qb.push(")");
}

/// Appends the creation-order page clause for the table aliased `alias`.
fn push_page<DB>(qb: &mut QueryBuilder<DB>, alias: &'static str, offset: i64, limit: i64)
where
    DB: Database,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    qb.push(format!(" ORDER BY {alias}.created_at, {alias}.id LIMIT "))
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
}

fn push_user_conditions<DB>(
    qb: &mut QueryBuilder<DB>,
    provider: ProviderId,
    conditions: &[UserCondition],
) where
    DB: Database,
    for<'q> Uuid: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    qb.push(" WHERE NOT u.deleted_by_provider AND u.provider_id = ")
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

fn push_group_conditions<DB>(
    qb: &mut QueryBuilder<DB>,
    provider: ProviderId,
    conditions: &[GroupCondition],
) where
    DB: Database,
    for<'q> Uuid: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
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

pub(crate) mod digest;
pub(crate) mod job_admin;
pub(crate) mod jobs;
pub(crate) mod lifecycle;
pub(crate) mod log_queries;
pub(crate) mod logs;
pub(crate) mod mapping;
pub(crate) mod mapping_rules;
pub(crate) mod organization_tree;
pub(crate) mod organizations;
pub(crate) mod placement;
pub(crate) mod provisioning_errors;
pub(crate) mod queue;
pub(crate) mod remaps;
pub(crate) mod retention;
pub(crate) mod roles;
pub(crate) mod test_hooks;
mod transfer;
mod transfer_mapping_writes;
mod transfer_mappings;
mod transfer_orgs;
mod transfer_tables;
