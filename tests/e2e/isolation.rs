//! Tenant and provider isolation, through every SCIM endpoint.

use reqwest::Method;
use roster_e2e::{Auth, RosterOptions, scim_error, unique_slug};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn tenants_never_see_each_other_even_on_one_connection() {
    // One pooled connection: if a tenant's search path leaked across transactions, the
    // alternating requests below would see the other tenant's rows.
    let roster = roster_e2e::Roster::start(
        RosterOptions::default().env("ROSTER_DATABASE__MAX_CONNECTIONS", "1"),
    )
    .await;
    let (a, b) = (unique_slug("a"), unique_slug("b"));
    roster.create_tenant(&a).await;
    roster.create_tenant(&b).await;
    let cred_a = roster.create_provider(&a, "idp", "basic").await;
    let cred_b = roster.create_provider(&b, "idp", "bearer").await;
    let (sa, sb) = (roster.scim(&cred_a), roster.scim(&cred_b));

    let mut ids_a = Vec::new();
    let mut ids_b = Vec::new();
    for i in 0..5 {
        // The same userName in both tenants is fine: uniqueness is per tenant.
        ids_a.push(create_user(&sa, &user_body(&format!("same{i}@example.com"))).await);
        ids_b.push(create_user(&sb, &user_body(&format!("same{i}@example.com"))).await);
        assert_eq!(sa.get("/Users").await.body["totalResults"], i + 1);
        assert_eq!(sb.get("/Users").await.body["totalResults"], i + 1);
    }
    let group_b = create_group(
        &sb,
        &json!({"schemas": [GROUP], "displayName": "B", "members": [{"value": ids_b[0]}]}),
    )
    .await;

    // B's ids through A are 404 on every endpoint, and change nothing.
    let user_b = &ids_b[0];
    assert_eq!(
        scim_error(&sa.get(&format!("/Users/{user_b}")).await).0,
        404
    );
    assert_eq!(
        scim_error(
            &sa.put(
                &format!("/Users/{user_b}"),
                &user_body("hijack@example.com")
            )
            .await
        )
        .0,
        404
    );
    let p = patch(json!([{"op": "replace", "path": "displayName", "value": "hijacked"}]));
    assert_eq!(
        scim_error(&sa.patch(&format!("/Users/{user_b}"), &p).await).0,
        404
    );
    assert_eq!(
        scim_error(&sa.delete(&format!("/Users/{user_b}")).await).0,
        404
    );
    assert_eq!(
        scim_error(&sa.get(&format!("/Groups/{group_b}")).await).0,
        404
    );
    assert_eq!(
        scim_error(
            &sa.patch(
                &format!("/Groups/{group_b}"),
                &patch(json!([{"op": "replace", "path": "members", "value": []}]))
            )
            .await
        )
        .0,
        404
    );
    assert_eq!(
        scim_error(&sa.delete(&format!("/Groups/{group_b}")).await).0,
        404
    );
    // B's user as a member of A's group: refused, as if it did not exist.
    let resp = sa
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "A", "members": [{"value": user_b}]}),
        )
        .await;
    assert_eq!(scim_error(&resp).0, 400);
    assert_eq!(sa.get("/Groups").await.body["totalResults"], 0);
    let still = sb.get(&format!("/Users/{user_b}")).await;
    assert_eq!(still.status, 200);
    assert!(still.body.get("displayName").is_none());
    assert_eq!(member_ids(&sb, &group_b).await, vec![user_b.clone()]);

    // A's credential on B's URL is refused.
    let b_url_with_a_cred = roster_e2e::ScimClient::new(&roster_e2e::ProviderCredential {
        base_url: cred_b.base_url.clone(),
        ..cred_a.clone()
    })
    .expect("client");
    let resp = b_url_with_a_cred.get("/Users").await;
    assert_eq!(scim_error(&resp).0, 401);
    let resp = b_url_with_a_cred
        .raw(
            Method::GET,
            "/Users",
            b"",
            None,
            Some(&Auth::Bearer(cred_b.secret.clone())),
        )
        .await;
    assert_eq!(resp.status, 200, "B's own credential works on B's URL");
}

#[tokio::test]
async fn providers_of_one_tenant_see_only_their_own() {
    let f = fixture().await;
    let other = f.roster.create_provider(&f.slug, "second", "bearer").await;
    let second = f.roster.scim(&other);
    let mine = create_user(&f.scim, &user_body("mine@example.com")).await;
    let group = create_group(&f.scim, &json!({"schemas": [GROUP], "displayName": "Mine"})).await;

    assert_eq!(second.get("/Users").await.body["totalResults"], 0);
    assert_eq!(second.get("/Groups").await.body["totalResults"], 0);
    assert_eq!(
        scim_error(&second.get(&format!("/Users/{mine}")).await).0,
        404
    );
    let p = patch(json!([{"op": "replace", "value": {"active": false}}]));
    assert_eq!(
        scim_error(&second.patch(&format!("/Users/{mine}"), &p).await).0,
        404
    );
    assert_eq!(
        scim_error(&second.delete(&format!("/Users/{mine}")).await).0,
        404
    );
    assert_eq!(
        scim_error(&second.delete(&format!("/Groups/{group}")).await).0,
        404
    );
    // Its userName is still unique in the tenant: the second provider cannot take it.
    let resp = second.post("/Users", &user_body("MINE@example.com")).await;
    assert_eq!(scim_error(&resp).0, 409);
    let got = f.scim.get(&format!("/Users/{mine}")).await;
    assert_eq!(got.body["active"], true);
}
