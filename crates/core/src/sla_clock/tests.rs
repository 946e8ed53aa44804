//! Hand-computed schedules (Guayaquil without DST, Madrid, Santiago and Havana with it) and
//! property tests driven by a small seeded generator.

use chrono::{NaiveDateTime, Weekday};
use chrono_tz::{America, Asia, Australia, Europe};

use super::*;
use crate::ids::SlaPlanId;
use crate::sla_plan::{CalendarId, Holiday, WEEKDAYS, WorkingHours};

const WEEK: [Weekday; 5] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];

/// A local time that the clock shows once.
fn at(tz: Tz, s: &str) -> DateTime<Utc> {
    let n = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("local time");
    tz.from_local_datetime(&n).single().expect("shown once").to_utc()
}

fn utc(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("utc time").and_utc()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn holiday(d: &str, yearly: bool) -> Holiday {
    Holiday { id: 0, date: date(d), yearly, name: "Feriado".into() }
}

fn calendar(tz: Tz, days: &[Weekday], start: u16, end: u16, holidays: Vec<Holiday>) -> BusinessTime {
    let hours = days.iter().map(|&weekday| WorkingHours { weekday, start, end }).collect();
    BusinessTime::new(Some(Calendar { id: CalendarId(1), name: "Oficina".into(), time_zone: tz, hours, holidays }))
}

/// Monday to Friday, 08:00-18:00.
fn office(tz: Tz, holidays: Vec<Holiday>) -> BusinessTime {
    calendar(tz, &WEEK, 8 * 60, 18 * 60, holidays)
}

const GYE: Tz = America::Guayaquil;
const MAD: Tz = Europe::Madrid;

#[test]
fn friday_evening_before_a_monday_holiday() {
    let b = office(GYE, vec![holiday("2025-11-03", false)]);
    let opened = at(GYE, "2025-10-31 17:30");
    // 30 minutes on Friday, none on the weekend nor on the holiday, the rest on Tuesday.
    assert_eq!(b.add(opened, 240), Ok(at(GYE, "2025-11-04 11:30")));
    assert_eq!(b.add(opened, 60), Ok(at(GYE, "2025-11-04 08:30")));
    assert_eq!(b.add(opened, 30), Ok(at(GYE, "2025-10-31 18:00")), "the end of the day, not the next opening");
    assert_eq!(b.between(opened, at(GYE, "2025-11-04 11:30")), 240);
    assert_eq!(b.between(opened, at(GYE, "2025-11-04 07:00")), 30);
    // Without the holiday Monday is worked.
    assert_eq!(office(GYE, vec![]).add(opened, 240), Ok(at(GYE, "2025-11-03 11:30")));
}

#[test]
fn opened_on_a_holiday() {
    let b = office(GYE, vec![holiday("2020-12-25", true)]);
    let opened = at(GYE, "2025-12-25 10:00");
    assert!(!b.is_working(opened));
    assert_eq!(b.add(opened, 120), Ok(at(GYE, "2025-12-26 10:00")));
    assert_eq!(b.between(opened, at(GYE, "2025-12-26 10:00")), 120);
    // A one-off holiday does not come back the next year.
    let once = office(GYE, vec![holiday("2024-12-25", false)]);
    assert_eq!(once.add(opened, 120), Ok(at(GYE, "2025-12-25 12:00")));
}

#[test]
fn opened_outside_opening_hours() {
    let b = office(GYE, vec![]);
    assert_eq!(b.add(at(GYE, "2025-10-29 06:15"), 60), Ok(at(GYE, "2025-10-29 09:00")));
    assert_eq!(b.add(at(GYE, "2025-10-29 19:00"), 60), Ok(at(GYE, "2025-10-30 09:00")));
    assert_eq!(b.add(at(GYE, "2025-10-29 08:00"), 600), Ok(at(GYE, "2025-10-29 18:00")));
    assert_eq!(b.add(at(GYE, "2025-10-29 08:00"), 601), Ok(at(GYE, "2025-10-30 08:01")));
    assert_eq!(b.add(at(GYE, "2025-10-29 06:15"), 0), Ok(at(GYE, "2025-10-29 06:15")), "no time is no move");
    assert!(b.is_working(at(GYE, "2025-10-29 08:00")) && !b.is_working(at(GYE, "2025-10-29 18:00")));
    // Guayaquil is UTC-5 all year.
    assert_eq!(at(GYE, "2025-10-29 09:00"), utc("2025-10-29 14:00"));
}

#[test]
fn around_the_clock_and_a_24_hour_calendar() {
    let b = BusinessTime::around_the_clock();
    let s = utc("2025-10-31 22:00");
    assert_eq!(b.add(s, 480), Ok(utc("2025-11-01 06:00")));
    assert_eq!(b.between(s, utc("2025-11-01 06:00")), 480);
    assert_eq!(b.between(utc("2025-11-01 06:00"), s), 0);
    let full = calendar(GYE, &WEEKDAYS, 0, 1440, vec![]);
    assert_eq!(full.add(s, 480), Ok(utc("2025-11-01 06:00")));
    // In Madrid the day the clocks go forward has 23 hours, the day they go back 25.
    let madrid = calendar(MAD, &WEEKDAYS, 0, 1440, vec![]);
    assert_eq!(madrid.between(at(MAD, "2025-03-30 00:00"), at(MAD, "2025-03-31 00:00")), 23 * 60);
    assert_eq!(madrid.between(at(MAD, "2025-10-26 00:00"), at(MAD, "2025-10-27 00:00")), 25 * 60);
    assert_eq!(madrid.add(at(MAD, "2025-03-29 12:00"), 24 * 60), Ok(at(MAD, "2025-03-30 13:00")));
}

#[test]
fn madrid_office_hours_across_both_changes() {
    let b = office(MAD, vec![]);
    // Friday 17:00 CET (16:00 UTC): one hour on Friday, one on Monday from 08:00 CEST.
    let due = b.add(at(MAD, "2025-03-28 17:00"), 120);
    assert_eq!(due, Ok(at(MAD, "2025-03-31 09:00")));
    assert_eq!(due, Ok(utc("2025-03-31 07:00")));
    let due = b.add(at(MAD, "2025-10-24 17:00"), 120);
    assert_eq!(due, Ok(utc("2025-10-27 08:00")), "09:00 CET");
}

#[test]
fn working_hours_inside_a_jump() {
    let sunday = |start, end| calendar(MAD, &[Weekday::Sun], start, end, vec![]);
    let whole = |b: &BusinessTime, day: &str| b.between(utc(&format!("{day} 00:00")) - TimeDelta::hours(6), utc(&format!("{day} 12:00")));
    // 30 March 2025: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 starts at the jump.
    let b = sunday(150, 360);
    assert_eq!(whole(&b, "2025-03-30"), 180);
    assert_eq!(b.add(utc("2025-03-29 23:00"), 1), Ok(utc("2025-03-30 01:01")));
    assert!(!b.is_working(utc("2025-03-30 00:59")) && b.is_working(utc("2025-03-30 01:00")));
    // Hours that fall wholly in the jump are not worked.
    assert_eq!(whole(&sunday(120, 165), "2025-03-30"), 0);
    // 01:00-05:00 lasts three real hours that day.
    assert_eq!(whole(&sunday(60, 300), "2025-03-30"), 180);
    // 26 October 2025: 03:00 CEST goes back to 02:00 CET (01:00 UTC), so 02:00-03:00 repeats.
    // A start is its first showing, an end its last.
    let b = sunday(150, 360);
    assert_eq!(whole(&b, "2025-10-26"), 270);
    assert_eq!(b.add(utc("2025-10-25 23:00"), 1), Ok(utc("2025-10-26 00:31")));
    assert_eq!(whole(&sunday(0, 150), "2025-10-26"), 210);
    assert_eq!(whole(&sunday(60, 300), "2025-10-26"), 300);
}

#[test]
fn santiago_changes_at_midnight() {
    const SCL: Tz = America::Santiago;
    // 2025-04-06 00:00 -03 goes back to 2025-04-05 23:00 -04 (03:00 UTC).
    let saturday = calendar(SCL, &[Weekday::Sat], 20 * 60, 1440, vec![]);
    assert_eq!(saturday.between(utc("2025-04-05 12:00"), utc("2025-04-06 12:00")), 300);
    // 2025-09-07 00:00 -04 jumps to 01:00 -03 (04:00 UTC).
    assert_eq!(saturday.between(utc("2025-09-06 12:00"), utc("2025-09-07 12:00")), 240);
    assert_eq!(saturday.add(utc("2025-09-06 12:00"), 240), Ok(utc("2025-09-07 04:00")));
    let sunday = calendar(SCL, &[Weekday::Sun], 0, 8 * 60, vec![]);
    assert_eq!(sunday.between(utc("2025-09-07 00:00"), utc("2025-09-08 00:00")), 420);
    assert_eq!(sunday.add(utc("2025-09-07 00:00"), 1), Ok(utc("2025-09-07 04:01")));
}

#[test]
fn havana_repeats_midnight() {
    // 2025-11-02 01:00 -04 goes back to 00:00 -05 (05:00 UTC): Saturday's hours until 24:00
    // end at the second midnight, so the first hour of Sunday still belongs to Saturday.
    let saturday = calendar(America::Havana, &[Weekday::Sat], 20 * 60, 1440, vec![]);
    assert!(saturday.is_working(utc("2025-11-02 04:30")));
    assert_eq!(saturday.between(utc("2025-11-02 04:30"), utc("2025-11-02 06:00")), 30);
    assert_eq!(saturday.add(utc("2025-11-02 04:30"), 30), Ok(utc("2025-11-02 05:00")));
    assert_eq!(saturday.between(utc("2025-11-01 12:00"), utc("2025-11-02 12:00")), 5 * 60);
}

#[test]
fn a_24_hour_calendar_is_around_the_clock_in_every_zone() {
    // Havana repeats 00:00-01:00 (2025-11-02) and skips it (2025-03-09): the days' intervals
    // then overlap or leave a hole at midnight.
    for tz in [America::Havana, America::Santiago, MAD, Australia::Lord_Howe, GYE] {
        let b = calendar(tz, &WEEKDAYS, 0, 1440, vec![]);
        for start in ["2025-03-07 13:17", "2025-04-04 02:00", "2025-09-05 23:59", "2025-10-24 00:00", "2025-10-31 10:00"] {
            let s = utc(start);
            for m in [1, 59, 600, 1440, 3 * 1440, 5000] {
                assert_eq!(b.add(s, m), Ok(s + TimeDelta::minutes(i64::from(m))), "{tz} {start} +{m}");
                assert_eq!(b.between(s, s + TimeDelta::minutes(i64::from(m))), m, "{tz} {start} {m}");
            }
        }
    }
}

#[test]
fn no_working_time_has_no_due_time() {
    let none = calendar(GYE, &[], 0, 0, vec![]);
    let s = utc("2025-10-31 22:00");
    assert_eq!(none.add(s, 1), Err(ClockError::BeyondHorizon));
    assert_eq!(none.add(s, 0), Ok(s));
    assert_eq!(none.between(s, s + TimeDelta::days(400)), 0);
    assert!(!none.is_working(s));
    // Holidays on every Monday for eleven years leave no time to a Monday-only desk.
    let mondays: Vec<Holiday> =
        date("2025-11-03").iter_weeks().take(11 * 53).map(|d| Holiday { id: 0, date: d, yearly: false, name: "x".into() }).collect();
    let b = calendar(GYE, &[Weekday::Mon], 480, 1080, mondays);
    assert_eq!(b.add(s, 60), Err(ClockError::BeyondHorizon));
    let terms =
        SlaTerms { targets: Targets { first_response_minutes: 60, resolution_minutes: 120 }, business: &b, pause_when_pending: true };
    let t = TicketTimes { opened_at: s, pauses: &[], first_response_at: None, resolved_at: None };
    assert_eq!(terms.due_times(&t), Err(ClockError::BeyondHorizon));
    assert_eq!(terms.state(&t, s), Err(ClockError::BeyondHorizon));
}

fn targets(response: u32, resolution: u32) -> Targets {
    Targets { first_response_minutes: response, resolution_minutes: resolution }
}

fn pending(from: DateTime<Utc>, until: Option<DateTime<Utc>>) -> Pause {
    Pause { from, until, reason: PauseReason::AwaitingRequester }
}

#[test]
fn a_pause_across_midnight() {
    let b = office(GYE, vec![]);
    let opened = at(GYE, "2025-10-27 09:00");
    let p = [pending(at(GYE, "2025-10-27 17:00"), Some(at(GYE, "2025-10-28 09:00")))];
    let t = TicketTimes { opened_at: opened, pauses: &p, first_response_at: None, resolved_at: None };
    let terms = SlaTerms { targets: targets(60, 16 * 60), business: &b, pause_when_pending: true };
    // 8 hours on Monday until 17:00, the other 8 from Tuesday 09:00.
    let due = terms.due_times(&t).expect("due");
    assert_eq!(due, DueTimes { response: Some(at(GYE, "2025-10-27 10:00")), resolution: Some(at(GYE, "2025-10-28 17:00")) });
    let ignoring = SlaTerms { pause_when_pending: false, ..terms };
    assert_eq!(ignoring.due_times(&t).expect("due").resolution, Some(at(GYE, "2025-10-28 15:00")));
    // Around the clock the pause of four hours shifts the due time by four hours.
    let clock = BusinessTime::around_the_clock();
    let p = [pending(utc("2025-10-27 22:00"), Some(utc("2025-10-28 02:00")))];
    let t = TicketTimes { opened_at: utc("2025-10-27 20:00"), pauses: &p, first_response_at: None, resolved_at: None };
    let terms = SlaTerms { targets: targets(60, 480), business: &clock, pause_when_pending: true };
    assert_eq!(terms.due_times(&t).expect("due").resolution, Some(utc("2025-10-28 08:00")));
    let state = terms.state(&t, utc("2025-10-28 01:00")).expect("state");
    assert_eq!(state.resolution.status, SlaStatus::Paused { used_percent: 25 });
    assert_eq!(state.resolution.due, None, "while paused nobody knows when it comes due");
}

#[test]
fn a_pause_over_a_weekend() {
    let b = office(GYE, vec![]);
    let p = [pending(at(GYE, "2025-10-31 14:00"), Some(at(GYE, "2025-11-03 10:00")))];
    let t = TicketTimes { opened_at: at(GYE, "2025-10-30 10:00"), pauses: &p, first_response_at: None, resolved_at: None };
    let terms = SlaTerms { targets: targets(60, 16 * 60), business: &b, pause_when_pending: true };
    // Thursday 10-18 (8 h), Friday 08-14 (6 h), Monday 10-12 (2 h).
    let due = at(GYE, "2025-11-03 12:00");
    assert_eq!(terms.due_times(&t).expect("due").resolution, Some(due));
    // The same as adding the paused business time (Friday 14-18, Monday 08-10) to the target.
    assert_eq!(b.add(t.opened_at, 16 * 60 + 6 * 60), Ok(due));
    let saturday = terms.state(&t, at(GYE, "2025-11-01 12:00")).expect("state");
    assert_eq!(saturday.resolution.status, SlaStatus::Paused { used_percent: 87 });
    assert_eq!(saturday.resolution.used_minutes, 14 * 60);
    // The response was due Thursday 11:00; 13 business hours have passed since.
    assert_eq!(saturday.response.status, SlaStatus::Breached { due: at(GYE, "2025-10-30 11:00"), by_minutes: 13 * 60, done_at: None });
    let monday = terms.state(&t, at(GYE, "2025-11-03 11:00")).expect("state");
    assert_eq!(monday.resolution.status, SlaStatus::Running { due, used_percent: 93 });
}

#[test]
fn a_priority_change_counts_from_the_opening() {
    let b = office(GYE, vec![]);
    let plan = SlaPlan {
        id: SlaPlanId(1),
        name: "Oficina".into(),
        targets: [targets(2880, 14400), targets(1440, 7200), targets(480, 4320), targets(240, 1440), targets(60, 480)],
        calendar_id: Some(CalendarId(1)),
        pause_when_pending: true,
        active: true,
        escalation: Default::default(),
    };
    let opened = at(GYE, "2025-10-27 09:00");
    let t = TicketTimes { opened_at: opened, pauses: &[], first_response_at: None, resolved_at: None };
    let medium = SlaTerms::of_plan(&plan, Priority::Medium, &b);
    let before = medium.due_times(&t).expect("due");
    // Medium: a response in 8 business hours, Monday 09:00-17:00.
    assert_eq!(before.response, Some(at(GYE, "2025-10-27 17:00")));
    // At 15:00 the priority goes to very high (1 h / 8 h): six hours are already spent.
    let now = at(GYE, "2025-10-27 15:00");
    let high = SlaTerms::of_plan(&plan, Priority::VeryHigh, &b);
    let after = high.recompute(&t, before).expect("due");
    assert_eq!(after, DueTimes { response: Some(at(GYE, "2025-10-27 10:00")), resolution: Some(at(GYE, "2025-10-27 17:00")) });
    let state = high.state(&t, now).expect("state");
    assert_eq!(state.response.status, SlaStatus::Breached { due: at(GYE, "2025-10-27 10:00"), by_minutes: 300, done_at: None });
    assert_eq!(state.resolution.status, SlaStatus::Running { due: at(GYE, "2025-10-27 17:00"), used_percent: 75 });
    // A response given before the change keeps the due time it was judged by.
    let answered = TicketTimes { first_response_at: Some(at(GYE, "2025-10-27 12:00")), ..t };
    let after = high.recompute(&answered, before).expect("due");
    assert_eq!(after.response, before.response);
    assert_eq!(after.resolution, Some(at(GYE, "2025-10-27 17:00")));
    // Lowering the priority gives more time, still counted from the opening.
    let low = SlaTerms::of_plan(&plan, Priority::VeryLow, &b);
    assert_eq!(low.recompute(&t, before).expect("due").response, b.add(opened, 2880).ok());
}

#[test]
fn breach_by_business_minutes() {
    let b = office(GYE, vec![]);
    let terms = SlaTerms { targets: targets(60, 120), business: &b, pause_when_pending: true };
    let opened = at(GYE, "2025-10-27 09:00");
    let answered = TicketTimes { opened_at: opened, pauses: &[], first_response_at: Some(at(GYE, "2025-10-27 10:47")), resolved_at: None };
    let s = terms.state(&answered, at(GYE, "2025-10-27 12:00")).expect("state");
    assert_eq!(
        s.response.status,
        SlaStatus::Breached { due: at(GYE, "2025-10-27 10:00"), by_minutes: 47, done_at: Some(at(GYE, "2025-10-27 10:47")) }
    );
    assert_eq!(s.response.used_minutes, 107);
    assert_eq!(s.response.used_percent, 178);
    // Due Friday 18:00: answered on Saturday is late by no business minute, on Monday 08:30 by 30.
    let opened = at(GYE, "2025-10-31 16:00");
    let due = at(GYE, "2025-10-31 18:00");
    let t = |first| TicketTimes { opened_at: opened, pauses: &[], first_response_at: first, resolved_at: None };
    let state = |first, now| terms.state(&t(first), now).expect("state").resolution;
    assert_eq!(state(None, at(GYE, "2025-10-31 17:00")).status, SlaStatus::Running { due, used_percent: 50 });
    assert_eq!(state(None, due).status, SlaStatus::Running { due, used_percent: 100 });
    let resolution_late = |now| state(None, now).status;
    assert_eq!(resolution_late(at(GYE, "2025-11-01 10:00")), SlaStatus::Breached { due, by_minutes: 0, done_at: None });
    assert_eq!(resolution_late(at(GYE, "2025-11-03 08:30")), SlaStatus::Breached { due, by_minutes: 30, done_at: None });
    // Some seconds late are a minute late.
    assert_eq!(
        resolution_late(at(GYE, "2025-11-03 08:00") + TimeDelta::seconds(5)),
        SlaStatus::Breached { due, by_minutes: 1, done_at: None }
    );
    // The response was due at 17:00; answering at 16:59 meets it.
    let met = terms.state(&t(Some(at(GYE, "2025-10-31 16:59"))), at(GYE, "2025-11-03 09:00")).expect("state");
    assert_eq!(met.response.status, SlaStatus::Met { at: at(GYE, "2025-10-31 16:59") });
    // Looking at an instant before the answer, the answer is not known yet.
    let earlier = terms.state(&t(Some(at(GYE, "2025-10-31 16:59"))), at(GYE, "2025-10-31 16:30")).expect("state");
    assert!(matches!(earlier.response.status, SlaStatus::Running { used_percent: 50, .. }));
}

#[test]
fn the_status_history_gives_the_pauses() {
    let (t0, t1, t2, t3, t4) =
        (utc("2025-10-27 14:00"), utc("2025-10-27 15:00"), utc("2025-10-27 16:00"), utc("2025-10-27 18:00"), utc("2025-10-28 14:00"));
    let history = [(t0, Status::NEW), (t1, Status::PENDING_REQUESTER), (t2, Status::OPEN), (t3, Status::RESOLVED), (t4, Status::OPEN)];
    let p = pauses(&history);
    assert_eq!(
        p,
        vec![
            Pause { from: t1, until: Some(t2), reason: PauseReason::AwaitingRequester },
            Pause { from: t3, until: Some(t4), reason: PauseReason::Done }
        ]
    );
    assert_eq!(pauses(&[(t0, Status::OPEN), (t1, Status::PENDING_THIRD_PARTY)]), vec![], "a third party does not stop the clock");
    assert_eq!(pauses(&[(t0, Status::CLOSED)]), vec![Pause { from: t0, until: None, reason: PauseReason::Done }]);
    // Reopened: the time it spent resolved does not count; waiting counts when the plan says so.
    let clock = BusinessTime::around_the_clock();
    let t = TicketTimes { opened_at: t0, pauses: &p, first_response_at: Some(t0), resolved_at: None };
    let pausing = SlaTerms { targets: targets(60, 8 * 60), business: &clock, pause_when_pending: true };
    assert_eq!(pausing.due_times(&t).expect("due").resolution, Some(utc("2025-10-28 19:00")));
    let not_pausing = SlaTerms { pause_when_pending: false, ..pausing };
    assert_eq!(not_pausing.due_times(&t).expect("due").resolution, Some(utc("2025-10-28 18:00")));
    // Resolved without an answer: the response clock stops at the resolution.
    let t = TicketTimes { opened_at: t0, pauses: &[], first_response_at: None, resolved_at: Some(t0 + TimeDelta::minutes(30)) };
    let s = pausing.state(&t, t4).expect("state");
    assert_eq!(s.response.status, SlaStatus::Met { at: t0 + TimeDelta::minutes(30) });
    assert_eq!(s.resolution.status, SlaStatus::Met { at: t0 + TimeDelta::minutes(30) });
}

#[test]
fn overlapping_and_early_pauses_count_once() {
    let clock = BusinessTime::around_the_clock();
    let o = utc("2025-10-27 10:00");
    let h = |n: i64| o + TimeDelta::hours(n);
    let p = [
        pending(h(-5), Some(h(1))),
        pending(h(2), Some(h(4))),
        Pause { from: h(3), until: Some(h(5)), reason: PauseReason::Done },
        pending(h(4), Some(h(4))),
    ];
    let t = TicketTimes { opened_at: o, pauses: &p, first_response_at: None, resolved_at: None };
    let terms = SlaTerms { targets: targets(60, 240), business: &clock, pause_when_pending: true };
    // Paused 10-11 and 12-15: four hours of work end at 18:00.
    assert_eq!(terms.due_times(&t).expect("due"), DueTimes { response: Some(h(2)), resolution: Some(h(8)) });
    // Answered exactly when due is met.
    let t = TicketTimes { first_response_at: Some(h(2)), ..t };
    assert_eq!(terms.state(&t, h(6)).expect("state").response.status, SlaStatus::Met { at: h(2) });
    assert_eq!(terms.state(&t, h(6)).expect("state").resolution.used_minutes, 120);
}

#[test]
fn thresholds_fire_once() {
    let seen = [0, 40, 74, 75, 90, 101, 130];
    let fired: Vec<u32> = seen.windows(2).flat_map(|w| [75, 100].into_iter().filter(move |th| crossed(w[0], w[1], *th))).collect();
    assert_eq!(fired, vec![75, 100]);
    assert!(crossed(10, 200, 75) && crossed(10, 200, 100));
    assert!(!crossed(75, 80, 75) && !crossed(90, 50, 75));
}

/// A seeded xorshift64* generator: reproducible cases without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, in_: u64) -> bool {
        self.below(in_) == 0
    }
}

const ZONES: [Tz; 9] = [
    GYE,
    MAD,
    America::Santiago,
    America::Havana,
    America::New_York,
    America::Asuncion,
    Australia::Lord_Howe,
    Asia::Kolkata,
    Europe::London,
];

fn random_calendar(r: &mut Rng) -> BusinessTime {
    let tz = ZONES[r.below(ZONES.len() as u64) as usize];
    let mut hours = Vec::new();
    for weekday in WEEKDAYS {
        if r.chance(4) {
            continue;
        }
        // Often whole days or midnight edges, where the time changes bite.
        let start = if r.chance(4) { 0 } else { r.below(1439) as u16 };
        let end = if r.chance(4) { 1440 } else { start + 1 + r.below(u64::from(1440 - start)) as u16 };
        hours.push(WorkingHours { weekday, start, end: end.min(1440) });
    }
    let base = date("2024-01-01");
    let holidays = (0..r.below(12))
        .map(|_| Holiday { id: 0, date: base + Days::new(r.below(4 * 365)), yearly: r.chance(2), name: "x".into() })
        .collect();
    BusinessTime::new(Some(Calendar { id: CalendarId(1), name: "c".into(), time_zone: tz, hours, holidays }))
}

fn random_instant(r: &mut Rng) -> DateTime<Utc> {
    let secs = utc("2024-01-01 00:00").timestamp() + r.below(3 * 365 * 86_400) as i64;
    let nanos = if r.chance(3) { r.below(1_000_000_000) as u32 } else { 0 };
    DateTime::from_timestamp(secs, nanos).expect("instant")
}

fn random_minutes(r: &mut Rng) -> u32 {
    if r.chance(5) { r.below(20_000) as u32 } else { r.below(1500) as u32 }
}

#[test]
fn property_add_and_between_agree() {
    let mut r = Rng(0x5EED_7141_u64);
    let mut checked = 0;
    for case in 0..2500 {
        let b = if case % 10 == 0 { BusinessTime::around_the_clock() } else { random_calendar(&mut r) };
        let s = random_instant(&mut r);
        let (m1, m2) = (random_minutes(&mut r), random_minutes(&mut r));
        let Ok(t1) = b.add(s, m1) else { continue };
        let Ok(t12) = b.add(s, m1 + m2) else { continue };
        checked += 1;
        let ctx = || format!("case {case}: {b:?} from {s} +{m1} +{m2}");
        // between is the inverse of add.
        assert_eq!(b.between(s, t1), m1, "{}", ctx());
        assert_eq!(b.between(s, t12), m1 + m2, "{}", ctx());
        // add never goes back and grows with the minutes.
        assert!(s <= t1 && t1 <= t12, "{}", ctx());
        // The result ends working time: the instant just before it is worked.
        if m1 > 0 {
            assert!(b.is_working(t1 - TimeDelta::nanoseconds(1)), "{}", ctx());
        }
        // Adding in two steps is adding at once, for every split (add gives the earliest
        // instant, so the first step never skips to the next opening).
        assert_eq!(b.add(t1, m2), Ok(t12), "{}", ctx());
        // Business time splits at any instant and never exceeds real time.
        let mid = s + (t12 - s) / 3;
        assert_eq!(b.span(s, mid) + b.span(mid, t12), b.span(s, t12), "{}", ctx());
        assert!(b.span(s, t12) <= t12 - s, "{}", ctx());
    }
    assert!(checked > 2000, "only {checked} cases had working time");
}

#[test]
fn property_due_times_use_the_whole_target() {
    let mut r = Rng(0xC0FF_EE11_u64);
    let mut checked = 0;
    for case in 0..500 {
        let b = random_calendar(&mut r);
        let opened = random_instant(&mut r);
        let ps: Vec<Pause> = (0..r.below(4))
            .map(|_| {
                let from = opened + TimeDelta::minutes(r.below(6000) as i64 - 600);
                pending(from, Some(from + TimeDelta::minutes(r.below(3000) as i64)))
            })
            .collect();
        let (response, resolution) = (1 + r.below(600) as u32, 1 + r.below(6000) as u32);
        let terms = SlaTerms { targets: targets(response, response.max(resolution)), business: &b, pause_when_pending: true };
        let t = TicketTimes { opened_at: opened, pauses: &ps, first_response_at: None, resolved_at: None };
        let Ok(due) = terms.due_times(&t) else { continue };
        let due = due.resolution.expect("every pause ends");
        checked += 1;
        // At the due instant the whole target is used, and not a moment before.
        let s = terms.state(&t, due).expect("state").resolution;
        assert_eq!(
            (s.used_minutes, s.status),
            (terms.targets.resolution_minutes, SlaStatus::Running { due, used_percent: 100 }),
            "case {case}"
        );
        let just_before = terms.state(&t, due - TimeDelta::seconds(1)).expect("state").resolution;
        assert!(just_before.used_minutes < terms.targets.resolution_minutes, "case {case}");
        // Without the pauses it comes due no later.
        let free = SlaTerms { pause_when_pending: false, ..terms }.due_times(&t).expect("due").resolution.expect("due");
        assert!(free <= due, "case {case}");
        // A pause left open holds the due time back.
        let mut open = ps.clone();
        open.push(pending(opened + TimeDelta::minutes(1), None));
        let t = TicketTimes { pauses: &open, ..t };
        assert_eq!(terms.due_times(&t).expect("due").resolution, None, "case {case}");
    }
    assert!(checked > 400, "only {checked} cases had working time");
}
