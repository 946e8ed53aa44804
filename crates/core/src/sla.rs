//! Due times from response and resolution targets per priority. This is the plain 24x7 clock
//! tickets open with today; business hours and pauses are [`crate::sla_clock`].

use chrono::{DateTime, Duration, Utc};

use crate::priority::Priority;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Targets {
    pub first_response_minutes: u32,
    pub resolution_minutes: u32,
}

/// Targets per priority level, index 0 = priority 1 (very low).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SlaPolicy {
    pub by_priority: [Targets; 5],
}

impl Default for SlaPolicy {
    fn default() -> Self {
        let t = |r: u32, s: u32| Targets { first_response_minutes: r * 60, resolution_minutes: s * 60 };
        SlaPolicy { by_priority: [t(48, 240), t(24, 120), t(8, 72), t(4, 24), t(1, 8)] }
    }
}

impl SlaPolicy {
    pub fn targets(&self, p: Priority) -> Targets {
        self.by_priority[usize::from(p.level() - 1)]
    }

    /// (first response due, resolution due) for a ticket opened at `from`.
    pub fn due(&self, p: Priority, from: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let t = self.targets(p);
        (from + Duration::minutes(i64::from(t.first_response_minutes)), from + Duration::minutes(i64::from(t.resolution_minutes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_priority_is_due_sooner() {
        let sla = SlaPolicy::default();
        let now = Utc::now();
        for w in Priority::ALL.windows(2) {
            let (r0, s0) = sla.due(w[0], now);
            let (r1, s1) = sla.due(w[1], now);
            assert!(r1 < r0 && s1 < s0, "{:?} vs {:?}", w[0], w[1]);
        }
        let (r, s) = sla.due(Priority::VeryHigh, now);
        assert_eq!(r - now, Duration::hours(1));
        assert_eq!(s - now, Duration::hours(8));
    }
}
