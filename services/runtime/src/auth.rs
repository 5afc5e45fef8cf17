//! Credentials between Roster's own processes.
//!
//! Three kinds of caller reach a gRPC service:
//! - the **operator**, with the token in `operator.token` (the CLI, operators' scripts);
//! - the **gateway**, with a credential derived from the internal key, which may only
//!   ask the tenants service to authenticate providers;
//! - a **tenant caller**, with a short-lived access token the tenants service issued
//!   to the gateway for one tenant and provider. Tenant services take the tenant and
//!   provider from this token, never from the message.
//!
//! Tokens are HMAC-SHA256 over their claims with the internal key; comparisons are
//! constant-time.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use roster_core::{ProviderId, TenantId};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

/// How long a tenant access token lives.
pub const ACCESS_TOKEN_TTL: time::Duration = time::Duration::minutes(5);

/// Who is calling a gRPC service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The operator: every control-plane RPC.
    Operator,
    /// The gateway: provider authentication only.
    Gateway,
    /// The gateway acting for one tenant's provider.
    Tenant {
        /// The tenant.
        tenant: TenantId,
        /// The authenticated provider.
        provider: ProviderId,
    },
}

/// Issues and checks the credentials above. Cheap to clone.
#[derive(Clone)]
pub struct Authority {
    key: Vec<u8>,
    operator_token: String,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authority([redacted])")
    }
}

/// Generates a random secret: `prefix` followed by 32 random bytes in URL-safe base64.
pub fn generate_secret(prefix: &str) -> String {
    let bytes: [u8; 32] = rand::random();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Reads a secret file, or creates it with a fresh secret (mode 0600) when absent.
pub fn load_or_create_secret_file(path: &Path, prefix: &str) -> std::io::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text.trim().to_owned()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let secret = generate_secret(prefix);
            write_private_file(path, secret.as_bytes())?;
            Ok(secret)
        }
        Err(err) => Err(err),
    }
}

/// Writes a file readable only by its owner (0600), atomically: a temp file then a rename.
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(&tmp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

impl Authority {
    /// Creates an authority from the internal key and the operator token.
    pub fn new(key: &str, operator_token: &str) -> Self {
        Self {
            key: key.as_bytes().to_vec(),
            operator_token: operator_token.to_owned(),
        }
    }

    fn mac(&self, purpose: &str, parts: &[&[u8]]) -> Vec<u8> {
        // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC accepts keys of any length");
        mac.update(purpose.as_bytes());
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().to_vec()
    }

    /// Returns the keyed digest of a provider secret, the only form in which it is stored.
    pub fn secret_digest(&self, secret: &str) -> Vec<u8> {
        self.mac("roster.provider-secret.v1", &[secret.as_bytes()])
    }

    /// Returns a fingerprint of the internal key: an HMAC of a fixed label under
    /// it, `hmac-sha256:<base64url>`. Two deployments share it exactly when they
    /// share the key (so they agree on every provider-secret digest); it reveals
    /// nothing of the key itself.
    pub fn key_fingerprint(&self) -> String {
        format!(
            "hmac-sha256:{}",
            URL_SAFE_NO_PAD.encode(self.mac("roster.key-fingerprint.v1", &[]))
        )
    }

    /// Returns the internal key itself (its file's content, trimmed), for a backup
    /// that must restore a deployment able to verify its provider credentials.
    /// Whoever gets it can forge every token: hand it only to the operator.
    pub fn key_for_backup(&self) -> &[u8] {
        &self.key
    }

    /// Returns the credential the gateway presents to the tenants service.
    pub fn gateway_credential(&self) -> String {
        format!(
            "rgw_{}",
            URL_SAFE_NO_PAD.encode(self.mac("roster.gateway.v1", &[]))
        )
    }

    /// Issues an access token for one tenant and provider, valid until `expires_at`.
    pub fn issue_tenant_token(
        &self,
        tenant: TenantId,
        provider: ProviderId,
        expires_at: OffsetDateTime,
    ) -> String {
        let claims = format!("{tenant}.{provider}.{}", expires_at.unix_timestamp());
        let mac = self.mac("roster.tenant-token.v1", &[claims.as_bytes()]);
        format!("rtt_{claims}.{}", URL_SAFE_NO_PAD.encode(mac))
    }

    /// Identifies the caller from an `authorization: Bearer …` value, or returns None.
    pub fn identify(&self, authorization: &str, now: OffsetDateTime) -> Option<Caller> {
        let token = authorization.strip_prefix("Bearer ")?.trim();
        if bool::from(token.as_bytes().ct_eq(self.operator_token.as_bytes())) {
            return Some(Caller::Operator);
        }
        if bool::from(token.as_bytes().ct_eq(self.gateway_credential().as_bytes())) {
            return Some(Caller::Gateway);
        }
        let body = token.strip_prefix("rtt_")?;
        let (claims, mac) = body.rsplit_once('.')?;
        let given = URL_SAFE_NO_PAD.decode(mac).ok()?;
        let expected = self.mac("roster.tenant-token.v1", &[claims.as_bytes()]);
        if !bool::from(given.ct_eq(&expected)) {
            return None;
        }
        let mut parts = claims.split('.');
        let tenant = TenantId::parse(parts.next()?).ok()?;
        let provider = ProviderId::parse(parts.next()?).ok()?;
        let expires: i64 = parts.next()?.parse().ok()?;
        if parts.next().is_some() || now.unix_timestamp() > expires {
            return None;
        }
        Some(Caller::Tenant { tenant, provider })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authority() -> Authority {
        Authority::new("key-material", "rop_operator")
    }

    #[test]
    fn identifies_each_kind_of_caller() {
        let a = authority();
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            a.identify("Bearer rop_operator", now),
            Some(Caller::Operator)
        );
        assert_eq!(
            a.identify(&format!("Bearer {}", a.gateway_credential()), now),
            Some(Caller::Gateway)
        );
        let (t, p) = (TenantId::generate(), ProviderId::generate());
        let token = a.issue_tenant_token(t, p, now + ACCESS_TOKEN_TTL);
        assert_eq!(
            a.identify(&format!("Bearer {token}"), now),
            Some(Caller::Tenant {
                tenant: t,
                provider: p
            })
        );
    }

    #[test]
    fn refuses_forged_expired_and_foreign_tokens() {
        let a = authority();
        let now = OffsetDateTime::now_utc();
        let (t, p) = (TenantId::generate(), ProviderId::generate());
        let token = a.issue_tenant_token(t, p, now + ACCESS_TOKEN_TTL);
        // Another tenant's id with the same MAC.
        let forged = token.replace(&t.to_string(), &TenantId::generate().to_string());
        assert_eq!(a.identify(&format!("Bearer {forged}"), now), None);
        assert_eq!(
            a.identify(
                &format!("Bearer {token}"),
                now + ACCESS_TOKEN_TTL + time::Duration::seconds(1)
            ),
            None
        );
        let other = Authority::new("other-key", "rop_operator");
        assert_eq!(other.identify(&format!("Bearer {token}"), now), None);
        assert_eq!(a.identify("Bearer ", now), None);
        assert_eq!(a.identify("rop_operator", now), None);
        assert_eq!(a.identify("Basic cm9wX29wZXJhdG9y", now), None);
    }

    #[test]
    fn key_fingerprint_identifies_the_key_without_revealing_it() {
        let a = authority();
        let fingerprint = a.key_fingerprint();
        assert!(fingerprint.starts_with("hmac-sha256:"), "{fingerprint}");
        assert!(!fingerprint.contains("key-material"));
        assert_eq!(
            fingerprint,
            Authority::new("key-material", "another-operator-token").key_fingerprint()
        );
        assert_ne!(
            fingerprint,
            Authority::new("other-key", "rop_operator").key_fingerprint()
        );
        assert_eq!(a.key_for_backup(), b"key-material");
    }

    #[test]
    fn digests_depend_on_the_key_and_secret() {
        let a = authority();
        assert_eq!(a.secret_digest("s1"), a.secret_digest("s1"));
        assert_ne!(a.secret_digest("s1"), a.secret_digest("s2"));
        assert_ne!(
            a.secret_digest("s1"),
            Authority::new("k2", "x").secret_digest("s1")
        );
        assert!(generate_secret("rsp_").starts_with("rsp_"));
        assert_ne!(generate_secret(""), generate_secret(""));
    }
}
