//! The SLA clock on real tickets: due times counted in a plan's business hours (checked against
//! a schedule computed by hand), paused while waiting on the requester, and escalations that
//! fire once per ticket and threshold, by one sweep or by two nodes sweeping at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tikal_core::admin::DepartmentInput;
use tikal_core::sla::Targets;
use tikal_core::sla_plan::{CalendarInput, DayInput, Escalation, EscalationAction as A, HolidayInput, SlaPlanInput};
use tikal_core::{DepartmentId, EventKind, Priority, SlaPlanId, Ticket, TicketNumber};
use tikal_jobs::{ManualClock, Scheduler};
use tikal_service::{Desk, Principal};
use tikal_testkit::TestApp;

const BUDGET: Duration = Duration::from_secs(60);

fn t(first_response_minutes: u32, resolution_minutes: u32) -> Targets {
    Targets { first_response_minutes, resolution_minutes }
}

/// A plan with these targets for priorities 3 and 4 (the others generous).
async fn plan(
    desk: &Desk,
    name: &str,
    p3: Targets,
    p4: Targets,
    calendar: Option<tikal_core::sla_plan::CalendarId>,
    escalation: Escalation,
) -> SlaPlanId {
    let input = SlaPlanInput {
        name: name.into(),
        targets: [t(2880, 14400), t(1440, 7200), p3, p4, t(30, 240)],
        calendar_id: calendar,
        pause_when_pending: true,
        active: true,
        escalation,
    };
    desk.save_sla_plan(&Principal::System, None, input).await.expect("plan").id
}

/// A department held to `plan`, managed by `manager`.
async fn department(app: &TestApp, name: &str, plan: SlaPlanId, manager: Option<tikal_core::AgentId>) -> DepartmentId {
    let id = app.department(name).await;
    let (d, rules) = app.desk.department_for_admin(&Principal::System, id).await.expect("department");
    let input = DepartmentInput {
        name: d.name,
        parent_id: None,
        manager_id: manager,
        email: String::new(),
        sla_plan_id: Some(plan),
        auto_assign: None,
        active: true,
    };
    app.desk.save_department(&Principal::System, Some(id), input, Some(rules)).await.expect("save department");
    id
}

async fn open(app: &TestApp, dept: DepartmentId, priority: u8) -> Ticket {
    open_titled(app, dept, priority, "No funciona el teléfono IP").await
}

async fn open_titled(app: &TestApp, dept: DepartmentId, priority: u8, subject: &str) -> Ticket {
    let r = app
        .post(
            "/api/v1/tickets",
            &json!({"subject": subject, "message": "La extensión 2040 no tiene tono.", "requester": {"email": "rosa@gob.example"}, "department_id": dept.get(), "priority": priority}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.expect("json");
    ticket(app, body["number"].as_str().expect("number")).await
}

async fn ticket(app: &TestApp, number: &str) -> Ticket {
    let n = TicketNumber::parse(number).expect("number");
    app.desk.store().ticket_by_number(&n).await.expect("read").expect("ticket")
}

async fn patch(app: &TestApp, t: &Ticket, body: Value) -> Value {
    let r = app.patch(&format!("/api/v1/tickets/{}", t.number), &body).await;
    assert_eq!(r.status(), StatusCode::OK, "{body}");
    r.json().await.expect("json")
}

fn utc(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time")).expect("rfc 3339").with_timezone(&Utc)
}

/// The SLA events in a ticket's history: (kind, target, actions).
async fn sla_events(desk: &Desk, t: &Ticket) -> Vec<(EventKind, String, String)> {
    desk.store()
        .thread(t.id)
        .await
        .expect("thread")
        .into_iter()
        .filter(|e| matches!(e.event, Some(EventKind::SlaWarning | EventKind::SlaBreached)))
        .map(|e| (e.event.expect("event"), e.after.unwrap_or_default(), e.reason.unwrap_or_default()))
        .collect()
}

async fn alerts(desk: &Desk) -> Vec<String> {
    desk.store().pending_jobs().await.expect("jobs").into_iter().filter(|(k, _)| k == "notify.alert").map(|(_, p)| p).collect()
}

#[tokio::test]
async fn due_times_follow_the_plans_business_hours_and_holidays() {
    let app = TestApp::spawn().await;
    let desk = &app.desk;
    let day = |open: bool| DayInput { open, start: "08:00".into(), end: "17:00".into() };
    let days = vec![day(true), day(true), day(true), day(true), day(true), day(false), day(false)];
    let cal = desk
        .save_calendar(&Principal::System, None, CalendarInput { name: "UIT".into(), time_zone: "America/Guayaquil".into(), days })
        .await
        .expect("calendar");
    // All Souls' Day moved to Monday 3 November 2025.
    let holiday = HolidayInput { date: "2025-11-03".into(), yearly: false, name: "Día de los Difuntos".into() };
    desk.add_holiday(&Principal::System, cal.id, holiday).await.expect("holiday");
    let p = plan(desk, "Nivel 1", t(240, 960), t(120, 480), Some(cal.id), Escalation::default()).await;
    let mesa = department(&app, "Mesa de Ayuda", p, None).await;

    let opened = open(&app, mesa, 3).await;
    // As if it was opened on Friday 31 October 2025 at 16:00 in Guayaquil (21:00 UTC).
    let friday = Utc.with_ymd_and_hms(2025, 10, 31, 21, 0, 0).single().expect("instant");
    desk.store().shift_ticket_history(opened.id, opened.created_at - friday).await.expect("shift");
    // Raising it to priority 4 counts both targets again from the opening, in business hours:
    // response 2 h = 1 h on Friday + 1 h on Tuesday (the weekend and the holiday are not
    // worked) -> Tuesday 09:00 (14:00 UTC); resolution 8 h = 1 h + 7 h -> Tuesday 15:00.
    let after = patch(&app, &opened, json!({"priority": 4})).await;
    assert_eq!(utc(&after["response_due_at"]), Utc.with_ymd_and_hms(2025, 11, 4, 14, 0, 0).single().expect("instant"));
    assert_eq!(utc(&after["resolution_due_at"]), Utc.with_ymd_and_hms(2025, 11, 4, 20, 0, 0).single().expect("instant"));

    // Back to 3: 4 h -> Tuesday 11:00; 16 h = 1 + 9 (Tuesday) + 6 (Wednesday) -> Wednesday 14:00.
    let back = patch(&app, &opened, json!({"priority": 3})).await;
    assert_eq!(utc(&back["response_due_at"]), Utc.with_ymd_and_hms(2025, 11, 4, 16, 0, 0).single().expect("instant"));
    assert_eq!(utc(&back["resolution_due_at"]), Utc.with_ymd_and_hms(2025, 11, 5, 19, 0, 0).single().expect("instant"));

    // A new ticket of a department without a plan is counted around the clock with the
    // configuration's targets (priority 3: 8 h and 72 h).
    let plain = app.department("Sin plan").await;
    let other = open(&app, plain, 3).await;
    assert_eq!(other.response_due_at, Some(other.created_at + TimeDelta::hours(8)));
    assert_eq!(other.resolution_due_at, Some(other.created_at + TimeDelta::hours(72)));
    app.stop().await;
}

#[tokio::test]
async fn waiting_on_the_requester_stops_the_clock() {
    let app = TestApp::spawn().await;
    let p = plan(&app.desk, "24x7", t(60, 480), t(30, 240), None, Escalation::default()).await;
    let dept = department(&app, "Soporte", p, None).await;
    let opened = open(&app, dept, 3).await;
    assert_eq!(opened.resolution_due_at, Some(opened.created_at + TimeDelta::hours(8)));
    // Opened three hours ago; waiting on the requester since two hours ago; back now.
    app.desk.store().shift_ticket_history(opened.id, TimeDelta::hours(1)).await.expect("shift");
    let waiting = patch(&app, &opened, json!({"status": "pending_requester"})).await;
    assert!(waiting["resolution_due_at"].is_null(), "no due time while the clock stands: {waiting}");
    app.desk.store().shift_ticket_history(opened.id, TimeDelta::hours(2)).await.expect("shift");
    let now = tikal_store::now();
    let back = patch(&app, &opened, json!({"status": "open"})).await;
    let created = ticket(&app, opened.number.as_str()).await.created_at;
    // Eight hours of work, plus the two it waited.
    let due = utc(&back["resolution_due_at"]);
    let expected = created + TimeDelta::hours(10);
    assert!((due - expected).abs() < TimeDelta::seconds(5), "due {due}, expected about {expected} (now {now})");
    let row = ticket(&app, opened.number.as_str()).await;
    // The one-hour response target ran out as it started waiting: its breach is due at once.
    assert_eq!(row.response_due_at, Some(created + TimeDelta::hours(1)));
    assert_eq!(row.sla_next_at, Some(created + TimeDelta::hours(1) + TimeDelta::seconds(1)));
    app.stop().await;
}

/// Warn the owner at 75 %; at a breach tell the manager, raise the priority, mark it overdue.
fn escalation() -> Escalation {
    Escalation {
        warn_percent: Some(75),
        on_warning: vec![A::NotifyOwner],
        on_breach: vec![A::NotifyManager, A::RaisePriority, A::MarkOverdue],
        transfer_to: None,
    }
}

#[tokio::test]
async fn each_escalation_fires_once_and_on_time() {
    let app = TestApp::spawn().await;
    let desk = &app.desk;
    let p = plan(desk, "Urgente", t(60, 480), t(30, 240), None, escalation()).await;
    let manager = TestApp::agent_id(&app.agent("jefa@gob.example", "supervisor", &[]).await);
    let dept = department(&app, "Consultoría TI", p, Some(manager)).await;
    let owner = TestApp::agent_id(&app.agent("luis@gob.example", "agent", &[dept]).await);
    let opened = open(&app, dept, 3).await;
    patch(&app, &opened, json!({"owner_id": owner.get()})).await;
    let t0 = opened.created_at;

    // 75 % of the one-hour response target is 45 minutes.
    let r = desk.sla_sweep(t0 + TimeDelta::minutes(44), BUDGET).await.expect("sweep");
    assert_eq!(r.fired, 0);
    let r = desk.sla_sweep(t0 + TimeDelta::minutes(45) + TimeDelta::seconds(1), BUDGET).await.expect("sweep");
    assert_eq!(r.fired, 1, "the response warning");
    assert_eq!(sla_events(desk, &opened).await, vec![(EventKind::SlaWarning, "response".into(), "notify_owner".into())]);
    let again = desk.sla_sweep(t0 + TimeDelta::minutes(50), BUDGET).await.expect("sweep");
    assert_eq!((again.tickets, again.fired), (0, 0), "nothing is due until the breach");
    let queued = alerts(desk).await;
    assert_eq!(queued.len(), 1);
    assert!(queued[0].contains("\"owner\":true") && queued[0].contains("sla_warning"), "{queued:?}");

    // Past the due time: the breach, once.
    let r = desk.sla_sweep(t0 + TimeDelta::minutes(61), BUDGET).await.expect("sweep");
    assert_eq!(r.fired, 1);
    let after = ticket(&app, opened.number.as_str()).await;
    assert_eq!(after.priority, Priority::High, "raised from medium");
    assert!(after.overdue);
    // Priority 4's resolution target (4 h) now holds it: its warning comes at 3 h.
    assert_eq!(after.resolution_due_at, Some(t0 + TimeDelta::hours(4)));
    assert_eq!(after.sla_next_at, Some(t0 + TimeDelta::hours(3)));
    let events = sla_events(desk, &opened).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1], (EventKind::SlaBreached, "response".into(), "notify_manager,raise_priority,mark_overdue".into()));
    let r = desk.sla_sweep(t0 + TimeDelta::minutes(90), BUDGET).await.expect("sweep");
    assert_eq!(r.fired, 0);
    assert_eq!(alerts(desk).await.len(), 2, "the warning to the owner and the breach to the manager");

    // Resolved: nothing more fires and the overdue mark goes.
    patch(&app, &opened, json!({"status": "resolved"})).await;
    let done = ticket(&app, opened.number.as_str()).await;
    assert!(!done.overdue && done.sla_next_at.is_none());
    let r = desk.sla_sweep(t0 + TimeDelta::days(2), BUDGET).await.expect("sweep");
    assert_eq!(r.fired, 0);
    app.stop().await;
}

#[tokio::test]
async fn a_late_sweep_fires_the_breach_alone_and_a_reply_stops_the_response_target() {
    let app = TestApp::spawn().await;
    let p = plan(&app.desk, "Urgente", t(60, 480), t(30, 240), None, escalation()).await;
    let dept = department(&app, "Redes", p, None).await;
    let a = open(&app, dept, 3).await;
    // The node was down past the breach: the warning is recorded as passed over, not sent.
    let r = app.desk.sla_sweep(a.created_at + TimeDelta::minutes(70), BUDGET).await.expect("sweep");
    assert_eq!(r.fired, 1);
    let events = sla_events(&app.desk, &a).await;
    assert_eq!(events[0], (EventKind::SlaWarning, "response".into(), "skipped".into()));
    assert_eq!(events[1].0, EventKind::SlaBreached);

    // A reply in time meets the response target: only the resolution's thresholds remain.
    let b = open(&app, dept, 3).await;
    let reply = app.post(&format!("/api/v1/tickets/{}/messages", b.number), &json!({"kind": "reply", "body": "Lo revisamos."})).await;
    assert_eq!(reply.status(), StatusCode::CREATED);
    let b = ticket(&app, b.number.as_str()).await;
    assert_eq!(b.sla_next_at, Some(b.created_at + TimeDelta::hours(6)), "75 % of the 8-hour resolution");
    let r = app.desk.sla_sweep(b.created_at + TimeDelta::minutes(70), BUDGET).await.expect("sweep");
    assert_eq!(r.fired, 0);
    app.stop().await;
}

#[tokio::test]
async fn two_nodes_sweeping_at_once_fire_each_escalation_once() {
    let app = TestApp::spawn().await;
    let p = plan(&app.desk, "Urgente", t(60, 480), t(30, 240), None, escalation()).await;
    let manager = TestApp::agent_id(&app.agent("jefa@gob.example", "supervisor", &[]).await);
    let dept = department(&app, "Mesa", p, Some(manager)).await;
    let mut tickets = Vec::new();
    for _ in 0..12 {
        tickets.push(open(&app, dept, 3).await);
    }
    // A second node on the same database, with its own pool and caches.
    let settings =
        tikal::Settings { data_dir: app.dir.path().to_path_buf(), database_url: Some(app.database_url.clone()), ..Default::default() };
    let other = tikal::startup::open_desk(&settings).await.expect("second node");
    let at = tickets.last().expect("tickets").created_at + TimeDelta::minutes(46);
    let (a, b) = tokio::join!(app.desk.sla_sweep(at, BUDGET), other.sla_sweep(at, BUDGET));
    let (a, b) = (a.expect("sweep"), b.expect("sweep"));
    assert_eq!(a.fired + b.fired, 12, "one warning per ticket: {a:?} {b:?}");
    for t in &tickets {
        assert_eq!(sla_events(&app.desk, t).await.len(), 1, "ticket {}", t.number);
    }
    assert_eq!(alerts(&app.desk).await.len(), 0, "the warning tells the owner, and nobody owns them");

    // The scheduler of each node, on a clock the test moves: the breach, once per ticket.
    let clock = Arc::new(ManualClock::new(at + TimeDelta::minutes(20)));
    let one = Scheduler::new(app.desk.clone(), clock.clone());
    let two = Scheduler::new(other.clone(), clock.clone());
    let (x, y) = tokio::join!(one.tick(), two.tick());
    let ran = x.expect("tick") + y.expect("tick");
    assert_eq!(ran, tikal_core::schedule::Task::ALL.len(), "each due task ran on one node");
    for t in &tickets {
        let events = sla_events(&app.desk, t).await;
        assert_eq!(events.len(), 2, "ticket {}: {events:?}", t.number);
        assert_eq!(events[1].0, EventKind::SlaBreached);
    }
    assert_eq!(alerts(&app.desk).await.len(), 12, "the breach tells the manager of each");
    // Not due again for a while: a second tick at the same instant runs nothing.
    let (x, y) = tokio::join!(one.tick(), two.tick());
    assert_eq!(x.expect("tick") + y.expect("tick"), 0);
    let tasks = app.desk.store().scheduled_tasks().await.expect("tasks");
    assert!(tasks.iter().all(|t| t.lease_owner.is_none() && t.runs == 1 && t.last_error.is_none()), "{tasks:?}");
    app.stop().await;
}

#[tokio::test]
async fn agents_see_how_far_each_ticket_is_from_its_due_time() {
    use tikal_testkit::web::{agent_sign_in, browser, get};
    let app = TestApp::spawn().await;
    let p = plan(&app.desk, "Urgente", t(60, 480), t(30, 240), None, escalation()).await;
    let dept = department(&app, "Mesa", p, None).await;
    let (_, password) = app.agent_with_password("ana@gob.example", "agent", &[dept]).await;
    let fresh = open(&app, dept, 3).await;
    let late = open(&app, dept, 3).await;
    // Opened an hour and a half ago: its one-hour response is 30 minutes late; the breach
    // raises it to priority 4, whose 30-minute response target makes it an hour late.
    app.desk.store().shift_ticket_history(late.id, TimeDelta::minutes(90)).await.expect("shift");
    app.desk.sla_sweep(tikal_store::now(), BUDGET).await.expect("sweep");

    let c = browser();
    agent_sign_in(&c, &app, "ana@gob.example", &password).await;
    let (status, queue) = get(&c, &app, &format!("/agent/tickets?department={}", dept.get())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains("<span class=\"tag due-soon\">vence en 1 h</span>"), "{queue}");
    assert!(queue.contains("<span class=\"tag due-late\">vencido hace 1 h</span>"), "{queue}");
    let (_, desk) = get(&c, &app, &format!("/agent/tickets/{}", late.number)).await;
    assert!(desk.contains("id=\"overdue-mark\""), "the breach marked it overdue");
    assert!(
        desk.contains("Plazo vencido (SLA)") && desk.contains("aviso al jefe del departamento, prioridad elevada, marcado como vencido")
    );
    // Resolution: 8 h at priority 3, then 4 h at 4 (raised): 2 h 30 min left of 4 h.
    assert!(desk.contains("vence en 2 h 30 min"), "{desk}");
    let (_, desk) = get(&c, &app, &format!("/agent/tickets/{}", fresh.number)).await;
    assert!(!desk.contains("id=\"overdue-mark\""));
    // Waiting on the requester: paused.
    patch(&app, &fresh, json!({"status": "pending_requester"})).await;
    let (_, desk) = get(&c, &app, &format!("/agent/tickets/{}", fresh.number)).await;
    assert!(desk.contains("<span class=\"tag due-paused\">en pausa</span>"), "{desk}");
    app.stop().await;
}

/// Polls `check` every 200 ms for up to a minute.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Two `tikal serve` processes on one PostgreSQL database, their schedulers on a clock the test
/// moves through a file, their outbox workers sending to one SMTP sink: every warning and every
/// breach is recorded once and mailed once. (SQLite is one node's database: PostgreSQL only.)
#[tokio::test]
async fn two_real_nodes_escalate_and_mail_each_threshold_once() {
    use crate::binary::{free_port, stop, tikal, wait_ready};
    if tikal_testkit::pg_server().is_none() {
        eprintln!("two_real_nodes: runs on PostgreSQL (TIKAL_TEST_PG)");
        return;
    }
    let app = TestApp::spawn().await;
    let sink = tikal_testkit::SmtpSink::start().await;
    let p = plan(
        &app.desk,
        "Urgente",
        t(60, 480),
        t(30, 240),
        None,
        Escalation {
            warn_percent: Some(75),
            on_warning: vec![A::NotifyOwner],
            on_breach: vec![A::NotifyOwner, A::MarkOverdue],
            transfer_to: None,
        },
    )
    .await;
    let dept = department(&app, "Mesa", p, None).await;
    let owner = TestApp::agent_id(&app.agent("luis@gob.example", "agent", &[dept]).await);
    let mut tickets = Vec::new();
    for i in 0..6 {
        let t = open_titled(&app, dept, 3, &format!("Impresora sin papel {i}")).await;
        patch(&app, &t, json!({"owner_id": owner.get()})).await;
        tickets.push(t);
    }
    let t0 = tickets.last().expect("tickets").created_at;
    let clock = app.dir.path().join("clock");
    let set_clock = |at: DateTime<Utc>| std::fs::write(&clock, at.to_rfc3339()).expect("clock file");
    set_clock(t0 + TimeDelta::minutes(46));
    let config = app.dir.path().join("nodes.toml");
    std::fs::write(&config, format!("[mail]\nsmtp_url = \"{}\"\nfrom = \"Mesa de Ayuda <mesa@gob.example>\"\n", sink.url()))
        .expect("config");
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let port = free_port();
        let mut cmd = tikal(app.dir.path(), &app.database_url);
        cmd.env("TIKAL_CLOCK_FILE", &clock)
            .args(["--config", config.to_str().expect("path"), "serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        nodes.push(wait_ready(cmd.spawn().expect("spawn tikal"), port, 600).await);
    }
    let desk = app.desk.clone();
    let count = |kind: EventKind| {
        let desk = desk.clone();
        let tickets = tickets.clone();
        async move {
            let mut n = 0;
            for t in &tickets {
                n += sla_events(&desk, t).await.iter().filter(|e| e.0 == kind).count();
            }
            n
        }
    };
    eventually("a warning on every ticket", || async { count(EventKind::SlaWarning).await >= 6 }).await;
    set_clock(t0 + TimeDelta::minutes(61));
    eventually("a breach on every ticket", || async { count(EventKind::SlaBreached).await >= 6 }).await;
    let subjects = |prefix: &'static str| {
        let sink = &sink;
        // The subject is the ticket's tag, the template's words and the ticket's subject.
        move || sink.messages().iter().filter(|m| m.contains(&format!("] {prefix} Impresora sin papel"))).count()
    };
    let (warned, overdue) = (subjects("Por vencer:"), subjects("Vencido:"));
    eventually("the mails sent", || async { warned() >= 6 && overdue() >= 6 }).await;
    assert!(sink.messages().iter().filter(|m| m.contains("] Por vencer:")).all(|m| m.contains("To: luis@gob.example")));
    // Two more ticks of both nodes: nothing fires or is sent again.
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!((count(EventKind::SlaWarning).await, count(EventKind::SlaBreached).await), (6, 6));
    assert_eq!((warned(), overdue()), (6, 6), "one mail per threshold and ticket");
    for t in &tickets {
        assert!(ticket(&app, t.number.as_str()).await.overdue);
    }
    for node in nodes {
        stop(node);
    }
    app.stop().await;
}

#[tokio::test]
async fn administrators_see_the_schedule_and_run_a_task_now() {
    use tikal_testkit::web::{browser, csrf, get, post};
    let app = TestApp::spawn().await;
    crate::admin::assert_admin_only(
        &app,
        &["/admin/schedule"],
        &["/admin/schedule/sla.sweep/run"],
        &[("GET", "/api/v1/schedule"), ("POST", "/api/v1/schedule/sla.sweep/run")],
    )
    .await;
    // A node ran the sweep a minute from now: it is not due for a while.
    let clock = Arc::new(ManualClock::new(tikal_store::now() + TimeDelta::minutes(1)));
    Scheduler::new(app.desk.clone(), clock).tick().await.expect("tick");
    let tasks: Value = app.get("/api/v1/schedule").await.json().await.expect("json");
    let sweep = tasks.as_array().expect("tasks").iter().find(|t| t["task"] == "sla.sweep").expect("the sweep").clone();
    assert_eq!(sweep["runs"], 1);
    assert!(utc(&sweep["next_run_at"]) > tikal_store::now(), "{sweep}");
    assert!(sweep["last_error"].is_null() && sweep["running_on"].is_null());

    let (_, password) = app.admin_with_password("admin@gob.example").await;
    let c = browser();
    tikal_testkit::web::agent_sign_in(&c, &app, "admin@gob.example", &password).await;
    let (status, html) = get(&c, &app, "/admin/schedule").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Barrido de SLA") && html.contains("id=\"task-automation.auto_close\""), "{html}");
    let (status, html) = post(&c, &app, "/admin/schedule/sla.sweep/run", &[("csrf", &csrf(&html))]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("id=\"schedule-done\""));
    let tasks = app.desk.store().scheduled_tasks().await.expect("tasks");
    let sweep = tasks.iter().find(|t| t.task == tikal_core::schedule::Task::SlaSweep).expect("sweep");
    assert!(sweep.next_run_at <= tikal_store::now(), "due now");
    let q = tikal_core::admin::AuditQuery { entity: Some(tikal_core::admin::AdminEntity::ScheduledTask), limit: 10, ..Default::default() };
    assert_eq!(app.desk.audit_log(&Principal::System, &q).await.expect("audit").len(), 1, "run now is audited");
    let unknown = app.post("/api/v1/schedule/nothing/run", &json!({})).await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}
