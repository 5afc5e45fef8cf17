//! Checks and stores the data records of one document, inside the import's
//! tenant transaction: document order, references between records,
//! duplicates, and the `end` record's counts. The records of tenant migration
//! 0003 (organizations, roles, mappings…) are checked in `loader/mapping.rs`.

mod mapping;

use std::collections::HashSet;

use roster_core::{ProviderId, TenantId};
use roster_store::{
    LOCAL_PROVIDER, MemberType, ProviderRecord, StoreError, StoredApplyResult, StoredAuditEntry,
    StoredDigestSettings, StoredGroup, StoredGroupOrgMapping, StoredGroupRoleMapping, StoredJob,
    StoredMappingRule, StoredMembership, StoredOrganization, StoredOrganizationDefaultRole,
    StoredPendingRemap, StoredProviderSettings, StoredProvisioningError, StoredRole,
    StoredRoleAllowlistEntry, StoredSyncEntry, StoredUser, StoredUserRole, TenantTx,
};
use time::OffsetDateTime;

use super::ChunkSource;
use super::format::{EndCounts, KINDS, Record};
use super::import::{invalid, truncated};
use super::reader::RecordReader;
use crate::TenantsError;

/// Rows inserted per batch.
const BATCH: usize = 200;

/// Rows checked but not yet inserted (organizations wait in [`Loader`] for their tree).
#[derive(Default)]
struct Pending {
    settings: Vec<StoredProviderSettings>,
    digest: Option<StoredDigestSettings>,
    roles: Vec<StoredRole>,
    default_roles: Vec<StoredOrganizationDefaultRole>,
    users: Vec<StoredUser>,
    user_roles: Vec<StoredUserRole>,
    groups: Vec<StoredGroup>,
    memberships: Vec<StoredMembership>,
    group_orgs: Vec<StoredGroupOrgMapping>,
    group_roles: Vec<StoredGroupRoleMapping>,
    allowlist: Vec<StoredRoleAllowlistEntry>,
    rules: Vec<StoredMappingRule>,
    remaps: Vec<StoredPendingRemap>,
    jobs: Vec<StoredJob>,
    apply: Vec<StoredApplyResult>,
    sync: Vec<StoredSyncEntry>,
    audit: Vec<StoredAuditEntry>,
    errors: Vec<StoredProvisioningError>,
}

impl Pending {
    fn len(&self) -> usize {
        self.settings.len()
            + self.roles.len()
            + self.default_roles.len()
            + self.users.len()
            + self.user_roles.len()
            + self.groups.len()
            + self.memberships.len()
            + self.group_orgs.len()
            + self.group_roles.len()
            + self.allowlist.len()
            + self.rules.len()
            + self.remaps.len()
            + self.jobs.len()
            + self.apply.len()
            + self.sync.len()
            + self.audit.len()
            + self.errors.len()
    }
}

/// Checks and stores the data records of one document.
pub(crate) struct Loader {
    tenant: TenantId,
    pub(crate) providers: Vec<ProviderRecord>,
    /// When the earliest pending job is due, for the job workers' hint.
    pub(crate) next_due: Option<OffsetDateTime>,
    provider_ids: HashSet<ProviderId>,
    settings: HashSet<ProviderId>,
    users: HashSet<uuid::Uuid>,
    groups: HashSet<uuid::Uuid>,
    /// The document's organizations and roles (the seeded ones exist whether or not it has them).
    orgs: HashSet<uuid::Uuid>,
    roles: HashSet<uuid::Uuid>,
    /// The document's organizations, stored in tree order once the last has been read.
    organizations: Vec<StoredOrganization>,
    /// Unique keys of the document's pending jobs.
    live_keys: HashSet<String>,
    pending: Pending,
    counts: EndCounts,
}

impl Loader {
    pub(crate) fn new(tenant: TenantId) -> Self {
        Self {
            tenant,
            providers: Vec::new(),
            next_due: None,
            provider_ids: HashSet::new(),
            settings: HashSet::new(),
            users: HashSet::new(),
            groups: HashSet::new(),
            orgs: HashSet::new(),
            roles: HashSet::new(),
            organizations: Vec::new(),
            live_keys: HashSet::new(),
            pending: Pending::default(),
            counts: EndCounts::default(),
        }
    }

    pub(crate) async fn run<S: ChunkSource>(
        &mut self,
        tx: &mut TenantTx,
        reader: &mut RecordReader<S>,
    ) -> Result<EndCounts, TenantsError> {
        // The jobs the migrations seed (the daily log purge and digest) stay unless the
        // document brings its own; everything else but the seeded anchors (top-level
        // organization, builtin roles, digest settings), which the document overwrites,
        // goes, since a retry after an interruption may find rows the earlier attempt
        // committed.
        let seeded = tx.seeded_live_jobs().await?;
        tx.delete_all_data().await?;
        let mut last = (KINDS[1], 1);
        loop {
            let Some((line, record)) = reader.next().await? else {
                return Err(truncated());
            };
            let rank = record.rank();
            if rank < last.1 {
                return Err(invalid(
                    Some(line),
                    format!(
                        "a `{}` record after `{}` records; records come in the order {}",
                        record.kind(),
                        last.0,
                        KINDS.join(", ")
                    ),
                ));
            }
            if rank != last.1 {
                self.insert_organization_tree(tx).await?;
                self.flush(tx).await?;
            }
            last = (record.kind(), rank);
            if let Record::End(end) = record {
                if end.counts != self.counts {
                    return Err(invalid(
                        Some(line),
                        format!(
                            "the `end` record counts {}, but the document holds {}: it was cut or changed",
                            end.counts.describe(),
                            self.counts.describe()
                        ),
                    ));
                }
                if let Some((line, _)) = reader.next().await? {
                    return Err(invalid(Some(line), "records after the `end` record"));
                }
                self.keep_seeded_jobs(tx, seeded).await?;
                if reader.version < 3 {
                    // The document predates tenant migration 0003: its data gets what the
                    // migration gave existing data.
                    tx.insert_defaults_of_migration_0003().await?;
                }
                return Ok(self.counts);
            }
            self.check(record)
                .map_err(|problem| invalid(Some(line), problem))?;
            if self.pending.len() >= BATCH {
                self.flush(tx).await?;
            }
        }
    }

    /// Checks one data record against what came before and holds it back for the next flush.
    fn check(&mut self, record: Record) -> Result<(), String> {
        match record {
            Record::Header(_) | Record::Tenant(_) | Record::End(_) => {
                return Err(format!("a second `{}` record", record.kind()));
            }
            Record::Provider(p) => {
                let provider = p.into_record(self.tenant)?;
                if !self.provider_ids.insert(provider.id) {
                    return Err(format!("provider {} appears twice", provider.id));
                }
                self.providers.push(provider);
                self.counts.providers += 1;
            }
            Record::ProviderSettings(s) => {
                // Not checked against the providers: a deleted provider's settings stay
                // with the tenant's data, as its users' log entries do.
                let settings = s.into_stored()?;
                if !self.settings.insert(settings.provider_id) {
                    return Err(format!(
                        "the settings of provider {} appear twice",
                        settings.provider_id
                    ));
                }
                self.pending.settings.push(settings);
                self.counts.provider_settings += 1;
            }
            Record::User(u) => {
                let user = u.into_stored()?;
                let local = user.provider_id.as_uuid() == LOCAL_PROVIDER;
                if !local && !self.provider_ids.contains(&user.provider_id) {
                    return Err(format!(
                        "user {} belongs to provider {}, which the document does not hold",
                        user.id, user.provider_id
                    ));
                }
                if !self.users.insert(user.id.as_uuid()) {
                    return Err(format!("user {} appears twice", user.id));
                }
                self.pending.users.push(user);
                self.counts.users += 1;
            }
            Record::Group(g) => {
                let group = g.into_stored()?;
                if !self.provider_ids.contains(&group.provider_id) {
                    return Err(format!(
                        "group {} belongs to provider {}, which the document does not hold",
                        group.id, group.provider_id
                    ));
                }
                if !self.groups.insert(group.id.as_uuid()) {
                    return Err(format!("group {} appears twice", group.id));
                }
                self.pending.groups.push(group);
                self.counts.groups += 1;
            }
            Record::Membership(m) => {
                let membership = m.into_stored()?;
                if !self.groups.contains(&membership.group_id.as_uuid()) {
                    return Err(format!(
                        "a membership names group {}, which the document does not hold",
                        membership.group_id
                    ));
                }
                let known = match membership.member_type {
                    MemberType::User => self.users.contains(&membership.member_id),
                    MemberType::Group => self.groups.contains(&membership.member_id),
                };
                if !known {
                    return Err(format!(
                        "group {} has member {}, which the document does not hold as a {:?}",
                        membership.group_id, membership.member_id, membership.member_type
                    ));
                }
                self.pending.memberships.push(membership);
                self.counts.memberships += 1;
            }
            // Jobs and log entries may name users that are gone (a hard delete keeps
            // the log), so they are not checked against the users. Duplicate ids and two
            // live jobs with one unique key are refused by the store's keys.
            Record::Job(j) => {
                let job = j.into_stored()?;
                if job.state == "pending" {
                    if let Some(key) = &job.unique_key {
                        self.live_keys.insert(key.clone());
                    }
                    self.note_due(job.due_at);
                }
                self.pending.jobs.push(job);
                self.counts.jobs += 1;
            }
            Record::SyncEntry(e) => {
                self.pending.sync.push(e.into_stored()?);
                self.counts.sync_entries += 1;
            }
            Record::AuditEntry(e) => {
                self.pending.audit.push(e.into_stored()?);
                self.counts.audit_entries += 1;
            }
            Record::ProvisioningError(e) => {
                self.pending.errors.push(e.into_stored()?);
                self.counts.provisioning_errors += 1;
            }
            other => return self.check_mapping(other),
        }
        Ok(())
    }

    fn note_due(&mut self, due: OffsetDateTime) {
        self.next_due = Some(self.next_due.map_or(due, |next| next.min(due)));
    }

    /// Puts back the seeded jobs whose unique key no pending job of the document has:
    /// the document's own (a version 2 export carries its `purge_logs`) replaces them.
    async fn keep_seeded_jobs(
        &mut self,
        tx: &mut TenantTx,
        seeded: Vec<StoredJob>,
    ) -> Result<(), TenantsError> {
        let kept: Vec<StoredJob> = seeded
            .into_iter()
            .filter(|job| {
                job.unique_key
                    .as_ref()
                    .is_none_or(|key| !self.live_keys.contains(key))
            })
            .collect();
        for job in &kept {
            if job.state == "pending" {
                self.note_due(job.due_at);
            }
        }
        tx.insert_stored_jobs(&kept).await?;
        Ok(())
    }

    /// Stores the records held back so far.
    async fn flush(&mut self, tx: &mut TenantTx) -> Result<(), TenantsError> {
        let pending = std::mem::take(&mut self.pending);
        let stored = async {
            tx.insert_stored_provider_settings(&pending.settings)
                .await?;
            if let Some(digest) = &pending.digest {
                tx.set_stored_digest_settings(digest).await?;
            }
            tx.insert_stored_roles(&pending.roles).await?;
            tx.insert_stored_organization_default_roles(&pending.default_roles)
                .await?;
            tx.insert_stored_users(&pending.users).await?;
            tx.insert_stored_user_roles(&pending.user_roles).await?;
            tx.insert_stored_groups(&pending.groups).await?;
            tx.insert_stored_memberships(&pending.memberships).await?;
            tx.insert_stored_group_org_mappings(&pending.group_orgs)
                .await?;
            tx.insert_stored_group_role_mappings(&pending.group_roles)
                .await?;
            tx.insert_stored_role_allowlist(&pending.allowlist).await?;
            tx.insert_stored_mapping_rules(&pending.rules).await?;
            tx.insert_stored_pending_remaps(&pending.remaps).await?;
            tx.insert_stored_jobs(&pending.jobs).await?;
            tx.insert_stored_apply_results(&pending.apply).await?;
            tx.insert_stored_sync_entries(&pending.sync).await?;
            tx.insert_stored_audit_entries(&pending.audit).await?;
            tx.insert_stored_provisioning_errors(&pending.errors).await
        }
        .await;
        stored.map_err(collision)
    }
}

/// Turns a key the document's own records break into an invalid-document error.
fn collision(err: StoreError) -> TenantsError {
    match err {
        StoreError::Conflict { constraint } => invalid(
            None,
            format!("two records of the document collide ({constraint})"),
        ),
        other => other.into(),
    }
}
