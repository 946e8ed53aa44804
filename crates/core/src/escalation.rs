//! Which SLA escalations are due on a ticket, and when the sweeper must look at it next.
//!
//! Each target (first response, resolution) has two thresholds: the plan's warning (a share of
//! the target used) and the breach (past its due time). Each fires once per ticket, target and
//! threshold; the store's key on those three makes it so whichever node sweeps. A ticket
//! stores the next instant one of its thresholds falls due (`sla_next_at`), so a sweep reads
//! only the tickets that need it, however many are open.

use chrono::{DateTime, TimeDelta, Utc};

use crate::sla_clock::{ClockError, DueTimes, SlaStatus, SlaTerms, TicketTimes};

crate::string_enum! {
    /// The two SLA targets of a ticket.
    pub enum Target {
        Response => "response",
        Resolution => "resolution",
    }
}

crate::string_enum! {
    pub enum Threshold {
        /// The plan's warning share of the target is used.
        Warning => "warning",
        /// Past the due time and still not met.
        Breach => "breach",
    }
}

/// A threshold of a target, as recorded once it fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Firing {
    pub target: Target,
    pub threshold: Threshold,
}

/// A firing that is due now. `act: false` is a warning passed over because the breach of the
/// same target fires at the same sweep (a node was down, or the target was changed): it is
/// recorded so it never fires later, but does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueFiring {
    pub firing: Firing,
    pub act: bool,
}

/// The terms a ticket is held to and the plan's warning threshold.
#[derive(Debug, Clone, Copy)]
pub struct Watch<'a> {
    pub terms: SlaTerms<'a>,
    pub warn_percent: Option<u32>,
}

/// What a ticket stores of its clock: its due times and when the sweeper next needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub due: DueTimes,
    pub next_check: Option<DateTime<Utc>>,
}

impl Watch<'_> {
    /// The due times and the next check of a ticket: counted from the whole history when it
    /// opens (`previous: None`), or after a change (`Some`: the due times it had; a target
    /// already met keeps its own, see [`SlaTerms::recompute`]).
    pub fn schedule(&self, t: &TicketTimes, previous: Option<DueTimes>, fired: &[Firing]) -> Result<Schedule, ClockError> {
        let due = match previous {
            None => self.terms.due_times(t)?,
            Some(p) => self.terms.recompute(t, p)?,
        };
        Ok(Schedule { due, next_check: self.next_check(t, fired)? })
    }

    /// The thresholds crossed at `now` that are not in `fired`, warnings before breaches.
    pub fn due(&self, t: &TicketTimes, fired: &[Firing], now: DateTime<Utc>) -> Result<Vec<DueFiring>, ClockError> {
        let state = self.terms.state(t, now)?;
        let mut out = Vec::new();
        for (target, s) in [(Target::Response, state.response), (Target::Resolution, state.resolution)] {
            let has = |threshold| fired.contains(&Firing { target, threshold });
            let warned = self.warn_percent.is_some_and(|w| s.used_percent >= w);
            match s.status {
                SlaStatus::Running { .. } if warned && !has(Threshold::Warning) => {
                    out.push(DueFiring { firing: Firing { target, threshold: Threshold::Warning }, act: true });
                }
                SlaStatus::Breached { done_at: None, .. } if !has(Threshold::Breach) => {
                    if self.warn_percent.is_some() && !has(Threshold::Warning) {
                        out.push(DueFiring { firing: Firing { target, threshold: Threshold::Warning }, act: false });
                    }
                    out.push(DueFiring { firing: Firing { target, threshold: Threshold::Breach }, act: true });
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The earliest instant after which a threshold not yet fired is crossed; `None` when
    /// nothing is left to fire while the ticket stays as it is (targets met, paused, or every
    /// threshold fired). A change to the ticket computes it again.
    pub fn next_check(&self, t: &TicketTimes, fired: &[Firing]) -> Result<Option<DateTime<Utc>>, ClockError> {
        let targets = [
            (Target::Response, self.terms.targets.first_response_minutes, t.responded_at()),
            (Target::Resolution, self.terms.targets.resolution_minutes, t.resolved_at),
        ];
        let mut next: Option<DateTime<Utc>> = None;
        for (target, minutes, done) in targets {
            if done.is_some() {
                continue;
            }
            let has = |threshold| fired.contains(&Firing { target, threshold });
            let whole = TimeDelta::minutes(i64::from(minutes));
            if let Some(w) = self.warn_percent.filter(|_| !has(Threshold::Warning)) {
                // The first second at which the used share reaches `w` percent.
                let secs = (whole.num_seconds() * i64::from(w) + 99) / 100;
                if let Some(at) = self.terms.reached(t, TimeDelta::seconds(secs))? {
                    next = Some(next.map_or(at, |n| n.min(at)));
                }
            }
            if !has(Threshold::Breach)
                && let Some(due) = self.terms.reached(t, whole)?
            {
                // Breached is strictly after the due instant.
                let at = due + TimeDelta::seconds(1);
                next = Some(next.map_or(at, |n| n.min(at)));
            }
        }
        Ok(next)
    }
}

#[cfg(test)]
mod tests;
