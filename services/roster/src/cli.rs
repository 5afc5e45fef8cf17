//! The admin CLI: talks to a running server's gRPC API with the operator token,
//! both found through the data directory unless `--server` / `--token-file` say
//! otherwise. With `--json`, stdout carries exactly one JSON object.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::Subcommand;
use roster_proto::tenants::v1 as pb;
use roster_proto::tenants::v1::tenants_service_client::TenantsServiceClient;
use roster_runtime::grpc::authorized;
use serde_json::{Value, json};
use tonic::transport::{Channel, Endpoint};

use crate::Args;

pub(crate) mod access;
pub(crate) mod digest;
pub(crate) mod jobs;
pub(crate) mod logs;
pub(crate) mod mapping;
pub(crate) mod orgs;
pub(crate) mod users;

#[derive(Debug, Subcommand)]
pub(crate) enum TenantCommand {
    /// Creates a tenant (slug: a lowercase letter, then 1-62 lowercase letters, digits or '-').
    Create {
        /// The tenant's slug.
        slug: String,
        /// Host names that resolve to this tenant at the gateway (repeatable).
        #[arg(long = "host")]
        hosts: Vec<String>,
    },
    /// Lists tenants.
    List,
    /// Shows one tenant.
    Show {
        /// The tenant's slug.
        slug: String,
    },
    /// Suspends a tenant: its SCIM requests get 403 until resumed.
    Suspend {
        /// The tenant's slug.
        slug: String,
    },
    /// Resumes a suspended tenant.
    Resume {
        /// The tenant's slug.
        slug: String,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum CredentialArg {
    /// HTTP Basic: a username and a password.
    Basic,
    /// HTTP Bearer token (expires after 365 days).
    Bearer,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ProviderCommand {
    /// Creates a provider and prints its credential, once.
    Create {
        #[arg(long)]
        tenant: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Credential kind.
        #[arg(long, value_enum)]
        credential: CredentialArg,
    },
    /// Replaces a provider's secret; the old one is refused at once.
    Regenerate {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        provider: String,
    },
    /// Lists a tenant's providers.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Shows one provider.
    Show {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        provider: String,
    },
    /// Disables a provider: its credential is refused.
    Disable {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        provider: String,
    },
    /// Enables a provider.
    Enable {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        provider: String,
    },
    /// Deletes a provider that owns no users.
    Delete {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        provider: String,
    },
    /// Shows a provider's settings kept with the tenant (deactivation delay, last success).
    Settings {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        provider: String,
    },
    /// Sets how long a provider's deactivation waits: 0 (at once) to 90d, e.g. 30s, 15m, 2h, 90d.
    SetDelay {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        provider: String,
        #[arg(long)]
        delay: String,
    },
}

pub(crate) struct Admin {
    pub(crate) client: TenantsServiceClient<Channel>,
    /// The connection, for the other services' clients.
    pub(crate) channel: Channel,
    token: String,
    ca_cert: PathBuf,
    pub(crate) json: bool,
}

pub(crate) async fn connect(args: &Args, env: &BTreeMap<String, String>) -> anyhow::Result<Admin> {
    let config = crate::load_config(args, env)?;
    let server = match &args.server {
        Some(url) => url.clone(),
        None => {
            let path = config.data_dir.join("endpoints.json");
            let text = std::fs::read_to_string(&path).with_context(|| {
                format!(
                    "read {} (is roster running with this --data-dir? or pass --server)",
                    path.display()
                )
            })?;
            let endpoints: Value =
                serde_json::from_str(&text).with_context(|| format!("parse {}", path.display()))?;
            endpoints["admin"]
                .as_str()
                .ok_or_else(|| anyhow!("{} has no admin endpoint", path.display()))?
                .to_owned()
        }
    };
    let token_file = args
        .token_file
        .clone()
        .unwrap_or_else(|| config.operator_token_file());
    let token = std::fs::read_to_string(&token_file)
        .with_context(|| format!("read the operator token from {}", token_file.display()))?
        .trim()
        .to_owned();
    let channel = Endpoint::from_shared(server.clone())
        .with_context(|| format!("invalid server URL {server}"))?
        .connect_timeout(Duration::from_millis(1500))
        .timeout(Duration::from_secs(120));
    // Something must answer within two seconds: a TCP connect is not enough (a hung process
    // still accepts), so the deadline covers the connection and one health check.
    let reached = async {
        let channel = channel.connect().await.map_err(|err| {
            anyhow!(
                "cannot reach roster at {server}: {}",
                roster_runtime::grpc::error_chain(&err)
            )
        })?;
        tonic_health::pb::health_client::HealthClient::new(channel.clone())
            .check(tonic_health::pb::HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map_err(|status| anyhow!("cannot reach roster at {server}: {}", status.message()))?;
        Ok::<_, anyhow::Error>(channel)
    };
    let channel = tokio::time::timeout(Duration::from_millis(1800), reached)
        .await
        .map_err(|_| anyhow!("cannot reach roster at {server}: no answer within 2 seconds"))??;
    let ca_cert = config
        .gateway
        .tls_cert
        .clone()
        .unwrap_or_else(|| config.data_dir.join("tls").join("cert.pem"));
    let ca_cert = std::path::absolute(&ca_cert).unwrap_or(ca_cert);
    Ok(Admin {
        client: TenantsServiceClient::new(channel.clone()),
        channel,
        token,
        ca_cert,
        json: args.json,
    })
}

fn rfc3339(ts: &Option<prost_types::Timestamp>) -> Value {
    roster_runtime::grpc::rfc3339(ts.as_ref()).map_or(Value::Null, Value::String)
}

pub(crate) fn tenant_json(t: &pb::Tenant) -> Value {
    let state = match pb::TenantState::try_from(t.state) {
        Ok(pb::TenantState::Active) => "active",
        Ok(pb::TenantState::Suspended) => "suspended",
        _ => "provisioning",
    };
    json!({"id": t.id, "slug": t.slug, "state": state, "created_at": rfc3339(&t.created_at), "hosts": t.hosts})
}

fn credential_name(kind: i32) -> &'static str {
    match pb::CredentialKind::try_from(kind) {
        Ok(pb::CredentialKind::Bearer) => "bearer",
        _ => "basic",
    }
}

fn provider_json(p: &pb::Provider) -> Value {
    json!({
        "id": p.id,
        "tenant": p.tenant,
        "name": p.name,
        "credential": credential_name(p.credential),
        "base_url": p.base_url,
        "username": p.username,
        "enabled": p.enabled,
        "expires_at": rfc3339(&p.expires_at),
        "created_at": rfc3339(&p.created_at),
        "credential_issued_at": rfc3339(&p.credential_issued_at),
    })
}

impl Admin {
    fn issued_json(&self, issued: &pb::IssuedSecret) -> anyhow::Result<Value> {
        let p = issued
            .provider
            .as_ref()
            .ok_or_else(|| anyhow!("server answered without a provider"))?;
        let secret_key = if credential_name(p.credential) == "bearer" {
            "token"
        } else {
            "password"
        };
        Ok(json!({
            "id": p.id,
            "tenant": p.tenant,
            "name": p.name,
            "credential": credential_name(p.credential),
            "base_url": p.base_url,
            "username": p.username,
            secret_key: issued.secret,
            "expires_at": rfc3339(&p.expires_at),
            "ca_cert": self.ca_cert.display().to_string(),
        }))
    }

    pub(crate) fn print(&self, value: &Value, text: impl FnOnce() -> String) {
        if self.json {
            println!("{value}");
        } else {
            println!("{}", text());
        }
    }

    pub(crate) fn request<T>(&self, message: T) -> anyhow::Result<tonic::Request<T>> {
        authorized(message, &self.token).map_err(|s| anyhow!("{}", s.message()))
    }
}

pub(crate) fn status_error(status: tonic::Status) -> anyhow::Error {
    match status.code() {
        tonic::Code::Unavailable => anyhow!("roster is unreachable: {}", status.message()),
        tonic::Code::Unauthenticated => {
            anyhow!("the operator token was refused: {}", status.message())
        }
        _ => anyhow!("{}", status.message()),
    }
}

fn describe_tenant(t: &pb::Tenant) -> String {
    let v = tenant_json(t);
    format!(
        "{}\t{}\t{}\t{}",
        t.slug,
        v["state"].as_str().unwrap_or(""),
        t.id,
        v["created_at"].as_str().unwrap_or("")
    )
}

fn describe_provider(p: &pb::Provider) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}",
        p.id,
        p.name,
        credential_name(p.credential),
        if p.enabled { "enabled" } else { "disabled" },
        p.base_url
    )
}

pub(crate) async fn tenant(
    args: &Args,
    env: &BTreeMap<String, String>,
    command: &TenantCommand,
) -> anyhow::Result<()> {
    let mut admin = connect(args, env).await?;
    let tenant = match command {
        TenantCommand::Create { slug, hosts } => {
            let request = admin.request(pb::CreateTenantRequest {
                slug: slug.clone(),
                hosts: hosts.clone(),
            })?;
            admin
                .client
                .create_tenant(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .tenant
        }
        TenantCommand::List => {
            let request = admin.request(pb::ListTenantsRequest {})?;
            let tenants = admin
                .client
                .list_tenants(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .tenants;
            let value = json!({"tenants": tenants.iter().map(tenant_json).collect::<Vec<_>>()});
            admin.print(&value, || {
                tenants
                    .iter()
                    .map(describe_tenant)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            return Ok(());
        }
        TenantCommand::Show { slug } => {
            let request = admin.request(pb::GetTenantRequest { slug: slug.clone() })?;
            admin
                .client
                .get_tenant(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .tenant
        }
        TenantCommand::Suspend { slug } => {
            let request = admin.request(pb::SuspendTenantRequest { slug: slug.clone() })?;
            admin
                .client
                .suspend_tenant(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .tenant
        }
        TenantCommand::Resume { slug } => {
            let request = admin.request(pb::ResumeTenantRequest { slug: slug.clone() })?;
            admin
                .client
                .resume_tenant(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .tenant
        }
    };
    let tenant = tenant.ok_or_else(|| anyhow!("server answered without a tenant"))?;
    admin.print(&tenant_json(&tenant), || describe_tenant(&tenant));
    Ok(())
}

pub(crate) async fn provider(
    args: &Args,
    env: &BTreeMap<String, String>,
    command: &ProviderCommand,
) -> anyhow::Result<()> {
    let mut admin = connect(args, env).await?;
    let issued = match command {
        ProviderCommand::Settings { tenant, provider } => {
            return users::provider_settings(&admin, tenant, provider, None).await;
        }
        ProviderCommand::SetDelay {
            tenant,
            provider,
            delay,
        } => {
            return users::provider_settings(&admin, tenant, provider, Some(delay)).await;
        }
        ProviderCommand::Create {
            tenant,
            name,
            credential,
        } => {
            let kind = match credential {
                CredentialArg::Basic => pb::CredentialKind::Basic,
                CredentialArg::Bearer => pb::CredentialKind::Bearer,
            };
            let request = admin.request(pb::CreateProviderRequest {
                tenant: tenant.clone(),
                name: name.clone(),
                credential: kind as i32,
            })?;
            admin
                .client
                .create_provider(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .issued
        }
        ProviderCommand::Regenerate { tenant, provider } => {
            let request = admin.request(pb::RegenerateCredentialRequest {
                tenant: tenant.clone(),
                provider_id: provider.clone(),
            })?;
            admin
                .client
                .regenerate_credential(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .issued
        }
        ProviderCommand::List { tenant } => {
            let request = admin.request(pb::ListProvidersRequest {
                tenant: tenant.clone(),
            })?;
            let providers = admin
                .client
                .list_providers(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .providers;
            let value =
                json!({"providers": providers.iter().map(provider_json).collect::<Vec<_>>()});
            admin.print(&value, || {
                providers
                    .iter()
                    .map(describe_provider)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            return Ok(());
        }
        ProviderCommand::Show { tenant, provider } => {
            let request = admin.request(pb::GetProviderRequest {
                tenant: tenant.clone(),
                provider_id: provider.clone(),
            })?;
            let p = admin
                .client
                .get_provider(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .provider;
            let p = p.ok_or_else(|| anyhow!("server answered without a provider"))?;
            admin.print(&provider_json(&p), || describe_provider(&p));
            return Ok(());
        }
        ProviderCommand::Disable { tenant, provider }
        | ProviderCommand::Enable { tenant, provider } => {
            let enabled = matches!(command, ProviderCommand::Enable { .. });
            let request = admin.request(pb::SetProviderEnabledRequest {
                tenant: tenant.clone(),
                provider_id: provider.clone(),
                enabled,
            })?;
            let p = admin
                .client
                .set_provider_enabled(request)
                .await
                .map_err(status_error)?
                .into_inner()
                .provider;
            let p = p.ok_or_else(|| anyhow!("server answered without a provider"))?;
            admin.print(&provider_json(&p), || describe_provider(&p));
            return Ok(());
        }
        ProviderCommand::Delete { tenant, provider } => {
            let request = admin.request(pb::DeleteProviderRequest {
                tenant: tenant.clone(),
                provider_id: provider.clone(),
            })?;
            admin
                .client
                .delete_provider(request)
                .await
                .map_err(status_error)?;
            admin.print(&json!({"deleted": provider}), || {
                format!("deleted provider {provider}")
            });
            return Ok(());
        }
    };
    let issued = issued.ok_or_else(|| anyhow!("server answered without a credential"))?;
    let value = admin.issued_json(&issued)?;
    admin.print(&value, || {
        let mut lines = Vec::new();
        for key in [
            "id",
            "tenant",
            "name",
            "credential",
            "base_url",
            "username",
            "password",
            "token",
            "expires_at",
            "ca_cert",
        ] {
            if let Some(v) = value.get(key) {
                lines.push(format!(
                    "{key}: {}",
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                ));
            }
        }
        lines.push("The secret is shown only now; store it in your identity provider.".to_owned());
        lines.join("\n")
    });
    Ok(())
}
