//! The mapping service's gRPC status codes: what a caller that is not the CLI sees.

use roster_proto::mapping::v1 as pb;
use roster_proto::mapping::v1::mapping_service_client::MappingServiceClient;
use serde_json::json;
use tonic::Code;

use super::support::*;
use crate::common::*;

#[tokio::test]
async fn the_mapping_api_answers_with_precise_status_codes() {
    let f = fixture().await;
    let roster = &f.roster;
    create_org(roster, &f.slug, "Sales", None).await;
    create_group(&f.scim, &json!({"schemas": [GROUP], "displayName": "Team"})).await;
    let channel = tonic::transport::Endpoint::from_shared(roster.admin_url().to_owned())
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut client = MappingServiceClient::new(channel);
    let get = |provider: &str| pb::GetMappingRequest {
        tenant: f.slug.clone(),
        provider: provider.to_owned(),
    };
    let code = |status: tonic::Status| status.code();

    let anonymous = client
        .get_mapping(get(&f.cred.id))
        .await
        .expect_err("no credential");
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let mapping = client
        .get_mapping(authorized(roster, get(&f.cred.id)))
        .await
        .expect("operator reads the mapping")
        .into_inner();
    assert_eq!(mapping.org_method, pb::OrgMethod::Single as i32);
    let bad = client
        .get_mapping(authorized(roster, get("nope")))
        .await
        .expect_err("bad id");
    assert_eq!(code(bad), Code::InvalidArgument);
    let unknown = client
        .get_mapping(authorized(roster, get(&uuid::Uuid::now_v7().to_string())))
        .await
        .expect_err("unknown provider");
    assert_eq!(code(unknown), Code::NotFound);
    let no_method = client
        .set_org_method(authorized(
            roster,
            pb::SetOrgMethodRequest {
                tenant: f.slug.clone(),
                provider: f.cred.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("a method is required");
    assert_eq!(code(no_method), Code::InvalidArgument);
    let add = || pb::AddGroupOrgMappingRequest {
        tenant: f.slug.clone(),
        provider: f.cred.id.clone(),
        groups: vec!["Team".to_owned()],
        organization: "Sales".to_owned(),
    };
    client
        .add_group_org_mapping(authorized(roster, add()))
        .await
        .expect("mapped");
    let twice = client
        .add_group_org_mapping(authorized(roster, add()))
        .await
        .expect_err("mapped already");
    assert_eq!(code(twice), Code::AlreadyExists);
    let rule = client
        .add_rule(authorized(
            roster,
            pb::AddRuleRequest {
                tenant: f.slug.clone(),
                provider: f.cred.id.clone(),
                name: "Titles".to_owned(),
                attribute: "title".to_owned(),
                values: "VP".to_owned(),
                organization: "Sales".to_owned(),
                ..Default::default()
            },
        ))
        .await
        .expect("rule added")
        .into_inner()
        .rules[0]
        .id
        .clone();
    let changed = client
        .update_rule(authorized(
            roster,
            pb::UpdateRuleRequest {
                tenant: f.slug.clone(),
                provider: f.cred.id.clone(),
                rule: rule.clone(),
                attribute: Some("userType".to_owned()),
                ..Default::default()
            },
        ))
        .await
        .expect_err("criteria are immutable");
    assert_eq!(code(changed), Code::FailedPrecondition);
    let no_move = client
        .move_rule(authorized(
            roster,
            pb::MoveRuleRequest {
                tenant: f.slug.clone(),
                provider: f.cred.id.clone(),
                rule,
                r#move: 0,
            },
        ))
        .await
        .expect_err("a move is required");
    assert_eq!(code(no_move), Code::InvalidArgument);
    let run = client
        .get_apply(authorized(
            roster,
            pb::GetApplyRequest {
                tenant: f.slug.clone(),
                run: uuid::Uuid::now_v7().to_string(),
                ..Default::default()
            },
        ))
        .await
        .expect_err("no such run");
    assert_eq!(code(run), Code::NotFound);
}
