//! The jobs service end to end, through the gateway (SCIM), the CLI and the TestHooks gRPC
//! service of test builds: delayed deactivation, a job 90 days ahead across a restart, retries
//! with backoff ending `failed` and an admin retry, cancelling, the retention purge, and (in
//! `workers`) several worker processes and workers that die around their commit.
//!
//! Time moves with `ShiftClock`, which shifts one tenant's database clock in every process.
//! Effects are counted in the tenant's own tables (audit log, sync log): no read API for them
//! exists on this branch, so [`TenantDb`] reads them directly, on either backend.

mod purge;
pub(crate) mod support;
mod workers;

use self::support::*;
use crate::common::*;

#[tokio::test]
async fn the_delay_passes_and_the_blocked_user_is_deactivated_once() {
    let f = fixture_with(jobs_options(), "basic").await;
    let id = create_user(&f.scim, &user_body("leaver@example.com")).await;
    set_active(&f, &id, false).await;
    assert_eq!(user_state(&f, &id).await, "blocked");
    let job = only_deactivation(&f, &id).await;
    assert_eq!(job["state"], "pending");
    let provider = f
        .cred
        .username
        .clone()
        .expect("a basic credential has a username");
    assert_eq!(job["created_by"], provider.as_str());

    // Not due yet: nothing happens.
    let hooks = Hooks::of(&f.roster).await;
    hooks.shift_clock(&f.slug, 600).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(user_state(&f, &id).await, "blocked");
    assert_eq!(only_deactivation(&f, &id).await["state"], "pending");

    hooks.shift_clock(&f.slug, 301).await;
    wait_for_state(&f, &id, "deactivated").await;
    let job = only_deactivation(&f, &id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_eq!(job["outcome"], "deactivated", "{job}");
    assert_eq!(job["attempts"], 1, "{job}");
    let shown = f
        .roster
        .cli_json(&[
            "jobs",
            "show",
            "--tenant",
            &f.slug,
            job["id"].as_str().expect("id"),
        ])
        .await;
    assert_eq!(shown["id"], job["id"]);

    let db = TenantDb::open(&f).await;
    assert_eq!(db.audit_count("user deactivated", &id).await, 1);
    assert_eq!(db.sync_count("deactivated", "leaver@example.com").await, 1);
    let actor = db.audit_actor("user deactivated", &id).await;
    assert_eq!(
        actor, provider,
        "the provider's deactivation names the provider"
    );
}

#[tokio::test]
async fn a_job_ninety_days_ahead_survives_a_restart_and_runs_when_due() {
    let mut f = fixture_with(jobs_options(), "basic").await;
    set_delay(&f, "90d").await;
    let id = create_user(&f.scim, &user_body("sabbatical@example.com")).await;
    set_active(&f, &id, false).await;
    f.roster.restart().await.expect("restart");

    let job = only_deactivation(&f, &id).await;
    assert_eq!(job["state"], "pending", "{job}");
    let hooks = Hooks::of(&f.roster).await;
    hooks.shift_clock(&f.slug, 89 * 86_400).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(user_state(&f, &id).await, "blocked");

    hooks.shift_clock(&f.slug, 86_400 + 1).await;
    wait_for_state(&f, &id, "deactivated").await;
    assert_eq!(only_deactivation(&f, &id).await["state"], "succeeded");
    assert_eq!(
        TenantDb::open(&f)
            .await
            .audit_count("user deactivated", &id)
            .await,
        1
    );
}

#[tokio::test]
async fn a_failing_job_backs_off_ends_failed_and_an_admin_retry_succeeds() {
    let f = fixture_with(jobs_options(), "basic").await;
    set_delay(&f, "30s").await;
    let id = create_user(&f.scim, &user_body("flaky@example.com")).await;
    let hooks = Hooks::of(&f.roster).await;
    hooks.set_fault(&f.slug, Fault::Fail, 100).await;
    set_active(&f, &id, false).await;

    hooks.shift_clock(&f.slug, 31).await;
    let job = wait_for_job(&f, &id, |j| j["attempts"] == 1 && j["state"] == "pending").await;
    assert!(
        job["last_error"]
            .as_str()
            .unwrap_or_default()
            .contains("injected fault"),
        "{job}"
    );
    assert_eq!(backoff_of(&job), 10, "the first retry waits 10 s: {job}");
    // Not yet due: a shorter shift changes nothing.
    hooks.shift_clock(&f.slug, 5).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(only_deactivation(&f, &id).await["attempts"], 1);
    hooks.shift_clock(&f.slug, 6).await;
    let job = wait_for_job(&f, &id, |j| j["attempts"] == 2 && j["state"] == "pending").await;
    assert_eq!(backoff_of(&job), 20, "the second retry waits 20 s: {job}");

    // The remaining attempts (10 in all), an hour apart at most.
    for attempt in 3..=10 {
        hooks.shift_clock(&f.slug, 3600).await;
        wait_for_job(&f, &id, |j| {
            j["attempts"] == attempt && j["state"] != "running"
        })
        .await;
    }
    let job = only_deactivation(&f, &id).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert!(job["finished_at"].is_string(), "{job}");
    assert_eq!(
        user_state(&f, &id).await,
        "blocked",
        "a failed job changes nothing"
    );
    let failed = f
        .roster
        .cli_json(&["jobs", "list", "--tenant", &f.slug, "--state", "failed"])
        .await;
    assert_eq!(failed["total"], 1, "{failed}");
    assert_eq!(failed["jobs"][0]["id"], job["id"]);
    let metrics = f
        .roster
        .http()
        .get(format!("{}/metrics", f.roster.gateway_url()))
        .send()
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("metrics body");
    assert!(
        metrics.contains("roster_jobs_failed_total 1\n"),
        "{metrics}"
    );

    // Retrying a job that is not failed or cancelled is refused.
    let pending_purge = f
        .roster
        .cli_json(&["jobs", "list", "--tenant", &f.slug, "--kind", "purge_logs"])
        .await;
    let purge_id = pending_purge["jobs"][0]["id"]
        .as_str()
        .expect("purge job")
        .to_owned();
    let refused = f
        .roster
        .cli(&["jobs", "retry", "--tenant", &f.slug, &purge_id])
        .await;
    assert!(
        !refused.status.success(),
        "retrying a pending job: {}",
        refused.stdout
    );
    assert!(refused.stderr.contains("pending"), "{}", refused.stderr);

    hooks.set_fault(&f.slug, Fault::Fail, 0).await;
    let job_id = job["id"].as_str().expect("id").to_owned();
    let retried = f
        .roster
        .cli_json(&["jobs", "retry", "--tenant", &f.slug, &job_id])
        .await;
    assert_eq!(retried["state"], "pending", "{retried}");
    assert_eq!(retried["attempts"], 0, "{retried}");
    wait_for_state(&f, &id, "deactivated").await;
    let job = only_deactivation(&f, &id).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    let db = TenantDb::open(&f).await;
    assert_eq!(db.audit_count("user deactivated", &id).await, 1);
    assert_eq!(db.audit_count("job retried", &job_id).await, 1);
}

#[tokio::test]
async fn cancelling_a_pending_deactivation_keeps_the_user_blocked() {
    let f = fixture_with(jobs_options(), "basic").await;
    let id = create_user(&f.scim, &user_body("kept@example.com")).await;
    set_active(&f, &id, false).await;
    let job = only_deactivation(&f, &id).await;
    let job_id = job["id"].as_str().expect("id").to_owned();

    let cancelled = f
        .roster
        .cli_json(&["jobs", "cancel", "--tenant", &f.slug, &job_id])
        .await;
    assert_eq!(cancelled["state"], "cancelled", "{cancelled}");
    let user = f
        .roster
        .cli_json(&["users", "show", "--tenant", &f.slug, &id])
        .await;
    assert_eq!(user["state"], "blocked", "{user}");
    assert!(user["deactivation_due_at"].is_null(), "{user}");

    let again = f
        .roster
        .cli(&["jobs", "cancel", "--tenant", &f.slug, &job_id])
        .await;
    assert!(
        !again.status.success(),
        "cancelling twice: {}",
        again.stdout
    );
    assert!(again.stderr.contains("cancelled"), "{}", again.stderr);
    // Cancelling cleared the user's pending deactivation: a retry could only do nothing.
    let retry = f
        .roster
        .cli(&["jobs", "retry", "--tenant", &f.slug, &job_id])
        .await;
    assert!(!retry.status.success(), "retried: {}", retry.stdout);
    assert!(
        retry.stderr.contains("roster users deactivate"),
        "{}",
        retry.stderr
    );

    Hooks::of(&f.roster).await.shift_clock(&f.slug, 3600).await;
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    assert_eq!(user_state(&f, &id).await, "blocked");
    let db = TenantDb::open(&f).await;
    assert_eq!(db.audit_count("user deactivated", &id).await, 0);
    assert_eq!(db.audit_count("job cancelled", &job_id).await, 1);
    assert_eq!(db.audit_count("deactivation cancelled", &id).await, 1);

    // The provider's next deactivation schedules a fresh job.
    set_active(&f, &id, true).await;
    set_active(&f, &id, false).await;
    let listed = f
        .roster
        .cli_json(&["jobs", "list", "--tenant", &f.slug, "--subject", &id])
        .await;
    assert_eq!(listed["total"], 2, "{listed}");
    assert_eq!(
        listed["jobs"][0]["state"], "pending",
        "newest first: {listed}"
    );
    let unknown = f
        .roster
        .cli(&[
            "jobs",
            "show",
            "--tenant",
            &f.slug,
            &uuid::Uuid::new_v4().to_string(),
        ])
        .await;
    assert!(!unknown.status.success());
    assert!(unknown.stderr.contains("not found"), "{}", unknown.stderr);
}

#[tokio::test]
async fn the_jobs_api_answers_with_precise_status_codes() {
    use roster_proto::jobs::v1 as pb;
    use roster_proto::jobs::v1::jobs_service_client::JobsServiceClient;

    let f = fixture_with(jobs_options(), "basic").await;
    let channel = tonic::transport::Endpoint::from_shared(f.roster.admin_url().to_owned())
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut client = JobsServiceClient::new(channel);
    let token = std::fs::read_to_string(f.roster.data_dir().join("operator.token")).expect("token");
    let token = token.trim().to_owned();
    // The seeded daily digest (send_digest) is pending too; this test steers the purge.
    let list = |tenant: &str| pb::ListJobsRequest {
        tenant: tenant.to_owned(),
        kind: "purge_logs".to_owned(),
        ..Default::default()
    };
    assert_eq!(
        refused(client.list_jobs(tonic::Request::new(list(&f.slug))).await),
        tonic::Code::Unauthenticated
    );
    assert_eq!(
        refused(
            client
                .list_jobs(authorized_request_for(&token, list("no-such-tenant")))
                .await
        ),
        tonic::Code::NotFound
    );
    let page = client
        .list_jobs(authorized_request_for(&token, list(&f.slug)))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(page.total, 1, "the seeded daily purge");
    let purge = page.jobs[0].clone();
    assert_eq!(purge.kind, "purge_logs");
    assert_eq!(purge.state, pb::JobState::Pending as i32);
    let action = |id: &str| pb::JobActionRequest {
        tenant: f.slug.clone(),
        id: id.to_owned(),
    };
    assert_eq!(
        refused(
            client
                .retry_job(authorized_request_for(&token, action(&purge.id)))
                .await
        ),
        tonic::Code::FailedPrecondition
    );
    assert_eq!(
        refused(
            client
                .get_job(authorized_request_for(
                    &token,
                    pb::GetJobRequest {
                        tenant: f.slug.clone(),
                        id: "not-an-id".into()
                    }
                ))
                .await
        ),
        tonic::Code::InvalidArgument
    );
    assert_eq!(
        refused(
            client
                .cancel_job(authorized_request_for(
                    &token,
                    action(&uuid::Uuid::new_v4().to_string())
                ))
                .await
        ),
        tonic::Code::NotFound
    );
    let cancelled = client
        .cancel_job(authorized_request_for(&token, action(&purge.id)))
        .await
        .expect("cancel")
        .into_inner()
        .job
        .expect("job");
    assert_eq!(cancelled.state, pb::JobState::Cancelled as i32);
    assert_eq!(
        refused(
            client
                .cancel_job(authorized_request_for(&token, action(&purge.id)))
                .await
        ),
        tonic::Code::FailedPrecondition
    );
    let retried = client
        .retry_job(authorized_request_for(&token, action(&purge.id)))
        .await
        .expect("retry")
        .into_inner()
        .job
        .expect("job");
    assert_eq!(retried.state, pb::JobState::Pending as i32);
    let bad_state = pb::ListJobsRequest {
        tenant: f.slug.clone(),
        state: 99,
        ..Default::default()
    };
    assert_eq!(
        refused(
            client
                .list_jobs(authorized_request_for(&token, bad_state))
                .await
        ),
        tonic::Code::InvalidArgument
    );
}

/// Returns `message` as a request carrying the operator token.
fn authorized_request_for<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    request
}

/// Returns the code of a refused call.
fn refused<T: std::fmt::Debug>(result: Result<tonic::Response<T>, tonic::Status>) -> tonic::Code {
    result.expect_err("refused").code()
}
