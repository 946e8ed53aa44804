use crate::status::Status;

/// A stored or received value outside a closed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

/// Why a value was refused. Each has a stable `code` so pages can say it in the user's
/// language; `Display` is the English text used by the API and the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Required,
    TooLong {
        max: usize,
    },
    TooShort {
        min: usize,
    },
    ControlCharacters,
    InvalidEmail,
    OutOfRange {
        min: i64,
        max: i64,
    },
    NotFound,
    NotANumber,
    NotADate,
    NotAnOption,
    NotOneLine,
    MustBeChecked,
    WrongType,
    Incorrect,
    InvalidPhone,
    /// Another entry of the same kind has this value already (names are unique).
    Duplicate,
    /// It would make something its own ancestor.
    Cycle,
    Other(String),
}

impl Reason {
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Required => "required",
            Reason::TooLong { .. } => "too_long",
            Reason::TooShort { .. } => "too_short",
            Reason::ControlCharacters => "control_characters",
            Reason::InvalidEmail => "invalid_email",
            Reason::OutOfRange { .. } => "out_of_range",
            Reason::NotFound => "not_found",
            Reason::NotANumber => "not_a_number",
            Reason::NotADate => "not_a_date",
            Reason::NotAnOption => "not_an_option",
            Reason::NotOneLine => "not_one_line",
            Reason::MustBeChecked => "must_be_checked",
            Reason::WrongType => "wrong_type",
            Reason::Incorrect => "incorrect",
            Reason::InvalidPhone => "invalid_phone",
            Reason::Duplicate => "duplicate",
            Reason::Cycle => "cycle",
            Reason::Other(_) => "other",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::Required => f.write_str("is required"),
            Reason::TooLong { max } => write!(f, "is longer than {max} characters"),
            Reason::TooShort { min } => write!(f, "must have at least {min} characters"),
            Reason::ControlCharacters => f.write_str("contains control characters"),
            Reason::InvalidEmail => f.write_str("is not a valid e-mail address"),
            Reason::OutOfRange { min, max } => write!(f, "must be between {min} and {max}"),
            Reason::NotFound => f.write_str("does not exist"),
            Reason::NotANumber => f.write_str("must be a number"),
            Reason::NotADate => f.write_str("must be a date as YYYY-MM-DD"),
            Reason::NotAnOption => f.write_str("is not one of the options"),
            Reason::NotOneLine => f.write_str("must be one line of at most 255 characters"),
            Reason::MustBeChecked => f.write_str("must be checked"),
            Reason::WrongType => f.write_str("has the wrong type"),
            Reason::Incorrect => f.write_str("is not correct"),
            Reason::InvalidPhone => f.write_str("may contain digits, spaces and + - ( ) only"),
            Reason::Duplicate => f.write_str("is already used by another entry"),
            Reason::Cycle => f.write_str("cannot be the entry itself or one below it"),
            Reason::Other(s) => f.write_str(s),
        }
    }
}

impl From<&str> for Reason {
    fn from(s: &str) -> Self {
        Reason::Other(s.to_string())
    }
}

impl From<String> for Reason {
    fn from(s: String) -> Self {
        Reason::Other(s)
    }
}

/// A rule of the domain said no. Each variant has a stable `code` the web layer maps to a
/// message in the user's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: Reason },
    /// A custom field of a form (named by its key) was refused.
    #[error("custom_fields.{key}: {reason}")]
    InvalidCustomField { key: String, reason: Reason },
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
    /// The thread has entries the writer had not seen when they started (collision check).
    #[error("something new arrived in this ticket since you loaded it (latest entry {latest}); read it first")]
    ThreadChanged { latest: i64 },
    /// A ticket cannot be merged, linked or collaborate with itself.
    #[error("a ticket cannot refer to itself")]
    SameTicket,
    #[error("the ticket was merged into another one")]
    AlreadyMerged,
    #[error("the tickets are already linked")]
    AlreadyLinked,
    #[error("the department has no next level to escalate to")]
    NoNextLevel,
    /// A routing rule refused the report (spam): no ticket was opened.
    #[error("this report was not accepted; if it is a real request, contact the help desk another way")]
    Rejected,
}

impl DomainError {
    pub fn invalid(field: &'static str, reason: impl Into<Reason>) -> Self {
        DomainError::Invalid { field, reason: reason.into() }
    }

    /// Stable machine-readable code, used in API errors and translation keys.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::Invalid { .. } | DomainError::InvalidCustomField { .. } => "invalid_field",
            DomainError::InvalidTransition { .. } => "invalid_transition",
            DomainError::NoChange => "no_change",
            DomainError::ApprovalRequired => "approval_required",
            DomainError::ConfirmationRequired => "confirmation_required",
            DomainError::NotResolved => "not_resolved",
            DomainError::AlreadyApproved => "already_approved",
            DomainError::ReopenWindowExpired => "reopen_window_expired",
            DomainError::ThreadChanged { .. } => "thread_changed",
            DomainError::SameTicket => "same_ticket",
            DomainError::AlreadyMerged => "already_merged",
            DomainError::AlreadyLinked => "already_linked",
            DomainError::NoNextLevel => "no_next_level",
            DomainError::Rejected => "rejected",
        }
    }
}

impl From<UnknownValue> for DomainError {
    fn from(e: UnknownValue) -> Self {
        DomainError::Invalid { field: e.kind, reason: Reason::Other(format!("unknown value `{}`", e.value)) }
    }
}
