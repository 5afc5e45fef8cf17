//! Shared set-up for the end-to-end tests.

use roster_e2e::{ProviderCredential, Roster, RosterOptions, ScimClient, unique_slug};
use serde_json::{Value, json};

/// The core User schema URN.
pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema URN.
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The PatchOp message URN.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The Enterprise User extension URN.
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Roster's own User extension URN.
pub const C42: &str = "urn:ietf:params:scim:schemas:extension:c42:2.0:User";

/// A running Roster with one tenant and one provider of it.
pub struct Fixture {
    pub roster: Roster,
    pub slug: String,
    pub cred: ProviderCredential,
    pub scim: ScimClient,
}

/// Starts a Roster with `options`, creates a tenant and a provider with `credential` ("basic"/"bearer").
pub async fn fixture_with(options: RosterOptions, credential: &str) -> Fixture {
    let roster = Roster::start(options).await;
    let slug = unique_slug("t");
    roster.create_tenant(&slug).await;
    let cred = roster.create_provider(&slug, "idp", credential).await;
    let scim = roster.scim(&cred);
    Fixture {
        roster,
        slug,
        cred,
        scim,
    }
}

/// Starts a Roster with defaults and a basic provider.
pub async fn fixture() -> Fixture {
    fixture_with(RosterOptions::default(), "basic").await
}

/// Returns a minimal user body.
pub fn user_body(user_name: &str) -> Value {
    json!({"schemas": [USER], "userName": user_name, "active": true})
}

/// Creates a user and returns its id, asserting 201.
pub async fn create_user(scim: &ScimClient, body: &Value) -> String {
    let resp = scim.post("/Users", body).await;
    assert_eq!(resp.status, 201, "POST /Users: {}", resp.text);
    resp.body["id"]
        .as_str()
        .expect("created user has an id")
        .to_owned()
}

/// Creates a group and returns its id, asserting 201.
pub async fn create_group(scim: &ScimClient, body: &Value) -> String {
    let resp = scim.post("/Groups", body).await;
    assert_eq!(resp.status, 201, "POST /Groups: {}", resp.text);
    resp.body["id"]
        .as_str()
        .expect("created group has an id")
        .to_owned()
}

/// Returns a PATCH body with these operations.
pub fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// Returns the sorted member ids of a group, read back through the gateway.
pub async fn member_ids(scim: &ScimClient, group: &str) -> Vec<String> {
    let resp = scim.get(&format!("/Groups/{group}")).await;
    assert_eq!(resp.status, 200, "GET group: {}", resp.text);
    let mut ids: Vec<String> = resp.body["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(|x| x["value"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// Returns totalResults of a filtered user list.
pub async fn count_users(scim: &ScimClient, filter: &str) -> i64 {
    let resp = scim
        .get(&format!("/Users?filter={}", urlencode(filter)))
        .await;
    assert_eq!(resp.status, 200, "list users: {}", resp.text);
    resp.body["totalResults"].as_i64().expect("totalResults")
}

/// Percent-encodes a query value.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Wraps a gRPC message in a request carrying the Roster's operator token.
pub fn authorized<T>(roster: &Roster, message: T) -> tonic::Request<T> {
    let token = std::fs::read_to_string(roster.data_dir().join("operator.token")).expect("token");
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token.trim()).parse().expect("header"),
    );
    request
}
