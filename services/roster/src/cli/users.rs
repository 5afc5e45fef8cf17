//! `roster users …` and `roster provider set-delay|settings`: the admin view of
//! users (lifecycle, legal hold, local users, organization and roles) and provider
//! deactivation delays.

use std::collections::BTreeMap;

use anyhow::anyhow;
use clap::Subcommand;
use roster_proto::identity::v1 as pb;
use roster_proto::identity::v1::user_admin_service_client::UserAdminServiceClient;
use serde_json::{Value, json};

use super::access::{AccessAction, user_access};
use super::{Admin, connect, rfc3339, status_error};
use crate::Args;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum StateArg {
    /// May sign in.
    Active,
    /// May not sign in; data kept.
    Blocked,
    /// Account removed.
    Deactivated,
}

/// One user of one tenant, as most `roster users` commands name it.
#[derive(Debug, clap::Args)]
pub(crate) struct UserRef {
    #[arg(long)]
    tenant: String,
    /// The user's id or userName.
    user: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum UsersCommand {
    /// Lists a tenant's users by state and lifecycle facts.
    List {
        #[arg(long)]
        tenant: String,
        /// Only users in this state.
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        /// Only users with a deactivation pending (scheduled, or waiting on a legal hold).
        #[arg(long)]
        pending: bool,
        /// Only users on legal hold.
        #[arg(long)]
        on_hold: bool,
        /// Only users their provider deleted.
        #[arg(long)]
        deleted: bool,
        /// Only local users.
        #[arg(long)]
        local: bool,
        /// Only this provider's users.
        #[arg(long)]
        provider: Option<String>,
        /// Only the user with this userName.
        #[arg(long)]
        user_name: Option<String>,
        /// Results to skip.
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// Most results (at most 1000).
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Shows one user (by id or userName).
    Show(UserRef),
    /// Says whether a user may sign in (only active users may); exit status 0 either way.
    CanSignIn(UserRef),
    /// Blocks a user: sign-in refused, nothing scheduled.
    Block(UserRef),
    /// Unblocks a user, cancelling a pending deactivation.
    Unblock(UserRef),
    /// Deactivates a user at once (a user on legal hold is blocked; the deactivation waits).
    Deactivate(UserRef),
    /// Reactivates a user.
    Reactivate(UserRef),
    /// Places a user on legal hold.
    Hold(UserRef),
    /// Releases a user's legal hold; a deactivation that was waiting runs now.
    Release(UserRef),
    /// Deletes a user for good (refused under legal hold).
    Delete(UserRef),
    /// Creates a local user, managed only by admins.
    CreateLocal {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        display_name: Option<String>,
        /// E-mail address (repeatable; the first is primary).
        #[arg(long = "email")]
        emails: Vec<String>,
    },
    /// Moves a user to an organization (by id or name), as an admin.
    Move {
        #[arg(long)]
        tenant: String,
        /// The user's id or userName.
        user: String,
        /// The organization, by id or name.
        #[arg(long)]
        org: String,
    },
    /// Shows a user's organization, effective settings and roles, with who decided each.
    Roles(UserRef),
    /// Grants a user a role (by id or name), as an admin.
    GrantRole {
        #[arg(long)]
        tenant: String,
        /// The user's id or userName.
        user: String,
        /// The role, by id or name.
        role: String,
    },
    /// Revokes a role (by id or name) from a user.
    RevokeRole {
        #[arg(long)]
        tenant: String,
        /// The user's id or userName.
        user: String,
        /// The role, by id or name.
        role: String,
    },
    /// Replaces a local user's attributes.
    UpdateLocal {
        #[arg(long)]
        tenant: String,
        /// The user's id or current userName.
        user: String,
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long = "email")]
        emails: Vec<String>,
    },
}

fn state_name(state: i32) -> &'static str {
    match pb::UserState::try_from(state) {
        Ok(pb::UserState::Active) => "active",
        Ok(pb::UserState::Blocked) => "blocked",
        Ok(pb::UserState::Deactivated) => "deactivated",
        _ => "unknown",
    }
}

pub(crate) fn user_json(u: &pb::AdminUser) -> Value {
    json!({
        "id": u.id,
        "user_name": u.user_name,
        "external_id": u.external_id,
        "provider_id": if u.local { Value::Null } else { Value::String(u.provider_id.clone()) },
        "local": u.local,
        "state": state_name(u.state),
        "scim_active": u.scim_active,
        "deactivation_due_at": rfc3339(&u.deactivation_due_at),
        "deactivation_requested_by": if u.deactivation_requested_by.is_empty() { Value::Null } else { Value::String(u.deactivation_requested_by.clone()) },
        "legal_hold": u.legal_hold,
        "deleted_by_provider": u.deleted_by_provider,
        "deleted_at": rfc3339(&u.deleted_at),
        "admin_override": u.admin_override,
        "lifecycle_version": u.lifecycle_version,
        "created_at": rfc3339(&u.created),
        "state_changed_at": rfc3339(&u.state_changed_at),
    })
}

fn describe(u: &pb::AdminUser) -> String {
    let v = user_json(u);
    let mut facts = Vec::new();
    if let Some(due) = v["deactivation_due_at"].as_str() {
        facts.push(format!("deactivation due {due}"));
    }
    if u.legal_hold {
        facts.push("legal hold".to_owned());
    }
    if u.deleted_by_provider {
        facts.push("deleted by provider".to_owned());
    }
    if u.local {
        facts.push("local".to_owned());
    }
    format!(
        "{}\t{}\t{}\t{}",
        u.id,
        u.user_name,
        state_name(u.state),
        facts.join(", ")
    )
}

fn client(admin: &Admin) -> UserAdminServiceClient<tonic::transport::Channel> {
    UserAdminServiceClient::new(admin.channel.clone())
}

fn show_user(admin: &Admin, response: pb::AdminUserResponse) -> anyhow::Result<()> {
    let user = response
        .user
        .ok_or_else(|| anyhow!("server answered without a user"))?;
    admin.print(&user_json(&user), || describe(&user));
    Ok(())
}

/// The request naming `user`.
fn user_request(
    admin: &Admin,
    user: &UserRef,
) -> anyhow::Result<tonic::Request<pb::AdminUserRequest>> {
    admin.request(pb::AdminUserRequest {
        tenant: user.tenant.clone(),
        user: user.user.clone(),
    })
}

async fn change(admin: &Admin, user: &UserRef, action: pb::LifecycleAction) -> anyhow::Result<()> {
    let request = admin.request(pb::ChangeLifecycleRequest {
        tenant: user.tenant.clone(),
        user: user.user.clone(),
        action: action as i32,
    })?;
    let response = client(admin)
        .change_lifecycle(request)
        .await
        .map_err(status_error)?;
    show_user(admin, response.into_inner())
}

pub(crate) async fn users(
    args: &Args,
    env: &BTreeMap<String, String>,
    command: &UsersCommand,
) -> anyhow::Result<()> {
    let admin = connect(args, env).await?;
    match command {
        UsersCommand::List {
            tenant,
            state,
            pending,
            on_hold,
            deleted,
            local,
            provider,
            user_name,
            offset,
            limit,
        } => {
            let state = match state {
                None => pb::UserState::Unspecified,
                Some(StateArg::Active) => pb::UserState::Active,
                Some(StateArg::Blocked) => pb::UserState::Blocked,
                Some(StateArg::Deactivated) => pb::UserState::Deactivated,
            };
            let request = admin.request(pb::AdminListUsersRequest {
                tenant: tenant.clone(),
                state: state as i32,
                pending_deactivation: *pending,
                on_hold: *on_hold,
                deleted_by_provider: *deleted,
                local: *local,
                provider_id: provider.clone(),
                user_name: user_name.clone(),
                offset: *offset,
                limit: *limit,
            })?;
            let page = client(&admin)
                .list_users(request)
                .await
                .map_err(status_error)?
                .into_inner();
            let value = json!({"total": page.total, "users": page.users.iter().map(user_json).collect::<Vec<_>>()});
            admin.print(&value, || {
                page.users
                    .iter()
                    .map(describe)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        UsersCommand::Show(user) => {
            let request = user_request(&admin, user)?;
            let response = client(&admin)
                .get_user(request)
                .await
                .map_err(status_error)?;
            show_user(&admin, response.into_inner())?;
        }
        UsersCommand::CanSignIn(user) => {
            let request = user_request(&admin, user)?;
            let answer = client(&admin)
                .check_sign_in(request)
                .await
                .map_err(status_error)?
                .into_inner();
            let value = json!({"user_id": answer.user_id, "allowed": answer.allowed, "state": state_name(answer.state)});
            admin.print(&value, || {
                format!(
                    "{}\t{}",
                    if answer.allowed { "allowed" } else { "refused" },
                    state_name(answer.state)
                )
            });
        }
        UsersCommand::Block(user) => change(&admin, user, pb::LifecycleAction::Block).await?,
        UsersCommand::Unblock(user) => change(&admin, user, pb::LifecycleAction::Unblock).await?,
        UsersCommand::Deactivate(user) => {
            change(&admin, user, pb::LifecycleAction::Deactivate).await?
        }
        UsersCommand::Reactivate(user) => {
            change(&admin, user, pb::LifecycleAction::Reactivate).await?
        }
        UsersCommand::Hold(user) => change(&admin, user, pb::LifecycleAction::SetLegalHold).await?,
        UsersCommand::Release(user) => {
            change(&admin, user, pb::LifecycleAction::ReleaseLegalHold).await?
        }
        UsersCommand::Delete(user) => {
            let request = user_request(&admin, user)?;
            client(&admin)
                .delete_user(request)
                .await
                .map_err(status_error)?;
            admin.print(&json!({"deleted": user.user}), || {
                format!("deleted {}", user.user)
            });
        }
        UsersCommand::CreateLocal {
            tenant,
            user_name,
            display_name,
            emails,
        } => {
            let request = admin.request(pb::LocalUserRequest {
                tenant: tenant.clone(),
                user: String::new(),
                user_name: user_name.clone(),
                display_name: display_name.clone(),
                emails: emails.clone(),
            })?;
            let response = client(&admin)
                .create_local_user(request)
                .await
                .map_err(status_error)?;
            show_user(&admin, response.into_inner())?;
        }
        UsersCommand::Move { tenant, user, org } => {
            user_access(&admin, tenant, user, AccessAction::Move(org)).await?
        }
        UsersCommand::Roles(user) => {
            user_access(&admin, &user.tenant, &user.user, AccessAction::Show).await?
        }
        UsersCommand::GrantRole { tenant, user, role } => {
            user_access(&admin, tenant, user, AccessAction::Grant(role)).await?
        }
        UsersCommand::RevokeRole { tenant, user, role } => {
            user_access(&admin, tenant, user, AccessAction::Revoke(role)).await?
        }
        UsersCommand::UpdateLocal {
            tenant,
            user,
            user_name,
            display_name,
            emails,
        } => {
            let request = admin.request(pb::LocalUserRequest {
                tenant: tenant.clone(),
                user: user.clone(),
                user_name: user_name.clone(),
                display_name: display_name.clone(),
                emails: emails.clone(),
            })?;
            let response = client(&admin)
                .update_local_user(request)
                .await
                .map_err(status_error)?;
            show_user(&admin, response.into_inner())?;
        }
    }
    Ok(())
}

fn settings_json(s: &pb::ProviderSettingsResponse) -> Value {
    json!({
        "provider_id": s.provider_id,
        "username": s.username,
        "deactivation_delay_seconds": s.deactivation_delay_seconds,
        "last_success_at": rfc3339(&s.last_success_at),
    })
}

/// `roster provider settings` (delay = None) and `roster provider set-delay`.
pub(crate) async fn provider_settings(
    admin: &Admin,
    tenant: &str,
    provider: &str,
    delay: Option<&str>,
) -> anyhow::Result<()> {
    let settings = match delay {
        Some(text) => {
            let secs = roster_identity::lifecycle::parse_delay(text).map_err(|e| anyhow!(e))?;
            let request = admin.request(pb::SetDeactivationDelayRequest {
                tenant: tenant.to_owned(),
                provider_id: provider.to_owned(),
                delay_seconds: secs,
            })?;
            client(admin)
                .set_deactivation_delay(request)
                .await
                .map_err(status_error)?
                .into_inner()
        }
        None => {
            let request = admin.request(pb::ProviderSettingsRequest {
                tenant: tenant.to_owned(),
                provider_id: provider.to_owned(),
            })?;
            client(admin)
                .get_provider_settings(request)
                .await
                .map_err(status_error)?
                .into_inner()
        }
    };
    let value = settings_json(&settings);
    admin.print(&value, || {
        format!(
            "{}\tdeactivation delay {}s\tlast success {}",
            settings.provider_id,
            settings.deactivation_delay_seconds,
            value["last_success_at"].as_str().unwrap_or("never")
        )
    });
    Ok(())
}
