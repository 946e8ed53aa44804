use serde::Deserialize;
use tikal_core::sla::SlaPolicy;
use tikal_core::{NumberFormat, PriorityMatrix, ResolutionPolicy};

/// The desk's rules, from the `[desk]` section of the configuration.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    pub number_format: NumberFormat,
    pub priority_matrix: PriorityMatrix,
    pub resolution: ResolutionPolicy,
    pub sla: SlaPolicy,
    /// Largest accepted attachment, in bytes.
    pub max_attachment_bytes: u64,
    /// Most attachments on one message.
    pub max_attachments: usize,
    /// Department for tickets that name none and whose help topic has none.
    pub default_department: Option<String>,
    pub portal: PortalPolicy,
    /// Outgoing mail is configured: new accounts confirm their address before signing in.
    pub verify_email: bool,
    pub intake: crate::intake::IntakeConfig,
}

impl Default for DeskConfig {
    fn default() -> Self {
        DeskConfig {
            number_format: NumberFormat::default(),
            priority_matrix: PriorityMatrix::default(),
            resolution: ResolutionPolicy::default(),
            sla: SlaPolicy::default(),
            max_attachment_bytes: 25 * 1024 * 1024,
            max_attachments: 10,
            default_department: None,
            portal: PortalPolicy::default(),
            verify_email: false,
            intake: crate::intake::IntakeConfig::default(),
        }
    }
}

/// The TOML shape of `[desk]`; validated into `DeskConfig`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DeskSettings {
    pub ticket_number_format: Option<String>,
    pub priority_matrix: Option<PriorityMatrix>,
    pub resolution: Option<ResolutionPolicy>,
    pub max_attachment_mb: Option<u64>,
    pub default_department: Option<String>,
}

impl DeskSettings {
    pub fn into_config(self) -> Result<DeskConfig, tikal_core::DomainError> {
        let d = DeskConfig::default();
        Ok(DeskConfig {
            number_format: self.ticket_number_format.as_deref().map(NumberFormat::parse).transpose()?.unwrap_or(d.number_format),
            priority_matrix: self.priority_matrix.unwrap_or(d.priority_matrix),
            resolution: self.resolution.unwrap_or(d.resolution),
            max_attachment_bytes: self.max_attachment_mb.map_or(d.max_attachment_bytes, |mb| mb.saturating_mul(1024 * 1024)),
            default_department: self.default_department,
            ..d
        })
    }
}

/// Who may create a portal account.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// Anyone may register.
    #[default]
    Open,
    /// Only addresses of these domains (e.g. the institution's own).
    Domains(Vec<String>),
    /// Accounts are created by staff only.
    StaffOnly,
}

/// The requester portal's policy, from `[portal]`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PortalPolicy {
    pub registration: Registration,
    /// Whether someone without an account may open a ticket from the portal.
    pub guests_may_open: bool,
    /// Whether requesters see the tickets of everyone in their organisation.
    pub organisation_tickets: bool,
    /// The organisation's name, shown on every page.
    pub organisation_name: String,
    /// `es` or `en`: the language when neither the user nor the browser says.
    pub default_language: String,
    /// IANA time zone for dates shown to people, e.g. `America/Guayaquil`.
    pub time_zone: String,
    /// The address people reach Tikal at, for links in e-mails (and `Secure` cookies when it
    /// is https).
    pub public_url: String,
    /// A portal session ends after this many minutes without a request (default 480: a
    /// working day).
    pub session_idle_minutes: u32,
    /// A portal session ends this many hours after sign-in however much it is used (default
    /// 336: two weeks).
    pub session_lifetime_hours: u32,
}

impl Default for PortalPolicy {
    fn default() -> Self {
        PortalPolicy {
            registration: Registration::Open,
            guests_may_open: false,
            organisation_tickets: false,
            organisation_name: "Mesa de Ayuda".into(),
            default_language: "es".into(),
            time_zone: "America/Guayaquil".into(),
            public_url: "http://127.0.0.1:8080".into(),
            session_idle_minutes: 480,
            session_lifetime_hours: 336,
        }
    }
}

impl PortalPolicy {
    /// How long a session lives without a request (at least a minute).
    pub fn session_idle(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.session_idle_minutes.max(1)))
    }

    /// How long a session lives at most (at least an hour).
    pub fn session_lifetime(&self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.session_lifetime_hours.max(1)))
    }
}
