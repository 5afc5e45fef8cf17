//! The loader's checks of the records of tenant migration 0003: organizations
//! (stored in tree order once the last one has been read), roles, default
//! roles, users' roles, group mappings, allowlists, rules, queued remaps,
//! apply results and the digest settings.

use std::collections::{HashMap, VecDeque};

use roster_store::{BUILTIN_ROLES, StoredOrganization, TOP_LEVEL_ORGANIZATION, TenantTx};
use uuid::Uuid;

use super::{Loader, collision};
use crate::TenantsError;
use crate::transfer::format::Record;
use crate::transfer::import::invalid;

impl Loader {
    /// Checks one record of a kind tenant migration 0003 added and holds it back.
    pub(super) fn check_mapping(&mut self, record: Record) -> Result<(), String> {
        match record {
            Record::DigestSettings(d) => {
                if self.counts.digest_settings > 0 {
                    return Err("a second `digest_settings` record".to_owned());
                }
                self.pending.digest = Some(d.into_stored()?);
                self.counts.digest_settings += 1;
            }
            Record::Organization(o) => {
                let org = o.into_stored()?;
                if !self.orgs.insert(org.id) {
                    return Err(format!("organization {} appears twice", org.id));
                }
                self.organizations.push(org);
                self.counts.organizations += 1;
            }
            Record::Role(r) => {
                let role = r.into_stored()?;
                if !self.roles.insert(role.id) {
                    return Err(format!("role {} appears twice", role.id));
                }
                self.pending.roles.push(role);
                self.counts.roles += 1;
            }
            Record::OrganizationDefaultRole(d) => {
                let row = d.into_stored();
                self.known_org(row.org_id, "a default role")?;
                self.known_role(row.role_id, "a default role")?;
                self.pending.default_roles.push(row);
                self.counts.organization_default_roles += 1;
            }
            Record::UserRole(r) => {
                let row = r.into_stored()?;
                if !self.users.contains(&row.user_id.as_uuid()) {
                    return Err(format!(
                        "a user role names user {}, which the document does not hold",
                        row.user_id
                    ));
                }
                self.known_role(row.role_id, "a user role")?;
                self.pending.user_roles.push(row);
                self.counts.user_roles += 1;
            }
            Record::GroupOrgMapping(m) => {
                let row = m.into_stored();
                self.known_group(row.group_id.as_uuid(), "a group mapping")?;
                self.known_org(row.org_id, "a group mapping")?;
                self.pending.group_orgs.push(row);
                self.counts.group_org_mappings += 1;
            }
            Record::GroupRoleMapping(m) => {
                let row = m.into_stored();
                self.known_group(row.group_id.as_uuid(), "a group mapping")?;
                self.known_role(row.role_id, "a group mapping")?;
                self.pending.group_roles.push(row);
                self.counts.group_role_mappings += 1;
            }
            // Like provider settings, not checked against the providers.
            Record::RoleAllowlistEntry(e) => {
                let row = e.into_stored();
                self.known_role(row.role_id, "an allowlist entry")?;
                self.pending.allowlist.push(row);
                self.counts.role_allowlist += 1;
            }
            Record::MappingRule(r) => {
                let rule = r.into_stored()?;
                self.known_org(rule.org_id, "a mapping rule")?;
                self.pending.rules.push(rule);
                self.counts.mapping_rules += 1;
            }
            // Queued remaps and apply results are work in progress and history: like
            // jobs and log entries, not checked against the users.
            Record::PendingRemap(r) => {
                self.pending.remaps.push(r.into_stored());
                self.counts.pending_remaps += 1;
            }
            Record::ApplyResult(r) => {
                self.pending.apply.push(r.into_stored()?);
                self.counts.apply_results += 1;
            }
            other => return Err(format!("an unexpected `{}` record", other.kind())),
        }
        Ok(())
    }

    fn known_org(&self, id: Uuid, what: &str) -> Result<(), String> {
        if id == TOP_LEVEL_ORGANIZATION || self.orgs.contains(&id) {
            Ok(())
        } else {
            Err(format!(
                "{what} names organization {id}, which the document does not hold"
            ))
        }
    }

    fn known_role(&self, id: Uuid, what: &str) -> Result<(), String> {
        if BUILTIN_ROLES.contains(&id) || self.roles.contains(&id) {
            Ok(())
        } else {
            Err(format!(
                "{what} names role {id}, which the document does not hold"
            ))
        }
    }

    fn known_group(&self, id: Uuid, what: &str) -> Result<(), String> {
        if self.groups.contains(&id) {
            Ok(())
        } else {
            Err(format!(
                "{what} names group {id}, which the document does not hold"
            ))
        }
    }

    /// Stores the organizations read so far, parents before children.
    pub(super) async fn insert_organization_tree(
        &mut self,
        tx: &mut TenantTx,
    ) -> Result<(), TenantsError> {
        if self.organizations.is_empty() {
            return Ok(());
        }
        let ordered = tree_order(std::mem::take(&mut self.organizations))
            .map_err(|problem| invalid(None, problem))?;
        tx.insert_stored_organizations(&ordered)
            .await
            .map_err(collision)
    }
}

/// Returns the organizations with every parent before its children, the top-level
/// organization (which the tenant always has) first when present. The document lists
/// them in id order, so a child may come before its parent; a parent that is missing,
/// or a chain of parents that never reaches the top-level organization (a cycle), is
/// refused.
fn tree_order(organizations: Vec<StoredOrganization>) -> Result<Vec<StoredOrganization>, String> {
    let mut ordered = Vec::with_capacity(organizations.len());
    let mut children: HashMap<Uuid, Vec<StoredOrganization>> = HashMap::new();
    for org in organizations {
        match org.parent_id {
            // The conversion allowed no parent to the top-level organization only.
            None => ordered.push(org),
            Some(parent) => children.entry(parent).or_default().push(org),
        }
    }
    let mut queue = VecDeque::from([TOP_LEVEL_ORGANIZATION]);
    while let Some(parent) = queue.pop_front() {
        for child in children.remove(&parent).unwrap_or_default() {
            queue.push_back(child.id);
            ordered.push(child);
        }
    }
    match children.into_iter().min_by_key(|(parent, _)| *parent) {
        None => Ok(ordered),
        Some((parent, orphans)) => Err(format!(
            "organization {} has parent {parent}, which is not in the document or does not lead to the top-level organization",
            orphans[0].id
        )),
    }
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;

    fn org(id: u128, parent: Option<Uuid>) -> StoredOrganization {
        StoredOrganization {
            id: Uuid::from_u128(id),
            name: format!("Org {id}"),
            name_key: format!("org {id}"),
            parent_id: parent,
            inherits: true,
            profile: None,
            storage_region: None,
            quota_bytes: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn parents_come_before_children_whatever_the_id_order() {
        let top = TOP_LEVEL_ORGANIZATION;
        let (a, b) = (Uuid::from_u128(0xa), Uuid::from_u128(0xb));
        // A grandchild with the smallest id, then the top-level organization last.
        let input = vec![
            org(0x1, Some(b)),
            org(0xb, Some(a)),
            org(0xa, Some(top)),
            org(top.as_u128(), None),
        ];
        let ids: Vec<Uuid> = tree_order(input).unwrap().iter().map(|o| o.id).collect();
        assert_eq!(ids, vec![top, a, b, Uuid::from_u128(0x1)]);
        // Without the top-level record (the tenant has it anyway).
        let ids: Vec<Uuid> = tree_order(vec![org(0xb, Some(a)), org(0xa, Some(top))])
            .unwrap()
            .iter()
            .map(|o| o.id)
            .collect();
        assert_eq!(ids, vec![a, b]);
    }

    #[test]
    fn records_naming_what_the_document_does_not_hold_are_refused() {
        use crate::transfer::format::{
            DigestSettingsLine, GroupOrgMappingLine, OrganizationDefaultRoleLine, UserRoleLine,
        };
        let mut loader = Loader::new(roster_core::TenantId::generate());
        let digest = || {
            Record::DigestSettings(DigestSettingsLine {
                frequency: "never".to_owned(),
                covered_until: None,
                updated_at: OffsetDateTime::UNIX_EPOCH,
            })
        };
        let default_role = |org_id, role_id| {
            Record::OrganizationDefaultRole(OrganizationDefaultRoleLine { org_id, role_id })
        };
        loader.check(digest()).unwrap();
        assert!(loader.check(digest()).unwrap_err().contains("second"));
        // The seeded organization and roles are always there; others must be in the document.
        loader
            .check(default_role(TOP_LEVEL_ORGANIZATION, BUILTIN_ROLES[0]))
            .unwrap();
        let err = loader
            .check(default_role(Uuid::now_v7(), BUILTIN_ROLES[0]))
            .unwrap_err();
        assert!(err.contains("names organization"), "{err}");
        let err = loader
            .check(default_role(TOP_LEVEL_ORGANIZATION, Uuid::now_v7()))
            .unwrap_err();
        assert!(err.contains("names role"), "{err}");
        let err = loader
            .check(Record::UserRole(UserRoleLine {
                user_id: roster_core::UserId::generate(),
                role_id: BUILTIN_ROLES[1],
                granted_by: "admin".to_owned(),
                reason: None,
            }))
            .unwrap_err();
        assert!(err.contains("names user"), "{err}");
        let err = loader
            .check(Record::GroupOrgMapping(GroupOrgMappingLine {
                provider_id: roster_core::ProviderId::generate(),
                group_id: roster_core::GroupId::generate(),
                org_id: TOP_LEVEL_ORGANIZATION,
                priority: 1,
            }))
            .unwrap_err();
        assert!(err.contains("names group"), "{err}");
        assert_eq!(
            (
                loader.counts.digest_settings,
                loader.counts.organization_default_roles
            ),
            (1, 1)
        );
    }

    #[test]
    fn missing_parents_and_cycles_are_refused() {
        let err = tree_order(vec![org(0xa, Some(Uuid::from_u128(0xf)))]).unwrap_err();
        assert!(err.contains("has parent"), "{err}");
        let (a, b) = (Uuid::from_u128(0xa), Uuid::from_u128(0xb));
        let err = tree_order(vec![org(0xa, Some(b)), org(0xb, Some(a))]).unwrap_err();
        assert!(err.contains("does not lead to the top-level"), "{err}");
    }
}
