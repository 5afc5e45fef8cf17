//! The gateway's counters, exposed in the Prometheus text format on `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Process-wide counters.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    /// SCIM requests answered, by status class.
    pub responses_2xx: AtomicU64,
    pub responses_4xx: AtomicU64,
    pub responses_5xx: AtomicU64,
    /// Requests refused by the rate limiter.
    pub rate_limited: AtomicU64,
    /// Rate-limit decisions taken by the in-process limiter because Redis was unreachable.
    pub rate_limit_fallback: AtomicU64,
    /// Provisioning-error reports dropped because too many were in flight.
    pub refusal_reports_dropped: AtomicU64,
}

impl Metrics {
    /// Counts one response.
    pub(crate) fn count_response(&self, status: u16) {
        let counter = match status {
            500.. => &self.responses_5xx,
            400.. => &self.responses_4xx,
            _ => &self.responses_2xx,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Renders the counters.
    pub(crate) fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "# TYPE roster_gateway_responses_total counter\n\
             roster_gateway_responses_total{{class=\"2xx\"}} {}\n\
             roster_gateway_responses_total{{class=\"4xx\"}} {}\n\
             roster_gateway_responses_total{{class=\"5xx\"}} {}\n\
             # TYPE roster_gateway_rate_limited_total counter\n\
             roster_gateway_rate_limited_total {}\n\
             # TYPE roster_gateway_rate_limit_fallback_total counter\n\
             roster_gateway_rate_limit_fallback_total {}\n\
             # TYPE roster_gateway_refusal_reports_dropped_total counter\n\
             roster_gateway_refusal_reports_dropped_total {}\n",
            get(&self.responses_2xx),
            get(&self.responses_4xx),
            get(&self.responses_5xx),
            get(&self.rate_limited),
            get(&self.rate_limit_fallback),
            get(&self.refusal_reports_dropped),
        )
    }
}
