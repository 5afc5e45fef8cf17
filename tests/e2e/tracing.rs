//! Traces: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, Roster exports spans over OTLP,
//! and the gateway's request span and the service's RPC span share one trace
//! (W3C trace context travels in gRPC metadata), both carrying the tenant.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use roster_e2e::RosterOptions;

use crate::common::*;

/// A minimal OTLP/gRPC trace receiver that keeps every span it is sent.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<Span>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().expect("lock");
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                spans.extend(scope.spans);
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: None,
        }))
    }
}

fn attribute(span: &Span, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            AnyValue::StringValue(s) => Some(s.clone()),
            other => Some(format!("{other:?}")),
        })
}

#[tokio::test]
async fn a_scim_request_and_its_rpc_share_one_trace() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let collector = Collector::default();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(collector.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    let f = fixture_with(
        RosterOptions::default()
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
            .env("OTEL_BSP_SCHEDULE_DELAY", "100"),
        "basic",
    )
    .await;
    let tenant = f.roster.cli_json(&["tenant", "show", &f.slug]).await["id"]
        .as_str()
        .expect("id")
        .to_owned();
    create_user(&f.scim, &user_body("traced@example.com")).await;

    let mut found = None;
    for _ in 0..100 {
        {
            let spans = collector.spans.lock().expect("lock");
            let request = spans.iter().find(|s| {
                s.name == "request"
                    && attribute(s, "route").as_deref() == Some("/t/{tenant}/scim/v2/Users")
            });
            let rpc = spans.iter().find(|s| {
                s.name == "rpc"
                    && attribute(s, "rpc").as_deref()
                        == Some("/roster.identity.v1.IdentityService/CreateUser")
            });
            if let (Some(request), Some(rpc)) = (request, rpc) {
                found = Some((request.clone(), rpc.clone()));
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (request, rpc) = found.expect("the gateway and the identity service exported their spans");
    assert_eq!(
        request.trace_id, rpc.trace_id,
        "one trace from the edge to the service"
    );
    assert!(
        !rpc.parent_span_id.is_empty(),
        "the RPC span has a remote parent"
    );
    assert_eq!(
        attribute(&request, "tenant").as_deref(),
        Some(tenant.as_str())
    );
    assert_eq!(attribute(&rpc, "tenant").as_deref(), Some(tenant.as_str()));
    assert!(attribute(&rpc, "provider").is_some());
    server.abort();
}
