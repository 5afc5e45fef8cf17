//! The streaming RPCs: Backup, ExportTenant and ImportTenant.
//!
//! Each answers at once with a stream and does its work in a task that feeds
//! it, so the server's per-call deadline (which covers only the answer's
//! start) does not cut a long transfer. Summaries travel in the last message;
//! a failure part way ends the stream with the error's status.

use std::future::Future;

use roster_proto::tenants::v1 as pb;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;
use tracing::Instrument;

use super::{tenant_message, to_status};
use crate::transfer::{ChunkSource, TransferCounts};
use crate::{Tenants, TenantsError};

/// The stream of messages an RPC answers with.
pub(crate) type Replies<T> = ReceiverStream<Result<T, Status>>;

/// Chunks buffered between the work and the client.
const IN_FLIGHT: usize = 4;

pub(super) fn backup(tenants: &Tenants) -> Result<Replies<pb::BackupChunk>, Status> {
    tenants.ensure_backup_supported().map_err(to_status)?;
    let tenants = tenants.clone();
    Ok(stream_bytes(
        move |bytes| async move { tenants.backup(bytes).await },
        |data| pb::BackupChunk {
            data,
            summary: None,
        },
        |summary| pb::BackupChunk {
            data: Vec::new(),
            summary: Some(pb::BackupSummary {
                tenants: summary.tenants,
                bytes: summary.bytes,
            }),
        },
    ))
}

pub(super) async fn export(
    tenants: &Tenants,
    slug: &str,
) -> Result<Replies<pb::ExportTenantChunk>, Status> {
    // Checked before the stream starts, so a wrong slug is the call's own status.
    let tenant = tenants.exportable_tenant(slug).await.map_err(to_status)?;
    let tenants = tenants.clone();
    Ok(stream_bytes(
        move |bytes| async move { tenants.export_tenant(&tenant, bytes).await },
        |data| pb::ExportTenantChunk {
            data,
            summary: None,
        },
        |counts| pb::ExportTenantChunk {
            data: Vec::new(),
            summary: Some(counts_message(counts)),
        },
    ))
}

pub(super) fn import(
    tenants: &Tenants,
    input: tonic::Streaming<pb::ImportTenantRequest>,
) -> Replies<pb::ImportTenantResponse> {
    let (replies, rx) = mpsc::channel(1);
    let tenants = tenants.clone();
    tokio::spawn(
        async move {
            let reply = match tenants.import_tenant(ImportChunks(input)).await {
                Ok(summary) => Ok(pb::ImportTenantResponse {
                    tenant: Some(tenant_message(summary.tenant)),
                    counts: Some(counts_message(summary.counts)),
                }),
                Err(err) => {
                    // Internal failures are logged by `to_status`; refusals are client mistakes.
                    if err.kind() != roster_core::ErrorKind::Internal {
                        tracing::info!(error = %err, "import refused");
                    }
                    Err(to_status(err))
                }
            };
            // The client may be gone; the import's outcome is logged either way.
            let _ = replies.send(reply).await;
        }
        .instrument(tracing::Span::current()),
    );
    ReceiverStream::new(rx)
}

fn counts_message(counts: TransferCounts) -> pb::TransferCounts {
    pb::TransferCounts {
        providers: counts.providers,
        users: counts.users,
        groups: counts.groups,
        memberships: counts.memberships,
        bytes: counts.bytes,
        provider_settings: counts.provider_settings,
        jobs: counts.jobs,
        sync_entries: counts.sync_entries,
        audit_entries: counts.audit_entries,
        provisioning_errors: counts.provisioning_errors,
        digest_settings: counts.digest_settings,
        organizations: counts.organizations,
        roles: counts.roles,
        organization_default_roles: counts.organization_default_roles,
        user_roles: counts.user_roles,
        group_org_mappings: counts.group_org_mappings,
        group_role_mappings: counts.group_role_mappings,
        role_allowlist: counts.role_allowlist,
        mapping_rules: counts.mapping_rules,
        pending_remaps: counts.pending_remaps,
        apply_results: counts.apply_results,
    }
}

/// Runs `work`, which writes bytes to the sender it is given, and streams them
/// as `chunk` messages, then its result as `last` (or its error's status).
fn stream_bytes<T, R, W, F>(
    work: W,
    chunk: impl Fn(Vec<u8>) -> T + Send + 'static,
    last: impl FnOnce(R) -> T + Send + 'static,
) -> Replies<T>
where
    T: Send + 'static,
    R: Send + 'static,
    W: FnOnce(mpsc::Sender<Vec<u8>>) -> F + Send + 'static,
    F: Future<Output = Result<R, TenantsError>> + Send + 'static,
{
    let (replies, rx) = mpsc::channel(IN_FLIGHT);
    tokio::spawn(
        async move {
            let (bytes, mut written) = mpsc::channel::<Vec<u8>>(IN_FLIGHT);
            let chunks = replies.clone();
            // Owns `written`: when the client goes away this ends, the receiver
            // drops, and the work's next write fails instead of waiting forever.
            let forward = async move {
                while let Some(data) = written.recv().await {
                    if chunks.send(Ok(chunk(data))).await.is_err() {
                        break;
                    }
                }
            };
            let (result, ()) = tokio::join!(work(bytes), forward);
            let reply = match result {
                Ok(done) => Ok(last(done)),
                Err(TenantsError::Interrupted(why)) => {
                    tracing::info!(why, "transfer interrupted by the client");
                    return;
                }
                Err(err) => Err(to_status(err)),
            };
            let _ = replies.send(reply).await;
        }
        .instrument(tracing::Span::current()),
    );
    ReceiverStream::new(rx)
}

/// The import's input: the request stream's chunks.
struct ImportChunks(tonic::Streaming<pb::ImportTenantRequest>);

impl ChunkSource for ImportChunks {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TenantsError> {
        match self.0.message().await {
            Ok(Some(request)) => Ok(Some(request.data)),
            Ok(None) => Ok(None),
            Err(status) => Err(TenantsError::Interrupted(format!(
                "the client's stream failed: {}",
                status.message()
            ))),
        }
    }
}
