//! `/ServiceProviderConfig`, `/Schemas` and `/ResourceTypes` tell the truth.

use crate::common::*;

#[tokio::test]
async fn discovery_endpoints_describe_what_the_server_does() {
    let f = fixture().await;
    let scim = &f.scim;

    let spc = scim.get("/ServiceProviderConfig").await;
    assert_eq!(spc.status, 200, "{}", spc.text);
    assert_eq!(spc.body["patch"]["supported"], true);
    assert_eq!(spc.body["bulk"]["supported"], false);
    assert_eq!(spc.body["sort"]["supported"], false);
    assert_eq!(spc.body["etag"]["supported"], false);
    assert_eq!(spc.body["filter"]["supported"], true);
    // What it says about sorting holds: sortBy is refused, not ignored.
    let sorted = scim.get("/Users?sortBy=userName").await;
    assert_eq!(roster_e2e::scim_error(&sorted).0, 400);

    let schemas = scim.get("/Schemas").await;
    assert_eq!(schemas.status, 200, "{}", schemas.text);
    let ids: Vec<&str> = schemas.body["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    for urn in [USER, GROUP, ENTERPRISE, C42] {
        assert!(ids.contains(&urn), "{urn} declared: {ids:?}");
    }
    let c42 = scim.get(&format!("/Schemas/{C42}")).await;
    assert_eq!(c42.status, 200, "{}", c42.text);
    assert!(c42.text.contains("c42OrgName"));

    let types = scim.get("/ResourceTypes").await;
    assert_eq!(types.status, 200, "{}", types.text);
    assert_eq!(types.body["totalResults"], 2);
    let user_type = scim.get("/ResourceTypes/User").await;
    assert_eq!(user_type.body["endpoint"], "/Users");
    assert_eq!(user_type.body["schema"], USER);
}
