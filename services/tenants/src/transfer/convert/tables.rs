//! Conversions of the records version 2 added: provider settings, jobs and
//! the logs. Rows go out exactly as stored; coming in they are checked, and a
//! running job comes back pending without its lease.

use roster_store::{
    ActorKind, StoredAuditEntry, StoredJob, StoredMappingMethods, StoredProviderSettings,
    StoredProvisioningError, StoredSyncEntry,
};

use super::mapping::check_one_of;

use crate::transfer::format::{
    AuditEntryLine, JobLine, ProviderSettingsLine, ProvisioningErrorLine, SyncEntryLine,
};

/// The longest deactivation delay a provider may have: 90 days.
const MAX_DELAY_SECS: i64 = 90 * 24 * 60 * 60;

/// The states a job row may be in.
const JOB_STATES: &[&str] = &["pending", "running", "succeeded", "failed", "cancelled"];

impl From<StoredProviderSettings> for ProviderSettingsLine {
    fn from(s: StoredProviderSettings) -> Self {
        Self {
            provider_id: s.provider_id,
            username: s.username,
            deactivation_delay_secs: s.deactivation_delay_secs,
            last_success_at: s.last_success_at,
            updated_at: s.updated_at,
            org_method: s.mapping.org_method,
            org_target_id: s.mapping.org_target_id,
            org_parent_id: s.mapping.org_parent_id,
            role_method: s.mapping.role_method,
        }
    }
}

impl ProviderSettingsLine {
    /// Checks the record and returns the row to store.
    pub(crate) fn into_stored(self) -> Result<StoredProviderSettings, String> {
        if self.username.is_empty() {
            return Err("username is empty".to_owned());
        }
        if !(0..=MAX_DELAY_SECS).contains(&self.deactivation_delay_secs) {
            return Err(format!(
                "deactivation_delay_secs {} is not between 0 and {MAX_DELAY_SECS} (90 days)",
                self.deactivation_delay_secs
            ));
        }
        check_one_of(
            "org_method",
            &self.org_method,
            &["single", "attribute", "groups", "rules"],
        )?;
        check_one_of("role_method", &self.role_method, &["manual", "groups"])?;
        Ok(StoredProviderSettings {
            provider_id: self.provider_id,
            username: self.username,
            deactivation_delay_secs: self.deactivation_delay_secs,
            last_success_at: self.last_success_at,
            updated_at: self.updated_at,
            mapping: StoredMappingMethods {
                org_method: self.org_method,
                org_target_id: self.org_target_id,
                org_parent_id: self.org_parent_id,
                role_method: self.role_method,
            },
        })
    }
}

impl From<StoredJob> for JobLine {
    fn from(j: StoredJob) -> Self {
        Self {
            id: j.id,
            job_kind: j.kind,
            subject: j.subject,
            unique_key: j.unique_key,
            fence: j.fence,
            payload: j.payload,
            state: j.state,
            due_at: j.due_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            lease_owner: j.lease_owner,
            lease_expires_at: j.lease_expires_at,
            last_error: j.last_error,
            outcome: j.outcome,
            created_by: j.created_by,
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

impl JobLine {
    /// Checks the record and returns the job to store. A `running` job comes back
    /// `pending` with its lease cleared and its unfinished attempt uncounted: the worker
    /// holding it belongs to the source, and the job runs again here (its fence still
    /// matches, so it acts at most once).
    pub(crate) fn into_stored(self) -> Result<StoredJob, String> {
        if self.job_kind.is_empty() || self.created_by.is_empty() {
            return Err("job_kind and created_by must not be empty".to_owned());
        }
        if !JOB_STATES.contains(&self.state.as_str()) {
            return Err(format!(
                "state {:?} is not one of {}",
                self.state,
                JOB_STATES.join(", ")
            ));
        }
        if self.attempts < 0 || self.max_attempts < 1 {
            return Err(
                "attempts must not be negative and max_attempts must be at least 1".to_owned(),
            );
        }
        let running = self.state == "running";
        Ok(StoredJob {
            id: self.id,
            kind: self.job_kind,
            subject: self.subject,
            unique_key: self.unique_key,
            fence: self.fence,
            payload: self.payload,
            state: if running {
                "pending".to_owned()
            } else {
                self.state
            },
            due_at: self.due_at,
            // The source's attempt never finished: it does not count, as when a worker
            // hands back a claim (otherwise a job caught on its last attempt would fail here
            // without running).
            attempts: if running {
                (self.attempts - 1).max(0)
            } else {
                self.attempts
            },
            max_attempts: self.max_attempts,
            lease_owner: if running { None } else { self.lease_owner },
            lease_expires_at: if running { None } else { self.lease_expires_at },
            last_error: self.last_error,
            outcome: self.outcome,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            finished_at: self.finished_at,
        })
    }
}

impl From<StoredSyncEntry> for SyncEntryLine {
    fn from(e: StoredSyncEntry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            provider_id: e.provider_id,
            user_id: e.user_id,
            user_name: e.user_name,
            change_type: e.change_type,
            attribute: e.attribute,
            old_value: e.old_value,
            new_value: e.new_value,
        }
    }
}

impl SyncEntryLine {
    /// Checks the record and returns the entry to store.
    pub(crate) fn into_stored(self) -> Result<StoredSyncEntry, String> {
        if self.change_type.is_empty() || self.attribute.is_empty() {
            return Err("change_type and attribute must not be empty".to_owned());
        }
        Ok(StoredSyncEntry {
            id: self.id,
            at: self.at,
            provider_id: self.provider_id,
            user_id: self.user_id,
            user_name: self.user_name,
            change_type: self.change_type,
            attribute: self.attribute,
            old_value: self.old_value,
            new_value: self.new_value,
        })
    }
}

impl From<StoredAuditEntry> for AuditEntryLine {
    fn from(e: StoredAuditEntry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor_kind: e.actor_kind.as_str().to_owned(),
            actor: e.actor,
            event: e.event,
            target_kind: e.target_kind,
            target_id: e.target_id,
            target_name: e.target_name,
            details: e.details,
        }
    }
}

impl AuditEntryLine {
    /// Checks the record and returns the entry to store.
    pub(crate) fn into_stored(self) -> Result<StoredAuditEntry, String> {
        let actor_kind = ActorKind::parse(&self.actor_kind).ok_or_else(|| {
            format!(
                "actor_kind {:?} is not provider, operator or system",
                self.actor_kind
            )
        })?;
        if self.event.is_empty() {
            return Err("event is empty".to_owned());
        }
        Ok(StoredAuditEntry {
            id: self.id,
            at: self.at,
            actor_kind,
            actor: self.actor,
            event: self.event,
            target_kind: self.target_kind,
            target_id: self.target_id,
            target_name: self.target_name,
            details: self.details,
        })
    }
}

impl From<StoredProvisioningError> for ProvisioningErrorLine {
    fn from(e: StoredProvisioningError) -> Self {
        Self {
            id: e.id,
            at: e.at,
            provider_id: e.provider_id,
            operation: e.operation,
            status: e.status,
            scim_type: e.scim_type,
            user_name: e.user_name,
            external_id: e.external_id,
            detail: e.detail,
        }
    }
}

impl ProvisioningErrorLine {
    /// Checks the record and returns the row to store.
    pub(crate) fn into_stored(self) -> Result<StoredProvisioningError, String> {
        if !(100..=599).contains(&self.status) {
            return Err(format!("status {} is not an HTTP status", self.status));
        }
        Ok(StoredProvisioningError {
            id: self.id,
            at: self.at,
            provider_id: self.provider_id,
            operation: self.operation,
            status: self.status,
            scim_type: self.scim_type,
            user_name: self.user_name,
            external_id: self.external_id,
            detail: self.detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::format::tests::at;

    fn job(state: &str) -> JobLine {
        JobLine {
            id: uuid::Uuid::now_v7(),
            job_kind: "deactivate_user".to_owned(),
            subject: Some("u".to_owned()),
            unique_key: Some("deactivate:u".to_owned()),
            fence: Some(7),
            payload: serde_json::json!({}),
            state: state.to_owned(),
            due_at: at("2026-03-01T00:00:00Z"),
            attempts: 1,
            max_attempts: 10,
            lease_owner: Some("worker-1".to_owned()),
            lease_expires_at: Some(at("2026-03-01T00:01:00Z")),
            last_error: None,
            outcome: None,
            created_by: "scim-okta".to_owned(),
            created_at: at("2026-02-01T00:00:00Z"),
            updated_at: at("2026-03-01T00:00:00Z"),
            finished_at: None,
        }
    }

    #[test]
    fn running_jobs_come_back_pending_without_their_lease_and_others_as_they_were() {
        let stored = job("running").into_stored().unwrap();
        assert_eq!(stored.state, "pending");
        assert_eq!((stored.lease_owner, stored.lease_expires_at), (None, None));
        assert_eq!(
            (stored.fence, stored.attempts),
            (Some(7), 0),
            "the source's unfinished attempt does not count"
        );
        let last = JobLine {
            attempts: 10,
            ..job("running")
        };
        let stored = last.into_stored().unwrap();
        assert!(
            stored.attempts < stored.max_attempts,
            "a job caught on its last attempt still runs once here"
        );
        let never = JobLine {
            max_attempts: 0,
            ..job("pending")
        };
        assert!(never.into_stored().unwrap_err().contains("max_attempts"));

        let done = job("succeeded");
        let stored = done.clone().into_stored().unwrap();
        assert_eq!(JobLine::from(stored), done);

        let err = job("paused").into_stored().unwrap_err();
        assert!(err.contains("paused"), "{err}");
    }

    #[test]
    fn a_job_keeps_its_own_kind_beside_the_record_kind() {
        use crate::transfer::format::{Record, VERSION, parse_line, write_line};
        let record = Record::Job(job("pending"));
        let mut out = Vec::new();
        write_line(&mut out, &record).unwrap();
        let text = String::from_utf8(out).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            (&value["kind"], &value["job_kind"]),
            (
                &serde_json::json!("job"),
                &serde_json::json!("deactivate_user")
            )
        );
        assert_eq!(parse_line(1, text.trim(), VERSION).unwrap(), record);
    }

    #[test]
    fn settings_and_log_rows_are_checked() {
        let settings = ProviderSettingsLine {
            provider_id: roster_core::ProviderId::generate(),
            username: "scim-okta".to_owned(),
            deactivation_delay_secs: MAX_DELAY_SECS + 1,
            last_success_at: None,
            updated_at: at("2026-01-01T00:00:00Z"),
            org_method: "groups".to_owned(),
            org_target_id: roster_store::TOP_LEVEL_ORGANIZATION,
            org_parent_id: roster_store::TOP_LEVEL_ORGANIZATION,
            role_method: "groups".to_owned(),
        };
        assert!(
            settings
                .clone()
                .into_stored()
                .unwrap_err()
                .contains("90 days")
        );
        let bad = ProviderSettingsLine {
            deactivation_delay_secs: 0,
            org_method: "magic".to_owned(),
            ..settings
        };
        assert!(bad.into_stored().unwrap_err().contains("magic"));
        let audit = AuditEntryLine {
            id: uuid::Uuid::now_v7(),
            at: at("2026-01-01T00:00:00Z"),
            actor_kind: "robot".to_owned(),
            actor: "x".to_owned(),
            event: "user added".to_owned(),
            target_kind: None,
            target_id: None,
            target_name: None,
            details: serde_json::json!({}),
        };
        assert!(audit.into_stored().unwrap_err().contains("robot"));
    }
}
