//! The request sequence Okta sends, shape by shape.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn okta_user_lifecycle() {
    let f = fixture_with(roster_e2e::RosterOptions::default(), "bearer").await;
    let scim = &f.scim;

    // Okta first looks the user up; nothing found is 200 with zero results.
    assert_eq!(
        count_users(scim, "userName eq \"dana@example.com\"").await,
        0
    );

    // Create, with a password and an empty groups list (Okta sends both).
    let created = scim
        .post(
            "/Users",
            &json!({
                "schemas": [USER],
                "userName": "dana@example.com",
                "name": {"givenName": "Dana", "familyName": "Ito"},
                "emails": [{"primary": true, "value": "dana@example.com", "type": "work"}],
                "displayName": "Dana Ito",
                "locale": "en-US",
                "externalId": "00u1okta",
                "groups": [],
                "password": "Secr3t!pass",
                "active": true
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert!(
        created
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/scim+json")
    );
    let id = created.body["id"].as_str().expect("id").to_owned();
    assert_eq!(
        created.header("location").map(str::to_owned),
        Some(format!("{}/Users/{id}", scim.base_url()))
    );
    assert!(
        !created.text.contains("Secr3t!pass"),
        "password echoed: {}",
        created.text
    );
    assert!(created.body.get("password").is_none());
    assert_eq!(created.body["meta"]["resourceType"], "User");

    // Lookups by userName (case-insensitively) and externalId.
    assert_eq!(
        count_users(scim, "userName eq \"DANA@example.com\"").await,
        1
    );
    assert_eq!(count_users(scim, "externalId eq \"00u1okta\"").await, 1);
    assert_eq!(
        count_users(scim, "externalId eq \"00U1OKTA\"").await,
        0,
        "externalId is caseExact"
    );

    // Deactivate with a path-less replace.
    let resp = scim
        .patch(
            &format!("/Users/{id}"),
            &patch(json!([{"op": "replace", "value": {"active": false}}])),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.body["active"], false);

    // Full PUT that omits active does not reactivate or deactivate; it replaces everything else.
    let resp = scim
        .put(
            &format!("/Users/{id}"),
            &json!({
                "schemas": [USER],
                "id": id,
                "userName": "dana@example.com",
                "name": {"givenName": "Dana", "familyName": "Ito-Lee"},
                "emails": [{"primary": true, "value": "dana@example.com", "type": "work"}],
                "externalId": "00u1okta"
            }),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(
        resp.body["active"], false,
        "a PUT without active kept the value"
    );
    assert_eq!(resp.body["name"]["familyName"], "Ito-Lee");
    assert!(
        resp.body.get("displayName").is_none(),
        "PUT replaced the whole resource"
    );
    assert!(resp.body.get("locale").is_none());

    // Reactivate, then read back.
    let resp = scim
        .patch(
            &format!("/Users/{id}"),
            &patch(json!([{"op": "replace", "value": {"active": true}}])),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    let got = scim.get(&format!("/Users/{id}")).await;
    assert_eq!(got.body["active"], true);
    assert_eq!(got.body["name"]["familyName"], "Ito-Lee");
    assert!(!got.text.contains("Secr3t!pass"));

    // Delete, then 404.
    assert_eq!(scim.delete(&format!("/Users/{id}")).await.status, 204);
    let gone = scim.get(&format!("/Users/{id}")).await;
    assert_eq!(roster_e2e::scim_error(&gone).0, 404);
    assert_eq!(
        count_users(scim, "userName eq \"dana@example.com\"").await,
        0
    );
}

#[tokio::test]
async fn okta_group_push() {
    let f = fixture().await;
    let scim = &f.scim;
    let a = create_user(scim, &user_body("a@example.com")).await;
    let b = create_user(scim, &user_body("b@example.com")).await;
    let c = create_user(scim, &user_body("c@example.com")).await;

    let group = create_group(
        scim,
        &json!({"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": a, "display": "a@example.com"}]}),
    )
    .await;
    assert_eq!(member_ids(scim, &group).await, vec![a.clone()]);

    // Rename: replace whose value re-sends the immutable id.
    let resp = scim
        .patch(
            &format!("/Groups/{group}"),
            &patch(
                json!([{"op": "replace", "value": {"id": group, "displayName": "Engineering EU"}}]),
            ),
        )
        .await;
    assert!(resp.status == 204 || resp.status == 200, "{}", resp.text);
    let got = scim.get(&format!("/Groups/{group}")).await;
    assert_eq!(got.body["displayName"], "Engineering EU");

    // Add and filtered remove in one request.
    let resp = scim
        .patch(
            &format!("/Groups/{group}"),
            &patch(json!([
                {"op": "add", "path": "members", "value": [{"value": b, "display": "b"}, {"value": c, "display": "c"}]},
                {"op": "remove", "path": format!("members[value eq \"{a}\"]")}
            ])),
        )
        .await;
    assert!(resp.status == 204 || resp.status == 200, "{}", resp.text);
    let mut expected = vec![b.clone(), c.clone()];
    expected.sort();
    assert_eq!(member_ids(scim, &group).await, expected);

    // The user shows its group.
    let user = scim.get(&format!("/Users/{b}")).await;
    assert_eq!(user.body["groups"][0]["value"], group.as_str());

    // replace members [] empties the group.
    let resp = scim
        .patch(
            &format!("/Groups/{group}"),
            &patch(json!([{"op": "replace", "path": "members", "value": []}])),
        )
        .await;
    assert!(resp.status == 204 || resp.status == 200, "{}", resp.text);
    assert!(member_ids(scim, &group).await.is_empty());

    // PUT replaces attributes and the whole member list.
    let resp = scim
        .put(
            &format!("/Groups/{group}"),
            &json!({"schemas": [GROUP], "displayName": "Engineering EU", "externalId": "okta-g1", "members": [{"value": a}]}),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.body["externalId"], "okta-g1");
    assert_eq!(member_ids(scim, &group).await, vec![a.clone()]);

    // Lookup by displayName, then delete.
    let list = scim
        .get(&format!(
            "/Groups?filter={}",
            urlencode("displayName eq \"Engineering EU\"")
        ))
        .await;
    assert_eq!(list.body["totalResults"], 1, "{}", list.text);
    assert_eq!(scim.delete(&format!("/Groups/{group}")).await.status, 204);
    assert_eq!(scim.get(&format!("/Groups/{group}")).await.status, 404);
}

#[tokio::test]
async fn okta_paging_with_count_100() {
    let f = fixture().await;
    let scim = &f.scim;
    let mut created = Vec::new();
    for i in 0..230 {
        created.push(create_user(scim, &user_body(&format!("user{i:03}@example.com"))).await);
    }
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let page = scim
            .get(&format!("/Users?startIndex={start}&count=100"))
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert_eq!(page.body["totalResults"], 230);
        assert_eq!(page.body["startIndex"], start);
        let resources = page.body["Resources"]
            .as_array()
            .expect("Resources")
            .clone();
        assert_eq!(page.body["itemsPerPage"], resources.len());
        if resources.is_empty() {
            break;
        }
        seen.extend(
            resources
                .iter()
                .map(|r| r["id"].as_str().expect("id").to_owned()),
        );
        start += resources.len() as i64;
    }
    assert_eq!(seen.len(), 230, "every user exactly once");
    assert_eq!(seen, created, "a stable order: creation order");
}
