//! One `roster serve` process under test, and its CLI.
//!
//! Each [`Roster`] gets a fresh temp data dir, its own database (on the shared PostgreSQL server, or
//! embedded in the data dir: see [`crate::backend`]), and
//! loopback ports picked by the OS (`127.0.0.1:0`); it learns them from `endpoints.json`. Dropping it
//! sends SIGTERM, then SIGKILL if the process outlives the grace period.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde_json::Value;
use tempfile::TempDir;

use crate::cli::{CliOutput, ProviderCredential, parse_one_json_object};
use crate::scim::{ScimClient, trusting_only};
use crate::services::{Services, tail};

/// How long `roster serve` may take to write endpoints.json and answer /readyz with 200.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a SIGTERM'd Roster may take to exit before it is killed.
/// Longer than the gateway's own drain bound (10 s), so a slow drain is seen as slow, not killed.
const STOP_GRACE: Duration = Duration::from_secs(15);
/// How long one CLI invocation may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);
/// Lines of roster.log shown when a start fails.
const LOG_TAIL_LINES: usize = 60;

/// Where a Roster's Redis comes from.
#[derive(Debug, Clone, Default)]
pub enum RedisMode {
    /// The process-wide test Redis ([`Services::redis_url`]).
    #[default]
    Shared,
    /// No Redis configured at all.
    Disabled,
    /// This URL, e.g. a port where nothing listens, to test behaviour while Redis is down.
    Url(String),
}

/// The gateway's per-provider rate limit.
#[derive(Debug, Clone, Copy)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: u32,
    /// Requests allowed in a burst above the sustained rate.
    pub burst: u32,
}

/// How to start a [`Roster`]; `RosterOptions::default()` is the common case.
#[derive(Debug, Clone, Default)]
pub struct RosterOptions {
    /// Where Redis comes from.
    pub redis: RedisMode,
    /// The rate limit; `None` keeps Roster's defaults.
    pub rate_limit: Option<RateLimit>,
    /// Further `ROSTER_*` variables, applied last.
    pub env: Vec<(String, String)>,
    /// The data dir to use (say, a restored backup); `None` makes a fresh temp dir.
    pub data_dir: Option<PathBuf>,
    /// The storage backend; `None` follows [`crate::backend`] (`ROSTER_TEST_BACKEND`).
    pub backend: Option<crate::Backend>,
}

impl RosterOptions {
    /// Returns these options without Redis.
    pub fn without_redis(mut self) -> Self {
        self.redis = RedisMode::Disabled;
        self
    }

    /// Returns these options with Redis at `url`.
    pub fn redis_url(mut self, url: impl Into<String>) -> Self {
        self.redis = RedisMode::Url(url.into());
        self
    }

    /// Returns these options with the given rate limit.
    pub fn rate_limit(mut self, per_second: u32, burst: u32) -> Self {
        self.rate_limit = Some(RateLimit { per_second, burst });
        self
    }

    /// Returns these options starting Roster on an existing data dir, which the caller keeps.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Returns these options on `backend` whatever this run's backend is (PostgreSQL: a fresh
    /// database), for tests that move data from one backend to the other.
    pub fn backend(mut self, backend: crate::Backend) -> Self {
        self.backend = Some(backend);
        self
    }

    /// Returns these options with one more environment variable for `roster serve`.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

/// A running `roster serve` with its own data dir and database.
pub struct Roster {
    bin: PathBuf,
    data_dir: DataDir,
    /// Every `ROSTER_*` variable `roster serve` gets; kept for restarts.
    env: Vec<(String, String)>,
    database_url: Option<String>,
    child: Option<Child>,
    gateway_url: String,
    admin_url: String,
    /// An HTTPS client trusting only this Roster's certificate.
    http: reqwest::Client,
}

impl Roster {
    /// Starts a Roster and waits until it is ready; panics with its log tail if it does not start.
    pub async fn start(opts: RosterOptions) -> Roster {
        match Roster::try_start(opts).await {
            Ok(roster) => roster,
            Err(err) => panic!("roster did not start: {err:#}"),
        }
    }

    /// Starts a Roster and waits (at most 30 s) until endpoints.json exists and /readyz answers 200.
    pub async fn try_start(opts: RosterOptions) -> anyhow::Result<Roster> {
        let services = Services::get().await?;
        let database_url = match opts.backend.unwrap_or_else(crate::backend) {
            crate::Backend::Postgres => Some(services.create_database().await?),
            crate::Backend::Sqlite => None,
        };
        let data_dir = match opts.data_dir {
            Some(dir) => DataDir::Given(dir),
            None => DataDir::Temp(
                tempfile::Builder::new()
                    .prefix("roster-e2e-data-")
                    .tempdir()
                    .context("create the data dir")?,
            ),
        };

        let gateway_port = crate::services::free_port()?;
        let mut env = vec![
            (
                "ROSTER_DATA_DIR".to_owned(),
                data_dir.path().display().to_string(),
            ),
            // A fixed free port, so `gateway.public_url` (and so every provider's base_url)
            // names the address the gateway really listens on, also across restarts.
            (
                "ROSTER_GATEWAY__LISTEN".to_owned(),
                format!("127.0.0.1:{gateway_port}"),
            ),
            (
                "ROSTER_GATEWAY__PUBLIC_URL".to_owned(),
                format!("https://127.0.0.1:{gateway_port}"),
            ),
            ("ROSTER_ADMIN__LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
        ];
        if let Some(url) = &database_url {
            env.push(("ROSTER_DATABASE__URL".to_owned(), url.clone()));
        }
        match opts.redis {
            RedisMode::Shared => env.push((
                "ROSTER_REDIS__URL".to_owned(),
                services.redis_url().to_owned(),
            )),
            RedisMode::Url(url) => env.push(("ROSTER_REDIS__URL".to_owned(), url)),
            RedisMode::Disabled => {}
        }
        if let Some(limit) = opts.rate_limit {
            env.push((
                "ROSTER_GATEWAY__RATE_LIMIT__PER_SECOND".to_owned(),
                limit.per_second.to_string(),
            ));
            env.push((
                "ROSTER_GATEWAY__RATE_LIMIT__BURST".to_owned(),
                limit.burst.to_string(),
            ));
        }
        env.extend(opts.env);

        let mut roster = Roster {
            bin: roster_bin(),
            data_dir,
            env,
            database_url,
            child: None,
            gateway_url: String::new(),
            admin_url: String::new(),
            http: reqwest::Client::new(),
        };
        roster.spawn_and_wait_ready().await?;
        Ok(roster)
    }

    /// Returns the data dir.
    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    /// Returns the gateway's base URL, `https://127.0.0.1:PORT`.
    pub fn gateway_url(&self) -> &str {
        &self.gateway_url
    }

    /// Returns the admin gRPC URL, `http://127.0.0.1:PORT`.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// Returns the path of the self-signed certificate Roster wrote: `<data dir>/tls/cert.pem`.
    pub fn ca_cert_path(&self) -> PathBuf {
        self.data_dir().join("tls").join("cert.pem")
    }

    /// Returns the URL of this Roster's own PostgreSQL database; panics on the embedded backend
    /// (guard the test with [`crate::runs_on`]).
    pub fn database_url(&self) -> &str {
        self.database_url.as_deref().expect(
            "this Roster runs on the embedded backend: guard the test with runs_on(Postgres)",
        )
    }

    /// Returns the `ROSTER_*` variable naming this Roster's database, if it has one (PostgreSQL),
    /// for a second process that must use the same data.
    pub fn database_env(&self) -> Vec<(String, String)> {
        self.database_url
            .iter()
            .map(|url| ("ROSTER_DATABASE__URL".to_owned(), url.clone()))
            .collect()
    }

    /// Returns the file Roster's stdout and stderr go to (unless `TEST_LOG=1`).
    pub fn log_path(&self) -> PathBuf {
        self.data_dir().join("roster.log")
    }

    /// Returns an HTTPS client trusting only this Roster's certificate, for non-SCIM gateway routes.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Returns the process id of the running server, if it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Runs `roster <args> --data-dir <dir>` and returns what it printed.
    pub async fn cli(&self, args: &[&str]) -> CliOutput {
        let mut command = tokio::process::Command::new(&self.bin);
        command
            .args(args)
            .arg("--data-dir")
            .arg(self.data_dir())
            .stdin(Stdio::null())
            .kill_on_drop(true);
        without_inherited_roster_env(command.as_std_mut());
        let what = format!("roster {}", args.join(" "));
        let out = tokio::time::timeout(CLI_TIMEOUT, command.output())
            .await
            .unwrap_or_else(|_| panic!("`{what}` did not finish in {CLI_TIMEOUT:?}"))
            .unwrap_or_else(|err| panic!("run `{what}` ({}): {err}", self.bin.display()));
        CliOutput {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs `roster <args> --json`, asserts success and that stdout is exactly one JSON object.
    pub async fn cli_json(&self, args: &[&str]) -> Value {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let out = self.cli(&with_json).await;
        let what = format!("roster {}", with_json.join(" "));
        assert!(
            out.status.success(),
            "`{what}` failed ({}); stderr:\n{}",
            out.status,
            out.stderr
        );
        parse_one_json_object(&out.stdout).unwrap_or_else(|err| panic!("`{what}`: {err:#}"))
    }

    /// Creates a tenant with the CLI and returns its JSON; asserts it is active.
    pub async fn create_tenant(&self, slug: &str) -> Value {
        let tenant = self.cli_json(&["tenant", "create", slug]).await;
        assert_eq!(tenant["slug"], slug, "tenant create answered {tenant}");
        assert_eq!(tenant["state"], "active", "tenant create answered {tenant}");
        tenant
    }

    /// Creates a provider with the CLI; `credential` is `"basic"` or `"bearer"`.
    pub async fn create_provider(
        &self,
        tenant_slug: &str,
        name: &str,
        credential: &str,
    ) -> ProviderCredential {
        let json = self
            .cli_json(&[
                "provider",
                "create",
                "--tenant",
                tenant_slug,
                "--name",
                name,
                "--credential",
                credential,
            ])
            .await;
        let cred = ProviderCredential::from_json(&json)
            .unwrap_or_else(|err| panic!("provider create: {err:#}"));
        assert_eq!(
            cred.kind.as_str(),
            credential,
            "provider create answered {json}"
        );
        cred
    }

    /// Returns a SCIM client authenticating with `cred`.
    pub fn scim(&self, cred: &ProviderCredential) -> ScimClient {
        ScimClient::new(cred).unwrap_or_else(|err| panic!("build a SCIM client: {err:#}"))
    }

    /// Sends SIGTERM and waits for the exit (SIGKILL after 10 s); returns the exit status.
    pub fn stop(&mut self) -> anyhow::Result<ExitStatus> {
        let child = self.child.take().context("roster is not running")?;
        stop_child(child, "TERM", STOP_GRACE)
    }

    /// Kills the server with SIGKILL (`kill -9`) and waits for it.
    pub fn kill(&mut self) -> anyhow::Result<ExitStatus> {
        let child = self.child.take().context("roster is not running")?;
        stop_child(child, "KILL", Duration::ZERO)
    }

    /// Starts the server again on the same data dir and database, after [`Roster::stop`] or [`Roster::kill`].
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        if self.child.is_some() {
            self.stop()?;
        }
        self.spawn_and_wait_ready().await
    }

    async fn spawn_and_wait_ready(&mut self) -> anyhow::Result<()> {
        let endpoints_path = self.data_dir().join("endpoints.json");
        match std::fs::remove_file(&endpoints_path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                return Err(err).context("remove the stale endpoints.json");
            }
            _ => {}
        }
        let child = self.spawn()?;
        self.child = Some(child);
        let result = self.wait_ready(&endpoints_path).await;
        if let Err(err) = result {
            if let Some(child) = self.child.take() {
                // The server is useless now; its exit status adds nothing to the error.
                let _ = stop_child(child, "KILL", Duration::ZERO);
            }
            let log = if crate::test_log_enabled() {
                "(see stderr above: TEST_LOG=1)".to_owned()
            } else {
                format!(
                    "last lines of {}:\n{}",
                    self.log_path().display(),
                    tail(&self.log_path(), LOG_TAIL_LINES)
                )
            };
            bail!("{err:#}\n{log}");
        }
        Ok(())
    }

    fn spawn(&self) -> anyhow::Result<Child> {
        let mut command = Command::new(&self.bin);
        command.arg("serve").arg("--data-dir").arg(self.data_dir());
        without_inherited_roster_env(&mut command);
        command.envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        if std::env::var_os("RUST_LOG").is_none() {
            command.env("RUST_LOG", "info");
        }
        command.stdin(Stdio::null());
        if !crate::test_log_enabled() {
            let log = File::options()
                .create(true)
                .append(true)
                .open(self.log_path())
                .context("open roster.log")?;
            command
                .stdout(log.try_clone().context("duplicate the log handle")?)
                .stderr(log);
        }
        command.spawn().with_context(|| {
            format!(
                "spawn {} (build it with `cargo build -p roster`, or set ROSTER_BIN)",
                self.bin.display()
            )
        })
    }

    async fn wait_ready(&mut self, endpoints_path: &Path) -> anyhow::Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut last_problem = "endpoints.json not written yet".to_owned();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().context("check the roster process")?
            {
                bail!("roster serve exited with {status} before it was ready");
            }
            if Instant::now() > deadline {
                bail!("roster serve not ready after {READY_TIMEOUT:?}: {last_problem}");
            }
            match self.probe_ready(endpoints_path).await {
                Ok(()) => return Ok(()),
                Err(problem) => last_problem = format!("{problem:#}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Reads endpoints.json (written atomically, so a parse failure means a foreign writer) and asks /readyz.
    async fn probe_ready(&mut self, endpoints_path: &Path) -> anyhow::Result<()> {
        let text = match std::fs::read_to_string(endpoints_path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                bail!("endpoints.json not written yet")
            }
            Err(err) => return Err(err).context("read endpoints.json"),
        };
        let endpoints: Value =
            serde_json::from_str(&text).with_context(|| format!("parse endpoints.json: {text}"))?;
        let url = |key: &str| {
            endpoints[key]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("endpoints.json has no `{key}`: {text}"))
        };
        let (gateway_url, admin_url) = (url("gateway")?, url("admin")?);
        if gateway_url != self.gateway_url {
            // A new process (or restart) may have a new certificate and new ports.
            self.http = trusting_only(&self.ca_cert_path())?;
            self.gateway_url = gateway_url;
        }
        // The admin listener may move on a restart even when the gateway's port is fixed.
        self.admin_url = admin_url;
        let response = self
            .http
            .get(format!("{}/readyz", self.gateway_url))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .context("GET /readyz")?;
        if response.status() != reqwest::StatusCode::OK {
            bail!("GET /readyz answered {}", response.status());
        }
        Ok(())
    }
}

/// A Roster's data dir: its own temp dir, or one the test gave (and removes itself).
enum DataDir {
    Temp(TempDir),
    Given(PathBuf),
}

impl DataDir {
    fn path(&self) -> &Path {
        match self {
            DataDir::Temp(dir) => dir.path(),
            DataDir::Given(dir) => dir,
        }
    }
}

impl Drop for Roster {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            // Nothing to report to from a destructor; a stuck server is SIGKILLed in stop_child.
            let _ = stop_child(child, "TERM", STOP_GRACE);
        }
    }
}

/// Returns the `roster` binary: `ROSTER_BIN`, else `<target dir>/debug/roster` of this workspace.
/// Returns a `roster` command with no `ROSTER_*` variables inherited from the shell, for tests
/// that drive the binary outside a [`Roster`] (start-up failures, say).
pub fn roster_command() -> Command {
    let mut command = Command::new(roster_bin());
    without_inherited_roster_env(&mut command);
    command
}

fn roster_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("ROSTER_BIN").filter(|b| !b.is_empty()) {
        return PathBuf::from(bin);
    }
    let workspace_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target_dir = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || workspace_root.join("target"),
        |dir| workspace_root.join(dir),
    );
    target_dir.join("debug").join("roster")
}

/// Removes `ROSTER_*` variables inherited from the developer's shell, so only the harness configures
/// Roster. `ROSTER_TEST_*` stay: Roster ignores them by contract.
fn without_inherited_roster_env(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let Some(name) = key.to_str() else { continue };
        if name.starts_with("ROSTER_") && !name.starts_with("ROSTER_TEST_") {
            command.env_remove(&key);
        }
    }
}

/// Signals the child (`TERM` or `KILL`), waits up to `grace`, then SIGKILLs it and waits for good.
fn stop_child(child: Child, signal: &str, grace: Duration) -> anyhow::Result<ExitStatus> {
    let pid = child.id();
    // Wait on a thread so the wait can time out; until it returns, the pid cannot be reused.
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut child = child;
        let _ = sender.send(child.wait());
    });
    send_signal(pid, signal)?;
    let status = match receiver.recv_timeout(grace) {
        Ok(status) => status,
        Err(_) => {
            send_signal(pid, "KILL")?;
            receiver
                .recv_timeout(STOP_GRACE)
                .map_err(|_| anyhow!("roster (pid {pid}) did not exit after SIGKILL"))?
        }
    };
    status.context("wait for roster to exit")
}

/// Sends a signal with the shell's `kill` builtin (no libc dependency, no procps needed).
///
/// Its exit status is ignored: `kill` fails only when the process has already exited, and the
/// caller's wait reports how it exited.
fn send_signal(pid: u32, signal: &str) -> anyhow::Result<()> {
    Command::new("sh")
        .args([
            "-c",
            "kill -s \"$1\" \"$2\" 2>/dev/null",
            "sh",
            signal,
            &pid.to_string(),
        ])
        .status()
        .context("run kill")?;
    Ok(())
}
