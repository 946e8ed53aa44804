//! The organisation around tickets: departments, help topics, people, API keys.

use crate::ids::*;
use crate::priority::Priority;
use crate::ticket::TicketType;
use crate::values::{EmailAddress, PersonName};

#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
    pub parent_id: Option<DepartmentId>,
    /// The agent who answers for the department (told of escalations).
    pub manager_id: Option<AgentId>,
    /// The address its mail goes out from and its alerts go to.
    pub email: Option<EmailAddress>,
    /// The SLA plan of its tickets when their help topic names none.
    pub sla_plan_id: Option<SlaPlanId>,
    pub auto_assign: crate::admin::AutoAssign,
    /// A retired department takes no new tickets but keeps its history.
    pub active: bool,
}

/// A group of agents across or within departments (e.g. "Redes" inside UIT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub department_id: Option<DepartmentId>,
    pub active: bool,
    pub members: Vec<AgentId>,
}

/// An entry of the service catalogue ("Problema de computadoras / Problemas en el teclado"),
/// with the defaults a ticket opened under it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct HelpTopic {
    pub id: HelpTopicId,
    pub name: String,
    pub parent_id: Option<HelpTopicId>,
    pub department_id: Option<DepartmentId>,
    pub default_priority: Option<Priority>,
    pub default_type: Option<TicketType>,
    pub active: bool,
    /// Offered to requesters in the portal (`false`: only agents register tickets under it).
    pub portal_visible: bool,
    /// The SLA plan of its tickets (before the department's).
    pub sla_plan_id: Option<SlaPlanId>,
    /// A line shown under the topic to help people choose it.
    pub description: String,
    /// Its place among its siblings (lower first, then by name).
    pub sort: i32,
}

impl HelpTopic {
    /// An active topic with only a name and a place in the tree, every default left unset (a
    /// starting point: the administration sets the rest).
    pub fn named(id: HelpTopicId, name: &str, parent: Option<HelpTopicId>) -> HelpTopic {
        HelpTopic {
            id,
            name: name.into(),
            parent_id: parent,
            department_id: None,
            default_priority: None,
            default_type: None,
            active: true,
            portal_visible: true,
            sla_plan_id: None,
            description: String::new(),
            sort: 0,
        }
    }

    /// "Parent / Child" path for display, given the whole catalogue.
    pub fn path(&self, all: &[HelpTopic]) -> String {
        let mut names = vec![self.name.as_str()];
        let mut parent = self.parent_id;
        // Bounded walk: a corrupt cycle must not hang a request.
        for _ in 0..16 {
            let Some(pid) = parent else { break };
            let Some(p) = all.iter().find(|t| t.id == pid) else { break };
            names.push(p.name.as_str());
            parent = p.parent_id;
        }
        names.reverse();
        names.join(" / ")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Requester {
    pub id: RequesterId,
    pub email: EmailAddress,
    pub name: PersonName,
    pub organisation_id: Option<OrganisationId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Agent {
    pub id: AgentId,
    pub email: EmailAddress,
    pub name: PersonName,
    pub is_admin: bool,
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(id: i64, name: &str, parent: Option<i64>) -> HelpTopic {
        HelpTopic::named(HelpTopicId(id), name, parent.map(HelpTopicId))
    }

    #[test]
    fn topic_path() {
        let all = vec![topic(1, "Problema de computadoras", None), topic(2, "Problemas en el teclado", Some(1))];
        assert_eq!(all[1].path(&all), "Problema de computadoras / Problemas en el teclado");
        let cyclic = vec![topic(1, "a", Some(2)), topic(2, "b", Some(1))];
        assert!(cyclic[0].path(&cyclic).len() < 100);
    }
}
