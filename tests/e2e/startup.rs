//! Start-up and shutdown contract of `roster serve`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use roster_e2e::{RosterOptions, roster_command};

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

#[test]
fn without_a_database_url_it_exits_1_with_a_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut command = roster_command();
    command
        .arg("serve")
        .env("ROSTER_DATA_DIR", dir.path())
        .env("ROSTER_GATEWAY__LISTEN", "127.0.0.1:0")
        .env("ROSTER_ADMIN__LISTEN", "127.0.0.1:0");
    let (code, stderr) = run_to_exit(command);
    assert_eq!(code, Some(1), "{stderr}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("database.url") && last.contains("ROSTER_DATABASE__URL"),
        "{stderr}"
    );
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
        .env("ROSTER_DATABASE__URL", roster.database_url())
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
