//! The directory sync digest end to end, through the real `roster` process: the daily
//! `send_digest` job e-mails the window's sync activity and errors to exactly the tenant's
//! active Customer Cloud Admins over SMTP (a test server that records what arrives), as the
//! tenant's frequency says — daily, only on days with errors, never — or records why it sent
//! nothing; retries resend the same Message-ID; `roster digest show|set` with `--json`.
//!
//! Time moves with `ShiftClock` (the tenant's database clock); the seeded first run is due a day
//! after the tenant was created, and each run schedules the next a day later.

mod support;

use std::time::Duration;

use roster_e2e::SmtpServer;

use self::support::*;
use crate::common::*;
use crate::jobs::support::{Fault, Hooks, TenantDb, jobs_options};

/// How long a test waits for mail.
const MAIL_WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_daily_digest_reports_the_window_to_exactly_the_customer_cloud_admins() {
    let smtp = SmtpServer::start().await.expect("smtp server");
    let f = fixture_with(digest_options(&smtp), "basic").await;
    let db = TenantDb::open(&f).await;
    let provider = f.cred.username.clone().expect("basic username");

    // Admins: a primary e-mail wins over the first; a userName that is an address serves.
    let ada = create_admin(
        &f,
        "ada",
        &["ada.work@example.com", "ada@example.com"],
        true,
    )
    .await;
    create_admin(&f, "bob@example.com", &[], false).await;
    // Not recipients: a blocked admin, an admin without any address, a user without the role.
    let blocked = create_admin(&f, "carol@example.com", &["carol@example.com"], true).await;
    crate::jobs::support::set_active(&f, &blocked, false).await;
    create_admin(&f, "no-address", &[], false).await;
    create_user(&f.scim, &user_body("dave@example.com")).await;

    cause_provisioning_error(&f, "dave@example.com").await;
    insert_sync_error(&db, &f.cred.id, &ada, "ada").await;

    Hooks::of(&f.roster)
        .await
        .shift_clock(&f.slug, DAY + 60)
        .await;
    let mail = smtp.wait_for(1, MAIL_WAIT).await;
    let run = wait_for_digest_runs(&f, 1).await;
    assert_eq!(mail.len(), 1, "{mail:#?}");
    let mail = &mail[0];

    let mut to = mail.rcpt_to.clone();
    to.sort();
    assert_eq!(to, ["ada@example.com", "bob@example.com"]);
    assert_eq!(mail.mail_from, "digest@roster.test");
    let settings = digest_settings(&f).await;
    let message_id = expected_message_id(&f, &settings["covered_until"]).await;
    assert_eq!(
        mail.header("Message-ID").as_deref(),
        Some(message_id.as_str())
    );
    let subject = mail.header("Subject").expect("subject");
    assert!(subject.contains(&f.slug), "{subject}");
    assert!(subject.ends_with("(errors)"), "{subject}");

    let body = mail.body();
    let sync_entries = db
        .count(
            &format!("SELECT count(*) FROM {}", db.table("sync_log")),
            &[],
        )
        .await;
    for expected in [
        format!("Directory sync digest for tenant {}", f.slug),
        format!("Sync activity: {sync_entries} changes"),
        "    created: ".to_owned(),
        "    sync error: 1".to_owned(),
        format!("    {provider}: "),
        "Provisioning errors: 1".to_owned(),
        format!("  {provider}: 1 errors; most recent:"),
        "POST /Users 409 uniqueness user dave@example.com".to_owned(),
        "Sync errors: 1".to_owned(),
        format!("{provider} user ada organization: no rule matched the user"),
        "sent every day".to_owned(),
    ] {
        assert!(
            body.contains(&expected),
            "{expected:?} missing from:\n{body}"
        );
    }
    assert!(!body.contains(&f.cred.secret), "no secret in the body");

    assert_eq!(
        run["outcome"],
        format!("digest sent to 2 recipients, message {message_id}").as_str()
    );
    assert_eq!(audit_events(&db, "digest sent").await, 1);
    let next = digest_jobs(&f, "pending").await;
    assert_eq!(next["total"], 1, "each run schedules the next: {next}");

    // The next day covers only what happened since: a quiet day, still sent (daily).
    Hooks::of(&f.roster)
        .await
        .shift_clock(&f.slug, DAY + 60)
        .await;
    let mail = smtp.wait_for(2, MAIL_WAIT).await;
    let quiet = mail[1].body();
    assert!(quiet.contains("Sync activity: 0 changes\n"), "{quiet}");
    assert!(quiet.contains("Provisioning errors: 0\n"), "{quiet}");
    assert_ne!(
        mail[1].header("Message-ID"),
        mail[0].header("Message-ID"),
        "another day"
    );
}

#[tokio::test]
async fn errors_only_skips_a_quiet_day_and_sends_a_day_with_errors() {
    let smtp = SmtpServer::start().await.expect("smtp server");
    let f = fixture_with(digest_options(&smtp), "basic").await;
    let db = TenantDb::open(&f).await;
    create_admin(&f, "ada@example.com", &[], false).await;
    let set = f
        .roster
        .cli_json(&[
            "digest",
            "set",
            "--tenant",
            &f.slug,
            "--frequency",
            "errors",
        ])
        .await;
    assert_eq!(set["frequency"], "errors", "{set}");

    let hooks = Hooks::of(&f.roster).await;
    hooks.shift_clock(&f.slug, DAY + 60).await;
    let run = wait_for_digest_runs(&f, 1).await;
    assert_eq!(
        run["outcome"],
        "digest not sent: no provisioning or sync errors in the window"
    );
    assert!(smtp.messages().is_empty());
    assert_eq!(audit_events(&db, "digest skipped").await, 1);

    cause_provisioning_error(&f, "ada@example.com").await;
    hooks.shift_clock(&f.slug, DAY + 60).await;
    let mail = smtp.wait_for(1, MAIL_WAIT).await;
    assert_eq!(mail[0].rcpt_to, ["ada@example.com"]);
    let body = mail[0].body();
    assert!(body.contains("Provisioning errors: 1\n"), "{body}");
    assert!(
        body.contains("sent on days with provisioning or sync errors"),
        "{body}"
    );
    let run = wait_for_digest_runs(&f, 2).await;
    assert!(
        run["outcome"]
            .as_str()
            .expect("outcome")
            .starts_with("digest sent to 1 recipients")
    );
}

#[tokio::test]
async fn never_sends_nothing_and_keeps_the_schedule() {
    let smtp = SmtpServer::start().await.expect("smtp server");
    let f = fixture_with(digest_options(&smtp), "basic").await;
    create_admin(&f, "ada@example.com", &[], false).await;
    cause_provisioning_error(&f, "ada@example.com").await;
    f.roster
        .cli_json(&["digest", "set", "--tenant", &f.slug, "--frequency", "never"])
        .await;
    Hooks::of(&f.roster)
        .await
        .shift_clock(&f.slug, DAY + 60)
        .await;
    let run = wait_for_digest_runs(&f, 1).await;
    assert_eq!(
        run["outcome"],
        "digest not sent: the tenant's digest frequency is never"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(smtp.messages().is_empty() && smtp.refused().is_empty());
    assert_eq!(digest_jobs(&f, "pending").await["total"], 1);
}

#[tokio::test]
async fn without_a_relay_the_run_records_why_and_keeps_the_schedule() {
    let f = fixture_with(jobs_options(), "basic").await;
    let db = TenantDb::open(&f).await;
    create_admin(&f, "ada@example.com", &[], false).await;
    Hooks::of(&f.roster)
        .await
        .shift_clock(&f.slug, DAY + 60)
        .await;
    let run = wait_for_digest_runs(&f, 1).await;
    assert_eq!(
        run["outcome"],
        "digest not sent: no mail relay is configured (smtp.host)"
    );
    assert_eq!(run["attempts"], 1, "{run}");
    assert_eq!(digest_jobs(&f, "pending").await["total"], 1);
    assert_eq!(audit_events(&db, "digest skipped").await, 1);
    // Still serving.
    assert!(f.roster.cli(&["tenant", "list"]).await.status.success());
    let log = std::fs::read_to_string(f.roster.log_path()).expect("roster.log");
    assert_eq!(
        log.lines()
            .filter(|l| l.contains("digest not sent"))
            .count(),
        1,
        "one log line says why"
    );
}

#[tokio::test]
async fn a_refused_send_is_retried_with_the_same_message_id() {
    let smtp = SmtpServer::start().await.expect("smtp server");
    let f = fixture_with(digest_options(&smtp), "basic").await;
    let db = TenantDb::open(&f).await;
    create_admin(&f, "ada@example.com", &[], false).await;
    smtp.refuse_next(1);
    let hooks = Hooks::of(&f.roster).await;
    hooks.shift_clock(&f.slug, DAY + 60).await;

    // The relay's 451 fails the attempt: nothing committed, retried after the job backoff.
    let deadline = tokio::time::Instant::now() + MAIL_WAIT;
    let failed = loop {
        let pending = digest_jobs(&f, "pending").await;
        let job = pending["jobs"][0].clone();
        if job["attempts"] == 1 {
            break job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no failed attempt: {pending}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    let error = failed["last_error"].as_str().expect("last_error");
    assert!(error.contains("451"), "{failed}");
    assert_eq!(audit_events(&db, "digest sent").await, 0, "rolled back");

    hooks.shift_clock(&f.slug, 15).await;
    let mail = smtp.wait_for(1, MAIL_WAIT).await;
    let run = wait_for_digest_runs(&f, 1).await;
    assert_eq!(run["attempts"], 2, "{run}");
    let refused = smtp.refused();
    assert_eq!(refused.len(), 1);
    assert_eq!(mail.len(), 1);
    assert!(mail[0].header("Message-ID").is_some());
    assert_eq!(
        refused[0].header("Message-ID"),
        mail[0].header("Message-ID")
    );
    assert_eq!(audit_events(&db, "digest sent").await, 1);
}

#[tokio::test]
async fn a_crash_before_the_commit_resends_the_same_message_id() {
    let smtp = SmtpServer::start().await.expect("smtp server");
    let mut f = fixture_with(digest_options(&smtp), "basic").await;
    create_admin(&f, "ada@example.com", &[], false).await;
    // The daily purge comes due with the digest; cancelled, so that the fault hits the digest.
    let purge = f
        .roster
        .cli_json(&[
            "jobs",
            "list",
            "--tenant",
            &f.slug,
            "--kind",
            "purge_logs",
            "--state",
            "pending",
        ])
        .await;
    let purge = purge["jobs"][0]["id"].as_str().expect("the seeded purge");
    f.roster
        .cli_json(&["jobs", "cancel", "--tenant", &f.slug, purge])
        .await;
    let hooks = Hooks::of(&f.roster).await;
    hooks.set_fault(&f.slug, Fault::AbortBeforeCommit, 1).await;
    hooks.shift_clock(&f.slug, DAY + 60).await;

    // The relay accepted the digest, then the worker died before committing the run.
    let first = smtp.wait_for(1, MAIL_WAIT).await;
    crate::jobs::support::wait_until_aborted(&mut f.roster).await;
    f.roster.restart().await.expect("restart");

    let mail = smtp.wait_for(2, MAIL_WAIT).await;
    let run = wait_for_digest_runs(&f, 1).await;
    assert_eq!(run["attempts"], 2, "the dead attempt counted: {run}");
    assert_eq!(mail.len(), 2, "{mail:#?}");
    assert_eq!(first[0].header("Message-ID"), mail[1].header("Message-ID"));
    assert_eq!(mail[0].rcpt_to, mail[1].rcpt_to);
    let db = TenantDb::open(&f).await;
    assert_eq!(
        audit_events(&db, "digest sent").await,
        1,
        "one committed run"
    );
}

#[tokio::test]
async fn the_cli_shows_and_sets_the_frequency_and_refuses_a_bad_one() {
    let f = fixture_with(jobs_options(), "basic").await;
    let db = TenantDb::open(&f).await;
    let shown = digest_settings(&f).await;
    assert_eq!(shown["tenant"], f.slug.as_str());
    assert_eq!(shown["frequency"], "daily", "the default: {shown}");
    assert!(shown["covered_until"].is_string(), "{shown}");
    assert!(shown["next_run_at"].is_string(), "the seeded run: {shown}");

    let set = f
        .roster
        .cli_json(&["digest", "set", "--tenant", &f.slug, "--frequency", "never"])
        .await;
    assert_eq!(set["frequency"], "never");
    assert_eq!(digest_settings(&f).await["frequency"], "never");
    f.roster
        .cli_json(&["digest", "set", "--tenant", &f.slug, "--frequency", "never"])
        .await;
    assert_eq!(
        audit_events(&db, "digest settings changed").await,
        1,
        "only a change is audited"
    );

    let bad = f
        .roster
        .cli(&[
            "digest",
            "set",
            "--tenant",
            &f.slug,
            "--frequency",
            "weekly",
            "--json",
        ])
        .await;
    assert!(!bad.status.success());
    assert!(bad.stderr.contains("weekly"), "{}", bad.stderr);
    assert!(bad.stdout.is_empty(), "{}", bad.stdout);
    assert_eq!(digest_settings(&f).await["frequency"], "never", "unchanged");

    let unknown = f
        .roster
        .cli(&["digest", "show", "--tenant", "no-such-tenant", "--json"])
        .await;
    assert!(!unknown.status.success());
    assert!(unknown.stderr.contains("not found"), "{}", unknown.stderr);

    let status = grpc_set_frequency(&f, 0).await.expect_err("UNSPECIFIED");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().starts_with("frequency: "), "{status:?}");
    let status = grpc_set_frequency(&f, 9).await.expect_err("unknown value");
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert_eq!(audit_events(&db, "digest settings changed").await, 1);
}

/// Calls `DigestService.SetDigestFrequency` with a raw enum value, as the operator.
async fn grpc_set_frequency(f: &Fixture, frequency: i32) -> Result<(), tonic::Status> {
    use roster_proto::jobs::v1 as pb;
    let channel = tonic::transport::Endpoint::from_shared(f.roster.admin_url().to_owned())
        .expect("admin url")
        .connect()
        .await
        .expect("connect");
    let token = std::fs::read_to_string(f.roster.data_dir().join("operator.token")).expect("token");
    let mut request = tonic::Request::new(pb::SetDigestFrequencyRequest {
        tenant: f.slug.clone(),
        frequency,
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token.trim()).parse().expect("header"),
    );
    pb::digest_service_client::DigestServiceClient::new(channel)
        .set_digest_frequency(request)
        .await
        .map(|_| ())
}
