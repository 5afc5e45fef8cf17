//! User lifecycle columns, provider settings kept with the tenant, and the
//! admin's tenant-wide view of users (which SCIM never has: SCIM sees one
//! provider's users that it has not deleted).

use roster_core::{ProviderId, UserId};
use sqlx::{Database, Encode, QueryBuilder, Type};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, TenantTx, USER_COLUMNS, USER_COLUMNS_U, UserRow, user_records};
use crate::StoreError;
use crate::records::{Requester, UserRecord, UserState};

/// What happens to a user's pending deactivation in a lifecycle write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueChange {
    /// Leave it as it is.
    Keep,
    /// None is pending any more.
    Clear,
    /// Due `secs` seconds from now (0: now, e.g. kept waiting by a legal hold).
    In {
        /// Seconds from now, on the tenant's database clock.
        secs: i64,
        /// Who asked for it.
        by: Requester,
    },
}

/// The lifecycle columns to write; `lifecycle_version` grows by one, `state_changed_at`
/// and `deleted_at` follow `state` and `deleted_by_provider`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleUpdate {
    /// The new state.
    pub state: UserState,
    /// The pending deactivation.
    pub due: DueChange,
    /// Legal hold.
    pub legal_hold: bool,
    /// Deleted by its provider.
    pub deleted_by_provider: bool,
    /// An admin decision overrides the provider's last assertion.
    pub admin_override: bool,
}

/// A provider's settings kept with the tenant's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    /// The provider.
    pub provider_id: ProviderId,
    /// Its username, the actor named in the audit log.
    pub username: String,
    /// Seconds between a provider's deactivation and its effect.
    pub deactivation_delay_secs: i64,
    /// The last time one of its writes succeeded.
    pub last_success_at: Option<OffsetDateTime>,
}

/// Which users an admin listing returns; every set field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminUserFilter {
    /// In this state.
    pub state: Option<UserState>,
    /// With a deactivation pending (scheduled, or waiting on a legal hold).
    pub pending_deactivation: bool,
    /// On legal hold.
    pub on_hold: bool,
    /// Deleted by their provider.
    pub deleted_by_provider: bool,
    /// Local users only.
    pub local: bool,
    /// Owned by this provider.
    pub provider: Option<ProviderId>,
    /// This userName key.
    pub user_name_key: Option<String>,
}

impl TenantTx {
    /// Returns the tenant's current time (the database clock, see `Dialect::tenant_now`).
    pub async fn tenant_now(&mut self) -> Result<OffsetDateTime, StoreError> {
        let sql = format!("SELECT {}", self.dialect().tenant_now());
        let now = on_tenant!(self, tx => {
            sqlx::query_scalar::<_, OffsetDateTime>(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut **tx)
                .await
        })?;
        Ok(now)
    }

    /// Returns any user of the tenant (deleted and local ones too), locked when `for_update`.
    pub async fn user_for_admin(
        &mut self,
        id: UserId,
        for_update: bool,
    ) -> Result<Option<UserRecord>, StoreError> {
        let lock = if for_update {
            self.dialect().for_update()
        } else {
            ""
        };
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1{lock}");
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .fetch_optional(&mut **tx)
                .await
        })?;
        row.map(UserRecord::try_from).transpose()
    }

    /// Returns the user holding this userName key: the one that is not both deleted by its
    /// provider and deactivated (the unique index allows one).
    pub async fn user_holding_name(
        &mut self,
        user_name_key: &str,
        for_update: bool,
    ) -> Result<Option<UserRecord>, StoreError> {
        let lock = if for_update {
            self.dialect().for_update()
        } else {
            ""
        };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE user_name_key = $1 \
             AND NOT (deleted_by_provider AND state = 'deactivated'){lock}"
        );
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
                .bind(user_name_key)
                .fetch_optional(&mut **tx)
                .await
        })?;
        row.map(UserRecord::try_from).transpose()
    }

    /// Returns the provider's deleted, not yet deactivated user whose userName key or
    /// externalId matches, locked: the account a re-created user revives.
    pub async fn revivable_user(
        &mut self,
        provider: ProviderId,
        user_name_key: &str,
        external_id: Option<&str>,
    ) -> Result<Option<UserRecord>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE provider_id = $1 AND deleted_by_provider \
             AND state <> 'deactivated' AND (user_name_key = $2 OR external_id = $3) \
             ORDER BY (user_name_key = $2) DESC, deleted_at DESC LIMIT 1{lock}",
            lock = self.dialect().for_update()
        );
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
                .bind(provider.as_uuid())
                .bind(user_name_key)
                .bind(external_id)
                .fetch_optional(&mut **tx)
                .await
        })?;
        row.map(UserRecord::try_from).transpose()
    }

    /// Writes a user's lifecycle columns and returns the user as now stored.
    pub async fn write_lifecycle(
        &mut self,
        id: UserId,
        update: &LifecycleUpdate,
    ) -> Result<UserRecord, StoreError> {
        let dialect = self.dialect();
        let now = dialect.tenant_now();
        let (due, requested_by, extra) = match update.due {
            DueChange::Keep => (
                "deactivation_due_at".to_owned(),
                "deactivation_requested_by",
                None,
            ),
            DueChange::Clear => ("NULL".to_owned(), "NULL", None),
            DueChange::In { secs, by } => (dialect.tenant_now_plus("$6"), "$7", Some((secs, by))),
        };
        let sql = format!(
            "UPDATE users SET \
             state_changed_at = CASE WHEN state <> $2 THEN {now} ELSE state_changed_at END, \
             deleted_at = CASE WHEN NOT $4 THEN NULL WHEN deleted_by_provider THEN deleted_at ELSE {now} END, \
             state = $2, legal_hold = $3, deleted_by_provider = $4, admin_override = $5, \
             deactivation_due_at = {due}, deactivation_requested_by = {requested_by}, \
             lifecycle_version = lifecycle_version + 1, \
             version = version + CASE WHEN deleted_by_provider <> $4 THEN 1 ELSE 0 END, \
             updated_at = {real_now} WHERE id = $1 RETURNING {USER_COLUMNS}",
            real_now = dialect.now(),
        );
        let row = on_tenant!(self, tx => {
            let mut query = sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
                .bind(id.as_uuid())
                .bind(update.state.as_str())
                .bind(update.legal_hold)
                .bind(update.deleted_by_provider)
                .bind(update.admin_override);
            if let Some((secs, by)) = extra {
                query = query.bind(secs).bind(by.as_str());
            }
            query.fetch_optional(&mut **tx).await
        })?
        .ok_or(StoreError::NotFound { kind: "user" })?;
        UserRecord::try_from(row)
    }

    /// Removes a user from every group (a provider's delete hides it from its groups too).
    pub async fn remove_user_from_groups(&mut self, id: UserId) -> Result<(), StoreError> {
        self.delete_memberships_of(id.as_uuid()).await
    }

    /// Deletes a user and everything that refers to it, for good. The caller has checked
    /// that it is not on legal hold; the statement checks again.
    pub async fn hard_delete_user(&mut self, id: UserId) -> Result<bool, StoreError> {
        let deleted = on_tenant!(self, tx => {
            sqlx::query("DELETE FROM users WHERE id = $1 AND NOT legal_hold")
                .bind(id.as_uuid())
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

    /// Returns the total of users matching `filter` and one page of them, in creation order.
    pub async fn admin_list_users(
        &mut self,
        filter: &AdminUserFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<UserRecord>), StoreError> {
        let total: i64 = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new("SELECT count(*) FROM users u");
            push_admin_filter(&mut qb, filter);
            qb.build_query_scalar().fetch_one(&mut **tx).await
        })?;
        if limit == 0 || total <= offset {
            return Ok((total, Vec::new()));
        }
        let rows = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(format!("SELECT {USER_COLUMNS_U} FROM users u"));
            push_admin_filter(&mut qb, filter);
            qb.push(" ORDER BY u.created_at, u.id LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset);
            qb.build_query_as::<UserRow>().fetch_all(&mut **tx).await
        })?;
        Ok((total, user_records(rows)?))
    }

    /// Returns a provider's settings, if the tenant has a row for it yet.
    pub async fn provider_settings(
        &mut self,
        provider: ProviderId,
    ) -> Result<Option<ProviderSettings>, StoreError> {
        let row: Option<(Uuid, String, i64, Option<OffsetDateTime>)> = on_tenant!(self, tx => {
            sqlx::query_as(
                "SELECT provider_id, username, deactivation_delay_secs, last_success_at \
                 FROM provider_settings WHERE provider_id = $1",
            )
            .bind(provider.as_uuid())
            .fetch_optional(&mut **tx)
            .await
        })?;
        Ok(row.map(|(id, username, delay, last)| ProviderSettings {
            provider_id: ProviderId::from_uuid(id),
            username,
            deactivation_delay_secs: delay,
            last_success_at: last,
        }))
    }

    /// Creates a provider's settings row with the defaults (single organization: the
    /// top-level one; manual roles; the basic user roles allowed), unless it exists.
    pub async fn ensure_provider_settings(
        &mut self,
        provider: ProviderId,
        username: &str,
    ) -> Result<(), StoreError> {
        let created = on_tenant!(self, tx => {
            sqlx::query(
                "INSERT INTO provider_settings (provider_id, username) VALUES ($1, $2) \
                 ON CONFLICT (provider_id) DO NOTHING",
            )
            .bind(provider.as_uuid())
            .bind(username)
            .execute(&mut **tx)
            .await
            .map(|done| done.rows_affected() == 1)
        })?;
        if created {
            self.set_role_allowlist(provider, &roster_core::RoleId::DEFAULT_ALLOWLIST)
                .await?;
        }
        Ok(())
    }

    /// Sets a provider's deactivation delay (its settings row must exist).
    pub async fn set_deactivation_delay(
        &mut self,
        provider: ProviderId,
        secs: i64,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "UPDATE provider_settings SET deactivation_delay_secs = $2, updated_at = {now} \
             WHERE provider_id = $1",
            now = self.dialect().now()
        );
        let n = on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(provider.as_uuid())
                .bind(secs)
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

    /// Records a successful provider write. At most one write a minute touches the row,
    /// so concurrent requests of one provider do not queue on it.
    pub async fn note_provider_success(&mut self, provider: ProviderId) -> Result<(), StoreError> {
        let now = self.dialect().tenant_now();
        let minute_ago = self.dialect().tenant_now_plus("-60");
        let sql = format!(
            "UPDATE provider_settings SET last_success_at = {now} WHERE provider_id = $1 \
             AND (last_success_at IS NULL OR last_success_at < {minute_ago})"
        );
        on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(provider.as_uuid())
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }
}

fn push_admin_filter<DB>(qb: &mut QueryBuilder<DB>, filter: &AdminUserFilter)
where
    DB: Database,
    for<'q> Uuid: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(state) = filter.state {
        qb.push(" AND u.state = ")
            .push_bind(state.as_str().to_owned());
    }
    if filter.pending_deactivation {
        qb.push(" AND u.deactivation_due_at IS NOT NULL AND u.state = 'blocked'");
    }
    if filter.on_hold {
        qb.push(" AND u.legal_hold");
    }
    if filter.deleted_by_provider {
        qb.push(" AND u.deleted_by_provider");
    }
    if filter.local {
        qb.push(" AND u.provider_id = ")
            .push_bind(crate::LOCAL_PROVIDER);
    }
    if let Some(provider) = filter.provider {
        qb.push(" AND u.provider_id = ")
            .push_bind(provider.as_uuid());
    }
    if let Some(key) = &filter.user_name_key {
        qb.push(" AND u.user_name_key = ").push_bind(key.clone());
    }
}
