//! The jobs service: runs each tenant's durable scheduled work and lets operators
//! list, inspect, retry and cancel it.
//!
//! Job rows live in the tenant's own schema; the control schema keeps only a
//! per-tenant "next due" hint that [`worker::Worker`] polls. A job's effect and
//! its completion commit in one tenant transaction, fenced by the attempt's lease,
//! so a job whose worker died runs again and a stale attempt changes nothing.
//!
//! This crate knows no identity code: the `roster` binary registers the handlers
//! ([`JobHandler`]) of the kinds other services enqueue. Only [`grpc`] knows tonic.

pub mod admin;
pub mod digest;
mod error;
#[cfg(feature = "test-clock")]
pub mod faults;
pub mod grpc;
pub mod handler;
mod hints;
pub mod metrics;
pub mod purge;
pub mod worker;

pub use error::JobsError;
pub use handler::{HandlerFuture, Handlers, JobHandler, Step};
