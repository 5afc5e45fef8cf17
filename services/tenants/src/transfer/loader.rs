//! Checks and stores the data records of one document, inside the import's
//! tenant transaction: document order, references between records,
//! duplicates, and the `end` record's counts.

use std::collections::HashSet;

use roster_core::{ProviderId, TenantId};
use roster_store::{
    MemberType, ProviderRecord, StoreError, StoredGroup, StoredMembership, StoredUser, TenantTx,
};

use super::ChunkSource;
use super::format::{EndCounts, KINDS, Record};
use super::import::{invalid, truncated};
use super::reader::RecordReader;
use crate::TenantsError;

/// Rows inserted per batch.
const BATCH: usize = 200;

/// Checks and stores the data records of one document.
pub(crate) struct Loader {
    tenant: TenantId,
    pub(crate) providers: Vec<ProviderRecord>,
    provider_ids: HashSet<ProviderId>,
    users: HashSet<uuid::Uuid>,
    groups: HashSet<uuid::Uuid>,
    pending_users: Vec<StoredUser>,
    pending_groups: Vec<StoredGroup>,
    pending_memberships: Vec<StoredMembership>,
    counts: EndCounts,
}

impl Loader {
    pub(crate) fn new(tenant: TenantId) -> Self {
        Self {
            tenant,
            providers: Vec::new(),
            provider_ids: HashSet::new(),
            users: HashSet::new(),
            groups: HashSet::new(),
            pending_users: Vec::new(),
            pending_groups: Vec::new(),
            pending_memberships: Vec::new(),
            counts: EndCounts::default(),
        }
    }

    pub(crate) async fn run<S: ChunkSource>(
        &mut self,
        tx: &mut TenantTx,
        reader: &mut RecordReader<S>,
    ) -> Result<EndCounts, TenantsError> {
        // A retry after an interruption may find rows the earlier attempt committed.
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
                self.flush(tx).await?;
            }
            last = (record.kind(), rank);
            let problem = |problem: String| invalid(Some(line), problem);
            match record {
                Record::Header(_) | Record::Tenant(_) => {
                    return Err(problem(format!("a second `{}` record", last.0)));
                }
                Record::Provider(p) => {
                    let provider = p.into_record(self.tenant).map_err(problem)?;
                    if !self.provider_ids.insert(provider.id) {
                        return Err(problem(format!("provider {} appears twice", provider.id)));
                    }
                    self.providers.push(provider);
                    self.counts.providers += 1;
                }
                Record::User(u) => {
                    let user = u.into_stored().map_err(problem)?;
                    if !self.provider_ids.contains(&user.provider_id) {
                        return Err(problem(format!(
                            "user {} belongs to provider {}, which the document does not hold",
                            user.id, user.provider_id
                        )));
                    }
                    if !self.users.insert(user.id.as_uuid()) {
                        return Err(problem(format!("user {} appears twice", user.id)));
                    }
                    self.pending_users.push(user);
                    self.counts.users += 1;
                }
                Record::Group(g) => {
                    let group = g.into_stored().map_err(problem)?;
                    if !self.provider_ids.contains(&group.provider_id) {
                        return Err(problem(format!(
                            "group {} belongs to provider {}, which the document does not hold",
                            group.id, group.provider_id
                        )));
                    }
                    if !self.groups.insert(group.id.as_uuid()) {
                        return Err(problem(format!("group {} appears twice", group.id)));
                    }
                    self.pending_groups.push(group);
                    self.counts.groups += 1;
                }
                Record::Membership(m) => {
                    let membership = m.into_stored().map_err(problem)?;
                    if !self.groups.contains(&membership.group_id.as_uuid()) {
                        return Err(problem(format!(
                            "a membership names group {}, which the document does not hold",
                            membership.group_id
                        )));
                    }
                    let known = match membership.member_type {
                        MemberType::User => self.users.contains(&membership.member_id),
                        MemberType::Group => self.groups.contains(&membership.member_id),
                    };
                    if !known {
                        return Err(problem(format!(
                            "group {} has member {}, which the document does not hold as a {:?}",
                            membership.group_id, membership.member_id, membership.member_type
                        )));
                    }
                    self.pending_memberships.push(membership);
                    self.counts.memberships += 1;
                }
                Record::End(end) => {
                    if end.counts != self.counts {
                        let (e, c) = (end.counts, self.counts);
                        return Err(problem(format!(
                            "the `end` record counts {} providers, {} users, {} groups and {} memberships, \
                             but the document holds {}, {}, {} and {}: it was cut or changed",
                            e.providers,
                            e.users,
                            e.groups,
                            e.memberships,
                            c.providers,
                            c.users,
                            c.groups,
                            c.memberships
                        )));
                    }
                    if let Some((line, _)) = reader.next().await? {
                        return Err(invalid(Some(line), "records after the `end` record"));
                    }
                    return Ok(self.counts);
                }
            }
            if self.pending_users.len() + self.pending_groups.len() + self.pending_memberships.len()
                >= BATCH
            {
                self.flush(tx).await?;
            }
        }
    }

    /// Stores the records held back so far.
    async fn flush(&mut self, tx: &mut TenantTx) -> Result<(), TenantsError> {
        let stored = async {
            tx.insert_stored_users(&self.pending_users).await?;
            tx.insert_stored_groups(&self.pending_groups).await?;
            tx.insert_stored_memberships(&self.pending_memberships)
                .await
        }
        .await;
        self.pending_users.clear();
        self.pending_groups.clear();
        self.pending_memberships.clear();
        stored.map_err(|err| match err {
            StoreError::Conflict { constraint } => invalid(
                None,
                format!("two records of the document collide ({constraint})"),
            ),
            other => other.into(),
        })
    }
}
