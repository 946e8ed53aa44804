//! What the desk page shows, already in the agent's language: the header, the thread as
//! entries, which controls to offer and the forms' values.

use tikal_core::authz::Action;
use tikal_core::org::{Agent, Requester};
use tikal_core::{Author, EntryKind, EventKind, Impact, Priority, StateCategory, Status, ThreadEntry, Ticket, TicketType, Urgency};
use tikal_service::Catalog;
use tikal_store::AttachmentMeta;

use super::{Staff, may};
use crate::pages::Chrome;

/// What ids in the thread are called.
pub struct Names<'a> {
    pub catalog: &'a Catalog,
    pub agents: &'a [Agent],
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

pub fn priority(c: &Chrome, p: Priority) -> String {
    format!("{} · {}", p.level(), c.t(&format!("desk-priority-{}", p.level())))
}

fn kind(c: &Chrome, k: &str) -> String {
    c.t(&format!("desk-type-{k}"))
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
    pub estimate: String,
    pub spent: String,
    /// Resolved and waiting on a supervisor's approval or the requester's confirmation.
    pub awaiting: Option<String>,
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
            priority: priority(c, t.priority),
            priority_level: t.priority.level(),
            impact_urgency: match (t.impact, t.urgency) {
                (Some(i), Some(u)) => c.t2("desk-impact-urgency-value", "impact", &level3(c, i.level()), "urgency", &level3(c, u.level())),
                _ => c.t("desk-none"),
            },
            kind: kind(c, t.kind.as_str()),
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
            estimate: minutes(c, t.time_estimate_minutes),
            spent: minutes(c, Some(t.time_spent_minutes)),
            awaiting: awaiting.filter(|a| !a.is_empty()),
        }
    }
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
    pub files: Vec<(i64, String, String)>,
}

impl Entry {
    pub fn of(c: &Chrome, n: &Names<'_>, e: &ThreadEntry, files: &[AttachmentMeta]) -> Entry {
        let files = files
            .iter()
            .filter(|a| a.entry_id == Some(e.id))
            .map(|a| (a.id.get(), a.filename.clone(), format!("{} KB", a.size.div_ceil(1024))))
            .collect();
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
            // Opening records the first status; the entry's label says enough.
            Some(EventKind::Created) => None,
            Some(k) if e.before.is_some() || e.after.is_some() => Some(event_values(c, n, k, e.before.as_deref(), e.after.as_deref())),
            _ => None,
        };
        Entry {
            id: e.id.get(),
            kind,
            label,
            who,
            when: c.when(&e.created_at),
            text: e.body.clone().unwrap_or_default(),
            change,
            reason: e.reason.clone(),
            files,
        }
    }
}

/// An event's before and after values, named (status names, agents, departments...).
fn event_values(c: &Chrome, n: &Names<'_>, k: EventKind, before: Option<&str>, after: Option<&str>) -> (String, String) {
    let name = |v: Option<&str>| -> String {
        match k {
            EventKind::StatusChanged => v.map(|s| c.status(n.catalog, s)).unwrap_or_default(),
            EventKind::Assigned | EventKind::ResponsibleChanged => n.agent(c, v),
            EventKind::Transferred => n.department(v),
            EventKind::HelpTopicChanged => n.topic(c, v),
            EventKind::TypeChanged => v.map(|k| kind(c, k)).unwrap_or_default(),
            EventKind::PriorityChanged => {
                v.and_then(|p| p.parse::<u8>().ok()).and_then(|p| Priority::try_from(p).ok()).map(|p| priority(c, p)).unwrap_or_default()
            }
            EventKind::EstimateChanged | EventKind::TimeLogged => minutes(c, v.and_then(|m| m.parse().ok())),
            _ => v.map_or_else(|| c.t("desk-none"), str::to_string),
        }
    };
    (name(before), name(after))
}

/// Which controls this agent gets.
pub struct Can {
    pub reply: bool,
    pub note: bool,
    pub edit: bool,
    pub assign: bool,
    pub transfer: bool,
    pub log_time: bool,
    pub resolve: bool,
    pub review: bool,
    /// The agent reviews solutions in this department (whether or not one waits now).
    pub supervise: bool,
    /// There is a status the agent may move the ticket to.
    pub status: bool,
}

impl Can {
    pub fn of(s: &Staff, t: &Ticket, catalog: &Catalog) -> Can {
        let resolve = resolved_status(catalog).is_some_and(|r| {
            t.status.can_move_to(&r)
                && may(s, t, Action::Reply)
                && may(s, t, Action::SetStatus { from: t.status.category(), to: StateCategory::Resolved })
        });
        Can {
            reply: may(s, t, Action::Reply),
            note: may(s, t, Action::Note),
            edit: may(s, t, Action::Edit),
            assign: may(s, t, Action::Assign),
            transfer: may(s, t, Action::Transfer),
            log_time: may(s, t, Action::LogTime),
            resolve,
            review: t.status.category() == StateCategory::Resolved && !t.resolution_approved && may(s, t, Action::ReviewResolution),
            supervise: may(s, t, Action::ReviewResolution),
            status: next_statuses(s, t, catalog).next().is_some(),
        }
    }

    /// The properties form has something to offer.
    pub fn properties(&self) -> bool {
        self.edit || self.status || self.log_time
    }

    pub fn any(&self) -> bool {
        self.reply || self.note || self.properties() || self.assign || self.transfer || self.resolve || self.review
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
}

impl Forms {
    pub fn of(c: &Chrome, n: &Names<'_>, t: &Ticket, staff: &[Agent], s: &Staff, typed: &Typed) -> Forms {
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
                Priority::ALL.iter().map(|p| (p.level().to_string(), priority(c, *p))),
                &pick(&typed.priority, t.priority.level().to_string()),
            ),
            impacts: levels3(&pick(&typed.impact, id(t.impact.map(|i: Impact| i64::from(i.level()))))),
            urgencies: levels3(&pick(&typed.urgency, id(t.urgency.map(|u: Urgency| i64::from(u.level()))))),
            kinds: opts(
                TicketType::ALL.iter().map(|k| (k.as_str().to_string(), kind(c, k.as_str()))),
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
        }
    }
}

/// Percent-encodes a file name for `Content-Disposition`.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
