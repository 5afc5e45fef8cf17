//! Operators' view of a tenant's digest setting: read it (with when the next digest run is
//! due) and change the frequency, audited. The setting covers every provider and every
//! Customer Cloud Admin of the tenant.

use roster_core::TenantId;
use roster_store::{
    ActorKind, AuditEntry, DigestFrequency, DigestSettings, JobFilter, JobState, Store, TenantTx,
};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::SEND_DIGEST;
use crate::JobsError;

/// A tenant's digest setting as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestView {
    /// The stored setting.
    pub settings: DigestSettings,
    /// When the next digest run is due, if one is scheduled.
    pub next_run_at: Option<OffsetDateTime>,
}

/// The digest settings service shared by every request.
#[derive(Debug, Clone)]
pub struct DigestAdmin {
    store: Store,
}

impl DigestAdmin {
    /// Creates the service.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Returns the store, for the gRPC adapter's tenant lookups.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Returns the tenant's digest setting.
    pub async fn get(&self, tenant: &TenantId) -> Result<DigestView, JobsError> {
        let mut tx = self.store.begin(tenant).await?;
        let settings = tx.digest_settings(false).await?;
        let view = view(&mut tx, settings).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Sets when the tenant's digest is sent; a change is audited as done by `actor`.
    pub async fn set_frequency(
        &self,
        tenant: &TenantId,
        frequency: DigestFrequency,
        actor: &str,
    ) -> Result<DigestView, JobsError> {
        let mut tx = self.store.begin(tenant).await?;
        let before = tx.digest_settings(true).await?;
        let settings = if before.frequency == frequency {
            before
        } else {
            let after = tx.set_digest_frequency(frequency).await?;
            tx.append_audit(&AuditEntry {
                id: Uuid::now_v7(),
                actor_kind: ActorKind::Operator,
                actor: actor.to_owned(),
                event: "digest settings changed".to_owned(),
                target_kind: Some("settings".to_owned()),
                target_id: None,
                target_name: Some("digest".to_owned()),
                details: json!({
                    "frequency": {"old": before.frequency.as_str(), "new": frequency.as_str()},
                }),
            })
            .await?;
            after
        };
        let view = view(&mut tx, settings).await?;
        tx.commit().await?;
        Ok(view)
    }
}

async fn view(tx: &mut TenantTx, settings: DigestSettings) -> Result<DigestView, JobsError> {
    let filter = JobFilter {
        state: Some(JobState::Pending),
        kind: Some(SEND_DIGEST.to_owned()),
        subject: None,
    };
    let (_, jobs) = tx.list_jobs(&filter, 0, 1).await?;
    Ok(DigestView {
        settings,
        next_run_at: jobs.first().map(|job| job.due_at),
    })
}
