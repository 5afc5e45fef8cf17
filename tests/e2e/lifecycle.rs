//! Safe deprovisioning through the gateway and the CLI: block, delay, revive,
//! admin override, legal hold and local users.

use roster_e2e::{Roster, scim_error};
use serde_json::{Value, json};

use crate::common::*;

/// `roster users show --json`.
async fn shown(roster: &Roster, slug: &str, user: &str) -> Value {
    roster
        .cli_json(&["users", "show", "--tenant", slug, user])
        .await
}

/// Runs `roster users <action> --tenant SLUG USER --json`.
async fn act(roster: &Roster, slug: &str, action: &str, user: &str) -> Value {
    roster
        .cli_json(&["users", action, "--tenant", slug, user])
        .await
}

/// Sets the fixture provider's deactivation delay through the CLI.
async fn set_delay(f: &Fixture, delay: &str) -> Value {
    f.roster
        .cli_json(&[
            "provider",
            "set-delay",
            "--tenant",
            &f.slug,
            "--provider",
            &f.cred.id,
            "--delay",
            delay,
        ])
        .await
}

async fn set_active(f: &Fixture, id: &str, active: bool) {
    let body = patch(json!([{"op": "replace", "path": "active", "value": active}]));
    let resp = f.scim.patch(&format!("/Users/{id}"), &body).await;
    assert_eq!(resp.status, 200, "PATCH active: {}", resp.text);
    assert_eq!(
        resp.body["active"], active,
        "SCIM echoes what the provider asserted"
    );
}

fn ids(list: &Value) -> Vec<String> {
    list["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn inactive_blocks_at_once_and_active_during_the_delay_cancels() {
    let f = fixture().await;
    let id = create_user(&f.scim, &user_body("blocked@example.com")).await;
    assert_eq!(shown(&f.roster, &f.slug, &id).await["state"], "active");

    set_active(&f, &id, false).await;
    let user = shown(&f.roster, &f.slug, &id).await;
    assert_eq!(user["state"], "blocked");
    assert_eq!(user["deactivation_requested_by"], "provider");
    let due = user["deactivation_due_at"]
        .as_str()
        .expect("a deactivation is scheduled");
    let changed = user["state_changed_at"].as_str().expect("state_changed_at");
    let due = time::OffsetDateTime::parse(due, &time::format_description::well_known::Rfc3339)
        .expect("due");
    let at = time::OffsetDateTime::parse(changed, &time::format_description::well_known::Rfc3339)
        .expect("changed");
    let wait = (due - at).whole_seconds();
    assert!(
        (899..=901).contains(&wait),
        "default delay is 15 minutes, got {wait}s"
    );
    let pending = f
        .roster
        .cli_json(&["users", "list", "--tenant", &f.slug, "--pending"])
        .await;
    assert_eq!(ids(&pending), vec![id.clone()]);
    let sign_in = f
        .roster
        .cli_json(&["users", "can-sign-in", "--tenant", &f.slug, &id])
        .await;
    assert_eq!(sign_in["allowed"], false);

    set_active(&f, &id, true).await;
    let user = shown(&f.roster, &f.slug, &id).await;
    assert_eq!(user["state"], "active");
    assert_eq!(user["deactivation_due_at"], Value::Null);
    let pending = f
        .roster
        .cli_json(&["users", "list", "--tenant", &f.slug, "--pending"])
        .await;
    assert!(ids(&pending).is_empty(), "{pending}");
    let sign_in = f
        .roster
        .cli_json(&[
            "users",
            "can-sign-in",
            "--tenant",
            &f.slug,
            "blocked@example.com",
        ])
        .await;
    assert_eq!(sign_in["allowed"], true);
}

#[tokio::test]
async fn zero_delay_deactivates_at_once_and_delays_are_bounded() {
    let f = fixture().await;
    assert_eq!(set_delay(&f, "30s").await["deactivation_delay_seconds"], 30);
    assert_eq!(
        set_delay(&f, "90d").await["deactivation_delay_seconds"],
        7_776_000
    );
    for bad in ["91d", "7776001s", "-5s", "15", "soon"] {
        let out = f
            .roster
            .cli(&[
                "provider",
                "set-delay",
                "--tenant",
                &f.slug,
                "--provider",
                &f.cred.id,
                "--delay",
                bad,
            ])
            .await;
        assert!(!out.status.success(), "delay {bad} was accepted");
        assert!(
            out.stderr.contains("90 days")
                || out.stderr.contains("unit")
                || out.stderr.contains("delay"),
            "{bad}: {}",
            out.stderr
        );
    }
    let settings = f
        .roster
        .cli_json(&[
            "provider",
            "settings",
            "--tenant",
            &f.slug,
            "--provider",
            &f.cred.id,
        ])
        .await;
    assert_eq!(
        settings["deactivation_delay_seconds"], 7_776_000,
        "refused delays change nothing"
    );

    assert_eq!(set_delay(&f, "0").await["deactivation_delay_seconds"], 0);
    let id = create_user(&f.scim, &user_body("now@example.com")).await;
    set_active(&f, &id, false).await;
    let user = shown(&f.roster, &f.slug, &id).await;
    assert_eq!(user["state"], "deactivated");
    assert_eq!(user["deactivation_due_at"], Value::Null);

    // The provider's active=true reactivates a deactivated user.
    set_active(&f, &id, true).await;
    assert_eq!(shown(&f.roster, &f.slug, &id).await["state"], "active");
}

#[tokio::test]
async fn an_admin_unblock_lasts_until_the_providers_next_change() {
    let f = fixture().await;
    let id = create_user(&f.scim, &user_body("override@example.com")).await;
    set_active(&f, &id, false).await;

    let user = act(&f.roster, &f.slug, "unblock", &id).await;
    assert_eq!(user["state"], "active");
    assert_eq!(user["admin_override"], true);
    assert_eq!(
        user["deactivation_due_at"],
        Value::Null,
        "the unblock cancels the deactivation"
    );
    // SCIM still echoes the provider's assertion, so the IdP sees no difference to push.
    let resp = f.scim.get(&format!("/Users/{id}")).await;
    assert_eq!(resp.body["active"], false);

    // A write that changes nothing is no change: the override stays.
    set_active(&f, &id, false).await;
    assert_eq!(shown(&f.roster, &f.slug, &id).await["state"], "active");

    // The provider's next change clears the override: it still says inactive.
    let body = patch(json!([{"op": "replace", "path": "title", "value": "Contractor"}]));
    assert_eq!(
        f.scim.patch(&format!("/Users/{id}"), &body).await.status,
        200
    );
    let user = shown(&f.roster, &f.slug, &id).await;
    assert_eq!(user["state"], "blocked");
    assert_eq!(user["admin_override"], false);
    assert!(user["deactivation_due_at"].is_string());

    // Block refuses nothing, deactivate is immediate, block of a deactivated user is refused.
    let user = act(&f.roster, &f.slug, "deactivate", &id).await;
    assert_eq!(user["state"], "deactivated");
    let out = f
        .roster
        .cli(&["users", "block", "--tenant", &f.slug, &id])
        .await;
    assert!(!out.status.success());
    assert!(out.stderr.contains("reactivate"), "{}", out.stderr);
    assert_eq!(
        act(&f.roster, &f.slug, "reactivate", &id).await["state"],
        "active"
    );
}

#[tokio::test]
async fn delete_hides_the_user_and_a_repost_within_the_delay_revives_it() {
    let f = fixture().await;
    let body = json!({"schemas": [USER], "userName": "flap@example.com", "externalId": "ext-7", "active": true,
        "name": {"givenName": "Flap"}});
    let id = create_user(&f.scim, &body).await;
    let group = create_group(
        &f.scim,
        &json!({"schemas": [GROUP], "displayName": "Staff",
        "members": [{"value": id}]}),
    )
    .await;

    assert_eq!(f.scim.delete(&format!("/Users/{id}")).await.status, 204);
    assert_eq!(
        scim_error(&f.scim.get(&format!("/Users/{id}")).await).0,
        404
    );
    assert_eq!(
        count_users(&f.scim, "userName eq \"flap@example.com\"").await,
        0
    );
    assert!(
        member_ids(&f.scim, &group).await.is_empty(),
        "a deleted user leaves its groups"
    );
    assert_eq!(
        scim_error(&f.scim.delete(&format!("/Users/{id}")).await).0,
        404
    );
    let user = shown(&f.roster, &f.slug, &id).await;
    assert_eq!(user["state"], "blocked");
    assert_eq!(user["deleted_by_provider"], true);
    let deleted = f
        .roster
        .cli_json(&["users", "list", "--tenant", &f.slug, "--deleted"])
        .await;
    assert_eq!(ids(&deleted), vec![id.clone()]);

    // Another provider cannot take the name while the record is kept.
    let other = f.roster.create_provider(&f.slug, "other", "bearer").await;
    let other = f.roster.scim(&other);
    assert_eq!(
        scim_error(&other.post("/Users", &user_body("flap@example.com")).await).0,
        409
    );

    // The same provider re-creating it (by externalId, renamed) gets the same account back.
    let again = json!({"schemas": [USER], "userName": "flap2@example.com", "externalId": "ext-7", "active": true});
    let resp = f.scim.post("/Users", &again).await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    assert_eq!(
        resp.body["id"],
        id.as_str(),
        "revived, not a second account"
    );
    assert_eq!(resp.body["userName"], "flap2@example.com");
    let user = shown(&f.roster, &f.slug, &id).await;
    assert_eq!(user["state"], "active");
    assert_eq!(user["deleted_by_provider"], false);
    assert_eq!(user["deactivation_due_at"], Value::Null);
    assert_eq!(count_users(&f.scim, "externalId eq \"ext-7\"").await, 1);
}

#[tokio::test]
async fn legal_hold_keeps_a_due_deactivation_waiting_until_release() {
    let f = fixture().await;
    let waiting = create_user(&f.scim, &user_body("held-a@example.com")).await;
    let untouched = create_user(&f.scim, &user_body("held-b@example.com")).await;
    let provider_held = create_user(&f.scim, &user_body("held-c@example.com")).await;
    for id in [&waiting, &untouched, &provider_held] {
        assert_eq!(
            act(&f.roster, &f.slug, "hold", id).await["legal_hold"],
            true
        );
    }
    let on_hold = f
        .roster
        .cli_json(&["users", "list", "--tenant", &f.slug, "--on-hold"])
        .await;
    assert_eq!(on_hold["total"], 3);

    // An admin's deactivation of a held user blocks it; the deactivation waits.
    let user = act(&f.roster, &f.slug, "deactivate", &waiting).await;
    assert_eq!(user["state"], "blocked");
    assert!(user["deactivation_due_at"].is_string());
    // A provider's deactivation that comes due (delay 0) waits too.
    set_delay(&f, "0").await;
    set_active(&f, &provider_held, false).await;
    let user = shown(&f.roster, &f.slug, &provider_held).await;
    assert_eq!(user["state"], "blocked");
    assert_eq!(user["deactivation_requested_by"], "provider");

    // A held user cannot be deleted for good.
    let out = f
        .roster
        .cli(&["users", "delete", "--tenant", &f.slug, &waiting])
        .await;
    assert!(!out.status.success());
    assert!(out.stderr.contains("legal hold"), "{}", out.stderr);

    // Release deactivates exactly the users whose deactivation was waiting.
    assert_eq!(
        act(&f.roster, &f.slug, "release", &waiting).await["state"],
        "deactivated"
    );
    assert_eq!(
        act(&f.roster, &f.slug, "release", &provider_held).await["state"],
        "deactivated"
    );
    let user = act(&f.roster, &f.slug, "release", &untouched).await;
    assert_eq!(user["state"], "active");
    assert_eq!(user["legal_hold"], false);

    // Without the hold, deletion is allowed.
    f.roster
        .cli_json(&["users", "delete", "--tenant", &f.slug, &waiting])
        .await;
    let out = f
        .roster
        .cli(&["users", "show", "--tenant", &f.slug, &waiting])
        .await;
    assert!(!out.status.success());
}

#[tokio::test]
async fn local_users_cannot_be_touched_through_scim() {
    let f = fixture().await;
    let local = f
        .roster
        .cli_json(&[
            "users",
            "create-local",
            "--tenant",
            &f.slug,
            "--user-name",
            "admin@example.com",
            "--display-name",
            "Break Glass",
        ])
        .await;
    assert_eq!(local["local"], true);
    let id = local["id"].as_str().expect("id").to_owned();

    let (status, scim_type, detail) =
        scim_error(&f.scim.post("/Users", &user_body("Admin@Example.com")).await);
    assert_eq!((status, scim_type.as_deref()), (409, Some("uniqueness")));
    assert!(detail.contains("local user"), "{detail}");
    let body = patch(json!([{"op": "replace", "path": "displayName", "value": "Hijacked"}]));
    let (status, _, detail) = scim_error(&f.scim.patch(&format!("/Users/{id}"), &body).await);
    assert_eq!(status, 403);
    assert!(detail.contains("local user"), "{detail}");
    let put = json!({"schemas": [USER], "userName": "admin@example.com", "active": false});
    assert_eq!(
        scim_error(&f.scim.put(&format!("/Users/{id}"), &put).await).0,
        403
    );
    assert_eq!(
        scim_error(&f.scim.delete(&format!("/Users/{id}")).await).0,
        403
    );
    assert_eq!(
        scim_error(&f.scim.get(&format!("/Users/{id}")).await).0,
        404
    );

    let after = shown(&f.roster, &f.slug, &id).await;
    assert_eq!(after["state"], "active");
    assert_eq!(
        after["lifecycle_version"], local["lifecycle_version"],
        "nothing changed"
    );
    assert_eq!(after["user_name"], "admin@example.com");

    // Admins manage it.
    let updated = f
        .roster
        .cli_json(&[
            "users",
            "update-local",
            "--tenant",
            &f.slug,
            &id,
            "--user-name",
            "root@example.com",
        ])
        .await;
    assert_eq!(updated["user_name"], "root@example.com");
    let locals = f
        .roster
        .cli_json(&["users", "list", "--tenant", &f.slug, "--local"])
        .await;
    assert_eq!(ids(&locals), vec![id]);
}
