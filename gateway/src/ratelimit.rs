//! Per-tenant rate limiting: GCRA in Redis (one script call per request, keys
//! hash-tagged by tenant so Redis Cluster keeps a tenant's keys on one slot),
//! with an in-process GCRA taking over while Redis is unreachable.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use roster_core::TenantId;
use tokio::sync::RwLock;

use crate::metrics::Metrics;

/// GCRA over a theoretical-arrival-time key, in microseconds, on Redis's clock.
/// KEYS[1]: the tenant's key. ARGV[1]: emission interval; ARGV[2]: burst tolerance.
/// Returns {allowed (0/1), microseconds until a retry can pass}.
const GCRA_SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if allow_at > now then
  return {0, allow_at - now}
end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return {1, 0}
";

/// The outcome of a rate-limit check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refuse; the client may retry after this long.
    Deny {
        /// Suggested wait.
        retry_after: Duration,
    },
}

/// The per-tenant limiter.
#[derive(Clone)]
pub struct RateLimiter {
    interval_us: u64,
    tolerance_us: u64,
    redis: Option<Arc<RwLock<Option<ConnectionManager>>>>,
    script: Arc<redis::Script>,
    local: Arc<DefaultKeyedRateLimiter<TenantId>>,
    degraded: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("interval_us", &self.interval_us)
            .field("redis", &self.redis.is_some())
            .finish()
    }
}

impl RateLimiter {
    /// Creates a limiter of `per_second` sustained requests and `burst` extra per tenant.
    /// With a Redis URL it connects in the background and uses the in-process
    /// limiter until (and whenever) Redis is unreachable.
    pub(crate) fn new(
        per_second: u32,
        burst: u32,
        redis_url: Option<&str>,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let rate = NonZeroU32::new(per_second)
            .ok_or_else(|| anyhow::anyhow!("per_second must be positive"))?;
        let burst_nz =
            NonZeroU32::new(burst).ok_or_else(|| anyhow::anyhow!("burst must be positive"))?;
        let interval_us = 1_000_000 / u64::from(per_second.max(1));
        let local = Arc::new(governor::RateLimiter::keyed(
            Quota::per_second(rate).allow_burst(burst_nz),
        ));
        let redis = match redis_url {
            Some(url) => {
                let client = redis::Client::open(url)?;
                let slot = Arc::new(RwLock::new(None));
                tokio::spawn(connect_in_background(client, slot.clone()));
                Some(slot)
            }
            None => {
                tracing::warn!(
                    "no redis.url configured: rate limits are kept in this process only"
                );
                None
            }
        };
        Ok(Self {
            interval_us,
            tolerance_us: interval_us * u64::from(burst),
            redis,
            script: Arc::new(redis::Script::new(GCRA_SCRIPT)),
            local,
            degraded: Arc::new(AtomicBool::new(false)),
            metrics,
        })
    }

    /// Checks and counts one request of `tenant`.
    pub(crate) async fn check(&self, tenant: TenantId) -> Decision {
        if let Some(slot) = &self.redis {
            let conn = slot.read().await.clone();
            if let Some(mut conn) = conn {
                let key = format!("rl:{{{tenant}}}:all");
                let result: redis::RedisResult<(i64, i64)> = self
                    .script
                    .key(key)
                    .arg(self.interval_us)
                    .arg(self.tolerance_us)
                    .invoke_async(&mut conn)
                    .await;
                match result {
                    Ok((allowed, wait_us)) => {
                        if self.degraded.swap(false, Ordering::Relaxed) {
                            tracing::info!("redis reachable again: rate limits are shared");
                        }
                        return if allowed == 1 {
                            Decision::Allow
                        } else {
                            Decision::Deny {
                                retry_after: Duration::from_micros(wait_us.max(0) as u64),
                            }
                        };
                    }
                    Err(err) => {
                        if !self.degraded.swap(true, Ordering::Relaxed) {
                            tracing::warn!(error = %err, "redis unreachable: rate limits fall back to this process");
                        }
                    }
                }
            } else if !self.degraded.swap(true, Ordering::Relaxed) {
                tracing::warn!("redis not connected: rate limits fall back to this process");
            }
            self.metrics
                .rate_limit_fallback
                .fetch_add(1, Ordering::Relaxed);
        }
        self.check_local(tenant)
    }

    fn check_local(&self, tenant: TenantId) -> Decision {
        match self.local.check_key(&tenant) {
            Ok(()) => Decision::Allow,
            Err(not_until) => Decision::Deny {
                retry_after: not_until.wait_time_from(governor::clock::Clock::now(
                    &governor::clock::DefaultClock::default(),
                )),
            },
        }
    }
}

async fn connect_in_background(
    client: redis::Client,
    slot: Arc<RwLock<Option<ConnectionManager>>>,
) {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(500)))
        .set_response_timeout(Some(Duration::from_millis(500)))
        .set_number_of_retries(1);
    loop {
        match ConnectionManager::new_with_config(client.clone(), config.clone()).await {
            Ok(conn) => {
                tracing::info!("connected to redis for rate limits");
                *slot.write().await = Some(conn);
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot connect to redis; retrying in 5s");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}
