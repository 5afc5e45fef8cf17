//! The gRPC adapters of the organizations and mapping services.

pub mod mapping;
mod organizations;

pub use organizations::OrganizationsGrpc;
