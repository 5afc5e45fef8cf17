//! The request shapes Microsoft Entra ID sends, shape by shape.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn entra_user_shapes() {
    let f = fixture_with(roster_e2e::RosterOptions::default(), "bearer").await;
    let scim = &f.scim;
    let id = create_user(
        scim,
        &json!({
            "schemas": [USER, ENTERPRISE],
            "externalId": "e-1",
            "userName": "eve@contoso.com",
            "active": true,
            "emails": [{"primary": true, "type": "work", "value": "eve@contoso.com"}],
            "name": {"formatted": "Eve Ng", "familyName": "Ng", "givenName": "Eve"},
            ENTERPRISE: {"department": "Sales", "employeeNumber": "42"},
            C42: {"c42OrgName": "EMEA"}
        }),
    )
    .await;
    let got = scim.get(&format!("/Users/{id}")).await;
    assert_eq!(got.body[ENTERPRISE]["department"], "Sales");
    assert_eq!(got.body[C42]["c42OrgName"], "EMEA");
    let schemas: Vec<&str> = got.body["schemas"]
        .as_array()
        .expect("schemas")
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert!(
        schemas.contains(&ENTERPRISE) && schemas.contains(&C42),
        "{schemas:?}"
    );

    // "Replace" in capitals, with "False" as a string.
    let resp = scim
        .patch(
            &format!("/Users/{id}"),
            &patch(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.body["active"], false);

    // Path-less replace with dotted and URN-qualified keys.
    let resp = scim
        .patch(
            &format!("/Users/{id}"),
            &patch(json!([{"op": "Replace", "value": {
                "name.givenName": "Evelyn",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Marketing",
                "active": "True"
            }}])),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.body["name"]["givenName"], "Evelyn");
    assert_eq!(
        resp.body["name"]["familyName"], "Ng",
        "other name parts kept"
    );
    assert_eq!(resp.body[ENTERPRISE]["department"], "Marketing");
    assert_eq!(resp.body[ENTERPRISE]["employeeNumber"], "42");
    assert_eq!(resp.body["active"], true);

    // Replace on a filtered path.
    let resp = scim
        .patch(
            &format!("/Users/{id}"),
            &patch(json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "eve.ng@contoso.com"}])),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert_eq!(resp.body["emails"][0]["value"], "eve.ng@contoso.com");
    assert_eq!(resp.body["emails"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        count_users(
            scim,
            "emails[type eq \"work\"].value eq \"eve.ng@contoso.com\""
        )
        .await,
        1
    );
    assert_eq!(
        count_users(
            scim,
            "emails[type eq \"work\"].value eq \"eve@contoso.com\""
        )
        .await,
        0
    );

    // "Add" of a singular attribute.
    let resp = scim
        .patch(
            &format!("/Users/{id}"),
            &patch(json!([{"op": "Add", "path": "title", "value": "Lead"}])),
        )
        .await;
    assert_eq!(resp.body["title"], "Lead", "{}", resp.text);
    // "Remove" of it.
    let resp = scim
        .patch(
            &format!("/Users/{id}"),
            &patch(json!([{"op": "Remove", "path": "title"}])),
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert!(resp.body.get("title").is_none());
}

#[tokio::test]
async fn entra_group_shapes() {
    let f = fixture().await;
    let scim = &f.scim;
    let users: Vec<String> = {
        let mut v = Vec::new();
        for n in ["u1", "u2", "u3", "u4"] {
            v.push(create_user(scim, &user_body(&format!("{n}@contoso.com"))).await);
        }
        v
    };
    // Entra sends the ADSCIM group URN in schemas.
    let group = create_group(
        scim,
        &json!({
            "schemas": [GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/Group"],
            "externalId": "g-ext",
            "displayName": "Sales",
            "members": []
        }),
    )
    .await;

    // Member add with "$ref": null.
    let resp = scim
        .patch(
            &format!("/Groups/{group}"),
            &patch(json!([{"op": "Add", "path": "members", "value": [
                {"$ref": null, "value": users[0]}, {"$ref": null, "value": users[1]}, {"$ref": null, "value": users[2]}
            ]}])),
        )
        .await;
    assert!(resp.status == 204 || resp.status == 200, "{}", resp.text);
    let mut all3 = users[..3].to_vec();
    all3.sort();
    assert_eq!(member_ids(scim, &group).await, all3);

    // Remove with a value list removes only those.
    let resp = scim
        .patch(
            &format!("/Groups/{group}"),
            &patch(json!([{"op": "Remove", "path": "members", "value": [{"value": users[0]}]}])),
        )
        .await;
    assert!(resp.status == 204 || resp.status == 200, "{}", resp.text);
    let mut rest = vec![users[1].clone(), users[2].clone()];
    rest.sort();
    assert_eq!(member_ids(scim, &group).await, rest);

    // Remove by filtered path removes only that one.
    let resp = scim
        .patch(
            &format!("/Groups/{group}"),
            &patch(
                json!([{"op": "Remove", "path": format!("members[value eq \"{}\"]", users[1])}]),
            ),
        )
        .await;
    assert!(resp.status == 204 || resp.status == 200, "{}", resp.text);
    assert_eq!(member_ids(scim, &group).await, vec![users[2].clone()]);

    // GET with excludedAttributes=members leaves members out.
    let resp = scim
        .get(&format!("/Groups/{group}?excludedAttributes=members"))
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert!(resp.body.get("members").is_none(), "{}", resp.text);
    assert_eq!(resp.body["displayName"], "Sales");
    assert_eq!(resp.body["externalId"], "g-ext");

    // The ADSCIM URN is tolerated, never stored.
    let full = scim.get(&format!("/Groups/{group}")).await;
    assert!(!full.text.contains("ADSCIM"), "{}", full.text);
}
