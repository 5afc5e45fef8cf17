//! The work lists of remapping: users whose groups changed too widely to remap
//! inside the request (`pending_remaps`, drained by a job), a provider's users in
//! id order for Apply Org and Role Settings, and what each apply run found.

use roster_core::{GroupId, OrganizationId, ProviderId, UserId};
use serde_json::Value as Json;
use uuid::Uuid;

use super::{Inner, TenantTx, USER_COLUMNS, UserRow, user_records};
use crate::StoreError;
use crate::records::UserRecord;

/// What an Apply Org and Role Settings run found for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyResult {
    /// The user.
    pub user_id: UserId,
    /// Its userName.
    pub user_name: String,
    /// Its organization before (set when it moves).
    pub from_org_id: Option<OrganizationId>,
    /// Its organization after (set when it moves; `None` in a dry run when the organization
    /// does not exist yet).
    pub to_org_id: Option<OrganizationId>,
    /// The destination's name (set when it moves).
    pub to_org_name: Option<String>,
    /// Role names it gains.
    pub roles_added: Vec<String>,
    /// Role names it loses.
    pub roles_removed: Vec<String>,
    /// It matches no rule: it stays where it is.
    pub unmatched: bool,
}

#[derive(sqlx::FromRow)]
struct ApplyResultRow {
    user_id: Uuid,
    user_name: String,
    from_org_id: Option<Uuid>,
    to_org_id: Option<Uuid>,
    to_org_name: Option<String>,
    roles_added: sqlx::types::Json<Vec<String>>,
    roles_removed: sqlx::types::Json<Vec<String>>,
    unmatched: bool,
}

impl TenantTx {
    /// Queues every user member of `group` for remapping (in id order, the order every queue
    /// write takes row locks in); returns how many rows were queued or re-queued.
    ///
    /// A user already queued is re-queued (its row rewritten): a remap step that read it
    /// before this change committed then waits for this transaction (the step reads the
    /// queue `FOR UPDATE`) and sees the change, or deleted the row first, and this inserts it
    /// anew; either way the change is remapped.
    pub async fn queue_group_members_for_remap(
        &mut self,
        provider: ProviderId,
        group: GroupId,
    ) -> Result<u64, StoreError> {
        on_tenant!(self, tx => {
            sqlx::query(
                "INSERT INTO pending_remaps (user_id, provider_id) \
                 SELECT member_id, $1 FROM group_members \
                 WHERE group_id = $2 AND member_type = 'User' ORDER BY member_id \
                 ON CONFLICT (user_id) DO UPDATE SET queued_at = excluded.queued_at",
            )
            .bind(provider.as_uuid())
            .bind(group.as_uuid())
            .execute(&mut **tx)
            .await
            .map(|done| done.rows_affected())
        })
        .map_err(Into::into)
    }

    /// Queues (or re-queues, see [`Self::queue_group_members_for_remap`]) the given users for
    /// remapping, in id order.
    pub async fn queue_users_for_remap(
        &mut self,
        provider: ProviderId,
        users: &[UserId],
    ) -> Result<(), StoreError> {
        let mut users = users.to_vec();
        users.sort_unstable();
        users.dedup();
        for user in &users {
            on_tenant!(self, tx => {
                sqlx::query(
                    "INSERT INTO pending_remaps (user_id, provider_id) VALUES ($1, $2) \
                     ON CONFLICT (user_id) DO UPDATE SET queued_at = excluded.queued_at",
                )
                .bind(user.as_uuid())
                .bind(provider.as_uuid())
                .execute(&mut **tx)
                .await
                .map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Returns up to `limit` queued users of `provider`, oldest first, their queue rows locked
    /// (PostgreSQL) so that a change re-queueing one of them waits for this transaction.
    pub async fn pending_remaps(
        &mut self,
        provider: ProviderId,
        limit: i64,
    ) -> Result<Vec<UserId>, StoreError> {
        let sql = format!(
            "SELECT user_id FROM pending_remaps WHERE provider_id = $1 \
             ORDER BY queued_at, user_id LIMIT $2{lock}",
            lock = self.dialect().for_update()
        );
        let ids: Vec<Uuid> = on_tenant!(self, tx => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(provider.as_uuid())
            .bind(limit)
            .fetch_all(&mut **tx)
            .await
        })?;
        Ok(ids.into_iter().map(UserId::from_uuid).collect())
    }

    /// Removes users from the remap queue.
    pub async fn dequeue_remaps(&mut self, users: &[UserId]) -> Result<(), StoreError> {
        for user in users {
            on_tenant!(self, tx => {
                sqlx::query("DELETE FROM pending_remaps WHERE user_id = $1")
                    .bind(user.as_uuid())
                    .execute(&mut **tx)
                    .await
                    .map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Returns up to `limit` of the provider's live users (not deleted by it, not
    /// deactivated) with ids after `after`, in id order, locked for update.
    pub async fn provider_users_after(
        &mut self,
        provider: ProviderId,
        after: Option<UserId>,
        limit: i64,
    ) -> Result<Vec<UserRecord>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE provider_id = $1 AND id > $2 \
             AND NOT deleted_by_provider AND state <> 'deactivated' \
             ORDER BY id LIMIT $3{lock}",
            lock = self.dialect().for_update(),
        );
        let after = after.map_or(Uuid::nil(), |id| id.as_uuid());
        let rows: Vec<UserRow> = on_tenant!(self, tx => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(provider.as_uuid())
                .bind(after)
                .bind(limit)
                .fetch_all(&mut **tx)
                .await
        })?;
        user_records(rows)
    }

    /// Counts the provider's live users (those [`Self::provider_users_after`] walks).
    pub async fn count_provider_live_users(
        &mut self,
        provider: ProviderId,
    ) -> Result<i64, StoreError> {
        on_tenant!(self, tx => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE provider_id = $1 \
                 AND NOT deleted_by_provider AND state <> 'deactivated'",
            )
            .bind(provider.as_uuid())
            .fetch_one(&mut **tx)
            .await
        })
        .map_err(Into::into)
    }

    /// Records what an apply run found for a user (replacing an earlier record of the run).
    pub async fn record_apply_result(
        &mut self,
        job: Uuid,
        result: &ApplyResult,
    ) -> Result<(), StoreError> {
        let added = Json::from(result.roles_added.clone());
        let removed = Json::from(result.roles_removed.clone());
        on_tenant!(self, tx => {
            sqlx::query(
                "INSERT INTO apply_results (job_id, user_id, user_name, from_org_id, to_org_id, \
                 to_org_name, roles_added, roles_removed, unmatched) \
                 VALUES ($1, $2, $3, $4, $5, $9, $6, $7, $8) \
                 ON CONFLICT (job_id, user_id) DO UPDATE SET user_name = excluded.user_name, \
                 from_org_id = excluded.from_org_id, to_org_id = excluded.to_org_id, \
                 to_org_name = excluded.to_org_name, \
                 roles_added = excluded.roles_added, roles_removed = excluded.roles_removed, \
                 unmatched = excluded.unmatched",
            )
            .bind(job)
            .bind(result.user_id.as_uuid())
            .bind(&result.user_name)
            .bind(result.from_org_id.map(|id| id.as_uuid()))
            .bind(result.to_org_id.map(|id| id.as_uuid()))
            .bind(sqlx::types::Json(&added))
            .bind(sqlx::types::Json(&removed))
            .bind(result.unmatched)
            .bind(&result.to_org_name)
            .execute(&mut **tx)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Returns the number of an apply run's results and one page of them, in userName order.
    pub async fn apply_results(
        &mut self,
        job: Uuid,
        offset: i64,
        limit: i64,
    ) -> Result<(i64, Vec<ApplyResult>), StoreError> {
        let total: i64 = on_tenant!(self, tx => {
            sqlx::query_scalar("SELECT COUNT(*) FROM apply_results WHERE job_id = $1")
                .bind(job)
                .fetch_one(&mut **tx)
                .await
        })?;
        let rows: Vec<ApplyResultRow> = on_tenant!(self, tx => {
            sqlx::query_as(
                "SELECT user_id, user_name, from_org_id, to_org_id, to_org_name, roles_added, \
                 roles_removed, \
                 unmatched FROM apply_results WHERE job_id = $1 \
                 ORDER BY user_name, user_id LIMIT $2 OFFSET $3",
            )
            .bind(job)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut **tx)
            .await
        })?;
        let results = rows
            .into_iter()
            .map(|row| ApplyResult {
                user_id: UserId::from_uuid(row.user_id),
                user_name: row.user_name,
                from_org_id: row.from_org_id.map(OrganizationId::from_uuid),
                to_org_id: row.to_org_id.map(OrganizationId::from_uuid),
                to_org_name: row.to_org_name,
                roles_added: row.roles_added.0,
                roles_removed: row.roles_removed.0,
                unmatched: row.unmatched,
            })
            .collect();
        Ok((total, results))
    }
}
