//! `roster jobs …`: a tenant's durable scheduled work — list, show, retry, cancel.

use std::collections::BTreeMap;

use anyhow::anyhow;
use clap::Subcommand;
use roster_proto::jobs::v1 as pb;
use roster_proto::jobs::v1::jobs_service_client::JobsServiceClient;
use serde_json::{Value, json};

use super::{Admin, connect, rfc3339, status_error};
use crate::Args;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum JobStateArg {
    /// Waiting for its due time.
    Pending,
    /// Leased to a worker.
    Running,
    /// Its effect committed.
    Succeeded,
    /// Its last attempt failed.
    Failed,
    /// Cancelled.
    Cancelled,
}

/// One job of one tenant.
#[derive(Debug, clap::Args)]
pub(crate) struct JobRef {
    #[arg(long)]
    tenant: String,
    /// The job's id.
    job: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum JobsCommand {
    /// Lists a tenant's jobs, newest first.
    List {
        #[arg(long)]
        tenant: String,
        /// Only jobs in this state.
        #[arg(long, value_enum)]
        state: Option<JobStateArg>,
        /// Only jobs of this kind (deactivate_user, purge_logs).
        #[arg(long)]
        kind: Option<String>,
        /// Only jobs about this subject (a user id).
        #[arg(long)]
        subject: Option<String>,
        /// Results to skip.
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// Most results (at most 200).
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Shows one job.
    Show(JobRef),
    /// Makes a failed or cancelled job pending again, due now, its attempts reset.
    Retry(JobRef),
    /// Cancels a pending or running job (a cancelled deactivation leaves its user blocked).
    Cancel(JobRef),
}

fn state_name(state: i32) -> &'static str {
    match pb::JobState::try_from(state) {
        Ok(pb::JobState::Pending) => "pending",
        Ok(pb::JobState::Running) => "running",
        Ok(pb::JobState::Succeeded) => "succeeded",
        Ok(pb::JobState::Failed) => "failed",
        Ok(pb::JobState::Cancelled) => "cancelled",
        _ => "unknown",
    }
}

fn text_or_null(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        Value::String(text.to_owned())
    }
}

fn job_json(j: &pb::Job) -> Value {
    json!({
        "id": j.id,
        "kind": j.kind,
        "subject": text_or_null(&j.subject),
        "state": state_name(j.state),
        "due_at": rfc3339(&j.due_at),
        "attempts": j.attempts,
        "max_attempts": j.max_attempts,
        "lease_owner": text_or_null(&j.lease_owner),
        "lease_expires_at": rfc3339(&j.lease_expires_at),
        "last_error": text_or_null(&j.last_error),
        "outcome": text_or_null(&j.outcome),
        "created_by": j.created_by,
        "created_at": rfc3339(&j.created_at),
        "updated_at": rfc3339(&j.updated_at),
        "finished_at": rfc3339(&j.finished_at),
    })
}

fn describe(j: &pb::Job) -> String {
    let v = job_json(j);
    let mut facts = vec![format!("attempts {}/{}", j.attempts, j.max_attempts)];
    if let Some(due) = v["due_at"].as_str() {
        facts.push(format!("due {due}"));
    }
    if !j.outcome.is_empty() {
        facts.push(format!("outcome: {}", j.outcome));
    }
    if !j.last_error.is_empty() {
        facts.push(format!("last error: {}", j.last_error));
    }
    format!(
        "{}\t{}\t{}\t{}\t{}",
        j.id,
        j.kind,
        state_name(j.state),
        if j.subject.is_empty() {
            "-"
        } else {
            &j.subject
        },
        facts.join(", ")
    )
}

fn client(admin: &Admin) -> JobsServiceClient<tonic::transport::Channel> {
    JobsServiceClient::new(admin.channel.clone())
}

fn show_job(admin: &Admin, response: pb::JobResponse) -> anyhow::Result<()> {
    let job = response
        .job
        .ok_or_else(|| anyhow!("server answered without a job"))?;
    admin.print(&job_json(&job), || describe(&job));
    Ok(())
}

fn action(admin: &Admin, job: &JobRef) -> anyhow::Result<tonic::Request<pb::JobActionRequest>> {
    admin.request(pb::JobActionRequest {
        tenant: job.tenant.clone(),
        id: job.job.clone(),
    })
}

pub(crate) async fn jobs(
    args: &Args,
    env: &BTreeMap<String, String>,
    command: &JobsCommand,
) -> anyhow::Result<()> {
    let admin = connect(args, env).await?;
    match command {
        JobsCommand::List {
            tenant,
            state,
            kind,
            subject,
            offset,
            limit,
        } => {
            let state = match state {
                None => pb::JobState::Unspecified,
                Some(JobStateArg::Pending) => pb::JobState::Pending,
                Some(JobStateArg::Running) => pb::JobState::Running,
                Some(JobStateArg::Succeeded) => pb::JobState::Succeeded,
                Some(JobStateArg::Failed) => pb::JobState::Failed,
                Some(JobStateArg::Cancelled) => pb::JobState::Cancelled,
            };
            let request = admin.request(pb::ListJobsRequest {
                tenant: tenant.clone(),
                state: state as i32,
                kind: kind.clone().unwrap_or_default(),
                subject: subject.clone().unwrap_or_default(),
                offset: *offset,
                limit: *limit,
            })?;
            let page = client(&admin)
                .list_jobs(request)
                .await
                .map_err(status_error)?
                .into_inner();
            let value = json!({"total": page.total, "jobs": page.jobs.iter().map(job_json).collect::<Vec<_>>()});
            admin.print(&value, || {
                page.jobs
                    .iter()
                    .map(describe)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        JobsCommand::Show(job) => {
            let request = admin.request(pb::GetJobRequest {
                tenant: job.tenant.clone(),
                id: job.job.clone(),
            })?;
            let response = client(&admin)
                .get_job(request)
                .await
                .map_err(status_error)?;
            show_job(&admin, response.into_inner())?;
        }
        JobsCommand::Retry(job) => {
            let request = action(&admin, job)?;
            let response = client(&admin)
                .retry_job(request)
                .await
                .map_err(status_error)?;
            show_job(&admin, response.into_inner())?;
        }
        JobsCommand::Cancel(job) => {
            let request = action(&admin, job)?;
            let response = client(&admin)
                .cancel_job(request)
                .await
                .map_err(status_error)?;
            show_job(&admin, response.into_inner())?;
        }
    }
    Ok(())
}
