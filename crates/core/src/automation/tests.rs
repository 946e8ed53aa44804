use super::*;
use crate::{StateCategory, Status};

fn c(agent: i64, open: u64) -> Candidate {
    Candidate { agent: AgentId(agent), open }
}

fn at(h: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z").map(|d| d.with_timezone(&Utc)).expect("date") + TimeDelta::hours(h)
}

#[test]
fn round_robin_takes_the_next_id_after_the_cursor_and_wraps() {
    let three = [c(7, 0), c(3, 0), c(5, 0)];
    let rr = |cursor: Option<i64>| pick_agent(AutoAssign::RoundRobin, &three, cursor.map(AgentId));
    assert_eq!(rr(None), Some(AgentId(3)));
    assert_eq!(rr(Some(3)), Some(AgentId(5)));
    assert_eq!(rr(Some(5)), Some(AgentId(7)));
    assert_eq!(rr(Some(7)), Some(AgentId(3)), "wraps");
    // The last one picked went away (or left the department): the next id still follows.
    assert_eq!(rr(Some(4)), Some(AgentId(5)));
    assert_eq!(rr(Some(99)), Some(AgentId(3)));
    assert_eq!(pick_agent(AutoAssign::RoundRobin, &[], Some(AgentId(1))), None);
}

#[test]
fn least_open_takes_the_fewest_ties_to_the_lowest_id() {
    assert_eq!(pick_agent(AutoAssign::LeastOpen, &[c(2, 4), c(9, 1), c(5, 1)], None), Some(AgentId(5)));
    assert_eq!(pick_agent(AutoAssign::LeastOpen, &[c(2, 0)], Some(AgentId(2))), Some(AgentId(2)));
    assert_eq!(pick_agent(AutoAssign::LeastOpen, &[], None), None);
    assert_eq!(pick_agent(AutoAssign::Off, &[c(1, 0)], None), None);
}

#[test]
fn priority_rises_one_level_up_to_the_top() {
    assert_eq!(raised(Priority::Low), Some(Priority::Medium));
    assert_eq!(raised(Priority::VeryHigh), None);
}

fn rule(condition: TimeCondition, minutes: u32) -> TimeRule {
    TimeRule {
        id: 1,
        name: "r".into(),
        department_id: None,
        condition,
        minutes,
        action: TimeAction::NotifyOwner,
        target_department_id: None,
        active: true,
        updated_at: at(0),
    }
}

#[test]
fn time_conditions_match_after_their_minutes() {
    let mut t = Ticket::sample();
    t.created_at = at(0);
    t.updated_at = at(0);
    t.owner_id = None;
    t.first_response_at = None;
    t.status = Status::OPEN;
    let unassigned = rule(TimeCondition::Unassigned, 30);
    assert!(!unassigned.matches(&t, at(0) + TimeDelta::minutes(29)));
    assert!(unassigned.matches(&t, at(0) + TimeDelta::minutes(30)));
    let mut owned = t.clone();
    owned.owner_id = Some(AgentId(1));
    assert!(!unassigned.matches(&owned, at(5)));
    let answered = Ticket { first_response_at: Some(at(0)), ..t.clone() };
    assert!(rule(TimeCondition::NoFirstResponse, 60).matches(&t, at(1)));
    assert!(!rule(TimeCondition::NoFirstResponse, 60).matches(&answered, at(1)));
    assert!(!rule(TimeCondition::PendingRequester, 60).matches(&t, at(2)));
    let pending = Ticket { status: Status::PENDING_REQUESTER, ..t.clone() };
    assert!(rule(TimeCondition::PendingRequester, 60).matches(&pending, at(2)));
    assert!(rule(TimeCondition::NotUpdated, 60).matches(&t, at(2)));
    // Done tickets and other departments never match.
    let done = Ticket { status: Status::RESOLVED, ..t.clone() };
    assert!(!rule(TimeCondition::NotUpdated, 60).matches(&done, at(2)));
    let elsewhere = TimeRule { department_id: Some(crate::DepartmentId(t.department_id.get() + 1)), ..rule(TimeCondition::NotUpdated, 1) };
    assert!(!elsewhere.matches(&t, at(2)));
}

#[test]
fn auto_close_and_reminders_wait_their_days() {
    let mut t = Ticket::sample();
    t.status = Status::RESOLVED;
    t.resolution_approved = true;
    t.resolved_at = Some(at(0));
    assert!(!auto_close_due(&t, 7, at(24 * 7 - 1)));
    assert!(auto_close_due(&t, 7, at(24 * 7)));
    assert!(!auto_close_due(&t, 0, at(24 * 700)), "0 days: never");
    assert!(!auto_close_due(&Ticket { resolution_approved: false, ..t.clone() }, 7, at(24 * 8)), "awaiting approval");
    assert_eq!(t.status.category(), StateCategory::Resolved);
    let mut p = Ticket::sample();
    p.status = Status::PENDING_REQUESTER;
    p.updated_at = at(0);
    assert!(!reminder_due(&p, 3, false, at(24 * 3 - 1)));
    assert!(reminder_due(&p, 3, false, at(24 * 3)));
    assert!(!reminder_due(&p, 3, true, at(24 * 30)), "once per pending period");
    assert!(!reminder_due(&p, 0, false, at(24 * 30)));
    assert!(!reminder_due(&Ticket { status: Status::OPEN, ..p }, 3, false, at(24 * 30)));
}

#[test]
fn rule_input_is_checked() {
    let input = TimeRuleInput {
        name: " Sin asignar ".into(),
        condition: "unassigned".into(),
        minutes: "30".into(),
        action: "transfer".into(),
        target_department_id: Some(crate::DepartmentId(2)),
        active: true,
        ..Default::default()
    };
    let ok = input.clone().validate().expect("valid");
    assert_eq!((ok.name.as_str(), ok.minutes, ok.action), ("Sin asignar", 30, TimeAction::Transfer));
    let field = |i: TimeRuleInput| match i.validate() {
        Err(DomainError::Invalid { field, .. }) => field,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(field(TimeRuleInput { name: " ".into(), ..input.clone() }), "name");
    assert_eq!(field(TimeRuleInput { condition: "never".into(), ..input.clone() }), "condition");
    assert_eq!(field(TimeRuleInput { minutes: "0".into(), ..input.clone() }), "minutes");
    assert_eq!(field(TimeRuleInput { minutes: "x".into(), ..input.clone() }), "minutes");
    assert_eq!(field(TimeRuleInput { target_department_id: None, ..input.clone() }), "target_department_id");
    let notify = TimeRuleInput { action: "notify_owner".into(), ..input }.validate().expect("valid");
    assert_eq!(notify.target_department_id, None, "only a transfer keeps a target");
    assert_eq!(TimeAction::NotifyManager.alert_to().map(|a| a.manager), Some(true));
    assert_eq!(TimeAction::Transfer.alert_to(), None);
}
