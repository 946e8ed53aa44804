//! E-mail templates: the closed set of mails the desk sends, the variables each may use (with
//! what they mean), the texts shipped in Spanish and English, and sample values to preview them
//! with. The templates are rendered by a sandboxed engine in the service; what is here is data
//! and the rules of a template's source (sizes, required parts).

use std::collections::BTreeMap;

use crate::error::{DomainError, Reason};
use crate::string_enum;

string_enum! {
    /// Every mail the desk sends. The names are stored: keep them stable.
    pub enum TemplateKind {
        /// To the requester when their ticket is opened.
        NewTicketAutoreply => "new_ticket_autoreply",
        /// To the department when a ticket arrives in it.
        NewTicketAlert => "new_ticket_alert",
        /// To the agent a ticket is assigned to.
        Assignment => "assignment",
        /// To the requester when an agent answers.
        AgentReply => "agent_reply",
        /// To the requester when the ticket is resolved: confirm, or say it is not solved.
        Resolution => "resolution",
        /// To the requester after closing: how was the service?
        SatisfactionSurvey => "satisfaction_survey",
        /// To the agent (or the department) when a ticket is past its due time.
        OverdueAlert => "overdue_alert",
        /// To the agent (or the department) when a ticket nears its due time (the SLA plan's
        /// warning threshold).
        SlaWarning => "sla_warning",
        /// To the agents a time rule names when it matches a ticket.
        RuleAlert => "rule_alert",
        /// To the requester when a ticket has waited on them for the configured days.
        PendingReminder => "pending_reminder",
        PasswordReset => "password_reset",
        /// A link to see one ticket without an account (status check).
        AccessLink => "access_link",
        /// Activate an account by confirming its address.
        ConfirmAddress => "confirm_address",
        /// Someone tried to register an address that already has an account.
        AccountExists => "account_exists",
        /// An administrator invited an agent: the link to choose a password.
        AgentInvite => "agent_invite",
    }
}

string_enum! {
    /// The languages templates are written in.
    pub enum Language {
        Es => "es",
        En => "en",
    }
}

impl Language {
    /// "en" (any English tag) is English; anything else is Spanish, the desk's default.
    pub fn of(tag: Option<&str>) -> Language {
        match tag.map(|t| t.trim().to_ascii_lowercase()) {
            Some(t) if t == "en" || t.starts_with("en-") || t.starts_with("en_") => Language::En,
            _ => Language::Es,
        }
    }
}

/// A variable a template may use, and what it holds (for the people who write templates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// As written in a template: `{{ ticket.number }}`.
    pub name: &'static str,
    pub es: &'static str,
    pub en: &'static str,
}

impl Variable {
    pub fn describe(&self, lang: Language) -> &'static str {
        match lang {
            Language::Es => self.es,
            Language::En => self.en,
        }
    }
}

macro_rules! vars {
    ($($id:ident = $name:literal, $es:literal, $en:literal;)+) => {
        $(const $id: Variable = Variable { name: $name, es: $es, en: $en };)+
    };
}

vars! {
    T_NUMBER = "ticket.number", "Número del ticket", "The ticket's number";
    T_SUBJECT = "ticket.subject", "Asunto del ticket", "The ticket's subject";
    T_STATUS = "ticket.status", "Estado del ticket, en el idioma del correo", "The ticket's status, in the mail's language";
    T_PRIORITY = "ticket.priority", "Prioridad del ticket", "The ticket's priority";
    T_DEPARTMENT = "ticket.department", "Departamento que atiende el ticket", "The department handling the ticket";
    T_URL = "ticket.url", "Enlace al ticket para quien recibe el correo", "Link to the ticket for whoever receives the mail";
    T_DUE = "ticket.due_at", "Fecha y hora límite de atención", "The date and time the ticket was due";
    R_NAME = "requester.name", "Nombre del solicitante", "The requester's name";
    R_EMAIL = "requester.email", "Correo del solicitante", "The requester's e-mail address";
    A_NAME = "agent.name", "Nombre del agente (quien responde, resuelve o recibe el ticket)", "The agent's name (who answers, resolves or receives the ticket)";
    M_TEXT = "message.text", "Texto del mensaje (la respuesta, la solución o la descripción del pedido)", "The message's text (the reply, the solution or the request's description)";
    CONFIRM = "confirm_url", "Enlace para confirmar que el problema quedó resuelto", "Link to confirm the problem is solved";
    NOT_SOLVED = "not_solved_url", "Enlace para decir que el problema no se resolvió", "Link to say the problem is not solved";
    SURVEY = "survey_url", "Enlace a la encuesta de satisfacción", "Link to the satisfaction survey";
    LINK = "link", "Enlace de un solo uso que el correo entrega", "The single-use link the mail delivers";
    EXPIRES = "expires_hours", "Horas durante las que sirve el enlace", "Hours the link works for";
    ORG = "organisation.name", "Nombre de la organización o de la mesa de ayuda", "The organisation's or help desk's name";
    TARGET = "sla.target", "Qué vence: la primera respuesta o la solución", "What is due: the first response or the resolution";
    WAITING = "waiting_days", "Días que el ticket lleva esperando la respuesta", "Days the ticket has waited for the answer";
    RULE = "rule.name", "Nombre de la regla de tiempo que se cumplió", "The name of the time rule that matched";
}

const TICKET: [Variable; 6] = [T_NUMBER, T_SUBJECT, T_STATUS, T_PRIORITY, T_DEPARTMENT, T_URL];

/// Builds a `&'static [Variable]` of the ticket's variables followed by others.
macro_rules! with_ticket {
    ($($v:expr),* $(,)?) => {{
        const L: &[Variable] = &[TICKET[0], TICKET[1], TICKET[2], TICKET[3], TICKET[4], TICKET[5], $($v),*];
        L
    }};
}

/// The source of a template: a subject line, a plain text body and an optional HTML body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateSource {
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
}

/// The parts of a template, named as the forms and the API name their fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplatePart {
    Subject,
    Text,
    Html,
}

impl TemplatePart {
    pub fn field(self) -> &'static str {
        match self {
            TemplatePart::Subject => "subject",
            TemplatePart::Text => "text_body",
            TemplatePart::Html => "html_body",
        }
    }
}

pub const MAX_SUBJECT_SOURCE: usize = 500;
pub const MAX_TEXT_SOURCE: usize = 20_000;
pub const MAX_HTML_SOURCE: usize = 100_000;
/// A rendered subject is one line of at most this many characters.
pub const MAX_RENDERED_SUBJECT: usize = 255;

/// Why a template was refused; the service finds these by compiling and rendering it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateProblem {
    /// A part that must have text has none (subject, text).
    Empty,
    /// The source is longer than its part allows.
    TooLong { max: usize },
    /// The template cannot be read: an unclosed tag, an unknown filter...
    Syntax(String),
    /// A variable this template may not use (not in its list).
    UnknownVariable(String),
    /// It does too much work (loops): the engine stopped it.
    OutOfFuel,
    /// What it writes is too long (the subject: one line of at most 255 characters).
    OutputTooLong,
    /// Any other failure while rendering (a bad operation on a value).
    Render(String),
}

/// A refused template: which part, on which line (when known) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub part: TemplatePart,
    pub line: Option<usize>,
    pub problem: TemplateProblem,
}

impl std::error::Error for TemplateError {}

/// English, for the API and the logs: `text_body (line 3): ...`.
impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.part.field())?;
        if let Some(l) = self.line {
            write!(f, " (line {l})")?;
        }
        write!(f, ": {}", self.problem)
    }
}

impl std::fmt::Display for TemplateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateProblem::Empty => f.write_str("is required"),
            TemplateProblem::TooLong { max } => write!(f, "is longer than {max} characters"),
            TemplateProblem::Syntax(d) => write!(f, "the template cannot be read: {d}"),
            TemplateProblem::UnknownVariable(v) => write!(f, "`{v}` is not a variable of this template"),
            TemplateProblem::OutOfFuel => f.write_str("the template does too much work (a loop too long) and was stopped"),
            TemplateProblem::OutputTooLong => f.write_str("what the template writes is too long"),
            TemplateProblem::Render(d) => write!(f, "the template cannot be rendered: {d}"),
        }
    }
}

impl From<TemplateError> for DomainError {
    fn from(e: TemplateError) -> DomainError {
        let reason = match e.problem {
            TemplateProblem::Empty => Reason::Required,
            TemplateProblem::TooLong { max } => Reason::TooLong { max },
            _ => Reason::Other(match e.line {
                Some(l) => format!("line {l}: {}", e.problem),
                None => e.problem.to_string(),
            }),
        };
        DomainError::invalid(e.part.field(), reason)
    }
}

impl TemplateSource {
    /// Checks the sizes and required parts; an empty HTML body is none. Whether the template
    /// compiles and renders is checked by the service's engine.
    pub fn validate(mut self) -> Result<TemplateSource, TemplateError> {
        let refuse = |part, problem| Err(TemplateError { part, line: None, problem });
        self.subject = self.subject.trim().to_string();
        if self.subject.is_empty() {
            return refuse(TemplatePart::Subject, TemplateProblem::Empty);
        }
        if self.subject.chars().count() > MAX_SUBJECT_SOURCE {
            return refuse(TemplatePart::Subject, TemplateProblem::TooLong { max: MAX_SUBJECT_SOURCE });
        }
        if self.subject.contains(['\n', '\r']) {
            return refuse(TemplatePart::Subject, TemplateProblem::OutputTooLong);
        }
        self.text_body = self.text_body.replace("\r\n", "\n");
        if self.text_body.trim().is_empty() {
            return refuse(TemplatePart::Text, TemplateProblem::Empty);
        }
        if self.text_body.chars().count() > MAX_TEXT_SOURCE {
            return refuse(TemplatePart::Text, TemplateProblem::TooLong { max: MAX_TEXT_SOURCE });
        }
        self.html_body = self.html_body.map(|h| h.replace("\r\n", "\n")).filter(|h| !h.trim().is_empty());
        if self.html_body.as_ref().is_some_and(|h| h.chars().count() > MAX_HTML_SOURCE) {
            return refuse(TemplatePart::Html, TemplateProblem::TooLong { max: MAX_HTML_SOURCE });
        }
        Ok(self)
    }
}

/// A value given to a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarValue {
    Text(String),
    Number(i64),
}

/// The values a mail is rendered with, by variable name (`ticket.number`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars(pub BTreeMap<&'static str, VarValue>);

impl Vars {
    pub fn new() -> Vars {
        Vars::default()
    }

    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Vars {
        self.0.insert(name, VarValue::Text(value.into()));
        self
    }

    pub fn number(mut self, name: &'static str, value: i64) -> Vars {
        self.0.insert(name, VarValue::Number(value));
        self
    }

    /// Only the variables `kind` may use; those it may use but were not given are empty, so a
    /// mail is never refused at sending time for a value the desk does not have.
    pub fn for_kind(&self, kind: TemplateKind) -> Vars {
        Vars(
            kind.variables()
                .iter()
                .map(|v| (v.name, self.0.get(v.name).cloned().unwrap_or_else(|| VarValue::Text(String::new()))))
                .collect(),
        )
    }
}

impl TemplateKind {
    /// Whether the mail is about a ticket (and carries the reply-above marker).
    pub fn is_ticket_notice(self) -> bool {
        !matches!(
            self,
            TemplateKind::PasswordReset
                | TemplateKind::AccessLink
                | TemplateKind::ConfirmAddress
                | TemplateKind::AccountExists
                | TemplateKind::AgentInvite
        )
    }

    /// The variables this template may use.
    pub fn variables(self) -> &'static [Variable] {
        match self {
            TemplateKind::NewTicketAutoreply => with_ticket![R_NAME, M_TEXT, ORG],
            TemplateKind::NewTicketAlert => with_ticket![R_NAME, R_EMAIL, M_TEXT, ORG],
            TemplateKind::Assignment => with_ticket![R_NAME, A_NAME, ORG],
            TemplateKind::AgentReply => with_ticket![R_NAME, A_NAME, M_TEXT, ORG],
            TemplateKind::Resolution => with_ticket![R_NAME, A_NAME, M_TEXT, CONFIRM, NOT_SOLVED, ORG],
            TemplateKind::SatisfactionSurvey => with_ticket![R_NAME, SURVEY, ORG],
            TemplateKind::OverdueAlert => with_ticket![T_DUE, TARGET, R_NAME, A_NAME, ORG],
            TemplateKind::SlaWarning => with_ticket![T_DUE, TARGET, R_NAME, A_NAME, ORG],
            TemplateKind::RuleAlert => with_ticket![RULE, R_NAME, A_NAME, ORG],
            TemplateKind::PendingReminder => with_ticket![R_NAME, WAITING, ORG],
            TemplateKind::PasswordReset => &[LINK, EXPIRES, ORG],
            TemplateKind::AccessLink => &[T_NUMBER, LINK, EXPIRES, ORG],
            TemplateKind::ConfirmAddress => &[LINK, EXPIRES, ORG],
            TemplateKind::AccountExists => &[LINK, ORG],
            TemplateKind::AgentInvite => &[LINK, EXPIRES, ORG],
        }
    }

    /// The values a preview and the check on save render the template with: a ticket of the
    /// seeds' desk.
    pub fn sample(self, lang: Language) -> Vars {
        let es = lang == Language::Es;
        let pick = |a: &str, b: &str| if es { a.to_string() } else { b.to_string() };
        let all = Vars::new()
            .text("ticket.number", "000042")
            .text("ticket.subject", pick("Problemas en el teclado", "Keyboard problems"))
            .text("ticket.status", pick("Abierto", "Open"))
            .text("ticket.priority", pick("Alta", "High"))
            .text("ticket.department", "Mesa de Ayuda (Nivel 1)")
            .text("ticket.url", "https://mesa.example.gob/tickets/000042")
            .text("ticket.due_at", "2025-03-14 16:00")
            .text("sla.target", pick("la solución", "the resolution"))
            .number("waiting_days", 3)
            .text("rule.name", pick("Sin asignar 30 minutos", "Unassigned for 30 minutes"))
            .text("requester.name", "Rosa Pérez")
            .text("requester.email", "rosa.perez@example.gob")
            .text("agent.name", "Luis Andrade")
            .text(
                "message.text",
                pick(
                    "Desde esta mañana varias teclas del teclado de mi computadora no responden (UPAT, oficina 204).",
                    "Since this morning several keys of my computer's keyboard do not respond (UPAT, office 204).",
                ),
            )
            .text("confirm_url", "https://mesa.example.gob/tickets/000042/confirm")
            .text("not_solved_url", "https://mesa.example.gob/tickets/000042/reopen")
            .text("survey_url", "https://mesa.example.gob/tickets/000042/survey")
            .text("link", "https://mesa.example.gob/password/reset/3f9a1c")
            .number("expires_hours", 24)
            .text("organisation.name", pick("Mesa de Ayuda de la UIT", "UIT Help Desk"));
        all.for_kind(self)
    }

    /// The template shipped with Tikal, used while an administrator has not written their own.
    /// Subjects carry no ticket tag: every mail about a ticket gets `[#number]` in front when
    /// it is sent (`crate::notice::tagged_subject`).
    pub fn default_source(self, lang: Language) -> TemplateSource {
        let (subject, text) = default_text(self, lang);
        TemplateSource { subject: subject.to_string(), text_body: text.to_string(), html_body: None }
    }
}

/// The line above which a requester's or agent's answer by mail is read (the rest is quoted).
pub fn reply_marker(lang: Language) -> &'static str {
    match lang {
        Language::Es => "— Responda por encima de esta línea —",
        Language::En => "— Reply above this line —",
    }
}

fn default_text(kind: TemplateKind, lang: Language) -> (&'static str, &'static str) {
    use Language::{En, Es};
    use TemplateKind::*;
    match (kind, lang) {
        (NewTicketAutoreply, Es) => (
            "Recibimos su pedido: {{ ticket.subject }}",
            "— Responda por encima de esta línea —\n\nEstimado/a {{ requester.name }}:\n\nRecibimos su pedido y lo registramos con el número {{ ticket.number }}. El departamento {{ ticket.department }} lo atenderá según su prioridad ({{ ticket.priority }}).\n\nAsunto: {{ ticket.subject }}\n\n{{ message.text }}\n\nPuede ver su estado y agregar información aquí:\n{{ ticket.url }}\n\nSi responde a este correo, su mensaje se agrega al ticket.\n\nAtentamente,\n{{ organisation.name }}\n",
        ),
        (NewTicketAutoreply, En) => (
            "We received your request: {{ ticket.subject }}",
            "— Reply above this line —\n\nDear {{ requester.name }},\n\nWe received your request and registered it as number {{ ticket.number }}. The {{ ticket.department }} department will handle it according to its priority ({{ ticket.priority }}).\n\nSubject: {{ ticket.subject }}\n\n{{ message.text }}\n\nYou can follow it and add information here:\n{{ ticket.url }}\n\nIf you reply to this mail, your message is added to the ticket.\n\nKind regards,\n{{ organisation.name }}\n",
        ),
        (NewTicketAlert, Es) => (
            "Nuevo ticket en {{ ticket.department }}: {{ ticket.subject }}",
            "— Responda por encima de esta línea —\n\nLlegó un ticket nuevo a {{ ticket.department }}.\n\nNúmero: {{ ticket.number }}\nAsunto: {{ ticket.subject }}\nPrioridad: {{ ticket.priority }}\nSolicitante: {{ requester.name }} <{{ requester.email }}>\n\n{{ message.text }}\n\nÁbralo en la mesa de ayuda:\n{{ ticket.url }}\n",
        ),
        (NewTicketAlert, En) => (
            "New ticket in {{ ticket.department }}: {{ ticket.subject }}",
            "— Reply above this line —\n\nA new ticket arrived in {{ ticket.department }}.\n\nNumber: {{ ticket.number }}\nSubject: {{ ticket.subject }}\nPriority: {{ ticket.priority }}\nRequester: {{ requester.name }} <{{ requester.email }}>\n\n{{ message.text }}\n\nOpen it in the help desk:\n{{ ticket.url }}\n",
        ),
        (Assignment, Es) => (
            "Se le asignó: {{ ticket.subject }}",
            "— Responda por encima de esta línea —\n\n{{ agent.name }}:\n\nSe le asignó el ticket {{ ticket.number }} de {{ requester.name }}.\n\nAsunto: {{ ticket.subject }}\nDepartamento: {{ ticket.department }}\nPrioridad: {{ ticket.priority }}\nEstado: {{ ticket.status }}\n\nÁbralo en la mesa de ayuda:\n{{ ticket.url }}\n",
        ),
        (Assignment, En) => (
            "Assigned to you: {{ ticket.subject }}",
            "— Reply above this line —\n\n{{ agent.name }},\n\nTicket {{ ticket.number }} from {{ requester.name }} was assigned to you.\n\nSubject: {{ ticket.subject }}\nDepartment: {{ ticket.department }}\nPriority: {{ ticket.priority }}\nStatus: {{ ticket.status }}\n\nOpen it in the help desk:\n{{ ticket.url }}\n",
        ),
        (AgentReply, Es) => (
            "Respuesta a su pedido: {{ ticket.subject }}",
            "— Responda por encima de esta línea —\n\nEstimado/a {{ requester.name }}:\n\n{{ agent.name }} respondió a su ticket {{ ticket.number }}:\n\n{{ message.text }}\n\nEstado actual: {{ ticket.status }}\nVea el ticket completo aquí:\n{{ ticket.url }}\n\nAtentamente,\n{{ organisation.name }}\n",
        ),
        (AgentReply, En) => (
            "Reply to your request: {{ ticket.subject }}",
            "— Reply above this line —\n\nDear {{ requester.name }},\n\n{{ agent.name }} replied to your ticket {{ ticket.number }}:\n\n{{ message.text }}\n\nCurrent status: {{ ticket.status }}\nSee the whole ticket here:\n{{ ticket.url }}\n\nKind regards,\n{{ organisation.name }}\n",
        ),
        (Resolution, Es) => (
            "Su pedido fue resuelto: {{ ticket.subject }}",
            "— Responda por encima de esta línea —\n\nEstimado/a {{ requester.name }}:\n\n{{ agent.name }} resolvió su ticket {{ ticket.number }}:\n\n{{ message.text }}\n\nSi el problema quedó resuelto, confírmelo aquí:\n{{ confirm_url }}\n\nSi no se resolvió, díganoslo aquí y el ticket vuelve a abrirse:\n{{ not_solved_url }}\n\nAtentamente,\n{{ organisation.name }}\n",
        ),
        (Resolution, En) => (
            "Your request was resolved: {{ ticket.subject }}",
            "— Reply above this line —\n\nDear {{ requester.name }},\n\n{{ agent.name }} resolved your ticket {{ ticket.number }}:\n\n{{ message.text }}\n\nIf the problem is solved, confirm it here:\n{{ confirm_url }}\n\nIf it is not, tell us here and the ticket opens again:\n{{ not_solved_url }}\n\nKind regards,\n{{ organisation.name }}\n",
        ),
        (SatisfactionSurvey, Es) => (
            "¿Cómo lo atendimos?",
            "— Responda por encima de esta línea —\n\nEstimado/a {{ requester.name }}:\n\nSu ticket {{ ticket.number }} ({{ ticket.subject }}) fue cerrado. Nos ayuda a mejorar si nos cuenta cómo lo atendimos; le tomará un minuto:\n{{ survey_url }}\n\nGracias,\n{{ organisation.name }}\n",
        ),
        (SatisfactionSurvey, En) => (
            "How did we do?",
            "— Reply above this line —\n\nDear {{ requester.name }},\n\nYour ticket {{ ticket.number }} ({{ ticket.subject }}) was closed. Telling us how we served you helps us improve; it takes a minute:\n{{ survey_url }}\n\nThank you,\n{{ organisation.name }}\n",
        ),
        (OverdueAlert, Es) => (
            "Vencido: {{ ticket.subject }}",
            "— Responda por encima de esta línea —\n\n{{ agent.name }}:\n\nEl ticket {{ ticket.number }} de {{ requester.name }} debía atenderse hasta {{ ticket.due_at }} y sigue pendiente.\n\nAsunto: {{ ticket.subject }}\nDepartamento: {{ ticket.department }}\nPrioridad: {{ ticket.priority }}\nEstado: {{ ticket.status }}\n\nÁbralo en la mesa de ayuda:\n{{ ticket.url }}\n",
        ),
        (OverdueAlert, En) => (
            "Overdue: {{ ticket.subject }}",
            "— Reply above this line —\n\n{{ agent.name }},\n\nTicket {{ ticket.number }} from {{ requester.name }} was due by {{ ticket.due_at }} and is still pending.\n\nSubject: {{ ticket.subject }}\nDepartment: {{ ticket.department }}\nPriority: {{ ticket.priority }}\nStatus: {{ ticket.status }}\n\nOpen it in the help desk:\n{{ ticket.url }}\n",
        ),
        (SlaWarning, Es) => (
            "Por vencer: {{ ticket.subject }}",
            "— Responda por encima de esta línea —\n\n{{ agent.name }}:\n\nEl plazo de {{ sla.target }} del ticket {{ ticket.number }} de {{ requester.name }} vence el {{ ticket.due_at }}.\n\nAsunto: {{ ticket.subject }}\nDepartamento: {{ ticket.department }}\nPrioridad: {{ ticket.priority }}\nEstado: {{ ticket.status }}\n\nÁbralo en la mesa de ayuda:\n{{ ticket.url }}\n",
        ),
        (SlaWarning, En) => (
            "Due soon: {{ ticket.subject }}",
            "— Reply above this line —\n\n{{ agent.name }},\n\nThe time for {{ sla.target }} of ticket {{ ticket.number }} from {{ requester.name }} runs out at {{ ticket.due_at }}.\n\nSubject: {{ ticket.subject }}\nDepartment: {{ ticket.department }}\nPriority: {{ ticket.priority }}\nStatus: {{ ticket.status }}\n\nOpen it in the help desk:\n{{ ticket.url }}\n",
        ),
        (RuleAlert, Es) => (
            "{{ rule.name }}: {{ ticket.subject }}",
            "— Responda por encima de esta línea —\n\n{{ agent.name }}:\n\nEl ticket {{ ticket.number }} de {{ requester.name }} cumple la regla «{{ rule.name }}».\n\nAsunto: {{ ticket.subject }}\nDepartamento: {{ ticket.department }}\nPrioridad: {{ ticket.priority }}\nEstado: {{ ticket.status }}\n\nÁbralo en la mesa de ayuda:\n{{ ticket.url }}\n",
        ),
        (RuleAlert, En) => (
            "{{ rule.name }}: {{ ticket.subject }}",
            "— Reply above this line —\n\n{{ agent.name }},\n\nTicket {{ ticket.number }} from {{ requester.name }} matches the rule “{{ rule.name }}”.\n\nSubject: {{ ticket.subject }}\nDepartment: {{ ticket.department }}\nPriority: {{ ticket.priority }}\nStatus: {{ ticket.status }}\n\nOpen it in the help desk:\n{{ ticket.url }}\n",
        ),
        (PendingReminder, Es) => (
            "Esperamos su respuesta: {{ ticket.subject }}",
            "— Responda por encima de esta línea —\n\nEstimado/a {{ requester.name }}:\n\nSu ticket {{ ticket.number }} ({{ ticket.subject }}) espera su respuesta desde hace {{ waiting_days }} días. Para que podamos continuar, responda a este correo o agregue la información aquí:\n{{ ticket.url }}\n\nEstado actual: {{ ticket.status }}\n\nAtentamente,\n{{ organisation.name }}\n",
        ),
        (PendingReminder, En) => (
            "We are waiting for your answer: {{ ticket.subject }}",
            "— Reply above this line —\n\nDear {{ requester.name }},\n\nYour ticket {{ ticket.number }} ({{ ticket.subject }}) has been waiting for your answer for {{ waiting_days }} days. So that we can go on, reply to this mail or add the information here:\n{{ ticket.url }}\n\nCurrent status: {{ ticket.status }}\n\nKind regards,\n{{ organisation.name }}\n",
        ),
        (PasswordReset, Es) => (
            "Recuperar su contraseña",
            "Hola:\n\nPara elegir una contraseña nueva, abra este enlace (sirve una sola vez, durante {{ expires_hours }} horas):\n\n{{ link }}\n\nSi no lo pidió, ignore este mensaje: su contraseña no cambia.\n\n{{ organisation.name }}\n",
        ),
        (PasswordReset, En) => (
            "Reset your password",
            "Hello,\n\nTo choose a new password, open this link (it works once, for {{ expires_hours }} hours):\n\n{{ link }}\n\nIf you did not ask for it, ignore this message: your password stays the same.\n\n{{ organisation.name }}\n",
        ),
        (AccessLink, Es) => (
            "Acceso a su ticket {{ ticket.number }}",
            "Hola:\n\nPidió ver el estado del ticket {{ ticket.number }}. Ábralo con este enlace (sirve una sola vez, durante {{ expires_hours }} horas):\n\n{{ link }}\n\nSi no lo pidió, ignore este mensaje.\n\n{{ organisation.name }}\n",
        ),
        (AccessLink, En) => (
            "Access to your ticket {{ ticket.number }}",
            "Hello,\n\nYou asked to see ticket {{ ticket.number }}. Open it with this link (it works once, for {{ expires_hours }} hours):\n\n{{ link }}\n\nIf you did not ask for it, ignore this message.\n\n{{ organisation.name }}\n",
        ),
        (ConfirmAddress, Es) => (
            "Confirme su correo",
            "Hola:\n\nPara activar su cuenta de la mesa de ayuda, abra este enlace y escriba la contraseña que eligió (sirve una sola vez, durante {{ expires_hours }} horas):\n\n{{ link }}\n\nSi no creó una cuenta, ignore este mensaje: nadie podrá usar su correo.\n\n{{ organisation.name }}\n",
        ),
        (ConfirmAddress, En) => (
            "Confirm your e-mail address",
            "Hello,\n\nTo activate your help desk account, open this link and type the password you chose (it works once, for {{ expires_hours }} hours):\n\n{{ link }}\n\nIf you did not create an account, ignore this message: nobody can use your address.\n\n{{ organisation.name }}\n",
        ),
        (AccountExists, Es) => (
            "Ya tiene una cuenta",
            "Hola:\n\nAlguien intentó crear una cuenta de la mesa de ayuda con este correo, pero usted ya tiene una. Inicie sesión con su contraseña; si la olvidó, elija una nueva aquí:\n\n{{ link }}\n\nSi no fue usted, ignore este mensaje: su cuenta no cambió.\n\n{{ organisation.name }}\n",
        ),
        (AccountExists, En) => (
            "You already have an account",
            "Hello,\n\nSomeone tried to create a help desk account with this address, but you already have one. Sign in with your password; if you forgot it, choose a new one here:\n\n{{ link }}\n\nIf it was not you, ignore this message: your account has not changed.\n\n{{ organisation.name }}\n",
        ),
        (AgentInvite, Es) => (
            "Invitación como agente: {{ organisation.name }}",
            "Hola:\n\nUn administrador le dio acceso como agente a la mesa de ayuda de {{ organisation.name }}. Para empezar, elija su contraseña con este enlace (sirve una sola vez, durante {{ expires_hours }} horas):\n\n{{ link }}\n\nLuego inicie sesión con este correo en la página de agentes. Si no esperaba esta invitación, ignore este mensaje.\n",
        ),
        (AgentInvite, En) => (
            "Agent invitation: {{ organisation.name }}",
            "Hello,\n\nAn administrator gave you access as an agent to the help desk of {{ organisation.name }}. To start, choose your password with this link (it works once, for {{ expires_hours }} hours):\n\n{{ link }}\n\nThen sign in with this address on the agents' page. If you did not expect this invitation, ignore this message.\n",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_uses_only_its_variables_and_notices_carry_the_marker() {
        for kind in TemplateKind::ALL {
            let names: Vec<&str> = kind.variables().iter().map(|v| v.name).collect();
            for lang in Language::ALL {
                let src = kind.default_source(*lang);
                assert!(src.clone().validate().is_ok(), "{kind} {lang}");
                for part in [&src.subject, &src.text_body] {
                    for used in part.split("{{").skip(1).filter_map(|s| s.split("}}").next()) {
                        assert!(names.contains(&used.trim()), "{kind} {lang}: `{used}` is not listed");
                    }
                }
                assert_eq!(src.text_body.contains(reply_marker(*lang)), kind.is_ticket_notice(), "{kind} {lang}");
                // Every listed variable has a sample value, and only those.
                assert_eq!(kind.sample(*lang).0.keys().copied().collect::<Vec<_>>().len(), names.len());
            }
        }
    }

    #[test]
    fn a_source_needs_a_subject_and_a_text() {
        let ok = TemplateSource { subject: " Hola ".into(), text_body: "Texto\r\n".into(), html_body: Some("  ".into()) };
        let v = ok.validate().expect("valid");
        assert_eq!((v.subject.as_str(), v.text_body.as_str(), v.html_body), ("Hola", "Texto\n", None));
        let no_subject = TemplateSource { subject: "".into(), text_body: "x".into(), html_body: None };
        assert_eq!(no_subject.validate().map_err(|e| (e.part, e.problem)), Err((TemplatePart::Subject, TemplateProblem::Empty)));
        let long = TemplateSource { subject: "s".into(), text_body: "x".repeat(MAX_TEXT_SOURCE + 1), html_body: None };
        let e = long.validate().expect_err("too long");
        assert_eq!(e.part, TemplatePart::Text);
        assert_eq!(DomainError::from(e), DomainError::invalid("text_body", Reason::TooLong { max: MAX_TEXT_SOURCE }));
    }

    #[test]
    fn missing_values_are_empty_and_others_dropped() {
        let v = Vars::new().text("link", "https://x").text("ticket.subject", "no").for_kind(TemplateKind::AccountExists);
        assert_eq!(v.0.get("link"), Some(&VarValue::Text("https://x".into())));
        assert_eq!(v.0.get("organisation.name"), Some(&VarValue::Text(String::new())));
        assert!(!v.0.contains_key("ticket.subject"));
        assert_eq!(Language::of(Some("en-US")), Language::En);
        assert_eq!(Language::of(None), Language::Es);
    }
}
