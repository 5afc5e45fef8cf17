//! The `roster` binary: parses the command line, loads the configuration, and
//! either runs roles (`serve`) or acts as the admin CLI against a running
//! server's gRPC API. Nothing else lives here.

mod cli;
mod job_kinds;
mod serve;
mod transfer;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Roster: multi-tenant SCIM 2.0 provisioning.
#[derive(Debug, Parser)]
#[command(name = "roster", version, about)]
pub(crate) struct Args {
    /// TOML configuration file (later sources win: defaults, this file, ROSTER_* variables, flags).
    #[arg(long, global = true, env = "ROSTER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Data directory: embedded databases, certificates, operator token, endpoints.json [config: data_dir, env: ROSTER_DATA_DIR; default ./roster-data].
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Admin CLI: gRPC URL of the server (default: from DATA_DIR/endpoints.json).
    #[arg(long, global = true)]
    pub server: Option<String>,
    /// Admin CLI: file holding the operator token (default: DATA_DIR/operator.token).
    #[arg(long, global = true)]
    pub token_file: Option<PathBuf>,
    /// Admin CLI: print exactly one JSON object on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Runs Roster: every role in one process (default), or one role.
    Serve {
        /// all, gateway, identity, tenants or jobs.
        #[arg(default_value = "all")]
        role: serve::Role,
    },
    /// Manages tenants.
    #[command(subcommand)]
    Tenant(cli::TenantCommand),
    /// Manages a tenant's identity providers.
    #[command(subcommand)]
    Provider(cli::ProviderCommand),
    /// Administers a tenant's users: lifecycle, legal hold, local users, organization and roles.
    #[command(subcommand, visible_alias = "user")]
    Users(cli::users::UsersCommand),
    /// Manages a tenant's organization tree: names, parents, inherited settings, default roles.
    #[command(subcommand)]
    Org(cli::orgs::OrgCommand),
    /// Manages a tenant's roles catalogue: builtin and custom roles.
    #[command(subcommand)]
    Role(cli::orgs::RoleCommand),
    /// Reads a tenant's sync log (one entry per changed attribute), or exports it as CSV.
    SyncLog(cli::logs::SyncLogArgs),
    /// Lists refused or failed provisioning requests, and each provider's last success.
    ProvisioningErrors(cli::logs::ErrorsArgs),
    /// Reads a tenant's audit log.
    AuditLog(cli::logs::AuditArgs),
    /// Lists, shows, retries and cancels a tenant's jobs (delayed deactivations, log purges).
    #[command(subcommand)]
    Jobs(cli::jobs::JobsCommand),
    /// Edits a provider's organization and role mappings, and explains a user's placement.
    #[command(subcommand)]
    Mapping(cli::mapping::MappingCommand),
    /// Runs Apply Org and Role Settings (or its dry run) for a provider, and follows it.
    #[command(subcommand)]
    Apply(cli::mapping::ApplyCommand),
    /// Shows or sets a tenant's directory sync digest (daily, only on errors, or never).
    #[command(subcommand)]
    Digest(cli::digest::DigestCommand),
    /// Writes a consistent backup of the embedded data while roster runs (a tar archive, mode 0600).
    ///
    /// To restore: stop roster, unpack the archive into an empty directory
    /// (`tar -xf FILE -C DIR`), and start roster with `--data-dir DIR`.
    Backup {
        /// The archive to write (written as FILE.partial, renamed when complete).
        #[arg(long)]
        out: PathBuf,
    },
    /// Writes one tenant (providers with their credential digests, users, groups) as a roster-tenant-export document.
    Export {
        /// The tenant's slug.
        #[arg(long)]
        tenant: String,
        /// The file to write (mode 0600); stdout when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Creates a tenant from a `roster export` document, keeping its ids and credentials.
    ///
    /// The target must use the source's internal key (services.key_file), so
    /// that the providers' existing credentials keep working.
    Import {
        /// The document to read; stdin when absent.
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let matches = Args::command()
        .after_help(roster_runtime::config::options_help())
        .get_matches();
    let args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(err) => err.exit(),
    };
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match &args.command {
            None => serve::run(&args, &env, serve::Role::All).await,
            Some(Command::Serve { role }) => serve::run(&args, &env, *role).await,
            Some(Command::Tenant(cmd)) => cli::tenant(&args, &env, cmd).await,
            Some(Command::Provider(cmd)) => cli::provider(&args, &env, cmd).await,
            Some(Command::Users(cmd)) => cli::users::users(&args, &env, cmd).await,
            Some(Command::Org(cmd)) => cli::orgs::org(&args, &env, cmd).await,
            Some(Command::Role(cmd)) => cli::orgs::role(&args, &env, cmd).await,
            Some(Command::SyncLog(cmd)) => cli::logs::sync_log(&args, &env, cmd).await,
            Some(Command::ProvisioningErrors(cmd)) => {
                cli::logs::provisioning_errors(&args, &env, cmd).await
            }
            Some(Command::AuditLog(cmd)) => cli::logs::audit_log(&args, &env, cmd).await,
            Some(Command::Jobs(cmd)) => cli::jobs::jobs(&args, &env, cmd).await,
            Some(Command::Mapping(cmd)) => cli::mapping::mapping(&args, &env, cmd).await,
            Some(Command::Apply(cmd)) => cli::mapping::apply(&args, &env, cmd).await,
            Some(Command::Digest(cmd)) => cli::digest::digest(&args, &env, cmd).await,
            Some(Command::Backup { out }) => transfer::backup(&args, &env, out).await,
            Some(Command::Export { tenant, out }) => {
                transfer::export(&args, &env, tenant, out.as_deref()).await
            }
            Some(Command::Import { file }) => transfer::import(&args, &env, file.as_deref()).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the configuration from the file, the environment and the flags.
pub(crate) fn load_config(
    args: &Args,
    env: &BTreeMap<String, String>,
) -> anyhow::Result<roster_runtime::Config> {
    let mut overrides = Vec::new();
    if let Some(dir) = &args.data_dir {
        overrides.push(("data_dir", dir.display().to_string()));
    }
    let mut env = env.clone();
    // The standard OpenTelemetry variable switches OTLP export on.
    if let Some(endpoint) = env.get("OTEL_EXPORTER_OTLP_ENDPOINT").cloned() {
        env.entry("ROSTER_TELEMETRY__OTLP_ENDPOINT".to_owned())
            .or_insert(endpoint);
    }
    Ok(roster_runtime::Config::load(
        args.config.as_deref(),
        &env,
        &overrides,
    )?)
}
