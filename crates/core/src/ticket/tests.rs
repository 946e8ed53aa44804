use super::*;
use crate::fields::FieldValues;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z").map(|d| d.with_timezone(&Utc)).expect("date")
}

fn ticket() -> Ticket {
    Ticket {
        id: TicketId(1),
        number: TicketNumber::parse("000001").expect("number"),
        subject: Subject::parse("Impresora no imprime").expect("subject"),
        requester_id: RequesterId(1),
        channel: Channel::Web,
        help_topic_id: None,
        kind: TicketType::Incident,
        department_id: DepartmentId(1),
        priority: Priority::Medium,
        impact: None,
        urgency: None,
        status: Status::New,
        owner_id: None,
        responsible_id: None,
        team_id: None,
        custom_fields: FieldValues::new(),
        time_estimate_minutes: None,
        time_spent_minutes: 0,
        response_due_at: None,
        resolution_due_at: None,
        first_response_at: None,
        resolution_approved: false,
        resolution_confirmed: false,
        resolved_at: None,
        closed_at: None,
        created_at: now(),
        updated_at: now(),
        version: 0,
    }
}

const AGENT: Author = Author::Agent(AgentId(7));
const SUPERVISOR: Author = Author::Agent(AgentId(8));
const REQUESTER: Author = Author::Requester(RequesterId(1));

fn plain() -> ResolutionPolicy {
    ResolutionPolicy::default()
}

fn strict() -> ResolutionPolicy {
    ResolutionPolicy { approval_required: true, confirmation_required: true, reopen_window_days: 7 }
}

#[test]
fn every_pair_of_statuses_follows_the_graph() {
    for &from in Status::ALL {
        for &to in Status::ALL {
            let mut t = ticket();
            t.status = from;
            // Make the resolution gates open so only the graph decides.
            t.resolution_approved = true;
            t.resolution_confirmed = true;
            t.closed_at = Some(now());
            let r = t.transition(to, &AGENT, now(), &plain());
            if from == to {
                assert_eq!(r, Err(DomainError::NoChange));
            } else if from.can_move_to(to) {
                let events = r.expect("allowed move");
                assert_eq!(t.status, to);
                let change = events.iter().find(|e| e.kind == EventKind::StatusChanged).expect("status event");
                assert_eq!(change.before.as_deref(), Some(from.as_str()));
                assert_eq!(change.after.as_deref(), Some(to.as_str()));
                assert_eq!(change.by, AGENT);
                assert_eq!(change.at, now());
            } else {
                assert_eq!(r, Err(DomainError::InvalidTransition { from, to }));
                assert_eq!(t.status, from, "unchanged on error");
            }
        }
    }
}

#[test]
fn plain_policy_resolve_then_close() {
    let mut t = ticket();
    t.transition(Status::Open, &AGENT, now(), &plain()).expect("open");
    t.transition(Status::Resolved, &AGENT, now(), &plain()).expect("resolve");
    assert!(t.resolved_at.is_some());
    t.transition(Status::Closed, &AGENT, now(), &plain()).expect("close");
    assert!(t.closed_at.is_some());
}

#[test]
fn approval_gate() {
    let p = ResolutionPolicy { approval_required: true, confirmation_required: false, reopen_window_days: 7 };
    let mut t = ticket();
    assert_eq!(t.transition(Status::Closed, &AGENT, now(), &p), Err(DomainError::ApprovalRequired), "no closing around the supervisor");
    t.transition(Status::Resolved, &AGENT, now(), &p).expect("resolve");
    assert_eq!(t.transition(Status::Closed, &AGENT, now(), &p), Err(DomainError::ApprovalRequired));
    let events = t.approve(&SUPERVISOR, now(), &p).expect("approve");
    assert_eq!(t.status, Status::Closed);
    assert_eq!(events[0].kind, EventKind::ResolutionApproved);
    assert_eq!(events[1].kind, EventKind::StatusChanged);
}

#[test]
fn supervisor_returns_with_reason() {
    let p = strict();
    let mut t = ticket();
    t.transition(Status::Resolved, &AGENT, now(), &p).expect("resolve");
    assert!(t.return_resolution("  ", &SUPERVISOR, now(), &p).is_err(), "a reason is required");
    let events = t.return_resolution("Falta verificar el cableado", &SUPERVISOR, now(), &p).expect("return");
    assert_eq!(t.status, Status::Open);
    assert_eq!(events[0].reason.as_deref(), Some("Falta verificar el cableado"));
    assert!(t.resolved_at.is_none());
    assert!(!t.resolution_approved);
}

#[test]
fn strict_policy_needs_both_gates_in_any_order() {
    let p = strict();
    let mut a = ticket();
    a.transition(Status::Resolved, &AGENT, now(), &p).expect("resolve");
    a.confirm_resolution(&REQUESTER, now(), &p).expect("confirm");
    assert_eq!(a.status, Status::Resolved, "still awaiting approval");
    assert_eq!(a.transition(Status::Closed, &AGENT, now(), &p), Err(DomainError::ApprovalRequired));
    a.approve(&SUPERVISOR, now(), &p).expect("approve");
    assert_eq!(a.status, Status::Closed);

    let mut b = ticket();
    b.transition(Status::Resolved, &AGENT, now(), &p).expect("resolve");
    b.approve(&SUPERVISOR, now(), &p).expect("approve");
    assert_eq!(b.approve(&SUPERVISOR, now(), &p), Err(DomainError::AlreadyApproved));
    assert_eq!(b.status, Status::Resolved, "awaiting confirmation");
    assert_eq!(b.transition(Status::Closed, &AGENT, now(), &p), Err(DomainError::ConfirmationRequired));
    b.transition(Status::Closed, &Author::System, now(), &p).expect("auto-close by the system");
    assert_eq!(b.status, Status::Closed);
}

#[test]
fn requester_rejects_resolution() {
    let p = plain();
    let mut t = ticket();
    t.transition(Status::Resolved, &AGENT, now(), &p).expect("resolve");
    let events = t.reject_resolution("Sigue sin imprimir", &REQUESTER, now(), &p).expect("reject");
    assert_eq!(t.status, Status::Open);
    assert_eq!(events[0].kind, EventKind::ResolutionRejected);
    assert_eq!(t.confirm_resolution(&REQUESTER, now(), &p), Err(DomainError::NotResolved));
}

#[test]
fn requester_reply_reopens_within_window_only() {
    let p = strict();
    let mut t = ticket();
    t.status = Status::Closed;
    t.closed_at = Some(now());
    let later = now() + Duration::days(3);
    let events = t.clone().record_requester_message(&REQUESTER, later, &p).expect("reopens");
    assert_eq!(events[0].kind, EventKind::Reopened);
    let too_late = now() + Duration::days(8);
    assert!(!t.reopens_on_reply(too_late, &p));
    assert_eq!(t.record_requester_message(&REQUESTER, too_late, &p), Err(DomainError::ReopenWindowExpired));
    assert_eq!(t.status, Status::Closed);
}

#[test]
fn requester_reply_wakes_pending_ticket() {
    let mut t = ticket();
    t.status = Status::PendingRequester;
    t.record_requester_message(&REQUESTER, now(), &plain()).expect("ok");
    assert_eq!(t.status, Status::Open);
    t.status = Status::PendingThirdParty;
    t.record_requester_message(&REQUESTER, now(), &plain()).expect("ok");
    assert_eq!(t.status, Status::PendingThirdParty, "still waiting on the third party");
}

#[test]
fn first_reply_opens_and_stamps_response() {
    let mut t = ticket();
    let events = t.record_agent_reply(&AGENT, now(), &plain());
    assert_eq!(t.status, Status::Open);
    assert_eq!(events.len(), 1);
    assert_eq!(t.first_response_at, Some(now()));
    let later = now() + Duration::hours(1);
    assert!(t.record_agent_reply(&AGENT, later, &plain()).is_empty());
    assert_eq!(t.first_response_at, Some(now()), "first response is kept");
}

#[test]
fn apply_records_before_and_after() {
    let mut t = ticket();
    let update = TicketUpdate {
        department_id: Some(DepartmentId(2)),
        owner_id: Some(Some(AgentId(7))),
        impact_urgency: Some((Impact::High, Urgency::High)),
        status: Some(Status::Open),
        ..Default::default()
    };
    let events = t.apply(update, &AGENT, now(), &plain(), &PriorityMatrix::default()).expect("apply");
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::PriorityChanged, EventKind::Transferred, EventKind::Assigned, EventKind::StatusChanged]);
    assert_eq!(t.priority, Priority::VeryHigh);
    assert_eq!(events[1].before.as_deref(), Some("1"));
    assert_eq!(events[1].after.as_deref(), Some("2"));
    assert_eq!(events[2].before, None);
    assert_eq!(t.impact, Some(Impact::High));
}

#[test]
fn apply_is_all_or_nothing() {
    let mut t = ticket();
    t.status = Status::Closed;
    let before = t.clone();
    let update = TicketUpdate { department_id: Some(DepartmentId(2)), status: Some(Status::Resolved), ..Default::default() };
    assert!(t.apply(update, &AGENT, now(), &plain(), &PriorityMatrix::default()).is_err());
    assert_eq!(t, before);
}

#[test]
fn apply_rejects_no_change_and_conflicting_priority() {
    let mut t = ticket();
    let same = TicketUpdate { priority: Some(Priority::Medium), ..Default::default() };
    assert_eq!(t.apply(same, &AGENT, now(), &plain(), &PriorityMatrix::default()), Err(DomainError::NoChange));
    let both = TicketUpdate { priority: Some(Priority::High), impact_urgency: Some((Impact::Low, Urgency::Low)), ..Default::default() };
    assert!(t.apply(both, &AGENT, now(), &plain(), &PriorityMatrix::default()).is_err());
}

#[test]
fn time_logging() {
    let mut t = ticket();
    let e = t.log_time(45, &AGENT, now()).expect("log");
    assert_eq!(t.time_spent_minutes, 45);
    assert_eq!(e.after.as_deref(), Some("45"));
    assert!(t.log_time(0, &AGENT, now()).is_err());
    assert!(t.log_time(2000, &AGENT, now()).is_err());
}
