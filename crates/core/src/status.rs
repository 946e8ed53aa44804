//! The ticket status machine: new -> open -> pending -> resolved -> closed, with reopen and an
//! optional supervisor approval and requester confirmation of a resolution.

use crate::string_enum;

string_enum! {
    /// The built-in statuses. Administrator-defined statuses (a later feature) each map to one
    /// of their categories.
    pub enum Status {
        New => "new",
        Open => "open",
        PendingRequester => "pending_requester",
        PendingThirdParty => "pending_third_party",
        Resolved => "resolved",
        Closed => "closed",
    }
}

string_enum! {
    pub enum StateCategory {
        New => "new",
        Open => "open",
        Pending => "pending",
        Resolved => "resolved",
        Closed => "closed",
    }
}

impl Status {
    pub fn category(self) -> StateCategory {
        match self {
            Status::New => StateCategory::New,
            Status::Open => StateCategory::Open,
            Status::PendingRequester | Status::PendingThirdParty => StateCategory::Pending,
            Status::Resolved => StateCategory::Resolved,
            Status::Closed => StateCategory::Closed,
        }
    }

    /// Whether the ticket still needs work from the desk (counts as "open" in queues and tabs).
    pub fn is_active(self) -> bool {
        !matches!(self.category(), StateCategory::Resolved | StateCategory::Closed)
    }

    /// The bare graph of allowed moves; gates (approval, confirmation, reopen window) are
    /// checked by `Ticket::transition`.
    pub fn can_move_to(self, to: Status) -> bool {
        use StateCategory as C;
        if self == to || to == Status::New {
            return false;
        }
        match (self.category(), to.category()) {
            (C::New | C::Open | C::Pending, _) => true,
            (C::Resolved, C::Open | C::Closed) => true,
            (C::Resolved, _) => false,
            (C::Closed, C::Open) => true,
            (C::Closed, _) => false,
        }
    }
}

/// How resolutions end, set by the organisation (per department in a later feature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ResolutionPolicy {
    /// A supervisor must approve a resolution before the ticket closes (or return it).
    pub approval_required: bool,
    /// The requester must confirm the resolution (or the system auto-closes it later).
    pub confirmation_required: bool,
    /// Days after closing during which a requester's reply reopens the ticket; after that a new
    /// linked ticket is opened instead.
    pub reopen_window_days: u32,
}

impl Default for ResolutionPolicy {
    fn default() -> Self {
        ResolutionPolicy { approval_required: false, confirmation_required: false, reopen_window_days: 14 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph() {
        use Status::*;
        for &s in Status::ALL {
            assert!(!s.can_move_to(s), "{s} to itself");
            assert!(!s.can_move_to(New), "{s} back to new");
        }
        assert!(New.can_move_to(Open));
        assert!(Open.can_move_to(PendingRequester));
        assert!(PendingRequester.can_move_to(PendingThirdParty));
        assert!(PendingThirdParty.can_move_to(Resolved));
        assert!(Resolved.can_move_to(Open));
        assert!(Resolved.can_move_to(Closed));
        assert!(!Resolved.can_move_to(PendingRequester));
        assert!(Closed.can_move_to(Open));
        assert!(!Closed.can_move_to(Resolved));
        assert!(!Closed.can_move_to(PendingThirdParty));
    }

    #[test]
    fn strings_roundtrip_and_unknown_is_error() {
        for &s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().expect("roundtrip"), s);
        }
        assert!("reopened".parse::<Status>().is_err());
        assert!(Status::PendingThirdParty.is_active());
        assert!(!Status::Resolved.is_active());
    }
}
