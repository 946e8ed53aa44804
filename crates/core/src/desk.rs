//! The rules of the agent's ticket desk beyond the status machine: transfers with a reason and
//! escalation to a department's next level, the per-department review of resolutions, the
//! recorded solution, merging and linking tickets, collaborators, canned responses and the
//! presence of agents on a ticket (collision notices).

use chrono::{DateTime, Duration, Utc};

use crate::authz::{self, Action, Actor, Denied, PortalRules, Scope};
use crate::error::{DomainError, Reason};
use crate::ids::*;
use crate::permission::{Access, Permission};
use crate::status::{ResolutionPolicy, StateCategory, Status};
use crate::string_enum;
use crate::thread::{Author, EventKind, TicketEvent};
use crate::ticket::Ticket;
use crate::values::parse_body;

/// Longest reason, solution or canned body accepted.
const MAX_TEXT: usize = 20_000;

fn text(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let s = parse_body(raw).map_err(|_| DomainError::invalid(field, Reason::Required))?;
    if s.chars().count() > MAX_TEXT {
        return Err(DomainError::invalid(field, Reason::TooLong { max: MAX_TEXT }));
    }
    Ok(s)
}

/// What a department adds to the desk-wide rules: where escalation goes, and whether its
/// resolutions wait for a supervisor's review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DepartmentRules {
    /// The department one level up (seed 004: level 1 -> level 2; seed 003: the operator's
    /// desk -> a specialist unit).
    pub next_level: Option<DepartmentId>,
    /// `Some(true)`: resolutions need a supervisor's approval here; `None`: the desk-wide
    /// `ResolutionPolicy::approval_required` decides.
    pub review_required: Option<bool>,
}

impl DepartmentRules {
    /// Checks the rules of `department` before they are saved.
    pub fn validate(&self, department: DepartmentId) -> Result<(), DomainError> {
        if self.next_level == Some(department) {
            return Err(DomainError::invalid("next_level_id", "cannot be the department itself"));
        }
        Ok(())
    }

    /// The resolution policy in effect for this department's tickets.
    pub fn policy(&self, desk: ResolutionPolicy) -> ResolutionPolicy {
        ResolutionPolicy { approval_required: self.review_required.unwrap_or(desk.approval_required), ..desk }
    }
}

/// Walks the next-level chain from `from` without looping: the departments above it, nearest
/// first (a misconfigured cycle stops where it repeats).
pub fn levels_above(from: DepartmentId, next: impl Fn(DepartmentId) -> Option<DepartmentId>) -> Vec<DepartmentId> {
    let mut out = Vec::new();
    let mut cur = from;
    for _ in 0..16 {
        match next(cur) {
            Some(n) if n != from && !out.contains(&n) => {
                out.push(n);
                cur = n;
            }
            _ => break,
        }
    }
    out
}

impl Ticket {
    /// Moves the ticket to another department with a reason (required), recorded on the event:
    /// `Transferred`, or `Escalated` when it goes to the next level.
    pub fn transfer(
        &mut self,
        to: DepartmentId,
        reason: &str,
        escalation: bool,
        by: &Author,
        now: DateTime<Utc>,
    ) -> Result<Vec<TicketEvent>, DomainError> {
        let reason = text("reason", reason)?;
        if to == self.department_id {
            return Err(DomainError::NoChange);
        }
        let kind = if escalation { EventKind::Escalated } else { EventKind::Transferred };
        let event = TicketEvent::new(kind, by, now, Some(self.department_id.to_string()), Some(to.to_string())).with_reason(reason);
        self.department_id = to;
        self.updated_at = now;
        Ok(vec![event])
    }

    /// Resolves the ticket with its solution (required): the status change and the solution
    /// are recorded together. `to` is a status of the resolved category.
    pub fn resolve(
        &mut self,
        to: Status,
        solution: &str,
        by: &Author,
        now: DateTime<Utc>,
        policy: &ResolutionPolicy,
    ) -> Result<(String, Vec<TicketEvent>), DomainError> {
        let solution = text("solution", solution)?;
        if to.category() != StateCategory::Resolved {
            return Err(DomainError::invalid("status", "must be a resolved status"));
        }
        let mut events = self.transition(to, by, now, policy)?;
        events.push(TicketEvent::new(EventKind::SolutionRecorded, by, now, None, Some(solution.clone())));
        Ok((solution, events))
    }

    /// Merges this ticket into `survivor`: this one closes (whatever its gates: it lives on in
    /// the survivor) and each gets an event naming the other. Returns the events of this ticket
    /// and of the survivor.
    pub fn merge_into(
        &mut self,
        survivor: &mut Ticket,
        by: &Author,
        now: DateTime<Utc>,
        policy: &ResolutionPolicy,
    ) -> Result<(Vec<TicketEvent>, Vec<TicketEvent>), DomainError> {
        if self.id == survivor.id {
            return Err(DomainError::SameTicket);
        }
        if survivor.status.category() == StateCategory::Closed {
            return Err(DomainError::invalid("into", "is closed; reopen it first"));
        }
        let mut mine = vec![TicketEvent::new(EventKind::MergedInto, by, now, None, Some(survivor.number.to_string()))];
        if self.status.category() != StateCategory::Closed {
            self.set_status(Status::CLOSED, by, now, policy, &mut mine);
        }
        self.updated_at = now;
        survivor.updated_at = now;
        let theirs = vec![TicketEvent::new(EventKind::MergedFrom, by, now, None, Some(self.number.to_string()))];
        Ok((mine, theirs))
    }
}

string_enum! {
    /// How one ticket relates to another, as seen from the first.
    pub enum LinkKind {
        Related => "related",
        /// This ticket repeats the other.
        DuplicateOf => "duplicate_of",
        /// The other ticket repeats this one.
        DuplicatedBy => "duplicated_by",
        /// This ticket is the parent of the other (a problem and its incidents).
        ParentOf => "parent_of",
        ChildOf => "child_of",
    }
}

impl LinkKind {
    /// The same link seen from the other ticket.
    pub fn inverse(self) -> LinkKind {
        match self {
            LinkKind::Related => LinkKind::Related,
            LinkKind::DuplicateOf => LinkKind::DuplicatedBy,
            LinkKind::DuplicatedBy => LinkKind::DuplicateOf,
            LinkKind::ParentOf => LinkKind::ChildOf,
            LinkKind::ChildOf => LinkKind::ParentOf,
        }
    }
}

/// A link as stored: once per pair of tickets, the lower id first, the kind as seen from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredLink {
    pub low: TicketId,
    pub high: TicketId,
    pub kind: LinkKind,
}

impl StoredLink {
    /// The stored form of "`this` is `kind` `other`"; a ticket never links to itself.
    pub fn new(this: TicketId, other: TicketId, kind: LinkKind) -> Result<StoredLink, DomainError> {
        match this.cmp(&other) {
            std::cmp::Ordering::Equal => Err(DomainError::SameTicket),
            std::cmp::Ordering::Less => Ok(StoredLink { low: this, high: other, kind }),
            std::cmp::Ordering::Greater => Ok(StoredLink { low: other, high: this, kind: kind.inverse() }),
        }
    }

    /// The other ticket and the kind as `this` sees them (`this` is one of the two).
    pub fn seen_from(&self, this: TicketId) -> (TicketId, LinkKind) {
        if this == self.low { (self.high, self.kind) } else { (self.low, self.kind.inverse()) }
    }
}

/// Someone who follows a ticket beside its owner: another agent, or a requester copied on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Collaborator {
    Agent(AgentId),
    Requester(RequesterId),
}

impl std::fmt::Display for Collaborator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Collaborator::Agent(id) => write!(f, "agent:{id}"),
            Collaborator::Requester(id) => write!(f, "requester:{id}"),
        }
    }
}

/// The event recording that a collaborator was added (or removed).
pub fn collaborator_event(who: Collaborator, added: bool, by: &Author, now: DateTime<Utc>) -> TicketEvent {
    if added {
        TicketEvent::new(EventKind::CollaboratorAdded, by, now, None, Some(who.to_string()))
    } else {
        TicketEvent::new(EventKind::CollaboratorRemoved, by, now, Some(who.to_string()), None)
    }
}

/// The events recording a link added (or removed) on both tickets, each naming the other.
pub fn link_events(this: (&Ticket, LinkKind), other: &Ticket, added: bool, by: &Author, now: DateTime<Utc>) -> (TicketEvent, TicketEvent) {
    let (t, kind) = this;
    let describe = |k: LinkKind, n: &crate::TicketNumber| Some(format!("{k} {n}"));
    let (mine, theirs) = (describe(kind, &other.number), describe(kind.inverse(), &t.number));
    if added {
        (TicketEvent::new(EventKind::Linked, by, now, None, mine), TicketEvent::new(EventKind::Linked, by, now, None, theirs))
    } else {
        (TicketEvent::new(EventKind::Unlinked, by, now, mine, None), TicketEvent::new(EventKind::Unlinked, by, now, theirs, None))
    }
}

string_enum! {
    /// What an agent is doing on a ticket, for the collision notice.
    pub enum Activity {
        Viewing => "viewing",
        Replying => "replying",
    }
}

/// How long a presence counts after the agent's page last said so.
pub const PRESENCE_TTL: Duration = Duration::seconds(60);

/// Whether a presence last seen at `seen_at` still counts at `now`.
pub fn present(seen_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - seen_at <= PRESENCE_TTL
}

/// The collision check before a reply or note: refused when the thread has an entry newer
/// than the last one the writer saw.
pub fn check_seen(last_seen: Option<EntryId>, latest: Option<EntryId>) -> Result<(), DomainError> {
    match (last_seen, latest) {
        (Some(seen), Some(latest)) if latest > seen => Err(DomainError::ThreadChanged { latest: latest.get() }),
        _ => Ok(()),
    }
}

/// Who a canned response belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannedOwner {
    /// One agent's own.
    Personal(AgentId),
    /// Shared with the agents of one department.
    Department(DepartmentId),
    /// Shared with every agent.
    Desk,
}

/// A canned response's text parts, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedText {
    pub title: String,
    pub body: String,
}

impl CannedText {
    pub fn parse(title: &str, body: &str) -> Result<CannedText, DomainError> {
        let title = title.trim();
        if title.is_empty() {
            return Err(DomainError::invalid("title", Reason::Required));
        }
        if title.chars().count() > 120 || title.chars().any(char::is_control) {
            return Err(DomainError::invalid("title", "must be one line of at most 120 characters"));
        }
        Ok(CannedText { title: title.to_string(), body: text("body", body)? })
    }
}

/// Whether `actor` (who is agent `me`, if an agent) sees a canned response of `owner`.
pub fn may_see_canned(actor: Actor<'_>, me: Option<AgentId>, owner: CannedOwner) -> bool {
    match (actor, owner) {
        (Actor::Integration, _) => true,
        (Actor::Agent(_), CannedOwner::Desk) => true,
        (Actor::Agent(access), CannedOwner::Department(d)) => access.allows(d, Permission::TicketView),
        (Actor::Agent(_), CannedOwner::Personal(a)) => me == Some(a),
        (Actor::Requester { .. } | Actor::TicketLink { .. }, _) => false,
    }
}

/// Whether `actor` may create, change or delete a canned response of `owner`: their own
/// always; a department's with `ManageCanned` there; the desk's only with full access.
pub fn may_manage_canned(actor: Actor<'_>, me: Option<AgentId>, owner: CannedOwner) -> Result<(), Denied> {
    match (actor, owner) {
        (Actor::Integration, _) => Ok(()),
        (Actor::Agent(_), CannedOwner::Personal(a)) if me == Some(a) => Ok(()),
        (Actor::Agent(access), CannedOwner::Department(d)) => {
            authz::authorize(actor, Action::ManageCanned, &Scope::department(d), PortalRules::default())
                .map_err(|_| if access.allows(d, Permission::TicketView) { Denied::Forbidden } else { Denied::Hidden })
        }
        (Actor::Agent(access), CannedOwner::Desk) if access.all => Ok(()),
        (Actor::Agent(_), CannedOwner::Desk) => Err(Denied::Forbidden),
        _ => Err(Denied::Hidden),
    }
}

/// The departments where `access` may do `perm` (`None`: all of them).
pub fn departments_allowing(access: &Access, perm: Permission) -> Option<Vec<DepartmentId>> {
    if access.all {
        return None;
    }
    Some(access.grants.iter().filter(|(_, p)| p.contains(&perm)).map(|(d, _)| *d).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::TicketNumber;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_000_000 + s, 0).expect("time")
    }

    fn ticket(id: i64, number: &str) -> Ticket {
        let mut t = Ticket::sample();
        t.id = TicketId(id);
        t.number = TicketNumber::parse(number).expect("number");
        t
    }

    const ANA: Author = Author::Agent(AgentId(7));

    #[test]
    fn transfers_need_a_reason_and_escalations_say_so() {
        let mut t = Ticket::sample();
        assert_eq!(t.transfer(DepartmentId(2), "  ", false, &ANA, at(1)), Err(DomainError::invalid("reason", Reason::Required)));
        assert_eq!(t.transfer(t.department_id, "x", false, &ANA, at(1)), Err(DomainError::NoChange));
        let events = t.transfer(DepartmentId(2), "Es de redes", true, &ANA, at(1)).expect("escalate");
        assert_eq!(t.department_id, DepartmentId(2));
        assert_eq!(events[0].kind, EventKind::Escalated);
        assert_eq!((events[0].before.as_deref(), events[0].after.as_deref()), (Some("1"), Some("2")));
        assert_eq!(events[0].reason.as_deref(), Some("Es de redes"));
        let events = t.transfer(DepartmentId(3), "otra", false, &ANA, at(2)).expect("transfer");
        assert_eq!(events[0].kind, EventKind::Transferred);
    }

    #[test]
    fn department_rules_override_the_desk_review_policy() {
        let desk = ResolutionPolicy::default();
        assert!(!DepartmentRules::default().policy(desk).approval_required);
        let review = DepartmentRules { review_required: Some(true), ..Default::default() };
        assert!(review.policy(desk).approval_required);
        let strict = ResolutionPolicy { approval_required: true, ..desk };
        assert!(DepartmentRules::default().policy(strict).approval_required);
        assert!(!DepartmentRules { review_required: Some(false), ..Default::default() }.policy(strict).approval_required);
        let own = DepartmentRules { next_level: Some(DepartmentId(4)), ..Default::default() };
        assert!(own.validate(DepartmentId(4)).is_err());
        assert!(own.validate(DepartmentId(3)).is_ok());
        let next = |d: DepartmentId| match d.0 {
            1 => Some(DepartmentId(2)),
            2 => Some(DepartmentId(3)),
            3 => Some(DepartmentId(1)),
            _ => None,
        };
        assert_eq!(levels_above(DepartmentId(1), next), vec![DepartmentId(2), DepartmentId(3)], "a cycle stops");
        assert!(levels_above(DepartmentId(9), next).is_empty());
    }

    #[test]
    fn resolving_records_the_solution_and_the_review_gate() {
        let mut t = Ticket::sample();
        let review = ResolutionPolicy { approval_required: true, ..Default::default() };
        assert!(t.resolve(Status::RESOLVED, "", &ANA, at(1), &review).is_err(), "a solution is required");
        assert!(t.resolve(Status::OPEN, "x", &ANA, at(1), &review).is_err(), "only to a resolved status");
        let (solution, events) = t.resolve(Status::RESOLVED, " Se cambió el teclado ", &ANA, at(1), &review).expect("resolve");
        assert_eq!(solution, "Se cambió el teclado");
        assert_eq!(t.status, Status::RESOLVED);
        assert!(!t.resolution_approved, "waits for the supervisor");
        assert_eq!(events.last().map(|e| e.kind), Some(EventKind::SolutionRecorded));
        assert!(events.iter().all(|e| e.kind.is_public()), "the requester sees the solution");
    }

    #[test]
    fn merging_closes_the_merged_one_and_names_each_other() {
        let mut merged = ticket(1, "000001");
        let mut survivor = ticket(2, "000002");
        let policy = ResolutionPolicy { approval_required: true, ..Default::default() };
        let mut same = merged.clone();
        assert_eq!(merged.merge_into(&mut same, &ANA, at(1), &policy), Err(DomainError::SameTicket));
        let (mine, theirs) = merged.merge_into(&mut survivor, &ANA, at(1), &policy).expect("merge");
        assert_eq!(merged.status, Status::CLOSED, "closed whatever the review gate");
        assert_eq!(mine[0].kind, EventKind::MergedInto);
        assert_eq!(mine[0].after.as_deref(), Some("000002"));
        assert_eq!(theirs[0].kind, EventKind::MergedFrom);
        assert_eq!(theirs[0].after.as_deref(), Some("000001"));
        let mut third = ticket(3, "000003");
        assert!(third.merge_into(&mut merged, &ANA, at(2), &policy).is_err(), "not into a closed ticket");
    }

    #[test]
    fn links_are_stored_once_and_read_both_ways() {
        let (a, b) = (TicketId(5), TicketId(9));
        assert_eq!(StoredLink::new(a, a, LinkKind::Related), Err(DomainError::SameTicket));
        let from_b = StoredLink::new(b, a, LinkKind::ChildOf).expect("link");
        assert_eq!(from_b, StoredLink { low: a, high: b, kind: LinkKind::ParentOf });
        assert_eq!(from_b.seen_from(a), (b, LinkKind::ParentOf));
        assert_eq!(from_b.seen_from(b), (a, LinkKind::ChildOf));
        for k in LinkKind::ALL {
            assert_eq!(k.inverse().inverse(), *k);
            assert_eq!(StoredLink::new(a, b, *k).expect("l").seen_from(b).1, k.inverse());
        }
        let (ta, tb) = (ticket(5, "000005"), ticket(9, "000009"));
        let (mine, theirs) = link_events((&ta, LinkKind::DuplicateOf), &tb, true, &ANA, at(1));
        assert_eq!(mine.after.as_deref(), Some("duplicate_of 000009"));
        assert_eq!(theirs.after.as_deref(), Some("duplicated_by 000005"));
    }

    #[test]
    fn presence_expires_and_the_collision_check_compares_entries() {
        assert!(present(at(0), at(60)));
        assert!(!present(at(0), at(61)));
        assert_eq!(check_seen(None, Some(EntryId(9))), Ok(()), "no check asked");
        assert_eq!(check_seen(Some(EntryId(9)), Some(EntryId(9))), Ok(()));
        assert_eq!(check_seen(Some(EntryId(8)), Some(EntryId(9))), Err(DomainError::ThreadChanged { latest: 9 }));
        assert_eq!(DomainError::ThreadChanged { latest: 9 }.code(), "thread_changed");
    }

    #[test]
    fn canned_responses_by_owner() {
        let mut access = Access::default();
        let roles = crate::permission::builtin_roles();
        let role = |n: &str| roles.iter().find(|(r, _)| *r == n).map(|(_, p)| p.clone()).expect("role");
        access.grant(DepartmentId(1), role("agent"));
        access.grant(DepartmentId(2), role("read_only"));
        let me = Some(AgentId(7));
        let agent = Actor::Agent(&access);
        assert!(may_see_canned(agent, me, CannedOwner::Desk));
        assert!(may_see_canned(agent, me, CannedOwner::Department(DepartmentId(2))));
        assert!(!may_see_canned(agent, me, CannedOwner::Department(DepartmentId(3))));
        assert!(may_see_canned(agent, me, CannedOwner::Personal(AgentId(7))));
        assert!(!may_see_canned(agent, me, CannedOwner::Personal(AgentId(8))));
        assert_eq!(may_manage_canned(agent, me, CannedOwner::Personal(AgentId(7))), Ok(()));
        assert_eq!(may_manage_canned(agent, me, CannedOwner::Personal(AgentId(8))), Err(Denied::Hidden));
        assert_eq!(may_manage_canned(agent, me, CannedOwner::Department(DepartmentId(1))), Ok(()));
        assert_eq!(may_manage_canned(agent, me, CannedOwner::Department(DepartmentId(2))), Err(Denied::Forbidden), "read only");
        assert_eq!(may_manage_canned(agent, me, CannedOwner::Department(DepartmentId(3))), Err(Denied::Hidden));
        assert_eq!(may_manage_canned(agent, me, CannedOwner::Desk), Err(Denied::Forbidden));
        let admin = Access::full();
        assert_eq!(may_manage_canned(Actor::Agent(&admin), me, CannedOwner::Desk), Ok(()));
        let requester = Actor::Requester { id: RequesterId(1), organisation: None };
        assert!(!may_see_canned(requester, None, CannedOwner::Desk));
        assert!(CannedText::parse("", "x").is_err());
        assert!(CannedText::parse("Saludo", "").is_err());
        assert!(CannedText::parse("a\nb", "x").is_err());
        assert_eq!(departments_allowing(&access, Permission::TicketReply), Some(vec![DepartmentId(1)]));
        assert_eq!(departments_allowing(&admin, Permission::TicketApprove), None);
    }
}
