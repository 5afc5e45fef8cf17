//! Providers in the control plane: credentials, lookups, rotation, enabling and deletion, always
//! within one tenant.

use std::time::Duration;

use roster_core::{ProviderId, TenantId};
use roster_store::{CredentialKind, NewProvider, ProviderRecord, Store};

use crate::harness::{active_tenant, assert_conflict, assert_not_found, assert_recent};

conformance!(
    provider_round_trip_and_lookups,
    providers_listed_oldest_first,
    provider_username_and_digest_are_unique,
    provider_of_unknown_tenant_is_refused,
    replacing_secret_retires_old_digest,
    provider_enable_disable,
    provider_delete,
);

/// Returns a provider of `tenant` with the given username and digest.
fn new_provider(tenant: TenantId, username: &str, digest: &[u8]) -> NewProvider {
    NewProvider {
        id: ProviderId::generate(),
        tenant_id: tenant,
        name: format!("{username} provider"),
        credential_kind: CredentialKind::Basic,
        username: username.to_owned(),
        secret_digest: digest.to_vec(),
        expires_at: None,
    }
}

/// Asserts that two reads of a provider agree on every field.
#[track_caller]
fn assert_same_provider(a: &ProviderRecord, b: &ProviderRecord) {
    assert_eq!(a.id, b.id);
    assert_eq!(a.tenant_id, b.tenant_id);
    assert_eq!(a.name, b.name);
    assert_eq!(a.credential_kind, b.credential_kind);
    assert_eq!(a.username, b.username);
    assert_eq!(a.secret_digest, b.secret_digest);
    assert_eq!(a.enabled, b.enabled);
    assert_eq!(a.expires_at, b.expires_at);
    assert_eq!(a.credential_issued_at, b.credential_issued_at);
    assert_eq!(a.created_at, b.created_at);
}

async fn provider_round_trip_and_lookups(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let other = active_tenant(store).await?;
    let tenant_created = store.list_tenants().await?[0].created_at;
    let expires = tenant_created + Duration::from_secs(86_400);
    let new = NewProvider {
        credential_kind: CredentialKind::Bearer,
        expires_at: Some(expires),
        ..new_provider(tenant, "okta", &[1, 2, 3, 0, 255])
    };

    let inserted = store.insert_provider(&new, None).await?;
    assert_eq!(inserted.id, new.id);
    assert_eq!(inserted.tenant_id, tenant);
    assert_eq!(inserted.name, "okta provider");
    assert_eq!(inserted.credential_kind, CredentialKind::Bearer);
    assert_eq!(inserted.username, "okta");
    assert_eq!(inserted.secret_digest, [1, 2, 3, 0, 255]);
    assert!(inserted.enabled, "providers start enabled");
    assert_eq!(inserted.expires_at, Some(expires));
    assert_recent(inserted.created_at);
    assert_recent(inserted.credential_issued_at);

    let by_id = store.provider(tenant, new.id).await?.expect("by id");
    assert_same_provider(&by_id, &inserted);
    let by_username = store
        .provider_by_username(tenant, "okta")
        .await?
        .expect("by username");
    assert_same_provider(&by_username, &inserted);
    let by_digest = store
        .provider_by_digest(tenant, &[1, 2, 3, 0, 255])
        .await?
        .expect("by digest");
    assert_same_provider(&by_digest, &inserted);
    let listed = store.list_providers(tenant).await?;
    assert_eq!(listed.len(), 1);
    assert_same_provider(&listed[0], &inserted);

    // Near misses find nothing.
    assert!(store.provider_by_username(tenant, "OKTA").await?.is_none());
    assert!(
        store
            .provider_by_digest(tenant, &[1, 2, 3, 0])
            .await?
            .is_none()
    );
    assert!(
        store
            .provider(tenant, ProviderId::generate())
            .await?
            .is_none()
    );
    // Another tenant sees none of it.
    assert!(store.provider(other, new.id).await?.is_none());
    assert!(store.provider_by_username(other, "okta").await?.is_none());
    assert!(
        store
            .provider_by_digest(other, &[1, 2, 3, 0, 255])
            .await?
            .is_none()
    );
    assert!(store.list_providers(other).await?.is_empty());
    Ok(())
}

async fn providers_listed_oldest_first(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let mut inserted = Vec::new();
    for (n, name) in ["zeta", "alpha", "mid"].into_iter().enumerate() {
        let p = store
            .insert_provider(&new_provider(tenant, name, &[u8::try_from(n)?; 8]), None)
            .await?;
        inserted.push(p.id);
    }
    let listed: Vec<ProviderId> = store
        .list_providers(tenant)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, inserted);
    Ok(())
}

async fn provider_username_and_digest_are_unique(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let other = active_tenant(store).await?;
    let first = store
        .insert_provider(&new_provider(tenant, "okta", b"digest-1"), None)
        .await?;

    let same_username = new_provider(tenant, "okta", b"digest-2");
    assert_conflict(store.insert_provider(&same_username, None).await);
    let same_digest = new_provider(tenant, "entra", b"digest-1");
    assert_conflict(store.insert_provider(&same_digest, None).await);
    // Digests are unique across tenants: a credential identifies one provider.
    let digest_elsewhere = new_provider(other, "entra", b"digest-1");
    assert_conflict(store.insert_provider(&digest_elsewhere, None).await);
    let same_id = NewProvider {
        id: first.id,
        ..new_provider(tenant, "third", b"digest-3")
    };
    assert_conflict(store.insert_provider(&same_id, None).await);

    // Nothing of the refused ones was stored.
    for refused in [&same_username, &same_digest, &digest_elsewhere] {
        assert!(
            store
                .provider(refused.tenant_id, refused.id)
                .await?
                .is_none()
        );
    }
    let listed = store.list_providers(tenant).await?;
    assert_eq!(listed.len(), 1);
    assert_same_provider(&listed[0], &first);
    assert!(store.list_providers(other).await?.is_empty());

    // Usernames are unique per tenant only.
    let elsewhere = store
        .insert_provider(&new_provider(other, "okta", b"digest-4"), None)
        .await?;
    assert_eq!(
        store
            .provider_by_username(other, "okta")
            .await?
            .expect("other tenant's okta")
            .id,
        elsewhere.id
    );
    assert_eq!(
        store
            .provider_by_username(tenant, "okta")
            .await?
            .expect("first tenant's okta")
            .id,
        first.id
    );
    Ok(())
}

async fn provider_of_unknown_tenant_is_refused(store: &Store) -> anyhow::Result<()> {
    let nowhere = TenantId::generate();
    let new = new_provider(nowhere, "okta", b"orphan");
    assert_not_found(store.insert_provider(&new, None).await);
    assert!(store.provider(nowhere, new.id).await?.is_none());
    assert!(store.list_providers(nowhere).await?.is_empty());
    Ok(())
}

async fn replacing_secret_retires_old_digest(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let other = active_tenant(store).await?;
    let tenant_created = store.list_tenants().await?[0].created_at;
    let old = store
        .insert_provider(
            &NewProvider {
                expires_at: Some(tenant_created + Duration::from_secs(3_600)),
                ..new_provider(tenant, "okta", b"old-digest")
            },
            None,
        )
        .await?;
    let neighbour = store
        .insert_provider(&new_provider(tenant, "entra", b"neighbour-digest"), None)
        .await?;

    let replaced = store
        .replace_provider_secret(tenant, old.id, b"new-digest", None, None)
        .await?;
    assert_eq!(replaced.id, old.id);
    assert_eq!(replaced.secret_digest, b"new-digest");
    assert_eq!(replaced.expires_at, None);
    assert!(replaced.credential_issued_at >= old.credential_issued_at);
    assert_recent(replaced.credential_issued_at);
    assert_eq!(replaced.created_at, old.created_at);
    assert_eq!(replaced.username, old.username);

    assert!(
        store
            .provider_by_digest(tenant, b"old-digest")
            .await?
            .is_none()
    );
    let found = store
        .provider_by_digest(tenant, b"new-digest")
        .await?
        .expect("new digest");
    assert_same_provider(&found, &replaced);

    // Taking another provider's digest is refused and changes nothing.
    assert_conflict(
        store
            .replace_provider_secret(tenant, old.id, b"neighbour-digest", None, None)
            .await,
    );
    let unchanged = store.provider(tenant, old.id).await?.expect("provider");
    assert_same_provider(&unchanged, &replaced);
    assert_eq!(
        store
            .provider_by_digest(tenant, b"neighbour-digest")
            .await?
            .expect("neighbour")
            .id,
        neighbour.id
    );

    // Unknown ids, and ids of another tenant, are not found and change nothing.
    assert_not_found(
        store
            .replace_provider_secret(tenant, ProviderId::generate(), b"x", None, None)
            .await,
    );
    assert_not_found(
        store
            .replace_provider_secret(other, old.id, b"hijack", None, None)
            .await,
    );
    assert!(store.provider_by_digest(tenant, b"hijack").await?.is_none());
    let unchanged = store.provider(tenant, old.id).await?.expect("provider");
    assert_same_provider(&unchanged, &replaced);
    Ok(())
}

async fn provider_enable_disable(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let other = active_tenant(store).await?;
    let p = store
        .insert_provider(&new_provider(tenant, "okta", b"d"), None)
        .await?;

    let disabled = store
        .set_provider_enabled(tenant, p.id, false, None)
        .await?;
    assert!(!disabled.enabled);
    assert_eq!(disabled.secret_digest, p.secret_digest);
    let stored = store.provider(tenant, p.id).await?.expect("provider");
    assert!(!stored.enabled);
    // A disabled provider is still found by its digest: refusing it is the caller's decision.
    let by_digest = store
        .provider_by_digest(tenant, b"d")
        .await?
        .expect("digest");
    assert!(!by_digest.enabled);

    assert_not_found(store.set_provider_enabled(other, p.id, true, None).await);
    assert!(
        !store
            .provider(tenant, p.id)
            .await?
            .expect("provider")
            .enabled
    );
    assert_not_found(
        store
            .set_provider_enabled(tenant, ProviderId::generate(), true, None)
            .await,
    );

    let enabled = store.set_provider_enabled(tenant, p.id, true, None).await?;
    assert!(enabled.enabled);
    assert!(
        store
            .provider(tenant, p.id)
            .await?
            .expect("provider")
            .enabled
    );
    Ok(())
}

async fn provider_delete(store: &Store) -> anyhow::Result<()> {
    let tenant = active_tenant(store).await?;
    let other = active_tenant(store).await?;
    let doomed = store
        .insert_provider(&new_provider(tenant, "okta", b"doomed"), None)
        .await?;
    let kept = store
        .insert_provider(&new_provider(tenant, "entra", b"kept"), None)
        .await?;

    assert_not_found(store.delete_provider(other, doomed.id, None).await);
    assert!(store.provider(tenant, doomed.id).await?.is_some());

    store.delete_provider(tenant, doomed.id, None).await?;
    assert!(store.provider(tenant, doomed.id).await?.is_none());
    assert!(store.provider_by_digest(tenant, b"doomed").await?.is_none());
    assert!(store.provider_by_username(tenant, "okta").await?.is_none());
    let listed: Vec<ProviderId> = store
        .list_providers(tenant)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, [kept.id]);

    assert_not_found(store.delete_provider(tenant, doomed.id, None).await);
    // The freed username and digest can be used again.
    store
        .insert_provider(&new_provider(tenant, "okta", b"doomed"), None)
        .await?;
    Ok(())
}
