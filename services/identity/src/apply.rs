//! Carries out a lifecycle [`Plan`] inside the tenant transaction of the change:
//! the lifecycle write, the deactivation job (cancelled or scheduled, fenced by
//! the new lifecycle version), and the sync-log and audit entries, so that all
//! of it commits together or not at all.

use roster_core::{ProviderId, UserId};
use roster_scim::diff::AttributeChange;
use roster_store::{ActorKind, AuditEntry, NewJob, SyncEntry, TenantTx, UserRecord, UserState};
use serde_json::{Value as Json, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::IdentityError;
use crate::lifecycle::{Event, Plan};

/// The job kind that deactivates a user when its delay has passed.
pub const DEACTIVATE_USER: &str = "deactivate_user";

/// Attempts a deactivation job gets before it is marked failed.
pub const DEACTIVATION_MAX_ATTEMPTS: i32 = 10;

/// Returns the unique key of a user's deactivation job: one live job per user.
pub fn deactivation_key(user: UserId) -> String {
    format!("deactivate:{user}")
}

/// Who acts: named in the audit log (and, for providers, in jobs they cause).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Provider, operator or Roster itself.
    pub kind: ActorKind,
    /// The provider's username, the admin credential's name, or `roster`.
    pub name: String,
}

impl Actor {
    /// The operator (the admin API's credential).
    pub fn operator(name: impl Into<String>) -> Self {
        Self {
            kind: ActorKind::Operator,
            name: name.into(),
        }
    }

    /// A provider, by username.
    pub fn provider(username: impl Into<String>) -> Self {
        Self {
            kind: ActorKind::Provider,
            name: username.into(),
        }
    }
}

/// Formats a time as the logs show it: UTC, RFC 3339.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// Returns a user's userName as stored.
pub fn user_name_of(user: &UserRecord) -> String {
    user.resource
        .get("userName")
        .and_then(Json::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The result of applying a plan.
#[derive(Debug)]
pub struct Applied {
    /// The user as now stored.
    pub user: UserRecord,
    /// Seconds until the deactivation job scheduled by this change is due.
    pub scheduled_in_secs: Option<i64>,
}

/// Applies `plan` to `user`. Sync-log entries are written when `sync_provider` is set
/// (the change was caused by that provider); audit entries always.
pub async fn apply_plan(
    tx: &mut TenantTx,
    user: UserRecord,
    plan: &Plan,
    actor: &Actor,
    sync_provider: Option<ProviderId>,
) -> Result<Applied, IdentityError> {
    let Some(update) = plan.update else {
        if !plan.events.is_empty() {
            record(tx, &user, &user, &plan.events, actor, sync_provider).await?;
        }
        return Ok(Applied {
            user,
            scheduled_in_secs: None,
        });
    };
    if plan.cancel_job {
        tx.cancel_live_jobs(&deactivation_key(user.id)).await?;
    }
    let after = tx.write_lifecycle(user.id, &update).await?;
    if let Some(secs) = plan.schedule_in_secs {
        tx.enqueue_job(&NewJob {
            id: Uuid::now_v7(),
            kind: DEACTIVATE_USER.to_owned(),
            subject: Some(user.id.to_string()),
            unique_key: Some(deactivation_key(user.id)),
            fence: Some(after.lifecycle.lifecycle_version),
            payload: json!({}),
            delay_secs: secs,
            max_attempts: DEACTIVATION_MAX_ATTEMPTS,
            created_by: actor.name.clone(),
        })
        .await?;
    }
    record(tx, &user, &after, &plan.events, actor, sync_provider).await?;
    Ok(Applied {
        user: after,
        scheduled_in_secs: plan.schedule_in_secs,
    })
}

fn state_text(state: UserState) -> String {
    state.as_str().to_owned()
}

/// The sync-log line of a lifecycle event: change type, attribute, old, new.
fn sync_line(
    event: Event,
    running: &mut UserState,
    before: &UserRecord,
    after: &UserRecord,
) -> Option<(&'static str, &'static str, Option<String>, Option<String>)> {
    let due_before = before.lifecycle.deactivation_due_at.map(rfc3339);
    let due_after = after.lifecycle.deactivation_due_at.map(rfc3339);
    let mut to = |state: UserState| {
        let old = state_text(*running);
        *running = state;
        (Some(old), Some(state_text(state)))
    };
    Some(match event {
        Event::Blocked => {
            let (old, new) = to(UserState::Blocked);
            ("blocked", "state", old, new)
        }
        Event::Deactivated => {
            let (old, new) = to(UserState::Deactivated);
            ("deactivated", "state", old, new)
        }
        Event::Reactivated | Event::Unblocked => {
            let (old, new) = to(UserState::Active);
            ("reactivated", "state", old, new)
        }
        Event::DeactivationScheduled => (
            "deactivation scheduled",
            "deactivationDueAt",
            None,
            due_after,
        ),
        Event::DeactivationCancelled => (
            "deactivation cancelled",
            "deactivationDueAt",
            due_before,
            None,
        ),
        Event::DeactivationHeld => ("deactivation held", "legalHold", None, Some("true".into())),
        Event::Deleted => (
            "deleted",
            "deletedByProvider",
            Some("false".into()),
            Some("true".into()),
        ),
        Event::Revived => (
            "revived",
            "deletedByProvider",
            Some("true".into()),
            Some("false".into()),
        ),
        Event::LegalHoldSet | Event::LegalHoldReleased => return None,
    })
}

/// The audit-log event name of a lifecycle event.
fn audit_event(event: Event) -> &'static str {
    match event {
        Event::Blocked => "user blocked",
        Event::Unblocked => "user unblocked",
        Event::DeactivationScheduled => "deactivation scheduled",
        Event::DeactivationCancelled => "deactivation cancelled",
        Event::DeactivationHeld => "deactivation held by legal hold",
        Event::Deactivated => "user deactivated",
        Event::Reactivated => "user reactivated",
        Event::Deleted => "user deleted by provider",
        Event::Revived => "user revived",
        Event::LegalHoldSet => "legal hold set",
        Event::LegalHoldReleased => "legal hold released",
    }
}

async fn record(
    tx: &mut TenantTx,
    before: &UserRecord,
    after: &UserRecord,
    events: &[Event],
    actor: &Actor,
    sync_provider: Option<ProviderId>,
) -> Result<(), IdentityError> {
    let user_name = user_name_of(after);
    let mut running = before.lifecycle.state;
    let mut entries = Vec::new();
    for &event in events {
        let line = sync_line(event, &mut running, before, after);
        if let (Some(provider), Some((change_type, attribute, old, new))) = (sync_provider, line) {
            entries.push(SyncEntry {
                provider_id: provider,
                user_id: after.id,
                user_name: user_name.clone(),
                change_type: change_type.to_owned(),
                attribute: attribute.to_owned(),
                old_value: old,
                new_value: new,
            });
        }
        let mut details = json!({"state": after.lifecycle.state.as_str()});
        if let Some(due) = after.lifecycle.deactivation_due_at {
            details["deactivationDueAt"] = Json::String(rfc3339(due));
        }
        audit(tx, actor, audit_event(event), after, details).await?;
    }
    tx.append_sync_log(&entries).await?;
    Ok(())
}

/// Appends one audit entry about a user.
pub async fn audit(
    tx: &mut TenantTx,
    actor: &Actor,
    event: &str,
    user: &UserRecord,
    details: Json,
) -> Result<(), IdentityError> {
    tx.append_audit(&AuditEntry {
        id: Uuid::now_v7(),
        actor_kind: actor.kind,
        actor: actor.name.clone(),
        event: event.to_owned(),
        target_kind: Some("user".to_owned()),
        target_id: Some(user.id.to_string()),
        target_name: Some(user_name_of(user)),
        details,
    })
    .await?;
    Ok(())
}

/// Writes the sync-log entries of attribute changes a provider made.
pub async fn record_attribute_changes(
    tx: &mut TenantTx,
    provider: ProviderId,
    user: &UserRecord,
    change_type: &str,
    changes: &[AttributeChange],
) -> Result<(), IdentityError> {
    let user_name = user_name_of(user);
    let entries: Vec<SyncEntry> = changes
        .iter()
        .map(|c| SyncEntry {
            provider_id: provider,
            user_id: user.id,
            user_name: user_name.clone(),
            change_type: change_type.to_owned(),
            attribute: c.attribute.clone(),
            old_value: c.old.clone(),
            new_value: c.new.clone(),
        })
        .collect();
    tx.append_sync_log(&entries).await?;
    Ok(())
}
