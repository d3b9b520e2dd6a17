//! A deadline for every request: one that has not finished by then is stopped and answered 503, so
//! no request holds a worker (or what it holds) without bound. The body's arrival has its own,
//! shorter bound (`body::read_bounded`), answered 408.

use std::time::Duration;

use poem::error::ResponseError;
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};

use crate::error::ApiError;

/// The middleware; see the module documentation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestDeadline {
    deadline: Duration,
}

impl RequestDeadline {
    pub(crate) fn new(deadline: Duration) -> Self {
        Self { deadline }
    }
}

impl<E: Endpoint> Middleware<E> for RequestDeadline {
    type Output = RequestDeadlineEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequestDeadlineEndpoint {
            inner,
            deadline: self.deadline,
        }
    }
}

#[derive(Debug)]
pub(crate) struct RequestDeadlineEndpoint<E> {
    inner: E,
    deadline: Duration,
}

impl<E: Endpoint> Endpoint for RequestDeadlineEndpoint<E> {
    type Output = Response;

    async fn call(&self, request: Request) -> poem::Result<Response> {
        match tokio::time::timeout(self.deadline, self.inner.call(request)).await {
            Ok(answered) => answered.map(IntoResponse::into_response),
            Err(_) => {
                tracing::warn!(
                    deadline_ms = self.deadline.as_millis() as u64,
                    "request stopped at its deadline"
                );
                Ok(ApiError::deadline_passed(self.deadline).as_response())
            }
        }
    }
}
