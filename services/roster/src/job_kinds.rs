//! The job kinds this binary runs, registered with the jobs service: the jobs
//! crate knows no identity code, so the `deactivate_user` handler that calls
//! into identity lives here, beside the wiring.

use roster_core::{ProviderId, UserId};
use roster_identity::apply::DEACTIVATE_USER;
use roster_identity::deactivation::{cancel_scheduled_deactivation, run_due_deactivation};
use roster_jobs::digest::SendDigest;
use roster_jobs::digest::mailer::Mailer;
use roster_jobs::purge::PurgeLogs;
use roster_jobs::{HandlerFuture, Handlers, JobHandler, JobsError, Step};
use roster_organizations::OrganizationsError;
use roster_organizations::mapping::apply::{APPLY_SETTINGS, apply_step, summary};
use roster_organizations::mapping::remap::{REMAP_USERS, remap_step};
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
        .with(ApplySettings)
        .with(RemapUsers)
        .with(SendDigest::new(store.clone(), mailer)))
}

/// Apply Org and Role Settings: a provider's users, a batch per checkpointed step.
struct ApplySettings;

impl JobHandler for ApplySettings {
    fn kind(&self) -> &'static str {
        APPLY_SETTINGS
    }

    fn run_step<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        job: &'a ClaimedJob,
    ) -> HandlerFuture<'a, Step> {
        Box::pin(async move {
            let (progress, more) =
                apply_step(tx, job.id, &job.payload)
                    .await
                    .map_err(|err| match err {
                        OrganizationsError::InvalidInput { .. } => {
                            JobsError::permanent(error_chain(&err))
                        }
                        other => JobsError::handler(error_chain(&other)),
                    })?;
            let checkpoint = serde_json::to_value(&progress)
                .map_err(|err| JobsError::permanent(err.to_string()))?;
            if more {
                return Ok(Step::Continue(checkpoint));
            }
            // The final counts stay with the job for `apply show`.
            tx.checkpoint_claimed_job(job, &checkpoint).await?;
            Ok(Step::Done(summary(&progress)))
        })
    }
}

/// The users queued by a large change of a mapped group, a batch per step.
struct RemapUsers;

impl JobHandler for RemapUsers {
    fn kind(&self) -> &'static str {
        REMAP_USERS
    }

    fn run_step<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        job: &'a ClaimedJob,
    ) -> HandlerFuture<'a, Step> {
        Box::pin(async move {
            let text = job.subject.as_deref().unwrap_or_default();
            let provider = ProviderId::parse(text)
                .map_err(|_| JobsError::permanent(format!("{text:?} is not a provider id")))?;
            let done = job
                .payload
                .get("remapped")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0);
            let (n, more) = remap_step(tx, provider)
                .await
                .map_err(|err| JobsError::handler(error_chain(&err)))?;
            let total = done + u64::try_from(n).unwrap_or(0);
            if more {
                let mut payload = job.payload.clone();
                payload["remapped"] = serde_json::Value::from(total);
                Ok(Step::Continue(payload))
            } else {
                Ok(Step::Done(format!("remapped {total} users")))
            }
        })
    }
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
