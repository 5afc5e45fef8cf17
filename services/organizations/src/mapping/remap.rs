//! Remapping after a provider changes a mapped group: the users whose groups
//! changed are queued (`pending_remaps`, one `INSERT … SELECT` however large the
//! group), then remapped inside the request when they are few, or by a
//! `remap_users` job, batch by batch, when they are many — deleting a mapped
//! group or `replace members []` on a large group never remaps O(group) users
//! inside the request.

use roster_core::{GroupId, ProviderId, UserId};
use roster_store::{NewJob, OrgMethod, RoleMethod, TenantTx};
use serde_json::json;
use uuid::Uuid;

use super::place::{Occasion, load_config, place_user};
use super::resolve::{MappingConfig, group_is_mapped};
use crate::OrganizationsError;

/// The job kind that remaps queued users.
pub const REMAP_USERS: &str = "remap_users";

/// The most queued users a request remaps itself; more go to a job.
pub const INLINE_REMAP_LIMIT: i64 = 100;

/// How many queued users one step of the remap job takes.
pub const REMAP_BATCH: i64 = 200;

/// Attempts a remap job gets.
const REMAP_MAX_ATTEMPTS: i32 = 10;

/// Returns the provider's mapping configuration when `group` takes part in it (its members'
/// organization or roles depend on it), else `None`: the change needs no remapping.
pub async fn mapping_of_group(
    tx: &mut TenantTx,
    provider: ProviderId,
    group: GroupId,
) -> Result<Option<MappingConfig>, OrganizationsError> {
    if tx.provider_settings(provider).await?.is_none() {
        return Ok(None);
    }
    let methods = tx.mapping_methods(provider).await?;
    if methods.org_method != OrgMethod::Groups && methods.role_method != RoleMethod::Groups {
        return Ok(None);
    }
    let config = load_config(tx, provider).await?;
    Ok(group_is_mapped(&config, group).then_some(config))
}

/// Queues the group's current user members (before a change that may remove them, or after
/// one that added them).
pub async fn queue_members(
    tx: &mut TenantTx,
    provider: ProviderId,
    group: GroupId,
) -> Result<(), OrganizationsError> {
    tx.queue_group_members_for_remap(provider, group).await?;
    Ok(())
}

/// Queues the given members (ids that are not users are skipped when remapping).
pub async fn queue_ids(
    tx: &mut TenantTx,
    provider: ProviderId,
    ids: &[Uuid],
) -> Result<(), OrganizationsError> {
    let users: Vec<UserId> = ids.iter().copied().map(UserId::from_uuid).collect();
    tx.queue_users_for_remap(provider, &users).await?;
    Ok(())
}

/// Remaps the provider's queued users now when they are at most [`INLINE_REMAP_LIMIT`], else
/// enqueues a job that does (in this transaction, so it commits with the change). Returns
/// whether it scheduled a job: hint the workers after commit.
pub async fn remap_queued(
    tx: &mut TenantTx,
    config: &MappingConfig,
    provider: ProviderId,
    actor: &str,
) -> Result<bool, OrganizationsError> {
    let queued = tx.pending_remaps(provider, INLINE_REMAP_LIMIT + 1).await?;
    if i64::try_from(queued.len()).unwrap_or(i64::MAX) <= INLINE_REMAP_LIMIT {
        remap_users(tx, config, provider, &queued).await?;
        return Ok(false);
    }
    tx.enqueue_job(&NewJob {
        id: Uuid::now_v7(),
        kind: REMAP_USERS.to_owned(),
        subject: Some(provider.to_string()),
        unique_key: None,
        fence: None,
        payload: json!({"provider": provider.to_string()}),
        delay_secs: 0,
        max_attempts: REMAP_MAX_ATTEMPTS,
        created_by: actor.to_owned(),
    })
    .await?;
    Ok(true)
}

/// Remaps the given queued users of the provider and takes them off the queue; returns how
/// many were remapped (ids that are no live user of the provider are dropped).
pub async fn remap_users(
    tx: &mut TenantTx,
    config: &MappingConfig,
    provider: ProviderId,
    users: &[UserId],
) -> Result<usize, OrganizationsError> {
    // Users are locked in id order, as an apply step locks them, so the two never deadlock.
    let mut ordered = users.to_vec();
    ordered.sort_unstable();
    let mut done = 0;
    for &id in &ordered {
        let Some(user) = tx.user(provider, id, true).await? else {
            continue;
        };
        let groups: Vec<(GroupId, String)> = tx
            .groups_of_users(&[id])
            .await?
            .into_iter()
            .map(|(_, g, name)| (g, name))
            .collect();
        place_user(tx, config, &user, &groups, Occasion::Update).await?;
        done += 1;
    }
    tx.dequeue_remaps(users).await?;
    Ok(done)
}

/// Runs one step of a `remap_users` job: the next batch of the provider's queue. Returns
/// whether users remain.
pub async fn remap_step(
    tx: &mut TenantTx,
    provider: ProviderId,
) -> Result<(usize, bool), OrganizationsError> {
    let config = load_config(tx, provider).await?;
    let batch = tx.pending_remaps(provider, REMAP_BATCH).await?;
    let n = remap_users(tx, &config, provider, &batch).await?;
    let more = i64::try_from(batch.len()).unwrap_or(i64::MAX) == REMAP_BATCH;
    Ok((n, more))
}
