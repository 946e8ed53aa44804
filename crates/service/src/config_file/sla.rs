//! Business-hours calendars (hours per weekday, holidays) and SLA plans in the configuration
//! document. A plan names its calendar by name, and a department its plan; calendars are
//! synced first so a plan may name one the same document creates.

use std::collections::BTreeSet;

use chrono::Weekday;
use serde::{Deserialize, Serialize};
use tikal_core::sla::Targets;
use tikal_core::sla_plan::{
    Calendar, CalendarId, CalendarInput, DayInput, Escalation, EscalationAction, Holiday, HolidayInput, SlaPlan, SlaPlanInput,
    WorkingHours, format_time,
};
use tikal_core::{DepartmentId, Priority, SlaPlanId};

use super::{DeskDocument, ImportAction, Sync, invalid, key};
use crate::{Desk, Result};

/// Working hours per weekday as `HH:MM-HH:MM` (local time of the calendar); a day left out is
/// not worked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HoursEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mon: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thu: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sat: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sun: Option<String>,
}

impl HoursEntry {
    /// Monday first.
    fn days(&self) -> [(&'static str, &Option<String>); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }

    fn day_mut(&mut self, d: Weekday) -> &mut Option<String> {
        match d {
            Weekday::Mon => &mut self.mon,
            Weekday::Tue => &mut self.tue,
            Weekday::Wed => &mut self.wed,
            Weekday::Thu => &mut self.thu,
            Weekday::Fri => &mut self.fri,
            Weekday::Sat => &mut self.sat,
            Weekday::Sun => &mut self.sun,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolidayEntry {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Every year on the same month and day.
    #[serde(default)]
    pub yearly: bool,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarEntry {
    pub name: String,
    /// IANA name, e.g. `America/Guayaquil`.
    pub time_zone: String,
    pub hours: HoursEntry,
    /// The calendar's holidays: those not listed are removed from it.
    #[serde(default, rename = "holiday", skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<HolidayEntry>,
}

/// One priority's targets, in minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetEntry {
    pub priority: u8,
    pub response_minutes: u32,
    pub resolution_minutes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaPlanEntry {
    pub name: String,
    /// The calendar's name; left out: around the clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<String>,
    #[serde(default = "yes")]
    pub pause_when_pending: bool,
    #[serde(default = "yes")]
    pub active: bool,
    /// Escalation: the four keys below go together. A plan with none of them keeps the
    /// escalation it has (a new one gets the standard); with any of them, those left out are
    /// none (no warning, no actions, the department's next level).
    /// Percent of a target used at which the warning fires; left out: no warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_percent: Option<u32>,
    /// Action names (`notify_owner`, `notify_responsible`, `notify_manager`,
    /// `notify_supervisors`, `raise_priority`, `transfer`, `mark_overdue`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_warning: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_breach: Option<Vec<String>>,
    /// The department `transfer` sends tickets to, by name; left out: the department's next
    /// level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<String>,
    /// One per priority 1-5.
    #[serde(default, rename = "target")]
    pub targets: Vec<TargetEntry>,
}

fn yes() -> bool {
    true
}

pub(super) async fn export(desk: &Desk, doc: &mut DeskDocument) -> Result<()> {
    let catalog = desk.catalog().await?;
    for c in &catalog.calendars {
        let mut hours = HoursEntry::default();
        for h in &c.hours {
            *hours.day_mut(h.weekday) = Some(format!("{}-{}", format_time(h.start), format_time(h.end)));
        }
        doc.calendars.push(CalendarEntry {
            name: c.name.clone(),
            time_zone: c.time_zone.name().into(),
            hours,
            holidays: c
                .holidays
                .iter()
                .map(|h| HolidayEntry { date: h.date.format("%Y-%m-%d").to_string(), yearly: h.yearly, name: h.name.clone() })
                .collect(),
        });
    }
    let calendar_name = |id: CalendarId| catalog.calendars.iter().find(|c| c.id == id).map(|c| c.name.clone());
    let names = |actions: &[EscalationAction]| Some(actions.iter().map(|a| a.as_str().to_string()).collect());
    for p in &catalog.sla_plans {
        let e = &p.escalation;
        doc.sla_plans.push(SlaPlanEntry {
            name: p.name.clone(),
            calendar: p.calendar_id.and_then(calendar_name),
            pause_when_pending: p.pause_when_pending,
            active: p.active,
            // Both lists always, even empty: they mark the escalation as given (see the entry).
            warn_percent: e.warn_percent,
            on_warning: names(&e.on_warning),
            on_breach: names(&e.on_breach),
            escalate_to: e.transfer_to.and_then(|d| catalog.department(d)).map(|d| d.name.clone()),
            targets: Priority::ALL
                .into_iter()
                .map(|pr| {
                    let t = p.targets(pr);
                    TargetEntry {
                        priority: pr.level(),
                        response_minutes: t.first_response_minutes,
                        resolution_minutes: t.resolution_minutes,
                    }
                })
                .collect(),
        });
    }
    Ok(())
}

impl Sync<'_> {
    /// The SLA plan a department names: one of this desk's or the document's, not retired
    /// (unless the department has it already, as on its page).
    pub fn sla_plan(&self, at: &str, name: &Option<String>, current: Option<SlaPlanId>) -> Result<Option<SlaPlanId>> {
        let Some(n) = name else {
            return Ok(None);
        };
        let (id, active) = self.sla_plans.get(&key(n)).copied().ok_or_else(|| invalid(at, format!("no SLA plan named {n}")))?;
        if !active && current != Some(id) {
            return Err(invalid(at, format!("the SLA plan {n} is retired")));
        }
        Ok(Some(id))
    }
}

fn calendar_input(at: &str, c: &CalendarEntry) -> Result<CalendarInput> {
    let mut days = Vec::with_capacity(7);
    for (day, hours) in c.hours.days() {
        days.push(match hours {
            None => DayInput::default(),
            Some(h) => {
                let (start, end) =
                    h.split_once('-').ok_or_else(|| invalid(at, format!("hours.{day} must be HH:MM-HH:MM, e.g. 08:00-17:00")))?;
                DayInput { open: true, start: start.trim().into(), end: end.trim().into() }
            }
        });
    }
    Ok(CalendarInput { name: c.name.clone(), time_zone: c.time_zone.clone(), days })
}

/// Field names of the calendar form (`start_3`) as the document says them (`hours.wed`).
fn calendar_error(at: &str, e: tikal_core::DomainError) -> crate::ServiceError {
    let text = e.to_string();
    for (i, d) in ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].iter().enumerate() {
        for f in ["start", "end"] {
            if let Some(rest) = text.strip_prefix(&format!("{f}_{}:", i + 1)) {
                return invalid(at, format!("hours.{d} ({f}):{rest}"));
            }
        }
    }
    invalid(at, text)
}

fn sorted_hours(h: &[WorkingHours]) -> Vec<(u32, u16, u16)> {
    let mut v: Vec<_> = h.iter().map(|h| (h.weekday.number_from_monday(), h.start, h.end)).collect();
    v.sort_unstable();
    v
}

fn same_holiday(a: &Holiday, b: &Holiday) -> bool {
    a.date == b.date && a.yearly == b.yearly && a.name == b.name
}

/// Calendars by name: created, or brought in line (name, zone, hours, and exactly the holidays
/// the document lists).
pub(super) async fn sync_calendars(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let catalog = desk.catalog().await?;
    let names: Vec<(CalendarId, String)> = catalog.calendars.iter().map(|c| (c.id, c.name.clone())).collect();
    let mut seen = BTreeSet::new();
    for (i, c) in doc.calendars.iter().enumerate() {
        let at = format!("calendar {}", c.name);
        if !seen.insert(key(&c.name)) {
            return Err(invalid(at, "appears twice"));
        }
        let existing: Option<&Calendar> = catalog.calendars.iter().find(|x| key(&x.name) == key(&c.name));
        let input = calendar_input(&at, c)?;
        let s = input.clone().validate(existing.map(|x| x.id), &names).map_err(|e| calendar_error(&at, e))?;
        let mut wanted: Vec<Holiday> = Vec::new();
        for h in &c.holidays {
            let hol = HolidayInput { date: h.date.clone(), yearly: h.yearly, name: h.name.clone() }
                .validate(&wanted)
                .map_err(|e| invalid(format!("{at}, holiday {}", h.date), e))?;
            wanted.push(hol);
        }
        let here = existing.map(|x| x.holidays.as_slice()).unwrap_or_default();
        let stale: Vec<&Holiday> = here.iter().filter(|h| !wanted.iter().any(|w| same_holiday(w, h))).collect();
        let missing: Vec<&Holiday> = wanted.iter().filter(|w| !here.iter().any(|h| same_holiday(w, h))).collect();
        let settings_same =
            existing.is_some_and(|x| x.name == s.name && x.time_zone == s.time_zone && sorted_hours(&x.hours) == sorted_hours(&s.hours));
        let action = match existing {
            None => ImportAction::Create,
            Some(_) if settings_same && stale.is_empty() && missing.is_empty() => ImportAction::Unchanged,
            Some(_) => ImportAction::Update,
        };
        let id = match existing {
            Some(x) => x.id,
            None if cx.apply => desk.save_calendar(cx.by, None, input.clone()).await?.id,
            None => CalendarId(-(i as i64) - 1),
        };
        if cx.apply {
            if existing.is_some() && !settings_same {
                desk.save_calendar(cx.by, Some(id), input).await?;
            }
            for h in stale {
                desk.remove_holiday(cx.by, id, h.id).await?;
            }
            for h in missing {
                let add = HolidayInput { date: h.date.format("%Y-%m-%d").to_string(), yearly: h.yearly, name: h.name.clone() };
                desk.add_holiday(cx.by, id, add).await?;
            }
        }
        cx.calendars.insert(key(&c.name), id);
        cx.change("calendar", s.name, action);
    }
    if !doc.calendars.is_empty() {
        for c in catalog.calendars.iter().filter(|c| !seen.contains(&key(&c.name))) {
            cx.change("calendar", c.name.clone(), ImportAction::NotInDocument);
        }
    }
    Ok(())
}

fn targets(at: &str, entries: &[TargetEntry]) -> Result<[Targets; 5]> {
    let mut out = [None; 5];
    for t in entries {
        let i =
            usize::from(t.priority).checked_sub(1).filter(|i| *i < 5).ok_or_else(|| invalid(at, "a target's priority must be 1 to 5"))?;
        if out[i].is_some() {
            return Err(invalid(at, format!("the target of priority {} appears twice", t.priority)));
        }
        out[i] = Some(Targets { first_response_minutes: t.response_minutes, resolution_minutes: t.resolution_minutes });
    }
    let mut all = [Targets { first_response_minutes: 0, resolution_minutes: 0 }; 5];
    for (i, t) in out.into_iter().enumerate() {
        all[i] =
            t.ok_or_else(|| invalid(at, format!("needs a [[sla_plan.target]] for each priority 1-5 (priority {} is missing)", i + 1)))?;
    }
    Ok(all)
}

/// The plan's target errors (`response_3`) as the document says them (`priority 3`).
fn plan_error(at: &str, e: tikal_core::DomainError) -> crate::ServiceError {
    let text = e.to_string();
    for level in 1..=5 {
        for (f, what) in [("response", "response_minutes"), ("resolution", "resolution_minutes")] {
            if let Some(rest) = text.strip_prefix(&format!("{f}_{level}:")) {
                return invalid(at, format!("target of priority {level}, {what}:{rest}"));
            }
        }
    }
    invalid(at, text)
}

fn as_input(p: &SlaPlan) -> SlaPlanInput {
    SlaPlanInput {
        name: p.name.clone(),
        targets: p.targets,
        calendar_id: p.calendar_id,
        pause_when_pending: p.pause_when_pending,
        active: p.active,
        escalation: p.escalation.clone(),
    }
}

/// Where a plan's escalation sends tickets, as the document names it.
enum EscalateTo {
    NextLevel,
    Existing(DepartmentId),
    /// A department this document creates: departments are synced after plans (they name
    /// their plan), so the plan gets it in `sync_escalations`.
    Later(String),
}

/// A plan's escalation as the document gives it; `None`: not given (keep the plan's own).
fn escalation(at: &str, p: &SlaPlanEntry, doc: &DeskDocument, cx: &Sync<'_>) -> Result<Option<(Escalation, EscalateTo)>> {
    if p.warn_percent.is_none() && p.on_warning.is_none() && p.on_breach.is_none() && p.escalate_to.is_none() {
        return Ok(None);
    }
    let actions = |field: &'static str, names: &Option<Vec<String>>| {
        Escalation::parse_actions(field, names.iter().flatten().map(String::as_str)).map_err(|_| {
            let known: Vec<&str> = EscalationAction::ALL.iter().map(|a| a.as_str()).collect();
            invalid(at, format!("{field}: unknown action; the actions are {}", known.join(", ")))
        })
    };
    let to = match &p.escalate_to {
        None => EscalateTo::NextLevel,
        Some(n) => match cx.departments.get(&key(n)) {
            Some(id) => EscalateTo::Existing(*id),
            None if doc.departments.iter().any(|d| key(&d.name) == key(n)) => EscalateTo::Later(key(n)),
            None => return Err(invalid(at, format!("escalate_to: no department named {n}"))),
        },
    };
    let e = Escalation {
        warn_percent: p.warn_percent,
        on_warning: actions("on_warning", &p.on_warning)?,
        on_breach: actions("on_breach", &p.on_breach)?,
        transfer_to: match to {
            EscalateTo::Existing(id) => Some(id),
            EscalateTo::NextLevel | EscalateTo::Later(_) => None,
        },
    };
    Ok(Some((e, to)))
}

/// SLA plans by name; a plan's calendar is one of this desk's or one the document creates, and
/// so is its escalation department (set once departments are synced: `sync_escalations`).
pub(super) async fn sync_sla_plans(desk: &Desk, doc: &DeskDocument, cx: &mut Sync<'_>) -> Result<()> {
    let catalog = desk.catalog().await?;
    let calendars: Vec<CalendarId> = cx.calendars.values().copied().collect();
    let mut seen = BTreeSet::new();
    for (i, p) in doc.sla_plans.iter().enumerate() {
        let at = format!("SLA plan {}", p.name);
        if !seen.insert(key(&p.name)) {
            return Err(invalid(at, "appears twice"));
        }
        let existing = catalog.sla_plans.iter().find(|x| key(&x.name) == key(&p.name));
        let calendar_id = p
            .calendar
            .as_ref()
            .map(|n| cx.calendars.get(&key(n)).copied().ok_or_else(|| invalid(&at, format!("no calendar named {n}"))))
            .transpose()?;
        let (escalation, later) = match escalation(&at, p, doc, cx)? {
            Some((e, EscalateTo::Later(department))) => (e, Some(department)),
            Some((e, _)) => (e, None),
            None => (existing.map_or_else(Escalation::standard, |x| x.escalation.clone()), None),
        };
        let input = SlaPlanInput {
            name: p.name.clone(),
            targets: targets(&at, &p.targets)?,
            calendar_id,
            pause_when_pending: p.pause_when_pending,
            active: p.active,
            escalation,
        }
        .validate(existing.map(|x| x.id), &catalog.sla_plans, &calendars)
        .map_err(|e| plan_error(&at, e))?;
        let action = match existing {
            None => ImportAction::Create,
            // A department still to be created cannot be the plan's yet: it changes.
            Some(x) if as_input(x) == input && later.is_none() => ImportAction::Unchanged,
            Some(_) => ImportAction::Update,
        };
        let (name, active) = (input.name.clone(), input.active);
        let id = match existing {
            _ if cx.apply && action != ImportAction::Unchanged => desk.save_sla_plan(cx.by, existing.map(|x| x.id), input).await?.id,
            Some(x) => x.id,
            None => SlaPlanId(-(i as i64) - 1),
        };
        cx.sla_plans.insert(key(&name), (id, active));
        if let Some(department) = later {
            cx.escalate_later.push((id, department));
        }
        cx.change("sla_plan", name, action);
    }
    if !doc.sla_plans.is_empty() {
        for p in catalog.sla_plans.iter().filter(|p| !seen.contains(&key(&p.name))) {
            cx.change("sla_plan", p.name.clone(), ImportAction::NotInDocument);
        }
    }
    Ok(())
}

/// Plans whose escalation department the document creates: set now that it exists (a
/// second audited save; the plan's change is already reported). Nothing to do in a dry run.
pub(super) async fn sync_escalations(desk: &Desk, cx: &mut Sync<'_>) -> Result<()> {
    if !cx.apply {
        return Ok(());
    }
    for (plan, department) in std::mem::take(&mut cx.escalate_later) {
        let Some(id) = cx.departments.get(&department).copied() else {
            return Err(invalid(format!("department {department}"), "was not created"));
        };
        let mut input = as_input(&desk.sla_plan(cx.by, plan).await?);
        input.escalation.transfer_to = Some(id);
        desk.save_sla_plan(cx.by, Some(plan), input).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config_file::DeskDocument;

    #[test]
    fn calendars_and_plans_read_as_written() {
        let text = r##"
version = 1

[[calendar]]
name = "Oficina Quito"
time_zone = "America/Guayaquil"

[calendar.hours]
mon = "08:00-17:00"
fri = "08:00-13:00"

[[calendar.holiday]]
date = "2025-08-10"
yearly = true
name = "Primer Grito de Independencia"

[[sla_plan]]
name = "Nivel 1"
calendar = "Oficina Quito"
warn_percent = 80
on_warning = ["notify_owner"]
on_breach = ["notify_manager", "transfer"]
escalate_to = "Soporte (Nivel 2)"

[[sla_plan.target]]
priority = 5
response_minutes = 30
resolution_minutes = 240
"##;
        let doc: DeskDocument = toml::from_str(text).expect("parse");
        let c = &doc.calendars[0];
        assert_eq!(c.hours.mon.as_deref(), Some("08:00-17:00"));
        assert_eq!(c.hours.tue, None);
        assert!(c.holidays[0].yearly);
        let p = &doc.sla_plans[0];
        assert!(p.active && p.pause_when_pending, "defaults");
        assert_eq!(p.targets[0], TargetEntry { priority: 5, response_minutes: 30, resolution_minutes: 240 });
        assert_eq!((p.warn_percent, p.escalate_to.as_deref()), (Some(80), Some("Soporte (Nivel 2)")));
        assert_eq!(p.on_breach.as_deref(), Some(&["notify_manager".to_string(), "transfer".to_string()][..]));
        let again = toml::to_string_pretty(&doc).expect("toml");
        assert!(
            again.contains("[calendar.hours]") && again.contains("[[calendar.holiday]]") && again.contains("[[sla_plan.target]]"),
            "{again}"
        );
        assert_eq!(toml::from_str::<DeskDocument>(&again).expect("reparse"), doc);

        let input = calendar_input("c", c).expect("input");
        assert_eq!(input.days.iter().filter(|d| d.open).count(), 2);
        assert_eq!(input.days[4], DayInput { open: true, start: "08:00".into(), end: "13:00".into() });
        let mut bad = c.clone();
        bad.hours.wed = Some("08:00".into());
        assert!(calendar_input("c", &bad).is_err());
    }

    #[test]
    fn a_plan_needs_five_distinct_targets() {
        let t = |priority| TargetEntry { priority, response_minutes: 60, resolution_minutes: 480 };
        assert!(targets("p", &[t(1), t(2), t(3), t(4), t(5)]).is_ok());
        assert!(targets("p", &[t(1), t(2), t(3), t(4)]).is_err());
        assert!(targets("p", &[t(1), t(2), t(3), t(4), t(4)]).is_err());
        assert!(targets("p", &[t(1), t(2), t(3), t(4), t(6)]).is_err());
    }
}
