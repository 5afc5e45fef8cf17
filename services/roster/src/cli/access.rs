//! `roster users move|roles|grant-role|revoke-role`: where admins put a user and which roles
//! they give it. Users are named by id or userName, organizations and roles by id or name.

use anyhow::anyhow;
use roster_proto::organizations::v1 as pb;
use serde_json::{Value, json};

use super::orgs::{client, ref_json, settings_json};
use super::{Admin, status_error};

/// What `roster users` asks about a user's access.
#[derive(Debug)]
pub(crate) enum AccessAction<'a> {
    /// Moves the user to this organization.
    Move(&'a str),
    /// Shows the user's access.
    Show,
    /// Grants this role.
    Grant(&'a str),
    /// Revokes this role.
    Revoke(&'a str),
}

fn granted_by_name(value: i32) -> &'static str {
    match pb::GrantedBy::try_from(value) {
        Ok(pb::GrantedBy::Admin) => "admin",
        Ok(pb::GrantedBy::Mapping) => "mapping",
        _ => "unknown",
    }
}

fn non_empty(text: &str) -> Value {
    if text.is_empty() {
        Value::Null
    } else {
        Value::String(text.to_owned())
    }
}

fn access_json(a: &pb::UserAccess) -> Value {
    json!({
        "user_id": a.user_id,
        "user_name": a.user_name,
        "organization": ref_json(a.organization.as_ref()),
        "placed_by": granted_by_name(a.placed_by),
        "placement_reason": non_empty(&a.placement_reason),
        "settings": settings_json(a.effective_settings.as_ref()),
        "settings_from": ref_json(a.settings_from.as_ref()),
        "user_settings": settings_json(a.user_settings.as_ref()),
        "roles": a.roles.iter().map(|g| {
            let role = g.role.clone().unwrap_or_default();
            json!({"id": role.id, "name": role.name, "granted_by": granted_by_name(g.granted_by), "reason": non_empty(&g.reason)})
        }).collect::<Vec<_>>(),
    })
}

fn describe_access(value: &Value) -> String {
    let text = |v: &Value| match v {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut lines = vec![
        format!(
            "{}\t{}\torganization {} ({} by {})",
            text(&value["user_id"]),
            text(&value["user_name"]),
            text(&value["organization"]["name"]),
            text(&value["placed_by"]),
            text(&value["placement_reason"]),
        ),
        format!(
            "settings\tprofile {}, storage region {}, quota {}",
            text(&value["settings"]["profile"]),
            text(&value["settings"]["storage_region"]),
            text(&value["settings"]["quota_bytes"]),
        ),
    ];
    if let Some(roles) = value["roles"].as_array() {
        lines.extend(roles.iter().map(|r| {
            format!(
                "role\t{}\t{}\t{}",
                text(&r["name"]),
                text(&r["granted_by"]),
                text(&r["reason"])
            )
        }));
    }
    lines.join("\n")
}

/// Runs `roster users move|roles|grant-role|revoke-role`.
pub(crate) async fn user_access(
    admin: &Admin,
    tenant: &str,
    user: &str,
    action: AccessAction<'_>,
) -> anyhow::Result<()> {
    let mut client = client(admin);
    let (tenant, user) = (tenant.to_owned(), user.to_owned());
    let access = match action {
        AccessAction::Move(organization) => {
            let request = admin.request(pb::MoveUserRequest {
                tenant,
                user,
                organization: organization.to_owned(),
            })?;
            let response = client.move_user(request).await;
            response.map_err(status_error)?.into_inner().access
        }
        AccessAction::Show => {
            let request = admin.request(pb::GetUserAccessRequest { tenant, user })?;
            let response = client.get_user_access(request).await;
            response.map_err(status_error)?.into_inner().access
        }
        AccessAction::Grant(role) => {
            let request = admin.request(pb::GrantUserRoleRequest {
                tenant,
                user,
                role: role.to_owned(),
            })?;
            let response = client.grant_user_role(request).await;
            response.map_err(status_error)?.into_inner().access
        }
        AccessAction::Revoke(role) => {
            let request = admin.request(pb::RevokeUserRoleRequest {
                tenant,
                user,
                role: role.to_owned(),
            })?;
            let response = client.revoke_user_role(request).await;
            response.map_err(status_error)?.into_inner().access
        }
    };
    let access = access.ok_or_else(|| anyhow!("server answered without the user's access"))?;
    let value = access_json(&access);
    admin.print(&value, || describe_access(&value));
    Ok(())
}
