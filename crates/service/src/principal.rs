use tikal_core::authz::Actor;
use tikal_core::{Access, AgentId, ApiKeyId, Author, OrganisationId, RequesterId, TicketId};

/// Who is calling, established by the web layer (session or API key) or by an intake channel.
#[derive(Debug, Clone)]
pub enum Principal {
    Agent {
        id: AgentId,
        name: String,
        access: Access,
    },
    Requester {
        id: RequesterId,
        name: String,
        /// Their organisation, whose tickets they may see where the portal allows it.
        organisation: Option<OrganisationId>,
    },
    /// A requester who came through a status-check link: that one ticket only.
    TicketLink {
        requester: RequesterId,
        ticket: TicketId,
        name: String,
    },
    /// An integration: full access, recorded as the key's name.
    ApiKey {
        id: ApiKeyId,
        name: String,
    },
    /// Background jobs and mail intake acting on their own.
    System,
}

impl Principal {
    pub fn author(&self) -> Author {
        match self {
            Principal::Agent { id, .. } => Author::Agent(*id),
            Principal::Requester { id, .. } | Principal::TicketLink { requester: id, .. } => Author::Requester(*id),
            Principal::ApiKey { id, .. } => Author::ApiKey(*id),
            Principal::System => Author::System,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Principal::Agent { name, .. }
            | Principal::Requester { name, .. }
            | Principal::TicketLink { name, .. }
            | Principal::ApiKey { name, .. } => name,
            Principal::System => "Tikal",
        }
    }

    pub fn is_staff(&self) -> bool {
        !matches!(self, Principal::Requester { .. } | Principal::TicketLink { .. })
    }

    /// Who this is for the authorization rule (`tikal_core::authz`).
    pub fn actor(&self) -> Actor<'_> {
        match self {
            Principal::Agent { access, .. } => Actor::Agent(access),
            Principal::ApiKey { .. } | Principal::System => Actor::Integration,
            Principal::Requester { id, organisation, .. } => Actor::Requester { id: *id, organisation: *organisation },
            Principal::TicketLink { requester, ticket, .. } => Actor::TicketLink { requester: *requester, ticket: *ticket },
        }
    }
}
