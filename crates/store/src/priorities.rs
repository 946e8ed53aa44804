//! Priorities (names, colours, the impact x urgency matrix), ticket types, SLA plans and their
//! business-hours calendars: read into the catalogue, written by administrators with their
//! audit entry in the same transaction.

use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, Set};
use tikal_core::priorities::{Colour, PriorityLevel, TicketTypeDef};
use tikal_core::sla::Targets;
use tikal_core::sla_plan::{Calendar, CalendarId, CalendarSettings, Escalation, Holiday, SlaPlan, SlaPlanInput, WEEKDAYS, WorkingHours};
use tikal_core::{DepartmentId, PriorityMatrix, SlaPlanId, TicketType};

use crate::convert::micros;
use crate::entity::{calendar, calendar_hours, holiday, priority_level, priority_matrix_cell, sla_plan, sla_target, ticket_type};
use crate::{NewAudit, Result, Store, StoreError};

fn corrupt(what: &str, v: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what} `{}`", v.to_string().chars().take(64).collect::<String>()))
}

fn minutes(v: i32) -> Result<u32> {
    u32::try_from(v).map_err(|_| corrupt("minutes", v))
}

fn to_plan(p: sla_plan::Model, targets: &[sla_target::Model]) -> Result<SlaPlan> {
    let mut by_priority = [Targets { first_response_minutes: 0, resolution_minutes: 0 }; 5];
    for (i, slot) in by_priority.iter_mut().enumerate() {
        let level = i32::try_from(i + 1).unwrap_or_default();
        let t =
            targets.iter().find(|t| t.plan_id == p.id && t.priority == level).ok_or_else(|| corrupt("sla plan without targets", p.id))?;
        *slot = Targets { first_response_minutes: minutes(t.first_response_minutes)?, resolution_minutes: minutes(t.resolution_minutes)? };
    }
    Ok(SlaPlan {
        id: SlaPlanId(p.id),
        name: p.name,
        targets: by_priority,
        calendar_id: p.calendar_id.map(CalendarId),
        pause_when_pending: p.pause_when_pending,
        active: p.active,
        escalation: Escalation {
            warn_percent: p.warn_percent.and_then(|v| u32::try_from(v).ok()),
            on_warning: Escalation::split(&p.warn_actions),
            on_breach: Escalation::split(&p.breach_actions),
            transfer_to: p.escalate_to_department_id.map(DepartmentId),
        },
    })
}

fn to_holiday(h: holiday::Model) -> Result<Holiday> {
    let date = NaiveDate::parse_from_str(&h.date, "%Y-%m-%d").map_err(|_| corrupt("holiday date", &h.date))?;
    Ok(Holiday { id: h.id, date, yearly: h.yearly, name: h.name })
}

fn to_calendar(c: calendar::Model, hours: &[calendar_hours::Model], holidays: &[holiday::Model]) -> Result<Calendar> {
    let time_zone = tikal_core::sla_plan::parse_time_zone("time_zone", &c.time_zone).map_err(|_| corrupt("time zone", &c.time_zone))?;
    let mut wh = Vec::new();
    for h in hours.iter().filter(|h| h.calendar_id == c.id) {
        let weekday = usize::try_from(h.weekday - 1).ok().and_then(|i| WEEKDAYS.get(i)).ok_or_else(|| corrupt("weekday", h.weekday))?;
        let t = |v: i32| u16::try_from(v).map_err(|_| corrupt("time", v));
        wh.push(WorkingHours { weekday: *weekday, start: t(h.start_minute)?, end: t(h.end_minute)? });
    }
    wh.sort_by_key(|h| h.weekday.num_days_from_monday());
    let mut hol = holidays.iter().filter(|h| h.calendar_id == c.id).cloned().map(to_holiday).collect::<Result<Vec<_>>>()?;
    hol.sort_by_key(|h| h.date);
    Ok(Calendar { id: CalendarId(c.id), name: c.name, time_zone, hours: wh, holidays: hol })
}

async fn write_targets(txn: &impl ConnectionTrait, plan: i64, targets: &[Targets; 5]) -> Result<()> {
    sla_target::Entity::delete_many().filter(sla_target::Column::PlanId.eq(plan)).exec(txn).await?;
    for (t, level) in targets.iter().zip(1..) {
        let row = sla_target::ActiveModel {
            plan_id: Set(plan),
            priority: Set(level),
            first_response_minutes: Set(i32::try_from(t.first_response_minutes).map_err(|_| corrupt("minutes", t.first_response_minutes))?),
            resolution_minutes: Set(i32::try_from(t.resolution_minutes).map_err(|_| corrupt("minutes", t.resolution_minutes))?),
        };
        sla_target::Entity::insert(row).exec_without_returning(txn).await?;
    }
    Ok(())
}

impl Store {
    /// The five priorities' names and colours, 1 first (defaults for a level not stored).
    pub async fn priority_levels(&self) -> Result<Vec<PriorityLevel>> {
        let rows = priority_level::Entity::find().all(&self.read).await?;
        PriorityLevel::defaults()
            .into_iter()
            .map(|d| match rows.iter().find(|r| r.level == i32::from(d.priority.level())) {
                Some(r) => Ok(PriorityLevel {
                    priority: d.priority,
                    name_es: r.name_es.clone(),
                    name_en: r.name_en.clone(),
                    colour: Colour::parse("colour", &r.colour)?,
                }),
                None => Ok(d),
            })
            .collect()
    }

    /// The impact x urgency matrix an administrator saved; `None` until one is (the
    /// configuration's default applies).
    pub async fn priority_matrix(&self) -> Result<Option<PriorityMatrix>> {
        let rows = priority_matrix_cell::Entity::find().all(&self.read).await?;
        if rows.len() != 9 {
            return Ok(None);
        }
        let mut cells = vec![vec![0u8; 3]; 3];
        for r in rows {
            let (i, u) = (usize::try_from(r.impact - 1), usize::try_from(r.urgency - 1));
            let cell = i.ok().zip(u.ok()).and_then(|(i, u)| cells.get_mut(i).and_then(|row| row.get_mut(u)));
            *cell.ok_or_else(|| corrupt("matrix cell", r.impact))? =
                u8::try_from(r.priority).map_err(|_| corrupt("priority", r.priority))?;
        }
        Ok(Some(PriorityMatrix::try_from(cells)?))
    }

    /// Every ticket type in list order, with its names and whether it is offered.
    pub async fn ticket_types(&self) -> Result<Vec<TicketTypeDef>> {
        let rows = ticket_type::Entity::find().order_by_asc(ticket_type::Column::Position).all(&self.read).await?;
        let mut out: Vec<TicketTypeDef> = Vec::new();
        for r in rows {
            let kind: TicketType = r.key.parse()?;
            out.push(TicketTypeDef { kind, name_es: r.name_es, name_en: r.name_en, active: r.active });
        }
        for d in TicketTypeDef::defaults() {
            if !out.iter().any(|t| t.kind == d.kind) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Every SLA plan by name, retired ones too.
    pub async fn sla_plans(&self) -> Result<Vec<SlaPlan>> {
        let plans = sla_plan::Entity::find().order_by_asc(sla_plan::Column::Name).all(&self.read).await?;
        let targets = sla_target::Entity::find().all(&self.read).await?;
        plans.into_iter().map(|p| to_plan(p, &targets)).collect()
    }

    /// Every calendar by name, with its hours and holidays.
    pub async fn calendars(&self) -> Result<Vec<Calendar>> {
        let cals = calendar::Entity::find().order_by_asc(calendar::Column::Name).all(&self.read).await?;
        let hours = calendar_hours::Entity::find().all(&self.read).await?;
        let holidays = holiday::Entity::find().all(&self.read).await?;
        cals.into_iter().map(|c| to_calendar(c, &hours, &holidays)).collect()
    }

    pub async fn save_priority_levels(&self, levels: Vec<PriorityLevel>, audit: NewAudit) -> Result<()> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                priority_level::Entity::delete_many().exec(txn).await?;
                for l in levels {
                    let row = priority_level::ActiveModel {
                        level: Set(i32::from(l.priority.level())),
                        name_es: Set(l.name_es),
                        name_en: Set(l.name_en),
                        colour: Set(l.colour.to_string()),
                    };
                    priority_level::Entity::insert(row).exec_without_returning(txn).await?;
                }
                Ok(((), None))
            })
        })
        .await
    }

    pub async fn save_priority_matrix(&self, matrix: PriorityMatrix, audit: NewAudit) -> Result<()> {
        let rows: Vec<Vec<u8>> = matrix.into();
        self.audited(audit, move |txn| {
            Box::pin(async move {
                priority_matrix_cell::Entity::delete_many().exec(txn).await?;
                for (row, impact) in rows.iter().zip(1..) {
                    for (p, urgency) in row.iter().zip(1..) {
                        let cell =
                            priority_matrix_cell::ActiveModel { impact: Set(impact), urgency: Set(urgency), priority: Set(i32::from(*p)) };
                        priority_matrix_cell::Entity::insert(cell).exec_without_returning(txn).await?;
                    }
                }
                Ok(((), None))
            })
        })
        .await
    }

    pub async fn save_ticket_type(&self, def: TicketTypeDef, audit: NewAudit) -> Result<()> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let existing = ticket_type::Entity::find_by_id(def.kind.as_str().to_string()).one(txn).await?;
                let position = existing.as_ref().map_or_else(
                    || TicketType::ALL.iter().position(|k| *k == def.kind).map_or(0, |p| i32::try_from(p * 10).unwrap_or_default()),
                    |e| e.position,
                );
                let row = ticket_type::ActiveModel {
                    key: Set(def.kind.as_str().to_string()),
                    name_es: Set(def.name_es),
                    name_en: Set(def.name_en),
                    position: Set(position),
                    active: Set(def.active),
                };
                match existing {
                    Some(_) => {
                        row.update(txn).await?;
                    }
                    None => ticket_type::Entity::insert(row).exec_without_returning(txn).await.map(|_| ())?,
                }
                Ok(((), None))
            })
        })
        .await
    }

    /// Creates (`id: None`) or updates an SLA plan with its targets.
    pub async fn save_sla_plan(&self, id: Option<SlaPlanId>, p: SlaPlanInput, audit: NewAudit) -> Result<SlaPlanId> {
        let at = audit.at;
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let mut row = sla_plan::ActiveModel {
                    id: id.map_or(NotSet, |i| Set(i.get())),
                    name: Set(p.name),
                    calendar_id: Set(p.calendar_id.map(CalendarId::get)),
                    pause_when_pending: Set(p.pause_when_pending),
                    active: Set(p.active),
                    created_at: NotSet,
                    warn_percent: Set(p.escalation.warn_percent.map(|v| i32::try_from(v).unwrap_or(i32::MAX))),
                    warn_actions: Set(Escalation::join(&p.escalation.on_warning)),
                    breach_actions: Set(Escalation::join(&p.escalation.on_breach)),
                    escalate_to_department_id: Set(p.escalation.transfer_to.map(DepartmentId::get)),
                };
                let saved = match id {
                    Some(_) => row.update(txn).await?,
                    None => {
                        row.created_at = Set(micros(at));
                        row.insert(txn).await?
                    }
                };
                write_targets(txn, saved.id, &p.targets).await?;
                Ok((SlaPlanId(saved.id), id.is_none().then(|| saved.id.to_string())))
            })
        })
        .await
    }

    /// Creates (`id: None`) or updates a calendar and replaces its working hours.
    pub async fn save_calendar(&self, id: Option<CalendarId>, s: CalendarSettings, audit: NewAudit) -> Result<CalendarId> {
        let at = audit.at;
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let mut row = calendar::ActiveModel {
                    id: id.map_or(NotSet, |i| Set(i.get())),
                    name: Set(s.name),
                    time_zone: Set(s.time_zone.name().to_string()),
                    created_at: NotSet,
                };
                let saved = match id {
                    Some(_) => row.update(txn).await?,
                    None => {
                        row.created_at = Set(micros(at));
                        row.insert(txn).await?
                    }
                };
                calendar_hours::Entity::delete_many().filter(calendar_hours::Column::CalendarId.eq(saved.id)).exec(txn).await?;
                for h in &s.hours {
                    let r = calendar_hours::ActiveModel {
                        calendar_id: Set(saved.id),
                        weekday: Set(i32::try_from(h.weekday.number_from_monday()).unwrap_or(1)),
                        start_minute: Set(i32::from(h.start)),
                        end_minute: Set(i32::from(h.end)),
                    };
                    calendar_hours::Entity::insert(r).exec_without_returning(txn).await?;
                }
                Ok((CalendarId(saved.id), id.is_none().then(|| saved.id.to_string())))
            })
        })
        .await
    }

    pub async fn add_holiday(&self, calendar: CalendarId, h: Holiday, audit: NewAudit) -> Result<i64> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let row = holiday::ActiveModel {
                    id: NotSet,
                    calendar_id: Set(calendar.get()),
                    date: Set(h.date.format("%Y-%m-%d").to_string()),
                    yearly: Set(h.yearly),
                    name: Set(h.name),
                };
                Ok((row.insert(txn).await?.id, None))
            })
        })
        .await
    }

    pub async fn remove_holiday(&self, calendar: CalendarId, id: i64, audit: NewAudit) -> Result<()> {
        self.audited(audit, move |txn| {
            Box::pin(async move {
                let r = holiday::Entity::delete_many()
                    .filter(holiday::Column::Id.eq(id))
                    .filter(holiday::Column::CalendarId.eq(calendar.get()))
                    .exec(txn)
                    .await?;
                if r.rows_affected == 0 {
                    return Err(StoreError::NotFound("holiday"));
                }
                Ok(((), None))
            })
        })
        .await
    }
}
