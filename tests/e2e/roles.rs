//! One role per process: `roster serve tenants`, `serve identity` and `serve gateway` as three
//! processes that share only the database and the internal key. The gateway reaches both
//! services over gRPC, as in the one-process mode.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use roster_e2e::{Backend, ProviderCredential, ScimClient, Services, roster_command, runs_on};
use serde_json::Value;

use crate::common::*;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `roster serve <role>` with `env` and waits for its endpoints.json.
async fn serve(role: &str, data_dir: &Path, env: &[(&str, String)]) -> (Process, Value) {
    let mut command = roster_command();
    command
        .args(["serve", role])
        .env("ROSTER_DATA_DIR", data_dir)
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = Process(command.spawn().expect("spawn roster"));
    let path = data_dir.join("endpoints.json");
    for _ in 0..300 {
        if let Some(endpoints) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            return (child, endpoints);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("roster serve {role} did not write endpoints.json");
}

#[tokio::test]
async fn gateway_and_services_in_separate_processes() {
    // Several processes share one database only on PostgreSQL; an embedded data directory has
    // one owner (see startup::a_second_process_on_the_same_data_dir_is_refused).
    if !runs_on(Backend::Postgres) {
        return;
    }
    let database = Services::get()
        .await
        .expect("services")
        .create_database()
        .await
        .expect("database");
    let shared = tempfile::tempdir().expect("tempdir");
    let dirs: Vec<_> = (0..3)
        .map(|_| tempfile::tempdir().expect("tempdir"))
        .collect();
    let key = shared.path().join("internal.key");
    // The public URL is deployment-wide: the tenants service builds providers' base URLs from it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let token = shared.path().join("operator.token");
    let common = vec![
        ("ROSTER_DATABASE__URL", database.clone()),
        ("ROSTER_ADMIN__LISTEN", "127.0.0.1:0".to_owned()),
        ("ROSTER_SERVICES__KEY_FILE", key.display().to_string()),
        (
            "ROSTER_SERVICES__OPERATOR_TOKEN_FILE",
            token.display().to_string(),
        ),
        (
            "ROSTER_GATEWAY__PUBLIC_URL",
            format!("https://127.0.0.1:{port}"),
        ),
    ];
    let (_tenants, tenants_endpoints) = serve("tenants", dirs[0].path(), &common).await;
    let (_identity, identity_endpoints) = serve("identity", dirs[1].path(), &common).await;
    let mut gateway_env = common.clone();
    gateway_env.extend([
        ("ROSTER_GATEWAY__LISTEN", format!("127.0.0.1:{port}")),
        (
            "ROSTER_SERVICES__TENANTS_URL",
            tenants_endpoints["admin"]
                .as_str()
                .expect("admin")
                .to_owned(),
        ),
        (
            "ROSTER_SERVICES__IDENTITY_URL",
            identity_endpoints["admin"]
                .as_str()
                .expect("admin")
                .to_owned(),
        ),
    ]);
    let (_gateway, gateway_endpoints) = serve("gateway", dirs[2].path(), &gateway_env).await;
    assert!(
        gateway_endpoints.get("admin").is_none(),
        "the gateway serves no gRPC"
    );
    assert!(
        tenants_endpoints.get("gateway").is_none(),
        "the tenants role serves no HTTPS"
    );

    let cli = |args: &[&str]| {
        let mut command = roster_command();
        command
            .args(args)
            .args([
                "--json",
                "--server",
                tenants_endpoints["admin"].as_str().expect("admin"),
            ])
            .arg("--token-file")
            .arg(&token)
            .arg("--data-dir")
            .arg(dirs[2].path());
        let out = command.output().expect("run cli");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).expect("one JSON object")
    };
    let slug = roster_e2e::unique_slug("split");
    cli(&["tenant", "create", &slug]);
    let cred = ProviderCredential::from_json(&cli(&[
        "provider",
        "create",
        "--tenant",
        &slug,
        "--name",
        "idp",
        "--credential",
        "basic",
    ]))
    .expect("credential");
    let scim = ScimClient::new(&cred).expect("client");

    // Readiness needs the tenants service; wait for the gateway to see it.
    let mut ready = false;
    for _ in 0..100 {
        let resp = scim.get("/Users").await;
        if resp.status == 200 {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "the gateway reaches the services");
    let id = create_user(&scim, &user_body("split@example.com")).await;
    assert_eq!(scim.get(&format!("/Users/{id}")).await.status, 200);
}
