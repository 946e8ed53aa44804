//! Finding the person on the phone: operators register tickets on behalf of callers and look
//! them up by name, e-mail or phone first (seed 003: "¿ya fue atendido antes?").

use tikal_core::RequesterId;
use tikal_core::org::Requester;
use tikal_core::permission::Permission;

use crate::{Desk, Principal, Result, ServiceError};

/// A requester as the operator's search shows them.
#[derive(Debug, Clone)]
pub struct Caller {
    pub requester: Requester,
    pub phone: Option<String>,
}

/// At most this many people per search.
const MAX_CALLERS: u64 = 20;

impl Desk {
    fn find_callers_allowed(&self, by: &Principal) -> Result<()> {
        let allowed = match by {
            Principal::Agent { access, .. } => access.all || access.grants.values().any(|p| p.contains(&Permission::TicketCreate)),
            Principal::ApiKey { .. } | Principal::System => true,
            _ => false,
        };
        if allowed { Ok(()) } else { Err(ServiceError::Forbidden) }
    }

    /// Requesters whose name, e-mail or phone contains `text`. Only staff who may open tickets
    /// on someone's behalf in some department may search the directory.
    pub async fn find_callers(&self, by: &Principal, text: &str) -> Result<Vec<Caller>> {
        self.find_callers_allowed(by)?;
        let text: String = text.chars().take(100).collect();
        let found = self.store.search_requesters(&text, MAX_CALLERS).await?;
        Ok(found.into_iter().map(|(requester, phone)| Caller { requester, phone }).collect())
    }

    /// The requester with this id, for staff registering a ticket on their behalf.
    pub async fn caller(&self, by: &Principal, id: RequesterId) -> Result<Caller> {
        self.find_callers_allowed(by)?;
        let requester = self.store.requesters_by_ids(&[id]).await?.pop().ok_or(ServiceError::NotFound("requester"))?;
        let phone = self.store.requester_account_by_id(id).await?.and_then(|a| a.phone);
        Ok(Caller { requester, phone })
    }

    /// Keeps the number a caller rang from, when the requester has none on record yet.
    pub async fn note_caller_phone(&self, by: &Principal, id: RequesterId, phone: &str) -> Result<()> {
        self.find_callers_allowed(by)?;
        let phone = phone.trim();
        if phone.is_empty() {
            return Ok(());
        }
        if phone.chars().count() > 40 || !phone.chars().all(|c| c.is_ascii_digit() || " +-()./".contains(c)) {
            return Err(tikal_core::DomainError::invalid("phone", tikal_core::Reason::InvalidPhone).into());
        }
        Ok(self.store.set_requester_phone_if_missing(id, phone).await?)
    }
}
