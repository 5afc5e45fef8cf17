//! `roster digest …`: a tenant's directory sync digest setting — show it, set its frequency.

use std::collections::BTreeMap;

use anyhow::anyhow;
use clap::Subcommand;
use roster_proto::jobs::v1 as pb;
use roster_proto::jobs::v1::digest_service_client::DigestServiceClient;
use serde_json::{Value, json};

use super::{Admin, connect, rfc3339, status_error};
use crate::Args;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum FrequencyArg {
    /// Every day (the default).
    Daily,
    /// Only for a day with provisioning errors or sync errors.
    Errors,
    /// Never.
    Never,
}

#[derive(Debug, Subcommand)]
pub(crate) enum DigestCommand {
    /// Shows the tenant's digest frequency, the end of the last digest's window and the next run.
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Sets how often the digest goes to the tenant's Customer Cloud Admins (all providers).
    Set {
        #[arg(long)]
        tenant: String,
        /// daily, errors (only on days with errors) or never.
        #[arg(long, value_enum)]
        frequency: FrequencyArg,
    },
}

fn frequency_name(value: i32) -> &'static str {
    match pb::DigestFrequency::try_from(value) {
        Ok(pb::DigestFrequency::Daily) => "daily",
        Ok(pb::DigestFrequency::Errors) => "errors",
        Ok(pb::DigestFrequency::Never) => "never",
        _ => "unknown",
    }
}

fn settings_json(tenant: &str, s: &pb::DigestSettings) -> Value {
    json!({
        "tenant": tenant,
        "frequency": frequency_name(s.frequency),
        "covered_until": rfc3339(&s.covered_until),
        "updated_at": rfc3339(&s.updated_at),
        "next_run_at": rfc3339(&s.next_run_at),
    })
}

fn describe(value: &Value) -> String {
    let text = |key: &str| value[key].as_str().unwrap_or("-").to_owned();
    format!(
        "frequency {}\nlast digest covered until {}\nnext run {}",
        text("frequency"),
        text("covered_until"),
        text("next_run_at")
    )
}

fn show(admin: &Admin, tenant: &str, response: pb::DigestSettingsResponse) -> anyhow::Result<()> {
    let settings = response
        .settings
        .ok_or_else(|| anyhow!("server answered without settings"))?;
    let value = settings_json(tenant, &settings);
    admin.print(&value, || describe(&value));
    Ok(())
}

pub(crate) async fn digest(
    args: &Args,
    env: &BTreeMap<String, String>,
    command: &DigestCommand,
) -> anyhow::Result<()> {
    let admin = connect(args, env).await?;
    let mut client = DigestServiceClient::new(admin.channel.clone());
    match command {
        DigestCommand::Show { tenant } => {
            let request = admin.request(pb::GetDigestSettingsRequest {
                tenant: tenant.clone(),
            })?;
            let response = client
                .get_digest_settings(request)
                .await
                .map_err(status_error)?;
            show(&admin, tenant, response.into_inner())
        }
        DigestCommand::Set { tenant, frequency } => {
            let frequency = match frequency {
                FrequencyArg::Daily => pb::DigestFrequency::Daily,
                FrequencyArg::Errors => pb::DigestFrequency::Errors,
                FrequencyArg::Never => pb::DigestFrequency::Never,
            };
            let request = admin.request(pb::SetDigestFrequencyRequest {
                tenant: tenant.clone(),
                frequency: frequency as i32,
            })?;
            let response = client
                .set_digest_frequency(request)
                .await
                .map_err(status_error)?;
            show(&admin, tenant, response.into_inner())
        }
    }
}
