//! The admin's side of the tenant's job queue: list, inspect, retry and cancel.

use serde_json::Value as Json;
use sqlx::{Database, Encode, QueryBuilder, Type};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Inner, TenantTx};
use crate::StoreError;

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its due time.
    Pending,
    /// Leased to a worker.
    Running,
    /// Its effect committed.
    Succeeded,
    /// Its last attempt failed; an admin may retry it.
    Failed,
    /// Cancelled before it ran.
    Cancelled,
}

impl JobState {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "running" => Some(Self::Running),
            "succeeded" => Some(Self::Succeeded),
            "failed" => Some(Self::Failed),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRecord {
    /// Id.
    pub id: Uuid,
    /// What it does.
    pub kind: String,
    /// What it acts on (a user id).
    pub subject: Option<String>,
    /// At most one pending or running job has this key.
    pub unique_key: Option<String>,
    /// The subject's version when it was scheduled.
    pub fence: Option<i64>,
    /// Kind-specific arguments.
    pub payload: Json,
    /// Where it is.
    pub state: JobState,
    /// When it is (or was) due.
    pub due_at: OffsetDateTime,
    /// Attempts made since it was enqueued or last retried by an admin.
    pub attempts: i32,
    /// Attempts before it is marked failed.
    pub max_attempts: i32,
    /// The worker holding (or that last held) its lease.
    pub lease_owner: Option<String>,
    /// When the running attempt's lease expires.
    pub lease_expires_at: Option<OffsetDateTime>,
    /// The last failed attempt's error.
    pub last_error: Option<String>,
    /// What its successful run did.
    pub outcome: Option<String>,
    /// Who scheduled it.
    pub created_by: String,
    /// When it was enqueued.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
    /// When it succeeded, failed for good, or was cancelled.
    pub finished_at: Option<OffsetDateTime>,
}

/// Which jobs a listing returns; every set field must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    /// In this state.
    pub state: Option<JobState>,
    /// Of this kind.
    pub kind: Option<String>,
    /// About this subject.
    pub subject: Option<String>,
}

/// A `jobs` row as stored: [`JOB_COLUMNS`] in order.
#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    pub(crate) id: Uuid,
    pub(crate) kind: String,
    pub(crate) subject: Option<String>,
    pub(crate) unique_key: Option<String>,
    pub(crate) fence: Option<i64>,
    pub(crate) payload: sqlx::types::Json<Json>,
    pub(crate) state: String,
    pub(crate) due_at: OffsetDateTime,
    pub(crate) attempts: i32,
    pub(crate) max_attempts: i32,
    pub(crate) lease_owner: Option<String>,
    pub(crate) lease_expires_at: Option<OffsetDateTime>,
    pub(crate) last_error: Option<String>,
    pub(crate) outcome: Option<String>,
    pub(crate) created_by: String,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    pub(crate) finished_at: Option<OffsetDateTime>,
}

impl TryFrom<JobRow> for JobRecord {
    type Error = StoreError;

    fn try_from(row: JobRow) -> Result<Self, StoreError> {
        let state = JobState::parse(&row.state)
            .ok_or_else(|| StoreError::internal(format!("unknown job state {:?}", row.state)))?;
        Ok(Self {
            id: row.id,
            kind: row.kind,
            subject: row.subject,
            unique_key: row.unique_key,
            fence: row.fence,
            payload: row.payload.0,
            state,
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
        })
    }
}

/// Every column of the `jobs` table, in [`JobRow`] order.
pub(crate) const JOB_COLUMNS: &str = "id, kind, subject, unique_key, fence, payload, state, due_at, attempts, \
     max_attempts, lease_owner, lease_expires_at, last_error, outcome, created_by, created_at, \
     updated_at, finished_at";

impl TenantTx {
    /// Returns the total number of jobs matching `filter` and the page `[offset, offset + limit)`
    /// of them, newest first.
    pub async fn list_jobs(
        &mut self,
        filter: &JobFilter,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<JobRecord>), StoreError> {
        let total: i64 = on_tenant!(self, tx => {
            let mut count = QueryBuilder::new("SELECT count(*) FROM jobs");
            push_job_filter(&mut count, filter);
            count.build_query_scalar().fetch_one(&mut **tx).await
        })?;
        if limit <= 0 || total <= offset {
            return Ok((total, Vec::new()));
        }
        let rows = on_tenant!(self, tx => {
            let mut page = QueryBuilder::new(format!("SELECT {JOB_COLUMNS} FROM jobs"));
            push_job_filter(&mut page, filter);
            page.push(" ORDER BY created_at DESC, id DESC LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset);
            page.build_query_as::<JobRow>().fetch_all(&mut **tx).await
        })?;
        let jobs = rows
            .into_iter()
            .map(JobRecord::try_from)
            .collect::<Result<_, _>>()?;
        Ok((total, jobs))
    }

    /// Returns one job, locked for update when `for_update`.
    pub async fn job(
        &mut self,
        id: Uuid,
        for_update: bool,
    ) -> Result<Option<JobRecord>, StoreError> {
        let lock = if for_update {
            self.dialect().for_update()
        } else {
            ""
        };
        let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1{lock}");
        self.job_where(sql, id).await
    }

    /// Makes a `failed` or `cancelled` job pending again, due now, its attempts reset to 0.
    /// `None` when the job is not in one of those states (or absent). Conflict when another
    /// live job holds its unique key.
    pub async fn retry_job(&mut self, id: Uuid) -> Result<Option<JobRecord>, StoreError> {
        let now = self.dialect().tenant_now();
        let sql = format!(
            "UPDATE jobs SET state = 'pending', due_at = {now}, attempts = 0, finished_at = NULL, \
             outcome = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = {now} \
             WHERE id = $1 AND state IN ('failed', 'cancelled') RETURNING {JOB_COLUMNS}"
        );
        self.job_where(sql, id).await
    }

    /// Cancels a `pending` or `running` job. `None` when it is in neither state (or absent).
    /// A running attempt then finds its job no longer running and changes nothing.
    pub async fn cancel_job(&mut self, id: Uuid) -> Result<Option<JobRecord>, StoreError> {
        let now = self.dialect().tenant_now();
        let sql = format!(
            "UPDATE jobs SET state = 'cancelled', finished_at = {now}, updated_at = {now}, \
             lease_expires_at = NULL \
             WHERE id = $1 AND state IN ('pending', 'running') RETURNING {JOB_COLUMNS}"
        );
        self.job_where(sql, id).await
    }

    /// Runs `sql` (a statement selecting or returning [`JOB_COLUMNS`] of the job `$1`) and
    /// returns the job it found, if any.
    async fn job_where(&mut self, sql: String, id: Uuid) -> Result<Option<JobRecord>, StoreError> {
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
        })?;
        row.map(JobRecord::try_from).transpose()
    }
}

fn push_job_filter<DB>(qb: &mut QueryBuilder<DB>, filter: &JobFilter)
where
    DB: Database,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    qb.push(" WHERE 1 = 1");
    if let Some(state) = filter.state {
        qb.push(" AND state = ")
            .push_bind(state.as_str().to_owned());
    }
    if let Some(kind) = &filter.kind {
        qb.push(" AND kind = ").push_bind(kind.clone());
    }
    if let Some(subject) = &filter.subject {
        qb.push(" AND subject = ").push_bind(subject.clone());
    }
}
