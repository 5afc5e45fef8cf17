//! Per-tenant rate limits in Redis, and the in-process fallback when Redis is gone.

use std::process::{Child, Command, Stdio};

use roster_e2e::{RosterOptions, scim_error, unique_slug};

use crate::common::*;

#[tokio::test]
async fn a_burst_over_the_limit_is_429_and_other_tenants_are_unaffected() {
    let roster = roster_e2e::Roster::start(RosterOptions::default().rate_limit(1, 5)).await;
    let (a, b) = (unique_slug("rla"), unique_slug("rlb"));
    roster.create_tenant(&a).await;
    roster.create_tenant(&b).await;
    let sa = roster.scim(&roster.create_provider(&a, "idp", "basic").await);
    let sb = roster.scim(&roster.create_provider(&b, "idp", "basic").await);

    let mut limited = None;
    for _ in 0..20 {
        let resp = sa.get("/Users").await;
        if resp.status == 429 {
            limited = Some(resp);
            break;
        }
        assert_eq!(resp.status, 200, "{}", resp.text);
    }
    let limited = limited.expect("a burst of 20 at 1/s with burst 5 is limited");
    let (status, _, detail) = scim_error(&limited);
    assert_eq!(status, 429, "{detail}");
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=10).contains(&retry), "Retry-After {retry}");
    // The other tenant still has its whole budget.
    for _ in 0..4 {
        assert_eq!(sb.get("/Users").await.status, 200);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

struct RedisProcess(Child);

impl Drop for RedisProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn requests_are_served_when_redis_stops() {
    let port = free_port();
    let redis = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server is installed (scripts/test installs it)");
    let mut redis = RedisProcess(redis);
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let f = fixture_with(
        RosterOptions::default().redis_url(format!("redis://127.0.0.1:{port}")),
        "basic",
    )
    .await;
    create_user(&f.scim, &user_body("before@example.com")).await;

    let _ = redis.0.kill();
    let _ = redis.0.wait();
    for i in 0..5 {
        let resp = f
            .scim
            .post("/Users", &user_body(&format!("after{i}@example.com")))
            .await;
        assert_eq!(resp.status, 201, "served without Redis: {}", resp.text);
    }
    let metrics = f
        .roster
        .http()
        .get(format!("{}/metrics", f.roster.gateway_url()))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let fallback: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("roster_gateway_rate_limit_fallback_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("fallback metric");
    assert!(fallback >= 5, "{metrics}");
    let log = std::fs::read_to_string(f.roster.log_path()).unwrap_or_default();
    assert!(log.contains("rate limits fall back"), "a log line says so");
}
