//! Moving one tenant between deployments (`roster export` / `roster import`),
//! from embedded SQLite to PostgreSQL or back, keeping everything an identity
//! provider relies on: SCIM ids, externalIds, versions, timestamps, and the
//! providers' credential digests, so the same credentials keep working.
//!
//! The document is `roster-tenant-export` version 3, JSON Lines (see
//! [`format`]): a header, the tenant, its providers and their settings (mapping
//! methods included), the digest settings, organizations, roles and default
//! roles, users with their lifecycle facts (legal hold, pending deactivation,
//! deletion by the provider) and organization, users' roles, groups,
//! memberships, group mappings, role allowlists, mapping rules, queued remaps,
//! jobs, apply results, the sync and audit logs and the provisioning errors,
//! then an `end` record with the counts, so a truncated document is refused.
//! Version 1 and 2 documents are still imported, with the defaults the tenant
//! migrations gave existing data. Export reads one consistent snapshot; import checks the whole
//! document while it writes into one tenant transaction, and the tenant stays
//! `provisioning` (invisible to SCIM and to the admin API) until the last
//! record has been checked and everything is stored. A refused or interrupted
//! import removes what it created, and a retry of the same document replaces
//! whatever an interruption (a crash, say) left behind.

mod convert;
mod export;
pub(crate) mod format;
mod import;
mod loader;
mod reader;

use std::future::Future;

use crate::TenantsError;

pub use import::ImportSummary;

/// How many records of each kind a transfer moved, and the document's size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransferCounts {
    /// Providers.
    pub providers: u64,
    /// Providers' settings rows.
    pub provider_settings: u64,
    /// Users.
    pub users: u64,
    /// Groups.
    pub groups: u64,
    /// Group memberships.
    pub memberships: u64,
    /// Jobs, in every state.
    pub jobs: u64,
    /// Sync-log entries.
    pub sync_entries: u64,
    /// Audit-log entries.
    pub audit_entries: u64,
    /// Provisioning errors.
    pub provisioning_errors: u64,
    /// Digest settings rows (one per tenant).
    pub digest_settings: u64,
    /// Organizations, the top-level one included.
    pub organizations: u64,
    /// Roles, the builtin ones included.
    pub roles: u64,
    /// Organizations' default roles.
    pub organization_default_roles: u64,
    /// Roles held by users.
    pub user_roles: u64,
    /// Group-to-organization mappings.
    pub group_org_mappings: u64,
    /// Group-to-role mappings.
    pub group_role_mappings: u64,
    /// Role allowlist entries.
    pub role_allowlist: u64,
    /// Attribute-filter mapping rules.
    pub mapping_rules: u64,
    /// Users waiting to be remapped.
    pub pending_remaps: u64,
    /// Apply Org and Role Settings results.
    pub apply_results: u64,
    /// Bytes of the document.
    pub bytes: u64,
}

impl TransferCounts {
    /// Returns a document's counts and size.
    pub(crate) fn of(counts: format::EndCounts, bytes: u64) -> Self {
        Self {
            providers: counts.providers,
            provider_settings: counts.provider_settings,
            users: counts.users,
            groups: counts.groups,
            memberships: counts.memberships,
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
            bytes,
        }
    }
}

/// Where an import reads its document from: chunks of bytes that may split
/// lines anywhere; `None` at the end.
pub trait ChunkSource: Send {
    /// Returns the next chunk, or None at the end of the document.
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<Vec<u8>>, TenantsError>> + Send;
}
