//! The gRPC API refuses calls without a credential, and serves health and reflection.

use roster_e2e::RosterOptions;
use roster_proto::identity::v1::identity_service_client::IdentityServiceClient;
use roster_proto::tenants::v1 as pb;
use roster_proto::tenants::v1::tenants_service_client::TenantsServiceClient;

#[tokio::test]
async fn calls_without_a_valid_credential_are_refused() {
    let roster = roster_e2e::Roster::start(RosterOptions::default()).await;
    let channel = tonic::transport::Endpoint::from_shared(roster.admin_url().to_owned())
        .expect("url")
        .connect()
        .await
        .expect("connect");
    let mut tenants = TenantsServiceClient::new(channel.clone());
    let status = tenants
        .list_tenants(pb::ListTenantsRequest {})
        .await
        .expect_err("no credential");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    let mut wrong = tonic::Request::new(pb::ListTenantsRequest {});
    wrong.metadata_mut().insert(
        "authorization",
        "Bearer not-the-token".parse().expect("header"),
    );
    assert_eq!(
        tenants.list_tenants(wrong).await.expect_err("wrong").code(),
        tonic::Code::Unauthenticated
    );

    let token = std::fs::read_to_string(roster.data_dir().join("operator.token")).expect("token");
    let mut ok = tonic::Request::new(pb::ListTenantsRequest {});
    ok.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token.trim()).parse().expect("header"),
    );
    assert!(tenants.list_tenants(ok).await.is_ok());

    // The operator token is not a tenant credential: identity refuses it.
    let mut identity = IdentityServiceClient::new(channel.clone());
    let mut as_operator =
        tonic::Request::new(roster_proto::identity::v1::GetUserRequest { id: "x".into() });
    as_operator.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token.trim()).parse().expect("header"),
    );
    assert_eq!(
        identity
            .get_user(as_operator)
            .await
            .expect_err("operator")
            .code(),
        tonic::Code::PermissionDenied
    );
    let status = identity
        .get_user(roster_proto::identity::v1::GetUserRequest { id: "x".into() })
        .await
        .expect_err("no credential");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    // The admin log reads need the operator's credential too.
    let mut logs =
        roster_proto::identity::v1::logs_service_client::LogsServiceClient::new(channel.clone());
    let status = logs
        .query_audit_log(roster_proto::identity::v1::QueryAuditLogRequest::default())
        .await
        .expect_err("no credential");
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    // Reflection needs a credential like every other RPC, and then lists the services.
    use tonic_reflection::pb::v1 as reflection;
    let list_services = || {
        tokio_stream::iter(vec![reflection::ServerReflectionRequest {
            host: String::new(),
            message_request: Some(
                reflection::server_reflection_request::MessageRequest::ListServices(String::new()),
            ),
        }])
    };
    let mut client =
        reflection::server_reflection_client::ServerReflectionClient::new(channel.clone());
    let refused = client
        .server_reflection_info(list_services())
        .await
        .expect_err("reflection without a credential");
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let mut authorized = tonic::Request::new(list_services());
    authorized.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", token.trim()).parse().expect("header"),
    );
    let mut stream = client
        .server_reflection_info(authorized)
        .await
        .expect("reflection")
        .into_inner();
    let answer = stream
        .message()
        .await
        .expect("answer")
        .expect("one message");
    let Some(reflection::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        answer.message_response
    else {
        panic!("unexpected reflection answer");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for service in [
        "roster.tenants.v1.TenantsService",
        "roster.identity.v1.IdentityService",
        "roster.identity.v1.LogsService",
        "roster.organizations.v1.OrganizationsService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.iter().any(|n| n == service), "{service} in {names:?}");
    }

    // Health answers without a credential (probes), and says SERVING.
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let resp = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "roster.tenants.v1.TenantsService".into(),
        })
        .await
        .expect("health");
    assert_eq!(
        resp.into_inner().status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}
