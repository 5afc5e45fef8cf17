//! The `end` record: how many records of each kind came before it, so that a
//! cut or changed document is refused. Version 1 counted four kinds, version 2
//! nine.

use serde::{Deserialize, Serialize};

/// The last record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndLine {
    pub counts: EndCounts,
}

/// How many records of each kind the document holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndCounts {
    pub providers: u64,
    pub provider_settings: u64,
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    pub jobs: u64,
    pub sync_entries: u64,
    pub audit_entries: u64,
    pub provisioning_errors: u64,
    pub digest_settings: u64,
    pub organizations: u64,
    pub roles: u64,
    pub organization_default_roles: u64,
    pub user_roles: u64,
    pub group_org_mappings: u64,
    pub group_role_mappings: u64,
    pub role_allowlist: u64,
    pub mapping_rules: u64,
    pub pending_remaps: u64,
    pub apply_results: u64,
}

impl EndCounts {
    /// Returns the counts as `name count` pairs, for messages.
    pub(crate) fn describe(&self) -> String {
        [
            ("providers", self.providers),
            ("provider_settings", self.provider_settings),
            ("users", self.users),
            ("groups", self.groups),
            ("memberships", self.memberships),
            ("jobs", self.jobs),
            ("sync_entries", self.sync_entries),
            ("audit_entries", self.audit_entries),
            ("provisioning_errors", self.provisioning_errors),
            ("digest_settings", self.digest_settings),
            ("organizations", self.organizations),
            ("roles", self.roles),
            (
                "organization_default_roles",
                self.organization_default_roles,
            ),
            ("user_roles", self.user_roles),
            ("group_org_mappings", self.group_org_mappings),
            ("group_role_mappings", self.group_role_mappings),
            ("role_allowlist", self.role_allowlist),
            ("mapping_rules", self.mapping_rules),
            ("pending_remaps", self.pending_remaps),
            ("apply_results", self.apply_results),
        ]
        .iter()
        .map(|(name, n)| format!("{n} {name}"))
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// The `end` record of version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndLineV1 {
    pub counts: EndCountsV1,
}

/// The counts of version 1, which had four kinds of data records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndCountsV1 {
    pub providers: u64,
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
}

impl From<EndCountsV1> for EndCounts {
    fn from(v1: EndCountsV1) -> Self {
        Self {
            providers: v1.providers,
            users: v1.users,
            groups: v1.groups,
            memberships: v1.memberships,
            ..Self::default()
        }
    }
}

/// The `end` record of version 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndLineV2 {
    pub counts: EndCountsV2,
}

/// The counts of version 2, which had nine kinds of data records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndCountsV2 {
    pub providers: u64,
    pub provider_settings: u64,
    pub users: u64,
    pub groups: u64,
    pub memberships: u64,
    pub jobs: u64,
    pub sync_entries: u64,
    pub audit_entries: u64,
    pub provisioning_errors: u64,
}

impl From<EndCountsV2> for EndCounts {
    fn from(v2: EndCountsV2) -> Self {
        Self {
            providers: v2.providers,
            provider_settings: v2.provider_settings,
            users: v2.users,
            groups: v2.groups,
            memberships: v2.memberships,
            jobs: v2.jobs,
            sync_entries: v2.sync_entries,
            audit_entries: v2.audit_entries,
            provisioning_errors: v2.provisioning_errors,
            ..Self::default()
        }
    }
}
