//! `roster.jobs.v1.DigestService`: a tenant's digest settings, for operator callers only.

use roster_proto::jobs::v1 as pb;
use roster_runtime::grpc::timestamp;
use roster_store::DigestFrequency;
use tonic::{Request, Response, Status};

use super::{OPERATOR, operator_tenant, to_status};
use crate::JobsError;
use crate::digest::settings::{DigestAdmin, DigestView};

/// Serves `roster.jobs.v1.DigestService`.
#[derive(Debug, Clone)]
pub struct DigestGrpc {
    admin: DigestAdmin,
}

impl DigestGrpc {
    /// Wraps the domain service.
    pub fn new(admin: DigestAdmin) -> Self {
        Self { admin }
    }

    /// Returns the tonic server for this service.
    pub fn into_server(self) -> pb::digest_service_server::DigestServiceServer<Self> {
        pb::digest_service_server::DigestServiceServer::new(self)
    }
}

/// Reads the requested frequency; UNSPECIFIED and unknown values are refused, naming the field.
fn frequency_of(value: i32) -> Result<DigestFrequency, Status> {
    let invalid = |reason: String| {
        to_status(JobsError::InvalidInput {
            field: "frequency",
            reason,
        })
    };
    match pb::DigestFrequency::try_from(value) {
        Ok(pb::DigestFrequency::Daily) => Ok(DigestFrequency::Daily),
        Ok(pb::DigestFrequency::Errors) => Ok(DigestFrequency::Errors),
        Ok(pb::DigestFrequency::Never) => Ok(DigestFrequency::Never),
        Ok(pb::DigestFrequency::Unspecified) => {
            Err(invalid("give one of daily, errors, never".to_owned()))
        }
        Err(_) => Err(invalid(format!(
            "{value} is not a digest frequency (daily, errors, never)"
        ))),
    }
}

fn frequency_message(frequency: DigestFrequency) -> pb::DigestFrequency {
    match frequency {
        DigestFrequency::Daily => pb::DigestFrequency::Daily,
        DigestFrequency::Errors => pb::DigestFrequency::Errors,
        DigestFrequency::Never => pb::DigestFrequency::Never,
    }
}

impl From<DigestView> for pb::DigestSettingsResponse {
    fn from(view: DigestView) -> Self {
        Self {
            settings: Some(pb::DigestSettings {
                frequency: frequency_message(view.settings.frequency) as i32,
                covered_until: view.settings.covered_until.map(timestamp),
                updated_at: Some(timestamp(view.settings.updated_at)),
                next_run_at: view.next_run_at.map(timestamp),
            }),
        }
    }
}

#[tonic::async_trait]
impl pb::digest_service_server::DigestService for DigestGrpc {
    async fn get_digest_settings(
        &self,
        request: Request<pb::GetDigestSettingsRequest>,
    ) -> Result<Response<pb::DigestSettingsResponse>, Status> {
        let tenant =
            operator_tenant(self.admin.store(), &request, &request.get_ref().tenant).await?;
        let view = self.admin.get(&tenant).await.map_err(to_status)?;
        Ok(Response::new(view.into()))
    }

    async fn set_digest_frequency(
        &self,
        request: Request<pb::SetDigestFrequencyRequest>,
    ) -> Result<Response<pb::DigestSettingsResponse>, Status> {
        let tenant =
            operator_tenant(self.admin.store(), &request, &request.get_ref().tenant).await?;
        let frequency = frequency_of(request.get_ref().frequency)?;
        let view = self
            .admin
            .set_frequency(&tenant, frequency, OPERATOR)
            .await
            .map_err(to_status)?;
        Ok(Response::new(view.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unspecified_and_unknown_frequencies_are_invalid_arguments_naming_the_field() {
        for value in [0, 4, -1] {
            let status = frequency_of(value).unwrap_err();
            assert_eq!(status.code(), tonic::Code::InvalidArgument, "{value}");
            assert!(status.message().starts_with("frequency: "), "{status:?}");
        }
        assert_eq!(frequency_of(2).unwrap(), DigestFrequency::Errors);
    }
}
