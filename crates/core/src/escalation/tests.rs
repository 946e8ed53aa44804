//! Escalation thresholds on a hand-computed business-hours schedule (Guayaquil, UTC-5, no DST).

use chrono::{NaiveDateTime, TimeZone, Weekday};
use chrono_tz::{America, Tz};

use super::*;
use crate::sla::Targets;
use crate::sla_clock::{BusinessTime, Pause, PauseReason};
use crate::sla_plan::{Calendar, CalendarId, WorkingHours};

const GYE: Tz = America::Guayaquil;

fn at(s: &str) -> DateTime<Utc> {
    let n = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("local time");
    GYE.from_local_datetime(&n).single().expect("shown once").to_utc()
}

/// Monday to Friday, 08:00-17:00 in Guayaquil.
fn office() -> BusinessTime {
    let hours = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri]
        .into_iter()
        .map(|weekday| WorkingHours { weekday, start: 8 * 60, end: 17 * 60 })
        .collect();
    BusinessTime::new(Some(Calendar { id: CalendarId(1), name: "UIT".into(), time_zone: GYE, hours, holidays: vec![] }))
}

fn watch(b: &BusinessTime, response: u32, resolution: u32) -> Watch<'_> {
    Watch {
        terms: SlaTerms {
            targets: Targets { first_response_minutes: response, resolution_minutes: resolution },
            business: b,
            pause_when_pending: true,
        },
        warn_percent: Some(75),
    }
}

fn fire(target: Target, threshold: Threshold) -> Firing {
    Firing { target, threshold }
}

#[test]
fn the_next_check_is_the_warning_then_the_breach() {
    let b = office();
    // Opened Friday 16:00; response in 4 business hours, resolution in 16.
    let w = watch(&b, 240, 960);
    let t = TicketTimes { opened_at: at("2025-10-31 16:00"), pauses: &[], first_response_at: None, resolved_at: None };
    // 75 % of 4 h = 3 h: one hour on Friday, two on Monday -> Monday 10:00.
    assert_eq!(w.next_check(&t, &[]), Ok(Some(at("2025-11-03 10:00"))));
    assert_eq!(w.due(&t, &[], at("2025-11-03 09:59")), Ok(vec![]));
    let warning = DueFiring { firing: fire(Target::Response, Threshold::Warning), act: true };
    assert_eq!(w.due(&t, &[], at("2025-11-03 10:00")), Ok(vec![warning]));
    // Once the warning fired, the breach: due Monday 11:00, breached just after.
    let fired = [fire(Target::Response, Threshold::Warning)];
    assert_eq!(w.next_check(&t, &fired), Ok(Some(at("2025-11-03 11:00") + TimeDelta::seconds(1))));
    assert_eq!(w.due(&t, &fired, at("2025-11-03 11:00")), Ok(vec![]));
    let breach = DueFiring { firing: fire(Target::Response, Threshold::Breach), act: true };
    assert_eq!(w.due(&t, &fired, at("2025-11-03 11:01")), Ok(vec![breach]));
    // Then the resolution's warning: 12 h of 16 -> 1 on Friday, 9 on Monday, 2 on Tuesday.
    let fired = [fire(Target::Response, Threshold::Warning), fire(Target::Response, Threshold::Breach)];
    assert_eq!(w.next_check(&t, &fired), Ok(Some(at("2025-11-04 10:00"))));
}

#[test]
fn a_late_sweep_fires_the_breach_and_passes_over_the_warning() {
    let b = office();
    let w = watch(&b, 240, 960);
    let t = TicketTimes { opened_at: at("2025-10-31 16:00"), pauses: &[], first_response_at: None, resolved_at: None };
    let due = w.due(&t, &[], at("2025-11-03 12:00")).expect("due");
    assert_eq!(
        due,
        vec![
            DueFiring { firing: fire(Target::Response, Threshold::Warning), act: false },
            DueFiring { firing: fire(Target::Response, Threshold::Breach), act: true },
        ]
    );
    // Whatever fired never fires again.
    let all: Vec<Firing> = due.iter().map(|d| d.firing).collect();
    assert_eq!(w.due(&t, &all, at("2025-11-03 12:30")), Ok(vec![]));
}

#[test]
fn met_and_paused_targets_need_no_check() {
    let b = office();
    let w = watch(&b, 240, 960);
    let answered =
        TicketTimes { opened_at: at("2025-11-03 08:00"), pauses: &[], first_response_at: Some(at("2025-11-03 09:00")), resolved_at: None };
    // Only the resolution is left: 12 h of 16 from Monday 08:00 -> Tuesday 11:00.
    assert_eq!(w.next_check(&answered, &[]), Ok(Some(at("2025-11-04 11:00"))));
    let pauses = [Pause { from: at("2025-11-03 09:00"), until: None, reason: PauseReason::AwaitingRequester }];
    let waiting = TicketTimes { pauses: &pauses, ..answered };
    assert_eq!(w.next_check(&waiting, &[]), Ok(None), "waiting on the requester stops the clock");
    assert_eq!(w.due(&waiting, &[], at("2025-11-10 09:00")), Ok(vec![]));
    let done = TicketTimes { resolved_at: Some(at("2025-11-03 10:00")), ..answered };
    assert_eq!(w.next_check(&done, &[]), Ok(None));
    // A plan without a warning only breaches.
    let quiet = Watch { warn_percent: None, ..w };
    assert_eq!(quiet.next_check(&answered, &[]), Ok(Some(at("2025-11-04 15:00") + TimeDelta::seconds(1))));
}

#[test]
fn a_threshold_met_late_does_not_fire() {
    let b = office();
    let w = watch(&b, 60, 960);
    // Answered after the due time but before any sweep saw it: nothing fires for it.
    let t =
        TicketTimes { opened_at: at("2025-11-03 08:00"), pauses: &[], first_response_at: Some(at("2025-11-03 09:30")), resolved_at: None };
    assert_eq!(w.due(&t, &[], at("2025-11-03 09:45")), Ok(vec![]));
}
