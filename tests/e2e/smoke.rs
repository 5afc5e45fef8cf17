//! Smoke test: the shortest path from a fresh Roster to a stored SCIM user.

use roster_e2e::{Roster, RosterOptions, unique_slug};
use serde_json::json;

#[tokio::test]
async fn basic_provider_creates_and_reads_a_user() {
    let roster = Roster::start(RosterOptions::default()).await;
    let slug = unique_slug("smoke");
    roster.create_tenant(&slug).await;
    let cred = roster.create_provider(&slug, "okta", "basic").await;
    let scim = roster.scim(&cred);

    let created = scim
        .post(
            "/Users",
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a@example.com"}),
        )
        .await;
    assert_eq!(created.status, 201, "POST /Users answered {}", created.text);
    let id = created.body["id"]
        .as_str()
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| panic!("POST /Users returned no id: {}", created.text));
    assert_eq!(created.body["userName"], "a@example.com");

    let fetched = scim.get(&format!("/Users/{id}")).await;
    assert_eq!(
        fetched.status, 200,
        "GET /Users/{id} answered {}",
        fetched.text
    );
    assert_eq!(fetched.body["id"], id);
    assert_eq!(fetched.body["userName"], "a@example.com");
}
