//! The gRPC adapter of `roster.testhooks.v1.TestHooksService`, compiled only into
//! test builds (the `test-clock` feature): shifts a tenant's clock and sets its
//! injected job faults, operator callers only.

use std::sync::Arc;
use std::time::Duration;

use roster_core::ErrorKind;
use roster_proto::testhooks::v1 as pb;
use roster_runtime::grpc::status_with_reason;
use roster_store::Store;
use tokio::sync::Notify;
use tonic::{Request, Response, Status};

use super::{operator_tenant, to_status};
use crate::{JobsError, faults};

/// Serves `roster.testhooks.v1.TestHooksService`.
#[derive(Debug, Clone)]
pub struct TestHooksGrpc {
    store: Store,
    wakeup: Arc<Notify>,
}

impl TestHooksGrpc {
    /// Creates the service; `wakeup` pokes this process's worker after a clock shift.
    pub fn new(store: Store, wakeup: Arc<Notify>) -> Self {
        Self { store, wakeup }
    }

    /// Returns the tonic server for this service.
    pub fn into_server(self) -> pb::test_hooks_service_server::TestHooksServiceServer<Self> {
        pb::test_hooks_service_server::TestHooksServiceServer::new(self)
    }
}

#[tonic::async_trait]
impl pb::test_hooks_service_server::TestHooksService for TestHooksGrpc {
    async fn shift_clock(
        &self,
        request: Request<pb::ShiftClockRequest>,
    ) -> Result<Response<pb::ShiftClockResponse>, Status> {
        let tenant = operator_tenant(&self.store, &request, &request.get_ref().tenant).await?;
        let seconds = request.get_ref().seconds;
        let shifted = async {
            let mut tx = self.store.begin(&tenant).await?;
            let offset = tx.shift_clock(seconds).await?;
            tx.commit().await?;
            self.store.note_job_due(&tenant, Duration::ZERO).await?;
            Ok::<_, JobsError>(offset)
        }
        .await
        .map_err(to_status)?;
        self.wakeup.notify_one();
        Ok(Response::new(pb::ShiftClockResponse {
            offset_seconds: shifted,
        }))
    }

    async fn set_job_fault(
        &self,
        request: Request<pb::SetJobFaultRequest>,
    ) -> Result<Response<pb::SetJobFaultResponse>, Status> {
        let tenant = operator_tenant(&self.store, &request, &request.get_ref().tenant).await?;
        let req = request.into_inner();
        let name = match pb::JobFault::try_from(req.fault) {
            Ok(pb::JobFault::Fail) => faults::FAIL,
            Ok(pb::JobFault::AbortAfterCommit) => faults::ABORT_AFTER_COMMIT,
            Ok(pb::JobFault::AbortBeforeCommit) => faults::ABORT_BEFORE_COMMIT,
            Ok(pb::JobFault::Unspecified) | Err(_) => {
                return Err(status_with_reason(
                    ErrorKind::InvalidInput,
                    "fault: name one of FAIL, ABORT_AFTER_COMMIT, ABORT_BEFORE_COMMIT",
                    None,
                ));
            }
        };
        async {
            let mut tx = self.store.begin(&tenant).await?;
            tx.set_test_hook(name, req.value).await?;
            tx.commit().await?;
            Ok::<_, JobsError>(())
        }
        .await
        .map_err(to_status)?;
        Ok(Response::new(pb::SetJobFaultResponse { value: req.value }))
    }
}
