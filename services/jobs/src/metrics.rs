//! Process-wide job counters, rendered in the Prometheus text format. The
//! `roster` binary appends them to the gateway's `/metrics` when both run in
//! one process.

use std::sync::atomic::{AtomicU64, Ordering};

static SUCCEEDED: AtomicU64 = AtomicU64::new(0);
static RETRIED: AtomicU64 = AtomicU64::new(0);
static FAILED: AtomicU64 = AtomicU64::new(0);

/// Counts a job whose effect committed.
pub(crate) fn count_succeeded() {
    SUCCEEDED.fetch_add(1, Ordering::Relaxed);
}

/// Counts a failed attempt that will be retried after its backoff.
pub(crate) fn count_retried() {
    RETRIED.fetch_add(1, Ordering::Relaxed);
}

/// Counts a job that ended `failed` (its last attempt failed).
pub(crate) fn count_failed() {
    FAILED.fetch_add(1, Ordering::Relaxed);
}

/// Returns how many jobs ended `failed` in this process.
pub fn failed_total() -> u64 {
    FAILED.load(Ordering::Relaxed)
}

/// Renders the counters.
pub fn render() -> String {
    format!(
        "# TYPE roster_jobs_succeeded_total counter\n\
         roster_jobs_succeeded_total {}\n\
         # TYPE roster_jobs_retried_total counter\n\
         roster_jobs_retried_total {}\n\
         # TYPE roster_jobs_failed_total counter\n\
         roster_jobs_failed_total {}\n",
        SUCCEEDED.load(Ordering::Relaxed),
        RETRIED.load(Ordering::Relaxed),
        FAILED.load(Ordering::Relaxed),
    )
}
