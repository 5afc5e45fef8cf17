//! The SMTP side of the digest: a lettre transport to the configured relay (`smtp.*`), and
//! the digest turned into a plain-text message with its stable Message-ID.

use std::time::{Duration, SystemTime};

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use roster_runtime::config::{SmtpConfig, SmtpTls};
use secrecy::ExposeSecret;
use time::OffsetDateTime;

use super::message::DigestText;
use crate::JobsError;

/// Sends digests through the configured relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    relay: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("relay", &self.relay)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Returns the mailer of the `smtp` section, or `None` when no relay is configured.
    /// No connection is made here: the relay is reached when a digest is sent.
    pub fn from_config(config: &SmtpConfig) -> Result<Option<Self>, JobsError> {
        let Some(host) = config.host.as_deref().map(str::trim) else {
            return Ok(None);
        };
        let invalid = |key: &'static str, reason: String| JobsError::Config { key, reason };
        let from: Mailbox = config
            .from
            .as_deref()
            .unwrap_or_default()
            .trim()
            .parse()
            .map_err(|err| invalid("smtp.from", format!("not a mailbox: {err}")))?;
        let tls_parameters = || {
            TlsParameters::new(host.to_owned())
                .map_err(|err| invalid("smtp.tls", format!("set up TLS: {err}")))
        };
        let tls = match config.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(tls_parameters()?),
            SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
        };
        let port = config.effective_port();
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(config.timeout_secs)));
        if let (Some(username), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        if let Some(name) = &config.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.trim().to_owned()));
        }
        Ok(Some(Self {
            transport: builder.build(),
            from,
            relay: format!("{host}:{port}"),
        }))
    }

    /// Returns the domain of the sender's address, which names the digests' Message-IDs.
    pub fn domain(&self) -> &str {
        self.from.email.domain()
    }

    /// Returns `host:port` of the relay, for logs.
    pub fn relay(&self) -> &str {
        &self.relay
    }

    /// Sends `text` to `recipients` in one SMTP transaction, dated `date`. An error means the
    /// relay did not accept the message for every recipient.
    pub async fn send(
        &self,
        text: &DigestText,
        recipients: &[String],
        date: OffsetDateTime,
    ) -> Result<(), JobsError> {
        let message = self.message(text, recipients, date)?;
        self.transport.send(message).await.map_err(|err| {
            JobsError::handler(format!(
                "send the digest through {}: {}",
                self.relay,
                roster_runtime::grpc::error_chain(&err)
            ))
        })?;
        Ok(())
    }

    /// Builds the message: every recipient in `To` (they are the same tenant's admins),
    /// plain text, quoted-printable (userNames and details may be non-ASCII).
    fn message(
        &self,
        text: &DigestText,
        recipients: &[String],
        date: OffsetDateTime,
    ) -> Result<Message, JobsError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(text.subject.clone())
            .message_id(Some(text.message_id.clone()))
            .date(SystemTime::from(date))
            .header(ContentType::TEXT_PLAIN);
        for address in recipients {
            let mailbox: Mailbox = address.parse().map_err(|err| {
                JobsError::handler(format!("recipient {address:?} is not an address: {err}"))
            })?;
            builder = builder.to(mailbox);
        }
        let crlf = text.body.replace('\n', "\r\n");
        let body = Body::new_with_encoding(crlf, ContentTransferEncoding::QuotedPrintable)
            .map_err(|_| JobsError::handler("encode the digest body"))?;
        builder
            .body(body)
            .map_err(|err| JobsError::handler(format!("build the digest message: {err}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay() -> Mailer {
        let config = SmtpConfig {
            host: Some("127.0.0.1".to_owned()),
            tls: SmtpTls::None,
            from: Some("Roster <digest@roster.example>".to_owned()),
            ..SmtpConfig::default()
        };
        Mailer::from_config(&config).unwrap().unwrap()
    }

    #[test]
    fn no_host_means_no_mailer() {
        assert!(
            Mailer::from_config(&SmtpConfig::default())
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn the_message_carries_the_stable_id_and_every_recipient() {
        let mailer = relay();
        assert_eq!(mailer.domain(), "roster.example");
        assert_eq!(mailer.relay(), "127.0.0.1:25");
        let text = DigestText {
            message_id: "<digest.t.2026-12-03@roster.example>".to_owned(),
            subject: "Directory sync digest for acme, 2026-12-03".to_owned(),
            body: "Sync activity: 1 changes\n".to_owned(),
        };
        let recipients = ["a@example.com".to_owned(), "b@example.com".to_owned()];
        let message = mailer
            .message(&text, &recipients, OffsetDateTime::UNIX_EPOCH)
            .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(
            raw.contains("Message-ID: <digest.t.2026-12-03@roster.example>\r\n"),
            "{raw}"
        );
        assert!(
            raw.contains("Subject: Directory sync digest for acme, 2026-12-03\r\n"),
            "{raw}"
        );
        assert!(
            raw.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"),
            "{raw}"
        );
        assert!(
            raw.contains("Content-Transfer-Encoding: quoted-printable\r\n"),
            "{raw}"
        );
        let envelope: Vec<String> = message
            .envelope()
            .to()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(envelope, recipients);
        assert_eq!(
            message
                .envelope()
                .from()
                .map(ToString::to_string)
                .as_deref(),
            Some("digest@roster.example")
        );
    }

    #[test]
    fn a_bad_sender_is_a_config_error() {
        let config = SmtpConfig {
            host: Some("relay.example".to_owned()),
            from: Some("not a mailbox".to_owned()),
            ..SmtpConfig::default()
        };
        assert!(matches!(
            Mailer::from_config(&config),
            Err(JobsError::Config {
                key: "smtp.from",
                ..
            })
        ));
    }
}
