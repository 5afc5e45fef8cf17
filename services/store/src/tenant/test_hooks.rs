//! Knobs of test builds (the `test-clock` feature) kept in the tenant's
//! `test_hooks` table: the shift of the tenant's clock and injected job faults.
//!
//! Only test code calls these. Writing a hook is harmless in any build: production
//! builds never read the table (`Dialect::tenant_now` ignores it, and reading a hook
//! back is compiled only with the feature), so a store test can shift the clock and
//! see whether the build honours it.

use super::{Inner, TenantTx};
use crate::StoreError;

/// The hook that shifts the tenant's clock (`Dialect::tenant_now`), in seconds.
pub const CLOCK_OFFSET: &str = "clock_offset_secs";

impl TenantTx {
    /// Moves the tenant's clock `secs` seconds forward (backward when negative) and returns
    /// the new total shift.
    pub async fn shift_clock(&mut self, secs: i64) -> Result<i64, StoreError> {
        self.add_test_hook(CLOCK_OFFSET, secs).await
    }

    /// Sets a test hook's value; 0 removes it.
    pub async fn set_test_hook(&mut self, name: &str, value: i64) -> Result<(), StoreError> {
        on_tenant!(self, tx => {
            if value == 0 {
                sqlx::query("DELETE FROM test_hooks WHERE name = $1")
                    .bind(name)
                    .execute(&mut **tx)
                    .await
                    .map(|_| ())
            } else {
                sqlx::query(
                    "INSERT INTO test_hooks (name, value) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                )
                .bind(name)
                .bind(value)
                .execute(&mut **tx)
                .await
                .map(|_| ())
            }
        })?;
        Ok(())
    }

    /// Adds `delta` to a test hook's value (absent counts as 0) and returns the new value.
    pub async fn add_test_hook(&mut self, name: &str, delta: i64) -> Result<i64, StoreError> {
        let value = on_tenant!(self, tx => {
            sqlx::query_scalar(
                "INSERT INTO test_hooks (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = test_hooks.value + excluded.value \
                 RETURNING value",
            )
            .bind(name)
            .bind(delta)
            .fetch_one(&mut **tx)
            .await
        })?;
        Ok(value)
    }

    /// Returns a test hook's value, locked until the transaction ends; 0 when unset.
    #[cfg(feature = "test-clock")]
    pub async fn test_hook(&mut self, name: &str) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT value FROM test_hooks WHERE name = $1{lock}",
            lock = self.dialect().for_update()
        );
        let value: Option<i64> = on_tenant!(self, tx => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(name)
                .fetch_optional(&mut **tx)
                .await
        })?;
        Ok(value.unwrap_or(0))
    }
}
