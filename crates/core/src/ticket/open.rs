//! Opening a ticket: the rules that decide a new ticket's properties from what the channel
//! gave and the help topic's defaults, and the ticket itself before it is stored.

use chrono::{DateTime, Utc};

use super::{Channel, Ticket, TicketType};
use crate::error::DomainError;
use crate::fields::FieldValues;
use crate::ids::{AgentId, DepartmentId, HelpTopicId, RequesterId, TeamId, TicketId};
use crate::number::TicketNumber;
use crate::priority::{Impact, Priority, PriorityMatrix, Urgency};
use crate::sla::SlaPolicy;
use crate::status::Status;
use crate::values::Subject;

/// What a channel asks for; `None` leaves the choice to the topic's defaults and the rules.
#[derive(Debug, Clone, Default)]
pub struct Requested {
    pub priority: Option<Priority>,
    pub impact_urgency: Option<(Impact, Urgency)>,
    pub kind: Option<TicketType>,
}

/// The defaults of the chosen help topic.
#[derive(Debug, Clone, Copy, Default)]
pub struct TopicDefaults {
    pub id: Option<HelpTopicId>,
    pub priority: Option<Priority>,
    pub kind: Option<TicketType>,
}

/// The properties of a ticket being opened, decided before it has an id, a number or a
/// requester row. This is the one list of what a new ticket starts with.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    pub subject: Subject,
    pub channel: Channel,
    pub help_topic_id: Option<HelpTopicId>,
    pub kind: TicketType,
    pub department_id: DepartmentId,
    pub priority: Priority,
    pub impact: Option<Impact>,
    pub urgency: Option<Urgency>,
    pub custom_fields: FieldValues,
    pub response_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: Option<DateTime<Utc>>,
    /// When the SLA sweeper first needs the ticket (set from its plan once routed).
    pub sla_next_at: Option<DateTime<Utc>>,
    pub at: DateTime<Utc>,
    /// Set by routing rules (`routing.rs`): who and which team take it, its tags, and the
    /// names of the rules that fired (recorded in its history).
    pub owner_id: Option<AgentId>,
    pub team_id: Option<TeamId>,
    pub tags: Vec<String>,
    pub routed_by: Option<String>,
}

/// The desk rules opening needs.
#[derive(Debug, Clone, Copy)]
pub struct OpeningRules<'a> {
    pub matrix: &'a PriorityMatrix,
    pub sla: &'a SlaPolicy,
}

impl Opening {
    /// Decides priority (given, or from impact x urgency, or the topic's default, or medium),
    /// type (given, or the topic's, or incident) and the due times.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        subject: Subject,
        channel: Channel,
        department_id: DepartmentId,
        topic: TopicDefaults,
        requested: Requested,
        custom_fields: FieldValues,
        rules: OpeningRules<'_>,
        at: DateTime<Utc>,
    ) -> Result<Opening, DomainError> {
        let (priority, impact, urgency) = match (requested.priority, requested.impact_urgency) {
            (Some(_), Some(_)) => return Err(DomainError::invalid("priority", "give a priority or impact and urgency, not both")),
            (Some(p), None) => (p, None, None),
            (None, Some((i, u))) => (rules.matrix.priority(i, u), Some(i), Some(u)),
            (None, None) => (topic.priority.unwrap_or(Priority::Medium), None, None),
        };
        let (response_due, resolution_due) = rules.sla.due(priority, at);
        Ok(Opening {
            subject,
            channel,
            help_topic_id: topic.id,
            kind: requested.kind.or(topic.kind).unwrap_or(TicketType::Incident),
            department_id,
            priority,
            impact,
            urgency,
            custom_fields,
            response_due_at: Some(response_due),
            resolution_due_at: Some(resolution_due),
            sla_next_at: None,
            at,
            owner_id: None,
            team_id: None,
            tags: Vec::new(),
            routed_by: None,
        })
    }
}

impl Ticket {
    /// A new ticket: status new, nobody assigned, no time logged. Its id is set when stored.
    pub fn open(o: &Opening, number: TicketNumber, requester_id: RequesterId) -> Ticket {
        Ticket {
            id: TicketId(0),
            number,
            subject: o.subject.clone(),
            requester_id,
            channel: o.channel,
            help_topic_id: o.help_topic_id,
            kind: o.kind,
            department_id: o.department_id,
            priority: o.priority,
            impact: o.impact,
            urgency: o.urgency,
            status: Status::NEW,
            owner_id: o.owner_id,
            responsible_id: None,
            team_id: o.team_id,
            custom_fields: o.custom_fields.clone(),
            time_estimate_minutes: None,
            time_spent_minutes: 0,
            response_due_at: o.response_due_at,
            resolution_due_at: o.resolution_due_at,
            first_response_at: None,
            resolution_approved: false,
            resolution_confirmed: false,
            resolved_at: None,
            closed_at: None,
            sla_next_at: o.sla_next_at,
            overdue: false,
            created_at: o.at,
            updated_at: o.at,
            version: 0,
        }
    }

    /// A ticket for tests: 000001, new, medium, department 1, requester 1.
    #[cfg(test)]
    pub(crate) fn sample() -> Ticket {
        let at = DateTime::from_timestamp(1_795_000_000, 0).expect("time");
        let opening = Opening {
            subject: Subject::parse("Impresora no imprime").expect("subject"),
            channel: Channel::Web,
            help_topic_id: None,
            kind: TicketType::Incident,
            department_id: DepartmentId(1),
            priority: Priority::Medium,
            impact: None,
            urgency: None,
            custom_fields: FieldValues::new(),
            response_due_at: None,
            resolution_due_at: None,
            sla_next_at: None,
            at,
            owner_id: None,
            team_id: None,
            tags: Vec::new(),
            routed_by: None,
        };
        let number = TicketNumber::parse("000001").expect("number");
        let mut t = Ticket::open(&opening, number, RequesterId(1));
        t.id = TicketId(1);
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(topic: TopicDefaults, requested: Requested) -> Result<Opening, DomainError> {
        let (matrix, sla) = (PriorityMatrix::default(), SlaPolicy::default());
        let at = DateTime::from_timestamp(1_795_000_000, 0).expect("time");
        let subject = Subject::parse("Sin acceso al correo").expect("subject");
        Opening::decide(
            subject,
            Channel::Phone,
            DepartmentId(3),
            topic,
            requested,
            FieldValues::new(),
            OpeningRules { matrix: &matrix, sla: &sla },
            at,
        )
    }

    #[test]
    fn priority_comes_from_the_request_the_matrix_or_the_topic() {
        let topic = TopicDefaults { id: Some(HelpTopicId(4)), priority: Some(Priority::High), kind: Some(TicketType::ServiceRequest) };
        let o = decide(topic, Requested::default()).expect("open");
        assert_eq!((o.priority, o.kind, o.help_topic_id), (Priority::High, TicketType::ServiceRequest, Some(HelpTopicId(4))));
        let o = decide(topic, Requested { impact_urgency: Some((Impact::High, Urgency::High)), ..Default::default() }).expect("open");
        assert_eq!((o.priority, o.impact, o.urgency), (Priority::VeryHigh, Some(Impact::High), Some(Urgency::High)));
        let o = decide(
            TopicDefaults::default(),
            Requested { priority: Some(Priority::Low), kind: Some(TicketType::Problem), ..Default::default() },
        )
        .expect("open");
        assert_eq!((o.priority, o.kind), (Priority::Low, TicketType::Problem));
        let o = decide(TopicDefaults::default(), Requested::default()).expect("open");
        assert_eq!((o.priority, o.kind), (Priority::Medium, TicketType::Incident));
        let both = Requested { priority: Some(Priority::Low), impact_urgency: Some((Impact::Low, Urgency::Low)), ..Default::default() };
        assert!(decide(topic, both).is_err());
    }

    #[test]
    fn a_new_ticket_starts_new_and_due() {
        let o = decide(TopicDefaults::default(), Requested { priority: Some(Priority::VeryHigh), ..Default::default() }).expect("open");
        let t = Ticket::open(&o, TicketNumber::parse("000042").expect("number"), RequesterId(9));
        assert_eq!(t.status, Status::NEW);
        assert_eq!(t.created_at, o.at);
        assert_eq!(t.response_due_at, Some(o.at + chrono::Duration::hours(1)));
        assert_eq!(t.department_id, DepartmentId(3));
        assert_eq!(t.requester_id, RequesterId(9));
    }
}
