//! The organizations and mapping services: a tenant's organization tree (names,
//! parents, inherited settings, default roles), its roles catalogue, each
//! provider's organization- and role-mapping configuration, and the rules that
//! decide where a provisioned user lands and which roles it holds.
//!
//! Placement runs inside the caller's tenant transaction (the identity service
//! calls [`mapping::place`] on every provisioning change), so a user and its
//! organization and roles always commit together. Only [`grpc`] knows tonic.

mod audit_trail;
mod error;
pub mod grpc;
pub mod mapping;
pub mod members;
pub mod naming;
pub mod orgs;
pub mod roles;
pub mod tree;

pub use error::OrganizationsError;

use std::sync::Arc;
use std::time::Duration;

use roster_core::TenantId;
use roster_store::Store;
use tokio::sync::Notify;

/// The service state shared by every request.
#[derive(Clone, Debug)]
pub struct Organizations {
    pub(crate) store: Store,
    /// Poked after a commit that scheduled a job, so an in-process worker looks at once.
    jobs_due: Arc<Notify>,
    /// Users one step of Apply Org and Role Settings looks at.
    pub(crate) apply_batch: i64,
}

impl Organizations {
    /// Creates the service over a store.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            jobs_due: Arc::new(Notify::new()),
            apply_batch: mapping::apply::DEFAULT_APPLY_BATCH,
        }
    }

    /// Returns this service poking `jobs_due` whenever it schedules a job.
    pub fn with_job_wakeup(mut self, jobs_due: Arc<Notify>) -> Self {
        self.jobs_due = jobs_due;
        self
    }

    /// Returns this service running Apply Org and Role Settings `batch` users per step.
    pub fn with_apply_batch(mut self, batch: i64) -> Self {
        self.apply_batch = batch.max(1);
        self
    }

    /// Tells the job workers a tenant has a job due now. A lost hint is repaired by the
    /// workers' sweep, so a failure here is logged, not returned.
    pub(crate) async fn hint_job_due(&self, tenant: TenantId) {
        if let Err(err) = self.store.note_job_due(&tenant, Duration::ZERO).await {
            tracing::warn!(error = %err, "could not record the next-due hint; the sweep will");
        }
        self.jobs_due.notify_one();
    }
}
