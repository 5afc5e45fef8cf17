//! The job kinds this binary runs, registered with the jobs service: the jobs
//! crate knows no identity code, so the `deactivate_user` handler that calls
//! into identity lives here, beside the wiring.

use roster_core::UserId;
use roster_identity::apply::DEACTIVATE_USER;
use roster_identity::deactivation::{cancel_scheduled_deactivation, run_due_deactivation};
use roster_jobs::digest::SendDigest;
use roster_jobs::digest::mailer::Mailer;
use roster_jobs::purge::PurgeLogs;
use roster_jobs::{HandlerFuture, Handlers, JobHandler, JobsError};
use roster_runtime::Config;
use roster_runtime::grpc::error_chain;
use roster_store::{ClaimedJob, JobRecord, Store, TenantTx};

/// Returns the handlers of every job kind Roster schedules. Fails when the `smtp` section
/// names a relay the mail library cannot use.
pub(crate) fn handlers(config: &Config, store: &Store) -> Result<Handlers, JobsError> {
    let mailer = Mailer::from_config(&config.smtp)?;
    Ok(Handlers::new()
        .with(DeactivateUser)
        .with(PurgeLogs {
            audit_retention_days: i64::from(config.jobs.audit_retention_days),
        })
        .with(SendDigest::new(store.clone(), mailer)))
}

/// Runs a user's deactivation when its delay has passed (fenced by its lifecycle version).
struct DeactivateUser;

fn subject_user(subject: Option<&str>) -> Result<UserId, JobsError> {
    let text = subject.ok_or_else(|| JobsError::permanent("the job names no user"))?;
    UserId::parse(text).map_err(|_| JobsError::permanent(format!("{text:?} is not a user id")))
}

impl JobHandler for DeactivateUser {
    fn kind(&self) -> &'static str {
        DEACTIVATE_USER
    }

    fn run<'a>(&'a self, tx: &'a mut TenantTx, job: &'a ClaimedJob) -> HandlerFuture<'a, String> {
        Box::pin(async move {
            let user = subject_user(job.subject.as_deref())?;
            let fence = job
                .fence
                .ok_or_else(|| JobsError::permanent("the job carries no lifecycle version"))?;
            run_due_deactivation(tx, user, fence, &job.created_by)
                .await
                .map_err(|err| JobsError::handler(error_chain(&err)))
        })
    }

    fn on_cancel<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        job: &'a JobRecord,
        actor: &'a str,
    ) -> HandlerFuture<'a, ()> {
        Box::pin(async move {
            let user = subject_user(job.subject.as_deref())?;
            cancel_scheduled_deactivation(tx, user, actor)
                .await
                .map_err(|err| JobsError::handler(error_chain(&err)))?;
            Ok(())
        })
    }

    /// Cancelling cleared the user's pending deactivation (and moved its lifecycle version
    /// past the job's fence): a retry could only report "nothing to do".
    fn retryable_after_cancel(&self) -> bool {
        false
    }
}
