//! Groups and memberships. Member changes cost O(change): a PATCH that adds
//! or removes members touches only those membership rows.

use std::collections::BTreeSet;

use roster_core::{GroupId, user_name_key};
use roster_scim::ScimError;
use roster_scim::patch::{MemberChange, PatchOperation, apply, split_group_patch};
use roster_scim::resource::normalize;
use roster_scim::schema::ResourceKind;
use roster_store::{GroupRecord, MemberRecord, MemberType, NewGroup, TenantTx};
use serde_json::Value as Json;
use uuid::Uuid;

use roster_organizations::mapping::place::load_config;
use roster_organizations::mapping::remap::{
    mapping_of_group, queue_ids, queue_members, remap_queued,
};
use roster_organizations::mapping::resolve::MappingConfig;

use crate::filter::group_conditions;
use crate::{Identity, IdentityError, Page, Scope};

/// A group as returned to callers.
#[derive(Debug, Clone)]
pub struct GroupView {
    /// The stored record (its document has no members).
    pub record: GroupRecord,
    /// Members, or None when the caller excluded them.
    pub members: Option<Vec<MemberRecord>>,
}

fn parse_id(id: &str) -> Result<GroupId, IdentityError> {
    GroupId::parse(id).map_err(|_| IdentityError::not_found("Group", id))
}

/// Splits a canonical Group document into its indexed facts (without members) and member ids.
fn index(mut doc: Json) -> Result<(NewGroup, Vec<String>), ScimError> {
    let members = doc
        .as_object_mut()
        .and_then(|o| o.remove("members"))
        .and_then(|m| match m {
            Json::Array(items) => Some(items),
            _ => None,
        })
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m.get("value").and_then(Json::as_str).map(str::to_owned))
        .collect();
    let display_name = doc
        .get("displayName")
        .and_then(Json::as_str)
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| ScimError::invalid_value("displayName is required"))?
        .to_owned();
    Ok((
        NewGroup {
            display_name_key: user_name_key(&display_name),
            display_name,
            external_id: doc
                .get("externalId")
                .and_then(Json::as_str)
                .map(str::to_owned),
            resource: doc,
        },
        members,
    ))
}

/// Resolves member ids to the provider's users and groups; any other id is a 400.
async fn resolve(
    tx: &mut TenantTx,
    scope: Scope,
    group: GroupId,
    ids: &[String],
) -> Result<Vec<(Uuid, MemberType)>, IdentityError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut parsed = Vec::with_capacity(ids.len());
    for id in ids {
        let uuid = Uuid::try_parse(id)
            .ok()
            .filter(|u| u.hyphenated().to_string() == *id)
            .ok_or_else(|| ScimError::invalid_value(format!("member {id:?} does not exist")))?;
        parsed.push(uuid);
    }
    parsed.sort_unstable();
    parsed.dedup();
    if parsed.contains(&group.as_uuid()) {
        return Err(ScimError::invalid_value("a group cannot be a member of itself").into());
    }
    let found = tx.resolve_members(scope.provider, &parsed).await?;
    if found.len() != parsed.len() {
        let missing = parsed
            .iter()
            .find(|id| !found.iter().any(|(f, _)| f == *id))
            .map(Uuid::to_string)
            .unwrap_or_default();
        return Err(ScimError::invalid_value(format!("member {missing:?} does not exist")).into());
    }
    Ok(found)
}

/// Returns the ids in exactly one of `a` and `b`: the members a replacement really changed.
fn symmetric_difference(a: &[Uuid], b: &[Uuid]) -> Vec<Uuid> {
    let a: BTreeSet<Uuid> = a.iter().copied().collect();
    let b: BTreeSet<Uuid> = b.iter().copied().collect();
    a.symmetric_difference(&b).copied().collect()
}

fn parse_member_ids(ids: &[String]) -> Vec<Uuid> {
    ids.iter()
        .filter_map(|id| Uuid::try_parse(id).ok())
        .collect()
}

impl Identity {
    /// Remaps the users a mapped group's change queued; true when a job will.
    async fn remap(
        &self,
        tx: &mut TenantTx,
        scope: Scope,
        config: &MappingConfig,
    ) -> Result<bool, IdentityError> {
        let actor = tx
            .provider_settings(scope.provider)
            .await?
            .map_or_else(|| scope.provider.to_string(), |s| s.username);
        Ok(remap_queued(tx, config, scope.provider, &actor).await?)
    }

    /// Pokes the job workers after a commit that scheduled a remap job.
    async fn hint_remap(&self, scope: Scope, scheduled: bool) {
        if scheduled {
            self.hint_job_due(scope.tenant, 0).await;
        }
    }

    async fn group_view(
        &self,
        tx: &mut TenantTx,
        record: GroupRecord,
        exclude_members: bool,
    ) -> Result<GroupView, IdentityError> {
        let members = if exclude_members {
            None
        } else {
            Some(tx.members(record.id).await?)
        };
        Ok(GroupView { record, members })
    }

    /// Creates a group with its members.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn create_group(&self, scope: Scope, doc: Json) -> Result<GroupView, IdentityError> {
        let (new, member_ids) = index(normalize(ResourceKind::Group, doc)?)?;
        let id = GroupId::generate();
        let mut tx = self.store.begin(&scope.tenant).await?;
        let members = resolve(&mut tx, scope, id, &member_ids).await?;
        let record = tx.insert_group(scope.provider, id, &new).await?;
        tx.add_members(id, &members).await?;
        let view = self.group_view(&mut tx, record, false).await?;
        tx.commit().await?;
        tracing::info!(group = %id, members = members.len(), "group created");
        Ok(view)
    }

    /// Returns one of the provider's groups.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn get_group(
        &self,
        scope: Scope,
        id: &str,
        exclude_members: bool,
    ) -> Result<GroupView, IdentityError> {
        let group_id = parse_id(id)?;
        let mut tx = self.store.begin(&scope.tenant).await?;
        let record = tx
            .group(scope.provider, group_id, false)
            .await?
            .ok_or_else(|| IdentityError::not_found("Group", id))?;
        self.group_view(&mut tx, record, exclude_members).await
    }

    /// Lists the provider's groups matching a filter.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn list_groups(
        &self,
        scope: Scope,
        filter: &str,
        page: Page,
        exclude_members: bool,
    ) -> Result<(i64, Vec<GroupView>), IdentityError> {
        let conditions = group_conditions(filter)?;
        let (offset, limit) = page.offset_limit();
        let mut tx = self.store.begin(&scope.tenant).await?;
        let (total, records) = tx
            .list_groups(scope.provider, &conditions, offset, limit)
            .await?;
        let mut views = Vec::with_capacity(records.len());
        for record in records {
            views.push(self.group_view(&mut tx, record, exclude_members).await?);
        }
        Ok((total, views))
    }

    /// Replaces a group's attributes and its whole member list (SCIM PUT).
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn replace_group(
        &self,
        scope: Scope,
        id: &str,
        doc: Json,
    ) -> Result<GroupView, IdentityError> {
        let group_id = parse_id(id)?;
        let (new, member_ids) = index(normalize(ResourceKind::Group, doc)?)?;
        let mut tx = self.store.begin(&scope.tenant).await?;
        tx.group(scope.provider, group_id, true)
            .await?
            .ok_or_else(|| IdentityError::not_found("Group", id))?;
        let members = resolve(&mut tx, scope, group_id, &member_ids).await?;
        let mapping = mapping_of_group(&mut tx, scope.provider, group_id).await?;
        let record = tx.update_group(scope.provider, group_id, &new).await?;
        let removed = tx.clear_members(group_id).await?;
        let added = tx.add_members(group_id, &members).await?;
        let view = self.group_view(&mut tx, record, false).await?;
        let scheduled = match &mapping {
            Some(config) => {
                let changed = symmetric_difference(&removed, &added);
                queue_ids(&mut tx, scope.provider, &changed).await?;
                self.remap(&mut tx, scope, config).await?
            }
            None => false,
        };
        tx.commit().await?;
        self.hint_remap(scope, scheduled).await;
        tracing::info!(group = %group_id, "group replaced");
        Ok(view)
    }

    /// Applies PATCH operations to a group, all or nothing. Returns the group without members.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn patch_group(
        &self,
        scope: Scope,
        id: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<GroupView, IdentityError> {
        let group_id = parse_id(id)?;
        let (member_changes, other_ops) = split_group_patch(ops)?;
        let mut tx = self.store.begin(&scope.tenant).await?;
        let current = tx
            .group(scope.provider, group_id, true)
            .await?
            .ok_or_else(|| IdentityError::not_found("Group", id))?;
        let mut record = current.clone();
        if !other_ops.is_empty() {
            let mut doc = current.resource.clone();
            apply(ResourceKind::Group, &mut doc, &other_ops)?;
            let (new, _) = index(doc)?;
            if new.resource != current.resource {
                record = tx.update_group(scope.provider, group_id, &new).await?;
            }
        }
        let mapping = if member_changes.is_empty() {
            None
        } else {
            mapping_of_group(&mut tx, scope.provider, group_id).await?
        };
        // Only members whose membership really changed are remapped: an admin's manual move
        // of anyone else stays.
        let mut changed: Vec<Uuid> = Vec::new();
        for change in &member_changes {
            match change {
                MemberChange::Add(ids) => {
                    let members = resolve(&mut tx, scope, group_id, ids).await?;
                    changed.extend(tx.add_members(group_id, &members).await?);
                }
                MemberChange::Remove(ids) => {
                    let ids = parse_member_ids(ids);
                    changed.extend(tx.remove_members(group_id, &ids).await?);
                }
                MemberChange::RemoveAll => changed.extend(tx.clear_members(group_id).await?),
                MemberChange::Replace(ids) => {
                    let members = resolve(&mut tx, scope, group_id, ids).await?;
                    let removed = tx.clear_members(group_id).await?;
                    let added = tx.add_members(group_id, &members).await?;
                    changed.extend(symmetric_difference(&removed, &added));
                }
            }
        }
        if mapping.is_some() {
            queue_ids(&mut tx, scope.provider, &changed).await?;
        }
        if !member_changes.is_empty() && record.version == current.version {
            record = tx.touch_group(group_id).await?;
        }
        let scheduled = match &mapping {
            Some(config) => self.remap(&mut tx, scope, config).await?,
            None => false,
        };
        tx.commit().await?;
        self.hint_remap(scope, scheduled).await;
        tracing::info!(group = %group_id, member_changes = member_changes.len(), "group patched");
        Ok(GroupView {
            record,
            members: None,
        })
    }

    /// Deletes one of the provider's groups.
    #[tracing::instrument(skip_all, fields(tenant = %scope.tenant, provider = %scope.provider))]
    pub async fn delete_group(&self, scope: Scope, id: &str) -> Result<(), IdentityError> {
        let group_id = parse_id(id)?;
        let mut tx = self.store.begin(&scope.tenant).await?;
        let mapped = tx.group(scope.provider, group_id, true).await?.is_some()
            && mapping_of_group(&mut tx, scope.provider, group_id)
                .await?
                .is_some();
        if mapped {
            queue_members(&mut tx, scope.provider, group_id).await?;
        }
        if !tx.delete_group(scope.provider, group_id).await? {
            return Err(IdentityError::not_found("Group", id));
        }
        // The group's mappings went with it: its members are remapped without them.
        let scheduled = if mapped {
            let config = load_config(&mut tx, scope.provider).await?;
            self.remap(&mut tx, scope, &config).await?
        } else {
            false
        };
        tx.commit().await?;
        self.hint_remap(scope, scheduled).await;
        tracing::info!(group = %group_id, "group deleted");
        Ok(())
    }
}
