//! Tenant resolution by host name, and a database outage seen through the gateway.

use reqwest::Method;
use roster_e2e::{Backend, RosterOptions, runs_on, scim_error, unique_slug};

use crate::common::*;

#[tokio::test]
async fn a_configured_host_name_resolves_its_tenant() {
    let roster = roster_e2e::Roster::start(RosterOptions::default()).await;
    let slug = unique_slug("host");
    let host = format!("{slug}.scim.example");
    let tenant = roster
        .cli_json(&["tenant", "create", &slug, "--host", &host])
        .await;
    assert_eq!(tenant["hosts"][0], host.as_str());
    let cred = roster.create_provider(&slug, "idp", "bearer").await;

    let url = format!("{}/scim/v2/Users", roster.gateway_url());
    let send = |host: String| {
        roster
            .http()
            .request(Method::POST, &url)
            .header("host", host)
            .header("content-type", "application/scim+json")
            .bearer_auth(&cred.secret)
            .body(serde_json::to_vec(&user_body("h@example.com")).expect("json"))
            .send()
    };
    let resp = send(host.clone()).await.expect("send");
    assert_eq!(resp.status().as_u16(), 201);
    let location = resp.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with(&format!("https://{host}")),
        "{location}"
    );
    // An unknown host is refused like a wrong credential.
    let resp = send("other.scim.example".to_owned()).await.expect("send");
    assert_eq!(resp.status().as_u16(), 401);
    // The same user is visible through the path form.
    assert_eq!(
        count_users(&roster.scim(&cred), "userName eq \"h@example.com\"").await,
        1
    );
}

#[tokio::test]
async fn an_unreachable_database_is_503_with_retry_after() {
    if !runs_on(Backend::Postgres) {
        return;
    }
    let f = fixture_with(
        RosterOptions::default().env("ROSTER_DATABASE__ACQUIRE_TIMEOUT_SECS", "2"),
        "basic",
    )
    .await;
    let id = create_user(&f.scim, &user_body("db@example.com")).await;
    let db = f
        .roster
        .database_url()
        .rsplit('/')
        .next()
        .expect("db name")
        .to_owned();
    let admin = sqlx_admin(f.roster.database_url()).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{db}\" ALLOW_CONNECTIONS false"
    )))
    .execute(&admin)
    .await
    .expect("limit");
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
        .bind(&db)
        .execute(&admin)
        .await
        .expect("terminate");

    let resp = f.scim.get(&format!("/Users/{id}")).await;
    let (status, _, detail) = scim_error(&resp);
    assert_eq!(status, 503, "{detail}");
    assert!(resp.header("retry-after").is_some());

    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{db}\" ALLOW_CONNECTIONS true"
    )))
    .execute(&admin)
    .await
    .expect("unlimit");
    let mut recovered = false;
    for _ in 0..20 {
        if f.scim.get(&format!("/Users/{id}")).await.status == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        recovered,
        "requests succeed again once the database is back"
    );
}

/// Connects to the server's maintenance database (not the Roster's own).
async fn sqlx_admin(database_url: &str) -> sqlx::PgPool {
    let (server, _) = database_url.rsplit_once('/').expect("url");
    connect_one(&format!("{server}/postgres")).await
}

/// Opens a one-connection pool to `url`, from outside Roster.
async fn connect_one(url: &str) -> sqlx::PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|err| panic!("connect to {url}: {err}"))
}

#[tokio::test]
async fn a_request_past_its_deadline_is_503_and_changes_nothing() {
    let f = fixture_with(
        RosterOptions::default().env("ROSTER_GATEWAY__REQUEST_TIMEOUT_SECS", "1"),
        "basic",
    )
    .await;
    if !runs_on(Backend::Postgres) {
        return;
    }
    let id = create_user(&f.scim, &user_body("slow@example.com")).await;
    let tenant = f.roster.cli_json(&["tenant", "show", &f.slug]).await["id"]
        .as_str()
        .expect("id")
        .replace('-', "");

    // Hold the user's row lock from outside, so the PATCH waits past the gateway's deadline.
    let pool = connect_one(f.roster.database_url()).await;
    let mut lock = pool.begin().await.expect("begin");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT 1 FROM tenant_{tenant}.users WHERE id = $1::uuid FOR UPDATE"
    )))
    .bind(&id)
    .execute(&mut *lock)
    .await
    .expect("lock");

    let started = std::time::Instant::now();
    let p = patch(serde_json::json!([{"op": "replace", "path": "title", "value": "late"}]));
    let resp = f.scim.patch(&format!("/Users/{id}"), &p).await;
    let (status, _, detail) = scim_error(&resp);
    assert_eq!(status, 503, "{detail}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    lock.rollback().await.expect("release");

    // The cancelled write never lands.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let got = f.scim.get(&format!("/Users/{id}")).await;
    assert!(got.body.get("title").is_none(), "{}", got.text);
}

/// The tenant's id as its schema and file names spell it: 32 hex digits.
async fn tenant_hex(f: &Fixture) -> String {
    f.roster.cli_json(&["tenant", "show", &f.slug]).await["id"]
        .as_str()
        .expect("id")
        .replace('-', "")
}

#[tokio::test]
async fn a_tenant_database_locked_by_another_program_is_503_then_recovers() {
    if !runs_on(Backend::Sqlite) {
        return;
    }
    let f = fixture_with(
        RosterOptions::default().env("ROSTER_DATABASE__ACQUIRE_TIMEOUT_SECS", "1"),
        "basic",
    )
    .await;
    let id = create_user(&f.scim, &user_body("locked@example.com")).await;
    let file = f
        .roster
        .data_dir()
        .join("tenants")
        .join(format!("tenant_{}.db", tenant_hex(&f).await));
    assert!(file.exists(), "{}", file.display());

    // Another program (the sqlite3 shell, a backup tool) holds the write lock.
    use sqlx::Connection;
    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .expect("open the tenant file");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .expect("lock");
    let p = patch(serde_json::json!([{"op": "replace", "path": "title", "value": "blocked"}]));
    let started = std::time::Instant::now();
    let resp = f.scim.patch(&format!("/Users/{id}"), &p).await;
    let (status, _, detail) = scim_error(&resp);
    assert_eq!(status, 503, "{detail}");
    assert!(resp.header("retry-after").is_some());
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    sqlx::query("ROLLBACK")
        .execute(&mut other)
        .await
        .expect("unlock");

    // Nothing of the refused write landed, and the tenant works again.
    let got = f.scim.get(&format!("/Users/{id}")).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert!(got.body.get("title").is_none(), "{}", got.text);
    let resp = f.scim.patch(&format!("/Users/{id}"), &p).await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.body["title"], "blocked");
}
