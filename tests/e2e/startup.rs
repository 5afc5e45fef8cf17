//! Start-up and shutdown contract of `roster serve`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use roster_e2e::{Backend, RosterOptions, roster_command, runs_on, unique_slug};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

fn run_to_exit(mut command: std::process::Command) -> (Option<i32>, String) {
    let out = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run roster");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn without_a_database_url_it_stores_everything_under_the_data_dir() {
    if !runs_on(Backend::Sqlite) {
        return;
    }
    let mut roster = roster_e2e::Roster::start(RosterOptions::default().without_redis()).await;
    let dir = roster.data_dir().to_owned();
    assert!(dir.join("control.db").is_file());
    let slug = unique_slug("emb");
    let tenant = roster.create_tenant(&slug).await;
    let hex = tenant["id"].as_str().expect("id").replace('-', "");
    assert!(
        dir.join("tenants")
            .join(format!("tenant_{hex}.db"))
            .is_file()
    );
    let cred = roster.create_provider(&slug, "idp", "basic").await;
    let resp = roster
        .scim(&cred)
        .post(
            "/Users",
            &serde_json::json!({"schemas": [USER], "userName": "kept@example.com"}),
        )
        .await;
    assert_eq!(resp.status, 201, "{}", resp.text);
    let id = resp.body["id"].as_str().expect("id").to_owned();

    // A clean restart keeps the data, and the IdP's credential still works.
    roster.stop().expect("stop");
    roster.restart().await.expect("restart");
    let got = roster.scim(&cred).get(&format!("/Users/{id}")).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["userName"], "kept@example.com");
}

#[tokio::test]
async fn a_second_process_on_the_same_data_dir_is_refused() {
    if !runs_on(Backend::Sqlite) {
        return;
    }
    let mut roster = roster_e2e::Roster::start(RosterOptions::default().without_redis()).await;
    let mut command = roster_command();
    command
        .arg("serve")
        .env("ROSTER_DATA_DIR", roster.data_dir())
        .env("ROSTER_GATEWAY__LISTEN", "127.0.0.1:0")
        .env("ROSTER_ADMIN__LISTEN", "127.0.0.1:0");
    let (code, stderr) = run_to_exit(command);
    assert_eq!(code, Some(1), "{stderr}");
    let pid = roster.pid().expect("pid").to_string();
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("in use by another roster process") && last.contains(&pid),
        "{stderr}"
    );
    // The lock dies with its owner, however it ends: after kill -9 a new process starts.
    roster.kill().expect("kill");
    roster.restart().await.expect("restart after kill -9");
}

#[test]
fn unknown_configuration_keys_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = roster_command();
    command
        .arg("serve")
        .env("ROSTER_DATA_DIR", dir.path())
        .env("ROSTER_GATEWAY__LISTNE", "127.0.0.1:0");
    let (code, stderr) = run_to_exit(command);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("listne"), "{stderr}");
}

#[tokio::test]
async fn a_taken_port_fails_start_up_clearly() {
    let roster = roster_e2e::Roster::start(RosterOptions::default()).await;
    let taken = roster
        .gateway_url()
        .trim_start_matches("https://")
        .to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = roster_command();
    command
        .arg("serve")
        .env("ROSTER_DATA_DIR", dir.path())
        .envs(roster.database_env())
        .env("ROSTER_GATEWAY__LISTEN", &taken)
        .env("ROSTER_ADMIN__LISTEN", "127.0.0.1:0");
    let (code, stderr) = run_to_exit(command);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("gateway.listen") && stderr.contains(&taken),
        "{stderr}"
    );
}

// Multi-threaded: `stop` blocks while it waits, and the test's HTTP/2 connection to the
// gateway must still be able to answer the gateway's GOAWAY meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_exits_cleanly() {
    let mut roster = roster_e2e::Roster::start(RosterOptions::default()).await;
    // An open connection (readiness was polled over it) must not hold the drain open.
    let ready = roster
        .http()
        .get(format!("{}/readyz", roster.gateway_url()))
        .send()
        .await
        .expect("readyz");
    assert_eq!(ready.status().as_u16(), 200);
    let started = Instant::now();
    let status = roster.stop().expect("stop");
    assert!(status.success(), "exit status {status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}
