//! Who receives a tenant's digest: active users, not deleted by their provider, holding the
//! Customer Cloud Admin role, with an address SMTP can take.

use roster_core::UserId;
use uuid::Uuid;

use super::CUSTOMER_CLOUD_ADMIN_ROLE;
use crate::StoreError;
use crate::tenant::{Inner, TenantTx};

/// A user the digest goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestRecipient {
    /// The user.
    pub user_id: UserId,
    /// Where to: the primary e-mail, else the first, else the userName when it is an address.
    pub address: String,
}

#[derive(sqlx::FromRow)]
struct RecipientRow {
    id: Uuid,
    user_name: String,
    resource: sqlx::types::Json<serde_json::Value>,
}

impl TenantTx {
    /// Returns who receives the digest: active users, not deleted by their provider, holding
    /// the Customer Cloud Admin role and having an e-mail address; one entry per address.
    pub async fn digest_recipients(&mut self) -> Result<Vec<DigestRecipient>, StoreError> {
        let rows = on_tenant!(self, tx => {
            sqlx::query_as::<_, RecipientRow>(
                "SELECT u.id, u.user_name, u.resource FROM users u \
                 JOIN user_roles r ON r.user_id = u.id \
                 WHERE r.role_id = $1 AND u.state = 'active' AND u.deleted_by_provider = FALSE \
                 ORDER BY u.user_name_key, u.id",
            )
            .bind(CUSTOMER_CLOUD_ADMIN_ROLE)
            .fetch_all(&mut **tx)
            .await
        })?;
        let mut recipients: Vec<DigestRecipient> = Vec::with_capacity(rows.len());
        for row in rows {
            let Some(address) = recipient_address(&row.resource.0, &row.user_name) else {
                continue;
            };
            if recipients
                .iter()
                .any(|r| r.address.eq_ignore_ascii_case(&address))
            {
                continue;
            }
            recipients.push(DigestRecipient {
                user_id: UserId::from_uuid(row.id),
                address,
            });
        }
        Ok(recipients)
    }
}

/// Returns the user's digest address: the primary e-mail, else the first one, else the
/// userName when it is an address.
fn recipient_address(resource: &serde_json::Value, user_name: &str) -> Option<String> {
    fn value(email: &serde_json::Value) -> Option<&str> {
        email["value"].as_str().map(str::trim)
    }
    let emails = resource["emails"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let primary = emails
        .iter()
        .find(|email| email["primary"].as_bool() == Some(true))
        .and_then(value)
        .filter(|address| is_address(address));
    let first = emails
        .iter()
        .filter_map(value)
        .find(|address| is_address(address));
    primary
        .or(first)
        .or_else(|| Some(user_name.trim()).filter(|name| is_address(name)))
        .map(str::to_owned)
}

/// Whether `text` can go into an SMTP `RCPT TO:<…>` as it is: `local@domain` with one `@`,
/// both sides non-empty, no spaces, controls or angle brackets (RFC 5321 §4.1.2, roughly).
fn is_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && (domain.contains('.') || domain == "localhost")
        && text.len() <= 254
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_primary_email_wins_then_the_first_then_the_user_name() {
        let both = json!({"emails": [{"value": "work@example.com"}, {"value": "home@example.com", "primary": true}]});
        assert_eq!(
            recipient_address(&both, "ada@example.com").as_deref(),
            Some("home@example.com")
        );
        let no_primary =
            json!({"emails": [{"value": "not an address"}, {"value": "b@example.com"}]});
        assert_eq!(
            recipient_address(&no_primary, "x").as_deref(),
            Some("b@example.com")
        );
        assert_eq!(
            recipient_address(&json!({}), " ada@example.com ").as_deref(),
            Some("ada@example.com")
        );
        assert_eq!(recipient_address(&json!({}), "ada"), None);
        assert_eq!(recipient_address(&json!({"emails": "bad"}), "ada"), None);
    }

    #[test]
    fn addresses_that_cannot_go_into_rcpt_are_refused() {
        for bad in [
            "a@b@example.com",
            "@example.com",
            "a@",
            "a b@example.com",
            "a@example.com>",
            "a@host",
        ] {
            assert!(!is_address(bad), "{bad}");
        }
        assert!(is_address("a.b+c@mail.example.com"));
    }
}
