//! The directory sync digest's data: the tenant's frequency setting and the end of the last
//! digest's window (`digest_settings`, one row), what happened in a window (sync-log counts,
//! provisioning errors, sync errors), and who receives it (active Customer Cloud Admins with
//! an e-mail address; see [`recipients`]). The window ends at the tenant's database clock,
//! never the caller's.

mod recipients;

pub use recipients::DigestRecipient;

use roster_core::ProviderId;
use sqlx::QueryBuilder;
use time::OffsetDateTime;
use uuid::Uuid;

use super::log_queries::push_time_range;
use super::{Inner, TenantTx};
use crate::{ProvisioningErrorQuery, ProvisioningErrorRecord, StoreError};

/// The builtin Customer Cloud Admin role (the same id in every tenant): its holders receive
/// the digest.
pub const CUSTOMER_CLOUD_ADMIN_ROLE: Uuid =
    Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0101);

/// The sync-log change type of mapping errors (a user the mapping could not place or grant).
pub const SYNC_ERROR_CHANGE: &str = "sync error";

/// How many of each provider's provisioning errors, and of the sync errors, a summary details.
const DETAILED_ERRORS: i64 = 5;

/// When a tenant's digest is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestFrequency {
    /// Every day.
    Daily,
    /// Only for a day with provisioning errors or sync errors.
    Errors,
    /// Never.
    Never,
}

impl DigestFrequency {
    /// Returns the stored (and CLI) name: `daily`, `errors`, `never`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Errors => "errors",
            Self::Never => "never",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "daily" => Some(Self::Daily),
            "errors" => Some(Self::Errors),
            "never" => Some(Self::Never),
            _ => None,
        }
    }
}

/// The tenant's digest setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestSettings {
    /// When a digest is sent.
    pub frequency: DigestFrequency,
    /// Where the last digest's window ended (the next one starts there).
    pub covered_until: Option<OffsetDateTime>,
    /// When the setting last changed.
    pub updated_at: OffsetDateTime,
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    frequency: String,
    covered_until: Option<OffsetDateTime>,
    updated_at: OffsetDateTime,
}

impl TryFrom<SettingsRow> for DigestSettings {
    type Error = StoreError;

    fn try_from(row: SettingsRow) -> Result<Self, StoreError> {
        let frequency = DigestFrequency::parse(&row.frequency).ok_or_else(|| {
            StoreError::internal(format!("unknown digest frequency {:?}", row.frequency))
        })?;
        Ok(Self {
            frequency,
            covered_until: row.covered_until,
            updated_at: row.updated_at,
        })
    }
}

/// The time a digest covers: `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestWindow {
    /// The start (the previous window's end).
    pub from: OffsetDateTime,
    /// The end: the tenant's clock when the window was taken.
    pub to: OffsetDateTime,
}

/// How many sync-log entries one change type (or one provider) has in a window.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ChangeCount {
    /// The change type (`created`, `deactivated`, …).
    pub change_type: String,
    /// Entries.
    pub entries: i64,
}

/// One provider's sync-log entries in a window.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProviderChanges {
    /// The provider.
    pub provider_id: Uuid,
    /// Its username, when the tenant still knows it.
    pub username: Option<String>,
    /// Entries.
    pub entries: i64,
}

/// One provider's provisioning errors in a window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderErrors {
    /// The provider.
    pub provider_id: Uuid,
    /// Its username, when the tenant still knows it.
    pub username: Option<String>,
    /// Errors in the window.
    pub errors: i64,
    /// The most recent of them, newest first (at most five).
    pub latest: Vec<ProvisioningErrorRecord>,
}

#[derive(sqlx::FromRow)]
struct ProviderErrorCount {
    provider_id: Uuid,
    username: Option<String>,
    errors: i64,
}

/// A sync-log entry recording a mapping error.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SyncErrorRecord {
    /// When.
    pub at: OffsetDateTime,
    /// The provider's username, when the tenant still knows it.
    pub provider_username: Option<String>,
    /// The user's userName at the time.
    pub user_name: String,
    /// The attribute concerned.
    pub attribute: String,
    /// What the error says.
    pub new_value: Option<String>,
}

/// What happened in a digest window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DigestSummary {
    /// Sync-log entries per change type, by change type.
    pub changes_by_type: Vec<ChangeCount>,
    /// Sync-log entries per provider, by username.
    pub changes_by_provider: Vec<ProviderChanges>,
    /// Provisioning errors per provider, by username.
    pub provider_errors: Vec<ProviderErrors>,
    /// Sync-log entries whose change type is `sync error`.
    pub sync_errors: i64,
    /// The most recent of them, newest first (at most five).
    pub latest_sync_errors: Vec<SyncErrorRecord>,
}

impl DigestSummary {
    /// Whether the window had provisioning errors or sync errors.
    pub fn has_errors(&self) -> bool {
        self.sync_errors > 0 || self.provider_errors.iter().any(|p| p.errors > 0)
    }
}

const SETTINGS_COLUMNS: &str = "frequency, covered_until, updated_at";

impl TenantTx {
    /// Returns the tenant's digest setting, locked until the transaction ends when `for_update`.
    pub async fn digest_settings(
        &mut self,
        for_update: bool,
    ) -> Result<DigestSettings, StoreError> {
        let lock = if for_update {
            self.dialect().for_update()
        } else {
            ""
        };
        let sql = format!("SELECT {SETTINGS_COLUMNS} FROM digest_settings WHERE id = 1{lock}");
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, SettingsRow>(sqlx::AssertSqlSafe(sql))
                .fetch_optional(&mut **tx)
                .await
        })?;
        row.ok_or_else(|| StoreError::internal("the tenant has no digest_settings row"))?
            .try_into()
    }

    /// Sets when the tenant's digest is sent and returns the setting.
    pub async fn set_digest_frequency(
        &mut self,
        frequency: DigestFrequency,
    ) -> Result<DigestSettings, StoreError> {
        let sql = format!(
            "UPDATE digest_settings SET frequency = $1, updated_at = {now} WHERE id = 1 \
             RETURNING {SETTINGS_COLUMNS}",
            now = self.dialect().tenant_now()
        );
        let row = on_tenant!(self, tx => {
            sqlx::query_as::<_, SettingsRow>(sqlx::AssertSqlSafe(sql))
                .bind(frequency.as_str())
                .fetch_optional(&mut **tx)
                .await
        })?;
        row.ok_or_else(|| StoreError::internal("the tenant has no digest_settings row"))?
            .try_into()
    }

    /// Returns the window the next digest covers, from where the last one ended (a day back
    /// when none did) to the tenant's clock now, and locks the setting until the transaction
    /// ends, so two attempts cannot cover the same window.
    pub async fn digest_window(&mut self) -> Result<DigestWindow, StoreError> {
        let settings = self.digest_settings(true).await?;
        let to = self.tenant_now().await?;
        let from = settings
            .covered_until
            .unwrap_or(to - time::Duration::DAY)
            .min(to);
        Ok(DigestWindow { from, to })
    }

    /// Records that digests have covered everything before `to`.
    pub async fn advance_digest_window(&mut self, to: OffsetDateTime) -> Result<(), StoreError> {
        let (open, close) = self.dialect().timestamp_param();
        let sql =
            format!("UPDATE digest_settings SET covered_until = {open}$1{close} WHERE id = 1");
        on_tenant!(self, tx => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(to)
                .execute(&mut **tx)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Returns what happened in `window`: sync-log counts by change type and by provider,
    /// provisioning errors per provider with the latest of each, and the sync errors.
    pub async fn digest_summary(
        &mut self,
        window: &DigestWindow,
    ) -> Result<DigestSummary, StoreError> {
        let dialect = self.dialect();
        let (from, to) = (Some(window.from), Some(window.to));
        let changes_by_type = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(
                "SELECT change_type, count(*) AS entries FROM sync_log WHERE 1 = 1",
            );
            push_time_range(&mut qb, dialect, "at", from, to);
            qb.push(" GROUP BY change_type ORDER BY change_type");
            qb.build_query_as::<ChangeCount>().fetch_all(&mut **tx).await
        })?;
        let changes_by_provider = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(
                "SELECT s.provider_id, p.username, count(*) AS entries FROM sync_log s \
                 LEFT JOIN provider_settings p ON p.provider_id = s.provider_id WHERE 1 = 1",
            );
            push_time_range(&mut qb, dialect, "s.at", from, to);
            qb.push(" GROUP BY s.provider_id, p.username ORDER BY p.username, s.provider_id");
            qb.build_query_as::<ProviderChanges>().fetch_all(&mut **tx).await
        })?;
        let error_counts = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(
                "SELECT e.provider_id, p.username, count(*) AS errors FROM provisioning_errors e \
                 LEFT JOIN provider_settings p ON p.provider_id = e.provider_id WHERE 1 = 1",
            );
            push_time_range(&mut qb, dialect, "e.at", from, to);
            qb.push(" GROUP BY e.provider_id, p.username ORDER BY p.username, e.provider_id");
            qb.build_query_as::<ProviderErrorCount>().fetch_all(&mut **tx).await
        })?;
        let mut provider_errors = Vec::with_capacity(error_counts.len());
        for count in error_counts {
            let query = ProvisioningErrorQuery {
                provider: Some(ProviderId::from_uuid(count.provider_id)),
                from,
                to,
            };
            let latest = self
                .provisioning_errors_page(&query, None, DETAILED_ERRORS)
                .await?;
            provider_errors.push(ProviderErrors {
                provider_id: count.provider_id,
                username: count.username,
                errors: count.errors,
                latest,
            });
        }
        let latest_sync_errors = on_tenant!(self, tx => {
            let mut qb = QueryBuilder::new(
                "SELECT s.at, p.username AS provider_username, s.user_name, s.attribute, s.new_value \
                 FROM sync_log s LEFT JOIN provider_settings p ON p.provider_id = s.provider_id \
                 WHERE s.change_type = ",
            );
            qb.push_bind(SYNC_ERROR_CHANGE);
            push_time_range(&mut qb, dialect, "s.at", from, to);
            qb.push(" ORDER BY s.at DESC, s.id DESC LIMIT ").push_bind(DETAILED_ERRORS);
            qb.build_query_as::<SyncErrorRecord>().fetch_all(&mut **tx).await
        })?;
        let sync_errors = changes_by_type
            .iter()
            .find(|c| c.change_type == SYNC_ERROR_CHANGE)
            .map_or(0, |c| c.entries);
        Ok(DigestSummary {
            changes_by_type,
            changes_by_provider,
            provider_errors,
            sync_errors,
            latest_sync_errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_round_trip() {
        for f in [
            DigestFrequency::Daily,
            DigestFrequency::Errors,
            DigestFrequency::Never,
        ] {
            assert_eq!(DigestFrequency::parse(f.as_str()), Some(f));
        }
        assert_eq!(DigestFrequency::parse("weekly"), None);
    }
}
