//! gRPC clients of the services the gateway calls.

use roster_proto::identity::v1::identity_service_client::IdentityServiceClient;
use roster_proto::tenants::v1::tenants_service_client::TenantsServiceClient;
use tonic::transport::{Channel, Endpoint};

/// Lazily connected channels to the tenants and identity services.
#[derive(Clone, Debug)]
pub struct ServiceClients {
    tenants: Channel,
    identity: Channel,
    /// The credential the gateway presents to the tenants service.
    pub(crate) gateway_credential: String,
}

impl ServiceClients {
    /// Creates clients for the given gRPC URLs (connections are made on first use).
    pub fn new(
        tenants_url: &str,
        identity_url: &str,
        gateway_credential: String,
    ) -> anyhow::Result<Self> {
        let channel = |url: &str| -> anyhow::Result<Channel> {
            Ok(Endpoint::from_shared(url.to_owned())?
                .connect_timeout(std::time::Duration::from_secs(2))
                .timeout(std::time::Duration::from_secs(30))
                .connect_lazy())
        };
        Ok(Self {
            tenants: channel(tenants_url)?,
            identity: channel(identity_url)?,
            gateway_credential,
        })
    }

    /// Returns a tenants-service client.
    pub(crate) fn tenants(&self) -> TenantsServiceClient<Channel> {
        TenantsServiceClient::new(self.tenants.clone())
    }

    /// Returns an identity-service client.
    pub(crate) fn identity(&self) -> IdentityServiceClient<Channel> {
        IdentityServiceClient::new(self.identity.clone())
    }

    /// Returns the channel to the tenants service, for readiness checks.
    pub(crate) fn tenants_channel(&self) -> Channel {
        self.tenants.clone()
    }
}
