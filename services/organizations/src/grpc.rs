//! The gRPC adapters of the organizations and mapping services.

mod organizations;

pub use organizations::OrganizationsGrpc;
