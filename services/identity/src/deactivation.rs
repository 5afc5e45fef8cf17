//! The effect of a `deactivate_user` job, run by the jobs worker inside the
//! transaction that completes the job. Fenced by the user's lifecycle version:
//! a job that fires after the user was reactivated, unblocked or changed in any
//! other lifecycle way, or a second time, changes nothing. Also what an operator's
//! cancel of such a job does to its user.

use roster_core::UserId;
use roster_store::{ActorKind, DueChange, LifecycleUpdate, Requester, TenantTx};
use serde_json::json;

use crate::IdentityError;
use crate::apply::{Actor, apply_plan, audit};
use crate::lifecycle::{Command, Event, plan};

/// Runs a due deactivation of `user` scheduled at lifecycle version `fence` by `scheduled_by`
/// (the provider's username). Returns the outcome recorded on the job.
pub async fn run_due_deactivation(
    tx: &mut TenantTx,
    user: UserId,
    fence: i64,
    scheduled_by: &str,
) -> Result<String, IdentityError> {
    let Some(current) = tx.user_for_admin(user, true).await? else {
        return Ok("nothing to do: the user no longer exists".to_owned());
    };
    let version = current.lifecycle.lifecycle_version;
    if version != fence {
        return Ok(format!(
            "nothing to do: the user's lifecycle moved on (version {fence} -> {version})"
        ));
    }
    let plan = plan(&current.lifecycle, Command::DeactivationDue, 0)?;
    let by_provider = current.lifecycle.deactivation_requested_by == Some(Requester::Provider)
        && !current.is_local();
    let actor = if by_provider {
        Actor::provider(scheduled_by)
    } else {
        Actor {
            kind: ActorKind::System,
            name: "roster".to_owned(),
        }
    };
    let outcome = if plan.events.contains(&Event::Deactivated) {
        "deactivated"
    } else if plan.events.contains(&Event::DeactivationHeld) {
        "kept waiting: the user is on legal hold"
    } else {
        "nothing to do: no deactivation pending"
    };
    let sync = by_provider.then_some(current.provider_id);
    apply_plan(tx, current, &plan, &actor, sync).await?;
    Ok(outcome.to_owned())
}

/// Leaves `user` consistent after an operator cancelled its deactivation job: no
/// deactivation pending any more, its state (blocked) kept, its lifecycle version bumped
/// (so an attempt still running changes nothing), and an audit entry naming `operator`.
/// Returns false when the user no longer exists or had nothing pending.
pub async fn cancel_scheduled_deactivation(
    tx: &mut TenantTx,
    user: UserId,
    operator: &str,
) -> Result<bool, IdentityError> {
    let Some(current) = tx.user_for_admin(user, true).await? else {
        return Ok(false);
    };
    let facts = &current.lifecycle;
    if facts.deactivation_due_at.is_none() {
        return Ok(false);
    }
    let after = tx
        .write_lifecycle(
            user,
            &LifecycleUpdate {
                state: facts.state,
                due: DueChange::Clear,
                legal_hold: facts.legal_hold,
                deleted_by_provider: facts.deleted_by_provider,
                admin_override: facts.admin_override,
            },
        )
        .await?;
    let details = json!({
        "state": after.lifecycle.state.as_str(),
        "reason": "deactivation job cancelled",
    });
    audit(
        tx,
        &Actor::operator(operator),
        "deactivation cancelled",
        &after,
        details,
    )
    .await?;
    Ok(true)
}
