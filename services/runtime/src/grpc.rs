//! gRPC plumbing shared by every service and client: error mapping, the
//! credential check, trace-context propagation and server assembly.

use std::net::SocketAddr;

use http::HeaderMap;
use opentelemetry::propagation::{Extractor, Injector};
use roster_core::ErrorKind;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::{Code, Request, Status};
use tonic_types::{ErrorDetails, StatusExt};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::auth::{Authority, Caller};

/// The `ErrorInfo.domain` of errors whose reason is a SCIM `scimType`.
pub const SCIM_ERROR_DOMAIN: &str = "scim.roster";

/// Returns the gRPC code for an error kind; written once, used by every service.
pub fn code_for(kind: ErrorKind) -> Code {
    match kind {
        ErrorKind::InvalidInput => Code::InvalidArgument,
        ErrorKind::NotFound => Code::NotFound,
        ErrorKind::Conflict => Code::AlreadyExists,
        ErrorKind::PreconditionFailed => Code::FailedPrecondition,
        ErrorKind::Unauthenticated => Code::Unauthenticated,
        ErrorKind::PermissionDenied => Code::PermissionDenied,
        ErrorKind::RateLimited => Code::ResourceExhausted,
        ErrorKind::Unavailable => Code::Unavailable,
        ErrorKind::Internal => Code::Internal,
    }
}

/// Builds a status whose `ErrorInfo.reason` carries `reason` (a SCIM `scimType`,
/// or a machine-readable cause such as `TENANT_SUSPENDED`).
pub fn status_with_reason(
    kind: ErrorKind,
    message: impl Into<String>,
    reason: Option<&str>,
) -> Status {
    let message = message.into();
    match reason {
        Some(reason) => Status::with_error_details(
            code_for(kind),
            message,
            ErrorDetails::with_error_info(reason, SCIM_ERROR_DOMAIN, []),
        ),
        None => Status::new(code_for(kind), message),
    }
}

/// Builds the status for an internal failure: logs the cause once, answers generically.
pub fn internal_status(err: &(dyn std::error::Error + 'static)) -> Status {
    tracing::error!(error = %error_chain(err), "request failed");
    Status::internal("internal error")
}

/// Formats an error and its sources as `a: b: c`.
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Returns the `ErrorInfo.reason` of a status, if it carries one.
pub fn reason_of(status: &Status) -> Option<String> {
    status.get_details_error_info().map(|info| info.reason)
}

/// Returns the caller identified by the credential check; services call this first.
pub fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .copied()
        .ok_or_else(|| Status::unauthenticated("missing credential"))
}

/// Refuses every caller but the operator: the check every admin RPC starts with.
pub fn require_operator<T>(request: &Request<T>) -> Result<(), Status> {
    let who = caller(request)?;
    record_caller(&who);
    match who {
        Caller::Operator => Ok(()),
        _ => Err(Status::permission_denied(
            "this call needs the operator token",
        )),
    }
}

/// Returns the NOT_FOUND an admin RPC answers for a tenant slug that names no tenant.
pub fn tenant_not_found(slug: &str) -> Status {
    status_with_reason(
        roster_core::ErrorKind::NotFound,
        format!("tenant {slug:?} not found"),
        None,
    )
}

/// Returns the interceptor that refuses calls without a valid credential and
/// records the [`Caller`] in the request's extensions.
pub fn auth_interceptor(
    authority: Authority,
) -> impl Fn(Request<()>) -> Result<Request<()>, Status> + Clone + Send + Sync + 'static {
    move |mut request: Request<()>| {
        let header = request
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| Status::unauthenticated("missing credential"))?;
        let caller = authority
            .identify(header, OffsetDateTime::now_utc())
            .ok_or_else(|| Status::unauthenticated("invalid credential"))?;
        request.extensions_mut().insert(caller);
        Ok(request)
    }
}

/// Wraps a message in a request carrying `token` and the current trace context.
pub fn authorized<T>(message: T, token: &str) -> Result<Request<T>, Status> {
    let mut request = Request::new(message);
    let value = MetadataValue::try_from(format!("Bearer {token}"))
        .map_err(|_| Status::internal("credential is not a valid header value"))?;
    request.metadata_mut().insert("authorization", value);
    let context = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut MetadataInjector(request.metadata_mut()));
    });
    Ok(request)
}

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value),
        ) {
            self.0.insert(key, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Makes the span of an incoming RPC, parented on the caller's `traceparent`.
pub fn rpc_span<B>(request: &http::Request<B>) -> tracing::Span {
    let span = tracing::info_span!(
        "rpc",
        rpc = %request.uri().path(),
        tenant = tracing::field::Empty,
        provider = tracing::field::Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(request.headers()))
    });
    let _ = span.set_parent(parent);
    span
}

/// Records the caller's tenant and provider on the current RPC span.
pub fn record_caller(caller: &Caller) {
    if let Caller::Tenant { tenant, provider } = caller {
        let span = tracing::Span::current();
        span.record("tenant", tracing::field::display(tenant));
        span.record("provider", tracing::field::display(provider));
    }
}

/// Serves `routes` with server reflection and RPC spans until `shutdown` fires.
///
/// Reflection needs a credential like every Roster RPC. `routes` carries the
/// health service, which alone answers without one: Kubernetes' gRPC probes
/// cannot send credentials, and health reveals nothing but serving status.
pub async fn serve(
    listener: tokio::net::TcpListener,
    routes: tonic::service::Routes,
    authority: Authority,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(roster_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let routes = routes.add_service(tonic::service::interceptor::InterceptedService::new(
        reflection,
        auth_interceptor(authority),
    ));
    tonic::transport::Server::builder()
        .timeout(std::time::Duration::from_secs(30))
        .layer(tower_http::trace::TraceLayer::new_for_grpc().make_span_with(rpc_span))
        .add_routes(routes)
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            shutdown.cancelled_owned(),
        )
        .await?;
    Ok(())
}

/// Binds a TCP listener, with an error that says which setting and address failed.
pub async fn bind(what: &str, addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen for {what} on {addr}: {err}"))
}

/// Converts a time to a protobuf `Timestamp`.
pub fn timestamp(at: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.unix_timestamp(),
        nanos: at.nanosecond() as i32,
    }
}

/// Formats a protobuf `Timestamp` as RFC 3339 (UTC, whole seconds), or None when unset or invalid.
pub fn rfc3339(ts: Option<&prost_types::Timestamp>) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    ts.and_then(|t| OffsetDateTime::from_unix_timestamp(t.seconds).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
}
