//! SLA plans as an administrator configures them: first-response and resolution targets per
//! priority, the business-hours calendar the clock counts in (none = around the clock), and
//! whether waiting on the requester pauses it. Calendars: a time zone, working hours per
//! weekday, holidays (one-off or every year).
//!
//! This is configuration only: the business-hours clock that reads it (due times, pauses, the
//! state of each target) is [`crate::sla_clock`].

use chrono::{Datelike, NaiveDate, Weekday};

use crate::error::{DomainError, Reason};
use crate::ids::{DepartmentId, SlaPlanId};
use crate::priorities::label;
use crate::priority::Priority;
use crate::sla::{SlaPolicy, Targets};

/// Why values were refused (English; pages say them in the user's language).
pub const WHY_RESPONSE_AFTER_RESOLUTION: &str = "must not be longer than the resolution target";
pub const WHY_TIME: &str = "must be a time of day as HH:MM (00:00-24:00)";
pub const WHY_DURATION: &str = "must be hours and minutes as H:MM, more than zero";
pub const WHY_START_AFTER_END: &str = "the day must start before it ends";
pub const WHY_TIME_ZONE: &str = "is not a known time zone (e.g. America/Guayaquil)";
pub const WHY_NAME_TAKEN: &str = "is used by another one";
pub const WHY_HOLIDAY_TWICE: &str = "is already a holiday of this calendar";
pub const WHY_NO_HOURS: &str = "a calendar needs working hours on at least one day";

/// Longest target: a year.
pub const MAX_TARGET_MINUTES: u32 = 366 * 24 * 60;

/// A calendar's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CalendarId(pub i64);

impl CalendarId {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for CalendarId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Minutes as `H:MM` (`90` -> `1:30`), as the forms show targets.
pub fn format_duration(minutes: u32) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

/// Hours and minutes as typed: `8`, `8:30`, `0:45`, `240:00`. More than zero, at most a year.
pub fn parse_duration(field: &'static str, raw: &str) -> Result<u32, DomainError> {
    let bad = || DomainError::invalid(field, Reason::Other(WHY_DURATION.into()));
    let s = raw.trim();
    let (h, m) = s.split_once(':').unwrap_or((s, "0"));
    let digits = |t: &str| !t.is_empty() && t.len() <= 6 && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return Err(bad());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 {
        return Err(bad());
    }
    let total = h.checked_mul(60).and_then(|x| x.checked_add(m)).ok_or_else(bad)?;
    if total == 0 {
        return Err(bad());
    }
    if total > MAX_TARGET_MINUTES {
        return Err(DomainError::invalid(field, Reason::OutOfRange { min: 0, max: i64::from(MAX_TARGET_MINUTES / 60) }));
    }
    Ok(total)
}

/// A time of day as `HH:MM` in minutes after midnight; `24:00` is the end of the day.
pub fn parse_time(field: &'static str, raw: &str) -> Result<u16, DomainError> {
    let bad = || DomainError::invalid(field, Reason::Other(WHY_TIME.into()));
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    let ok = |t: &str| (1..=2).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit());
    if !ok(h) || m.len() != 2 || !ok(m) {
        return Err(bad());
    }
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m > 59 || h > 24 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Minutes after midnight as `HH:MM`.
pub fn format_time(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The desk's targets per priority, checked: each more than zero and at most a year, and the
/// first response no later than the resolution. `targets[0]` is priority 1.
pub fn validate_targets(targets: &[Targets; 5]) -> Result<(), DomainError> {
    const RESPONSE: [&str; 5] = ["response_1", "response_2", "response_3", "response_4", "response_5"];
    const RESOLUTION: [&str; 5] = ["resolution_1", "resolution_2", "resolution_3", "resolution_4", "resolution_5"];
    for (i, t) in targets.iter().enumerate() {
        for (field, v) in [(RESPONSE[i], t.first_response_minutes), (RESOLUTION[i], t.resolution_minutes)] {
            if v == 0 || v > MAX_TARGET_MINUTES {
                return Err(DomainError::invalid(field, Reason::OutOfRange { min: 1, max: i64::from(MAX_TARGET_MINUTES) }));
            }
        }
        if t.first_response_minutes > t.resolution_minutes {
            return Err(DomainError::invalid(RESPONSE[i], Reason::Other(WHY_RESPONSE_AFTER_RESOLUTION.into())));
        }
    }
    Ok(())
}

/// An SLA plan: what the clock ([`crate::sla_clock`]) holds tickets to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPlan {
    pub id: SlaPlanId,
    pub name: String,
    /// Index 0 = priority 1 (very low).
    pub targets: [Targets; 5],
    /// The business hours the clock counts in; `None` = around the clock (24x7).
    pub calendar_id: Option<CalendarId>,
    /// Whether a ticket waiting on its requester stops the clock.
    pub pause_when_pending: bool,
    /// A retired plan is no longer offered to departments (those that have it keep it).
    pub active: bool,
    /// What happens when a ticket nears and passes its due times.
    pub escalation: Escalation,
}

crate::string_enum! {
    /// What an SLA plan does at its warning threshold or at a breach. Each fires once per
    /// ticket, target and threshold, and is written in the ticket's history.
    pub enum EscalationAction {
        /// Mail the ticket's owner (none: nobody).
        NotifyOwner => "notify_owner",
        /// Mail the ticket's responsible agent.
        NotifyResponsible => "notify_responsible",
        /// Mail the manager of the ticket's department.
        NotifyManager => "notify_manager",
        /// Mail the agents of the department whose role may approve solutions.
        NotifySupervisors => "notify_supervisors",
        /// One priority higher (up to 5); the due times are counted again under it.
        RaisePriority => "raise_priority",
        /// To the plan's escalation department, else the department's next level.
        Transfer => "transfer",
        /// Flag the ticket overdue (a mark in queues and on the desk until it is resolved).
        MarkOverdue => "mark_overdue",
    }
}

/// The warning threshold must leave room before the breach.
pub const MAX_WARN_PERCENT: u32 = 99;
pub const WHY_WARN_PERCENT: &str = "must be a percentage between 1 and 99";

/// An SLA plan's escalations: the warning threshold (a share of each target used) and what
/// happens then and at a breach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Escalation {
    /// Percent of a target used at which the warning fires; `None`: no warning.
    pub warn_percent: Option<u32>,
    pub on_warning: Vec<EscalationAction>,
    pub on_breach: Vec<EscalationAction>,
    /// Where `Transfer` sends tickets; `None`: the department's next level.
    pub transfer_to: Option<DepartmentId>,
}

impl Escalation {
    /// What a new desk's plan does: warn the owner at 75 %; at a breach tell the owner and the
    /// manager and mark the ticket overdue.
    pub fn standard() -> Escalation {
        use EscalationAction as A;
        Escalation {
            warn_percent: Some(75),
            on_warning: vec![A::NotifyOwner],
            on_breach: vec![A::NotifyOwner, A::NotifyManager, A::MarkOverdue],
            transfer_to: None,
        }
    }

    /// Checks the threshold and puts the actions in their canonical order, each once.
    pub fn validate(mut self) -> Result<Escalation, DomainError> {
        if let Some(p) = self.warn_percent
            && !(1..=MAX_WARN_PERCENT).contains(&p)
        {
            return Err(DomainError::invalid("warn_percent", Reason::Other(WHY_WARN_PERCENT.into())));
        }
        for list in [&mut self.on_warning, &mut self.on_breach] {
            list.sort_by_key(|a| EscalationAction::ALL.iter().position(|x| x == a));
            list.dedup();
        }
        Ok(self)
    }

    /// The warning threshold as typed: empty is no warning; else a whole percentage 1-99.
    pub fn parse_warn_percent(raw: &str) -> Result<Option<u32>, DomainError> {
        let s = raw.trim().trim_end_matches('%').trim_end();
        if s.is_empty() {
            return Ok(None);
        }
        match s.parse::<u32>() {
            Ok(p) if (1..=MAX_WARN_PERCENT).contains(&p) => Ok(Some(p)),
            _ => Err(DomainError::invalid("warn_percent", Reason::Other(WHY_WARN_PERCENT.into()))),
        }
    }

    /// Action names as typed or sent (`field` names the list in errors); unknown names are
    /// refused, not skipped, so a typo is not silently lost.
    pub fn parse_actions<'a>(field: &'static str, names: impl IntoIterator<Item = &'a str>) -> Result<Vec<EscalationAction>, DomainError> {
        names.into_iter().map(|n| n.trim().parse().map_err(|_| DomainError::invalid(field, Reason::NotAnOption))).collect()
    }

    /// The actions as stored: names separated by commas.
    pub fn join(actions: &[EscalationAction]) -> String {
        actions.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(",")
    }

    /// Stored actions back; unknown names (from a newer version) are left out.
    pub fn split(raw: &str) -> Vec<EscalationAction> {
        raw.split(',').filter_map(|s| s.trim().parse().ok()).collect()
    }
}

impl SlaPlan {
    pub fn targets(&self, p: Priority) -> Targets {
        self.targets[usize::from(p.level() - 1)]
    }

    /// The plan a new desk starts with: today's 24x7 targets.
    pub fn standard() -> SlaPlanInput {
        SlaPlanInput {
            name: "Estándar".into(),
            targets: SlaPolicy::default().by_priority,
            calendar_id: None,
            pause_when_pending: true,
            active: true,
            escalation: Escalation::standard(),
        }
    }
}

/// An SLA plan as an administrator edits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaPlanInput {
    pub name: String,
    pub targets: [Targets; 5],
    pub calendar_id: Option<CalendarId>,
    pub pause_when_pending: bool,
    pub active: bool,
    pub escalation: Escalation,
}

impl SlaPlanInput {
    /// Checks a plan against the others (`id` is the one edited): a unique name, sound targets,
    /// an existing calendar.
    pub fn validate(mut self, id: Option<SlaPlanId>, plans: &[SlaPlan], calendars: &[CalendarId]) -> Result<SlaPlanInput, DomainError> {
        self.name = label("name", &self.name)?;
        let folded = self.name.to_lowercase();
        if plans.iter().any(|p| Some(p.id) != id && p.name.to_lowercase() == folded) {
            return Err(DomainError::invalid("name", Reason::Other(WHY_NAME_TAKEN.into())));
        }
        validate_targets(&self.targets)?;
        if let Some(c) = self.calendar_id
            && !calendars.contains(&c)
        {
            return Err(DomainError::invalid("calendar_id", Reason::NotFound));
        }
        self.escalation = self.escalation.validate()?;
        Ok(self)
    }
}

/// Working hours of one weekday, in minutes after midnight (local time of the calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    pub weekday: Weekday,
    pub start: u16,
    pub end: u16,
}

/// A day off: on `date`, or every year on its month and day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub id: i64,
    pub date: NaiveDate,
    pub yearly: bool,
    pub name: String,
}

impl Holiday {
    /// Whether `day` is this holiday.
    pub fn falls_on(&self, day: NaiveDate) -> bool {
        if self.yearly { (self.date.month(), self.date.day()) == (day.month(), day.day()) } else { self.date == day }
    }
}

/// A business-hours calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub id: CalendarId,
    pub name: String,
    pub time_zone: chrono_tz::Tz,
    /// At most one entry per weekday, Monday first; a weekday without one is not worked.
    pub hours: Vec<WorkingHours>,
    pub holidays: Vec<Holiday>,
}

impl Calendar {
    pub fn hours_on(&self, d: Weekday) -> Option<WorkingHours> {
        self.hours.iter().copied().find(|h| h.weekday == d)
    }
}

/// The weekdays, Monday first, with the numbers forms and the database use (1 = Monday).
pub const WEEKDAYS: [Weekday; 7] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

/// One weekday as typed: worked or not, from and until (`HH:MM`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayInput {
    pub open: bool,
    pub start: String,
    pub end: String,
}

/// A calendar as an administrator edits it (holidays are added and removed one by one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CalendarInput {
    pub name: String,
    pub time_zone: String,
    /// Monday first; missing days are not worked.
    pub days: Vec<DayInput>,
}

/// A calendar's settings that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarSettings {
    pub name: String,
    pub time_zone: chrono_tz::Tz,
    pub hours: Vec<WorkingHours>,
}

/// An IANA time zone name.
pub fn parse_time_zone(field: &'static str, raw: &str) -> Result<chrono_tz::Tz, DomainError> {
    raw.trim().parse::<chrono_tz::Tz>().map_err(|_| DomainError::invalid(field, Reason::Other(WHY_TIME_ZONE.into())))
}

impl CalendarInput {
    pub fn validate(self, id: Option<CalendarId>, others: &[(CalendarId, String)]) -> Result<CalendarSettings, DomainError> {
        const START: [&str; 7] = ["start_1", "start_2", "start_3", "start_4", "start_5", "start_6", "start_7"];
        const END: [&str; 7] = ["end_1", "end_2", "end_3", "end_4", "end_5", "end_6", "end_7"];
        let name = label("name", &self.name)?;
        let folded = name.to_lowercase();
        if others.iter().any(|(oid, n)| Some(*oid) != id && n.to_lowercase() == folded) {
            return Err(DomainError::invalid("name", Reason::Other(WHY_NAME_TAKEN.into())));
        }
        let time_zone = parse_time_zone("time_zone", &self.time_zone)?;
        let mut hours = Vec::new();
        for (i, (weekday, day)) in WEEKDAYS.into_iter().zip(&self.days).enumerate() {
            if !day.open {
                continue;
            }
            let start = parse_time(START[i], &day.start)?;
            let end = parse_time(END[i], &day.end)?;
            if start >= end {
                return Err(DomainError::invalid(END[i], Reason::Other(WHY_START_AFTER_END.into())));
            }
            hours.push(WorkingHours { weekday, start, end });
        }
        if hours.is_empty() {
            return Err(DomainError::invalid("days", Reason::Other(WHY_NO_HOURS.into())));
        }
        Ok(CalendarSettings { name, time_zone, hours })
    }
}

/// A holiday as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayInput {
    pub date: String,
    pub yearly: bool,
    pub name: String,
}

impl HolidayInput {
    /// Checks a holiday against the calendar's others: a date (YYYY-MM-DD), a name, not the
    /// same day twice.
    pub fn validate(self, existing: &[Holiday]) -> Result<Holiday, DomainError> {
        let date =
            NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d").map_err(|_| DomainError::invalid("holiday_date", Reason::NotADate))?;
        let name = label("holiday_name", &self.name)?;
        let h = Holiday { id: 0, date, yearly: self.yearly, name };
        let clash = existing.iter().any(|e| e.falls_on(date) || (h.yearly && h.falls_on(e.date)));
        if clash {
            return Err(DomainError::invalid("holiday_date", Reason::Other(WHY_HOLIDAY_TWICE.into())));
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(r: u32, s: u32) -> Targets {
        Targets { first_response_minutes: r, resolution_minutes: s }
    }

    #[test]
    fn durations_and_times() {
        assert_eq!(parse_duration("d", "8"), Ok(480));
        assert_eq!(parse_duration("d", " 0:45 "), Ok(45));
        assert_eq!(parse_duration("d", "240:00"), Ok(14_400));
        for bad in ["0", "0:00", "1:60", "abc", "-1", "1:5x", ""] {
            assert!(parse_duration("d", bad).is_err(), "{bad}");
        }
        assert!(parse_duration("d", "9000").is_err());
        assert_eq!(format_duration(90), "1:30");
        assert_eq!(parse_time("t", "08:00"), Ok(480));
        assert_eq!(parse_time("t", "8:30"), Ok(510));
        assert_eq!(parse_time("t", "24:00"), Ok(1440));
        for bad in ["25:00", "24:01", "12:60", "1200", "12:5", "", "ab:cd"] {
            assert!(parse_time("t", bad).is_err(), "{bad}");
        }
        assert_eq!(format_time(1020), "17:00");
    }

    #[test]
    fn targets_are_positive_and_response_comes_first() {
        assert!(validate_targets(&SlaPolicy::default().by_priority).is_ok());
        let mut bad = SlaPolicy::default().by_priority;
        bad[2] = t(600, 480);
        assert_eq!(validate_targets(&bad), Err(DomainError::invalid("response_3", Reason::Other(WHY_RESPONSE_AFTER_RESOLUTION.into()))));
        bad[2] = t(0, 480);
        assert!(matches!(validate_targets(&bad), Err(DomainError::Invalid { field: "response_3", .. })));
    }

    #[test]
    fn plans_have_unique_names_and_known_calendars() {
        let existing = SlaPlan {
            id: SlaPlanId(1),
            name: "Estándar".into(),
            targets: SlaPolicy::default().by_priority,
            calendar_id: None,
            pause_when_pending: true,
            active: true,
            escalation: Escalation::standard(),
        };
        let mut p = SlaPlan::standard();
        let mut bad = p.clone();
        bad.escalation.warn_percent = Some(100);
        assert!(bad.validate(None, &[], &[]).is_err(), "a warning at 100 % is the breach");
        let mut twice = p.clone();
        twice.escalation.on_breach = vec![EscalationAction::MarkOverdue, EscalationAction::NotifyOwner, EscalationAction::MarkOverdue];
        let checked = twice.validate(None, &[], &[]).expect("valid");
        assert_eq!(checked.escalation.on_breach, vec![EscalationAction::NotifyOwner, EscalationAction::MarkOverdue]);
        assert_eq!(Escalation::split(&Escalation::join(&checked.escalation.on_breach)), checked.escalation.on_breach);
        assert_eq!(Escalation::split("notify_owner,later_action"), vec![EscalationAction::NotifyOwner]);
        p.name = " estándar ".into();
        assert!(p.clone().validate(None, std::slice::from_ref(&existing), &[]).is_err());
        assert!(p.clone().validate(Some(SlaPlanId(1)), std::slice::from_ref(&existing), &[]).is_ok());
        p.name = "Nivel 1".into();
        p.calendar_id = Some(CalendarId(3));
        assert!(p.clone().validate(None, &[], &[]).is_err());
        assert!(p.validate(None, &[], &[CalendarId(3)]).is_ok());
    }

    #[test]
    fn warning_thresholds_and_actions_as_typed() {
        assert_eq!(Escalation::parse_warn_percent(" ").expect("empty"), None);
        assert_eq!(Escalation::parse_warn_percent("75").expect("75"), Some(75));
        assert_eq!(Escalation::parse_warn_percent("80 %").expect("80 %"), Some(80));
        for bad in ["0", "100", "-5", "setenta", "7.5"] {
            let e = Escalation::parse_warn_percent(bad).expect_err(bad);
            assert!(e.to_string().starts_with("warn_percent:"), "{e}");
        }
        let got = Escalation::parse_actions("on_breach", ["transfer", " notify_manager"]).expect("known");
        assert_eq!(got, vec![EscalationAction::Transfer, EscalationAction::NotifyManager]);
        let e = Escalation::parse_actions("on_breach", ["notify_owner", "call_the_minister"]).expect_err("unknown");
        assert!(e.to_string().starts_with("on_breach:"), "{e}");
    }

    fn office() -> CalendarInput {
        let day = |open| DayInput { open, start: "08:00".into(), end: "17:00".into() };
        CalendarInput {
            name: "Oficina Quito".into(),
            time_zone: "America/Guayaquil".into(),
            days: vec![day(true), day(true), day(true), day(true), day(true), day(false), day(false)],
        }
    }

    #[test]
    fn calendars_check_zone_and_hours() {
        let s = office().validate(None, &[]).expect("valid");
        assert_eq!(s.hours.len(), 5);
        assert_eq!(s.time_zone, chrono_tz::America::Guayaquil);
        assert_eq!(s.hours[4], WorkingHours { weekday: Weekday::Fri, start: 480, end: 1020 });
        let mut c = office();
        c.time_zone = "America/Quitumbe".into();
        assert!(matches!(c.validate(None, &[]), Err(DomainError::Invalid { field: "time_zone", .. })));
        let mut c = office();
        c.days[2].end = "25:00".into();
        assert!(matches!(c.validate(None, &[]), Err(DomainError::Invalid { field: "end_3", .. })));
        let mut c = office();
        c.days[0].start = "18:00".into();
        assert!(matches!(c.validate(None, &[]), Err(DomainError::Invalid { field: "end_1", .. })));
        let mut c = office();
        c.days.iter_mut().for_each(|d| d.open = false);
        assert!(c.validate(None, &[]).is_err());
        assert!(office().validate(None, &[(CalendarId(2), "OFICINA QUITO".into())]).is_err());
    }

    #[test]
    fn holidays_yearly_or_once() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let h = HolidayInput { date: "2025-08-10".into(), yearly: true, name: "Primer Grito de Independencia".into() }
            .validate(&[])
            .expect("valid");
        assert!(h.falls_on(day("2031-08-10")) && !h.falls_on(day("2031-08-11")));
        let once = HolidayInput { date: "2025-11-03".into(), yearly: false, name: "Puente".into() }.validate(&[]).expect("valid");
        assert!(once.falls_on(day("2025-11-03")) && !once.falls_on(day("2026-11-03")));
        assert!(HolidayInput { date: "2026-08-10".into(), yearly: false, name: "Otra".into() }.validate(std::slice::from_ref(&h)).is_err());
        assert!(HolidayInput { date: "10/08/2025".into(), yearly: true, name: "X".into() }.validate(&[]).is_err());
        assert!(HolidayInput { date: "2025-12-25".into(), yearly: true, name: " ".into() }.validate(&[]).is_err());
    }
}
