//! The desk's settings an administrator edits (`/admin/settings`, `PUT /api/v1/settings`):
//! stored in the database, read through a per-node cache like the catalogue (the organisation's
//! name is on every page). The configuration file's values are the defaults: a key an
//! administrator never changed follows the file; a key they changed keeps their value.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tikal_core::admin::{AdminEntity, AuditAction};
use tikal_core::settings::{
    ATTACHMENT_MB_CEILING, Colour, DEFAULT_AUTO_CLOSE_DAYS, DEFAULT_REMINDER_DAYS, Language, LogoRef, RegistrationMode, SettingsInput,
    SiteSettings, check_logo,
};
use tikal_core::{NumberFormat, ResolutionPolicy, TicketNumber};

use crate::admin::json;
use crate::{Desk, Principal, Registration, Result, ServiceError};

/// How long another node's change may take to show here.
const SETTINGS_TTL: Duration = Duration::from_secs(5);
const LOGO_KEY: &str = "logo";

fn corrupt(e: serde_json::Error) -> ServiceError {
    ServiceError::Internal(tikal_store::StoreError::Corrupt(format!("settings: {e}")))
}

#[derive(Debug, Default)]
pub(crate) struct SettingsCache(Mutex<Option<(u64, Instant, Arc<SiteSettings>)>>);

impl Desk {
    /// The settings a fresh install starts from: the configuration file's.
    pub fn default_settings(&self) -> SiteSettings {
        let c = &self.config;
        let p = &c.portal;
        let (registration, allowed_domains) = match &p.registration {
            Registration::Open => (RegistrationMode::Open, Vec::new()),
            Registration::Domains(d) => (RegistrationMode::Domains, d.iter().map(|d| d.trim().to_ascii_lowercase()).collect()),
            Registration::StaffOnly => (RegistrationMode::StaffOnly, Vec::new()),
        };
        SiteSettings {
            organisation_name: p.organisation_name.clone(),
            brand_colour: Colour::BRAND,
            brand_ink: Colour::WHITE,
            default_language: p.default_language.parse().unwrap_or(Language::Es),
            time_zone: p.time_zone.clone(),
            ticket_number_format: c.number_format.pattern(),
            reopen_window_days: c.resolution.reopen_window_days,
            auto_close_days: DEFAULT_AUTO_CLOSE_DAYS,
            reminder_days: DEFAULT_REMINDER_DAYS,
            mail_subject_tag: c.intake.subject_tag.clone(),
            autoreplies_per_hour: c.intake.autoreplies_per_hour,
            max_attachment_mb: u32::try_from(c.max_attachment_bytes / (1024 * 1024)).unwrap_or(u32::MAX).max(1),
            max_attachments: u32::try_from(c.max_attachments).unwrap_or(u32::MAX),
            registration,
            allowed_domains,
            guests_may_open: p.guests_may_open,
            organisation_tickets: p.organisation_tickets,
            logo: None,
        }
    }

    /// The effective settings (cached per node for a few seconds; dropped at once when this
    /// node saves them).
    pub async fn settings(&self) -> Result<Arc<SiteSettings>> {
        let version = self.store.catalog_version();
        if let Ok(guard) = self.caches.settings.0.lock()
            && let Some((v, at, s)) = guard.as_ref()
            && *v == version
            && at.elapsed() < SETTINGS_TTL
        {
            return Ok(s.clone());
        }
        let settings = Arc::new(self.load_settings().await?);
        if let Ok(mut guard) = self.caches.settings.0.lock() {
            *guard = Some((version, Instant::now(), settings.clone()));
        }
        Ok(settings)
    }

    /// The settings this node read last (or the file's before any was read), without waiting:
    /// for rules checked where nothing is awaited. Every page and most use cases read the
    /// settings first, which keeps this fresh.
    pub fn settings_now(&self) -> Arc<SiteSettings> {
        match self.caches.settings.0.lock().ok().and_then(|g| g.as_ref().map(|(_, _, s)| s.clone())) {
            Some(s) => s,
            None => Arc::new(self.default_settings()),
        }
    }

    /// The settings, or the file's when the database cannot be read (pages still render).
    pub async fn settings_or_defaults(&self) -> Arc<SiteSettings> {
        match self.settings().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "settings unreadable; using the configuration file's");
                Arc::new(self.default_settings())
            }
        }
    }

    async fn load_settings(&self) -> Result<SiteSettings> {
        let defaults = self.default_settings();
        let mut doc = serde_json::to_value(&defaults).map_err(corrupt)?;
        let mut logo = None;
        for (key, value) in self.store.settings().await? {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&value) else {
                tracing::warn!(key, "a saved setting is not JSON; the default applies");
                continue;
            };
            if key == LOGO_KEY {
                logo = serde_json::from_value::<LogoRef>(value).ok();
                continue;
            }
            // A value that no longer fits (an older version's, a hand edit) leaves the default.
            let mut next = doc.clone();
            next[key.as_str()] = value;
            if serde_json::from_value::<SiteSettings>(next.clone()).is_ok() {
                doc = next;
            } else {
                tracing::warn!(key, "a saved setting does not fit; the default applies");
            }
        }
        let mut s: SiteSettings = serde_json::from_value(doc).map_err(corrupt)?;
        s.logo = logo;
        Ok(s)
    }

    /// The largest attachment limit an administrator may set: the fixed ceiling, or the
    /// configuration file's limit when it is higher (the HTTP layers are built with room for it).
    pub fn attachment_ceiling_mb(&self) -> u32 {
        self.default_settings().max_attachment_mb.max(ATTACHMENT_MB_CEILING)
    }

    /// The effective settings, for the administration (administrators only).
    pub async fn settings_for_admin(&self, by: &Principal) -> Result<Arc<SiteSettings>> {
        Self::admin_actor(by)?;
        self.settings().await
    }

    /// Validates and saves the settings. Only the values that change are stored (a value
    /// never changed keeps following the configuration file); the audit entry lists them with
    /// the whole settings before and after. A refused value changes nothing.
    pub async fn save_settings(&self, by: &Principal, input: SettingsInput) -> Result<Arc<SiteSettings>> {
        Self::admin_actor(by)?;
        let before = self.load_settings().await?;
        let after = input.validate_with_ceiling(before.logo.clone(), self.attachment_ceiling_mb())?;
        let (old, new) = (serde_json::to_value(&before).map_err(corrupt)?, serde_json::to_value(&after).map_err(corrupt)?);
        let changed: Vec<&str> = SiteSettings::KEYS.iter().copied().filter(|k| old.get(*k) != new.get(*k)).collect();
        if changed.is_empty() {
            return self.settings().await;
        }
        let values = changed.iter().map(|k| (k.to_string(), new.get(*k).map(|v| v.to_string()), None)).collect();
        let audit =
            Self::audit_entry(by, AuditAction::Update, AdminEntity::Settings, "settings", changed.join(", "), json(&before), json(&after))?;
        self.store.save_settings(values, audit).await?;
        self.settings().await
    }

    /// Replaces the logo (PNG or JPEG by its bytes, at most 512 KB).
    pub async fn set_logo(&self, by: &Principal, data: Vec<u8>) -> Result<LogoRef> {
        Self::admin_actor(by)?;
        let kind = check_logo(&data)?;
        let before = self.load_settings().await?.logo;
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&data));
        let logo = LogoRef { content_type: kind.content_type().into(), version: hash[..12].to_string(), bytes: data.len() as u64 };
        let value = json(&logo);
        let audit = Self::audit_entry(
            by,
            AuditAction::Update,
            AdminEntity::Settings,
            LOGO_KEY,
            "logo",
            before.as_ref().and_then(|b| json(&serde_json::json!({ "logo": b }))),
            json(&serde_json::json!({ "logo": logo })),
        )?;
        self.store.save_settings(vec![(LOGO_KEY.to_string(), value, Some(data))], audit).await?;
        Ok(logo)
    }

    /// Removes the logo (the header shows the organisation's name alone).
    pub async fn remove_logo(&self, by: &Principal) -> Result<()> {
        Self::admin_actor(by)?;
        let Some(before) = self.load_settings().await?.logo else { return Ok(()) };
        let audit = Self::audit_entry(
            by,
            AuditAction::Delete,
            AdminEntity::Settings,
            LOGO_KEY,
            "logo",
            json(&serde_json::json!({ "logo": before })),
            json(&serde_json::json!({ "logo": null })),
        )?;
        self.store.save_settings(vec![(LOGO_KEY.to_string(), None, None)], audit).await?;
        Ok(())
    }

    /// The logo and its bytes, for anyone (it is on every page).
    pub async fn logo(&self) -> Result<Option<(LogoRef, Vec<u8>)>> {
        let Some((value, data)) = self.store.logo().await? else { return Ok(None) };
        Ok(serde_json::from_str::<LogoRef>(&value).ok().map(|l| (l, data)))
    }

    /// What the next ticket's number would look like in `format` (other tickets may take it
    /// first: a preview).
    pub async fn next_number_preview(&self, format: &NumberFormat) -> Result<TicketNumber> {
        let next = self.store.last_ticket_seq().await?.unwrap_or(0).max(0).unsigned_abs() + 1;
        Ok(format.format(next, chrono::Datelike::year(&tikal_store::now())))
    }

    /// The desk's resolution rules with the reopen window an administrator set.
    pub async fn resolution_policy(&self) -> Result<ResolutionPolicy> {
        let days = self.settings().await?.reopen_window_days;
        Ok(ResolutionPolicy { reopen_window_days: days, ..self.config.resolution })
    }
}
