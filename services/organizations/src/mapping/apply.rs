//! Apply Org and Role Settings: re-applies a provider's current mappings to
//! every one of its live users, as a job on the jobs service that works in
//! checkpointed steps (a batch of users each, in id order), so it shows
//! progress, can be cancelled between any two steps, and resumes after a crash
//! from its last checkpoint. A dry run records what each user would gain or lose
//! and changes nothing. Applying twice changes nothing the second time: each
//! user's outcome depends only on the mappings and the user.

use roster_core::{GroupId, ProviderId, TenantId, UserId};
use roster_store::{
    ActorKind, ApplyResult, AuditEntry, JobRecord, JobState, NewJob, StoreError, TenantTx,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};
use uuid::Uuid;

use super::place::{Occasion, load_config, place_user};
use crate::members::user_name_of;
use crate::{Organizations, OrganizationsError};

/// The job kind of Apply Org and Role Settings.
pub const APPLY_SETTINGS: &str = "apply_org_role_settings";

/// Users one step looks at unless the service was configured otherwise.
pub const DEFAULT_APPLY_BATCH: i64 = 200;

/// Attempts a run gets (each crash or failed step costs one).
const APPLY_MAX_ATTEMPTS: i32 = 10;

/// A run's checkpoint and progress, kept in its job's payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplyProgress {
    /// The provider.
    pub provider: String,
    /// Only record what would change.
    pub dry_run: bool,
    /// Users per step.
    pub batch: i64,
    /// The last user done; the next step starts after it.
    pub after: Option<UserId>,
    /// Users looked at.
    pub processed: i64,
    /// Users to look at (counted by the first step).
    pub total: Option<i64>,
    /// Users that move (or would).
    pub moved: i64,
    /// Users whose roles change (or would).
    pub roles_changed: i64,
    /// Users no rule matches.
    pub unmatched: i64,
}

/// Returns the unique key of a provider's run: one live run per provider.
fn run_key(provider: ProviderId) -> String {
    format!("apply:{provider}")
}

/// A run as the admin sees it.
#[derive(Debug, Clone)]
pub struct ApplyRun {
    /// Its job.
    pub job: JobRecord,
    /// Its progress.
    pub progress: ApplyProgress,
    /// How many results it recorded.
    pub results_total: i64,
    /// A page of them.
    pub results: Vec<ApplyResult>,
}

fn progress_of(job: &JobRecord) -> Result<ApplyProgress, OrganizationsError> {
    serde_json::from_value(job.payload.clone()).map_err(|err| {
        OrganizationsError::Store(StoreError::internal(format!(
            "apply run {} has an unreadable checkpoint: {err}",
            job.id
        )))
    })
}

fn audit(
    run: Uuid,
    provider: &str,
    actor: (ActorKind, &str),
    event: &str,
    details: Json,
) -> AuditEntry {
    AuditEntry {
        id: Uuid::now_v7(),
        actor_kind: actor.0,
        actor: actor.1.to_owned(),
        event: event.to_owned(),
        target_kind: Some("provider".to_owned()),
        target_id: Some(provider.to_owned()),
        target_name: None,
        details: {
            let mut details = details;
            details["run"] = Json::String(run.to_string());
            details
        },
    }
}

/// Runs one step of a run: the next batch of the provider's users after the checkpoint.
/// Returns the new checkpoint and whether users remain; when none do, the run's audit entry
/// is written.
pub async fn apply_step(
    tx: &mut TenantTx,
    job: Uuid,
    payload: &Json,
) -> Result<(ApplyProgress, bool), OrganizationsError> {
    let mut progress: ApplyProgress = serde_json::from_value(payload.clone())
        .map_err(|err| OrganizationsError::invalid("payload", err.to_string()))?;
    let provider = ProviderId::parse(&progress.provider)
        .map_err(|_| OrganizationsError::invalid("payload", "provider is not an id"))?;
    if progress.total.is_none() {
        progress.total = Some(tx.count_provider_live_users(provider).await?);
    }
    let config = load_config(tx, provider).await?;
    let batch = progress.batch.clamp(1, 10_000);
    let users = tx
        .provider_users_after(provider, progress.after, batch)
        .await?;
    let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
    let memberships = if ids.is_empty() {
        Vec::new()
    } else {
        tx.groups_of_users(&ids).await?
    };
    let occasion = Occasion::Apply {
        dry_run: progress.dry_run,
    };
    for user in &users {
        let groups: Vec<(GroupId, String)> = memberships
            .iter()
            .filter(|(u, _, _)| *u == user.id)
            .map(|(_, g, name)| (*g, name.clone()))
            .collect();
        let outcome = place_user(tx, &config, user, &groups, occasion).await?;
        progress.processed += 1;
        progress.after = Some(user.id);
        if !outcome.changes() && !outcome.unmatched {
            continue;
        }
        progress.moved += i64::from(outcome.moved.is_some());
        progress.roles_changed +=
            i64::from(!outcome.roles_added.is_empty() || !outcome.roles_removed.is_empty());
        progress.unmatched += i64::from(outcome.unmatched);
        let user_name = user_name_of(user);
        tx.record_apply_result(
            job,
            &ApplyResult {
                user_id: user.id,
                user_name,
                from_org_id: outcome.moved.as_ref().map(|m| m.from),
                to_org_id: outcome.moved.as_ref().and_then(|m| m.to),
                to_org_name: outcome.moved.as_ref().map(|m| m.to_name.clone()),
                roles_added: outcome.roles_added,
                roles_removed: outcome.roles_removed,
                unmatched: outcome.unmatched,
            },
        )
        .await?;
    }
    if i64::try_from(users.len()).unwrap_or(i64::MAX) == batch {
        return Ok((progress, true));
    }
    let event = if progress.dry_run {
        "org and role settings dry run finished"
    } else {
        "org and role settings applied"
    };
    tx.append_audit(&audit(
        job,
        &progress.provider,
        (ActorKind::System, "roster"),
        event,
        json!({"processed": progress.processed, "moved": progress.moved, "rolesChanged": progress.roles_changed, "unmatched": progress.unmatched, "dryRun": progress.dry_run}),
    ))
    .await?;
    Ok((progress, false))
}

/// Describes a finished run in one line (the job's outcome).
pub fn summary(progress: &ApplyProgress) -> String {
    format!(
        "{}{} users looked at: {} moved, {} with role changes, {} matching no rule",
        if progress.dry_run { "dry run: " } else { "" },
        progress.processed,
        progress.moved,
        progress.roles_changed,
        progress.unmatched
    )
}

impl Organizations {
    /// Starts a run (or its dry run) for a provider. Conflict when one is pending or running.
    pub async fn start_apply(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        dry_run: bool,
        actor: &str,
    ) -> Result<ApplyRun, OrganizationsError> {
        let mut tx = self.begin_for_provider(tenant, provider).await?;
        let id = Uuid::now_v7();
        let progress = ApplyProgress {
            provider: provider.to_string(),
            dry_run,
            batch: self.apply_batch,
            ..ApplyProgress::default()
        };
        let payload = serde_json::to_value(&progress)
            .map_err(|err| OrganizationsError::Store(StoreError::internal(err.to_string())))?;
        tx.enqueue_job(&NewJob {
            id,
            kind: APPLY_SETTINGS.to_owned(),
            subject: Some(provider.to_string()),
            unique_key: Some(run_key(provider)),
            fence: None,
            payload,
            delay_secs: 0,
            max_attempts: APPLY_MAX_ATTEMPTS,
            created_by: actor.to_owned(),
        })
        .await
        .map_err(|err| match err {
            StoreError::Conflict { .. } => OrganizationsError::Conflict(format!(
                "a run of Apply Org and Role Settings for provider {provider} is pending or running; wait for it or cancel it"
            )),
            other => other.into(),
        })?;
        let event = if dry_run {
            "org and role settings dry run started"
        } else {
            "org and role settings apply started"
        };
        tx.append_audit(&audit(
            id,
            &provider.to_string(),
            (ActorKind::Operator, actor),
            event,
            json!({"dryRun": dry_run}),
        ))
        .await?;
        let run = Self::run(&mut tx, id, 0, 0).await?;
        tx.commit().await?;
        self.hint_job_due(tenant).await;
        tracing::info!(provider = %provider, run = %id, dry_run, "apply org and role settings started");
        Ok(run)
    }

    async fn run(
        tx: &mut TenantTx,
        id: Uuid,
        offset: i64,
        limit: i64,
    ) -> Result<ApplyRun, OrganizationsError> {
        let job = tx
            .job(id, false)
            .await?
            .filter(|job| job.kind == APPLY_SETTINGS)
            .ok_or_else(|| OrganizationsError::not_found("apply run", id))?;
        let progress = progress_of(&job)?;
        let (results_total, results) = tx.apply_results(id, offset, limit).await?;
        Ok(ApplyRun {
            job,
            progress,
            results_total,
            results,
        })
    }

    /// Returns a run with a page of its results.
    pub async fn apply_run(
        &self,
        tenant: TenantId,
        id: Uuid,
        offset: i64,
        limit: i64,
    ) -> Result<ApplyRun, OrganizationsError> {
        let mut tx = self.store.begin(&tenant).await?;
        let run = Self::run(&mut tx, id, offset.max(0), limit.clamp(0, 1000)).await?;
        tx.commit().await?;
        Ok(run)
    }

    /// Cancels a pending or running run; what it applied so far stays.
    pub async fn cancel_apply(
        &self,
        tenant: TenantId,
        id: Uuid,
        actor: &str,
    ) -> Result<ApplyRun, OrganizationsError> {
        let mut tx = self.store.begin(&tenant).await?;
        let run = Self::run(&mut tx, id, 0, 0).await?;
        if !matches!(run.job.state, JobState::Pending | JobState::Running) {
            return Err(OrganizationsError::PreconditionFailed(format!(
                "run {id} is {}; only pending or running runs can be cancelled",
                run.job.state.as_str()
            )));
        }
        let Some(cancelled) = tx.cancel_job(id).await? else {
            return Err(OrganizationsError::PreconditionFailed(format!(
                "run {id} finished meanwhile; only pending or running runs can be cancelled"
            )));
        };
        let processed = progress_of(&cancelled)?.processed;
        tx.append_audit(&audit(
            id,
            &run.progress.provider,
            (ActorKind::Operator, actor),
            "org and role settings run cancelled",
            json!({"processed": processed}),
        ))
        .await?;
        let run = Self::run(&mut tx, id, 0, 0).await?;
        tx.commit().await?;
        Ok(run)
    }
}
