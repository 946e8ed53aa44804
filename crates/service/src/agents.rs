//! Agents: created by an administrator (or the command line, until the administration pages
//! exist) with a role in each department they work in.

use tikal_core::org::Agent;
use tikal_core::{DepartmentId, DomainError, EmailAddress, PersonName, Reason};
use tikal_store::{NewAgent, StoreError};

use crate::accounts::MIN_PASSWORD;
use crate::{Desk, Principal, Result, ServiceError};

/// A department an agent works in, named by id or by name, and the role they hold there.
#[derive(Debug, Clone)]
pub struct Membership {
    pub department: String,
    pub role: String,
}

impl Desk {
    /// Creates an agent who may sign in at `/agent/login` with `password`. Administrators and
    /// the system only. Every department and role must exist; nothing is created otherwise.
    pub async fn create_agent(
        &self,
        by: &Principal,
        email: EmailAddress,
        name: PersonName,
        password: String,
        memberships: &[Membership],
    ) -> Result<Agent> {
        Self::require_admin(by)?;
        if password.chars().count() < MIN_PASSWORD {
            return Err(DomainError::invalid("password", Reason::TooShort { min: MIN_PASSWORD }).into());
        }
        if memberships.is_empty() {
            return Err(DomainError::invalid("department", Reason::Required).into());
        }
        let catalog = self.catalog().await?;
        self.store.ensure_builtin_roles().await?;
        let mut grants = Vec::with_capacity(memberships.len());
        for m in memberships {
            let wanted = m.department.trim();
            let dept = catalog
                .departments
                .iter()
                .find(|d| wanted.parse::<i64>().is_ok_and(|id| d.id == DepartmentId(id)) || d.name.eq_ignore_ascii_case(wanted))
                .ok_or_else(|| DomainError::invalid("department", Reason::NotFound))?;
            let role = self.store.role_by_name(m.role.trim()).await?.ok_or_else(|| DomainError::invalid("role", Reason::NotFound))?;
            grants.push((dept.id, role));
        }
        let hash = self.hasher.hash(password).await?;
        let new = NewAgent { email, name, password_hash: Some(hash), is_admin: false };
        self.store.create_agent_with_grants(new, &grants, tikal_store::now()).await.map_err(|e| match e {
            StoreError::Conflict(_) => ServiceError::Conflict("an agent with this e-mail address already exists".into()),
            e => e.into(),
        })
    }
}
