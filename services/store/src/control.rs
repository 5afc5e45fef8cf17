//! Control-plane data: tenants, host names and providers. Every statement
//! names the `control` schema; none touches a tenant schema.

use roster_core::{ProviderId, Slug, TenantId};
use time::OffsetDateTime;

use crate::pg::PgBackend;
use crate::records::{CredentialKind, NewProvider, ProviderRecord, TenantRecord, TenantState};
use crate::{Backend, Store, StoreError};

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: uuid::Uuid,
    slug: String,
    state: String,
    schema_version: i32,
    created_at: OffsetDateTime,
    hosts: Vec<String>,
}

impl TryFrom<TenantRow> for TenantRecord {
    type Error = StoreError;
    fn try_from(row: TenantRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: TenantId::from_uuid(row.id),
            slug: Slug::parse(&row.slug).map_err(StoreError::internal)?,
            state: TenantState::parse(&row.state).ok_or_else(|| {
                StoreError::internal(format!("unknown tenant state {}", row.state))
            })?,
            schema_version: row.schema_version,
            created_at: row.created_at,
            hosts: row.hosts,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ProviderRow {
    id: uuid::Uuid,
    tenant_id: uuid::Uuid,
    name: String,
    credential_kind: String,
    username: String,
    secret_digest: Vec<u8>,
    enabled: bool,
    expires_at: Option<OffsetDateTime>,
    credential_issued_at: OffsetDateTime,
    created_at: OffsetDateTime,
}

impl TryFrom<ProviderRow> for ProviderRecord {
    type Error = StoreError;
    fn try_from(row: ProviderRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: ProviderId::from_uuid(row.id),
            tenant_id: TenantId::from_uuid(row.tenant_id),
            name: row.name,
            credential_kind: CredentialKind::parse(&row.credential_kind).ok_or_else(|| {
                StoreError::internal(format!("unknown credential kind {}", row.credential_kind))
            })?,
            username: row.username,
            secret_digest: row.secret_digest,
            enabled: row.enabled,
            expires_at: row.expires_at,
            credential_issued_at: row.credential_issued_at,
            created_at: row.created_at,
        })
    }
}

const TENANT_COLUMNS: &str = "SELECT t.id, t.slug, t.state, t.schema_version, t.created_at, \
     COALESCE((SELECT array_agg(h.host ORDER BY h.host) FROM control.tenant_hosts h WHERE h.tenant_id = t.id), '{}') AS hosts \
     FROM control.tenants t";

const PROVIDER_COLUMNS: &str = "SELECT id, tenant_id, name, credential_kind, username, secret_digest, \
     enabled, expires_at, credential_issued_at, created_at FROM control.providers";

impl Store {
    fn pg(&self) -> &PgBackend {
        match &self.backend {
            Backend::Postgres(pg) => pg,
        }
    }

    /// Inserts a tenant in state `provisioning` with its host names.
    /// Conflict when the slug or a host name is taken.
    pub async fn insert_tenant(
        &self,
        id: TenantId,
        slug: &Slug,
        hosts: &[String],
    ) -> Result<(), StoreError> {
        let mut tx = self.pg().begin().await?;
        sqlx::query(
            "INSERT INTO control.tenants (id, slug, state) VALUES ($1, $2, 'provisioning')",
        )
        .bind(id.as_uuid())
        .bind(slug.as_str())
        .execute(&mut *tx)
        .await?;
        for host in hosts {
            sqlx::query("INSERT INTO control.tenant_hosts (host, tenant_id) VALUES ($1, $2)")
                .bind(host)
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets a tenant's state; NotFound when there is no such tenant.
    pub async fn set_tenant_state(
        &self,
        id: TenantId,
        state: TenantState,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE control.tenants SET state = $2 WHERE id = $1")
            .bind(id.as_uuid())
            .bind(state.as_str())
            .execute(&mut *self.pg().acquire().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { kind: "tenant" });
        }
        Ok(())
    }

    /// Returns the tenant with this slug, if any.
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<TenantRecord>, StoreError> {
        let sql = format!("{TENANT_COLUMNS} WHERE t.slug = $1");
        let row = sqlx::query_as::<_, TenantRow>(sqlx::AssertSqlSafe(sql))
            .bind(slug)
            .fetch_optional(&mut *self.pg().acquire().await?)
            .await?;
        row.map(TenantRecord::try_from).transpose()
    }

    /// Returns the tenant a host name resolves to, if any.
    pub async fn tenant_by_host(&self, host: &str) -> Result<Option<TenantRecord>, StoreError> {
        let sql = format!(
            "{TENANT_COLUMNS} WHERE t.id = (SELECT tenant_id FROM control.tenant_hosts WHERE host = $1)"
        );
        let row = sqlx::query_as::<_, TenantRow>(sqlx::AssertSqlSafe(sql))
            .bind(host)
            .fetch_optional(&mut *self.pg().acquire().await?)
            .await?;
        row.map(TenantRecord::try_from).transpose()
    }

    /// Returns every tenant, ordered by slug.
    pub async fn list_tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        let sql = format!("{TENANT_COLUMNS} ORDER BY t.slug");
        let rows = sqlx::query_as::<_, TenantRow>(sqlx::AssertSqlSafe(sql))
            .fetch_all(&mut *self.pg().acquire().await?)
            .await?;
        rows.into_iter().map(TenantRecord::try_from).collect()
    }

    /// Inserts a provider. Conflict when its username or digest collides.
    pub async fn insert_provider(&self, p: &NewProvider) -> Result<ProviderRecord, StoreError> {
        let row = sqlx::query_as::<_, ProviderRow>(
            "INSERT INTO control.providers (id, tenant_id, name, credential_kind, username, secret_digest, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING id, tenant_id, name, credential_kind, username, secret_digest, enabled, expires_at, credential_issued_at, created_at",
        )
        .bind(p.id.as_uuid())
        .bind(p.tenant_id.as_uuid())
        .bind(&p.name)
        .bind(p.credential_kind.as_str())
        .bind(&p.username)
        .bind(&p.secret_digest)
        .bind(p.expires_at)
        .fetch_one(&mut *self.pg().acquire().await?)
        .await?;
        row.try_into()
    }

    /// Returns a tenant's providers, oldest first.
    pub async fn list_providers(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<ProviderRecord>, StoreError> {
        let sql = format!("{PROVIDER_COLUMNS} WHERE tenant_id = $1 ORDER BY created_at, id");
        let rows = sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_uuid())
            .fetch_all(&mut *self.pg().acquire().await?)
            .await?;
        rows.into_iter().map(ProviderRecord::try_from).collect()
    }

    /// Returns one of a tenant's providers.
    pub async fn provider(
        &self,
        tenant: TenantId,
        id: ProviderId,
    ) -> Result<Option<ProviderRecord>, StoreError> {
        let sql = format!("{PROVIDER_COLUMNS} WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.pg().acquire().await?)
            .await?;
        row.map(ProviderRecord::try_from).transpose()
    }

    /// Returns the provider of a tenant with this username.
    pub async fn provider_by_username(
        &self,
        tenant: TenantId,
        username: &str,
    ) -> Result<Option<ProviderRecord>, StoreError> {
        let sql = format!("{PROVIDER_COLUMNS} WHERE tenant_id = $1 AND username = $2");
        let row = sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_uuid())
            .bind(username)
            .fetch_optional(&mut *self.pg().acquire().await?)
            .await?;
        row.map(ProviderRecord::try_from).transpose()
    }

    /// Returns the provider of a tenant whose secret has this digest.
    pub async fn provider_by_digest(
        &self,
        tenant: TenantId,
        digest: &[u8],
    ) -> Result<Option<ProviderRecord>, StoreError> {
        let sql = format!("{PROVIDER_COLUMNS} WHERE tenant_id = $1 AND secret_digest = $2");
        let row = sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
            .bind(tenant.as_uuid())
            .bind(digest)
            .fetch_optional(&mut *self.pg().acquire().await?)
            .await?;
        row.map(ProviderRecord::try_from).transpose()
    }

    /// Replaces a provider's secret digest and expiry; the old digest stops matching at commit.
    pub async fn replace_provider_secret(
        &self,
        tenant: TenantId,
        id: ProviderId,
        digest: &[u8],
        expires_at: Option<OffsetDateTime>,
    ) -> Result<ProviderRecord, StoreError> {
        let row = sqlx::query_as::<_, ProviderRow>(
            "UPDATE control.providers SET secret_digest = $3, expires_at = $4, credential_issued_at = now() \
             WHERE tenant_id = $1 AND id = $2 \
             RETURNING id, tenant_id, name, credential_kind, username, secret_digest, enabled, expires_at, credential_issued_at, created_at",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(digest)
        .bind(expires_at)
        .fetch_optional(&mut *self.pg().acquire().await?)
        .await?;
        row.ok_or(StoreError::NotFound { kind: "provider" })?
            .try_into()
    }

    /// Enables or disables a provider.
    pub async fn set_provider_enabled(
        &self,
        tenant: TenantId,
        id: ProviderId,
        enabled: bool,
    ) -> Result<ProviderRecord, StoreError> {
        let row = sqlx::query_as::<_, ProviderRow>(
            "UPDATE control.providers SET enabled = $3 WHERE tenant_id = $1 AND id = $2 \
             RETURNING id, tenant_id, name, credential_kind, username, secret_digest, enabled, expires_at, credential_issued_at, created_at",
        )
        .bind(tenant.as_uuid())
        .bind(id.as_uuid())
        .bind(enabled)
        .fetch_optional(&mut *self.pg().acquire().await?)
        .await?;
        row.ok_or(StoreError::NotFound { kind: "provider" })?
            .try_into()
    }

    /// Deletes a provider's control record.
    pub async fn delete_provider(
        &self,
        tenant: TenantId,
        id: ProviderId,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM control.providers WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_uuid())
            .bind(id.as_uuid())
            .execute(&mut *self.pg().acquire().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { kind: "provider" });
        }
        Ok(())
    }
}
