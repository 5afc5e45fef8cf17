//! The audit entries an operator's change to organizations, roles or a user's access writes,
//! in the same tenant transaction as the change.

use roster_store::{ActorKind, AuditEntry, TenantTx};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::OrganizationsError;

/// What an audit entry is about.
pub(crate) struct Target<'a> {
    /// `organization`, `role` or `user`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// Its name (organization or role name, userName).
    pub name: &'a str,
}

/// Appends one audit entry naming the operator `actor`.
pub(crate) async fn record(
    tx: &mut TenantTx,
    actor: &str,
    event: &str,
    target: Target<'_>,
    details: Json,
) -> Result<(), OrganizationsError> {
    tx.append_audit(&AuditEntry {
        id: Uuid::now_v7(),
        actor_kind: ActorKind::Operator,
        actor: actor.to_owned(),
        event: event.to_owned(),
        target_kind: Some(target.kind.to_owned()),
        target_id: Some(target.id),
        target_name: Some(target.name.to_owned()),
        details,
    })
    .await?;
    Ok(())
}
