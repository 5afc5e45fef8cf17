//! The shape of an organization tree: the order a listing shows it in (each organization after
//! its parent, siblings by name), each organization's depth and path, and the check that a move
//! keeps the tree a tree. Pure functions over records, no I/O.

use std::collections::HashMap;

use roster_core::OrganizationId;
use roster_store::OrganizationRecord;

use crate::OrganizationsError;

/// One organization in tree order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// The organization.
    pub organization: OrganizationRecord,
    /// How many parents above it: 0 for the top-level organization.
    pub depth: usize,
    /// The names from the top-level organization down to this one.
    pub path: Vec<String>,
}

/// Returns every organization in tree order: depth first from the top-level organization,
/// siblings by case-folded name. Organizations the walk cannot reach (a corrupted tree) follow
/// at depth 0, so a listing never hides one.
pub fn tree_order(organizations: Vec<OrganizationRecord>) -> Vec<TreeEntry> {
    let mut children: HashMap<Option<OrganizationId>, Vec<&OrganizationRecord>> = HashMap::new();
    for org in &organizations {
        children.entry(org.parent_id).or_default().push(org);
    }
    for siblings in children.values_mut() {
        siblings.sort_by_cached_key(|org| (roster_core::user_name_key(&org.name), org.id));
    }
    let mut ordered = Vec::with_capacity(organizations.len());
    let mut stack: Vec<(&OrganizationRecord, usize, Vec<String>)> = children
        .get(&None)
        .map(|roots| {
            roots
                .iter()
                .rev()
                .map(|org| (*org, 0, Vec::new()))
                .collect()
        })
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    while let Some((org, depth, mut path)) = stack.pop() {
        if !seen.insert(org.id) {
            continue;
        }
        path.push(org.name.clone());
        if let Some(kids) = children.get(&Some(org.id)) {
            for kid in kids.iter().rev() {
                stack.push((kid, depth + 1, path.clone()));
            }
        }
        ordered.push(TreeEntry {
            organization: org.clone(),
            depth,
            path,
        });
    }
    for org in &organizations {
        if !seen.contains(&org.id) {
            ordered.push(TreeEntry {
                organization: org.clone(),
                depth: 0,
                path: vec![org.name.clone()],
            });
        }
    }
    ordered
}

/// Checks that `organization` may move under `new_parent`, given every organization's parent:
/// the top-level organization stays at the top, and no organization moves under itself or one
/// of its descendants (that would cut it and its subtree off the tree in a cycle).
pub fn check_move(
    organization: OrganizationId,
    organization_name: &str,
    new_parent: OrganizationId,
    parents: &HashMap<OrganizationId, Option<OrganizationId>>,
) -> Result<(), OrganizationsError> {
    if parents.get(&organization).copied().flatten().is_none() {
        return Err(OrganizationsError::PreconditionFailed(
            "the top-level organization cannot be moved".to_owned(),
        ));
    }
    if organization == new_parent {
        return Err(OrganizationsError::PreconditionFailed(format!(
            "organization {organization_name:?} cannot be its own parent"
        )));
    }
    let mut current = Some(new_parent);
    // Each step climbs one level; more steps than organizations means a corrupted tree.
    for _ in 0..=parents.len() {
        match current {
            None => return Ok(()),
            Some(id) if id == organization => {
                return Err(OrganizationsError::PreconditionFailed(format!(
                    "organization {organization_name:?} cannot move under one of its own \
                     descendants; move that descendant elsewhere first"
                )));
            }
            Some(id) => current = parents.get(&id).copied().flatten(),
        }
    }
    Err(OrganizationsError::PreconditionFailed(
        "the organization tree has a cycle".to_owned(),
    ))
}

/// Returns each organization's parent.
pub fn parents_of(
    organizations: &[OrganizationRecord],
) -> HashMap<OrganizationId, Option<OrganizationId>> {
    organizations
        .iter()
        .map(|org| (org.id, org.parent_id))
        .collect()
}

#[cfg(test)]
mod tests {
    use roster_store::OrganizationSettings;
    use time::OffsetDateTime;

    use super::*;

    fn org(id: u128, name: &str, parent: Option<u128>) -> OrganizationRecord {
        OrganizationRecord {
            id: OrganizationId::from_uuid(uuid::Uuid::from_u128(id)),
            name: name.to_owned(),
            parent_id: parent.map(|p| OrganizationId::from_uuid(uuid::Uuid::from_u128(p))),
            inherits: parent.is_some(),
            settings: OrganizationSettings::default(),
            default_roles: Vec::new(),
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn id(n: u128) -> OrganizationId {
        OrganizationId::from_uuid(uuid::Uuid::from_u128(n))
    }

    /// top(1) ─ sales(2) ─ emea(3) ─ paris(4); top ─ eng(5)
    fn sample() -> Vec<OrganizationRecord> {
        vec![
            org(4, "Paris", Some(3)),
            org(5, "engineering", Some(1)),
            org(3, "EMEA", Some(2)),
            org(1, "Top", None),
            org(2, "Sales", Some(1)),
        ]
    }

    fn refused(result: Result<(), OrganizationsError>) -> String {
        match result {
            Err(OrganizationsError::PreconditionFailed(reason)) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn tree_order_puts_children_after_parents_siblings_by_name() {
        let entries = tree_order(sample());
        let names: Vec<(&str, usize)> = entries
            .iter()
            .map(|e| (e.organization.name.as_str(), e.depth))
            .collect();
        assert_eq!(
            names,
            [
                ("Top", 0),
                ("engineering", 1),
                ("Sales", 1),
                ("EMEA", 2),
                ("Paris", 3)
            ]
        );
        assert_eq!(entries[4].path, ["Top", "Sales", "EMEA", "Paris"]);
    }

    #[test]
    fn moves_within_the_tree_are_allowed() {
        let parents = parents_of(&sample());
        assert!(check_move(id(3), "EMEA", id(5), &parents).is_ok());
        assert!(check_move(id(4), "Paris", id(1), &parents).is_ok());
        // Moving to the current parent is a no-op, not a cycle.
        assert!(check_move(id(3), "EMEA", id(2), &parents).is_ok());
    }

    #[test]
    fn moving_under_itself_or_a_descendant_is_refused() {
        let parents = parents_of(&sample());
        assert!(refused(check_move(id(2), "Sales", id(2), &parents)).contains("own parent"));
        assert!(refused(check_move(id(2), "Sales", id(3), &parents)).contains("descendants"));
        assert!(refused(check_move(id(2), "Sales", id(4), &parents)).contains("descendants"));
    }

    #[test]
    fn the_top_level_organization_cannot_move() {
        let parents = parents_of(&sample());
        assert!(refused(check_move(id(1), "Top", id(5), &parents)).contains("top-level"));
    }

    #[test]
    fn a_corrupted_tree_is_reported_not_looped() {
        let mut orgs = sample();
        orgs.push(org(6, "Loop A", Some(7)));
        orgs.push(org(7, "Loop B", Some(6)));
        let parents = parents_of(&orgs);
        assert!(refused(check_move(id(2), "Sales", id(6), &parents)).contains("cycle"));
        let entries = tree_order(orgs);
        assert_eq!(
            entries.len(),
            7,
            "unreachable organizations are still listed"
        );
    }
}
