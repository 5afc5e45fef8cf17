//! The `send_digest` job: once a day, per tenant, the directory sync digest — a plain-text
//! summary of the sync activity and errors since the last one, e-mailed to the tenant's
//! active Customer Cloud Admins, as the tenant's frequency setting says (daily, only when
//! there were errors, never). Each run covers the window since the last, audits what it did
//! and enqueues the next run a day later.
//!
//! Delivery is at least once: the message is handed to the relay last, inside the job's
//! transaction, so a failed send rolls everything back and the job is retried with the job
//! backoff; a crash after the relay accepted it and before the commit sends it again, with
//! the same Message-ID (tenant and UTC day), so mail clients and people see a repeat.
//! The digest settings API (frequency) lives in [`settings`]. The worker logs each run's
//! outcome ("digest sent to …", "digest not sent: <reason>") in its one INFO line per job.

pub mod mailer;
pub mod message;
pub mod settings;

use roster_store::{
    ActorKind, AuditEntry, ClaimedJob, DigestFrequency, DigestSummary, NewJob, Store, TenantTx,
};
use serde_json::json;
use uuid::Uuid;

use self::mailer::Mailer;
use self::message::digest_text;
use crate::JobsError;
use crate::handler::{HandlerFuture, JobHandler};

/// The job kind of the digest.
pub const SEND_DIGEST: &str = "send_digest";

/// Seconds between two digests of a tenant.
pub const DIGEST_INTERVAL_SECS: i64 = 86_400;

/// Attempts a digest gets before it is marked failed (as the seeded first run has).
const DIGEST_MAX_ATTEMPTS: i32 = 10;

/// Runs the daily digest of a tenant.
#[derive(Debug, Clone)]
pub struct SendDigest {
    store: Store,
    mailer: Option<Mailer>,
}

impl SendDigest {
    /// Returns the handler; without a mailer (no `smtp.host`) each run records why nothing
    /// was sent and keeps the daily schedule.
    pub fn new(store: Store, mailer: Option<Mailer>) -> Self {
        Self { store, mailer }
    }
}

/// What one run decided.
enum Decision<'m> {
    Send {
        mailer: &'m Mailer,
        recipients: Vec<String>,
    },
    Skip {
        reason: &'static str,
    },
}

impl JobHandler for SendDigest {
    fn kind(&self) -> &'static str {
        SEND_DIGEST
    }

    fn run<'a>(&'a self, tx: &'a mut TenantTx, job: &'a ClaimedJob) -> HandlerFuture<'a, String> {
        Box::pin(async move {
            let tenant = tx.tenant();
            let settings = tx.digest_settings(true).await?;
            let window = tx.digest_window().await?;
            let summary = match settings.frequency {
                DigestFrequency::Never => DigestSummary::default(),
                DigestFrequency::Daily | DigestFrequency::Errors => {
                    tx.digest_summary(&window).await?
                }
            };
            let decision = match settings.frequency {
                DigestFrequency::Never => Decision::Skip {
                    reason: "the tenant's digest frequency is never",
                },
                DigestFrequency::Errors if !summary.has_errors() => Decision::Skip {
                    reason: "no provisioning or sync errors in the window",
                },
                _ => match &self.mailer {
                    None => Decision::Skip {
                        reason: "no mail relay is configured (smtp.host)",
                    },
                    Some(mailer) => {
                        let recipients: Vec<String> = tx
                            .digest_recipients()
                            .await?
                            .into_iter()
                            .map(|r| r.address)
                            .collect();
                        if recipients.is_empty() {
                            Decision::Skip {
                                reason: "no active Customer Cloud Admin has an e-mail address",
                            }
                        } else {
                            Decision::Send { mailer, recipients }
                        }
                    }
                },
            };
            tx.advance_digest_window(window.to).await?;
            // This job still holds the key `send_digest` until its transaction commits.
            tx.release_claimed_job_key(job).await?;
            tx.enqueue_job(&NewJob {
                id: Uuid::now_v7(),
                kind: SEND_DIGEST.to_owned(),
                subject: None,
                unique_key: Some(SEND_DIGEST.to_owned()),
                fence: None,
                payload: json!({}),
                delay_secs: DIGEST_INTERVAL_SECS,
                max_attempts: DIGEST_MAX_ATTEMPTS,
                created_by: "system".to_owned(),
            })
            .await?;
            let window_json = json!({
                "from": message::rfc3339(window.from),
                "to": message::rfc3339(window.to),
                "frequency": settings.frequency.as_str(),
            });
            match decision {
                Decision::Send { mailer, recipients } => {
                    let slug = self
                        .store
                        .tenant_by_id(tenant)
                        .await?
                        .map_or_else(|| tenant.to_string(), |t| t.slug.to_string());
                    let text = digest_text(
                        &tenant,
                        &slug,
                        settings.frequency,
                        &window,
                        &summary,
                        mailer.domain(),
                    );
                    audit(
                        tx,
                        job,
                        "digest sent",
                        json!({
                            "recipients": recipients.len(),
                            "messageId": text.message_id,
                            "window": window_json,
                        }),
                    )
                    .await?;
                    // Last: a send that fails rolls the run back; one that succeeds is followed
                    // only by the commit.
                    mailer.send(&text, &recipients, window.to).await?;
                    Ok(format!(
                        "digest sent to {} recipients, message {}",
                        recipients.len(),
                        text.message_id
                    ))
                }
                Decision::Skip { reason } => {
                    audit(
                        tx,
                        job,
                        "digest skipped",
                        json!({
                            "reason": reason,
                            "window": window_json,
                        }),
                    )
                    .await?;
                    Ok(format!("digest not sent: {reason}"))
                }
            }
        })
    }
}

async fn audit(
    tx: &mut TenantTx,
    job: &ClaimedJob,
    event: &str,
    details: serde_json::Value,
) -> Result<(), JobsError> {
    tx.append_audit(&AuditEntry {
        id: Uuid::now_v7(),
        actor_kind: ActorKind::System,
        actor: "roster".to_owned(),
        event: event.to_owned(),
        target_kind: Some("job".to_owned()),
        target_id: Some(job.id.to_string()),
        target_name: Some(SEND_DIGEST.to_owned()),
        details,
    })
    .await?;
    Ok(())
}
