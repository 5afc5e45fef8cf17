//! `roster org …` and `roster role …`: a tenant's organization tree and its roles
//! catalogue. Organizations and roles are named by id or name.

use std::collections::BTreeMap;

use anyhow::anyhow;
use clap::Subcommand;
use roster_proto::organizations::v1 as pb;
use roster_proto::organizations::v1::organizations_service_client::OrganizationsServiceClient;
use serde_json::{Value, json};

use super::{Admin, connect, rfc3339, status_error};
use crate::Args;

#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Creates an organization (3-220 characters, unique regardless of case), a child of the
    /// top-level organization unless --parent names another.
    Create {
        #[arg(long)]
        tenant: String,
        /// The organization's name.
        name: String,
        /// The parent, by id or name.
        #[arg(long)]
        parent: Option<String>,
    },
    /// Renames an organization.
    Rename {
        #[arg(long)]
        tenant: String,
        /// The organization, by id or name.
        org: String,
        /// The new name.
        name: String,
    },
    /// Moves an organization under another (not under itself or one of its descendants).
    Move {
        #[arg(long)]
        tenant: String,
        /// The organization, by id or name.
        org: String,
        /// The new parent, by id or name.
        #[arg(long)]
        parent: String,
    },
    /// Lists the organization tree: each organization after its parent.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Shows an organization: own and effective settings, default roles, users, children.
    Show {
        #[arg(long)]
        tenant: String,
        /// The organization, by id or name.
        org: String,
    },
    /// Changes an organization's inheritance, own settings and own default roles.
    Set {
        #[arg(long)]
        tenant: String,
        /// The organization, by id or name.
        org: String,
        /// Take the parent's settings and default roles.
        #[arg(long, conflicts_with = "no_inherit")]
        inherit: bool,
        /// Use its own settings and default roles.
        #[arg(long)]
        no_inherit: bool,
        /// Its own backup profile ("" clears it).
        #[arg(long)]
        profile: Option<String>,
        /// Its own storage region ("" clears it).
        #[arg(long)]
        storage_region: Option<String>,
        /// Its own per-user quota in bytes (at least 0).
        #[arg(long, conflicts_with = "no_quota", allow_negative_numbers = true)]
        quota_bytes: Option<i64>,
        /// Removes its own quota.
        #[arg(long)]
        no_quota: bool,
        /// Its own default roles, by id or name, replacing the current ones (repeatable).
        #[arg(long = "default-role", conflicts_with = "no_default_roles")]
        default_roles: Vec<String>,
        /// Removes all its own default roles.
        #[arg(long)]
        no_default_roles: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RoleCommand {
    /// Lists the roles catalogue: builtin roles first, then custom roles.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Adds a custom role (2-100 characters, unique regardless of case).
    Create {
        #[arg(long)]
        tenant: String,
        /// The role's name.
        name: String,
        /// What the role is for.
        #[arg(long, default_value = "")]
        description: String,
    },
}

pub(super) fn client(admin: &Admin) -> OrganizationsServiceClient<tonic::transport::Channel> {
    OrganizationsServiceClient::new(admin.channel.clone())
}

pub(super) fn ref_json(r: Option<&pb::OrganizationRef>) -> Value {
    r.map_or(Value::Null, |r| json!({"id": r.id, "name": r.name}))
}

fn roles_json(roles: &[pb::RoleRef]) -> Value {
    roles
        .iter()
        .map(|r| json!({"id": r.id, "name": r.name}))
        .collect()
}

pub(super) fn settings_json(s: Option<&pb::Settings>) -> Value {
    let s = s.cloned().unwrap_or_default();
    json!({"profile": s.profile, "storage_region": s.storage_region, "quota_bytes": s.quota_bytes})
}

fn summary_json(s: &pb::OrganizationSummary) -> Value {
    json!({
        "id": s.id,
        "name": s.name,
        "parent_id": if s.parent_id.is_empty() { Value::Null } else { Value::String(s.parent_id.clone()) },
        "depth": s.depth,
        "path": s.path,
        "inherits": s.inherits,
        "created_at": rfc3339(&s.created_at),
        "updated_at": rfc3339(&s.updated_at),
    })
}

fn organization_json(o: &pb::Organization) -> Value {
    let mut value = o.summary.as_ref().map(summary_json).unwrap_or(json!({}));
    value["parent"] = ref_json(o.parent.as_ref());
    value["settings"] = settings_json(o.settings.as_ref());
    value["default_roles"] = roles_json(&o.default_roles);
    value["effective"] = json!({
        "from": ref_json(o.effective_from.as_ref()),
        "settings": settings_json(o.effective_settings.as_ref()),
        "default_roles": roles_json(&o.effective_default_roles),
    });
    value["user_count"] = json!(o.user_count);
    value["children"] = o.children.iter().map(|c| ref_json(Some(c))).collect();
    value
}

fn describe_organization(value: &Value) -> String {
    let text = |v: &Value| match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let names = |v: &Value| {
        v.as_array()
            .map(|a| a.iter().map(|r| text(&r["name"])).collect::<Vec<_>>())
            .unwrap_or_default()
            .join(", ")
    };
    let effective = &value["effective"];
    [
        format!("{}\t{}", text(&value["name"]), text(&value["id"])),
        format!("path\t{}", names_of_path(&value["path"])),
        format!("inherits\t{}", value["inherits"]),
        format!(
            "own settings\tprofile {}, storage region {}, quota {}, default roles [{}]",
            text(&value["settings"]["profile"]),
            text(&value["settings"]["storage_region"]),
            text(&value["settings"]["quota_bytes"]),
            names(&value["default_roles"])
        ),
        format!(
            "effective (from {})\tprofile {}, storage region {}, quota {}, default roles [{}]",
            text(&effective["from"]["name"]),
            text(&effective["settings"]["profile"]),
            text(&effective["settings"]["storage_region"]),
            text(&effective["settings"]["quota_bytes"]),
            names(&effective["default_roles"])
        ),
        format!("users\t{}", value["user_count"]),
        format!("children\t{}", names(&value["children"])),
    ]
    .join("\n")
}

fn names_of_path(path: &Value) -> String {
    path.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" / ")
        })
        .unwrap_or_default()
}

fn show_organization(admin: &Admin, organization: Option<pb::Organization>) -> anyhow::Result<()> {
    let organization =
        organization.ok_or_else(|| anyhow!("server answered without an organization"))?;
    let value = organization_json(&organization);
    admin.print(&value, || describe_organization(&value));
    Ok(())
}

fn role_json(r: &pb::Role) -> Value {
    json!({"id": r.id, "name": r.name, "builtin": r.builtin, "description": r.description})
}

fn describe_role(r: &pb::Role) -> String {
    format!(
        "{}\t{}\t{}\t{}",
        r.id,
        r.name,
        if r.builtin { "builtin" } else { "custom" },
        r.description
    )
}

/// Runs `roster org …`.
pub(crate) async fn org(
    args: &Args,
    env: &BTreeMap<String, String>,
    command: &OrgCommand,
) -> anyhow::Result<()> {
    let admin = connect(args, env).await?;
    let mut client = client(&admin);
    let organization = match command {
        OrgCommand::Create {
            tenant,
            name,
            parent,
        } => {
            let request = admin.request(pb::CreateOrganizationRequest {
                tenant: tenant.clone(),
                name: name.clone(),
                parent: parent.clone().unwrap_or_default(),
            })?;
            let response = client.create_organization(request).await;
            response.map_err(status_error)?.into_inner().organization
        }
        OrgCommand::Rename { tenant, org, name } => {
            let request = admin.request(pb::RenameOrganizationRequest {
                tenant: tenant.clone(),
                organization: org.clone(),
                name: name.clone(),
            })?;
            let response = client.rename_organization(request).await;
            response.map_err(status_error)?.into_inner().organization
        }
        OrgCommand::Move {
            tenant,
            org,
            parent,
        } => {
            let request = admin.request(pb::MoveOrganizationRequest {
                tenant: tenant.clone(),
                organization: org.clone(),
                parent: parent.clone(),
            })?;
            let response = client.move_organization(request).await;
            response.map_err(status_error)?.into_inner().organization
        }
        OrgCommand::List { tenant } => {
            let request = admin.request(pb::ListOrganizationsRequest {
                tenant: tenant.clone(),
            })?;
            let list = client
                .list_organizations(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .organizations;
            let value = json!({"organizations": list.iter().map(summary_json).collect::<Vec<_>>()});
            admin.print(&value, || {
                list.iter()
                    .map(|o| {
                        let indent = "  ".repeat(usize::try_from(o.depth).unwrap_or(0));
                        format!("{indent}{}\t{}", o.name, o.id)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            return Ok(());
        }
        OrgCommand::Show { tenant, org } => {
            let request = admin.request(pb::GetOrganizationRequest {
                tenant: tenant.clone(),
                organization: org.clone(),
            })?;
            let response = client.get_organization(request).await;
            response.map_err(status_error)?.into_inner().organization
        }
        OrgCommand::Set {
            tenant,
            org,
            inherit,
            no_inherit,
            profile,
            storage_region,
            quota_bytes,
            no_quota,
            default_roles,
            no_default_roles,
        } => {
            let inherits = match (inherit, no_inherit) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            let default_roles =
                (!default_roles.is_empty() || *no_default_roles).then(|| pb::DefaultRoles {
                    roles: default_roles.clone(),
                });
            let request = admin.request(pb::SetOrganizationSettingsRequest {
                tenant: tenant.clone(),
                organization: org.clone(),
                inherits,
                profile: profile.clone(),
                storage_region: storage_region.clone(),
                quota_bytes: *quota_bytes,
                clear_quota_bytes: *no_quota,
                default_roles,
            })?;
            let response = client.set_organization_settings(request).await;
            response.map_err(status_error)?.into_inner().organization
        }
    };
    show_organization(&admin, organization)
}

/// Runs `roster role …`.
pub(crate) async fn role(
    args: &Args,
    env: &BTreeMap<String, String>,
    command: &RoleCommand,
) -> anyhow::Result<()> {
    let admin = connect(args, env).await?;
    match command {
        RoleCommand::List { tenant } => {
            let request = admin.request(pb::ListRolesRequest {
                tenant: tenant.clone(),
            })?;
            let roles = client(&admin)
                .list_roles(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .roles;
            let value = json!({"roles": roles.iter().map(role_json).collect::<Vec<_>>()});
            admin.print(&value, || {
                roles
                    .iter()
                    .map(describe_role)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        RoleCommand::Create {
            tenant,
            name,
            description,
        } => {
            let request = admin.request(pb::CreateRoleRequest {
                tenant: tenant.clone(),
                name: name.clone(),
                description: description.clone(),
            })?;
            let role = client(&admin)
                .create_role(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .role
                .ok_or_else(|| anyhow!("server answered without a role"))?;
            admin.print(&role_json(&role), || describe_role(&role));
        }
    }
    Ok(())
}
