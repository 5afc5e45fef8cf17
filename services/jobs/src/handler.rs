//! What a job kind does: [`JobHandler`], and the registry the worker and the
//! admin API look kinds up in.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use roster_store::{ClaimedJob, JobRecord, TenantTx};

use crate::JobsError;

/// The future a handler returns (boxed: handlers live in a registry as trait objects).
pub type HandlerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, JobsError>> + Send + 'a>>;

/// Runs the jobs of one kind.
pub trait JobHandler: Send + Sync + 'static {
    /// Returns the kind this handler runs, e.g. `deactivate_user`.
    fn kind(&self) -> &'static str;

    /// Runs the job's effect inside `tx`, the tenant transaction that then completes the job
    /// (fenced by its lease); returns the outcome recorded on the job. An error rolls the
    /// effect back and records a failed attempt.
    fn run<'a>(&'a self, tx: &'a mut TenantTx, job: &'a ClaimedJob) -> HandlerFuture<'a, String>;

    /// Called inside the transaction that cancels a pending or running job of this kind
    /// through the admin API (`actor` names the operator), before the job row is updated, to
    /// leave the job's subject consistent; the transaction is rolled back if the job finished
    /// meanwhile. Does nothing unless overridden.
    fn on_cancel<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        job: &'a JobRecord,
        actor: &'a str,
    ) -> HandlerFuture<'a, ()> {
        let _ = (tx, job, actor);
        Box::pin(async { Ok(()) })
    }

    /// Whether a cancelled job of this kind may be retried. A kind whose [`Self::on_cancel`]
    /// undid what the job was for answers false: its retry could only report that it had
    /// nothing to do.
    fn retryable_after_cancel(&self) -> bool {
        true
    }
}

/// The handlers of every kind this process runs.
#[derive(Clone, Default)]
pub struct Handlers {
    by_kind: HashMap<&'static str, Arc<dyn JobHandler>>,
}

impl std::fmt::Debug for Handlers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kinds: Vec<_> = self.by_kind.keys().collect();
        kinds.sort();
        f.debug_struct("Handlers").field("kinds", &kinds).finish()
    }
}

impl Handlers {
    /// Returns an empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the registry with `handler` added for its kind (replacing any earlier one).
    pub fn with(mut self, handler: impl JobHandler) -> Self {
        self.by_kind.insert(handler.kind(), Arc::new(handler));
        self
    }

    /// Returns the handler of `kind`, if one is registered.
    pub fn get(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.by_kind.get(kind).cloned()
    }
}
