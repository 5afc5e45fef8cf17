//! Providers and their credentials: create, list, show, regenerate, enable,
//! disable, delete, and authenticate a presented credential.
//!
//! Secrets are generated here (32 random bytes behind a recognisable prefix),
//! returned once, and stored only as keyed digests. Authentication is one
//! control lookup and a constant-time comparison; nothing is cached, so a
//! regenerated, disabled or deleted credential is refused from the moment the
//! change commits, by every gateway.

use roster_core::ProviderId;
use roster_runtime::auth::{ACCESS_TOKEN_TTL, generate_secret};
use roster_store::{
    ActorKind, AuditEntry, CredentialKind, NewProvider, ProviderRecord, TenantRecord, TenantState,
};
use serde_json::json;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Tenants, TenantsError};

/// Prefix of generated Basic passwords.
pub const PASSWORD_PREFIX: &str = "roster_p_";
/// Prefix of generated bearer tokens.
pub const TOKEN_PREFIX: &str = "roster_t_";
/// Bearer tokens expire after this long (reference: tokens last 365 days).
pub const TOKEN_LIFETIME: time::Duration = time::Duration::days(365);

/// How a request names its tenant.
#[derive(Debug, Clone)]
pub enum TenantSelector {
    /// `/t/<slug>/…`.
    Slug(String),
    /// The request's host name.
    Host(String),
}

/// A credential presented by a client.
#[derive(Clone)]
pub enum PresentedCredential {
    /// HTTP Basic.
    Basic {
        /// Username.
        username: String,
        /// Password.
        password: String,
    },
    /// HTTP Bearer.
    Bearer(String),
}

/// The result of a successful authentication.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The tenant.
    pub tenant: TenantRecord,
    /// The provider.
    pub provider: ProviderRecord,
    /// Access token for tenant services.
    pub access_token: String,
    /// When it expires.
    pub expires_at: OffsetDateTime,
}

/// A provider and the secret just generated for it (shown once).
#[derive(Debug, Clone)]
pub struct IssuedSecret {
    /// The provider.
    pub provider: ProviderRecord,
    /// The raw secret.
    pub secret: String,
}

/// The audit entry of an operator's change to a provider (the admin API has one credential).
fn provider_audit(event: &str, provider: &ProviderRecord) -> AuditEntry {
    audit_of(
        event,
        provider.id,
        &provider.name,
        &provider.username,
        provider.credential_kind,
    )
}

fn audit_of(
    event: &str,
    id: ProviderId,
    name: &str,
    username: &str,
    kind: CredentialKind,
) -> AuditEntry {
    AuditEntry {
        id: Uuid::now_v7(),
        actor_kind: ActorKind::Operator,
        actor: "operator".to_owned(),
        event: event.to_owned(),
        target_kind: Some("provider".to_owned()),
        target_id: Some(id.to_string()),
        target_name: Some(name.to_owned()),
        details: json!({"username": username, "credential": kind.as_str()}),
    }
}

impl Tenants {
    /// Moves the tenant's pending control-plane audit entries into its audit log. A failure
    /// leaves them in the outbox for the next delivery (the next change, or startup).
    pub async fn deliver_audit(&self, tenant: &TenantRecord) {
        if let Err(err) = self.store.deliver_audit_outbox(&tenant.id).await {
            tracing::warn!(tenant = %tenant.id, error = %err, "audit outbox not delivered yet");
        }
    }

    async fn active_tenant(&self, slug: &str) -> Result<TenantRecord, TenantsError> {
        let tenant = self.tenant(slug).await?;
        if tenant.state == TenantState::Provisioning {
            return Err(TenantsError::TenantNotFound {
                slug: slug.to_owned(),
            });
        }
        Ok(tenant)
    }

    fn new_secret(&self, kind: CredentialKind) -> (String, Vec<u8>, Option<OffsetDateTime>) {
        let (secret, expires_at) = match kind {
            CredentialKind::Basic => (generate_secret(PASSWORD_PREFIX), None),
            CredentialKind::Bearer => (
                generate_secret(TOKEN_PREFIX),
                Some(OffsetDateTime::now_utc() + TOKEN_LIFETIME),
            ),
        };
        let digest = self.authority.secret_digest(&secret);
        (secret, digest, expires_at)
    }

    /// Creates a provider with a fresh credential.
    #[tracing::instrument(skip_all, fields(tenant_slug = %tenant))]
    pub async fn create_provider(
        &self,
        tenant: &str,
        name: &str,
        kind: CredentialKind,
    ) -> Result<IssuedSecret, TenantsError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(TenantsError::InvalidField {
                field: "name",
                problem: "must be 1-200 characters".to_owned(),
            });
        }
        let tenant = self.active_tenant(tenant).await?;
        let (secret, secret_digest, expires_at) = self.new_secret(kind);
        let suffix: [u8; 6] = rand::random();
        let username = format!(
            "scim-{}",
            suffix
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let new = NewProvider {
            id: ProviderId::generate(),
            tenant_id: tenant.id,
            name: name.to_owned(),
            credential_kind: kind,
            username,
            secret_digest,
            expires_at,
        };
        let audit = audit_of(
            "provider created",
            new.id,
            &new.name,
            &new.username,
            new.credential_kind,
        );
        let provider = self.store.insert_provider(&new, Some(&audit)).await?;
        self.deliver_audit(&tenant).await;
        tracing::info!(tenant = %tenant.id, provider = %provider.id, "provider created");
        Ok(IssuedSecret { provider, secret })
    }

    /// Returns a tenant's providers.
    pub async fn list_providers(
        &self,
        tenant: &str,
    ) -> Result<(TenantRecord, Vec<ProviderRecord>), TenantsError> {
        let tenant = self.active_tenant(tenant).await?;
        let providers = self.store.list_providers(tenant.id).await?;
        Ok((tenant, providers))
    }

    /// Returns one provider of a tenant.
    pub async fn provider(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<(TenantRecord, ProviderRecord), TenantsError> {
        let tenant = self.active_tenant(tenant).await?;
        let not_found = || TenantsError::ProviderNotFound {
            tenant: tenant.slug.to_string(),
            id: id.to_owned(),
        };
        let provider_id = ProviderId::parse(id).map_err(|_| not_found())?;
        let provider = self
            .store
            .provider(tenant.id, provider_id)
            .await?
            .ok_or_else(not_found)?;
        Ok((tenant, provider))
    }

    /// Replaces a provider's secret; the old one stops working when this returns.
    #[tracing::instrument(skip_all, fields(tenant_slug = %tenant))]
    pub async fn regenerate(&self, tenant: &str, id: &str) -> Result<IssuedSecret, TenantsError> {
        let (tenant, provider) = self.provider(tenant, id).await?;
        let (secret, digest, expires_at) = self.new_secret(provider.credential_kind);
        let audit = provider_audit("provider credentials regenerated", &provider);
        let provider = self
            .store
            .replace_provider_secret(tenant.id, provider.id, &digest, expires_at, Some(&audit))
            .await?;
        self.deliver_audit(&tenant).await;
        tracing::info!(tenant = %tenant.id, provider = %provider.id, "provider credential regenerated");
        Ok(IssuedSecret { provider, secret })
    }

    /// Enables or disables a provider.
    #[tracing::instrument(skip_all, fields(tenant_slug = %tenant, enabled))]
    pub async fn set_provider_enabled(
        &self,
        tenant: &str,
        id: &str,
        enabled: bool,
    ) -> Result<ProviderRecord, TenantsError> {
        let (tenant, provider) = self.provider(tenant, id).await?;
        let event = if enabled {
            "provider enabled"
        } else {
            "provider disabled"
        };
        let audit = provider_audit(event, &provider);
        let provider = self
            .store
            .set_provider_enabled(tenant.id, provider.id, enabled, Some(&audit))
            .await?;
        self.deliver_audit(&tenant).await;
        tracing::info!(tenant = %tenant.id, provider = %provider.id, enabled, "provider state changed");
        Ok(provider)
    }

    /// Deletes a provider that owns no users.
    #[tracing::instrument(skip_all, fields(tenant_slug = %tenant))]
    pub async fn delete_provider(&self, tenant: &str, id: &str) -> Result<(), TenantsError> {
        let (tenant, provider) = self.provider(tenant, id).await?;
        // The users live in the tenant schema and the provider in control: no transaction
        // spans both. Disabling first means no request authenticated from now on can create
        // a user for it while we count; the state is restored if the delete is refused.
        if provider.enabled {
            self.store
                .set_provider_enabled(tenant.id, provider.id, false, None)
                .await?;
        }
        let counted = async {
            let mut tx = self.store.begin(&tenant.id).await?;
            tx.count_users_of_provider(provider.id).await
        }
        .await;
        let users = match counted {
            Ok(users) => users,
            Err(err) => {
                self.restore_enabled(&tenant, &provider).await;
                return Err(err.into());
            }
        };
        if users > 0 {
            self.restore_enabled(&tenant, &provider).await;
            return Err(TenantsError::ProviderOwnsUsers { users });
        }
        let audit = provider_audit("provider deleted", &provider);
        self.store
            .delete_provider(tenant.id, provider.id, Some(&audit))
            .await?;
        self.deliver_audit(&tenant).await;
        tracing::info!(tenant = %tenant.id, provider = %provider.id, "provider deleted");
        Ok(())
    }

    /// Authenticates a credential for a tenant and issues an access token.
    ///
    /// Every failure before the credential is known to be right answers the same
    /// `Unauthenticated`, so a caller learns nothing about which tenants or
    /// usernames exist; a suspended tenant is told only to a valid credential.
    pub async fn authenticate(
        &self,
        selector: &TenantSelector,
        credential: &PresentedCredential,
    ) -> Result<Authenticated, TenantsError> {
        let tenant = match selector {
            TenantSelector::Slug(slug) => self.store.tenant_by_slug(slug).await?,
            TenantSelector::Host(host) => {
                self.store
                    .tenant_by_host(&host.to_ascii_lowercase())
                    .await?
            }
        };
        let Some(tenant) = tenant.filter(|t| t.state != TenantState::Provisioning) else {
            // Spend the same digest work as a real check.
            let _ = self.authority.secret_digest("roster-timing-equaliser");
            return Err(TenantsError::Unauthenticated);
        };
        let provider = match credential {
            PresentedCredential::Basic { username, password } => {
                let digest = self.authority.secret_digest(password);
                self.store
                    .provider_by_username(tenant.id, username)
                    .await?
                    .filter(|p| p.credential_kind == CredentialKind::Basic)
                    .filter(|p| bool::from(p.secret_digest.ct_eq(&digest)))
            }
            PresentedCredential::Bearer(token) => {
                let digest = self.authority.secret_digest(token);
                self.store
                    .provider_by_digest(tenant.id, &digest)
                    .await?
                    .filter(|p| p.credential_kind == CredentialKind::Bearer)
                    .filter(|p| bool::from(p.secret_digest.ct_eq(&digest)))
            }
        };
        let now = OffsetDateTime::now_utc();
        let provider = provider
            .filter(|p| p.enabled)
            .filter(|p| p.expires_at.is_none_or(|at| at > now))
            .ok_or(TenantsError::Unauthenticated)?;
        if tenant.state == TenantState::Suspended {
            return Err(TenantsError::Suspended);
        }
        let expires_at = now + ACCESS_TOKEN_TTL;
        let access_token = self
            .authority
            .issue_tenant_token(tenant.id, provider.id, expires_at);
        Ok(Authenticated {
            tenant,
            provider,
            access_token,
            expires_at,
        })
    }

    /// Re-enables a provider that was enabled before a refused delete.
    async fn restore_enabled(&self, tenant: &TenantRecord, provider: &ProviderRecord) {
        if !provider.enabled {
            return;
        }
        let restored = self
            .store
            .set_provider_enabled(tenant.id, provider.id, true, None)
            .await;
        if let Err(err) = restored {
            tracing::error!(
                provider = %provider.id,
                error = %err,
                "could not re-enable a provider after a refused delete"
            );
        }
    }
}
