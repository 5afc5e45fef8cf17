//! The identity service: a tenant's SCIM Users and Groups, their memberships,
//! and which provider owns each.
//!
//! Resources are kept as canonical SCIM documents (validated by
//! `roster_scim::resource::normalize`) beside the indexed facts the store
//! queries. Each write is one tenant transaction. Filters and PATCH are applied
//! with the shared `roster_scim` library. Only [`grpc`] knows tonic and proto.

pub mod admin;
pub mod apply;
pub mod deactivation;
mod error;
mod filter;
pub mod groups;
pub mod grpc;
pub mod lifecycle;
pub mod logs;
mod placement;
pub mod users;

pub use error::IdentityError;

use std::sync::Arc;

use roster_core::{ProviderId, TenantId};
use roster_store::Store;
use tokio::sync::Notify;

/// The largest page a list returns (`ServiceProviderConfig.filter.maxResults`).
pub const MAX_PAGE_SIZE: i64 = 200;

/// The service state shared by every request.
#[derive(Clone, Debug)]
pub struct Identity {
    pub(crate) store: Store,
    /// Poked after a commit that scheduled a job, so an in-process worker looks at once.
    jobs_due: Arc<Notify>,
}

impl Identity {
    /// Creates the service over a store.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            jobs_due: Arc::new(Notify::new()),
        }
    }

    /// Returns this service poking `jobs_due` whenever it schedules a job.
    pub fn with_job_wakeup(mut self, jobs_due: Arc<Notify>) -> Self {
        self.jobs_due = jobs_due;
        self
    }
}

/// Who a request acts for: one provider of one tenant. It sees only what it owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// The tenant.
    pub tenant: TenantId,
    /// The provider.
    pub provider: ProviderId,
}

/// A page of a list query.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// 1-based index of the first result (RFC 7644 §3.4.2.4).
    pub start_index: i64,
    /// Maximum results; clamped to [`MAX_PAGE_SIZE`].
    pub count: i64,
}

impl Page {
    /// Returns the SQL offset and limit of this page.
    pub(crate) fn offset_limit(&self) -> (i64, i64) {
        // RFC 7644 §3.4.2.4: startIndex < 1 is treated as 1; count < 0 as 0.
        (
            self.start_index.max(1) - 1,
            self.count.clamp(0, MAX_PAGE_SIZE),
        )
    }
}
