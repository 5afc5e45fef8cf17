//! What the `roster` CLI prints: the raw output of a run, `--json` objects, provider credentials.

use std::path::PathBuf;
use std::process::ExitStatus;

use anyhow::{Context, anyhow, bail};
use serde_json::Value;

/// The output of one CLI invocation.
#[derive(Debug, Clone)]
pub struct CliOutput {
    /// The exit status.
    pub status: ExitStatus,
    /// Standard output, lossily decoded.
    pub stdout: String,
    /// Standard error, lossily decoded.
    pub stderr: String,
}

/// The kind of secret a provider authenticates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// HTTP Basic: username and password.
    Basic,
    /// `Authorization: Bearer <token>`.
    Bearer,
}

impl CredentialKind {
    /// Returns the CLI's name for this kind (`basic` or `bearer`).
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Basic => "basic",
            CredentialKind::Bearer => "bearer",
        }
    }
}

/// A provider's SCIM credential, as printed by `roster provider create|regenerate --json`.
#[derive(Debug, Clone)]
pub struct ProviderCredential {
    /// The provider id.
    pub id: String,
    /// The tenant slug (or id, as the CLI prints it).
    pub tenant: String,
    /// The SCIM base URL, `https://.../t/<slug>/scim/v2`.
    pub base_url: String,
    /// The Basic username, when there is one.
    pub username: Option<String>,
    /// The password (Basic) or token (Bearer).
    pub secret: String,
    /// Basic or Bearer.
    pub kind: CredentialKind,
    /// The CA certificate to trust: the data dir's `tls/cert.pem`.
    pub ca_cert: PathBuf,
    /// The whole JSON object the CLI printed.
    pub json: Value,
}

impl ProviderCredential {
    /// Reads a credential from the CLI's JSON object.
    pub fn from_json(json: &Value) -> anyhow::Result<Self> {
        let text = |key: &str| {
            json[key]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("provider JSON has no string `{key}`: {json}"))
        };
        let kind = match text("credential")?.as_str() {
            "basic" => CredentialKind::Basic,
            "bearer" => CredentialKind::Bearer,
            other => bail!("unknown credential kind {other:?}"),
        };
        let secret = match kind {
            CredentialKind::Basic => text("password")?,
            CredentialKind::Bearer => text("token")?,
        };
        let username = json["username"]
            .as_str()
            .filter(|u| !u.is_empty())
            .map(str::to_owned);
        if kind == CredentialKind::Basic && username.is_none() {
            bail!("basic provider JSON has no username: {json}");
        }
        Ok(ProviderCredential {
            id: text("id")?,
            tenant: text("tenant")?,
            base_url: text("base_url")?,
            username,
            secret,
            kind,
            ca_cert: PathBuf::from(text("ca_cert")?),
            json: json.clone(),
        })
    }
}

/// Parses stdout that must hold exactly one JSON object (whitespace around it allowed).
pub(crate) fn parse_one_json_object(stdout: &str) -> anyhow::Result<Value> {
    let mut values = serde_json::Deserializer::from_str(stdout).into_iter::<Value>();
    let first = values
        .next()
        .ok_or_else(|| anyhow!("printed nothing on stdout"))?
        .with_context(|| format!("stdout is not JSON: {stdout}"))?;
    if !first.is_object() {
        bail!("stdout is JSON but not an object: {stdout}");
    }
    if values.next().is_some() {
        bail!("stdout holds more than one JSON value: {stdout}");
    }
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_json_object_is_accepted() {
        let v = parse_one_json_object("  {\"a\": 1}\n").expect("one object");
        assert_eq!(v["a"], 1);
    }

    #[test]
    fn anything_but_one_object_is_refused() {
        for stdout in ["", "{} {}", "[1]", "{\"a\":1}\nextra", "created tenant x"] {
            assert!(
                parse_one_json_object(stdout).is_err(),
                "{stdout:?} was accepted"
            );
        }
    }

    #[test]
    fn provider_credential_reads_basic_and_bearer() {
        let basic = serde_json::json!({"id": "p1", "tenant": "t", "name": "n", "credential": "basic",
            "base_url": "https://127.0.0.1:1/t/t/scim/v2", "username": "u", "password": "pw",
            "expires_at": null, "ca_cert": "/d/tls/cert.pem"});
        let cred = ProviderCredential::from_json(&basic).expect("basic");
        assert_eq!(
            (cred.kind, cred.username.as_deref(), cred.secret.as_str()),
            (CredentialKind::Basic, Some("u"), "pw")
        );

        let bearer = serde_json::json!({"id": "p2", "tenant": "t", "name": "n", "credential": "bearer",
            "base_url": "https://x/t/t/scim/v2", "username": null, "token": "tok", "ca_cert": "/d/tls/cert.pem"});
        let cred = ProviderCredential::from_json(&bearer).expect("bearer");
        assert_eq!(
            (cred.kind, cred.secret.as_str()),
            (CredentialKind::Bearer, "tok")
        );

        let no_secret = serde_json::json!({"id": "p3", "tenant": "t", "credential": "basic", "username": "u",
            "base_url": "https://x", "ca_cert": "/c"});
        assert!(ProviderCredential::from_json(&no_secret).is_err());
    }
}
