//! A SCIM client over real HTTPS, holding one provider credential.
//!
//! It trusts only the certificate in the Roster's data dir (no built-in roots, no insecure flags),
//! so a test also proves the gateway serves the certificate it wrote.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use reqwest::{Certificate, Method};
use serde_json::Value;

use crate::cli::{CredentialKind, ProviderCredential};

/// The SCIM media type (RFC 7644 §3.1).
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";
/// The schema URN of SCIM error responses (RFC 7644 §3.12).
pub const SCIM_ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// How long one SCIM request may take before the test fails instead of hanging.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How a request authenticates; `None` in [`ScimClient::raw`] means the client's own credential.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No `Authorization` header.
    Anonymous,
    /// HTTP Basic with these values.
    Basic {
        /// The username.
        username: String,
        /// The password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// This exact `Authorization` header value, e.g. a malformed one.
    Header(String),
}

impl Auth {
    /// Returns the auth a provider credential implies.
    pub fn from_credential(cred: &ProviderCredential) -> Auth {
        match cred.kind {
            CredentialKind::Basic => Auth::Basic {
                username: cred.username.clone().unwrap_or_default(),
                password: cred.secret.clone(),
            },
            CredentialKind::Bearer => Auth::Bearer(cred.secret.clone()),
        }
    }
}

/// A response, read completely.
#[derive(Debug, Clone)]
pub struct Resp {
    /// The HTTP status code.
    pub status: u16,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as JSON; `Null` when empty, a JSON string holding the text when it is not JSON.
    pub body: Value,
    /// The body as text, exactly as received (lossily decoded).
    pub text: String,
}

impl Resp {
    /// Returns a header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A SCIM client for one provider of one tenant.
#[derive(Debug, Clone)]
pub struct ScimClient {
    http: reqwest::Client,
    base_url: String,
    auth: Auth,
}

impl ScimClient {
    /// Builds a client for `cred`, trusting only `cred.ca_cert`.
    pub fn new(cred: &ProviderCredential) -> anyhow::Result<ScimClient> {
        Ok(ScimClient {
            http: trusting_only(&cred.ca_cert)?,
            base_url: cred.base_url.trim_end_matches('/').to_owned(),
            auth: Auth::from_credential(cred),
        })
    }

    /// Returns a copy of this client that authenticates with `auth` instead.
    pub fn with_auth(&self, auth: Auth) -> ScimClient {
        ScimClient {
            auth,
            ..self.clone()
        }
    }

    /// Returns the SCIM base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends `GET <base><path>`.
    pub async fn get(&self, path: &str) -> Resp {
        self.raw(Method::GET, path, b"", None, None).await
    }

    /// Sends `POST <base><path>` with a SCIM JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send_json(Method::POST, path, body).await
    }

    /// Sends `PUT <base><path>` with a SCIM JSON body.
    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.send_json(Method::PUT, path, body).await
    }

    /// Sends `PATCH <base><path>` with a SCIM JSON body.
    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.send_json(Method::PATCH, path, body).await
    }

    /// Sends `DELETE <base><path>`.
    pub async fn delete(&self, path: &str) -> Resp {
        self.raw(Method::DELETE, path, b"", None, None).await
    }

    /// Sends any request: `body` is sent as is when non-empty, `content_type` only when given, and
    /// `auth` replaces the client's credential when given. Panics on transport errors.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        body: &[u8],
        content_type: Option<&str>,
        auth: Option<&Auth>,
    ) -> Resp {
        let what = format!("{method} {path}");
        self.try_raw(method, path, body, content_type, auth)
            .await
            .unwrap_or_else(|err| panic!("{what}: {err:#}"))
    }

    /// Like [`ScimClient::raw`], but returns transport errors (TLS, connection refused, timeout).
    pub async fn try_raw(
        &self,
        method: Method,
        path: &str,
        body: &[u8],
        content_type: Option<&str>,
        auth: Option<&Auth>,
    ) -> anyhow::Result<Resp> {
        let url = format!("{}{path}", self.base_url);
        let mut request = self
            .http
            .request(method, &url)
            .header(ACCEPT, SCIM_CONTENT_TYPE)
            .timeout(REQUEST_TIMEOUT);
        request = match auth.unwrap_or(&self.auth) {
            Auth::Anonymous => request,
            Auth::Basic { username, password } => request.basic_auth(username, Some(password)),
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Header(value) => request.header(AUTHORIZATION, value),
        };
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        if !body.is_empty() {
            request = request.body(body.to_vec());
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("send to {url}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .with_context(|| format!("read the body from {url}"))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(text.clone()))
        };
        Ok(Resp {
            status,
            headers,
            body,
            text,
        })
    }

    async fn send_json(&self, method: Method, path: &str, body: &Value) -> Resp {
        let bytes = serde_json::to_vec(body).expect("a serde_json::Value always serializes");
        self.raw(method, path, &bytes, Some(SCIM_CONTENT_TYPE), None)
            .await
    }
}

/// Checks that `resp` is a SCIM error response (RFC 7644 §3.12) and returns its
/// `(status, scimType, detail)`; panics, showing the response, when it is not.
pub fn scim_error(resp: &Resp) -> (u16, Option<String>, String) {
    let shown = || format!("HTTP {}: {}", resp.status, resp.text);
    assert!(resp.status >= 400, "not an error response: {}", shown());
    let content_type = resp.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with(SCIM_CONTENT_TYPE),
        "error content type is {content_type:?}, not {SCIM_CONTENT_TYPE}: {}",
        shown()
    );
    let schemas = resp.body["schemas"].as_array().cloned().unwrap_or_default();
    assert!(
        schemas.iter().any(|s| s == SCIM_ERROR_SCHEMA),
        "error body lacks the error schema: {}",
        shown()
    );
    // RFC 7644 §3.12: "status" is the HTTP status code as a JSON string.
    assert_eq!(
        resp.body["status"].as_str(),
        Some(resp.status.to_string().as_str()),
        "error body `status` must be the HTTP status as a string: {}",
        shown()
    );
    let scim_type = resp.body["scimType"].as_str().map(str::to_owned);
    let detail = resp.body["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("error body has no `detail`: {}", shown()))
        .to_owned();
    (resp.status, scim_type, detail)
}

/// Builds an HTTPS client whose only trust root is the PEM certificate at `ca_cert`.
pub(crate) fn trusting_only(ca_cert: &Path) -> anyhow::Result<reqwest::Client> {
    let pem = std::fs::read(ca_cert).with_context(|| format!("read {}", ca_cert.display()))?;
    let certs = Certificate::from_pem_bundle(&pem)
        .with_context(|| format!("parse {}", ca_cert.display()))?;
    if certs.is_empty() {
        return Err(anyhow!("{} holds no certificate", ca_cert.display()));
    }
    reqwest::Client::builder()
        .tls_certs_only(certs)
        .build()
        .context("build the HTTPS client")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, content_type: &str, body: Value) -> Resp {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, content_type.parse().expect("header value"));
        Resp {
            status,
            headers,
            text: body.to_string(),
            body,
        }
    }

    #[test]
    fn scim_error_reads_a_well_formed_error() {
        let r = resp(
            409,
            "application/scim+json; charset=utf-8",
            serde_json::json!({"schemas": [SCIM_ERROR_SCHEMA], "status": "409", "scimType": "uniqueness", "detail": "userName taken"}),
        );
        assert_eq!(
            scim_error(&r),
            (
                409,
                Some("uniqueness".to_owned()),
                "userName taken".to_owned()
            )
        );
    }

    #[test]
    #[should_panic(expected = "as a string")]
    fn scim_error_refuses_a_numeric_status() {
        let r = resp(
            404,
            SCIM_CONTENT_TYPE,
            serde_json::json!({"schemas": [SCIM_ERROR_SCHEMA], "status": 404, "detail": "x"}),
        );
        scim_error(&r);
    }

    #[test]
    #[should_panic(expected = "content type")]
    fn scim_error_refuses_plain_json() {
        let r = resp(
            400,
            "application/json",
            serde_json::json!({"schemas": [SCIM_ERROR_SCHEMA], "status": "400", "detail": "x"}),
        );
        scim_error(&r);
    }
}
