//! The gateway: Roster's only public edge. Terminates TLS, resolves the
//! tenant (path `/t/<slug>/scim/v2/…` or host name), authenticates the
//! provider through the tenants service, applies the per-tenant rate limit,
//! speaks SCIM JSON, and forwards typed requests to the identity service over
//! gRPC. It holds no tenant data.

mod clients;
mod edge;
mod metrics;
mod ratelimit;
mod refusals;
mod scim;
mod server;

pub use clients::ServiceClients;
pub use ratelimit::RateLimiter;
pub use server::{ExtraMetrics, GatewayState, router, serve};
