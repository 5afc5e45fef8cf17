//! `roster backup` (embedded data, online) and `roster export` / `roster import` (a tenant from
//! embedded SQLite into PostgreSQL), proved through SCIM with the providers' original credentials:
//! the same ids, externalIds, attributes, members and versions answer on the other side.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use roster_e2e::{
    Backend, ProviderCredential, Roster, RosterOptions, ScimClient, runs_on, unique_slug,
};
use serde_json::{Value, json};

use crate::common::{ENTERPRISE, GROUP, USER, create_group, create_user, urlencode};

/// A tenant with a basic and a bearer provider, users with externalIds, e-mails and Enterprise
/// fields, and a group with two members, as an identity provider would have provisioned it.
struct Provisioned {
    slug: String,
    basic: ProviderCredential,
    bearer: ProviderCredential,
    /// (id, userName, which provider) of every user.
    users: Vec<(String, String, Owner)>,
    group: String,
}

#[derive(Debug, Clone, Copy)]
enum Owner {
    Basic,
    Bearer,
}

fn person(user_name: &str, external_id: &str, given: &str) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "externalId": external_id,
        "name": {"givenName": given, "familyName": "Lee"},
        "displayName": format!("{given} Lee"),
        "title": "Engineer",
        "emails": [{"value": user_name, "type": "work", "primary": true}],
        "active": true,
        ENTERPRISE: {"department": "Sales", "employeeNumber": format!("{}", user_name.len())},
    })
}

async fn provision(roster: &Roster, slug: &str) -> Provisioned {
    let basic = roster.create_provider(slug, "Okta", "basic").await;
    let bearer = roster.create_provider(slug, "Entra ID", "bearer").await;
    let okta = roster.scim(&basic);
    let entra = roster.scim(&bearer);
    let mut users = Vec::new();
    for (name, external, given) in [
        ("ann@example.com", "00u-ann", "Ann"),
        ("bob@example.com", "00u-bob", "Bob"),
    ] {
        let id = create_user(&okta, &person(name, external, given)).await;
        users.push((id, name.to_owned(), Owner::Basic));
    }
    let cy = create_user(&entra, &person("cy@example.com", "aad-cy", "Cy")).await;
    users.push((cy, "cy@example.com".to_owned(), Owner::Bearer));
    // A change, so versions and update times differ from creation.
    let resp = okta
        .put(
            &format!("/Users/{}", users[1].0),
            &person("bob@example.com", "00u-bob", "Robert"),
        )
        .await;
    assert_eq!(resp.status, 200, "PUT bob: {}", resp.text);
    let group = create_group(
        &okta,
        &json!({"schemas": [GROUP], "displayName": "Engineering", "externalId": "grp-eng",
                "members": [{"value": users[0].0}, {"value": users[1].0}]}),
    )
    .await;
    Provisioned {
        slug: slug.to_owned(),
        basic,
        bearer,
        users,
        group,
    }
}

impl Provisioned {
    fn credential(&self, owner: Owner) -> &ProviderCredential {
        match owner {
            Owner::Basic => &self.basic,
            Owner::Bearer => &self.bearer,
        }
    }

    /// Every user and the group as SCIM answers them through `roster` with the original
    /// credentials (moved to `roster`'s address), with the base URL replaced by `BASE`.
    async fn read_back(&self, roster: &Roster) -> Vec<Value> {
        let mut docs = Vec::new();
        for (id, _, owner) in &self.users {
            let scim = client_on(roster, &self.slug, self.credential(*owner));
            docs.push(get_normalised(&scim, &format!("/Users/{id}")).await);
        }
        let scim = client_on(roster, &self.slug, &self.basic);
        docs.push(get_normalised(&scim, &format!("/Groups/{}", self.group)).await);
        docs
    }
}

/// A SCIM client with `cred`'s username and secret, aimed at `roster`'s gateway: what an identity
/// provider keeps using when the tenant moves and its URL follows.
pub(crate) fn client_on(roster: &Roster, slug: &str, cred: &ProviderCredential) -> ScimClient {
    let mut moved = cred.clone();
    moved.base_url = format!("{}/t/{slug}/scim/v2", roster.gateway_url());
    moved.ca_cert = roster.ca_cert_path();
    roster.scim(&moved)
}

async fn get_normalised(scim: &ScimClient, path: &str) -> Value {
    let resp = scim.get(path).await;
    assert_eq!(resp.status, 200, "GET {path}: {}", resp.text);
    let text = resp.body.to_string().replace(scim.base_url(), "BASE");
    serde_json::from_str(&text).expect("a SCIM body stays JSON")
}

async fn total_users(scim: &ScimClient) -> i64 {
    let resp = scim.get("/Users?count=1000").await;
    assert_eq!(resp.status, 200, "list users: {}", resp.text);
    resp.body["totalResults"].as_i64().expect("totalResults")
}

fn mode_of(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|err| panic!("stat {}: {err}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn partial_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

fn slugs(list: &Value) -> Vec<String> {
    list["tenants"]
        .as_array()
        .expect("tenant list")
        .iter()
        .filter_map(|t| t["slug"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn backup_while_writing_restores_every_user_and_group_for_the_original_credentials() {
    if !runs_on(Backend::Sqlite) {
        return;
    }
    let source = Roster::start(RosterOptions::default()).await;
    let slug = unique_slug("bk");
    source.create_tenant(&slug).await;
    let data = provision(&source, &slug).await;
    source.create_tenant(&unique_slug("bk-other")).await;
    let before = data.read_back(&source).await;

    // A provider keeps writing while the backups run: the server is never stopped.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let writer = {
        let scim = source.scim(&data.basic);
        let (stop, written) = (stop.clone(), written.clone());
        tokio::spawn(async move {
            let mut failures = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let n = written.load(Ordering::SeqCst);
                let body = json!({"schemas": [USER], "userName": format!("w{n}@example.com")});
                let resp = scim.post("/Users", &body).await;
                if resp.status == 201 {
                    written.fetch_add(1, Ordering::SeqCst);
                } else {
                    failures.push(format!("{}: {}", resp.status, resp.text));
                }
            }
            failures
        })
    };
    while written.load(Ordering::SeqCst) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let mut archives = Vec::new();
    let first_started = written.load(Ordering::SeqCst);
    let mut last_started = 0;
    for i in 0..3 {
        let out = dir.path().join(format!("roster-{i}.tar"));
        last_started = written.load(Ordering::SeqCst);
        let summary = source
            .cli_json(&["backup", "--out", out.to_str().expect("utf-8 path")])
            .await;
        assert_eq!(summary["tenants"], 2, "backup answered {summary}");
        assert_eq!(summary["out"], out.display().to_string());
        let size = std::fs::metadata(&out).expect("backup written").len();
        assert_eq!(summary["bytes"], size, "backup answered {summary}");
        assert_eq!(mode_of(&out), 0o600);
        assert!(!partial_of(&out).exists(), "the .partial file is left");
        archives.push(out);
    }
    let last_ended = written.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    let failures = writer.await.expect("writer task");
    assert!(
        failures.is_empty(),
        "writes failed during the backups: {failures:?}"
    );
    assert!(
        last_ended > first_started,
        "no write completed while the backups ran ({first_started} before, {last_ended} after)"
    );

    // Restore the last backup: unpack into an empty data dir and start roster on it.
    let restored = dir.path().join("restored");
    std::fs::create_dir(&restored).expect("create the restore dir");
    let archive = archives.last().expect("three archives");
    let status = Command::new("tar")
        .arg("-xf")
        .arg(archive)
        .arg("-C")
        .arg(&restored)
        .status()
        .expect("run tar");
    assert!(status.success(), "tar -xf failed: {status}");
    let tenant_id = source.cli_json(&["tenant", "show", &slug]).await["id"]
        .as_str()
        .expect("tenant id")
        .replace('-', "");
    for file in [
        "control.db".to_owned(),
        format!("tenants/tenant_{tenant_id}.db"),
        "internal.key".to_owned(),
        "tls/cert.pem".to_owned(),
    ] {
        assert!(
            restored.join(&file).is_file(),
            "{file} is not in the backup"
        );
    }
    assert_eq!(mode_of(&restored.join("internal.key")), 0o600);
    assert_eq!(
        std::fs::read_to_string(restored.join("internal.key")).expect("restored key"),
        std::fs::read_to_string(source.data_dir().join("internal.key")).expect("source key"),
    );

    let copy = Roster::start(RosterOptions::default().data_dir(&restored)).await;
    assert_eq!(
        data.read_back(&copy).await,
        before,
        "the restored data answers differently"
    );
    let listed = copy.cli_json(&["tenant", "list"]).await;
    assert_eq!(slugs(&listed).len(), 2, "restored tenants: {listed}");
    // The backup is one snapshot: every write acknowledged before it started, none after it ended.
    let okta = client_on(&copy, &slug, &data.basic);
    let users = total_users(&okta).await;
    let base = 2;
    assert!(
        users >= base + last_started as i64 && users <= base + last_ended as i64,
        "restored {users} of the basic provider's users; {last_started} writes were done before \
         the backup, {last_ended} after it"
    );
    let resp = okta
        .post(
            "/Users",
            &json!({"schemas": [USER], "userName": "after-restore@example.com"}),
        )
        .await;
    assert_eq!(resp.status, 201, "write after restore: {}", resp.text);
}

#[tokio::test]
async fn export_import_moves_a_tenant_to_postgresql_with_its_ids_and_credentials() {
    if !runs_on(Backend::Sqlite) {
        return;
    }
    let source = Roster::start(RosterOptions::default()).await;
    let slug = unique_slug("mv");
    let host = format!("{slug}.scim.example");
    let tenant = source
        .cli_json(&["tenant", "create", &slug, "--host", &host])
        .await;
    let data = provision(&source, &slug).await;
    let before = data.read_back(&source).await;
    let providers_before = source
        .cli_json(&["provider", "list", "--tenant", &slug])
        .await;

    let dir = tempfile::tempdir().expect("temp dir");
    let export = dir.path().join("tenant.jsonl");
    let summary = source
        .cli_json(&[
            "export",
            "--tenant",
            &slug,
            "--out",
            export.to_str().expect("utf-8"),
        ])
        .await;
    assert_eq!(
        (
            &summary["providers"],
            &summary["users"],
            &summary["groups"],
            &summary["memberships"]
        ),
        (&json!(2), &json!(3), &json!(1), &json!(2)),
        "export answered {summary}"
    );
    assert_eq!(mode_of(&export), 0o600);
    let text = std::fs::read_to_string(&export).expect("read the export");
    assert_eq!(summary["bytes"], text.len());
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    assert_eq!(lines[0]["kind"], "header");
    assert_eq!(lines[0]["format"], "roster-tenant-export");
    assert_eq!(lines[0]["version"], 3);
    assert_eq!(lines[0]["backend"], "sqlite");
    let key = std::fs::read_to_string(source.data_dir().join("internal.key")).expect("key");
    assert!(
        !text.contains(key.trim()),
        "the export holds the internal key"
    );
    assert_eq!(lines.last().expect("lines")["kind"], "end");
    let unknown = source
        .cli(&["export", "--tenant", "no-such-tenant", "--json"])
        .await;
    assert!(
        !unknown.status.success() && unknown.stderr.contains("not found"),
        "{unknown:?}"
    );

    // The target runs on PostgreSQL with a copy of the source's internal key.
    let target = Roster::start(RosterOptions::default().backend(Backend::Postgres).env(
        "ROSTER_SERVICES__KEY_FILE",
        source.data_dir().join("internal.key").display().to_string(),
    ))
    .await;

    // Refused documents leave nothing behind, and do not block a later import.
    let truncated = dir.path().join("truncated.jsonl");
    std::fs::write(
        &truncated,
        text.lines()
            .take(lines.len() - 2)
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .expect("write");
    let unknown_kind = dir.path().join("unknown.jsonl");
    let mut with_webhook: Vec<String> = text.lines().map(str::to_owned).collect();
    with_webhook.insert(
        lines.len() - 1,
        r#"{"kind":"webhook","url":"https://example.com"}"#.to_owned(),
    );
    std::fs::write(&unknown_kind, with_webhook.join("\n")).expect("write");
    for (file, expected) in [
        (&truncated, "truncated"),
        (&unknown_kind, "unknown record kind \"webhook\""),
    ] {
        let out = target
            .cli(&["import", "--file", file.to_str().expect("utf-8"), "--json"])
            .await;
        assert!(
            !out.status.success(),
            "{} was imported: {}",
            file.display(),
            out.stdout
        );
        assert!(out.stderr.contains(expected), "stderr: {}", out.stderr);
        let listed = target.cli_json(&["tenant", "list"]).await;
        assert!(slugs(&listed).is_empty(), "a refused import left {listed}");
    }

    let imported = target
        .cli_json(&["import", "--file", export.to_str().expect("utf-8")])
        .await;
    assert_eq!(
        imported["tenant"]["id"], tenant["id"],
        "import answered {imported}"
    );
    assert_eq!(imported["tenant"]["slug"], slug.as_str());
    assert_eq!(imported["tenant"]["state"], "active");
    assert_eq!(imported["tenant"]["hosts"], json!([host]));
    assert_eq!(imported["tenant"]["created_at"], tenant["created_at"]);
    assert_eq!(
        (&imported["users"], &imported["memberships"]),
        (&json!(3), &json!(2))
    );
    let providers_after = target
        .cli_json(&["provider", "list", "--tenant", &slug])
        .await;
    let without_url = |list: &Value| -> Vec<Value> {
        list["providers"]
            .as_array()
            .expect("providers")
            .iter()
            .map(|p| {
                let mut p = p.clone();
                p["base_url"] = Value::Null;
                p
            })
            .collect()
    };
    assert_eq!(
        without_url(&providers_after),
        without_url(&providers_before)
    );

    // Through the PostgreSQL target's gateway, with the original credentials.
    assert_eq!(
        data.read_back(&target).await,
        before,
        "the import answers differently"
    );
    let okta = client_on(&target, &slug, &data.basic);
    let entra = client_on(&target, &slug, &data.bearer);
    for (id, user_name, owner) in &data.users {
        let scim = client_on(&target, &slug, data.credential(*owner));
        let filter = format!("userName eq \"{user_name}\"");
        let resp = scim
            .get(&format!("/Users?filter={}", urlencode(&filter)))
            .await;
        assert_eq!(resp.status, 200, "filter: {}", resp.text);
        assert_eq!(resp.body["totalResults"], 1, "{filter}: {}", resp.text);
        assert_eq!(resp.body["Resources"][0]["id"], id.as_str());
    }
    let resp = okta
        .get(&format!(
            "/Users?filter={}",
            urlencode("externalId eq \"00u-bob\"")
        ))
        .await;
    assert_eq!(
        resp.body["Resources"][0]["id"],
        data.users[1].0.as_str(),
        "{}",
        resp.text
    );
    // One provider still cannot reach another's users.
    let resp = entra.get(&format!("/Users/{}", data.users[0].0)).await;
    assert_eq!(resp.status, 404, "{}", resp.text);

    // New writes work, and versions go on from the exported ones.
    let old_version = before[0]["meta"]["version"].clone();
    let resp = okta
        .put(
            &format!("/Users/{}", data.users[0].0),
            &person("ann@example.com", "00u-ann", "Annie"),
        )
        .await;
    assert_eq!(resp.status, 200, "PUT after import: {}", resp.text);
    assert_ne!(resp.body["meta"]["version"], old_version);
    let dee = create_user(&okta, &person("dee@example.com", "00u-dee", "Dee")).await;
    let resp = okta
        .patch(
            &format!("/Groups/{}", data.group),
            &crate::common::patch(
                json!([{"op": "add", "path": "members", "value": [{"value": dee}]}]),
            ),
        )
        .await;
    assert!(
        matches!(resp.status, 200 | 204),
        "PATCH group: {}",
        resp.text
    );
    assert_eq!(crate::common::member_ids(&okta, &data.group).await.len(), 3);
    let users_now = total_users(&okta).await;

    // Importing the same tenant again is a clear conflict and changes nothing.
    let again = target
        .cli(&[
            "import",
            "--file",
            export.to_str().expect("utf-8"),
            "--json",
        ])
        .await;
    assert!(
        !again.status.success(),
        "second import succeeded: {}",
        again.stdout
    );
    assert!(
        again.stderr.contains("already exists"),
        "stderr: {}",
        again.stderr
    );
    assert_eq!(total_users(&okta).await, users_now);
    assert_eq!(crate::common::member_ids(&okta, &data.group).await.len(), 3);
    assert_eq!(
        slugs(&target.cli_json(&["tenant", "list"]).await),
        vec![slug.clone()]
    );

    // A deployment with another internal key refuses the document and creates nothing.
    let stranger = Roster::start(RosterOptions::default().backend(Backend::Postgres)).await;
    let refused = stranger
        .cli(&[
            "import",
            "--file",
            export.to_str().expect("utf-8"),
            "--json",
        ])
        .await;
    assert!(
        !refused.status.success(),
        "import with another key succeeded"
    );
    assert!(
        refused.stderr.contains("another internal key")
            && refused.stderr.contains("services.key_file"),
        "stderr: {}",
        refused.stderr
    );
    assert!(slugs(&stranger.cli_json(&["tenant", "list"]).await).is_empty());
}

#[tokio::test]
async fn export_import_moves_a_tenant_from_postgresql_to_the_embedded_backend() {
    if !runs_on(Backend::Postgres) {
        return;
    }
    let source = Roster::start(RosterOptions::default()).await;
    let slug = unique_slug("pg");
    let tenant = source.create_tenant(&slug).await;
    let data = provision(&source, &slug).await;
    let suspended = source.cli_json(&["tenant", "suspend", &slug]).await;
    assert_eq!(suspended["state"], "suspended");
    source.cli_json(&["tenant", "resume", &slug]).await;
    let before = data.read_back(&source).await;
    source.cli_json(&["tenant", "suspend", &slug]).await;

    let dir = tempfile::tempdir().expect("temp dir");
    let export = dir.path().join("tenant.jsonl");
    let summary = source
        .cli_json(&[
            "export",
            "--tenant",
            &slug,
            "--out",
            export.to_str().expect("utf-8"),
        ])
        .await;
    assert_eq!(summary["users"], 3, "export answered {summary}");

    let target = Roster::start(RosterOptions::default().backend(Backend::Sqlite).env(
        "ROSTER_SERVICES__KEY_FILE",
        source.data_dir().join("internal.key").display().to_string(),
    ))
    .await;
    let imported = target
        .cli_json(&["import", "--file", export.to_str().expect("utf-8")])
        .await;
    assert_eq!(imported["tenant"]["id"], tenant["id"]);
    // The state comes along: suspended on the source, suspended here.
    assert_eq!(imported["tenant"]["state"], "suspended");
    let okta = client_on(&target, &slug, &data.basic);
    assert_eq!(okta.get("/Users").await.status, 403);
    target.cli_json(&["tenant", "resume", &slug]).await;
    assert_eq!(
        data.read_back(&target).await,
        before,
        "the import answers differently"
    );
    let filter = urlencode("userName eq \"bob@example.com\"");
    let resp = okta.get(&format!("/Users?filter={filter}")).await;
    assert_eq!(
        resp.body["Resources"][0]["id"],
        data.users[1].0.as_str(),
        "{}",
        resp.text
    );
}

/// Writes a version 1 document for a new tenant `slug` with one provider and `users` users, valid
/// for the deployment whose export header is `header`.
fn synthetic_export(path: &Path, header: &Value, slug: &str, users: usize) -> String {
    let tenant = uuid::Uuid::new_v4().to_string();
    let provider = uuid::Uuid::new_v4().to_string();
    let mut doc = String::new();
    let mut line = |record: Value| {
        doc.push_str(&record.to_string());
        doc.push('\n');
    };
    let mut header = header.clone();
    header["version"] = json!(1);
    line(header);
    line(
        json!({"kind": "tenant", "id": tenant, "slug": slug, "state": "active", "hosts": [],
                "created_at": "2026-01-01T00:00:00Z"}),
    );
    line(
        json!({"kind": "provider", "id": provider, "name": "Bulk", "credential_kind": "basic",
                "username": format!("scim-{slug}"), "secret_digest": "c2VjcmV0LWRpZ2VzdC1mb3ItdGVzdHM=",
                "enabled": true, "expires_at": null, "credential_issued_at": "2026-01-01T00:00:00Z",
                "created_at": "2026-01-01T00:00:00Z"}),
    );
    for i in 0..users {
        let name = format!("u{i}@example.com");
        line(
            json!({"kind": "user", "id": uuid::Uuid::new_v4().to_string(), "provider_id": provider,
                    "user_name": name, "user_name_key": name, "external_id": format!("x{i}"),
                    "display_name_key": null, "emails": [{"type_key": null, "value_key": name}],
                    "resource": {"schemas": [USER], "userName": name}, "version": 1,
                    "created_at": "2026-01-01T00:00:01Z", "updated_at": "2026-01-01T00:00:01Z"}),
        );
    }
    line(
        json!({"kind": "end", "counts": {"providers": 1, "users": users, "groups": 0, "memberships": 0}}),
    );
    std::fs::write(path, doc).expect("write the document");
    tenant
}

#[tokio::test]
async fn an_import_cut_by_a_crash_stays_invisible_and_a_retry_completes_it() {
    if !runs_on(Backend::Sqlite) {
        return;
    }
    let mut roster = Roster::start(RosterOptions::default()).await;
    let seed = unique_slug("seed");
    roster.create_tenant(&seed).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let seed_export = dir.path().join("seed.jsonl");
    roster
        .cli_json(&[
            "export",
            "--tenant",
            &seed,
            "--out",
            seed_export.to_str().expect("utf-8"),
        ])
        .await;
    let text = std::fs::read_to_string(&seed_export).expect("read the export");
    let header: Value = serde_json::from_str(text.lines().next().expect("header")).expect("JSON");

    let slug = unique_slug("bulk");
    let document = dir.path().join("bulk.jsonl");
    let users = 40_000;
    let id = synthetic_export(&document, &header, &slug, users);

    let mut import = roster_e2e::roster_command()
        .args(["import", "--file"])
        .arg(&document)
        .arg("--data-dir")
        .arg(roster.data_dir())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start roster import");
    // Wait until the import has created its tenant, then kill the server under it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let listed = roster.cli_json(&["tenant", "list"]).await;
        let state = listed["tenants"]
            .as_array()
            .expect("tenants")
            .iter()
            .find(|t| t["slug"] == slug.as_str())
            .map(|t| t["state"].clone());
        if let Some(state) = state {
            assert_eq!(state, "provisioning", "the import finished before the kill");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the import never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    roster.kill().expect("kill -9");
    let status = import.wait().expect("wait for roster import");
    assert!(!status.success(), "the import succeeded without its server");
    roster.restart().await.expect("restart after kill -9");

    // What the crash left is not a tenant anyone can use.
    let shown = roster.cli_json(&["tenant", "show", &slug]).await;
    assert_eq!(shown["state"], "provisioning", "after the crash: {shown}");
    let provider_list = roster
        .cli(&["provider", "list", "--tenant", &slug, "--json"])
        .await;
    assert!(
        !provider_list.status.success(),
        "providers of a half-imported tenant are listed"
    );

    // Importing the same document again replaces the leftovers and completes.
    let imported = roster
        .cli_json(&["import", "--file", document.to_str().expect("utf-8")])
        .await;
    assert_eq!(imported["tenant"]["id"], id.as_str());
    assert_eq!(imported["tenant"]["state"], "active");
    assert_eq!(imported["users"], users);
    let providers = roster
        .cli_json(&["provider", "list", "--tenant", &slug])
        .await;
    assert_eq!(providers["providers"].as_array().map(Vec::len), Some(1));
    let exported = dir.path().join("again.jsonl");
    let summary = roster
        .cli_json(&[
            "export",
            "--tenant",
            &slug,
            "--out",
            exported.to_str().expect("utf-8"),
        ])
        .await;
    assert_eq!(
        summary["users"], users,
        "the retried import holds {summary}"
    );
}

#[tokio::test]
async fn backup_on_postgresql_is_refused_and_writes_nothing() {
    if !runs_on(Backend::Postgres) {
        return;
    }
    let roster = Roster::start(RosterOptions::default()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("roster.tar");
    let result = roster
        .cli(&["backup", "--out", out.to_str().expect("utf-8"), "--json"])
        .await;
    assert!(
        !result.status.success(),
        "backup succeeded: {}",
        result.stdout
    );
    assert!(
        result.stderr.contains("pg_dump"),
        "stderr: {}",
        result.stderr
    );
    assert!(result.stdout.is_empty(), "stdout: {}", result.stdout);
    assert!(
        !out.exists() && !partial_of(&out).exists(),
        "a file was left"
    );
}
