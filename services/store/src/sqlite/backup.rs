//! Online copies of the embedded databases for `roster backup`, snapshot
//! reads for `roster export`, and removing an abandoned tenant's files.
//!
//! Copies are made with `VACUUM INTO`, which writes a consistent, compact copy
//! from one read transaction. Each copy runs on a connection of its own, so
//! under WAL the server keeps reading and writing while it runs.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use roster_core::TenantId;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Connection, SqliteConnection};

use super::SqliteBackend;
use crate::StoreError;
use crate::tenant::{Inner, TenantTx};
use crate::transfer::EmbeddedSnapshot;

impl SqliteBackend {
    /// Begins a deferred (read) transaction on a connection of its own: it
    /// sees one WAL snapshot, taken before this returns, and blocks no writer.
    pub(crate) async fn begin_tenant_snapshot(
        &self,
        tenant: &TenantId,
    ) -> Result<TenantTx, StoreError> {
        // A one-connection pool that lives as long as the transaction, so the
        // tenant's shared connection stays free for SCIM writes meanwhile.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .acquire_timeout(self.inner.busy_timeout)
            .connect_lazy_with(self.tenant_options(tenant));
        let mut tx = pool.begin_with("BEGIN").await?;
        // A deferred transaction takes its snapshot at its first read: read now,
        // so the snapshot is fixed when this returns, as on PostgreSQL.
        sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&mut *tx)
            .await?;
        Ok(TenantTx::new(*tenant, Inner::Sqlite(tx)))
    }

    /// Copies `control.db` and every tenant database into a new directory
    /// under the data directory (see [`crate::Store::snapshot_embedded`]).
    pub(crate) async fn snapshot(&self) -> Result<EmbeddedSnapshot, StoreError> {
        let tenants_dir = &self.inner.tenants_dir;
        let data_dir = tenants_dir
            .parent()
            .ok_or_else(|| StoreError::internal("the tenants directory has no parent"))?
            .to_owned();
        let dir = data_dir.join(format!("backup-{}.tmp", uuid::Uuid::new_v4().simple()));
        create_private_dir(&dir)?;
        // From here on, dropping `snapshot` removes the directory, whatever fails.
        let mut snapshot = EmbeddedSnapshot {
            control: dir.join("control.db"),
            dir,
            data_dir,
            tenants: Vec::new(),
            tenants_listed: 0,
        };
        create_private_dir(&snapshot.dir.join("tenants"))?;

        let mut copied = HashSet::new();
        for tenant in self.live_tenant_ids().await? {
            if let Some(path) = self.copy_tenant(&tenant, &snapshot.dir).await? {
                snapshot.tenants.push((tenant, path));
            }
            copied.insert(tenant);
        }
        {
            let mut conn = self.acquire_control().await?;
            sqlx::query("VACUUM control INTO $1")
                .bind(utf8(&snapshot.control)?)
                .execute(&mut *conn)
                .await?;
        }
        // Tenants created while the tenant files were being copied are in the
        // control copy: copy their files too, so every listed tenant has one.
        let listed = tenant_ids_in_copy(&snapshot.control).await?;
        for tenant in &listed {
            if copied.insert(*tenant)
                && let Some(path) = self.copy_tenant(tenant, &snapshot.dir).await?
            {
                snapshot.tenants.push((*tenant, path));
            }
        }
        let listed: HashSet<TenantId> = listed.into_iter().collect();
        snapshot
            .tenants
            .retain(|(tenant, _)| listed.contains(tenant));
        snapshot.tenants_listed = listed.len();
        Ok(snapshot)
    }

    /// Closes the tenant's connections and deletes its database files.
    pub(crate) async fn drop_tenant_files(&self, tenant: &TenantId) -> Result<(), StoreError> {
        let pool = self.inner.open.lock().await.pools.remove(tenant);
        if let Some((pool, _)) = pool {
            pool.close().await;
        }
        let base = self.tenant_file(tenant);
        for suffix in ["", "-wal", "-shm"] {
            let mut name = base.clone().into_os_string();
            name.push(suffix);
            let path = PathBuf::from(name);
            match tokio::fs::remove_file(&path).await {
                Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                    return Err(StoreError::DataDir { path, source: err });
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn tenant_file(&self, tenant: &TenantId) -> PathBuf {
        self.inner
            .tenants_dir
            .join(format!("{}.db", tenant.schema_name()))
    }

    async fn live_tenant_ids(&self) -> Result<Vec<TenantId>, StoreError> {
        let mut conn = self.acquire_control().await?;
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM control.tenants ORDER BY id")
            .fetch_all(&mut *conn)
            .await?;
        Ok(ids.into_iter().map(TenantId::from_uuid).collect())
    }

    /// Copies one tenant's database into `dir/tenants/`; None when it has no
    /// database file yet (created, not yet migrated).
    async fn copy_tenant(
        &self,
        tenant: &TenantId,
        dir: &Path,
    ) -> Result<Option<PathBuf>, StoreError> {
        let live = self.tenant_file(tenant);
        let exists = tokio::fs::try_exists(&live)
            .await
            .map_err(|source| StoreError::DataDir {
                path: live.clone(),
                source,
            })?;
        if !exists {
            return Ok(None);
        }
        let copy = dir
            .join("tenants")
            .join(format!("{}.db", tenant.schema_name()));
        let mut conn = SqliteConnection::connect_with(&self.tenant_options(tenant))
            .await
            .map_err(|source| StoreError::Unavailable { source })?;
        let copied = sqlx::query("VACUUM INTO $1")
            .bind(utf8(&copy)?)
            .execute(&mut conn)
            .await;
        conn.close().await?;
        copied?;
        Ok(Some(copy))
    }
}

/// Reads the tenant ids from a copy of `control.db` (its tables are in `main`
/// there), and leaves the copy a single self-contained file.
async fn tenant_ids_in_copy(copy: &Path) -> Result<Vec<TenantId>, StoreError> {
    let options = SqliteConnectOptions::new().filename(copy);
    let mut conn = SqliteConnection::connect_with(&options)
        .await
        .map_err(|source| StoreError::Unavailable { source })?;
    let read = async {
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar("SELECT id FROM tenants ORDER BY id")
            .fetch_all(&mut conn)
            .await?;
        // A copy keeps its source's WAL mode; a rollback-journal file needs no
        // `-wal`/`-shm` companions in the archive. Restored, it is WAL again.
        sqlx::query("PRAGMA journal_mode = DELETE")
            .execute(&mut conn)
            .await?;
        Ok::<_, StoreError>(ids)
    }
    .await;
    conn.close().await?;
    Ok(read?.into_iter().map(TenantId::from_uuid).collect())
}

fn create_private_dir(path: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path).map_err(|source| StoreError::DataDir {
        path: path.to_owned(),
        source,
    })
}

fn utf8(path: &Path) -> Result<&str, StoreError> {
    path.to_str().ok_or_else(|| StoreError::DataDir {
        path: path.to_owned(),
        source: std::io::Error::other("the path is not valid UTF-8"),
    })
}
