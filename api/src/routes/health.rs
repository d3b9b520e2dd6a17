//! `/healthz` and `/readyz`.

use std::sync::Arc;

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::dto::Success;
use crate::error::{ApiError, error_responses};
use crate::state::AppState;

use super::ApiTags;

error_responses!(
    /// What `GET /healthz` can answer besides 200.
    LivenessErrors {
        500 => "Something unexpected (INTERNAL).",
    }
);

error_responses!(
    /// What `GET /readyz` can answer besides 200.
    ReadinessErrors {
        500 => "Something unexpected (INTERNAL).",
    }
);

/// What the health endpoints answer.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Health", rename_all = "camelCase")]
pub(crate) struct HealthBody {
    /// `ok`.
    pub status: String,
}

#[derive(Debug, ApiResponse)]
pub(crate) enum Healthy {
    /// The process answers (liveness), or the database answers too (readiness).
    #[oai(status = 200)]
    Ok(Json<Success<HealthBody>>),
}

impl Healthy {
    fn ok() -> Self {
        Self::Ok(Json(Success::new(HealthBody {
            status: "ok".to_owned(),
        })))
    }
}

#[derive(Debug)]
pub(crate) struct HealthApi;

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// Liveness
    ///
    /// [ext] 200 while the process serves requests; it does not look at the database.
    #[oai(path = "/healthz", method = "get", operation_id = "liveness")]
    async fn liveness(&self) -> Result<Healthy, LivenessErrors> {
        Ok(Healthy::ok())
    }

    /// Readiness
    ///
    /// [ext] 200 when the database answers, else 503: take the instance out of the load balancer.
    #[oai(path = "/readyz", method = "get", operation_id = "readiness")]
    async fn readiness(&self, state: Data<&Arc<AppState>>) -> Result<Healthy, ReadinessErrors> {
        match state.readiness.ping().await {
            Ok(()) => Ok(Healthy::ok()),
            Err(cause) => {
                Err(ApiError::unavailable("the database does not answer", &cause.into()).into())
            }
        }
    }
}
