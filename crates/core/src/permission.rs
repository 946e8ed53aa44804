//! Roles grant permissions per department: an agent sees and acts only where a role allows.

use std::collections::{BTreeMap, BTreeSet};

use crate::ids::DepartmentId;
use crate::string_enum;

string_enum! {
    pub enum Permission {
        TicketView => "ticket.view",
        TicketCreate => "ticket.create",
        TicketReply => "ticket.reply",
        TicketNote => "ticket.note",
        TicketAssign => "ticket.assign",
        TicketTransfer => "ticket.transfer",
        TicketEdit => "ticket.edit",
        TicketResolve => "ticket.resolve",
        TicketClose => "ticket.close",
        TicketApprove => "ticket.approve",
        TicketReopen => "ticket.reopen",
        TicketDelete => "ticket.delete",
        TimeLog => "time.log",
        KbEdit => "kb.edit",
        ReportsView => "reports.view",
    }
}

/// The built-in roles seeded on first start; administrators can add their own.
pub fn builtin_roles() -> Vec<(&'static str, BTreeSet<Permission>)> {
    use Permission::*;
    let agent: BTreeSet<Permission> =
        [TicketView, TicketCreate, TicketReply, TicketNote, TicketAssign, TicketTransfer, TicketEdit, TicketResolve, TimeLog, KbEdit]
            .into_iter()
            .collect();
    let supervisor: BTreeSet<Permission> = Permission::ALL.iter().copied().filter(|p| *p != TicketDelete).collect();
    let read_only: BTreeSet<Permission> = [TicketView].into_iter().collect();
    vec![("agent", agent), ("supervisor", supervisor), ("read_only", read_only)]
}

/// Parses a stored, comma-separated permission list; an unknown name is an error.
pub fn parse_permissions(s: &str) -> Result<BTreeSet<Permission>, crate::error::UnknownValue> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::parse).collect()
}

pub fn format_permissions(perms: &BTreeSet<Permission>) -> String {
    perms.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
}

/// What one principal may do: everything (administrators, API keys) or the union of the roles
/// granted per department.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Access {
    pub all: bool,
    pub grants: BTreeMap<DepartmentId, BTreeSet<Permission>>,
}

impl Access {
    pub fn full() -> Self {
        Access { all: true, grants: BTreeMap::new() }
    }

    pub fn grant(&mut self, dept: DepartmentId, perms: impl IntoIterator<Item = Permission>) {
        self.grants.entry(dept).or_default().extend(perms);
    }

    pub fn allows(&self, dept: DepartmentId, perm: Permission) -> bool {
        self.all || self.grants.get(&dept).is_some_and(|p| p.contains(&perm))
    }

    /// Departments whose tickets are visible; `None` means all of them.
    pub fn visible_departments(&self) -> Option<Vec<DepartmentId>> {
        if self.all {
            return None;
        }
        Some(self.grants.iter().filter(|(_, p)| p.contains(&Permission::TicketView)).map(|(d, _)| *d).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_per_department() {
        let mut a = Access::default();
        a.grant(DepartmentId(1), [Permission::TicketView, Permission::TicketReply]);
        a.grant(DepartmentId(2), [Permission::TicketReply]);
        assert!(a.allows(DepartmentId(1), Permission::TicketReply));
        assert!(!a.allows(DepartmentId(1), Permission::TicketApprove));
        assert!(!a.allows(DepartmentId(3), Permission::TicketView));
        assert_eq!(a.visible_departments(), Some(vec![DepartmentId(1)]));
        assert!(Access::full().allows(DepartmentId(9), Permission::TicketDelete));
        assert_eq!(Access::full().visible_departments(), None);
    }

    #[test]
    fn permission_lists_roundtrip() {
        for (_, perms) in builtin_roles() {
            assert_eq!(parse_permissions(&format_permissions(&perms)).expect("roundtrip"), perms);
        }
        assert!(parse_permissions("ticket.view,ticket.fly").is_err());
        assert!(parse_permissions("").expect("empty").is_empty());
    }

    #[test]
    fn supervisor_can_approve_agent_cannot() {
        let roles = builtin_roles();
        let get = |n: &str| roles.iter().find(|(name, _)| *name == n).map(|(_, p)| p.clone()).expect("role");
        assert!(get("supervisor").contains(&Permission::TicketApprove));
        assert!(!get("agent").contains(&Permission::TicketApprove));
        assert!(!get("read_only").contains(&Permission::TicketReply));
    }
}
