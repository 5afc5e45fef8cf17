//! Raw reads and writes, for export and import, of the tables tenant migration
//! 0002 added: jobs, the sync log, the audit log and the provisioning errors
//! (provider settings are in `transfer_mappings.rs`). Every column as stored; reads page by keyset (id
//! order), so a snapshot transaction streams logs of any length. `test_hooks`
//! is test-only and never read here.

use roster_core::{ProviderId, UserId};
use sqlx::QueryBuilder;
use time::OffsetDateTime;
use uuid::Uuid;

use super::job_admin::{JOB_COLUMNS, JobRow};
use super::{Inner, TenantTx};
use crate::transfer::{
    StoredAuditEntry, StoredJob, StoredProvisioningError, StoredSyncEntry, push_timestamp,
};
use crate::{ActorKind, StoreError};

/// Rows per multi-row INSERT: at 18 columns, well under SQLite's 32,766 bound parameters.
const INSERT_CHUNK: usize = 200;

/// The unique keys of the live jobs that tenant migrations seed into every new
/// tenant (0002: the daily `purge_logs`; 0003: the daily `send_digest`).
const SEEDED_JOB_KEYS: &[&str] = &["purge_logs", "send_digest"];

impl From<JobRow> for StoredJob {
    fn from(row: JobRow) -> Self {
        Self {
            id: row.id,
            kind: row.kind,
            subject: row.subject,
            unique_key: row.unique_key,
            fence: row.fence,
            payload: row.payload.0,
            state: row.state,
            due_at: row.due_at,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            lease_owner: row.lease_owner,
            lease_expires_at: row.lease_expires_at,
            last_error: row.last_error,
            outcome: row.outcome,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
            finished_at: row.finished_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct SyncRow {
    id: Uuid,
    at: OffsetDateTime,
    provider_id: Uuid,
    user_id: Uuid,
    user_name: String,
    change_type: String,
    attribute: String,
    old_value: Option<String>,
    new_value: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: Uuid,
    at: OffsetDateTime,
    actor_kind: String,
    actor: String,
    event: String,
    target_kind: Option<String>,
    target_id: Option<String>,
    target_name: Option<String>,
    details: sqlx::types::Json<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct ErrorRow {
    id: Uuid,
    at: OffsetDateTime,
    provider_id: Uuid,
    operation: String,
    status: i32,
    scim_type: Option<String>,
    user_name: Option<String>,
    external_id: Option<String>,
    detail: String,
}

/// Builds `SELECT <columns> FROM <table> [WHERE <key> > after] ORDER BY <key> LIMIT limit`.
/// `columns`, `table` and `key` are constants of this file, never request text.
macro_rules! page_query {
    ($tx:ident, $columns:expr, $table:literal, $key:literal, $after:expr, $limit:expr) => {{
        let mut qb = QueryBuilder::new(format!("SELECT {} FROM {}", $columns, $table));
        if let Some(after) = $after {
            qb.push(concat!(" WHERE ", $key, " > ")).push_bind(after);
        }
        qb.push(concat!(" ORDER BY ", $key, " LIMIT "))
            .push_bind($limit);
        qb.build_query_as().fetch_all(&mut **$tx).await
    }};
}

impl TenantTx {
    /// Returns up to `limit` jobs with ids greater than `after`, in id order, in every state.
    pub async fn stored_jobs_after(
        &mut self,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<StoredJob>, StoreError> {
        let rows: Vec<JobRow> =
            on_tenant!(self, tx => page_query!(tx, JOB_COLUMNS, "jobs", "id", after, limit))?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Returns the live (pending or running) jobs that the tenant migrations seed into every
    /// new tenant: the daily `purge_logs` and `send_digest`, in that order.
    pub async fn seeded_live_jobs(&mut self) -> Result<Vec<StoredJob>, StoreError> {
        let mut jobs = Vec::new();
        for key in SEEDED_JOB_KEYS {
            let sql = format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE unique_key = $1 \
                 AND state IN ('pending', 'running')"
            );
            let rows: Vec<JobRow> = on_tenant!(self, tx => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(*key)
                    .fetch_all(&mut **tx)
                    .await
            })?;
            jobs.extend(rows.into_iter().map(StoredJob::from));
        }
        Ok(jobs)
    }

    /// Returns up to `limit` sync-log entries with ids greater than `after`, in id order.
    pub async fn stored_sync_entries_after(
        &mut self,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<StoredSyncEntry>, StoreError> {
        let rows: Vec<SyncRow> = on_tenant!(self, tx => page_query!(
            tx,
            "id, at, provider_id, user_id, user_name, change_type, attribute, old_value, new_value",
            "sync_log", "id", after, limit
        ))?;
        Ok(rows
            .into_iter()
            .map(|row| StoredSyncEntry {
                id: row.id,
                at: row.at,
                provider_id: ProviderId::from_uuid(row.provider_id),
                user_id: UserId::from_uuid(row.user_id),
                user_name: row.user_name,
                change_type: row.change_type,
                attribute: row.attribute,
                old_value: row.old_value,
                new_value: row.new_value,
            })
            .collect())
    }

    /// Returns up to `limit` audit-log entries with ids greater than `after`, in id order.
    pub async fn stored_audit_entries_after(
        &mut self,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<StoredAuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = on_tenant!(self, tx => page_query!(
            tx,
            "id, at, actor_kind, actor, event, target_kind, target_id, target_name, details",
            "audit_log", "id", after, limit
        ))?;
        rows.into_iter()
            .map(|row| {
                let actor_kind = ActorKind::parse(&row.actor_kind).ok_or_else(|| {
                    StoreError::internal(format!("unknown audit actor kind {:?}", row.actor_kind))
                })?;
                Ok(StoredAuditEntry {
                    id: row.id,
                    at: row.at,
                    actor_kind,
                    actor: row.actor,
                    event: row.event,
                    target_kind: row.target_kind,
                    target_id: row.target_id,
                    target_name: row.target_name,
                    details: row.details.0,
                })
            })
            .collect()
    }

    /// Returns up to `limit` provisioning errors with ids greater than `after`, in id order.
    pub async fn stored_provisioning_errors_after(
        &mut self,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<StoredProvisioningError>, StoreError> {
        let rows: Vec<ErrorRow> = on_tenant!(self, tx => page_query!(
            tx,
            "id, at, provider_id, operation, status, scim_type, user_name, external_id, detail",
            "provisioning_errors", "id", after, limit
        ))?;
        Ok(rows
            .into_iter()
            .map(|row| StoredProvisioningError {
                id: row.id,
                at: row.at,
                provider_id: ProviderId::from_uuid(row.provider_id),
                operation: row.operation,
                status: row.status,
                scim_type: row.scim_type,
                user_name: row.user_name,
                external_id: row.external_id,
                detail: row.detail,
            })
            .collect())
    }

    /// Inserts jobs exactly as given, in whatever state. Conflict when an id is taken or
    /// two live jobs share a unique key.
    pub async fn insert_stored_jobs(&mut self, jobs: &[StoredJob]) -> Result<(), StoreError> {
        let dialect = self.dialect();
        for chunk in jobs.chunks(INSERT_CHUNK) {
            on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(format!("INSERT INTO jobs ({JOB_COLUMNS}) "));
                qb.push_values(chunk, |mut b, j| {
                    b.push_bind(j.id)
                        .push_bind(&j.kind)
                        .push_bind(&j.subject)
                        .push_bind(&j.unique_key)
                        .push_bind(j.fence)
                        .push_bind(sqlx::types::Json(&j.payload))
                        .push_bind(&j.state);
                    push_timestamp(&mut b, dialect, j.due_at);
                    b.push_bind(j.attempts)
                        .push_bind(j.max_attempts)
                        .push_bind(&j.lease_owner);
                    push_timestamp(&mut b, dialect, j.lease_expires_at);
                    b.push_bind(&j.last_error)
                        .push_bind(&j.outcome)
                        .push_bind(&j.created_by);
                    push_timestamp(&mut b, dialect, j.created_at);
                    push_timestamp(&mut b, dialect, j.updated_at);
                    push_timestamp(&mut b, dialect, j.finished_at);
                });
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Inserts sync-log entries exactly as given (ids and times kept). Conflict on a taken id.
    pub async fn insert_stored_sync_entries(
        &mut self,
        entries: &[StoredSyncEntry],
    ) -> Result<(), StoreError> {
        let dialect = self.dialect();
        for chunk in entries.chunks(INSERT_CHUNK) {
            on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO sync_log (id, at, provider_id, user_id, user_name, change_type, \
                     attribute, old_value, new_value) ",
                );
                qb.push_values(chunk, |mut b, e| {
                    b.push_bind(e.id);
                    push_timestamp(&mut b, dialect, e.at);
                    b.push_bind(e.provider_id.as_uuid())
                        .push_bind(e.user_id.as_uuid())
                        .push_bind(&e.user_name)
                        .push_bind(&e.change_type)
                        .push_bind(&e.attribute)
                        .push_bind(&e.old_value)
                        .push_bind(&e.new_value);
                });
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Inserts audit-log entries exactly as given (ids and times kept). Conflict on a taken id.
    pub async fn insert_stored_audit_entries(
        &mut self,
        entries: &[StoredAuditEntry],
    ) -> Result<(), StoreError> {
        let dialect = self.dialect();
        for chunk in entries.chunks(INSERT_CHUNK) {
            on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO audit_log (id, at, actor_kind, actor, event, target_kind, \
                     target_id, target_name, details) ",
                );
                qb.push_values(chunk, |mut b, e| {
                    b.push_bind(e.id);
                    push_timestamp(&mut b, dialect, e.at);
                    b.push_bind(e.actor_kind.as_str())
                        .push_bind(&e.actor)
                        .push_bind(&e.event)
                        .push_bind(&e.target_kind)
                        .push_bind(&e.target_id)
                        .push_bind(&e.target_name)
                        .push_bind(sqlx::types::Json(&e.details));
                });
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Inserts provisioning errors exactly as given (ids and times kept). Conflict on a taken id.
    pub async fn insert_stored_provisioning_errors(
        &mut self,
        errors: &[StoredProvisioningError],
    ) -> Result<(), StoreError> {
        let dialect = self.dialect();
        for chunk in errors.chunks(INSERT_CHUNK) {
            on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO provisioning_errors (id, at, provider_id, operation, status, \
                     scim_type, user_name, external_id, detail) ",
                );
                qb.push_values(chunk, |mut b, e| {
                    b.push_bind(e.id);
                    push_timestamp(&mut b, dialect, e.at);
                    b.push_bind(e.provider_id.as_uuid())
                        .push_bind(&e.operation)
                        .push_bind(e.status)
                        .push_bind(&e.scim_type)
                        .push_bind(&e.user_name)
                        .push_bind(&e.external_id)
                        .push_bind(&e.detail);
                });
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }
}
