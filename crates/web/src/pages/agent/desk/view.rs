//! What the desk page shows, already in the agent's language: the header, the thread as
//! entries, which controls to offer and the forms' values.

use tikal_core::AgentId;
use tikal_core::authz::Action;
use tikal_core::desk::{Activity, Collaborator, LinkKind};
use tikal_core::org::{Agent, Requester};
use tikal_core::{Author, EntryKind, EventKind, Impact, Priority, StateCategory, Status, ThreadEntry, Ticket, TicketType, Urgency};
use tikal_service::{Catalog, CollaboratorView, DeskActions, LinkedTicket, PresenceView, TimeSheet};
use tikal_store::AttachmentMeta;

use super::{Staff, may};
use crate::pages::Chrome;

/// What ids in the thread are called.
pub struct Names<'a> {
    pub catalog: &'a Catalog,
    pub agents: &'a [Agent],
    /// The ticket's collaborators, for the names of requesters copied on it.
    pub people: &'a [CollaboratorView],
}

impl Names<'_> {
    fn agent(&self, c: &Chrome, id: Option<&str>) -> String {
        match id.and_then(|i| i.parse::<i64>().ok()) {
            Some(id) => self.agents.iter().find(|a| a.id.get() == id).map_or_else(|| format!("#{id}"), |a| a.name.as_str().to_string()),
            None => c.t("desk-nobody"),
        }
    }

    fn department(&self, id: Option<&str>) -> String {
        let id = id.and_then(|i| i.parse::<i64>().ok());
        id.and_then(|id| self.catalog.department(tikal_core::DepartmentId(id)))
            .map_or_else(|| id.map(|i| format!("#{i}")).unwrap_or_default(), |d| d.name.clone())
    }

    fn topic(&self, c: &Chrome, id: Option<&str>) -> String {
        let id = id.and_then(|i| i.parse::<i64>().ok());
        match id {
            Some(id) => self.catalog.topic(tikal_core::HelpTopicId(id)).map_or_else(|| format!("#{id}"), |t| t.path(&self.catalog.topics)),
            None => c.t("desk-none"),
        }
    }
}

fn minutes(c: &Chrome, m: Option<u32>) -> String {
    match m {
        Some(m) => c.t1("desk-minutes", "n", &m.to_string()),
        None => c.t("desk-none"),
    }
}

/// The ticket's facts.
pub struct Header {
    pub number: String,
    pub subject: String,
    pub requester: String,
    pub requester_email: String,
    pub status: String,
    pub category: &'static str,
    pub priority: String,
    pub priority_level: u8,
    pub impact_urgency: String,
    pub kind: String,
    pub topic: String,
    pub department: String,
    pub owner: String,
    pub responsible: String,
    pub channel: String,
    pub created: String,
    pub updated: String,
    pub response_due: String,
    pub first_response: String,
    pub resolution_due: String,
    /// Where each SLA target stands ("due in 2 h", "overdue by 35 min", met...).
    pub response_badge: Option<crate::pages::DueView>,
    pub resolution_badge: Option<crate::pages::DueView>,
    /// Marked overdue by an SLA escalation (until resolved).
    pub overdue: bool,
    pub estimate: String,
    pub spent: String,
    /// Resolved and waiting on a supervisor's approval or the requester's confirmation.
    pub awaiting: Option<String>,
    /// The values of its form's custom fields: (label in the agent's language, value). A
    /// retired field's value is still shown.
    pub fields: Vec<(String, String)>,
    /// Tags (set by routing rules).
    pub tags: Vec<String>,
    /// Mail to the requester bounced: when, and the report's words.
    pub bounced: Option<String>,
}

impl Header {
    pub fn of(c: &Chrome, n: &Names<'_>, t: &Ticket, requester: Option<&Requester>) -> Header {
        let when = |d: Option<chrono::DateTime<chrono::Utc>>| d.map(|d| c.when(&d)).unwrap_or_else(|| c.t("desk-none"));
        let owner = t.owner_id.map(|a| a.get().to_string());
        let responsible = t.responsible_id.map(|a| a.get().to_string());
        let awaiting = (t.status.category() == StateCategory::Resolved).then(|| {
            if !t.resolution_approved {
                c.t("desk-awaiting-approval")
            } else if !t.resolution_confirmed {
                c.t("desk-awaiting-confirmation")
            } else {
                String::new()
            }
        });
        Header {
            number: t.number.to_string(),
            subject: t.subject.as_str().to_string(),
            requester: requester.map(|r| r.name.as_str().to_string()).unwrap_or_default(),
            requester_email: requester.map(|r| r.email.as_str().to_string()).unwrap_or_default(),
            status: c.status(n.catalog, t.status.as_str()),
            category: t.status.category().as_str(),
            priority: c.priority(n.catalog, t.priority),
            priority_level: t.priority.level(),
            impact_urgency: match (t.impact, t.urgency) {
                (Some(i), Some(u)) => c.t2("desk-impact-urgency-value", "impact", &level3(c, i.level()), "urgency", &level3(c, u.level())),
                _ => c.t("desk-none"),
            },
            kind: c.ticket_type(n.catalog, t.kind.as_str()),
            topic: n.topic(c, t.help_topic_id.map(|i| i.get().to_string()).as_deref()),
            department: n.department(Some(&t.department_id.get().to_string())),
            owner: n.agent(c, owner.as_deref()),
            responsible: n.agent(c, responsible.as_deref()),
            channel: c.t(&format!("desk-channel-{}", t.channel.as_str())),
            created: c.when(&t.created_at),
            updated: c.when(&t.updated_at),
            response_due: when(t.response_due_at),
            first_response: when(t.first_response_at),
            resolution_due: when(t.resolution_due_at),
            response_badge: {
                let now = tikal_store::now();
                let active = t.status.category().is_active();
                tikal_core::due::badge(t.response_due_at, t.first_response_at.or(t.resolved_at), active, now).map(|b| c.due(b))
            },
            resolution_badge: tikal_core::due::badge(
                t.resolution_due_at,
                t.resolved_at,
                t.status.category().is_active(),
                tikal_store::now(),
            )
            .map(|b| c.due(b)),
            overdue: t.overdue && t.status.category().is_active(),
            estimate: minutes(c, t.time_estimate_minutes),
            spent: minutes(c, Some(t.time_spent_minutes)),
            awaiting: awaiting.filter(|a| !a.is_empty()),
            fields: custom_values(c, n.catalog, &t.custom_fields),
            tags: Vec::new(),
            bounced: None,
        }
    }
}

/// A ticket's custom field values with their labels, in form order (fields no longer defined
/// last, under their key).
fn custom_values(c: &Chrome, catalog: &Catalog, values: &tikal_core::fields::FieldValues) -> Vec<(String, String)> {
    use tikal_core::fields::FieldValue;
    let english = c.lang == crate::pages::i18n::Lang::En;
    let mut out: Vec<(usize, String, String)> = values
        .iter()
        .map(|(key, v)| {
            let text = match v {
                FieldValue::Bool(b) => c.t(if *b { "catalog-value-yes" } else { "catalog-value-no" }),
                FieldValue::Number(n) => n.to_string(),
                FieldValue::Text(s) => s.clone(),
                FieldValue::List(l) => l.join(", "),
            };
            let pos = catalog.fields.iter().position(|f| &f.key == key).unwrap_or(usize::MAX);
            let label = catalog.field(key).map_or_else(|| key.clone(), |f| f.label(english).to_string());
            (pos, label, text)
        })
        .collect();
    out.sort_by_key(|(pos, _, _)| *pos);
    out.into_iter().map(|(_, l, v)| (l, v)).collect()
}

fn level3(c: &Chrome, l: u8) -> String {
    c.t(&format!("desk-level-{l}"))
}

/// One entry of the thread.
pub struct Entry {
    pub id: i64,
    /// message, reply, note or event (the CSS class).
    pub kind: &'static str,
    /// What it is, said in words ("Internal note", "Reply to the requester", "Status"...).
    pub label: String,
    pub who: String,
    pub when: String,
    pub text: String,
    /// An event's change: before and after, said in words.
    pub change: Option<(String, String)>,
    pub reason: Option<String>,
    pub files: Vec<crate::pages::FileView>,
    /// It came by mail: its original can be downloaded.
    pub by_mail: bool,
}

impl Entry {
    pub fn of(c: &Chrome, n: &Names<'_>, e: &ThreadEntry, files: &[AttachmentMeta]) -> Entry {
        let files = files.iter().filter(|a| a.entry_id == Some(e.id)).map(crate::pages::FileView::of).collect();
        let who = match &e.author {
            Author::System => "Tikal".to_string(),
            _ => e.author_name.clone().unwrap_or_default(),
        };
        let (kind, label) = match e.kind {
            EntryKind::Message => ("message", c.t("desk-entry-message")),
            EntryKind::Reply => ("reply", c.t("desk-entry-reply")),
            EntryKind::Note => ("note", c.t("desk-entry-note")),
            EntryKind::Event => ("event", c.t(&format!("desk-event-{}", e.event.map_or("other", |k| k.as_str())))),
        };
        let change = match e.event {
            // Opening records the first status; the entry's label says enough. A solution is
            // its text, shown as the entry's text.
            Some(EventKind::Created | EventKind::SolutionRecorded) => None,
            Some(k) if e.before.is_some() || e.after.is_some() => Some(event_values(c, n, k, e.before.as_deref(), e.after.as_deref())),
            _ => None,
        };
        Entry {
            id: e.id.get(),
            kind,
            label,
            who,
            when: c.when(&e.created_at),
            text: match e.event {
                Some(EventKind::SolutionRecorded) => e.after.clone().unwrap_or_default(),
                _ => e.body.clone().unwrap_or_default(),
            },
            change,
            reason: match e.event {
                Some(EventKind::SlaWarning | EventKind::SlaBreached) => e.reason.as_deref().map(|r| sla_actions(c, r)),
                _ => e.reason.clone(),
            },
            files,
            by_mail: false,
        }
    }
}

/// The actions an SLA escalation took, in words ("skipped": passed over by the breach).
fn sla_actions(c: &Chrome, raw: &str) -> String {
    match raw {
        "" => c.t("desk-sla-action-none"),
        "skipped" => c.t("desk-sla-skipped"),
        _ => raw.split(',').map(|a| c.t(&format!("desk-sla-action-{a}"))).collect::<Vec<_>>().join(", "),
    }
}

/// An event's before and after values, named (status names, agents, departments...).
fn event_values(c: &Chrome, n: &Names<'_>, k: EventKind, before: Option<&str>, after: Option<&str>) -> (String, String) {
    let name = |v: Option<&str>| -> String {
        match k {
            EventKind::StatusChanged => v.map(|s| c.status(n.catalog, s)).unwrap_or_default(),
            EventKind::Assigned | EventKind::ResponsibleChanged => n.agent(c, v),
            EventKind::Transferred | EventKind::Escalated => n.department(v),
            EventKind::Linked | EventKind::Unlinked => v.map(|l| link_words(c, l)).unwrap_or_default(),
            EventKind::CollaboratorAdded | EventKind::CollaboratorRemoved => {
                v.map_or_else(|| c.t("desk-none"), |w| collaborator_words(c, n, w))
            }
            EventKind::HelpTopicChanged => n.topic(c, v),
            EventKind::TypeChanged => v.map(|k| c.ticket_type(n.catalog, k)).unwrap_or_default(),
            EventKind::PriorityChanged => v
                .and_then(|p| p.parse::<u8>().ok())
                .and_then(|p| Priority::try_from(p).ok())
                .map(|p| c.priority(n.catalog, p))
                .unwrap_or_default(),
            EventKind::EstimateChanged | EventKind::TimeLogged => minutes(c, v.and_then(|m| m.parse().ok())),
            EventKind::SlaWarning | EventKind::SlaBreached => v.map(|t| c.t(&format!("desk-sla-target-{t}"))).unwrap_or_default(),
            _ => v.map_or_else(|| c.t("desk-none"), str::to_string),
        }
    };
    (name(before), name(after))
}

/// A link event's value ("duplicate_of 000009") in words.
fn link_words(c: &Chrome, v: &str) -> String {
    match v.split_once(' ') {
        Some((k, number)) if k.parse::<LinkKind>().is_ok() => c.t1(&format!("desk-link-{k}"), "number", number),
        _ => v.to_string(),
    }
}

/// A collaborator event's value ("agent:5", "requester:9") as a name.
fn collaborator_words(c: &Chrome, n: &Names<'_>, v: &str) -> String {
    let known = |who: Collaborator| n.people.iter().find(|p| p.who == who).map(|p| p.name.clone());
    match v.split_once(':').map(|(k, id)| (k, id.parse::<i64>())) {
        Some(("agent", Ok(id))) => n.agent(c, Some(&id.to_string())),
        Some(("requester", Ok(id))) => known(Collaborator::Requester(tikal_core::RequesterId(id)))
            .map_or_else(|| c.t1("desk-collab-requester-id", "id", &id.to_string()), |name| c.t1("desk-collab-cc", "name", &name)),
        _ => v.to_string(),
    }
}

/// "Also has this ticket open: Ana (replying)" for the other agents on the ticket now.
pub fn presence_notice(c: &Chrome, list: &[PresenceView], me: AgentId) -> Option<String> {
    let others: Vec<String> = list
        .iter()
        .filter(|p| p.agent != me)
        .map(|p| match p.activity {
            Activity::Replying => c.t1("desk-presence-replying", "name", &p.name),
            Activity::Viewing => p.name.clone(),
        })
        .collect();
    match others.len() {
        0 => None,
        1 => Some(c.t1("desk-presence-one", "who", &others[0])),
        _ => Some(c.t1("desk-presence-many", "who", &others.join(", "))),
    }
}

/// The recorded solution.
pub struct SolutionView {
    pub text: String,
    pub who: String,
    pub when: String,
}

/// A linked ticket, the link said from this ticket.
pub struct LinkView {
    pub words: String,
    pub number: String,
    pub subject: String,
    pub status: String,
}

/// A collaborator with what the remove button sends.
pub struct CollabView {
    pub key: String,
    pub name: String,
    pub email: String,
    pub agent: bool,
}

/// One time entry.
pub struct TimeView {
    pub who: String,
    pub when: String,
    pub minutes: String,
    pub note: String,
}

/// The desk's parts beyond the facts and the thread.
pub struct Extras {
    pub solution: Option<SolutionView>,
    /// The ticket this one was merged into.
    pub merged_into: Option<String>,
    /// The tickets merged into this one.
    pub merged_from: Vec<String>,
    pub links: Vec<LinkView>,
    pub collaborators: Vec<CollabView>,
    pub time: Vec<TimeView>,
    pub estimate: String,
    pub spent: String,
    pub presence: Option<String>,
    /// The department an escalation goes to.
    pub next_level: Option<String>,
}

impl Extras {
    #[allow(clippy::too_many_arguments)]
    pub fn of(
        c: &Chrome,
        n: &Names<'_>,
        t: &Ticket,
        entries: &[ThreadEntry],
        solution: Option<&tikal_store::SolutionRow>,
        merged_into: Option<&tikal_core::TicketNumber>,
        links: &[LinkedTicket],
        time: &TimeSheet,
        presence: &[PresenceView],
        next_level: Option<tikal_core::DepartmentId>,
        me: AgentId,
    ) -> Extras {
        let merged_from = entries
            .iter()
            .filter(|e| e.event == Some(EventKind::MergedFrom))
            .filter_map(|e| e.after.clone())
            .filter(|x| !x.is_empty())
            .collect();
        Extras {
            solution: solution.map(|s| SolutionView {
                text: s.body.clone(),
                who: s.author_name.clone().unwrap_or_default(),
                when: c.when(&s.at),
            }),
            merged_into: merged_into.map(ToString::to_string),
            merged_from,
            links: links
                .iter()
                .map(|l| LinkView {
                    words: c.t(&format!("desk-link-kind-{}", l.kind.as_str())),
                    number: l.ticket.number.to_string(),
                    subject: l.ticket.subject.as_str().to_string(),
                    status: c.status(n.catalog, l.ticket.status.as_str()),
                })
                .collect(),
            collaborators: n
                .people
                .iter()
                .map(|p| CollabView {
                    key: p.who.to_string(),
                    name: p.name.clone(),
                    email: p.email.clone(),
                    agent: matches!(p.who, Collaborator::Agent(_)),
                })
                .collect(),
            time: time
                .entries
                .iter()
                .map(|(row, name)| TimeView {
                    who: name.clone().unwrap_or_else(|| "Tikal".into()),
                    when: c.when(&row.at),
                    minutes: minutes(c, Some(row.minutes)),
                    note: row.note.clone().unwrap_or_default(),
                })
                .collect(),
            estimate: minutes(c, t.time_estimate_minutes.or(time.estimate_minutes)),
            spent: minutes(c, Some(time.spent_minutes)),
            presence: presence_notice(c, presence, me),
            next_level: next_level.map(|d| n.department(Some(&d.get().to_string()))),
        }
    }
}

/// Which controls this agent gets.
pub struct Can {
    pub reply: bool,
    pub note: bool,
    pub edit: bool,
    pub assign: bool,
    pub transfer: bool,
    /// The department has a next level and the agent may send the ticket there.
    pub escalate: bool,
    pub log_time: bool,
    pub resolve: bool,
    pub review: bool,
    /// The agent reviews solutions in this department (whether or not one waits now).
    pub supervise: bool,
    /// There is a status the agent may move the ticket to.
    pub status: bool,
    /// The ticket may be merged into another (not when it was merged already).
    pub merge: bool,
    pub link: bool,
    pub collaborate: bool,
}

impl Can {
    /// The controls from what the service says the agent may do (`DeskActions`), with what the
    /// page needs besides: a status to move to, and the resolved status reachable.
    pub fn of(s: &Staff, t: &Ticket, catalog: &Catalog, may_do: &DeskActions, merged: bool) -> Can {
        let resolve = may_do.resolve && resolved_status(catalog).is_some_and(|r| t.status.can_move_to(&r));
        Can {
            reply: may_do.reply,
            note: may_do.note,
            edit: may_do.edit,
            assign: may_do.assign,
            transfer: may_do.transfer,
            escalate: may_do.escalate,
            log_time: may_do.log_time,
            resolve,
            review: may_do.review,
            supervise: may(s, t, Action::ReviewResolution),
            status: next_statuses(s, t, catalog).next().is_some(),
            merge: may_do.merge && !merged,
            link: may_do.link,
            collaborate: may_do.collaborate,
        }
    }

    /// The same controls asked of the rule here, for a form's gate (without reading the whole
    /// desk); the service decides again on what the form asks.
    pub fn here(s: &Staff, t: &Ticket, catalog: &Catalog) -> Can {
        let resolved = StateCategory::Resolved;
        let next_level = catalog.department_rules.iter().any(|(d, r)| *d == t.department_id && r.next_level.is_some());
        let may_do = DeskActions {
            reply: may(s, t, Action::Reply),
            note: may(s, t, Action::Note),
            edit: may(s, t, Action::Edit),
            assign: may(s, t, Action::Assign),
            transfer: may(s, t, Action::Transfer),
            escalate: next_level && may(s, t, Action::Escalate),
            resolve: t.status.category() != resolved && may(s, t, Action::SetStatus { from: t.status.category(), to: resolved }),
            review: t.status.category() == resolved && !t.resolution_approved && may(s, t, Action::ReviewResolution),
            merge: may(s, t, Action::Merge),
            link: may(s, t, Action::Link),
            collaborate: may(s, t, Action::Collaborate),
            log_time: may(s, t, Action::LogTime),
        };
        Can::of(s, t, catalog, &may_do, false)
    }

    /// The properties form has something to offer.
    pub fn properties(&self) -> bool {
        self.edit || self.status || self.log_time
    }

    pub fn any(&self) -> bool {
        self.reply
            || self.note
            || self.properties()
            || self.assign
            || self.transfer
            || self.escalate
            || self.resolve
            || self.review
            || self.merge
            || self.link
            || self.collaborate
    }
}

/// The status a solution moves a ticket to: the built-in "resolved", else the first active
/// status of that category.
pub fn resolved_status(catalog: &Catalog) -> Option<Status> {
    let active = catalog.statuses.iter().filter(|d| d.active && d.status.category() == StateCategory::Resolved);
    let all: Vec<_> = active.collect();
    all.iter().find(|d| d.status == Status::RESOLVED).or(all.first()).map(|d| d.status.clone())
}

/// The active statuses the graph allows from the ticket's and the agent may set.
fn next_statuses<'a>(s: &'a Staff, t: &'a Ticket, catalog: &'a Catalog) -> impl Iterator<Item = &'a tikal_core::StatusDef> + 'a {
    catalog.statuses.iter().filter(move |d| {
        d.active && t.status.can_move_to(&d.status) && may(s, t, Action::SetStatus { from: t.status.category(), to: d.status.category() })
    })
}

/// An option of a list.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn opts(items: impl IntoIterator<Item = (String, String)>, selected: &str) -> Vec<Opt> {
    items.into_iter().map(|(value, label)| Opt { selected: value == selected, value, label }).collect()
}

/// What the agent typed or chose in a form that came back (`None`: not sent, show the ticket's
/// own value).
#[derive(Default, Clone)]
pub struct Typed {
    pub reply: Option<String>,
    pub note: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    pub impact: Option<String>,
    pub urgency: Option<String>,
    pub kind: Option<String>,
    pub topic: Option<String>,
    pub estimate: Option<String>,
    pub owner: Option<String>,
    pub responsible: Option<String>,
    pub department: Option<String>,
    pub transfer_reason: Option<String>,
    pub minutes: Option<String>,
    pub time_note: Option<String>,
    pub solution: Option<String>,
    pub review_reason: Option<String>,
    pub escalate_reason: Option<String>,
    pub merge_into: Option<String>,
    pub link_kind: Option<String>,
    pub link_other: Option<String>,
    pub collab_agent: Option<String>,
    pub cc_email: Option<String>,
    pub cc_name: Option<String>,
}

/// The forms' lists and values.
pub struct Forms {
    pub reply: String,
    pub note: String,
    pub statuses: Vec<Opt>,
    pub priorities: Vec<Opt>,
    pub impacts: Vec<Opt>,
    pub urgencies: Vec<Opt>,
    pub kinds: Vec<Opt>,
    pub topics: Vec<Opt>,
    pub estimate: String,
    pub owners: Vec<Opt>,
    pub responsibles: Vec<Opt>,
    pub departments: Vec<Opt>,
    pub transfer_reason: String,
    pub minutes: String,
    pub time_note: String,
    pub solution: String,
    pub review_reason: String,
    pub escalate_reason: String,
    pub merge_into: String,
    pub link_kinds: Vec<Opt>,
    pub link_other: String,
    /// Agents who may be added as collaborators.
    pub collab_agents: Vec<Opt>,
    pub cc_email: String,
    pub cc_name: String,
    /// The agent's canned responses.
    pub canned: Vec<Opt>,
}

impl Forms {
    #[allow(clippy::too_many_arguments)]
    pub fn of(
        c: &Chrome,
        n: &Names<'_>,
        t: &Ticket,
        staff: &[Agent],
        collab_agents: &[Agent],
        canned: &[tikal_store::CannedRow],
        canned_chosen: Option<&str>,
        s: &Staff,
        typed: &Typed,
    ) -> Forms {
        let pick = |typed: &Option<String>, current: String| typed.clone().unwrap_or(current);
        let id = |x: Option<i64>| x.map(|i| i.to_string()).unwrap_or_default();
        let mut statuses = vec![(t.status.as_str().to_string(), c.status(n.catalog, t.status.as_str()))];
        statuses.extend(next_statuses(s, t, n.catalog).map(|d| (d.status.as_str().to_string(), d.name(c.lang.code()).to_string())));
        let none = (String::new(), c.t("desk-none"));
        let levels3 = |sel: &str| opts(std::iter::once(none.clone()).chain((1..=3u8).map(|l| (l.to_string(), level3(c, l)))), sel);
        let people = |sel: &str| {
            let list = staff.iter().map(|a| (a.id.get().to_string(), a.name.as_str().to_string()));
            opts(std::iter::once((String::new(), c.t("desk-nobody"))).chain(list), sel)
        };
        let topics = n
            .catalog
            .topics
            .iter()
            .filter(|x| x.active || Some(x.id) == t.help_topic_id)
            .map(|x| (x.id.get().to_string(), x.path(&n.catalog.topics)));
        let departments =
            n.catalog.departments.iter().filter(|d| d.id != t.department_id).map(|d| (d.id.get().to_string(), d.name.clone()));
        Forms {
            reply: typed.reply.clone().unwrap_or_default(),
            note: typed.note.clone().unwrap_or_default(),
            statuses: opts(statuses, &pick(&typed.status, t.status.as_str().to_string())),
            priorities: opts(
                Priority::ALL.iter().map(|p| (p.level().to_string(), c.priority(n.catalog, *p))),
                &pick(&typed.priority, t.priority.level().to_string()),
            ),
            impacts: levels3(&pick(&typed.impact, id(t.impact.map(|i: Impact| i64::from(i.level()))))),
            urgencies: levels3(&pick(&typed.urgency, id(t.urgency.map(|u: Urgency| i64::from(u.level()))))),
            kinds: opts(
                TicketType::ALL
                    .iter()
                    .filter(|k| **k == t.kind || n.catalog.ticket_types.iter().all(|d| d.kind != **k || d.active))
                    .map(|k| (k.as_str().to_string(), c.ticket_type(n.catalog, k.as_str()))),
                &pick(&typed.kind, t.kind.as_str().to_string()),
            ),
            topics: opts(std::iter::once(none.clone()).chain(topics), &pick(&typed.topic, id(t.help_topic_id.map(|x| x.get())))),
            estimate: pick(&typed.estimate, t.time_estimate_minutes.map(|m| m.to_string()).unwrap_or_default()),
            owners: people(&pick(&typed.owner, id(t.owner_id.map(|a| a.get())))),
            responsibles: people(&pick(&typed.responsible, id(t.responsible_id.map(|a| a.get())))),
            departments: opts(
                std::iter::once((String::new(), c.t("desk-choose"))).chain(departments),
                typed.department.as_deref().unwrap_or_default(),
            ),
            transfer_reason: typed.transfer_reason.clone().unwrap_or_default(),
            minutes: typed.minutes.clone().unwrap_or_default(),
            time_note: typed.time_note.clone().unwrap_or_default(),
            solution: typed.solution.clone().unwrap_or_default(),
            review_reason: typed.review_reason.clone().unwrap_or_default(),
            escalate_reason: typed.escalate_reason.clone().unwrap_or_default(),
            merge_into: typed.merge_into.clone().unwrap_or_default(),
            link_kinds: opts(
                LinkKind::ALL.iter().map(|k| (k.as_str().to_string(), c.t(&format!("desk-link-kind-{}", k.as_str())))),
                typed.link_kind.as_deref().unwrap_or("related"),
            ),
            link_other: typed.link_other.clone().unwrap_or_default(),
            collab_agents: opts(
                std::iter::once((String::new(), c.t("desk-choose")))
                    .chain(collab_agents.iter().map(|a| (a.id.get().to_string(), a.name.as_str().to_string()))),
                typed.collab_agent.as_deref().unwrap_or_default(),
            ),
            cc_email: typed.cc_email.clone().unwrap_or_default(),
            cc_name: typed.cc_name.clone().unwrap_or_default(),
            canned: opts(canned.iter().map(|r| (r.id.to_string(), r.text.title.clone())), canned_chosen.unwrap_or_default()),
        }
    }
}

/// Percent-encodes a file name for `Content-Disposition`.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
