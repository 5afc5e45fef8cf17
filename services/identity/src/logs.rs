//! What tenant admins read about provisioning: the sync log (paged, and as a
//! streamed CSV export), the provisioning errors per provider with each
//! provider's last success, and the audit log. Also the one write here: the
//! gateway's record of a request it refused or that failed.
//!
//! Each page is its own short tenant transaction, so an export of millions of
//! entries never holds a lock that provisioning writes wait for.

use roster_core::{TenantId, UserId};
use roster_scim::ScimError;
use roster_store::{
    AuditLogQuery, AuditRecord, LogCursor, NewProvisioningError, ProviderSyncSummary,
    ProvisioningErrorQuery, ProvisioningErrorRecord, SyncLogQuery, SyncLogRecord,
};
use tokio::sync::mpsc;

use crate::apply::{rfc3339, user_name_of};
use crate::{Identity, IdentityError, Scope};

/// The page size when the caller names none.
pub const DEFAULT_PAGE_SIZE: i64 = 100;
/// The largest page a caller may ask for.
pub const MAX_PAGE_SIZE: i64 = 1000;
/// Entries per database round trip of a CSV export.
const EXPORT_BATCH: i64 = 500;
/// The longest text kept of a refused request's detail, userName or externalId: a client
/// cannot make the report grow by sending huge values.
const MAX_RECORDED_CHARS: usize = 1000;
/// The CSV export's header row.
pub const CSV_HEADER: [&str; 10] = [
    "time",
    "provider_id",
    "provider",
    "user_id",
    "user_name",
    "change_type",
    "attribute",
    "old_value",
    "new_value",
    "entry_id",
];

/// A page of a log and where the next one starts.
#[derive(Debug, Clone)]
pub struct LogPage<T> {
    /// The entries.
    pub entries: Vec<T>,
    /// The cursor after the last entry, when more may follow.
    pub next: Option<LogCursor>,
}

fn invalid(detail: impl Into<String>) -> IdentityError {
    IdentityError::Scim(ScimError::invalid_value(detail))
}

/// Checks a requested page size: 0 means the default; beyond the bounds is refused.
pub fn page_size(requested: i64) -> Result<i64, IdentityError> {
    match requested {
        0 => Ok(DEFAULT_PAGE_SIZE),
        1..=MAX_PAGE_SIZE => Ok(requested),
        _ => Err(invalid(format!(
            "page_size must be between 1 and {MAX_PAGE_SIZE}, not {requested}"
        ))),
    }
}

fn check_range(
    from: Option<time::OffsetDateTime>,
    to: Option<time::OffsetDateTime>,
) -> Result<(), IdentityError> {
    match (from, to) {
        (Some(from), Some(to)) if from >= to => Err(invalid(format!(
            "the range is empty: from ({}) must be before to ({})",
            rfc3339(from),
            rfc3339(to)
        ))),
        _ => Ok(()),
    }
}

/// Cuts `page` (fetched with one entry more than `limit`) to `limit` and says where to go on.
fn paged<T>(mut page: Vec<T>, limit: i64, cursor: impl Fn(&T) -> LogCursor) -> LogPage<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = page.len() > limit;
    page.truncate(limit);
    let next = if more { page.last().map(cursor) } else { None };
    LogPage {
        entries: page,
        next,
    }
}

/// Neutralises a CSV cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, and the
/// tab and carriage return that some programs strip first) by prefixing an apostrophe.
pub fn neutralise_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Returns one sync-log entry as a CSV row, in [`CSV_HEADER`] order.
fn csv_row(entry: &SyncLogRecord) -> [String; 10] {
    let cell = |text: &str| neutralise_cell(text).into_owned();
    [
        rfc3339(entry.at),
        entry.provider_id.to_string(),
        cell(entry.provider_username.as_deref().unwrap_or_default()),
        entry.user_id.to_string(),
        cell(&entry.user_name),
        cell(&entry.change_type),
        cell(&entry.attribute),
        cell(entry.old_value.as_deref().unwrap_or_default()),
        cell(entry.new_value.as_deref().unwrap_or_default()),
        entry.id.to_string(),
    ]
}

/// Writes CSV records into bytes (RFC 4180: CRLF line ends, quotes where needed).
fn csv_bytes<I, R>(rows: I) -> Result<Vec<u8>, IdentityError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator,
    R::Item: AsRef<[u8]>,
{
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(row)
            .map_err(|err| IdentityError::internal(format!("write csv: {err}")))?;
    }
    writer
        .into_inner()
        .map_err(|err| IdentityError::internal(format!("flush csv: {err}")))
}

/// Truncates recorded client text to [`MAX_RECORDED_CHARS`].
fn bounded(text: String) -> String {
    match text.char_indices().nth(MAX_RECORDED_CHARS) {
        Some((end, _)) => text[..end].to_owned(),
        None => text,
    }
}

impl Identity {
    /// Resolves an admin's user selector (an id, or the userName a user holds now).
    async fn user_selector(&self, tenant: TenantId, user: &str) -> Result<UserId, IdentityError> {
        if let Ok(id) = UserId::parse(user) {
            return Ok(id);
        }
        let mut tx = self.store.begin(&tenant).await?;
        Ok(self.find_user(&mut tx, user, false).await?.id)
    }

    /// Completes a sync-log query from an admin: checks the range and resolves `user`.
    pub async fn sync_log_query(
        &self,
        tenant: TenantId,
        mut query: SyncLogQuery,
        user: Option<&str>,
    ) -> Result<SyncLogQuery, IdentityError> {
        check_range(query.from, query.to)?;
        if let Some(user) = user {
            query.user = Some(self.user_selector(tenant, user).await?);
        }
        Ok(query)
    }

    /// Returns the number of matching entries and one page of them.
    pub async fn sync_log_page(
        &self,
        tenant: TenantId,
        query: &SyncLogQuery,
        after: Option<&LogCursor>,
        limit: i64,
    ) -> Result<(i64, LogPage<SyncLogRecord>), IdentityError> {
        let mut tx = self.store.begin(&tenant).await?;
        let total = tx.count_sync_log(query).await?;
        let page = tx.sync_log_page(query, after, limit + 1).await?;
        drop(tx);
        Ok((total, paged(page, limit, |e| e.cursor(query.sort))))
    }

    /// Streams the matching sync-log entries as CSV chunks (the header row first). The
    /// export stops when the receiver is dropped; an error ends the stream with that error.
    pub fn export_sync_log_csv(
        &self,
        tenant: TenantId,
        query: SyncLogQuery,
    ) -> mpsc::Receiver<Result<Vec<u8>, IdentityError>> {
        let (sender, receiver) = mpsc::channel(4);
        let identity = self.clone();
        tokio::spawn(async move {
            let header = csv_bytes([CSV_HEADER]);
            if sender.send(header).await.is_err() {
                return;
            }
            let mut after: Option<LogCursor> = None;
            loop {
                let page = async {
                    let mut tx = identity.store.begin(&tenant).await?;
                    Ok::<_, IdentityError>(
                        tx.sync_log_page(&query, after.as_ref(), EXPORT_BATCH)
                            .await?,
                    )
                }
                .await;
                let (chunk, last) = match page {
                    Ok(entries) => (
                        csv_bytes(entries.iter().map(csv_row)),
                        (entries.len() as i64 == EXPORT_BATCH)
                            .then(|| entries.last().map(|e| e.cursor(query.sort)))
                            .flatten(),
                    ),
                    Err(err) => (Err(err), None),
                };
                let failed = chunk.is_err();
                if sender.send(chunk).await.is_err() || failed {
                    return;
                }
                match last {
                    Some(cursor) => after = Some(cursor),
                    None => return,
                }
            }
        });
        receiver
    }

    /// Returns a page of provisioning errors (newest first) and the providers' summaries.
    pub async fn provisioning_errors(
        &self,
        tenant: TenantId,
        query: &ProvisioningErrorQuery,
        after: Option<&LogCursor>,
        limit: i64,
    ) -> Result<(LogPage<ProvisioningErrorRecord>, Vec<ProviderSyncSummary>), IdentityError> {
        check_range(query.from, query.to)?;
        let mut tx = self.store.begin(&tenant).await?;
        let page = tx.provisioning_errors_page(query, after, limit + 1).await?;
        let summaries = tx.provider_sync_summaries(query).await?;
        drop(tx);
        let cursor = |e: &ProvisioningErrorRecord| LogCursor {
            key: String::new(),
            at: e.at,
            id: e.id,
        };
        Ok((paged(page, limit, cursor), summaries))
    }

    /// Returns a page of the audit log.
    pub async fn audit_log_page(
        &self,
        tenant: TenantId,
        query: &AuditLogQuery,
        after: Option<&LogCursor>,
        limit: i64,
    ) -> Result<LogPage<AuditRecord>, IdentityError> {
        check_range(query.from, query.to)?;
        let mut tx = self.store.begin(&tenant).await?;
        let page = tx.audit_log_page(query, after, limit + 1).await?;
        drop(tx);
        let cursor = |e: &AuditRecord| LogCursor {
            key: String::new(),
            at: e.at,
            id: e.id,
        };
        Ok(paged(page, limit, cursor))
    }

    /// Records a request of the calling provider that was refused or failed. When it named a
    /// user by id and carried no userName or externalId, they are taken from that user (if
    /// the provider owns it).
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn record_provisioning_error(
        &self,
        scope: Scope,
        mut error: NewProvisioningError,
        resource_id: Option<&str>,
    ) -> Result<(), IdentityError> {
        error.provider_id = scope.provider;
        error.detail = bounded(error.detail);
        error.operation = bounded(error.operation);
        error.user_name = error.user_name.map(bounded);
        error.external_id = error.external_id.map(bounded);
        // The settings row makes the provider appear in the report even if it never succeeded.
        let (mut tx, _) = self.begin_with_settings(scope).await?;
        let named = resource_id.and_then(|id| UserId::parse(id).ok());
        let owned = match named.filter(|_| error.user_name.is_none()) {
            Some(id) => tx
                .user_for_admin(id, false)
                .await?
                .filter(|user| user.provider_id == scope.provider),
            None => None,
        };
        if let Some(user) = owned {
            error.user_name = Some(user_name_of(&user));
            error.external_id = error.external_id.or_else(|| {
                user.resource
                    .get("externalId")
                    .and_then(serde_json::Value::as_str)
                    .map(str::to_owned)
            });
        }
        tx.record_provisioning_error(&error).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_others_kept() {
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(neutralise_cell(formula), format!("'{formula}"));
        }
        for plain in ["ann@example.com", "1-2", "", "'quoted", "a=b"] {
            assert_eq!(neutralise_cell(plain), plain);
        }
    }

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks_with_crlf_rows() {
        let bytes = csv_bytes([["a,b", "say \"hi\"", "two\nlines"], ["x", "", "y"]]).expect("csv");
        assert_eq!(
            String::from_utf8(bytes).expect("utf-8"),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\nx,,y\r\n"
        );
    }

    #[test]
    fn page_sizes_default_and_are_bounded() {
        assert_eq!(page_size(0).expect("default"), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(MAX_PAGE_SIZE).expect("max"), MAX_PAGE_SIZE);
        assert!(page_size(MAX_PAGE_SIZE + 1).is_err());
        assert!(page_size(-1).is_err());
    }

    #[test]
    fn recorded_text_is_bounded_on_a_char_boundary() {
        let long = "é".repeat(MAX_RECORDED_CHARS + 5);
        assert_eq!(bounded(long).chars().count(), MAX_RECORDED_CHARS);
        assert_eq!(bounded("short".to_owned()), "short");
    }

    #[test]
    fn an_empty_or_reversed_range_is_refused() {
        let now = time::OffsetDateTime::now_utc();
        assert!(check_range(Some(now), Some(now)).is_err());
        assert!(check_range(Some(now), Some(now - time::Duration::SECOND)).is_err());
        assert!(check_range(Some(now), None).is_ok());
    }
}
