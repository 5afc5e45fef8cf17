//! The store conformance suite: every test runs once on PostgreSQL and once on embedded SQLite,
//! through `roster_store`'s public API only.
//!
//! Each test gets a store of its own (a fresh database, or a fresh data directory) and creates
//! its own tenants, so tests run in parallel and may assert exact listings. `conformance!` writes
//! the per-backend duplication once: for an `async fn name(store: &Store) -> anyhow::Result<()>`
//! it generates `name::postgres` and `name::sqlite`. Tests about one backend's own mechanics
//! (the SQLite data-directory lock, tenant-file eviction) live in `embedded` and are named
//! `…::sqlite` too.
//!
//! Run with `scripts/test -p roster-e2e --test store`; without `ROSTER_TEST_DATABASE_URL` the
//! harness starts a throwaway PostgreSQL itself.

/// Generates `mod $name { postgres, sqlite }` running `async fn $name(&Store)` on each backend.
macro_rules! conformance {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn postgres() -> anyhow::Result<()> {
                let store = crate::harness::TestStore::postgres().await?;
                super::$name(&store.store).await
            }

            #[tokio::test]
            async fn sqlite() -> anyhow::Result<()> {
                let store = crate::harness::TestStore::sqlite().await?;
                super::$name(&store.store).await
            }
        }
    )+};
}

/// Reads every row of one table through a snapshot, two at a time.
macro_rules! read_all {
    ($store:expr, $tenant:expr, $read:ident, |$last:ident| $key:expr) => {{
        let mut tx = $store.begin_snapshot($tenant).await?;
        let mut rows = Vec::new();
        let mut after = None;
        loop {
            let page = tx.$read(after, 2).await?;
            let Some($last) = page.last() else { break };
            after = Some($key);
            rows.extend(page);
        }
        rows
    }};
}

mod digest;
mod embedded;
mod groups;
mod harness;
mod isolation;
mod job_hints;
mod jobs;
mod logs;
mod mapping;
mod members;
mod organization_tree;
mod organizations;
mod placement;
mod providers;
mod remaps;
mod tenants;
mod transfer;
mod transfer_lifecycle;
mod transfer_mapping;
mod transfer_seeded;
mod user_queries;
mod users;
