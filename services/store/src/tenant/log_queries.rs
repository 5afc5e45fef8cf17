//! Reads of the tenant's sync log and audit log for admins (and the paging
//! helpers `provisioning_errors` shares): filtered by time range and facts, sorted by an allowlisted column,
//! paged by keyset (the last entry of a page), so a page is found in
//! O(page) whatever its depth and an export stays exact while entries are
//! appended. Each page is its own short transaction: a long export never holds
//! the embedded database's write lock.

use roster_core::{ProviderId, UserId};
use sqlx::{Database, Encode, QueryBuilder, Type};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, TenantTx};
use crate::{Dialect, StoreError};

/// The columns the sync log can be sorted by; entries with equal values follow in time order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SyncLogSort {
    /// When the change happened.
    #[default]
    Time,
    /// The user's userName.
    UserName,
    /// The change type.
    ChangeType,
    /// The attribute.
    Attribute,
}

impl SyncLogSort {
    /// The column behind the sort (an allowlist: never text from a request).
    fn column(self) -> Option<&'static str> {
        match self {
            Self::Time => None,
            Self::UserName => Some("user_name"),
            Self::ChangeType => Some("change_type"),
            Self::Attribute => Some("attribute"),
        }
    }
}

/// Which sync-log entries to read, and in which order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncLogQuery {
    /// Entries at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Entries before this time.
    pub to: Option<OffsetDateTime>,
    /// About this user.
    pub user: Option<UserId>,
    /// Caused by this provider.
    pub provider: Option<ProviderId>,
    /// Of this change type.
    pub change_type: Option<String>,
    /// The sort column.
    pub sort: SyncLogSort,
    /// Largest first.
    pub descending: bool,
}

/// Where the next page starts: just after this entry, in the query's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCursor {
    /// The sort column's value of the last entry (empty when sorted by time).
    pub key: String,
    /// Its time.
    pub at: OffsetDateTime,
    /// Its id.
    pub id: Uuid,
}

/// One stored sync-log entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SyncLogRecord {
    /// Id.
    pub id: Uuid,
    /// When (the tenant's clock).
    pub at: OffsetDateTime,
    /// The provider that caused it.
    pub provider_id: Uuid,
    /// The provider's username, when the tenant still knows it.
    pub provider_username: Option<String>,
    /// The user.
    pub user_id: Uuid,
    /// The user's userName at the time.
    pub user_name: String,
    /// created, updated, blocked, …
    pub change_type: String,
    /// The attribute.
    pub attribute: String,
    /// The value before.
    pub old_value: Option<String>,
    /// The value after.
    pub new_value: Option<String>,
}

impl SyncLogRecord {
    /// Returns the cursor that continues after this entry under `sort`.
    pub fn cursor(&self, sort: SyncLogSort) -> LogCursor {
        let key = match sort {
            SyncLogSort::Time => String::new(),
            SyncLogSort::UserName => self.user_name.clone(),
            SyncLogSort::ChangeType => self.change_type.clone(),
            SyncLogSort::Attribute => self.attribute.clone(),
        };
        LogCursor {
            key,
            at: self.at,
            id: self.id,
        }
    }
}

/// Which audit-log entries to read (newest first unless `oldest_first`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditLogQuery {
    /// Entries at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Entries before this time.
    pub to: Option<OffsetDateTime>,
    /// This event, e.g. `user deactivated`.
    pub event: Option<String>,
    /// Done by this actor (a provider's username, `operator`, `roster`).
    pub actor: Option<String>,
    /// About this target id (a user or provider id).
    pub target_id: Option<String>,
    /// Oldest first.
    pub oldest_first: bool,
}

/// One stored audit-log entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRecord {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: OffsetDateTime,
    /// `provider`, `operator` or `system`.
    pub actor_kind: String,
    /// Who.
    pub actor: String,
    /// What happened.
    pub event: String,
    /// What it happened to: `user`, `provider`, `job`, …
    pub target_kind: Option<String>,
    /// The target's id.
    pub target_id: Option<String>,
    /// The target's name.
    pub target_name: Option<String>,
    /// Event-specific facts, as JSON text.
    pub details: sqlx::types::Json<serde_json::Value>,
}

const SYNC_LOG_COLUMNS: &str = "s.id, s.at, s.provider_id, p.username AS provider_username, \
     s.user_id, s.user_name, s.change_type, s.attribute, s.old_value, s.new_value";
const AUDIT_COLUMNS: &str =
    "id, at, actor_kind, actor, event, target_kind, target_id, target_name, details";

/// Pushes ` AND <at> >= from AND <at> < to` for the set bounds.
pub(super) fn push_time_range<DB>(
    qb: &mut QueryBuilder<DB>,
    dialect: Dialect,
    column: &str,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
) where
    DB: Database,
    for<'q> OffsetDateTime: Encode<'q, DB> + Type<DB>,
{
    let (open, close) = dialect.timestamp_param();
    for (bound, op) in [(from, ">="), (to, "<")] {
        if let Some(at) = bound {
            qb.push(format!(" AND {column} {op} {open}"))
                .push_bind(at)
                .push(close);
        }
    }
}

/// Pushes the keyset condition `(key, at, id) > cursor` (or `<` when descending).
pub(super) fn push_after<DB>(
    qb: &mut QueryBuilder<DB>,
    dialect: Dialect,
    prefix: &str,
    key_column: Option<&str>,
    after: Option<&LogCursor>,
    descending: bool,
) where
    DB: Database,
    for<'q> OffsetDateTime: Encode<'q, DB> + Type<DB>,
    for<'q> Uuid: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    let Some(cursor) = after else { return };
    let op = if descending { "<" } else { ">" };
    let (open, close) = dialect.timestamp_param();
    qb.push(" AND (");
    if let Some(column) = key_column {
        qb.push(format!("{prefix}{column}, "));
    }
    qb.push(format!("{prefix}at, {prefix}id) {op} ("));
    if key_column.is_some() {
        qb.push_bind(cursor.key.clone()).push(", ");
    }
    qb.push(open)
        .push_bind(cursor.at)
        .push(close)
        .push(", ")
        .push_bind(cursor.id)
        .push(")");
}

/// Pushes `ORDER BY [key,] at, id` in one direction, then the limit.
pub(super) fn push_order<DB>(
    qb: &mut QueryBuilder<DB>,
    prefix: &str,
    key_column: Option<&str>,
    descending: bool,
    limit: i64,
) where
    DB: Database,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    let dir = if descending { "DESC" } else { "ASC" };
    qb.push(" ORDER BY ");
    if let Some(column) = key_column {
        qb.push(format!("{prefix}{column} {dir}, "));
    }
    qb.push(format!("{prefix}at {dir}, {prefix}id {dir} LIMIT "))
        .push_bind(limit);
}

fn push_sync_filter<DB>(qb: &mut QueryBuilder<DB>, dialect: Dialect, q: &SyncLogQuery)
where
    DB: Database,
    for<'q> OffsetDateTime: Encode<'q, DB> + Type<DB>,
    for<'q> Uuid: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    push_time_range(qb, dialect, "s.at", q.from, q.to);
    if let Some(user) = q.user {
        qb.push(" AND s.user_id = ").push_bind(user.as_uuid());
    }
    if let Some(provider) = q.provider {
        qb.push(" AND s.provider_id = ")
            .push_bind(provider.as_uuid());
    }
    if let Some(change_type) = &q.change_type {
        qb.push(" AND s.change_type = ")
            .push_bind(change_type.clone());
    }
}

impl TenantTx {
    /// Returns how many sync-log entries match `q`.
    pub async fn count_sync_log(&mut self, q: &SyncLogQuery) -> Result<i64, StoreError> {
        let dialect = self.dialect();
        let total = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new("SELECT count(*) FROM sync_log s");
            push_sync_filter(&mut qb, dialect, q);
            qb.build_query_scalar::<i64>().fetch_one(&mut **tx).await
        })?;
        Ok(total)
    }

    /// Returns up to `limit` sync-log entries matching `q`, in its order, after `after`.
    pub async fn sync_log_page(
        &mut self,
        q: &SyncLogQuery,
        after: Option<&LogCursor>,
        limit: i64,
    ) -> Result<Vec<SyncLogRecord>, StoreError> {
        let dialect = self.dialect();
        let key = q.sort.column();
        let rows = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(format!(
                "SELECT {SYNC_LOG_COLUMNS} FROM sync_log s \
                 LEFT JOIN provider_settings p ON p.provider_id = s.provider_id"
            ));
            push_sync_filter(&mut qb, dialect, q);
            push_after(&mut qb, dialect, "s.", key, after, q.descending);
            push_order(&mut qb, "s.", key, q.descending, limit);
            qb.build_query_as::<SyncLogRecord>().fetch_all(&mut **tx).await
        })?;
        Ok(rows)
    }

    /// Returns up to `limit` audit-log entries matching `q`, after `after`.
    pub async fn audit_log_page(
        &mut self,
        q: &AuditLogQuery,
        after: Option<&LogCursor>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let dialect = self.dialect();
        let descending = !q.oldest_first;
        let rows = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE 1 = 1"));
            push_time_range(&mut qb, dialect, "at", q.from, q.to);
            for (column, value) in [("event", &q.event), ("actor", &q.actor), ("target_id", &q.target_id)] {
                if let Some(value) = value {
                    qb.push(format!(" AND {column} = ")).push_bind(value.clone());
                }
            }
            push_after(&mut qb, dialect, "", None, after, descending);
            push_order(&mut qb, "", None, descending, limit);
            qb.build_query_as::<AuditRecord>().fetch_all(&mut **tx).await
        })?;
        Ok(rows)
    }
}
