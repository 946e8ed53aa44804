//! Ticket statuses and the status machine. Statuses are data: the built-in ones below plus any
//! an administrator adds, each mapped to one of the core's state categories
//! (new -> open -> pending -> resolved -> closed, with reopen). The graph of allowed moves is
//! defined on categories, so an added status behaves like the built-in ones of its category.

use std::borrow::Cow;

use crate::error::DomainError;
use crate::string_enum;

string_enum! {
    /// The state categories the status machine knows. Every status belongs to one.
    pub enum StateCategory {
        New => "new",
        Open => "open",
        Pending => "pending",
        Resolved => "resolved",
        Closed => "closed",
    }
}

impl StateCategory {
    /// Whether tickets in this category still need work from the desk ("open" tabs, queues).
    pub fn is_active(self) -> bool {
        !matches!(self, StateCategory::Resolved | StateCategory::Closed)
    }

    /// The categories that count as active, or as done.
    pub fn active() -> Vec<StateCategory> {
        StateCategory::ALL.iter().copied().filter(|c| c.is_active()).collect()
    }

    pub fn done() -> Vec<StateCategory> {
        StateCategory::ALL.iter().copied().filter(|c| !c.is_active()).collect()
    }

    /// The bare graph of allowed moves between categories; gates (approval, confirmation,
    /// reopen window) are checked by `Ticket::transition`. Moves inside a category (one pending
    /// status to another) are allowed where work is still going on.
    pub fn can_move_to(self, to: StateCategory) -> bool {
        use StateCategory as C;
        match (self, to) {
            (_, C::New) => false,
            (C::New | C::Open | C::Pending, _) => true,
            (C::Resolved, C::Open | C::Closed) => true,
            (C::Resolved, _) => false,
            (C::Closed, C::Open) => true,
            (C::Closed, _) => false,
        }
    }
}

/// The key that names a status in the database, the API and the history: lowercase ASCII
/// letters, digits and `_`, 2-40 characters (`pending_requester`, `en_revision_proveedor`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusKey(Cow<'static, str>);

impl StatusKey {
    pub fn parse(s: &str) -> Result<StatusKey, DomainError> {
        let ok = (2..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && s.as_bytes()[0].is_ascii_lowercase();
        if ok {
            Ok(StatusKey(Cow::Owned(s.to_string())))
        } else {
            Err(DomainError::invalid("status", "must be 2-40 lowercase letters, digits or _, starting with a letter"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for StatusKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for StatusKey {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        StatusKey::parse(s)
    }
}

/// A ticket's status: its key, its category, and for pending statuses whether it waits on the
/// requester (whose reply then reopens the ticket; SLA plans may pause the clock on it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Status {
    key: StatusKey,
    category: StateCategory,
    awaits_requester: bool,
}

const fn builtin(key: &'static str, category: StateCategory, awaits_requester: bool) -> Status {
    Status { key: StatusKey(Cow::Borrowed(key)), category, awaits_requester }
}

impl Status {
    pub const NEW: Status = builtin("new", StateCategory::New, false);
    pub const OPEN: Status = builtin("open", StateCategory::Open, false);
    pub const PENDING_REQUESTER: Status = builtin("pending_requester", StateCategory::Pending, true);
    pub const PENDING_THIRD_PARTY: Status = builtin("pending_third_party", StateCategory::Pending, false);
    pub const RESOLVED: Status = builtin("resolved", StateCategory::Resolved, false);
    pub const CLOSED: Status = builtin("closed", StateCategory::Closed, false);

    /// The statuses every desk has; the status machine moves tickets to these on its own (a
    /// first reply opens, a requester's reply reopens, approval closes). They can be renamed
    /// but not retired.
    pub const BUILTIN: [Status; 6] =
        [Status::NEW, Status::OPEN, Status::PENDING_REQUESTER, Status::PENDING_THIRD_PARTY, Status::RESOLVED, Status::CLOSED];

    /// A status an administrator defines. Only pending statuses can wait on the requester.
    pub fn new(key: StatusKey, category: StateCategory, awaits_requester: bool) -> Result<Status, DomainError> {
        if awaits_requester && category != StateCategory::Pending {
            return Err(DomainError::invalid("awaits_requester", "only a pending status can wait on the requester"));
        }
        Ok(Status { key, category, awaits_requester })
    }

    /// The built-in status with this key, if it is one.
    pub fn builtin(key: &str) -> Option<Status> {
        Status::BUILTIN.into_iter().find(|s| s.key.as_str() == key)
    }

    pub fn is_builtin(&self) -> bool {
        Status::builtin(self.key.as_str()).is_some()
    }

    pub fn key(&self) -> &StatusKey {
        &self.key
    }

    pub fn as_str(&self) -> &str {
        self.key.as_str()
    }

    pub fn category(&self) -> StateCategory {
        self.category
    }

    pub fn awaits_requester(&self) -> bool {
        self.awaits_requester
    }

    /// Whether the ticket still needs work from the desk (counts as "open" in queues and tabs).
    pub fn is_active(&self) -> bool {
        self.category.is_active()
    }

    /// The graph of allowed moves: never to itself, never back to a new status, otherwise as
    /// the categories allow (a resolved ticket does not move to another resolved status, nor a
    /// closed one to another closed status).
    pub fn can_move_to(&self, to: &Status) -> bool {
        if self.key == to.key {
            return false;
        }
        let (from, to) = (self.category, to.category);
        if from == to && matches!(from, StateCategory::Resolved | StateCategory::Closed) {
            return false;
        }
        from.can_move_to(to)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key.as_str())
    }
}

/// A status as the desk configures it: names per language, order in lists, and whether it can
/// still be chosen (a retired status stays on the tickets that have it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusDef {
    pub status: Status,
    pub name_es: String,
    pub name_en: String,
    pub position: i32,
    pub active: bool,
}

impl StatusDef {
    /// The name in `lang` ("es" or "en"); Spanish otherwise.
    pub fn name(&self, lang: &str) -> &str {
        if lang == "en" { &self.name_en } else { &self.name_es }
    }

    /// The built-in statuses with their default names.
    pub fn builtin() -> Vec<StatusDef> {
        let names = [
            ("Nuevo", "New"),
            ("Abierto", "Open"),
            ("En espera del solicitante", "Waiting on the requester"),
            ("En espera de terceros", "Waiting on a third party"),
            ("Resuelto", "Resolved"),
            ("Cerrado", "Closed"),
        ];
        Status::BUILTIN
            .into_iter()
            .zip(names)
            .zip(0..)
            .map(|((status, (es, en)), i)| StatusDef { status, name_es: es.into(), name_en: en.into(), position: i * 10, active: true })
            .collect()
    }

    /// Checks names for a new or renamed status: 1-60 characters each, no control characters.
    pub fn validate_name(field: &'static str, name: &str) -> Result<String, DomainError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
            return Err(DomainError::invalid(field, "must be 1-60 characters without control characters"));
        }
        Ok(name.to_string())
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

    fn custom(key: &str, c: StateCategory) -> Status {
        Status::new(StatusKey::parse(key).expect("key"), c, false).expect("status")
    }

    #[test]
    fn graph_of_builtins() {
        for s in Status::BUILTIN {
            assert!(!s.can_move_to(&s), "{s} to itself");
            assert!(!s.can_move_to(&Status::NEW), "{s} back to new");
        }
        assert!(Status::NEW.can_move_to(&Status::OPEN));
        assert!(Status::OPEN.can_move_to(&Status::PENDING_REQUESTER));
        assert!(Status::PENDING_REQUESTER.can_move_to(&Status::PENDING_THIRD_PARTY));
        assert!(Status::PENDING_THIRD_PARTY.can_move_to(&Status::RESOLVED));
        assert!(Status::RESOLVED.can_move_to(&Status::OPEN));
        assert!(Status::RESOLVED.can_move_to(&Status::CLOSED));
        assert!(!Status::RESOLVED.can_move_to(&Status::PENDING_REQUESTER));
        assert!(Status::CLOSED.can_move_to(&Status::OPEN));
        assert!(!Status::CLOSED.can_move_to(&Status::RESOLVED));
        assert!(!Status::CLOSED.can_move_to(&Status::PENDING_THIRD_PARTY));
    }

    #[test]
    fn added_statuses_follow_their_category() {
        let in_progress = custom("en_progreso", StateCategory::Open);
        let vendor = custom("espera_proveedor", StateCategory::Pending);
        let solved_remote = custom("resuelto_remoto", StateCategory::Resolved);
        let cancelled = custom("anulado", StateCategory::Closed);
        let triage = custom("triaje", StateCategory::New);
        assert!(Status::OPEN.can_move_to(&in_progress), "within open");
        assert!(in_progress.can_move_to(&vendor));
        assert!(vendor.can_move_to(&solved_remote));
        assert!(!solved_remote.can_move_to(&Status::RESOLVED), "resolved to resolved");
        assert!(solved_remote.can_move_to(&cancelled));
        assert!(!cancelled.can_move_to(&Status::CLOSED), "closed to closed");
        assert!(cancelled.can_move_to(&in_progress), "reopen into an added open status");
        assert!(!Status::OPEN.can_move_to(&triage), "never back to a new status");
        assert!(triage.can_move_to(&Status::OPEN));
    }

    #[test]
    fn keys_are_checked() {
        for bad in ["", "a", "Abierto", "en progreso", "1abc", "x;drop", &"a".repeat(41), "ñandú"] {
            assert!(StatusKey::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(StatusKey::parse("espera_proveedor_2").expect("key").as_str(), "espera_proveedor_2");
    }

    #[test]
    fn only_pending_statuses_wait_on_the_requester() {
        let k = StatusKey::parse("esperando").expect("key");
        assert!(Status::new(k.clone(), StateCategory::Open, true).is_err());
        assert!(Status::new(k, StateCategory::Pending, true).expect("pending").awaits_requester());
        assert!(Status::PENDING_REQUESTER.awaits_requester());
        assert!(!Status::PENDING_THIRD_PARTY.awaits_requester());
    }

    #[test]
    fn builtins_are_known_and_named() {
        for s in Status::BUILTIN {
            assert_eq!(Status::builtin(s.as_str()), Some(s.clone()));
            assert!(s.is_builtin());
        }
        assert!(Status::builtin("reopened").is_none());
        let defs = StatusDef::builtin();
        assert_eq!(defs.len(), 6);
        assert_eq!(defs[4].name("en"), "Resolved");
        assert_eq!(defs[4].name("es"), "Resuelto");
        assert!(StatusDef::validate_name("name_es", " ").is_err());
        assert!(StatusDef::validate_name("name_es", "a\u{7}b").is_err());
    }

    #[test]
    fn categories() {
        assert!(StateCategory::Pending.is_active());
        assert!(!StateCategory::Resolved.is_active());
        assert_eq!(StateCategory::active(), vec![StateCategory::New, StateCategory::Open, StateCategory::Pending]);
        assert_eq!(StateCategory::done(), vec![StateCategory::Resolved, StateCategory::Closed]);
    }
}
