//! What a job kind does: [`JobHandler`], and the registry the worker and the
//! admin API look kinds up in.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use roster_store::{ClaimedJob, JobRecord, TenantTx};
use serde_json::Value as Json;

use crate::JobsError;

/// The future a handler returns (boxed: handlers live in a registry as trait objects).
pub type HandlerFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, JobsError>> + Send + 'a>>;

/// Where a step of a job left it.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The job is done; the text is its outcome.
    Done(String),
    /// More to do: the payload is the checkpoint the next step (or, after a crash, the next
    /// attempt) starts from. It commits with the step's effect.
    Continue(Json),
}

/// Runs the jobs of one kind. A kind implements [`Self::run`] when its work fits one
/// transaction, or [`Self::run_step`] when it works through many rows in checkpointed steps
/// (each its own transaction, so a crash loses at most one step).
pub trait JobHandler: Send + Sync + 'static {
    /// Returns the kind this handler runs, e.g. `deactivate_user`.
    fn kind(&self) -> &'static str;

    /// Runs the job's effect inside `tx`, the tenant transaction that then completes the job
    /// (fenced by its lease); returns the outcome recorded on the job. An error rolls the
    /// effect back and records a failed attempt. Kinds that override [`Self::run_step`]
    /// need not implement it.
    fn run<'a>(&'a self, tx: &'a mut TenantTx, job: &'a ClaimedJob) -> HandlerFuture<'a, String> {
        let _ = (tx, job);
        let kind = self.kind();
        Box::pin(async move {
            Err(JobsError::permanent(format!(
                "job kind {kind:?} implements neither run nor run_step"
            )))
        })
    }

    /// Runs one step of the job inside `tx` (from the checkpoint in `job.payload`): the
    /// worker then completes the job ([`Step::Done`]) or saves the checkpoint
    /// ([`Step::Continue`]) in the same transaction, fenced by the lease, and runs the next
    /// step. Defaults to the whole job as one step ([`Self::run`]).
    fn run_step<'a>(
        &'a self,
        tx: &'a mut TenantTx,
        job: &'a ClaimedJob,
    ) -> HandlerFuture<'a, Step> {
        Box::pin(async move { self.run(tx, job).await.map(Step::Done) })
    }

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
