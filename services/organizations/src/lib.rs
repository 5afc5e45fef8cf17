//! The organizations and mapping services: a tenant's organization tree (names,
//! parents, inherited settings, default roles), its roles catalogue, each
//! provider's organization- and role-mapping configuration, and the rules that
//! decide where a provisioned user lands and which roles it holds.
//!
//! Placement runs inside the caller's tenant transaction (the identity service
//! calls [`placement`] on every provisioning change), so a user and its
//! organization and roles always commit together. Only [`grpc`] knows tonic.

mod audit_trail;
mod error;
pub mod grpc;
pub mod members;
pub mod naming;
pub mod orgs;
pub mod roles;
pub mod tree;

pub use error::OrganizationsError;

use roster_store::Store;

/// The service state shared by every request.
#[derive(Clone, Debug)]
pub struct Organizations {
    pub(crate) store: Store,
}

impl Organizations {
    /// Creates the service over a store.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}
