//! Roster's end-to-end tests: one test binary, one module per area.
//!
//! Each test starts its own `roster serve` (see `roster_e2e::Roster`) and creates its own tenants,
//! so tests run in parallel. Run them all with `scripts/test` from the repository root: it runs this
//! binary twice, on PostgreSQL and on the embedded SQLite backend (`ROSTER_TEST_BACKEND`).

mod apply;
mod common;
mod digest;
mod discovery;
mod durability;
mod entra;
mod errors;
mod grpc;
mod hosts;
mod isolation;
mod jobs;
mod lifecycle;
mod logs;
mod mapping;
mod okta;
mod organizations;
mod providers;
mod ratelimit;
mod roles;
mod smoke;
mod startup;
mod tracing;
mod transfer;
mod transfer_jobs;
mod transfer_lifecycle;
mod transfer_mapping;
