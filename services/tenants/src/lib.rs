//! The tenants service: the control plane. Owns the tenant registry (creating
//! and migrating each tenant's schema), providers and their credentials, and
//! authenticates providers for the gateway with one control lookup.
//!
//! Domain code lives in [`tenants`], [`providers`], [`transfer`] (moving a
//! tenant between deployments) and [`backup`]; only [`grpc`] knows tonic and
//! the proto types.

pub mod backup;
mod error;
pub mod grpc;
pub mod providers;
pub mod tenants;
pub mod transfer;

pub use error::TenantsError;

use roster_runtime::auth::Authority;
use roster_store::Store;

/// The service state shared by every request.
#[derive(Clone, Debug)]
pub struct Tenants {
    store: Store,
    authority: Authority,
    public_url: String,
}

impl Tenants {
    /// Creates the service over a store, the credential authority and the gateway's public URL.
    pub fn new(store: Store, authority: Authority, public_url: String) -> Self {
        Self {
            store,
            authority,
            public_url,
        }
    }

    /// Returns the SCIM base URL of a tenant: `{public_url}/t/{slug}/scim/v2`.
    pub fn base_url(&self, slug: &str) -> String {
        format!("{}/t/{slug}/scim/v2", self.public_url.trim_end_matches('/'))
    }
}
