//! The digest as text: its stable Message-ID, its subject and its plain-text body. Pure
//! functions of the window's summary, so a retry of the same day builds the same headers.
//!
//! Only counts, provider usernames, userNames, operations and error details go in: nothing
//! secret is in the summary to begin with.

use roster_core::TenantId;
use roster_store::{DigestFrequency, DigestSummary, DigestWindow};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, UtcOffset};

/// Longest free-text field (an error detail, a userName) put into the body, in characters.
const MAX_FIELD_CHARS: usize = 200;

/// What one digest says, before it becomes an e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestText {
    /// `<digest.TENANT.DAY@DOMAIN>`.
    pub message_id: String,
    /// Names the tenant and the day.
    pub subject: String,
    /// Plain text, `\n` line ends.
    pub body: String,
}

/// Returns the UTC day a window ends on: the day a digest is "for".
pub fn digest_day(window: &DigestWindow) -> Date {
    window.to.to_offset(UtcOffset::UTC).date()
}

/// Returns the Message-ID of the tenant's digest for `day` (RFC 5322 §3.6.4): the same for
/// every attempt, so a digest resent after a crash is recognisable as the same message.
pub fn message_id(tenant: &TenantId, day: Date, domain: &str) -> String {
    format!("<digest.{}.{day}@{domain}>", tenant.as_uuid().simple())
}

/// Builds the digest of `summary` for tenant `slug`.
pub fn digest_text(
    tenant: &TenantId,
    slug: &str,
    frequency: DigestFrequency,
    window: &DigestWindow,
    summary: &DigestSummary,
    domain: &str,
) -> DigestText {
    let day = digest_day(window);
    let provider_errors: i64 = summary.provider_errors.iter().map(|p| p.errors).sum();
    let flag = if summary.has_errors() {
        " (errors)"
    } else {
        ""
    };
    DigestText {
        message_id: message_id(tenant, day, domain),
        subject: format!("Directory sync digest for {slug}, {day}{flag}"),
        body: body(slug, frequency, window, summary, provider_errors),
    }
}

fn body(
    slug: &str,
    frequency: DigestFrequency,
    window: &DigestWindow,
    summary: &DigestSummary,
    provider_errors: i64,
) -> String {
    let mut lines = vec![
        format!("Directory sync digest for tenant {slug}"),
        format!("Window: {} to {}", rfc3339(window.from), rfc3339(window.to)),
        String::new(),
    ];
    let changes: i64 = summary.changes_by_type.iter().map(|c| c.entries).sum();
    lines.push(format!("Sync activity: {changes} changes"));
    if changes > 0 {
        lines.push("  By change type:".to_owned());
        for count in &summary.changes_by_type {
            lines.push(format!(
                "    {}: {}",
                clean(&count.change_type),
                count.entries
            ));
        }
        lines.push("  By provider:".to_owned());
        for provider in &summary.changes_by_provider {
            lines.push(format!(
                "    {}: {}",
                provider_name(provider.username.as_deref(), provider.provider_id),
                provider.entries
            ));
        }
    }
    lines.push(String::new());
    lines.push(format!("Provisioning errors: {provider_errors}"));
    for provider in &summary.provider_errors {
        lines.push(format!(
            "  {}: {} errors; most recent:",
            provider_name(provider.username.as_deref(), provider.provider_id),
            provider.errors
        ));
        for error in &provider.latest {
            let mut line = format!(
                "    {} {} {}",
                rfc3339(error.at),
                clean(&error.operation),
                error.status
            );
            if let Some(scim_type) = &error.scim_type {
                line.push_str(&format!(" {}", clean(scim_type)));
            }
            if let Some(user) = &error.user_name {
                line.push_str(&format!(" user {}", clean(user)));
            }
            line.push_str(&format!(": {}", clean(&error.detail)));
            lines.push(line);
        }
    }
    lines.push(String::new());
    lines.push(format!("Sync errors: {}", summary.sync_errors));
    for error in &summary.latest_sync_errors {
        lines.push(format!(
            "    {} {} user {} {}: {}",
            rfc3339(error.at),
            clean(
                error
                    .provider_username
                    .as_deref()
                    .unwrap_or("(removed provider)")
            ),
            clean(&error.user_name),
            clean(&error.attribute),
            clean(error.new_value.as_deref().unwrap_or(""))
        ));
    }
    lines.push(String::new());
    let cadence = match frequency {
        DigestFrequency::Daily => "every day",
        DigestFrequency::Errors => "on days with provisioning or sync errors",
        DigestFrequency::Never => "never",
    };
    lines.push(format!(
        "This digest is sent {cadence} to the tenant's Customer Cloud Admins; \
         `roster digest set` changes that."
    ));
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn provider_name(username: Option<&str>, id: uuid::Uuid) -> String {
    username.map_or_else(|| format!("provider {id}"), clean)
}

/// Returns `at` in UTC as RFC 3339, whole seconds.
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.to_string())
}

/// Returns `text` on one line (controls become spaces: a provider's detail must not start
/// lines of its own) and at most [`MAX_FIELD_CHARS`] characters long.
fn clean(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_FIELD_CHARS)
        .collect();
    if text.chars().count() > MAX_FIELD_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use roster_store::{
        ChangeCount, ProviderChanges, ProviderErrors, ProvisioningErrorRecord, SyncErrorRecord,
    };
    use uuid::Uuid;

    use super::*;

    fn at(text: &str) -> OffsetDateTime {
        OffsetDateTime::parse(text, &Rfc3339).unwrap()
    }

    fn window() -> DigestWindow {
        DigestWindow {
            from: at("2026-12-02T10:00:00.25Z"),
            to: at("2026-12-03T10:00:00.5Z"),
        }
    }

    fn tenant() -> TenantId {
        TenantId::from_uuid(Uuid::from_u128(0xabc))
    }

    fn busy_summary() -> DigestSummary {
        let provider = Uuid::from_u128(7);
        DigestSummary {
            changes_by_type: vec![
                ChangeCount {
                    change_type: "created".to_owned(),
                    entries: 3,
                },
                ChangeCount {
                    change_type: "sync error".to_owned(),
                    entries: 1,
                },
            ],
            changes_by_provider: vec![ProviderChanges {
                provider_id: provider,
                username: Some("okta-1".to_owned()),
                entries: 4,
            }],
            provider_errors: vec![ProviderErrors {
                provider_id: provider,
                username: Some("okta-1".to_owned()),
                errors: 2,
                latest: vec![ProvisioningErrorRecord {
                    id: Uuid::from_u128(1),
                    at: at("2026-12-03T09:00:00Z"),
                    provider_id: provider,
                    operation: "POST /Users".to_owned(),
                    status: 409,
                    scim_type: Some("uniqueness".to_owned()),
                    user_name: Some("ada@example.com".to_owned()),
                    external_id: None,
                    detail: "userName taken\r\nBcc: evil@example.com".to_owned(),
                }],
            }],
            sync_errors: 1,
            latest_sync_errors: vec![SyncErrorRecord {
                at: at("2026-12-03T08:00:00Z"),
                provider_username: None,
                user_name: "bob@example.com".to_owned(),
                attribute: "organization".to_owned(),
                new_value: Some("no rule matched".to_owned()),
            }],
        }
    }

    #[test]
    fn the_message_id_is_stable_per_tenant_and_utc_day() {
        let a = message_id(&tenant(), digest_day(&window()), "example.com");
        assert_eq!(
            a,
            "<digest.00000000000000000000000000000abc.2026-12-03@example.com>"
        );
        let later = DigestWindow {
            to: at("2026-12-03T23:59:59-01:00"),
            ..window()
        };
        assert_ne!(
            digest_day(&later),
            digest_day(&window()),
            "23:59 at -01:00 is the 4th in UTC"
        );
        let other = TenantId::from_uuid(Uuid::from_u128(0xabd));
        assert_ne!(message_id(&other, digest_day(&window()), "example.com"), a);
    }

    #[test]
    fn a_busy_day_lists_counts_and_the_latest_errors_on_their_own_lines() {
        let text = digest_text(
            &tenant(),
            "acme",
            DigestFrequency::Daily,
            &window(),
            &busy_summary(),
            "example.com",
        );
        assert_eq!(
            text.subject,
            "Directory sync digest for acme, 2026-12-03 (errors)"
        );
        let body = &text.body;
        for expected in [
            "Window: 2026-12-02T10:00:00Z to 2026-12-03T10:00:00Z",
            "Sync activity: 4 changes",
            "    created: 3",
            "    okta-1: 4",
            "Provisioning errors: 2",
            "  okta-1: 2 errors; most recent:",
            "    2026-12-03T09:00:00Z POST /Users 409 uniqueness user ada@example.com: userName taken  Bcc: evil@example.com",
            "Sync errors: 1",
            "    2026-12-03T08:00:00Z (removed provider) user bob@example.com organization: no rule matched",
            "sent every day",
        ] {
            assert!(
                body.lines().any(|l| l.contains(expected)),
                "{expected:?} missing from:\n{body}"
            );
        }
        assert!(!body.lines().any(|l| l.starts_with("Bcc")), "{body}");
    }

    #[test]
    fn a_quiet_day_says_so_without_an_error_flag() {
        let text = digest_text(
            &tenant(),
            "acme",
            DigestFrequency::Errors,
            &window(),
            &DigestSummary::default(),
            "example.com",
        );
        assert_eq!(text.subject, "Directory sync digest for acme, 2026-12-03");
        assert!(
            text.body.contains("Sync activity: 0 changes\n"),
            "{}",
            text.body
        );
        assert!(text.body.contains("Provisioning errors: 0\n"));
        assert!(text.body.contains("Sync errors: 0\n"));
        assert!(!text.body.contains("By change type"));
    }

    #[test]
    fn long_fields_are_cut() {
        let long = "x".repeat(500);
        let cut = clean(&long);
        assert_eq!(cut.chars().count(), MAX_FIELD_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
