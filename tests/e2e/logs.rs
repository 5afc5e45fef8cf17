//! The sync log, its CSV export, provisioning errors and the audit log, driven
//! through the gateway (SCIM) and read back through the CLI.

use std::time::Duration;

use roster_e2e::Roster;
use serde_json::{Value, json};

use crate::common::*;

/// `roster sync-log --tenant SLUG ARGS… --json`.
async fn sync_log(roster: &Roster, slug: &str, args: &[&str]) -> Value {
    let mut all = vec!["sync-log", "--tenant", slug];
    all.extend_from_slice(args);
    roster.cli_json(&all).await
}

/// The (change_type, attribute, old, new) rows of a sync-log answer.
fn rows(log: &Value) -> Vec<(String, String, Value, Value)> {
    log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["change_type"].as_str().expect("change_type").to_owned(),
                e["attribute"].as_str().expect("attribute").to_owned(),
                e["old_value"].clone(),
                e["new_value"].clone(),
            )
        })
        .collect()
}

fn row(change: &str, attribute: &str, old: Value, new: Value) -> (String, String, Value, Value) {
    (change.to_owned(), attribute.to_owned(), old, new)
}

#[tokio::test]
async fn the_sync_log_and_its_csv_export_match_what_the_provider_changed() {
    let f = fixture().await;
    let body = json!({
        "schemas": [USER],
        "userName": "ann@example.com",
        "name": {"givenName": "Ann", "familyName": "=HYPERLINK(\"http://x\")"},
        "password": "never-logged-Secret-1",
        "active": true,
    });
    let id = create_user(&f.scim, &body).await;
    let renamed = patch(json!([{"op": "replace", "path": "name.givenName", "value": "Anna"}]));
    assert_eq!(
        f.scim.patch(&format!("/Users/{id}"), &renamed).await.status,
        200
    );
    let off = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    assert_eq!(
        f.scim.patch(&format!("/Users/{id}"), &off).await.status,
        200
    );
    let on = patch(json!([{"op": "replace", "path": "active", "value": true}]));
    assert_eq!(f.scim.patch(&format!("/Users/{id}"), &on).await.status, 200);
    let other = create_user(&f.scim, &user_body("bob@example.com")).await;

    let log = sync_log(&f.roster, &f.slug, &["--user", &id]).await;
    let s = |t: &str| Value::String(t.to_owned());
    let got = rows(&log);
    let expected_head = [
        row(
            "created",
            "name.familyName",
            Value::Null,
            s("=HYPERLINK(\"http://x\")"),
        ),
        row("created", "name.givenName", Value::Null, s("Ann")),
        row("created", "userName", Value::Null, s("ann@example.com")),
        // The new user's organization (the top-level one) grants its default roles.
        row("role added", "roles", Value::Null, s("Desktop User")),
        row("role added", "roles", Value::Null, s("PROe User")),
        row("role added", "roles", Value::Null, s("Agent User")),
        row("updated", "name.givenName", s("Ann"), s("Anna")),
        row("blocked", "state", s("active"), s("blocked")),
    ];
    assert_eq!(got[..8], expected_head[..], "{log}");
    assert_eq!(got[8].0, "deactivation scheduled", "{log}");
    assert!(got[8].3.is_string(), "the due time is logged: {log}");
    let tail: Vec<&str> = got[9..].iter().map(|r| r.0.as_str()).collect();
    assert_eq!(tail, ["deactivation cancelled", "reactivated"], "{log}");
    assert_eq!(log["total"], 11);
    let text = log.to_string();
    assert!(
        !text.contains("never-logged-Secret-1"),
        "a password reached the log: {text}"
    );
    assert!(!text.contains("\"password\""), "{text}");
    for entry in log["entries"].as_array().expect("entries") {
        assert_eq!(entry["provider_id"], f.cred.id.as_str());
        assert_eq!(entry["user_id"], id.as_str());
        assert_eq!(
            entry["provider"],
            f.cred.username.clone().expect("basic username").as_str()
        );
        let at = entry["at"].as_str().expect("at");
        assert!(at.ends_with('Z'), "UTC RFC 3339: {at}");
    }

    // Filters: by change type, by userName, by a range that excludes everything.
    let updates = sync_log(&f.roster, &f.slug, &["--change-type", "updated"]).await;
    assert_eq!(
        rows(&updates),
        vec![row("updated", "name.givenName", s("Ann"), s("Anna"))]
    );
    let bob = sync_log(&f.roster, &f.slug, &["--user", "bob@example.com"]).await;
    assert!(
        rows(&bob)
            .iter()
            .all(|r| r.0 == "created" || r.0 == "role added"),
        "{bob}"
    );
    assert_eq!(bob["entries"][0]["user_id"], other.as_str());
    let tomorrow = (time::OffsetDateTime::now_utc() + time::Duration::days(1)).date();
    let future = sync_log(&f.roster, &f.slug, &["--from", &tomorrow.to_string()]).await;
    assert_eq!(future["total"], 0, "{future}");

    // Pages of 3 in userName order, newest first, followed by token, equal the whole listing.
    let whole = sync_log(
        &f.roster,
        &f.slug,
        &["--sort", "user-name", "--desc", "--limit", "1000"],
    )
    .await;
    let total = whole["total"].as_u64().expect("total");
    let mut paged = Vec::new();
    let mut token = String::new();
    loop {
        let mut args = vec!["--sort", "user-name", "--desc", "--limit", "3"];
        if !token.is_empty() {
            args.extend(["--page-token", token.as_str()]);
        }
        let page = sync_log(&f.roster, &f.slug, &args).await;
        paged.extend(
            page["entries"]
                .as_array()
                .expect("entries")
                .iter()
                .map(|e| e["id"].clone()),
        );
        token = page["next_page_token"].as_str().expect("token").to_owned();
        if token.is_empty() {
            break;
        }
    }
    let ids: Vec<Value> = whole["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(paged, ids);
    assert_eq!(ids.len() as u64, total);
    let names: Vec<&str> = whole["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["user_name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names.first(),
        Some(&"bob@example.com"),
        "descending userName order"
    );

    // The CSV export: a header row, one CRLF row per entry in the same order, formulas neutralised.
    let out = f.roster.data_dir().join("sync-log.csv");
    let out_arg = out.display().to_string();
    let summary = f
        .roster
        .cli_json(&["sync-log", "--tenant", &f.slug, "--csv", "--out", &out_arg])
        .await;
    let csv_text = std::fs::read_to_string(&out).expect("read the export");
    assert_eq!(summary["bytes"], csv_text.len());
    assert!(csv_text.starts_with(
        "time,provider_id,provider,user_id,user_name,change_type,attribute,old_value,new_value,entry_id\r\n"
    ));
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let records: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .expect("valid CSV");
    let listed = sync_log(&f.roster, &f.slug, &["--limit", "1000"]).await;
    let listed = listed["entries"].as_array().expect("entries");
    assert_eq!(records.len(), listed.len());
    for (record, entry) in records.iter().zip(listed) {
        assert_eq!(&record[9], entry["id"].as_str().expect("id"));
        assert_eq!(
            &record[5],
            entry["change_type"].as_str().expect("change_type")
        );
        // The CSV keeps sub-second precision; the CLI's JSON shows whole seconds.
        let at = entry["at"].as_str().expect("at");
        assert_eq!(record[0][..19], at[..19], "{at}");
        assert!(record[0].ends_with('Z'));
    }
    let family = records
        .iter()
        .find(|r| &r[6] == "name.familyName")
        .expect("familyName row");
    assert_eq!(
        &family[8], "'=HYPERLINK(\"http://x\")",
        "a formula cell is neutralised"
    );
    assert!(!csv_text.contains("never-logged-Secret-1"));

    // To stdout, filtered: only the header and the one update.
    let out = f
        .roster
        .cli(&[
            "sync-log",
            "--tenant",
            &f.slug,
            "--csv",
            "--change-type",
            "updated",
        ])
        .await;
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout.matches("\r\n").count(), 2, "{}", out.stdout);
    assert!(
        out.stdout.contains(",updated,name.givenName,Ann,Anna,"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn bad_log_queries_are_refused_with_a_reason() {
    let f = fixture().await;
    for (args, reason) in [
        (vec!["--from", "yesterday"], "RFC 3339"),
        (
            vec!["--from", "2026-12-02", "--to", "2026-12-01"],
            "range is empty",
        ),
        (vec!["--page-token", "not-a-token"], "page_token"),
        (vec!["--limit", "5000"], "page_size"),
        (vec!["--user", "nobody@example.com"], "not found"),
    ] {
        let mut all = vec!["sync-log", "--tenant", f.slug.as_str()];
        all.extend(args.iter().copied());
        let out = f.roster.cli(&all).await;
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(out.stderr.contains(reason), "{args:?}: {}", out.stderr);
    }
    let out = f
        .roster
        .cli(&["sync-log", "--tenant", "no-such-tenant"])
        .await;
    assert!(!out.status.success());
    assert!(out.stderr.contains("not found"), "{}", out.stderr);
}

/// Polls `roster provisioning-errors` until `n` errors are listed (they are recorded after the answer).
async fn errors_when(roster: &Roster, slug: &str, n: usize) -> Value {
    for _ in 0..100 {
        let listed = roster
            .cli_json(&["provisioning-errors", "--tenant", slug])
            .await;
        if listed["errors"].as_array().expect("errors").len() >= n {
            return listed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{n} provisioning errors were not recorded in time");
}

#[tokio::test]
async fn refused_requests_are_recorded_per_provider_with_the_last_success() {
    let f = fixture().await;
    let id = create_user(
        &f.scim,
        &json!({"schemas": [USER], "userName": "ann@example.com", "externalId": "ext-ann"}),
    )
    .await;
    let dup = f.scim.post("/Users", &user_body("ann@example.com")).await;
    assert_eq!(dup.status, 409);
    let bad = f
        .scim
        .post(
            "/Users",
            &json!({"schemas": [USER], "userName": "x@example.com", "active": "sometimes"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    let bad_path = patch(json!([{"op": "replace", "path": "no.such[attribute", "value": 1}]));
    assert_eq!(
        f.scim
            .patch(&format!("/Users/{id}"), &bad_path)
            .await
            .status,
        400
    );
    // Not recorded: a GET of an id that does not exist (IdPs probe like this).
    assert_eq!(
        f.scim
            .get("/Users/00000000-0000-0000-0000-000000000000")
            .await
            .status,
        404
    );
    // A second provider's refusal is its own.
    let other = f.roster.create_provider(&f.slug, "second", "bearer").await;
    let second = f.roster.scim(&other);
    assert_eq!(
        second
            .post("/Users", &user_body("ann@example.com"))
            .await
            .status,
        409
    );

    let listed = errors_when(&f.roster, &f.slug, 4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let listed_again = f
        .roster
        .cli_json(&["provisioning-errors", "--tenant", &f.slug])
        .await;
    assert_eq!(
        listed_again["errors"], listed["errors"],
        "nothing more arrives: the GET 404 is not recorded"
    );
    let errors = listed["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 4, "{listed}");
    let mine: Vec<&Value> = errors
        .iter()
        .filter(|e| e["provider_id"] == f.cred.id.as_str())
        .collect();
    assert_eq!(mine.len(), 3);
    let by_op = |op: &str, status: i64| {
        mine.iter()
            .find(|e| e["operation"] == op && e["status"] == status)
            .unwrap_or_else(|| panic!("no {op} {status} in {listed}"))
    };
    let conflict = by_op("POST /Users", 409);
    assert_eq!(conflict["scim_type"], "uniqueness");
    assert_eq!(conflict["user_name"], "ann@example.com");
    assert!(
        conflict["detail"]
            .as_str()
            .expect("detail")
            .contains("userName"),
        "{conflict}"
    );
    assert_eq!(by_op("POST /Users", 400)["user_name"], "x@example.com");
    let patched = by_op("PATCH /Users/{id}", 400);
    assert_eq!(patched["scim_type"], "invalidPath");
    assert_eq!(
        patched["user_name"], "ann@example.com",
        "filled in from the user it named"
    );
    assert_eq!(patched["external_id"], "ext-ann");

    let providers = listed["providers"].as_array().expect("providers");
    let first = providers
        .iter()
        .find(|p| p["provider_id"] == f.cred.id.as_str())
        .expect("first provider");
    assert_eq!(first["errors"], 3);
    assert!(
        first["last_success_at"].is_string(),
        "the user create succeeded: {first}"
    );
    let filtered = f
        .roster
        .cli_json(&[
            "provisioning-errors",
            "--tenant",
            &f.slug,
            "--provider",
            &other.id,
        ])
        .await;
    assert_eq!(filtered["errors"].as_array().expect("errors").len(), 1);
    assert_eq!(
        filtered["providers"][0]["last_success_at"],
        Value::Null,
        "the second never succeeded"
    );
    assert_eq!(filtered["providers"][0]["errors"], 1);
}

#[tokio::test]
async fn the_audit_log_names_who_changed_providers_and_users() {
    let f = fixture().await;
    let id = create_user(&f.scim, &user_body("ann@example.com")).await;
    for action in ["regenerate", "disable", "enable"] {
        f.roster
            .cli_json(&[
                "provider",
                action,
                "--tenant",
                &f.slug,
                "--provider",
                &f.cred.id,
            ])
            .await;
    }
    f.roster
        .cli_json(&["users", "block", "--tenant", &f.slug, &id])
        .await;

    let log = f
        .roster
        .cli_json(&["audit-log", "--tenant", &f.slug, "--oldest-first"])
        .await;
    let events: Vec<(String, String)> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["event"].as_str().expect("event").to_owned(),
                e["actor"].as_str().expect("actor").to_owned(),
            )
        })
        .collect();
    let username = f.cred.username.clone().expect("basic username");
    let at = |event: &str| {
        events
            .iter()
            .position(|(e, _)| e == event)
            .unwrap_or_else(|| panic!("no {event}: {events:?}"))
    };
    assert_eq!(events[at("provider created")].1, "operator");
    assert_eq!(events[at("user added")].1, username);
    assert!(at("provider created") < at("user added"));
    assert!(at("user added") < at("provider credentials regenerated"));
    assert!(at("provider credentials regenerated") < at("provider disabled"));
    assert!(at("provider disabled") < at("provider enabled"));
    assert_eq!(events[at("user blocked")].1, "operator");

    let regenerated = f
        .roster
        .cli_json(&[
            "audit-log",
            "--tenant",
            &f.slug,
            "--event",
            "provider credentials regenerated",
        ])
        .await;
    let entries = regenerated["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["target_id"], f.cred.id.as_str());
    assert_eq!(entries[0]["target_kind"], "provider");
    assert_eq!(entries[0]["details"]["username"], username.as_str());
    let about_user = f
        .roster
        .cli_json(&["audit-log", "--tenant", &f.slug, "--target", &id])
        .await;
    assert!(
        about_user["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|e| e["target_id"] == id.as_str())
    );
    assert!(about_user["entries"].as_array().expect("entries").len() >= 2);
}
