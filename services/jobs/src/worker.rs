//! The worker loop: finds tenants with due work through the control schema's
//! hints, claims a batch of their due jobs under a lease, and runs each one —
//! effect and fenced completion in one tenant transaction, a heartbeat renewing
//! the lease meanwhile, failures recorded with backoff — then settles the
//! tenant's hint. Several workers may share one PostgreSQL database: claims skip
//! rows another worker holds, and an attempt whose lease was taken over changes
//! nothing.

use std::sync::Arc;
use std::time::Duration;

use roster_core::TenantId;
use roster_store::{ClaimedJob, FailedAttempt, Store};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::{Handlers, JobsError, Step, hints, metrics};

/// How many hinted tenants one poll looks at.
const TENANTS_PER_POLL: i64 = 64;

/// How the worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How often the hints are polled when nothing pokes the worker.
    pub poll_interval: Duration,
    /// How long a claimed job's lease lasts; the heartbeat renews it at a third of that.
    pub lease_secs: i64,
    /// Most jobs claimed from one tenant at a time.
    pub batch_size: i64,
    /// How often every tenant's hint is rebuilt from its jobs.
    pub sweep_interval: Duration,
}

/// Runs due jobs until shut down.
#[derive(Debug, Clone)]
pub struct Worker {
    store: Store,
    handlers: Arc<Handlers>,
    config: WorkerConfig,
    wakeup: Arc<Notify>,
    owner: String,
}

/// Why an attempt ended without success.
enum AttemptError {
    /// The attempt no longer holds the job (cancelled, or its lease was taken over).
    Fenced,
    /// The worker is shutting down between two steps of the job; hand it back.
    Paused,
    /// It failed; record it.
    Failed(JobsError),
}

impl From<JobsError> for AttemptError {
    fn from(err: JobsError) -> Self {
        Self::Failed(err)
    }
}

impl From<roster_store::StoreError> for AttemptError {
    fn from(err: roster_store::StoreError) -> Self {
        Self::Failed(JobsError::Store(err))
    }
}

impl Worker {
    /// Creates a worker; `wakeup` pokes it when a job was just scheduled.
    pub fn new(
        store: Store,
        handlers: Handlers,
        config: WorkerConfig,
        wakeup: Arc<Notify>,
    ) -> Self {
        let owner = format!(
            "worker-{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        Self {
            store,
            handlers: Arc::new(handlers),
            config,
            wakeup,
            owner,
        }
    }

    /// Returns the name this worker's leases carry.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Polls and runs jobs until `shutdown` is cancelled; the job in progress is finished
    /// first. The hint sweep runs beside it (its first round right away, without delaying
    /// the first poll).
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), JobsError> {
        tracing::info!(owner = %self.owner, "job worker started");
        let sweeper = self.clone();
        let sweep_shutdown = shutdown.clone();
        let sweep = tokio::spawn(async move { sweeper.sweep_loop(sweep_shutdown).await });
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            if let Err(err) = self.run_due_tenants(&shutdown).await {
                tracing::warn!(error = %roster_runtime::grpc::error_chain(&err), "job poll failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.wakeup.notified() => {}
                () = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
        if let Err(err) = sweep.await {
            tracing::warn!(error = %err, "hint sweep task ended abnormally");
        }
        tracing::info!(owner = %self.owner, "job worker stopped");
        Ok(())
    }

    async fn sweep_loop(&self, shutdown: CancellationToken) {
        loop {
            match hints::sweep(&self.store, &shutdown).await {
                Ok(n) => tracing::debug!(tenants = n, "hint sweep done"),
                Err(err) => {
                    tracing::warn!(error = %roster_runtime::grpc::error_chain(&err), "hint sweep failed");
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(self.config.sweep_interval) => {}
            }
        }
    }

    /// Runs the due jobs of every tenant whose hint is due.
    async fn run_due_tenants(&self, shutdown: &CancellationToken) -> Result<(), JobsError> {
        for due in self.store.due_tenants(TENANTS_PER_POLL).await? {
            if shutdown.is_cancelled() {
                break;
            }
            let tenant = due.tenant;
            if let Err(err) = self.run_tenant(&tenant, shutdown).await {
                tracing::warn!(tenant = %tenant, error = %roster_runtime::grpc::error_chain(&err), "running the tenant's jobs failed");
            }
            if let Err(err) = hints::settle(&self.store, &tenant).await {
                tracing::warn!(tenant = %tenant, error = %roster_runtime::grpc::error_chain(&err), "settling the tenant's hint failed");
            }
        }
        Ok(())
    }

    /// Claims and runs the tenant's due jobs, batch after batch.
    #[tracing::instrument(skip_all, fields(tenant = %tenant))]
    async fn run_tenant(
        &self,
        tenant: &TenantId,
        shutdown: &CancellationToken,
    ) -> Result<(), JobsError> {
        loop {
            let jobs = {
                let mut tx = self.store.begin(tenant).await?;
                let jobs = tx
                    .claim_due_jobs(&self.owner, self.config.lease_secs, self.config.batch_size)
                    .await?;
                tx.commit().await?;
                jobs
            };
            let claimed = i64::try_from(jobs.len()).unwrap_or(i64::MAX);
            let mut jobs = jobs.into_iter();
            for job in jobs.by_ref() {
                if shutdown.is_cancelled() {
                    self.release(tenant, &job).await;
                    break;
                }
                self.run_job(tenant, &job, shutdown).await;
            }
            for job in jobs {
                self.release(tenant, &job).await;
            }
            if shutdown.is_cancelled() || claimed < self.config.batch_size {
                return Ok(());
            }
        }
    }

    /// Hands a job this worker will not start back to the queue.
    async fn release(&self, tenant: &TenantId, job: &ClaimedJob) {
        let released = async {
            let mut tx = self.store.begin(tenant).await?;
            tx.release_claimed_job(job).await?;
            tx.commit().await
        }
        .await;
        if let Err(err) = released {
            tracing::warn!(job = %job.id, error = %roster_runtime::grpc::error_chain(&err), "could not release a claimed job; its lease will expire");
        }
    }

    /// Runs one attempt with a heartbeat, and records how it ended.
    #[tracing::instrument(skip_all, fields(job = %job.id, kind = %job.kind, attempt = job.attempt))]
    async fn run_job(&self, tenant: &TenantId, job: &ClaimedJob, shutdown: &CancellationToken) {
        let beat = CancellationToken::new();
        let heartbeat = tokio::spawn(heartbeat(
            self.store.clone(),
            *tenant,
            job.clone(),
            self.config.lease_secs,
            beat.clone(),
        ));
        let result = self.attempt(tenant, job, shutdown).await;
        beat.cancel();
        if let Err(err) = heartbeat.await {
            tracing::warn!(error = %err, "job heartbeat task ended abnormally");
        }
        match result {
            Ok(outcome) => {
                metrics::count_succeeded();
                tracing::info!(tenant = %tenant, outcome = %outcome, "job succeeded");
            }
            Err(AttemptError::Fenced) => {
                tracing::info!(tenant = %tenant, "job no longer held by this attempt; nothing changed");
            }
            Err(AttemptError::Paused) => {
                tracing::info!(tenant = %tenant, "shutting down between two steps of a job; it resumes from its checkpoint");
                self.release(tenant, job).await;
            }
            Err(AttemptError::Failed(err)) => self.record_failure(tenant, job, &err).await,
        }
    }

    /// The attempt itself: the lease checked, the handler's effect, the fenced completion,
    /// one commit (a completion that finds the job lost rolls the effect back).
    async fn attempt(
        &self,
        tenant: &TenantId,
        job: &ClaimedJob,
        shutdown: &CancellationToken,
    ) -> Result<String, AttemptError> {
        if job.attempt > job.max_attempts {
            return Err(JobsError::permanent(format!(
                "the worker running attempt {} of {} stopped before finishing it",
                job.attempt - 1,
                job.max_attempts
            ))
            .into());
        }
        let Some(handler) = self.handlers.get(&job.kind) else {
            return Err(JobsError::permanent(format!(
                "no handler for job kind {:?} in this build",
                job.kind
            ))
            .into());
        };
        #[cfg(feature = "test-clock")]
        let faults = crate::faults::take_attempt_faults(&self.store, tenant).await?;
        #[cfg(feature = "test-clock")]
        if faults.fail {
            return Err(JobsError::handler("injected fault: this attempt fails").into());
        }
        let mut job = job.clone();
        let (mut tx, outcome) = loop {
            let mut tx = self.store.begin(tenant).await?;
            if !tx.holds_claimed_job(&job).await? {
                return Err(AttemptError::Fenced);
            }
            match handler.run_step(&mut tx, &job).await? {
                Step::Done(outcome) => break (tx, outcome),
                Step::Continue(checkpoint) => {
                    if !tx.checkpoint_claimed_job(&job, &checkpoint).await? {
                        return Err(AttemptError::Fenced);
                    }
                    #[cfg(feature = "test-clock")]
                    let abort_after_commit =
                        crate::faults::take_abort_after_commit(&mut tx).await?;
                    tx.commit().await?;
                    #[cfg(feature = "test-clock")]
                    if abort_after_commit {
                        tracing::warn!(tenant = %tenant, job = %job.id, "injected fault: aborting after a step's commit");
                        std::process::abort();
                    }
                    job.payload = checkpoint;
                    if shutdown.is_cancelled() {
                        return Err(AttemptError::Paused);
                    }
                }
            }
        };
        if !tx.complete_claimed_job(&job, &outcome).await? {
            return Err(AttemptError::Fenced);
        }
        #[cfg(feature = "test-clock")]
        if faults.abort_before_commit {
            tracing::warn!(tenant = %tenant, job = %job.id, "injected fault: aborting before commit");
            std::process::abort();
        }
        #[cfg(feature = "test-clock")]
        let abort_after_commit = crate::faults::take_abort_after_commit(&mut tx).await?;
        tx.commit().await?;
        #[cfg(feature = "test-clock")]
        if abort_after_commit {
            tracing::warn!(tenant = %tenant, job = %job.id, "injected fault: aborting after commit");
            std::process::abort();
        }
        Ok(outcome)
    }

    /// Records a failed attempt: pending again after its backoff, or `failed` after its last.
    async fn record_failure(&self, tenant: &TenantId, job: &ClaimedJob, err: &JobsError) {
        let message = roster_runtime::grpc::error_chain(err);
        let permanent = matches!(
            err,
            JobsError::Handler {
                permanent: true,
                ..
            }
        );
        let recorded = async {
            let mut tx = self.store.begin(tenant).await?;
            let ended = tx.fail_claimed_job(job, &message, permanent).await?;
            tx.commit().await?;
            Ok::<_, roster_store::StoreError>(ended)
        }
        .await;
        match recorded {
            Ok(FailedAttempt::Retrying { in_secs }) => {
                metrics::count_retried();
                tracing::info!(tenant = %tenant, error = %message, retry_in_secs = in_secs, "job attempt failed; retrying later");
            }
            Ok(FailedAttempt::Failed) => {
                metrics::count_failed();
                tracing::warn!(tenant = %tenant, job = %job.id, kind = %job.kind, attempts = job.attempt, error = %message, "job failed after its last attempt");
            }
            Ok(FailedAttempt::Fenced) => {
                tracing::info!(tenant = %tenant, error = %message, "job attempt failed after it lost the job; nothing recorded");
            }
            Err(store) => {
                tracing::warn!(tenant = %tenant, error = %message, record_error = %roster_runtime::grpc::error_chain(&store), "could not record a failed attempt; its lease will expire and it runs again");
            }
        }
    }
}

/// Renews the job's lease every third of its length until `stop` is cancelled or the attempt
/// lost the job.
async fn heartbeat(
    store: Store,
    tenant: TenantId,
    job: ClaimedJob,
    lease_secs: i64,
    stop: CancellationToken,
) {
    let every = Duration::from_millis(u64::try_from(lease_secs.max(1)).unwrap_or(1) * 1000 / 3);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let renewed = async {
            let mut tx = store.begin(&tenant).await?;
            let held = tx.renew_job_lease(&job, lease_secs).await?;
            tx.commit().await?;
            Ok::<_, roster_store::StoreError>(held)
        }
        .await;
        match renewed {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                tracing::warn!(job = %job.id, error = %roster_runtime::grpc::error_chain(&err), "could not renew a job lease");
            }
        }
    }
}
