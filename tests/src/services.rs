//! The PostgreSQL server and Redis shared by every Roster in one test process.
//!
//! `scripts/test` starts both and exports `ROSTER_TEST_DATABASE_URL` / `ROSTER_TEST_REDIS_URL`; this
//! module then only reads them. When either is unset (plain `cargo test`), it starts the missing
//! service itself on a free loopback port, never 5432/6379, where something else may already listen.
//!
//! Statics are never dropped, so what this module starts is stopped by a watchdog: a small shell
//! process that reads its instructions (what was started) from a pipe held by this process, and
//! stops those processes and removes their directory when the pipe closes, which the kernel does
//! when the test process exits, however it exits.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use tokio::sync::OnceCell;

/// Stops what was started when its stdin reaches end of file. Ctrl-C (SIGINT to the whole process
/// group) and SIGHUP must not kill it before it has cleaned up, hence the traps.
const WATCHDOG_SCRIPT: &str = r#"
trap '' INT HUP
pids='' pgctl='' pgdata='' runas='' dir=''
while IFS=' ' read -r key value; do
  case "$key" in
    pid) pids="$pids $value" ;;
    pgctl) pgctl=$value ;;
    pgdata) pgdata=$value ;;
    runas) runas=$value ;;
    dir) dir=$value ;;
  esac
done
for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
if [ -n "$pgdata" ]; then
  if [ -n "$runas" ]; then
    runuser -u "$runas" -- "$pgctl" -D "$pgdata" -m immediate -w stop
  else
    "$pgctl" -D "$pgdata" -m immediate -w stop
  fi
fi >/dev/null 2>&1
[ -n "$dir" ] && rm -rf "$dir"
"#;

/// How long a service may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(60);

static SERVICES: OnceCell<Result<Services, String>> = OnceCell::const_new();

/// The PostgreSQL server and Redis that every [`crate::Roster`] of this test process uses.
#[derive(Debug)]
pub struct Services {
    /// Connects to the maintenance database (`postgres`) as a superuser; never used by a Roster.
    database_url: String,
    redis_url: String,
    /// The pipe to the watchdog, when this process started anything; closed only at exit.
    _watchdog: Option<ChildStdin>,
}

impl Services {
    /// Returns the process-wide services, starting the ones not given in `ROSTER_TEST_*` on first use.
    ///
    /// A failed start is remembered: every later test fails with the same message instead of
    /// trying again.
    pub async fn get() -> anyhow::Result<&'static Services> {
        SERVICES
            .get_or_init(|| async {
                Self::from_env_or_start()
                    .await
                    .map_err(|err| format!("{err:#}"))
            })
            .await
            .as_ref()
            .map_err(|err| anyhow!("start the test services: {err}"))
    }

    /// Returns the superuser URL of the maintenance database.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// Returns the Redis URL (`redis://127.0.0.1:PORT`).
    pub fn redis_url(&self) -> &str {
        &self.redis_url
    }

    /// Creates an empty database `roster_<random hex>` and returns its URL.
    pub async fn create_database(&self) -> anyhow::Result<String> {
        let name = format!("roster_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&self.database_url)
            .await
            .with_context(|| format!("connect to {}", self.database_url))?;
        // The name is built above from a fixed prefix and hex digits only: safe to interpolate.
        sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .with_context(|| format!("create database {name}"))?;
        conn.close().await.context("close the admin connection")?;
        let mut url = reqwest::Url::parse(&self.database_url).context("parse the database URL")?;
        url.set_path(&format!("/{name}"));
        Ok(url.to_string())
    }

    async fn from_env_or_start() -> anyhow::Result<Services> {
        let database_url = env_nonempty("ROSTER_TEST_DATABASE_URL");
        let redis_url = env_nonempty("ROSTER_TEST_REDIS_URL");
        if let (Some(database_url), Some(redis_url)) = (&database_url, &redis_url) {
            return Ok(Services {
                database_url: database_url.clone(),
                redis_url: redis_url.clone(),
                _watchdog: None,
            });
        }

        // As root, /tmp rather than $TMPDIR: the postgres user must be able to reach the directory.
        let parent = if running_as_root() {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = tempfile::Builder::new()
            .prefix("roster-e2e-services-")
            .tempdir_in(parent)
            .context("create a directory for the test services")?
            .keep();
        let mut watchdog = spawn_watchdog()?;
        register(&mut watchdog, "dir", &dir.display().to_string())?;

        let database_url = match database_url {
            Some(url) => url,
            None => start_postgres(&dir, &mut watchdog).context("start PostgreSQL")?,
        };
        let redis_url = match redis_url {
            Some(url) => url,
            None => start_redis(&dir, &mut watchdog)
                .await
                .context("start Redis")?,
        };
        Ok(Services {
            database_url,
            redis_url,
            _watchdog: Some(watchdog),
        })
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn spawn_watchdog() -> anyhow::Result<ChildStdin> {
    let mut child = Command::new("sh")
        .args(["-c", WATCHDOG_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("spawn the cleanup watchdog (sh)")?;
    child.stdin.take().context("the watchdog has no stdin pipe")
}

fn register(watchdog: &mut ChildStdin, key: &str, value: &str) -> anyhow::Result<()> {
    writeln!(watchdog, "{key} {value}")
        .and_then(|()| watchdog.flush())
        .context("tell the watchdog what to stop")
}

/// Returns a port that was free a moment ago (the OS picks it; the race is harmless in practice).
pub(crate) fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("bind a probe socket")?;
    Ok(listener
        .local_addr()
        .context("read the probe socket's port")?
        .port())
}

fn running_as_root() -> bool {
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Returns the path of a PostgreSQL server program: the newest `/usr/lib/postgresql/*/bin`
/// (Debian keeps them off PATH), else the bare name for a PATH lookup.
fn postgres_program(name: &str) -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let program = entry.path().join("bin").join(name);
            program.is_file().then_some((version, program))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map_or_else(|| PathBuf::from(name), |(_, program)| program)
}

/// Runs a command to completion with its output appended to `log`; fails with the log's tail.
fn run_logged(command: &mut Command, what: &str, log: &Path) -> anyhow::Result<()> {
    let out = File::options()
        .create(true)
        .append(true)
        .open(log)
        .context("open the services log")?;
    let status = command
        .stdin(Stdio::null())
        .stdout(out.try_clone().context("duplicate the log handle")?)
        .stderr(out)
        .status()
        .with_context(|| format!("run {what}"))?;
    if !status.success() {
        bail!(
            "{what} failed ({status}); {}:\n{}",
            log.display(),
            tail(log, 30)
        );
    }
    Ok(())
}

/// Returns the last `lines` lines of a text file (empty when unreadable).
pub(crate) fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Builds a command that runs `program` as `user` (via runuser) or, without a user, directly.
fn command_as(user: Option<&str>, program: &Path) -> Command {
    match user {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// Starts a throwaway cluster with trust auth; returns its superuser URL.
fn start_postgres(dir: &Path, watchdog: &mut ChildStdin) -> anyhow::Result<String> {
    // initdb and postgres refuse to run as root: run them as `postgres` in a directory it owns.
    let user = running_as_root().then_some("postgres");
    let root = dir.join("postgres");
    let data = root.join("data");
    let log = root.join("postgres.log");
    fs::create_dir(&root).context("create the PostgreSQL directory")?;
    if let Some(user) = user {
        // The parent is a 0700 temp dir: let the postgres user reach its own subdirectory.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o711))
            .context("open up the services directory")?;
        run_logged(
            Command::new("chown").arg(format!("{user}:")).arg(&root),
            "chown",
            &dir.join("chown.log"),
        )?;
    }
    let pg_ctl = postgres_program("pg_ctl");
    register(watchdog, "pgctl", &pg_ctl.display().to_string())?;
    register(watchdog, "pgdata", &data.display().to_string())?;
    if let Some(user) = user {
        register(watchdog, "runas", user)?;
    }

    run_logged(
        command_as(user, &postgres_program("initdb"))
            .current_dir(&root)
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]),
        "initdb",
        &log,
    )?;
    let port = free_port()?;
    // Durability is pointless for a throwaway cluster; parallel Rosters each hold a pool.
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        root.display()
    );
    run_logged(
        command_as(user, &pg_ctl)
            .current_dir(&root)
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(root.join("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"]),
        "pg_ctl start",
        &log,
    )
    .map_err(|err| {
        anyhow!(
            "{err:#}\nserver log:\n{}",
            tail(&root.join("server.log"), 30)
        )
    })?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// Starts `redis-server` with persistence off; returns its URL once it answers PING.
async fn start_redis(dir: &Path, watchdog: &mut ChildStdin) -> anyhow::Result<String> {
    let port = free_port()?;
    let log_path = dir.join("redis.log");
    let log = File::create(&log_path).context("create the Redis log")?;
    let child = Command::new("redis-server")
        .current_dir(dir)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdin(Stdio::null())
        .stdout(log.try_clone().context("duplicate the log handle")?)
        .stderr(log)
        .spawn()
        .context("spawn redis-server (is it installed? scripts/test installs it)")?;
    register(watchdog, "pid", &child.id().to_string())?;

    let deadline = Instant::now() + START_TIMEOUT;
    while !redis_answers_ping(port) {
        if Instant::now() > deadline {
            bail!(
                "redis-server did not answer PING on port {port}; log:\n{}",
                tail(&log_path, 30)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(format!("redis://127.0.0.1:{port}"))
}

fn redis_answers_ping(port: u16) -> bool {
    let ping = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))?;
        stream.set_read_timeout(Some(Duration::from_secs(1)))?;
        stream.write_all(b"PING\r\n")?;
        let mut reply = [0u8; 7];
        stream.read_exact(&mut reply)?;
        Ok(&reply == b"+PONG\r\n")
    };
    ping().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_returns_last_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("log");
        fs::write(&path, "a\nb\nc\n").expect("write");
        assert_eq!(tail(&path, 2), "b\nc");
        assert_eq!(tail(&path, 10), "a\nb\nc");
        assert_eq!(tail(&dir.path().join("missing"), 2), "");
    }

    #[test]
    fn free_port_is_not_zero() {
        assert_ne!(free_port().expect("free port"), 0);
    }
}
