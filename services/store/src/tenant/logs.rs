//! The tenant's sync log and audit log: appended in the same transaction as
//! the change they record.

use roster_core::{ProviderId, UserId};
use serde_json::Value as Json;
use uuid::Uuid;

use super::{Inner, TenantTx};
use crate::StoreError;

/// One changed attribute of a change a provider caused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncEntry {
    /// The provider that caused it.
    pub provider_id: ProviderId,
    /// The user changed.
    pub user_id: UserId,
    /// The user's userName at the time.
    pub user_name: String,
    /// created, updated, blocked, deactivation scheduled, deactivated, reactivated, deleted, revived, …
    pub change_type: String,
    /// The attribute path, e.g. `name.givenName`, or `state` for lifecycle changes.
    pub attribute: String,
    /// The value before, as text.
    pub old_value: Option<String>,
    /// The value after, as text.
    pub new_value: Option<String>,
}

/// Who did something recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A provisioning provider; the actor is its username.
    Provider,
    /// An operator or tenant admin; the actor names the credential.
    Operator,
    /// Roster itself (a job).
    System,
}

impl ActorKind {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provider => "provider",
            Self::Operator => "operator",
            Self::System => "system",
        }
    }

    /// Parses the stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "provider" => Some(Self::Provider),
            "operator" => Some(Self::Operator),
            "system" => Some(Self::System),
            _ => None,
        }
    }
}

/// One audit-log entry to append. Its JSON form is what the control schema's audit outbox keeps.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    /// Id; appending the same id twice keeps one entry (outbox delivery is idempotent).
    pub id: Uuid,
    /// Who acted.
    pub actor_kind: ActorKind,
    /// The provider's username, the admin credential's name, or `roster`.
    pub actor: String,
    /// What happened, e.g. `user added`.
    pub event: String,
    /// What it happened to: `user`, `provider`, `job`, `settings`.
    pub target_kind: Option<String>,
    /// The target's id.
    pub target_id: Option<String>,
    /// The target's name (userName, provider name).
    pub target_name: Option<String>,
    /// Event-specific facts.
    pub details: Json,
}

impl TenantTx {
    /// Appends sync-log entries, stamped with the tenant's current time.
    pub async fn append_sync_log(&mut self, entries: &[SyncEntry]) -> Result<(), StoreError> {
        let now = self.dialect().tenant_now();
        for entry in entries {
            let sql = format!(
                "INSERT INTO sync_log (id, at, provider_id, user_id, user_name, change_type, attribute, old_value, new_value) \
                 VALUES ($1, {now}, $2, $3, $4, $5, $6, $7, $8)"
            );
            on_tenant!(self, tx => {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(Uuid::now_v7())
                    .bind(entry.provider_id.as_uuid())
                    .bind(entry.user_id.as_uuid())
                    .bind(&entry.user_name)
                    .bind(&entry.change_type)
                    .bind(&entry.attribute)
                    .bind(&entry.old_value)
                    .bind(&entry.new_value)
                    .execute(&mut **tx)
                    .await
                    .map(|_| ())
            })?;
        }
        Ok(())
    }

    /// Appends an audit-log entry, stamped with the tenant's current time. An entry whose id is
    /// already there is kept as it was.
    pub async fn append_audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.append_audit_at(entry, None).await
    }

    /// Appends an audit-log entry stamped with `at`, when the change it records happened
    /// earlier (an entry delivered from the control outbox), else with the tenant's current
    /// time. An entry whose id is already there is kept as it was.
    pub async fn append_audit_at(
        &mut self,
        entry: &AuditEntry,
        at: Option<time::OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let now = self.dialect().tenant_now();
        let (open, close) = self.dialect().timestamp_param();
        let sql = format!(
            "INSERT INTO audit_log (id, at, actor_kind, actor, event, target_kind, target_id, target_name, details) \
             VALUES ($1, COALESCE({open}$9{close}, {now}), $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING"
        );
        on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(entry.id)
                .bind(entry.actor_kind.as_str())
                .bind(&entry.actor)
                .bind(&entry.event)
                .bind(&entry.target_kind)
                .bind(&entry.target_id)
                .bind(&entry.target_name)
                .bind(sqlx::types::Json(&entry.details))
                .bind(at)
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }
}
