//! The use-case layer. The REST API, the pages, mail intake and background jobs all call these
//! functions: each checks who may do it, applies the domain rule from `tikal_core`, and has the
//! store commit the change with its events in one transaction.

mod accounts;
mod admin;
mod admin_catalog;
mod agents;
mod auth;
mod automation;
mod callers;
mod catalog;
mod config;
mod config_file;
mod desk;
mod error;
mod intake;
pub mod kb;
pub mod mail_accounts;
pub mod mail_templates;
mod outbox;
mod people;
mod principal;
mod priorities;
mod queues;
mod rules;
mod schedule;
mod search;
mod settings;
mod sla;
mod statuses;
mod tickets;

pub use accounts::{Confirmed, LINK_LIFETIME, LoginError, MIN_PASSWORD, Refusal, Registered, SessionStart, token_hash};
pub use admin::{DepartmentAdmin, FieldChange, audit_changes};
pub use admin_catalog::{field_spec, topic_input};
pub use agents::Membership;
pub use auth::{Hasher, hash_password, new_api_key};
pub use automation::BATCH as AUTOMATION_BATCH;
pub use callers::Caller;
pub use catalog::Catalog;
pub use config::{DeskConfig, DeskSettings, PortalPolicy, Registration};
pub use config_file::{ConfigReport, DeskDocument, ImportAction, ImportChange, MAX_DOCUMENT};
pub use desk::{CANNED_VARIABLES, CollaboratorView, DeskActions, LinkedTicket, PresenceView, TicketDesk, TimeSheet};
pub use error::ServiceError;
pub use intake::{Ingested, IntakeConfig, MailSource, REPLY_MARKERS};
pub use kb::{ArticleSearch, markdown_text, render_markdown};
pub use mail_accounts::{MailProbe, PROBE_TIMEOUT};
pub use mail_templates::{MailTemplate, RenderedMail};
pub use outbox::{OUTBOX_PAGE, OutboxJob, OutboxQuery};
pub use people::{INVITE_LIFETIME, ImportReport, MergePreview, REQUESTER_PAGE};
pub use principal::Principal;
pub use priorities::PrioritySettings;
pub use queues::{BulkAction, BulkOutcome, BulkResult, Dashboard, DepartmentQueue, MAX_BULK, ViewInput, Views};
pub use rules::{RoutingSample, Trial};
pub use search::{MAX_TICKET_HITS, SNIPPET_CHARS, SearchResults, TicketHit};
pub use sla::{SWEEP_BATCH, SweepReport};
pub use statuses::NewStatus;
pub use tickets::{Listing, OpenTicket, PostMessage, ResolutionAction, TicketQuery, Upload, UploadData};

use std::sync::Arc;

use tikal_store::Store;

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// Cheap to clone: the store is a pool handle and the configuration is shared.
#[derive(Clone, Debug)]
pub struct Desk {
    store: Store,
    config: Arc<DeskConfig>,
    caches: Arc<catalog::Caches>,
    /// Bounds password hashing (memory and CPU) for this desk.
    hasher: Arc<auth::Hasher>,
    /// Tries e-mail accounts' settings against their servers (set by the binary).
    mail_probe: Option<Arc<dyn MailProbe>>,
}

impl Desk {
    pub fn new(store: Store, config: DeskConfig) -> Self {
        Desk { store, config: Arc::new(config), caches: Arc::default(), hasher: Arc::default(), mail_probe: None }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &DeskConfig {
        &self.config
    }
}
