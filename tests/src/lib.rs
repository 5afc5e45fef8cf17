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
//!   in parallel without sharing state.
//! - [`ScimClient`]: a SCIM client holding one provider credential, trusting only the data dir's
//!   certificate.
//!
//! Output is silent unless `TEST_LOG=1`: Roster's logs go to `roster.log` in its data dir, and their
//! tail is printed when a start fails.

mod cli;
mod roster;
mod scim;
mod services;

pub use cli::{CliOutput, CredentialKind, ProviderCredential};
pub use roster::{RateLimit, RedisMode, Roster, RosterOptions, roster_command};
pub use scim::{Auth, Resp, SCIM_CONTENT_TYPE, SCIM_ERROR_SCHEMA, ScimClient, scim_error};
pub use services::Services;

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
