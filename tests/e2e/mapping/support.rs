//! Helpers of the mapping tests: the `roster mapping`, `roster org` and `roster apply`
//! commands of the fixture's tenant and provider, and what `explain` says of a user.

use roster_e2e::Roster;
use serde_json::{Value, json};

use crate::common::*;

/// Runs `roster mapping <sub> <args> --tenant T --provider P --json` and returns the mapping.
pub async fn mapping(f: &Fixture, sub: &[&str], args: &[&str]) -> Value {
    let mut all: Vec<&str> = vec!["mapping"];
    all.extend_from_slice(sub);
    all.extend_from_slice(&["--tenant", &f.slug, "--provider", &f.cred.id]);
    all.extend_from_slice(args);
    f.roster.cli_json(&all).await
}

/// Runs a `roster mapping` command expected to fail; returns its stderr.
pub async fn mapping_refused(f: &Fixture, sub: &[&str], args: &[&str]) -> String {
    let mut all: Vec<&str> = vec!["mapping"];
    all.extend_from_slice(sub);
    all.extend_from_slice(&["--tenant", &f.slug, "--provider", &f.cred.id]);
    all.extend_from_slice(args);
    all.push("--json");
    let out = f.roster.cli(&all).await;
    assert!(
        !out.status.success(),
        "`roster {}` should fail",
        all.join(" ")
    );
    out.stderr
}

/// Creates an organization (under `parent`, else the top-level one) and returns its id.
pub async fn create_org(roster: &Roster, slug: &str, name: &str, parent: Option<&str>) -> String {
    let mut args = vec!["org", "create", "--tenant", slug, name];
    if let Some(parent) = parent {
        args.extend_from_slice(&["--parent", parent]);
    }
    let org = roster.cli_json(&args).await;
    org["id"].as_str().expect("organization id").to_owned()
}

/// `roster mapping explain --json` for a user.
pub async fn explain(f: &Fixture, user: &str) -> Value {
    f.roster
        .cli_json(&["mapping", "explain", "--tenant", &f.slug, user])
        .await
}

/// The name of the user's organization.
pub async fn org_of(f: &Fixture, user: &str) -> String {
    explain(f, user).await["organization"]["name"]
        .as_str()
        .expect("organization name")
        .to_owned()
}

/// The names of the roles the user holds, sorted.
pub async fn roles_of(f: &Fixture, user: &str) -> Vec<String> {
    held_roles(&explain(f, user).await)
}

/// The names of the roles an explanation says the user holds, sorted.
pub fn held_roles(explanation: &Value) -> Vec<String> {
    let mut roles: Vec<String> = explanation["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .filter(|r| r["held"] == true)
        .map(|r| r["role"]["name"].as_str().expect("role name").to_owned())
        .collect();
    roles.sort();
    roles
}

/// A user body with a department (Enterprise extension), a title and a c42OrgName.
pub fn person(
    user_name: &str,
    department: Option<&str>,
    title: Option<&str>,
    c42: Option<&str>,
) -> Value {
    let mut body = json!({"schemas": [USER], "userName": user_name, "active": true});
    if let Some(title) = title {
        body["title"] = json!(title);
    }
    if let Some(department) = department {
        body["schemas"]
            .as_array_mut()
            .expect("schemas")
            .push(json!(ENTERPRISE));
        body[ENTERPRISE] = json!({"department": department});
    }
    if let Some(org) = c42 {
        body["schemas"]
            .as_array_mut()
            .expect("schemas")
            .push(json!(C42));
        body[C42] = json!({"c42OrgName": org});
    }
    body
}

/// Adds users to a group with a PATCH, asserting success.
pub async fn add_members(f: &Fixture, group: &str, users: &[&str]) {
    let members: Vec<Value> = users.iter().map(|u| json!({"value": u})).collect();
    let body = patch(json!([{"op": "add", "path": "members", "value": members}]));
    let resp = f.scim.patch(&format!("/Groups/{group}"), &body).await;
    assert!(
        resp.status == 204 || resp.status == 200,
        "add members: {}",
        resp.text
    );
}

/// Removes one user from a group with a PATCH, asserting success.
pub async fn remove_member(f: &Fixture, group: &str, user: &str) {
    let body = patch(json!([{"op": "remove", "path": format!("members[value eq \"{user}\"]")}]));
    let resp = f.scim.patch(&format!("/Groups/{group}"), &body).await;
    assert!(
        resp.status == 204 || resp.status == 200,
        "remove member: {}",
        resp.text
    );
}

/// Returns how many sync-log entries of `change_type` name the user.
pub async fn sync_entries(f: &Fixture, user_name: &str, change_type: &str) -> Vec<Value> {
    let log = f
        .roster
        .cli_json(&[
            "sync-log", "--tenant", &f.slug, "--user", user_name, "--limit", "200",
        ])
        .await;
    log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["change_type"] == change_type)
        .cloned()
        .collect()
}
