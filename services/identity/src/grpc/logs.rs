//! The gRPC adapter of `roster.identity.v1.LogsService`: operator callers only;
//! the tenant is named by slug in each message. Page tokens are the keyset
//! cursor of the last entry, as unpadded URL-safe base64 of a small JSON object:
//! opaque to callers, validated on the way back in.

use std::pin::Pin;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use roster_proto::identity::v1 as pb;
use roster_proto::scim_json::json_to_struct;
use roster_runtime::grpc::timestamp;
use roster_store::{
    AuditLogQuery, AuditRecord, LogCursor, ProviderSyncSummary, ProvisioningErrorQuery,
    ProvisioningErrorRecord, SyncLogQuery, SyncLogRecord, SyncLogSort,
};
use serde_json::json;
use time::OffsetDateTime;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::admin::{operator_tenant, provider_id};
use super::to_status;
use crate::Identity;
use crate::logs::page_size;

/// Serves `roster.identity.v1.LogsService`.
#[derive(Clone, Debug)]
pub struct LogsGrpc {
    identity: Identity,
}

impl LogsGrpc {
    /// Wraps the domain service.
    pub fn new(identity: Identity) -> Self {
        Self { identity }
    }

    /// Returns the tonic server for this service.
    pub fn into_server(self) -> pb::logs_service_server::LogsServiceServer<Self> {
        pb::logs_service_server::LogsServiceServer::new(self)
    }
}

fn invalid_argument(field: &str, problem: impl std::fmt::Display) -> Status {
    Status::invalid_argument(format!("{field}: {problem}"))
}

/// Returns the time `nanos` after the Unix epoch, if it lies in years 1 to 9999: what both
/// backends store (SQLite's text form and PostgreSQL's range agree there).
fn storable_time(nanos: i128) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .filter(|at| (1..=9999).contains(&at.year()))
}

fn time_of(
    field: &str,
    ts: Option<prost_types::Timestamp>,
) -> Result<Option<OffsetDateTime>, Status> {
    let Some(ts) = ts else { return Ok(None) };
    let nanos = i128::from(ts.seconds) * 1_000_000_000 + i128::from(ts.nanos);
    storable_time(nanos)
        .map(Some)
        .ok_or_else(|| invalid_argument(field, "not a time between the years 1 and 9999"))
}

/// Encodes where the next page starts.
fn page_token(cursor: Option<&LogCursor>) -> String {
    cursor.map_or_else(String::new, |c| {
        let body = json!({"k": c.key, "t": c.at.unix_timestamp_nanos().to_string(), "i": c.id});
        URL_SAFE_NO_PAD.encode(body.to_string())
    })
}

/// Decodes a page token from a previous response; empty means the first page.
fn cursor_of(token: &str) -> Result<Option<LogCursor>, Status> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || invalid_argument("page_token", "not a token this service issued");
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let body: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let key = body["k"].as_str().ok_or_else(bad)?.to_owned();
    let nanos: i128 = body["t"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .ok_or_else(bad)?;
    let at = storable_time(nanos).ok_or_else(bad)?;
    let id = body["i"]
        .as_str()
        .and_then(|i| Uuid::parse_str(i).ok())
        .ok_or_else(bad)?;
    Ok(Some(LogCursor { key, at, id }))
}

fn size(requested: i32) -> Result<i64, Status> {
    page_size(i64::from(requested)).map_err(to_status)
}

/// The sync-log query a filter asks for, and the user selector it names (resolved later).
fn sync_query(filter: Option<pb::SyncLogFilter>) -> Result<(SyncLogQuery, Option<String>), Status> {
    let filter = filter.unwrap_or_default();
    let sort = match pb::SyncLogSort::try_from(filter.sort) {
        Ok(pb::SyncLogSort::Unspecified | pb::SyncLogSort::Time) => SyncLogSort::Time,
        Ok(pb::SyncLogSort::UserName) => SyncLogSort::UserName,
        Ok(pb::SyncLogSort::ChangeType) => SyncLogSort::ChangeType,
        Ok(pb::SyncLogSort::Attribute) => SyncLogSort::Attribute,
        Err(_) => return Err(invalid_argument("filter.sort", "unknown sort column")),
    };
    let query = SyncLogQuery {
        from: time_of("filter.from", filter.from)?,
        to: time_of("filter.to", filter.to)?,
        user: None,
        provider: filter.provider_id.as_deref().map(provider_id).transpose()?,
        change_type: filter.change_type.filter(|c| !c.is_empty()),
        sort,
        descending: filter.descending,
    };
    Ok((query, filter.user.filter(|u| !u.is_empty())))
}

fn sync_entry(e: SyncLogRecord) -> pb::SyncLogEntry {
    pb::SyncLogEntry {
        id: e.id.to_string(),
        at: Some(timestamp(e.at)),
        provider_id: e.provider_id.to_string(),
        provider_username: e.provider_username.unwrap_or_default(),
        user_id: e.user_id.to_string(),
        user_name: e.user_name,
        change_type: e.change_type,
        attribute: e.attribute,
        old_value: e.old_value,
        new_value: e.new_value,
    }
}

fn error_message(e: ProvisioningErrorRecord) -> pb::ProvisioningError {
    pb::ProvisioningError {
        id: e.id.to_string(),
        at: Some(timestamp(e.at)),
        provider_id: e.provider_id.to_string(),
        operation: e.operation,
        status: e.status,
        scim_type: e.scim_type,
        user_name: e.user_name,
        external_id: e.external_id,
        detail: e.detail,
    }
}

fn summary_message(s: ProviderSyncSummary) -> pb::ProviderSyncSummary {
    pb::ProviderSyncSummary {
        provider_id: s.provider_id.to_string(),
        username: s.username,
        last_success_at: s.last_success_at.map(timestamp),
        errors: s.errors,
        last_error_at: s.last_error_at.map(timestamp),
    }
}

fn audit_message(e: AuditRecord) -> pb::AuditLogEntry {
    let details = e.details.0.as_object().map(json_to_struct);
    pb::AuditLogEntry {
        id: e.id.to_string(),
        at: Some(timestamp(e.at)),
        actor_kind: e.actor_kind,
        actor: e.actor,
        event: e.event,
        target_kind: e.target_kind,
        target_id: e.target_id,
        target_name: e.target_name,
        details,
    }
}

/// The CSV export's stream of chunks.
type CsvStream = Pin<Box<dyn Stream<Item = Result<pb::CsvChunk, Status>> + Send>>;

#[tonic::async_trait]
impl pb::logs_service_server::LogsService for LogsGrpc {
    async fn query_sync_log(
        &self,
        request: Request<pb::QuerySyncLogRequest>,
    ) -> Result<Response<pb::QuerySyncLogResponse>, Status> {
        let tenant = operator_tenant(&self.identity, &request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let limit = size(req.page_size)?;
        let after = cursor_of(&req.page_token)?;
        let (query, user) = sync_query(req.filter)?;
        let query = self
            .identity
            .sync_log_query(tenant, query, user.as_deref())
            .await
            .map_err(to_status)?;
        let (total, page) = self
            .identity
            .sync_log_page(tenant, &query, after.as_ref(), limit)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::QuerySyncLogResponse {
            next_page_token: page_token(page.next.as_ref()),
            entries: page.entries.into_iter().map(sync_entry).collect(),
            total,
        }))
    }

    type ExportSyncLogCsvStream = CsvStream;

    async fn export_sync_log_csv(
        &self,
        request: Request<pb::ExportSyncLogCsvRequest>,
    ) -> Result<Response<Self::ExportSyncLogCsvStream>, Status> {
        let tenant = operator_tenant(&self.identity, &request, &request.get_ref().tenant).await?;
        let (query, user) = sync_query(request.into_inner().filter)?;
        let query = self
            .identity
            .sync_log_query(tenant, query, user.as_deref())
            .await
            .map_err(to_status)?;
        let chunks = self.identity.export_sync_log_csv(tenant, query);
        let stream = tokio_stream::StreamExt::map(ReceiverStream::new(chunks), |chunk| {
            chunk.map(|data| pb::CsvChunk { data }).map_err(|err| {
                tracing::error!(error = %format!("{err:#}"), "sync-log export failed");
                to_status(err)
            })
        });
        Ok(Response::new(Box::pin(stream)))
    }

    async fn list_provisioning_errors(
        &self,
        request: Request<pb::ListProvisioningErrorsRequest>,
    ) -> Result<Response<pb::ListProvisioningErrorsResponse>, Status> {
        let tenant = operator_tenant(&self.identity, &request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let limit = size(req.page_size)?;
        let after = cursor_of(&req.page_token)?;
        let query = ProvisioningErrorQuery {
            provider: req.provider_id.as_deref().map(provider_id).transpose()?,
            from: time_of("from", req.from)?,
            to: time_of("to", req.to)?,
        };
        let (page, summaries) = self
            .identity
            .provisioning_errors(tenant, &query, after.as_ref(), limit)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListProvisioningErrorsResponse {
            next_page_token: page_token(page.next.as_ref()),
            errors: page.entries.into_iter().map(error_message).collect(),
            providers: summaries.into_iter().map(summary_message).collect(),
        }))
    }

    async fn query_audit_log(
        &self,
        request: Request<pb::QueryAuditLogRequest>,
    ) -> Result<Response<pb::QueryAuditLogResponse>, Status> {
        let tenant = operator_tenant(&self.identity, &request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let limit = size(req.page_size)?;
        let after = cursor_of(&req.page_token)?;
        let nonempty = |v: Option<String>| v.filter(|s| !s.is_empty());
        let query = AuditLogQuery {
            from: time_of("from", req.from)?,
            to: time_of("to", req.to)?,
            event: nonempty(req.event),
            actor: nonempty(req.actor),
            target_id: nonempty(req.target_id),
            oldest_first: req.oldest_first,
        };
        let page = self
            .identity
            .audit_log_page(tenant, &query, after.as_ref(), limit)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::QueryAuditLogResponse {
            next_page_token: page_token(page.next.as_ref()),
            entries: page.entries.into_iter().map(audit_message).collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_foreign_tokens_are_refused() {
        let cursor = LogCursor {
            key: "ann@example.com".to_owned(),
            at: OffsetDateTime::from_unix_timestamp_nanos(1_764_000_000_123_456_000).expect("time"),
            id: Uuid::now_v7(),
        };
        let token = page_token(Some(&cursor));
        assert_eq!(cursor_of(&token).expect("decodes"), Some(cursor.clone()));
        assert_eq!(cursor_of("").expect("empty"), None);
        let ancient = page_token(Some(&LogCursor {
            at: OffsetDateTime::from_unix_timestamp(-80_000_000_000).expect("year -566"),
            ..cursor.clone()
        }));
        for foreign in ["not-base64!", "e30", "eyJrIjoxfQ", ancient.as_str()] {
            let status = cursor_of(foreign).expect_err(foreign);
            assert_eq!(status.code(), tonic::Code::InvalidArgument, "{foreign}");
        }
    }
}
