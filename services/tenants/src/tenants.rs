//! The tenant registry: create (with its schema), list, show, suspend, resume.

use roster_core::{Slug, TenantId};
use roster_store::{StoreError, TenantRecord, TenantState};

use crate::{Tenants, TenantsError};

impl Tenants {
    /// Creates a tenant, creates and migrates its schema, then marks it active.
    ///
    /// A tenant left `provisioning` by a crash is finished by creating it again.
    #[tracing::instrument(skip_all, fields(tenant_slug = %slug))]
    pub async fn create_tenant(
        &self,
        slug: &str,
        hosts: &[String],
    ) -> Result<TenantRecord, TenantsError> {
        let slug = Slug::parse(slug)?;
        let hosts = normalize_hosts(hosts)?;
        let id = match self.store.tenant_by_slug(slug.as_str()).await? {
            Some(existing) if existing.state == TenantState::Provisioning => existing.id,
            Some(_) => {
                return Err(TenantsError::TenantExists {
                    slug: slug.to_string(),
                });
            }
            None => {
                let id = TenantId::generate();
                match self.store.insert_tenant(id, &slug, &hosts).await {
                    Ok(()) => id,
                    Err(StoreError::Conflict { .. }) => {
                        return Err(TenantsError::TenantExists {
                            slug: slug.to_string(),
                        });
                    }
                    Err(err) => return Err(err.into()),
                }
            }
        };
        self.store.migrate_tenant(&id).await?;
        self.store.set_tenant_state(id, TenantState::Active).await?;
        tracing::info!(tenant = %id, "tenant created");
        self.tenant(slug.as_str()).await
    }

    /// Returns every tenant, by slug.
    pub async fn list_tenants(&self) -> Result<Vec<TenantRecord>, TenantsError> {
        Ok(self.store.list_tenants().await?)
    }

    /// Returns one tenant by slug.
    pub async fn tenant(&self, slug: &str) -> Result<TenantRecord, TenantsError> {
        self.store
            .tenant_by_slug(slug)
            .await?
            .ok_or_else(|| TenantsError::TenantNotFound {
                slug: slug.to_owned(),
            })
    }

    /// Suspends or resumes a tenant.
    #[tracing::instrument(skip_all, fields(tenant_slug = %slug, suspended))]
    pub async fn set_suspended(
        &self,
        slug: &str,
        suspended: bool,
    ) -> Result<TenantRecord, TenantsError> {
        let tenant = self.tenant(slug).await?;
        if tenant.state == TenantState::Provisioning {
            return Err(TenantsError::TenantNotFound {
                slug: slug.to_owned(),
            });
        }
        let state = if suspended {
            TenantState::Suspended
        } else {
            TenantState::Active
        };
        self.store.set_tenant_state(tenant.id, state).await?;
        tracing::info!(tenant = %tenant.id, ?state, "tenant state changed");
        self.tenant(slug).await
    }
}

pub(crate) fn normalize_hosts(hosts: &[String]) -> Result<Vec<String>, TenantsError> {
    hosts
        .iter()
        .map(|host| {
            let host = host.trim().to_ascii_lowercase();
            let valid = !host.is_empty()
                && host.len() <= 253
                && host.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if valid {
                Ok(host)
            } else {
                Err(TenantsError::InvalidField {
                    field: "hosts",
                    problem: format!("{host:?} is not a valid host name"),
                })
            }
        })
        .collect()
}
