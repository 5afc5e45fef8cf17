//! Runtime plumbing shared by every Roster role: configuration, telemetry,
//! credentials between processes, gRPC server and client helpers, TLS
//! material and shutdown. No domain logic.

pub mod auth;
pub mod config;
pub mod grpc;
pub mod shutdown;
pub mod telemetry;
pub mod tls;

pub use config::Config;
