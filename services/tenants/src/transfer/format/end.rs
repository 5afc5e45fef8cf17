//! The `end` record: how many records of each kind came before it, so that a
//! cut or changed document is refused. Version 1 counted four kinds.

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
