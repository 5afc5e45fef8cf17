//! `roster sync-log`, `roster provisioning-errors` and `roster audit-log`: what
//! a tenant admin reads about provisioning, one page at a time (`--page-token`
//! continues), and the sync log as a CSV export streamed to stdout or a file.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, anyhow, bail};
use roster_proto::identity::v1 as pb;
use roster_proto::identity::v1::logs_service_client::LogsServiceClient;
use roster_proto::scim_json::struct_to_json;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Admin, connect, rfc3339, status_error};
use crate::Args;
use crate::transfer::PartialFile;

/// The sync-log sort columns.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum SortArg {
    /// Time of the change.
    Time,
    /// The user's userName.
    UserName,
    /// The change type.
    ChangeType,
    /// The attribute.
    Attribute,
}

/// A time range, as every log command takes it.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Range {
    /// Entries at or after this time: RFC 3339 (`2026-12-01T08:00:00Z`) or a UTC date (`2026-12-01`).
    #[arg(long)]
    from: Option<String>,
    /// Entries before this time (same forms as --from).
    #[arg(long)]
    to: Option<String>,
}

/// Paging, as every log command takes it.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Paging {
    /// Entries per page (1-1000).
    #[arg(long, default_value_t = 100)]
    limit: i32,
    /// Continue after a previous page (its `next_page_token`).
    #[arg(long)]
    page_token: Option<String>,
}

/// `roster sync-log`.
#[derive(Debug, clap::Args)]
pub(crate) struct SyncLogArgs {
    #[arg(long)]
    tenant: String,
    #[command(flatten)]
    range: Range,
    /// Only this user (id or userName).
    #[arg(long)]
    user: Option<String>,
    /// Only changes this provider caused (id).
    #[arg(long)]
    provider: Option<String>,
    /// Only this change type (created, updated, blocked, deactivated, …).
    #[arg(long)]
    change_type: Option<String>,
    /// Sort column.
    #[arg(long, value_enum, default_value = "time")]
    sort: SortArg,
    /// Largest (latest) first.
    #[arg(long)]
    desc: bool,
    #[command(flatten)]
    paging: Paging,
    /// Export every matching entry as CSV (RFC 4180, header row) instead of one page.
    #[arg(long)]
    csv: bool,
    /// With --csv: the file to write (mode 0600); stdout when absent.
    #[arg(long, requires = "csv")]
    out: Option<PathBuf>,
}

/// `roster provisioning-errors`.
#[derive(Debug, clap::Args)]
pub(crate) struct ErrorsArgs {
    #[arg(long)]
    tenant: String,
    /// Only this provider (id).
    #[arg(long)]
    provider: Option<String>,
    #[command(flatten)]
    range: Range,
    #[command(flatten)]
    paging: Paging,
}

/// `roster audit-log`.
#[derive(Debug, clap::Args)]
pub(crate) struct AuditArgs {
    #[arg(long)]
    tenant: String,
    #[command(flatten)]
    range: Range,
    /// Only this event (e.g. "user deactivated", "provider created").
    #[arg(long)]
    event: Option<String>,
    /// Only this actor: a provider's username, `operator` or `roster`.
    #[arg(long)]
    actor: Option<String>,
    /// Only entries about this target (a user's or provider's id).
    #[arg(long)]
    target: Option<String>,
    /// Oldest first (default newest first).
    #[arg(long)]
    oldest_first: bool,
    #[command(flatten)]
    paging: Paging,
}

/// Parses `--from`/`--to`: RFC 3339, or a date meaning its UTC midnight.
fn parse_time(flag: &str, text: &str) -> anyhow::Result<prost_types::Timestamp> {
    let at = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| OffsetDateTime::parse(&format!("{text}T00:00:00Z"), &Rfc3339));
    let at = at.map_err(|_| {
        anyhow!("--{flag} {text:?} is neither an RFC 3339 time nor a YYYY-MM-DD date")
    })?;
    Ok(roster_runtime::grpc::timestamp(at))
}

impl Range {
    fn bounds(
        &self,
    ) -> anyhow::Result<(
        Option<prost_types::Timestamp>,
        Option<prost_types::Timestamp>,
    )> {
        let from = self
            .from
            .as_deref()
            .map(|t| parse_time("from", t))
            .transpose()?;
        let to = self
            .to
            .as_deref()
            .map(|t| parse_time("to", t))
            .transpose()?;
        Ok((from, to))
    }
}

fn client(admin: &Admin) -> LogsServiceClient<tonic::transport::Channel> {
    LogsServiceClient::new(admin.channel.clone())
}

fn sync_json(e: &pb::SyncLogEntry) -> Value {
    json!({
        "id": e.id, "at": rfc3339(&e.at), "provider_id": e.provider_id,
        "provider": e.provider_username, "user_id": e.user_id, "user_name": e.user_name,
        "change_type": e.change_type, "attribute": e.attribute,
        "old_value": e.old_value, "new_value": e.new_value,
    })
}

fn text_of(value: &Value, keys: &[&str]) -> String {
    keys.iter()
        .map(|k| match &value[k] {
            Value::String(s) => s.clone(),
            Value::Null => "-".to_owned(),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\t")
}

/// Runs `roster sync-log`.
pub(crate) async fn sync_log(
    args: &Args,
    env: &BTreeMap<String, String>,
    cmd: &SyncLogArgs,
) -> anyhow::Result<()> {
    let (from, to) = cmd.range.bounds()?;
    let filter = pb::SyncLogFilter {
        from,
        to,
        user: cmd.user.clone(),
        provider_id: cmd.provider.clone(),
        change_type: cmd.change_type.clone(),
        sort: match cmd.sort {
            SortArg::Time => pb::SyncLogSort::Time,
            SortArg::UserName => pb::SyncLogSort::UserName,
            SortArg::ChangeType => pb::SyncLogSort::ChangeType,
            SortArg::Attribute => pb::SyncLogSort::Attribute,
        } as i32,
        descending: cmd.desc,
    };
    if cmd.csv && args.json && cmd.out.is_none() {
        bail!("--json with --csv needs --out FILE (stdout carries the JSON summary)");
    }
    let admin = connect(args, env).await?;
    if cmd.csv {
        return export_csv(&admin, &cmd.tenant, filter, cmd.out.as_ref()).await;
    }
    let request = admin.request(pb::QuerySyncLogRequest {
        tenant: cmd.tenant.clone(),
        filter: Some(filter),
        page_size: cmd.paging.limit,
        page_token: cmd.paging.page_token.clone().unwrap_or_default(),
    })?;
    let page = client(&admin)
        .query_sync_log(request)
        .await
        .map_err(status_error)?
        .into_inner();
    let entries: Vec<Value> = page.entries.iter().map(sync_json).collect();
    let value =
        json!({"total": page.total, "entries": entries, "next_page_token": page.next_page_token});
    admin.print(&value, || {
        let keys = [
            "at",
            "provider",
            "user_name",
            "change_type",
            "attribute",
            "old_value",
            "new_value",
        ];
        entries
            .iter()
            .map(|e| text_of(e, &keys))
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

/// Streams the CSV export to `out` (atomically: `FILE.partial`, renamed when complete) or stdout.
async fn export_csv(
    admin: &Admin,
    tenant: &str,
    filter: pb::SyncLogFilter,
    out: Option<&PathBuf>,
) -> anyhow::Result<()> {
    let request = admin.request(pb::ExportSyncLogCsvRequest {
        tenant: tenant.to_owned(),
        filter: Some(filter),
    })?;
    let mut stream = client(admin)
        .export_sync_log_csv(request)
        .await
        .map_err(status_error)?
        .into_inner();
    let mut file = out.map(|path| PartialFile::create(path)).transpose()?;
    let mut stdout = std::io::stdout().lock();
    let mut bytes = 0u64;
    while let Some(chunk) = stream.message().await.map_err(status_error)? {
        bytes += chunk.data.len() as u64;
        match file.as_mut() {
            Some(file) => file.write(&chunk.data)?,
            None => stdout.write_all(&chunk.data).context("write stdout")?,
        }
    }
    match file {
        Some(file) => {
            file.commit(bytes)?;
            let path = out.map(|p| p.display().to_string()).unwrap_or_default();
            admin.print(&json!({"out": path, "bytes": bytes}), || {
                format!("wrote {bytes} bytes to {path}")
            });
        }
        None => stdout.flush().context("write stdout")?,
    }
    Ok(())
}

/// Runs `roster provisioning-errors`.
pub(crate) async fn provisioning_errors(
    args: &Args,
    env: &BTreeMap<String, String>,
    cmd: &ErrorsArgs,
) -> anyhow::Result<()> {
    let (from, to) = cmd.range.bounds()?;
    let admin = connect(args, env).await?;
    let request = admin.request(pb::ListProvisioningErrorsRequest {
        tenant: cmd.tenant.clone(),
        provider_id: cmd.provider.clone(),
        from,
        to,
        page_size: cmd.paging.limit,
        page_token: cmd.paging.page_token.clone().unwrap_or_default(),
    })?;
    let page = client(&admin)
        .list_provisioning_errors(request)
        .await
        .map_err(status_error)?
        .into_inner();
    let providers: Vec<Value> = page
        .providers
        .iter()
        .map(|p| {
            json!({
                "provider_id": p.provider_id, "username": p.username,
                "last_success_at": rfc3339(&p.last_success_at), "errors": p.errors,
                "last_error_at": rfc3339(&p.last_error_at),
            })
        })
        .collect();
    let errors: Vec<Value> = page
        .errors
        .iter()
        .map(|e| {
            json!({
                "id": e.id, "at": rfc3339(&e.at), "provider_id": e.provider_id,
                "operation": e.operation, "status": e.status, "scim_type": e.scim_type,
                "user_name": e.user_name, "external_id": e.external_id, "detail": e.detail,
            })
        })
        .collect();
    let value =
        json!({"providers": providers, "errors": errors, "next_page_token": page.next_page_token});
    admin.print(&value, || {
        let mut lines: Vec<String> = providers
            .iter()
            .map(|p| {
                format!(
                    "provider {}",
                    text_of(p, &["username", "last_success_at", "errors"])
                )
            })
            .collect();
        let keys = [
            "at",
            "operation",
            "status",
            "scim_type",
            "user_name",
            "detail",
        ];
        lines.extend(errors.iter().map(|e| text_of(e, &keys)));
        lines.join("\n")
    });
    Ok(())
}

/// Runs `roster audit-log`.
pub(crate) async fn audit_log(
    args: &Args,
    env: &BTreeMap<String, String>,
    cmd: &AuditArgs,
) -> anyhow::Result<()> {
    let (from, to) = cmd.range.bounds()?;
    let admin = connect(args, env).await?;
    let request = admin.request(pb::QueryAuditLogRequest {
        tenant: cmd.tenant.clone(),
        from,
        to,
        event: cmd.event.clone(),
        actor: cmd.actor.clone(),
        target_id: cmd.target.clone(),
        oldest_first: cmd.oldest_first,
        page_size: cmd.paging.limit,
        page_token: cmd.paging.page_token.clone().unwrap_or_default(),
    })?;
    let page = client(&admin)
        .query_audit_log(request)
        .await
        .map_err(status_error)?
        .into_inner();
    let entries: Vec<Value> = page
        .entries
        .iter()
        .map(|e| {
            json!({
                "id": e.id, "at": rfc3339(&e.at), "actor_kind": e.actor_kind, "actor": e.actor,
                "event": e.event, "target_kind": e.target_kind, "target_id": e.target_id,
                "target_name": e.target_name,
                "details": e.details.as_ref().map_or(Value::Null, |d| Value::Object(struct_to_json(d))),
            })
        })
        .collect();
    let value = json!({"entries": entries, "next_page_token": page.next_page_token});
    admin.print(&value, || {
        let keys = ["at", "actor", "event", "target_kind", "target_name"];
        entries
            .iter()
            .map(|e| text_of(e, &keys))
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}
