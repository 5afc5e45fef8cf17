//! Conversions between the document's records and the store's, with the
//! checks an import applies to each record (the tables of migration 0002 in
//! `convert/tables.rs`, those of migration 0003 in `convert/mapping.rs`).

mod mapping;
mod tables;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use roster_core::TenantId;
use roster_store::{
    CredentialKind, LifecycleRecord, MemberType, ProviderRecord, Requester, StoredGroup,
    StoredMembership, StoredPlacement, StoredUser, TenantState, UserState,
};

use super::format::{EmailLine, GroupLine, MembershipLine, ProviderLine, UserLine};

pub(crate) fn tenant_state_name(state: TenantState) -> &'static str {
    match state {
        TenantState::Active => "active",
        TenantState::Suspended => "suspended",
        TenantState::Provisioning => "provisioning",
    }
}

pub(crate) fn parse_tenant_state(text: &str) -> Option<TenantState> {
    match text {
        "active" => Some(TenantState::Active),
        "suspended" => Some(TenantState::Suspended),
        _ => None,
    }
}

impl From<&ProviderRecord> for ProviderLine {
    fn from(p: &ProviderRecord) -> Self {
        Self {
            id: p.id,
            name: p.name.clone(),
            credential_kind: match p.credential_kind {
                CredentialKind::Basic => "basic",
                CredentialKind::Bearer => "bearer",
            }
            .to_owned(),
            username: p.username.clone(),
            secret_digest: STANDARD.encode(&p.secret_digest),
            enabled: p.enabled,
            expires_at: p.expires_at,
            credential_issued_at: p.credential_issued_at,
            created_at: p.created_at,
        }
    }
}

impl ProviderLine {
    /// Checks the record and returns the provider to store for `tenant`.
    pub(crate) fn into_record(self, tenant: TenantId) -> Result<ProviderRecord, String> {
        let credential_kind = match self.credential_kind.as_str() {
            "basic" => CredentialKind::Basic,
            "bearer" => CredentialKind::Bearer,
            other => return Err(format!("credential_kind {other:?} is not basic or bearer")),
        };
        let secret_digest = STANDARD
            .decode(&self.secret_digest)
            .map_err(|err| format!("secret_digest is not base64: {err}"))?;
        if secret_digest.is_empty() {
            return Err("secret_digest is empty".to_owned());
        }
        let name_len = self.name.trim().chars().count();
        if name_len == 0 || name_len > 200 {
            return Err("name must be 1-200 characters".to_owned());
        }
        if self.username.is_empty() {
            return Err("username is empty".to_owned());
        }
        Ok(ProviderRecord {
            id: self.id,
            tenant_id: tenant,
            name: self.name,
            credential_kind,
            username: self.username,
            secret_digest,
            enabled: self.enabled,
            expires_at: self.expires_at,
            credential_issued_at: self.credential_issued_at,
            created_at: self.created_at,
        })
    }
}

impl From<StoredUser> for UserLine {
    fn from(u: StoredUser) -> Self {
        let life = u.lifecycle;
        let place = u.placement;
        Self {
            org_id: place.org_id,
            org_set_by: place.org_set_by,
            org_reason: place.org_reason,
            profile: place.profile,
            storage_region: place.storage_region,
            quota_bytes: place.quota_bytes,
            state: life.state.as_str().to_owned(),
            deactivation_due_at: life.deactivation_due_at,
            deactivation_requested_by: life
                .deactivation_requested_by
                .map(|by| by.as_str().to_owned()),
            legal_hold: life.legal_hold,
            deleted_by_provider: life.deleted_by_provider,
            deleted_at: life.deleted_at,
            admin_override: life.admin_override,
            lifecycle_version: life.lifecycle_version,
            state_changed_at: life.state_changed_at,
            id: u.id,
            provider_id: u.provider_id,
            user_name: u.user_name,
            user_name_key: u.user_name_key,
            external_id: u.external_id,
            display_name_key: u.display_name_key,
            emails: u
                .emails
                .into_iter()
                .map(|(type_key, value_key)| EmailLine {
                    type_key,
                    value_key,
                })
                .collect(),
            resource: u.resource,
            version: u.version,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

impl UserLine {
    /// Checks the record and returns the user to store.
    pub(crate) fn into_stored(self) -> Result<StoredUser, String> {
        if self.user_name.is_empty() || self.user_name_key.is_empty() {
            return Err("user_name and user_name_key must not be empty".to_owned());
        }
        check_resource_and_version(&self.resource, self.version)?;
        let state = UserState::parse(&self.state).ok_or_else(|| {
            format!(
                "state {:?} is not active, blocked or deactivated",
                self.state
            )
        })?;
        let deactivation_requested_by = match self.deactivation_requested_by.as_deref() {
            None => None,
            Some(text) => Some(Requester::parse(text).ok_or_else(|| {
                format!("deactivation_requested_by {text:?} is not provider or admin")
            })?),
        };
        if self.lifecycle_version < 1 {
            return Err(format!(
                "lifecycle_version {} is not positive",
                self.lifecycle_version
            ));
        }
        mapping::check_one_of("org_set_by", &self.org_set_by, mapping::SET_BY)?;
        mapping::check_quota(self.quota_bytes)?;
        Ok(StoredUser {
            placement: StoredPlacement {
                org_id: self.org_id,
                org_set_by: self.org_set_by,
                org_reason: self.org_reason,
                profile: self.profile,
                storage_region: self.storage_region,
                quota_bytes: self.quota_bytes,
            },
            lifecycle: LifecycleRecord {
                state,
                deactivation_due_at: self.deactivation_due_at,
                deactivation_requested_by,
                legal_hold: self.legal_hold,
                deleted_by_provider: self.deleted_by_provider,
                deleted_at: self.deleted_at,
                admin_override: self.admin_override,
                lifecycle_version: self.lifecycle_version,
                state_changed_at: self.state_changed_at,
            },
            id: self.id,
            provider_id: self.provider_id,
            user_name: self.user_name,
            user_name_key: self.user_name_key,
            external_id: self.external_id,
            display_name_key: self.display_name_key,
            emails: self
                .emails
                .into_iter()
                .map(|e| (e.type_key, e.value_key))
                .collect(),
            resource: self.resource,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl From<StoredGroup> for GroupLine {
    fn from(g: StoredGroup) -> Self {
        Self {
            id: g.id,
            provider_id: g.provider_id,
            display_name: g.display_name,
            display_name_key: g.display_name_key,
            external_id: g.external_id,
            resource: g.resource,
            version: g.version,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

impl GroupLine {
    /// Checks the record and returns the group to store.
    pub(crate) fn into_stored(self) -> Result<StoredGroup, String> {
        if self.display_name.is_empty() || self.display_name_key.is_empty() {
            return Err("display_name and display_name_key must not be empty".to_owned());
        }
        check_resource_and_version(&self.resource, self.version)?;
        Ok(StoredGroup {
            id: self.id,
            provider_id: self.provider_id,
            display_name: self.display_name,
            display_name_key: self.display_name_key,
            external_id: self.external_id,
            resource: self.resource,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

impl From<StoredMembership> for MembershipLine {
    fn from(m: StoredMembership) -> Self {
        Self {
            group_id: m.group_id,
            member_id: m.member_id,
            member_type: match m.member_type {
                MemberType::User => "User",
                MemberType::Group => "Group",
            }
            .to_owned(),
        }
    }
}

impl MembershipLine {
    /// Checks the record and returns the membership to store.
    pub(crate) fn into_stored(self) -> Result<StoredMembership, String> {
        let member_type = match self.member_type.as_str() {
            "User" => MemberType::User,
            "Group" => MemberType::Group,
            other => return Err(format!("member_type {other:?} is not User or Group")),
        };
        Ok(StoredMembership {
            group_id: self.group_id,
            member_id: self.member_id,
            member_type,
        })
    }
}

fn check_resource_and_version(resource: &serde_json::Value, version: i64) -> Result<(), String> {
    if !resource.is_object() {
        return Err("resource must be a JSON object".to_owned());
    }
    if version < 1 {
        return Err(format!("version {version} is not positive"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use roster_core::{GroupId, ProviderId};

    use super::*;
    use crate::transfer::format::tests::{at, sample_user};

    #[test]
    fn provider_lines_keep_the_digest_and_check_their_fields() {
        let tenant = TenantId::generate();
        let record = ProviderRecord {
            id: ProviderId::generate(),
            tenant_id: tenant,
            name: "Okta".to_owned(),
            credential_kind: CredentialKind::Bearer,
            username: "scim-0a0b0c".to_owned(),
            secret_digest: vec![0, 1, 2, 254, 255],
            enabled: false,
            expires_at: Some(at("2027-01-01T00:00:00Z")),
            credential_issued_at: at("2026-01-01T00:00:00Z"),
            created_at: at("2025-12-31T23:59:59.5Z"),
        };
        let line = ProviderLine::from(&record);
        let back = line.clone().into_record(tenant).unwrap();
        assert_eq!(back.secret_digest, record.secret_digest);
        assert_eq!(back.credential_kind, CredentialKind::Bearer);
        assert_eq!((back.enabled, back.expires_at), (false, record.expires_at));

        let mut bad = line.clone();
        bad.credential_kind = "oauth".to_owned();
        assert!(bad.into_record(tenant).unwrap_err().contains("oauth"));
        let mut bad = line;
        bad.secret_digest = "***".to_owned();
        assert!(bad.into_record(tenant).unwrap_err().contains("base64"));
    }

    #[test]
    fn users_keep_their_lifecycle_facts_both_ways() {
        let line = sample_user();
        let stored = line.clone().into_stored().unwrap();
        assert_eq!(stored.lifecycle.state, UserState::Blocked);
        assert_eq!(
            stored.lifecycle.deactivation_requested_by,
            Some(Requester::Provider)
        );
        assert!(stored.lifecycle.legal_hold);
        assert_eq!(UserLine::from(stored), line);
    }

    #[test]
    fn stored_values_are_checked() {
        let mut user = sample_user();
        user.resource = serde_json::json!([1]);
        assert!(user.into_stored().is_err());
        let mut user = sample_user();
        user.version = 0;
        assert!(user.into_stored().is_err());
        let mut user = sample_user();
        user.state = "suspended".to_owned();
        assert!(user.into_stored().unwrap_err().contains("suspended"));
        let mut user = sample_user();
        user.deactivation_requested_by = Some("robot".to_owned());
        assert!(user.into_stored().unwrap_err().contains("robot"));
        let mut user = sample_user();
        user.lifecycle_version = 0;
        assert!(user.into_stored().is_err());
        let mut user = sample_user();
        user.org_set_by = "robot".to_owned();
        assert!(user.into_stored().unwrap_err().contains("robot"));
        let membership = MembershipLine {
            group_id: GroupId::generate(),
            member_id: uuid::Uuid::new_v4(),
            member_type: "Robot".to_owned(),
        };
        assert!(membership.into_stored().unwrap_err().contains("Robot"));
        assert_eq!(parse_tenant_state("provisioning"), None);
        assert_eq!(
            parse_tenant_state("suspended"),
            Some(TenantState::Suspended)
        );
    }
}
