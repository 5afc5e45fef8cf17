//! The tenant job queue: claims and leases, fenced completion, backoff and failure, admin
//! retry and cancel, unique keys and listings.

use roster_core::{TenantId, UserId};
use roster_store::{ClaimedJob, FailedAttempt, JobFilter, JobState, NewJob, Store};
use serde_json::json;
use uuid::Uuid;

use crate::harness::{active_tenant, assert_conflict};

conformance!(
    claims_due_jobs_once_and_fences_completion,
    an_expired_lease_is_reclaimed_and_fences_the_old_attempt,
    failures_back_off_then_fail_after_the_last_attempt,
    retry_and_cancel_follow_the_job_state,
    unique_keys_allow_one_live_job,
    listings_filter_and_page_newest_first,
);

fn new_job(kind: &str, key: Option<&str>, delay_secs: i64, max_attempts: i32) -> NewJob {
    NewJob {
        id: Uuid::now_v7(),
        kind: kind.to_owned(),
        subject: Some(UserId::generate().to_string()),
        unique_key: key.map(str::to_owned),
        fence: Some(1),
        payload: json!({}),
        delay_secs,
        max_attempts,
        created_by: "idp".to_owned(),
    }
}

async fn enqueue(store: &Store, tenant: &TenantId, job: &NewJob) -> anyhow::Result<()> {
    let mut tx = store.begin(tenant).await?;
    tx.enqueue_job(job).await?;
    tx.commit().await?;
    Ok(())
}

async fn claim(
    store: &Store,
    tenant: &TenantId,
    owner: &str,
    lease_secs: i64,
) -> anyhow::Result<Vec<ClaimedJob>> {
    let mut tx = store.begin(tenant).await?;
    let jobs = tx.claim_due_jobs(owner, lease_secs, 10).await?;
    tx.commit().await?;
    // The seeded daily purge is due a day after the tenant was created: never claimed here.
    Ok(jobs)
}

async fn state_of(store: &Store, tenant: &TenantId, id: Uuid) -> anyhow::Result<JobState> {
    let mut tx = store.begin(tenant).await?;
    let job = tx.job(id, false).await?.expect("the job exists");
    tx.commit().await?;
    Ok(job.state)
}

async fn claims_due_jobs_once_and_fences_completion(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let due = new_job("deactivate_user", None, 0, 3);
    let later = new_job("deactivate_user", None, 3600, 3);
    enqueue(store, &tenant, &due).await?;
    enqueue(store, &tenant, &later).await?;

    let claimed = claim(store, &tenant, "w1", 30).await?;
    assert_eq!(claimed.len(), 1, "only the due job");
    let job = &claimed[0];
    assert_eq!((job.id, job.attempt, job.fence), (due.id, 1, Some(1)));
    assert_eq!(job.created_by, "idp");
    assert_eq!(state_of(store, &tenant, due.id).await?, JobState::Running);
    assert!(claim(store, &tenant, "w2", 30).await?.is_empty(), "leased");

    // Another owner, or another attempt number, holds nothing.
    let mut mine_not = job.clone();
    mine_not.lease_owner = "w2".to_owned();
    let mut tx = store.begin(&tenant).await?;
    assert!(!tx.holds_claimed_job(&mine_not).await?);
    assert!(!tx.complete_claimed_job(&mine_not, "x").await?);
    let mut stale = job.clone();
    stale.attempt = 0;
    assert!(!tx.holds_claimed_job(&stale).await?);
    assert!(tx.holds_claimed_job(job).await?);
    assert!(tx.complete_claimed_job(job, "deactivated").await?);
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    let done = tx.job(due.id, false).await?.expect("job");
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.outcome.as_deref(), Some("deactivated"));
    assert!(done.finished_at.is_some());
    assert!(!tx.complete_claimed_job(job, "again").await?, "finished");
    let next = tx.next_job_due_in_secs().await?.expect("the later job");
    assert!((3590..=3601).contains(&next), "{next}");
    tx.commit().await?;
    Ok(())
}

async fn an_expired_lease_is_reclaimed_and_fences_the_old_attempt(
    store: &Store,
) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let job = new_job("deactivate_user", Some("k"), 0, 3);
    enqueue(store, &tenant, &job).await?;
    // A lease already expired: the worker died.
    let dead = claim(store, &tenant, "dead", -1).await?.remove(0);
    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        tx.next_job_due_in_secs().await?,
        Some(0),
        "the expired lease is due"
    );
    tx.commit().await?;
    let alive = claim(store, &tenant, "alive", 30).await?.remove(0);
    assert_eq!((alive.id, alive.attempt), (job.id, 2));

    let mut tx = store.begin(&tenant).await?;
    assert!(!tx.renew_job_lease(&dead, 30).await?);
    assert!(!tx.complete_claimed_job(&dead, "late").await?);
    assert_eq!(
        tx.fail_claimed_job(&dead, "late", false).await?,
        FailedAttempt::Fenced
    );
    assert!(tx.renew_job_lease(&alive, 30).await?);
    assert!(tx.release_claimed_job(&alive).await?, "handed back");
    tx.commit().await?;
    let mut tx = store.begin(&tenant).await?;
    let released = tx.job(job.id, false).await?.expect("job");
    assert_eq!((released.state, released.attempts), (JobState::Pending, 1));
    tx.commit().await?;
    Ok(())
}

async fn failures_back_off_then_fail_after_the_last_attempt(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let job = new_job("deactivate_user", None, 0, 2);
    enqueue(store, &tenant, &job).await?;
    let first = claim(store, &tenant, "w", 30).await?.remove(0);
    let mut tx = store.begin(&tenant).await?;
    assert_eq!(
        tx.fail_claimed_job(&first, "boom", false).await?,
        FailedAttempt::Retrying { in_secs: 10 }
    );
    tx.commit().await?;
    let mut tx = store.begin(&tenant).await?;
    let pending = tx.job(job.id, false).await?.expect("job");
    assert_eq!(pending.state, JobState::Pending);
    assert_eq!(pending.last_error.as_deref(), Some("boom"));
    let wait = (pending.due_at - pending.updated_at).as_seconds_f64();
    assert!((9.5..=10.5).contains(&wait), "backoff {wait}");
    let next = tx.next_job_due_in_secs().await?.expect("due again");
    assert!((9..=11).contains(&next), "{next}");
    tx.commit().await?;
    assert!(
        claim(store, &tenant, "w", 30).await?.is_empty(),
        "backing off"
    );
    assert_eq!(roster_store::backoff_secs(2), 20);

    // The last attempt, and a permanent failure, end the job.
    let last = new_job("deactivate_user", None, 0, 1);
    let hopeless = new_job("unknown_kind", None, 0, 5);
    enqueue(store, &tenant, &last).await?;
    enqueue(store, &tenant, &hopeless).await?;
    let claimed = claim(store, &tenant, "w", 30).await?;
    assert_eq!(claimed.len(), 2);
    let mut tx = store.begin(&tenant).await?;
    for job in &claimed {
        let permanent = job.kind == "unknown_kind";
        assert_eq!(
            tx.fail_claimed_job(job, "no", permanent).await?,
            FailedAttempt::Failed
        );
    }
    tx.commit().await?;
    for id in [last.id, hopeless.id] {
        let mut tx = store.begin(&tenant).await?;
        let failed = tx.job(id, false).await?.expect("job");
        assert_eq!(failed.state, JobState::Failed);
        assert!(failed.finished_at.is_some());
        tx.commit().await?;
    }
    Ok(())
}

async fn retry_and_cancel_follow_the_job_state(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let job = new_job("deactivate_user", Some("user-1"), 0, 1);
    enqueue(store, &tenant, &job).await?;
    let claimed = claim(store, &tenant, "w", 30).await?.remove(0);
    let mut tx = store.begin(&tenant).await?;
    assert!(tx.cancel_job(Uuid::now_v7()).await?.is_none(), "absent");
    assert!(
        tx.retry_job(job.id).await?.is_none(),
        "a running job is not retried"
    );
    assert_eq!(
        tx.fail_claimed_job(&claimed, "boom", false).await?,
        FailedAttempt::Failed
    );
    let retried = tx
        .retry_job(job.id)
        .await?
        .expect("a failed job is retried");
    assert_eq!((retried.state, retried.attempts), (JobState::Pending, 0));
    assert!(retried.finished_at.is_none());
    tx.commit().await?;

    let again = claim(store, &tenant, "w", 30).await?.remove(0);
    assert_eq!(
        (again.id, again.attempt),
        (job.id, 1),
        "due now, attempts reset"
    );
    let mut tx = store.begin(&tenant).await?;
    let cancelled = tx
        .cancel_job(job.id)
        .await?
        .expect("a running job is cancelled");
    assert_eq!(cancelled.state, JobState::Cancelled);
    assert!(tx.cancel_job(job.id).await?.is_none(), "not twice");
    assert!(
        !tx.holds_claimed_job(&again).await?,
        "the running attempt is fenced"
    );
    tx.commit().await?;

    let mut tx = store.begin(&tenant).await?;
    assert!(
        tx.retry_job(job.id).await?.is_some(),
        "a cancelled job is retried"
    );
    let done = tx.cancel_job(job.id).await?.expect("pending: cancelled");
    assert_eq!(done.state, JobState::Cancelled);
    tx.commit().await?;
    Ok(())
}

async fn unique_keys_allow_one_live_job(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let first = new_job("deactivate_user", Some("deactivate:u"), 60, 3);
    enqueue(store, &tenant, &first).await?;
    let mut tx = store.begin(&tenant).await?;
    assert_conflict(
        tx.enqueue_job(&new_job("deactivate_user", Some("deactivate:u"), 0, 3))
            .await,
    );
    drop(tx);
    let mut tx = store.begin(&tenant).await?;
    assert_eq!(tx.cancel_live_jobs("deactivate:u").await?, 1);
    let second = new_job("deactivate_user", Some("deactivate:u"), 60, 3);
    tx.enqueue_job(&second).await?;
    tx.commit().await?;
    // The cancelled one cannot come back while the new one is live.
    let mut tx = store.begin(&tenant).await?;
    assert_conflict(tx.retry_job(first.id).await);
    Ok(())
}

async fn listings_filter_and_page_newest_first(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let jobs: Vec<NewJob> = (0..3)
        .map(|i| new_job("deactivate_user", None, 60 + i, 3))
        .collect();
    for job in &jobs {
        enqueue(store, &tenant, job).await?;
    }
    let mut tx = store.begin(&tenant).await?;
    let all = JobFilter::default();
    let (total, page) = tx.list_jobs(&all, 0, 10).await?;
    assert_eq!(
        total, 5,
        "three, the seeded daily purge and the seeded daily digest"
    );
    assert_eq!(page[0].id, jobs[2].id, "newest first");
    let kind = JobFilter {
        kind: Some("deactivate_user".to_owned()),
        ..JobFilter::default()
    };
    let (total, page) = tx.list_jobs(&kind, 1, 1).await?;
    assert_eq!((total, page.len()), (3, 1));
    assert_eq!(page[0].id, jobs[1].id);
    let subject = JobFilter {
        subject: jobs[0].subject.clone(),
        state: Some(JobState::Pending),
        ..JobFilter::default()
    };
    let (total, page) = tx.list_jobs(&subject, 0, 10).await?;
    assert_eq!((total, page[0].id), (1, jobs[0].id));
    let purge = JobFilter {
        kind: Some("purge_logs".to_owned()),
        ..JobFilter::default()
    };
    let (_, page) = tx.list_jobs(&purge, 0, 10).await?;
    assert_eq!(page[0].unique_key.as_deref(), Some("purge_logs"));
    let failed = JobFilter {
        state: Some(JobState::Failed),
        ..JobFilter::default()
    };
    assert_eq!(tx.list_jobs(&failed, 0, 10).await?.0, 0);
    tx.commit().await?;
    Ok(())
}
