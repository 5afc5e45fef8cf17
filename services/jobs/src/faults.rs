//! Injected job faults of test builds (the `test-clock` feature), kept in the
//! tenant's `test_hooks` table so that every worker process sees them.

use roster_core::TenantId;
use roster_store::{Store, TenantTx};

use crate::JobsError;

/// The next N attempts fail with an injected error.
pub const FAIL: &str = "fault_fail";
/// The worker aborts right after committing a job's effect.
pub const ABORT_AFTER_COMMIT: &str = "fault_abort_after_commit";
/// The worker aborts after running a job's effect, before committing it.
pub const ABORT_BEFORE_COMMIT: &str = "fault_abort_before_commit";

/// The faults an attempt takes, decided before its effect runs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AttemptFaults {
    /// Fail the attempt with an injected error.
    pub fail: bool,
    /// Abort the process before committing the effect.
    pub abort_before_commit: bool,
}

/// Takes this attempt's faults in their own committed transaction: one `fail` count, and
/// the `abort_before_commit` fault (cleared first, so that the worker that retries the job
/// after this process died does not abort too).
pub(crate) async fn take_attempt_faults(
    store: &Store,
    tenant: &TenantId,
) -> Result<AttemptFaults, JobsError> {
    let mut tx = store.begin(tenant).await?;
    let mut faults = AttemptFaults::default();
    if tx.test_hook(FAIL).await? > 0 {
        tx.add_test_hook(FAIL, -1).await?;
        faults.fail = true;
    }
    if tx.test_hook(ABORT_BEFORE_COMMIT).await? != 0 {
        tx.set_test_hook(ABORT_BEFORE_COMMIT, 0).await?;
        faults.abort_before_commit = true;
    }
    tx.commit().await?;
    Ok(faults)
}

/// Takes the `abort_after_commit` fault inside the job's own transaction, so that it is
/// cleared exactly when the effect commits.
pub(crate) async fn take_abort_after_commit(tx: &mut TenantTx) -> Result<bool, JobsError> {
    if tx.test_hook(ABORT_AFTER_COMMIT).await? == 0 {
        return Ok(false);
    }
    tx.set_test_hook(ABORT_AFTER_COMMIT, 0).await?;
    Ok(true)
}
