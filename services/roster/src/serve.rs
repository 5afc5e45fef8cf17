//! `roster serve [role]`: starts the gRPC services and/or the gateway.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use roster_identity::grpc::{IdentityGrpc, LogsGrpc, UserAdminGrpc};
use roster_jobs::admin::JobsAdmin;
use roster_jobs::digest::settings::DigestAdmin;
use roster_jobs::grpc::JobsGrpc;
use roster_jobs::grpc::digest::DigestGrpc;
use roster_jobs::worker::{Worker, WorkerConfig};
use roster_organizations::grpc::OrganizationsGrpc;
use roster_organizations::grpc::mapping::MappingGrpc;
use roster_runtime::auth::{Authority, load_or_create_secret_file, write_private_file};
use roster_runtime::grpc::{auth_interceptor, bind};
use roster_runtime::{Config, shutdown, telemetry, tls};
use roster_store::{Store, StoreOptions};
use roster_tenants::grpc::TenantsGrpc;
use secrecy::ExposeSecret;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::Args;

/// Which part of Roster a process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Role {
    /// Everything in one process.
    All,
    /// The SCIM HTTPS edge only.
    Gateway,
    /// The identity gRPC services (users, admin, logs, organizations) only.
    Identity,
    /// The tenants gRPC service (control plane) only.
    Tenants,
    /// The job worker and the jobs admin gRPC service only.
    Jobs,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Gateway => "gateway",
            Self::Identity => "identity",
            Self::Tenants => "tenants",
            Self::Jobs => "jobs",
        }
    }
    fn runs_jobs(self) -> bool {
        matches!(self, Self::All | Self::Jobs)
    }
    fn serves_grpc(self) -> bool {
        self != Self::Gateway
    }
}

/// Turns a bound address into one a local client can dial.
fn dialable(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => {
            SocketAddr::from(([127, 0, 0, 1], v4.port()))
        }
        SocketAddr::V6(v6) if v6.ip().is_unspecified() => {
            SocketAddr::from(([0u16, 0, 0, 0, 0, 0, 0, 1], v6.port()))
        }
        other => other,
    }
}

pub(crate) async fn run(
    args: &Args,
    env: &BTreeMap<String, String>,
    role: Role,
) -> anyhow::Result<()> {
    let config = crate::load_config(args, env)?;
    let _guard = telemetry::init(&config.telemetry, role.name()).context("start telemetry")?;
    if rustls::crypto::aws_lc_rs::default_provider()
        .install_default()
        .is_err()
    {
        tracing::debug!("a rustls crypto provider was already installed");
    }
    tracing::info!(role = role.name(), config = %config.redacted(), "starting roster");
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("create data directory {}", config.data_dir.display()))?;
    let operator_token = load_or_create_secret_file(&config.operator_token_file(), "roster_op_")
        .context("load the operator token")?;
    let key = load_or_create_secret_file(&config.key_file(), "roster_key_")
        .context("load the internal key")?;
    let authority = Authority::new(&key, &operator_token);
    let shutdown = shutdown::on_signal();
    let mut tasks = JoinSet::new();
    let mut endpoints = serde_json::Map::new();

    let mut admin_addr = None;
    if role.serves_grpc() {
        let store = connect_store(&config).await?;
        let listener = bind("gRPC (admin.listen)", config.admin.listen).await?;
        let addr = dialable(listener.local_addr()?);
        admin_addr = Some(addr);
        endpoints.insert("admin".into(), format!("http://{addr}").into());
        // Poked when this process schedules a job, so its own worker looks at once.
        let jobs_due = Arc::new(Notify::new());
        let routes = grpc_routes(role, &config, store.clone(), &authority, &jobs_due).await?;
        if role.runs_jobs() {
            let handlers =
                crate::job_kinds::handlers(&config, &store).context("set up the job handlers")?;
            let worker = Worker::new(store, handlers, worker_config(&config), jobs_due);
            let token = shutdown.clone();
            tasks.spawn(async move {
                let result = worker.run(token).await;
                (
                    "jobs",
                    result.map_err(|err| anyhow::anyhow!(roster_runtime::grpc::error_chain(&err))),
                )
            });
        }
        let token = shutdown.clone();
        let grpc_authority = authority.clone();
        tasks.spawn(async move {
            (
                "grpc",
                roster_runtime::grpc::serve(listener, routes, grpc_authority, token).await,
            )
        });
        tracing::info!(%addr, "gRPC listening");
    }
    if matches!(role, Role::All | Role::Gateway) {
        let default_url = admin_addr
            .map(|a| format!("http://{a}"))
            .unwrap_or_else(|| format!("http://{}", dialable(config.admin.listen)));
        let tenants_url = config
            .services
            .tenants_url
            .clone()
            .unwrap_or_else(|| default_url.clone());
        let identity_url = config.services.identity_url.clone().unwrap_or(default_url);
        let clients = roster_gateway::ServiceClients::new(
            &tenants_url,
            &identity_url,
            authority.gateway_credential(),
        )?;
        let mut state = roster_gateway::GatewayState::new(&config, clients)?;
        if role.runs_jobs() {
            // The job worker runs in this process: its counters join the gateway's.
            state = state.with_extra_metrics(roster_gateway::ExtraMetrics::new(
                roster_jobs::metrics::render,
            ));
        }
        let configured = config
            .gateway
            .tls_cert
            .clone()
            .zip(config.gateway.tls_key.clone());
        let tls_files =
            tls::ensure_certificate(&config.data_dir, configured, &config.gateway.hosts)?;
        let listener = std::net::TcpListener::bind(config.gateway.listen).map_err(|err| {
            anyhow::anyhow!(
                "cannot listen for the gateway (gateway.listen) on {}: {err}",
                config.gateway.listen
            )
        })?;
        let addr = dialable(listener.local_addr()?);
        endpoints.insert("gateway".into(), format!("https://{addr}").into());
        let token = shutdown.clone();
        tasks.spawn(async move {
            (
                "gateway",
                roster_gateway::serve(listener, &tls_files, state, token).await,
            )
        });
        tracing::info!(%addr, "gateway listening (HTTPS)");
    }
    write_endpoints(&config.data_dir, &endpoints)?;

    let mut failure = None;
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((_, Ok(()))) => {}
            Ok((name, Err(err))) => {
                tracing::error!(task = name, error = %format!("{err:#}"), "task failed");
                failure.get_or_insert(anyhow::anyhow!("{name} failed: {err:#}"));
                shutdown.cancel();
            }
            Err(err) => {
                tracing::error!(error = %err, "task panicked");
                failure.get_or_insert(anyhow::anyhow!("a task panicked: {err}"));
                shutdown.cancel();
            }
        }
    }
    tracing::info!("stopped");
    failure.map_or(Ok(()), Err)
}

/// Opens PostgreSQL when `database.url` is set, else the embedded SQLite files under `data_dir`.
async fn connect_store(config: &Config) -> anyhow::Result<Store> {
    let wait = std::time::Duration::from_secs(config.database.acquire_timeout_secs);
    let options = match &config.database.url {
        Some(url) => StoreOptions::Postgres {
            url: url.expose_secret().to_owned(),
            max_connections: config.database.max_connections,
            acquire_timeout: wait,
        },
        None => StoreOptions::Embedded {
            data_dir: config.data_dir.clone(),
            max_open_tenants: config.database.max_open_tenants,
            busy_timeout: wait,
        },
    };
    let store = Store::connect(&options).await.map_err(|err| match err {
        roster_store::StoreError::DataDirInUse { .. } => {
            anyhow::anyhow!("{err}; stop it first, or give this process its own --data-dir")
        }
        other => anyhow::anyhow!(
            "open the database: {}",
            roster_runtime::grpc::error_chain(&other)
        ),
    })?;
    tracing::info!(backend = store.backend_name(), "store open");
    Ok(store)
}

/// The worker settings from the `jobs` section.
fn worker_config(config: &Config) -> WorkerConfig {
    WorkerConfig {
        poll_interval: Duration::from_millis(config.jobs.poll_interval_ms),
        lease_secs: i64::try_from(config.jobs.lease_secs).unwrap_or(30),
        batch_size: i64::from(config.jobs.batch_size),
        sweep_interval: Duration::from_secs(config.jobs.sweep_interval_secs),
    }
}

async fn grpc_routes(
    role: Role,
    config: &Config,
    store: Store,
    authority: &Authority,
    jobs_due: &Arc<Notify>,
) -> anyhow::Result<tonic::service::Routes> {
    let (reporter, health) = tonic_health::server::health_reporter();
    let mut routes = tonic::service::Routes::new(health);
    let interceptor = auth_interceptor(authority.clone());
    if matches!(role, Role::All | Role::Tenants) {
        let tenants = roster_tenants::Tenants::new(
            store.clone(),
            authority.clone(),
            config.gateway.public_url.clone(),
        );
        resume_tenant_migrations(&store).await?;
        deliver_audit_outboxes(&store).await;
        let server = TenantsGrpc::new(tenants).into_server();
        reporter.set_serving::<roster_proto::tenants::v1::tenants_service_server::TenantsServiceServer<TenantsGrpc>>().await;
        routes = routes.add_service(tonic::service::interceptor::InterceptedService::new(
            server,
            interceptor.clone(),
        ));
    }
    if role.runs_jobs() {
        let handlers =
            crate::job_kinds::handlers(config, &store).context("set up the job handlers")?;
        let admin = JobsAdmin::new(store.clone(), handlers, jobs_due.clone());
        let server = JobsGrpc::new(admin).into_server();
        reporter
            .set_serving::<roster_proto::jobs::v1::jobs_service_server::JobsServiceServer<JobsGrpc>>()
            .await;
        routes = routes.add_service(tonic::service::interceptor::InterceptedService::new(
            server,
            interceptor.clone(),
        ));
        let digest = DigestGrpc::new(DigestAdmin::new(store.clone())).into_server();
        reporter
            .set_serving::<roster_proto::jobs::v1::digest_service_server::DigestServiceServer<DigestGrpc>>()
            .await;
        routes = routes.add_service(tonic::service::interceptor::InterceptedService::new(
            digest,
            interceptor.clone(),
        ));
        #[cfg(feature = "test-clock")]
        {
            use roster_jobs::grpc::testhooks::TestHooksGrpc;
            let hooks = TestHooksGrpc::new(store.clone(), jobs_due.clone()).into_server();
            routes = routes.add_service(tonic::service::interceptor::InterceptedService::new(
                hooks,
                interceptor.clone(),
            ));
        }
    }
    if matches!(role, Role::All | Role::Identity) {
        let organizations = roster_organizations::Organizations::new(store.clone())
            .with_job_wakeup(jobs_due.clone())
            .with_apply_batch(i64::from(config.jobs.apply_batch_size));
        let mapping = MappingGrpc::new(organizations.clone()).into_server();
        reporter.set_serving::<roster_proto::mapping::v1::mapping_service_server::MappingServiceServer<MappingGrpc>>().await;
        routes = routes.add_service(tonic::service::interceptor::InterceptedService::new(
            mapping,
            interceptor.clone(),
        ));
        let identity =
            roster_identity::Identity::new(store.clone()).with_job_wakeup(jobs_due.clone());
        let server = IdentityGrpc::new(identity.clone()).into_server();
        reporter.set_serving::<roster_proto::identity::v1::identity_service_server::IdentityServiceServer<IdentityGrpc>>().await;
        routes = routes.add_service(tonic::service::interceptor::InterceptedService::new(
            server,
            interceptor.clone(),
        ));
        let admin = UserAdminGrpc::new(identity.clone()).into_server();
        reporter.set_serving::<roster_proto::identity::v1::user_admin_service_server::UserAdminServiceServer<UserAdminGrpc>>().await;
        routes = routes.add_service(tonic::service::interceptor::InterceptedService::new(
            admin,
            interceptor.clone(),
        ));
        let logs = LogsGrpc::new(identity).into_server();
        reporter.set_serving::<roster_proto::identity::v1::logs_service_server::LogsServiceServer<LogsGrpc>>().await;
        routes = routes.add_service(tonic::service::interceptor::InterceptedService::new(
            logs,
            interceptor.clone(),
        ));
        let organizations = OrganizationsGrpc::new(organizations).into_server();
        reporter.set_serving::<roster_proto::organizations::v1::organizations_service_server::OrganizationsServiceServer<OrganizationsGrpc>>().await;
        routes = routes.add_service(tonic::service::interceptor::InterceptedService::new(
            organizations,
            interceptor,
        ));
    }
    Ok(routes)
}

/// Brings every tenant schema up to date (and finishes tenants a crash left
/// half-created). Only tenants behind this build are touched, so startup does
/// not open every tenant's database.
async fn resume_tenant_migrations(store: &Store) -> anyhow::Result<()> {
    let tenants = store
        .tenants_needing_migration()
        .await
        .map_err(|e| anyhow::anyhow!("list tenants: {e}"))?;
    for tenant in tenants {
        store.migrate_tenant(&tenant.id).await.map_err(|e| {
            anyhow::anyhow!(
                "migrate tenant {}: {}",
                tenant.slug,
                roster_runtime::grpc::error_chain(&e)
            )
        })?;
    }
    Ok(())
}

/// Delivers control-plane audit entries that a crash or an outage left in the outbox. A tenant
/// that still fails keeps its entries there for its next provider change or the next start.
async fn deliver_audit_outboxes(store: &Store) {
    let tenants = match store.tenants_with_audit_outbox().await {
        Ok(tenants) => tenants,
        Err(err) => {
            tracing::warn!(error = %err, "could not read the audit outbox");
            return;
        }
    };
    for tenant in tenants {
        match store.deliver_audit_outbox(&tenant).await {
            Ok(n) => tracing::info!(%tenant, entries = n, "audit outbox delivered"),
            Err(err) => tracing::warn!(%tenant, error = %err, "audit outbox not delivered yet"),
        }
    }
}

fn write_endpoints(
    data_dir: &Path,
    endpoints: &serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<()> {
    let path = data_dir.join("endpoints.json");
    let body = serde_json::to_vec_pretty(endpoints)?;
    write_private_file(&path, &body).with_context(|| format!("write {}", path.display()))
}
