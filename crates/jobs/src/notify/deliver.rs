//! Sends one notification job: reads the ticket and its people, asks `tikal_core::notice` who
//! gets which mail, and sends each once. A mail's Message-ID is recorded before it is sent
//! (a reply to it finds the ticket even if this worker stops right after sending) and is
//! derived from the job, so a retried job skips the mails already sent or in doubt: nobody
//! gets a notification twice. The job's lease keeps two nodes from running it at once.

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use tikal_core::desk::Collaborator;
use tikal_core::escalation::Target;
use tikal_core::job::{AlertReason, AlertRef, Job};
use tikal_core::notice::{self, Audience, Recipient};
use tikal_core::org::Department;
use tikal_core::permission::Permission;
use tikal_core::template::Vars;
use tikal_core::template::{Language, TemplateKind};
use tikal_core::{Author, EntryKind, EventKind, RequesterId, ThreadEntry, Ticket, TicketId};
use tikal_store::{ClaimedJob, MailRecipient, Retry, StoreError};

use super::{Envelope, NoticeText, NotifySettings, Reader, TicketText, compose_notice, host_of, message_id, notice_vars, threading};
use crate::mail::{MailAttachment, MailError};
use crate::worker::{Outcome, Worker, retry_delay};

fn ticket_of(job: &Job) -> Option<TicketId> {
    match job {
        Job::TicketCreated(r)
        | Job::AgentReply(r)
        | Job::RequesterMessage(r)
        | Job::TicketChanged(r)
        | Job::ResolutionApproved(r)
        | Job::Resolved(r)
        | Job::Closed(r)
        | Job::Reminder(r) => Some(r.ticket_id),
        Job::Assigned(a) => Some(a.ticket_id),
        Job::Transferred(t) => Some(t.ticket_id),
        Job::Alert(a) => Some(a.ticket_id),
        Job::TicketLink(_) | Job::VerifyEmail(_) | Job::PasswordReset(_) | Job::AccountExists(_) | Job::AgentInvite(_) => None,
    }
}

/// The days a reminded ticket had waited: what its latest `reminder_sent` event records.
fn waiting_days(thread: &[ThreadEntry]) -> i64 {
    thread.iter().rev().find(|e| e.event == Some(EventKind::ReminderSent)).and_then(|e| e.after.as_deref()?.parse().ok()).unwrap_or(0)
}

/// One recipient of a notice, with where and how to write to them.
struct Addressee {
    address: String,
    name: String,
    lang: Language,
    reader: Reader,
    bounced: bool,
}

/// What every mail of one job shares.
struct Letterhead {
    ticket: Ticket,
    department: Option<Department>,
    requester: Option<MailRecipient>,
    statuses: Vec<tikal_core::StatusDef>,
    priorities: Vec<tikal_core::priorities::PriorityLevel>,
    site_lang: Language,
    organisation: String,
}

impl Letterhead {
    fn text(&self, lang: Language) -> TicketText {
        let tag = lang.as_str();
        let t = &self.ticket;
        TicketText {
            number: t.number.to_string(),
            subject: t.subject.as_str().to_string(),
            status: self.statuses.iter().find(|s| s.status == t.status).map_or_else(|| t.status.to_string(), |s| s.name(tag).to_string()),
            priority: self
                .priorities
                .iter()
                .find(|p| p.priority == t.priority)
                .map_or_else(|| t.priority.to_string(), |p| p.name(tag).to_string()),
            department: self.department.as_ref().map(|d| d.name.clone()).unwrap_or_default(),
            requester_name: self.requester.as_ref().map(|r| r.name.clone()).unwrap_or_default(),
            requester_email: self.requester.as_ref().map(|r| r.email.clone()).unwrap_or_default(),
        }
    }

    /// The department's address as the sender, else the configured one (`None`).
    fn from(&self) -> Option<String> {
        let d = self.department.as_ref()?;
        let address = d.email.as_ref()?.as_str().parse().ok()?;
        Some(Mailbox::new(Some(d.name.clone()), address).to_string())
    }
}

/// The outcome of sending the mails of one job.
#[derive(Default)]
struct Tally {
    sent: usize,
    /// What was not sent and why (kept on the job for operators).
    notes: Vec<String>,
    /// Addresses the server or lettre refused for good.
    refused: Vec<String>,
}

impl Worker {
    /// Does one `notify.*` job.
    pub(crate) async fn send_notice(
        &self,
        claimed: &ClaimedJob,
        job: &Job,
        settings: &NotifySettings,
        now: DateTime<Utc>,
    ) -> Result<Outcome, StoreError> {
        let Some(ticket_id) = ticket_of(job) else {
            self.store.fail_job(claimed, "not a ticket notification", Retry::Never, now).await?;
            return Ok(Outcome::Dead);
        };
        let Some(ticket) = self.store.ticket_by_id(ticket_id).await? else {
            self.store.complete_job_noting(claimed, "the ticket no longer exists: nothing sent", tikal_store::now()).await?;
            return Ok(Outcome::Done);
        };
        let thread = self.store.thread(ticket.id).await?;
        let entry = reply_entry(job, &thread);
        if matches!(job, Job::AgentReply(_)) && entry.is_none() {
            self.store.complete_job_noting(claimed, "the reply is not in the thread: nothing sent", tikal_store::now()).await?;
            return Ok(Outcome::Done);
        }
        let department_id = match job {
            Job::Transferred(t) => t.department_id,
            _ => ticket.department_id,
        };
        let department = self.store.departments().await?.into_iter().find(|d| d.id == department_id);
        let actor = match job {
            Job::TicketCreated(_) => thread.iter().find(|e| e.event == Some(EventKind::Created)).map(|e| e.author.clone()),
            Job::AgentReply(_) => entry.map(|e| e.author.clone()),
            Job::Transferred(t) => t.by.map(Author::Agent),
            _ => None,
        };
        let copies: Vec<RequesterId> = match job {
            Job::AgentReply(_) => self
                .store
                .collaborators(ticket.id)
                .await?
                .into_iter()
                .filter_map(|(_, c)| match c {
                    Collaborator::Requester(r) => Some(r),
                    Collaborator::Agent(_) => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        let to_department = matches!(job, Job::TicketCreated(_) | Job::Transferred(_));
        let agents = if to_department { self.store.department_agents(department_id).await? } else { Vec::new() };
        let alert = match job {
            Job::Alert(a) => Some(a),
            _ => None,
        };
        let supervisors = match alert.filter(|a| a.to.supervisors) {
            Some(_) => self.store.department_agents_with(department_id, Permission::TicketApprove).await?,
            None => Vec::new(),
        };
        let audience = Audience {
            requester: Some(ticket.requester_id),
            requester_copies: &copies,
            department_agents: &agents,
            manager: department.as_ref().and_then(|d| d.manager_id).filter(|_| to_department || alert.is_some()),
            owner: ticket.owner_id,
            responsible: ticket.responsible_id,
            supervisors: &supervisors,
            actor: actor.as_ref(),
        };
        let deliveries = notice::deliveries(job, &audience);
        if deliveries.is_empty() {
            self.store.complete_job(claimed, tikal_store::now()).await?;
            return Ok(Outcome::Done);
        }
        let mut people: Vec<RequesterId> = vec![ticket.requester_id];
        people.extend(&copies);
        let requesters = self.store.mail_recipients(&people).await?;
        let (site_lang, organisation, subject_tag) = self.site().await;
        let head = Letterhead {
            requester: requesters.iter().find(|r| r.id == ticket.requester_id).cloned(),
            department,
            statuses: self.store.statuses().await?,
            priorities: self.store.priority_levels().await?,
            site_lang,
            organisation,
            ticket,
        };
        let text = self.notice_text(job, &head, &thread, entry).await?;
        let attachments = match entry {
            Some(e) => self.attachments_of(head.ticket.id, e).await?,
            None => Vec::new(),
        };
        let earlier = self.store.message_ids(head.ticket.id).await?;
        let (in_reply_to, references) = threading(&earlier);
        let mut tally = Tally::default();
        for d in deliveries {
            let Some(who) = self.addressee(d.to, &requesters, &head).await? else {
                tally.notes.push(format!("{}: {:?} has no address or is inactive", d.template, d.to));
                continue;
            };
            if who.bounced && notice::is_automatic(d.template) {
                tracing::info!(job = claimed.id, to = %who.address, template = %d.template, "not sent: mail to the address bounces");
                tally.notes.push(format!("{} not sent to {}: mail to it bounces", d.template, who.address));
                continue;
            }
            let from = head.from();
            let host = from.as_deref().or(self.mailer.sender().as_deref()).and_then(host_of).unwrap_or("localhost").to_string();
            let id = message_id(self.store.link_key(), head.ticket.number.as_str(), claimed.id, &who.address, &host);
            let entry_id = entry.filter(|_| d.template == TemplateKind::AgentReply).map(|e| e.id);
            if !self.store.record_outbound_message_id(&id, head.ticket.id, entry_id, tikal_store::now()).await? {
                // Sent by an earlier attempt (or being sent when its worker stopped): never twice.
                tally.notes.push(format!("{} to {}: sent by an earlier attempt", d.template, who.address));
                continue;
            }
            let vars = notice_vars(
                &head.text(who.lang),
                &NoticeText { organisation: head.organisation.clone(), ..text.clone() },
                who.reader,
                &settings.public_url,
            );
            let vars = match alert {
                Some(a) => self.alert_vars(vars, a, &head, who.lang, &who.name).await?,
                None if d.template == TemplateKind::Assignment => vars.text("agent.name", who.name.clone()),
                None if d.template == TemplateKind::PendingReminder => vars.number("waiting_days", waiting_days(&thread)),
                None => vars,
            };
            let envelope = Envelope {
                to: who.address.clone(),
                reply_to: from.clone().or_else(|| self.mailer.sender()),
                from,
                message_id: id.clone(),
                in_reply_to: in_reply_to.clone(),
                references: references.clone(),
                attachments: if d.template == TemplateKind::AgentReply { attachments.clone() } else { Vec::new() },
                subject_tag: subject_tag.clone(),
            };
            // The administrator's template, read for each mail: an edit applies at once.
            let stored = self.store.mail_template(d.template, who.lang).await?.map(|t| t.source);
            let mail = match compose_notice(d.template, who.lang, stored.as_ref(), &vars, &head.ticket.number, envelope) {
                Ok(m) => m,
                Err(e) => {
                    self.store.forget_outbound_message_id(&id).await?;
                    tally.refused.push(format!("the {} template cannot be rendered: {e}", d.template));
                    continue;
                }
            };
            match self.mailer.send(&mail).await {
                Ok(()) => {
                    tally.sent += 1;
                    if d.template == TemplateKind::NewTicketAutoreply {
                        // The intake's loop brake counts these per sender.
                        self.store.record_autoreply(&who.address, tikal_store::now()).await?;
                    }
                }
                Err(e) => {
                    self.store.forget_outbound_message_id(&id).await?;
                    if e.is_permanent() {
                        tracing::error!(job = claimed.id, to = %who.address, error = %e, "notification refused for good");
                        tally.refused.push(refusal(&who.address, &e));
                    } else {
                        return self.retry_later(claimed, &e, now).await;
                    }
                }
            }
        }
        self.finish(claimed, tally).await
    }

    /// The language and name the desk's settings say (`/admin/settings`), else the defaults.
    /// The desk's default language, its name and its subject tag.
    /// An alert's own variables: the agent it is written to, the due time of the target (in
    /// the desk's time zone) and what the target is, or the time rule's name.
    async fn alert_vars(&self, vars: Vars, a: &AlertRef, head: &Letterhead, lang: Language, name: &str) -> Result<Vars, StoreError> {
        let es = lang == Language::Es;
        let vars = vars.text("agent.name", name.to_string());
        Ok(match a.reason {
            AlertReason::SlaWarning { target } | AlertReason::SlaBreach { target } => {
                let (due, what) = match target {
                    Target::Response => (head.ticket.response_due_at, if es { "primera respuesta" } else { "first response" }),
                    Target::Resolution => (head.ticket.resolution_due_at, if es { "solución" } else { "resolution" }),
                };
                let zone = match &self.desk {
                    Some(d) => d.settings().await.ok().and_then(|s| s.time_zone.parse::<chrono_tz::Tz>().ok()),
                    None => None,
                };
                let due = due.map(|d| match zone {
                    Some(z) => d.with_timezone(&z).format("%Y-%m-%d %H:%M %Z").to_string(),
                    None => d.format("%Y-%m-%d %H:%M UTC").to_string(),
                });
                vars.text("ticket.due_at", due.unwrap_or_default()).text("sla.target", what.to_string())
            }
            AlertReason::TimeRule { rule_id } => {
                let rule = self.store.time_rule_name(rule_id).await?.unwrap_or_default();
                vars.text("rule.name", rule)
            }
        })
    }

    async fn site(&self) -> (Language, String, String) {
        let tag = tikal_core::settings::DEFAULT_SUBJECT_TAG.to_string();
        match &self.desk {
            Some(d) => match d.settings().await {
                Ok(s) => (Language::of(Some(s.default_language.as_str())), s.organisation_name.clone(), s.mail_subject_tag.clone()),
                Err(_) => (Language::Es, self.organisation.clone(), tag),
            },
            None => (Language::Es, self.organisation.clone(), tag),
        }
    }

    async fn addressee(&self, to: Recipient, requesters: &[MailRecipient], head: &Letterhead) -> Result<Option<Addressee>, StoreError> {
        Ok(match to {
            Recipient::Requester(id) => requesters.iter().find(|r| r.id == id).map(|r| Addressee {
                address: r.email.clone(),
                name: r.name.clone(),
                lang: r.language.as_deref().map_or(head.site_lang, |l| Language::of(Some(l))),
                reader: Reader::Requester,
                bounced: r.bounced_at.is_some(),
            }),
            Recipient::Agent(id) => self.store.agent(id).await?.filter(|a| a.active).map(|a| Addressee {
                address: a.email.as_str().to_string(),
                name: a.name.as_str().to_string(),
                lang: head.site_lang,
                reader: Reader::Agent,
                bounced: false,
            }),
        })
    }

    /// The agent and the text a notice speaks of.
    async fn notice_text(
        &self,
        job: &Job,
        head: &Letterhead,
        thread: &[ThreadEntry],
        entry: Option<&ThreadEntry>,
    ) -> Result<NoticeText, StoreError> {
        let first_message = || thread.iter().find(|e| e.kind == EntryKind::Message).and_then(|e| e.body.clone());
        Ok(match job {
            Job::TicketCreated(_) | Job::Transferred(_) => NoticeText { message: first_message(), ..Default::default() },
            Job::AgentReply(_) => NoticeText {
                agent_name: entry.and_then(|e| e.author_name.clone()),
                message: entry.and_then(|e| e.body.clone()),
                ..Default::default()
            },
            Job::Resolved(_) | Job::Closed(_) | Job::ResolutionApproved(_) => match self.store.solution(head.ticket.id).await? {
                Some(s) => NoticeText { agent_name: s.author_name, message: Some(s.body), ..Default::default() },
                None => NoticeText::default(),
            },
            _ => NoticeText::default(),
        })
    }

    /// The files of a reply, to send with it.
    async fn attachments_of(&self, ticket: TicketId, entry: &ThreadEntry) -> Result<Vec<MailAttachment>, StoreError> {
        let mut out = Vec::new();
        for meta in self.store.attachments(ticket).await?.into_iter().filter(|a| a.entry_id == Some(entry.id)) {
            let data = self.store.blob(&meta).await?;
            out.push(MailAttachment { filename: meta.filename, content_type: meta.content_type, data: data.to_vec() });
        }
        Ok(out)
    }

    /// The server is down or said "later": the job waits with the usual back-off (the mails
    /// already sent are recorded and will not go again).
    async fn retry_later(&self, claimed: &ClaimedJob, e: &MailError, now: DateTime<Utc>) -> Result<Outcome, StoreError> {
        if u32::try_from(claimed.attempts).unwrap_or(u32::MAX) >= self.settings.max_attempts {
            tracing::error!(job = claimed.id, kind = %claimed.kind, error = %e, "notification not sent; giving up, the job is dead");
            self.store.fail_job(claimed, &e.to_string(), Retry::Never, now).await?;
            return Ok(Outcome::Dead);
        }
        tracing::warn!(job = claimed.id, kind = %claimed.kind, error = %e, attempts = claimed.attempts, "notification not sent; will retry");
        self.store.fail_job(claimed, &e.to_string(), Retry::At(now + retry_delay(claimed.attempts)), now).await?;
        Ok(Outcome::Retry)
    }

    async fn finish(&self, claimed: &ClaimedJob, tally: Tally) -> Result<Outcome, StoreError> {
        let now = tikal_store::now();
        if !tally.refused.is_empty() {
            // Retrying cannot make a wrong address right: the job is set aside for operators.
            let mut why = tally.refused;
            why.extend(tally.notes);
            self.store.fail_job(claimed, &why.join("; "), Retry::Never, now).await?;
            return Ok(Outcome::Dead);
        }
        if tally.notes.is_empty() {
            self.store.complete_job(claimed, now).await?;
        } else {
            self.store.complete_job_noting(claimed, &tally.notes.join("; "), now).await?;
        }
        Ok(if tally.sent > 0 { Outcome::Sent } else { Outcome::Done })
    }
}

/// The entry an agent-reply notice carries (jobs of older versions name none: the latest reply).
fn reply_entry<'a>(job: &Job, thread: &'a [ThreadEntry]) -> Option<&'a ThreadEntry> {
    match job {
        Job::AgentReply(r) => match r.entry_id {
            Some(id) => thread.iter().find(|e| e.id == id),
            None => thread.iter().rev().find(|e| e.kind == EntryKind::Reply),
        },
        _ => None,
    }
}

fn refusal(address: &str, e: &MailError) -> String {
    match e {
        MailError::Address(_) => format!("the address `{address}` cannot be used for mail"),
        other => format!("mail to {address} refused: {other}"),
    }
}
