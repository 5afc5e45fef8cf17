//! `roster export`: one tenant as a `roster-tenant-export` document, read from
//! one consistent snapshot of its data (organizations, roles, users, groups,
//! mappings, jobs, logs) and paged by keyset, in the order of
//! [`KINDS`](super::format::KINDS), so its size is bounded by nothing but the disk of whoever
//! receives it.

use roster_store::TenantRecord;
use time::OffsetDateTime;
use tokio::sync::mpsc;

use super::TransferCounts;
use super::convert::tenant_state_name;
use super::format::{
    EndCounts, EndLine, FORMAT, HeaderLine, ProviderLine, Record, TenantLine, VERSION, write_line,
};
use crate::{Tenants, TenantsError};

/// Rows read per query.
const PAGE: i64 = 500;
/// Bytes gathered before a chunk is sent.
const CHUNK_BYTES: usize = 64 * 1024;
/// Largest chunk sent: below every gRPC message limit, whatever one record weighs.
const MAX_CHUNK_BYTES: usize = 1024 * 1024;

/// Writes every row a `$read` method of the snapshot `$tx` returns, page by page (keyset
/// `$key` of the last row), as `Record::$variant` records, counting them in `$count`.
macro_rules! export_pages {
    ($doc:ident, $tx:ident, $read:ident, |$last:ident| $key:expr, $variant:ident, $count:expr) => {{
        let mut after = None;
        loop {
            let page = $tx.$read(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some({
                let $last = last;
                $key
            });
            for row in page {
                $doc.record(&Record::$variant(row.into())).await?;
                $count += 1;
            }
        }
    }};
}

impl Tenants {
    /// Returns the tenant `slug` names, if it can be exported (it is not still being created).
    pub async fn exportable_tenant(&self, slug: &str) -> Result<TenantRecord, TenantsError> {
        let tenant = self.tenant(slug).await?;
        if tenant.state == roster_store::TenantState::Provisioning {
            return Err(TenantsError::TenantNotFound {
                slug: slug.to_owned(),
            });
        }
        Ok(tenant)
    }

    /// Writes the tenant's export document to `out` in chunks and returns
    /// what it holds. Interrupted when `out`'s receiver goes away.
    #[tracing::instrument(skip_all, fields(tenant = %tenant.id))]
    pub async fn export_tenant(
        &self,
        tenant: &TenantRecord,
        out: mpsc::Sender<Vec<u8>>,
    ) -> Result<TransferCounts, TenantsError> {
        let mut doc = Document::new(out);
        let mut counts = EndCounts::default();
        // Control-plane audit entries still in the outbox belong in the tenant's audit log,
        // and so in the document; a failure leaves them for the next delivery.
        self.deliver_audit(tenant).await;
        // The snapshot is fixed before the providers are read: every user in it
        // was created by a provider that existed then, so the list holds it.
        let mut tx = self.store.begin_snapshot(&tenant.id).await?;
        let providers = self.store.list_providers(tenant.id).await?;
        doc.record(&Record::Header(HeaderLine {
            format: FORMAT.to_owned(),
            version: VERSION,
            backend: self.store.backend_name().to_owned(),
            key_fingerprint: self.authority.key_fingerprint(),
            exported_at: OffsetDateTime::now_utc(),
            roster_version: env!("CARGO_PKG_VERSION").to_owned(),
        }))
        .await?;
        doc.record(&Record::Tenant(TenantLine {
            id: tenant.id,
            slug: tenant.slug.to_string(),
            state: tenant_state_name(tenant.state).to_owned(),
            hosts: tenant.hosts.clone(),
            created_at: tenant.created_at,
        }))
        .await?;
        for provider in &providers {
            doc.record(&Record::Provider(ProviderLine::from(provider)))
                .await?;
            counts.providers += 1;
        }

        export_pages!(
            doc,
            tx,
            stored_provider_settings_after,
            |s| s.provider_id,
            ProviderSettings,
            counts.provider_settings
        );
        doc.record(&Record::DigestSettings(
            tx.stored_digest_settings().await?.into(),
        ))
        .await?;
        counts.digest_settings += 1;
        export_pages!(
            doc,
            tx,
            stored_organizations_after,
            |o| o.id,
            Organization,
            counts.organizations
        );
        export_pages!(doc, tx, stored_roles_after, |r| r.id, Role, counts.roles);
        export_pages!(
            doc,
            tx,
            stored_organization_default_roles_after,
            |d| (d.org_id, d.role_id),
            OrganizationDefaultRole,
            counts.organization_default_roles
        );
        export_pages!(doc, tx, stored_users_after, |u| u.id, User, counts.users);
        export_pages!(
            doc,
            tx,
            stored_user_roles_after,
            |r| (r.user_id, r.role_id),
            UserRole,
            counts.user_roles
        );
        export_pages!(doc, tx, stored_groups_after, |g| g.id, Group, counts.groups);
        export_pages!(
            doc,
            tx,
            stored_memberships_after,
            |m| (m.group_id, m.member_id),
            Membership,
            counts.memberships
        );
        export_pages!(
            doc,
            tx,
            stored_group_org_mappings_after,
            |m| (m.provider_id, m.group_id),
            GroupOrgMapping,
            counts.group_org_mappings
        );
        export_pages!(
            doc,
            tx,
            stored_group_role_mappings_after,
            |m| (m.provider_id, m.group_id, m.role_id),
            GroupRoleMapping,
            counts.group_role_mappings
        );
        export_pages!(
            doc,
            tx,
            stored_role_allowlist_after,
            |e| (e.provider_id, e.role_id),
            RoleAllowlistEntry,
            counts.role_allowlist
        );
        export_pages!(
            doc,
            tx,
            stored_mapping_rules_after,
            |r| r.id,
            MappingRule,
            counts.mapping_rules
        );
        export_pages!(
            doc,
            tx,
            stored_pending_remaps_after,
            |r| r.user_id,
            PendingRemap,
            counts.pending_remaps
        );
        export_pages!(doc, tx, stored_jobs_after, |j| j.id, Job, counts.jobs);
        export_pages!(
            doc,
            tx,
            stored_apply_results_after,
            |r| (r.job_id, r.user_id),
            ApplyResult,
            counts.apply_results
        );
        export_pages!(
            doc,
            tx,
            stored_sync_entries_after,
            |e| e.id,
            SyncEntry,
            counts.sync_entries
        );
        export_pages!(
            doc,
            tx,
            stored_audit_entries_after,
            |e| e.id,
            AuditEntry,
            counts.audit_entries
        );
        export_pages!(
            doc,
            tx,
            stored_provisioning_errors_after,
            |e| e.id,
            ProvisioningError,
            counts.provisioning_errors
        );
        // Read-only: ending it changes nothing.
        tx.rollback().await?;

        doc.record(&Record::End(EndLine { counts })).await?;
        let bytes = doc.finish().await?;
        let counts = TransferCounts::of(counts, bytes);
        tracing::info!(
            providers = counts.providers,
            users = counts.users,
            groups = counts.groups,
            memberships = counts.memberships,
            organizations = counts.organizations,
            roles = counts.roles,
            jobs = counts.jobs,
            sync_entries = counts.sync_entries,
            audit_entries = counts.audit_entries,
            bytes,
            "tenant exported"
        );
        Ok(counts)
    }
}

/// The document being written: lines gathered into chunks for `out`.
struct Document {
    out: mpsc::Sender<Vec<u8>>,
    buffer: Vec<u8>,
    bytes: u64,
}

impl Document {
    fn new(out: mpsc::Sender<Vec<u8>>) -> Self {
        Self {
            out,
            buffer: Vec::with_capacity(CHUNK_BYTES * 2),
            bytes: 0,
        }
    }

    async fn record(&mut self, record: &Record) -> Result<(), TenantsError> {
        write_line(&mut self.buffer, record)?;
        if self.buffer.len() >= CHUNK_BYTES {
            self.send().await?;
        }
        Ok(())
    }

    async fn send(&mut self) -> Result<(), TenantsError> {
        let buffer = std::mem::take(&mut self.buffer);
        for piece in buffer.chunks(MAX_CHUNK_BYTES) {
            self.bytes += piece.len() as u64;
            self.out.send(piece.to_vec()).await.map_err(|_| {
                TenantsError::Interrupted("the receiver stopped reading".to_owned())
            })?;
        }
        Ok(())
    }

    /// Sends what is left and returns the document's size.
    async fn finish(mut self) -> Result<u64, TenantsError> {
        if !self.buffer.is_empty() {
            self.send().await?;
        }
        Ok(self.bytes)
    }
}
