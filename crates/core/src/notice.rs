//! Who is told what by e-mail. Two pure rules: which notices a ticket change queues (the
//! service asks, in the change's transaction) and who receives each notice with which template
//! (the outbox worker asks when it sends). Nobody is told of their own action, except the
//! requester's acknowledgement of a new ticket, which is the point of it.

use crate::job::{AlertReason, Job, TicketNotice};
use crate::template::TemplateKind;
use crate::{AgentId, Author, EntryKind, EventKind, RequesterId, StateCategory, Ticket, TicketNumber};

/// The tag put in the subject of every mail about a ticket, by which a reply is threaded back
/// to it when its headers are lost: `format` is the setting (`[#{number}]` by default,
/// `crate::settings::DEFAULT_SUBJECT_TAG`), which the intake looks for too.
pub fn subject_tag(format: &str, number: &TicketNumber) -> String {
    format.replace("{number}", number.as_str())
}

/// `subject` with the ticket's tag in front, unless the template already wrote it.
pub fn tagged_subject(subject: &str, format: &str, number: &TicketNumber) -> String {
    let tag = subject_tag(format, number);
    if subject.contains(&tag) { subject.to_string() } else { format!("{tag} {subject}") }
}

/// The notices of a new ticket opened by `actor`, to be queued with it.
pub fn opening_notices(autoreply: bool, owner: Option<AgentId>, actor: &Author) -> Vec<TicketNotice> {
    let mut out = vec![if autoreply { TicketNotice::Created } else { TicketNotice::CreatedWithoutAutoreply }];
    if let Some(owner) = owner.filter(|o| *actor != Author::Agent(*o)) {
        out.push(TicketNotice::Assigned(owner));
    }
    out
}

/// The notice of an entry written in a ticket's thread (internal notes tell nobody).
pub fn entry_notice(kind: EntryKind) -> Option<TicketNotice> {
    match kind {
        EntryKind::Reply => Some(TicketNotice::AgentReply),
        EntryKind::Message => Some(TicketNotice::RequesterMessage),
        EntryKind::Note | EntryKind::Event => None,
    }
}

fn agent_of(actor: &Author) -> Option<AgentId> {
    match actor {
        Author::Agent(a) => Some(*a),
        _ => None,
    }
}

/// The notices of a change `actor` made to `ticket` (as it is after the change) with `events`.
pub fn change_notices(events: &[crate::TicketEvent], ticket: &Ticket, actor: &Author) -> Vec<TicketNotice> {
    let has = |k: EventKind| events.iter().any(|e| e.kind == k);
    let mut out = Vec::new();
    for e in events.iter().filter(|e| e.kind == EventKind::Assigned) {
        let owner = e.after.as_deref().and_then(|s| s.parse::<i64>().ok()).map(AgentId);
        if let Some(owner) = owner.filter(|o| *actor != Author::Agent(*o)) {
            out.push(TicketNotice::Assigned(owner));
        }
    }
    if has(EventKind::Transferred) || has(EventKind::Escalated) {
        out.push(TicketNotice::Transferred { to: ticket.department_id, by: agent_of(actor) });
    }
    // The requester is not told of what they did themselves (confirming closes the ticket),
    // nor of a merge (the ticket lives on in the survivor).
    if *actor == Author::Requester(ticket.requester_id) || has(EventKind::MergedInto) {
        return out;
    }
    let status_changed = has(EventKind::StatusChanged);
    let approved = has(EventKind::ResolutionApproved);
    match ticket.status.category() {
        // Told once the solution is final: at once, or when a supervisor approves it.
        StateCategory::Resolved if ticket.resolution_approved && (status_changed || approved) => out.push(TicketNotice::Resolved),
        StateCategory::Closed if status_changed => out.push(if approved { TicketNotice::ResolutionApproved } else { TicketNotice::Closed }),
        _ => {}
    }
    out
}

/// Someone a notice goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Recipient {
    Requester(RequesterId),
    Agent(AgentId),
}

/// One mail of a notice: to whom, written with which template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub to: Recipient,
    pub template: TemplateKind,
}

/// What the worker knows about a ticket's people when it sends a notice.
#[derive(Debug, Clone, Copy, Default)]
pub struct Audience<'a> {
    pub requester: Option<RequesterId>,
    /// Requesters in copy (collaborators).
    pub requester_copies: &'a [RequesterId],
    /// The agents of the department the notice is about (the ticket's, or a transfer's target).
    pub department_agents: &'a [AgentId],
    pub manager: Option<AgentId>,
    /// The ticket's owner and responsible agent, and its department's supervisors (agents
    /// whose role may approve solutions): alerts go to them.
    pub owner: Option<AgentId>,
    pub responsible: Option<AgentId>,
    pub supervisors: &'a [AgentId],
    /// Who caused the notice.
    pub actor: Option<&'a Author>,
}

/// Who receives `job` and with which template; each recipient once, never the actor (except
/// the requester's acknowledgement of their own new ticket).
pub fn deliveries(job: &Job, a: &Audience<'_>) -> Vec<Delivery> {
    let with = |template: TemplateKind| move |to: Recipient| Delivery { to, template };
    let requester = a.requester.map(Recipient::Requester);
    let copies = a.requester_copies.iter().copied().map(Recipient::Requester);
    let department = || a.department_agents.iter().copied().chain(a.manager).map(Recipient::Agent);
    let candidates: Vec<Delivery> = match job {
        Job::TicketCreated(r) => requester
            .filter(|_| r.autoreply)
            .map(with(TemplateKind::NewTicketAutoreply))
            .into_iter()
            .chain(department().map(with(TemplateKind::NewTicketAlert)))
            .collect(),
        Job::AgentReply(_) => requester.into_iter().chain(copies).map(with(TemplateKind::AgentReply)).collect(),
        Job::Assigned(r) => vec![Delivery { to: Recipient::Agent(r.agent_id), template: TemplateKind::Assignment }],
        // To the new department the ticket is a new one in its queue: the new-ticket alert.
        Job::Transferred(r) => {
            department().filter(|to| r.by.is_none_or(|by| *to != Recipient::Agent(by))).map(with(TemplateKind::NewTicketAlert)).collect()
        }
        Job::Resolved(_) => requester.map(with(TemplateKind::Resolution)).into_iter().collect(),
        Job::Reminder(_) => requester.map(with(TemplateKind::PendingReminder)).into_iter().collect(),
        Job::Closed(_) | Job::ResolutionApproved(_) => requester.map(with(TemplateKind::SatisfactionSurvey)).into_iter().collect(),
        Job::Alert(r) => {
            let template = match r.reason {
                AlertReason::SlaWarning { .. } => TemplateKind::SlaWarning,
                AlertReason::SlaBreach { .. } => TemplateKind::OverdueAlert,
                AlertReason::TimeRule { .. } => TemplateKind::RuleAlert,
            };
            let to = r.to;
            let supervisors = a.supervisors.iter().copied().filter(|_| to.supervisors);
            a.owner
                .filter(|_| to.owner)
                .into_iter()
                .chain(a.responsible.filter(|_| to.responsible))
                .chain(a.manager.filter(|_| to.manager))
                .chain(supervisors)
                .map(Recipient::Agent)
                .map(with(template))
                .collect()
        }
        Job::RequesterMessage(_)
        | Job::TicketChanged(_)
        | Job::TicketLink(_)
        | Job::VerifyEmail(_)
        | Job::PasswordReset(_)
        | Job::AccountExists(_)
        | Job::AgentInvite(_) => Vec::new(),
    };
    let is_actor = |to: Recipient| match (to, a.actor) {
        (Recipient::Agent(id), Some(Author::Agent(actor))) => id == *actor,
        (Recipient::Requester(id), Some(Author::Requester(actor))) => id == *actor,
        _ => false,
    };
    let mut out: Vec<Delivery> = Vec::with_capacity(candidates.len());
    for d in candidates {
        // Their own request is acknowledged: the actor rule does not apply to it.
        let wanted = d.template == TemplateKind::NewTicketAutoreply || !is_actor(d.to);
        if wanted && !out.iter().any(|o| o.to == d.to) {
            out.push(d);
        }
    }
    out
}

/// Whether the mail written with `template` is automatic: everything but an agent's reply,
/// which is a person's message. Automatic mail is not sent to addresses that bounce.
pub fn is_automatic(template: TemplateKind) -> bool {
    template != TemplateKind::AgentReply
}

/// The `Auto-Submitted` header (RFC 3834) of a mail written with `template`: `auto-replied`
/// on the acknowledgement of a requester's message, `auto-generated` on other automatic
/// notices, none on an agent's reply.
pub fn auto_submitted(template: TemplateKind) -> Option<&'static str> {
    match template {
        TemplateKind::NewTicketAutoreply => Some("auto-replied"),
        t if is_automatic(t) => Some("auto-generated"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{AssignedRef, TicketRef, TransferRef};
    use crate::{DepartmentId, ResolutionPolicy, Status, TicketId, TicketUpdate};

    const ANA: AgentId = AgentId(7);
    const LUIS: AgentId = AgentId(8);
    const ROSA: RequesterId = RequesterId(1);

    fn at() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_795_000_100, 0).expect("time")
    }

    fn notices(t: &mut Ticket, update: TicketUpdate, by: &Author) -> Vec<TicketNotice> {
        let events = t.apply(update, by, at(), &ResolutionPolicy::default(), &crate::PriorityMatrix::default()).expect("apply");
        change_notices(&events, t, by)
    }

    #[test]
    fn the_tag_is_put_in_front_once() {
        let n = TicketNumber::parse("000042").expect("number");
        let tag = crate::settings::DEFAULT_SUBJECT_TAG;
        assert_eq!(subject_tag(tag, &n), "[#000042]");
        assert_eq!(tagged_subject("La impresora del piso 3 no imprime", tag, &n), "[#000042] La impresora del piso 3 no imprime");
        assert_eq!(tagged_subject("Re: [#000042] Impresora", tag, &n), "Re: [#000042] Impresora");
        assert_eq!(tagged_subject("Impresora", "[UIT {number}]", &n), "[UIT 000042] Impresora");
    }

    #[test]
    fn a_new_ticket_acknowledges_and_tells_its_new_owner_unless_they_opened_it() {
        assert_eq!(opening_notices(true, None, &Author::Requester(ROSA)), vec![TicketNotice::Created]);
        assert_eq!(
            opening_notices(false, Some(ANA), &Author::Requester(ROSA)),
            vec![TicketNotice::CreatedWithoutAutoreply, TicketNotice::Assigned(ANA)]
        );
        assert_eq!(opening_notices(true, Some(ANA), &Author::Agent(ANA)), vec![TicketNotice::Created]);
        assert_eq!(entry_notice(EntryKind::Reply), Some(TicketNotice::AgentReply));
        assert_eq!(entry_notice(EntryKind::Note), None);
    }

    #[test]
    fn assignment_and_transfer_tell_others_not_the_one_who_did_it() {
        let mut t = Ticket::sample();
        let by_luis = notices(&mut t, TicketUpdate { owner_id: Some(Some(ANA)), ..Default::default() }, &Author::Agent(LUIS));
        assert_eq!(by_luis, vec![TicketNotice::Assigned(ANA)]);
        let took_it = notices(&mut t, TicketUpdate { owner_id: Some(Some(LUIS)), ..Default::default() }, &Author::Agent(LUIS));
        assert!(took_it.is_empty(), "taking a ticket oneself tells nobody: {took_it:?}");
        let unassigned = notices(&mut t, TicketUpdate { owner_id: Some(None), ..Default::default() }, &Author::Agent(LUIS));
        assert!(unassigned.is_empty());
        let moved = notices(&mut t, TicketUpdate { department_id: Some(DepartmentId(2)), ..Default::default() }, &Author::Agent(LUIS));
        assert_eq!(moved, vec![TicketNotice::Transferred { to: DepartmentId(2), by: Some(LUIS) }]);
        let priority = notices(&mut t, TicketUpdate { priority: Some(crate::Priority::High), ..Default::default() }, &Author::Agent(LUIS));
        assert!(priority.is_empty(), "a priority change sends no mail");
    }

    #[test]
    fn resolution_and_closure_tell_the_requester_once_the_solution_is_final() {
        let by = Author::Agent(ANA);
        let mut t = Ticket::sample();
        let plain = ResolutionPolicy::default();
        let (_, events) = t.resolve(Status::RESOLVED, "Se cambió el tóner", &by, at(), &plain).expect("resolve");
        assert_eq!(change_notices(&events, &t, &by), vec![TicketNotice::Resolved]);
        let events = t.transition(Status::CLOSED, &by, at(), &plain).expect("close");
        assert_eq!(change_notices(&events, &t, &by), vec![TicketNotice::Closed]);

        // With review: nothing until the supervisor approves; approval that closes is the survey.
        let review = ResolutionPolicy { approval_required: true, ..plain };
        let mut t = Ticket::sample();
        let (_, events) = t.resolve(Status::RESOLVED, "Se cambió el tóner", &by, at(), &review).expect("resolve");
        assert!(change_notices(&events, &t, &by).is_empty(), "awaiting review");
        let supervisor = Author::Agent(LUIS);
        let events = t.approve(&supervisor, at(), &review).expect("approve");
        assert_eq!(change_notices(&events, &t, &supervisor), vec![TicketNotice::ResolutionApproved]);

        // Approved but awaiting the requester's confirmation: now they are asked.
        let both = ResolutionPolicy { approval_required: true, confirmation_required: true, ..plain };
        let mut t = Ticket::sample();
        let (_, events) = t.resolve(Status::RESOLVED, "Se cambió el tóner", &by, at(), &both).expect("resolve");
        assert!(change_notices(&events, &t, &by).is_empty());
        let events = t.approve(&supervisor, at(), &both).expect("approve");
        assert_eq!(change_notices(&events, &t, &supervisor), vec![TicketNotice::Resolved]);
        // The requester confirming closes the ticket: they are not told of their own action.
        let rosa = Author::Requester(ROSA);
        let events = t.confirm_resolution(&rosa, at(), &both).expect("confirm");
        assert_eq!(t.status.category(), StateCategory::Closed);
        assert!(change_notices(&events, &t, &rosa).is_empty());
    }

    fn audience<'a>(agents: &'a [AgentId], copies: &'a [RequesterId], actor: Option<&'a Author>) -> Audience<'a> {
        Audience {
            requester: Some(ROSA),
            requester_copies: copies,
            department_agents: agents,
            manager: Some(LUIS),
            actor,
            ..Default::default()
        }
    }

    #[test]
    fn each_notice_goes_to_its_people_once_and_never_to_the_actor() {
        let t = TicketId(1);
        let agents = [ANA, LUIS, AgentId(9)];
        let rosa = Author::Requester(ROSA);
        let created = deliveries(&Job::TicketCreated(TicketRef::new(t)), &audience(&agents, &[], Some(&rosa)));
        let to: Vec<(Recipient, TemplateKind)> = created.iter().map(|d| (d.to, d.template)).collect();
        assert_eq!(
            to,
            vec![
                (Recipient::Requester(ROSA), TemplateKind::NewTicketAutoreply),
                (Recipient::Agent(ANA), TemplateKind::NewTicketAlert),
                (Recipient::Agent(LUIS), TemplateKind::NewTicketAlert),
                (Recipient::Agent(AgentId(9)), TemplateKind::NewTicketAlert),
            ],
            "the manager (also an agent of the department) once"
        );
        // Suppressed auto-response: only the alert; an operator who registered it is not alerted.
        let quiet = Job::TicketCreated(TicketRef { autoreply: false, ..TicketRef::new(t) });
        let ana = Author::Agent(ANA);
        let to: Vec<Recipient> = deliveries(&quiet, &audience(&agents, &[], Some(&ana))).iter().map(|d| d.to).collect();
        assert_eq!(to, vec![Recipient::Agent(LUIS), Recipient::Agent(AgentId(9))]);

        let copies = [RequesterId(5), ROSA];
        let reply = deliveries(&Job::AgentReply(TicketRef::new(t)), &audience(&agents, &copies, Some(&ana)));
        let to: Vec<Recipient> = reply.iter().map(|d| d.to).collect();
        assert_eq!(to, vec![Recipient::Requester(ROSA), Recipient::Requester(RequesterId(5))]);
        assert!(reply.iter().all(|d| d.template == TemplateKind::AgentReply));

        let assigned = deliveries(&Job::Assigned(AssignedRef { ticket_id: t, agent_id: ANA }), &audience(&agents, &[], None));
        assert_eq!(assigned, vec![Delivery { to: Recipient::Agent(ANA), template: TemplateKind::Assignment }]);
        let moved = Job::Transferred(TransferRef { ticket_id: t, department_id: DepartmentId(2), by: Some(AgentId(9)) });
        let to: Vec<Recipient> = deliveries(&moved, &audience(&agents, &[], None)).iter().map(|d| d.to).collect();
        assert_eq!(to, vec![Recipient::Agent(ANA), Recipient::Agent(LUIS)]);

        let resolved = deliveries(&Job::Resolved(TicketRef::new(t)), &audience(&agents, &copies, Some(&ana)));
        assert_eq!(resolved, vec![Delivery { to: Recipient::Requester(ROSA), template: TemplateKind::Resolution }]);
        let closed = deliveries(&Job::Closed(TicketRef::new(t)), &audience(&agents, &[], None));
        assert_eq!(closed[0].template, TemplateKind::SatisfactionSurvey);
        assert!(deliveries(&Job::Closed(TicketRef::new(t)), &audience(&agents, &[], Some(&rosa))).is_empty());
        assert!(deliveries(&Job::TicketChanged(TicketRef::new(t)), &audience(&agents, &[], None)).is_empty());
    }

    #[test]
    fn alerts_go_to_the_people_the_plan_names_each_once() {
        use crate::escalation::Target;
        use crate::job::{AlertRef, AlertTo};
        let supervisors = [LUIS, AgentId(9)];
        let people = Audience {
            owner: Some(ANA),
            responsible: Some(LUIS),
            manager: Some(AgentId(9)),
            supervisors: &supervisors,
            ..Default::default()
        };
        let alert = |to, reason| Job::Alert(AlertRef { ticket_id: TicketId(4), to, reason });
        let breach = AlertReason::SlaBreach { target: Target::Resolution };
        let all = AlertTo { owner: true, responsible: true, manager: true, supervisors: true };
        let sent = deliveries(&alert(all, breach), &people);
        let to: Vec<Recipient> = sent.iter().map(|d| d.to).collect();
        assert_eq!(to, vec![Recipient::Agent(ANA), Recipient::Agent(LUIS), Recipient::Agent(AgentId(9))]);
        assert!(sent.iter().all(|d| d.template == TemplateKind::OverdueAlert));
        let warn = deliveries(
            &alert(AlertTo { owner: true, ..Default::default() }, AlertReason::SlaWarning { target: Target::Response }),
            &people,
        );
        assert_eq!(warn, vec![Delivery { to: Recipient::Agent(ANA), template: TemplateKind::SlaWarning }]);
        // Nobody owns it: an owner-only alert goes to nobody.
        let unowned = Audience { owner: None, ..people };
        assert!(deliveries(&alert(AlertTo { owner: true, ..Default::default() }, breach), &unowned).is_empty());
        let rule = deliveries(&alert(AlertTo { supervisors: true, ..Default::default() }, AlertReason::TimeRule { rule_id: 1 }), &people);
        assert!(rule.iter().all(|d| d.template == TemplateKind::RuleAlert) && rule.len() == 2);
    }

    #[test]
    fn only_an_agents_reply_is_a_human_message() {
        assert_eq!(auto_submitted(TemplateKind::NewTicketAutoreply), Some("auto-replied"));
        assert_eq!(auto_submitted(TemplateKind::Resolution), Some("auto-generated"));
        assert_eq!(auto_submitted(TemplateKind::AgentReply), None);
        assert!(!is_automatic(TemplateKind::AgentReply) && is_automatic(TemplateKind::NewTicketAlert));
    }
}
