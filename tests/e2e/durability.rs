//! Nothing acknowledged is lost: `kill -9` in the middle of a burst of writes, then restart and
//! read back every user whose creation was answered 201. Runs on both backends.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::*;

/// Concurrent writers in the burst.
const WRITERS: usize = 8;
/// Acknowledged creations to wait for before the kill; writers keep going until it lands.
const ACKNOWLEDGED_BEFORE_KILL: usize = 120;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_a_burst_loses_no_acknowledged_write() {
    let mut f = fixture().await;
    let http = f.roster.http().clone();
    let url = format!("{}/Users", f.cred.base_url);
    let username = f.cred.username.clone().expect("basic provider");
    let secret = f.cred.secret.clone();
    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();

    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let (http, url, username, secret) =
            (http.clone(), url.clone(), username.clone(), secret.clone());
        let acknowledged = acknowledged.clone();
        writers.spawn(async move {
            for n in 0.. {
                let user_name = format!("burst-{writer}-{n}@example.com");
                let sent = http
                    .post(&url)
                    .basic_auth(&username, Some(&secret))
                    .header("content-type", "application/scim+json")
                    .json(&user_body(&user_name))
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await;
                // Once the server is gone, connections fail: the burst is over.
                let Ok(resp) = sent else { return };
                if resp.status().as_u16() != 201 {
                    return;
                }
                let Ok(body) = resp.json::<serde_json::Value>().await else {
                    return;
                };
                let id = body["id"].as_str().expect("id").to_owned();
                acknowledged.lock().expect("lock").push((id, user_name));
            }
        });
    }
    for _ in 0..600 {
        if acknowledged.lock().expect("lock").len() >= ACKNOWLEDGED_BEFORE_KILL {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        acknowledged.lock().expect("lock").len() >= ACKNOWLEDGED_BEFORE_KILL,
        "the burst never reached {ACKNOWLEDGED_BEFORE_KILL} acknowledged writes"
    );
    // Writers are mid-request when the kill lands.
    f.roster.kill().expect("kill -9");
    while writers.join_next().await.is_some() {}
    let acknowledged = acknowledged.lock().expect("lock").clone();

    f.roster.restart().await.expect("restart after kill -9");
    let scim = f.roster.scim(&f.cred);
    for (id, user_name) in &acknowledged {
        let got = scim.get(&format!("/Users/{id}")).await;
        assert_eq!(
            got.status, 200,
            "acknowledged {user_name} lost: {}",
            got.text
        );
        assert_eq!(got.body["userName"], user_name.as_str());
    }
    // Nothing beyond what was sent exists either, and the store still takes writes.
    let listed = scim.get("/Users?count=1").await;
    let total = listed.body["totalResults"].as_u64().expect("total") as usize;
    assert!(total >= acknowledged.len(), "{}", listed.text);
    assert!(total <= acknowledged.len() + WRITERS, "{}", listed.text);
    create_user(&scim, &user_body("after-restart@example.com")).await;
}
