use crate::status::Status;

/// A stored or received value outside a closed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

/// A rule of the domain said no. Each variant has a stable `code` the web layer maps to a
/// message in the user's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("a ticket cannot go from {from} to {to}")]
    InvalidTransition { from: Status, to: Status },
    #[error("nothing to change")]
    NoChange,
    #[error("the resolution must be approved by a supervisor first")]
    ApprovalRequired,
    #[error("the requester must confirm the resolution first")]
    ConfirmationRequired,
    #[error("the ticket is not resolved")]
    NotResolved,
    #[error("the resolution is already approved")]
    AlreadyApproved,
    #[error("the reopen window of this closed ticket has passed")]
    ReopenWindowExpired,
}

impl DomainError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError::Invalid { field, reason: reason.into() }
    }

    /// Stable machine-readable code, used in API errors and translation keys.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid { .. } => "invalid_field",
            DomainError::InvalidTransition { .. } => "invalid_transition",
            DomainError::NoChange => "no_change",
            DomainError::ApprovalRequired => "approval_required",
            DomainError::ConfirmationRequired => "confirmation_required",
            DomainError::NotResolved => "not_resolved",
            DomainError::AlreadyApproved => "already_approved",
            DomainError::ReopenWindowExpired => "reopen_window_expired",
        }
    }
}

impl From<UnknownValue> for DomainError {
    fn from(e: UnknownValue) -> Self {
        DomainError::Invalid { field: e.kind, reason: format!("unknown value `{}`", e.value) }
    }
}
