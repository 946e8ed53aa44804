//! Agents' queues: sorted, filtered, keyset-paged lists; saved views; the dashboard's counts;
//! bulk actions. Every list and count is limited to what the caller may see, and every bulk
//! change goes through the same use case (and authorization rule) as a single one.

use std::collections::{BTreeMap, BTreeSet};

use tikal_core::queue::{
    BoundedCount, BuiltinView, COUNT_CAP, Cursor, DueState, DueWindow, OwnerFilter, QueueFilter, SavedView, ViewId, ViewName,
};
use tikal_core::*;
use tikal_store::{NewView, TicketFilter};
use tracing::instrument;

use crate::{Desk, Listing, Principal, Result, ServiceError, TicketQuery};

/// At most this many tickets in one bulk action.
pub const MAX_BULK: usize = 100;

/// The views an agent can open: the built-in ones that apply to them, then saved ones
/// (theirs and shared), by name.
#[derive(Debug, Clone)]
pub struct Views {
    pub builtin: Vec<BuiltinView>,
    pub saved: Vec<SavedView>,
}

/// A view to save, or a saved view's new contents.
#[derive(Debug, Clone)]
pub struct ViewInput {
    pub name: ViewName,
    pub filter: QueueFilter,
    pub shared: bool,
}

/// One department's queue on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentQueue {
    pub department: DepartmentId,
    pub name: String,
    /// Tickets not resolved or closed.
    pub active: u64,
    /// Active tickets nobody owns.
    pub unassigned: u64,
    /// Tickets per status key (every status that has some), in the catalogue's order.
    pub by_status: Vec<(StatusKey, u64)>,
}

/// What an agent's dashboard shows. Counts of the maintained counters are exact; the
/// time-dependent ones stop at `COUNT_CAP` ("99+").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// Active tickets I own (0 for a caller who is not an agent).
    pub my_open: u64,
    /// Active tickets nobody owns in my departments.
    pub unassigned: u64,
    pub due_soon: BoundedCount,
    pub overdue: BoundedCount,
    /// Resolved tickets waiting for my approval; `None` when I may approve nowhere.
    pub awaiting_review: Option<BoundedCount>,
    pub departments: Vec<DepartmentQueue>,
}

/// A change applied to many tickets at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkAction {
    /// Set the owner (`None`: unassign).
    Assign(Option<AgentId>),
    Transfer(DepartmentId),
    SetStatus(StatusKey),
    SetPriority(Priority),
}

/// What happened to one ticket of a bulk action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkResult {
    Done,
    /// Not changed: a stable code (`not_found`, `forbidden`, `invalid_transition`, `conflict`,
    /// ...) and the English text.
    Refused {
        code: &'static str,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkOutcome {
    pub number: TicketNumber,
    pub result: BulkResult,
}

fn refusal(e: &ServiceError) -> BulkResult {
    let (code, message) = match e {
        ServiceError::NotFound(_) => ("not_found", "ticket not found".to_string()),
        ServiceError::Forbidden => ("forbidden", "not allowed".to_string()),
        ServiceError::Domain(d) => (d.code(), d.to_string()),
        ServiceError::Conflict(m) => ("conflict", m.clone()),
        ServiceError::Busy => ("busy", e.to_string()),
        ServiceError::TooLarge { .. } | ServiceError::Unsupported(_) => ("invalid", e.to_string()),
        ServiceError::Internal(_) => ("internal", "internal error".to_string()),
    };
    BulkResult::Refused { code, message }
}

/// May `by` create, change or delete shared views? Administrators, integrations, and agents
/// who may approve resolutions somewhere (supervisors). See ADR 011.
fn may_share(by: &Principal) -> bool {
    match by {
        Principal::Agent { access, .. } => access.all || access.grants.values().any(|p| p.contains(&Permission::TicketApprove)),
        Principal::ApiKey { .. } | Principal::System => true,
        Principal::Requester { .. } | Principal::TicketLink { .. } => false,
    }
}

fn agent_id(by: &Principal) -> Option<AgentId> {
    match by {
        Principal::Agent { id, .. } => Some(*id),
        _ => None,
    }
}

/// Departments where `by` may approve resolutions (`None`: all of them; empty: nowhere).
fn approving_departments(by: &Principal) -> Option<Vec<DepartmentId>> {
    match by {
        Principal::Agent { access, .. } if !access.all => Some(
            access
                .grants
                .iter()
                .filter(|(_, p)| p.contains(&Permission::TicketApprove) && p.contains(&Permission::TicketView))
                .map(|(d, _)| *d)
                .collect(),
        ),
        Principal::Agent { .. } | Principal::ApiKey { .. } | Principal::System => None,
        Principal::Requester { .. } | Principal::TicketLink { .. } => Some(Vec::new()),
    }
}

impl Desk {
    /// Adds a queue filter's conditions to the store filter of a query; `None` when nothing
    /// can match (an owner "me" for a caller who is not an agent, review where they may not
    /// approve, a status filter that excludes the other).
    pub(crate) async fn with_queue(&self, by: &Principal, q: &TicketQuery, mut f: TicketFilter) -> Result<Option<TicketFilter>> {
        let Some(queue) = &q.queue else {
            return Ok(Some(f));
        };
        if !by.is_staff() {
            return Err(ServiceError::Forbidden);
        }
        let catalog = self.catalog().await?;
        // Awaiting review needs no status term: its own (resolved, not closed, not approved)
        // is the condition of a partial index, which a status term would draw the planner away
        // from (ADR 011).
        if !queue.statuses.is_empty() || !queue.states.is_empty() {
            let mut wanted: BTreeSet<String> = BTreeSet::new();
            wanted.extend(catalog.statuses_in(&queue.states).iter().map(|s| s.as_str().to_string()));
            for key in &queue.statuses {
                let def = catalog.status(key.as_str()).ok_or(DomainError::invalid("status", Reason::NotFound))?;
                wanted.insert(def.status.as_str().to_string());
            }
            if queue.awaiting_review {
                let resolved: BTreeSet<String> =
                    catalog.statuses_in(&[StateCategory::Resolved]).iter().map(|s| s.as_str().to_string()).collect();
                wanted.retain(|k| resolved.contains(k));
            }
            if !f.statuses.is_empty() {
                wanted.retain(|k| f.statuses.iter().any(|s| s.as_str() == k));
            }
            if wanted.is_empty() {
                return Ok(None);
            }
            f.statuses = wanted.iter().filter_map(|k| catalog.status(k).map(|d| d.status.clone())).collect();
        }
        if let Some(d) = queue.department {
            if f.department.is_some_and(|x| x != d) {
                return Ok(None);
            }
            f.department = Some(d);
        }
        match queue.owner {
            Some(OwnerFilter::Me) => match agent_id(by) {
                Some(me) => f.owner = Some(me),
                None => return Ok(None),
            },
            Some(OwnerFilter::Nobody) => f.unassigned = true,
            Some(OwnerFilter::Agent(a)) => f.owner = Some(a),
            None => {}
        }
        if queue.awaiting_review {
            f.awaiting_review = true;
            if let Some(approving) = approving_departments(by) {
                let allowed: Vec<DepartmentId> = match &f.departments {
                    Some(visible) => approving.into_iter().filter(|d| visible.contains(d)).collect(),
                    None => approving,
                };
                if allowed.is_empty() {
                    return Ok(None);
                }
                f.departments = Some(allowed);
            }
        }
        f.help_topic = f.help_topic.or(queue.help_topic);
        f.text = f.text.or_else(|| queue.text.clone());
        f.priorities = queue.priorities.clone();
        f.types = queue.types.clone();
        f.channels = queue.channels.clone();
        f.created = queue.created.bounds();
        f.updated = queue.updated.bounds();
        f.due = queue.due.map(|s| DueWindow::at(s, tikal_store::now()));
        f.sort = Some(queue.sort);
        f.cursor = match q.cursor {
            Some(c) if c.sort != queue.sort => return Err(DomainError::from(tikal_core::queue::QueueError::BadCursor).into()),
            c => c,
        };
        Ok(Some(f))
    }

    /// One page of a queue: `filter` within what `by` may see, after `cursor` (from the
    /// previous page's `next`), `limit` tickets (1-200).
    #[instrument(skip_all, err(level = "debug"))]
    pub async fn queue(&self, by: &Principal, filter: QueueFilter, cursor: Option<Cursor>, limit: u64) -> Result<Listing> {
        self.list_tickets(by, TicketQuery { queue: Some(filter), cursor, limit, ..Default::default() }).await
    }

    /// The built-in views that apply to `by` and the saved views they can open.
    pub async fn views(&self, by: &Principal) -> Result<Views> {
        if !by.is_staff() {
            return Err(ServiceError::Forbidden);
        }
        let may_review = approving_departments(by).is_none_or(|d| !d.is_empty());
        let builtin = BuiltinView::ALL
            .iter()
            .copied()
            .filter(|v| match v {
                BuiltinView::Mine => agent_id(by).is_some(),
                BuiltinView::AwaitingReview => may_review,
                _ => true,
            })
            .collect();
        Ok(Views { builtin, saved: self.store.views_for(agent_id(by)).await? })
    }

    /// A saved view `by` may open: their own, or a shared one.
    pub async fn view(&self, by: &Principal, id: ViewId) -> Result<SavedView> {
        if !by.is_staff() {
            return Err(ServiceError::NotFound("view"));
        }
        let v = self.store.view(id).await?.ok_or(ServiceError::NotFound("view"))?;
        if v.shared || (v.owner.is_some() && v.owner == agent_id(by)) { Ok(v) } else { Err(ServiceError::NotFound("view")) }
    }

    /// Saves a view: personal views are an agent's own; shared ones need `may_share`.
    #[instrument(skip_all, err(level = "debug"))]
    pub async fn create_view(&self, by: &Principal, input: ViewInput) -> Result<SavedView> {
        let owner = agent_id(by);
        if input.shared && !may_share(by) {
            return Err(ServiceError::Forbidden);
        }
        if !input.shared && owner.is_none() {
            return Err(DomainError::invalid("shared", "only an agent has personal views").into());
        }
        let new = NewView { name: input.name, filter: input.filter, owner, shared: input.shared };
        Ok(self.store.create_view(&new, tikal_store::now()).await?)
    }

    /// Changes a view. A personal view only by its owner; a shared one (or making one shared)
    /// by whoever may share.
    #[instrument(skip_all, fields(view = %id), err(level = "debug"))]
    pub async fn update_view(&self, by: &Principal, id: ViewId, input: ViewInput) -> Result<SavedView> {
        let v = self.view(by, id).await?;
        self.may_change(by, &v)?;
        if input.shared && !may_share(by) {
            return Err(ServiceError::Forbidden);
        }
        if !input.shared && v.owner.is_none() {
            return Err(DomainError::invalid("shared", "a view an integration made stays shared").into());
        }
        let new = NewView { name: input.name, filter: input.filter, owner: v.owner, shared: input.shared };
        Ok(self.store.update_view(id, &new, tikal_store::now()).await?)
    }

    #[instrument(skip_all, fields(view = %id), err(level = "debug"))]
    pub async fn delete_view(&self, by: &Principal, id: ViewId) -> Result<()> {
        let v = self.view(by, id).await?;
        self.may_change(by, &v)?;
        self.store.delete_view(id).await?;
        Ok(())
    }

    fn may_change(&self, by: &Principal, v: &SavedView) -> Result<()> {
        let own = v.owner.is_some() && v.owner == agent_id(by);
        match (v.shared, own) {
            (false, true) => Ok(()),
            (true, _) if may_share(by) => Ok(()),
            _ => Err(ServiceError::Forbidden),
        }
    }

    /// The dashboard: counts from the maintained counters (no ticket rows read) and bounded
    /// counts of the time-dependent ones, all within the departments `by` may see.
    #[instrument(skip_all, err(level = "debug"))]
    pub async fn dashboard(&self, by: &Principal) -> Result<Dashboard> {
        let visible = match by {
            Principal::Agent { access, .. } => access.visible_departments(),
            Principal::ApiKey { .. } | Principal::System => None,
            Principal::Requester { .. } | Principal::TicketLink { .. } => return Err(ServiceError::Forbidden),
        };
        let catalog = self.catalog().await?;
        let counts = self.store.ticket_counts(visible.as_deref()).await?;
        let me = agent_id(by);
        let category = |key: &str| catalog.status(key).map(|d| d.status.category());
        let mut per: BTreeMap<DepartmentId, BTreeMap<String, u64>> = BTreeMap::new();
        let (mut my_open, mut unassigned) = (0, 0);
        let mut dept_unassigned: BTreeMap<DepartmentId, u64> = BTreeMap::new();
        for c in &counts {
            *per.entry(c.department).or_default().entry(c.status.clone()).or_default() += c.n;
            if !category(&c.status).is_some_and(StateCategory::is_active) {
                continue;
            }
            if c.owner.is_some() && c.owner == me {
                my_open += c.n;
            }
            if c.owner.is_none() {
                unassigned += c.n;
                *dept_unassigned.entry(c.department).or_default() += c.n;
            }
        }
        let shown: Vec<DepartmentId> = match &visible {
            Some(v) => v.clone(),
            None => catalog.departments.iter().map(|d| d.id).collect(),
        };
        let departments = shown
            .iter()
            .filter_map(|id| catalog.department(*id))
            .map(|d| {
                let statuses = per.get(&d.id);
                let by_status: Vec<(StatusKey, u64)> = catalog
                    .statuses
                    .iter()
                    .filter_map(|s| statuses.and_then(|m| m.get(s.status.as_str())).map(|n| (s.status.key().clone(), *n)))
                    .collect();
                let active =
                    by_status.iter().filter(|(k, _)| category(k.as_str()).is_some_and(StateCategory::is_active)).map(|(_, n)| n).sum();
                DepartmentQueue {
                    department: d.id,
                    name: d.name.clone(),
                    active,
                    unassigned: dept_unassigned.get(&d.id).copied().unwrap_or(0),
                    by_status,
                }
            })
            .collect();
        let now = tikal_store::now();
        let base = TicketFilter { departments: visible.clone(), ..Default::default() };
        let bounded = |due: DueState| TicketFilter { due: Some(DueWindow::at(due, now)), ..base.clone() };
        let overdue = BoundedCount { count: self.store.count_capped(&bounded(DueState::Overdue), COUNT_CAP).await? };
        let due_soon = BoundedCount { count: self.store.count_capped(&bounded(DueState::DueSoon), COUNT_CAP).await? };
        let awaiting_review = match approving_departments(by) {
            Some(d) if d.is_empty() => None,
            approving => {
                let f = TicketFilter { departments: approving, awaiting_review: true, ..Default::default() };
                Some(BoundedCount { count: self.store.count_capped(&f, COUNT_CAP).await? })
            }
        };
        Ok(Dashboard { my_open, unassigned, due_soon, overdue, awaiting_review, departments })
    }

    /// Applies one change to many tickets, each through `update_ticket` (the same checks and
    /// authorization rule as a single change). Every ticket gets an answer, in the order given;
    /// a number given twice is done once. More than `MAX_BULK` tickets are refused whole.
    #[instrument(skip_all, fields(tickets = numbers.len()), err(level = "debug"))]
    pub async fn bulk(&self, by: &Principal, action: BulkAction, numbers: Vec<TicketNumber>) -> Result<Vec<BulkOutcome>> {
        if !by.is_staff() {
            return Err(ServiceError::Forbidden);
        }
        if numbers.is_empty() {
            return Err(DomainError::invalid("tickets", Reason::Required).into());
        }
        if numbers.len() > MAX_BULK {
            return Err(DomainError::invalid("tickets", format!("at most {MAX_BULK} tickets at once")).into());
        }
        let update = match &action {
            BulkAction::Assign(owner) => TicketUpdate { owner_id: Some(*owner), ..Default::default() },
            BulkAction::Transfer(d) => TicketUpdate { department_id: Some(*d), ..Default::default() },
            BulkAction::SetStatus(key) => TicketUpdate { status: Some(self.status_to_choose(key.as_str()).await?), ..Default::default() },
            BulkAction::SetPriority(p) => TicketUpdate { priority: Some(*p), ..Default::default() },
        };
        let mut seen = BTreeSet::new();
        let mut out = Vec::with_capacity(numbers.len());
        for number in numbers {
            if !seen.insert(number.clone()) {
                continue;
            }
            let result = match self.update_ticket(by, &number, update.clone()).await {
                Ok(_) => BulkResult::Done,
                Err(e) => {
                    if let ServiceError::Internal(inner) = &e {
                        tracing::error!(ticket = %number, error = %inner, "bulk change failed");
                    }
                    refusal(&e)
                }
            };
            out.push(BulkOutcome { number, result });
        }
        Ok(out)
    }
}
