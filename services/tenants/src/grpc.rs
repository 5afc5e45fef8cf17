//! The gRPC adapter of the tenants service: checks the caller, converts
//! messages, calls the domain, maps errors.

use roster_proto::tenants::v1 as pb;
use roster_runtime::auth::Caller;
use roster_runtime::grpc::{
    caller, internal_status, require_operator, status_with_reason, timestamp,
};
use roster_store::{CredentialKind, ProviderRecord, TenantRecord, TenantState};
use tonic::{Request, Response, Status};

use crate::providers::{IssuedSecret, PresentedCredential, TenantSelector};
use crate::{Tenants, TenantsError};

mod transfer;

/// `ErrorInfo.reason` of a refusal because the tenant is suspended.
pub const TENANT_SUSPENDED: &str = "TENANT_SUSPENDED";

/// Serves `roster.tenants.v1.TenantsService`.
#[derive(Clone, Debug)]
pub struct TenantsGrpc {
    tenants: Tenants,
}

impl TenantsGrpc {
    /// Wraps the domain service.
    pub fn new(tenants: Tenants) -> Self {
        Self { tenants }
    }

    /// Returns the tonic server for this service.
    pub fn into_server(self) -> pb::tenants_service_server::TenantsServiceServer<Self> {
        pb::tenants_service_server::TenantsServiceServer::new(self)
    }
}

fn to_status(err: TenantsError) -> Status {
    match &err {
        TenantsError::Store(store) if err.kind() == roster_core::ErrorKind::Internal => {
            internal_status(store)
        }
        TenantsError::Store(_) => status_with_reason(err.kind(), "database unavailable", None),
        TenantsError::Io { .. } => internal_status(&err),
        TenantsError::Suspended => {
            status_with_reason(err.kind(), err.to_string(), Some(TENANT_SUSPENDED))
        }
        _ => status_with_reason(err.kind(), err.to_string(), None),
    }
}

fn tenant_message(t: TenantRecord) -> pb::Tenant {
    pb::Tenant {
        id: t.id.to_string(),
        slug: t.slug.to_string(),
        state: match t.state {
            TenantState::Active => pb::TenantState::Active,
            TenantState::Suspended => pb::TenantState::Suspended,
            TenantState::Provisioning => pb::TenantState::Unspecified,
        } as i32,
        created_at: Some(timestamp(t.created_at)),
        hosts: t.hosts,
    }
}

impl TenantsGrpc {
    fn provider_message(&self, tenant: &TenantRecord, p: ProviderRecord) -> pb::Provider {
        pb::Provider {
            id: p.id.to_string(),
            tenant: tenant.slug.to_string(),
            name: p.name,
            credential: match p.credential_kind {
                CredentialKind::Basic => pb::CredentialKind::Basic,
                CredentialKind::Bearer => pb::CredentialKind::Bearer,
            } as i32,
            username: p.username,
            enabled: p.enabled,
            expires_at: p.expires_at.map(timestamp),
            created_at: Some(timestamp(p.created_at)),
            credential_issued_at: Some(timestamp(p.credential_issued_at)),
            base_url: self.tenants.base_url(tenant.slug.as_str()),
        }
    }

    async fn issued_message(
        &self,
        tenant: &str,
        issued: IssuedSecret,
    ) -> Result<pb::IssuedSecret, Status> {
        let tenant = self.tenants.tenant(tenant).await.map_err(to_status)?;
        Ok(pb::IssuedSecret {
            provider: Some(self.provider_message(&tenant, issued.provider)),
            secret: issued.secret,
        })
    }
}

#[tonic::async_trait]
impl pb::tenants_service_server::TenantsService for TenantsGrpc {
    type BackupStream = transfer::Replies<pb::BackupChunk>;
    type ExportTenantStream = transfer::Replies<pb::ExportTenantChunk>;
    type ImportTenantStream = transfer::Replies<pb::ImportTenantResponse>;

    async fn backup(
        &self,
        request: Request<pb::BackupRequest>,
    ) -> Result<Response<Self::BackupStream>, Status> {
        require_operator(&request)?;
        transfer::backup(&self.tenants).map(Response::new)
    }

    async fn export_tenant(
        &self,
        request: Request<pb::ExportTenantRequest>,
    ) -> Result<Response<Self::ExportTenantStream>, Status> {
        require_operator(&request)?;
        transfer::export(&self.tenants, &request.into_inner().slug)
            .await
            .map(Response::new)
    }

    async fn import_tenant(
        &self,
        request: Request<tonic::Streaming<pb::ImportTenantRequest>>,
    ) -> Result<Response<Self::ImportTenantStream>, Status> {
        require_operator(&request)?;
        Ok(Response::new(transfer::import(
            &self.tenants,
            request.into_inner(),
        )))
    }

    async fn create_tenant(
        &self,
        request: Request<pb::CreateTenantRequest>,
    ) -> Result<Response<pb::CreateTenantResponse>, Status> {
        require_operator(&request)?;
        let req = request.into_inner();
        let tenant = self
            .tenants
            .create_tenant(&req.slug, &req.hosts)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::CreateTenantResponse {
            tenant: Some(tenant_message(tenant)),
        }))
    }

    async fn list_tenants(
        &self,
        request: Request<pb::ListTenantsRequest>,
    ) -> Result<Response<pb::ListTenantsResponse>, Status> {
        require_operator(&request)?;
        let tenants = self.tenants.list_tenants().await.map_err(to_status)?;
        Ok(Response::new(pb::ListTenantsResponse {
            tenants: tenants.into_iter().map(tenant_message).collect(),
        }))
    }

    async fn get_tenant(
        &self,
        request: Request<pb::GetTenantRequest>,
    ) -> Result<Response<pb::GetTenantResponse>, Status> {
        require_operator(&request)?;
        let tenant = self
            .tenants
            .tenant(&request.into_inner().slug)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GetTenantResponse {
            tenant: Some(tenant_message(tenant)),
        }))
    }

    async fn suspend_tenant(
        &self,
        request: Request<pb::SuspendTenantRequest>,
    ) -> Result<Response<pb::SuspendTenantResponse>, Status> {
        require_operator(&request)?;
        let tenant = self
            .tenants
            .set_suspended(&request.into_inner().slug, true)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::SuspendTenantResponse {
            tenant: Some(tenant_message(tenant)),
        }))
    }

    async fn resume_tenant(
        &self,
        request: Request<pb::ResumeTenantRequest>,
    ) -> Result<Response<pb::ResumeTenantResponse>, Status> {
        require_operator(&request)?;
        let tenant = self
            .tenants
            .set_suspended(&request.into_inner().slug, false)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ResumeTenantResponse {
            tenant: Some(tenant_message(tenant)),
        }))
    }

    async fn create_provider(
        &self,
        request: Request<pb::CreateProviderRequest>,
    ) -> Result<Response<pb::CreateProviderResponse>, Status> {
        require_operator(&request)?;
        let req = request.into_inner();
        let kind = match pb::CredentialKind::try_from(req.credential) {
            Ok(pb::CredentialKind::Basic) => CredentialKind::Basic,
            Ok(pb::CredentialKind::Bearer) => CredentialKind::Bearer,
            _ => {
                return Err(Status::invalid_argument(
                    "credential: must be basic or bearer",
                ));
            }
        };
        let issued = self
            .tenants
            .create_provider(&req.tenant, &req.name, kind)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::CreateProviderResponse {
            issued: Some(self.issued_message(&req.tenant, issued).await?),
        }))
    }

    async fn list_providers(
        &self,
        request: Request<pb::ListProvidersRequest>,
    ) -> Result<Response<pb::ListProvidersResponse>, Status> {
        require_operator(&request)?;
        let (tenant, providers) = self
            .tenants
            .list_providers(&request.into_inner().tenant)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListProvidersResponse {
            providers: providers
                .into_iter()
                .map(|p| self.provider_message(&tenant, p))
                .collect(),
        }))
    }

    async fn get_provider(
        &self,
        request: Request<pb::GetProviderRequest>,
    ) -> Result<Response<pb::GetProviderResponse>, Status> {
        require_operator(&request)?;
        let req = request.into_inner();
        let (tenant, provider) = self
            .tenants
            .provider(&req.tenant, &req.provider_id)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GetProviderResponse {
            provider: Some(self.provider_message(&tenant, provider)),
        }))
    }

    async fn regenerate_credential(
        &self,
        request: Request<pb::RegenerateCredentialRequest>,
    ) -> Result<Response<pb::RegenerateCredentialResponse>, Status> {
        require_operator(&request)?;
        let req = request.into_inner();
        let issued = self
            .tenants
            .regenerate(&req.tenant, &req.provider_id)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::RegenerateCredentialResponse {
            issued: Some(self.issued_message(&req.tenant, issued).await?),
        }))
    }

    async fn set_provider_enabled(
        &self,
        request: Request<pb::SetProviderEnabledRequest>,
    ) -> Result<Response<pb::SetProviderEnabledResponse>, Status> {
        require_operator(&request)?;
        let req = request.into_inner();
        let provider = self
            .tenants
            .set_provider_enabled(&req.tenant, &req.provider_id, req.enabled)
            .await
            .map_err(to_status)?;
        let tenant = self.tenants.tenant(&req.tenant).await.map_err(to_status)?;
        Ok(Response::new(pb::SetProviderEnabledResponse {
            provider: Some(self.provider_message(&tenant, provider)),
        }))
    }

    async fn delete_provider(
        &self,
        request: Request<pb::DeleteProviderRequest>,
    ) -> Result<Response<pb::DeleteProviderResponse>, Status> {
        require_operator(&request)?;
        let req = request.into_inner();
        self.tenants
            .delete_provider(&req.tenant, &req.provider_id)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::DeleteProviderResponse {}))
    }

    async fn authenticate_provider(
        &self,
        request: Request<pb::AuthenticateProviderRequest>,
    ) -> Result<Response<pb::AuthenticateProviderResponse>, Status> {
        if !matches!(caller(&request)?, Caller::Operator | Caller::Gateway) {
            return Err(Status::permission_denied(
                "this call needs the gateway credential",
            ));
        }
        let req = request.into_inner();
        let selector = match req.tenant {
            Some(pb::authenticate_provider_request::Tenant::Slug(slug)) => {
                TenantSelector::Slug(slug)
            }
            Some(pb::authenticate_provider_request::Tenant::Host(host)) => {
                TenantSelector::Host(host)
            }
            None => return Err(Status::invalid_argument("tenant: slug or host is required")),
        };
        let credential = match req.credential {
            Some(pb::authenticate_provider_request::Credential::Basic(basic)) => {
                PresentedCredential::Basic {
                    username: basic.username,
                    password: basic.password,
                }
            }
            Some(pb::authenticate_provider_request::Credential::BearerToken(token)) => {
                PresentedCredential::Bearer(token)
            }
            None => {
                return Err(Status::invalid_argument(
                    "credential: basic or bearer_token is required",
                ));
            }
        };
        let done = self
            .tenants
            .authenticate(&selector, &credential)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::AuthenticateProviderResponse {
            tenant_id: done.tenant.id.to_string(),
            tenant_slug: done.tenant.slug.to_string(),
            provider_id: done.provider.id.to_string(),
            provider_username: done.provider.username,
            access_token: done.access_token,
            access_token_expires_at: Some(timestamp(done.expires_at)),
        }))
    }
}
