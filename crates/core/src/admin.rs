//! Administration: what an administrator configures about departments and teams, the rules
//! that keep that configuration sound, and the vocabulary of the audit log that records every
//! administrative change.

use chrono::{DateTime, Utc};

use crate::error::{DomainError, Reason};
use crate::ids::{AgentId, DepartmentId, SlaPlanId};
use crate::org::Department;
use crate::string_enum;
use crate::values::{EmailAddress, bounded_text};

string_enum! {
    /// What an audit-log entry is about.
    pub enum AdminEntity {
        Department => "department",
        Team => "team",
        HelpTopic => "help_topic",
        CustomField => "custom_field",
        Status => "status",
        Priority => "priority",
        TicketType => "ticket_type",
        SlaPlan => "sla_plan",
        Calendar => "calendar",
        Agent => "agent",
        Role => "role",
        Requester => "requester",
        Organisation => "organisation",
        Template => "template",
        RoutingRule => "routing_rule",
        TimeRule => "time_rule",
        Settings => "settings",
        Configuration => "configuration",
        MailAccount => "mail_account",
        /// A job of the outbox (mail to send); retried by an administrator.
        OutboxJob => "outbox_job",
        /// A recurring task of the schedule (SLA sweep, automation); run now by an administrator.
        ScheduledTask => "scheduled_task",
        /// A knowledge-base article, deleted by an editor (its edits are its own revisions).
        KbArticle => "kb_article",
    }
}

string_enum! {
    pub enum AuditAction {
        Create => "create",
        Update => "update",
        Retire => "retire",
        Restore => "restore",
        Delete => "delete",
        Merge => "merge",
        Import => "import",
        /// A dead outbox job sent back to the queue.
        Retry => "retry",
        /// A scheduled task made due now.
        Run => "run",
    }
}

string_enum! {
    /// How a department hands new tickets to its agents.
    pub enum AutoAssign {
        Off => "off",
        RoundRobin => "round_robin",
        LeastOpen => "least_open",
    }
}

impl AuditAction {
    /// What saving an entity is, from whether it was active before (`None`: it did not exist)
    /// and whether it is after: a creation, a retirement, a restoration or an update.
    pub fn of_save(active_before: Option<bool>, active_after: bool) -> AuditAction {
        match active_before {
            None => AuditAction::Create,
            Some(true) if !active_after => AuditAction::Retire,
            Some(false) if active_after => AuditAction::Restore,
            Some(_) => AuditAction::Update,
        }
    }
}

/// Who made an administrative change, as recorded (names stay readable after a rename).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditActor {
    Agent {
        id: AgentId,
        name: String,
    },
    ApiKey {
        id: i64,
        name: String,
    },
    /// The command line on the server, first start, or an import run by an operator.
    System,
}

impl AuditActor {
    pub fn kind(&self) -> &'static str {
        match self {
            AuditActor::Agent { .. } => "agent",
            AuditActor::ApiKey { .. } => "api_key",
            AuditActor::System => "system",
        }
    }

    pub fn id(&self) -> Option<i64> {
        match self {
            AuditActor::Agent { id, .. } => Some(id.get()),
            AuditActor::ApiKey { id, .. } => Some(*id),
            AuditActor::System => None,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            AuditActor::Agent { name, .. } | AuditActor::ApiKey { name, .. } => name,
            AuditActor::System => "Tikal",
        }
    }
}

/// One recorded administrative change. `before` and `after` are JSON documents of the entity
/// (`None` when it did not exist before or no longer exists after).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: AuditAction,
    pub entity: AdminEntity,
    pub entity_id: String,
    pub summary: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// What to look for in the audit log: newest first, `before` an entry id for the next page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Words of the summary, the actor's name or the entity id (case-insensitive substring).
    pub q: Option<String>,
    pub entity: Option<AdminEntity>,
    pub entity_id: Option<String>,
    pub actor_id: Option<AgentId>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub before: Option<i64>,
    pub limit: u32,
}

impl AuditQuery {
    pub const MAX_LIMIT: u32 = 200;

    pub fn limit(&self) -> u64 {
        u64::from(self.limit.clamp(1, Self::MAX_LIMIT))
    }
}

pub const MAX_NAME: usize = 80;

/// A department as an administrator edits it; `validate` turns it into settings that can be
/// stored. The desk rules (next level, review) are edited with it but kept in `desk.rs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepartmentInput {
    pub name: String,
    pub parent_id: Option<DepartmentId>,
    pub manager_id: Option<AgentId>,
    pub email: String,
    pub sla_plan_id: Option<SlaPlanId>,
    pub auto_assign: Option<AutoAssign>,
    pub active: bool,
}

/// Department settings that passed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentSettings {
    pub name: String,
    pub parent_id: Option<DepartmentId>,
    pub manager_id: Option<AgentId>,
    pub email: Option<EmailAddress>,
    pub sla_plan_id: Option<SlaPlanId>,
    pub auto_assign: AutoAssign,
    pub active: bool,
}

impl DepartmentInput {
    /// Checks the input against the other departments: a unique name (ignoring case), an
    /// existing parent that is not the department itself nor one of its descendants.
    /// `id` is the department being edited (`None` for a new one).
    pub fn validate(self, id: Option<DepartmentId>, all: &[Department]) -> Result<DepartmentSettings, DomainError> {
        let name = bounded_text("name", &self.name, MAX_NAME)?;
        let folded = name.to_lowercase();
        if all.iter().any(|d| Some(d.id) != id && d.name.to_lowercase() == folded) {
            return Err(DomainError::invalid("name", Reason::Duplicate));
        }
        if let Some(parent) = self.parent_id {
            if !all.iter().any(|d| d.id == parent) {
                return Err(DomainError::invalid("parent_id", Reason::NotFound));
            }
            if let Some(id) = id
                && would_cycle(id, parent, all)
            {
                return Err(DomainError::invalid("parent_id", Reason::Cycle));
            }
        }
        let email = match self.email.trim() {
            "" => None,
            e => Some(EmailAddress::parse(e).map_err(|_| DomainError::invalid("email", Reason::InvalidEmail))?),
        };
        Ok(DepartmentSettings {
            name,
            parent_id: self.parent_id,
            manager_id: self.manager_id,
            email,
            sla_plan_id: self.sla_plan_id,
            auto_assign: self.auto_assign.unwrap_or(AutoAssign::Off),
            active: self.active,
        })
    }
}

/// Whether making `parent` the parent of `id` would put `id` above itself.
pub fn would_cycle(id: DepartmentId, parent: DepartmentId, all: &[Department]) -> bool {
    let mut cur = Some(parent);
    // Bounded by the number of departments: a corrupt cycle already stored must not hang.
    for _ in 0..=all.len() {
        match cur {
            None => return false,
            Some(c) if c == id => return true,
            Some(c) => cur = all.iter().find(|d| d.id == c).and_then(|d| d.parent_id),
        }
    }
    true
}

/// A team as an administrator edits it: a name, an optional home department, members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TeamInput {
    pub name: String,
    pub department_id: Option<DepartmentId>,
    pub members: Vec<AgentId>,
    pub active: bool,
}

impl TeamInput {
    pub fn validate(mut self, id: Option<crate::ids::TeamId>, others: &[(crate::ids::TeamId, String)]) -> Result<TeamInput, DomainError> {
        self.name = bounded_text("name", &self.name, MAX_NAME)?;
        let folded = self.name.to_lowercase();
        if others.iter().any(|(tid, n)| Some(*tid) != id && n.to_lowercase() == folded) {
            return Err(DomainError::invalid("name", Reason::Duplicate));
        }
        self.members.sort();
        self.members.dedup();
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(id: i64, parent: Option<i64>, name: &str) -> Department {
        Department {
            id: DepartmentId(id),
            name: name.into(),
            parent_id: parent.map(DepartmentId),
            manager_id: None,
            email: None,
            sla_plan_id: None,
            auto_assign: AutoAssign::Off,
            active: true,
        }
    }

    fn input(name: &str, parent: Option<i64>) -> DepartmentInput {
        DepartmentInput { name: name.into(), parent_id: parent.map(DepartmentId), active: true, ..Default::default() }
    }

    #[test]
    fn department_names_are_unique_ignoring_case_and_trimmed() {
        let all = [dept(1, None, "UIT"), dept(2, Some(1), "UPAT")];
        assert!(input("  uit ", None).validate(None, &all).is_err());
        assert_eq!(input("  uit ", None).validate(Some(DepartmentId(1)), &all).map(|s| s.name), Ok("uit".to_string()));
        assert!(input("", None).validate(None, &all).is_err());
        assert!(input(&"x".repeat(MAX_NAME + 1), None).validate(None, &all).is_err());
        assert!(input("ACGII", None).validate(None, &all).is_ok());
    }

    #[test]
    fn a_department_cannot_sit_below_itself() {
        // 1 <- 2 <- 3
        let all = [dept(1, None, "a"), dept(2, Some(1), "b"), dept(3, Some(2), "c")];
        assert!(input("a", Some(1)).validate(Some(DepartmentId(1)), &all).is_err());
        assert!(input("a", Some(3)).validate(Some(DepartmentId(1)), &all).is_err());
        assert!(input("c", Some(1)).validate(Some(DepartmentId(3)), &all).is_ok());
        assert!(input("n", Some(9)).validate(None, &all).is_err());
        // A cycle already stored (1 <-> 2) is reported, not walked forever.
        let corrupt = [dept(1, Some(2), "a"), dept(2, Some(1), "b"), dept(3, None, "c")];
        assert!(would_cycle(DepartmentId(3), DepartmentId(1), &corrupt));
    }

    #[test]
    fn department_email_is_optional_but_valid() {
        let mut i = input("UIT", None);
        i.email = "no es correo".into();
        assert!(i.clone().validate(None, &[]).is_err());
        i.email = " Soporte@Ejemplo.gob.ec ".into();
        assert_eq!(i.validate(None, &[]).map(|s| s.email.map(|e| e.as_str().to_string())), Ok(Some("soporte@ejemplo.gob.ec".into())));
    }

    #[test]
    fn a_save_is_a_creation_retirement_restoration_or_update() {
        assert_eq!(AuditAction::of_save(None, false), AuditAction::Create);
        assert_eq!(AuditAction::of_save(Some(true), false), AuditAction::Retire);
        assert_eq!(AuditAction::of_save(Some(false), true), AuditAction::Restore);
        assert_eq!(AuditAction::of_save(Some(true), true), AuditAction::Update);
        assert_eq!(AuditAction::of_save(Some(false), false), AuditAction::Update);
    }

    #[test]
    fn team_members_are_deduplicated() {
        let t = TeamInput { name: "Redes".into(), members: vec![AgentId(3), AgentId(1), AgentId(3)], ..Default::default() };
        assert_eq!(t.clone().validate(None, &[]).map(|t| t.members), Ok(vec![AgentId(1), AgentId(3)]));
        assert!(t.validate(None, &[(crate::ids::TeamId(7), "REDES".into())]).is_err());
    }
}
