//! The SLA clock: due times counted in business hours, paused while the ticket waits on its
//! requester, and the state of each target (running, paused, met, breached) at a given instant.
//!
//! Business time ([`BusinessTime`]) is either around the clock or the working intervals of a
//! [`Calendar`] in its own time zone. Each worked day gives one interval, from the first moment
//! the local clock shows its start to the last moment it shows its end; a start or end that a
//! daylight-saving jump skips is the moment of the jump. So an interval holds the real minutes
//! that pass (an office open 00:00-24:00 works 23 or 25 hours on the days the clocks change).
//!
//! Rules chosen:
//! - `add` gives the *earliest* instant at which the minutes have passed, so a due time can be
//!   the end of a working day (18:00), never the next opening.
//! - The clock looks at most [`HORIZON_DAYS`] ahead: a target that does not fit in that much
//!   working time (a calendar whose holidays cover everything) has no due time
//!   ([`ClockError::BeyondHorizon`]) instead of looping forever.
//! - Targets are counted from the opening instant, minus pauses. When the priority, plan,
//!   calendar or department changes, the due times are computed again from the opening under
//!   the new terms (as OTRS and Zammad do): the time already spent counts against the new
//!   target, a change never restarts the clock, and it can make a target due at once. A target
//!   already met or breached keeps its due time ([`SlaTerms::recompute`]).
//! - Pauses: while the status awaits the requester (only if the plan says so) and while the
//!   ticket is resolved or closed (so a reopened ticket does not count the time it was done).
//! - The response target stops at the first response or, without one, at the resolution.
//! - A target is breached when it is met (or still running) after its due instant; by how much
//!   is counted in business minutes, rounded up (0 if the overrun fell outside working time).

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::priority::Priority;
use crate::sla::Targets;
use crate::sla_plan::{Calendar, SlaPlan};
use crate::status::Status;

/// How far ahead the clock looks for working time: ten years of days.
pub const HORIZON_DAYS: u32 = 3660;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    /// The calendar has too little working time (holidays everywhere) for the target.
    #[error("the calendar has not enough working time in the next {HORIZON_DAYS} days")]
    BeyondHorizon,
}

/// The time an SLA counts in: around the clock, or a business-hours calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessTime {
    calendar: Option<Calendar>,
}

impl BusinessTime {
    /// A plan's business time: its calendar, or around the clock when it has none.
    pub fn new(calendar: Option<Calendar>) -> BusinessTime {
        BusinessTime { calendar }
    }

    pub fn around_the_clock() -> BusinessTime {
        BusinessTime { calendar: None }
    }

    /// The instant at which `minutes` of business time have passed after `start` (the earliest
    /// one: the end of a working interval rather than the next opening). `add(start, 0)` is
    /// `start`, even outside working time.
    pub fn add(&self, start: DateTime<Utc>, minutes: u32) -> Result<DateTime<Utc>, ClockError> {
        self.add_span(start, TimeDelta::minutes(i64::from(minutes)))
    }

    /// Whole business minutes between two instants (0 when `b` is not after `a`).
    pub fn between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> u32 {
        whole_minutes(self.span(a, b))
    }

    /// Whether `at` is working time (inside an interval, its start included, its end not).
    pub fn is_working(&self, at: DateTime<Utc>) -> bool {
        match &self.calendar {
            None => true,
            Some(cal) => intervals(cal, at, local_day(cal, at).succ_opt()).next().is_some_and(|(a, _)| a == at),
        }
    }

    fn add_span(&self, start: DateTime<Utc>, span: TimeDelta) -> Result<DateTime<Utc>, ClockError> {
        if span <= TimeDelta::zero() {
            return Ok(start);
        }
        let Some(cal) = &self.calendar else {
            return start.checked_add_signed(span).ok_or(ClockError::BeyondHorizon);
        };
        let last = local_day(cal, start).checked_add_days(Days::new(u64::from(HORIZON_DAYS)));
        let mut left = span;
        for (a, b) in intervals(cal, start, last) {
            if left <= b - a {
                return Ok(a + left);
            }
            left -= b - a;
        }
        Err(ClockError::BeyondHorizon)
    }

    fn span(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> TimeDelta {
        if b <= a {
            return TimeDelta::zero();
        }
        let Some(cal) = &self.calendar else {
            return b - a;
        };
        intervals(cal, a, local_day(cal, b).succ_opt())
            .take_while(|(start, _)| *start < b)
            .fold(TimeDelta::zero(), |sum, (start, end)| sum + (end.min(b) - start))
    }
}

fn whole_minutes(d: TimeDelta) -> u32 {
    u32::try_from(d.num_minutes().max(0)).unwrap_or(u32::MAX)
}

fn local_day(cal: &Calendar, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&cal.time_zone).date_naive()
}

/// The calendar's working intervals from `from` on (the first one cut at `from`), through the
/// local day `last` (`None`: no bound, only at the end of dates).
fn intervals(cal: &Calendar, from: DateTime<Utc>, last: Option<NaiveDate>) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
    let day = local_day(cal, from);
    // The day before too: when local midnight repeats, its hours can end after `from`.
    let first = day.pred_opt().unwrap_or(day);
    first
        .iter_days()
        .take_while(move |d| last.is_none_or(|l| *d <= l))
        .filter_map(|d| day_interval(cal, d))
        // Consecutive days can overlap when their shared midnight repeats: never count twice.
        .scan(from, |cursor, (a, b)| {
            let a = a.max(*cursor);
            *cursor = (*cursor).max(b);
            Some((a < b).then_some((a, b)))
        })
        .flatten()
}

/// The working interval of one local day, if it is worked.
fn day_interval(cal: &Calendar, day: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if cal.holidays.iter().any(|h| h.falls_on(day)) {
        return None;
    }
    let hours = cal.hours_on(day.weekday())?;
    let start = instant(cal.time_zone, day, hours.start, Edge::Start)?;
    let end = instant(cal.time_zone, day, hours.end, Edge::End)?;
    (start < end).then_some((start, end))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Edge {
    Start,
    End,
}

/// The instant of a local time of day (minutes after midnight, 1440 = next midnight): the first
/// occurrence for a start and the last for an end when the clock shows it twice, the moment of
/// the jump when it is skipped.
fn instant(tz: Tz, day: NaiveDate, minute: u16, edge: Edge) -> Option<DateTime<Utc>> {
    let local = day.and_time(NaiveTime::MIN).checked_add_signed(TimeDelta::minutes(i64::from(minute)))?;
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.to_utc()),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.to_utc(), b.to_utc());
            Some(if edge == Edge::Start { a.min(b) } else { a.max(b) })
        }
        LocalResult::None => jump_over(tz, local),
    }
}

/// The first instant whose local time is at or after `local` (a time the clocks skip): found
/// by bisection within the widest offsets (UTC-12 to UTC+14), where there is one jump only.
fn jump_over(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    const REACH: i64 = 15 * 3600;
    let reached = |secs: i64| DateTime::from_timestamp(secs, 0).map(|u| tz.from_utc_datetime(&u.naive_utc()).naive_local() >= local);
    let base = local.and_utc().timestamp();
    let (mut lo, mut hi) = (base - REACH, base + REACH);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if reached(mid)? {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::from_timestamp(hi, 0)
}

/// Why a ticket's clock stood still.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseReason {
    /// Its status awaited the requester (stops the clock only if the plan says so).
    AwaitingRequester,
    /// It was resolved or closed (always stops the clock, for when it is reopened).
    Done,
}

/// A stretch of time the clock may not count; `until: None` = still going on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub reason: PauseReason,
}

/// The pauses in a ticket's status history: each entry is a status and when the ticket entered
/// it, in order, the opening status first.
pub fn pauses(history: &[(DateTime<Utc>, Status)]) -> Vec<Pause> {
    let next = |i: usize| history.get(i + 1).map(|(t, _)| *t);
    history
        .iter()
        .enumerate()
        .filter_map(|(i, (from, status))| {
            let reason = if status.awaits_requester() {
                PauseReason::AwaitingRequester
            } else if !status.category().is_active() {
                PauseReason::Done
            } else {
                return None;
            };
            Some(Pause { from: *from, until: next(i), reason })
        })
        .collect()
}

/// What the clock reads from a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketTimes<'a> {
    pub opened_at: DateTime<Utc>,
    pub pauses: &'a [Pause],
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl TicketTimes<'_> {
    /// When the response target stopped: the first response, or the resolution without one.
    pub fn responded_at(&self) -> Option<DateTime<Utc>> {
        match (self.first_response_at, self.resolved_at) {
            (Some(r), Some(s)) => Some(r.min(s)),
            (r, s) => r.or(s),
        }
    }
}

/// What a ticket is held to: the targets of its priority in its plan, in the plan's time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlaTerms<'a> {
    pub targets: Targets,
    pub business: &'a BusinessTime,
    pub pause_when_pending: bool,
}

/// The due times a ticket stores; `None` while a pause keeps the target from coming due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueTimes {
    pub response: Option<DateTime<Utc>>,
    pub resolution: Option<DateTime<Utc>>,
}

/// Where a target stands at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaStatus {
    Running {
        due: DateTime<Utc>,
        used_percent: u32,
    },
    Paused {
        used_percent: u32,
    },
    Met {
        at: DateTime<Utc>,
    },
    /// Past `due`: met late (`done_at`) or still open.
    Breached {
        due: DateTime<Utc>,
        by_minutes: u32,
        done_at: Option<DateTime<Utc>>,
    },
}

/// One target at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetState {
    pub target_minutes: u32,
    /// Business minutes counted against the target (pauses left out, up to when it was met).
    pub used_minutes: u32,
    /// Share of the target used, in whole percent; over 100 once breached.
    pub used_percent: u32,
    pub due: Option<DateTime<Utc>>,
    pub status: SlaStatus,
}

/// Both targets of a ticket at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaState {
    pub response: TargetState,
    pub resolution: TargetState,
}

/// Whether a target's use went from below `threshold` percent to at least it, so a sweeper that
/// keeps the last percent it saw fires each threshold (75, 100...) once. A later change to a
/// longer target lowers the percent, and the threshold can fire again when it is reached anew.
pub fn crossed(previous_percent: u32, now_percent: u32, threshold: u32) -> bool {
    previous_percent < threshold && threshold <= now_percent
}

fn percent(used: TimeDelta, target_minutes: u32) -> u32 {
    let target = i64::from(target_minutes.max(1)) * 60;
    u32::try_from(used.num_seconds().max(0) * 100 / target).unwrap_or(u32::MAX)
}

/// Minutes rounded up: an overrun of some seconds is a minute.
fn minutes_up(d: TimeDelta) -> u32 {
    if d <= TimeDelta::zero() {
        return 0;
    }
    whole_minutes(d + TimeDelta::minutes(1) - TimeDelta::nanoseconds(1))
}

/// A stop of the clock, cut to the ticket's life: `until: None` = still stopped.
type Stop = (DateTime<Utc>, Option<DateTime<Utc>>);

impl<'a> SlaTerms<'a> {
    /// The terms of a plan for a priority, counted in `business` (the plan's calendar).
    pub fn of_plan(plan: &SlaPlan, priority: Priority, business: &'a BusinessTime) -> SlaTerms<'a> {
        SlaTerms { targets: plan.targets(priority), business, pause_when_pending: plan.pause_when_pending }
    }

    /// The due times from the whole history, counted from the opening: what a ticket stores
    /// when it opens and again whenever its priority, plan, calendar, department or status
    /// changes.
    pub fn due_times(&self, t: &TicketTimes) -> Result<DueTimes, ClockError> {
        let stops = self.stops(t, None);
        Ok(DueTimes {
            response: self.due(t, &stops, self.targets.first_response_minutes)?,
            resolution: self.due(t, &stops, self.targets.resolution_minutes)?,
        })
    }

    /// The due times after the terms changed: a target still running is counted from the
    /// opening under these terms; one already met or breached keeps its `previous` due time.
    pub fn recompute(&self, t: &TicketTimes, previous: DueTimes) -> Result<DueTimes, ClockError> {
        let stops = self.stops(t, None);
        let response = match t.responded_at() {
            Some(_) => previous.response,
            None => self.due(t, &stops, self.targets.first_response_minutes)?,
        };
        let resolution = match t.resolved_at {
            Some(_) => previous.resolution,
            None => self.due(t, &stops, self.targets.resolution_minutes)?,
        };
        Ok(DueTimes { response, resolution })
    }

    /// Both targets at `now`, from the history known at `now` (later entries are left out).
    pub fn state(&self, t: &TicketTimes, now: DateTime<Utc>) -> Result<SlaState, ClockError> {
        let stops = self.stops(t, Some(now));
        Ok(SlaState {
            response: self.target(t, &stops, self.targets.first_response_minutes, t.responded_at(), now)?,
            resolution: self.target(t, &stops, self.targets.resolution_minutes, t.resolved_at, now)?,
        })
    }

    fn target(
        &self,
        t: &TicketTimes,
        stops: &[Stop],
        minutes: u32,
        done: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<TargetState, ClockError> {
        let due = self.due(t, stops, minutes)?;
        let done = done.filter(|at| *at <= now);
        let used = self.counted(t, stops, done.unwrap_or(now));
        let over = minutes_up(used - TimeDelta::minutes(i64::from(minutes)));
        let used_percent = percent(used, minutes);
        let status = match (done, due) {
            (Some(at), Some(due)) if at > due => SlaStatus::Breached { due, by_minutes: over, done_at: Some(at) },
            (Some(at), _) => SlaStatus::Met { at },
            (None, Some(due)) if now > due => SlaStatus::Breached { due, by_minutes: over, done_at: None },
            (None, Some(due)) => SlaStatus::Running { due, used_percent },
            (None, None) => SlaStatus::Paused { used_percent },
        };
        Ok(TargetState { target_minutes: minutes, used_minutes: whole_minutes(used), used_percent, due, status })
    }

    /// The pauses that stop this clock, from the opening on, sorted and merged; with `now`,
    /// as known at that instant (a pause still going on then has no end).
    fn stops(&self, t: &TicketTimes, now: Option<DateTime<Utc>>) -> Vec<Stop> {
        let mut all: Vec<Stop> = t
            .pauses
            .iter()
            .filter(|p| p.reason == PauseReason::Done || self.pause_when_pending)
            .filter(|p| now.is_none_or(|n| p.from <= n))
            .map(|p| (p.from.max(t.opened_at), p.until.filter(|u| now.is_none_or(|n| *u <= n))))
            .filter(|(from, until)| until.is_none_or(|u| u > *from))
            .collect();
        all.sort_by_key(|(from, _)| *from);
        let mut merged: Vec<Stop> = Vec::with_capacity(all.len());
        for (from, until) in all {
            match merged.last_mut() {
                Some((_, last)) if last.is_none_or(|l| from <= l) => *last = last.zip(until).map(|(a, b)| a.max(b)),
                _ => merged.push((from, until)),
            }
        }
        merged
    }

    /// Business time counted between the opening and `until`, pauses left out.
    fn counted(&self, t: &TicketTimes, stops: &[Stop], until: DateTime<Utc>) -> TimeDelta {
        let mut sum = self.business.span(t.opened_at, until);
        for (from, end) in stops.iter().take_while(|(from, _)| *from < until) {
            sum -= self.business.span(*from, end.map_or(until, |e| e.min(until)));
        }
        sum
    }

    /// The instant at which `span` of counted time has been used (pauses left out); `None`
    /// while a pause with no end comes first. The sweeper asks it when a threshold falls due.
    pub fn reached(&self, t: &TicketTimes, span: TimeDelta) -> Result<Option<DateTime<Utc>>, ClockError> {
        let stops = self.stops(t, None);
        self.due_span(t, &stops, span)
    }

    /// When `minutes` of counted time are reached; `None` if a pause with no end comes first.
    fn due(&self, t: &TicketTimes, stops: &[Stop], minutes: u32) -> Result<Option<DateTime<Utc>>, ClockError> {
        self.due_span(t, stops, TimeDelta::minutes(i64::from(minutes)))
    }

    fn due_span(&self, t: &TicketTimes, stops: &[Stop], span: TimeDelta) -> Result<Option<DateTime<Utc>>, ClockError> {
        let mut left = span;
        let mut cursor = t.opened_at;
        for (from, until) in stops {
            if *from > cursor {
                let before = self.business.span(cursor, *from);
                if before >= left {
                    return self.business.add_span(cursor, left).map(Some);
                }
                left -= before;
            }
            match until {
                Some(u) => cursor = cursor.max(*u),
                None => return Ok(None),
            }
        }
        self.business.add_span(cursor, left).map(Some)
    }
}

#[cfg(test)]
mod tests;
