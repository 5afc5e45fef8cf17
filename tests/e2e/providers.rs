//! Provider credentials and tenant state through the CLI and the gateway.

use roster_e2e::{RosterOptions, scim_error, unique_slug};

use crate::common::*;

#[tokio::test]
async fn regenerate_disable_delete_and_suspend() {
    let f = fixture().await;
    let roster = &f.roster;
    let id = create_user(&f.scim, &user_body("r@example.com")).await;

    // Regenerate: the old secret is refused at once, the new one works.
    let new = roster
        .cli_json(&[
            "provider",
            "regenerate",
            "--tenant",
            &f.slug,
            "--provider",
            &f.cred.id,
        ])
        .await;
    assert_ne!(new["password"], f.cred.secret.as_str());
    assert_eq!(
        new["username"],
        f.cred.username.clone().unwrap_or_default().as_str()
    );
    assert_eq!(
        scim_error(&f.scim.get(&format!("/Users/{id}")).await).0,
        401
    );
    let fresh = roster.scim(&roster_e2e::ProviderCredential::from_json(&new).expect("credential"));
    assert_eq!(fresh.get(&format!("/Users/{id}")).await.status, 200);

    // Disable refuses; enable restores.
    roster
        .cli_json(&[
            "provider",
            "disable",
            "--tenant",
            &f.slug,
            "--provider",
            &f.cred.id,
        ])
        .await;
    assert_eq!(scim_error(&fresh.get("/Users").await).0, 401);
    roster
        .cli_json(&[
            "provider",
            "enable",
            "--tenant",
            &f.slug,
            "--provider",
            &f.cred.id,
        ])
        .await;
    assert_eq!(fresh.get("/Users").await.status, 200);

    // Suspend: 403 and nothing changes; resume restores.
    roster.cli_json(&["tenant", "suspend", &f.slug]).await;
    let resp = fresh
        .post("/Users", &user_body("blocked@example.com"))
        .await;
    assert_eq!(scim_error(&resp).0, 403);
    let resp = fresh.delete(&format!("/Users/{id}")).await;
    assert_eq!(scim_error(&resp).0, 403);
    let shown = roster.cli_json(&["tenant", "show", &f.slug]).await;
    assert_eq!(shown["state"], "suspended");
    roster.cli_json(&["tenant", "resume", &f.slug]).await;
    assert_eq!(fresh.get(&format!("/Users/{id}")).await.status, 200);
    assert_eq!(
        count_users(&fresh, "userName eq \"blocked@example.com\"").await,
        0
    );

    // Delete is refused while the provider owns users, then allowed.
    let out = roster
        .cli(&[
            "provider",
            "delete",
            "--tenant",
            &f.slug,
            "--provider",
            &f.cred.id,
        ])
        .await;
    assert!(!out.status.success(), "delete with users succeeded");
    assert!(out.stderr.contains("owns"), "{}", out.stderr);
    let shown = roster
        .cli_json(&[
            "provider",
            "show",
            "--tenant",
            &f.slug,
            "--provider",
            &f.cred.id,
        ])
        .await;
    assert_eq!(
        shown["enabled"], true,
        "a refused delete leaves the provider as it was"
    );
    assert_eq!(fresh.delete(&format!("/Users/{id}")).await.status, 204);
    roster
        .cli_json(&[
            "provider",
            "delete",
            "--tenant",
            &f.slug,
            "--provider",
            &f.cred.id,
        ])
        .await;
    assert_eq!(scim_error(&fresh.get("/Users").await).0, 401);
    let list = roster
        .cli_json(&["provider", "list", "--tenant", &f.slug])
        .await;
    assert_eq!(list["providers"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn cli_contract() {
    let roster = roster_e2e::Roster::start(RosterOptions::default()).await;
    let slug = unique_slug("cli");
    let tenant = roster.cli_json(&["tenant", "create", &slug]).await;
    assert_eq!(tenant["slug"], slug.as_str());
    assert_eq!(tenant["state"], "active");

    // Duplicate and invalid slugs exit 1 with a clear message.
    let dup = roster.cli(&["tenant", "create", &slug]).await;
    assert_eq!(dup.status.code(), Some(1));
    assert!(dup.stderr.contains("already exists"), "{}", dup.stderr);
    let bad = roster.cli(&["tenant", "create", "Bad_Slug"]).await;
    assert_eq!(bad.status.code(), Some(1));
    assert!(bad.stderr.contains("slug"), "{}", bad.stderr);

    for kind in ["basic", "bearer"] {
        let p = roster
            .cli_json(&[
                "provider",
                "create",
                "--tenant",
                &slug,
                "--name",
                "Okta prod",
                "--credential",
                kind,
            ])
            .await;
        let keys: Vec<&str> = p
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let secret = if kind == "basic" { "password" } else { "token" };
        let mut expected = vec![
            "base_url",
            "ca_cert",
            "credential",
            "expires_at",
            "id",
            "name",
            secret,
            "tenant",
            "username",
        ];
        expected.sort();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort();
        assert_eq!(keys_sorted, expected, "{p}");
        assert_eq!(p["credential"], kind);
        assert_eq!(p["tenant"], slug.as_str());
        let base = p["base_url"].as_str().expect("base_url");
        assert!(base.ends_with(&format!("/t/{slug}/scim/v2")), "{base}");
        assert!(p["username"].as_str().is_some_and(|u| !u.is_empty()));
        assert!(
            p[secret]
                .as_str()
                .is_some_and(|s| s.starts_with("roster_") && s.len() > 40),
            "{p}"
        );
        if kind == "basic" {
            assert!(p["expires_at"].is_null());
        } else {
            assert!(
                p["expires_at"].as_str().is_some_and(|t| t.contains('T')),
                "RFC 3339: {p}"
            );
        }
        assert_eq!(
            std::path::Path::new(p["ca_cert"].as_str().expect("ca_cert")),
            roster.ca_cert_path()
        );
    }
    let list = roster.cli_json(&["tenant", "list"]).await;
    assert!(
        list["tenants"]
            .as_array()
            .expect("tenants")
            .iter()
            .any(|t| t["slug"] == slug.as_str())
    );

    // Files in the data directory.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(roster.data_dir().join("operator.token"))
        .expect("operator.token")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(roster.data_dir().join("tls/key.pem").exists());
    let endpoints: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(roster.data_dir().join("endpoints.json")).expect("endpoints"),
    )
    .expect("json");
    assert_eq!(endpoints["gateway"], roster.gateway_url());
    assert_eq!(endpoints["admin"], roster.admin_url());
}

#[tokio::test]
async fn cli_fails_fast_when_nothing_answers() {
    let roster = roster_e2e::Roster::start(RosterOptions::default()).await;
    // A socket that accepts connections at the TCP level but never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let refused = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        probe.local_addr().expect("addr")
    };
    for server in [
        format!("http://{}", silent.local_addr().expect("addr")),
        format!("http://{refused}"),
    ] {
        let started = std::time::Instant::now();
        let out = roster.cli(&["--server", &server, "tenant", "list"]).await;
        assert!(!out.status.success());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{server}: took {:?}",
            started.elapsed()
        );
        assert!(out.stderr.contains("cannot reach"), "{}", out.stderr);
    }
}
