//! Raw reads and writes of a tenant's users, groups and memberships for export
//! and import: every column as stored, ids, versions, lifecycle facts and
//! timestamps included. Reads page by keyset (id order), so a snapshot
//! transaction can stream any size of tenant. Jobs and the logs are in
//! `transfer_tables.rs`; organizations and roles in `transfer_orgs.rs`;
//! provider settings and mappings in `transfer_mappings.rs`.

use std::collections::HashMap;

use roster_core::{GroupId, ProviderId, UserId};
use sqlx::QueryBuilder;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{IN_CHUNK, Inner, LifecycleColumns, TenantTx, push_id_list};
use crate::StoreError;
use crate::records::{MemberType, Requester};
use crate::transfer::{
    BUILTIN_ROLES, StoredGroup, StoredMembership, StoredPlacement, StoredUser,
    TOP_LEVEL_ORGANIZATION, push_timestamp,
};

/// Rows per multi-row INSERT: well under SQLite's 32,766 bound parameters.
const INSERT_CHUNK: usize = 200;

/// Every tenant data table emptied by [`TenantTx::delete_all_data`], children before parents.
/// A migration that adds a table adds it here, or an import retry would keep its rows.
/// `test_hooks` is not data: only test builds use it, and an export never carries it.
/// `organizations` and `roles` lose all but their seeded rows afterwards; `digest_settings`
/// keeps its one row, which an import overwrites.
const TENANT_TABLES: &[&str] = &[
    "apply_results",
    "pending_remaps",
    "mapping_rules",
    "role_allowlist",
    "group_role_mappings",
    "group_org_mappings",
    "user_roles",
    "organization_default_roles",
    "group_members",
    "user_emails",
    "groups",
    "users",
    "provider_settings",
    "jobs",
    "sync_log",
    "audit_log",
    "provisioning_errors",
];

#[derive(sqlx::FromRow)]
struct StoredUserRow {
    id: Uuid,
    provider_id: Uuid,
    user_name: String,
    user_name_key: String,
    external_id: Option<String>,
    display_name_key: Option<String>,
    resource: sqlx::types::Json<serde_json::Value>,
    version: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
    #[sqlx(flatten)]
    lifecycle: LifecycleColumns,
    org_id: Uuid,
    org_set_by: String,
    org_reason: Option<String>,
    profile: Option<String>,
    storage_region: Option<String>,
    quota_bytes: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct StoredGroupRow {
    id: Uuid,
    provider_id: Uuid,
    display_name: String,
    display_name_key: String,
    external_id: Option<String>,
    resource: sqlx::types::Json<serde_json::Value>,
    version: i64,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

impl From<StoredGroupRow> for StoredGroup {
    fn from(row: StoredGroupRow) -> Self {
        Self {
            id: GroupId::from_uuid(row.id),
            provider_id: ProviderId::from_uuid(row.provider_id),
            display_name: row.display_name,
            display_name_key: row.display_name_key,
            external_id: row.external_id,
            resource: row.resource.0,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

impl TenantTx {
    /// Returns up to `limit` users with ids greater than `after`, in id order, with their e-mails.
    pub async fn stored_users_after(
        &mut self,
        after: Option<UserId>,
        limit: i64,
    ) -> Result<Vec<StoredUser>, StoreError> {
        let rows: Vec<StoredUserRow> = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(
                "SELECT id, provider_id, user_name, user_name_key, external_id, display_name_key, \
                 resource, version, created_at, updated_at, state, deactivation_due_at, \
                 deactivation_requested_by, legal_hold, deleted_by_provider, deleted_at, \
                 admin_override, lifecycle_version, state_changed_at, org_id, org_set_by, \
                 org_reason, profile, storage_region, quota_bytes FROM users",
            );
            if let Some(after) = after {
                qb.push(" WHERE id > ").push_bind(after.as_uuid());
            }
            qb.push(" ORDER BY id LIMIT ").push_bind(limit);
            qb.build_query_as().fetch_all(&mut **tx).await
        })?;
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut emails: Vec<(Uuid, Option<String>, String)> = Vec::new();
        for chunk in ids.chunks(IN_CHUNK) {
            let found: Vec<(Uuid, Option<String>, String)> = on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "SELECT user_id, type_key, value_key FROM user_emails WHERE user_id IN ",
                );
                push_id_list(&mut qb, chunk);
                qb.build_query_as().fetch_all(&mut **tx).await
            })?;
            emails.extend(found);
        }
        // The table has no order of its own; sort so an export is reproducible.
        emails.sort();
        let mut by_user: HashMap<Uuid, Vec<(Option<String>, String)>> = HashMap::new();
        for (user, type_key, value_key) in emails {
            by_user.entry(user).or_default().push((type_key, value_key));
        }
        rows.into_iter()
            .map(|row| {
                Ok(StoredUser {
                    lifecycle: row.lifecycle.try_into()?,
                    placement: StoredPlacement {
                        org_id: row.org_id,
                        org_set_by: row.org_set_by,
                        org_reason: row.org_reason,
                        profile: row.profile,
                        storage_region: row.storage_region,
                        quota_bytes: row.quota_bytes,
                    },
                    id: UserId::from_uuid(row.id),
                    provider_id: ProviderId::from_uuid(row.provider_id),
                    emails: by_user.remove(&row.id).unwrap_or_default(),
                    user_name: row.user_name,
                    user_name_key: row.user_name_key,
                    external_id: row.external_id,
                    display_name_key: row.display_name_key,
                    resource: row.resource.0,
                    version: row.version,
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                })
            })
            .collect()
    }

    /// Returns up to `limit` groups with ids greater than `after`, in id order.
    pub async fn stored_groups_after(
        &mut self,
        after: Option<GroupId>,
        limit: i64,
    ) -> Result<Vec<StoredGroup>, StoreError> {
        let rows: Vec<StoredGroupRow> = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(
                "SELECT id, provider_id, display_name, display_name_key, external_id, resource, \
                 version, created_at, updated_at FROM groups",
            );
            if let Some(after) = after {
                qb.push(" WHERE id > ").push_bind(after.as_uuid());
            }
            qb.push(" ORDER BY id LIMIT ").push_bind(limit);
            qb.build_query_as().fetch_all(&mut **tx).await
        })?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Returns up to `limit` memberships after `after` in (group, member) order.
    pub async fn stored_memberships_after(
        &mut self,
        after: Option<(GroupId, Uuid)>,
        limit: i64,
    ) -> Result<Vec<StoredMembership>, StoreError> {
        let rows: Vec<(Uuid, Uuid, String)> = on_tenant!(self, tx => {
            let mut qb =
                QueryBuilder::new("SELECT group_id, member_id, member_type FROM group_members");
            if let Some((group, member)) = after {
                qb.push(" WHERE (group_id, member_id) > (")
                    .push_bind(group.as_uuid())
                    .push(", ")
                    .push_bind(member)
                    .push(")");
            }
            qb.push(" ORDER BY group_id, member_id LIMIT ").push_bind(limit);
            qb.build_query_as().fetch_all(&mut **tx).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(group, member, member_type)| StoredMembership {
                group_id: GroupId::from_uuid(group),
                member_id: member,
                member_type: MemberType::parse_stored(&member_type),
            })
            .collect())
    }

    /// Deletes every row of every tenant table but the rows tenant migration 0003
    /// seeds as anchors, which other rows and column defaults name: the top-level
    /// organization, the builtin roles and the digest settings row. An import starts
    /// from that, even when it retries after one that was interrupted, and
    /// overwrites the anchors with the document's. The seeded jobs and default roles
    /// go too: an import puts them back ([`TenantTx::seeded_live_jobs`],
    /// [`TenantTx::insert_defaults_of_migration_0003`]).
    pub async fn delete_all_data(&mut self) -> Result<(), StoreError> {
        for table in TENANT_TABLES {
            on_tenant!(self, tx => {
                // `table` is one of the constants above, never request text.
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                    .execute(&mut **tx)
                    .await
                    .map(|_| ())
            })?;
        }
        // One statement: a parent and its children go together, so the foreign key
        // holds at the statement's end on both backends.
        on_tenant!(self, tx => {
            sqlx::query("DELETE FROM organizations WHERE id <> $1")
                .bind(TOP_LEVEL_ORGANIZATION)
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new("DELETE FROM roles WHERE id NOT IN ");
            push_id_list(&mut qb, &BUILTIN_ROLES);
            qb.build().execute(&mut **tx).await.map(|_| ())
        })?;
        Ok(())
    }

    /// Inserts users exactly as given: ids, keys, versions, lifecycle facts and
    /// timestamps kept. Conflict when an id or a live userName key is taken.
    pub async fn insert_stored_users(&mut self, users: &[StoredUser]) -> Result<(), StoreError> {
        let dialect = self.dialect();
        for chunk in users.chunks(INSERT_CHUNK) {
            on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO users (id, provider_id, user_name, user_name_key, external_id, \
                     display_name_key, resource, version, created_at, updated_at, state, \
                     deactivation_due_at, deactivation_requested_by, legal_hold, \
                     deleted_by_provider, deleted_at, admin_override, lifecycle_version, \
                     state_changed_at, org_id, org_set_by, org_reason, profile, storage_region, \
                     quota_bytes) ",
                );
                qb.push_values(chunk, |mut b, user| {
                    let life = &user.lifecycle;
                    b.push_bind(user.id.as_uuid())
                        .push_bind(user.provider_id.as_uuid())
                        .push_bind(&user.user_name)
                        .push_bind(&user.user_name_key)
                        .push_bind(&user.external_id)
                        .push_bind(&user.display_name_key)
                        .push_bind(sqlx::types::Json(&user.resource))
                        .push_bind(user.version);
                    push_timestamp(&mut b, dialect, user.created_at);
                    push_timestamp(&mut b, dialect, user.updated_at);
                    b.push_bind(life.state.as_str());
                    push_timestamp(&mut b, dialect, life.deactivation_due_at);
                    b.push_bind(life.deactivation_requested_by.map(Requester::as_str))
                        .push_bind(life.legal_hold)
                        .push_bind(life.deleted_by_provider);
                    push_timestamp(&mut b, dialect, life.deleted_at);
                    b.push_bind(life.admin_override)
                        .push_bind(life.lifecycle_version);
                    push_timestamp(&mut b, dialect, life.state_changed_at);
                    let place = &user.placement;
                    b.push_bind(place.org_id)
                        .push_bind(&place.org_set_by)
                        .push_bind(&place.org_reason)
                        .push_bind(&place.profile)
                        .push_bind(&place.storage_region)
                        .push_bind(place.quota_bytes);
                });
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
            let emails: Vec<(Uuid, &Option<String>, &String)> = chunk
                .iter()
                .flat_map(|user| {
                    user.emails
                        .iter()
                        .map(move |(type_key, value_key)| (user.id.as_uuid(), type_key, value_key))
                })
                .collect();
            for emails in emails.chunks(INSERT_CHUNK) {
                on_tenant!(self, tx => {
                    let mut qb =
                        QueryBuilder::new("INSERT INTO user_emails (user_id, type_key, value_key) ");
                    qb.push_values(emails, |mut b, (user, type_key, value_key)| {
                        b.push_bind(*user).push_bind(*type_key).push_bind(*value_key);
                    });
                    qb.build().execute(&mut **tx).await.map(|_| ())
                })?;
            }
        }
        Ok(())
    }

    /// Inserts groups exactly as given (members separately). Conflict when an id is taken.
    pub async fn insert_stored_groups(&mut self, groups: &[StoredGroup]) -> Result<(), StoreError> {
        let dialect = self.dialect();
        for chunk in groups.chunks(INSERT_CHUNK) {
            on_tenant!(self, tx => {
                let mut qb = QueryBuilder::new(
                    "INSERT INTO groups (id, provider_id, display_name, display_name_key, external_id, \
                     resource, version, created_at, updated_at) ",
                );
                qb.push_values(chunk, |mut b, group| {
                    b.push_bind(group.id.as_uuid())
                        .push_bind(group.provider_id.as_uuid())
                        .push_bind(&group.display_name)
                        .push_bind(&group.display_name_key)
                        .push_bind(&group.external_id)
                        .push_bind(sqlx::types::Json(&group.resource))
                        .push_bind(group.version);
                    push_timestamp(&mut b, dialect, group.created_at);
                    push_timestamp(&mut b, dialect, group.updated_at);
                });
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Inserts memberships. NotFound when a group does not exist; Conflict on a duplicate.
    pub async fn insert_stored_memberships(
        &mut self,
        memberships: &[StoredMembership],
    ) -> Result<(), StoreError> {
        for chunk in memberships.chunks(INSERT_CHUNK) {
            on_tenant!(self, tx => {
                let mut qb =
                    QueryBuilder::new("INSERT INTO group_members (group_id, member_id, member_type) ");
                qb.push_values(chunk, |mut b, m| {
                    b.push_bind(m.group_id.as_uuid())
                        .push_bind(m.member_id)
                        .push_bind(m.member_type.as_str());
                });
                qb.build().execute(&mut **tx).await.map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Rolls back every change made through this handle, and waits until the
    /// database has done so (dropping the handle also rolls back, but later).
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.inner {
            Inner::Postgres(tx) => tx.rollback().await?,
            Inner::Sqlite(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}
