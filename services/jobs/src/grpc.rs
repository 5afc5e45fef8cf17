//! The gRPC adapters: `roster.jobs.v1.JobsService` and `DigestService` (operator callers
//! only; the tenant named by slug in each message) and, in test builds, the TestHooks service.

pub mod digest;
#[cfg(feature = "test-clock")]
pub mod testhooks;

use roster_core::{ErrorKind, TenantId};
use roster_proto::jobs::v1 as pb;
use roster_runtime::grpc::{
    internal_status, require_operator, status_with_reason, tenant_not_found, timestamp,
};
use roster_store::{JobFilter, JobRecord, JobState, Store};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::JobsError;
use crate::admin::JobsAdmin;

/// The actor the audit log names for admin API calls.
const OPERATOR: &str = "operator";

/// The page size of a listing that asks for none.
const DEFAULT_PAGE_SIZE: i64 = 50;

/// Serves `roster.jobs.v1.JobsService`.
#[derive(Debug, Clone)]
pub struct JobsGrpc {
    admin: JobsAdmin,
}

impl JobsGrpc {
    /// Wraps the domain service.
    pub fn new(admin: JobsAdmin) -> Self {
        Self { admin }
    }

    /// Returns the tonic server for this service.
    pub fn into_server(self) -> pb::jobs_service_server::JobsServiceServer<Self> {
        pb::jobs_service_server::JobsServiceServer::new(self)
    }
}

/// Checks the caller is the operator and resolves the tenant slug.
pub(crate) async fn operator_tenant<T>(
    store: &Store,
    request: &Request<T>,
    slug: &str,
) -> Result<TenantId, Status> {
    require_operator(request)?;
    match store.tenant_by_slug(slug).await {
        Ok(Some(tenant)) => Ok(tenant.id),
        Ok(None) => Err(tenant_not_found(slug)),
        Err(err) => Err(to_status(JobsError::Store(err))),
    }
}

/// Maps a jobs error to a status: the message for client mistakes, a generic one otherwise.
pub(crate) fn to_status(err: JobsError) -> Status {
    match err.kind() {
        ErrorKind::Internal => internal_status(&err),
        ErrorKind::Unavailable => status_with_reason(err.kind(), "database unavailable", None),
        kind => status_with_reason(kind, err.to_string(), None),
    }
}

fn job_id(text: &str) -> Result<Uuid, Status> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        to_status(JobsError::InvalidInput {
            field: "id",
            reason: format!("{text:?} is not a job id"),
        })
    })
}

fn state_message(state: JobState) -> pb::JobState {
    match state {
        JobState::Pending => pb::JobState::Pending,
        JobState::Running => pb::JobState::Running,
        JobState::Succeeded => pb::JobState::Succeeded,
        JobState::Failed => pb::JobState::Failed,
        JobState::Cancelled => pb::JobState::Cancelled,
    }
}

fn state_filter(value: i32) -> Result<Option<JobState>, Status> {
    let invalid = || {
        to_status(JobsError::InvalidInput {
            field: "state",
            reason: format!("{value} is not a job state"),
        })
    };
    Ok(
        match pb::JobState::try_from(value).map_err(|_| invalid())? {
            pb::JobState::Unspecified => None,
            pb::JobState::Pending => Some(JobState::Pending),
            pb::JobState::Running => Some(JobState::Running),
            pb::JobState::Succeeded => Some(JobState::Succeeded),
            pb::JobState::Failed => Some(JobState::Failed),
            pb::JobState::Cancelled => Some(JobState::Cancelled),
        },
    )
}

fn job_message(job: JobRecord) -> pb::Job {
    pb::Job {
        id: job.id.to_string(),
        kind: job.kind,
        subject: job.subject.unwrap_or_default(),
        state: state_message(job.state) as i32,
        due_at: Some(timestamp(job.due_at)),
        attempts: job.attempts,
        max_attempts: job.max_attempts,
        lease_owner: job.lease_owner.unwrap_or_default(),
        lease_expires_at: job.lease_expires_at.map(timestamp),
        last_error: job.last_error.unwrap_or_default(),
        outcome: job.outcome.unwrap_or_default(),
        created_by: job.created_by,
        created_at: Some(timestamp(job.created_at)),
        updated_at: Some(timestamp(job.updated_at)),
        finished_at: job.finished_at.map(timestamp),
    }
}

fn job_response(job: JobRecord) -> Response<pb::JobResponse> {
    Response::new(pb::JobResponse {
        job: Some(job_message(job)),
    })
}

fn non_empty(text: String) -> Option<String> {
    let text = text.trim().to_owned();
    (!text.is_empty()).then_some(text)
}

#[tonic::async_trait]
impl pb::jobs_service_server::JobsService for JobsGrpc {
    async fn list_jobs(
        &self,
        request: Request<pb::ListJobsRequest>,
    ) -> Result<Response<pb::ListJobsResponse>, Status> {
        let tenant =
            operator_tenant(self.admin.store(), &request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let filter = JobFilter {
            state: state_filter(req.state)?,
            kind: non_empty(req.kind),
            subject: non_empty(req.subject),
        };
        let limit = if req.limit == 0 {
            DEFAULT_PAGE_SIZE
        } else {
            req.limit
        };
        if !(1..=crate::admin::MAX_PAGE_SIZE).contains(&limit) || req.offset < 0 {
            return Err(to_status(JobsError::InvalidInput {
                field: "limit",
                reason: "limit must be 1 to 200 and offset at least 0".to_owned(),
            }));
        }
        let (total, jobs) = self
            .admin
            .list(&tenant, &filter, req.offset, limit)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListJobsResponse {
            total,
            jobs: jobs.into_iter().map(job_message).collect(),
        }))
    }

    async fn get_job(
        &self,
        request: Request<pb::GetJobRequest>,
    ) -> Result<Response<pb::JobResponse>, Status> {
        let tenant =
            operator_tenant(self.admin.store(), &request, &request.get_ref().tenant).await?;
        let id = job_id(&request.get_ref().id)?;
        let job = self.admin.get(&tenant, id).await.map_err(to_status)?;
        Ok(job_response(job))
    }

    async fn retry_job(
        &self,
        request: Request<pb::JobActionRequest>,
    ) -> Result<Response<pb::JobResponse>, Status> {
        let tenant =
            operator_tenant(self.admin.store(), &request, &request.get_ref().tenant).await?;
        let id = job_id(&request.get_ref().id)?;
        let job = self
            .admin
            .retry(&tenant, id, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(job_response(job))
    }

    async fn cancel_job(
        &self,
        request: Request<pb::JobActionRequest>,
    ) -> Result<Response<pb::JobResponse>, Status> {
        let tenant =
            operator_tenant(self.admin.store(), &request, &request.get_ref().tenant).await?;
        let id = job_id(&request.get_ref().id)?;
        let job = self
            .admin
            .cancel(&tenant, id, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(job_response(job))
    }
}
