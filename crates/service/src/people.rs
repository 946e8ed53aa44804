//! People administration use cases: agents (invited by e-mail, their grants, administrator or
//! not, deactivated), roles, requesters (edit, merge, CSV import) and organisations. Each
//! checks the caller, validates in `tikal_core::people`, and writes one audited change.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use rand::RngCore;
use serde::Serialize;
use tikal_core::admin::{AdminEntity, AuditAction};
use tikal_core::job::{Job, LinkMail};
use tikal_core::org::{Agent, Organisation};
use tikal_core::people::{
    AgentContext, AgentInput, Encoding, ImportAction, ImportError, ImportRow, OrganisationInput, RequesterInput, RoleInput, check_merge,
    is_builtin_role, plan_import, read_csv, refusal,
};
use tikal_core::permission::Permission;
use tikal_core::{AgentId, DomainError, OrganisationId, Reason, RequesterId, RoleId};
use tikal_store::{AgentRow, MergeCounts, NewInvite, OrganisationRow, RequesterRow, RoleRow, StoreError};

use crate::accounts::token_hash;
use crate::admin::json;
use crate::{Desk, Principal, Result, ServiceError};

/// An invitation link works once, within this time.
pub const INVITE_LIFETIME: Duration = Duration::days(7);
/// The most requesters a page of the list shows.
pub const REQUESTER_PAGE: u64 = 50;

#[derive(Serialize)]
struct AgentDoc<'a> {
    email: &'a str,
    name: &'a str,
    is_admin: bool,
    active: bool,
    /// "department → role", by name.
    grants: Vec<String>,
}

#[derive(Serialize)]
struct RoleDoc<'a> {
    name: &'a str,
    permissions: Vec<&'static str>,
}

#[derive(Serialize)]
struct RequesterDoc<'a> {
    email: &'a str,
    name: &'a str,
    phone: Option<&'a str>,
    organisation_id: Option<i64>,
    language: Option<&'a str>,
}

fn requester_doc(r: &RequesterRow) -> Option<String> {
    json(&RequesterDoc {
        email: r.requester.email.as_str(),
        name: r.requester.name.as_str(),
        phone: r.phone.as_deref(),
        organisation_id: r.requester.organisation_id.map(|o| o.get()),
        language: r.language.as_deref(),
    })
}

#[derive(Serialize)]
struct OrganisationDoc<'a> {
    name: &'a str,
    domain: Option<&'a str>,
}

/// The report of a CSV import: every row with what it does or why it cannot, and, once
/// applied, how many requesters were created and updated.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub encoding: Encoding,
    pub rows: Vec<ImportRow>,
    pub applied: Option<(u64, u64)>,
}

impl ImportReport {
    pub fn valid(&self) -> usize {
        self.rows.iter().filter(|r| r.outcome.is_ok()).count()
    }

    pub fn refused(&self) -> usize {
        self.rows.len() - self.valid()
    }
}

/// What a requester merge would do: the two requesters and what moves.
#[derive(Debug, Clone)]
pub struct MergePreview {
    pub from: RequesterRow,
    pub into: RequesterRow,
    pub moves: MergeCounts,
}

fn random_token() -> String {
    let mut raw = [0u8; 32];
    rand::rng().fill_bytes(&mut raw);
    hex::encode(raw)
}

fn conflict_as(field: &'static str) -> impl Fn(StoreError) -> ServiceError {
    move |e| match e {
        StoreError::Conflict(_) => DomainError::invalid(field, Reason::Other(refusal::TAKEN.into())).into(),
        other => other.into(),
    }
}

impl Desk {
    /// Agents whose name or address contains `q`, active or not (`None`: both), by name.
    pub async fn agent_rows(&self, by: &Principal, q: Option<&str>, active: Option<bool>) -> Result<Vec<AgentRow>> {
        Self::admin_actor(by)?;
        let q = q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty());
        Ok(self
            .store
            .agent_rows()
            .await?
            .into_iter()
            .filter(|r| active.is_none_or(|a| r.agent.active == a))
            .filter(|r| {
                q.as_ref().is_none_or(|q| r.agent.name.as_str().to_lowercase().contains(q) || r.agent.email.as_str().contains(q.as_str()))
            })
            .collect())
    }

    pub async fn agent_row(&self, by: &Principal, id: AgentId) -> Result<AgentRow> {
        Self::admin_actor(by)?;
        self.store.agent_rows().await?.into_iter().find(|r| r.agent.id == id).ok_or(ServiceError::NotFound("agent"))
    }

    async fn agent_doc(
        &self,
        email: &str,
        name: &str,
        is_admin: bool,
        active: bool,
        grants: &[(tikal_core::DepartmentId, RoleId)],
    ) -> Result<Option<String>> {
        let catalog = self.catalog().await?;
        let roles = self.store.role_rows().await?;
        let grants = grants
            .iter()
            .map(|(d, r)| {
                let d = catalog.department(*d).map_or_else(|| d.get().to_string(), |d| d.name.clone());
                let r = roles.iter().find(|x| x.id == *r).map_or_else(|| r.get().to_string(), |x| x.name.clone());
                format!("{d} → {r}")
            })
            .collect();
        Ok(json(&AgentDoc { email, name, is_admin, active, grants }))
    }

    /// An invitation link for `agent` and the mail that carries it, in the desk's language.
    fn invite_for(&self, to: &str) -> NewInvite {
        let nonce = random_token();
        let key = self.store.link_key();
        let hash = token_hash(&key.token(&nonce));
        let base = self.config.portal.public_url.trim_end_matches('/');
        let mail = LinkMail {
            to: to.to_string(),
            link_base: Some(format!("{base}/agent/invite/")),
            nonce: Some(nonce),
            key: Some(key.id().to_string()),
            number: Some(self.config.portal.organisation_name.clone()),
            lang: Some(self.config.portal.default_language.clone()),
            link: None,
        };
        NewInvite { token_hash: hash, expires_at: tikal_store::now() + INVITE_LIFETIME, mail: Job::AgentInvite(mail) }
    }

    /// Creates (`id: None`, an invitation by e-mail) or updates an agent: address, name,
    /// administrator or not, active or not, and their role in each department. A deactivated
    /// agent's sessions end at once and their keys stop working.
    pub async fn save_agent(&self, by: &Principal, id: Option<AgentId>, input: AgentInput) -> Result<Agent> {
        Self::admin_actor(by)?;
        let rows = self.store.agent_rows().await?;
        let before = match id {
            Some(id) => Some(rows.iter().find(|r| r.agent.id == id).cloned().ok_or(ServiceError::NotFound("agent"))?),
            None => None,
        };
        let catalog = self.catalog().await?;
        self.store.ensure_builtin_roles().await?;
        let ctx = AgentContext {
            agents: rows.iter().map(|r| (r.agent.id, r.agent.email.as_str().to_string(), r.agent.is_admin && r.agent.active)).collect(),
            departments: catalog.departments.iter().map(|d| d.id).collect(),
            roles: self.store.role_rows().await?.iter().map(|r| r.id).collect(),
        };
        let s = input.validate(id, &ctx)?;
        let action = AuditAction::of_save(before.as_ref().map(|b| b.agent.active), s.active);
        let before_doc = match &before {
            Some(b) => self.agent_doc(b.agent.email.as_str(), b.agent.name.as_str(), b.agent.is_admin, b.agent.active, &b.grants).await?,
            None => None,
        };
        let after_doc = self.agent_doc(s.email.as_str(), s.name.as_str(), s.is_admin, s.active, &s.grants).await?;
        let audit = Self::audit_entry(
            by,
            action,
            AdminEntity::Agent,
            id.map(|i| i.get()).unwrap_or_default(),
            s.name.as_str(),
            before_doc,
            after_doc,
        )?;
        let invite = id.is_none().then(|| self.invite_for(s.email.as_str()));
        self.store.save_agent(id, s, invite, audit).await.map_err(conflict_as("person_email"))
    }

    /// Sends an agent a new invitation link (the earlier ones stop working): for one who lost
    /// the mail, or forgot their password.
    pub async fn reinvite_agent(&self, by: &Principal, id: AgentId) -> Result<()> {
        let row = self.agent_row(by, id).await?;
        if !row.agent.active {
            return Err(DomainError::invalid("active", Reason::MustBeChecked).into());
        }
        let audit = Self::audit_entry(
            by,
            AuditAction::Update,
            AdminEntity::Agent,
            id.get(),
            format!("{} (invitation sent)", row.agent.name.as_str()),
            None,
            None,
        )?;
        Ok(self.store.reinvite_agent(id, self.invite_for(row.agent.email.as_str()), audit).await?)
    }

    /// The agent a live invitation link is for (its page shows the form; only the form uses it).
    pub async fn invite_live(&self, token: &str) -> Result<Option<Agent>> {
        if token.len() != 64 {
            return Ok(None);
        }
        Ok(self.store.live_invite(&token_hash(token), tikal_store::now()).await?)
    }

    /// Sets an invited agent's password with their link (once); they may then sign in.
    pub async fn accept_invite(&self, token: &str, password: &str) -> Result<AgentId> {
        if password.chars().count() < crate::MIN_PASSWORD {
            return Err(DomainError::invalid("password", Reason::TooShort { min: crate::MIN_PASSWORD }).into());
        }
        if password.len() > 1024 {
            return Err(DomainError::invalid("password", Reason::TooLong { max: 1024 }).into());
        }
        if self.invite_live(token).await?.is_none() {
            return Err(ServiceError::NotFound("link"));
        }
        let hash = self.hasher.hash(password.to_string()).await?;
        self.store.accept_invite(&token_hash(token), &hash, tikal_store::now()).await?.ok_or(ServiceError::NotFound("link"))
    }

    /// Every role (built-in and the desk's own) with how many grants hold it.
    pub async fn role_rows(&self, by: &Principal) -> Result<Vec<RoleRow>> {
        Self::admin_actor(by)?;
        self.store.ensure_builtin_roles().await?;
        Ok(self.store.role_rows().await?)
    }

    pub async fn role_row(&self, by: &Principal, id: RoleId) -> Result<RoleRow> {
        self.role_rows(by).await?.into_iter().find(|r| r.id == id).ok_or(ServiceError::NotFound("role"))
    }

    /// Creates (`id: None`) or updates a role. Built-in roles keep their names; their
    /// permissions may change. Agents holding the role get its new permissions at once.
    pub async fn save_role(&self, by: &Principal, id: Option<RoleId>, input: RoleInput) -> Result<RoleRow> {
        let rows = self.role_rows(by).await?;
        let before = match id {
            Some(id) => Some(rows.iter().find(|r| r.id == id).cloned().ok_or(ServiceError::NotFound("role"))?),
            None => None,
        };
        let others: Vec<(RoleId, String)> = rows.iter().map(|r| (r.id, r.name.clone())).collect();
        let s = input.validate(id, before.as_ref().map(|b| b.name.as_str()), &others)?;
        let doc = |name: &str, p: &BTreeSet<Permission>| json(&RoleDoc { name, permissions: p.iter().map(|p| p.as_str()).collect() });
        let audit = Self::audit_entry(
            by,
            if before.is_some() { AuditAction::Update } else { AuditAction::Create },
            AdminEntity::Role,
            id.map(|i| i.get()).unwrap_or_default(),
            s.name.clone(),
            before.as_ref().and_then(|b| doc(&b.name, &b.permissions)),
            doc(&s.name, &s.permissions),
        )?;
        let saved = self.store.save_role(id, s, audit).await.map_err(conflict_as("name"))?;
        self.role_row(by, saved).await
    }

    /// Deletes a role of the desk's own that no agent holds.
    pub async fn delete_role(&self, by: &Principal, id: RoleId) -> Result<()> {
        let r = self.role_row(by, id).await?;
        if is_builtin_role(&r.name) {
            return Err(DomainError::invalid("name", Reason::Other(refusal::BUILTIN_ROLE.into())).into());
        }
        let in_use = || -> ServiceError { DomainError::invalid("name", Reason::Other(refusal::IN_USE.into())).into() };
        if r.grants > 0 {
            return Err(in_use());
        }
        let before = json(&RoleDoc { name: &r.name, permissions: r.permissions.iter().map(|p| p.as_str()).collect() });
        let audit = Self::audit_entry(by, AuditAction::Delete, AdminEntity::Role, id.get(), r.name.clone(), before, None)?;
        self.store.delete_role(id, audit).await.map_err(|e| match e {
            StoreError::Conflict(_) => in_use(),
            other => other.into(),
        })
    }

    /// A page of requesters (not merged ones) matching `q`, after `after` by id.
    pub async fn requester_rows(
        &self,
        by: &Principal,
        q: Option<&str>,
        after: Option<RequesterId>,
        limit: u64,
    ) -> Result<Vec<RequesterRow>> {
        Self::admin_actor(by)?;
        Ok(self.store.requester_rows(q, after, limit.clamp(1, 200)).await?)
    }

    pub async fn requester_row(&self, by: &Principal, id: RequesterId) -> Result<RequesterRow> {
        Self::admin_actor(by)?;
        self.store.requester_row(id).await?.ok_or(ServiceError::NotFound("requester"))
    }

    /// Changes a requester's address, name, phone, organisation and language.
    pub async fn save_requester(&self, by: &Principal, id: RequesterId, input: RequesterInput) -> Result<RequesterRow> {
        let before = self.requester_row(by, id).await?;
        if before.merged_into.is_some() {
            return Err(DomainError::invalid("requester", Reason::Other(refusal::MERGED.into())).into());
        }
        let owner = match tikal_core::people::person_email(&input.email) {
            Ok(e) => self.store.requester_holding(&e).await?,
            Err(_) => None,
        };
        let orgs: Vec<OrganisationId> = self.store.organisations().await?.into_iter().map(|(o, _)| o.id).collect();
        let s = input.validate(id, owner, &orgs)?;
        let after = RequesterRow {
            requester: tikal_core::org::Requester { id, email: s.email.clone(), name: s.name.clone(), organisation_id: s.organisation_id },
            phone: s.phone.clone(),
            language: s.language.map(|l| l.as_str().to_string()),
            has_password: before.has_password,
            merged_into: None,
        };
        let audit = Self::audit_entry(
            by,
            AuditAction::Update,
            AdminEntity::Requester,
            id.get(),
            s.name.as_str(),
            requester_doc(&before),
            requester_doc(&after),
        )?;
        self.store.save_requester(id, s, audit).await.map_err(conflict_as("person_email"))?;
        Ok(after)
    }

    /// What merging `from` into `into` would move.
    pub async fn merge_preview(&self, by: &Principal, from: RequesterId, into: RequesterId) -> Result<MergePreview> {
        let a = self.requester_row(by, from).await?;
        let b = self.store.requester_row(into).await?.ok_or_else(|| DomainError::invalid("into", Reason::NotFound))?;
        check_merge(from, into, a.merged_into.is_some(), b.merged_into.is_some())?;
        let moves = self.store.merge_counts(from).await?;
        Ok(MergePreview { from: a, into: b, moves })
    }

    /// Merges a duplicate requester into another: tickets, collaborations and messages move;
    /// the duplicate can no longer sign in, and mail or tickets from its address go to `into`.
    pub async fn merge_requester(&self, by: &Principal, from: RequesterId, into: RequesterId) -> Result<MergeCounts> {
        let p = self.merge_preview(by, from, into).await?;
        #[derive(Serialize)]
        struct Moved {
            merged_into: i64,
            tickets: u64,
            collaborations: u64,
            messages: u64,
            sessions_ended: u64,
        }
        let after = json(&Moved {
            merged_into: into.get(),
            tickets: p.moves.tickets,
            collaborations: p.moves.collaborations,
            messages: p.moves.messages,
            sessions_ended: p.moves.sessions,
        });
        let summary = format!("{} → {}", p.from.requester.email.as_str(), p.into.requester.email.as_str());
        let audit = Self::audit_entry(by, AuditAction::Merge, AdminEntity::Requester, from.get(), summary, requester_doc(&p.from), after)?;
        Ok(self.store.merge_requesters(from, into, audit).await?)
    }

    pub async fn organisation_rows(&self, by: &Principal) -> Result<Vec<OrganisationRow>> {
        Self::admin_actor(by)?;
        Ok(self.store.organisation_rows().await?)
    }

    pub async fn organisation_row(&self, by: &Principal, id: OrganisationId) -> Result<OrganisationRow> {
        self.organisation_rows(by).await?.into_iter().find(|o| o.organisation.id == id).ok_or(ServiceError::NotFound("organisation"))
    }

    /// Creates (`id: None`) or updates an organisation: its name and mail domain.
    pub async fn save_organisation(&self, by: &Principal, id: Option<OrganisationId>, input: OrganisationInput) -> Result<Organisation> {
        let rows = self.organisation_rows(by).await?;
        let before = match id {
            Some(id) => Some(rows.iter().find(|o| o.organisation.id == id).cloned().ok_or(ServiceError::NotFound("organisation"))?),
            None => None,
        };
        let others: Vec<_> = rows.iter().map(|o| (o.organisation.id, o.organisation.name.clone(), o.domain.clone())).collect();
        let s = input.validate(id, &others)?;
        let audit = Self::audit_entry(
            by,
            if before.is_some() { AuditAction::Update } else { AuditAction::Create },
            AdminEntity::Organisation,
            id.map(|i| i.get()).unwrap_or_default(),
            s.name.clone(),
            before.as_ref().and_then(|b| json(&OrganisationDoc { name: &b.organisation.name, domain: b.domain.as_deref() })),
            json(&OrganisationDoc { name: &s.name, domain: s.domain.as_deref() }),
        )?;
        self.store.save_organisation(id, s, audit).await.map_err(conflict_as("name"))
    }

    /// Reads and checks a CSV file of requesters; with `apply`, imports its valid rows (all in
    /// one transaction, recorded as one import in the audit log). A file refused as a whole
    /// (too large, too many rows, no `email` column, not CSV) is the inner error.
    pub async fn import_requesters(
        &self,
        by: &Principal,
        bytes: &[u8],
        apply: bool,
    ) -> Result<std::result::Result<ImportReport, ImportError>> {
        Self::admin_actor(by)?;
        let (cells, encoding) = match read_csv(bytes) {
            Ok(r) => r,
            Err(e) => return Ok(Err(e)),
        };
        let orgs: Vec<(OrganisationId, String)> = self.store.organisations().await?.into_iter().map(|(o, _)| (o.id, o.name)).collect();
        let emails: Vec<String> =
            cells.iter().filter_map(|c| tikal_core::people::person_email(&c.email).ok()).map(|e| e.as_str().to_string()).collect();
        let existing: BTreeMap<String, RequesterId> = self.store.requesters_by_addresses(&emails).await?;
        let rows = plan_import(cells, &orgs, &existing);
        let mut report = ImportReport { encoding, rows, applied: None };
        if !apply || report.valid() == 0 {
            return Ok(Ok(report));
        }
        let valid: Vec<(ImportAction, tikal_core::people::ImportValues)> =
            report.rows.iter().filter_map(|r| r.outcome.clone().ok()).collect();
        #[derive(Serialize)]
        struct Imported<'a> {
            created: Vec<&'a str>,
            updated: Vec<&'a str>,
            refused_rows: Vec<usize>,
        }
        let doc = json(&Imported {
            created: valid.iter().filter(|(a, _)| *a == ImportAction::Create).map(|(_, v)| v.email.as_str()).collect(),
            updated: valid.iter().filter(|(a, _)| *a != ImportAction::Create).map(|(_, v)| v.email.as_str()).collect(),
            refused_rows: report.rows.iter().filter(|r| r.outcome.is_err()).map(|r| r.cells.line).collect(),
        });
        let summary = format!("CSV: {} rows imported, {} refused", valid.len(), report.refused());
        let audit = Self::audit_entry(by, AuditAction::Import, AdminEntity::Requester, "import", summary, None, doc)?;
        let done = self.store.import_requesters(valid, audit).await.map_err(|e| match e {
            // Someone created one of the addresses meanwhile: the whole import is undone.
            StoreError::Conflict(m) => ServiceError::Conflict(format!("a requester was added meanwhile; check the file again ({m})")),
            other => other.into(),
        })?;
        report.applied = Some(done);
        Ok(Ok(report))
    }
}
