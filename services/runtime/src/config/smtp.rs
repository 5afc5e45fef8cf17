//! The `smtp` section: the mail relay the directory sync digest is sent through.
//!
//! Roster hands mail to one relay (RFC 5321 §2.3.10: it relays, Roster does not deliver to
//! recipients' own servers). Without `smtp.host` no digest is sent; the digest job says so.

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text, no TLS (a relay on the same host or a trusted network only).
    None,
    /// Plain connection upgraded with STARTTLS (RFC 3207), refused when the relay cannot.
    Starttls,
    /// TLS from the first byte ("implicit TLS", RFC 8314 §3.3), usually port 465.
    Tls,
}

impl SmtpTls {
    /// Returns the usual port of this mode: 25, 587 or 465.
    pub fn default_port(self) -> u16 {
        match self {
            Self::None => 25,
            Self::Starttls => 587,
            Self::Tls => 465,
        }
    }
}

/// The mail relay settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// The relay's host name or IP address; none turns digests off.
    pub host: Option<String>,
    /// The relay's port; none uses the TLS mode's usual port.
    pub port: Option<u16>,
    /// How the connection is protected.
    pub tls: SmtpTls,
    /// The user name to authenticate with (set together with `password`).
    pub username: Option<String>,
    /// The password to authenticate with.
    #[serde(serialize_with = "super::serialize_secret_opt")]
    pub password: Option<SecretString>,
    /// The sender, `Name <address>` or a bare address; its domain names the Message-IDs.
    pub from: Option<String>,
    /// The name Roster gives in EHLO; none sends `localhost`.
    pub hello_name: Option<String>,
    /// Seconds one SMTP command may wait for the relay (connect included).
    pub timeout_secs: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: None,
            port: None,
            tls: SmtpTls::Starttls,
            username: None,
            password: None,
            from: None,
            hello_name: None,
            timeout_secs: 30,
        }
    }
}

impl SmtpConfig {
    /// Returns the port to connect to: `port`, else the TLS mode's usual one.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or_else(|| self.tls.default_port())
    }

    /// Appends every problem of this section to `problems`.
    pub(super) fn validate(&self, problems: &mut Vec<String>) {
        let host = self.host.as_deref().map(str::trim);
        if host == Some("") {
            problems
                .push("smtp.host must not be empty (leave it unset to send no digests)".to_owned());
        }
        if host.is_some() {
            match self.from.as_deref().map(str::trim) {
                None | Some("") => {
                    problems.push("smtp.from must be set when smtp.host is".to_owned());
                }
                Some(from) if !looks_like_mailbox(from) => problems.push(format!(
                    "smtp.from must be an address or `Name <address>`, not {from:?}"
                )),
                Some(_) => {}
            }
        }
        if self.port == Some(0) {
            problems.push("smtp.port must be between 1 and 65535".to_owned());
        }
        if self.username.is_some() != self.password.is_some() {
            problems.push("smtp.username and smtp.password must be set together".to_owned());
        }
        if self.username.is_some() && self.tls == SmtpTls::None {
            problems.push(
                "smtp.username needs smtp.tls = starttls or tls: the password would cross the network in clear"
                    .to_owned(),
            );
        }
        if !(1..=300).contains(&self.timeout_secs) {
            problems.push("smtp.timeout_secs must be between 1 and 300".to_owned());
        }
    }
}

/// Whether `text` is `local@domain` or `Name <local@domain>` (a shape check; the mail
/// library parses it for real when the relay is set up).
fn looks_like_mailbox(text: &str) -> bool {
    let address = match (text.rfind('<'), text.strip_suffix('>')) {
        (Some(open), Some(inner)) => &inner[open + 1..],
        (None, None) => text,
        _ => return false,
    };
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !address.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(config: &SmtpConfig) -> Vec<String> {
        let mut problems = Vec::new();
        config.validate(&mut problems);
        problems
    }

    #[test]
    fn no_host_is_valid_and_sends_nothing() {
        assert!(problems(&SmtpConfig::default()).is_empty());
    }

    #[test]
    fn a_relay_needs_a_sender_and_paired_credentials_over_tls() {
        let config = SmtpConfig {
            host: Some("relay.example.com".to_owned()),
            tls: SmtpTls::None,
            username: Some("roster".to_owned()),
            timeout_secs: 0,
            ..SmtpConfig::default()
        };
        let found = problems(&config);
        assert_eq!(found.len(), 4, "{found:#?}");
        assert!(found.iter().any(|p| p.starts_with("smtp.from")));
        assert!(found.iter().any(|p| p.contains("set together")));
        assert!(found.iter().any(|p| p.contains("in clear")));
        assert!(found.iter().any(|p| p.starts_with("smtp.timeout_secs")));
    }

    #[test]
    fn sender_shapes() {
        for good in ["roster@example.com", "Roster <roster@example.com>"] {
            assert!(looks_like_mailbox(good), "{good}");
        }
        for bad in [
            "roster",
            "Roster <roster@example.com",
            "a b@example.com",
            "@x",
            "a@",
        ] {
            assert!(!looks_like_mailbox(bad), "{bad}");
        }
    }

    #[test]
    fn ports_follow_the_tls_mode_unless_set() {
        let mut config = SmtpConfig::default();
        assert_eq!(config.effective_port(), 587);
        config.tls = SmtpTls::Tls;
        assert_eq!(config.effective_port(), 465);
        config.port = Some(2525);
        assert_eq!(config.effective_port(), 2525);
    }
}
