//! The recurring tasks every node runs through the shared schedule: each is claimed by one node
//! at a time with a lease, run, and given its next run (sooner after a success than after a
//! failure, which backs off). The tasks are idempotent: a task cut short by a dying node is
//! simply run again by another once its lease runs out.

use chrono::TimeDelta;

crate::string_enum! {
    pub enum Task {
        /// Fires the SLA escalations that came due (`crate::escalation`).
        SlaSweep => "sla.sweep",
        /// Closes resolved tickets the requester left unanswered for the configured days.
        AutoClose => "automation.auto_close",
        /// Reminds requesters of tickets waiting on them.
        Reminders => "automation.reminders",
        /// Applies the time rules (unassigned for 30 minutes -> tell the supervisor...).
        TimeRules => "automation.time_rules",
    }
}

impl Task {
    /// How long after a successful run the task runs again.
    pub fn every(self) -> TimeDelta {
        match self {
            Task::SlaSweep => TimeDelta::seconds(15),
            Task::TimeRules => TimeDelta::seconds(60),
            Task::AutoClose | Task::Reminders => TimeDelta::minutes(10),
        }
    }
}

/// How long a node may hold a task before another may take it over.
pub const LEASE: TimeDelta = TimeDelta::minutes(5);

/// A run stops taking more work after this, well inside the lease, and the task is due again
/// at once so the rest follows in the next run.
pub const RUN_BUDGET: TimeDelta = TimeDelta::minutes(2);

/// The wait before a failed task runs again: 15 s doubled per failure in a row, at most an hour.
pub fn backoff(failures: u32) -> TimeDelta {
    let doubled = 15_i64.saturating_mul(1_i64 << failures.saturating_sub(1).min(20));
    TimeDelta::seconds(doubled.min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_up_to_an_hour() {
        assert_eq!(backoff(1), TimeDelta::seconds(15));
        assert_eq!(backoff(2), TimeDelta::seconds(30));
        assert_eq!(backoff(5), TimeDelta::seconds(240));
        assert_eq!(backoff(9), TimeDelta::hours(1));
        assert_eq!(backoff(u32::MAX), TimeDelta::hours(1));
        assert!(RUN_BUDGET < LEASE, "a run ends before its lease");
        for t in Task::ALL {
            assert!(t.every() > TimeDelta::zero());
        }
    }
}
