//! The PostgreSQL backend: pool, migrations, and opening tenant transactions.

use std::str::FromStr;

use roster_core::TenantId;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{AssertSqlSafe, Connection, PgPool};

use crate::StoreError;
use crate::migrate::{self, pending};
use crate::tenant::TenantTx;

/// A pool of connections whose session search path is empty (fails closed).
#[derive(Clone, Debug)]
pub(crate) struct PgBackend {
    pub(crate) pool: PgPool,
}

impl PgBackend {
    pub(crate) async fn connect(
        url: &str,
        max_connections: u32,
        acquire_timeout: std::time::Duration,
    ) -> Result<Self, StoreError> {
        let connect = PgConnectOptions::from_str(url)?
            // No schema is searched unless a transaction names one.
            .options([("search_path", "pg_catalog")])
            .application_name("roster");
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(acquire_timeout)
            .connect_with(connect)
            .await?;
        Ok(Self { pool })
    }

    /// Takes a pooled connection. Any failure here means the database cannot be
    /// reached (down, refusing connections, pool exhausted): Unavailable, whatever
    /// SQLSTATE the server sent while refusing.
    pub(crate) async fn acquire(
        &self,
    ) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>, StoreError> {
        self.pool
            .acquire()
            .await
            .map_err(|source| StoreError::Unavailable { source })
    }

    /// Begins a transaction on a pooled connection (see [`Self::acquire`]).
    pub(crate) async fn begin(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool
            .begin()
            .await
            .map_err(|source| StoreError::Unavailable { source })
    }

    /// Applies pending control-schema migrations under a database-wide advisory lock.
    pub(crate) async fn migrate_control(&self) -> Result<(), StoreError> {
        let mut conn = self.acquire().await?;
        sqlx::query("SELECT pg_advisory_lock(hashtext('roster.control.migrate'))")
            .execute(&mut *conn)
            .await?;
        let result = async {
            sqlx::query("CREATE SCHEMA IF NOT EXISTS control")
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "CREATE TABLE IF NOT EXISTS control.schema_migrations \
                 (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
            )
            .execute(&mut *conn)
            .await?;
            let applied: Option<i32> =
                sqlx::query_scalar("SELECT max(version) FROM control.schema_migrations")
                    .fetch_one(&mut *conn)
                    .await?;
            for m in pending(migrate::CONTROL_POSTGRES, applied.unwrap_or(0)) {
                let mut tx = conn.begin().await?;
                for stmt in migrate::statements(m.sql) {
                    sqlx::query(AssertSqlSafe(stmt)).execute(&mut *tx).await?;
                }
                sqlx::query("INSERT INTO control.schema_migrations (version, name) VALUES ($1, $2)")
                    .bind(m.version)
                    .bind(m.name)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                tracing::info!(migration = m.name, "applied control migration");
            }
            Ok::<_, StoreError>(())
        }
        .await;
        sqlx::query("SELECT pg_advisory_unlock(hashtext('roster.control.migrate'))")
            .execute(&mut *conn)
            .await?;
        result
    }

    /// Creates the tenant schema and applies pending migrations, each in its own
    /// transaction touching only that schema, under a per-tenant advisory lock.
    /// The version is kept in the tenant schema (so a migration and its record
    /// commit together); the caller mirrors it to `control.tenants` afterwards.
    pub(crate) async fn migrate_tenant(&self, tenant: &TenantId) -> Result<i32, StoreError> {
        let schema = tenant.schema_name();
        let mut conn = self.acquire().await?;
        let mut tx = conn.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind(&schema)
            .execute(&mut *tx)
            .await?;
        // The schema name comes only from the TenantId: `tenant_` and 32 hex digits.
        sqlx::query(AssertSqlSafe(format!(
            "CREATE SCHEMA IF NOT EXISTS {schema}"
        )))
        .execute(&mut *tx)
        .await?;
        set_local_search_path(&mut tx, &schema).await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations \
             (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .execute(&mut *tx)
        .await?;
        let applied: Option<i32> = sqlx::query_scalar("SELECT max(version) FROM schema_migrations")
            .fetch_one(&mut *tx)
            .await?;
        let mut version = applied.unwrap_or(0);
        for m in pending(migrate::TENANT_POSTGRES, version) {
            for stmt in migrate::statements(m.sql) {
                sqlx::query(AssertSqlSafe(stmt)).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
                .bind(m.version)
                .bind(m.name)
                .execute(&mut *tx)
                .await?;
            version = m.version;
        }
        tx.commit().await?;
        Ok(version)
    }

    pub(crate) async fn begin_tenant(&self, tenant: &TenantId) -> Result<TenantTx, StoreError> {
        let mut tx = self.begin().await?;
        set_local_search_path(&mut tx, &tenant.schema_name()).await?;
        Ok(TenantTx::new(*tenant, crate::tenant::Inner::Postgres(tx)))
    }

    /// Begins a read-only REPEATABLE READ transaction on the tenant's schema:
    /// every statement in it sees the same snapshot.
    pub(crate) async fn begin_tenant_snapshot(
        &self,
        tenant: &TenantId,
    ) -> Result<TenantTx, StoreError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(|source| StoreError::Unavailable { source })?;
        set_local_search_path(&mut tx, &tenant.schema_name()).await?;
        Ok(TenantTx::new(*tenant, crate::tenant::Inner::Postgres(tx)))
    }

    /// Drops the tenant's schema and everything in it, if it exists.
    pub(crate) async fn drop_tenant_schema(&self, tenant: &TenantId) -> Result<(), StoreError> {
        let mut conn = self.acquire().await?;
        // The schema name comes only from the TenantId: `tenant_` and 32 hex digits.
        sqlx::query(AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            tenant.schema_name()
        )))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

async fn set_local_search_path(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    schema: &str,
) -> Result<(), StoreError> {
    sqlx::query("SELECT set_config('search_path', $1, true)")
        .bind(schema)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
