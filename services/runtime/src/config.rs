//! The one typed configuration of Roster.
//!
//! Sources, later wins: defaults → `--config FILE` (TOML) → `ROSTER_*`
//! environment variables (`__` nests: `ROSTER_DATABASE__URL`) → CLI flags.
//! [`Config::load`] takes the environment as a map: only `main` reads the
//! process environment. `ROSTER_TEST_*` variables belong to the test harness
//! and are skipped.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Value};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

mod smtp;

pub use smtp::{SmtpConfig, SmtpTls};

/// Roster's configuration, nested by concern.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory for the embedded databases and generated files (certificates, tokens, endpoints).
    pub data_dir: PathBuf,
    /// Database connection.
    pub database: DatabaseConfig,
    /// Redis connection (rate limits).
    pub redis: RedisConfig,
    /// The SCIM HTTPS edge.
    pub gateway: GatewayConfig,
    /// The gRPC listener of the services.
    pub admin: AdminConfig,
    /// Where the gateway and the CLI find services when they run in other processes.
    pub services: ServicesConfig,
    /// Logs and traces.
    pub telemetry: TelemetryConfig,
    /// The job worker.
    pub jobs: JobsConfig,
    /// The mail relay of the directory sync digest.
    pub smtp: SmtpConfig,
}

/// Database settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://` URL; none selects the embedded default (SQLite files under `data_dir`).
    #[serde(serialize_with = "serialize_secret_opt")]
    pub url: Option<SecretString>,
    /// Maximum pooled connections (PostgreSQL).
    pub max_connections: u32,
    /// Seconds to wait for a pooled connection, or (embedded) for a busy database's write lock.
    pub acquire_timeout_secs: u64,
    /// Embedded: how many tenant databases stay open at once (least recently used closes first).
    pub max_open_tenants: usize,
}

/// Redis settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    /// `redis://` URL; none selects the in-process rate limiter.
    #[serde(serialize_with = "serialize_secret_opt")]
    pub url: Option<SecretString>,
}

/// Gateway settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// HTTPS listen address.
    pub listen: SocketAddr,
    /// The URL clients use to reach the gateway (base of every provider's base URL).
    pub public_url: String,
    /// Extra host names for the generated certificate and host-based tenant resolution.
    pub hosts: Vec<String>,
    /// PEM certificate chain; generated under `data_dir/tls` when unset.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key; generated with the certificate when unset.
    pub tls_key: Option<PathBuf>,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Per-request deadline, in seconds.
    pub request_timeout_secs: u64,
    /// Per-tenant rate limit.
    pub rate_limit: RateLimitConfig,
}

/// Per-tenant request rate limit (GCRA).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Sustained requests per second.
    pub per_second: u32,
    /// Requests allowed in a burst above the sustained rate.
    pub burst: u32,
}

/// gRPC listener settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// Listen address for every gRPC service in one-process mode.
    pub listen: SocketAddr,
}

/// Addresses of services in other processes (role-per-process deployments).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServicesConfig {
    /// gRPC URL of the tenants service; default: this process's admin listener.
    pub tenants_url: Option<String>,
    /// gRPC URL of the identity service; default: this process's admin listener.
    pub identity_url: Option<String>,
    /// File holding the internal signing key; default `data_dir/internal.key`.
    pub key_file: Option<PathBuf>,
    /// File holding the operator token; default `data_dir/operator.token`.
    pub operator_token_file: Option<PathBuf>,
}

/// Telemetry settings. OTLP export follows the standard `OTEL_EXPORTER_OTLP_ENDPOINT`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TelemetryConfig {
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// OTLP endpoint; when unset, no spans are exported.
    pub otlp_endpoint: Option<String>,
}

/// Job worker settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// Milliseconds between two polls of the next-due hints (a scheduled job also wakes the
    /// worker of its process at once).
    pub poll_interval_ms: u64,
    /// Seconds a claimed job's lease lasts; a worker that dies loses its jobs after it.
    pub lease_secs: u64,
    /// Most jobs claimed from one tenant at a time.
    pub batch_size: u32,
    /// Days audit-log entries are kept (the sync log keeps 90).
    pub audit_retention_days: u32,
    /// Seconds between two rebuilds of every tenant's next-due hint.
    pub sweep_interval_secs: u64,
    /// Users one checkpointed step of Apply Org and Role Settings looks at.
    pub apply_batch_size: u32,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./roster-data"),
            database: DatabaseConfig::default(),
            redis: RedisConfig::default(),
            gateway: GatewayConfig::default(),
            admin: AdminConfig::default(),
            services: ServicesConfig::default(),
            telemetry: TelemetryConfig::default(),
            jobs: JobsConfig::default(),
            smtp: SmtpConfig::default(),
        }
    }
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            poll_interval_ms: 1000,
            lease_secs: 30,
            batch_size: 50,
            audit_retention_days: 365,
            sweep_interval_secs: 300,
            apply_batch_size: 200,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 20,
            acquire_timeout_secs: 5,
            max_open_tenants: 64,
        }
    }
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], 8443)),
            public_url: "https://localhost:8443".to_owned(),
            hosts: Vec::new(),
            tls_cert: None,
            tls_key: None,
            max_body_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            rate_limit: RateLimitConfig::default(),
        }
    }
}

impl Default for RateLimitConfig {
    /// 200/s sustained with a burst of 400: a 10,000-user initial sync (one request
    /// per user, plus group pushes) finishes in about a minute without a 429.
    fn default() -> Self {
        Self {
            per_second: 200,
            burst: 400,
        }
    }
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8444)),
        }
    }
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Text,
            otlp_endpoint: None,
        }
    }
}

/// Every problem found while loading or validating the configuration.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", problems.join("\n  - "))]
pub struct ConfigError {
    /// One line per problem.
    pub problems: Vec<String>,
}

impl Config {
    /// Loads the configuration: defaults, then `file` if given, then the
    /// `ROSTER_*` entries of `env`, then `overrides` (dotted keys from CLI
    /// flags, e.g. `"data_dir"`), and validates the result.
    pub fn load(
        file: Option<&Path>,
        env: &BTreeMap<String, String>,
        overrides: &[(&str, String)],
    ) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError {
                    problems: vec![format!("config file {} does not exist", file.display())],
                });
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Serialized::globals(env_dict(env)));
        for (key, value) in overrides {
            figment = figment.merge(Serialized::global(key, parse_value(value)));
        }
        let config: Config = figment.extract().map_err(|err| ConfigError {
            problems: err.into_iter().map(|e| e.to_string()).collect(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Reports every problem of a loaded configuration at once.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        if !self.gateway.public_url.starts_with("https://") {
            problems.push("gateway.public_url must start with https://".to_owned());
        }
        if self.gateway.public_url.ends_with('/') {
            problems.push("gateway.public_url must not end with '/'".to_owned());
        }
        if self.gateway.rate_limit.per_second == 0 {
            problems.push("gateway.rate_limit.per_second must be at least 1".to_owned());
        }
        if self.gateway.rate_limit.burst == 0 {
            problems.push("gateway.rate_limit.burst must be at least 1".to_owned());
        }
        if self.gateway.tls_cert.is_some() != self.gateway.tls_key.is_some() {
            problems.push("gateway.tls_cert and gateway.tls_key must be set together".to_owned());
        }
        if self.gateway.request_timeout_secs == 0 {
            problems.push("gateway.request_timeout_secs must be at least 1".to_owned());
        }
        if self.gateway.max_body_bytes < 1024 {
            problems.push("gateway.max_body_bytes must be at least 1024".to_owned());
        }
        if self.database.max_connections == 0 {
            problems.push("database.max_connections must be at least 1".to_owned());
        }
        if self.database.max_open_tenants == 0 {
            problems.push("database.max_open_tenants must be at least 1".to_owned());
        }
        if self.database.acquire_timeout_secs == 0 {
            problems.push("database.acquire_timeout_secs must be at least 1".to_owned());
        }
        if self.jobs.poll_interval_ms < 10 {
            problems.push("jobs.poll_interval_ms must be at least 10".to_owned());
        }
        if !(1..=3600).contains(&self.jobs.lease_secs) {
            problems.push("jobs.lease_secs must be between 1 and 3600".to_owned());
        }
        if !(1..=1000).contains(&self.jobs.batch_size) {
            problems.push("jobs.batch_size must be between 1 and 1000".to_owned());
        }
        if self.jobs.audit_retention_days == 0 {
            problems.push("jobs.audit_retention_days must be at least 1".to_owned());
        }
        if self.jobs.sweep_interval_secs == 0 {
            problems.push("jobs.sweep_interval_secs must be at least 1".to_owned());
        }
        if !(1..=10_000).contains(&self.jobs.apply_batch_size) {
            problems.push("jobs.apply_batch_size must be between 1 and 10000".to_owned());
        }
        self.smtp.validate(&mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems })
        }
    }

    /// Returns the path of the internal signing key file.
    pub fn key_file(&self) -> PathBuf {
        self.services
            .key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("internal.key"))
    }

    /// Returns the path of the operator token file.
    pub fn operator_token_file(&self) -> PathBuf {
        self.services
            .operator_token_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("operator.token"))
    }

    /// Returns the configuration as TOML-like JSON with secrets redacted, for the startup log.
    pub fn redacted(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// Turns `ROSTER_A__B=v` entries into `{a: {b: v}}`, skipping `ROSTER_TEST_*`.
fn env_dict(env: &BTreeMap<String, String>) -> Dict {
    let mut root = Dict::new();
    for (name, value) in env {
        let Some(rest) = name.strip_prefix("ROSTER_") else {
            continue;
        };
        // ROSTER_CONFIG names the file itself (read by the command line).
        if rest.starts_with("TEST_") || rest.is_empty() || rest == "CONFIG" {
            continue;
        }
        let path: Vec<String> = rest.split("__").map(str::to_ascii_lowercase).collect();
        insert_path(&mut root, &path, parse_value(value));
    }
    root
}

fn insert_path(dict: &mut Dict, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            dict.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let entry = dict
                .entry(first.clone())
                .or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert_path(inner, rest, value);
            } else {
                let mut inner = Dict::new();
                insert_path(&mut inner, rest, value);
                *entry = Value::from(inner);
            }
        }
    }
}

/// One documented configuration key.
#[derive(Debug, Clone, Copy)]
pub struct ConfigOption {
    /// Dotted key, as in the TOML file.
    pub key: &'static str,
    /// What it does and its default.
    pub help: &'static str,
}

impl ConfigOption {
    /// The environment variable that sets it: `database.url` → `ROSTER_DATABASE__URL`.
    pub fn env_var(&self) -> String {
        format!(
            "ROSTER_{}",
            self.key.to_ascii_uppercase().replace('.', "__")
        )
    }
}

/// Every configuration key, for `roster --help` and README; a test keeps it
/// equal to the keys [`Config`] has.
pub const OPTIONS: &[ConfigOption] = &[
    ConfigOption {
        key: "data_dir",
        help: "embedded databases, TLS files, operator token, internal key, endpoints.json [./roster-data]",
    },
    ConfigOption {
        key: "database.url",
        help: "postgres:// URL; unset = embedded SQLite under data_dir [unset]",
    },
    ConfigOption {
        key: "database.max_connections",
        help: "PostgreSQL pool size [20]",
    },
    ConfigOption {
        key: "database.acquire_timeout_secs",
        help: "wait for a connection or a busy database, then answer 503 [5]",
    },
    ConfigOption {
        key: "database.max_open_tenants",
        help: "embedded: tenant databases kept open at once [64]",
    },
    ConfigOption {
        key: "redis.url",
        help: "redis:// URL for shared rate limits; unset = in-process limiter [unset]",
    },
    ConfigOption {
        key: "gateway.listen",
        help: "HTTPS listen address [0.0.0.0:8443]",
    },
    ConfigOption {
        key: "gateway.public_url",
        help: "URL identity providers use; base of every provider's SCIM base URL [https://localhost:8443]",
    },
    ConfigOption {
        key: "gateway.hosts",
        help: "extra host names for the generated certificate [none]",
    },
    ConfigOption {
        key: "gateway.tls_cert",
        help: "PEM certificate chain; generated under data_dir/tls when unset",
    },
    ConfigOption {
        key: "gateway.tls_key",
        help: "PEM private key; set together with gateway.tls_cert",
    },
    ConfigOption {
        key: "gateway.max_body_bytes",
        help: "largest accepted request body [1048576]",
    },
    ConfigOption {
        key: "gateway.request_timeout_secs",
        help: "per-request deadline, then 503 [30]",
    },
    ConfigOption {
        key: "gateway.rate_limit.per_second",
        help: "sustained requests per second per tenant [200]",
    },
    ConfigOption {
        key: "gateway.rate_limit.burst",
        help: "burst above the sustained rate [400]",
    },
    ConfigOption {
        key: "admin.listen",
        help: "gRPC listen address of the services and admin API [127.0.0.1:8444]",
    },
    ConfigOption {
        key: "services.tenants_url",
        help: "gRPC URL of the tenants service in another process [this process]",
    },
    ConfigOption {
        key: "services.identity_url",
        help: "gRPC URL of the identity service in another process [this process]",
    },
    ConfigOption {
        key: "services.key_file",
        help: "internal signing key, shared by every process of a deployment [data_dir/internal.key]",
    },
    ConfigOption {
        key: "services.operator_token_file",
        help: "operator token for the admin API and CLI [data_dir/operator.token]",
    },
    ConfigOption {
        key: "telemetry.log_format",
        help: "text or json [text]",
    },
    ConfigOption {
        key: "telemetry.otlp_endpoint",
        help: "OTLP gRPC endpoint for traces (also OTEL_EXPORTER_OTLP_ENDPOINT) [unset]",
    },
    ConfigOption {
        key: "jobs.poll_interval_ms",
        help: "how often the job worker looks for due work (scheduling wakes it too) [1000]",
    },
    ConfigOption {
        key: "jobs.lease_secs",
        help: "lease of a running job; a dead worker's jobs run again after it [30]",
    },
    ConfigOption {
        key: "jobs.batch_size",
        help: "most jobs a worker claims from one tenant at a time [50]",
    },
    ConfigOption {
        key: "jobs.audit_retention_days",
        help: "days audit-log entries are kept by the daily purge (sync log: 90) [365]",
    },
    ConfigOption {
        key: "jobs.sweep_interval_secs",
        help: "how often every tenant's next-due hint is rebuilt from its jobs [300]",
    },
    ConfigOption {
        key: "jobs.apply_batch_size",
        help: "users one checkpointed step of Apply Org and Role Settings looks at [200]",
    },
    ConfigOption {
        key: "smtp.host",
        help: "mail relay for the directory sync digest; unset = no digests are sent [unset]",
    },
    ConfigOption {
        key: "smtp.port",
        help: "relay port [25 with tls=none, 587 with starttls, 465 with tls]",
    },
    ConfigOption {
        key: "smtp.tls",
        help: "none, starttls (required upgrade) or tls (implicit TLS) [starttls]",
    },
    ConfigOption {
        key: "smtp.username",
        help: "relay user name; set together with smtp.password, needs TLS [unset]",
    },
    ConfigOption {
        key: "smtp.password",
        help: "relay password (secret) [unset]",
    },
    ConfigOption {
        key: "smtp.from",
        help: "sender, `Name <address>` or an address; required with smtp.host [unset]",
    },
    ConfigOption {
        key: "smtp.hello_name",
        help: "name given in EHLO [localhost]",
    },
    ConfigOption {
        key: "smtp.timeout_secs",
        help: "seconds one SMTP exchange may wait for the relay, 1-300 [30]",
    },
];

/// The options table as `roster --help` prints it.
pub fn options_help() -> String {
    let mut out =
        String::from("Configuration (later wins: defaults, --config FILE, environment, flags):\n");
    for option in OPTIONS {
        out.push_str(&format!(
            "  {:<34} {}\n      {}\n",
            option.key,
            option.env_var(),
            option.help
        ));
    }
    out
}

/// Parses an env or flag value the way figment's own env provider does
/// (numbers, booleans, arrays), falling back to a string.
fn parse_value(text: &str) -> Value {
    text.parse::<Value>()
        .unwrap_or_else(|_| Value::from(text.to_owned()))
}

pub(crate) fn serialize_secret_opt<S: serde::Serializer>(
    value: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => serializer.serialize_some("[redacted]"),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Collects the dotted leaf keys of a serialized config.
    fn leaf_keys(prefix: &str, value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    leaf_keys(&key, v, out);
                }
            }
            _ => out.push(prefix.to_owned()),
        }
    }

    #[test]
    fn every_key_is_documented_once_and_env_names_nest() {
        let mut keys = Vec::new();
        leaf_keys(
            "",
            &serde_json::to_value(Config::default()).unwrap(),
            &mut keys,
        );
        let mut documented: Vec<String> = OPTIONS.iter().map(|o| o.key.to_owned()).collect();
        keys.sort();
        documented.sort();
        assert_eq!(keys, documented);
        // Each documented variable really sets its key.
        for option in OPTIONS {
            let value = if option.key.ends_with("url") && option.key.starts_with("gateway") {
                "https://example.test"
            } else {
                "1"
            };
            let err = Config::load(None, &env(&[(&option.env_var(), value)]), &[]).err();
            assert!(
                !err.as_ref()
                    .is_some_and(|e| e.to_string().contains("unknown field")),
                "{}: {err:?}",
                option.env_var()
            );
        }
        let readme = include_str!("../../../README.md");
        for option in OPTIONS {
            assert!(
                readme.contains(&option.env_var()),
                "README lacks {}",
                option.env_var()
            );
        }
    }

    #[test]
    fn roster_config_variable_is_not_a_key() {
        Config::load(None, &env(&[("ROSTER_CONFIG", "/etc/roster.toml")]), &[]).unwrap();
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = Config::load(None, &BTreeMap::new(), &[]).unwrap();
        assert_eq!(c.data_dir, PathBuf::from("./roster-data"));
        assert_eq!(c.gateway.listen.to_string(), "0.0.0.0:8443");
        assert_eq!(c.gateway.public_url, "https://localhost:8443");
        assert_eq!(c.admin.listen.to_string(), "127.0.0.1:8444");
        assert!(c.database.url.is_none());
        assert!(c.redis.url.is_none());
    }

    #[test]
    fn env_nests_with_double_underscore_and_skips_test_variables() {
        let c = Config::load(
            None,
            &env(&[
                ("ROSTER_DATABASE__URL", "postgres://db/x"),
                ("ROSTER_GATEWAY__RATE_LIMIT__PER_SECOND", "7"),
                ("ROSTER_GATEWAY__LISTEN", "127.0.0.1:0"),
                ("ROSTER_TEST_DATABASE_URL", "ignored"),
                ("OTHER", "ignored"),
            ]),
            &[],
        )
        .unwrap();
        assert_eq!(c.database.url.unwrap().expose_secret(), "postgres://db/x");
        assert_eq!(c.gateway.rate_limit.per_second, 7);
        assert_eq!(c.gateway.listen.port(), 0);
    }

    #[test]
    fn later_sources_win() {
        let dir = std::env::temp_dir().join(format!("roster-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("roster.toml");
        std::fs::write(
            &file,
            "data_dir = \"/from/file\"\n[gateway.rate_limit]\nburst = 3\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&file),
            &env(&[("ROSTER_DATA_DIR", "/from/env")]),
            &[("data_dir", "/from/flag".to_owned())],
        )
        .unwrap();
        assert_eq!(c.data_dir, PathBuf::from("/from/flag"));
        assert_eq!(c.gateway.rate_limit.burst, 3);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unknown_keys_and_bad_values_are_all_reported() {
        let err = Config::load(None, &env(&[("ROSTER_GATEWAY__NOPE", "1")]), &[]).unwrap_err();
        assert!(err.to_string().contains("nope"), "{err}");
        let err = Config::load(
            None,
            &env(&[
                ("ROSTER_GATEWAY__PUBLIC_URL", "http://x/"),
                ("ROSTER_GATEWAY__RATE_LIMIT__BURST", "0"),
            ]),
            &[],
        )
        .unwrap_err();
        assert_eq!(err.problems.len(), 3, "{err}");
    }

    #[test]
    fn redacted_hides_secrets() {
        let c = Config::load(
            None,
            &env(&[("ROSTER_DATABASE__URL", "postgres://u:pw@h/d")]),
            &[],
        )
        .unwrap();
        assert!(!c.redacted().contains("pw"));
    }
}
