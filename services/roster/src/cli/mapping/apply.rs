//! `roster apply …`: Apply Org and Role Settings (or its dry run) for a provider,
//! its progress and results, and cancelling it.

use std::collections::BTreeMap;

use clap::Subcommand;
use roster_proto::mapping::v1 as pb;

use super::super::{connect, status_error};
use super::json::run_json;
use super::{ProviderRef, client};
use crate::Args;

#[derive(Debug, Subcommand)]
pub(crate) enum ApplyCommand {
    /// Starts Apply Org and Role Settings (or, with --dry-run, a preview) for a provider.
    Start {
        #[command(flatten)]
        provider: ProviderRef,
        /// Only list who would move where and gain or lose which role.
        #[arg(long)]
        dry_run: bool,
    },
    /// Shows a run's progress and what it changed (or would change).
    Show {
        #[arg(long)]
        tenant: String,
        /// The run's id.
        run: String,
        #[arg(long, default_value_t = 0)]
        offset: i64,
        /// Most results (at most 1000).
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Cancels a pending or running run; what it applied stays.
    Cancel {
        #[arg(long)]
        tenant: String,
        /// The run's id.
        run: String,
    },
}

/// Runs a `roster apply` command.
pub(crate) async fn apply(
    args: &Args,
    env: &BTreeMap<String, String>,
    command: &ApplyCommand,
) -> anyhow::Result<()> {
    let admin = connect(args, env).await?;
    let mut c = client(&admin);
    let reply = match command {
        ApplyCommand::Start { provider, dry_run } => {
            let request = pb::StartApplyRequest {
                tenant: provider.tenant.clone(),
                provider: provider.provider.clone(),
                dry_run: *dry_run,
            };
            c.start_apply(admin.request(request)?).await
        }
        ApplyCommand::Show {
            tenant,
            run,
            offset,
            limit,
        } => {
            let request = pb::GetApplyRequest {
                tenant: tenant.clone(),
                run: run.clone(),
                offset: *offset,
                limit: *limit,
            };
            c.get_apply(admin.request(request)?).await
        }
        ApplyCommand::Cancel { tenant, run } => {
            let request = pb::GetApplyRequest {
                tenant: tenant.clone(),
                run: run.clone(),
                offset: 0,
                limit: 0,
            };
            c.cancel_apply(admin.request(request)?).await
        }
    };
    let run = reply.map_err(status_error)?.into_inner();
    let value = run_json(&run);
    admin.print(&value, || {
        let mut lines = vec![format!(
            "run {} ({}{}): {}/{} users, {} moved, {} with role changes, {} matching no rule",
            run.run,
            if run.dry_run { "dry run, " } else { "" },
            run.state,
            run.processed,
            run.total,
            run.moved,
            run.roles_changed,
            run.unmatched
        )];
        for change in &run.results {
            let name = |r: &Option<pb::Ref>| r.as_ref().map(|r| r.name.clone()).unwrap_or_default();
            lines.push(format!(
                "  {}: {}{}{}{}",
                name(&change.user),
                if change.unmatched {
                    "matches no rule; "
                } else {
                    ""
                },
                change
                    .to_organization
                    .as_ref()
                    .map(|to| format!("moves to {} ", to.name))
                    .unwrap_or_default(),
                if change.roles_added.is_empty() {
                    String::new()
                } else {
                    format!("+{} ", change.roles_added.join(", +"))
                },
                if change.roles_removed.is_empty() {
                    String::new()
                } else {
                    format!("-{}", change.roles_removed.join(", -"))
                },
            ));
        }
        lines.join("\n")
    });
    Ok(())
}
