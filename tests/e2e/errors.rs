//! Bad input gets the right SCIM error and changes nothing.

use reqwest::Method;
use roster_e2e::{Auth, scim_error};
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn bad_requests_get_scim_errors_and_store_nothing() {
    let f = fixture().await;
    let scim = &f.scim;

    // Malformed JSON.
    let resp = scim
        .raw(
            Method::POST,
            "/Users",
            b"{\"userName\": ",
            Some("application/scim+json"),
            None,
        )
        .await;
    let (status, scim_type, _) = scim_error(&resp);
    assert_eq!((status, scim_type.as_deref()), (400, Some("invalidSyntax")));

    // Wrong content type.
    let body = serde_json::to_vec(&user_body("x@example.com")).expect("json");
    let resp = scim
        .raw(Method::POST, "/Users", &body, Some("text/plain"), None)
        .await;
    assert_eq!(scim_error(&resp).0, 415);
    // application/json is accepted.
    let ok = scim
        .raw(
            Method::POST,
            "/Users",
            &body,
            Some("application/json; charset=utf-8"),
            None,
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);

    // Missing userName; an undeclared attribute; an undeclared schema URN.
    for bad in [
        json!({"schemas": [USER], "displayName": "no user name"}),
        json!({"schemas": [USER], "userName": "y@example.com", "favouriteColour": "blue"}),
        json!({"schemas": [USER, "urn:example:unknown:1.0"], "userName": "z@example.com"}),
        json!({"schemas": [USER], "userName": "w@example.com", "active": "maybe"}),
    ] {
        let resp = scim.post("/Users", &bad).await;
        let (status, scim_type, detail) = scim_error(&resp);
        assert_eq!(
            (status, scim_type.as_deref()),
            (400, Some("invalidValue")),
            "{bad}: {detail}"
        );
    }
    for name in ["y@example.com", "z@example.com", "w@example.com"] {
        assert_eq!(
            count_users(scim, &format!("userName eq \"{name}\"")).await,
            0,
            "{name} stored"
        );
    }

    // Duplicate userName, case-insensitively: 409 uniqueness, and nothing about the other account.
    let resp = scim.post("/Users", &user_body("X@EXAMPLE.COM")).await;
    let (status, scim_type, detail) = scim_error(&resp);
    assert_eq!((status, scim_type.as_deref()), (409, Some("uniqueness")));
    let existing = scim
        .get(&format!(
            "/Users?filter={}",
            urlencode("userName eq \"x@example.com\"")
        ))
        .await;
    let existing_id = existing.body["Resources"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(!detail.contains(&existing_id), "{detail}");
    assert_eq!(count_users(scim, "userName eq \"x@example.com\"").await, 1);

    // Unsupported filters are 400 invalidFilter, never "all users".
    for filter in [
        "title eq \"x\"",
        "userName sw \"x\"",
        "userName eq \"a\" or userName eq \"b\"",
        "(((",
    ] {
        let resp = scim
            .get(&format!("/Users?filter={}", urlencode(filter)))
            .await;
        let (status, scim_type, _) = scim_error(&resp);
        assert_eq!(
            (status, scim_type.as_deref()),
            (400, Some("invalidFilter")),
            "{filter}"
        );
    }

    // Unknown resource endpoint and malformed / unknown ids.
    assert_eq!(scim_error(&scim.get("/Widgets").await).0, 404);
    assert_eq!(scim_error(&scim.get("/Users/not-a-uuid").await).0, 404);
    assert_eq!(
        scim_error(
            &scim
                .get("/Users/00000000-0000-7000-8000-000000000000")
                .await
        )
        .0,
        404
    );
    assert_eq!(scim_error(&scim.delete("/Groups/nope").await).0, 404);

    // Bad PATCH: wrong schema, unknown op, unknown path; the user is unchanged.
    let id = existing_id;
    for bad in [
        json!({"schemas": ["urn:wrong"], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}),
        patch(json!([{"op": "frobnicate", "path": "title", "value": "x"}])),
        patch(json!([{"op": "replace", "path": "noSuchAttribute", "value": "x"}])),
        patch(
            json!([{"op": "replace", "path": "title", "value": "ok"}, {"op": "replace", "path": "active", "value": "nope"}]),
        ),
    ] {
        let resp = scim.patch(&format!("/Users/{id}"), &bad).await;
        assert_eq!(scim_error(&resp).0, 400, "{bad}: {}", resp.text);
    }
    let unchanged = scim.get(&format!("/Users/{id}")).await;
    assert!(
        unchanged.body.get("title").is_none(),
        "a failed PATCH changed nothing: {}",
        unchanged.text
    );

    // Adding a member that does not exist is refused and the group stays as it was.
    let group = create_group(scim, &json!({"schemas": [GROUP], "displayName": "G"})).await;
    let resp = scim
        .patch(
            &format!("/Groups/{group}"),
            &patch(json!([{"op": "add", "path": "members", "value": [{"value": id}, {"value": "00000000-0000-7000-8000-000000000000"}]}])),
        )
        .await;
    assert_eq!(scim_error(&resp).0, 400, "{}", resp.text);
    assert!(member_ids(scim, &group).await.is_empty());
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_refused() {
    let f = fixture().await;
    let scim = &f.scim;
    let body = serde_json::to_vec(&user_body("q@example.com")).expect("json");
    for auth in [
        Auth::Anonymous,
        Auth::Basic {
            username: f.cred.username.clone().unwrap_or_default(),
            password: "wrong".into(),
        },
        Auth::Basic {
            username: "nobody".into(),
            password: f.cred.secret.clone(),
        },
        Auth::Bearer(f.cred.secret.clone()),
        Auth::Header("Digest abc".into()),
        Auth::Header("Basic %%%".into()),
    ] {
        let resp = scim
            .raw(
                Method::POST,
                "/Users",
                &body,
                Some("application/scim+json"),
                Some(&auth),
            )
            .await;
        assert_eq!(scim_error(&resp).0, 401, "{auth:?}: {}", resp.text);
        assert!(resp.header("www-authenticate").is_some());
    }
    assert_eq!(count_users(scim, "userName eq \"q@example.com\"").await, 0);
}
