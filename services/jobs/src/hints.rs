//! Keeping the control schema's next-due hint of a tenant true: after a worker
//! processed a tenant, and in a periodic sweep that repairs hints a crash lost
//! (a tenant commit whose hint write never happened).

use std::time::Duration;

use roster_core::TenantId;
use roster_store::Store;
use tokio_util::sync::CancellationToken;

use crate::JobsError;

/// Compare-and-set rounds before giving up (the next sweep repairs what is left).
const SETTLE_ROUNDS: usize = 5;

/// Sets the tenant's hint to its next due time (its earliest pending job or expiring lease),
/// or deletes it when it has none. Reads the hint's version first and writes only if it is
/// unchanged, retrying on a race: a job noted meanwhile is then part of what it reads.
pub(crate) async fn settle(store: &Store, tenant: &TenantId) -> Result<(), JobsError> {
    for _ in 0..SETTLE_ROUNDS {
        let version = store.job_hint_version(tenant).await?;
        let next = {
            let mut tx = store.begin(tenant).await?;
            let next = tx.next_job_due_in_secs().await?;
            tx.commit().await?;
            next
        };
        let next = next.map(|secs| Duration::from_secs(u64::try_from(secs).unwrap_or(0)));
        if store.settle_job_hint(tenant, version, next).await? {
            return Ok(());
        }
    }
    tracing::debug!(tenant = %tenant, "hint kept changing; the sweep will settle it");
    Ok(())
}

/// Rebuilds every tenant's hint from its jobs; stops early when `shutdown` is cancelled.
pub(crate) async fn sweep(store: &Store, shutdown: &CancellationToken) -> Result<usize, JobsError> {
    let tenants = store.list_tenants().await?;
    let mut settled = 0;
    for tenant in tenants {
        if shutdown.is_cancelled() {
            break;
        }
        if tenant.state == roster_store::TenantState::Provisioning {
            continue;
        }
        match settle(store, &tenant.id).await {
            Ok(()) => settled += 1,
            Err(err) => {
                tracing::warn!(tenant = %tenant.id, error = %roster_runtime::grpc::error_chain(&err), "hint sweep skipped a tenant");
            }
        }
    }
    Ok(settled)
}
