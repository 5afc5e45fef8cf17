//! Applies a provider's mappings to one user inside the caller's tenant
//! transaction: moves it to the organization the mapping chooses (creating a
//! `c42OrgName` organization when missing), grants and revokes the roles it maps
//! to within the provider's allowlist, and writes each change to the sync log —
//! or, in a dry run, only says what it would do.

use std::collections::BTreeMap;

use roster_core::{OrganizationId, ProviderId, RoleId, user_name_key};
use roster_store::{
    ActorKind, AuditEntry, GrantedBy, NewOrganization, Placement, RoleMethod, SyncEntry, TenantTx,
    UserRecord, UserRole,
};

use super::resolve::{MappingConfig, OrgTarget, choose_org, group_roles};
use crate::OrganizationsError;
use crate::members::user_name_of;

/// Reads a provider's whole mapping configuration.
pub async fn load_config(
    tx: &mut TenantTx,
    provider: ProviderId,
) -> Result<MappingConfig, OrganizationsError> {
    let role_names = tx
        .roles()
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    Ok(MappingConfig {
        methods: tx.mapping_methods(provider).await?,
        group_orgs: tx.group_org_mappings(provider).await?,
        group_roles: tx.group_role_mappings(provider).await?,
        allowlist: tx.role_allowlist(provider).await?.into_iter().collect(),
        rules: tx.mapping_rules(provider).await?,
        role_names,
    })
}

/// Why the mapping runs for a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    /// The provider creates (or revives) the user: a user no rule matches is refused.
    Create,
    /// The provider changed the user's groups or mapped attribute, or a remap job runs.
    Update,
    /// Apply Org and Role Settings; `dry_run` changes nothing.
    Apply {
        /// Only say what would change.
        dry_run: bool,
    },
}

impl Occasion {
    fn dry_run(self) -> bool {
        matches!(self, Self::Apply { dry_run: true })
    }

    fn change_type_prefix(self) -> &'static str {
        match self {
            Self::Apply { .. } => "applied: ",
            Self::Create | Self::Update => "",
        }
    }
}

/// What placing a user changed (or, in a dry run, would change).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaceOutcome {
    /// The organization before and after, when it moves.
    pub moved: Option<Move>,
    /// Role names gained.
    pub roles_added: Vec<String>,
    /// Role names lost.
    pub roles_removed: Vec<String>,
    /// No attribute-filter rule matches: the user stays where it is.
    pub unmatched: bool,
    /// The profile, storage region or quota a rule gives it changes.
    pub settings_changed: bool,
    /// Sync errors recorded.
    pub sync_errors: Vec<String>,
}

impl PlaceOutcome {
    /// Returns whether anything changes.
    pub fn changes(&self) -> bool {
        self.moved.is_some() || !self.roles_added.is_empty() || !self.roles_removed.is_empty()
    }
}

/// A user's move between organizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    /// From.
    pub from: OrganizationId,
    /// To; `None` in a dry run when the `c42OrgName` organization does not exist yet.
    pub to: Option<OrganizationId>,
    /// The destination's name.
    pub to_name: String,
}

/// Formats an organization as the sync log shows it: its name and id.
pub fn org_label(name: &str, id: Option<OrganizationId>) -> String {
    match id {
        Some(id) => format!("{name} ({id})"),
        None => format!("{name} (to be created)"),
    }
}

/// Returns an organization's name (its id when it is gone).
pub(crate) async fn org_name(
    tx: &mut TenantTx,
    id: OrganizationId,
) -> Result<String, OrganizationsError> {
    Ok(tx
        .organization(id)
        .await?
        .map_or_else(|| id.to_string(), |o| o.name))
}

/// Applies the provider's mappings to `user` (whose groups are `groups`) for `occasion`.
/// Refuses ([`OrganizationsError::NoMappingRule`]) a user no attribute-filter rule matches
/// at creation; at any other time such a user keeps its organization and a sync error is
/// recorded.
pub async fn place_user(
    tx: &mut TenantTx,
    config: &MappingConfig,
    user: &UserRecord,
    groups: &[(roster_core::GroupId, String)],
    occasion: Occasion,
) -> Result<PlaceOutcome, OrganizationsError> {
    let dry_run = occasion.dry_run();
    let mut outcome = PlaceOutcome::default();
    let mut log = Vec::new();
    let current = tx
        .user_placement(user.id)
        .await?
        .ok_or_else(|| OrganizationsError::not_found("user", user.id))?;
    let choice = choose_org(config, &user.resource, groups);
    let target: Option<(Option<OrganizationId>, String)> = match &choice.target {
        OrgTarget::Unmatched => {
            let rules: Vec<String> = config
                .rules
                .iter()
                .map(|r| format!("{:?}", r.name))
                .collect();
            let detail = format!(
                "no organization mapping rule of this provider matches the user (rules in priority order: {}); add a rule that matches it, or an 'all users' rule",
                if rules.is_empty() {
                    "none".to_owned()
                } else {
                    rules.join(", ")
                }
            );
            if occasion == Occasion::Create {
                return Err(OrganizationsError::NoMappingRule(detail));
            }
            outcome.unmatched = true;
            let name = org_name(tx, current.org_id).await?;
            outcome.sync_errors.push(format!(
                "{detail}; the user stays in {}",
                org_label(&name, Some(current.org_id))
            ));
            None
        }
        OrgTarget::Id(id) => Some((Some(*id), org_name(tx, *id).await?)),
        OrgTarget::Named(name) => match tx.organization_by_name_key(&user_name_key(name)).await? {
            Some(org) => Some((Some(org.id), org.name)),
            None if dry_run => Some((None, name.clone())),
            None => {
                let id = OrganizationId::generate();
                let org = tx
                    .insert_organization_if_absent(&NewOrganization {
                        id,
                        name: name.clone(),
                        name_key: user_name_key(name),
                        parent_id: config.methods.org_parent_id,
                    })
                    .await?;
                if org.id == id {
                    audit_created_organization(tx, user, &org.name, id).await?;
                }
                Some((Some(org.id), org.name))
            }
        },
    };
    if let Some(error) = &choice.sync_error {
        outcome.sync_errors.push(error.clone());
    }
    let mut roles_org = current.org_id;
    if let Some((to, to_name)) = target {
        roles_org = to.unwrap_or(config.methods.org_parent_id);
        let wanted = to.map(|org_id| Placement {
            org_id,
            set_by: GrantedBy::Mapping,
            reason: Some(choice.reason.clone()),
            profile: choice.settings.profile.clone(),
            storage_region: choice.settings.storage_region.clone(),
            quota_bytes: choice.settings.quota_bytes,
        });
        if to != Some(current.org_id) {
            let from_name = org_name(tx, current.org_id).await?;
            log.push((
                "organization changed",
                "organization",
                Some(org_label(&from_name, Some(current.org_id))),
                Some(org_label(&to_name, to)),
            ));
            outcome.moved = Some(Move {
                from: current.org_id,
                to,
                to_name,
            });
        }
        if let Some(wanted) = wanted
            && wanted != current
        {
            let settings = [
                ("profile", &current.profile, &wanted.profile),
                (
                    "storageRegion",
                    &current.storage_region,
                    &wanted.storage_region,
                ),
            ];
            for (attribute, old, new) in settings {
                if old != new {
                    log.push(("settings changed", attribute, old.clone(), new.clone()));
                    outcome.settings_changed = true;
                }
            }
            if current.quota_bytes != wanted.quota_bytes {
                let text = |q: Option<i64>| q.map(|q| q.to_string());
                log.push((
                    "settings changed",
                    "quotaBytes",
                    text(current.quota_bytes),
                    text(wanted.quota_bytes),
                ));
                outcome.settings_changed = true;
            }
            if !dry_run {
                tx.set_user_placement(user.id, &wanted).await?;
            }
        }
    }
    let manages_roles =
        config.methods.role_method == RoleMethod::Groups || occasion == Occasion::Create;
    if manages_roles {
        let desired = desired_roles(tx, config, groups, roles_org).await?;
        let held: BTreeMap<RoleId, UserRole> = tx
            .user_roles(user.id)
            .await?
            .into_iter()
            .map(|r| (r.role_id, r))
            .collect();
        for role in &config.allowlist {
            let name = config
                .role_names
                .get(role)
                .cloned()
                .unwrap_or_else(|| role.to_string());
            match (desired.get(role), held.get(role)) {
                (Some(reason), None) => {
                    outcome.roles_added.push(name.clone());
                    log.push(("role added", "roles", None, Some(name)));
                    if !dry_run {
                        tx.grant_user_role(user.id, &mapped_role(*role, reason))
                            .await?;
                    }
                }
                (None, Some(_)) if config.methods.role_method == RoleMethod::Groups => {
                    outcome.roles_removed.push(name.clone());
                    log.push(("role removed", "roles", Some(name), None));
                    if !dry_run {
                        tx.revoke_user_role(user.id, *role).await?;
                    }
                }
                (Some(reason), Some(held)) if !dry_run => {
                    let wanted = mapped_role(*role, reason);
                    if *held != wanted {
                        tx.grant_user_role(user.id, &wanted).await?;
                    }
                }
                _ => {}
            }
        }
    }
    if !dry_run {
        write_sync_log(tx, user, occasion, &log, &outcome.sync_errors).await?;
    }
    Ok(outcome)
}

/// Records that provisioning created an organization (a `c42OrgName` that named none).
async fn audit_created_organization(
    tx: &mut TenantTx,
    user: &UserRecord,
    name: &str,
    id: OrganizationId,
) -> Result<(), OrganizationsError> {
    tx.append_audit(&AuditEntry {
        id: uuid::Uuid::now_v7(),
        actor_kind: ActorKind::System,
        actor: "roster".to_owned(),
        event: "organization created".to_owned(),
        target_kind: Some("organization".to_owned()),
        target_id: Some(id.to_string()),
        target_name: Some(name.to_owned()),
        details: serde_json::json!({"by": "c42OrgName", "user": user.id.to_string(), "provider": user.provider_id.to_string()}),
    })
    .await?;
    Ok(())
}

fn mapped_role(role: RoleId, reason: &str) -> UserRole {
    UserRole {
        role_id: role,
        granted_by: GrantedBy::Mapping,
        reason: Some(reason.to_owned()),
    }
}

/// The roles the mapping gives a user in organization `org`, with why: its groups' roles
/// (role method "groups"), else the organization's default roles.
pub async fn desired_roles(
    tx: &mut TenantTx,
    config: &MappingConfig,
    groups: &[(roster_core::GroupId, String)],
    org: OrganizationId,
) -> Result<BTreeMap<RoleId, String>, OrganizationsError> {
    let grants = group_roles(config, groups);
    if !grants.is_empty() {
        return Ok(grants.into_iter().map(|g| (g.role, g.reason)).collect());
    }
    let effective = tx.effective_settings(org).await?;
    let from = org_name(tx, effective.from).await?;
    Ok(effective
        .default_roles
        .into_iter()
        .map(|role| (role, format!("default role of organization {from:?}")))
        .collect())
}

async fn write_sync_log(
    tx: &mut TenantTx,
    user: &UserRecord,
    occasion: Occasion,
    log: &[(&str, &str, Option<String>, Option<String>)],
    errors: &[String],
) -> Result<(), OrganizationsError> {
    let user_name = user_name_of(user);
    let prefix = occasion.change_type_prefix();
    let mut entries: Vec<SyncEntry> = log
        .iter()
        .map(|(change, attribute, old, new)| SyncEntry {
            provider_id: user.provider_id,
            user_id: user.id,
            user_name: user_name.clone(),
            change_type: format!("{prefix}{change}"),
            attribute: (*attribute).to_owned(),
            old_value: old.clone(),
            new_value: new.clone(),
        })
        .collect();
    entries.extend(errors.iter().map(|error| SyncEntry {
        provider_id: user.provider_id,
        user_id: user.id,
        user_name: user_name.clone(),
        change_type: "sync error".to_owned(),
        attribute: "organization".to_owned(),
        old_value: None,
        new_value: Some(error.clone()),
    }));
    tx.append_sync_log(&entries).await?;
    Ok(())
}
