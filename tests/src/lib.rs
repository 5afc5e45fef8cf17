//! roster-e2e: the harness for Roster's end-to-end tests.
//!
//! Tests drive the real `roster` binary over its external contract only: environment variables, the
//! data-dir files (`endpoints.json`, `tls/cert.pem`, `operator.token`), the CLI with `--json`, and
//! SCIM over real HTTPS. Nothing here links Roster's own crates.
//!
//! - [`Services`]: one PostgreSQL and one Redis per test process, normally started by `scripts/test`
//!   and passed in `ROSTER_TEST_DATABASE_URL` / `ROSTER_TEST_REDIS_URL`; started here as a fallback
//!   when `cargo test` is run by hand.
//! - [`Roster`]: one `roster serve` process with its own data dir and its own database, so tests run
//!   in parallel without sharing state. `ROSTER_TEST_BACKEND` picks the database: `postgres` (the
//!   default: a fresh database on the shared server) or `sqlite` (Roster's embedded default, files
//!   under the data dir). `scripts/test` runs the end-to-end suite once per backend.
//! - [`ScimClient`]: a SCIM client holding one provider credential, trusting only the data dir's
//!   certificate.
//! - [`SmtpServer`]: a loopback SMTP server that records the mail Roster sends (the digest).
//!
//! Output is silent unless `TEST_LOG=1`: Roster's logs go to `roster.log` in its data dir, and their
//! tail is printed when a start fails.

mod cli;
mod roster;
mod scim;
mod services;
mod smtp;

pub use cli::{CliOutput, CredentialKind, ProviderCredential};
pub use roster::{RateLimit, RedisMode, Roster, RosterOptions, roster_command};
pub use scim::{Auth, Resp, SCIM_CONTENT_TYPE, SCIM_ERROR_SCHEMA, ScimClient, scim_error};
pub use services::Services;
pub use smtp::{ReceivedMail, SmtpServer};

/// The storage backend a test run's Rosters use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL, a fresh database per Roster.
    Postgres,
    /// Embedded SQLite under the Roster's data dir.
    Sqlite,
}

/// Returns the backend this run uses: `ROSTER_TEST_BACKEND` = `postgres` (default) or `sqlite`.
/// Any other value panics, so a typo cannot silently test the wrong backend.
pub fn backend() -> Backend {
    match std::env::var("ROSTER_TEST_BACKEND").as_deref() {
        Err(_) | Ok("" | "postgres") => Backend::Postgres,
        Ok("sqlite") => Backend::Sqlite,
        Ok(other) => panic!("ROSTER_TEST_BACKEND must be postgres or sqlite, not {other:?}"),
    }
}

/// For a test about one backend's own mechanics (a PostgreSQL row lock, a SQLite file lock): true
/// when this run uses `wanted`. Otherwise it says so on stderr and the test returns; `scripts/test`
/// runs the suite on both backends, so every such test runs for real in one of the two passes.
pub fn runs_on(wanted: Backend) -> bool {
    let this = backend();
    if this != wanted {
        eprintln!("not applicable: this test is about {wanted:?}, this run uses {this:?}");
    }
    this == wanted
}

/// Returns `<prefix>-<random hex>`, a tenant slug (or any name) no other test will use.
pub fn unique_slug(prefix: &str) -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}-{}", &hex[..10])
}

/// Returns true when `TEST_LOG=1`: Roster's stderr then passes through to the terminal.
pub fn test_log_enabled() -> bool {
    std::env::var("TEST_LOG").is_ok_and(|v| v == "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_slug_has_prefix_and_differs_each_call() {
        let a = unique_slug("okta");
        let b = unique_slug("okta");
        assert!(a.starts_with("okta-"), "{a}");
        assert_eq!(a.len(), "okta-".len() + 10);
        assert!(
            a["okta-".len()..].chars().all(|c| c.is_ascii_hexdigit()),
            "{a}"
        );
        assert_ne!(a, b);
    }
}
