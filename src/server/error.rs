//! Errors on their way to an answer: the one `internal()` (the cause is logged, the answer says
//! only `internal_error`), and what a store or hashing error becomes.

use super::password::HashError;
use super::store::{Conflict, StoreError};
use crate::domain::errors::{ErrorCode, FlowError};

/// An error the caller cannot act on: its cause goes to the log, never into the answer.
pub fn internal(e: impl std::fmt::Display) -> FlowError {
    tracing::error!(error = %e, "internal error");
    FlowError::new(ErrorCode::Internal)
}

impl From<HashError> for FlowError {
    fn from(e: HashError) -> Self {
        match e {
            // Too many passwords are waiting for the hashing threads: try again in a second.
            HashError::Busy => FlowError::with_n(ErrorCode::TooManyRequests, 1),
            other => internal(other),
        }
    }
}

impl From<StoreError> for FlowError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => FlowError::new(ErrorCode::ResourceNotFound),
            // The sign-in attempt a session was to complete was completed by another request.
            StoreError::Conflict(Conflict::Attempt) => FlowError::new(ErrorCode::SignInStepInvalid),
            // A user who is an organization's only admin stays until another admin is named.
            StoreError::Conflict(Conflict::LastAdmin) => {
                FlowError::new(ErrorCode::LastAdminRequired)
            }
            other => internal(other),
        }
    }
}
