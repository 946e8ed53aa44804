//! Where a ticket stands against one due time, as the queues and the ticket desk show it:
//! "due in 2 h", "overdue by 35 min", met, met late, or paused. Wall-clock minutes (what a
//! person reads against the time on the wall); business hours decide the due time itself.

use chrono::{DateTime, Utc};

/// Due soon: the last two hours.
pub const SOON_MINUTES: i64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueBadge {
    /// Still running: due in this many minutes (rounded up).
    DueIn {
        minutes: i64,
        soon: bool,
    },
    /// Not met and past due by this many minutes (rounded down, at least 1).
    Overdue {
        minutes: i64,
    },
    Met,
    /// Met this many minutes after its due time.
    MetLate {
        minutes: i64,
    },
    /// No due time while the clock stands (waiting on the requester).
    Paused,
}

/// The badge of a target with due time `due`, met at `done`, of a ticket still needing work
/// (`active`) at `now`; `None` when there is nothing to say (done without a due time, or
/// closed before it was met).
pub fn badge(due: Option<DateTime<Utc>>, done: Option<DateTime<Utc>>, active: bool, now: DateTime<Utc>) -> Option<DueBadge> {
    match (due, done) {
        (Some(d), Some(at)) if at > d => Some(DueBadge::MetLate { minutes: (at - d).num_minutes().max(1) }),
        (_, Some(_)) => Some(DueBadge::Met),
        _ if !active => None,
        (None, None) => Some(DueBadge::Paused),
        (Some(d), None) if now > d => Some(DueBadge::Overdue { minutes: (now - d).num_minutes().max(1) }),
        (Some(d), None) => {
            let secs = (d - now).num_seconds();
            let minutes = (secs + 59) / 60;
            Some(DueBadge::DueIn { minutes, soon: minutes <= SOON_MINUTES })
        }
    }
}

/// Minutes as days, hours and minutes, the two largest parts that are not zero:
/// `35` -> `[(35, Min)]`, `135` -> `[(2, Hour), (15, Min)]`, `3000` -> `[(2, Day), (2, Hour)]`.
pub fn parts(minutes: i64) -> Vec<(i64, Unit)> {
    let m = minutes.max(0);
    let all = [(m / 1440, Unit::Day), (m % 1440 / 60, Unit::Hour), (m % 60, Unit::Min)];
    let first = all.iter().position(|(n, _)| *n > 0).unwrap_or(2);
    let mut out: Vec<(i64, Unit)> = all[first..].iter().take(2).copied().filter(|(n, _)| *n > 0).collect();
    if out.is_empty() {
        out.push((0, Unit::Min));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Day,
    Hour,
    Min,
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn badges_say_how_far_from_the_due_time() {
        let now = DateTime::from_timestamp(1_795_000_000, 0).expect("time");
        let m = TimeDelta::minutes;
        assert_eq!(badge(Some(now + m(120)), None, true, now), Some(DueBadge::DueIn { minutes: 120, soon: true }));
        assert_eq!(badge(Some(now + m(121)), None, true, now), Some(DueBadge::DueIn { minutes: 121, soon: false }));
        assert_eq!(badge(Some(now - m(35)), None, true, now), Some(DueBadge::Overdue { minutes: 35 }));
        assert_eq!(badge(Some(now - TimeDelta::seconds(5)), None, true, now), Some(DueBadge::Overdue { minutes: 1 }));
        assert_eq!(badge(Some(now), Some(now - m(1)), true, now), Some(DueBadge::Met));
        assert_eq!(badge(Some(now - m(90)), Some(now - m(30)), false, now), Some(DueBadge::MetLate { minutes: 60 }));
        assert_eq!(badge(None, None, true, now), Some(DueBadge::Paused));
        assert_eq!(badge(Some(now - m(5)), None, false, now), None, "closed unmet: nothing to chase");
    }

    #[test]
    fn durations_read_in_their_two_largest_parts() {
        assert_eq!(parts(35), vec![(35, Unit::Min)]);
        assert_eq!(parts(120), vec![(2, Unit::Hour)]);
        assert_eq!(parts(135), vec![(2, Unit::Hour), (15, Unit::Min)]);
        assert_eq!(parts(3000), vec![(2, Unit::Day), (2, Unit::Hour)]);
        assert_eq!(parts(2 * 1440 + 5), vec![(2, Unit::Day)]);
        assert_eq!(parts(0), vec![(0, Unit::Min)]);
    }
}
