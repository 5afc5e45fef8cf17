//! Apply Org and Role Settings through the CLI: a mapping change, its dry run, a
//! run that crashes mid-way and resumes from its checkpoint (checked against the
//! preview), a second run that changes nothing, cancel; and the remap of a large
//! group by a job instead of inside the request.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::*;
use crate::jobs::support::{Fault, Hooks, jobs_options, wait_until_aborted};
use crate::mapping::support::*;

/// How long a test waits for a run.
const WAIT: Duration = Duration::from_secs(60);

async fn start(f: &Fixture, dry_run: bool) -> String {
    let mut args = vec![
        "apply",
        "start",
        "--tenant",
        &f.slug,
        "--provider",
        &f.cred.id,
    ];
    if dry_run {
        args.push("--dry-run");
    }
    let run = f.roster.cli_json(&args).await;
    assert_eq!(run["dry_run"], dry_run);
    run["run"].as_str().expect("run id").to_owned()
}

async fn show(f: &Fixture, run: &str) -> Value {
    f.roster
        .cli_json(&["apply", "show", "--tenant", &f.slug, run, "--limit", "1000"])
        .await
}

async fn wait_finished(f: &Fixture, run: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let shown = show(f, run).await;
        if shown["state"] != "pending" && shown["state"] != "running" {
            return shown;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "run did not finish: {shown}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What a run says it changed, per user: (userName, destination, roles added, removed).
fn changes(run: &Value) -> BTreeSet<(String, String, String, String)> {
    run["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|c| {
            (
                c["user"]["name"].as_str().expect("user").to_owned(),
                c["to_organization"]["name"]
                    .as_str()
                    .unwrap_or("-")
                    .to_owned(),
                c["roles_added"].to_string(),
                c["roles_removed"].to_string(),
            )
        })
        .collect()
}

/// Builds the same tenant in any Roster: two organizations, two groups, 23 users of whom
/// every third is blue, every third plus one green, and u00 both; then the mapping change
/// (groups to organizations, groups to roles). Returns the users' ids.
async fn prepare(f: &Fixture) -> Vec<String> {
    create_org(&f.roster, &f.slug, "Blue", None).await;
    create_org(&f.roster, &f.slug, "Green", None).await;
    let blue = create_group(
        &f.scim,
        &json!({"schemas": [GROUP], "displayName": "Blue team"}),
    )
    .await;
    let green = create_group(
        &f.scim,
        &json!({"schemas": [GROUP], "displayName": "Green team"}),
    )
    .await;
    let mut users = Vec::new();
    for i in 0..23 {
        users.push(create_user(&f.scim, &user_body(&format!("u{i:02}@example.com"))).await);
    }
    let in_blue: Vec<&str> = users.iter().step_by(3).map(String::as_str).collect();
    let in_green: Vec<&str> = users
        .iter()
        .skip(1)
        .step_by(3)
        .map(String::as_str)
        .collect();
    add_members(f, &blue, &in_blue).await;
    add_members(f, &green, &in_green).await;
    add_members(f, &green, &[users[0].as_str()]).await;
    assert_eq!(
        org_of(f, &users[0]).await,
        "Top-level organization",
        "not mapped yet"
    );

    mapping(f, &["org-method", "groups"], &[]).await;
    mapping(f, &["group-org", "add"], &["--org", "Blue", "Blue team"]).await;
    mapping(f, &["group-org", "add"], &["--org", "Green", "Green team"]).await;
    mapping(f, &["role-method", "groups"], &[]).await;
    mapping(f, &["group-roles"], &["Blue team", "Desktop User"]).await;
    mapping(f, &["group-roles"], &["Green team", "PROe User"]).await;
    users
}

/// Each user's organization and roles, by userName.
async fn placements(f: &Fixture, users: &[String]) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for user in users {
        let e = explain(f, user).await;
        out.push((
            e["user"]["name"].as_str().expect("userName").to_owned(),
            e["organization"]["name"]
                .as_str()
                .expect("organization")
                .to_owned(),
            held_roles(&e),
        ));
    }
    out
}

#[tokio::test]
async fn a_dry_run_previews_a_run_that_resumes_after_a_crash_and_a_second_run_changes_nothing() {
    let options = || jobs_options().env("ROSTER_JOBS__APPLY_BATCH_SIZE", "4");
    let mut f = fixture_with(options(), "basic").await;
    let users = prepare(&f).await;
    let preview_id = start(&f, true).await;
    let preview = wait_finished(&f, &preview_id).await;
    assert_eq!(preview["state"], "succeeded", "{preview}");
    assert_eq!(
        (preview["processed"].as_i64(), preview["total"].as_i64()),
        (Some(23), Some(23))
    );
    assert_eq!(
        preview["moved"], 16,
        "8 blue and 8 green members move: {preview}"
    );
    assert_eq!(preview["results_total"], 16);
    let expected = changes(&preview);
    // u00 is in both groups: Blue has the higher priority; its roles are the union of both
    // groups' (Desktop User, PROe User), so it only loses Agent User.
    let u00 = (
        "u00@example.com".to_owned(),
        "Blue".to_owned(),
        json!([]).to_string(),
        json!(["Agent User"]).to_string(),
    );
    assert!(expected.contains(&u00), "{expected:?}");
    let u03 = (
        "u03@example.com".to_owned(),
        "Blue".to_owned(),
        json!([]).to_string(),
        json!(["PROe User", "Agent User"]).to_string(),
    );
    assert!(expected.contains(&u03), "{expected:?}");
    assert_eq!(
        org_of(&f, &users[0]).await,
        "Top-level organization",
        "a dry run changes nothing"
    );

    // The run: its process dies right after its first step commits, and the restarted
    // process resumes from the checkpoint once the dead attempt's lease expires.
    Hooks::of(&f.roster)
        .await
        .set_fault(&f.slug, Fault::AbortAfterCommit, 1)
        .await;
    let run_id = start(&f, false).await;
    wait_until_aborted(&mut f.roster).await;
    f.roster.restart().await.expect("restart");
    let run = wait_finished(&f, &run_id).await;
    assert_eq!(run["state"], "succeeded", "{run}");
    assert_eq!(
        (run["processed"].as_i64(), run["moved"].as_i64()),
        (Some(23), Some(16)),
        "{run}"
    );
    assert_eq!(
        changes(&run),
        expected,
        "the resumed run did what the preview said"
    );
    for (i, user) in users.iter().enumerate() {
        let want = match i % 3 {
            0 => "Blue",
            1 => "Green",
            _ => "Top-level organization",
        };
        assert_eq!(org_of(&f, user).await, want, "user {i}");
    }
    assert_eq!(roles_of(&f, &users[1]).await, ["PROe User"]);
    assert_eq!(
        roles_of(&f, &users[2]).await,
        ["Agent User", "Desktop User", "PROe User"]
    );

    // The same tenant in another Roster, applied in one go without a crash, ends the same.
    let g = fixture_with(options(), "basic").await;
    let one_shot_users = prepare(&g).await;
    let one_shot = start(&g, false).await;
    let one_shot = wait_finished(&g, &one_shot).await;
    assert_eq!(
        changes(&one_shot),
        changes(&run),
        "the crashed run did what a one-shot run does"
    );
    assert_eq!(
        placements(&f, &users).await,
        placements(&g, &one_shot_users).await
    );
    let moves = f
        .roster
        .cli_json(&[
            "sync-log",
            "--tenant",
            &f.slug,
            "--change-type",
            "applied: organization changed",
            "--limit",
            "200",
        ])
        .await;
    assert_eq!(
        moves["total"], 16,
        "each move once in the sync log, despite the crash"
    );

    let again = start(&f, false).await;
    let again = wait_finished(&f, &again).await;
    assert_eq!(
        (
            again["moved"].as_i64(),
            again["roles_changed"].as_i64(),
            again["results_total"].as_i64()
        ),
        (Some(0), Some(0), Some(0)),
        "a second run changes nothing: {again}"
    );
    let audit = f
        .roster
        .cli_json(&["audit-log", "--tenant", &f.slug, "--limit", "200"])
        .await;
    let events: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .filter(|e| e.starts_with("org and role settings"))
        .collect();
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == "org and role settings applied")
            .count(),
        2,
        "{events:?}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == "org and role settings dry run finished")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_run_can_be_cancelled_and_only_one_runs_per_provider() {
    let options = jobs_options().env("ROSTER_JOBS__APPLY_BATCH_SIZE", "1");
    let f = fixture_with(options, "basic").await;
    for i in 0..5 {
        create_user(&f.scim, &user_body(&format!("c{i}@example.com"))).await;
    }
    // Held by an injected failure, the run stays pending (retrying) until cancelled.
    Hooks::of(&f.roster)
        .await
        .set_fault(&f.slug, Fault::Fail, 1)
        .await;
    let run = start(&f, false).await;
    let out = f
        .roster
        .cli(&[
            "apply",
            "start",
            "--tenant",
            &f.slug,
            "--provider",
            &f.cred.id,
            "--json",
        ])
        .await;
    assert!(
        !out.status.success(),
        "a second run of the provider is refused"
    );
    assert!(out.stderr.contains("pending or running"), "{}", out.stderr);
    let cancelled = f
        .roster
        .cli_json(&["apply", "cancel", "--tenant", &f.slug, &run])
        .await;
    assert_eq!(cancelled["state"], "cancelled");
    let out = f
        .roster
        .cli(&["apply", "cancel", "--tenant", &f.slug, &run, "--json"])
        .await;
    assert!(
        !out.status.success(),
        "a finished run cannot be cancelled again"
    );
    let next = start(&f, true).await;
    assert_eq!(wait_finished(&f, &next).await["state"], "succeeded");
}

#[tokio::test]
async fn emptying_a_large_mapped_group_remaps_its_members_in_a_job() {
    let f = fixture_with(jobs_options(), "basic").await;
    create_org(&f.roster, &f.slug, "Big org", None).await;
    let mut users = Vec::new();
    for i in 0..120 {
        users.push(create_user(&f.scim, &user_body(&format!("big{i:03}@example.com"))).await);
    }
    let members: Vec<Value> = users.iter().map(|u| json!({"value": u})).collect();
    let group = create_group(
        &f.scim,
        &json!({"schemas": [GROUP], "displayName": "Big", "members": members}),
    )
    .await;
    mapping(&f, &["org-method", "groups"], &[]).await;
    mapping(&f, &["group-org", "add"], &["--org", "Big org", "Big"]).await;
    let run = start(&f, false).await;
    assert_eq!(wait_finished(&f, &run).await["moved"], 120);
    assert_eq!(org_of(&f, &users[7]).await, "Big org");

    let empty = patch(json!([{"op": "replace", "path": "members", "value": []}]));
    let resp = f.scim.patch(&format!("/Groups/{group}"), &empty).await;
    assert_eq!(resp.status, 204, "{}", resp.text);
    let deadline = tokio::time::Instant::now() + WAIT;
    let job = loop {
        let jobs = f
            .roster
            .cli_json(&["jobs", "list", "--tenant", &f.slug, "--kind", "remap_users"])
            .await;
        let list = jobs["jobs"].as_array().expect("jobs").clone();
        assert_eq!(
            list.len(),
            1,
            "one remap job, not an in-request remap: {jobs}"
        );
        if list[0]["state"] == "succeeded" {
            break list[0].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "remap job did not finish: {jobs}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(job["outcome"], "remapped 120 users", "{job}");
    for user in [&users[0], &users[60], &users[119]] {
        assert_eq!(org_of(&f, user).await, "Top-level organization");
    }
}
