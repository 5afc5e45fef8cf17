//! The records version 2 added, one per row of the tables of tenant migration
//! 0002: provider settings, jobs, sync-log and audit-log entries, and
//! provisioning errors. Every column, ids and times included.

use roster_core::{ProviderId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A provider's settings kept with the tenant's data (version 3: with its mapping methods).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProviderSettingsLine {
    pub provider_id: ProviderId,
    pub username: String,
    /// 0 to 7,776,000 (90 days).
    pub deactivation_delay_secs: i64,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_success_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// `single`, `attribute`, `groups` or `rules` (version 3).
    pub org_method: String,
    pub org_target_id: uuid::Uuid,
    pub org_parent_id: uuid::Uuid,
    /// `manual` or `groups` (version 3).
    pub role_method: String,
}

/// A job in any state. An import turns a `running` one into `pending` without its lease:
/// the worker that held it belongs to the source deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobLine {
    pub id: uuid::Uuid,
    /// What the job does, e.g. `deactivate_user` (the record's `kind` is `job`).
    pub job_kind: String,
    pub subject: Option<String>,
    pub unique_key: Option<String>,
    pub fence: Option<i64>,
    pub payload: serde_json::Value,
    /// `pending`, `running`, `succeeded`, `failed` or `cancelled`.
    pub state: String,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    pub attempts: i32,
    pub max_attempts: i32,
    pub lease_owner: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub lease_expires_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
    pub outcome: Option<String>,
    pub created_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// One sync-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyncEntryLine {
    pub id: uuid::Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub provider_id: ProviderId,
    pub user_id: UserId,
    pub user_name: String,
    pub change_type: String,
    pub attribute: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// One audit-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditEntryLine {
    pub id: uuid::Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `provider`, `operator` or `system`.
    pub actor_kind: String,
    pub actor: String,
    pub event: String,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub target_name: Option<String>,
    pub details: serde_json::Value,
}

/// One refused or failed provisioning request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProvisioningErrorLine {
    pub id: uuid::Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub provider_id: ProviderId,
    pub operation: String,
    pub status: i32,
    pub scim_type: Option<String>,
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub detail: String,
}
