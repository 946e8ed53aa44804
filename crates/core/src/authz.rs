//! The one authorization rule: may this actor do this action on this ticket? Service, pages and
//! API all ask here; nothing else decides.

use crate::ids::{DepartmentId, OrganisationId, RequesterId, TicketId};
use crate::permission::{Access, Permission};
use crate::status::StateCategory;
use crate::ticket::{Ticket, TicketUpdate};

/// Who acts, as far as authorization cares.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// An agent, with the roles granted per department.
    Agent(&'a Access),
    /// An integration (API key) or the system itself (jobs, mail intake): full access.
    Integration,
    /// A signed-in requester and their organisation.
    Requester { id: RequesterId, organisation: Option<OrganisationId> },
    /// A requester who came through a status-check link: that one ticket only.
    TicketLink { requester: RequesterId, ticket: TicketId },
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read the ticket and its public thread.
    View,
    /// Read internal notes and internal events.
    ViewInternal,
    /// Open a ticket in a department (on someone's behalf, for staff).
    Create,
    /// A public reply from the desk.
    Reply,
    /// An internal note.
    Note,
    /// A requester's message on their ticket.
    RequesterMessage,
    /// Subject, type, help topic, priority.
    Edit,
    /// Owner, responsible, team.
    Assign,
    /// Move the ticket to another department.
    Transfer,
    /// Time estimate and logged time.
    LogTime,
    /// Change the status to one of `to`, from one of `from`.
    SetStatus { from: StateCategory, to: StateCategory },
    /// A supervisor approves or returns a resolution.
    ReviewResolution,
    /// The requester confirms or rejects a resolution.
    AnswerResolution,
    /// Merge this ticket into another, or another into it (needed on both).
    Merge,
    /// Link tickets (related, duplicate, parent/child), or remove a link.
    Link,
    /// Add or remove collaborators (other agents, CC requesters).
    Collaborate,
    /// Move the ticket to its department's next level.
    Escalate,
    /// Create, change or delete the canned responses of a department.
    ManageCanned,
    /// Delete a ticket.
    Delete,
}

impl Action {
    /// One of each action (status changes once per kind of permission they need), for tests
    /// and documentation that must cover them all.
    pub const EXAMPLES: &'static [Action] = &[
        Action::View,
        Action::ViewInternal,
        Action::Create,
        Action::Reply,
        Action::Note,
        Action::RequesterMessage,
        Action::Edit,
        Action::Assign,
        Action::Transfer,
        Action::LogTime,
        Action::SetStatus { from: StateCategory::Open, to: StateCategory::Resolved },
        Action::SetStatus { from: StateCategory::Resolved, to: StateCategory::Closed },
        Action::SetStatus { from: StateCategory::Closed, to: StateCategory::Open },
        Action::SetStatus { from: StateCategory::Open, to: StateCategory::Pending },
        Action::ReviewResolution,
        Action::AnswerResolution,
        Action::Merge,
        Action::Link,
        Action::Collaborate,
        Action::Escalate,
        Action::ManageCanned,
        Action::Delete,
    ];

    /// The permission an agent needs for this action in the ticket's department; `None` for
    /// what only requesters do.
    pub fn permission(self) -> Option<Permission> {
        permission(self)
    }
}

/// The facts about a ticket the rule needs. `requester_organisation` is the organisation of the
/// ticket's requester, looked up only when a requester asks to see a colleague's ticket.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub ticket: Option<TicketId>,
    pub department: DepartmentId,
    pub requester: Option<RequesterId>,
    pub requester_organisation: Option<OrganisationId>,
}

impl Scope {
    pub fn of(t: &Ticket) -> Scope {
        Scope { ticket: Some(t.id), department: t.department_id, requester: Some(t.requester_id), requester_organisation: None }
    }

    /// A ticket not opened yet, in this department.
    pub fn department(department: DepartmentId) -> Scope {
        Scope { ticket: None, department, requester: None, requester_organisation: None }
    }

    pub fn with_organisation(mut self, org: Option<OrganisationId>) -> Scope {
        self.requester_organisation = org;
        self
    }
}

/// The policy parts that widen what requesters see.
#[derive(Debug, Clone, Copy, Default)]
pub struct PortalRules {
    /// Members of an organisation may see each other's tickets.
    pub organisation_tickets: bool,
}

/// Why not. `Hidden` must look like "not found" to the caller (no probing of ticket numbers);
/// `Forbidden` is for someone who may see the ticket but not do this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    Hidden,
    Forbidden,
}

/// The permission an agent needs for an action, if the action is one agents do.
fn permission(action: Action) -> Option<Permission> {
    Some(match action {
        Action::View => Permission::TicketView,
        Action::ViewInternal => Permission::TicketView,
        Action::Create => Permission::TicketCreate,
        Action::Reply => Permission::TicketReply,
        Action::Note => Permission::TicketNote,
        Action::Edit => Permission::TicketEdit,
        Action::Assign => Permission::TicketAssign,
        Action::Transfer => Permission::TicketTransfer,
        Action::LogTime => Permission::TimeLog,
        Action::SetStatus { to: StateCategory::Resolved, .. } => Permission::TicketResolve,
        Action::SetStatus { to: StateCategory::Closed, .. } => Permission::TicketClose,
        Action::SetStatus { from: StateCategory::Closed, .. } => Permission::TicketReopen,
        Action::SetStatus { .. } => Permission::TicketReply,
        Action::ReviewResolution => Permission::TicketApprove,
        // Merging and linking change what the ticket is; both are edits of it.
        Action::Merge | Action::Link => Permission::TicketEdit,
        // Who works on a ticket beside its owner is part of assigning it.
        Action::Collaborate => Permission::TicketAssign,
        Action::Escalate => Permission::TicketTransfer,
        // Canned responses are shared knowledge of a department.
        Action::ManageCanned => Permission::KbEdit,
        Action::Delete => Permission::TicketDelete,
        Action::RequesterMessage | Action::AnswerResolution => return None,
    })
}

/// Whether a requester (or link holder) can see the ticket at all.
fn requester_sees(actor: Actor<'_>, scope: &Scope, rules: PortalRules) -> bool {
    match actor {
        Actor::Requester { id, organisation } => {
            scope.requester == Some(id)
                || (rules.organisation_tickets && organisation.is_some() && scope.requester_organisation == organisation)
        }
        Actor::TicketLink { requester, ticket } => scope.ticket == Some(ticket) && scope.requester == Some(requester),
        Actor::Agent(_) | Actor::Integration => false,
    }
}

/// The rule. For an existing ticket, an actor who may not view it is always `Hidden`, whatever
/// the action, so the answer never tells that the ticket exists.
pub fn authorize(actor: Actor<'_>, action: Action, scope: &Scope, rules: PortalRules) -> Result<(), Denied> {
    match actor {
        // Only the requester answers for a solution; nobody answers in their name.
        Actor::Integration | Actor::Agent(_) if action == Action::AnswerResolution => {
            if let Actor::Agent(access) = actor
                && scope.ticket.is_some()
                && !access.allows(scope.department, Permission::TicketView)
            {
                return Err(Denied::Hidden);
            }
            Err(Denied::Forbidden)
        }
        Actor::Integration => Ok(()),
        Actor::Agent(access) => {
            if scope.ticket.is_some() && !access.allows(scope.department, Permission::TicketView) {
                return Err(Denied::Hidden);
            }
            match permission(action) {
                Some(p) if access.allows(scope.department, p) => Ok(()),
                _ => Err(Denied::Forbidden),
            }
        }
        Actor::Requester { .. } | Actor::TicketLink { .. } => {
            if action == Action::Create {
                // Requesters open tickets for themselves; a link opens nothing.
                return if matches!(actor, Actor::Requester { .. }) { Ok(()) } else { Err(Denied::Forbidden) };
            }
            if !requester_sees(actor, scope, rules) {
                return Err(Denied::Hidden);
            }
            match action {
                Action::View | Action::RequesterMessage => Ok(()),
                // Only the ticket's own requester answers for the solution, not a colleague.
                Action::AnswerResolution => {
                    let own = match actor {
                        Actor::Requester { id, .. } => scope.requester == Some(id),
                        Actor::TicketLink { requester, .. } => scope.requester == Some(requester),
                        _ => false,
                    };
                    if own { Ok(()) } else { Err(Denied::Forbidden) }
                }
                _ => Err(Denied::Forbidden),
            }
        }
    }
}

impl TicketUpdate {
    /// The actions an update performs on `t`, each needing its own permission.
    pub fn actions(&self, t: &Ticket) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.priority.is_some()
            || self.impact_urgency.is_some()
            || self.kind.is_some()
            || self.subject.is_some()
            || self.help_topic_id.is_some()
        {
            actions.push(Action::Edit);
        }
        if self.owner_id.is_some() || self.responsible_id.is_some() || self.team_id.is_some() {
            actions.push(Action::Assign);
        }
        if self.time_estimate_minutes.is_some() {
            actions.push(Action::LogTime);
        }
        if self.department_id.is_some() {
            actions.push(Action::Transfer);
        }
        if let Some(to) = &self.status {
            actions.push(Action::SetStatus { from: t.status.category(), to: to.category() });
        }
        actions
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::Status;

    const SOPORTE: DepartmentId = DepartmentId(1);
    const REDES: DepartmentId = DepartmentId(2);

    fn ticket_scope(dept: DepartmentId, requester: i64) -> Scope {
        Scope { ticket: Some(TicketId(10)), department: dept, requester: Some(RequesterId(requester)), requester_organisation: None }
    }

    fn agent() -> Access {
        let mut a = Access::default();
        let roles = crate::permission::builtin_roles();
        let agent = roles.iter().find(|(n, _)| *n == "agent").map(|(_, p)| p.clone()).expect("role");
        a.grant(SOPORTE, agent);
        a
    }

    #[test]
    fn agents_act_only_in_their_departments() {
        let access = agent();
        let me = Actor::Agent(&access);
        let rules = PortalRules::default();
        assert_eq!(authorize(me, Action::View, &ticket_scope(SOPORTE, 1), rules), Ok(()));
        assert_eq!(authorize(me, Action::Reply, &ticket_scope(SOPORTE, 1), rules), Ok(()));
        assert_eq!(authorize(me, Action::ReviewResolution, &ticket_scope(SOPORTE, 1), rules), Err(Denied::Forbidden));
        for action in [Action::View, Action::Reply, Action::Note, Action::Edit] {
            assert_eq!(authorize(me, action, &ticket_scope(REDES, 1), rules), Err(Denied::Hidden), "{action:?} elsewhere is hidden");
        }
        assert_eq!(authorize(me, Action::Create, &Scope::department(SOPORTE), rules), Ok(()));
        assert_eq!(authorize(me, Action::Create, &Scope::department(REDES), rules), Err(Denied::Forbidden));
    }

    #[test]
    fn status_changes_need_the_matching_permission() {
        let access = agent();
        let me = Actor::Agent(&access);
        let rules = PortalRules::default();
        let s = ticket_scope(SOPORTE, 1);
        let set = |from, to| authorize(me, Action::SetStatus { from, to }, &s, rules);
        assert_eq!(set(StateCategory::Open, StateCategory::Resolved), Ok(()));
        assert_eq!(set(StateCategory::Open, StateCategory::Pending), Ok(()));
        assert_eq!(set(StateCategory::Resolved, StateCategory::Closed), Err(Denied::Forbidden), "agents do not close");
        assert_eq!(set(StateCategory::Closed, StateCategory::Open), Err(Denied::Forbidden), "agents do not reopen closed tickets");
    }

    #[test]
    fn requesters_see_their_own_and_by_policy_their_organisation() {
        let org = Some(OrganisationId(5));
        let ana = Actor::Requester { id: RequesterId(1), organisation: org };
        let own = ticket_scope(SOPORTE, 1);
        let colleague = ticket_scope(SOPORTE, 2).with_organisation(org);
        let stranger = ticket_scope(SOPORTE, 3).with_organisation(Some(OrganisationId(6)));
        let closed = PortalRules { organisation_tickets: false };
        let open = PortalRules { organisation_tickets: true };
        assert_eq!(authorize(ana, Action::View, &own, closed), Ok(()));
        assert_eq!(authorize(ana, Action::View, &colleague, closed), Err(Denied::Hidden));
        assert_eq!(authorize(ana, Action::View, &colleague, open), Ok(()));
        assert_eq!(authorize(ana, Action::View, &stranger, open), Err(Denied::Hidden));
        assert_eq!(authorize(ana, Action::AnswerResolution, &own, open), Ok(()));
        assert_eq!(authorize(ana, Action::AnswerResolution, &colleague, open), Err(Denied::Forbidden), "only the requester answers");
        for staff_only in [Action::ViewInternal, Action::Reply, Action::Note, Action::Edit, Action::ReviewResolution] {
            assert_eq!(authorize(ana, staff_only, &own, open), Err(Denied::Forbidden), "{staff_only:?}");
        }
        let none = Actor::Requester { id: RequesterId(9), organisation: None };
        let orgless = ticket_scope(SOPORTE, 2);
        assert_eq!(authorize(none, Action::View, &orgless, open), Err(Denied::Hidden), "no organisation is not a shared one");
    }

    #[test]
    fn a_link_opens_one_ticket() {
        let link = Actor::TicketLink { requester: RequesterId(1), ticket: TicketId(10) };
        let rules = PortalRules { organisation_tickets: true };
        assert_eq!(authorize(link, Action::View, &ticket_scope(SOPORTE, 1), rules), Ok(()));
        assert_eq!(authorize(link, Action::AnswerResolution, &ticket_scope(SOPORTE, 1), rules), Ok(()));
        let other = Scope { ticket: Some(TicketId(11)), ..ticket_scope(SOPORTE, 1) };
        assert_eq!(authorize(link, Action::View, &other, rules), Err(Denied::Hidden));
        assert_eq!(authorize(link, Action::Create, &Scope::department(SOPORTE), rules), Err(Denied::Forbidden));
    }

    #[test]
    fn integrations_may_do_everything_but_answer_for_the_requester() {
        let rules = PortalRules::default();
        assert_eq!(authorize(Actor::Integration, Action::ReviewResolution, &ticket_scope(REDES, 1), rules), Ok(()));
        assert_eq!(authorize(Actor::Integration, Action::AnswerResolution, &ticket_scope(REDES, 1), rules), Err(Denied::Forbidden));
        let access = Access::full();
        assert_eq!(authorize(Actor::Agent(&access), Action::AnswerResolution, &ticket_scope(REDES, 1), rules), Err(Denied::Forbidden));
    }

    /// Fails to compile when an action is added without a row in the table below.
    fn covered(a: Action) -> bool {
        match a {
            Action::View
            | Action::ViewInternal
            | Action::Create
            | Action::Reply
            | Action::Note
            | Action::RequesterMessage
            | Action::Edit
            | Action::Assign
            | Action::Transfer
            | Action::LogTime
            | Action::SetStatus { .. }
            | Action::ReviewResolution
            | Action::AnswerResolution
            | Action::Merge
            | Action::Link
            | Action::Collaborate
            | Action::Escalate
            | Action::ManageCanned
            | Action::Delete => true,
        }
    }

    #[test]
    fn every_action_for_an_allowed_and_a_refused_agent() {
        use Permission as P;
        let (open, resolved, closed, pending) =
            (StateCategory::Open, StateCategory::Resolved, StateCategory::Closed, StateCategory::Pending);
        // action, the permission it needs (None: agents never do it)
        let table: &[(Action, Option<Permission>)] = &[
            (Action::View, Some(P::TicketView)),
            (Action::ViewInternal, Some(P::TicketView)),
            (Action::Create, Some(P::TicketCreate)),
            (Action::Reply, Some(P::TicketReply)),
            (Action::Note, Some(P::TicketNote)),
            (Action::RequesterMessage, None),
            (Action::Edit, Some(P::TicketEdit)),
            (Action::Assign, Some(P::TicketAssign)),
            (Action::Transfer, Some(P::TicketTransfer)),
            (Action::LogTime, Some(P::TimeLog)),
            (Action::SetStatus { from: open, to: resolved }, Some(P::TicketResolve)),
            (Action::SetStatus { from: resolved, to: closed }, Some(P::TicketClose)),
            (Action::SetStatus { from: closed, to: open }, Some(P::TicketReopen)),
            (Action::SetStatus { from: open, to: pending }, Some(P::TicketReply)),
            (Action::ReviewResolution, Some(P::TicketApprove)),
            (Action::AnswerResolution, None),
            (Action::Merge, Some(P::TicketEdit)),
            (Action::Link, Some(P::TicketEdit)),
            (Action::Collaborate, Some(P::TicketAssign)),
            (Action::Escalate, Some(P::TicketTransfer)),
            (Action::ManageCanned, Some(P::KbEdit)),
            (Action::Delete, Some(P::TicketDelete)),
        ];
        assert_eq!(table.len(), Action::EXAMPLES.len(), "one row per action");
        let rules = PortalRules::default();
        for (action, needed) in table {
            assert!(covered(*action));
            assert!(Action::EXAMPLES.contains(action), "{action:?} is among the examples");
            assert_eq!(action.permission(), *needed, "{action:?}");
            let scope = if *action == Action::Create { Scope::department(SOPORTE) } else { ticket_scope(SOPORTE, 1) };
            match needed {
                Some(p) => {
                    // Allowed: view plus exactly the permission needed, in the ticket's department.
                    let mut allowed = Access::default();
                    allowed.grant(SOPORTE, [P::TicketView, *p]);
                    assert_eq!(authorize(Actor::Agent(&allowed), *action, &scope, rules), Ok(()), "{action:?} allowed");
                    // Refused: every other permission there, and everything in another department.
                    let mut refused = Access::default();
                    refused.grant(SOPORTE, P::ALL.iter().copied().filter(|x| x != p));
                    refused.grant(REDES, P::ALL.iter().copied());
                    let expected = if *p == P::TicketView && scope.ticket.is_some() { Denied::Hidden } else { Denied::Forbidden };
                    assert_eq!(authorize(Actor::Agent(&refused), *action, &scope, rules), Err(expected), "{action:?} refused");
                    // Elsewhere: an existing ticket of a department not granted is hidden.
                    let mut elsewhere = Access::default();
                    elsewhere.grant(REDES, P::ALL.iter().copied());
                    let expected = if scope.ticket.is_some() { Denied::Hidden } else { Denied::Forbidden };
                    assert_eq!(authorize(Actor::Agent(&elsewhere), *action, &scope, rules), Err(expected), "{action:?} elsewhere");
                }
                None => {
                    let all = Access::full();
                    assert!(authorize(Actor::Agent(&all), *action, &scope, rules).is_err(), "{action:?} is never an agent's");
                }
            }
        }
    }

    #[test]
    fn an_update_lists_its_actions() {
        let mut t = crate::ticket::Ticket::sample();
        t.status = Status::CLOSED;
        let u = TicketUpdate { owner_id: Some(None), status: Some(Status::OPEN), department_id: Some(REDES), ..Default::default() };
        assert_eq!(
            u.actions(&t),
            vec![Action::Assign, Action::Transfer, Action::SetStatus { from: StateCategory::Closed, to: StateCategory::Open }]
        );
        assert!(TicketUpdate::default().actions(&t).is_empty());
    }
}
