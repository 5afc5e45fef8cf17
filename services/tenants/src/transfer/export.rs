//! `roster export`: one tenant as a `roster-tenant-export` document, read from
//! one consistent snapshot of its data and paged by keyset, so its size is
//! bounded by nothing but the disk of whoever receives it.

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

        let mut after = None;
        loop {
            let page = tx.stored_users_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for user in page {
                doc.record(&Record::User(user.into())).await?;
                counts.users += 1;
            }
        }
        let mut after = None;
        loop {
            let page = tx.stored_groups_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for group in page {
                doc.record(&Record::Group(group.into())).await?;
                counts.groups += 1;
            }
        }
        let mut after = None;
        loop {
            let page = tx.stored_memberships_after(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some((last.group_id, last.member_id));
            for membership in page {
                doc.record(&Record::Membership(membership.into())).await?;
                counts.memberships += 1;
            }
        }
        // Read-only: ending it changes nothing.
        tx.rollback().await?;

        doc.record(&Record::End(EndLine { counts })).await?;
        let bytes = doc.finish().await?;
        tracing::info!(
            providers = counts.providers,
            users = counts.users,
            groups = counts.groups,
            memberships = counts.memberships,
            bytes,
            "tenant exported"
        );
        Ok(TransferCounts {
            providers: counts.providers,
            users: counts.users,
            groups: counts.groups,
            memberships: counts.memberships,
            bytes,
        })
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
