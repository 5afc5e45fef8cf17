//! The embedded backend: SQLite files under the data directory.
//!
//! - `control.db` holds what PostgreSQL keeps in the `control` schema. Every
//!   control connection opens a private in-memory main database and attaches
//!   `control.db` under the name `control`, so control SQL reads `control.x`
//!   on both backends.
//! - `tenants/tenant_<hex>.db` holds one tenant's data, the counterpart of a
//!   schema. Tenant databases are opened lazily, one connection each, and at
//!   most `max_open_tenants` stay open: the least recently used is closed.
//! - Every database runs in WAL mode with `synchronous = FULL`, so a committed
//!   transaction survives `kill -9` and power loss; writes begin with
//!   `BEGIN IMMEDIATE` and wait up to the busy timeout for the write lock.
//! - `roster.lock` carries an OS file lock held for the process's life: one
//!   process owns the directory, and the kernel releases the lock however the
//!   process ends, so a restart after `kill -9` just works.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use roster_core::TenantId;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Connection, Sqlite, SqliteConnection, Transaction};
use tokio::sync::Mutex;

use crate::StoreError;
use crate::migrate::{self, Migration, pending};
use crate::tenant::{Inner, TenantTx};

/// How long an unused tenant connection stays open before its thread and files are released.
const TENANT_IDLE: Duration = Duration::from_secs(300);

/// Control connections: reads run concurrently under WAL, writes queue for the lock.
const CONTROL_CONNECTIONS: u32 = 4;

#[derive(Clone, Debug)]
pub(crate) struct SqliteBackend {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    control: SqlitePool,
    tenants_dir: PathBuf,
    busy_timeout: Duration,
    max_open_tenants: usize,
    open: Mutex<OpenTenants>,
    /// Serialises tenant migrations: turning a new file to WAL needs an exclusive
    /// lock that SQLite's busy timeout does not wait for. One process owns the
    /// directory, so an in-process lock is enough.
    migrations: Mutex<()>,
    /// Held, never read: dropping it (with the process) releases the directory.
    _lock: File,
}

/// The tenant databases currently open, with a use counter for LRU eviction.
#[derive(Debug, Default)]
struct OpenTenants {
    pools: HashMap<TenantId, (SqlitePool, u64)>,
    uses: u64,
}

impl SqliteBackend {
    /// Locks the data directory, opens `control.db` (creating it) and migrates it.
    pub(crate) async fn open(
        data_dir: &Path,
        max_open_tenants: usize,
        busy_timeout: Duration,
    ) -> Result<Self, StoreError> {
        let lock = lock_data_dir(data_dir)?;
        let tenants_dir = data_dir.join("tenants");
        std::fs::create_dir_all(&tenants_dir).map_err(|source| StoreError::DataDir {
            path: tenants_dir.clone(),
            source,
        })?;
        let control_file = data_dir.join("control.db");
        let control = control_pool(&control_file, busy_timeout)?;
        let backend = Self {
            inner: Arc::new(Shared {
                control,
                tenants_dir,
                busy_timeout,
                max_open_tenants: max_open_tenants.max(1),
                open: Mutex::new(OpenTenants::default()),
                migrations: Mutex::new(()),
                _lock: lock,
            }),
        };
        let mut tx = backend.begin_control().await?;
        apply(
            &mut tx,
            "control.schema_migrations",
            migrate::CONTROL_SQLITE,
        )
        .await?;
        tx.commit().await?;
        Ok(backend)
    }

    /// A control connection, for reads.
    pub(crate) async fn acquire_control(
        &self,
    ) -> Result<sqlx::pool::PoolConnection<Sqlite>, StoreError> {
        self.inner
            .control
            .acquire()
            .await
            .map_err(|source| StoreError::Unavailable { source })
    }

    /// A control write transaction, holding the control database's write lock.
    pub(crate) async fn begin_control(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        begin_immediate(&self.inner.control).await
    }

    pub(crate) async fn begin_tenant(&self, tenant: &TenantId) -> Result<TenantTx, StoreError> {
        let pool = self.tenant_pool(tenant).await;
        let tx = begin_immediate(&pool).await?;
        Ok(TenantTx::new(*tenant, Inner::Sqlite(tx)))
    }

    /// Creates the tenant's database file if needed and applies pending migrations
    /// in one `BEGIN IMMEDIATE` transaction; concurrent runs serialise.
    pub(crate) async fn migrate_tenant(&self, tenant: &TenantId) -> Result<i32, StoreError> {
        let _one_at_a_time = self.inner.migrations.lock().await;
        let options = self.tenant_options(tenant).create_if_missing(true);
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .map_err(|source| StoreError::Unavailable { source })?;
        let result = async {
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
            let version = apply(&mut tx, "schema_migrations", migrate::TENANT_SQLITE).await?;
            tx.commit().await?;
            Ok::<_, StoreError>(version)
        }
        .await;
        conn.close().await?;
        result
    }

    fn tenant_options(&self, tenant: &TenantId) -> SqliteConnectOptions {
        let file = self
            .inner
            .tenants_dir
            .join(format!("{}.db", tenant.schema_name()));
        durable(
            SqliteConnectOptions::new().filename(file),
            self.inner.busy_timeout,
        )
    }

    /// The tenant's pool, opening it (lazily: no file is touched until first
    /// use) and closing the least recently used one when too many are open.
    async fn tenant_pool(&self, tenant: &TenantId) -> SqlitePool {
        let mut open = self.inner.open.lock().await;
        open.uses += 1;
        let now = open.uses;
        if let Some((pool, used)) = open.pools.get_mut(tenant) {
            *used = now;
            return pool.clone();
        }
        if open.pools.len() >= self.inner.max_open_tenants {
            let oldest = open
                .pools
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| *id);
            if let Some((evicted, _)) = oldest.and_then(|id| open.pools.remove(&id)) {
                // Transactions in flight keep their connection until they end.
                tokio::spawn(async move { evicted.close().await });
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(0)
            .idle_timeout(TENANT_IDLE)
            .acquire_timeout(self.inner.busy_timeout)
            .connect_lazy_with(self.tenant_options(tenant));
        open.pools.insert(*tenant, (pool.clone(), now));
        pool
    }
}

/// WAL, full sync and the busy timeout: the settings every Roster database file uses.
fn durable(options: SqliteConnectOptions, busy_timeout: Duration) -> SqliteConnectOptions {
    options
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(busy_timeout)
        .foreign_keys(true)
}

fn control_pool(file: &Path, busy_timeout: Duration) -> Result<SqlitePool, StoreError> {
    let path = file.to_str().ok_or_else(|| StoreError::DataDir {
        path: file.to_owned(),
        source: std::io::Error::other("the path is not valid UTF-8"),
    })?;
    let path = Arc::<str>::from(path);
    // The main database is private and in memory; `control.db` is attached.
    let options = SqliteConnectOptions::new()
        .filename(":memory:")
        .create_if_missing(true)
        .busy_timeout(busy_timeout)
        .foreign_keys(true);
    Ok(SqlitePoolOptions::new()
        .max_connections(CONTROL_CONNECTIONS)
        .acquire_timeout(busy_timeout)
        .after_connect(move |conn, _| {
            let path = path.clone();
            Box::pin(async move {
                sqlx::query("ATTACH DATABASE $1 AS control")
                    .bind(&*path)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA control.journal_mode = WAL")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA control.synchronous = FULL")
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            })
        })
        .connect_lazy_with(options))
}

/// Begins a write transaction: waiting for a connection, then for the write lock,
/// each up to the busy timeout (Unavailable past it).
async fn begin_immediate(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>, StoreError> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// Applies the migrations newer than the version recorded in `table`, inside `tx`.
async fn apply(
    tx: &mut SqliteConnection,
    table: &str,
    migrations: &'static [Migration],
) -> Result<i32, StoreError> {
    // `table` is one of two constants in this file, never request text.
    sqlx::query(AssertSqlSafe(format!(
        "CREATE TABLE IF NOT EXISTS {table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, \
         applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
    )))
    .execute(&mut *tx)
    .await?;
    let applied: Option<i32> =
        sqlx::query_scalar(AssertSqlSafe(format!("SELECT max(version) FROM {table}")))
            .fetch_one(&mut *tx)
            .await?;
    let mut version = applied.unwrap_or(0);
    for m in pending(migrations, version) {
        for stmt in migrate::statements(m.sql) {
            sqlx::query(AssertSqlSafe(stmt)).execute(&mut *tx).await?;
        }
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {table} (version, name) VALUES ($1, $2)"
        )))
        .bind(m.version)
        .bind(m.name)
        .execute(&mut *tx)
        .await?;
        tracing::info!(migration = m.name, table, "applied embedded migration");
        version = m.version;
    }
    Ok(version)
}

/// Takes the data directory's lock file, or explains who holds it.
fn lock_data_dir(data_dir: &Path) -> Result<File, StoreError> {
    let path = data_dir.join("roster.lock");
    let io = |source| StoreError::DataDir {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let mut file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            // Best effort: the holder wrote its pid after locking.
            let _ = file.read_to_string(&mut holder);
            return Err(StoreError::DataDirInUse {
                path: data_dir.to_owned(),
                pid: holder.trim().parse().ok(),
            });
        }
        Err(std::fs::TryLockError::Error(source)) => return Err(io(source)),
    }
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    writeln!(file, "{}", std::process::id()).map_err(io)?;
    Ok(file)
}

mod backup;
