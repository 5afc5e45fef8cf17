//! `roster mapping …`: a provider's organization and role mappings (methods,
//! group mappings, allowlist, attribute-filter rules) and why a user is where it
//! is; `roster apply …` is in [`apply`].

use std::collections::BTreeMap;

use clap::Subcommand;
use roster_proto::mapping::v1 as pb;
use roster_proto::mapping::v1::mapping_service_client::MappingServiceClient;

use super::{Admin, connect, status_error};
use crate::Args;

mod apply;
mod json;

pub(crate) use apply::{ApplyCommand, apply};
use json::{explanation_json, mapping_json};

/// A provider of a tenant.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ProviderRef {
    #[arg(long)]
    pub(super) tenant: String,
    /// The provider's id.
    #[arg(long)]
    pub(super) provider: String,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum OrgMethodArg {
    /// Every user in one organization (--target).
    Single,
    /// By the c42OrgName attribute; missing organizations are created under --parent.
    Attribute,
    /// By SCIM group, in priority order; others go to --target.
    Groups,
    /// By attribute-filter rules, in priority order; a user no rule matches is refused.
    Rules,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum RoleMethodArg {
    /// Admins assign roles; new users get their organization's default roles.
    Manual,
    /// SCIM group to roles.
    Groups,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum MoveArg {
    /// One place up.
    Up,
    /// One place down.
    Down,
    /// To the top.
    Top,
    /// To the bottom.
    Bottom,
}

fn move_value(how: MoveArg) -> i32 {
    (match how {
        MoveArg::Up => pb::Move::Up,
        MoveArg::Down => pb::Move::Down,
        MoveArg::Top => pb::Move::Top,
        MoveArg::Bottom => pb::Move::Bottom,
    }) as i32
}

#[derive(Debug, Subcommand)]
pub(crate) enum GroupOrgCommand {
    /// Maps groups (id or displayName) to an organization, at the bottom of the priority order.
    Add {
        #[command(flatten)]
        provider: ProviderRef,
        /// The organization (id or name).
        #[arg(long)]
        org: String,
        /// The groups.
        #[arg(required = true)]
        groups: Vec<String>,
    },
    /// Removes a group's organization mapping.
    Remove {
        #[command(flatten)]
        provider: ProviderRef,
        /// The group.
        group: String,
    },
    /// Moves a group's organization mapping in the priority order.
    Move {
        #[command(flatten)]
        provider: ProviderRef,
        /// The group.
        group: String,
        /// Where to.
        #[arg(value_enum)]
        to: MoveArg,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RuleCommand {
    /// Adds an attribute-filter rule at the bottom of the priority order.
    Add {
        #[command(flatten)]
        provider: ProviderRef,
        /// Name.
        #[arg(long)]
        name: String,
        /// The SCIM attribute path (e.g. title, urn:…:enterprise:2.0:User:department).
        #[arg(long, conflicts_with = "all_users")]
        attribute: Option<String>,
        /// Comma-separated values, case-sensitive.
        #[arg(long, requires = "attribute")]
        values: Option<String>,
        /// Match every user.
        #[arg(long)]
        all_users: bool,
        /// Where matching users go (id or name).
        #[arg(long)]
        org: String,
        /// Backup profile given to matching users.
        #[arg(long)]
        profile: Option<String>,
        /// Storage region given to matching users.
        #[arg(long)]
        storage_region: Option<String>,
        /// Per-user quota in bytes.
        #[arg(long)]
        quota_bytes: Option<i64>,
    },
    /// Changes a rule's name, organization or settings (its criteria cannot change).
    Edit {
        #[command(flatten)]
        provider: ProviderRef,
        /// The rule's id.
        rule: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        org: Option<String>,
        #[arg(long)]
        profile: Option<String>,
        #[arg(long)]
        storage_region: Option<String>,
        /// Negative clears it.
        #[arg(long, allow_hyphen_values = true)]
        quota_bytes: Option<i64>,
        /// Refused unless unchanged: criteria are immutable.
        #[arg(long)]
        attribute: Option<String>,
        /// Refused unless unchanged: criteria are immutable.
        #[arg(long)]
        values: Option<String>,
    },
    /// Removes a rule.
    Remove {
        #[command(flatten)]
        provider: ProviderRef,
        /// The rule's id.
        rule: String,
    },
    /// Moves a rule in the priority order.
    Move {
        #[command(flatten)]
        provider: ProviderRef,
        /// The rule's id.
        rule: String,
        /// Where to.
        #[arg(value_enum)]
        to: MoveArg,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum MappingCommand {
    /// Shows a provider's mappings.
    Show(ProviderRef),
    /// Sets the organization-mapping method.
    OrgMethod {
        #[command(flatten)]
        provider: ProviderRef,
        #[arg(value_enum)]
        method: OrgMethodArg,
        /// The single organization, or where unmapped users go [top-level].
        #[arg(long, default_value = "")]
        target: String,
        /// Where c42OrgName creates missing organizations [top-level].
        #[arg(long, default_value = "")]
        parent: String,
    },
    /// Sets the role-mapping method.
    RoleMethod {
        #[command(flatten)]
        provider: ProviderRef,
        #[arg(value_enum)]
        method: RoleMethodArg,
    },
    /// Edits the SCIM group to organization mappings.
    #[command(subcommand)]
    GroupOrg(GroupOrgCommand),
    /// Sets the roles a SCIM group maps to (none: unmapped).
    GroupRoles {
        #[command(flatten)]
        provider: ProviderRef,
        /// The group.
        group: String,
        /// The roles (id or name).
        roles: Vec<String>,
    },
    /// Sets the roles provisioning may grant or revoke for the provider.
    Allowlist {
        #[command(flatten)]
        provider: ProviderRef,
        /// The roles (id or name); none allows none.
        roles: Vec<String>,
    },
    /// Edits the attribute-filter rules.
    #[command(subcommand)]
    Rule(RuleCommand),
    /// Says which rule or group decided a user's organization and each role.
    Explain {
        #[arg(long)]
        tenant: String,
        /// The user (id or userName).
        user: String,
    },
}

pub(super) fn client(admin: &Admin) -> MappingServiceClient<tonic::transport::Channel> {
    MappingServiceClient::new(admin.channel.clone())
}

fn print_mapping(admin: &Admin, m: &pb::Mapping) {
    admin.print(&mapping_json(m), || {
        serde_json::to_string_pretty(&mapping_json(m)).unwrap_or_default()
    });
}

/// Runs a `roster mapping` command.
pub(crate) async fn mapping(
    args: &Args,
    env: &BTreeMap<String, String>,
    command: &MappingCommand,
) -> anyhow::Result<()> {
    let admin = connect(args, env).await?;
    let mut c = client(&admin);
    let t = |p: &ProviderRef| (p.tenant.clone(), p.provider.clone());
    let reply = match command {
        MappingCommand::Show(p) => {
            let (tenant, provider) = t(p);
            c.get_mapping(admin.request(pb::GetMappingRequest { tenant, provider })?)
                .await
        }
        MappingCommand::OrgMethod {
            provider,
            method,
            target,
            parent,
        } => {
            let (tenant, provider) = t(provider);
            let method = match method {
                OrgMethodArg::Single => pb::OrgMethod::Single,
                OrgMethodArg::Attribute => pb::OrgMethod::Attribute,
                OrgMethodArg::Groups => pb::OrgMethod::Groups,
                OrgMethodArg::Rules => pb::OrgMethod::Rules,
            } as i32;
            let request = pb::SetOrgMethodRequest {
                tenant,
                provider,
                method,
                target_organization: target.clone(),
                parent_organization: parent.clone(),
            };
            c.set_org_method(admin.request(request)?).await
        }
        MappingCommand::RoleMethod { provider, method } => {
            let (tenant, provider) = t(provider);
            let method = match method {
                RoleMethodArg::Manual => pb::RoleMethod::Manual,
                RoleMethodArg::Groups => pb::RoleMethod::Groups,
            } as i32;
            c.set_role_method(admin.request(pb::SetRoleMethodRequest {
                tenant,
                provider,
                method,
            })?)
            .await
        }
        MappingCommand::GroupOrg(GroupOrgCommand::Add {
            provider,
            org,
            groups,
        }) => {
            let (tenant, provider) = t(provider);
            let request = pb::AddGroupOrgMappingRequest {
                tenant,
                provider,
                groups: groups.clone(),
                organization: org.clone(),
            };
            c.add_group_org_mapping(admin.request(request)?).await
        }
        MappingCommand::GroupOrg(GroupOrgCommand::Remove { provider, group }) => {
            let (tenant, provider) = t(provider);
            c.remove_group_org_mapping(admin.request(pb::GroupRequest {
                tenant,
                provider,
                group: group.clone(),
            })?)
            .await
        }
        MappingCommand::GroupOrg(GroupOrgCommand::Move {
            provider,
            group,
            to,
        }) => {
            let (tenant, provider) = t(provider);
            let request = pb::MoveGroupRequest {
                tenant,
                provider,
                group: group.clone(),
                r#move: move_value(*to),
            };
            c.move_group_org_mapping(admin.request(request)?).await
        }
        MappingCommand::GroupRoles {
            provider,
            group,
            roles,
        } => {
            let (tenant, provider) = t(provider);
            let request = pb::SetGroupRolesRequest {
                tenant,
                provider,
                group: group.clone(),
                roles: roles.clone(),
            };
            c.set_group_roles(admin.request(request)?).await
        }
        MappingCommand::Allowlist { provider, roles } => {
            let (tenant, provider) = t(provider);
            c.set_role_allowlist(admin.request(pb::SetRoleAllowlistRequest {
                tenant,
                provider,
                roles: roles.clone(),
            })?)
            .await
        }
        MappingCommand::Rule(RuleCommand::Add {
            provider,
            name,
            attribute,
            values,
            all_users,
            org,
            profile,
            storage_region,
            quota_bytes,
        }) => {
            let (tenant, provider) = t(provider);
            let request = pb::AddRuleRequest {
                tenant,
                provider,
                name: name.clone(),
                attribute: attribute.clone().unwrap_or_default(),
                values: values.clone().unwrap_or_default(),
                all_users: *all_users,
                organization: org.clone(),
                profile: profile.clone().unwrap_or_default(),
                storage_region: storage_region.clone().unwrap_or_default(),
                quota_bytes: *quota_bytes,
            };
            c.add_rule(admin.request(request)?).await
        }
        MappingCommand::Rule(RuleCommand::Edit {
            provider,
            rule,
            name,
            org,
            profile,
            storage_region,
            quota_bytes,
            attribute,
            values,
        }) => {
            let (tenant, provider) = t(provider);
            let request = pb::UpdateRuleRequest {
                tenant,
                provider,
                rule: rule.clone(),
                name: name.clone(),
                organization: org.clone(),
                profile: profile.clone(),
                storage_region: storage_region.clone(),
                quota_bytes: *quota_bytes,
                attribute: attribute.clone(),
                values: values.clone(),
            };
            c.update_rule(admin.request(request)?).await
        }
        MappingCommand::Rule(RuleCommand::Remove { provider, rule }) => {
            let (tenant, provider) = t(provider);
            c.remove_rule(admin.request(pb::RuleRequest {
                tenant,
                provider,
                rule: rule.clone(),
            })?)
            .await
        }
        MappingCommand::Rule(RuleCommand::Move { provider, rule, to }) => {
            let (tenant, provider) = t(provider);
            let request = pb::MoveRuleRequest {
                tenant,
                provider,
                rule: rule.clone(),
                r#move: move_value(*to),
            };
            c.move_rule(admin.request(request)?).await
        }
        MappingCommand::Explain { tenant, user } => {
            let request = pb::ExplainRequest {
                tenant: tenant.clone(),
                user: user.clone(),
            };
            let e = c
                .explain(admin.request(request)?)
                .await
                .map_err(status_error)?
                .into_inner();
            let value = explanation_json(&e);
            admin.print(&value, || {
                serde_json::to_string_pretty(&value).unwrap_or_default()
            });
            return Ok(());
        }
    };
    let mapping = reply.map_err(status_error)?.into_inner();
    print_mapping(&admin, &mapping);
    Ok(())
}
