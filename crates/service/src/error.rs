use tikal_core::DomainError;
use tikal_store::StoreError;

/// What a use case can answer besides success. The web layer maps each variant once to an HTTP
/// status and a stable code; `Internal` never shows its text to the user.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Unknown, or not visible to the caller (the two are not told apart, so numbers cannot
    /// be probed).
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("not allowed")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge { what: String, limit: u64 },
    #[error("{0}")]
    Unsupported(String),
    /// Too much work of this kind at the moment (password hashing): try again shortly.
    #[error("busy; try again shortly")]
    Busy,
    #[error("internal error")]
    Internal(#[source] StoreError),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ServiceError::NotFound(what),
            StoreError::Conflict(m) => ServiceError::Conflict(m),
            StoreError::Stale => ServiceError::Conflict("the ticket was changed by someone else; try again".into()),
            other => ServiceError::Internal(other),
        }
    }
}
