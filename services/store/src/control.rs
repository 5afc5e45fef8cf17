//! Control-plane data: tenants, host names and providers. Every statement
//! names the `control` schema (on SQLite, the attached control database);
//! none touches a tenant's data.

use std::collections::HashMap;

use roster_core::{ProviderId, Slug, TenantId};
use time::OffsetDateTime;

use crate::records::{CredentialKind, NewProvider, ProviderRecord, TenantRecord, TenantState};
use crate::{AuditEntry, Backend, Store, StoreError};

/// Runs `$body` with `$conn` bound to a control connection (for reads). The
/// body is compiled once per backend.
macro_rules! on_control {
    ($store:expr, $conn:ident => $body:expr) => {
        match &$store.backend {
            Backend::Postgres(pg) => {
                let mut pooled = pg.acquire().await?;
                let $conn = &mut *pooled;
                $body
            }
            Backend::Sqlite(lite) => {
                let mut pooled = lite.acquire_control().await?;
                let $conn = &mut *pooled;
                $body
            }
        }
    };
}

/// Runs `$body` in a control write transaction (`$tx`) and commits it when the
/// body succeeds. On SQLite the transaction holds the write lock from its start.
macro_rules! in_control_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.backend {
            Backend::Postgres(pg) => {
                let mut $tx = pg.begin().await?;
                let out = $body?;
                $tx.commit().await?;
                out
            }
            Backend::Sqlite(lite) => {
                let mut $tx = lite.begin_control().await?;
                let out = $body?;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// Adds `$audit` (an `Option<&AuditEntry>`) to the audit outbox of `$tenant` inside the
/// control transaction `$tx`, so the entry commits with the change it records.
macro_rules! outbox_insert {
    ($tx:ident, $tenant:expr, $audit:expr) => {
        if let Some(entry) = $audit {
            sqlx::query(outbox::OUTBOX_INSERT)
                .bind(entry.id)
                .bind($tenant.as_uuid())
                .bind(sqlx::types::Json(entry))
                .execute(&mut *$tx)
                .await?;
        }
    };
}

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: uuid::Uuid,
    slug: String,
    state: String,
    schema_version: i32,
    created_at: OffsetDateTime,
}

impl TenantRow {
    fn into_record(self, hosts: Vec<String>) -> Result<TenantRecord, StoreError> {
        let row = self;
        Ok(TenantRecord {
            id: TenantId::from_uuid(row.id),
            slug: Slug::parse(&row.slug).map_err(StoreError::internal)?,
            state: TenantState::parse(&row.state).ok_or_else(|| {
                StoreError::internal(format!("unknown tenant state {}", row.state))
            })?,
            schema_version: row.schema_version,
            created_at: row.created_at,
            hosts,
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

const TENANT_COLUMNS: &str =
    "SELECT t.id, t.slug, t.state, t.schema_version, t.created_at FROM control.tenants t";

const PROVIDER_COLUMNS: &str = "SELECT id, tenant_id, name, credential_kind, username, secret_digest, \
     enabled, expires_at, credential_issued_at, created_at FROM control.providers";

const PROVIDER_RETURNING: &str = "RETURNING id, tenant_id, name, credential_kind, username, \
     secret_digest, enabled, expires_at, credential_issued_at, created_at";

impl Store {
    /// Inserts a tenant in state `provisioning` with its host names.
    /// Conflict when the slug or a host name is taken.
    pub async fn insert_tenant(
        &self,
        id: TenantId,
        slug: &Slug,
        hosts: &[String],
    ) -> Result<(), StoreError> {
        in_control_tx!(self, tx => async {
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
            Ok::<_, sqlx::Error>(())
        }
        .await);
        Ok(())
    }

    /// Sets a tenant's state; NotFound when there is no such tenant.
    pub async fn set_tenant_state(
        &self,
        id: TenantId,
        state: TenantState,
    ) -> Result<(), StoreError> {
        let changed = in_control_tx!(self, tx => {
            sqlx::query("UPDATE control.tenants SET state = $2 WHERE id = $1")
                .bind(id.as_uuid())
                .bind(state.as_str())
                .execute(&mut *tx)
                .await
                .map(|done| done.rows_affected())
        });
        if changed == 0 {
            return Err(StoreError::NotFound { kind: "tenant" });
        }
        Ok(())
    }

    /// Records the tenant-schema version a migration run reached.
    pub(crate) async fn record_schema_version(
        &self,
        id: &TenantId,
        version: i32,
    ) -> Result<(), StoreError> {
        in_control_tx!(self, tx => {
            sqlx::query("UPDATE control.tenants SET schema_version = $2 WHERE id = $1")
                .bind(id.as_uuid())
                .bind(version)
                .execute(&mut *tx)
                .await
                .map(|_| ())
        });
        Ok(())
    }

    /// Returns the tenant with this slug, if any.
    pub async fn tenant_by_slug(&self, slug: &str) -> Result<Option<TenantRecord>, StoreError> {
        let sql = format!("{TENANT_COLUMNS} WHERE t.slug = $1");
        let row = on_control!(self, conn => {
            sqlx::query_as::<_, TenantRow>(sqlx::AssertSqlSafe(sql))
                .bind(slug)
                .fetch_optional(&mut *conn)
                .await
        })?;
        self.with_hosts(row).await
    }

    /// Returns the tenant a host name resolves to, if any.
    pub async fn tenant_by_host(&self, host: &str) -> Result<Option<TenantRecord>, StoreError> {
        let sql = format!(
            "{TENANT_COLUMNS} WHERE t.id = (SELECT tenant_id FROM control.tenant_hosts WHERE host = $1)"
        );
        let row = on_control!(self, conn => {
            sqlx::query_as::<_, TenantRow>(sqlx::AssertSqlSafe(sql))
                .bind(host)
                .fetch_optional(&mut *conn)
                .await
        })?;
        self.with_hosts(row).await
    }

    async fn with_hosts(&self, row: Option<TenantRow>) -> Result<Option<TenantRecord>, StoreError> {
        let Some(row) = row else {
            return Ok(None);
        };
        let hosts = on_control!(self, conn => {
            sqlx::query_scalar(
                "SELECT host FROM control.tenant_hosts WHERE tenant_id = $1 ORDER BY host",
            )
            .bind(row.id)
            .fetch_all(&mut *conn)
            .await
        })?;
        row.into_record(hosts).map(Some)
    }

    /// Returns every tenant, ordered by slug.
    pub async fn list_tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        self.tenants_where("").await
    }

    /// Returns the tenants whose data is behind this build's migrations or was
    /// left half-created by a crash: the ones startup must finish.
    pub async fn tenants_needing_migration(&self) -> Result<Vec<TenantRecord>, StoreError> {
        self.tenants_where(&format!(
            " WHERE t.schema_version < {} OR t.state = 'provisioning'",
            crate::TENANT_SCHEMA_VERSION
        ))
        .await
    }

    /// Tenants matching `filter` (a constant WHERE clause, no user text), by slug, with hosts.
    async fn tenants_where(&self, filter: &str) -> Result<Vec<TenantRecord>, StoreError> {
        let sql = format!("{TENANT_COLUMNS}{filter} ORDER BY t.slug");
        let (rows, hosts) = on_control!(self, conn => {
            let rows = sqlx::query_as::<_, TenantRow>(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut *conn)
                .await?;
            let hosts: Vec<(uuid::Uuid, String)> = sqlx::query_as(
                "SELECT tenant_id, host FROM control.tenant_hosts ORDER BY host",
            )
            .fetch_all(&mut *conn)
            .await?;
            Ok::<_, sqlx::Error>((rows, hosts))
        })?;
        let mut by_tenant: HashMap<uuid::Uuid, Vec<String>> = HashMap::new();
        for (tenant, host) in hosts {
            by_tenant.entry(tenant).or_default().push(host);
        }
        rows.into_iter()
            .map(|row| {
                let hosts = by_tenant.remove(&row.id).unwrap_or_default();
                row.into_record(hosts)
            })
            .collect()
    }

    /// Inserts a provider, and `audit` into the audit outbox in the same transaction.
    /// Conflict when its username or digest collides.
    pub async fn insert_provider(
        &self,
        p: &NewProvider,
        audit: Option<&AuditEntry>,
    ) -> Result<ProviderRecord, StoreError> {
        let sql = format!(
            "INSERT INTO control.providers (id, tenant_id, name, credential_kind, username, secret_digest, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) {PROVIDER_RETURNING}"
        );
        let row = in_control_tx!(self, tx => async {
            let row = sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
                .bind(p.id.as_uuid())
                .bind(p.tenant_id.as_uuid())
                .bind(&p.name)
                .bind(p.credential_kind.as_str())
                .bind(&p.username)
                .bind(&p.secret_digest)
                .bind(p.expires_at)
                .fetch_one(&mut *tx)
                .await?;
            outbox_insert!(tx, p.tenant_id, audit);
            Ok::<_, sqlx::Error>(row)
        }
        .await);
        row.try_into()
    }

    /// Returns a tenant's providers, oldest first.
    pub async fn list_providers(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<ProviderRecord>, StoreError> {
        let sql = format!("{PROVIDER_COLUMNS} WHERE tenant_id = $1 ORDER BY created_at, id");
        let rows = on_control!(self, conn => {
            sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
                .bind(tenant.as_uuid())
                .fetch_all(&mut *conn)
                .await
        })?;
        rows.into_iter().map(ProviderRecord::try_from).collect()
    }

    /// Returns one of a tenant's providers.
    pub async fn provider(
        &self,
        tenant: TenantId,
        id: ProviderId,
    ) -> Result<Option<ProviderRecord>, StoreError> {
        let sql = format!("{PROVIDER_COLUMNS} WHERE tenant_id = $1 AND id = $2");
        let row = on_control!(self, conn => {
            sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *conn)
                .await
        })?;
        row.map(ProviderRecord::try_from).transpose()
    }

    /// Returns the provider of a tenant with this username.
    pub async fn provider_by_username(
        &self,
        tenant: TenantId,
        username: &str,
    ) -> Result<Option<ProviderRecord>, StoreError> {
        let sql = format!("{PROVIDER_COLUMNS} WHERE tenant_id = $1 AND username = $2");
        let row = on_control!(self, conn => {
            sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
                .bind(tenant.as_uuid())
                .bind(username)
                .fetch_optional(&mut *conn)
                .await
        })?;
        row.map(ProviderRecord::try_from).transpose()
    }

    /// Returns the provider of a tenant whose secret has this digest.
    pub async fn provider_by_digest(
        &self,
        tenant: TenantId,
        digest: &[u8],
    ) -> Result<Option<ProviderRecord>, StoreError> {
        let sql = format!("{PROVIDER_COLUMNS} WHERE tenant_id = $1 AND secret_digest = $2");
        let row = on_control!(self, conn => {
            sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
                .bind(tenant.as_uuid())
                .bind(digest)
                .fetch_optional(&mut *conn)
                .await
        })?;
        row.map(ProviderRecord::try_from).transpose()
    }

    /// Replaces a provider's secret digest and expiry; the old digest stops matching at commit.
    /// `audit` goes to the audit outbox in the same transaction.
    pub async fn replace_provider_secret(
        &self,
        tenant: TenantId,
        id: ProviderId,
        digest: &[u8],
        expires_at: Option<OffsetDateTime>,
        audit: Option<&AuditEntry>,
    ) -> Result<ProviderRecord, StoreError> {
        let sql = format!(
            "UPDATE control.providers SET secret_digest = $3, expires_at = $4, credential_issued_at = {now} \
             WHERE tenant_id = $1 AND id = $2 {PROVIDER_RETURNING}",
            now = self.dialect().now()
        );
        let row = in_control_tx!(self, tx => async {
            let row = sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .bind(digest)
                .bind(expires_at)
                .fetch_optional(&mut *tx)
                .await?;
            if row.is_some() {
                outbox_insert!(tx, tenant, audit);
            }
            Ok::<_, sqlx::Error>(row)
        }
        .await);
        row.ok_or(StoreError::NotFound { kind: "provider" })?
            .try_into()
    }

    /// Enables or disables a provider; `audit` goes to the audit outbox in the same transaction.
    pub async fn set_provider_enabled(
        &self,
        tenant: TenantId,
        id: ProviderId,
        enabled: bool,
        audit: Option<&AuditEntry>,
    ) -> Result<ProviderRecord, StoreError> {
        let sql = format!(
            "UPDATE control.providers SET enabled = $3 WHERE tenant_id = $1 AND id = $2 {PROVIDER_RETURNING}"
        );
        let row = in_control_tx!(self, tx => async {
            let row = sqlx::query_as::<_, ProviderRow>(sqlx::AssertSqlSafe(sql))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .bind(enabled)
                .fetch_optional(&mut *tx)
                .await?;
            if row.is_some() {
                outbox_insert!(tx, tenant, audit);
            }
            Ok::<_, sqlx::Error>(row)
        }
        .await);
        row.ok_or(StoreError::NotFound { kind: "provider" })?
            .try_into()
    }

    /// Deletes a provider's control record; `audit` goes to the audit outbox in the same
    /// transaction.
    pub async fn delete_provider(
        &self,
        tenant: TenantId,
        id: ProviderId,
        audit: Option<&AuditEntry>,
    ) -> Result<(), StoreError> {
        let deleted = in_control_tx!(self, tx => async {
            let deleted = sqlx::query("DELETE FROM control.providers WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted > 0 {
                outbox_insert!(tx, tenant, audit);
            }
            Ok::<_, sqlx::Error>(deleted)
        }
        .await);
        if deleted == 0 {
            return Err(StoreError::NotFound { kind: "provider" });
        }
        Ok(())
    }

    fn dialect(&self) -> crate::Dialect {
        match self.backend {
            Backend::Postgres(_) => crate::Dialect::Postgres,
            Backend::Sqlite(_) => crate::Dialect::Sqlite,
        }
    }
}

pub(crate) mod jobs;
mod outbox;
mod transfer;
