//! Priorities (names, colours, the impact x urgency matrix), ticket types, SLA plans and
//! business-hours calendars: read from the catalogue, changed by administrators (validated in
//! `tikal_core`, one audited store write each).

use serde::Serialize;
use tikal_core::admin::{AdminEntity, AuditAction};
use tikal_core::priorities::{PriorityLevel, PriorityLevelInput, TicketTypeDef, validate_levels};
use tikal_core::sla_plan::{
    Calendar, CalendarId, CalendarInput, Escalation, HolidayInput, SlaPlan, SlaPlanInput, WorkingHours, format_duration, format_time,
};
use tikal_core::{DepartmentId, DomainError, PriorityMatrix, Reason, SlaPlanId, TicketType};

use crate::admin::json;
use crate::{Catalog, Desk, Principal, Result, ServiceError};

/// The priorities as the administration shows them: names and colours, and the matrix in use.
#[derive(Debug, Clone)]
pub struct PrioritySettings {
    pub levels: Vec<PriorityLevel>,
    pub matrix: PriorityMatrix,
    /// Whether an administrator saved the matrix (otherwise it is the configuration's).
    pub matrix_saved: bool,
}

#[derive(Serialize)]
struct LevelDoc<'a> {
    level: u8,
    name_es: &'a str,
    name_en: &'a str,
    colour: &'a str,
}

fn levels_doc(levels: &[PriorityLevel]) -> Option<String> {
    let docs: Vec<LevelDoc> = levels
        .iter()
        .map(|l| LevelDoc { level: l.priority.level(), name_es: &l.name_es, name_en: &l.name_en, colour: l.colour.as_str() })
        .collect();
    json(&serde_json::json!({ "levels": docs }))
}

fn matrix_doc(m: &PriorityMatrix) -> Option<String> {
    let rows: Vec<Vec<u8>> = m.clone().into();
    json(&serde_json::json!({ "matrix": rows }))
}

fn type_doc(t: &TicketTypeDef) -> Option<String> {
    json(&serde_json::json!({ "name_es": t.name_es, "name_en": t.name_en, "active": t.active }))
}

/// An SLA plan as the audit log records it (targets as H:MM, readable in a diff).
fn plan_doc(name: &str, p: &SlaPlanInput) -> Option<String> {
    let mut doc = serde_json::json!({
        "name": name,
        "calendar_id": p.calendar_id.map(CalendarId::get),
        "pause_when_pending": p.pause_when_pending,
        "active": p.active,
        "warn_percent": p.escalation.warn_percent,
        "on_warning": Escalation::join(&p.escalation.on_warning),
        "on_breach": Escalation::join(&p.escalation.on_breach),
        "escalate_to_department_id": p.escalation.transfer_to.map(DepartmentId::get),
    });
    for (t, level) in p.targets.iter().zip(1..) {
        doc[format!("response_{level}")] = format_duration(t.first_response_minutes).into();
        doc[format!("resolution_{level}")] = format_duration(t.resolution_minutes).into();
    }
    json(&doc)
}

fn plan_input(p: &SlaPlan) -> SlaPlanInput {
    SlaPlanInput {
        name: p.name.clone(),
        targets: p.targets,
        calendar_id: p.calendar_id,
        pause_when_pending: p.pause_when_pending,
        active: p.active,
        escalation: p.escalation.clone(),
    }
}

fn hours_doc(hours: &[WorkingHours]) -> serde_json::Value {
    hours.iter().map(|h| (h.weekday.to_string(), format!("{}-{}", format_time(h.start), format_time(h.end)))).collect()
}

/// A calendar as the audit log records it, holidays included.
fn calendar_doc(c: &Calendar) -> Option<String> {
    let holidays: Vec<String> =
        c.holidays.iter().map(|h| format!("{}{} {}", if h.yearly { "yearly " } else { "" }, h.date.format("%Y-%m-%d"), h.name)).collect();
    json(&serde_json::json!({
        "name": c.name,
        "time_zone": c.time_zone.name(),
        "hours": hours_doc(&c.hours),
        "holidays": holidays,
    }))
}

fn name_taken(e: tikal_store::StoreError) -> ServiceError {
    match e {
        tikal_store::StoreError::Conflict(_) => {
            ServiceError::Domain(DomainError::invalid("name", Reason::Other(tikal_core::sla_plan::WHY_NAME_TAKEN.into())))
        }
        other => other.into(),
    }
}

impl Desk {
    /// The impact x urgency matrix ticket creation uses: the one an administrator saved, else
    /// the configuration's.
    pub fn priority_matrix(&self, catalog: &Catalog) -> PriorityMatrix {
        catalog.priority_matrix.clone().unwrap_or_else(|| self.config.priority_matrix.clone())
    }

    /// The priorities' names and colours (for anyone who shows priorities).
    pub async fn priority_levels(&self) -> Result<Vec<PriorityLevel>> {
        Ok(self.catalog().await?.priority_levels.clone())
    }

    /// Ticket types with their names, and whether each is offered (for forms and lists).
    pub async fn ticket_types(&self) -> Result<Vec<TicketTypeDef>> {
        Ok(self.catalog().await?.ticket_types.clone())
    }

    /// Names, colours and the matrix in use (administrators only).
    pub async fn priority_settings(&self, by: &Principal) -> Result<PrioritySettings> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        Ok(PrioritySettings {
            levels: catalog.priority_levels.clone(),
            matrix: self.priority_matrix(&catalog),
            matrix_saved: catalog.priority_matrix.is_some(),
        })
    }

    /// Renames and recolours the five priorities (`inputs[0]` is priority 1).
    pub async fn save_priority_levels(&self, by: &Principal, inputs: &[PriorityLevelInput]) -> Result<Vec<PriorityLevel>> {
        Self::admin_actor(by)?;
        let levels = validate_levels(inputs)?;
        let before = self.catalog().await?.priority_levels.clone();
        let audit = Self::audit_entry(
            by,
            AuditAction::Update,
            AdminEntity::Priority,
            "levels",
            "Nombres y colores de las prioridades",
            levels_doc(&before),
            levels_doc(&levels),
        )?;
        self.store.save_priority_levels(levels.clone(), audit).await?;
        Ok(levels)
    }

    /// Sets the impact x urgency matrix (rows impact low..high, columns urgency low..high).
    pub async fn save_priority_matrix(&self, by: &Principal, rows: Vec<Vec<u8>>) -> Result<PriorityMatrix> {
        Self::admin_actor(by)?;
        let matrix = PriorityMatrix::try_from(rows)?;
        let before = self.priority_matrix(&*self.catalog().await?);
        let audit = Self::audit_entry(
            by,
            AuditAction::Update,
            AdminEntity::Priority,
            "matrix",
            "Matriz de impacto y urgencia",
            matrix_doc(&before),
            matrix_doc(&matrix),
        )?;
        self.store.save_priority_matrix(matrix.clone(), audit).await?;
        Ok(matrix)
    }

    /// Renames a ticket type, or stops (or starts again) offering it for new tickets.
    pub async fn save_ticket_type(
        &self,
        by: &Principal,
        kind: TicketType,
        name_es: &str,
        name_en: &str,
        active: bool,
    ) -> Result<TicketTypeDef> {
        Self::admin_actor(by)?;
        let all = self.catalog().await?.ticket_types.clone();
        let before = all.iter().find(|t| t.kind == kind).cloned().ok_or(ServiceError::NotFound("ticket type"))?;
        let def = TicketTypeDef::validate(kind, name_es, name_en, active, &all)?;
        let action = AuditAction::of_save(Some(before.active), def.active);
        let audit =
            Self::audit_entry(by, action, AdminEntity::TicketType, kind.as_str(), def.name_es.clone(), type_doc(&before), type_doc(&def))?;
        self.store.save_ticket_type(def.clone(), audit).await?;
        Ok(def)
    }

    /// Every SLA plan, retired ones too (administrators only).
    pub async fn sla_plans(&self, by: &Principal) -> Result<Vec<SlaPlan>> {
        Self::admin_actor(by)?;
        Ok(self.catalog().await?.sla_plans.clone())
    }

    pub async fn sla_plan(&self, by: &Principal, id: SlaPlanId) -> Result<SlaPlan> {
        Self::admin_actor(by)?;
        self.catalog().await?.sla_plans.iter().find(|p| p.id == id).cloned().ok_or(ServiceError::NotFound("SLA plan"))
    }

    /// Creates (`id: None`) or updates an SLA plan.
    pub async fn save_sla_plan(&self, by: &Principal, id: Option<SlaPlanId>, input: SlaPlanInput) -> Result<SlaPlan> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        let before = match id {
            Some(id) => Some(catalog.sla_plans.iter().find(|p| p.id == id).cloned().ok_or(ServiceError::NotFound("SLA plan"))?),
            None => None,
        };
        let calendars: Vec<CalendarId> = catalog.calendars.iter().map(|c| c.id).collect();
        let input = input.validate(id, &catalog.sla_plans, &calendars)?;
        // Only existence is checked: a plan keeps its department if that one is retired later,
        // as a department keeps a retired plan.
        if let Some(d) = input.escalation.transfer_to
            && catalog.department(d).is_none()
        {
            return Err(DomainError::invalid("transfer_to", Reason::NotFound).into());
        }
        let action = AuditAction::of_save(before.as_ref().map(|b| b.active), input.active);
        let audit = Self::audit_entry(
            by,
            action,
            AdminEntity::SlaPlan,
            id.map(SlaPlanId::get).unwrap_or_default(),
            input.name.clone(),
            before.as_ref().and_then(|b| plan_doc(&b.name, &plan_input(b))),
            plan_doc(&input.name, &input),
        )?;
        let saved = self.store.save_sla_plan(id, input, audit).await.map_err(name_taken)?;
        self.sla_plan(by, saved).await
    }

    /// Every calendar with its hours and holidays (administrators only).
    pub async fn calendars(&self, by: &Principal) -> Result<Vec<Calendar>> {
        Self::admin_actor(by)?;
        Ok(self.catalog().await?.calendars.clone())
    }

    pub async fn calendar(&self, by: &Principal, id: CalendarId) -> Result<Calendar> {
        Self::admin_actor(by)?;
        self.catalog().await?.calendars.iter().find(|c| c.id == id).cloned().ok_or(ServiceError::NotFound("calendar"))
    }

    /// Creates (`id: None`) or updates a calendar's name, time zone and working hours.
    pub async fn save_calendar(&self, by: &Principal, id: Option<CalendarId>, input: CalendarInput) -> Result<Calendar> {
        Self::admin_actor(by)?;
        let catalog = self.catalog().await?;
        let before = match id {
            Some(id) => Some(catalog.calendars.iter().find(|c| c.id == id).cloned().ok_or(ServiceError::NotFound("calendar"))?),
            None => None,
        };
        let names: Vec<(CalendarId, String)> = catalog.calendars.iter().map(|c| (c.id, c.name.clone())).collect();
        let s = input.validate(id, &names)?;
        let after = Calendar {
            id: id.unwrap_or(CalendarId(0)),
            name: s.name.clone(),
            time_zone: s.time_zone,
            hours: s.hours.clone(),
            holidays: before.as_ref().map(|b| b.holidays.clone()).unwrap_or_default(),
        };
        let audit = Self::audit_entry(
            by,
            if before.is_some() { AuditAction::Update } else { AuditAction::Create },
            AdminEntity::Calendar,
            id.map(CalendarId::get).unwrap_or_default(),
            s.name.clone(),
            before.as_ref().and_then(calendar_doc),
            calendar_doc(&after),
        )?;
        let saved = self.store.save_calendar(id, s, audit).await.map_err(name_taken)?;
        self.calendar(by, saved).await
    }

    /// Adds a holiday to a calendar.
    pub async fn add_holiday(&self, by: &Principal, calendar: CalendarId, input: HolidayInput) -> Result<Calendar> {
        let before = self.calendar(by, calendar).await?;
        let h = input.validate(&before.holidays)?;
        let mut after = before.clone();
        after.holidays.push(h.clone());
        after.holidays.sort_by_key(|h| h.date);
        let summary = format!("{}: {}", before.name, h.name);
        let audit = Self::audit_entry(
            by,
            AuditAction::Update,
            AdminEntity::Calendar,
            calendar,
            summary,
            calendar_doc(&before),
            calendar_doc(&after),
        )?;
        self.store.add_holiday(calendar, h, audit).await?;
        self.calendar(by, calendar).await
    }

    /// Removes a holiday from a calendar.
    pub async fn remove_holiday(&self, by: &Principal, calendar: CalendarId, holiday: i64) -> Result<Calendar> {
        let before = self.calendar(by, calendar).await?;
        let gone = before.holidays.iter().find(|h| h.id == holiday).cloned().ok_or(ServiceError::NotFound("holiday"))?;
        let mut after = before.clone();
        after.holidays.retain(|h| h.id != holiday);
        let summary = format!("{}: {}", before.name, gone.name);
        let audit = Self::audit_entry(
            by,
            AuditAction::Update,
            AdminEntity::Calendar,
            calendar,
            summary,
            calendar_doc(&before),
            calendar_doc(&after),
        )?;
        self.store.remove_holiday(calendar, holiday, audit).await?;
        self.calendar(by, calendar).await
    }
}
